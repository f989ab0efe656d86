//! Presets built for real with the private dockerd of `tests/engine`: what
//! `msbc check` accepts must also build. Each case is a project in
//! `tests/fixtures/presets/NAME` whose `build.kdl` uses a preset and adds a
//! target-only `verify` stage (built on the image) that checks what the
//! image holds; the test compiles it (`-o`, so the ignore file is written
//! too) and builds `--target verify`. Needs the engine and the public package
//! registries; skips, saying why, without the engine.

use crate::support::{copy_dir, msbc_in, root};
use std::path::PathBuf;
use std::process::Command;

/// Compiles `tests/fixtures/presets/NAME` and builds `--target verify`;
/// the build's log, or why it failed.
fn build_verify(name: &str) -> Result<String, String> {
    let dir = crate::support::scratch(&format!("preset-builds/{name}"));
    copy_dir(&root().join("tests/fixtures/presets").join(name), &dir);
    let check = msbc_in(&dir, &["check", "--deny-warnings"], None);
    assert_eq!(check.status, 0, "{name}: msbc check: {}", check.stderr);
    let compile = msbc_in(
        &dir,
        &[
            "compile",
            "--syntax",
            "none",
            "--target",
            "verify",
            "-o",
            "Dockerfile",
        ],
        None,
    );
    assert_eq!(compile.status, 0, "{name}: {}", compile.stderr);
    assert!(
        PathBuf::from(&dir)
            .join("Dockerfile.dockerignore")
            .is_file(),
        "{name}: -o writes the ignore file"
    );
    let out = Command::new("bash")
        .arg(root().join("tests/engine/build.sh"))
        .args(["Dockerfile", ".", &format!("msbc-preset/{name}:verify")])
        .current_dir(&dir)
        .output()
        .expect("build.sh runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(log)
    } else {
        Err(log)
    }
}

/// Issue 11 item 7: `npm ci --omit=dev` ran the root `prepare` script
/// (`husky`, a dev dependency: "husky: not found"). The production install
/// must skip the root's `prepare` and still run the dependencies' install
/// scripts (esbuild's swaps in its native binary).
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_node_production_install_with_husky_builds_and_runs_dependency_scripts() {
    crate::support::needs_engine();
    if let Err(log) = build_verify("node-husky") {
        panic!("the husky project does not build:\n{log}");
    }
}
