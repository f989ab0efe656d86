//! Shipping msbc: `msbc --version`, the release archives
//! (`scripts/release.sh`), the two-platform frontend image
//! (`scripts/frontend-image.sh`) and the CLI image (`scripts/cli-image.sh`)
//! with the CI recipes of docs/ci.md run in it on the engine.
//!
//! The archives and the frontend index need the arm64 cross toolchain
//! (`needs_cross`; the index also the engine and docker-registry:
//! `needs_multiplatform_image`); the recipes need the engine, docker-registry
//! and Debian's package mirror (`needs_cli_image`). All build msbc with the
//! `frontend-image` profile (static, unoptimized), which the frontend tests
//! share.

use crate::frontend::image::{push_image, registry_host};
use crate::support::{copy_dir, msbc, needs_cross, needs_engine, root, scratch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `git rev-parse --short=12 HEAD` of this checkout (build.rs's commit),
/// `None` outside a git work tree.
fn head_commit() -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root())
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What `msbc --version` prints: the crate's version, and the commit in a
/// git checkout.
fn expected_version() -> String {
    let version = env!("CARGO_PKG_VERSION");
    match head_commit() {
        Some(commit) => format!("msbc {version} ({commit})"),
        None => format!("msbc {version}"),
    }
}

/// Runs a shell command line; panics with its output unless it succeeds.
#[track_caller]
fn sh(script: &str, dir: &Path) -> String {
    let out = Command::new("sh")
        .args(["-ec", script])
        .current_dir(dir)
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "`{script}` failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn version_is_the_crate_version_and_the_commit() {
    let run = msbc(&["--version"]);
    run.success();
    assert_eq!(run.stdout.trim_end(), expected_version());
    // The crate's version is compiler/Cargo.toml's.
    let manifest = std::fs::read_to_string(root().join("compiler/Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains(&format!("\nversion = \"{}\"\n", env!("CARGO_PKG_VERSION"))),
        "compiler/Cargo.toml names another version"
    );
}

