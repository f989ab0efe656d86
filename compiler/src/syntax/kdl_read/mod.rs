//! KDL v2 text to a `kdl::KdlDocument`, fast: a reader for the subset of
//! KDL v2 that build specs, presets and templates are written in, with the
//! `kdl` crate's parser behind it for everything else.
//!
//! The subset is strict: a text read here gives the same tree as the `kdl`
//! crate (node and property names, values, spans, each value's
//! representation), checked against the official KDL test suite and every
//! `.kdl` file of the repository by `kdl_conformance.rs`. A text it does not
//! read (a syntax error, or KDL it leaves out: type annotations,
//! non-decimal numbers, exponents, `#inf`/`#nan`, identifiers starting with
//! a sign or a dot, whitespace escapes in strings, non-ASCII whitespace, a
//! BOM) goes to the `kdl` crate, so every syntax error is still the crate's,
//! located as before. The `kdl` crate also stays the formatter and writer
//! (`msbc fmt`, `kdl_write.rs`): this module only reads.
//!
//! Why, and why by hand: the crate's parser (winnow, with error recovery and
//! a format record of every token) took ~65% of a small spec's CPU time and
//! most of a fleet run. A pest grammar for the same subset was tried first
//! and measured: ~1,800 instructions per byte (callgrind, `compile
//! specs/go`: 8.3 M of 11.2 M instructions in the pest parse of ~8 KB of
//! KDL), no better than the crate. This reader is a PEG like that grammar,
//! written as one method per rule over bytes. `MSBC_KDL_PARSER=crate` turns
//! it off (every text goes to the crate), for comparing the two.

mod space;
mod strings;

use strings::string_value;

use kdl::{KdlDocument, KdlEntry, KdlEntryFormat, KdlError, KdlNode, KdlValue};

/// Parses a KDL v2 document: the fast path when it can, else the `kdl` crate
/// (whose errors are returned as they are).
pub fn parse(source: &str) -> Result<KdlDocument, KdlError> {
    let fast = if crate_only() {
        None
    } else {
        parse_fast(source)
    };
    match fast {
        Some(doc) => Ok(doc),
        None => {
            #[cfg(test)]
            FALLBACKS.with(|n| n.set(n.get() + 1));
            source.parse::<KdlDocument>()
        }
    }
}

/// `MSBC_KDL_PARSER=crate`: every text to the `kdl` crate (read once).
fn crate_only() -> bool {
    static CRATE_ONLY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CRATE_ONLY.get_or_init(|| std::env::var_os("MSBC_KDL_PARSER").is_some_and(|v| v == "crate"))
}

#[cfg(test)]
thread_local! {
    /// How many texts this thread left to the `kdl` crate (for tests).
    pub(crate) static FALLBACKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
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

/// The fast path alone: `None` when the text is outside the subset read
/// here (or is not valid KDL); then the `kdl` crate decides.
pub fn parse_fast(source: &str) -> Option<KdlDocument> {
    if !precheck(source) {
        return None;
    }
    let mut r = Reader {
        s: source,
        b: source.as_bytes(),
        i: 0,
        depth: 0,
    };
    let doc = r.nodes()?;
    (r.i == r.b.len()).then_some(doc)
}

/// A string token: its kind and where it is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Quoted,
    MultiLine,
    Raw(usize),
    MultiLineRaw(usize),
}

/// A cursor over the text. Every method that reads a construct either
/// reads all of it and moves on, or returns `None`/`false` with the cursor
/// where it was: the grammar is a PEG (ordered choice, backtracking), the
/// same one the `kdl` crate implements for this subset.
struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// Children blocks open (the reader recurses into each).
    depth: usize,
}

/// Deeper children blocks are left to the crate (`syntax::depth` refuses a
/// spec nested past 64 before either runs).
const MAX_DEPTH: usize = 100;

impl<'a> Reader<'a> {
    fn at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn starts(&self, lit: &[u8]) -> bool {
        self.b[self.i..].starts_with(lit)
    }

    fn eof(&self) -> bool {
        self.i >= self.b.len()
    }

    /// `nodes := lines (node (terminator lines node)* terminator?)? lines`,
    /// ending at the end of the text or at a `}`.
    fn nodes(&mut self) -> Option<KdlDocument> {
        let mut doc = KdlDocument::new();
        let mut first: Option<usize> = None;
        let mut last = 0;
        self.lines()?;
        loop {
            if self.eof() || self.at(0) == Some(b'}') {
                break;
            }
            let start = self.i;
            let node = self.node()?;
            first.get_or_insert(start);
            last = self.i;
            doc.nodes_mut().push(node);
            if !self.terminator() {
                break;
            }
            self.lines()?;
        }
        self.lines()?;
        let start = first.unwrap_or(self.i);
        let end = if first.is_some() { last } else { self.i };
        doc.set_span((start, end - start));
        Some(doc)
    }

    /// `lines := (line-space | slashdash node)*`
    fn lines(&mut self) -> Option<()> {
        loop {
            if self.line_space()? {
                continue;
            }
            if self.starts(b"/-") {
                self.slashdash()?;
                self.node()?;
                continue;
            }
            return Some(());
        }
    }

