//! Reading one KDL node's arguments and properties, with every shape error
//! reported (missing, wrong type, unknown, duplicate, too many).

use super::ast::{Ident, Str};
use super::docs::PropDoc;
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use kdl::{KdlEntry, KdlNode, KdlValue};

/// Reads `node`; call [`NodeReader::finish`] when done so that what was not
/// read is reported.
pub(crate) struct NodeReader<'a> {
    node: &'a KdlNode,
    name: &'a str,
    args: Vec<&'a KdlEntry>,
    /// Properties in file order; duplicates already reported.
    props: Vec<(&'a str, &'a KdlEntry)>,
    /// The node's properties, from its entry of the reference
    /// (`syntax/docs.rs`): the one list of what it takes.
    known_props: &'static [PropDoc],
    used_props: Vec<&'static str>,
    max_args: usize,
}

impl<'a> NodeReader<'a> {
    pub fn new(
        node: &'a KdlNode,
        known_props: &'static [PropDoc],
        diags: &mut Diagnostics,
    ) -> Self {
        let mut args = Vec::new();
        let mut props: Vec<(&'a str, &'a KdlEntry)> = Vec::new();
        for entry in node.entries() {
            match entry.name() {
                None => args.push(entry),
                Some(key) => {
                    if let Some((_, first)) = props.iter().find(|(k, _)| *k == key.value()) {
                        diags.push(
                            Diagnostic::new(
                                Code::DuplicateProperty,
                                format!(
                                    "`{}` is given twice on `{}`",
                                    key.value(),
                                    node.name().value()
                                ),
                            )
                            .label(Span::from(entry.span()), "given again here")
                            .label(Span::from(first.span()), "first given here")
                            .help("remove one of them"),
                        );
                    } else {
                        props.push((key.value(), entry));
                    }
                }
            }
        }
        NodeReader {
            node,
            name: node.name().value(),
            args,
            props,
            known_props,
            used_props: Vec::new(),
            max_args: 0,
        }
    }

    pub fn name_span(&self) -> Span {
        Span::from(self.node.name().span())
    }

    pub fn span(&self) -> Span {
        Span::from(self.node.span())
    }

    pub fn arg_count(&self) -> usize {
        self.args.len()
    }

    pub fn arg_entry(&self, i: usize) -> Option<&'a KdlEntry> {
        self.args.get(i).copied()
    }

    /// Declares that arguments `0..n` are read; more are reported in `finish`.
    pub fn allow_args(&mut self, n: usize) {
        self.max_args = self.max_args.max(n);
    }

    /// A required string argument.
    pub fn req_str(&mut self, i: usize, what: &str, diags: &mut Diagnostics) -> Option<Str> {
        self.allow_args(i + 1);
        match self.args.get(i) {
            Some(entry) => expect_str(entry, what, diags),
            None => {
                diags.push(
                    Diagnostic::new(Code::MissingValue, format!("`{}` needs {what}", self.name))
                        .label(self.span(), format!("{what} missing"))
                        .help(format!("write it after the node name: `{} ...`", self.name)),
                );
                None
            }
        }
    }

    /// A required name argument (the first one), checked against `valid`.
    pub fn req_ident(&mut self, what: &str, diags: &mut Diagnostics) -> Option<Ident> {
        let s = self.req_str(0, what, diags)?;
        Some(Ident {
            name: s.value,
            span: s.span,
        })
    }

    /// All string arguments from `from` on.
    pub fn rest_strs(&mut self, from: usize, what: &str, diags: &mut Diagnostics) -> Vec<Str> {
        self.max_args = usize::MAX;
        self.args
            .iter()
            .skip(from)
            .filter_map(|e| expect_str(e, what, diags))
            .collect()
    }

    /// The entry of property `key`, when the reference lists it for this
    /// node (a property it does not list stays unknown: E0102).
    fn take_prop(&mut self, key: &'static str) -> Option<&'a KdlEntry> {
        if !self.known_props.iter().any(|p| p.name == key) {
            return None;
        }
        self.used_props.push(key);
        self.props.iter().find(|(k, _)| *k == key).map(|(_, e)| *e)
    }

    pub fn has_prop(&self, key: &str) -> bool {
        self.props.iter().any(|(k, _)| *k == key)
    }

    pub fn prop_span(&self, key: &str) -> Option<Span> {
        self.props
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, e)| Span::from(e.span()))
    }

    pub fn str_prop(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Str> {
        let entry = self.take_prop(key)?;
        expect_str(entry, &format!("`{key}`"), diags)
    }

    /// A name-valued property (`from=build`, `toolchain=go`).
    pub fn ident_prop(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Ident> {
        self.str_prop(key, diags).map(|s| Ident {
            name: s.value,
            span: s.span,
        })
    }

    pub fn bool_prop(&mut self, key: &'static str, diags: &mut Diagnostics) -> bool {
        let Some(entry) = self.take_prop(key) else {
            return false;
        };
        match entry.value() {
            KdlValue::Bool(b) => *b,
            other => {
                diags.push(wrong_type(
                    entry,
                    &format!("`{key}`"),
                    "a boolean (`#true` or `#false`)",
                    other,
                ));
                false
            }
        }
    }

    pub fn int_prop(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<(i128, Span)> {
        let entry = self.take_prop(key)?;
        match entry.value() {
            KdlValue::Integer(n) => Some((*n, value_span(entry))),
            other => {
                diags.push(wrong_type(entry, &format!("`{key}`"), "an integer", other));
                None
            }
        }
    }

    /// Reports unread arguments and unknown properties.
    pub fn finish(self, diags: &mut Diagnostics) {
        for entry in self.args.iter().skip(self.max_args) {
            let takes = match self.max_args {
                0 => "no arguments".to_string(),
                1 => "one argument".to_string(),
                n => format!("{n} arguments"),
            };
            diags.push(
                Diagnostic::new(
                    Code::UnexpectedArgument,
                    format!("`{}` takes {takes}", self.name),
                )
                .label(Span::from(entry.span()), "unexpected argument")
                .help(extra_arg_help(self.name)),
            );
        }
        for (key, entry) in &self.props {
            if self.used_props.contains(key) {
                continue;
            }
            let known: Vec<&str> = super::docs::prop_names(self.known_props);
            let d = Diagnostic::new(
                Code::UnknownProperty,
                format!("`{}` has no property `{key}`", self.name),
            )
            .label(key_span(entry), "unknown property");
            let d = if known.is_empty() {
                d.help(format!("`{}` takes no properties", self.name))
            } else {
                d.suggest_or(
                    key,
                    known.iter().copied(),
                    format!("`{}` takes: {}", self.name, known.join(", ")),
                )
            };
            diags.push(d);
        }
    }
}

fn extra_arg_help(node: &str) -> &'static str {
    match node {
        "run" => {
            "a `run` takes one script; join commands with `&&` or use a multi-line string (\"\"\"), or add `exec=#true` to run the arguments without a shell"
        }
        "workdir" | "user" | "stopsignal" => "give one value",
        _ => "remove the extra arguments",
    }
}

/// The span of an entry's value (the entry span ends with the value).
pub(crate) fn value_span(entry: &KdlEntry) -> Span {
    let span = Span::from(entry.span());
    match entry.format() {
        Some(f) if f.value_repr.len() <= span.len() => {
            Span::new(span.end - f.value_repr.len(), span.end)
        }
        _ => span,
    }
}

/// The span of a property's key.
pub(crate) fn key_span(entry: &KdlEntry) -> Span {
    entry
        .name()
        .map(|k| Span::from(k.span()))
        .unwrap_or_else(|| Span::from(entry.span()))
}

/// A string entry as a [`Str`], or a wrong-type diagnostic.
pub(crate) fn expect_str(entry: &KdlEntry, what: &str, diags: &mut Diagnostics) -> Option<Str> {
    match entry.value() {
        KdlValue::String(s) if s.contains('\0') => {
            diags.push(nul_character(value_span(entry), what));
            None
        }
        KdlValue::String(s) => Some(to_str(entry, s)),
        other => {
            diags.push(wrong_type(entry, what, "a string", other));
            None
        }
    }
}

/// No command, path or environment can hold a NUL character: the kernel
/// reads each as a C string and would cut it there.
pub(crate) fn nul_character(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnrepresentableValue,
        format!("{what} cannot contain a NUL character (`\\u{{0}}`)"),
    )
    .label(span, "NUL character in here")
    .help("commands, paths and environment values end at a NUL; remove it")
}

