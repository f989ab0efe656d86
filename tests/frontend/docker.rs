//! The frontend image in real builds with Debian's dockerd 20.10 (its
//! built-in BuildKit) and Debian's `docker-registry` on 127.0.0.1: the
//! image is built and pushed by `scripts/frontend-image.sh`, then
//! `docker build -f build.kdl --build-arg BUILDKIT_SYNTAX=IMAGE` builds
//! through it. That engine rejects a `// syntax=` first line (its built-in
//! Dockerfile parser reads the spec first), so these builds use the build
//! arg; the `// syntax=` form is checked with a current BuildKit (the rig).
//!
//! Skips, saying why, without the engine (`tests/engine/setup.sh`) or
//! `/usr/bin/docker-registry`.

use super::image::{frontend_image, tmp};
use crate::support::{copy_dir, msbc_in, root};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// msbc's dockerd and the frontend image's reference.
pub(super) fn engine_and_image() -> String {
    crate::support::needs_engine();
    frontend_image()
}

pub(super) struct Build {
    pub(super) ok: bool,
    pub(super) log: String,
    image: Option<serde_json::Value>,
}

/// One build at a time: dockerd 20.10 loading the same frontend image for
/// parallel builds made one of them fail once.
static SERIAL: Mutex<()> = Mutex::new(());

/// `docker build -f SPEC --build-arg BUILDKIT_SYNTAX=IMAGE ...` in `dir`.
pub(super) fn docker_build(
    dir: &Path,
    spec: &str,
    tag: &str,
    image: &str,
    extra: &[&str],
) -> Build {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let syntax = format!("BUILDKIT_SYNTAX={image}");
    let out = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args([spec, ".", tag, "--build-arg", &syntax])
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("build.sh runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let image = if out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
    } else {
        None
    };
    Build {
        ok: out.status.success(),
        log,
        image,
    }
}

fn docker(args: &[&str]) -> (bool, String) {
    let docker = std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".into());
    let out = Command::new(docker)
        .args(args)
        .output()
        .expect("docker runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The sorted paths of an image's filesystem (`docker create` + `export`).
fn files(tag: &str) -> Vec<String> {
    let docker = std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".into());
    // The id is stdout's last line (dockerd may warn on stderr).
    let out = Command::new(&docker)
        .args(["create", tag, "/none"])
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker create {tag}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("'{docker}' export {id} | tar -t"))
        .output()
        .expect("docker export runs");
    let _ = docker_rm(&id);
    let mut list: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_string())
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with(".dockerenv")
                && !l.starts_with("etc/hostname")
                && !l.starts_with("etc/hosts")
                && !l.starts_with("etc/resolv.conf")
                && !l.starts_with("dev")
                && !l.starts_with("proc")
                && !l.starts_with("sys")
        })
        .collect();
    list.sort();
    list
}