#[test]
#[ignore = "needs the arm64 cross toolchain and qemu-user (tests/run.sh: needs_cross)"]
fn needs_cross_release_script_writes_static_archives_for_both_architectures() {
    let qemu = needs_cross();
    let dir = scratch("release/archives");
    let out = Command::new("bash")
        .arg(root().join("scripts/release.sh"))
        .arg(&dir)
        .args(["--profile", "frontend-image"])
        .output()
        .expect("release.sh runs");
    assert!(
        out.status.success(),
        "release.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = env!("CARGO_PKG_VERSION");
    let names: Vec<String> = ["amd64", "arm64"]
        .iter()
        .map(|arch| format!("msbc-{version}-linux-{arch}"))
        .collect();

    // SHA256SUMS names both archives, and they verify.
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS");
    let listed: Vec<&str> = sums
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    let archives: Vec<String> = names.iter().map(|n| format!("{n}.tar.gz")).collect();
    assert_eq!(listed, archives, "SHA256SUMS:\n{sums}");
    sh("sha256sum -c SHA256SUMS", &dir);
    // And they are sums of these bytes: a changed archive fails the check.
    let copy = scratch("release/tampered");
    for file in ["SHA256SUMS", &archives[0]] {
        std::fs::copy(dir.join(file), copy.join(file)).expect("copy");
    }
    std::fs::copy(dir.join(&archives[1]), copy.join(&archives[1])).expect("copy");
    let mut bytes = std::fs::read(copy.join(&archives[1])).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(copy.join(&archives[1]), bytes).expect("write");
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&copy)
        .output()
        .expect("sha256sum runs");
    assert!(!check.status.success(), "a changed archive still verifies");

    let license = std::fs::read(root().join("LICENSE")).expect("LICENSE");
    for (name, (arch_says, runner)) in names
        .iter()
        .zip([("x86-64", None), ("ARM aarch64", Some(&qemu))])
    {
        let listing = sh(&format!("tar -tzf {name}.tar.gz | sort"), &dir);
        let expected: Vec<String> = [
            "",
            "LICENSE",
            "README.md",
            "THIRD-PARTY-LICENSES",
            "completions/",
            "completions/_msbc",
            "completions/_msbc.ps1",
            "completions/msbc.bash",
            "completions/msbc.fish",
            "msbc",
        ]
        .iter()
        .map(|f| format!("{name}/{f}"))
        .collect();
        assert_eq!(listing.lines().collect::<Vec<_>>(), expected, "{name}");
        sh(&format!("tar -xzf {name}.tar.gz"), &dir);
        let unpacked = dir.join(name);
        let bin = unpacked.join("msbc");
        let file = sh(&format!("file -b {}", bin.display()), &dir);
        eprintln!("{name}/msbc: {}", file.trim());
        for needle in ["ELF 64-bit", "executable", arch_says, "statically linked"] {
            assert!(file.contains(needle), "{name}/msbc: `file` says {file}");
        }
        let mut run = match runner {
            Some(qemu) => {
                let mut c = Command::new(qemu);
                c.arg(&bin);
                c
            }
            None => Command::new(&bin),
        };
        let said = run.arg("--version").output().expect("msbc runs");
        assert_eq!(
            String::from_utf8_lossy(&said.stdout).trim_end(),
            expected_version(),
            "{name}: msbc --version"
        );
        assert_eq!(
            std::fs::read(unpacked.join("LICENSE")).expect("LICENSE"),
            license
        );
        let read = |f: &str| std::fs::read_to_string(unpacked.join(f)).expect("a file");
        let third_party = read("THIRD-PARTY-LICENSES");
        for crate_name in ["\n  clap ", "\n  tokio ", "\n  kdl "] {
            assert!(
                third_party.contains(crate_name),
                "{name}: no{crate_name} in THIRD-PARTY-LICENSES"
            );
        }
        // Build and dev dependencies are not in the binary.
        for crate_name in ["\n  insta ", "\n  pest_generator "] {
            assert!(
                !third_party.contains(crate_name),
                "{name}: {crate_name} is not linked in"
            );
        }
        assert!(read("completions/_msbc").starts_with("#compdef msbc"));
        assert!(read("completions/msbc.bash").contains("complete -F _msbc"));
        assert!(read("completions/msbc.fish").contains("complete -c msbc"));
        assert!(read("completions/_msbc.ps1").contains("Register-ArgumentCompleter"));
    }
}

/// `GET http://HOST/v2/NAME/manifests|blobs/REF` with `accept`.
fn registry_get(host: &str, name: &str, path: &str, accept: &str) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-fsS", "-H", &format!("Accept: {accept}")])
        .arg(format!("http://{host}/v2/{name}/{path}"))
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "GET {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JSON from the registry")
}

/// One platform's image of an index in the tests' registry: its
/// architecture, config, and layers (unpacked to .tar files).
struct PlatformImage {
    arch: String,
    config: serde_json::Value,
    layers: Vec<PathBuf>,
}

