//! A failed build as BuildKit shows it: the message, and for a spec error
//! its code, line and the spec's source range (BuildKit's `errdefs.Source`
//! detail, so clients print the snippet).

use super::bridge::CallError;
use super::generated::errdefs;
use super::generated::google::rpc::Status;
use crate::backend::llb::pb;
use crate::diag::{Diagnostic, render};
use prost::Message;

/// Why the build failed, for BuildKit's error output.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    /// The spec and the ranges to show (BuildKit prints the snippet).
    pub source: Option<Box<(pb::SourceInfo, Vec<pb::Range>)>>,
}

impl Failure {
    pub fn plain(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            source: None,
        }
    }

    /// As the `google.rpc.Status` of ReturnRequest (code 3, invalid
    /// argument), with BuildKit's source-location detail.
    pub fn to_status(&self) -> Status {
        let details = self
            .source
            .iter()
            .map(|located| prost_types::Any {
                type_url: "github.com/moby/buildkit/errdefs.Source+json".to_string(),
                value: errdefs::Source {
                    info: Some(located.0.clone()),
                    ranges: located.1.clone(),
                }
                .encode_to_vec(),
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

/// The build error for the spec's first error: `build.kdl:3: E0101: ...`.
pub fn located(
    d: &Diagnostic,
    filename: &str,
    text: &str,
    info: pb::SourceInfo,
    count: usize,
) -> Failure {
    let ranges = ranges(d, text);
    let at = match d.labels.first() {
        Some(label) => {
            let (line, _) = render::line_column(text, label.span.start);
            format!("{filename}:{line}")
        }
        None => filename.to_string(),
    };
    let more = if count > 1 {
        format!(" (and {} more: see the log)", count - 1)
    } else {
        String::new()
    };
    Failure {
        message: format!("{at}: {}: {}{more}", d.code, d.message),
        source: if ranges.is_empty() {
            None
        } else {
            Some(Box::new((info, ranges)))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile;

    #[test]
    fn a_spec_error_names_its_line_and_range() {
        let text = "msbc 1\nimage \"app\" from=\"alpine:3.20\" {\n  bogus 1\n}\n";
        let checked = compile::check(text.as_bytes());
        let sorted = checked.diagnostics.sorted();
        let d = sorted.iter().find(|d| d.is_error()).expect("an error");
        let f = located(
            d,
            "build.kdl",
            &checked.text,
            source_info("build.kdl", text.as_bytes()),
            1,
        );
        assert!(
            f.message.starts_with(&format!("build.kdl:3: {}: ", d.code)),
            "{}",
            f.message
        );
        let status = f.to_status();
        assert_eq!(status.details.len(), 1);
        let src = errdefs::Source::decode(status.details[0].value.as_slice()).unwrap();
        assert_eq!(src.ranges[0].start.unwrap().line, 3);
        assert_eq!(src.info.unwrap().data, text.as_bytes());
    }
}
