//! The pipeline as one pure API: bytes in, diagnostics and output out.
//! The CLI wraps it with files and exit codes; tests call it directly.

use crate::backend;
use crate::diag::Diagnostics;
use crate::lower::{self, Model, SelectError, Selection};
use crate::syntax;

/// A checked spec: its diagnostics, and the model when it has no errors.
#[derive(Debug)]
pub struct Checked {
    /// The source as text (invalid UTF-8 replaced), for rendering diagnostics.
    pub text: String,
    pub diagnostics: Diagnostics,
    pub model: Option<Model>,
}

/// Runs the front end and the checks on a spec's bytes.
pub fn check(bytes: &[u8]) -> Checked {
    let mut diagnostics = Diagnostics::new();
    let text = match syntax::decode(bytes) {
        Ok(text) => text,
        Err(d) => {
            diagnostics.push(d);
            return Checked {
                text: syntax::lossy(bytes),
                diagnostics,
                model: None,
            };
        }
    };
    let model = syntax::parse(text, &mut diagnostics)
        .and_then(|doc| lower::lower(&doc, text, &mut diagnostics));
    Checked {
        text: text.to_string(),
        diagnostics,
        model,
    }
}

/// What `compile` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    Dockerfile,
    Json,
}

/// The files one compilation produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub main: String,
    /// `.dockerignore` contents, for Dockerfile output with `context` patterns.
    pub dockerignore: Option<String>,
}

/// Renders a checked model.
pub fn emit(
    model: &Model,
    selection: &Selection,
    emit: Emit,
    source_name: &str,
) -> Result<Output, SelectError> {
    let build = lower::select(model, selection)?;
    Ok(match emit {
        Emit::Dockerfile => {
            let options = backend::dockerfile::Options {
                source_name: source_name.to_string(),
            };
            Output {
                main: backend::dockerfile::render(&build, &options),
                dockerignore: backend::dockerfile::dockerignore(&build, &options),
            }
        }
        Emit::Json => Output {
            main: backend::json::render(&build),
            dockerignore: None,
        },
    })
}
