//! Walks a parsed KDL document into the spanned AST, by hand, node by node.
//! [`NODES`] is the one table of the language's nodes (name, where allowed,
//! walker); the walkers are split by what they read: `top.rs` (the document's
//! own nodes), `stage.rs` (stages, toolchains, artifacts), `steps.rs`
//! (filesystem steps), `mounts.rs` (`run` mounts), `config.rs` (image config
//! steps). The shared checks are here.

mod config;
mod mounts;
mod publish;
mod stage;
mod steps;
mod top;

use config::*;
use mounts::*;
use publish::*;
use stage::*;
use steps::*;
use top::*;

use super::ast::*;
use super::docs::{self, NodeDoc, child_names};
use super::reader::{self, NodeReader, to_str, value_span, wrong_type};
use super::{duration, image_ref, interp, perms, platform, port};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use kdl::{KdlDocument, KdlNode, KdlValue};

/// How a node is read, by where it may be written: at the top level (into
/// the document), as a step of a stage or image, or as a mount of a `run`.
#[derive(Clone, Copy)]
pub(crate) enum Walker {
    TopLevel(fn(&KdlNode, &mut Document, &mut Diagnostics)),
    Step(fn(&KdlNode, &mut Diagnostics) -> Option<StepKind>),
    Mount(fn(&KdlNode, &mut Diagnostics) -> Option<Mount>),
}

/// Where a node may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    TopLevel,
    Step,
    Mount,
}

impl Walker {
    fn place(self) -> Place {
        match self {
            Walker::TopLevel(_) => Place::TopLevel,
            Walker::Step(_) => Place::Step,
            Walker::Mount(_) => Place::Mount,
        }
    }
}

/// Every node of the language: its name, where it may be written and how it
/// is read. The known-node lists, the suggestions and the misplaced-node
/// errors all come from here (adding a node is one line).
const NODES: &[(&str, Walker, &NodeDoc)] = &[
    ("msbc", Walker::TopLevel(walk_version), &docs::MSBC),
    (
        "arg",
        Walker::TopLevel(|n, out, d| out.args.extend(walk_arg(n, d))),
        &docs::ARG,
    ),
    ("context", Walker::TopLevel(walk_context), &docs::CONTEXT),
    (
        "toolchain",
        Walker::TopLevel(|n, out, d| out.toolchains.extend(walk_toolchain(n, d))),
        &docs::TOOLCHAIN,
    ),
    (
        "stage",
        Walker::TopLevel(|n, out, d| out.stages.extend(walk_stage(n, StageKind::Stage, d))),
        &docs::STAGE,
    ),
    (
        "artifact",
        Walker::TopLevel(|n, out, d| out.artifacts.extend(walk_artifact(n, d))),
        &docs::ARTIFACT,
    ),
    (
        "image",
        Walker::TopLevel(|n, out, d| out.stages.extend(walk_stage(n, StageKind::Image, d))),
        &docs::IMAGE,
    ),
    (
        "use",
        Walker::TopLevel(|n, out, d| {
            let index = out.stages.len();
            out.uses.extend(walk_use(n, index, d));
        }),
        &docs::USE,
    ),
    (
        "dockerfile",
        Walker::TopLevel(walk_dockerfile),
        &docs::DOCKERFILE,
    ),
    (
        "policy",
        Walker::TopLevel(|n, out, d| out.policies.push(walk_policy(n, d))),
        &docs::POLICY,
    ),
    ("publish", Walker::TopLevel(walk_publish), &docs::PUBLISH),
    (
        "templates",
        Walker::TopLevel(walk_templates),
        &docs::TEMPLATES,
    ),
    (
        "workdir",
        Walker::Step(|n, d| one_interp(n, "a directory", d).map(StepKind::Workdir)),
        &docs::WORKDIR,
    ),
    (
        "copy",
        Walker::Step(|n, d| walk_copy(n, d).map(StepKind::Copy)),
        &docs::COPY,
    ),
    (
        "run",
        Walker::Step(|n, d| walk_run(n, d).map(StepKind::Run)),
        &docs::RUN,
    ),
    (
        "env",
        Walker::Step(|n, d| {
            Some(StepKind::Config(ConfigStep::Env {
                vars: walk_env_pairs(n, d),
            }))
        }),
        &docs::ENV,
    ),
    (
        "label",
        Walker::Step(|n, d| {
            Some(StepKind::Config(ConfigStep::Label {
                labels: walk_labels(n, d),
            }))
        }),
        &docs::LABEL,
    ),
    (
        "user",
        Walker::Step(|n, d| {
            one_interp(n, "a user", d).map(|v| StepKind::Config(ConfigStep::User { user: v }))
        }),
        &docs::USER,
    ),
    (
        "expose",
        Walker::Step(|n, d| {
            Some(StepKind::Config(ConfigStep::Expose {
                ports: walk_expose(n, d),
            }))
        }),
        &docs::EXPOSE,
    ),
    (
        "entrypoint",
        Walker::Step(|n, d| {
            exec_form(n, d).map(|v| StepKind::Config(ConfigStep::Entrypoint { args: v }))
        }),
        &docs::ENTRYPOINT,
    ),
    (
        "cmd",
        Walker::Step(|n, d| exec_form(n, d).map(|v| StepKind::Config(ConfigStep::Cmd { args: v }))),
        &docs::CMD,
    ),
    (
        "healthcheck",
        Walker::Step(|n, d| {
            walk_healthcheck(n, d).map(|v| StepKind::Config(ConfigStep::Healthcheck { check: v }))
        }),
        &docs::HEALTHCHECK,
    ),
    ("volume", Walker::Step(walk_volume), &docs::VOLUME),
    (
        "stopsignal",
        Walker::Step(walk_stopsignal),
        &docs::STOPSIGNAL,
    ),
    (
        "shell",
        Walker::Step(|n, d| {
            exec_form(n, d).map(|v| StepKind::Config(ConfigStep::Shell { args: v }))
        }),
        &docs::SHELL,
    ),
    (
        "cache",
        Walker::Mount(|n, d| walk_cache(n, d).map(Mount::Cache)),
        &docs::CACHE,
    ),
    (
        "secret",
        Walker::Mount(|n, d| walk_secret(n, d).map(Mount::Secret)),
        &docs::SECRET,
    ),
    (
        "ssh",
        Walker::Mount(|n, d| walk_ssh(n, d).map(Mount::Ssh)),
        &docs::SSH,
    ),
    (
        "tmpfs",
        Walker::Mount(|n, d| walk_tmpfs(n, d).map(Mount::Tmpfs)),
        &docs::TMPFS,
    ),
    (
        "bind",
        Walker::Mount(|n, d| walk_bind(n, d).map(Mount::Bind)),
        &docs::BIND,
    ),
];

