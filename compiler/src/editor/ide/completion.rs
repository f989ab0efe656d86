//! Completion: arg names inside `${`, names and values after `key=`,
//! presets after `use`, the nodes allowed where the cursor is, properties.

use super::cursor::{enclosing, line_prefix, place_of};
use super::symbols::SymKind;
use super::{Doc, floor_char};
use crate::editor::reference;
use crate::expand::{Catalog, Manifest};
use lsp_types as lsp;

fn item(label: &str, kind: lsp::CompletionItemKind, detail: &str) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        ..lsp::CompletionItem::default()
    }
}

fn manifest(catalog: &Catalog, name: &str) -> Option<Manifest> {
    catalog.manifest(catalog.get(name)?).ok()
}

/// Completions at `pos`: nodes, properties, values, names, `${` variables, presets.
pub fn completion(doc: &Doc, catalog: &Catalog, pos: lsp::Position) -> Vec<lsp::CompletionItem> {
    use lsp::CompletionItemKind as K;
    let offset = floor_char(&doc.text, doc.offset(pos).min(doc.text.len()));
    let prefix = line_prefix(doc, offset);
    let stack = enclosing(&doc.text, offset);
    let names = |kinds: &[SymKind]| -> Vec<lsp::CompletionItem> {
        doc.symbols
            .defs
            .iter()
            .filter(|d| kinds.contains(&d.kind))
            .map(|d| {
                let detail = match d.kind {
                    SymKind::Stage => "stage",
                    SymKind::Image => "image",
                    SymKind::Artifact => "artifact",
                    SymKind::Arg => "arg",
                    SymKind::Toolchain => "toolchain",
                };
                item(&d.name, K::REFERENCE, detail)
            })
            .collect()
    };
    // Inside `${`: arg names and the platform args.
    if let Some(open) = prefix.rfind("${")
        && !prefix[open..].contains('}')
    {
        let mut out: Vec<lsp::CompletionItem> = doc
            .symbols
            .defs
            .iter()
            .filter(|d| d.kind == SymKind::Arg)
            .map(|d| {
                let default = doc
                    .analysis
                    .user
                    .as_ref()
                    .and_then(|u| u.args.iter().find(|a| a.name.name == d.name))
                    .and_then(|a| a.default.as_ref())
                    .map(|v| format!("arg, default {}", v.value))
                    .unwrap_or_else(|| "arg".to_string());
                item(&d.name, K::VARIABLE, &default)
            })
            .collect();
        out.extend(
            crate::lower::PLATFORM_ARGS
                .iter()
                .map(|a| item(a, K::CONSTANT, "platform arg (BuildKit)")),
        );
        return out;
    }
    // After `key=`: names, or the property's values.
    let last = prefix.rsplit([' ', '\t']).next().unwrap_or("");
    if let Some((key, _partial)) = last.split_once('=') {
        return match key {
            "from" => {
                let mut out = names(&[SymKind::Stage, SymKind::Image]);
                out.push(item("scratch", K::KEYWORD, "the empty filesystem"));
                out
            }
            "artifact" => names(&[SymKind::Artifact]),
            "toolchain" => names(&[SymKind::Toolchain]),
            _ => {
                let node_name = prefix.split_whitespace().next().unwrap_or("");
                if node_name == "use" {
                    let preset = prefix
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .trim_matches('"');
                    return manifest(catalog, preset)
                        .and_then(|m| m.params.into_iter().find(|p| p.name == key))
                        .map(|p| {
                            p.choices
                                .iter()
                                .map(|c| item(&crate::kdl_write::quoted(c), K::ENUM_MEMBER, ""))
                                .collect()
                        })
                        .unwrap_or_default();
                }
                reference::node(node_name, place_of(&stack))
                    .and_then(|n| n.props.iter().find(|p| p.name == key))
                    .map(|p| {
                        p.values
                            .iter()
                            .map(|v| item(v, K::ENUM_MEMBER, p.summary))
                            .collect()
                    })
                    .unwrap_or_default()
            }
        };
    }
    let words: Vec<&str> = prefix.split_whitespace().collect();
    let starting = prefix.ends_with([' ', '\t']) || prefix.is_empty();
    let typing_first = words.is_empty() || (words.len() == 1 && !starting);
    // `use `: the presets and templates.
    if words.first() == Some(&"use")
        && (words.len() == 1 && starting || words.len() == 2 && !starting)
    {
        return catalog
            .names()
            .map(|n| {
                let summary = manifest(catalog, n).map(|m| m.summary).unwrap_or_default();
                item(n, K::MODULE, &summary)
            })
            .collect();
    }
    let in_use_block = stack.last().is_some_and(|p| p == "use");
    if typing_first {
        if in_use_block {
            // A parameter as a child node: `main "./cmd"`.
            let preset = use_name_before(&doc.text, offset);
            return manifest(catalog, &preset)
                .map(|m| {
                    m.params
                        .iter()
                        .map(|p| item(&p.name, K::FIELD, p.ty.describe()))
                        .collect()
                })
                .unwrap_or_default();
        }
        return reference::nodes_at(place_of(&stack))
            .map(|n| item(n.name, K::KEYWORD, n.summary))
            .collect();
    }
    // After the node name: its properties (or a preset's parameters).
    let node_name = words.first().copied().unwrap_or("");
    if node_name == "use" {
        let preset = words.get(1).copied().unwrap_or("").trim_matches('"');
        return manifest(catalog, preset)
            .map(|m| {
                m.params
                    .iter()
                    .map(|p| {
                        let mut i = item(&format!("{}=", p.name), K::FIELD, p.ty.describe());
                        i.documentation = (!p.summary.is_empty())
                            .then(|| lsp::Documentation::String(p.summary.clone()));
                        i
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    reference::node(node_name, place_of(&stack))
        .map(|n| {
            n.props
                .iter()
                .map(|p| item(&format!("{}=", p.name), K::PROPERTY, p.summary))
                .collect()
        })
        .unwrap_or_default()
}

/// The preset of the innermost `use NAME {` block before `offset`.
fn use_name_before(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or("");
    before
        .rmatch_indices("use ")
        .map(|(i, _)| &before[i + 4..])
        .find_map(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .trim_matches('"')
        .trim_end_matches('{')
        .to_string()
}
