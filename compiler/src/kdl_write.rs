//! KDL v2 text out of values: the one escape set for every KDL msbc writes
//! (template values through the `q` filter, `msbc.lock`, `msbc import`,
//! `msbc fmt`). The KDL counterpart of `backend/dockerfile/quote.rs`.
//!
//! Two levels:
//! - strings: [`quoted`] (always a `"..."` literal), [`ident`] (bare when KDL
//!   reads the bare word back as the same string, else quoted), [`script`]
//!   (a multi-line raw string when that is readable and exact, else quoted);
//! - nodes: [`Node`] builds a `kdl::KdlNode` whose every string carries the
//!   representation written here, and [`document`] lets the `kdl` crate lay
//!   the nodes out (`{`/`}`, one node a line, four spaces a level).
//!
//! The crate's own string writer is not used for values: it leaves control
//! characters, bidi controls and line separators literal, which KDL v2
//! refuses or reads back differently.

use kdl::{KdlDocument, KdlDocumentFormat, KdlEntry, KdlEntryFormat, KdlNode, KdlNodeFormat};

/// Code points KDL v2 does not allow literally anywhere in a document (the
/// spec's "disallowed literal code points", plus U+007F which it lists).
fn disallowed(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{E}'..='\u{1F}'
        | '\u{7F}'
        | '\u{200E}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}'
    )
}

