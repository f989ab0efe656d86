//! `msbc diff`: the semantic summary above the unified diff, from two
//! specs, a git revision, a template upgrade or a hand-written Dockerfile;
//! `--stat`, `--format json`, `--exit-code`, `--emit llb-json`; and the
//! summary of `compile --check`. Snapshots live in `tests/snapshots/`.

use crate::support::{self, Run, msbc_in, root};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/diff")
}

/// `msbc ARGS` in `tests/fixtures/diff`, so paths in the output are short.
fn in_fixtures(args: &[&str]) -> Run {
    msbc_in(&fixtures(), args, None)
}

fn snapshot(name: &str, run: &Run) {
    let text = format!("exit: {}\n{}", run.status, run.stdout);
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(format!("diff__{name}"), text);
    });
}

#[test]
fn version_bump() {
    let run = in_fixtures(&["diff", "base.kdl", "version-bump.kdl"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("arg GO_VERSION: \"1.23\" → \"1.24\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("golang:1.23-bookworm → golang:1.24-bookworm"),
        "{}",
        run.stdout
    );
    snapshot("version_bump", &run);
}

#[test]
fn added_stage() {
    let run = in_fixtures(&["diff", "base.kdl", "added-stage.kdl"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("stage lint: added"), "{}", run.stdout);
    assert!(
        run.stdout.contains("image lint-report: added"),
        "{}",
        run.stdout
    );
    snapshot("added_stage", &run);
}

#[test]
fn reordered_copy_names_the_lost_cache() {
    let run = in_fixtures(&["diff", "base.kdl", "reordered-copy.kdl"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("loses cache: deps (steps 2–3), build, test, image orders (steps 1–4)"),
        "{}",
        run.stdout
    );
    snapshot("reordered_copy", &run);
}

#[test]
fn changed_user_and_port() {
    let run = in_fixtures(&["diff", "base.kdl", "user-port.kdl"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for want in [
        "image orders: user: nonroot → 65532:65532",
        "image orders: ports: 8080/tcp → 8080/tcp 9090/udp",
        "image orders: env GOMAXPROCS: (unset) → 2",
    ] {
        assert!(run.stdout.contains(want), "no `{want}` in:\n{}", run.stdout);
    }
    snapshot("user_port", &run);
}

#[test]
fn template_upgrade() {
    let run = in_fixtures(&[
        "diff",
        "--templates",
        "templates-v1",
        "--templates-from",
        "templates-v2",
        "upgrade",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("arg GO_VERSION: \"1.22\" → \"1.23\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("label com.acme.platform: (unset) → v2"),
        "{}",
        run.stdout
    );
    snapshot("template_upgrade", &run);
}

#[test]
fn stat_json_and_exit_code() {
    let stat = in_fixtures(&["diff", "--stat", "base.kdl", "version-bump.kdl"]);
    assert_eq!(stat.status, 0);
    assert!(!stat.stdout.contains("@@"), "{}", stat.stdout);
    let json = in_fixtures(&[
        "diff",
        "--format",
        "json",
        "--exit-code",
        "base.kdl",
        "user-port.kdl",
    ]);
    assert_eq!(json.status, 1, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["changed"], true);
    assert!(
        doc["diff"]
            .as_str()
            .is_some_and(|d| d.contains("+EXPOSE 8080 9090/udp"))
    );
    assert_eq!(doc["summary"]["images"][0]["image"], "orders");
    let same = in_fixtures(&["diff", "--exit-code", "base.kdl", "base.kdl"]);
    assert_eq!(same.status, 0, "{}", same.stderr);
    assert!(same.stdout.contains("no changes"), "{}", same.stdout);
    let bad = in_fixtures(&["diff", "base.kdl"]);
    assert_eq!(bad.status, 2);
    let missing = in_fixtures(&["diff", "base.kdl", "nope.kdl"]);
    assert_eq!(missing.status, 2);
}

#[test]
fn spec_errors_exit_1() {
    let dir = support::scratch("diff-errors");
    let broken = dir.join("broken.kdl");
    std::fs::write(&broken, "msbc 1\nimage app from=biuld {}\n").expect("write");
    let run = support::msbc(&[
        "diff",
        &fixtures().join("base.kdl").to_string_lossy(),
        &broken.to_string_lossy(),
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("E0202"), "{}", run.stderr);
}

#[test]
fn renamed_stage_is_a_rename() {
    let dir = support::scratch("diff-rename");
    let base = std::fs::read_to_string(fixtures().join("base.kdl")).expect("base");
    let renamed = base
        .replace("stage deps ", "stage modules ")
        .replace("from=deps", "from=modules");
    std::fs::write(dir.join("new.kdl"), renamed).expect("write");
    let run = support::msbc(&[
        "diff",
        &fixtures().join("base.kdl").to_string_lossy(),
        &dir.join("new.kdl").to_string_lossy(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("stage modules: renamed from deps"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("loses cache"), "{}", run.stdout);
}

/// An image renamed in the same change as its port: the same base and
/// most of the same steps, so it is paired and its changes shown, not
/// reported as one image removed and another added.
#[test]
fn renamed_image_with_a_changed_port_is_paired() {
    let dir = support::scratch("diff-rename-image");
    let base = std::fs::read_to_string(fixtures().join("base.kdl")).expect("base");
    let renamed = base
        .replace("image orders ", "image order-service ")
        .replace("expose 8080", "expose 9090");
    std::fs::write(dir.join("new.kdl"), renamed).expect("write");
    let run = support::msbc(&[
        "diff",
        &fixtures().join("base.kdl").to_string_lossy(),
        &dir.join("new.kdl").to_string_lossy(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("image order-service: renamed from orders"),
        "{out}"
    );
    assert!(out.contains("→ EXPOSE 9090"), "{out}");
    assert!(
        out.contains("image order-service: ports: 8080/tcp → 9090/tcp"),
        "{out}"
    );
    assert!(!out.contains("added"), "{out}");
    assert!(!out.contains("removed"), "{out}");
    // JSON says the same.
    let json = support::msbc(&[
        "diff",
        "--format",
        "json",
        &fixtures().join("base.kdl").to_string_lossy(),
        &dir.join("new.kdl").to_string_lossy(),
    ]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let stages = doc["summary"]["stages"]
        .as_array()
        .or(doc["stages"].as_array())
        .expect("stages");
    assert_eq!(stages.len(), 1, "{stages:?}");
    assert_eq!(stages[0]["renamed_from"], "orders", "{stages:?}");
    // An image on another base is another image.
    let other = std::fs::read_to_string(fixtures().join("base.kdl"))
        .expect("base")
        .replace("image orders ", "image order-service ")
        .replace("static-debian12:nonroot", "base-debian12:nonroot");
    std::fs::write(dir.join("other.kdl"), other).expect("write");
    let run = support::msbc(&[
        "diff",
        &fixtures().join("base.kdl").to_string_lossy(),
        &dir.join("other.kdl").to_string_lossy(),
    ]);
    assert!(
        run.stdout.contains("image orders: removed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("image order-service: added"),
        "{}",
        run.stdout
    );
}

#[test]
fn llb_json_names_changed_ops() {
    let run = in_fixtures(&[
        "diff",
        "--emit",
        "llb-json",
        "--stat",
        "base.kdl",
        "user-port.kdl",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // User and ports are image config, not ops: the graph is the same.
    assert!(
        run.stdout.contains("llb: 0 ops removed, 0 added"),
        "{}",
        run.stdout
    );
    let run = in_fixtures(&[
        "diff",
        "--emit",
        "llb-json",
        "--stat",
        "base.kdl",
        "reordered-copy.kdl",
    ]);
    assert!(run.stdout.contains("llb: "), "{}", run.stdout);
    assert!(
        !run.stdout.contains("llb: 0 ops removed, 0 added"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  + sha256:"), "{}", run.stdout);
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `--rev`: the spec and its template folder at a commit vs the work tree.
#[test]
fn rev_compares_with_a_commit_including_templates() {
    let dir = support::scratch("diff-rev");
    let svc = dir.join("svc");
    std::fs::create_dir_all(svc.join("platform/acme/web")).expect("mkdir");
    let v1 = fixtures().join("templates-v1/acme/web");
    let v2 = fixtures().join("templates-v2/acme/web");
    for f in ["preset.kdl", "template.kdl.j2"] {
        std::fs::copy(v1.join(f), svc.join("platform/acme/web").join(f)).expect("copy");
    }
    std::fs::write(
        svc.join("build.kdl"),
        "msbc 1\ntemplates \"platform\"\nuse \"acme/web\" name=\"orders\"\n",
    )
    .expect("write");
    // acme/web builds on the go preset, which needs the module file.
    std::fs::write(svc.join("go.mod"), "module example.com/orders\n").expect("write");
    std::fs::create_dir_all(svc.join("cmd/orders")).expect("mkdir");
    std::fs::write(svc.join("cmd/orders/main.go"), "package main\n").expect("write");
    if !git(&dir, &["init", "-q"])
        || !git(&dir, &["add", "."])
        || !git(&dir, &["commit", "-qm", "v1"])
    {
        panic!("git init/add/commit failed in {}", dir.display());
    }
    for f in ["preset.kdl", "template.kdl.j2"] {
        std::fs::copy(v2.join(f), svc.join("platform/acme/web").join(f)).expect("copy");
    }
    let run = msbc_in(&svc, &["diff", "--rev", "HEAD", "--stat"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("arg GO_VERSION: \"1.22\" → \"1.23\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("build.kdl@HEAD"), "{}", run.stdout);
    let bad = msbc_in(&svc, &["diff", "--rev", "no-such-rev"], None);
    assert_eq!(bad.status, 2, "{}", bad.stderr);
}

/// A hand-written Dockerfile against the spec: only meaning counts.
#[test]
fn dockerfile_against_spec_ignores_formatting() {
    let dir = support::scratch("diff-dockerfile");
    let spec = fixtures().join("base.kdl");
    let out = dir.join("Dockerfile");
    let run = support::msbc(&[
        "compile",
        &spec.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Reformat by hand: comments, continuations, other quoting.
    let text = std::fs::read_to_string(&out).expect("read");
    let text = text
        .replace(
            "COPY go.mod go.sum ./",
            "# manifests first\nCOPY \\\n    \"go.mod\" go.sum ./",
        )
        .replace("USER nonroot", "USER \"nonroot\"");
    std::fs::write(&out, text).expect("write");
    let run = support::msbc(&[
        "diff",
        "--exit-code",
        &out.to_string_lossy(),
        &spec.to_string_lossy(),
    ]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let changed = std::fs::read_to_string(&out)
        .expect("read")
        .replace("USER \"nonroot\"", "USER root");
    std::fs::write(&out, changed).expect("write");
    let run = support::msbc(&[
        "diff",
        "--exit-code",
        &out.to_string_lossy(),
        &spec.to_string_lossy(),
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("image orders: user: root → nonroot"),
        "{}",
        run.stdout
    );
}

/// `compile --check` on a stale Dockerfile: summary, diff and the fix.
#[test]
fn drift_gate_prints_the_summary() {
    let dir = support::scratch("diff-drift");
    let out = dir.join("Dockerfile");
    let base = fixtures().join("base.kdl");
    let run = support::msbc(&[
        "compile",
        &base.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let bumped = fixtures().join("version-bump.kdl");
    let run = support::msbc(&[
        "compile",
        &bumped.to_string_lossy(),
        "--check",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    for want in [
        "is out of date with the spec",
        "arg GO_VERSION: \"1.23\" → \"1.24\"",
        "loses cache: deps",
        "+ARG GO_VERSION=1.24",
        "to update it, run: msbc compile",
    ] {
        assert!(run.stderr.contains(want), "no `{want}` in:\n{}", run.stderr);
    }
}

#[test]
fn binary_and_empty_inputs_do_not_panic() {
    let dir = support::scratch("diff-garbage");
    let base = fixtures().join("base.kdl");
    for (name, bytes) in [
        ("empty.kdl", &b""[..]),
        ("binary.kdl", b"\0\x01\x02\xff\xfe"),
        ("Dockerfile", b"\0\x01\x02\xff\xfe"),
        ("text.dockerfile", b"hello\n"),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, bytes).expect("write");
        for args in [
            vec![
                "diff",
                file.to_str().unwrap_or_default(),
                base.to_str().unwrap_or_default(),
            ],
            vec![
                "diff",
                base.to_str().unwrap_or_default(),
                file.to_str().unwrap_or_default(),
            ],
        ] {
            let run = support::msbc(&args);
            assert!(
                matches!(run.status, 1 | 2),
                "{name}: exit {}: {}",
                run.status,
                run.stderr
            );
            assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        }
    }
}

/// Preset variants beyond the samples in `specs/`: (spec, context files).
/// One per preset option that changes the stages (runtime, package manager,
/// static site, build tool, wrapper), so every `--platform` shape is met.
const VARIANTS: &[(&str, &[&str])] = &[
    (
        "msbc 1\nuse go { main \"./cmd/api\"; port 8080; }",
        &["go.mod", "go.sum", "cmd/api/main.go"],
    ),
    (
        "msbc 1\nuse go cgo=#true runtime=\"debian\" { main \"./cmd/api\"; }",
        &["go.mod", "go.sum", "cmd/api/main.go"],
    ),
    (
        "msbc 1\nuse java { port 8080; }",
        &["pom.xml", "src/main/java/App.java"],
    ),
    (
        "msbc 1\nuse java runtime=\"distroless\" { jar \"app/target/app-*.jar\"; }",
        &[
            "pom.xml",
            "app/pom.xml",
            "lib/pom.xml",
            "mvnw",
            ".mvn/wrapper/maven-wrapper.properties",
        ],
    ),
    (
        "msbc 1\nuse java { port 8080; healthcheck \"curl -fsS http://127.0.0.1:8080/health\"; }",
        &[
            "settings.gradle.kts",
            "build.gradle.kts",
            "gradle.properties",
            "gradle/libs.versions.toml",
        ],
    ),
    (
        "msbc 1\nuse java { args \"--verbose\"; env TZ=\"UTC\"; }",
        &[
            "settings.gradle.kts",
            "build.gradle.kts",
            "app/build.gradle.kts",
            "gradlew",
            "gradle/wrapper/gradle-wrapper.properties",
        ],
    ),
    (
        "msbc 1\nuse node { main \"server.js\"; port 3000; }",
        &["package.json", "package-lock.json", "server.js"],
    ),
    (
        "msbc 1\nuse node { build \"build\"; files \"dist\"; main \"dist/main.js\"; }",
        &[
            "package.json",
            "pnpm-lock.yaml",
            "pnpm-workspace.yaml",
            ".npmrc",
        ],
    ),
    (
        "msbc 1\nuse node runtime=\"distroless\" { main \"index.js\"; healthcheck \"/nodejs/bin/node health.js\"; }",
        &["package.json", "yarn.lock"],
    ),
    (
        "msbc 1\nuse node static=#true { port 8081; dist \"build\"; }",
        &["package.json", "package-lock.json"],
    ),
    (
        "msbc 1\nuse python { module \"api\"; port 8000; }",
        &[
            "requirements.txt",
            "requirements-dev.txt",
            "api/__main__.py",
        ],
    ),
    (
        "msbc 1\nuse python { command \"uvicorn\" \"api:app\"; args \"--port\" \"8000\"; }",
        &["pyproject.toml", "uv.lock"],
    ),
    (
        "msbc 1\nuse python version=\"3.13\" { healthcheck \"python -m app.health\"; }",
        &["pyproject.toml", "poetry.lock", "README.md"],
    ),
    (
        "msbc 1\nuse dotnet { port 5000; }",
        &[
            "App.sln",
            "Directory.Build.props",
            "src/Api/Api.csproj",
            "tests/Api.Tests/Api.Tests.csproj",
        ],
    ),
    (
        "msbc 1\nuse dotnet runtime=\"runtime-deps\" chiseled=#true { project \"./src/Worker/Worker.fsproj\"; }",
        &["src/Worker/Worker.fsproj", "src/Lib/Lib.csproj"],
    ),
];

/// Small but well-formed contents for a context file a preset reads.
fn context_file(name: &str) -> &'static str {
    match name.rsplit('/').next().unwrap_or(name) {
        "go.mod" => "module example.com/app\n\ngo 1.23\n",
        "package.json" => "{\"name\": \"app\", \"version\": \"1.0.0\"}\n",
        "pyproject.toml" => "[project]\nname = \"app\"\nversion = \"1.0.0\"\n",
        _ => "",
    }
}

/// `msbc compile -o Dockerfile`, then `msbc diff Dockerfile build.kdl
/// --exit-code` and `msbc compile --check Dockerfile` in `dir`: a
/// Dockerfile msbc just wrote is never reported as drifted.
fn assert_own_dockerfile_has_no_drift(dir: &Path, what: &str) {
    let _ = std::fs::remove_file(dir.join("Dockerfile"));
    let run = msbc_in(dir, &["compile", "-o", "Dockerfile"], None);
    assert_eq!(run.status, 0, "{what}: compile: {}", run.stderr);
    let run = msbc_in(
        dir,
        &["diff", "Dockerfile", "build.kdl", "--exit-code"],
        None,
    );
    assert_eq!(
        run.status, 0,
        "{what}: its own Dockerfile differs:\n{}\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("\nno changes\n") && !run.stdout.contains("@@"),
        "{what}: {}",
        run.stdout
    );
    let run = msbc_in(dir, &["compile", "--check", "Dockerfile"], None);
    assert_eq!(run.status, 0, "{what}: compile --check: {}", run.stderr);
}

/// Issue 11.1: for every spec in `specs/` and every preset variant,
/// compile → diff against its own Dockerfile → exit 0, "no changes" (a
/// stage built on a stage runs on that stage's platform, however the
/// spec wrote it).
#[test]
fn every_spec_and_preset_variant_matches_its_own_dockerfile() {
    let tmp = support::scratch("diff-own");
    let specs = support::spec_files();
    assert!(specs.len() >= 10, "{specs:?}");
    for spec in &specs {
        let name = support::spec_name(spec);
        let dir = tmp.join(&name);
        // A spec that names its context is copied with it, and run in its folder.
        match support::spec_context(spec) {
            Some((context, service_dir)) => {
                support::copy_dir(&context, &dir);
                assert_own_dockerfile_has_no_drift(&dir.join(service_dir), &name);
            }
            None => {
                support::copy_dir(spec.parent().expect("a folder"), &dir);
                assert_own_dockerfile_has_no_drift(&dir, &name);
            }
        }
    }
    for (n, (src, files)) in VARIANTS.iter().enumerate() {
        let dir = tmp.join(format!("variant{n}"));
        for f in *files {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(&path, context_file(f)).expect("write");
        }
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("build.kdl"), src).expect("write");
        assert_own_dockerfile_has_no_drift(&dir, &format!("variant{n}: {src}"));
    }
}

/// Issue 11.2: EXPOSE, LABEL, CMD, ... only set the image config, which no
/// BuildKit cache key depends on: changing them (anywhere, in any stage)
/// costs no cache, and is reported as metadata. ENV and ARG do cost it.
#[test]
fn metadata_changes_lose_no_cache() {
    let dir = support::scratch("diff-metadata");
    let spec = |deps: &str, image: &str| {
        format!(
            "msbc 1\nstage deps from=\"alpine:3.20\" {{\n    {deps}\n    run \"echo deps > /deps\"\n}}\n\
             image app from=deps {{\n    {image}\n    run \"echo app\"\n    copy \"/deps\" from=deps to=\"/copy\"\n    cmd \"sh\"\n}}\n"
        )
    };
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).expect("write");
        dir.join(name).to_string_lossy().into_owned()
    };
    let old = write("old.kdl", spec("label \"stage\"=\"one\"", "expose 8080"));
    let new = write(
        "new.kdl",
        spec(
            "label \"stage\"=\"two\"",
            "expose 9090\n    label \"org.opencontainers.image.version\"=\"2\"",
        ),
    );
    let run = support::msbc(&["diff", "--exit-code", &old, &new]);
    assert_eq!(
        run.status, 1,
        "a metadata change is a change: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("loses cache"), "{}", run.stdout);
    for want in [
        "stage deps:\n  ~ step 1 (metadata): LABEL stage=one",
        "image app:\n  ~ step 1 (metadata): EXPOSE 8080",
        "  + step 2 (metadata): LABEL org.opencontainers.image.version=2",
        "loses no cache: only image metadata changed",
        "image app: ports: 8080/tcp → 9090/tcp",
    ] {
        assert!(run.stdout.contains(want), "no `{want}` in:\n{}", run.stdout);
    }
    // The same place, an ENV: every later step and stage reruns.
    let env = write("env.kdl", spec("env STAGE=\"two\"", "expose 8080"));
    let run = support::msbc(&["diff", &old, &env]);
    assert!(
        run.stdout
            .contains("loses cache: deps (steps 1–2), image app"),
        "{}",
        run.stdout
    );
    // A metadata change before a real one: the cache is lost from the real one.
    let both = write(
        "both.kdl",
        spec("label \"stage\"=\"one\"", "expose 9090").replace("echo app", "echo app2"),
    );
    let run = support::msbc(&["diff", &old, &both]);
    assert!(
        run.stdout.contains("loses cache: image app (steps 2–4)"),
        "{}",
        run.stdout
    );
    // The LLB agrees: a metadata change leaves every op as it was.
    let run = support::msbc(&["diff", "--emit", "llb-json", "--stat", &old, &new]);
    assert!(
        run.stdout.contains("llb: 0 ops removed, 0 added"),
        "{}",
        run.stdout
    );
}

/// Issue 11.3: what the import of a Dockerfile leaves out or changes
/// (`ADD https://…`, `ONBUILD`, `MAINTAINER`, `$HOME` kept literal) is a
/// difference: in the summary, in `--format json`, in the exit code and in
/// `compile --check`; what it only writes another way is not.
#[test]
fn what_the_import_cannot_represent_is_a_difference() {
    let dir = support::scratch("diff-unrepresented");
    let same = "FROM alpine\nADD a.txt /a.txt\nRUN echo hi\n";
    std::fs::write(dir.join("a.txt"), "a").expect("write");
    std::fs::write(dir.join("Dockerfile"), same).expect("write");
    let import = msbc_in(&dir, &["import", "Dockerfile"], None);
    assert_eq!(import.status, 0, "{}", import.stderr);
    assert!(import.stderr.contains("I005"), "{}", import.stderr);
    std::fs::write(dir.join("build.kdl"), &import.stdout).expect("write");
    // `:latest` spelled out and ADD written as copy: the same build.
    let run = msbc_in(
        &dir,
        &["diff", "--exit-code", "Dockerfile", "build.kdl"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);
    let lossy = "FROM alpine\nMAINTAINER someone\nADD a.txt /a.txt\nADD https://example.com/tool.tgz /opt/\nONBUILD RUN echo later\nWORKDIR $HOME/app\nRUN echo hi\n";
    std::fs::write(dir.join("Dockerfile"), lossy).expect("write");
    let run = msbc_in(
        &dir,
        &["diff", "--exit-code", "Dockerfile", "build.kdl"],
        None,
    );
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(!run.stdout.contains("no changes"), "{}", run.stdout);
    for want in [
        "Dockerfile: not in the imported spec (a spec cannot say it):",
        "  line 2 [I001]: `MAINTAINER`",
        "  line 4 [I004]: `ADD https://example.com/tool.tgz`",
        "  line 5 [I001]: `ONBUILD`",
        "  line 6 [I003]: `$HOME`",
    ] {
        assert!(run.stdout.contains(want), "no `{want}` in:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("[I005]"), "{}", run.stdout);
    // Either side, and in JSON.
    let run = msbc_in(
        &dir,
        &["diff", "--format", "json", "build.kdl", "Dockerfile"],
        None,
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["changed"], true, "{}", run.stdout);
    let codes: Vec<&str> = doc["summary"]["unrepresented"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|u| u["code"].as_str())
        .collect();
    assert_eq!(codes, ["I001", "I004", "I001", "I003"], "{}", run.stdout);
    // The drift gate names them too.
    let run = msbc_in(
        &dir,
        &["compile", "--check", "Dockerfile", "build.kdl"],
        None,
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("  line 5 [I001]: `ONBUILD`"),
        "{}",
        run.stderr
    );
}
