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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-errors");
    std::fs::create_dir_all(&dir).expect("mkdir");
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-rename");
    std::fs::create_dir_all(&dir).expect("mkdir");
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-rev");
    let _ = std::fs::remove_dir_all(&dir);
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
    if !git(&dir, &["init", "-q"])
        || !git(&dir, &["add", "."])
        || !git(&dir, &["commit", "-qm", "v1"])
    {
        eprintln!("SKIP: git is not available");
        return;
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-dockerfile");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-drift");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-garbage");
    std::fs::create_dir_all(&dir).expect("mkdir");
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
