//! What the frontend asks BuildKit for from the build context: the names of
//! the files presets list and the contents of only the project files they
//! read (`local.metadatatransfer`), never what the spec or the context's
//! `.dockerignore` ignores. Measured by BuildKit's own progress lines
//! (`transferring context: N`).

use super::docker::{docker_build, engine_and_image};
use super::image::{frontend_image, tmp};
use super::rig::{build_oci, oci_fs, strings};
use crate::support::{copy_dir, needs_buildkitd, root};
use std::path::Path;

/// The bytes of every `transferring NAME: SIZE` line of a plain progress log.
fn transfers(log: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for line in log.lines() {
        let Some((_, rest)) = line.split_once(" transferring ") else {
            continue;
        };
        let Some((name, size)) = rest.split_once(": ") else {
            continue;
        };
        let size = size.split_whitespace().next().unwrap_or("");
        let digits = size.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &size[digits.len()..];
        let Ok(n) = digits.parse::<f64>() else {
            continue;
        };
        let scale = match unit {
            "B" => 1.0,
            "kB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            _ => continue,
        };
        out.push((name.to_string(), n * scale));
    }
    out
}

/// The largest `transferring NAME: SIZE` of each step (by its `#N` in a
/// plain progress log) whose name line contains `step`: a step's progress
/// lines repeat the running total.
fn step_transfer(log: &str, step: &str) -> Option<f64> {
    let ids: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(step))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.starts_with('#'))
        .collect();
    let sizes: Vec<f64> = log
        .lines()
        .filter(|l| ids.contains(&l.split_whitespace().next().unwrap_or("")))
        .flat_map(|l| transfers(l).into_iter().map(|(_, n)| n))
        .collect();
    sizes.into_iter().reduce(f64::max)
}

/// `n` files of 1 MB of random bytes (which no transfer compresses) in `dir`.
fn random_files(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        let mut bytes = vec![0u8; 1 << 20];
        for chunk in bytes.chunks_mut(8) {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let v = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        std::fs::write(dir.join(format!("blob-{i}.bin")), bytes).unwrap();
    }
}

#[test]
fn transfer_sizes_are_read_from_progress_lines() {
    let log = "#3 transferring context: 2.05kB 0.0s done\n#5 transferring dockerfile: 31B done\n#7 [internal] load build context\n#7 transferring context: 314.65MB 3.2s done\n";
    assert_eq!(
        transfers(log),
        [
            ("context".to_string(), 2050.0),
            ("dockerfile".to_string(), 31.0),
            ("context".to_string(), 314_650_000.0)
        ]
    );
}

/// specs/go (its preset lists the context and reads go.mod) in `top/ctx`
/// beside 40 MB of random files in `assets/`, which the spec ignores, and
/// 8 MB in `private/`, which the context's .dockerignore ignores. Before,
/// the frontend sent all of it to detect the preset's files (314.65 MB for
/// a 300 MB `assets/`).
fn context_with_ignored_folders(top: &Path) -> std::path::PathBuf {
    let dir = top.join("ctx");
    copy_dir(&root().join("specs/go"), &dir);
    let spec = std::fs::read_to_string(dir.join("build.kdl")).unwrap();
    std::fs::write(
        dir.join("build.kdl"),
        format!("{spec}\ncontext {{\n    ignore \"assets/\"\n}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join(".dockerignore"), "# team secrets\nprivate\n").unwrap();
    random_files(&dir.join("assets/img"), 40);
    random_files(&dir.join("private"), 8);
    dir
}

/// `dir` built through msbc's frontend `image` by the rig's buildctl, to
/// the OCI archive `tar`; the plain progress log.
fn build_plain(bin: &Path, dir: &Path, image: &str, tar: &Path) -> String {
    let source = format!("source={image}");
    let frontend = strings(&[
        "--progress",
        "plain",
        "--frontend",
        "gateway.v0",
        "--opt",
        &source,
    ]);
    build_oci(bin, dir, &frontend, &[], tar)
}

/// The bytes of the `context` transfers of a build's log.
fn context_bytes(log: &str) -> f64 {
    let sent = transfers(log);
    assert!(
        sent.iter().any(|(name, _)| name == "context"),
        "no context transfer in the log:\n{log}"
    );
    eprintln!("transfers: {sent:?}");
    sent.iter()
        .filter(|(name, _)| name == "context")
        .map(|(_, n)| n)
        .sum()
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_rig_an_ignored_folder_is_never_transferred() {
    // A current BuildKit: the names of the files and go.mod's contents only.
    let bin = needs_buildkitd();
    let image = frontend_image();
    let top = tmp("context-ignored");
    let dir = context_with_ignored_folders(&top);
    let tar = top.join("out.tar");
    let log = build_plain(&bin, &dir, &image, &tar);
    let context = context_bytes(&log);
    // The sources, go.mod and the files' names: well under 1 MB (one
    // ignored file would be 1 MB).
    assert!(
        context < 1e6,
        "the context transfers sent {context} bytes:\n{log}"
    );
    // And the build itself is whole: the preset found the main package.
    let files = oci_fs(&tar, false);
    assert!(files.contains("/usr/local/bin/server file"), "{files}");
    std::fs::remove_dir_all(&top).ok();
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_rig_the_presets_listing_sends_names_and_only_the_files_presets_read() {
    // 8 MB of data the spec does not ignore: the build copies it (the go
    // preset copies the whole context), but the listing that finds the
    // preset's files sends only its name, and go.mod whole.
    let bin = needs_buildkitd();
    let image = frontend_image();
    let top = tmp("context-listing");
    let dir = top.join("ctx");
    copy_dir(&root().join("specs/go"), &dir);
    random_files(&dir.join("data"), 8);
    let tar = top.join("out.tar");
    let log = build_plain(&bin, &dir, &image, &tar);
    let listing = step_transfer(&log, "load the build context for msbc's presets")
        .unwrap_or_else(|| panic!("no transfer for the presets' listing:\n{log}"));
    let build = step_transfer(&log, "load build context")
        .unwrap_or_else(|| panic!("no transfer for the build's context:\n{log}"));
    eprintln!("listing: {listing} B, build context: {build} B");
    assert!(
        listing < 100e3,
        "the presets' listing sent {listing} bytes:\n{log}"
    );
    // The measure is real: the build's own context step sent the data.
    assert!(
        build > 8e6,
        "the build's context sent {build} bytes:\n{log}"
    );
    let files = oci_fs(&tar, false);
    assert!(files.contains("/usr/local/bin/server file"), "{files}");
    std::fs::remove_dir_all(&top).ok();
}

#[test]
#[ignore = "needs msbc's dockerd, docker-registry and MSBC_FRONTEND_TESTS=1 (.ci/run sets it)"]
fn needs_frontend_image_docker_an_ignored_folder_is_never_transferred() {
    // Docker 20.10's BuildKit has no metadata-only transfer: the files the
    // listing needs are sent whole, but never what the spec or the
    // .dockerignore ignores.
    let image = engine_and_image();
    let top = tmp("context-ignored-docker");
    let dir = context_with_ignored_folders(&top);
    let b = docker_build(
        &dir,
        "build.kdl",
        "msbc-frontend/context-ignored:1",
        &image,
        &[],
    );
    assert!(b.ok, "{}", b.log);
    let context = context_bytes(&b.log);
    assert!(
        context < 1e6,
        "the context transfers sent {context} bytes:\n{}",
        b.log
    );
    std::fs::remove_dir_all(&top).ok();
}
