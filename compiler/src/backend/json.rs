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

/// The JSON Schema (draft 2020-12) of what [`render`] prints, with a
/// trailing newline: `msbc schema`, committed as `schema/msbc-model.schema.json`.
pub fn schema() -> String {
    let mut schema = schemars::schema_for!(Build);
    schema.insert(
        "title".to_string(),
        "msbc resolved model (msbc compile --emit json)".into(),
    );
    match serde_json::to_string_pretty(&schema) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}
