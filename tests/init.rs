//! `msbc init` (issue 23 item 1): a spec from the project's own files.
//! Every sample in `specs/` with its `build.kdl` removed gets a spec that
//! checks and compiles (and, with the engine, builds the same images the
//! hand-written spec builds); init never overwrites; `--check` says what
//! a fresh init would decide differently; a monorepo root lists services.

use crate::support::{copy_dir, msbc_in, root, scratch, spec_files};
use std::path::{Path, PathBuf};

/// A copy of `specs/NAME` without what msbc wrote or the user wrote for
/// it, in a folder of the test `test`'s own; for a spec that names its
/// build context (`context "../.."`, a workspace's member), the whole
/// context is copied and the member's folder returned.
fn bare_copy(test: &str, name: &str) -> PathBuf {
    let spec = root().join("specs").join(name);
    let mut context = spec.clone();
    for _ in 0..context_of(&spec.join("build.kdl")) {
        context.pop();
    }
    let member = spec
        .strip_prefix(&context)
        .expect("inside its context")
        .to_path_buf();
    let top = scratch(&format!("init/{test}/{}", name.replace('/', "-")));
    copy_dir(&context, &top);
    let dir = top.join(member);
    for f in [
        "build.kdl",
        "Dockerfile",
        "Dockerfile.dockerignore",
        "msbc.lock",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    dir
}

/// How many folders up a spec's `context "../.."` names (0 without one).
fn context_of(spec: &Path) -> usize {
    let text = std::fs::read_to_string(spec).unwrap_or_default();
    let Ok(doc) = text.parse::<kdl::KdlDocument>() else {
        return 0;
    };
    doc.nodes()
        .iter()
        .find(|n| n.name().value() == "context")
        .and_then(|n| n.entries().iter().find(|e| e.name().is_none()))
        .and_then(|e| e.value().as_string())
        .map_or(0, |dir| dir.split('/').filter(|p| *p == "..").count())
}

fn name_of(spec: &Path) -> String {
    spec.parent()
        .and_then(|p| p.strip_prefix(root().join("specs")).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// Samples init cannot start, and why (each is said by init itself).
const NO_PRESET: &[(&str, &str)] = &[
    ("rust-workspace", "no Rust preset"),
    ("platform-next/go", "a platform template's own sample"),
];

#[test]
fn every_sample_gets_a_spec_that_checks_and_compiles() {
    let mut done = 0;
    for spec in spec_files() {
        let name = name_of(&spec);
        if NO_PRESET.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let dir = bare_copy("every_sample_gets_a_spec", &name);
        let init = msbc_in(&dir, &["init"], None);
        // A repository's root (a Maven aggregator, a solution, a workspace):
        // init lists its services, and `--all` writes a spec in each.
        let written: Vec<PathBuf> = if init.status == 2 && init.stderr.contains("several services")
        {
            let all = msbc_in(&dir, &["init", "--all"], None);
            assert_eq!(all.status, 0, "{name}: msbc init --all: {}", all.stderr);
            all.stderr
                .lines()
                .filter_map(|l| l.strip_prefix("wrote "))
                .map(|l| dir.join(l.split(" (use").next().unwrap_or(l)))
                .collect()
        } else {
            assert_eq!(init.status, 0, "{name}: msbc init: {}", init.stderr);
            vec![dir.join("build.kdl")]
        };
        assert!(
            !written.is_empty(),
            "{name}: init wrote nothing: {}",
            init.stderr
        );
        for spec in written {
            let folder = spec.parent().expect("a folder");
            let check = msbc_in(folder, &["check"], None);
            assert_eq!(
                check.status,
                0,
                "{}: msbc check: {}",
                spec.display(),
                check.stderr
            );
            let compile = msbc_in(folder, &["compile", "-o", "Dockerfile"], None);
            assert_eq!(
                compile.status,
                0,
                "{}: msbc compile: {}",
                spec.display(),
                compile.stderr
            );
            // Formatted as `msbc fmt` would write it.
            msbc_in(folder, &["fmt", "--check", "build.kdl"], None).success();
            done += 1;
        }
    }
    assert!(done >= 20, "only {done} specs were written");
}

/// At a repository's root, init lists the services (libraries left out)
/// and `--all` writes one spec each, whose context is the root; a spec
/// already there is kept.
#[test]
fn a_repository_root_gets_one_spec_per_service() {
    let dir = bare_copy("a_repository_root_gets_on", "java/multimodule");
    msbc_in(&dir, &["init"], None)
        .code(2)
        .stderr_has("services/billing")
        .stderr_has("services/orders")
        .stderr_lacks("libs/common");
    std::fs::write(dir.join("services/billing/build.kdl"), "msbc 1 // mine\n").expect("write");
    msbc_in(&dir, &["init", "--all"], None)
        .success()
        .stderr_has("billing/build.kdl exists: left as it is");
    assert_eq!(
        std::fs::read_to_string(dir.join("services/billing/build.kdl")).expect("read"),
        "msbc 1 // mine\n"
    );
    let orders = std::fs::read_to_string(dir.join("services/orders/build.kdl")).expect("written");
    assert!(orders.contains("context \"../..\""), "{orders}");
    // The same spec as the maintainers' root spec builds (module from the folder).
    let ours = msbc_in(&dir.join("services/orders"), &["compile"], None);
    assert_eq!(ours.status, 0, "{}", ours.stderr);
    assert!(
        ours.stdout.contains("-pl services/orders -am"),
        "{}",
        ours.stdout
    );
}

/// Where the hand-written spec sets exactly what init detects, both
/// compile to the same Dockerfile: init's choices are the maintainers'.
#[test]
fn init_decides_what_the_maintainers_wrote() {
    for name in ["go", "node/npm", "python/uv", "java/maven", "dotnet"] {
        let dir = bare_copy("init_decides_what_the_ma", name);
        msbc_in(&dir, &["init"], None).success();
        let ours = msbc_in(&dir, &["compile"], None);
        let theirs = msbc_in(&root().join("specs").join(name), &["compile"], None);
        assert_eq!(ours.status, 0, "{name}: {}", ours.stderr);
        assert_eq!(
            ours.stdout, theirs.stdout,
            "{name}: init's spec builds otherwise"
        );
    }
}

#[test]
fn init_never_overwrites_without_force() {
    let dir = bare_copy("init_never_overwrites_wi", "go");
    std::fs::write(dir.join("build.kdl"), "msbc 1 // mine\n").expect("write");
    msbc_in(&dir, &["init"], None)
        .code(2)
        .stderr_has("build.kdl exists")
        .stderr_has("--force");
    assert_eq!(
        std::fs::read_to_string(dir.join("build.kdl")).expect("read"),
        "msbc 1 // mine\n"
    );
    // --stdout prints and writes nothing.
    msbc_in(&dir, &["init", "--stdout"], None)
        .success()
        .stdout_has("main \"./cmd/server\"");
    assert_eq!(
        std::fs::read_to_string(dir.join("build.kdl")).expect("read"),
        "msbc 1 // mine\n"
    );
    msbc_in(&dir, &["init", "--force"], None).success();
    assert!(
        std::fs::read_to_string(dir.join("build.kdl"))
            .expect("read")
            .contains("use go")
    );
}

#[test]
fn init_check_says_what_changed_in_the_project() {
    let dir = bare_copy("init_check_says_what_cha", "go");
    msbc_in(&dir, &["init"], None).success();
    msbc_in(&dir, &["init", "--check"], None)
        .success()
        .stderr_has("nothing new");
    // The service moves to another port, and gains a second binary.
    let main = dir.join("cmd/server/main.go");
    let text = std::fs::read_to_string(&main).expect("read");
    std::fs::write(&main, text.replace("\"8080\"", "\"9090\"")).expect("write");
    msbc_in(&dir, &["init", "--check"], None)
        .code(1)
        .stderr_has("`port` is 8080 in the spec; the project now says 9090");
    // With two binaries the port is one binary's: no longer a top-level
    // `port` (the go preset refuses one with several `main`s).
    std::fs::create_dir_all(dir.join("cmd/worker")).expect("mkdir");
    std::fs::write(
        dir.join("cmd/worker/main.go"),
        "package main\n\nfunc main() {}\n",
    )
    .expect("write");
    msbc_in(&dir, &["init", "--check"], None)
        .code(1)
        .stderr_has("\"./cmd/worker\"");
}

#[test]
fn a_monorepo_root_lists_its_services_and_writes_nothing() {
    let dir = scratch("init/monorepo");
    for (path, text) in [
        (
            "package.json",
            r#"{"private": true, "workspaces": ["apps/*", "packages/*"]}"#,
        ),
        (
            "apps/api/package.json",
            r#"{"name": "api", "main": "server.js"}"#,
        ),
        ("apps/api/server.js", "app.listen(3000)"),
        (
            "apps/web/package.json",
            r#"{"name": "web", "scripts": {"start": "node web.js"}}"#,
        ),
        ("apps/web/web.js", "app.listen(3001)"),
        (
            "packages/shared/package.json",
            r#"{"name": "@acme/shared"}"#,
        ),
    ] {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        std::fs::write(file, text).expect("write");
    }
    msbc_in(&dir, &["init"], None)
        .code(2)
        .stderr_has("several services")
        .stderr_has("apps/api")
        .stderr_has("apps/web")
        .stderr_lacks("packages/shared");
    assert!(!dir.join("build.kdl").exists());
}

#[test]
fn an_existing_dockerignore_comes_into_the_spec() {
    let dir = bare_copy("an_existing_dockerignore", "go");
    std::fs::write(
        dir.join(".dockerignore"),
        "# local data\nlocal-dump.sql\n*.log\n",
    )
    .expect("write");
    msbc_in(&dir, &["init"], None).success();
    let spec = std::fs::read_to_string(dir.join("build.kdl")).expect("read");
    assert!(spec.contains("ignore \"local-dump.sql\""), "{spec}");
    msbc_in(&dir, &["compile", "-o", "Dockerfile"], None).success();
    let ignore = std::fs::read_to_string(dir.join("Dockerfile.dockerignore")).expect("read");
    assert!(ignore.lines().any(|l| l == "local-dump.sql"), "{ignore}");
}

#[test]
fn a_folder_no_preset_fits_says_how_to_start() {
    let dir = bare_copy("a_folder_no_preset_fits_", "rust-workspace");
    msbc_in(&dir, &["init"], None)
        .code(2)
        .stderr_has("no Rust preset")
        .stderr_has("msbc import");
    assert!(!dir.join("build.kdl").exists());
}

/// The specs init writes build the same images on the engine: the samples
/// that build offline (tests/spec_builds.rs), from their init'd spec.
#[test]
#[ignore = "needs the engine: tests/run.sh runs it when tests/engine/setup.sh has started msbc's dockerd"]
fn needs_engine_init_specs_build() {
    crate::support::needs_engine();
    for name in ["go", "go-orders", "node/npm", "python/pip"] {
        let dir = bare_copy("needs_engine_init_specs_", name);
        msbc_in(&dir, &["init"], None).success();
        msbc_in(
            &dir,
            &["compile", "--syntax", "none", "-o", "Dockerfile"],
            None,
        )
        .success();
        let tag = format!("msbc-init/{}:latest", name.replace('/', "-"));
        let out = std::process::Command::new("bash")
            .arg(root().join("tests/engine/build.sh"))
            .args(["Dockerfile", ".", &tag])
            .current_dir(&dir)
            .output()
            .expect("build.sh runs");
        let log = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: the init'd spec does not build:\n{log}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let image: serde_json::Value =
            serde_json::from_str(log.lines().last().unwrap_or("{}")).expect("a JSON line");
        let user = image["user"].as_str().unwrap_or("");
        assert!(
            !user.is_empty() && !user.starts_with("root") && !user.starts_with('0'),
            "{name}: runs as {user:?}"
        );
        assert!(
            image["exposed_ports"]
                .as_object()
                .is_some_and(|p| !p.is_empty()),
            "{name}: no port: {image}"
        );
    }
}
