//! The one-line reference of each node and property, for hover and
//! completion, read from `syntax`: the walker's node table points each node
//! at its entry in `syntax/docs.rs`, so the names and places here are the
//! parser's own.

/// Where a node may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
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
    /// Inside `healthcheck { ... }`? No: `healthcheck` takes properties.
    Unknown,
}

pub use crate::syntax::docs::PropDoc;
use crate::syntax::docs::{self, CONTEXT_CHILDREN, POLICY_CHILDREN, TOOLCHAIN_CHILDREN};

/// A node's reference: its name, where it is written, how and what it does.
#[derive(Debug, Clone, Copy)]
pub struct NodeDoc {
    pub name: &'static str,
    pub place: Place,
    /// How it is written.
    pub usage: &'static str,
    pub summary: &'static str,
    pub props: &'static [PropDoc],
}

impl NodeDoc {
    fn new(name: &'static str, place: Place, doc: &'static docs::NodeDoc) -> NodeDoc {
        NodeDoc {
            name,
            place,
            usage: doc.usage,
            summary: doc.summary,
            props: doc.props,
        }
    }
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
        _ => Place::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for n in nodes_at(Place::TopLevel) {
            let src = format!("msbc 1\n{} x\n", n.name);
            let mut diags = crate::diag::Diagnostics::new();
            let _ = crate::syntax::parse(&src, &mut diags);
            assert!(
                !diags
                    .iter()
                    .any(|d| d.code == crate::diag::Code::UnknownNode),
                "{}: {diags:?}",
                n.name
            );
        }
        for n in nodes_at(Place::Mount) {
            let src = format!(
                "msbc 1\nimage a from=\"x\" {{ run \"y\" {{ {} \"/z\"; }} }}\n",
                n.name
            );
            let mut diags = crate::diag::Diagnostics::new();
            let _ = crate::syntax::parse(&src, &mut diags);
            assert!(
                !diags
                    .iter()
                    .any(|d| d.code == crate::diag::Code::UnknownNode),
                "{}: {diags:?}",
                n.name
            );
        }
    }
}
