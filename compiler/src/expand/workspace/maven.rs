//! Maven multi-module builds: the reactor a service's module belongs to
//! (the root pom's `<modules>`, nested aggregators included), every pom
//! Maven reads for it, and the sibling modules the service needs (its
//! `<dependencies>` on artifacts the reactor builds, transitively), so the
//! java preset can copy those poms first, resolve with `-pl MODULE -am`,
//! and copy only the needed modules' sources.
//!
//! Poms are read with `roxmltree` (real XML: comments, namespaces and
//! CDATA are common in poms, and a commented-out `<module>` must not
//! count). Profiles are not evaluated: only the default `<modules>` and
//! `<dependencies>` are.

use super::{ancestors, below, clean_dir, join, parent, to_dir};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What one pom says about its place in the build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Pom {
    /// Its own `<groupId>`, else its parent's.
    group: Option<String>,
    artifact: String,
    packaging: String,
    /// `<modules>` as written.
    modules: Vec<String>,
    /// `<dependencies>` (not `<dependencyManagement>`): group (raw, may be a
    /// `${property}`) and artifact.
    deps: Vec<(String, String)>,
    /// `<parent>`: artifact and the pom it is read from (`relativePath`,
    /// `../pom.xml` by default; `None` for an empty `<relativePath/>`).
    parent: Option<(String, Option<String>)>,
    properties: BTreeMap<String, String>,
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
}

