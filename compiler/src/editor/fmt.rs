//! `msbc fmt`: one canonical layout for a spec, keeping every comment.
//!
//! The layout: four spaces a level, one node a line (`a; b` and
//! `{ a; b; }` are split), one space between entries, no space around
//! `=`, `{` on the node's line and `}` on its own, at most one blank line
//! between nodes (none at the start of a block), multi-line strings
//! re-indented one level below their node. Node names and property keys
//! are bare where KDL reads them back the same ([`crate::kdl_write::ident`]);
//! values keep the form they were written in (quoted, raw, multi-line,
//! `0x10`, `#true`), so what a value means never changes.
//!
//! kdl's own `autoformat` is not used: it drops comments between entries
//! (and slashdashed entries), every blank line, and rewrites multi-line and
//! raw strings as quoted ones. Instead the layout is written from the
//! parsed document's spans and whitespace (`format()`), and the result is
//! parsed again and compared node by node with the input: a formatting
//! that would change what the spec says is refused, never written.

use crate::diag::Diagnostics;
use crate::kdl_write;
use kdl::{KdlDocument, KdlEntry, KdlIdentifier, KdlNode};

const INDENT: &str = "    ";

/// Why a text cannot be formatted.
#[derive(Debug)]
pub enum FmtError {
    /// Not KDL: the syntax errors, as `msbc check` reports them.
    Syntax(Diagnostics),
    /// The layout would change what the document says (a bug in msbc fmt).
    Changed,
}

/// `source` in the canonical layout.
pub fn format(source: &str) -> Result<String, FmtError> {
    let doc: KdlDocument = match source.parse() {
        Ok(doc) => doc,
        Err(_) => {
            let mut diags = Diagnostics::new();
            // Reports the KDL syntax errors (E0001) as `check` does.
            let _ = crate::syntax::parse(source, &mut diags);
            return Err(FmtError::Syntax(diags));
        }
    };
    let mut w = Writer {
        source,
        out: String::new(),
    };
    w.document(&doc, 0, source.len());
    let mut out = w.out;
    // One newline at the end, none at the start.
    let trimmed = out.trim_end_matches([' ', '\n']).len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    match out.parse::<KdlDocument>() {
        Ok(again) if same_document(&doc, &again) && comments(source) == comments(&out) => Ok(out),
        _ => Err(FmtError::Changed),
    }
}

struct Writer<'s> {
    source: &'s str,
    out: String,
}

