//! Gradle multi-project builds: the projects `settings.gradle(.kts)`
//! includes (`include(":app", ":libs:common")`, `include 'app'`, a
//! `project(":x").projectDir = file("...")` moving one), and the projects
//! a service's project depends on (`project(":libs:common")`,
//! `project(path: ":x")`, transitively), so the java preset copies every
//! build file first (Gradle configures every included project) and only
//! the needed projects' sources, and builds `:services:orders:...`.
//!
//! Build scripts are programs; this reads the common literal forms, line
//! by line, and nothing computed.

use super::{ancestors, below, clean_dir, join, parent, to_dir};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

const SETTINGS: &[&str] = &["settings.gradle.kts", "settings.gradle"];
const BUILD: &[&str] = &["build.gradle.kts", "build.gradle"];

/// The multi-project build a service's project belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Build {
    /// The root folder (where the settings file is) in the build context.
    pub root: String,
    /// The settings file.
    pub settings: String,
    /// The service's Gradle project path (`:services:orders`; "" for the
    /// root project).
    pub project: String,
    /// Every included project's build file (and the root's), with its
    /// destination below the root.
    pub build_files: Vec<super::maven::Copy>,
    /// The folders of the projects the service needs, itself last.
    pub sources: Vec<super::maven::Copy>,
    /// Every included project path.
    pub projects: Vec<String>,
    /// The folders of included builds (`includeBuild("build-logic")`:
    /// convention plugins), copied whole with the build files.
    pub included_builds: Vec<super::maven::Copy>,
}

/// `line` without its `//` comment (one outside quotes).
fn code(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '/') if line[i + 1..].starts_with('/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The string literals of `text` ('...' or "...").
fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<(char, String)> = None;
    for c in text.chars() {
        match &mut current {
            None if c == '"' || c == '\'' => current = Some((c, String::new())),
            None => {}
            Some((q, s)) if c == *q => {
                out.push(std::mem::take(s));
                current = None;
            }
            Some((_, s)) => s.push(c),
        }
    }
    out
}

/// `app`, `:app`, `:libs:common` → `:app`, `:libs:common`.
fn project_path(written: &str) -> String {
    let p = written.trim();
    if p.starts_with(':') {
        p.to_string()
    } else {
        format!(":{p}")
    }
}

/// The folder of a project path by Gradle's default (`:libs:common` →
/// `libs/common`), below the root.
fn default_dir(path: &str) -> String {
    path.trim_start_matches(':').replace(':', "/")
}

/// The folders of `includeBuild(...)` in a settings file, below the root.
fn included_builds(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| code(l).trim())
        .filter_map(|l| {
            l.find("includeBuild")
                .map(|i| &l[i + "includeBuild".len()..])
        })
        .filter_map(|rest| literals(rest).into_iter().next())
        .map(|d| clean_dir(&d))
        .collect()
}

/// Included projects (path → folder below the root) of a settings file.
fn settings(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut moved: Vec<(String, String)> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let l = code(line).trim();
        // `include(` may continue on the next lines up to its `)`.
        if !pending.is_empty() {
            pending.push_str(l);
            if l.contains(')') {
                for p in literals(&pending) {
                    let p = project_path(&p);
                    out.insert(p.clone(), default_dir(&p));
                }
                pending.clear();
            }
            continue;
        }
        if let Some(rest) = l
            .strip_prefix("include")
            .filter(|r| !r.starts_with("Build"))
        {
            if rest.starts_with('(') && !rest.contains(')') {
                pending = rest.to_string();
                continue;
            }
            if rest.starts_with(['(', ' ', '\'', '"']) {
                for p in literals(rest) {
                    let p = project_path(&p);
                    out.insert(p.clone(), default_dir(&p));
                }
            }
        } else if l.starts_with("project(") && l.contains("projectDir") {
            let lits = literals(l);
            if let [p, dir, ..] = lits.as_slice() {
                moved.push((project_path(p), clean_dir(dir)));
            }
        }
    }
    for (p, dir) in moved {
        if let Some(d) = out.get_mut(&p) {
            *d = dir;
        }
    }
    out
}

/// Project paths a build file depends on (`project(":x")`,
/// `project(path: ":x")`).
fn project_deps(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let l = code(line);
        let mut rest = l;
        while let Some(i) = rest.find("project(") {
            let after = &rest[i + "project(".len()..];
            let inner = after.split(')').next().unwrap_or("");
            if let Some(p) = literals(inner).into_iter().find(|p| p.starts_with(':')) {
                out.push(p);
            }
            rest = after;
        }
    }
    out
}