fn docker_rm(id: &str) -> (bool, String) {
    docker(&["rm", "-f", id])
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_builds_the_go_sample_through_the_frontend_as_its_dockerfile() {
    let image = engine_and_image();
    let dir = tmp("go");
    copy_dir(&root().join("specs/go"), &dir);
    let via = docker_build(&dir, "build.kdl", "msbc-frontend/go:kdl", &image, &[]);
    assert!(
        via.ok,
        "the build through the frontend failed:\n{}",
        via.log
    );
    let run = msbc_in(
        &dir,
        &["compile", "--syntax", "none", "-o", "Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let plain = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args(["Dockerfile", ".", "msbc-frontend/go:dockerfile"])
        .current_dir(&dir)
        .output()
        .expect("build.sh runs");
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let plain: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&plain.stdout)
            .lines()
            .last()
            .unwrap_or(""),
    )
    .expect("image JSON");
    let via = via.image.expect("image JSON");
    for key in ["entrypoint", "cmd", "user", "workdir", "exposed_ports"] {
        assert_eq!(
            via[key], plain[key],
            "{key} differs: frontend {via} vs Dockerfile {plain}"
        );
    }
    assert_eq!(
        files("msbc-frontend/go:kdl"),
        files("msbc-frontend/go:dockerfile"),
        "the two images hold different files"
    );
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_builds_a_target_through_the_frontend() {
    let image = engine_and_image();
    let dir = tmp("go-orders");
    copy_dir(&root().join("specs/go-orders"), &dir);
    let b = docker_build(
        &dir,
        "build.kdl",
        "msbc-frontend/go-orders:test",
        &image,
        &["--target", "test"],
    );
    assert!(b.ok, "--target test failed:\n{}", b.log);
    assert!(
        b.log.contains("go vet ./... && go test ./..."),
        "the test stage's run is not in the build:\n{}",
        b.log
    );
    let b = docker_build(
        &dir,
        "build.kdl",
        "msbc-frontend/go-orders:nope",
        &image,
        &["--target", "nope"],
    );
    assert!(!b.ok, "an unknown target builds:\n{}", b.log);
    assert!(
        b.log.contains("no stage or image named `nope`"),
        "{}",
        b.log
    );
}

const GREETING: &str = r#"msbc 1
arg GREETING "hello"
image app from="debian:bookworm-slim" {
    run "echo ${GREETING} > /greeting"
    label greeting="${GREETING}"
    cmd "cat" "/greeting"
}
"#;

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_build_args_reach_the_spec_through_the_frontend() {
    let image = engine_and_image();
    let dir = tmp("greeting");
    std::fs::write(dir.join("build.kdl"), GREETING).unwrap();
    for (args, want) in [
        (&[][..], "hello"),
        (&["--build-arg", "GREETING=bonjour"][..], "bonjour"),
    ] {
        let tag = format!("msbc-frontend/greeting:{want}");
        let b = docker_build(&dir, "build.kdl", &tag, &image, args);
        assert!(b.ok, "{args:?}:\n{}", b.log);
        let config = b.image.expect("image JSON");
        assert_eq!(config["labels"]["greeting"], want, "{config}");
        let (ok, out) = docker(&["run", "--rm", "--network", "none", &tag]);
        assert!(ok, "{out}");
        assert_eq!(out.trim(), want);
    }
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_shows_a_spec_error_with_its_code_and_line() {
    let image = engine_and_image();
    let dir = tmp("bad");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    runn \"true\"\n}\n",
    )
    .unwrap();
    let b = docker_build(&dir, "build.kdl", "msbc-frontend/bad:1", &image, &[]);
    assert!(!b.ok, "a bad spec builds:\n{}", b.log);
    let checked = msbc::compile::check(&std::fs::read(dir.join("build.kdl")).unwrap());
    let code = checked
        .diagnostics
        .sorted()
        .into_iter()
        .find(|d| d.is_error())
        .expect("the spec has an error")
        .code
        .to_string();
    assert!(
        b.log.contains(&format!("build.kdl:3: {code}")),
        "the output lacks `build.kdl:3: {code}`:\n{}",
        b.log
    );
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_builds_a_subfolder_spec_from_the_repository_root() {
    // `docker build -f apps/api/build.kdl .` from the root: the frontend
    // finds apps/api in the context (the spec's `context "../.."`), and the
    // team's .dockerignore holds as the spec's own patterns do.
    let image = engine_and_image();
    let dir = tmp("monorepo");
    let spec = "msbc 1\n\ncontext \"../..\" {\n    ignore \"**/*.log\"\n}\n\nimage api from=\"debian:bookworm-slim\" {\n    workdir \"/app\"\n    copy \"apps/api/\" \"packages/\" to=\"./\"\n    user \"65534\"\n    cmd \"ls\"\n}\n";
    for (rel, text) in [
        ("apps/api/build.kdl", spec),
        ("apps/api/server.js", "console.log('api');\n"),
        ("apps/api/debug.log", "noise\n"),
        ("packages/shared/index.js", "module.exports = 1;\n"),
        ("packages/shared/local-dump.sql", "rows\n"),
        (".dockerignore", "**/local-dump.sql\n"),
    ] {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let tag = "msbc-frontend/monorepo-api:1";
    let b = docker_build(&dir, "apps/api/build.kdl", tag, &image, &[]);
    assert!(b.ok, "{}", b.log);
    let app: Vec<String> = files(tag)
        .into_iter()
        .filter(|f| f.starts_with("app/"))
        .collect();
    assert_eq!(
        app,
        [
            "app/build.kdl",
            "app/server.js",
            "app/shared",
            "app/shared/index.js"
        ],
        "{}",
        b.log
    );
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_builds_a_workspace_service_of_a_monorepo() {
    // specs/node-monorepo's api through the frontend, from the repository
    // root: the frontend finds apps/api (the spec's `context "../.."`),
    // reads the workspace's manifests from the context, and the image runs
    // with the TypeScript workspace package and bcrypt's native addon, as
    // the Dockerfile route's image does (tests/real_builds.rs).
    let image = engine_and_image();
    let dir = tmp("node-monorepo");
    copy_dir(&root().join("specs/node-monorepo"), &dir);
    let tag = "msbc-frontend/node-monorepo-api:1";
    let b = docker_build(&dir, "apps/api/build.kdl", tag, &image, &[]);
    assert!(b.ok, "{}", b.log);
    let (ran, said) = docker(&["run", "--rm", "--network", "none", tag]);
    assert!(ran, "{said}");
    assert!(said.contains("hello, api, from acme@1.0.0"), "{said}");
    assert!(said.contains("bcrypt native: true"), "{said}");
    let held = files(tag);
    for absent in [
        "app/apps/web",
        "app/apps/api/build.kdl",
        "app/apps/api/tsconfig.json",
        "app/node_modules/typescript",
    ] {
        assert!(
            !held
                .iter()
                .any(|f| f == absent || f.starts_with(&format!("{absent}/"))),
            "the image holds {absent}:\n{}",
            b.log
        );
    }
}
