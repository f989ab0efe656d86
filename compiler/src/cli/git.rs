//! Running git (`msbc diff --rev`, `--affected --since`): the one place the
//! CLI starts it.

use std::path::Path;
use std::process::Command;

/// `git -C DIR ARGS...`: its standard output, or an error naming the command
/// and quoting git's own message.
pub(super) fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}
