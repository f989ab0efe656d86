//! KDL v2 text to a `kdl::KdlDocument`, fast: a pest grammar (`kdl_read.pest`)
//! for the subset of KDL v2 build specs, presets and templates are written
//! in, with the `kdl` crate behind it for everything else.
//!
//! The grammar is a strict subset: a text it accepts gives the same tree as
//! the `kdl` crate (node and property names, values, spans, each value's
//! representation), checked against the official KDL test suite and every
//! `.kdl` file of the repository by `tests/kdl_conformance.rs`. A text it
//! does not accept (a syntax error, or KDL it leaves out: type annotations,
//! non-decimal numbers, exponents, `#inf`/`#nan`, identifiers starting with
//! a sign or a dot, whitespace escapes in strings, non-ASCII whitespace, a
//! BOM) goes to the `kdl` crate, so every syntax error is still the crate's,
//! located as before. The `kdl` crate also stays the formatter and writer
//! (`msbc fmt`, `kdl_write.rs`): this module only reads.
//!
//! Why: the crate's parser (winnow, with error recovery and a full format
//! record of every token) took ~65% of a small spec's CPU time and most of
//! a fleet run; the figures are in scripts/bench.sh and ARCHITECTURE.md.

use kdl::{KdlDocument, KdlEntry, KdlEntryFormat, KdlError, KdlIdentifier, KdlNode, KdlValue};
use pest::Parser;
use pest::iterators::Pair;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/kdl_read.pest"]
struct KdlParser;

