//! Diagnostics as LSP diagnostics, and the quick fixes their "did you mean" help offers.

use super::Doc;
use crate::diag::Severity;
use lsp_types as lsp;

/// Every diagnostic `msbc check` reports, in its order, as LSP diagnostics:
/// the same code, message and primary range; the other labels and the
/// help as related information.
pub fn diagnostics(doc: &Doc) -> Vec<lsp::Diagnostic> {
    doc.analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .map(|d| {
            let range = doc.range(d.primary_span().unwrap_or_default());
            let mut related: Vec<lsp::DiagnosticRelatedInformation> = d
                .labels
                .iter()
                .filter(|l| !l.message.is_empty())
                .map(|l| lsp::DiagnosticRelatedInformation {
                    location: lsp::Location::new(doc.uri.clone(), doc.range(l.span)),
                    message: l.message.clone(),
                })
                .collect();
            if let Some(help) = &d.help {
                related.push(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location::new(doc.uri.clone(), range),
                    message: format!("help: {help}"),
                });
            }
            lsp::Diagnostic {
                range,
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                }),
                code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
                source: Some("msbc".to_string()),
                message: d.message.clone(),
                related_information: (!related.is_empty()).then_some(related),
                ..lsp::Diagnostic::default()
            }
        })
        .collect()
}

/// The suggestion of a "did you mean `x`?" help.
fn suggestion(help: &str) -> Option<&str> {
    let rest = help.split("did you mean `").nth(1)?;
    rest.split('`').next().filter(|s| !s.is_empty())
}

/// Quick fixes for the diagnostics overlapping `range`: a "did you mean"
/// replaces the text it labels.
pub fn code_actions(doc: &Doc, range: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
    let (start, end) = (doc.offset(range.start), doc.offset(range.end));
    let mut out = Vec::new();
    let lsp_diags = diagnostics(doc);
    for (d, lsp_d) in doc
        .analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .zip(lsp_diags)
    {
        let (Some(span), Some(help)) = (d.primary_span(), d.help.as_deref()) else {
            continue;
        };
        let Some(fix) = suggestion(help) else {
            continue;
        };
        if span.end > doc.text.len() || span.start > end || span.end < start {
            continue;
        }
        let written = doc.text.get(span.start..span.end).unwrap_or("");
        let new_text = if written.starts_with('"') && written.ends_with('"') && written.len() >= 2 {
            crate::kdl_write::quoted(fix)
        } else {
            fix.to_string()
        };
        let mut changes = std::collections::HashMap::new();
        changes.insert(
            doc.uri.clone(),
            vec![lsp::TextEdit::new(doc.range(span), new_text)],
        );
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Replace with `{fix}`"),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp_d]),
            edit: Some(lsp::WorkspaceEdit::new(changes)),
            is_preferred: Some(true),
            ..lsp::CodeAction::default()
        }));
    }
    out
}
