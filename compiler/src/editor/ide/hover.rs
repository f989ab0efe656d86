//! Hover: an arg's default, a code's explanation, a preset's parameters, a
//! node's or property's line of the reference, the diagnostic under the cursor.

use super::Doc;
use super::cursor::{enclosing, place_of, word_at};
use super::symbols::SymKind;
use crate::diag::Code;
use crate::editor::reference;
use crate::expand::Catalog;
use lsp_types as lsp;

fn markdown(value: String) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// A preset's parameters as a Markdown list.
pub fn preset_doc(catalog: &Catalog, name: &str) -> Option<String> {
    let t = catalog.get(name)?;
    let m = catalog.manifest(t).ok()?;
    let mut out = format!("**use {name}**: {}\n\n", m.summary);
    for p in &m.params {
        out.push_str(&format!("- `{}`: {}", p.name, p.ty.describe()));
        if let Some(d) = &p.default {
            out.push_str(&format!(", default `{d}`"));
        }
        if p.required {
            out.push_str(", required");
        }
        if !p.choices.is_empty() {
            out.push_str(&format!(", one of {}", p.choices.join(", ")));
        }
        if !p.summary.is_empty() {
            out.push_str(&format!(" — {}", p.summary));
        }
        out.push('\n');
    }
    Some(out)
}

fn code_doc(code: Code) -> String {
    format!(
        "**{} {}**: {}\n\n{}",
        code.as_str(),
        code.slug(),
        code.summary(),
        code.explanation()
    )
}

/// What to show at `pos`: a node's or property's reference, a name's declaration, a code's summary.
pub fn hover(doc: &Doc, catalog: &Catalog, pos: lsp::Position) -> Option<lsp::Hover> {
    let offset = doc.offset(pos);
    // An arg reference: its default.
    if let Some((SymKind::Arg, name)) = doc.symbols.at(offset) {
        let default = doc
            .analysis
            .user
            .as_ref()
            .and_then(|u| u.args.iter().find(|a| a.name.name == name))
            .and_then(|a| a.default.as_ref())
            .map(|d| format!("default `{}`", d.value))
            .unwrap_or_else(|| {
                "no default: give it at build time (`--arg`/`--build-arg`)".to_string()
            });
        return Some(markdown(format!("**arg {name}**: {default}")));
    }
    let (span, word) = word_at(&doc.text, offset)?;
    // A code, e.g. in a comment.
    if let Ok(code) = word.parse::<Code>()
        && word.len() == 5
    {
        return Some(markdown(code_doc(code)));
    }
    let prefix = doc.text.get(..span.start).unwrap_or("");
    let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
    let before = &prefix[line_start..];
    let stack = enclosing(&doc.text, span.start);
    // `use NAME`: the preset's parameters.
    if before.trim() == "use" || before.trim_end().ends_with("use \"") || before.trim() == "use \""
    {
        let name = word.trim_matches('"');
        if let Some(text) = preset_doc(catalog, name) {
            return Some(markdown(text));
        }
    }
    // A node name: its reference.
    if before.trim().is_empty() {
        if let Some(n) = reference::node(word, place_of(&stack)) {
            let mut text = format!("**{}**: {}\n\n`{}`", n.name, n.summary, n.usage);
            if !n.props.is_empty() {
                text.push_str("\n\n");
                for p in n.props {
                    text.push_str(&format!("- `{}`: {}\n", p.name, p.summary));
                }
            }
            return Some(markdown(text));
        }
    }
    // A property: its line of the reference.
    if doc.text[span.end..].starts_with('=') {
        let node_name = before.split_whitespace().next().unwrap_or("");
        if let Some(n) = reference::node(node_name, place_of(&stack))
            && let Some(p) = n.props.iter().find(|p| p.name == word)
        {
            let mut text = format!("**{}=** ({}): {}", p.name, n.name, p.summary);
            if !p.values.is_empty() {
                text.push_str(&format!("\n\nOne of {}", p.values.join(", ")));
            }
            return Some(markdown(text));
        }
    }
    // Inside a diagnostic's range: its explanation.
    let hit = doc
        .analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .find(|d| {
            d.primary_span()
                .is_some_and(|s| s.start <= offset && offset <= s.end)
        });
    hit.map(|d| markdown(format!("{}\n\n{}", d.message, code_doc(d.code))))
}
