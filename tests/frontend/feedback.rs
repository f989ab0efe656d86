//! What a user sees of a spec's warnings and errors in a build through the
//! frontend image, on each client: `docker build` on Debian's dockerd 20.10
//! (its BuildKit has no Warn: each warning is a vertex of its own), and on
//! the rig buildctl (`gateway.v0` and a `// syntax=` first line) and buildx
//! (`BUILDKIT_SYNTAX`). The warnings carry their code, line and help; a
//! failed build shows every error with its code, line, snippet and help;
//! the check option `error=true` makes warnings fail the build.

use super::docker::{docker_build, engine_and_image};
use super::image::{frontend_image, tmp};
use super::rig::{buildctl, call};
use crate::support::needs_buildkitd;
use std::path::Path;

/// W0001 on line 3, W0003 on line 4; one arg, GREETING.
const WARNED: &str = r#"msbc 1
arg GREETING "hello"
image app from="debian:bookworm-slim" {
    env API_TOKEN="ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    run "echo ${GREETING} > /greeting"
    cmd "cat" "/greeting"
}
"#;

/// E0101 on line 3 (`runn`), E0202 on line 6 (`biuld`).
const FAILED: &str = r#"msbc 1
stage build from="debian:bookworm-slim" {
    runn "make"
}
image app from="debian:bookworm-slim" {
    copy "/out" from=biuld to="/app"
}
"#;

/// The warnings' short texts, as every client prints them (`shift`: lines
/// above the spec's, as a `// syntax=` line).
fn w0001(shift: usize) -> String {
    format!(
        "W0001: image `app` does not set a user (line {}); help: add a numeric id such as `user \"10001\"`",
        3 + shift
    )
}

fn w0003(shift: usize) -> String {
    format!(
        "W0003: `API_TOKEN` looks like a secret and is stored in the image (line {}); help: pass secrets to the one `run` that needs them",
        4 + shift
    )
}

const ARG: &str = "build-arg GREETNG is not an arg of build.kdl: did you mean GREETING?";

/// What the error message holds: both errors, their lines and help.
const ERROR_PARTS: &[&str] = &[
    "build.kdl:3: E0101: unknown node `runn` inside a stage or image (and 1 more error)",
    "error[E0101]: unknown node `runn` inside a stage or image",
    "help: did you mean `run`?",
    "error[E0202]: no stage named `biuld`",
    "help: did you mean `build`?",
    "6 │     copy \"/out\" from=biuld to=\"/app\"",
    "build.kdl: 2 errors",
];

fn spec_dir(name: &str, spec: &str) -> std::path::PathBuf {
    let dir = tmp(name);
    std::fs::write(dir.join("build.kdl"), spec).expect("write build.kdl");
    dir
}

fn assert_has(log: &str, parts: &[&str]) {
    for part in parts {
        assert!(log.contains(part), "the output lacks `{part}`:\n{log}");
    }
    assert!(!log.contains("see the log"), "{log}");
}