impl Writer<'_> {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
    }

    /// Writes `doc`'s nodes at `level`; `end` is where its text ends in
    /// the source (before a block's `}`).
    fn document(&mut self, doc: &KdlDocument, level: usize, end: usize) {
        let (leading, trailing) = doc
            .format()
            .map(|f| (f.leading.as_str(), f.trailing.as_str()))
            .unwrap_or(("", ""));
        let mut first = true;
        self.trivia(leading, level, &mut first, false);
        let mut same_line = false;
        let mut prev_end: Option<usize> = None;
        for node in doc.nodes() {
            let leading = node.format().map(|f| f.leading.as_str()).unwrap_or("");
            // Text the kdl crate keeps in no format field (a comment after
            // a block's `}`): taken from the source between the nodes.
            let start = node.span().offset().saturating_sub(leading.len());
            let ended = self.gap(prev_end, start, level, &mut first, same_line);
            self.trivia(leading, level, &mut first, same_line && !ended);
            self.node(node, level);
            first = false;
            same_line = node
                .format()
                .is_some_and(|f| !f.terminator.ends_with('\n') && !f.trailing.contains('\n'));
            prev_end = Some(node_end(node));
        }
        let ended = self.gap(
            prev_end,
            end.saturating_sub(trailing.len()),
            level,
            &mut first,
            same_line,
        );
        self.trivia(trailing, level, &mut first, same_line && !ended);
    }

    fn gap(
        &mut self,
        from: Option<usize>,
        to: usize,
        level: usize,
        first: &mut bool,
        same_line: bool,
    ) -> bool {
        let Some(from) = from else { return false };
        if from >= to {
            return false;
        }
        match self.source.get(from..to) {
            Some(text) => {
                let text = text.trim_start_matches([' ', '\t']);
                let text = text.strip_prefix(';').unwrap_or(text);
                self.trivia(text, level, first, same_line || !self.out.ends_with("\n\n"));
                text.contains('\n')
            }
            None => false,
        }
    }

    /// Comments (and slashdashed nodes) before a node or at the end of a
    /// block, each line trimmed and indented to `level`; blank lines kept
    /// to one, none at the start of a block. `same_line`: the text starts
    /// on the line of a node that ended with `;`.
    fn trivia(&mut self, text: &str, level: usize, first: &mut bool, same_line: bool) {
        let mut segments: Vec<&str> = text.split('\n').collect();
        // The last segment is the indentation before the next node.
        let last = segments.pop().unwrap_or("");
        if !last.trim().is_empty() {
            segments.push(last);
        } else if !text.contains('\n') {
            // No line break at all: nothing but spaces.
            return;
        }
        let mut blank = false;
        for (i, seg) in segments.iter().enumerate() {
            let seg = seg.trim();
            if seg.is_empty() {
                // The rest of a line that a node or `{` began is no blank line.
                let rest_of_line = i == 0 && (same_line || *first || self.ends_line_open());
                if !rest_of_line {
                    blank = true;
                }
                continue;
            }
            // A comment on the line of the node before (after `;` or `}`)
            // or of the block's `{` stays on that line.
            if i == 0 && (same_line || (*first && self.out.ends_with("{\n"))) {
                self.out.pop();
                self.out.push(' ');
                self.out.push_str(seg);
                self.out.push('\n');
                *first = false;
                continue;
            }
            if blank && !*first {
                self.out.push('\n');
            }
            blank = false;
            self.indent(level);
            self.out.push_str(seg);
            self.out.push('\n');
            *first = false;
        }
        if blank && !*first {
            self.out.push('\n');
        }
    }

    /// Whether the output ends right after a block's `{` (its first line).
    fn ends_line_open(&self) -> bool {
        self.out.trim_end_matches(' ').ends_with("{\n")
    }

    fn node(&mut self, node: &KdlNode, level: usize) {
        self.indent(level);
        if let Some(ty) = node.ty() {
            self.out.push('(');
            self.out.push_str(&ident(ty));
            self.out.push(')');
        }
        self.out.push_str(&ident(node.name()));
        for entry in node.entries() {
            self.entry(entry, level);
        }
        let format = node.format();
        if let Some(f) = format {
            self.inline_trivia(&f.before_children, level, true);
        }
        if let Some(children) = node.children() {
            let empty = children.nodes().is_empty()
                && children
                    .format()
                    .is_none_or(|f| f.leading.trim().is_empty() && f.trailing.trim().is_empty());
            if empty {
                self.out.push_str(" {}");
            } else {
                self.out.push_str(" {\n");
                let span = node.span();
                let node_end = span.offset() + span.len();
                let close = self
                    .source
                    .get(..node_end)
                    .and_then(|t| t.rfind('}'))
                    .unwrap_or(node_end);
                self.document(children, level + 1, close);
                self.indent(level);
                self.out.push('}');
            }
        }
        if let Some(f) = format {
            self.inline_trivia(&f.before_terminator, level, false);
            let term = f.terminator.trim();
            let term = term.strip_prefix(';').unwrap_or(term).trim();
            if !term.is_empty() {
                self.out.push(' ');
                self.out.push_str(term);
            }
            self.inline_trivia(&f.trailing, level, false);
        }
        self.out.push('\n');
    }

    /// Comments between the parts of a node line (`/* c */`, `/- x=1`, a
    /// `\` continuation): kept, on one line where they allow it. Returns
    /// whether the text ended its line (a `//` comment, a `\`), in which
    /// case the output goes on at the next line's indentation when
    /// `go_on`.
    fn inline_trivia(&mut self, text: &str, level: usize, go_on: bool) -> bool {
        let pieces: Vec<&str> = text
            .split('\n')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        // A plain `\` line continuation joins the lines.
        if pieces.iter().all(|p| *p == "\\") {
            return false;
        }
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
                self.indent(level + 1);
            } else {
                self.out.push(' ');
            }
            self.out.push_str(piece);
        }
        let ended = pieces
            .last()
            .is_some_and(|p| ends_in_line_comment(p) || p.ends_with('\\'));
        if ended && go_on {
            self.out.push('\n');
            self.indent(level + 1);
        }
        ended
    }

    fn entry(&mut self, entry: &KdlEntry, level: usize) {
        let format = entry.format();
        match format {
            Some(f) if !f.leading.trim().is_empty() => {
                if !self.inline_trivia(&f.leading, level, true) {
                    self.out.push(' ');
                }
            }
            _ => self.out.push(' '),
        }
        if let Some(key) = entry.name() {
            self.out.push_str(&ident(key));
            if let Some(f) = format {
                self.verbatim_trivia(&f.after_key);
            }
            self.out.push('=');
            if let Some(f) = format {
                self.verbatim_trivia(&f.after_eq);
            }
        }
        if let Some(ty) = entry.ty() {
            self.out.push('(');
            self.out.push_str(&ident(ty));
            self.out.push(')');
        }
        let repr = match format {
            Some(f) if !f.value_repr.is_empty() => reindent_multiline(&f.value_repr, level + 1),
            _ => entry.value().to_string(),
        };
        self.out.push_str(&repr);
        if let Some(f) = format {
            self.verbatim_trivia(&f.trailing);
        }
    }

    /// Rare places for a comment (`key /* c */ = value`): kept as written.
    fn verbatim_trivia(&mut self, text: &str) {
        let t = text.trim();
        if !t.is_empty() {
            self.out.push(' ');
            self.out.push_str(t);
            self.out.push(' ');
        }
    }
}

