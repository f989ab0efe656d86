//! Embeds every file under `../stdlib` into the binary as
//! `stdlib::FILES: &[(&str, &str)]` (path relative to stdlib/, contents),
//! so adding a preset is adding files, not Rust code; and sets
//! `MSBC_VERSION` for `msbc --version`: the crate's version and the commit it
//! was built from (`0.1.0 (1a2b3c4d5e6f)`). The commit is `$MSBC_COMMIT` when
//! set (a packager building from a tarball), else git's `HEAD` when this crate
//! is in a git checkout of msbc; with neither, the version alone.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    // Read when the script runs, not when it was compiled: cargo may reuse a
    // build script compiled for another copy of this crate (same target dir).
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    match commit(&manifest) {
        Some(commit) => println!("cargo:rustc-env=MSBC_VERSION={version} ({commit})"),
        None => println!("cargo:rustc-env=MSBC_VERSION={version}"),
    }
    let root = manifest.join("../stdlib");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("stdlib.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "kdl" || e == "j2") {
            out.push(path);
        }
    }
}

/// The commit this build is from: `$MSBC_COMMIT`, or `git rev-parse HEAD`
/// (12 digits) when the crate's parent folder is the top of a git work tree.
/// Asks cargo to run this again when HEAD or the branch it names moves.
fn commit(manifest: &Path) -> Option<String> {
    println!("cargo:rerun-if-env-changed=MSBC_COMMIT");
    if let Ok(commit) = std::env::var("MSBC_COMMIT") {
        let commit = commit.trim();
        return (!commit.is_empty()).then(|| commit.to_string());
    }
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(manifest)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    // A tarball unpacked inside some other repository is not that repository's commit.
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let ours = manifest.parent()?;
    if top.canonicalize().ok()? != ours.canonicalize().ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // HEAD (per work tree) and the branch it points at (loose or packed, in the common dir).
    let git_dir = PathBuf::from(git(&["rev-parse", "--absolute-git-dir"])?);
    let common = git(&["rev-parse", "--git-common-dir"])
        .map(|d| manifest.join(d))
        .unwrap_or_else(|| git_dir.clone());
    let mut watch = vec![git_dir.join("HEAD"), common.join("packed-refs")];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(common.join(branch));
    }
    // A path that does not exist would make cargo run this script on every build.
    for path in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    Some(commit)
}
