//! Node.js: the entry script (package.json `main`, or the `start`
//! script's `node FILE`), a `build` script, a static site (a build and no
//! server), a health-check script, and the port the entry names. The
//! preset finds the package manager (lockfile) and the version
//! (.nvmrc, engines) by itself.

use super::{Project, Proposal, Refusal, Setting, Value, ports};
use serde_json::Value as Json;

pub(super) fn propose(project: &dyn Project) -> Result<Proposal, Refusal> {
    let mut p = Proposal {
        preset: "node".into(),
        found_by: "package.json".into(),
        ..Proposal::default()
    };
    let text = project.read("package.json").unwrap_or_default();
    let Ok(manifest) = serde_json::from_str::<Json>(&text) else {
        p.notes
            .push("package.json is not valid JSON: fix it, then run `msbc init` again".into());
        return Ok(p);
    };
    if workspaces(&manifest).is_some() {
        // A workspace's root: the members that run (libraries left out).
        let services = super::services(project);
        if !services.is_empty() {
            return Err(Refusal::Services(services));
        }
    }
    let has = |f: &str| project.files().iter().any(|x| x == f);
    let lockfile = [
        ("package-lock.json", "npm"),
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
    ]
    .into_iter()
    .find(|(f, _)| has(f));
    if let Some((file, pm)) = lockfile {
        p.detected_by_preset.push(format!(
            "the package manager, {pm}: the preset reads it from {file}"
        ));
    }
    p.detected_by_preset.push(
        "the Node.js version: the preset follows .nvmrc, .node-version or package.json `engines.node`".into(),
    );
    if lockfile.is_none() {
        p.notes.push("no lockfile: run `npm install` (or pnpm/yarn) and commit the lockfile; the install needs it".into());
    }
    let scripts = manifest.get("scripts");
    let script = |name: &str| scripts.and_then(|s| s.get(name)).and_then(Json::as_str);
    let entry = manifest
        .get("main")
        .and_then(Json::as_str)
        .filter(|m| has(m.trim_start_matches("./")))
        .map(|m| {
            (
                m.trim_start_matches("./").to_string(),
                "package.json `main`".to_string(),
            )
        })
        .or_else(|| {
            let start = script("start")?;
            let file = start.strip_prefix("node ")?.split_whitespace().last()?;
            has(file).then(|| {
                (
                    file.to_string(),
                    format!("package.json `start` (`{start}`)"),
                )
            })
        });
    let build = script("build");
    match (&entry, build) {
        (None, Some(b)) => {
            p.runs = true;
            p.properties.push(Setting::new(
                "static",
                vec![Value::Bool(true)],
                format!("a static site: package.json has a `build` script (`{b}`) and no server entry (`main` or `start`)"),
            ));
            p.notes.push("static=#true serves the build's `dist/` folder with nginx: set `dist` if the build writes elsewhere".into());
        }
        (Some((file, why)), _) => {
            p.runs = true;
            p.children.push(Setting::new(
                "main",
                vec![Value::Str(file.clone())],
                format!("the entry script: {why}"),
            ));
            if let Some(b) = build {
                p.children.push(Setting::new(
                    "build",
                    vec![Value::Str("build".into())],
                    format!("package.json has a `build` script (`{b}`), run after the sources are copied"),
                ));
                p.notes.push("the runtime gets everything the build leaves but node_modules: set `files` (e.g. \"dist\") to ship only the build's output".into());
            }
        }
        (None, None) => p.notes.push(
            "no entry script found (package.json `main` or a `start` script running `node FILE`): set `main`".into(),
        ),
    }
    if let Some((file, _)) = &entry {
        match ports::one(project.read(file).map(|t| (file.as_str(), t)).into_iter()) {
            Ok(Some((port, why))) => p.children.push(Setting::new(
                "port",
                vec![Value::Int(u64::from(port))],
                format!("the port: {why}"),
            )),
            Ok(None) => p.notes.push(format!(
                "no port found in {file}: add `port N` if the service listens on one"
            )),
            Err(several) => p.notes.push(format!(
                "{file} names several ports ({several:?}): add `port N` for the one the image exposes"
            )),
        }
        if has("healthcheck.js") {
            p.children.push(Setting::new(
                "healthcheck",
                vec![Value::Str("node healthcheck.js".into())],
                "healthcheck.js is in the project",
            ));
        }
    }
    Ok(p)
}

/// The `workspaces` globs of a root package.json (an array, or yarn's
/// `{ "packages": [...] }`).
fn workspaces(manifest: &Json) -> Option<Vec<String>> {
    let w = manifest.get("workspaces")?;
    let list = w.as_array().or_else(|| w.get("packages")?.as_array())?;
    Some(
        list.iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::Files;
    use super::*;

    #[test]
    fn the_entry_and_its_port() {
        let p = Files::new(&[
            (
                "package.json",
                r#"{"main": "server.js", "scripts": {"start": "node server.js"}}"#,
            ),
            ("package-lock.json", "{}"),
            (
                "server.js",
                "const port = Number(process.env.PORT || 3000);",
            ),
            ("healthcheck.js", ""),
        ]);
        let proposal = propose(&p).expect("a proposal");
        let names: Vec<&str> = proposal.children.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["main", "port", "healthcheck"]);
        assert_eq!(proposal.children[1].values, vec![Value::Int(3000)]);
        assert!(proposal.notes.is_empty(), "{:?}", proposal.notes);
    }

    #[test]
    fn a_build_without_a_server_is_a_static_site() {
        let p = Files::new(&[
            (
                "package.json",
                r#"{"scripts": {"build": "node build.mjs"}}"#,
            ),
            ("package-lock.json", "{}"),
        ]);
        let proposal = propose(&p).expect("a proposal");
        assert_eq!(proposal.properties[0].name, "static");
    }

    #[test]
    fn a_workspace_root_lists_its_services() {
        let p = Files::new(&[
            (
                "package.json",
                r#"{"workspaces": ["apps/*", "packages/*"]}"#,
            ),
            ("package-lock.json", "{}"),
            (
                "apps/api/package.json",
                r#"{"scripts": {"start": "node server.js"}}"#,
            ),
            ("apps/api/server.js", "app.listen(3000)"),
            ("packages/shared/package.json", r#"{"main": "index.js"}"#),
        ]);
        // The library (its `main` is not in the folder: nothing runs) is left out.
        assert_eq!(
            propose(&p),
            Err(Refusal::Services(vec![("apps/api".into(), "node".into())]))
        );
    }
}