/// Where a node's text ends in the source (after its terminator).
fn node_end(node: &KdlNode) -> usize {
    let span = node.span();
    let extra = node
        .format()
        .map_or(0, |f| f.terminator.len() + f.trailing.len());
    span.offset() + span.len() + extra
}

/// The comments of a KDL text, in order (whitespace runs as one space),
/// and `/-` for each slashdash: what formatting must keep.
fn comments(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    while i < b.len() {
        match b[i] {
            b'"' | b'#' => i = crate::syntax::skip_string(b, i).unwrap_or(i + 1),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(b.len(), |p| i + p);
                out.push(squash(text.get(i..end).unwrap_or("")));
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(squash(text.get(start..i).unwrap_or("")));
            }
            b'/' if b.get(i + 1) == Some(&b'-') => {
                out.push("/-".to_string());
                i += 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether a piece of trivia ends inside a `//` comment (which runs to
/// the end of the line).
fn ends_in_line_comment(piece: &str) -> bool {
    // `//` outside a block comment; trivia holds no strings except inside
    // slashdashed entries, where a `//` in a string is rare enough to
    // cost only an extra line break.
    let mut depth = 0usize;
    let bytes = piece.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') if depth > 0 => {
                depth -= 1;
                i += 2;
            }
            (b'/', b'/') if depth == 0 => return true,
            _ => i += 1,
        }
    }
    false
}

/// A node name, key or type: bare where KDL reads it back the same.
fn ident(id: &KdlIdentifier) -> String {
    kdl_write::ident(id.value())
}

/// A multi-line string (`"""` or `#"""`) with its body and closing line
/// indented to `level`. KDL strips the closing line's indentation from
/// every line, so the value is unchanged. Other values as written.
fn reindent_multiline(repr: &str, level: usize) -> String {
    let opening = repr.trim_start_matches('#');
    if !opening.starts_with("\"\"\"") {
        return repr.to_string();
    }
    let lines: Vec<&str> = repr.split('\n').collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return repr.to_string();
    };
    if lines.len() < 2 {
        return repr.to_string();
    }
    let close = last.trim_start();
    let prefix = &last[..last.len() - close.len()];
    if !close.starts_with("\"\"\"") || !prefix.chars().all(|c| c == ' ' || c == '\t') {
        return repr.to_string();
    }
    let indent = INDENT.repeat(level);
    let mut out = String::from(*first);
    for line in &lines[1..lines.len() - 1] {
        out.push('\n');
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        match line.strip_prefix(prefix) {
            Some(rest) => {
                out.push_str(&indent);
                out.push_str(rest);
            }
            None => return repr.to_string(),
        }
    }
    out.push('\n');
    out.push_str(&indent);
    out.push_str(close);
    out
}