// ---------------------------------------------------------------------------
// Debian's dockerd 20.10 (`docker build --build-arg BUILDKIT_SYNTAX=IMAGE`).

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_shows_warnings_with_code_line_and_help() {
    let image = engine_and_image();
    let dir = spec_dir("docker-warned", WARNED);
    let tag = "msbc-frontend/warned:1";
    let b = docker_build(
        &dir,
        "build.kdl",
        tag,
        &image,
        &["--build-arg", "GREETNG=bonjour"],
    );
    assert!(b.ok, "warnings fail the build:\n{}", b.log);
    assert_has(
        &b.log,
        &[
            &format!("WARN: {}", w0001(0)),
            &format!("WARN: {}", w0003(0)),
            &format!("WARN: {ARG}"),
        ],
    );

    // error=true: the warnings fail the build, named.
    let b = docker_build(
        &dir,
        "build.kdl",
        tag,
        &image,
        &["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=true"],
    );
    assert!(!b.ok, "error=true passes with warnings:\n{}", b.log);
    assert_has(
        &b.log,
        &[
            "lint violation found for rules: W0001-root-user, W0003-secret-in-env",
            "warning[W0003]: `API_TOKEN` looks like a secret",
        ],
    );
    // skip: those warnings are neither shown nor errors.
    let b = docker_build(
        &dir,
        "build.kdl",
        tag,
        &image,
        &[
            "--build-arg",
            "BUILDKIT_DOCKERFILE_CHECK=skip=W0001,W0003;error=true",
        ],
    );
    assert!(b.ok, "skipped warnings fail the build:\n{}", b.log);
    assert!(!b.log.contains("WARN: W0001"), "{}", b.log);
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_shows_every_error_with_its_snippet_and_help() {
    let image = engine_and_image();
    let dir = spec_dir("docker-failed", FAILED);
    let b = docker_build(&dir, "build.kdl", "msbc-frontend/failed:1", &image, &[]);
    assert!(!b.ok, "a bad spec builds:\n{}", b.log);
    assert_has(&b.log, ERROR_PARTS);
}

// ---------------------------------------------------------------------------
// The rig: buildctl and buildx with a current BuildKit.

/// `buildctl build --progress PROGRESS` of `dir` with `frontend` options (no
/// output: the result stays in the cache).
fn buildctl_log(dir: &Path, progress: &str, frontend: &[&str]) -> (bool, String) {
    let bin = needs_buildkitd();
    let mut args: Vec<String> = ["build", "--progress", progress]
        .iter()
        .chain(frontend)
        .map(|s| s.to_string())
        .collect();
    for input in ["context", "dockerfile"] {
        args.push("--local".into());
        args.push(format!("{input}={}", dir.display()));
    }
    buildctl(&bin, &args)
}

/// The warnings of a `--progress rawjson` log: (the name of their vertex,
/// the short text). buildctl's plain and tty printers show a vertex's
/// warnings when that vertex next changes, so a warning that arrives after
/// the spec's vertex is done may show late or not at all there (BuildKit's
/// own lint warnings alike); the raw status is what the client received.
fn raw_warnings(log: &str) -> Vec<(String, String)> {
    use base64::Engine as _;
    let decode = |v: &serde_json::Value| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let statuses: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut names = std::collections::BTreeMap::new();
    for s in &statuses {
        for v in s["vertexes"].as_array().into_iter().flatten() {
            if let (Some(d), Some(n)) = (v["digest"].as_str(), v["name"].as_str()) {
                names.insert(d.to_string(), n.to_string());
            }
        }
    }
    statuses
        .iter()
        .flat_map(|s| s["warnings"].as_array().cloned().unwrap_or_default())
        .map(|w| {
            let vertex = w["vertex"].as_str().unwrap_or_default();
            (
                names.get(vertex).cloned().unwrap_or_default(),
                decode(&w["short"]),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_rig_warnings_reach_buildctl_on_the_specs_vertex_on_gateway_and_syntax() {
    let image = frontend_image();
    let dir = spec_dir("rig-warned", WARNED);
    std::fs::write(
        dir.join("syntax.kdl"),
        format!("// syntax={image}\n{WARNED}"),
    )
    .expect("write syntax.kdl");
    let source = format!("source={image}");
    for (route, frontend, file) in [
        (
            "gateway.v0",
            vec!["--frontend", "gateway.v0", "--opt", &source],
            "build.kdl",
        ),
        (
            "// syntax=",
            vec![
                "--frontend",
                "dockerfile.v0",
                "--opt",
                "filename=syntax.kdl",
            ],
            "syntax.kdl",
        ),
    ] {
        let mut frontend = frontend.clone();
        frontend.extend(["--opt", "build-arg:GREETNG=bonjour"]);
        let (ok, log) = buildctl_log(&dir, "rawjson", &frontend);
        assert!(ok, "{route}: warnings fail the build:\n{log}");
        let got = raw_warnings(&log);
        // The `// syntax=` line moves the spec one line down.
        let shift = usize::from(file == "syntax.kdl");
        let spec = format!("[internal] load build definition from {file}");
        for w in [w0001(shift), w0003(shift), ARG.replace("build.kdl", file)] {
            assert!(
                got.iter()
                    .any(|(v, short)| *v == spec && short.starts_with(&w)),
                "{route}: no `{w}` on the vertex `{spec}`: {got:#?}"
            );
        }
    }
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_rig_buildctl_shows_every_error_with_its_snippet() {
    let image = frontend_image();
    let dir = spec_dir("rig-failed", FAILED);
    let source = format!("source={image}");
    let (ok, log) = buildctl_log(
        &dir,
        "plain",
        &["--frontend", "gateway.v0", "--opt", &source],
    );
    assert!(!ok, "a bad spec builds:\n{log}");
    assert_has(&log, ERROR_PARTS);
    // BuildKit's own snippets, from the source details, in spec order.
    let first = log.find("build.kdl:3\n--------------------").expect(&log);
    let second = log.find("build.kdl:6\n--------------------").expect(&log);
    assert!(first < second, "{log}");
    assert!(log.contains("   3 | >>>     runn \"make\""), "{log}");
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildx, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_buildx_shows_warnings_errors_and_the_check_option() {
    let dir = spec_dir("buildx-warned", WARNED);
    let (ok, out, err) = call("build", &dir, "build.kdl", &["--build-arg", "GREETNG=x"]);
    let all = format!("{out}{err}");
    assert!(ok, "warnings fail the build:\n{all}");
    assert!(all.contains("3 warnings found"), "{all}");
    assert_has(
        &all,
        &[
            &format!(" - {}", w0001(0)),
            &format!(" - {}", w0003(0)),
            &format!(" - {ARG}"),
        ],
    );

    let (ok, out, err) = call(
        "build",
        &dir,
        "build.kdl",
        &["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=true"],
    );
    let all = format!("{out}{err}");
    assert!(!ok, "error=true passes with warnings:\n{all}");
    assert!(
        all.contains("lint violation found for rules: W0001-root-user, W0003-secret-in-env"),
        "{all}"
    );
    // The snippets of the warnings that failed it.
    assert!(
        all.contains(">>>     env API_TOKEN="),
        "no snippet of W0003:\n{all}"
    );

    // `--call check` honours skip.
    let (_, out, err) = call(
        "check",
        &dir,
        "build.kdl",
        &["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=W0001"],
    );
    let all = format!("{out}{err}");
    assert!(all.contains("WARNING: W0003-"), "{all}");
    assert!(!all.contains("WARNING: W0001-"), "{all}");

    let dir = spec_dir("buildx-failed", FAILED);
    let (ok, out, err) = call("build", &dir, "build.kdl", &[]);
    let all = format!("{out}{err}");
    assert!(!ok, "a bad spec builds:\n{all}");
    assert_has(&all, ERROR_PARTS);
    assert!(
        all.contains("   6 | >>>     copy \"/out\" from=biuld"),
        "{all}"
    );
}
