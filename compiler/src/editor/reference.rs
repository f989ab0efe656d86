//! The one-line reference of each node and property, for hover and
//! completion, read from `syntax`: the walker's node table points each node
//! at its entry in `syntax/docs.rs`, so the names and places here are the
//! parser's own.

/// Where a node may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// At the top of the spec.
    TopLevel,
    /// Inside `stage` or `image`.
    Step,
    /// Inside `run { ... }`.
    Mount,
    /// Inside `toolchain { ... }`.
    Toolchain,
    /// Inside `context { ... }`.
    Context,
    /// Inside `policy { ... }`.
    Policy,
    /// Inside `publish { ... }`.
    Publish,
    /// Inside `healthcheck { ... }`? No: `healthcheck` takes properties.
    Unknown,
}

pub use crate::syntax::docs::PropDoc;
use crate::syntax::docs::{
    self, CONTEXT_CHILDREN, Children, POLICY_CHILDREN, PUBLISH_CHILDREN, TOOLCHAIN_CHILDREN,
};
use std::fmt::Write as _;

/// A node's reference: its name, where it is written, how and what it does.
#[derive(Debug, Clone, Copy)]
pub struct NodeDoc {
    /// The node's name.
    pub name: &'static str,
    /// Where it may be written.
    pub place: Place,
    /// How it is written.
    pub usage: &'static str,
    /// One line: what it does.
    pub summary: &'static str,
    /// Its properties.
    pub props: &'static [PropDoc],
    /// The whole entry: arguments, children, example.
    pub doc: &'static docs::NodeDoc,
}

impl NodeDoc {
    fn new(name: &'static str, place: Place, doc: &'static docs::NodeDoc) -> NodeDoc {
        NodeDoc {
            name,
            place,
            usage: doc.usage,
            summary: doc.summary,
            props: doc.props,
            doc,
        }
    }

    /// Where the node is written, in words.
    fn written(&self) -> &'static str {
        match self.place {
            Place::TopLevel => "at the top level",
            Place::Step => "inside `stage` or `image`, as a step",
            Place::Mount => "inside `run { ... }`, as a mount",
            Place::Toolchain => "inside `toolchain { ... }`",
            Place::Context => "inside `context { ... }`",
            Place::Policy => "inside `policy { ... }`",
            Place::Publish => "inside `publish { ... }`",
            Place::Unknown => "anywhere",
        }
    }

    /// The node's reference as text (`msbc explain NODE`).
    pub fn text(&self) -> String {
        let doc = self.doc;
        let mut out = format!(
            "{}: {}

    {}

",
            self.name, doc.summary, doc.usage
        );
        let _ = writeln!(out, "Written {}.", self.written());
        let args = if doc.args.is_empty() {
            "none"
        } else {
            doc.args
        };
        let _ = writeln!(out, "Arguments: {args}.");
        if doc.props.is_empty() {
            out.push_str("Properties: none.\n");
        } else {
            out.push_str("Properties:\n");
            let width = doc.props.iter().map(|p| p.name.len()).max().unwrap_or(0) + 1;
            for p in doc.props {
                let mut what = match (p.ty, p.values) {
                    (_, []) => p.ty.to_string(),
                    ("boolean", values) => values.join(" or "),
                    (ty, values) => format!("{ty}: {}", values.join(", ")),
                };
                if p.required {
                    what.push_str(", required");
                }
                let _ = writeln!(
                    out,
                    "  {:<width$} ({what}) {}",
                    format!("{}=", p.name),
                    p.summary
                );
            }
        }
        let children = match doc.children {
            Children::None => "none (it takes no block)".to_string(),
            Children::Steps => format!(
                "the steps, in order: {} (`msbc explain STEP`)",
                names_at(Place::Step).join(", ")
            ),
            Children::Mounts => format!(
                "mounts for this run: {} (`msbc explain MOUNT`)",
                names_at(Place::Mount).join(", ")
            ),
            Children::Nodes(table) => {
                let list: Vec<String> = table
                    .iter()
                    .map(|(_, d)| format!("`{}`", d.usage))
                    .collect();
                list.join(", ")
            }
            Children::Params => {
                "the preset's parameters, `name value` (`msbc presets PRESET` lists them)"
                    .to_string()
            }
        };
        let _ = writeln!(out, "Children: {children}.");
        out.push_str("\nExample:\n\n");
        for line in doc.example.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
        out
    }
}

/// The names of the nodes written at `place`, in table order.
fn names_at(place: Place) -> Vec<&'static str> {
    nodes_at(place).map(|n| n.name).collect()
}

/// Every node name of the language, once, in table order.
pub fn names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for n in all() {
        if !out.contains(&n.name) {
            out.push(n.name);
        }
    }
    out
}

/// Every entry of node `name`, one per place it is written.
pub fn nodes_named(name: &str) -> impl Iterator<Item = NodeDoc> + '_ {
    all().filter(move |n| n.name == name)
}

/// The reference of node `name` (`msbc explain NODE`): every place it is
/// written (`env` is a step and a child of `toolchain`), one after another.
pub fn explain(name: &str) -> Option<String> {
    let texts: Vec<String> = nodes_named(name).map(|n| n.text()).collect();
    (!texts.is_empty()).then(|| texts.join("\n---\n\n"))
}