/// Whether two documents say the same: node names, types, entries (keys,
/// types, values) and children, ignoring layout and comments.
fn same_document(a: &KdlDocument, b: &KdlDocument) -> bool {
    a.nodes().len() == b.nodes().len()
        && a.nodes()
            .iter()
            .zip(b.nodes())
            .all(|(x, y)| same_node(x, y))
}

fn same_node(a: &KdlNode, b: &KdlNode) -> bool {
    let same_children = match (a.children(), b.children()) {
        (None, None) => true,
        (Some(x), Some(y)) => same_document(x, y),
        _ => false,
    };
    a.name().value() == b.name().value()
        && a.ty().map(KdlIdentifier::value) == b.ty().map(KdlIdentifier::value)
        && a.entries().len() == b.entries().len()
        && a.entries().iter().zip(b.entries()).all(|(x, y)| {
            x.name().map(KdlIdentifier::value) == y.name().map(KdlIdentifier::value)
                && x.ty().map(KdlIdentifier::value) == y.ty().map(KdlIdentifier::value)
                && same_value(x.value(), y.value())
        })
        && same_children
}

fn same_value(a: &kdl::KdlValue, b: &kdl::KdlValue) -> bool {
    match (a, b) {
        (kdl::KdlValue::Float(x), kdl::KdlValue::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        match format(s) {
            Ok(out) => out,
            Err(e) => panic!("{e:?} for {s:?}"),
        }
    }

    #[test]
    fn layout_and_comments() {
        let src = "// head\n\n\n msbc   1 // version\n\n\n\n/* block\n   comment */\narg  A  \"1\" /- B=\"2\" /* mid */ C=3\n/- stage skipped { run \"x\" }\n\"stage\" \"x\" from = \"a\" { run \"y\"; run \"\"\"\n      multi\n        more\n      \"\"\" // after\n  // inner\n}\n// end\n";
        let want = "// head\n\nmsbc 1 // version\n\n/* block\ncomment */\narg A \"1\" /- B=\"2\" /* mid */ C=3\n/- stage skipped { run \"x\" }\nstage \"x\" from=\"a\" {\n    run \"y\"\n    run \"\"\"\n        multi\n          more\n        \"\"\" // after\n    // inner\n}\n// end\n";
        let out = fmt(src);
        assert_eq!(out, want, "\n{out}");
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn continuation_lines_join_and_comments_stay() {
        let src = "run \"x\" \\\n    network=\"none\"\nrun \"y\" \\ // why\n    network=\"host\"\n";
        let out = fmt(src);
        assert_eq!(
            out, "run \"x\" network=\"none\"\nrun \"y\" \\ // why\n    network=\"host\"\n",
            "\n{out}"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn blocks_split_and_empty() {
        let out = fmt(
            "image a from=\"x\" { run \"a\"; run \"b\" { bind \"/m\" from=b; }; }\nstage e {}\n",
        );
        assert_eq!(
            out,
            "image a from=\"x\" {\n    run \"a\"\n    run \"b\" {\n        bind \"/m\" from=b\n    }\n}\nstage e {}\n",
            "\n{out}"
        );
    }

    #[test]
    fn comments_after_blocks_and_braces_stay() {
        let src = "context { ignore \".git\" }   // never\n\nuse java {   // why\n    port 8080\n}\na; b // c\n";
        let out = fmt(src);
        assert_eq!(
            out,
            "context {\n    ignore \".git\"\n} // never\n\nuse java { // why\n    port 8080\n}\na\nb // c\n",
            "\n{out}"
        );
        assert_eq!(fmt(&out), out);
        assert_eq!(comments(src), vec!["// never", "// why", "// c"]);
        assert_eq!(
            comments("a \"//x\" #\"/*\"# \"\"\"\n  /-\n  \"\"\" /* a /* b */ c */"),
            vec!["/* a /* b */ c */"]
        );
    }

    #[test]
    fn not_kdl_is_reported() {
        match format("stage x {") {
            Err(FmtError::Syntax(d)) => assert!(d.has_errors()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reindent_keeps_the_value() {
        let repr = "#\"\"\"\n  a\n\n    b\n  \"\"\"#";
        assert_eq!(
            reindent_multiline(repr, 1),
            "#\"\"\"\n    a\n\n      b\n    \"\"\"#"
        );
    }
}
