//! Every spec in `specs/` that can be built offline is built for real with
//! the engine of `tests/engine` (Debian's dockerd 20.10, stand-in base
//! images), from msbc's `--syntax none` output (`--image NAME` for each of
//! its images), and each image is checked against what msbc says it should
//! be (`--emit image-config`):
//! the same user, not root, and the same entrypoint; its size is printed.
//! Every other spec is listed in [`NOT_OFFLINE`] with the reason, so a new
//! spec is either built or explained.
//!
//! With `MSBC_IMAGE_SIZES=FILE`, a Markdown table of the image sizes is
//! written to FILE (`tests/engine/image-sizes.sh` puts it in docs/testing.md).
//!
//! `needs_engine` (tests/support, "Needs"): tests/run.sh runs it when
//! `tests/engine/setup.sh` has started the engine.

use crate::support::{copy_dir, msbc_in, needs_engine, root, spec_files};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Specs that cannot build on this project's offline machines, and why.
pub const NOT_OFFLINE: &[(&str, &str)] = &[
    (
        "dotnet",
        "no .NET SDK stand-in: Debian packages none (`mcr.microsoft.com/dotnet/sdk`)",
    ),
    (
        "dotnet-solution",
        "no .NET SDK stand-in: Debian packages none (`mcr.microsoft.com/dotnet/sdk`)",
    ),
    (
        "dotnet-solution/src/Worker",
        "no .NET SDK stand-in: Debian packages none (`mcr.microsoft.com/dotnet/sdk`)",
    ),
    (
        "java-maven",
        "Maven Central is unreachable (`mvn dependency:go-offline` needs the plugins from it; the `maven`/`eclipse-temurin` stand-ins are there: tests/real_builds.rs builds a javac/jar spec on them)",
    ),
    (
        "java/gradle",
        "Gradle's distribution and Maven Central are unreachable; no `gradle`/distroless java stand-in",
    ),
    (
        "java/gradle-multi",
        "Gradle's distribution and Maven Central are unreachable; no `gradle` stand-in",
    ),
    (
        "java/maven",
        "Maven Central is unreachable (`mvn dependency:go-offline` needs the plugins from it; the `maven`/`eclipse-temurin` stand-ins are there: tests/real_builds.rs builds a javac/jar spec on them)",
    ),
    (
        "java/multimodule",
        "Maven Central is unreachable (`mvn dependency:go-offline` needs the plugins from it); tests/presets/java.rs checks its reactor with `mvn -o validate` and compiles what the build stage copies on the `maven` stand-in",
    ),
    (
        "java/multimodule/services/billing",
        "Maven Central is unreachable (`mvn dependency:go-offline` needs the plugins from it)",
    ),
    (
        "node-web",
        "its dependencies come from a private npm registry (`.npmrc` secret) and a private git repository over SSH",
    ),
    (
        "node/pnpm",
        "no `gcr.io/distroless/nodejs22-debian12` stand-in",
    ),
    (
        "node/yarn",
        "the `node` stand-in is Debian's Node 18 and the app requires node >= 20, which yarn enforces",
    ),
    (
        "node/static",
        "no `nginxinc/nginx-unprivileged` (Alpine) stand-in",
    ),
    (
        "python-api",
        "`RUN --mount=type=secret,env=` is rejected by dockerd 20.10's built-in frontend; the secret is a private index URL",
    ),
    (
        "python/poetry",
        "poetry (installed from PyPI) cannot reach PyPI through this machine's TLS-intercepting egress, though pip can",
    ),
    (
        "python-workspace/apps/api",
        "no `ghcr.io/astral-sh/uv` stand-in (tests/real_builds.rs makes one from uv's wheel and builds this spec from the workspace's root)",
    ),
    (
        "python-workspace/apps/worker",
        "no `ghcr.io/astral-sh/uv` stand-in (tests/real_builds.rs makes one from uv's wheel and builds this spec from the workspace's root)",
    ),
    ("python/uv", "no `ghcr.io/astral-sh/uv` stand-in"),
    (
        "tested-service",
        "no `alpine:3.20` or `golangci/golangci-lint` stand-in; `RUN --network=none` is rejected by dockerd 20.10's built-in frontend",
    ),
];