/// Parses a KDL v2 document: the fast path when it can, else the `kdl` crate
/// (whose errors are returned as they are).
pub fn parse(source: &str) -> Result<KdlDocument, KdlError> {
    match parse_fast(source) {
        Some(doc) => Ok(doc),
        None => {
            #[cfg(test)]
            FALLBACKS.with(|n| n.set(n.get() + 1));
            source.parse::<KdlDocument>()
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many texts this thread left to the `kdl` crate (for tests).
    pub(crate) static FALLBACKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The fast path alone: `None` when the text is outside the subset the
/// grammar reads (or is not valid KDL); then the `kdl` crate decides.
pub fn parse_fast(source: &str) -> Option<KdlDocument> {
    if !precheck(source) {
        return None;
    }
    let mut pairs = KdlParser::parse(Rule::document, source).ok()?;
    let nodes = pairs.next()?;
    build_nodes(nodes)
}

/// Whether every code point is one the grammar reads as the `kdl` crate
/// does: refuses the ones KDL v2 disallows and the whitespace and newlines
/// other than space, tab, CR and LF (and a BOM), which the grammar leaves to
/// the crate.
fn precheck(source: &str) -> bool {
    let bytes = source.as_bytes();
    if bytes
        .iter()
        .any(|&b| matches!(b, 0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F))
    {
        return false;
    }
    if bytes.is_ascii() {
        return true;
    }
    !source.chars().any(|c| {
        matches!(
            c,
            '\u{0085}'
                | '\u{00A0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200A}'
                | '\u{200E}'..='\u{200F}'
                | '\u{2028}'..='\u{202F}'
                | '\u{205F}'
                | '\u{2066}'..='\u{2069}'
                | '\u{3000}'
                | '\u{FEFF}'
        )
    })
}

fn span_of(pair: &Pair<'_, Rule>) -> (usize, usize) {
    let s = pair.as_span();
    (s.start(), s.end() - s.start())
}

fn build_nodes(pair: Pair<'_, Rule>) -> Option<KdlDocument> {
    let end = pair.as_span().end();
    let mut doc = KdlDocument::new();
    let mut first: Option<usize> = None;
    let mut last = end;
    for inner in pair.into_inner() {
        if inner.as_rule() != Rule::node {
            continue; // a slashdashed node
        }
        let span = inner.as_span();
        first.get_or_insert(span.start());
        last = span.end();
        doc.nodes_mut().push(build_node(inner)?);
    }
    let start = first.unwrap_or(end);
    doc.set_span((start, last - start));
    Some(doc)
}

fn build_node(pair: Pair<'_, Rule>) -> Option<KdlNode> {
    let (start, len) = span_of(&pair);
    let mut inner = pair.into_inner();
    let name = identifier(inner.next()?)?;
    let mut node = KdlNode::new(name);
    node.set_span((start, len));
    for part in inner {
        match part.as_rule() {
            Rule::arg => {
                let (at, n) = span_of(&part);
                let value = part.into_inner().next()?;
                let repr = value.as_str();
                let mut entry = KdlEntry::new(value_of(value)?);
                entry.set_format(format(repr));
                entry.set_span((at, n));
                node.entries_mut().push(entry);
            }
            Rule::prop => {
                let (at, n) = span_of(&part);
                let mut kv = part.into_inner();
                let key = identifier(kv.next()?)?;
                let value = kv.next()?;
                let repr = value.as_str();
                let mut entry = KdlEntry::new_prop(key, value_of(value)?);
                entry.set_format(format(repr));
                entry.set_span((at, n));
                node.entries_mut().push(entry);
            }
            Rule::nodes => node.set_children(build_nodes(part)?),
            _ => {} // slashdashed entries and children
        }
    }
    Some(node)
}

fn format(repr: &str) -> KdlEntryFormat {
    KdlEntryFormat {
        value_repr: repr.to_string(),
        ..Default::default()
    }
}

fn identifier(pair: Pair<'_, Rule>) -> Option<KdlIdentifier> {
    let raw = pair.as_str();
    let (start, len) = span_of(&pair);
    let KdlValue::String(value) = value_of(pair)? else {
        return None;
    };
    let mut ident = KdlIdentifier::from(value);
    ident.set_repr(raw);
    ident.set_span((start, len));
    Some(ident)
}

fn value_of(pair: Pair<'_, Rule>) -> Option<KdlValue> {
    let raw = pair.as_str();
    Some(match pair.as_rule() {
        Rule::ident => KdlValue::String(raw.to_string()),
        Rule::quoted => KdlValue::String(unescape(raw.get(1..raw.len() - 1)?)?),
        Rule::ml_quoted => KdlValue::String(multi_line(raw.get(3..raw.len() - 3)?, true)?),
        Rule::raw => {
            let hashes = raw.len() - raw.trim_start_matches('#').len();
            let body = raw.get(hashes + 1..raw.len() - hashes - 1)?;
            if body == "\"" {
                return None; // the crate refuses `#"""#`
            }
            KdlValue::String(body.to_string())
        }
        Rule::ml_raw => {
            let hashes = raw.len() - raw.trim_start_matches('#').len();
            let body = raw.get(hashes + 3..raw.len() - hashes - 3)?;
            KdlValue::String(multi_line(body, false)?)
        }
        Rule::integer => KdlValue::Integer(integer(raw)?),
        Rule::float => {
            let (int, frac) = raw.split_once('.')?;
            // The crate reads both parts as i128 first: refuse what would
            // overflow there.
            if digits(int) > 38 || digits(frac) > 38 {
                return None;
            }
            KdlValue::Float(raw.replace('_', "").parse().ok()?)
        }
        Rule::kw_true => KdlValue::Bool(true),
        Rule::kw_false => KdlValue::Bool(false),
        Rule::kw_null => KdlValue::Null,
        _ => return None,
    })
}

fn digits(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// A decimal integer as the crate reads it: the digits as an i128, then
/// negated for `-` (so i128::MIN is out of range there too).
fn integer(raw: &str) -> Option<i128> {
    let (negative, body) = match raw.as_bytes().first()? {
        b'-' => (true, &raw[1..]),
        b'+' => (false, &raw[1..]),
        _ => (false, raw),
    };
    let n: i128 = body.replace('_', "").parse().ok()?;
    if negative { n.checked_neg() } else { Some(n) }
}

/// The value of a quoted string's body (between the quotes).
fn unescape(body: &str) -> Option<String> {
    if !body.contains('\\') {
        return Some(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            '"' => '"',
            'b' => '\u{0008}',
            'f' => '\u{000C}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            's' => ' ',
            'u' => {
                let rest = chars.as_str().strip_prefix('{')?;
                let close = rest.find('}')?;
                let hex = rest.get(..close)?;
                if hex.is_empty() || hex.len() > 6 {
                    return None;
                }
                let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                chars = rest.get(close + 1..)?.chars();
                c
            }
            _ => return None, // a whitespace escape: the crate's
        });
    }
    Some(out)
}

/// A multi-line string's value from what is between its `"""` quotes (the
/// opening newline included): the last line is the indentation every line
/// starts with; it is removed, whitespace-only lines become empty, newlines
/// become `\n`, and the first and last newlines are not part of the value.
fn multi_line(between: &str, escapes: bool) -> Option<String> {
    let mut lines = split_lines(between);
    // `between` starts with the newline after the opening quotes.
    if lines.next() != Some("") {
        return None;
    }
    let lines: Vec<&str> = lines.collect();
    let (prefix, body) = lines.split_last()?;
    if !prefix.bytes().all(|b| b == b' ' || b == b'\t') {
        return None;
    }
    let mut out = String::with_capacity(between.len());
    for (i, line) in body.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.bytes().all(|b| b == b' ' || b == b'\t') {
            continue;
        }
        let rest = line.strip_prefix(prefix)?;
        if escapes {
            // (a whitespace escape, `\` before a space or at the end of a
            // line, is the crate's: `unescape` refuses it)
            out.push_str(&unescape(rest)?);
        } else {
            out.push_str(rest);
        }
    }
    Some(out)
}

/// Lines split at CRLF, CR or LF (the newlines the grammar reads).
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]);
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// A description of everything the compiler reads from a document (names,
/// values, value representations, spans), for comparing the fast path with
/// the `kdl` crate (tests/kdl_conformance.rs).
#[cfg(test)]
pub(crate) fn describe(doc: &KdlDocument) -> String {
    fn ident(out: &mut String, i: &KdlIdentifier) {
        out.push_str(&format!(
            "{:?} repr={:?} @{:?}",
            i.value(),
            i.repr(),
            i.span()
        ));
    }
    fn walk(out: &mut String, doc: &KdlDocument, depth: usize) {
        out.push_str(&format!(
            "{:indent$}doc @{:?}\n",
            "",
            doc.span(),
            indent = depth * 2
        ));
        for node in doc.nodes() {
            out.push_str(&format!("{:indent$}node ", "", indent = depth * 2 + 1));
            ident(out, node.name());
            out.push_str(&format!(
                " ty={:?} @{:?}\n",
                node.ty().map(|t| t.value()),
                node.span()
            ));
            for e in node.entries() {
                out.push_str(&format!("{:indent$}entry ", "", indent = depth * 2 + 2));
                if let Some(k) = e.name() {
                    ident(out, k);
                    out.push_str(" = ");
                }
                let value = match e.value() {
                    KdlValue::Float(f) => format!("Float({:?})", f.to_bits()),
                    v => format!("{v:?}"),
                };
                out.push_str(&format!(
                    "{value} repr={:?} ty={:?} @{:?}\n",
                    e.format().map(|f| f.value_repr.as_str()),
                    e.ty().map(|t| t.value()),
                    e.span()
                ));
            }
            if let Some(children) = node.children() {
                walk(out, children, depth + 1);
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, doc, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(text: &str) {
        let fast = parse_fast(text).unwrap_or_else(|| panic!("not read fast: {text:?}"));
        let slow: KdlDocument = text.parse().expect("valid KDL");
        assert_eq!(
            crate::syntax::kdl_read::describe(&fast),
            crate::syntax::kdl_read::describe(&slow),
            "{text:?}"
        );
    }

    #[test]
    fn reads_what_specs_use_as_the_crate_does() {
        same(
            "stage build from=\"golang:1.22\" {\n    run \"go build\" // c\n    copy \".\" \"/src\"; workdir \"/app\"\n}\n",
        );
        same("a 1 -2 +3 1_000 3.12 #true #false #null k=v \"q\"=\"x\\ny\\u{41}\"\n");
        same("run \"\"\"\n    echo a\n\n      b \"q\" \\t\n    \"\"\"\n");
        same("a #\"raw \\n\"# ##\"x\"#y\"## /- b { c }\n/- d\ne /* x /* y */ */ f\\\n  g\n");
        same("a{b;c}\nd { }\n  \n");
        same("");
        same("// only a comment");
    }

    #[test]
    fn leaves_the_rest_to_the_crate() {
        for text in [
            "a (t)b",
            "a 0x10",
            "a 1e3",
            "a #inf",
            "a -b",
            "a \"x\\   y\"",
            "a\u{00A0}b",
            "\u{FEFF}a",
            "a true",
            "a {",
            "a \"unclosed",
            "1a",
            "a #\"\"\"#",
        ] {
            assert!(parse_fast(text).is_none(), "read fast: {text:?}");
        }
    }
}
