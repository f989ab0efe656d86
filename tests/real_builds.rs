//! Real image builds of the Go, Node, Python and Java sample apps with an engine
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
    let dir = support::scratch(&format!("real-builds/{}", name.replace('/', "-")));
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

/// A Java service on images laid out like eclipse-temurin's: `java` only
/// in `/opt/java/openjdk/bin`, found through the image config's `PATH`,
/// and `JAVA_HOME`. (The Maven specs cannot build offline: Maven Central
/// is unreachable here and in CI, and even a pom without dependencies
/// needs Maven's plugins from it; this spec builds with `javac` and `jar`.)
const JAVA_SPEC: &str = r#"msbc 1
stage build from="eclipse-temurin:17-jdk" {
    workdir "/src"
    copy "App.java" to="./"
    run "javac -d classes App.java && jar --create --file app.jar --main-class App -C classes ."
}
image app from="eclipse-temurin:17-jre" {
    workdir "/app"
    copy from=build "/src/app.jar" to="/app/app.jar"
    env APP_GREETING="hello from java"
    user "65532"
    entrypoint "java" "-jar" "/app/app.jar"
}
// What the LLB route's run of the jar printed, alone (for `--output type=local`).
stage check from=app target-only=#true {
    run "java -jar /app/app.jar > /tmp/out.txt"
}
stage result from="scratch" target-only=#true {
    copy from=check "/tmp/out.txt" to="/out.txt"
}
"#;

const JAVA_APP: &str = r#"public class App {
    public static void main(String[] args) {
        System.out.println(System.getenv("APP_GREETING"));
        System.out.println("JAVA_HOME=" + System.getenv("JAVA_HOME"));
        System.out.println("java.version=" + System.getProperty("java.version"));
    }
}
"#;

fn java_dir(name: &str) -> PathBuf {
    let dir = support::scratch(&format!("real-builds/{name}"));
    std::fs::write(dir.join("build.kdl"), JAVA_SPEC).expect("write spec");
    std::fs::write(dir.join("App.java"), JAVA_APP).expect("write App.java");
    dir
}

/// What a run of the jar printed, checked: the greeting from the spec's
/// env, `JAVA_HOME` from the base image's config, a Java 17 runtime.
fn assert_java_ran(out: &str, what: &str) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("hello from java"),
        "{what}: {out}"
    );
    assert!(
        lines.contains(&"JAVA_HOME=/opt/java/openjdk"),
        "{what}: {out}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("java.version=17")),
        "{what}: {out}"
    );
}

/// The Dockerfile route on msbc's dockerd: the image's `java` entrypoint
/// is found through the temurin stand-in's config `PATH` (there is no
/// `/usr/bin/java` in it), and the container sees `JAVA_HOME`.
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_java_builds_and_runs_on_images_laid_out_like_temurin() {
    support::needs_engine();
    let dir = java_dir("java");
    let run = msbc_in(
        &dir,
        &["compile", "--syntax", "none", "-o", "Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let built = build(&dir, "msbc-test/java:1");
    assert_runs_as_non_root(&built.image, "java");
    assert_eq!(built.image["entrypoint"][0], "java");
    let env: Vec<&str> = built.image["env"]
        .as_array()
        .map(|e| e.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    assert!(env.contains(&"JAVA_HOME=/opt/java/openjdk"), "{env:?}");
    assert!(
        env.iter()
            .any(|e| e.starts_with("PATH=/opt/java/openjdk/bin:")),
        "{env:?}"
    );
    eprintln!(
        "java image: {:.1} MB, built in {}s",
        size_mb(&built.image),
        built.image["build_seconds"]
    );
    let docker = std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".to_string());
    let out = Command::new(docker)
        .args(["run", "--rm", "--network", "none", "msbc-test/java:1"])
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "docker run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_java_ran(&String::from_utf8_lossy(&out.stdout), "docker run");
    // Without the config's PATH there is no java in the image.
    let out =
        Command::new(std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".to_string()))
            .args([
                "run",
                "--rm",
                "--network",
                "none",
                "--entrypoint",
                "/usr/bin/env",
                "msbc-test/java:1",
                "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "sh",
                "-c",
                "command -v java || echo none",
            ])
            .output()
            .expect("docker run");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "none");
}

/// The LLB route on the rig's BuildKit (its registry holds eclipse-temurin
/// laid out like the official image): `msbc compile --emit llb`, with the
/// base configs read through `--mirror`, builds, and a run of the jar in
/// the built image finds `java` and `JAVA_HOME` through the config.
/// The registry is `$MSBC_RIG_REGISTRY` (tests/rig/env.sh sets it), or
/// shared/rig's 127.0.0.1:5000.
#[test]
#[ignore = "needs a buildkitd at BUILDKIT_HOST (the rig) and its registry (MSBC_RIG_REGISTRY)"]
fn needs_buildkitd_java_llb_builds_and_runs_on_the_rigs_temurin_image() {
    let buildctl = support::needs_buildkitd();
    let registry =
        std::env::var("MSBC_RIG_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".to_string());
    let rig = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .build();
    let has_temurin = ureq::Agent::from(rig)
        .head(format!(
            "http://{registry}/v2/library/eclipse-temurin/manifests/17-jre"
        ))
        .header(
            "Accept",
            "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
        )
        .call()
        .is_ok_and(|r| r.status().as_u16() == 200);
    if !has_temurin {
        panic!("needs the rig's registry on {registry} with eclipse-temurin:17-jre (tests/rig)");
    }
    let dir = java_dir("java-llb");
    let cache = dir.join("cache");
    let mirror = format!("docker.io={registry}");
    let run = support::Msbc::new()
        .dir(&dir)
        .args([
            "compile",
            "--emit",
            "llb",
            "--target",
            "result",
            "--mirror",
            mirror.as_str(),
            "-o",
            "java.llb",
        ])
        .env("MSBC_CACHE_DIR", &cache)
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = dir.join("out");
    let llb = std::fs::File::open(dir.join("java.llb")).expect("java.llb");
    let built = Command::new(&buildctl)
        .args(["build", "--local"])
        .arg(format!("context={}", dir.display()))
        .arg("--output")
        .arg(format!("type=local,dest={}", out.display()))
        .stdin(llb)
        .output()
        .expect("buildctl runs");
    assert!(
        built.status.success(),
        "buildctl build: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let printed = std::fs::read_to_string(out.join("out.txt")).expect("out.txt exported");
    assert_java_ran(&printed, "LLB route");
}