/// `specs/NAME` for a spec file.
fn name_of(spec: &Path) -> String {
    spec.parent()
        .and_then(|p| p.strip_prefix(root().join("specs")).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// The spec's build context relative to its folder: the argument of its
/// top-level `context "../.."` node, else "." (the spec's own folder).
pub fn spec_context(spec: &str) -> String {
    spec.lines()
        .filter_map(|l| l.trim().strip_prefix("context \""))
        .filter_map(|rest| rest.split('"').next())
        .next()
        .unwrap_or(".")
        .to_string()
}

/// A copy of the spec's build context (its folder, or the folder its
/// `context` names), the spec's folder in it, the context relative to that
/// folder, and the names of the images it defines.
fn prepare(name: &str) -> (PathBuf, String, Vec<String>) {
    let spec_dir = root().join("specs").join(name);
    let text = std::fs::read_to_string(spec_dir.join("build.kdl")).expect("read build.kdl");
    let context = spec_context(&text);
    let ups = context.split('/').filter(|p| *p == "..").count();
    let inner: Vec<&str> = name.split('/').collect();
    let (outer, inner) = inner.split_at(inner.len().saturating_sub(ups));
    let scratch = crate::support::scratch(&format!("spec-builds/{}", name.replace('/', "-")));
    copy_dir(&root().join("specs").join(outer.join("/")), &scratch);
    let dir = scratch.join(inner.join("/"));
    let model = msbc_in(&dir, &["compile", "--emit", "json"], None);
    assert_eq!(model.status, 0, "{name}: {}", model.stderr);
    let model: serde_json::Value = serde_json::from_str(&model.stdout).expect("JSON model");
    let images = model["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter(|s| s["kind"] == "image")
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect();
    (dir, context, images)
}

/// msbc's `--syntax none` Dockerfile for `image` (`Dockerfile.IMAGE`), and
/// the image config msbc says that image has.
fn compile(dir: &Path, name: &str, image: &str) -> (String, serde_json::Value) {
    let file = format!("Dockerfile.{image}");
    let run = msbc_in(
        dir,
        &["compile", "--syntax", "none", "--image", image, "-o", &file],
        None,
    );
    assert_eq!(run.status, 0, "{name} {image}: {}", run.stderr);
    let config = msbc_in(
        dir,
        &[
            "compile",
            "--emit",
            "image-config",
            "--no-base-configs",
            "--image",
            image,
        ],
        None,
    );
    assert_eq!(config.status, 0, "{name} {image}: {}", config.stderr);
    let config: serde_json::Value =
        serde_json::from_str(&config.stdout).expect("image config is JSON");
    (file, config["config"].clone())
}

/// `tests/engine/build.sh`: the build's log, then the image as JSON.
fn build(dir: &Path, dockerfile: &str, context: &str, tag: &str) -> serde_json::Value {
    let out = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args([dockerfile, context, tag])
        .current_dir(dir)
        .output()
        .expect("build.sh runs");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "build of {tag} failed:\n{log}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(log.lines().last().expect("a JSON line")).expect("the last line is JSON")
}

#[test]
fn not_offline_names_only_specs() {
    let names: Vec<String> = spec_files().iter().map(|p| name_of(p)).collect();
    for (name, _) in NOT_OFFLINE {
        assert!(
            names.iter().any(|n| n == name),
            "NOT_OFFLINE lists `{name}`, which is not a spec"
        );
    }
}

#[test]
#[ignore = "needs the engine: tests/run.sh runs it when tests/engine/setup.sh has started msbc's dockerd"]
fn needs_engine_every_spec_is_built_or_explained() {
    needs_engine();
    let names: Vec<String> = spec_files().iter().map(|p| name_of(p)).collect();
    let mut rows = Vec::new();
    for name in &names {
        if let Some((_, why)) = NOT_OFFLINE.iter().find(|(n, _)| n == name) {
            eprintln!("spec {name}: not built offline: {why}");
            rows.push(format!("| `{name}` | — | not built offline: {why} |"));
            continue;
        }
        let (dir, context, images) = prepare(name);
        for image_name in &images {
            let (dockerfile, want) = compile(&dir, name, image_name);
            // A spec with several images: one row each, `spec (image)`.
            let shown = if images.len() > 1 {
                format!("{name} ({image_name})")
            } else {
                name.clone()
            };
            let tag = format!("msbc-spec/{}-{image_name}:latest", name.replace('/', "-"));
            let image = build(&dir, &dockerfile, &context, &tag);
            let user = image["user"].as_str().unwrap_or("").to_string();
            let uid = user.split(':').next().unwrap_or("");
            assert!(
                !uid.is_empty() && uid != "root" && uid != "0",
                "{shown}: the image runs as {user:?}"
            );
            assert_eq!(
                user,
                want["User"].as_str().unwrap_or(""),
                "{shown}: the image's user is not the spec's"
            );
            assert!(
                image["entrypoint"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty()),
                "{shown}: no exec-form entrypoint"
            );
            assert_eq!(
                image["entrypoint"], want["Entrypoint"],
                "{shown}: the image's entrypoint is not the spec's"
            );
            let mb = image["size"].as_f64().unwrap_or(0.0) / 1_000_000.0;
            let entrypoint = image["entrypoint"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            eprintln!(
                "spec {shown}: {mb:.1} MB, user {user}, entrypoint [{entrypoint}], built in {}s",
                image["build_seconds"]
            );
            rows.push(format!(
                "| `{shown}` | {mb:.1} MB | user `{user}`, entrypoint `{entrypoint}` |"
            ));
        }
    }
    if let Some(file) = std::env::var_os("MSBC_IMAGE_SIZES") {
        let mut table = String::from("| spec | image size | |\n| --- | ---: | --- |\n");
        for row in rows {
            table.push_str(&row);
            table.push('\n');
        }
        std::fs::write(&file, table).expect("write MSBC_IMAGE_SIZES");
    }
}

/// `--syntax none` leaves out `COPY --link` (the same files; only caching
/// differs) and names on stderr what an old frontend still rejects
/// (`RUN --network`, a secret as `env=`), which it keeps.
#[test]
fn syntax_none_drops_link_and_names_what_old_frontends_reject() {
    let spec = root().join("specs/tested-service");
    let spec = spec.to_string_lossy();
    let modern = msbc_in(&root(), &["compile", &spec], None);
    assert_eq!(modern.status, 0, "{}", modern.stderr);
    assert!(modern.stdout.contains(" --link "), "{}", modern.stdout);
    assert!(!modern.stderr.contains("reject"), "{}", modern.stderr);

    let legacy = msbc_in(&root(), &["compile", "--syntax", "none", &spec], None);
    assert_eq!(legacy.status, 0, "{}", legacy.stderr);
    assert!(!legacy.stdout.contains("--link"), "{}", legacy.stdout);
    assert!(
        legacy
            .stdout
            .contains("COPY --chown=0:10001 --chmod=0640 config/ledger.toml"),
        "{}",
        legacy.stdout
    );
    assert!(
        legacy.stdout.contains("--network=none"),
        "{}",
        legacy.stdout
    );
    assert!(
        legacy.stderr.contains("reject line 26: `RUN --network`"),
        "{}",
        legacy.stderr
    );

    let api = root().join("specs/python-api");
    let api = msbc_in(
        &root(),
        &["compile", "--syntax", "none", &api.to_string_lossy()],
        None,
    );
    assert_eq!(api.status, 0, "{}", api.stderr);
    assert!(
        api.stderr
            .contains("`--mount=type=secret,env=PIP_INDEX_URL`"),
        "{}",
        api.stderr
    );
}