/// Reads the index `NAME:TAG` from the registry at `host`: checks that it
/// is an OCI index whose digest is `digest` (what the image script printed),
/// naming linux/amd64 and linux/arm64/v8 in that order, each image's config
/// saying its architecture; writes each image's layers, gunzipped, to `work`.
fn index_images(
    host: &str,
    name: &str,
    tag: &str,
    digest: &str,
    work: &Path,
) -> Vec<PlatformImage> {
    let bytes = registry_get(
        host,
        name,
        &format!("manifests/{tag}"),
        "application/vnd.oci.image.index.v1+json",
    );
    assert_eq!(
        digest,
        format!("sha256:{}", sh_digest(&bytes)),
        "the script prints the index's digest"
    );
    let index = json(&bytes);
    assert_eq!(
        index["mediaType"], "application/vnd.oci.image.index.v1+json",
        "{index}"
    );
    let manifests = index["manifests"].as_array().expect("manifests");
    let platforms: Vec<String> = manifests
        .iter()
        .map(|m| {
            let p = &m["platform"];
            let mut s = format!(
                "{}/{}",
                p["os"].as_str().unwrap_or(""),
                p["architecture"].as_str().unwrap_or("")
            );
            if let Some(v) = p["variant"].as_str() {
                s.push('/');
                s.push_str(v);
            }
            s
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    manifests
        .iter()
        .zip(["amd64", "arm64"])
        .map(|(entry, arch)| {
            let digest = entry["digest"].as_str().expect("digest");
            let manifest = json(&registry_get(
                host,
                name,
                &format!("manifests/{digest}"),
                "application/vnd.oci.image.manifest.v1+json",
            ));
            let config_digest = manifest["config"]["digest"].as_str().expect("config");
            let config = json(&registry_get(
                host,
                name,
                &format!("blobs/{config_digest}"),
                "*/*",
            ));
            assert_eq!(config["architecture"], arch, "{config}");
            let layers = manifest["layers"]
                .as_array()
                .expect("layers")
                .iter()
                .enumerate()
                .map(|(i, layer)| {
                    let digest = layer["digest"].as_str().expect("layer digest");
                    let gz = work.join(format!("{arch}-{i}.tar.gz"));
                    std::fs::write(
                        &gz,
                        registry_get(host, name, &format!("blobs/{digest}"), "*/*"),
                    )
                    .expect("write the layer");
                    sh(&format!("gunzip -f {}", gz.display()), work);
                    work.join(format!("{arch}-{i}.tar"))
                })
                .collect();
            PlatformImage {
                arch: arch.to_string(),
                config,
                layers,
            }
        })
        .collect()
}

#[test]
#[ignore = "needs the arm64 cross toolchain, msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (tests/run.sh: needs_multiplatform_image)"]
fn needs_multiplatform_image_frontend_index_holds_both_architectures_and_the_engine_builds_through_it()
 {
    needs_cross();
    let docker = needs_engine();
    let host = registry_host();
    let reference = format!("{host}/msbc/frontend:multi");
    // The script's default: linux/amd64 and linux/arm64.
    let digest = push_image(
        "frontend-image.sh",
        &reference,
        &[("MSBC_FRONTEND_PROFILE", "frontend-image")],
    );
    let work = scratch("release/index");
    let images = index_images(&host, "msbc/frontend", "multi", &digest, &work);
    for (image, file_says) in images.iter().zip(["x86-64", "ARM aarch64"]) {
        assert_eq!(
            image.config["config"]["Entrypoint"],
            serde_json::json!(["/msbc", "frontend"])
        );
        let file = sh(
            &format!(
                "tar -xOf {} msbc > msbc-{arch} && file -b msbc-{arch}",
                image.layers[0].display(),
                arch = image.arch
            ),
            &work,
        );
        assert!(
            file.contains(file_says) && file.contains("statically linked"),
            "{}: {file}",
            image.arch
        );
    }

    // dockerd 20.10 pulls the index and takes its own platform's image.
    let pull = Command::new(&docker)
        .args(["pull", &reference])
        .output()
        .expect("docker runs");
    assert!(
        pull.status.success(),
        "docker pull: {}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let arch = Command::new(&docker)
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}}",
            &reference,
        ])
        .output()
        .expect("docker runs");
    assert_eq!(String::from_utf8_lossy(&arch.stdout).trim(), "linux/amd64");

    // Its BuildKit resolves the frontend from the index and builds through it.
    let dir = scratch("release/index-go");
    copy_dir(&root().join("specs/go"), &dir);
    let build = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args(["build.kdl", ".", "msbc-release/go:index", "--build-arg"])
        .arg(format!("BUILDKIT_SYNTAX={reference}"))
        .current_dir(&dir)
        .output()
        .expect("build.sh runs");
    assert!(
        build.status.success(),
        "the build through the index failed:\n{}{}",
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );
}

/// The hex sha256 of `bytes` (sha256sum).
fn sh_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(bytes);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------
// The CI recipes of docs/ci.md, run in the CLI image.

/// The image the recipes of docs/ci.md name (what `scripts/cli-image.sh` is
/// shown pushing).
const README_CLI_IMAGE: &str = "registry.example.com/platform/msbc-cli:1";

/// One recipe of docs/ci.md's "CI recipe" section: its CI system, the image
/// it names, and the shell lines its jobs run, in order.
#[derive(Debug)]
struct Recipe {
    system: String,
    images: Vec<String>,
    script: Vec<String>,
}

