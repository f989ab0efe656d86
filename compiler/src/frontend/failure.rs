//! A failed build as BuildKit shows it: a message that holds every error of
//! the spec (code, line, snippet, help), and for each error BuildKit's
//! `errdefs.Source` detail (the spec and the error's range), so buildctl
//! and buildx print the snippet with its line as they do for a Dockerfile.

use super::bridge::CallError;
use super::generated::google::rpc::Status;
use crate::backend::llb::pb;
use crate::diag::{Diagnostic, render};
use serde_json::{Value, json};

/// The type URL of BuildKit's source-location detail. BuildKit registers
/// the type with `typeurl.Register`, so it reads (and writes) the value as
/// the JSON of the Go struct, not as protobuf.
pub const SOURCE_TYPE_URL: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// A range of the spec an error points at.
#[derive(Debug, Clone)]
pub struct Located {
    pub info: pb::SourceInfo,
    pub ranges: Vec<pb::Range>,
}

/// Why the build failed, for BuildKit's error output.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    /// The spec and the ranges to show, one per error (BuildKit prints
    /// each snippet).
    pub sources: Vec<Located>,
}

impl Failure {
    pub fn plain(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            sources: Vec::new(),
        }
    }

    /// As the `google.rpc.Status` of ReturnRequest (code 3, invalid
    /// argument), with BuildKit's source-location details.
    pub fn to_status(&self) -> Status {
        // Reversed: BuildKit wraps the error once per detail and clients
        // list the sources from the innermost, so they print in spec order.
        let details = self
            .sources
            .iter()
            .rev()
            .map(|located| prost_types::Any {
                type_url: SOURCE_TYPE_URL.to_string(),
                value: source_json(located).to_string().into_bytes(),
            })
            .collect();
        Status {
            code: 3,
            message: self.message.clone(),
            details,
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        Failure::plain(e.0)
    }
}

/// `errdefs.Source` as Go's `encoding/json` writes it (the protobuf
/// struct's json tags, `omitempty`; bytes as standard base64).
fn source_json(located: &Located) -> Value {
    use ::base64::Engine as _;
    let info = &located.info;
    let mut src = json!({
        "filename": info.filename,
        "data": ::base64::engine::general_purpose::STANDARD.encode(&info.data),
    });
    if !info.language.is_empty() {
        src["language"] = json!(info.language);
    }
    let position = |p: Option<pb::Position>| {
        let p = p.unwrap_or(pb::Position {
            line: 0,
            character: 0,
        });
        json!({ "line": p.line, "character": p.character })
    };
    let ranges: Vec<Value> = located
        .ranges
        .iter()
        .map(|r| json!({ "start": position(r.start), "end": position(r.end) }))
        .collect();
    json!({ "info": src, "ranges": ranges })
}

pub fn source_info(filename: &str, spec: &[u8]) -> pb::SourceInfo {
    pb::SourceInfo {
        filename: filename.to_string(),
        data: spec.to_vec(),
        definition: None,
        language: "KDL".to_string(),
    }
}

/// The lines `d` points at (1-based lines, 0-based characters).
pub fn ranges(d: &Diagnostic, text: &str) -> Vec<pb::Range> {
    d.labels
        .first()
        .map(|label| {
            let (line, col) = render::line_column(text, label.span.start);
            let (end_line, end_col) = render::line_column(text, label.span.end);
            let pos = |l: usize, c: usize| pb::Position {
                line: i32::try_from(l).unwrap_or(i32::MAX),
                character: i32::try_from(c.saturating_sub(1)).unwrap_or(i32::MAX),
            };
            vec![pb::Range {
                start: Some(pos(line, col)),
                end: Some(pos(end_line, end_col)),
            }]
        })
        .unwrap_or_default()
}

/// `build.kdl:3` (the file alone when `d` has no location).
pub fn place(d: &Diagnostic, filename: &str, text: &str) -> String {
    match d.labels.first() {
        Some(label) => {
            let (line, _) = render::line_column(text, label.span.start);
            format!("{filename}:{line}")
        }
        None => filename.to_string(),
    }
}