/// The names of the nodes allowed at `place`, in table order.
pub fn node_names(place: Place) -> Vec<&'static str> {
    NODES
        .iter()
        .filter(|(_, w, _)| w.place() == place)
        .map(|(n, _, _)| *n)
        .collect()
}

/// How node `name` is read, and where it may be written.
fn walker(name: &str) -> Option<Walker> {
    NODES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, w, _)| *w)
}

/// Every node of the table with where it may be written and its reference
/// (the editor's hover and completion), in table order.
pub(crate) fn documented() -> impl Iterator<Item = (&'static str, Place, &'static NodeDoc)> {
    NODES.iter().map(|(n, w, d)| (*n, w.place(), *d))
}

/// The error for a known node written where it is not allowed (`at`), or
/// an unknown node with a suggestion from the nodes allowed there.
fn wrong_node(node: &KdlNode, at: Place) -> Diagnostic {
    let name = node.name().value();
    let span = Span::from(node.name().span());
    let (place, what) = match at {
        Place::TopLevel => ("at the top level", "a top-level node"),
        Place::Step => ("inside a stage or image", "a step"),
        Place::Mount => ("inside `run`", "a mount"),
    };
    match walker(name).map(Walker::place) {
        Some(Place::TopLevel) => Diagnostic::new(
            Code::MisplacedNode,
            format!("`{name}` cannot be used {place}"),
        )
        .label(span, format!("not {what}"))
        .help(format!(
            "`{name}` is a top-level node; move it out of this block"
        )),
        Some(Place::Mount) if at == Place::Step => Diagnostic::new(
            Code::MisplacedNode,
            format!("`{name}` is a mount; it belongs inside a `run` block"),
        )
        .label(span, "mount outside `run`")
        .help(format!("write `run \"...\" {{ {name} ... }}`")),
        _ => unknown_node(node, &node_names(at), place),
    }
}