fn parse(text: &str) -> Result<Pom, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let project = doc.root_element();
    let parent_node = child(project, "parent");
    let parent_group = parent_node.and_then(|p| text_of(p, "groupId"));
    let parent = parent_node.and_then(|p| {
        let artifact = text_of(p, "artifactId")?;
        let rel = match child(p, "relativePath") {
            None => Some("../pom.xml".to_string()),
            Some(r) => r
                .text()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        };
        Some((artifact, rel))
    });
    let list = |outer: &str, inner: &str| -> Vec<roxmltree::Node<'_, '_>> {
        child(project, outer)
            .map(|o| {
                o.children()
                    .filter(|c| c.is_element() && c.tag_name().name() == inner)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Pom {
        group: text_of(project, "groupId").or(parent_group),
        artifact: text_of(project, "artifactId").unwrap_or_default(),
        packaging: text_of(project, "packaging").unwrap_or_else(|| "jar".to_string()),
        modules: list("modules", "module")
            .into_iter()
            .filter_map(|m| m.text().map(|t| t.trim().to_string()))
            .filter(|m| !m.is_empty())
            .collect(),
        deps: list("dependencies", "dependency")
            .into_iter()
            .filter_map(|d| {
                Some((
                    text_of(d, "groupId").unwrap_or_default(),
                    text_of(d, "artifactId")?,
                ))
            })
            .collect(),
        parent,
        properties: child(project, "properties")
            .map(|p| {
                p.children()
                    .filter(|c| c.is_element())
                    .filter_map(|c| {
                        Some((
                            c.tag_name().name().to_string(),
                            c.text()?.trim().to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

impl Pom {
    /// A dependency's group with `${project.groupId}` and the pom's own
    /// properties filled in; `None` when it stays a property.
    fn resolve_group(&self, raw: &str) -> Option<String> {
        match raw.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            None => Some(raw.to_string()),
            Some("project.groupId" | "pom.groupId" | "groupId" | "project.parent.groupId") => {
                self.group.clone()
            }
            Some(prop) => self.properties.get(prop).cloned(),
        }
    }
}

/// One copy of the generated build: a path of the build context and its
/// destination below the workdir (the reactor's root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub path: String,
    pub to: String,
}

/// The reactor that builds a service's module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reactor {
    /// The reactor's root folder in the build context ("" for its root):
    /// the build's workdir, where `mvn` runs.
    pub root: String,
    /// The service's module folder in the build context.
    pub module: String,
    /// The module for `-pl`, relative to `root` ("" when the root is the
    /// module: no `-pl`).
    pub pl: String,
    /// Every pom Maven reads for the reactor (its modules, each parent pom
    /// found by `relativePath`), root first.
    pub poms: Vec<Copy>,
    /// The folders of the modules to build, the service's last: what the
    /// build copies as sources.
    pub sources: Vec<Copy>,
    /// Every module folder of the reactor, relative to `root`.
    pub modules: Vec<String>,
    /// The chosen module is an aggregator (`<modules>` of its own): it makes
    /// no application jar.
    pub aggregator: bool,
    /// Whether the poms were read (false: only the file list was known, and
    /// the reactor is assumed to be the context's root).
    pub known: bool,
}

/// The reactor of `module` (a folder of the build context, "" for its
/// root): `Ok(None)` for a single-module project at the root (nothing to
/// select), `Err` with the message and its fix for a shape Maven cannot
/// build.
pub fn reactor(
    files: &[String],
    contents: &BTreeMap<String, String>,
    module: &str,
) -> Result<Option<Reactor>, String> {
    let module = clean_dir(module);
    let listed: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let pom_at = |dir: &str| -> String {
        if dir.is_empty() {
            "pom.xml".to_string()
        } else {
            format!("{dir}/pom.xml")
        }
    };
    let mut parsed: BTreeMap<String, Result<Pom, String>> = BTreeMap::new();
    for (path, text) in contents {
        if path == "pom.xml" || path.ends_with("/pom.xml") {
            parsed.insert(path.clone(), parse(text));
        }
    }
    let candidates: Vec<String> = ancestors(&module)
        .into_iter()
        .filter(|d| listed.contains(pom_at(d).as_str()))
        .collect();
    if files.is_empty() {
        // No file list (a spec checked on its own): assume the root's
        // reactor, the module's pom in it.
        if module.is_empty() {
            return Ok(None);
        }
        return Ok(Some(Reactor {
            root: String::new(),
            pl: module.clone(),
            poms: vec![
                Copy {
                    path: "pom.xml".to_string(),
                    to: "./".to_string(),
                },
                Copy {
                    path: pom_at(&module),
                    to: to_dir(&module),
                },
            ],
            sources: vec![source("", &module)],
            modules: Vec::new(),
            aggregator: false,
            known: false,
            module,
        }));
    }
    if module.is_empty() && matches!(parsed.get("pom.xml"), Some(Err(_))) {
        // A root pom msbc cannot read: the build says what is wrong with it.
        return Ok(None);
    }
    if !module.is_empty() && !listed.contains(pom_at(&module).as_str()) {
        let poms: Vec<&str> = files
            .iter()
            .map(String::as_str)
            .filter(|f| *f == "pom.xml" || f.ends_with("/pom.xml"))
            .collect();
        return Err(format!(
            "the build context has no {} (module=\"{module}\", which defaults to the spec's folder): {}{}",
            pom_at(&module),
            if poms.is_empty() {
                "it has no pom.xml at all".to_string()
            } else {
                format!("the poms here are {}", poms.join(", "))
            },
            if listed.contains("pom.xml") {
                "; module=\".\" builds the project at the context's root"
            } else {
                ""
            }
        ));
    }
    let Some(top) = candidates.first() else {
        // No pom at the root: the template says what is missing.
        return Ok(None);
    };
    if !parsed.contains_key(&pom_at(top)) {
        // Listed but not read (a spec checked without contents): assume the
        // context's root is the reactor and every listed pom belongs to it.
        if module.is_empty() {
            return Ok(None);
        }
        let root = top.clone();
        let poms = files
            .iter()
            .filter(|f| (*f == "pom.xml" || f.ends_with("/pom.xml")) && f.starts_with(&root))
            .map(|f| Copy {
                path: f.clone(),
                to: to_dir(below(&root, parent(f))),
            })
            .collect();
        return Ok(Some(Reactor {
            pl: below(&root, &module).to_string(),
            sources: vec![source(&root, &module)],
            poms,
            modules: Vec::new(),
            aggregator: false,
            known: false,
            root,
            module,
        }));
    }
    let module_pom = pom_at(&module);
    for root in &candidates {
        let walk = walk(&pom_at(root), &parsed, &listed);
        if !walk.members.contains(&module_pom) {
            // An outer reactor that does not list the module: fine for a
            // project of its own, not when it needs that reactor's modules.
            if let Some(Ok(own)) = parsed.get(&module_pom) {
                let built: BTreeMap<(Option<String>, String), &String> = walk
                    .members
                    .iter()
                    .filter_map(|p| match parsed.get(p) {
                        Some(Ok(m)) => Some(((m.group.clone(), m.artifact.clone()), p)),
                        _ => None,
                    })
                    .collect();
                let needs = own.deps.iter().find_map(|(g, a)| {
                    let g = own.resolve_group(g);
                    built
                        .iter()
                        .find(|((bg, ba), _)| ba == a && (g.is_none() || *bg == g))
                        .map(|(_, p)| (a.clone(), (*p).clone()))
                });
                if let Some((artifact, from)) = needs {
                    return Err(format!(
                        "{module_pom} is not a module of the reactor of {}, yet it depends on `{artifact}`, which {from} builds there: add <module>{}</module> to the <modules> of {}",
                        pom_at(root),
                        below(root, &module),
                        pom_at(root)
                    ));
                }
            }
            continue;
        }
        if let Some((lister, written, expected)) = walk.missing.first() {
            return Err(format!(
                "{lister} lists the module `{written}`, but the build context has no {expected}: Maven reads every module of the reactor, even with -pl; add it to the context (check the context's ignore patterns), or remove that <module>"
            ));
        }
        if let Some((path, why)) = walk.broken.first() {
            return Err(format!(
                "{path} is not valid XML ({why}): Maven cannot read it either"
            ));
        }
        let own = match parsed.get(&module_pom) {
            Some(Ok(p)) => p.clone(),
            _ => Pom::default(),
        };
        let aggregator = !own.modules.is_empty();
        if module.is_empty() && !aggregator {
            return Ok(None);
        }
        let sources = needed(&module_pom, &walk.members, &parsed, &listed)?
            .into_iter()
            .map(|pom| source(root, parent(&pom)))
            .collect();
        let mut poms: Vec<String> = walk.members.clone();
        for p in parents(root, &walk.members, &parsed, &listed) {
            if !poms.contains(&p) {
                poms.push(p);
            }
        }
        let modules = walk.members[1..]
            .iter()
            .map(|p| below(root, parent(p)).to_string())
            .collect();
        return Ok(Some(Reactor {
            root: root.clone(),
            pl: below(root, &module).to_string(),
            poms: poms
                .iter()
                .map(|p| Copy {
                    path: p.clone(),
                    to: to_dir(below(root, parent(p))),
                })
                .collect(),
            sources,
            modules,
            aggregator,
            known: true,
            module,
        }));
    }
    // The module's own pom is always a candidate whose walk lists it.
    Err(format!("{module_pom} could not be read as a Maven project"))
}

fn source(root: &str, dir: &str) -> Copy {
    Copy {
        path: if dir.is_empty() {
            ".".to_string()
        } else {
            format!("{dir}/")
        },
        to: to_dir(below(root, dir)),
    }
}

/// The poms of a reactor, root first, and what is wrong with it.
struct Walk {
    members: Vec<String>,
    /// (pom that lists it, the `<module>` as written, the pom expected).
    missing: Vec<(String, String, String)>,
    /// (pom, parse error).
    broken: Vec<(String, String)>,
}

fn walk(
    root_pom: &str,
    parsed: &BTreeMap<String, Result<Pom, String>>,
    listed: &BTreeSet<&str>,
) -> Walk {
    let mut out = Walk {
        members: Vec::new(),
        missing: Vec::new(),
        broken: Vec::new(),
    };
    let mut queue = vec![root_pom.to_string()];
    while let Some(pom) = queue.pop() {
        if out.members.contains(&pom) {
            continue;
        }
        out.members.push(pom.clone());
        let modules = match parsed.get(&pom) {
            Some(Ok(p)) => p.modules.clone(),
            Some(Err(e)) => {
                out.broken.push((pom.clone(), e.clone()));
                continue;
            }
            None => continue,
        };
        let dir = parent(&pom).to_string();
        // In the order written (the queue pops from the end).
        for m in modules.iter().rev() {
            let expected = match join(&dir, m) {
                Some(p) if p.ends_with(".xml") => p,
                Some(d) if d.is_empty() => "pom.xml".to_string(),
                Some(d) => format!("{d}/pom.xml"),
                None => {
                    out.missing.push((
                        pom.clone(),
                        m.clone(),
                        format!("{m} (outside the context)"),
                    ));
                    continue;
                }
            };
            if listed.contains(expected.as_str()) {
                queue.push(expected);
            } else {
                out.missing.push((pom.clone(), m.clone(), expected));
            }
        }
    }
    out.missing.reverse();
    out
}

/// Parent poms found by `relativePath` that are not modules: Maven reads
/// them from the context too.
fn parents(
    root: &str,
    members: &[String],
    parsed: &BTreeMap<String, Result<Pom, String>>,
    listed: &BTreeSet<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut queue: Vec<String> = members.to_vec();
    while let Some(pom) = queue.pop() {
        let Some(Ok(p)) = parsed.get(&pom) else {
            continue;
        };
        let Some((artifact, Some(rel))) = &p.parent else {
            continue;
        };
        let Some(mut path) = join(parent(&pom), rel) else {
            continue;
        };
        if !path.ends_with(".xml") {
            path = if path.is_empty() {
                "pom.xml".to_string()
            } else {
                format!("{path}/pom.xml")
            };
        }
        let same = matches!(parsed.get(&path), Some(Ok(pp)) if pp.artifact == *artifact);
        let inside = root.is_empty() || path.starts_with(&format!("{root}/"));
        if same
            && inside
            && listed.contains(path.as_str())
            && !members.contains(&path)
            && !out.contains(&path)
        {
            out.push(path.clone());
            queue.push(path);
        }
    }
    out
}

/// The poms of the modules `module_pom` needs (itself last), dependencies
/// first; aggregators (`pom` packaging) make no sources and are left out
/// unless it is the module itself.
fn needed(
    module_pom: &str,
    members: &[String],
    parsed: &BTreeMap<String, Result<Pom, String>>,
    listed: &BTreeSet<&str>,
) -> Result<Vec<String>, String> {
    let by_coords =
        |poms: &mut dyn Iterator<Item = &String>| -> Vec<(Option<String>, String, String)> {
            poms.filter_map(|p| match parsed.get(p) {
                Some(Ok(m)) => Some((m.group.clone(), m.artifact.clone(), p.clone())),
                _ => None,
            })
            .collect()
        };
    let built = by_coords(&mut members.iter());
    let elsewhere = by_coords(
        &mut parsed
            .keys()
            .filter(|p| !members.contains(p) && listed.contains(p.as_str())),
    );
    let mut out: Vec<String> = Vec::new();
    let mut on_path: Vec<String> = Vec::new();
    visit(
        module_pom,
        parsed,
        &built,
        &elsewhere,
        &mut out,
        &mut on_path,
    )?;
    Ok(out
        .into_iter()
        .filter(|p| {
            p == module_pom || !matches!(parsed.get(p), Some(Ok(m)) if m.packaging == "pom")
        })
        .collect())
}

type Coords = [(Option<String>, String, String)];

fn visit(
    pom: &str,
    parsed: &BTreeMap<String, Result<Pom, String>>,
    built: &Coords,
    elsewhere: &Coords,
    out: &mut Vec<String>,
    on_path: &mut Vec<String>,
) -> Result<(), String> {
    if out.iter().any(|p| p == pom) || on_path.iter().any(|p| p == pom) {
        return Ok(());
    }
    on_path.push(pom.to_string());
    if let Some(Ok(p)) = parsed.get(pom) {
        for (g, a) in &p.deps {
            let group = p.resolve_group(g);
            let matches = |c: &&(Option<String>, String, String)| {
                c.1 == *a && (group.is_none() || c.0 == group)
            };
            if let Some((_, _, dep)) = built.iter().find(matches) {
                visit(dep, parsed, built, elsewhere, out, on_path)?;
            } else if let Some((_, _, at)) = elsewhere.iter().find(matches) {
                let dir = parent(at);
                return Err(format!(
                    "{pom} depends on `{}:{a}`, which {at} builds, but no <modules> of the reactor lists {}: add <module>{}</module> to the root pom's <modules> (Maven would look for it in a repository and fail)",
                    group.as_deref().unwrap_or(g),
                    if dir.is_empty() { "." } else { dir },
                    if dir.is_empty() { "." } else { dir },
                ));
            }
        }
    }
    on_path.pop();
    out.push(pom.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>shop</artifactId>
  <version>1.0.0-SNAPSHOT</version>
  <packaging>pom</packaging>
  <modules>
    <module>libs</module>
    <module>services/orders</module>
    <module>services/billing</module>
    <!-- <module>legacy</module> -->
  </modules>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>billing</artifactId></dependency>
  </dependencies></dependencyManagement>
</project>"#;
    const LIBS: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>shop</artifactId></parent>
<artifactId>libs</artifactId><packaging>pom</packaging>
<modules><module>common</module><module>money/pom.xml</module></modules></project>"#;
    const COMMON: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>libs</artifactId></parent>
<artifactId>common</artifactId>
<dependencies><dependency><groupId>${project.groupId}</groupId><artifactId>money</artifactId></dependency></dependencies></project>"#;
    const MONEY: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>libs</artifactId></parent>
<artifactId>money</artifactId></project>"#;
    const ORDERS: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>shop</artifactId><relativePath>../../pom.xml</relativePath></parent>
<artifactId>orders</artifactId>
<dependencies>
  <dependency><groupId>com.acme</groupId><artifactId>common</artifactId></dependency>
  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
</dependencies>
<build><plugins><plugin><artifactId>x</artifactId><dependencies><dependency><groupId>com.acme</groupId><artifactId>billing</artifactId></dependency></dependencies></plugin></plugins></build>
</project>"#;
    const BILLING: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>shop</artifactId><relativePath>../../pom.xml</relativePath></parent>
<artifactId>billing</artifactId></project>"#;

    fn repo(extra: &[(&str, &str)], drop: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
        let mut all = vec![
            ("pom.xml", ROOT),
            ("libs/pom.xml", LIBS),
            ("libs/common/pom.xml", COMMON),
            ("libs/money/pom.xml", MONEY),
            ("services/orders/pom.xml", ORDERS),
            ("services/billing/pom.xml", BILLING),
        ];
        all.retain(|(p, _)| !drop.contains(p));
        all.extend_from_slice(extra);
        let files = all.iter().map(|(p, _)| p.to_string()).collect();
        let contents = all
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        (files, contents)
    }

    fn paths(copies: &[Copy]) -> Vec<(&str, &str)> {
        copies
            .iter()
            .map(|c| (c.path.as_str(), c.to.as_str()))
            .collect()
    }

    #[test]
    fn a_module_needs_the_siblings_it_depends_on_transitively() {
        let (files, contents) = repo(&[], &[]);
        let r = reactor(&files, &contents, "./services/orders/")
            .expect("builds")
            .expect("a reactor");
        assert_eq!(r.root, "");
        assert_eq!(r.pl, "services/orders");
        assert!(!r.aggregator && r.known);
        // Every pom of the reactor (Maven reads them all, even with -pl).
        assert_eq!(
            paths(&r.poms),
            [
                ("pom.xml", "./"),
                ("libs/pom.xml", "./libs/"),
                ("libs/common/pom.xml", "./libs/common/"),
                ("libs/money/pom.xml", "./libs/money/"),
                ("services/orders/pom.xml", "./services/orders/"),
                ("services/billing/pom.xml", "./services/billing/"),
            ]
        );
        // Sources: money (through common's ${project.groupId}), common,
        // orders; not billing (only in dependencyManagement and a plugin's
        // dependencies), not the `libs` aggregator.
        assert_eq!(
            paths(&r.sources),
            [
                ("libs/money/", "./libs/money/"),
                ("libs/common/", "./libs/common/"),
                ("services/orders/", "./services/orders/"),
            ]
        );
        assert_eq!(
            r.modules,
            [
                "libs",
                "libs/common",
                "libs/money",
                "services/orders",
                "services/billing"
            ]
        );
        let billing = reactor(&files, &contents, "services/billing")
            .expect("builds")
            .expect("a reactor");
        assert_eq!(
            paths(&billing.sources),
            [("services/billing/", "./services/billing/")]
        );
    }

    #[test]
    fn the_root_alone_is_a_plain_project_or_an_aggregator_to_choose_from() {
        let single = (
            vec!["pom.xml".to_string()],
            BTreeMap::from([(
                "pom.xml".to_string(),
                "<project><artifactId>a</artifactId></project>".to_string(),
            )]),
        );
        assert_eq!(reactor(&single.0, &single.1, ""), Ok(None));
        let (files, contents) = repo(&[], &[]);
        let r = reactor(&files, &contents, "")
            .expect("ok")
            .expect("reactor");
        assert!(r.aggregator, "{r:?}");
        assert_eq!(r.pl, "");
        // No file list at all: nothing to say, or the module assumed.
        assert_eq!(reactor(&[], &BTreeMap::new(), ""), Ok(None));
        let assumed = reactor(&[], &BTreeMap::new(), "services/orders")
            .expect("ok")
            .expect("assumed");
        assert!(!assumed.known);
        assert_eq!(assumed.pl, "services/orders");
        assert_eq!(
            paths(&assumed.poms),
            [
                ("pom.xml", "./"),
                ("services/orders/pom.xml", "./services/orders/")
            ]
        );
        // A root pom that is not XML: the build reports it.
        let broken = (
            vec!["pom.xml".to_string()],
            BTreeMap::from([("pom.xml".to_string(), String::new())]),
        );
        assert_eq!(reactor(&broken.0, &broken.1, ""), Ok(None));
    }

    #[test]
    fn a_standalone_project_in_a_subfolder_is_its_own_reactor() {
        let files = vec!["apps/api/pom.xml".to_string()];
        let contents = BTreeMap::from([(
            "apps/api/pom.xml".to_string(),
            "<project><artifactId>api</artifactId></project>".to_string(),
        )]);
        let r = reactor(&files, &contents, "apps/api")
            .expect("ok")
            .expect("reactor");
        assert_eq!(r.root, "apps/api");
        assert_eq!(r.pl, "");
        assert_eq!(paths(&r.poms), [("apps/api/pom.xml", "./")]);
        assert_eq!(paths(&r.sources), [("apps/api/", "./")]);
    }

    #[test]
    fn shapes_maven_cannot_build_are_refused_with_the_fix() {
        // A module listed whose pom is not in the context.
        let (files, contents) = repo(&[], &["services/billing/pom.xml"]);
        let e = reactor(&files, &contents, "services/orders").expect_err("missing");
        assert!(
            e.contains("pom.xml lists the module `services/billing`")
                && e.contains("no services/billing/pom.xml"),
            "{e}"
        );
        // A sibling the service needs that no aggregator lists.
        let root_without_libs = ROOT.replace("<module>libs</module>", "");
        let (files, contents) = repo(&[("pom.xml", &root_without_libs)], &["pom.xml"]);
        let e = reactor(&files, &contents, "services/orders").expect_err("not listed");
        assert!(
            e.contains("depends on `com.acme:common`")
                && e.contains("libs/common/pom.xml builds")
                && e.contains("<module>libs/common</module>"),
            "{e}"
        );
        // The service itself not listed, though it needs the reactor.
        let root_without_orders = ROOT.replace("<module>services/orders</module>", "");
        let (files, contents) = repo(&[("pom.xml", &root_without_orders)], &["pom.xml"]);
        let e = reactor(&files, &contents, "services/orders").expect_err("not a module");
        assert!(
            e.contains("services/orders/pom.xml is not a module of the reactor of pom.xml")
                && e.contains("<module>services/orders</module>"),
            "{e}"
        );
        // A module folder without a pom.
        let (files, contents) = repo(&[], &[]);
        let e = reactor(&files, &contents, "services/ordrs").expect_err("no pom");
        assert!(
            e.contains("no services/ordrs/pom.xml")
                && e.contains("services/orders/pom.xml")
                && e.contains("module=\".\" builds the project at the context's root"),
            "{e}"
        );
        // Broken XML in the reactor.
        let (files, contents) = repo(
            &[("services/billing/pom.xml", "<project>")],
            &["services/billing/pom.xml"],
        );
        let e = reactor(&files, &contents, "services/orders").expect_err("broken");
        assert!(
            e.contains("services/billing/pom.xml is not valid XML"),
            "{e}"
        );
    }

    #[test]
    fn without_contents_the_root_is_assumed() {
        let files = vec!["pom.xml".to_string(), "app/pom.xml".to_string()];
        let r = reactor(&files, &BTreeMap::new(), "app")
            .expect("ok")
            .expect("reactor");
        assert!(!r.known);
        assert_eq!(r.pl, "app");
        assert_eq!(
            paths(&r.poms),
            [("pom.xml", "./"), ("app/pom.xml", "./app/")]
        );
        assert_eq!(paths(&r.sources), [("app/", "./app/")]);
    }

    #[test]
    fn parent_poms_outside_the_modules_are_read_too() {
        let files = vec!["parent/pom.xml".to_string(), "app/pom.xml".to_string()];
        let contents = BTreeMap::from([
            (
                "parent/pom.xml".to_string(),
                "<project><groupId>g</groupId><artifactId>parent</artifactId><packaging>pom</packaging></project>".to_string(),
            ),
            (
                "app/pom.xml".to_string(),
                "<project><parent><groupId>g</groupId><artifactId>parent</artifactId><relativePath>../parent</relativePath></parent><artifactId>app</artifactId></project>".to_string(),
            ),
        ]);
        // A standalone app whose parent sits beside it: root is `app`, and
        // the parent lies outside the root: it is not copied (a build of
        // `app` alone would look for it in a repository).
        let r = reactor(&files, &contents, "app")
            .expect("ok")
            .expect("reactor");
        assert_eq!(r.root, "app");
        assert_eq!(paths(&r.poms), [("app/pom.xml", "./")]);
        // Inside the reactor's folder, it is copied.
        let files = vec![
            "pom.xml".to_string(),
            "build/parent/pom.xml".to_string(),
            "app/pom.xml".to_string(),
        ];
        let contents = BTreeMap::from([
            (
                "pom.xml".to_string(),
                "<project><groupId>g</groupId><artifactId>root</artifactId><modules><module>app</module></modules></project>".to_string(),
            ),
            (
                "build/parent/pom.xml".to_string(),
                "<project><groupId>g</groupId><artifactId>parent</artifactId><packaging>pom</packaging></project>".to_string(),
            ),
            (
                "app/pom.xml".to_string(),
                "<project><parent><groupId>g</groupId><artifactId>parent</artifactId><relativePath>../build/parent/pom.xml</relativePath></parent><artifactId>app</artifactId></project>".to_string(),
            ),
        ]);
        let r = reactor(&files, &contents, "app")
            .expect("ok")
            .expect("reactor");
        assert_eq!(
            paths(&r.poms),
            [
                ("pom.xml", "./"),
                ("app/pom.xml", "./app/"),
                ("build/parent/pom.xml", "./build/parent/")
            ]
        );
    }
}