/// The fenced blocks of docs/ci.md's `### CI recipe` section, each with the
/// line above it that names its CI system (`GitLab CI:`).
fn readme_recipes() -> Vec<Recipe> {
    let readme = std::fs::read_to_string(root().join("docs/ci.md")).expect("docs/ci.md");
    let section = readme
        .split("\n### CI recipe\n")
        .nth(1)
        .expect("docs/ci.md has a `### CI recipe` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut recipes = Vec::new();
    let mut label = String::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") && line.len() > 3 {
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            recipes.push(recipe(&label, &block));
        } else if line.ends_with(':') && !line.starts_with(' ') {
            label = line.trim_end_matches(':').to_string();
        }
    }
    recipes
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A YAML scalar as the shell sees it: without surrounding quotes.
fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2
        && (v.starts_with('"') && v.ends_with('"') || v.starts_with('\'') && v.ends_with('\''))
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Reads one recipe: the values of `run:` (GitHub Actions), `script:`
/// (GitLab CI's list, Tekton's block) and `sh '...'` / `sh '''...'''`
/// (Jenkins), in order; and `image:`, `container:` and `image '...'`.
fn recipe(system: &str, block: &[&str]) -> Recipe {
    let mut images = Vec::new();
    let mut script = Vec::new();
    let mut i = 0;
    while i < block.len() {
        let line = block[i];
        let body = line.trim_start().trim_start_matches("- ");
        let key_indent = line.len() - body.len();
        i += 1;
        if let Some(rest) = body.strip_prefix("sh '''") {
            // Jenkins: a block up to the closing '''.
            assert!(
                rest.is_empty(),
                "{system}: write `sh '''` alone on its line"
            );
            let mut text = Vec::new();
            while i < block.len() && block[i].trim() != "'''" {
                text.push(block[i]);
                i += 1;
            }
            i += 1;
            let strip = text
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| indent(l))
                .min()
                .unwrap_or(0);
            script.push(
                text.iter()
                    .map(|l| l.get(strip..).unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            continue;
        }
        if let Some(rest) = body.strip_prefix("sh '") {
            script.push(rest.trim_end().trim_end_matches('\'').to_string());
            continue;
        }
        if let Some(pos) = body.find("image '") {
            let rest = &body[pos + 7..];
            images.push(rest[..rest.find('\'').unwrap_or(rest.len())].to_string());
            continue;
        }
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "image" | "container" if !value.is_empty() => images.push(unquote(value)),
            "run" | "script" => {
                if value == "|" {
                    let mut text = Vec::new();
                    while i < block.len()
                        && (block[i].trim().is_empty() || indent(block[i]) > key_indent)
                    {
                        text.push(block[i]);
                        i += 1;
                    }
                    let strip = text
                        .iter()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| indent(l))
                        .min()
                        .unwrap_or(0);
                    script.push(
                        text.iter()
                            .map(|l| l.get(strip..).unwrap_or(""))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                } else if value.is_empty() {
                    while i < block.len()
                        && indent(block[i]) + 2 > key_indent
                        && block[i].trim_start().starts_with("- ")
                    {
                        script.push(unquote(&block[i].trim_start()[2..]));
                        i += 1;
                    }
                } else {
                    script.push(value.to_string());
                }
            }
            _ => {}
        }
    }
    Recipe {
        system: system.to_string(),
        images,
        script,
    }
}

