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
mod tests;