fn build_file(listed: &BTreeSet<&str>, dir: &str) -> Option<String> {
    BUILD.iter().find_map(|b| {
        let p = if dir.is_empty() {
            (*b).to_string()
        } else {
            format!("{dir}/{b}")
        };
        listed.contains(p.as_str()).then_some(p)
    })
}

/// The build that holds `dir` (a folder of the build context): `Ok(None)`
/// when the settings file includes no project (a single-project build) or
/// its text is unknown; `Err` with the fix for a shape Gradle cannot build.
pub fn build(
    files: &[String],
    contents: &BTreeMap<String, String>,
    dir: &str,
) -> Result<Option<Build>, String> {
    let dir = clean_dir(dir);
    if files.is_empty() && !dir.is_empty() {
        // No file list (a spec checked on its own): assume a settings file
        // at the root that includes the project by its folder.
        let project = format!(":{}", dir.replace('/', ":"));
        return Ok(Some(Build {
            root: String::new(),
            settings: "settings.gradle.kts".to_string(),
            build_files: vec![super::maven::Copy {
                path: format!("{dir}/build.gradle*"),
                to: to_dir(&dir),
            }],
            sources: vec![super::maven::Copy {
                path: format!("{dir}/"),
                to: to_dir(&dir),
            }],
            projects: vec![project.clone()],
            included_builds: Vec::new(),
            project,
        }));
    }
    let listed: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let Some((root, settings_file)) = ancestors(&dir).into_iter().find_map(|a| {
        SETTINGS.iter().find_map(|s| {
            let p = if a.is_empty() {
                (*s).to_string()
            } else {
                format!("{a}/{s}")
            };
            listed.contains(p.as_str()).then(|| (a.clone(), p))
        })
    }) else {
        return Ok(None);
    };
    let Some(text) = contents.get(&settings_file) else {
        return Ok(None);
    };
    let included = settings(text);
    if included.is_empty() {
        return Ok(None);
    }
    // Project path → folder in the context.
    let folders: BTreeMap<String, String> = included
        .iter()
        .filter_map(|(p, d)| Some((p.clone(), join(&root, d)?)))
        .collect();
    let project = if dir == root {
        String::new()
    } else {
        match folders.iter().find(|(_, d)| **d == dir) {
            Some((p, _)) => p.clone(),
            None => {
                let want = format!(":{}", below(&root, &dir).replace('/', ":"));
                return Err(format!(
                    "{settings_file} does not include the project in {dir}: add include(\"{want}\") to it (the projects it includes are {})",
                    included.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    };
    let mut build_files: Vec<String> = Vec::new();
    if let Some(b) = build_file(&listed, &root) {
        build_files.push(b);
    }
    for d in folders.values() {
        if let Some(b) = build_file(&listed, d) {
            if !build_files.contains(&b) {
                build_files.push(b);
            }
        }
    }
    // The projects the service needs, dependencies first.
    let mut needed: Vec<String> = Vec::new();
    let mut stack: Vec<(String, bool)> = vec![(project.clone(), false)];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while let Some((p, done)) = stack.pop() {
        if done {
            if !needed.contains(&p) {
                needed.push(p);
            }
            continue;
        }
        if !seen.insert(p.clone()) {
            continue;
        }
        stack.push((p.clone(), true));
        let folder = if p.is_empty() {
            root.clone()
        } else {
            folders.get(&p).cloned().unwrap_or_default()
        };
        let Some(text) = build_file(&listed, &folder).and_then(|b| contents.get(&b)) else {
            continue;
        };
        for dep in project_deps(text).into_iter().rev() {
            if !folders.contains_key(&dep) {
                let from = build_file(&listed, &folder).unwrap_or_default();
                return Err(format!(
                    "{from} depends on project(\"{dep}\"), which {settings_file} does not include: add include(\"{dep}\") to it"
                ));
            }
            stack.push((dep, false));
        }
    }
    let sources = needed
        .iter()
        .map(|p| {
            let folder = if p.is_empty() {
                root.clone()
            } else {
                folders.get(p).cloned().unwrap_or_default()
            };
            super::maven::Copy {
                path: if folder.is_empty() {
                    ".".to_string()
                } else {
                    format!("{folder}/")
                },
                to: to_dir(below(&root, &folder)),
            }
        })
        .collect();
    Ok(Some(Build {
        build_files: build_files
            .iter()
            .map(|b| super::maven::Copy {
                path: b.clone(),
                to: to_dir(below(&root, parent(b))),
            })
            .collect(),
        sources,
        projects: included.keys().cloned().collect(),
        included_builds: included_builds(text)
            .iter()
            .filter_map(|d| join(&root, d))
            .filter(|d| files.iter().any(|f| f.starts_with(&format!("{d}/"))))
            .map(|d| super::maven::Copy {
                path: format!("{d}/"),
                to: to_dir(below(&root, &d)),
            })
            .collect(),
        project,
        settings: settings_file,
        root,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(all: &[(&str, &str)]) -> (Vec<String>, BTreeMap<String, String>) {
        (
            all.iter().map(|(p, _)| p.to_string()).collect(),
            all.iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        )
    }

    const SETTINGS_KTS: &str = "rootProject.name = \"shop\"\n// include(\":legacy\")\ninclude(\n    \":services:orders\",\n    \":services:billing\",\n)\ninclude(\":libs:common\", \":libs:money\")\nproject(\":libs:money\").projectDir = file(\"third_party/money\")\n";

    #[test]
    fn settings_and_project_dependencies() {
        let s = settings(SETTINGS_KTS);
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            [
                (":libs:common".to_string(), "libs/common".to_string()),
                (":libs:money".to_string(), "third_party/money".to_string()),
                (
                    ":services:billing".to_string(),
                    "services/billing".to_string()
                ),
                (
                    ":services:orders".to_string(),
                    "services/orders".to_string()
                ),
            ]
        );
        assert_eq!(
            included_builds(
                "pluginManagement { includeBuild(\"build-logic\") }\nincludeBuild 'tools/gen'\n"
            ),
            ["build-logic", "tools/gen"]
        );
        assert!(settings("includeBuild(\"build-logic\")\n").is_empty());
        let groovy = settings("include 'app', 'lib'\ninclude ':tools:gen'\n");
        assert_eq!(
            groovy.keys().cloned().collect::<Vec<_>>(),
            [":app", ":lib", ":tools:gen"]
        );
        assert_eq!(
            project_deps(
                "dependencies {\n  implementation(project(\":libs:common\"))\n  api project(path: ':libs:money', configuration: 'x')\n  // implementation(project(\":old\"))\n}\n"
            ),
            [":libs:common", ":libs:money"]
        );
    }

    #[test]
    fn a_project_needs_the_projects_it_depends_on() {
        let (files, contents) = repo(&[
            ("settings.gradle.kts", SETTINGS_KTS),
            ("build.gradle.kts", "plugins { java }\n"),
            (
                "services/orders/build.gradle.kts",
                "dependencies { implementation(project(\":libs:common\")) }\n",
            ),
            ("services/billing/build.gradle.kts", ""),
            (
                "libs/common/build.gradle.kts",
                "dependencies { api(project(\":libs:money\")) }\n",
            ),
            ("third_party/money/build.gradle.kts", ""),
        ]);
        let b = build(&files, &contents, "services/orders")
            .expect("ok")
            .expect("a build");
        assert_eq!(b.root, "");
        assert_eq!(b.project, ":services:orders");
        let paths = |c: &[super::super::maven::Copy]| {
            c.iter()
                .map(|c| (c.path.clone(), c.to.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            paths(&b.sources),
            [
                (
                    "third_party/money/".to_string(),
                    "./third_party/money/".to_string()
                ),
                ("libs/common/".to_string(), "./libs/common/".to_string()),
                (
                    "services/orders/".to_string(),
                    "./services/orders/".to_string()
                ),
            ]
        );
        assert_eq!(b.build_files.len(), 5, "{:?}", b.build_files);
        assert_eq!(b.build_files[0].path, "build.gradle.kts");

        // Not included, or depending on what is not included.
        let e = build(&files, &contents, "services/payments").expect_err("not included");
        assert!(e.contains("add include(\":services:payments\")"), "{e}");
        let (files, contents) = repo(&[
            ("settings.gradle", "include 'app'\n"),
            (
                "app/build.gradle",
                "dependencies { implementation project(':lib') }\n",
            ),
        ]);
        let e = build(&files, &contents, "app").expect_err("lib not included");
        assert!(
            e.contains("app/build.gradle depends on project(\":lib\")")
                && e.contains("add include(\":lib\")"),
            "{e}"
        );
        // No file list: the project assumed at its folder.
        let assumed = build(&[], &BTreeMap::new(), "services/orders")
            .expect("ok")
            .expect("assumed");
        assert_eq!(assumed.project, ":services:orders");
        assert_eq!(assumed.build_files[0].path, "services/orders/build.gradle*");
        // A single-project build: nothing to select.
        let (files, contents) = repo(&[("settings.gradle", "rootProject.name = 'x'\n")]);
        assert_eq!(build(&files, &contents, ""), Ok(None));
    }
}