/// A repository as a CI system sees a change request: `origin` (a bare
/// repository) with `main`, holding specs/go and its Dockerfile, and the
/// branch `change` (port 8080 → 9090, the Dockerfile regenerated). The job's
/// checkout at `work` holds `change` only (as GitLab, Jenkins and Tekton
/// fetch it) or, with `full`, every branch (actions/checkout fetch-depth 0).
fn ci_repository(dir: &Path, full: bool, stale_dockerfile: bool) -> PathBuf {
    let src = dir.join("src");
    copy_dir(&root().join("specs/go"), &src);
    let compile = |dir: &Path| {
        let run = crate::support::msbc_in(dir, &["compile", "-o", "Dockerfile"], None);
        assert_eq!(run.status, 0, "{}", run.stderr);
    };
    compile(&src);
    let git = "git -c user.name=ci -c user.email=ci@example.com";
    sh(
        &format!(
            "git init -q -b main . && git add -A && {git} commit -qm base \
             && git init -q --bare ../origin.git && git push -q ../origin.git main \
             && git checkout -qb change"
        ),
        &src,
    );
    let spec = std::fs::read_to_string(src.join("build.kdl")).expect("build.kdl");
    assert!(spec.contains("port 8080"));
    std::fs::write(
        src.join("build.kdl"),
        spec.replace("port 8080", "port 9090"),
    )
    .expect("write");
    if !stale_dockerfile {
        compile(&src);
    }
    sh(
        &format!("{git} commit -qam change && git push -q ../origin.git change"),
        &src,
    );
    let work = dir.join("work");
    let origin = dir.join("origin.git");
    if full {
        sh(
            &format!(
                "git clone -q {} work && cd work && git checkout -q change",
                origin.display()
            ),
            dir,
        );
    } else {
        std::fs::create_dir_all(&work).expect("mkdir");
        sh(
            &format!(
                "git init -q . && git remote add origin {} && git fetch -q origin change \
                 && git checkout -q -b change FETCH_HEAD && ! git rev-parse -q --verify origin/main",
                origin.display()
            ),
            &work,
        );
    }
    work
}