    /// `node := string (node-space+ (slashdash? entry))*
    ///   (node-space* slashdash children)* (node-space* children)?
    ///   (node-space* slashdash children)* node-space*`
    fn node(&mut self) -> Option<KdlNode> {
        let start = self.i;
        let name = self.identifier()?;
        let mut node = KdlNode::new(name);
        loop {
            let save = self.i;
            if !self.node_spaces()? {
                break;
            }
            if self.starts(b"/-") {
                self.slashdash()?;
                if self.entry().is_none() {
                    self.i = save;
                    break;
                }
                continue;
            }
            match self.entry() {
                Some(entry) => node.entries_mut().push(entry),
                None => {
                    self.i = save;
                    break;
                }
            }
        }
        self.slashdashed_children()?;
        let save = self.i;
        self.node_spaces()?;
        if self.at(0) == Some(b'{') {
            node.set_children(self.block()?);
            self.slashdashed_children()?;
        } else {
            self.i = save;
        }
        self.node_spaces()?;
        node.set_span((start, self.i - start));
        Some(node)
    }

    /// `(node-space* slashdash children)*`
    fn slashdashed_children(&mut self) -> Option<()> {
        loop {
            let save = self.i;
            self.node_spaces()?;
            if !self.starts(b"/-") {
                self.i = save;
                return Some(());
            }
            self.slashdash()?;
            if self.at(0) != Some(b'{') {
                self.i = save;
                return Some(());
            }
            self.block()?;
        }
    }

    /// `{ nodes }`
    fn block(&mut self) -> Option<KdlDocument> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.depth += 1;
        let doc = self.nodes()?;
        self.depth -= 1;
        if self.at(0) != Some(b'}') {
            return None;
        }
        self.i += 1;
        Some(doc)
    }

    /// `entry := string node-space* '=' node-space* value | value`
    fn entry(&mut self) -> Option<KdlEntry> {
        let start = self.i;
        if let Some((kind, from, to)) = self.string() {
            let save = self.i;
            self.node_spaces()?;
            if self.at(0) == Some(b'=') {
                self.i += 1;
                self.node_spaces()?;
                let key = self.ident_at(kind, from, to)?;
                let vstart = self.i;
                let value = self.value()?;
                let mut entry = KdlEntry::new_prop(key, value);
                entry.set_format(format(&self.s[vstart..self.i]));
                entry.set_span((start, self.i - start));
                return Some(entry);
            }
            self.i = save;
            let mut entry = KdlEntry::new(string_value(kind, &self.s[from..to])?);
            entry.set_format(format(&self.s[from..to]));
            entry.set_span((start, to - start));
            return Some(entry);
        }
        let value = self.value()?;
        let mut entry = KdlEntry::new(value);
        entry.set_format(format(&self.s[start..self.i]));
        entry.set_span((start, self.i - start));
        Some(entry)
    }

    /// `value := (keyword | number | string) &value-term`
    fn value(&mut self) -> Option<KdlValue> {
        let start = self.i;
        for (lit, v) in [
            (&b"#true"[..], KdlValue::Bool(true)),
            (b"#false", KdlValue::Bool(false)),
            (b"#null", KdlValue::Null),
        ] {
            if self.starts(lit) {
                self.i += lit.len();
                if self.value_term() {
                    return Some(v);
                }
                self.i = start;
            }
        }
        if let Some(v) = self.number() {
            return Some(v);
        }
        self.i = start;
        let (kind, from, to) = self.string()?;
        string_value(kind, &self.s[from..to])
    }

    /// `float | integer`, decimal only, then `&value-term`.
    fn number(&mut self) -> Option<KdlValue> {
        let start = self.i;
        if matches!(self.at(0), Some(b'+' | b'-')) {
            self.i += 1;
        }
        if !self.at(0).is_some_and(|c| c.is_ascii_digit()) {
            self.i = start;
            return None;
        }
        self.digits();
        let mut float = false;
        if self.at(0) == Some(b'.') && self.at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            self.digits();
            float = true;
        }
        if !self.value_term() {
            self.i = start;
            return None;
        }
        let raw = &self.s[start..self.i];
        let value = if float {
            let (int, frac) = raw.split_once('.')?;
            // The crate reads both parts as i128 first: refuse what would
            // overflow there.
            if count_digits(int) > 38 || count_digits(frac) > 38 {
                return None;
            }
            KdlValue::Float(raw.replace('_', "").parse().ok()?)
        } else {
            KdlValue::Integer(integer(raw)?)
        };
        Some(value)
    }

    /// `(digit | '_')*`
    fn digits(&mut self) {
        while self.at(0).is_some_and(|c| c.is_ascii_digit() || c == b'_') {
            self.i += 1;
        }
    }
}

fn format(repr: &str) -> KdlEntryFormat {
    KdlEntryFormat {
        value_repr: repr.to_string(),
        ..Default::default()
    }
}

fn count_digits(s: &str) -> usize {
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

/// A description of everything the compiler reads from a document (names,
/// values, value representations, spans), for comparing the fast path with
/// the `kdl` crate (`syntax/kdl_conformance.rs`).
#[cfg(test)]
pub(crate) fn describe(doc: &KdlDocument) -> String {
    fn ident(out: &mut String, i: &kdl::KdlIdentifier) {
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