/// KDL v2 newlines other than `\n` (`\r`, VT, FF, NEL, LS, PS): a parser
/// reads each as a line break, and a multi-line string normalizes them.
fn other_newline(c: char) -> bool {
    matches!(
        c,
        '\r' | '\u{B}' | '\u{C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Characters a bare identifier may not hold (besides space and newlines).
fn not_in_ident(c: char) -> bool {
    matches!(
        c,
        '\\' | '/' | '(' | ')' | '{' | '}' | ';' | '[' | ']' | '"' | '#' | '='
    ) || c.is_whitespace()
        || c.is_control()
        || disallowed(c)
        || other_newline(c)
}

/// `s` as a quoted KDL v2 string literal: `"`, `\` and the whitespace
/// escapes spelled out, every other control, newline or disallowed code
/// point as `\u{…}`. Everything else is written as itself.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{C}' => out.push_str("\\f"),
            c if c.is_control() || disallowed(c) || other_newline(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` can be written as a bare identifier and read back as the
/// same string (not a number, keyword or empty).
pub fn is_bare(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let second = chars.next();
    let looks_numeric = first.is_ascii_digit()
        || (matches!(first, '.' | '-' | '+') && second.is_some_and(|c| c.is_ascii_digit()));
    let keyword = matches!(s, "true" | "false" | "null" | "inf" | "-inf" | "nan");
    !(looks_numeric || keyword || s.chars().any(not_in_ident))
}

/// `s` bare when [`is_bare`], else [`quoted`]: for node names, property
/// keys and arguments that name something (a stage).
pub fn ident(s: &str) -> String {
    if is_bare(s) { s.to_string() } else { quoted(s) }
}

/// A string that reads best on several lines (a `run` script): a raw
/// multi-line string whose body lines are indented by `indent`, when that
/// form gives back exactly `s`; otherwise [`quoted`]. The line break before
/// the closing `"""` is not part of the value.
pub fn script(s: &str, indent: &str) -> String {
    let exact = s.contains('\n')
        && !s
            .chars()
            .any(|c| c == '\t' || c.is_control() && c != '\n' || disallowed(c) || other_newline(c))
        && !s.contains("\"\"\"")
        // A whitespace-only line would come back empty.
        && s.split('\n').all(|l| l.is_empty() || !l.trim().is_empty())
        && indent.chars().all(|c| c == ' ');
    if !exact {
        return quoted(s);
    }
    let mut out = String::from("#\"\"\"\n");
    for line in s.split('\n') {
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str("\"\"\"#");
    out
}

/// A value of a node entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Always a quoted string.
    Str(String),
    /// A name: bare when it can be ([`ident`]).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "writer vocabulary: import and fmt write names as text through `ident` today; the round-trip tests cover it"
        )
    )]
    Ident(String),
    /// A script: multi-line raw string when exact ([`script`]).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "writer vocabulary: import writes scripts as text through `script` today; the round-trip tests cover it"
        )
    )]
    Script(String),
    Int(i128),
    Bool(bool),
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "writer vocabulary; the round-trip tests cover it")
    )]
    Null,
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Str(s.clone())
    }
}

impl From<i128> for Value {
    fn from(n: i128) -> Self {
        Value::Int(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n.into())
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Int(n.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl Value {
    /// The entry for this value with its representation fixed (`indent` is
    /// the node's, for a script's body lines).
    fn entry(self, key: Option<&str>, indent: &str) -> KdlEntry {
        let (value, repr): (kdl::KdlValue, String) = match self {
            Value::Str(s) => {
                let r = quoted(&s);
                (s.into(), r)
            }
            Value::Ident(s) => {
                let r = ident(&s);
                (s.into(), r)
            }
            Value::Script(s) => {
                let r = script(&s, &format!("{indent}    "));
                (s.into(), r)
            }
            Value::Int(n) => (n.into(), n.to_string()),
            Value::Bool(b) => (b.into(), format!("#{b}")),
            Value::Null => (kdl::KdlValue::Null, "#null".to_string()),
        };
        let mut entry = match key {
            Some(k) => {
                let mut name = kdl::KdlIdentifier::from(k);
                name.set_repr(ident(k));
                KdlEntry::new_prop(name, value)
            }
            None => KdlEntry::new(value),
        };
        entry.set_format(KdlEntryFormat {
            value_repr: repr,
            leading: " ".into(),
            autoformat_keep: true,
            ..Default::default()
        });
        entry
    }
}

/// A node to write: name, arguments and properties in order, children.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    name: String,
    entries: Vec<(Option<String>, Value)>,
    children: Vec<Node>,
}

impl Node {
    pub fn new(name: impl Into<String>) -> Self {
        Node {
            name: name.into(),
            ..Node::default()
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, value: impl Into<Value>) -> Self {
        self.entries.push((None, value.into()));
        self
    }

    /// Adds a property `key=value`.
    pub fn prop(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.entries.push((Some(key.into()), value.into()));
        self
    }

    /// Adds a child node.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "writer vocabulary (`children` is what msbc.lock uses); the tests build trees with it"
        )
    )]
    pub fn child(mut self, node: Node) -> Self {
        self.children.push(node);
        self
    }

    /// Adds child nodes.
    pub fn children(mut self, nodes: impl IntoIterator<Item = Node>) -> Self {
        self.children.extend(nodes);
        self
    }

    /// The `kdl` crate node, every representation set, laid out at `level`.
    pub fn to_kdl(&self, level: usize) -> KdlNode {
        let indent = "    ".repeat(level);
        let mut name = kdl::KdlIdentifier::from(self.name.as_str());
        name.set_repr(ident(&self.name));
        let mut node = KdlNode::new(name);
        for (key, value) in &self.entries {
            node.push(value.clone().entry(key.as_deref(), &indent));
        }
        if !self.children.is_empty() {
            node.set_children(doc_at(&self.children, level + 1));
        }
        node.set_format(KdlNodeFormat {
            leading: indent,
            before_children: " ".into(),
            terminator: "\n".into(),
            ..Default::default()
        });
        node
    }
}

fn doc_at(nodes: &[Node], level: usize) -> KdlDocument {
    let mut doc = KdlDocument::new();
    for n in nodes {
        doc.nodes_mut().push(n.to_kdl(level));
    }
    doc.set_format(KdlDocumentFormat {
        leading: if level == 0 {
            String::new()
        } else {
            "\n".into()
        },
        trailing: "    ".repeat(level.saturating_sub(1)),
    });
    doc
}

/// The text of a document of `nodes`: one node a line, children indented by
/// four spaces, a final line break.
pub fn document(nodes: &[Node]) -> String {
    doc_at(nodes, 0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile strings: quotes, backslashes, line breaks of every kind, `#`,
    /// raw-string delimiters, unicode, controls, keyword and number look-alikes.
    const NASTY: &[&str] = &[
        "",
        "plain",
        "a \"q\" \\ b",
        "\\",
        "\"",
        "line1\nline2\n",
        "set -e\n  indented\n\nlast",
        "x\n",
        "\n\nstart",
        "\n",
        "tab\there\n",
        "cr\r\nlf",
        "ctl \u{1} \u{7f} \u{85} \u{feff} \u{200e} \u{202e} \u{2066}",
        "vt\u{b}ff\u{c}bs\u{8}",
        "ls\u{2028}ps\u{2029}",
        "ws only\n   \nafter",
        "\"\"\"\n",
        "#\"\"\"#\nz",
        "##\"",
        "# comment",
        "/* c */ x",
        "// x",
        "a=b",
        "{ } ; [ ]",
        "(t)v",
        "true",
        "false",
        "null",
        "inf",
        "-inf",
        "nan",
        "#true",
        "#null",
        "1",
        "-1",
        "+1",
        "1.5",
        ".5",
        "0x10",
        "1e3",
        "-",
        "ünï©ødé 日本 🚀",
        "\u{3000}ideographic space",
        "  leading and trailing  ",
        "${NAME} $$ ${V:-x}",
    ];

    fn parse(text: &str) -> KdlDocument {
        match text.parse() {
            Ok(d) => d,
            Err(e) => panic!("not KDL: {e:?}\n{text}"),
        }
    }

    fn first_arg(text: &str) -> String {
        let doc = parse(text);
        doc.nodes()[0].entries()[0]
            .value()
            .as_string()
            .map(str::to_string)
            .unwrap_or_else(|| panic!("not a string: {text}"))
    }

    #[test]
    fn every_string_form_round_trips() {
        for s in NASTY {
            assert_eq!(first_arg(&format!("n {}\n", quoted(s))), *s, "quoted {s:?}");
            assert_eq!(first_arg(&format!("n {}\n", ident(s))), *s, "ident {s:?}");
            let text = format!("n {}\n", script(s, "    "));
            assert_eq!(first_arg(&text), *s, "script {s:?} as {text}");
        }
    }

    #[test]
    fn nodes_round_trip_through_the_crate() {
        let stages: Vec<Node> = NASTY
            .iter()
            .map(|s| {
                Node::new(*s)
                    .arg(*s)
                    .arg(Value::Ident(s.to_string()))
                    .prop(*s, *s)
                    .child(Node::new("run").arg(Value::Script(s.to_string())))
            })
            .collect();
        let text = document(&[
            Node::new("msbc").arg(1),
            Node::new("flags").arg(true).arg(false).arg(Value::Null),
            Node::new("image").children(stages),
        ]);
        let doc = parse(&text);
        assert_eq!(doc.nodes().len(), 3, "{text}");
        assert_eq!(doc.nodes()[0].entries()[0].value().as_integer(), Some(1));
        let flags: Vec<_> = doc.nodes()[1]
            .entries()
            .iter()
            .map(|e| e.value().clone())
            .collect();
        assert_eq!(
            flags,
            [
                kdl::KdlValue::Bool(true),
                kdl::KdlValue::Bool(false),
                kdl::KdlValue::Null
            ]
        );
        let children = doc.nodes()[2].children().map(|c| c.nodes()).unwrap_or(&[]);
        assert_eq!(children.len(), NASTY.len(), "{text}");
        for (node, s) in children.iter().zip(NASTY) {
            assert_eq!(node.name().value(), *s);
            let e = node.entries();
            assert_eq!(e.len(), 3, "{s:?}: {text}");
            assert_eq!(e[0].value().as_string(), Some(*s));
            assert_eq!(e[1].value().as_string(), Some(*s));
            assert_eq!(e[2].name().map(|n| n.value()), Some(*s));
            assert_eq!(e[2].value().as_string(), Some(*s));
            let run = &node.children().map(|c| c.nodes()).unwrap_or(&[])[0];
            assert_eq!(run.entries()[0].value().as_string(), Some(*s), "{text}");
        }
    }

    #[test]
    fn layout_is_the_usual_one() {
        let text = document(&[
            Node::new("msbc").arg(1),
            Node::new("stage")
                .arg(Value::Ident("build".into()))
                .prop("from", "golang:1.23")
                .child(Node::new("workdir").arg("/src"))
                .child(Node::new("run").arg(Value::Script("a\nb".into()))),
        ]);
        assert_eq!(
            text,
            "msbc 1\nstage build from=\"golang:1.23\" {\n    workdir \"/src\"\n    run #\"\"\"\n        a\n        b\n        \"\"\"#\n}\n"
        );
    }

    #[test]
    fn bare_only_where_it_reads_back() {
        assert_eq!(ident("build"), "build");
        assert_eq!(ident("my-stage.x"), "my-stage.x");
        assert_eq!(ident("true"), "\"true\"");
        assert_eq!(ident("1x"), "\"1x\"");
        assert_eq!(ident("-1"), "\"-1\"");
        assert_eq!(ident(""), "\"\"");
        assert_eq!(quoted("a\u{1}"), "\"a\\u{1}\"");
    }
}
