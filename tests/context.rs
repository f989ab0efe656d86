//! Context and spec apart (issue 21): a spec in a subfolder of a monorepo
//! names its build context (`context "../.."`, or `--context DIR`); project
//! files are read there and templates see the spec's folder as
//! `service_dir`. The context's own `.dockerignore` joins the spec's
//! `context` patterns in what msbc writes and in the LLB's context source.

use crate::support::{self, msbc_in};
use std::path::{Path, PathBuf};

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// An npm workspace at the root, the API's spec in `apps/api`.
fn monorepo(name: &str, spec: &str) -> PathBuf {
    let dir = support::scratch(&format!("context/{name}"));
    write(
        &dir,
        "package.json",
        r#"{"name":"mono","private":true,"version":"1.0.0","workspaces":["apps/*"]}"#,
    );
    write(
        &dir,
        "package-lock.json",
        r#"{"name":"mono","lockfileVersion":3,"requires":true,"packages":{}}"#,
    );
    write(
        &dir,
        "apps/api/package.json",
        r#"{"name":"api","version":"1.0.0","main":"server.js"}"#,
    );
    write(&dir, "apps/api/server.js", "console.log('api');\n");
    write(&dir, "apps/api/build.kdl", spec);
    dir
}

#[test]
fn a_spec_in_a_subfolder_reads_project_files_from_its_context() {
    // Without a context the preset looks beside the spec: no lock file.
    let dir = monorepo("plain", "msbc 1\n\nuse node\n");
    let run = msbc_in(&dir, &["check", "apps/api/build.kdl"], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("E0115"), "{}", run.stderr);
    // `--context .` names the repository root: the lock file is found.
    let run = msbc_in(
        &dir,
        &["check", "--context", ".", "apps/api/build.kdl"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    // So does the spec itself, from any working folder.
    let dir = monorepo("named", "msbc 1\n\ncontext \"../..\"\n\nuse node\n");
    for (cwd, path) in [
        (dir.clone(), "apps/api/build.kdl"),
        (dir.join("apps/api"), "."),
    ] {
        let run = msbc_in(&cwd, &["check", path], None);
        assert_eq!(run.status, 0, "{}: {}", cwd.display(), run.stderr);
        let run = msbc_in(&cwd, &["compile", path], None);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(
            run.stdout
                .contains("COPY package.json package-lock.json ./"),
            "{}",
            run.stdout
        );
    }
    // The flag wins over the spec: apps/ holds no lock file.
    let run = msbc_in(&dir, &["check", "--context", "apps", "apps/api"], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    // A context that does not hold the spec is a usage error.
    let run = msbc_in(
        &dir,
        &["check", "--context", "apps/api/x", "apps/api"],
        None,
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
    std::fs::create_dir_all(dir.join("other")).expect("mkdir");
    let run = msbc_in(&dir, &["check", "--context", "other", "apps/api"], None);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not inside the build context"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_context_that_does_not_hold_the_spec_is_e0120() {
    for bad in ["/srv/repo", "sub", "../other", "../../apps/api", ""] {
        let spec = format!("msbc 1\ncontext {bad:?}\nimage app from=\"debian:bookworm-slim\"\n");
        let dir = monorepo(&format!("bad-{}", bad.len()), &spec);
        let run = msbc_in(&dir, &["check", "apps/api/build.kdl"], None);
        assert_eq!(run.status, 1, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("E0120"), "{bad}: {}", run.stderr);
    }
    for good in [".", "..", "../..", "./../.."] {
        let spec = format!("msbc 1\ncontext {good:?}\nimage app from=\"debian:bookworm-slim\"\n");
        let dir = monorepo(&format!("good-{}", good.len()), &spec);
        let run = msbc_in(&dir, &["check", "apps/api/build.kdl"], None);
        assert_eq!(run.status, 0, "{good}: {}", run.stderr);
    }
    // `context { ignore ... }` (no folder) keeps working.
    let dir = monorepo(
        "ignore-only",
        "msbc 1\ncontext { ignore \"*.log\" }\nimage app from=\"debian:bookworm-slim\"\n",
    );
    let run = msbc_in(&dir, &["check", "apps/api"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
}

#[test]
fn templates_see_the_specs_folder_within_its_context() {
    let spec = "msbc 1\ncontext \"../..\"\ntemplates \"tpl\"\nuse \"acme/where\"\n";
    let dir = monorepo("service-dir", spec);
    write(
        &dir,
        "apps/api/tpl/acme/where/preset.kdl",
        "summary \"where the service is\"\nexample \"\"\"\n    msbc 1\n    use \"acme/where\"\n    \"\"\"\n",
    );
    write(
        &dir,
        "apps/api/tpl/acme/where/template.kdl.j2",
        "{% set m = read(service_dir ~ \"/package.json\") %}\nimage app from=\"debian:bookworm-slim\" {\n    label \"dir\" {{ service_dir | q }}\n    label \"found\" {{ (m is not none) | string | q }}\n    user \"65534\"\n}\n",
    );
    let run = msbc_in(&dir, &["compile", "apps/api/build.kdl"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("LABEL dir=apps/api\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("LABEL found=True\n"), "{}", run.stdout);
    // `--context apps`: the service is `api`.
    let run = msbc_in(&dir, &["compile", "--context", "apps", "apps/api"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("LABEL dir=api\n"), "{}", run.stdout);
}

/// The spec of the ignore-file tests: the context is the repository root.
const IGNORING: &str = "msbc 1\n\ncontext \"../..\" {\n    ignore \"**/*.log\" \"!keep.sql\"\n}\n\nimage app from=\"debian:bookworm-slim\" {\n    workdir \"/app\"\n    copy \".\" to=\"./\"\n    user \"65534\"\n    cmd \"ls\"\n}\n";

#[test]
fn the_contexts_dockerignore_joins_the_specs_patterns() {
    let dir = monorepo("ignore-file", IGNORING);
    write(
        &dir,
        ".dockerignore",
        "# the team's\nlocal-dump.sql\n*.sql\n**/*.log\n",
    );
    let run = msbc_in(
        &dir,
        &["compile", "apps/api/build.kdl", "-o", "apps/api/Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let written =
        std::fs::read_to_string(dir.join("apps/api/Dockerfile.dockerignore")).expect("written");
    let patterns: Vec<&str> = written.lines().filter(|l| !l.starts_with('#')).collect();
    // The team's first, the spec's last (a later pattern wins: the spec's
    // `!keep.sql` takes back what the team's `*.sql` excludes).
    assert_eq!(
        patterns,
        ["local-dump.sql", "*.sql", "**/*.log", "!keep.sql"],
        "{written}"
    );
    // The drift gate knows the merged file.
    let run = msbc_in(
        &dir,
        &[
            "compile",
            "apps/api/build.kdl",
            "--check",
            "apps/api/Dockerfile",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    write(&dir, ".dockerignore", "local-dump.sql\nsecrets/\n");
    let run = msbc_in(
        &dir,
        &[
            "compile",
            "apps/api/build.kdl",
            "--check",
            "apps/api/Dockerfile",
        ],
        None,
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("+secrets/"), "{}", run.stderr);
    // The LLB's context source excludes them too.
    let run = msbc_in(
        &dir,
        &[
            "compile",
            "apps/api/build.kdl",
            "--emit",
            "llb-json",
            "--no-base-configs",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("local-dump.sql") && run.stdout.contains("secrets"),
        "the LLB's context excludes lack the team's patterns:\n{}",
        run.stdout
    );
}

#[test]
fn presets_never_see_what_the_build_ignores() {
    // A team's `.npmrc` (it can hold a token) is ignored by their
    // .dockerignore: the node preset, which copies an `.npmrc` it finds,
    // must not name it (the build would fail: "/.npmrc": not found), as the
    // frontend, which never lists ignored files, does not. The same for the
    // spec's own `context { ignore }`.
    let spec = "msbc 1\ncontext \"../..\"\nuse node\n";
    let ignoring = "msbc 1\ncontext \"../..\" {\n    ignore \".npmrc\"\n}\nuse node\n";
    for (name, ignore_file, ignoring) in [
        ("npmrc-ignore-file", Some(".npmrc\n"), spec),
        ("npmrc-spec-ignore", None, ignoring),
    ] {
        let dir = monorepo(name, spec);
        write(
            &dir,
            ".npmrc",
            "//registry.example.com/:_authToken=${NPM_TOKEN}\n",
        );
        let copied = |dir: &Path| {
            let run = msbc_in(dir, &["compile", "apps/api"], None);
            assert_eq!(run.status, 0, "{}", run.stderr);
            run.stdout
                .contains("COPY package.json package-lock.json .npmrc ./")
        };
        assert!(copied(&dir), "{name}: the preset copies an .npmrc it sees");
        write(&dir, "apps/api/build.kdl", ignoring);
        if let Some(text) = ignore_file {
            write(&dir, ".dockerignore", text);
        }
        assert!(!copied(&dir), "{name}: an ignored .npmrc is copied");
    }
}

#[test]
fn an_ignore_file_msbc_did_not_write_is_not_overwritten() {
    let dir = monorepo("foreign-ignore", IGNORING);
    write(
        &dir,
        "apps/api/Dockerfile.dockerignore",
        "# ours\nlocal-dump.sql\nfixtures/\n",
    );
    let run = msbc_in(
        &dir,
        &["compile", "apps/api", "-o", "apps/api/Dockerfile"],
        None,
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
    for needle in [
        "apps/api/Dockerfile.dockerignore",
        "not written by msbc",
        "ignore \"local-dump.sql\" \"fixtures/\"",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!dir.join("apps/api/Dockerfile").exists());
    let kept = std::fs::read_to_string(dir.join("apps/api/Dockerfile.dockerignore")).expect("kept");
    assert!(kept.starts_with("# ours"), "{kept}");
    // Fleet mode refuses it too.
    let run = msbc_in(&dir, &["compile", "--all", "--write", "apps"], None);
    assert_ne!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("not written by msbc"), "{}", run.stderr);
    // Once its patterns are in the spec and the file is gone, msbc writes it.
    std::fs::remove_file(dir.join("apps/api/Dockerfile.dockerignore")).expect("rm");
    let run = msbc_in(
        &dir,
        &["compile", "apps/api", "-o", "apps/api/Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = msbc_in(
        &dir,
        &["compile", "apps/api", "-o", "apps/api/Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "msbc rewrites its own file: {}", run.stderr);
}

/// `docker build -f apps/api/Dockerfile .` from the repository root (the
/// Dockerfile msbc wrote for 20.10's built-in frontend); the image's files.
fn build_from_root(dir: &Path, tag: &str) -> Vec<String> {
    let docker = support::needs_engine();
    let out = std::process::Command::new("bash")
        .arg(support::root().join("tests/engine/build.sh"))
        .args(["apps/api/Dockerfile", ".", tag])
        .current_dir(dir)
        .output()
        .expect("build.sh runs");
    assert!(
        out.status.success(),
        "build of {tag} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = std::process::Command::new(docker)
        .args(["run", "--rm", "--network", "none", tag])
        .output()
        .expect("docker run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut files: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    files.sort();
    files
}

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_a_subfolder_spec_builds_from_the_root_without_what_the_team_ignores() {
    let spec = "msbc 1\n\ncontext \"../..\" {\n    ignore \"**/*.log\"\n}\n\nimage api from=\"debian:bookworm-slim\" {\n    workdir \"/app\"\n    copy \"package.json\" \"apps/api/\" \"packages/\" to=\"./\"\n    copy \"apps/api/server.js\" to=\"/srv/\"\n    user \"65534\"\n    cmd \"find\" \"/app\" \"/srv\" \"-type\" \"f\"\n}\n";
    let dir = monorepo("engine", spec);
    write(&dir, "packages/shared/index.js", "module.exports = 1;\n");
    write(&dir, "packages/shared/local-dump.sql", "secret rows\n");
    write(&dir, "apps/api/debug.log", "noise\n");
    write(&dir, "local-dump.sql", "secret rows\n");
    // The team's ignore file: its pattern must hold in msbc's build too.
    write(&dir, ".dockerignore", "local-dump.sql\n**/local-dump.sql\n");
    let run = msbc_in(
        &dir,
        &[
            "compile",
            "--syntax",
            "none",
            "apps/api/build.kdl",
            "-o",
            "apps/api/Dockerfile",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let files = build_from_root(&dir, "msbc-test/context-api:1");
    assert_eq!(
        files,
        [
            "/app/Dockerfile",
            "/app/Dockerfile.dockerignore",
            "/app/build.kdl",
            "/app/package.json",
            "/app/server.js",
            "/app/shared/index.js",
            "/srv/server.js",
        ],
        "the image holds the API's files from the root context, and neither the team's \
         ignored dump nor the spec's ignored log"
    );
}

#[test]
fn fleet_graph_and_diff_read_each_specs_context() {
    // Fleet mode: each spec's own `context`; `--context` applies to all.
    let dir = monorepo("fleet", "msbc 1\n\ncontext \"../..\"\n\nuse node\n");
    write(
        &dir,
        "apps/web/package.json",
        r#"{"name":"web","version":"1.0.0"}"#,
    );
    write(&dir, "apps/web/build.kdl", "msbc 1\n\nuse node\n");
    let run = msbc_in(&dir, &["check", "apps"], None);
    assert_eq!(run.status, 1, "web has no context: {}", run.stderr);
    assert!(
        run.stderr.contains("apps/web/build.kdl") && !run.stderr.contains("apps/api/build.kdl:"),
        "{}",
        run.stderr
    );
    let run = msbc_in(&dir, &["check", "--context", ".", "apps"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = msbc_in(
        &dir,
        &["compile", "--all", "--write", "--context", ".", "apps"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = msbc_in(
        &dir,
        &["compile", "--all", "--check", "--context", ".", "apps"],
        None,
    );
    assert_eq!(run.status, 0, "the drift gate: {}", run.stderr);
    let run = msbc_in(&dir, &["images", "--context", ".", "apps"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // graph and diff see the context too.
    let run = msbc_in(&dir, &["graph", "apps/api"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = msbc_in(&dir, &["graph", "apps/web"], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let run = msbc_in(&dir, &["graph", "--context", ".", "apps/web"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = msbc_in(
        &dir,
        &[
            "diff",
            "--context",
            ".",
            "--exit-code",
            "apps/web",
            "apps/api",
        ],
        None,
    );
    // Each service of the workspace installs from its own manifest (the node
    // preset's workspaces): the two builds differ there, and diff says so.
    assert_eq!(
        run.status, 1,
        "two services, two builds: {}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("COPY apps/web/package.json apps/web/")
            && run.stdout.contains("COPY apps/api/package.json apps/api/"),
        "{}",
        run.stdout
    );
    let run = msbc_in(&dir, &["diff", "apps/web", "apps/api"], None);
    assert_eq!(run.status, 1, "web alone has no lock file: {}", run.stderr);
}
