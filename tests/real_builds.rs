//! Real image builds of the Go, Node and Python sample apps with an engine
//! from Debian's packages (`tests/engine`: dockerd 20.10 with BuildKit and
//! base images made offline), from msbc's `--syntax none` output. Each
//! build is checked as a user would: the image runs as a non-root user with
//! the right entrypoint, the Go image is under 10 MB, and after a change to
//! one source file the rebuild takes the dependency layer from the cache.
//!
//! Skips, saying why, when no engine runs (`tests/engine/setup.sh` starts
//! one; `.ci/run` does). Set `MSBC_SKIP_REAL_BUILDS=1` to skip on purpose.

use crate::support::{self, copy_dir, msbc_in, root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh copy of `specs/NAME` with msbc's `--syntax none` Dockerfile in it.
fn prepare(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("real-builds")
        .join(name.replace('/', "-"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("specs").join(name), &dir);
    let run = msbc_in(
        &dir,
        &["compile", "--syntax", "none", "-o", "Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{name}: {}", run.stderr);
    dir
}

struct Built {
    log: String,
    image: serde_json::Value,
}

fn build(dir: &Path, tag: &str) -> Built {
    let out = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args(["Dockerfile", ".", tag])
        .current_dir(dir)
        .output()
        .expect("build.sh runs");
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "build of {tag} failed:\n{log}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = log.lines().last().expect("a JSON line");
    let image = serde_json::from_str(last).expect("the last line is JSON");
    Built { log, image }
}

/// Whether the build step whose command contains `needle` came from the
/// cache (`#N [...] RUN ... needle` then `#N CACHED` in plain progress).
fn step_cached(log: &str, needle: &str) -> bool {
    let Some(step) = log
        .lines()
        .find(|l| l.starts_with('#') && l.contains(needle) && l.contains(" RUN "))
        .and_then(|l| l.split_whitespace().next())
    else {
        return false;
    };
    log.lines().any(|l| l.trim() == format!("{step} CACHED"))
}

fn assert_runs_as_non_root(image: &serde_json::Value, what: &str) {
    let user = image["user"].as_str().unwrap_or("");
    let name = user.split(':').next().unwrap_or("");
    assert!(
        !name.is_empty() && name != "root" && name != "0",
        "{what}: user is {user:?}"
    );
    assert!(
        image["entrypoint"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{what}: no exec-form entrypoint"
    );
}

/// Appends `comment` and a value unique to this run: the engine's cache
/// outlives test runs, and an edit it has seen before would be a cache hit.
fn edit(path: &Path, comment: &str) {
    let mut text = std::fs::read_to_string(path).expect("read source");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    text.push_str(comment.trim_end());
    text.push_str(&format!(" {nanos}\n"));
    std::fs::write(path, text).expect("write source");
}

fn size_mb(image: &serde_json::Value) -> f64 {
    image["size"].as_f64().unwrap_or(f64::MAX) / 1_000_000.0
}

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_go_sample_builds_small_and_reuses_its_module_layer() {
    support::needs_engine();
    let dir = prepare("go");
    let first = build(&dir, "msbc-test/go:1");
    assert_runs_as_non_root(&first.image, "go");
    assert_eq!(first.image["entrypoint"][0], "/usr/local/bin/server");
    let mb = size_mb(&first.image);
    eprintln!(
        "go image: {mb:.1} MB, built in {}s",
        first.image["build_seconds"]
    );
    assert!(mb < 10.0, "the Go image is {mb:.1} MB");

    edit(
        &dir.join("cmd/server/main.go"),
        "\n// a change to one source file\n",
    );
    let second = build(&dir, "msbc-test/go:2");
    eprintln!(
        "go rebuild after a source change: {}s",
        second.image["build_seconds"]
    );
    assert!(
        step_cached(&second.log, "go mod download"),
        "go mod download ran again:\n{}",
        second.log
    );
    assert!(
        !step_cached(&second.log, "go build"),
        "the changed source must be rebuilt:\n{}",
        second.log
    );
    assert_ne!(first.image["id"], second.image["id"]);
}

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_node_sample_builds_and_reuses_its_install_layer() {
    support::needs_engine();
    let dir = prepare("node/npm");
    let first = build(&dir, "msbc-test/node:1");
    assert_runs_as_non_root(&first.image, "node");
    eprintln!(
        "node image: {:.1} MB, built in {}s",
        size_mb(&first.image),
        first.image["build_seconds"]
    );
    edit(&dir.join("server.js"), "\n// a change to one source file\n");
    let second = build(&dir, "msbc-test/node:2");
    eprintln!(
        "node rebuild after a source change: {}s",
        second.image["build_seconds"]
    );
    assert!(
        step_cached(&second.log, "npm ci --no-audit"),
        "npm ci ran again:\n{}",
        second.log
    );
}

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_python_sample_builds_and_reuses_its_venv_layer() {
    support::needs_engine();
    let dir = prepare("python/pip");
    let first = build(&dir, "msbc-test/python:1");
    assert_runs_as_non_root(&first.image, "python");
    eprintln!(
        "python image: {:.1} MB, built in {}s",
        size_mb(&first.image),
        first.image["build_seconds"]
    );
    edit(
        &dir.join("app/__init__.py"),
        "\n# a change to one source file\n",
    );
    let second = build(&dir, "msbc-test/python:2");
    eprintln!(
        "python rebuild after a source change: {}s",
        second.image["build_seconds"]
    );
    assert!(
        step_cached(&second.log, "pip install -r requirements.txt"),
        "pip install ran again:\n{}",
        second.log
    );
}
