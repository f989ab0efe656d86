//! `msbc graph`: the build as a picture. Stages, images and artifacts are
//! nodes, base images are sources, and `from=`, `copy from=`,
//! `copy artifact=` and `bind from=` are labelled edges. Rendered as a
//! Mermaid flowchart (GitHub renders it) or Graphviz DOT.

use crate::syntax::ast::{Document, Interp, Read, StageKind};

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A base image (or `scratch`): where the build starts.
    Base,
    Stage,
    Image,
    Artifact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// A stable identifier (`s0`, `b1`, `a0`): safe in both formats.
    pub id: String,
    pub kind: NodeKind,
    /// The stage, image or artifact name, or the image reference.
    pub name: String,
    pub target_only: bool,
    /// The image (or `--target`) the build is for.
    pub selected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: String,
}

/// The build's graph: nodes in declaration order (bases as first seen).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

impl Graph {
    /// The graph of an expanded document. `selected` names the image or
    /// target the build is for; `None` marks the last image (the build's
    /// final stage by default).
    pub fn of(doc: &Document, selected: Option<&str>) -> Graph {
        let mut g = Graph::default();
        // Stages and images first (an `extend=#true` block joins its stage).
        let mut stage_node = std::collections::HashMap::new();
        for s in &doc.stages {
            if stage_node.contains_key(s.name.name.as_str()) {
                continue;
            }
            let kind = match s.kind {
                StageKind::Stage => NodeKind::Stage,
                StageKind::Image => NodeKind::Image,
            };
            let id = format!("s{}", stage_node.len());
            stage_node.insert(s.name.name.as_str(), g.nodes.len());
            g.nodes.push(Node {
                id,
                kind,
                name: s.name.name.clone(),
                target_only: s.target_only,
                selected: false,
            });
        }
        let chosen = match selected {
            Some(name) => stage_node.get(name).copied(),
            None => g.nodes.iter().rposition(|n| n.kind == NodeKind::Image),
        };
        if let Some(i) = chosen {
            g.nodes[i].selected = true;
        }
        let mut artifact_node = std::collections::HashMap::new();
        for a in &doc.artifacts {
            if artifact_node.contains_key(a.name.name.as_str()) {
                continue;
            }
            artifact_node.insert(a.name.name.as_str(), g.nodes.len());
            g.nodes.push(Node {
                id: format!("a{}", artifact_node.len() - 1),
                kind: NodeKind::Artifact,
                name: a.name.name.clone(),
                target_only: false,
                selected: false,
            });
        }
        let toolchains: std::collections::HashMap<&str, &Interp> = doc
            .toolchains
            .iter()
            .map(|t| (t.name.name.as_str(), &t.image))
            .collect();
        // A `from=` names a stage when one has that name, else an image.
        let source = |g: &mut Graph, value: &Interp| -> usize {
            if let Some(&i) = stage_node.get(value.raw.value.as_str()) {
                return i;
            }
            g.base(&value.raw.value)
        };
        for s in &doc.stages {
            let Some(&to) = stage_node.get(s.name.name.as_str()) else {
                continue;
            };
            if let Some(from) = &s.from {
                let from = source(&mut g, from);
                g.edge(from, to, "from=");
            } else if let Some(tc) = &s.toolchain {
                if let Some(image) = toolchains.get(tc.name.as_str()) {
                    let from = g.base(&image.raw.value);
                    g.edge(from, to, &format!("toolchain={}", tc.name));
                }
            }
            for step in &s.steps {
                for read in step.kind.reads() {
                    match read {
                        Read::CopyFrom(from) => {
                            let from = source(&mut g, from);
                            g.edge(from, to, "copy from=");
                        }
                        Read::Artifact(name) => {
                            if let Some(&from) = artifact_node.get(name.name.as_str()) {
                                g.edge(from, to, "copy artifact=");
                            }
                        }
                        Read::BindFrom(from) => {
                            let from = source(&mut g, from);
                            g.edge(from, to, "bind from=");
                        }
                    }
                }
            }
        }
        for a in &doc.artifacts {
            if let (Some(&from), Some(&to)) = (
                stage_node.get(a.from.name.as_str()),
                artifact_node.get(a.name.name.as_str()),
            ) {
                g.edge(from, to, &format!("artifact path={}", a.path.raw.value));
            }
        }
        g
    }