/// The format versions this compiler reads.
pub const SUPPORTED_VERSIONS: &[i128] = &[1];

/// Walks a document. `template_output` is the text a template rendered:
/// it has no `msbc` version line of its own (the spec that uses it does).
pub(crate) fn walk(doc: &KdlDocument, template_output: bool, diags: &mut Diagnostics) -> Document {
    let mut out = Document::default();
    let nodes = doc.nodes();
    match nodes.first() {
        _ if template_output => {}
        None => {
            diags.push(
                Diagnostic::new(Code::NoImage, "the spec is empty")
                    .help("start with `msbc 1` and declare at least one `image`"),
            );
            return out;
        }
        Some(first) if first.name().value() != "msbc" => {
            let d = Diagnostic::new(
                Code::MissingVersion,
                "the spec does not start with `msbc 1`",
            );
            let d = match nodes.iter().find(|n| n.name().value() == "msbc") {
                Some(later) => d
                    .label(Span::from(later.span()), "the version is declared here")
                    .label(Span::from(first.name().span()), "but this node comes first")
                    .help("move `msbc 1` to the top of the file"),
                None => d
                    .label(
                        Span::from(first.name().span()),
                        "expected `msbc 1` before this node",
                    )
                    .help("add `msbc 1` as the first line; it declares the format version"),
            };
            diags.push(d);
        }
        Some(_) => {}
    }
    for node in nodes {
        match walker(node.name().value()) {
            Some(Walker::TopLevel(walk)) => walk(node, &mut out, diags),
            Some(Walker::Step(_) | Walker::Mount(_)) | None => {
                diags.push(wrong_node(node, Place::TopLevel));
            }
        }
    }
    out
}

/// Checks `s` against `allowed`, with "did you mean".
fn one_of<'a>(
    s: &Str,
    allowed: &[&'a str],
    what: &str,
    diags: &mut Diagnostics,
) -> Option<&'a str> {
    match allowed.iter().find(|a| **a == s.value) {
        Some(a) => Some(a),
        None => {
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            diags.push(
                Diagnostic::new(Code::InvalidValue, format!("`{}` is not a {what}", s.value))
                    .label(s.span, format!("expected one of {list}"))
                    .suggest_or(
                        &s.value,
                        allowed.iter().copied(),
                        format!("use one of {list}"),
                    ),
            );
            None
        }
    }
}

fn missing(r: &NodeReader<'_>, message: &str, help: &str) -> Diagnostic {
    Diagnostic::new(Code::MissingValue, message)
        .label(r.name_span(), "here")
        .help(help)
}

fn children(node: &KdlNode) -> impl Iterator<Item = &KdlNode> {
    node.children().into_iter().flat_map(|d| d.nodes().iter())
}

fn no_children(node: &KdlNode, diags: &mut Diagnostics) {
    if let Some(block) = node.children() {
        let span = block.span();
        diags.push(
            Diagnostic::new(
                Code::MisplacedNode,
                format!("`{}` takes no block", node.name().value()),
            )
            .label(Span::from(span), "unexpected block")
            .help("remove the `{ ... }` block"),
        );
    }
}

fn unknown_node(node: &KdlNode, known: &[&str], place: &str) -> Diagnostic {
    let name = node.name().value();
    Diagnostic::new(Code::UnknownNode, format!("unknown node `{name}` {place}"))
        .label(Span::from(node.name().span()), "unknown node")
        .suggest_or(
            name,
            known.iter().copied(),
            format!("known here: {}", known.join(", ")),
        )
}

fn require_absolute(s: &Str, what: &str, diags: &mut Diagnostics) {
    if !s.value.starts_with('/') && !s.value.starts_with("${") {
        diags.push(
            Diagnostic::new(
                Code::RelativePath,
                format!("{what} must be an absolute path, not `{}`", s.value),
            )
            .label(s.span, "relative path")
            .help(format!("write `/{}`", s.value.trim_start_matches("./"))),
        );
    }
}