/// Runs `script` (`sh -e`, as each of these CI systems does) in `image`
/// on the engine, in `work` (mounted at the same path), with `env`.
fn run_in_image(
    docker: &str,
    image: &str,
    work: &Path,
    script: &str,
    env: &[(&str, String)],
) -> (bool, String) {
    let top = work.parent().expect("the repository's folder");
    let mut cmd = Command::new(docker);
    cmd.args(["run", "--rm", "--network", "none", "-v"])
        .arg(format!("{0}:{0}", top.display()))
        .arg("-w")
        .arg(work);
    for (k, v) in env {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    let out = cmd
        .args([image, "sh", "-ec", script])
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

#[test]
#[ignore = "needs msbc's dockerd, docker-registry, Debian's package mirror and MSBC_FRONTEND_TESTS=1 (tests/run.sh: needs_cli_image)"]
fn needs_cli_image_readme_ci_recipes_run_in_the_cli_image() {
    let docker = needs_engine();
    let host = registry_host();
    let image = format!("{host}/msbc/cli:test");
    push_image(
        "cli-image.sh",
        &image,
        &[
            ("MSBC_CLI_PROFILE", "frontend-image"),
            ("MSBC_CLI_PLATFORMS", "linux/amd64"),
        ],
    );
    let recipes = readme_recipes();
    let systems: Vec<&str> = recipes.iter().map(|r| r.system.as_str()).collect();
    assert_eq!(
        systems,
        ["GitHub Actions", "GitLab CI", "Jenkins", "Tekton"]
    );

    // The base branch as each system names it in a script.
    let substitutions: BTreeMap<&str, &str> = [
        ("${{ github.base_ref }}", "main"),
        ("$(params.base-branch)", "main"),
    ]
    .into_iter()
    .collect();
    for recipe in &recipes {
        assert!(
            !recipe.images.is_empty() && recipe.images.iter().all(|i| i == README_CLI_IMAGE),
            "{}: names {:?}, not the CLI image {README_CLI_IMAGE}",
            recipe.system,
            recipe.images
        );
        assert!(
            recipe.script.iter().any(|l| l.contains("msbc diff --rev")),
            "{}: {:?}",
            recipe.system,
            recipe.script
        );
        let mut script = recipe.script.join("\n");
        for (from, to) in &substitutions {
            script = script.replace(from, to);
        }
        assert!(
            !script.contains("${{") && !script.contains("$(params."),
            "{}: an expression the test does not know: {script}",
            recipe.system
        );
        let dir = scratch(&format!("release/ci/{}", recipe.system.replace(' ', "-")));
        let work = ci_repository(&dir, recipe.system == "GitHub Actions", false);
        let summary = work.join("step-summary.md");
        let env: Vec<(&str, String)> = match recipe.system.as_str() {
            "GitHub Actions" => vec![
                ("GITHUB_ACTIONS", "true".into()),
                ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
            ],
            "GitLab CI" => vec![
                ("GITLAB_CI", "true".into()),
                ("CI_PIPELINE_SOURCE", "merge_request_event".into()),
                ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main".into()),
            ],
            "Jenkins" => vec![("CHANGE_TARGET", "main".into())],
            _ => vec![],
        };
        let (ok, log) = run_in_image(&docker, &image, &work, &script, &env);
        assert!(
            ok,
            "{}: the recipe's script failed in the CLI image:\n{script}\n---\n{log}",
            recipe.system
        );
        // What the change does to the build reached the job's output.
        let report = if recipe.system == "GitHub Actions" {
            std::fs::read_to_string(&summary).expect("the step summary")
        } else {
            std::fs::read_to_string(work.join("msbc-diff.txt")).expect("msbc-diff.txt")
        };
        assert!(
            report.contains("9090") && report.contains("8080"),
            "{}: the diff does not show the port change:\n{report}",
            recipe.system
        );
        eprintln!(
            "{}: {} lines ran in the CLI image",
            recipe.system,
            recipe.script.len()
        );
    }

    // The same run fails when a command fails: a stale Dockerfile stops the
    // GitLab job at `msbc compile --check`.
    let gitlab = &recipes[1];
    let dir = scratch("release/ci/stale");
    let work = ci_repository(&dir, false, true);
    let (ok, log) = run_in_image(
        &docker,
        &image,
        &work,
        &gitlab.script.join("\n"),
        &[("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main".into())],
    );
    assert!(!ok, "a stale Dockerfile passed the GitLab recipe:\n{log}");
    assert!(log.contains("msbc compile"), "{log}");
}

#[test]
#[ignore = "needs the arm64 cross toolchain and qemu-user, msbc's dockerd, docker-registry, Debian's package mirror and MSBC_FRONTEND_TESTS=1 (tests/run.sh: needs_multiplatform_image)"]
fn needs_multiplatform_image_cli_index_runs_on_both_architectures() {
    let qemu = needs_cross();
    let docker = needs_engine();
    let host = registry_host();
    let reference = format!("{host}/msbc/cli:multi");
    // The script's default: linux/amd64 and linux/arm64.
    let digest = push_image(
        "cli-image.sh",
        &reference,
        &[("MSBC_CLI_PROFILE", "frontend-image")],
    );
    let work = scratch("release/cli-index");
    let images = index_images(&host, "msbc/cli", "multi", &digest, &work);
    let expected = expected_version();
    for image in &images {
        assert_eq!(image.config["config"]["Cmd"], serde_json::json!(["sh"]));
        assert_eq!(image.layers.len(), 2, "a root filesystem and msbc");
    }

    // The engine pulls the index and runs its own platform's image.
    let run = Command::new(&docker)
        .args(["run", "--rm", "--network", "none", &reference, "sh", "-c"])
        .arg("msbc --version && git --version && awk 'BEGIN { print \"awk\" }'")
        .output()
        .expect("docker runs");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && said.starts_with(&format!("{expected}\ngit version ")),
        "{said}{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // The arm64 image's programs run under qemu, with its own libraries.
    let fs = work.join("arm64-rootfs");
    std::fs::create_dir_all(&fs).expect("mkdir");
    for layer in &images[1].layers {
        sh(
            &format!("tar -xf {} -C {}", layer.display(), fs.display()),
            &work,
        );
    }
    let arm = |args: &[&str]| {
        let out = Command::new(&qemu)
            .arg("-L")
            .arg(&fs)
            .arg(fs.join(args[0].trim_start_matches('/')))
            .args(&args[1..])
            .output()
            .expect("qemu runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(arm(&["/usr/local/bin/msbc", "--version"]), expected);
    assert!(arm(&["/usr/lib/git-core/git", "--version"]).starts_with("git version "));
    assert_eq!(arm(&["/bin/sh", "-c", "echo sh"]), "sh");
    let file = sh(&format!("file -b {}", fs.join("bin/dash").display()), &work);
    assert!(file.contains("ARM aarch64"), "{file}");
}
