//! Go: the main packages (folders whose `.go` files say `package main`)
//! and the port they name. The preset reads the Go version from go.mod.

use super::{Project, Proposal, Setting, Value, ports, sources};

pub(super) fn propose(project: &dyn Project) -> Proposal {
    let workspace = project.files().iter().any(|f| f == "go.work");
    let mut p = Proposal {
        preset: "go".into(),
        found_by: if workspace { "go.work" } else { "go.mod" }.into(),
        ..Proposal::default()
    };
    p.detected_by_preset
        .push("the Go version: the preset follows go.mod's `go`/`toolchain` line".into());
    let mains = main_packages(project);
    match mains.as_slice() {
        [] => p.notes.push(
            "no `package main` found: set `main` to the package that builds the service (e.g. \"./cmd/server\")".into(),
        ),
        _ => {
            p.runs = true;
            let why = mains
                .iter()
                .map(|(_, file)| format!("{file} (`package main`)"))
                .collect::<Vec<_>>()
                .join(", ");
            p.children.push(Setting::new(
                "main",
                mains.iter().map(|(m, _)| Value::Str(m.clone())).collect(),
                format!("main packages: {why}; each becomes an image named after its folder"),
            ));
        }
    }
    let files = mains.iter().flat_map(|(m, _)| {
        let dir = m.trim_start_matches("./").trim_start_matches('.');
        sources(project, ".go")
            .filter(move |f| parent(f) == dir.trim_end_matches('/') && !f.ends_with("_test.go"))
            .filter_map(|f| project.read(f).map(|t| (f.as_str(), t)))
    });
    match ports::one(files) {
        // A top-level port would go to every image: the preset refuses it.
        Ok(Some((port, why))) if mains.len() > 1 => p.notes.push(format!(
            "the port {port} ({why}) belongs to one binary: write that `main` with it, e.g. `main \"./cmd/api\" port={port}`"
        )),
        Ok(Some((port, why))) => p.children.push(Setting::new(
            "port",
            vec![Value::Int(u64::from(port))],
            format!("the port: {why}"),
        )),
        Ok(None) => p.notes.push(
            "no port found in the main packages: add `port N` if the service listens on one".into(),
        ),
        Err(several) => p.notes.push(format!(
            "the main packages name several ports ({}): add `port N` for the one the image exposes",
            join(&several)
        )),
    }
    p
}

/// `("./cmd/server", "cmd/server/main.go")` for every folder holding a
/// `package main` (the root as ".").
fn main_packages(project: &dyn Project) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for f in sources(project, ".go") {
        if f.ends_with("_test.go") {
            continue;
        }
        let dir = parent(f);
        if out.iter().any(|(d, _)| d == &package_path(dir)) {
            continue;
        }
        if project.read(f).is_some_and(|t| is_main(&t)) {
            out.push((package_path(dir), f.clone()));
        }
    }
    out.sort();
    out
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn package_path(dir: &str) -> String {
    if dir.is_empty() {
        ".".to_string()
    } else {
        format!("./{dir}")
    }
}

/// Whether Go source declares `package main` (its first package clause,
/// past comments and build constraints).
fn is_main(text: &str) -> bool {
    let mut in_block = false;
    for line in text.lines() {
        let line = line.trim();
        if in_block {
            in_block = !line.contains("*/");
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if line.starts_with("/*") {
            in_block = !line.contains("*/");
            continue;
        }
        return line
            .strip_prefix("package")
            .is_some_and(|rest| rest.split("//").next().map(str::trim) == Some("main"));
    }
    false
}

fn join(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::testing::Files;
    use super::*;

    #[test]
    fn every_main_package_and_its_port() {
        let p = Files::new(&[
            ("go.mod", "module x\n\ngo 1.23\n"),
            (
                "cmd/api/main.go",
                "// Command api.\npackage main\n\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n",
            ),
            (
                "cmd/worker/main.go",
                "/* worker\n*/\npackage main // the worker\n",
            ),
            ("cmd/worker/main_test.go", "package main\n"),
            ("internal/store/store.go", "package store\n"),
            ("vendor/x/y/main.go", "package main\n"),
        ]);
        let proposal = propose(&p);
        assert_eq!(proposal.children[0].name, "main");
        assert_eq!(
            proposal.children[0].values,
            vec![
                Value::Str("./cmd/api".into()),
                Value::Str("./cmd/worker".into())
            ]
        );
        // Two binaries: the port is one's, not every image's (a note).
        assert_eq!(proposal.children.len(), 1);
        assert!(
            proposal
                .notes
                .iter()
                .any(|n| n.contains("port 8080") && n.contains("cmd/api/main.go")),
            "{:?}",
            proposal.notes
        );
        // One binary: its port.
        let one = Files::new(&[
            ("go.mod", "module x\n"),
            (
                "main.go",
                "package main\n\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n",
            ),
        ]);
        let proposal = propose(&one);
        assert_eq!(proposal.children[1].values, vec![Value::Int(8080)]);
        assert!(proposal.children[1].why.contains("main.go"));
    }

    #[test]
    fn a_module_without_main_is_a_note() {
        let p = Files::new(&[("go.mod", "module x\n"), ("lib.go", "package lib\n")]);
        let proposal = propose(&p);
        assert!(proposal.children.is_empty());
        assert!(proposal.notes[0].contains("no `package main`"));
    }

    #[test]
    fn package_clauses() {
        assert!(is_main("package main\n"));
        assert!(is_main("//go:build linux\n\npackage main\n"));
        assert!(!is_main("package mainly\n"));
        assert!(!is_main("/* package main */\npackage lib\n"));
    }
}
