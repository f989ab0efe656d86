//! One run of the front end that keeps what editors need: the user's own
//! document (spans in the file), the expanded document (template stages
//! too), the source map and the diagnostics exactly as `compile::check_with`
//! reports them.

use crate::checks;
use crate::compile::Checked;
use crate::diag::Diagnostics;
use crate::expand::{self, SourceMap};
use crate::lower;
use crate::syntax::{self, ast::Document};

/// The result of checking one spec, with its documents.
#[derive(Debug)]
pub struct Analysis {
    /// Text, diagnostics and model, the same as [`crate::compile::check_with`] gives.
    pub checked: Checked,
    /// The spec as written (every span is in the file).
    pub user: Option<Document>,
    /// After `use` expansion: template output has spans past the file's end.
    pub expanded: Option<Document>,
    /// Places template output back on the `use` that made it.
    pub map: SourceMap,
}

/// Checks `bytes` like [`crate::compile::check_with`] and keeps the documents.
pub fn analyze(bytes: &[u8], ctx: expand::Context<'_>) -> Analysis {
    let mut diagnostics = Diagnostics::new();
    let text = match syntax::decode(bytes) {
        Ok(text) => text,
        Err(d) => {
            diagnostics.push(d);
            return Analysis {
                checked: Checked {
                    text: syntax::lossy(bytes),
                    diagnostics,
                    model: None,
                },
                user: None,
                expanded: None,
                map: SourceMap::default(),
            };
        }
    };
    let mut map = SourceMap::default();
    let user = syntax::parse(text, &mut diagnostics);
    let mut expanded = None;
    let model = user.clone().and_then(|doc| {
        let (doc, source_map) = expand::expand(doc, text.len(), ctx, &mut diagnostics);
        map = source_map;
        let model = lower::lower(&doc, text, &map, &mut diagnostics)
            .and_then(|model| checks::check(&doc, model, &mut diagnostics));
        expanded = Some(doc);
        model
    });
    let diagnostics = diagnostics.map(|d| map.map_diagnostic(d));
    Analysis {
        checked: Checked {
            text: text.to_string(),
            diagnostics,
            model,
        },
        user,
        expanded,
        map,
    }
}