/// The build error for a spec with errors: the first line names the first
/// error and how many follow (`build.kdl:3: E0101: ... (and 1 more error)`,
/// what clients show in their one-line summary); then every error as
/// `msbc check` draws it (code, location, snippet, help, "did you mean");
/// one source detail per error that has a location.
pub fn spec_errors(
    errors: &[&Diagnostic],
    filename: &str,
    text: &str,
    info: &pb::SourceInfo,
) -> Failure {
    let Some(first) = errors.first() else {
        return Failure::plain(format!("{filename} has errors"));
    };
    let more = match errors.len() {
        1 => String::new(),
        2 => " (and 1 more error)".to_string(),
        n => format!(" (and {} more errors)", n - 1),
    };
    let mut message = format!(
        "{}: {}: {}{more}\n",
        place(first, filename, text),
        first.code,
        first.message
    );
    for d in errors {
        message.push('\n');
        message.push_str(&render::human(d, filename, text, render::Style::Plain));
    }
    message.push('\n');
    message.push_str(&render::summary(errors.len(), 0, filename));
    let sources = located(errors, text, info);
    Failure { message, sources }
}

/// One source-location detail per diagnostic that has a place in the spec.
pub fn located(diagnostics: &[&Diagnostic], text: &str, info: &pb::SourceInfo) -> Vec<Located> {
    diagnostics
        .iter()
        .map(|d| ranges(d, text))
        .filter(|r| !r.is_empty())
        .map(|ranges| Located {
            info: info.clone(),
            ranges,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile;

    const BAD: &str = "msbc 1\nstage build from=\"debian:bookworm-slim\" {\n  runn \"make\"\n}\nimage app from=\"debian:bookworm-slim\" {\n  copy \"/out\" from=biuld to=\"/app\"\n}\n";

    fn failure() -> (Failure, Vec<String>) {
        let checked = compile::check(BAD.as_bytes());
        let sorted = checked.diagnostics.sorted();
        let errors: Vec<&Diagnostic> = sorted.iter().copied().filter(|d| d.is_error()).collect();
        let codes = errors.iter().map(|d| d.code.to_string()).collect();
        let info = source_info("build.kdl", BAD.as_bytes());
        (
            spec_errors(&errors, "build.kdl", &checked.text, &info),
            codes,
        )
    }

    #[test]
    fn every_error_is_in_the_message_with_its_help() {
        let (f, codes) = failure();
        assert!(codes.len() >= 2, "{codes:?}");
        let first_line = f.message.lines().next().unwrap_or_default();
        assert!(
            first_line.starts_with(&format!("build.kdl:3: {}: ", codes[0])),
            "{first_line}"
        );
        assert!(first_line.ends_with("more error)"), "{first_line}");
        for code in &codes {
            assert!(f.message.contains(&format!("[{code}]")), "{}", f.message);
        }
        assert!(f.message.contains("did you mean `run`?"), "{}", f.message);
        assert!(f.message.contains("did you mean `build`?"), "{}", f.message);
        assert!(!f.message.contains("see the log"), "{}", f.message);
    }

    #[test]
    fn the_source_detail_is_json_as_buildkit_decodes_it() {
        let (f, codes) = failure();
        let status = f.to_status();
        assert_eq!(status.details.len(), codes.len());
        let d = &status.details[1];
        assert_eq!(d.type_url, SOURCE_TYPE_URL);
        let v: Value = serde_json::from_slice(&d.value).expect("the detail is JSON");
        assert_eq!(v["info"]["filename"], "build.kdl");
        assert_eq!(v["info"]["language"], "KDL");
        use ::base64::Engine as _;
        let data = ::base64::engine::general_purpose::STANDARD
            .decode(v["info"]["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(data, BAD.as_bytes());
        assert_eq!(v["ranges"][0]["start"]["line"], 3);
        assert_eq!(v["ranges"][0]["start"]["character"], 2);
        let second: Value = serde_json::from_slice(&status.details[0].value).unwrap();
        assert_eq!(second["ranges"][0]["start"]["line"], 6);
    }
}