pub(crate) fn to_str(entry: &KdlEntry, value: &str) -> Str {
    let span = value_span(entry);
    let repr = entry.format().map(|f| f.value_repr.as_str()).unwrap_or("");
    Str {
        value: value.to_string(),
        span,
        content_start: verbatim_offset(repr, value).map(|o| span.start + o),
    }
}

/// Where `value` starts inside `repr` when `repr` spells it verbatim: a
/// quoted string without escapes, a raw string, or a bare identifier.
fn verbatim_offset(repr: &str, value: &str) -> Option<usize> {
    let hashes = repr.len() - repr.trim_start_matches('#').len();
    let body = &repr[hashes..];
    if body.starts_with("\"\"\"") {
        return None; // multi-line strings strip indentation
    }
    if let Some(inner) = body.strip_prefix('"') {
        let inner = inner.strip_suffix(&"#".repeat(hashes))?.strip_suffix('"')?;
        return (inner == value).then_some(hashes + 1);
    }
    (repr == value).then_some(0)
}

pub(crate) fn type_name(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

pub(crate) fn wrong_type(
    entry: &KdlEntry,
    what: &str,
    expected: &str,
    found: &KdlValue,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::WrongType,
        format!("{what} must be {expected}, not {}", type_name(found)),
    )
    .label(value_span(entry), format!("{} here", type_name(found)));
    if expected == "a string" && !matches!(found, KdlValue::String(_)) {
        d = d.help(format!("quote it: \"{}\"", display_value(found)));
    }
    d
}

fn display_value(v: &KdlValue) -> String {
    match v {
        KdlValue::String(s) => s.clone(),
        KdlValue::Integer(n) => n.to_string(),
        KdlValue::Float(f) => f.to_string(),
        KdlValue::Bool(b) => b.to_string(),
        KdlValue::Null => "null".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::verbatim_offset;

    #[test]
    fn verbatim_offsets() {
        assert_eq!(verbatim_offset("\"abc\"", "abc"), Some(1));
        assert_eq!(verbatim_offset("#\"a\\b\"#", "a\\b"), Some(2));
        assert_eq!(verbatim_offset("abc", "abc"), Some(0));
        assert_eq!(verbatim_offset("\"a\\\"b\"", "a\"b"), None);
        assert_eq!(verbatim_offset("\"\"\"\n  x\n  \"\"\"", "x"), None);
    }
}
