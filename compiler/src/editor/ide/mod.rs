//! What the language server answers, as pure functions of one open spec
//! (its text and [`Analysis`]): diagnostics, quick fixes, hover,
//! completion, definitions and references, symbols, rename. Positions are
//! LSP positions (UTF-16 columns); the protocol loop is `cli/lsp.rs`.

mod completion;
mod cursor;
mod diagnostics;
mod hover;
mod symbols;

pub use completion::completion;
pub use diagnostics::{code_actions, diagnostics};
pub use hover::hover;
pub use symbols::{Ref, Sym, SymKind, Symbols, definition, document_symbols, references, rename};

use crate::diag::Span;
use crate::editor::analysis::Analysis;
use lsp_types as lsp;

/// Byte offsets ↔ LSP positions (lines, UTF-16 columns).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The LSP position of byte `offset` (clamped to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> lsp::Position {
        let offset = floor_char(text, offset.min(text.len()));
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col: usize = text
            .get(start..offset)
            .map(|s| s.chars().map(char::len_utf16).sum())
            .unwrap_or(0);
        lsp::Position::new(line as u32, col as u32)
    }

    /// The byte offset of an LSP position (clamped to the text).
    pub fn offset(&self, text: &str, pos: lsp::Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .copied()
            .unwrap_or(text.len());
        let line = text.get(start..end).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The LSP range of `span`.
    pub fn range(&self, text: &str, span: Span) -> lsp::Range {
        lsp::Range::new(
            self.position(text, span.start),
            self.position(text, span.end.max(span.start)),
        )
    }
}

fn floor_char(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The `file:` URI of an absolute path.
pub fn file_uri(path: &str) -> Option<lsp::Url> {
    lsp::Url::from_file_path(path).ok()
}

/// One open spec, checked.
#[derive(Debug)]
pub struct Doc {
    /// The document's URI, as the client sent it.
    pub uri: lsp::Url,
    /// Its text.
    pub text: String,
    /// Its line starts.
    pub lines: LineIndex,
    /// The front end's result: diagnostics, documents, source map.
    pub analysis: Analysis,
    /// The names it declares and uses.
    pub symbols: Symbols,
}

impl Doc {
    /// Checks nothing more: indexes the text and the symbols of `analysis`.
    pub fn new(uri: lsp::Url, text: String, analysis: Analysis) -> Doc {
        let lines = LineIndex::new(&text);
        let symbols = Symbols::collect(&text, &analysis);
        Doc {
            uri,
            text,
            lines,
            analysis,
            symbols,
        }
    }

    fn range(&self, span: Span) -> lsp::Range {
        self.lines.range(&self.text, clamp(span, self.text.len()))
    }

    fn offset(&self, pos: lsp::Position) -> usize {
        self.lines.offset(&self.text, pos)
    }
}

fn clamp(span: Span, len: usize) -> Span {
    Span::new(
        span.start.min(len),
        span.end.min(len).max(span.start.min(len)),
    )
}

// ---- formatting and the graph -----------------------------------------------

/// `msbc fmt` as one edit of the whole document (none when formatted).
pub fn formatting(doc: &Doc) -> Result<Vec<lsp::TextEdit>, String> {
    match crate::editor::fmt::format(&doc.text) {
        Ok(text) if text == doc.text => Ok(Vec::new()),
        Ok(text) => Ok(vec![lsp::TextEdit::new(
            doc.range(Span::new(0, doc.text.len())),
            text,
        )]),
        Err(crate::editor::fmt::FmtError::Syntax(_)) => {
            Err("the spec is not valid KDL; fix the syntax errors first".to_string())
        }
        Err(crate::editor::fmt::FmtError::Changed) => {
            Err("msbc fmt cannot format this spec without changing it".to_string())
        }
    }
}

/// `msbc graph` of the document.
pub fn graph(doc: &Doc, format: crate::editor::graph::Format) -> Result<String, String> {
    if doc.analysis.checked.diagnostics.has_errors() {
        return Err("the spec has errors; `msbc check` lists them".to_string());
    }
    let expanded = doc
        .analysis
        .expanded
        .as_ref()
        .ok_or("the spec has errors")?;
    Ok(crate::editor::graph::Graph::of(expanded, None).render(format))
}