/// Every node: the walker's table (top level, steps, mounts), then the
/// children `toolchain`, `context` and `policy` read.
fn all() -> impl Iterator<Item = NodeDoc> {
    let table = crate::syntax::documented().map(|(name, place, doc)| {
        let place = match place {
            crate::syntax::Place::TopLevel => Place::TopLevel,
            crate::syntax::Place::Step => Place::Step,
            crate::syntax::Place::Mount => Place::Mount,
        };
        NodeDoc::new(name, place, doc)
    });
    let children = |table: &'static [(&'static str, docs::NodeDoc)], place: Place| {
        table.iter().map(move |(n, d)| NodeDoc::new(n, place, d))
    };
    table
        .chain(children(TOOLCHAIN_CHILDREN, Place::Toolchain))
        .chain(children(CONTEXT_CHILDREN, Place::Context))
        .chain(children(POLICY_CHILDREN, Place::Policy))
        .chain(children(PUBLISH_CHILDREN, Place::Publish))
}

/// The nodes that may be written at `place`.
pub fn nodes_at(place: Place) -> impl Iterator<Item = NodeDoc> {
    all().filter(move |n| n.place == place)
}

/// The reference of node `name` at `place` (or anywhere, for `Unknown`).
pub fn node(name: &str, place: Place) -> Option<NodeDoc> {
    all()
        .find(|n| n.name == name && (n.place == place || place == Place::Unknown))
        .or_else(|| all().find(|n| n.name == name))
}

/// What a child of node `parent` is.
pub fn place_inside(parent: &str) -> Place {
    match parent {
        "stage" | "image" => Place::Step,
        "run" => Place::Mount,
        "toolchain" => Place::Toolchain,
        "context" => Place::Context,
        "policy" => Place::Policy,
        "publish" => Place::Publish,
        _ => Place::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property the reference lists is one the walker reads: written
    /// on its node in the node's example, it is never unknown (E0102). (A
    /// property it does not list is unknown by construction: the reader
    /// takes the list from the reference.)
    #[test]
    fn the_walker_reads_every_documented_property() {
        for n in all() {
            for p in n.props {
                let value = match p.ty {
                    "boolean" => "#true".to_string(),
                    "integer" => "3".to_string(),
                    "duration" => "\"30s\"".to_string(),
                    _ => p.values.first().copied().unwrap_or("\"x\"").to_string(),
                };
                let mut done = false;
                let spec: String = n
                    .doc
                    .example
                    .lines()
                    .map(|l| {
                        let t = l.trim_start();
                        if !done && (t == n.name || t.starts_with(&format!("{} ", n.name))) {
                            done = true;
                            match l.strip_suffix(" {") {
                                Some(head) => format!("{head} {}={value} {{\n", p.name),
                                None => format!("{l} {}={value}\n", p.name),
                            }
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect();
                assert!(done, "{}: the example does not use it", n.name);
                let checked = crate::compile::check(spec.as_bytes());
                assert!(
                    !checked
                        .diagnostics
                        .iter()
                        .any(|d| d.code == crate::diag::Code::UnknownProperty),
                    "{} {}=: {:?}\n{spec}",
                    n.name,
                    p.name,
                    checked.diagnostics
                );
            }
        }
    }

    #[test]
    fn a_property_the_reference_does_not_list_is_unknown() {
        let spec = "msbc 1\nimage a from=\"alpine:3.20\" {\n    run \"true\" netwrok=\"none\"\n    user \"1\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        let d = checked
            .diagnostics
            .iter()
            .find(|d| d.code == crate::diag::Code::UnknownProperty)
            .map(|d| (d.message.clone(), d.help.clone()));
        assert_eq!(
            d,
            Some((
                "`run` has no property `netwrok`".to_string(),
                Some("did you mean `network`?".to_string())
            ))
        );
    }

    /// The table names exactly the nodes the parser knows.
    #[test]
    fn in_step_with_the_parser() {
        let top: Vec<&str> = nodes_at(Place::TopLevel).map(|n| n.name).collect();
        for name in &crate::syntax::node_names(crate::syntax::Place::TopLevel) {
            assert!(top.contains(name), "no reference for top-level `{name}`");
        }
        let steps: Vec<&str> = nodes_at(Place::Step).map(|n| n.name).collect();
        assert_eq!(steps, crate::syntax::node_names(crate::syntax::Place::Step));
        // Each name the reference adds must parse where it says.
        let known = |src: String, name: &str| {
            let mut diags = crate::diag::Diagnostics::new();
            let _ = crate::syntax::parse(&src, &mut diags);
            assert!(
                !diags
                    .iter()
                    .any(|d| d.code == crate::diag::Code::UnknownNode),
                "{name}: {diags:?}"
            );
        };
        for n in nodes_at(Place::TopLevel) {
            known(format!("msbc 1\n{} x\n", n.name), n.name);
        }
        for n in nodes_at(Place::Mount) {
            let src = format!(
                "msbc 1\nimage a from=\"x\" {{ run \"y\" {{ {} \"/z\"; }} }}\n",
                n.name
            );
            known(src, n.name);
        }
    }
}