/// Dockerfile values (ENV, LABEL, WORKDIR, USER, paths) cannot hold a line
/// break, and nothing that reaches a process can hold a NUL.
fn reject_unrepresentable(s: &Str, what: &str, diags: &mut Diagnostics) {
    if let Some(pos) = s.value.find('\0') {
        diags.push(reader::nul_character(s.sub_span(pos, pos + 1), what));
    }
    if let Some(pos) = s.value.find(['\n', '\r']) {
        diags.push(
            Diagnostic::new(Code::UnrepresentableValue, format!("{what} cannot contain a line break"))
                .label(s.sub_span(pos, pos + 1), "line break")
                .help("Dockerfile instructions other than `run` scripts are one line; remove the line break"),
        );
    }
}

/// `--mount` options pass through BuildKit's flag reader, a CSV split and
/// variable expansion, each with its own quoting; msbc keeps them to ASCII
/// characters all three leave alone. (The flag reader mangles some UTF-8:
/// `source=텻` reaches BuildKit as invalid UTF-8.)
fn reject_mount_chars(s: &Str, diags: &mut Diagnostics) {
    if let Some(pos) = s
        .value
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '\\' | '$'))
    {
        diags.push(
            Diagnostic::new(Code::UnrepresentableValue, "mount options cannot contain whitespace, `,`, quotes, `\\` or `$`")
                .label(s.sub_span(pos, pos + 1), "not allowed in a mount option")
                .help("BuildKit reads mount options as comma-separated, variable-expanded fields; use a plain path or id"),
        );
    } else if let Some((pos, c)) = s.value.char_indices().find(|(_, c)| !c.is_ascii()) {
        diags.push(
            Diagnostic::new(Code::UnrepresentableValue, "mount options must be ASCII")
                .label(s.sub_span(pos, pos + c.len_utf8()), "not ASCII")
                .help("BuildKit's flag reader breaks some multi-byte characters apart (`텻` fails, `é` works); use an ASCII path or id"),
        );
    }
}

/// `text` made into a valid stage name: lowercase letters, digits, `-`,
/// `_` and `.`, starting with a letter (`app` when nothing is left).
pub fn to_stage_name(text: &str) -> String {
    let name: String = text
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    match name.trim_start_matches(|c: char| !c.is_ascii_lowercase()) {
        "" => "app".to_string(),
        n => n.to_string(),
    }
}

pub(crate) fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '=' | '"' | '\'' | '$' | '\\' | '\0'))
}

#[cfg(test)]
mod table_tests {
    use super::{Place, node_names};

    fn helps(spec: &str) -> Vec<(String, String, Option<String>)> {
        crate::compile::check(spec.as_bytes())
            .diagnostics
            .iter()
            .map(|d| (d.code.to_string(), d.message.clone(), d.help.clone()))
            .collect()
    }

    #[test]
    fn every_top_level_node_is_known() {
        let top = node_names(Place::TopLevel);
        for name in [
            "msbc",
            "arg",
            "stage",
            "image",
            "use",
            "policy",
            "templates",
            "dockerfile",
        ] {
            assert!(top.contains(&name), "{name}");
        }
        assert!(node_names(Place::Step).contains(&"run"));
        assert!(node_names(Place::Mount).contains(&"secret"));
    }

    #[test]
    fn a_misspelled_policy_gets_a_suggestion() {
        let d =
            helps("msbc 1\npolcy {\n}\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n}\n");
        assert!(
            d.iter()
                .any(|(_, _, h)| h.as_deref() == Some("did you mean `policy`?")),
            "{d:?}"
        );
    }

    #[test]
    fn templates_inside_a_stage_is_misplaced() {
        let d = helps(
            "msbc 1\nimage app from=\"alpine:3.20\" {\n    templates \"./t\"\n    user \"10001\"\n}\n",
        );
        assert!(
            d.iter().any(|(c, m, h)| c == "E0107"
                && m.contains("`templates` cannot be used inside a stage or image")
                && h.as_deref().is_some_and(|h| h.contains("top-level"))),
            "{d:?}"
        );
    }

    #[test]
    fn use_golang_suggests_go() {
        let d = helps("msbc 1\nuse golang\n");
        assert!(
            d.iter()
                .any(|(_, _, h)| h.as_deref().is_some_and(|h| h.contains("`go`"))),
            "{d:?}"
        );
    }
}