    fn base(&mut self, reference: &str) -> usize {
        if let Some(i) = self
            .nodes
            .iter()
            .position(|n| n.kind == NodeKind::Base && n.name == reference)
        {
            return i;
        }
        let n = self
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Base)
            .count();
        self.nodes.push(Node {
            id: format!("b{n}"),
            kind: NodeKind::Base,
            name: reference.to_string(),
            target_only: false,
            selected: false,
        });
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, label: &str) {
        let edge = Edge {
            from,
            to,
            label: label.to_string(),
        };
        if !self.edges.contains(&edge) {
            self.edges.push(edge);
        }
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
        }
    }

    /// The text shown in a node.
    fn caption(n: &Node) -> String {
        let mut s = match n.kind {
            NodeKind::Base => n.name.clone(),
            NodeKind::Stage => format!("stage {}", n.name),
            NodeKind::Image => format!("image {}", n.name),
            NodeKind::Artifact => format!("artifact {}", n.name),
        };
        if n.target_only {
            s.push_str(" (target-only)");
        }
        if n.selected {
            s.push_str(" (selected)");
        }
        s
    }

    /// A Mermaid flowchart (`flowchart LR`).
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let text = mermaid_text(&Self::caption(n));
            let shape = match n.kind {
                NodeKind::Base => format!("[(\"{text}\")]"),
                NodeKind::Stage => format!("[\"{text}\"]"),
                NodeKind::Image => format!("[[\"{text}\"]]"),
                NodeKind::Artifact => format!("{{{{\"{text}\"}}}}"),
            };
            out.push_str(&format!("    {}{shape}", n.id));
            if n.selected {
                out.push_str(":::selected");
            } else if n.target_only {
                out.push_str(":::targetOnly");
            }
            out.push('\n');
        }
        for e in &self.edges {
            let (from, to) = (&self.nodes[e.from].id, &self.nodes[e.to].id);
            out.push_str(&format!(
                "    {from} -->|\"{}\"| {to}\n",
                mermaid_text(&e.label)
            ));
        }
        out.push_str("    classDef selected stroke-width:3px\n");
        out.push_str("    classDef targetOnly stroke-dasharray:5 5\n");
        out
    }

    /// Graphviz DOT (`dot -Tsvg`).
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph build {\n    rankdir=LR;\n");
        for n in &self.nodes {
            let shape = match n.kind {
                NodeKind::Base => "cylinder",
                NodeKind::Stage => "box",
                NodeKind::Image => "box3d",
                NodeKind::Artifact => "hexagon",
            };
            let mut attrs = format!("label=\"{}\", shape={shape}", dot_text(&Self::caption(n)));
            if n.target_only {
                attrs.push_str(", style=dashed");
            }
            if n.selected {
                attrs.push_str(", penwidth=3");
            }
            out.push_str(&format!("    {} [{attrs}];\n", n.id));
        }
        for e in &self.edges {
            out.push_str(&format!(
                "    {} -> {} [label=\"{}\"];\n",
                self.nodes[e.from].id,
                self.nodes[e.to].id,
                dot_text(&e.label)
            ));
        }
        out.push_str("}\n");
        out
    }
}

/// Text inside a Mermaid `"..."` label: entity codes for what Mermaid
/// would read as syntax or HTML.
fn mermaid_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '&' => out.push_str("#amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a DOT `"..."` string.
fn dot_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(src: &str, selected: Option<&str>) -> Graph {
        let mut diags = crate::diag::Diagnostics::new();
        let doc = crate::syntax::parse(src, &mut diags).expect("parses");
        Graph::of(&doc, selected)
    }

    const SPEC: &str = r#"msbc 1
toolchain go image="golang:1.23"
stage deps toolchain=go { run "go mod download" }
stage build from=deps { run "go build" }
stage test from=build target-only=#true { run "go test" }
artifact bin from=build path="/out/app"
image app from="gcr.io/distroless/static" {
    copy artifact=bin to="/app"
    copy "/etc/x" from="alpine:3" to="/etc/x"
    run "true" { bind "/m" from=build; }
}
"#;

    #[test]
    fn nodes_and_labelled_edges() {
        let g = graph(SPEC, None);
        let names: Vec<(NodeKind, &str)> =
            g.nodes.iter().map(|n| (n.kind, n.name.as_str())).collect();
        assert_eq!(
            names,
            vec![
                (NodeKind::Stage, "deps"),
                (NodeKind::Stage, "build"),
                (NodeKind::Stage, "test"),
                (NodeKind::Image, "app"),
                (NodeKind::Artifact, "bin"),
                (NodeKind::Base, "golang:1.23"),
                (NodeKind::Base, "gcr.io/distroless/static"),
                (NodeKind::Base, "alpine:3"),
            ]
        );
        let edges: Vec<(&str, &str, &str)> = g
            .edges
            .iter()
            .map(|e| {
                (
                    g.nodes[e.from].name.as_str(),
                    g.nodes[e.to].name.as_str(),
                    e.label.as_str(),
                )
            })
            .collect();
        assert!(
            edges.contains(&("golang:1.23", "deps", "toolchain=go")),
            "{edges:?}"
        );
        assert!(edges.contains(&("deps", "build", "from=")));
        assert!(edges.contains(&("bin", "app", "copy artifact=")));
        assert!(edges.contains(&("alpine:3", "app", "copy from=")));
        assert!(edges.contains(&("build", "app", "bind from=")));
        assert!(edges.contains(&("build", "bin", "artifact path=/out/app")));
        assert!(g.nodes[2].target_only);
        assert!(g.nodes[3].selected);
        let g = graph(SPEC, Some("test"));
        assert!(g.nodes[2].selected && !g.nodes[3].selected);
    }

    #[test]
    fn labels_are_escaped() {
        let mut g = Graph::default();
        g.base("a\"b#c<d>`\\");
        let m = g.mermaid();
        assert!(m.contains(r#"b0[("a#quot;b#35;c#lt;d#gt;#96;\")]"#), "{m}");
        let d = g.dot();
        assert!(d.contains(r#"label="a\"b#c<d>`\\""#), "{d}");
    }
}
