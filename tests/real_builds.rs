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
    build_file(dir, "Dockerfile", tag, &[])
}

/// [`build`] with `docker build` options (`--target api`).
fn build_with(dir: &Path, tag: &str, options: &[&str]) -> Built {
    build_file(dir, "Dockerfile", tag, options)
}

/// [`build`] with the Dockerfile at `dockerfile` (relative to the context
/// `dir`) and `docker build` options.
fn build_file(dir: &Path, dockerfile: &str, tag: &str, options: &[&str]) -> Built {
    let out = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args([dockerfile, ".", tag])
        .args(options)
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

/// `docker ARGS` on the engine: (status, stdout and stderr).
fn docker(args: &[&str]) -> (bool, String) {
    let docker = std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".to_string());
    let out = Command::new(docker)
        .args(args)
        .output()
        .expect("docker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Issue 21 (failure 3): a go.work monorepo with two binaries. Each image
/// holds its own binary with its own settings (the worker has no EXPOSE or
/// health check of the api), `--target api` compiles no worker, and an edit
/// in the shared module keeps `go mod download` cached.
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_go_monorepo_images_hold_their_own_binary_and_settings() {
    support::needs_engine();
    let dir = prepare("go-monorepo");
    let api = build_with(&dir, "msbc-test/go-monorepo-api:1", &["--target", "api"]);
    assert!(
        !api.log.contains("cmd/worker"),
        "--target api compiled the worker:\n{}",
        api.log
    );
    assert_runs_as_non_root(&api.image, "api");
    assert_eq!(api.image["entrypoint"][0], "/usr/local/bin/api");
    assert!(
        api.image["exposed_ports"]["8080/tcp"].is_object(),
        "{}",
        api.image
    );
    assert_eq!(
        api.image["healthcheck"]["Test"],
        serde_json::json!(["CMD", "/usr/local/bin/api", "-health"])
    );
    let worker = build_with(
        &dir,
        "msbc-test/go-monorepo-worker:1",
        &["--target", "worker"],
    );
    assert_runs_as_non_root(&worker.image, "worker");
    assert!(worker.image["exposed_ports"].is_null(), "{}", worker.image);
    assert!(worker.image["healthcheck"].is_null(), "{}", worker.image);
    assert_eq!(
        worker.image["cmd"],
        serde_json::json!(["--queue", "orders"])
    );
    assert!(
        worker.image["env"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v == "POLL_SECONDS=5")),
        "{}",
        worker.image
    );

    // Each runs, and holds only its own binary.
    let (ok, out) = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "msbc-test/go-monorepo-worker:1",
        "--queue",
        "orders",
        "-once",
    ]);
    assert!(
        ok && out.contains("hello from worker: queue=orders poll=5s"),
        "{out}"
    );
    let (ok, out) = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/usr/local/bin/api",
        "msbc-test/go-monorepo-worker:1",
    ]);
    assert!(!ok, "the worker image holds the api binary: {out}");
    let (ok, out) = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/usr/local/bin/worker",
        "msbc-test/go-monorepo-api:1",
        "-once",
    ]);
    assert!(!ok, "the api image holds the worker binary: {out}");
    let name = format!("msbc-test-go-monorepo-{}", std::process::id());
    let (ok, out) = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        "msbc-test/go-monorepo-api:1",
    ]);
    assert!(ok, "{out}");
    // Its own health check passes once it listens.
    let mut healthy = (false, String::new());
    for _ in 0..50 {
        healthy = docker(&["exec", &name, "/usr/local/bin/api", "-health"]);
        if healthy.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = docker(&["rm", "-f", &name]);
    assert!(healthy.0 && healthy.1.contains("healthy"), "{}", healthy.1);

    // An edit in the shared module: the dependency step stays cached.
    edit(
        &dir.join("lib/greet.go"),
        "\n// a change to the shared module\n",
    );
    let again = build_with(&dir, "msbc-test/go-monorepo-api:2", &["--target", "api"]);
    assert!(
        step_cached(&again.log, "go mod download"),
        "go mod download ran again:\n{}",
        again.log
    );
    assert!(
        !step_cached(&again.log, "go build"),
        "the api must be rebuilt with the changed lib:\n{}",
        again.log
    );
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

/// An arg whose default names an earlier arg (`arg BASE
/// "node:${NODE_VERSION}-bookworm-slim"`), built from the `--syntax none`
/// Dockerfile: the engine expands the global ARG, and `--build-arg
/// NODE_VERSION` reaches the base image through it.
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_an_arg_default_naming_an_earlier_arg_builds() {
    support::needs_engine();
    let dir = support::scratch("real-builds/arg-default");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\narg NODE_VERSION \"20\"\narg BASE \"node:${NODE_VERSION}-bookworm-slim\"\nimage app from=\"${BASE}\" {\n    run \"node --version > /tmp/node-version\"\n    user \"node\"\n    entrypoint \"cat\" \"/tmp/node-version\"\n}\n",
    )
    .expect("write");
    let run = msbc_in(
        &dir,
        &["compile", "--syntax", "none", "-o", "Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
    assert!(
        dockerfile.contains("ARG BASE=node:${NODE_VERSION}-bookworm-slim\n"),
        "{dockerfile}"
    );
    let built = build(&dir, "msbc-test/arg-default:1");
    assert_eq!(built.image["user"], "node", "{}", built.log);
    // Another tag of the stand-in through --build-arg: it reaches BASE.
    let again = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args(["Dockerfile", ".", "msbc-test/arg-default:2"])
        .args(["--build-arg", "NODE_VERSION=20.18"])
        .current_dir(&dir)
        .output()
        .expect("build.sh runs");
    let log = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.status.success(),
        "{log}\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(log.contains("node:20.18-bookworm-slim"), "{log}");
    // A version with no image: the build fails on that very reference.
    let missing = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args(["Dockerfile", ".", "msbc-test/arg-default:3"])
        .args(["--build-arg", "NODE_VERSION=0.0-msbc-none"])
        .current_dir(&dir)
        .output()
        .expect("build.sh runs");
    let log = String::from_utf8_lossy(&missing.stdout);
    assert!(!missing.status.success(), "{log}");
    assert!(log.contains("node:0.0-msbc-none-bookworm-slim"), "{log}");
}

/// Runs `docker run --rm --network none [ARGS...]` and gives its stdout;
/// fails the test when it fails.
fn docker_run(args: &[&str]) -> String {
    let docker = std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".to_string());
    let out = Command::new(docker)
        .args(["run", "--rm", "--network", "none"])
        .args(args)
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "docker run {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What of `paths` exists in `image` (through its shell, as root).
fn present(image: &str, paths: &[&str]) -> Vec<String> {
    let script = paths
        .iter()
        .map(|p| format!("for f in {p}; do [ -e \"$f\" ] && echo \"$f\"; done"))
        .collect::<Vec<_>>()
        .join("; ");
    docker_run(&[
        "--user",
        "0",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        &format!("{script}; true"),
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

/// What a Python service's runtime must not hold: its tests, dev
/// requirements, the spec, dotfiles, the build stages' source folder.
const NOT_IN_PYTHON_RUNTIMES: &[&str] = &[
    "/app/tests",
    "/app/requirements-dev.txt",
    "/app/build.kdl",
    "/app/Dockerfile",
    "/app/.[a-z]*",
    "/src",
];

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_python_runtime_holds_only_what_runs() {
    support::needs_engine();
    let dir = prepare("python/pip");
    build(&dir, "msbc-test/python-files:1");
    let found = present("msbc-test/python-files:1", NOT_IN_PYTHON_RUNTIMES);
    assert!(found.is_empty(), "the runtime holds {found:?}");
    let found = present("msbc-test/python-files:1", &["/app/app/__init__.py"]);
    assert_eq!(found, ["/app/app/__init__.py"]);
}

/// uv's image (`ghcr.io/astral-sh/uv:VERSION`: the static `uv` at `/uv`) has
/// no stand-in among tests/engine's; this makes one from uv's wheel on PyPI,
/// which builds on the engine reach.
fn uv_stand_in() {
    let versions = std::fs::read_to_string(root().join("stdlib/versions.kdl")).expect("versions");
    let version = versions
        .lines()
        .find_map(|l| l.trim().strip_prefix("uv version=\""))
        .and_then(|rest| rest.split('"').next())
        .expect("uv's version in stdlib/versions.kdl");
    let tag = format!("ghcr.io/astral-sh/uv:{version}");
    let docker = std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".to_string());
    let known = Command::new(&docker)
        .args(["image", "inspect", &tag])
        .output()
        .is_ok_and(|o| o.status.success());
    if known {
        return;
    }
    let dir = support::scratch("real-builds/uv-stand-in");
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM python:3.12-bookworm AS get\n\
             RUN pip install --no-cache-dir --target /wheel uv=={version}\n\
             FROM scratch\n\
             COPY --from=get /wheel/bin/uv /uv\n"
        ),
    )
    .expect("write the stand-in's Dockerfile");
    build(&dir, &tag);
}

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_python_uv_workspace_member_builds_alone_and_keeps_its_install_cached() {
    support::needs_engine();
    uv_stand_in();
    // The spec sits in apps/api with `context "../.."`: compiled and built from the root.
    let dir = support::scratch("real-builds/python-workspace");
    copy_dir(&root().join("specs/python-workspace"), &dir);
    for app in ["api", "worker"] {
        let (out, spec) = (format!("apps/{app}/Dockerfile"), format!("apps/{app}"));
        let run = msbc_in(
            &dir,
            &["compile", "--syntax", "none", "-o", &out, &spec],
            None,
        );
        assert_eq!(run.status, 0, "{app}: {}", run.stderr);
    }
    let build = |tag: &str| build_file(&dir, "apps/api/Dockerfile", tag, &[]);
    let worker = |tag: &str| build_file(&dir, "apps/worker/Dockerfile", tag, &[]);
    let tag = "msbc-test/python-workspace:1";
    let first = build(tag);
    assert_runs_as_non_root(&first.image, "python-workspace");
    assert_eq!(first.image["entrypoint"], serde_json::json!(["acme-api"]));
    eprintln!(
        "python uv workspace image: {:.1} MB, built in {}s",
        size_mb(&first.image),
        first.image["build_seconds"]
    );
    // It runs: the member, its workspace library and its PyPI dependency.
    assert_eq!(docker_run(&[tag, "--once"]), "hello, api (2.0 kB)\n");
    // The virtualenv holds the packages (not links into /src); nothing else came along.
    let site = "/opt/venv/lib/python3*/site-packages";
    let found = present(
        tag,
        &[
            &format!("{site}/acme_api"),
            &format!("{site}/acme_core"),
            &format!("{site}/humanize"),
        ],
    );
    assert_eq!(found.len(), 3, "{found:?}");
    let mut absent = NOT_IN_PYTHON_RUNTIMES.to_vec();
    let worker_site = format!("{site}/acme_worker");
    let editable = format!("{site}/*.pth");
    absent.extend(["/app/*", "/apps", "/packages", "/opt/venv/bin/acme-worker"]);
    absent.extend([worker_site.as_str()]);
    let found = present(tag, &absent);
    assert!(found.is_empty(), "the runtime holds {found:?}");
    let pth = docker_run(&[
        "--entrypoint",
        "/bin/sh",
        tag,
        "-c",
        &format!("cat {editable} 2>/dev/null | grep -c /src; true"),
    ]);
    assert_eq!(pth.trim(), "0", "a .pth points into /src");
    // An edit of the library rebuilds the members, not the dependency install.
    edit(
        &dir.join("packages/core/src/acme_core/__init__.py"),
        "\n# a change to the library\n",
    );
    let second = build("msbc-test/python-workspace:2");
    assert!(
        step_cached(&second.log, "--no-install-workspace --package acme-api"),
        "the dependency install ran again:\n{}",
        second.log
    );
    assert!(
        !step_cached(&second.log, "--no-editable --package acme-api"),
        "the members were not rebuilt after the edit:\n{}",
        second.log
    );
    // The second service of the repository: its own image, its own program.
    worker("msbc-test/python-worker:1");
    assert_eq!(
        docker_run(&["msbc-test/python-worker:1"]),
        "hello, worker\n"
    );
    // An edit of the api leaves the worker's build alone.
    edit(
        &dir.join("apps/api/src/acme_api/main.py"),
        "\n# a change to the api\n",
    );
    let worker_again = worker("msbc-test/python-worker:2");
    for step in [
        "--no-install-workspace --package acme-worker",
        "--no-editable --package acme-worker",
    ] {
        assert!(
            step_cached(&worker_again.log, step),
            "{step} ran again after an edit of apps/api:\n{}",
            worker_again.log
        );
    }
    build("msbc-test/python-workspace:2b");
    // An edit of another service leaves this image's build alone.
    edit(
        &dir.join("apps/worker/src/acme_worker/__init__.py"),
        "\n# a change to the other service\n",
    );
    let third = build("msbc-test/python-workspace:3");
    for step in [
        "--no-install-workspace --package acme-api",
        "--no-editable --package acme-api",
    ] {
        assert!(
            step_cached(&third.log, step),
            "{step} ran again after an edit of apps/worker:\n{}",
            third.log
        );
    }
}

#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_python_pyproject_only_installs_with_pip() {
    support::needs_engine();
    let dir = prepare("python/pyproject");
    let tag = "msbc-test/python-pyproject:1";
    let first = build(&dir, tag);
    assert_runs_as_non_root(&first.image, "python/pyproject");
    let out = docker_run(&[
        "--entrypoint",
        "python",
        tag,
        "-c",
        "import hello_pip, gunicorn; print(hello_pip.hello('pyproject'), end='')",
    ]);
    assert_eq!(out, "hello, pyproject\n");
    // /app holds gunicorn.conf.py only (the package is in the virtualenv).
    let listing = docker_run(&["--entrypoint", "ls", tag, "-A", "/app"]);
    assert_eq!(listing, "gunicorn.conf.py\n");
    let found = present(tag, NOT_IN_PYTHON_RUNTIMES);
    assert!(found.is_empty(), "the runtime holds {found:?}");
    // The test stage installs the PEP 735 group and passes.
    let run = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args([
            "Dockerfile",
            ".",
            "msbc-test/python-pyproject:test",
            "--target",
            "test",
        ])
        .current_dir(&dir)
        .output()
        .expect("build.sh runs");
    assert!(
        run.status.success(),
        "the test stage failed:\n{}",
        String::from_utf8_lossy(&run.stdout)
    );
    edit(
        &dir.join("hello_pip/__init__.py"),
        "\n# a change to the package\n",
    );
    let second = build(&dir, "msbc-test/python-pyproject:2");
    assert!(
        step_cached(&second.log, "pip install 'flask>=3.1'"),
        "the dependency install ran again:\n{}",
        second.log
    );
}

/// Runs `sh -c SCRIPT` in `image` (no network); its stdout, or panics.
fn sh_in(image: &str, script: &str) -> String {
    let docker = support::needs_engine();
    let out = Command::new(docker)
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            image,
            "-c",
            script,
        ])
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "{image}: sh -c {script}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 21, failures 1, 2 and 6: an npm workspaces monorepo (apps/api
/// depends on @acme/shared, a TypeScript workspace package, and on bcrypt,
/// a native addon; the root's postinstall needs the sources). Both services
/// build and run, each image holds only what runs, and a source edit in one
/// service keeps the other's dependency install cached.
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_node_npm_workspaces_build_each_service_with_what_it_needs() {
    workspace_services_build_and_run("node-monorepo", "acme@1.0.0", |app| {
        format!("npm ci --no-audit --no-fund --include-workspace-root -w apps/{app}")
    });
}

/// The same monorepo with pnpm workspaces (`workspace:*`, pnpm-workspace.yaml):
/// `pnpm install --filter` installs what one service needs.
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_node_pnpm_workspaces_build_each_service_with_what_it_needs() {
    workspace_services_build_and_run("node-pnpm-monorepo", "acme-pnpm@1.0.0", |app| {
        format!("pnpm install --frozen-lockfile --store-dir /pnpm/store --filter '@acme/{app}...'")
    });
}

/// `specs/NAME`, a repository whose services have their specs in their
/// folders (`apps/api/build.kdl`, `apps/web/build.kdl`, `context "../.."`),
/// built from the root as `docker build -f apps/api/Dockerfile .`: each image
/// runs, holds only what runs, and a source edit in one service keeps the
/// other's install (`install(app)`) cached.
fn workspace_services_build_and_run(name: &str, release: &str, install: fn(&str) -> String) {
    let docker = support::needs_engine();
    let dir = support::scratch(&format!("real-builds/{name}"));
    copy_dir(&root().join("specs").join(name), &dir);
    for app in ["api", "web"] {
        let spec = format!("apps/{app}/build.kdl");
        let out = format!("apps/{app}/Dockerfile");
        // What check accepts builds (below): never "no problems" for a failing build.
        let check = msbc_in(&dir, &["check", "--deny-warnings", &spec], None);
        assert_eq!(check.status, 0, "{name} {app}: {}", check.stderr);
        let run = msbc_in(
            &dir,
            &["compile", "--syntax", "none", "-o", &out, &spec],
            None,
        );
        assert_eq!(run.status, 0, "{name} {app}: {}", run.stderr);
    }
    let build_web = |tag: &str| build_file(&dir, "apps/web/Dockerfile", tag, &[]).log;
    let said = |image: &str| {
        let out = Command::new(&docker)
            .args(["run", "--rm", "--network", "none", image])
            .output()
            .expect("docker run");
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{image}: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        said
    };

    let api_tag = format!("msbc-test/{name}-api:1");
    let api = build_file(&dir, "apps/api/Dockerfile", &api_tag, &[]);
    assert_runs_as_non_root(&api.image, "api");
    let out = said(&api_tag);
    // @acme/shared built (with the file the root's postinstall generated), bcrypt's addon loaded.
    assert!(
        out.contains(&format!("hello, api, from {release}")),
        "{out}"
    );
    assert!(out.contains("bcrypt native: true"), "{out}");
    // Only what runs: no sources, tests, tsconfig, hooks, spec, dev dependencies, other apps.
    let extra = sh_in(
        &api_tag,
        "cd /app && for f in apps/api/src apps/api/test apps/api/tsconfig.json packages/shared/src \
         packages/shared/tsconfig.json tsconfig.base.json .husky build.kdl scripts apps/web \
         node_modules/typescript node_modules/.pnpm/typescript@5.6.3 node_modules/@acme/web apps/api/build.kdl apps/api/Dockerfile; \
         do [ -e \"$f\" ] && echo \"$f\"; done; true",
    );
    assert_eq!(extra.trim(), "", "the api image holds what does not run");

    let web_tag = format!("msbc-test/{name}-web:1");
    let web = build_web(&web_tag);
    assert!(web.contains(&install("web")), "{web}");
    let out = said(&web_tag);
    assert!(
        out.contains(&format!("hello, web, from {release}")),
        "{out}"
    );
    let extra = sh_in(
        &web_tag,
        "cd /app && for f in apps/api node_modules/bcrypt node_modules/.pnpm/bcrypt@6.0.0; \
         do [ -e \"$f\" ] && echo \"$f\"; done; true",
    );
    assert_eq!(extra.trim(), "", "the web image holds what does not run");

    // A source edit in one service: the other's install comes from the cache.
    edit(
        &dir.join("apps/web/src/server.js"),
        "\n// a change to web\n",
    );
    let api2 = build_file(
        &dir,
        "apps/api/Dockerfile",
        &format!("msbc-test/{name}-api:2"),
        &[],
    );
    assert!(
        step_cached(&api2.log, &install("api")),
        "api's install ran again after a change to web:\n{}",
        api2.log
    );
    edit(&dir.join("apps/api/src/index.ts"), "\n// a change to api\n");
    let web2 = build_web(&format!("msbc-test/{name}-web:2"));
    assert!(
        step_cached(&web2, &install("web")),
        "web's install ran again after a change to api:\n{web2}"
    );
    assert!(
        !step_cached(&web2, "run postinstall"),
        "the sources changed: the build runs again:\n{web2}"
    );
}
