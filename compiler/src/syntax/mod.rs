//! The front end: bytes → KDL document → spanned AST.
//!
//! KDL syntax is read by a hand-written reader (`kdl_read`, one method per
//! rule of the KDL v2 grammar) for the subset specs are written in, with
//! the `kdl` crate behind it for the rest and for every syntax error; the
//! small languages inside string values (interpolation, image references,
//! ports, durations, permissions, platforms) have pest grammars, each
//! `*.pest` beside its parser. Every error is located in `build.kdl`; the
//! front end never stops at the first.

pub mod ast;
mod depth;
pub(crate) mod docs;
pub mod duration;
mod habits;
pub mod image_ref;
pub mod interp;
#[cfg(test)]
mod kdl_conformance;
pub(crate) mod kdl_read;
pub mod perms;
mod pest_error;
pub mod platform;
pub mod port;
mod reader;
mod walk;

pub(crate) use depth::skip_string;
#[cfg(test)]
pub use walk::node_names;
pub use walk::to_stage_name;
pub(crate) use walk::{Place, documented};

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use ast::Document;

/// Checks that `bytes` is UTF-8; the error points at the first bad byte.
pub fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let len = e.error_len().unwrap_or(bytes.len() - at).max(1);
        Diagnostic::new(
            Code::InvalidUtf8,
            format!("the file is not UTF-8 text (invalid byte at offset {at})"),
        )
        .label(Span::new(at, at + len), "not UTF-8")
        .help("save the file as UTF-8 (not Latin-1, Windows-1252 or UTF-16)")
    })
}

/// Parses `source` into the AST. On KDL syntax errors there is no document
/// and every syntax error is reported; shape errors leave out the broken
/// part and keep the rest, so later checks still run.
pub fn parse(source: &str, diags: &mut Diagnostics) -> Option<Document> {
    parse_at(source, 0, diags)
}

/// Like [`parse`], for text that is not the user's file (a template's
/// output): every span is moved by `base`, so it lands in a region of its
/// own that `expand::SourceMap` maps back to the `use` that made it.
pub fn parse_at(source: &str, base: usize, diags: &mut Diagnostics) -> Option<Document> {
    // The kdl parser recurses: refuse a document too deep for the stack.
    if let Err(d) = depth::check(source, base) {
        diags.push(d);
        return None;
    }
    match kdl_read::parse(source) {
        Ok(mut doc) => {
            if base > 0 {
                shift_document(&mut doc, base);
            }
            Some(walk::walk(&doc, base > 0, diags))
        }
        Err(err) => {
            for d in syntax_errors(source, base, err) {
                diags.push(d);
            }
            None
        }
    }
}

/// The diagnostics for KDL that does not parse: the habits people bring
/// from Dockerfiles (E0006, E0007) once a line, with the errors that are
/// left when those lines are read as meant (the parser's follow-on errors
/// dropped), and every other error as E0001.
fn syntax_errors(source: &str, base: usize, err: kdl::KdlError) -> Vec<Diagnostic> {
    let mut found: Vec<habits::Habit> = Vec::new();
    let mut plain = Vec::new();
    for d in err.diagnostics {
        let local = narrow(source, Span::from(d.span));
        match habits::at(source, local.start, base) {
            Some(h) => {
                if !found.iter().any(|f| f.start == h.start) {
                    found.push(h);
                }
            }
            None => plain.push(d),
        }
    }
    if !found.is_empty() {
        let repaired = habits::repair(source, &found);
        plain = match kdl_read::parse(&repaired) {
            Ok(_) => Vec::new(),
            Err(again) => again
                .diagnostics
                .into_iter()
                .filter(|d| {
                    let at = narrow(&repaired, Span::from(d.span)).start;
                    habits::at(&repaired, at, base).is_none()
                })
                .collect(),
        };
    }
    let mut out: Vec<Diagnostic> = found.into_iter().map(|h| h.diagnostic).collect();
    for d in plain {
        let message = d.message.unwrap_or_else(|| "invalid KDL".to_string());
        let local = narrow(source, Span::from(d.span));
        let span = Span::new(local.start + base, local.end + base);
        let mut diag = Diagnostic::new(Code::KdlSyntax, format!("KDL syntax: {message}"))
            .label(span, d.label.unwrap_or_else(|| "here".to_string()));
        let text = source.get(local.start..local.end).unwrap_or("");
        if matches!(text, "true" | "false" | "null") {
            diag = diag.help(format!("KDL v2 writes `{text}` with a `#`: `#{text}`"));
        } else if let Some(help) = d.help {
            diag = diag.help(help);
        }
        out.push(diag);
    }
    out
}

fn shift(span: miette::SourceSpan, base: usize) -> miette::SourceSpan {
    miette::SourceSpan::new((span.offset() + base).into(), span.len())
}

fn shift_document(doc: &mut kdl::KdlDocument, base: usize) {
    doc.set_span(shift(doc.span(), base));
    for node in doc.nodes_mut() {
        node.set_span(shift(node.span(), base));
        let name = node.name_mut();
        name.set_span(shift(name.span(), base));
        for entry in node.entries_mut() {
            entry.set_span(shift(entry.span(), base));
            if let Some(key) = entry.name_mut() {
                key.set_span(shift(key.span(), base));
            }
        }
        if let Some(children) = node.children_mut().as_mut() {
            shift_document(children, base);
        }
    }
}

/// Some kdl errors span from the start of the file to the bad value; label
/// only the last token of such a span, where the problem is.
fn narrow(source: &str, span: Span) -> Span {
    let Some(text) = source.get(span.start..span.end) else {
        return span;
    };
    if !text.trim_end().contains('\n') {
        return span;
    }
    let end = span.start + text.trim_end().len();
    let token_start = source[..end]
        .rfind(|c: char| c.is_whitespace() || c == '=')
        .map_or(span.start, |i| i + 1);
    Span::new(token_start.min(end), end)
}

/// Replaces what the file cannot show as UTF-8 with U+FFFD, for rendering
/// an invalid-UTF-8 diagnostic against something printable.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
