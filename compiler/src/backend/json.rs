//! `--emit json`: the resolved model (the IR) as pretty JSON.

use crate::ir::Build;

/// The IR as JSON, with a trailing newline.
pub fn render(build: &Build) -> String {
    match serde_json::to_string_pretty(build) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serializing plain data cannot fail; keep the signature total anyway.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}
