//! Walks a parsed KDL document into the spanned AST, by hand, node by node.

use super::ast::*;
use super::reader::{self, NodeReader, to_str, value_span, wrong_type};
use super::{duration, image_ref, interp, perms, platform, port};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use kdl::{KdlDocument, KdlNode, KdlValue};

pub const TOP_LEVEL: &[&str] = &[
    "msbc",
    "arg",
    "context",
    "toolchain",
    "stage",
    "artifact",
    "image",
    "use",
    "dockerfile",
];
pub const STEPS: &[&str] = &[
    "workdir",
    "copy",
    "run",
    "env",
    "label",
    "user",
    "expose",
    "entrypoint",
    "cmd",
    "healthcheck",
    "volume",
    "stopsignal",
    "shell",
];
const MOUNTS: &[&str] = &["cache", "secret", "ssh", "tmpfs", "bind"];

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
        let name = node.name().value();
        match name {
            "msbc" => walk_version(node, &mut out, diags),
            "arg" => {
                if let Some(a) = walk_arg(node, diags) {
                    out.args.push(a)
                }
            }
            "context" => walk_context(node, &mut out, diags),
            "toolchain" => {
                if let Some(t) = walk_toolchain(node, diags) {
                    out.toolchains.push(t)
                }
            }
            "stage" => {
                if let Some(s) = walk_stage(node, StageKind::Stage, diags) {
                    out.stages.push(s)
                }
            }
            "image" => {
                if let Some(s) = walk_stage(node, StageKind::Image, diags) {
                    out.stages.push(s)
                }
            }
            "artifact" => {
                if let Some(a) = walk_artifact(node, diags) {
                    out.artifacts.push(a)
                }
            }
            "use" => {
                if let Some(u) = walk_use(node, out.stages.len(), diags) {
                    out.uses.push(u);
                }
            }
            "policy" => out.policies.push(walk_policy(node, diags)),
            "templates" => {
                let mut r = NodeReader::new(node, &[], diags);
                let dirs = r.rest_strs(0, "a template directory", diags);
                if r.arg_count() == 0 {
                    diags.push(missing(
                        &r,
                        "`templates` needs a directory",
                        "write `templates \"../platform/templates\"`",
                    ));
                }
                no_children(node, diags);
                r.finish(diags);
                out.template_dirs.extend(dirs);
            }
            "dockerfile" => {
                let mut r = NodeReader::new(node, &["syntax"], diags);
                out.dockerfile.syntax = r.str_prop("syntax", diags).filter(|s| {
                    s.value == "none"
                        || image_ref::parse(s)
                            .map_err(|d| diags.push(d.help("`syntax` is a Dockerfile frontend image such as `docker/dockerfile:1`, or `none`")))
                            .is_ok_and(|_| !s.value.contains("${"))
                });
                no_children(node, diags);
                r.finish(diags);
            }
            _ => diags.push(unknown_node(node, TOP_LEVEL, "at the top level")),
        }
    }
    out
}

fn walk_use(node: &KdlNode, stage_index: usize, diags: &mut Diagnostics) -> Option<UseDecl> {
    let mut r = NodeReader::new(node, &[], diags);
    let preset = r.req_str(0, "a preset name", diags);
    let span = r.span();
    // Properties are parameters; the preset checks them against its list.
    let mut params: Vec<Param> = Vec::new();
    for entry in node.entries() {
        if let Some(key) = entry.name() {
            let name = Ident {
                name: key.value().to_string(),
                span: Span::from(key.span()),
            };
            if params.iter().any(|p| p.name.name == name.name) {
                continue; // reported by the reader
            }
            if let Some(v) = param_value(entry, diags) {
                params.push(Param {
                    name,
                    values: vec![v],
                    props: Vec::new(),
                    span: Span::from(entry.span()),
                });
            }
        }
    }
    for child in children(node) {
        let name = Ident {
            name: child.name().value().to_string(),
            span: Span::from(child.name().span()),
        };
        let mut values = Vec::new();
        let mut props = Vec::new();
        for entry in child.entries() {
            let Some(v) = param_value(entry, diags) else {
                continue;
            };
            match entry.name() {
                None => values.push(v),
                Some(k) => props.push((
                    Ident {
                        name: k.value().to_string(),
                        span: Span::from(k.span()),
                    },
                    v,
                )),
            }
        }
        no_children(child, diags);
        match params.iter_mut().find(|p| p.name.name == name.name) {
            Some(p) => {
                p.values.extend(values);
                p.props.extend(props);
                p.span = p.span.to(Span::from(child.span()));
            }
            None => params.push(Param {
                name,
                values,
                props,
                span: Span::from(child.span()),
            }),
        }
    }
    r.allow_args(1);
    finish_ignoring_props(r, diags);
    Some(UseDecl {
        preset: preset?,
        params,
        stage_index,
        span,
    })
}

fn param_value(entry: &kdl::KdlEntry, diags: &mut Diagnostics) -> Option<ParamValue> {
    match entry.value() {
        KdlValue::String(s) => Some(ParamValue::Str(to_str(entry, s))),
        KdlValue::Integer(n) => Some(ParamValue::Int(*n, value_span(entry))),
        KdlValue::Bool(b) => Some(ParamValue::Bool(*b, value_span(entry))),
        other => {
            diags.push(wrong_type(
                entry,
                "a preset parameter",
                "a string, an integer or a boolean",
                other,
            ));
            None
        }
    }
}

const POLICY_RULES: &[&str] = &[
    "allowed-registries",
    "require-digest",
    "forbid-root",
    "required-labels",
];

fn walk_policy(node: &KdlNode, diags: &mut Diagnostics) -> PolicyDecl {
    let r = NodeReader::new(node, &[], diags);
    let mut policy = PolicyDecl {
        span: r.span(),
        ..PolicyDecl::default()
    };
    for child in children(node) {
        let mut c = NodeReader::new(child, &[], diags);
        match child.name().value() {
            "allowed-registries" => {
                policy
                    .allowed_registries
                    .extend(c.rest_strs(0, "a registry", diags))
            }
            "required-labels" => {
                policy
                    .required_labels
                    .extend(c.rest_strs(0, "a label key", diags))
            }
            rule @ ("require-digest" | "forbid-root") => {
                c.allow_args(1);
                let on = match c.arg_entry(0).map(|e| (e, e.value())) {
                    Some((_, KdlValue::Bool(b))) => *b,
                    Some((e, other)) => {
                        diags.push(wrong_type(
                            e,
                            &format!("`{rule}`"),
                            "a boolean (`#true` or `#false`)",
                            other,
                        ));
                        false
                    }
                    None => true, // `forbid-root` alone means on
                };
                if rule == "require-digest" {
                    policy.require_digest = on;
                } else {
                    policy.forbid_root = on;
                }
            }
            _ => {
                diags.push(unknown_node(child, POLICY_RULES, "inside `policy`"));
                continue;
            }
        }
        no_children(child, diags);
        c.finish(diags);
    }
    r.finish(diags);
    policy
}

fn walk_version(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
    if let Some((_, first)) = out.version {
        diags.push(
            Diagnostic::new(Code::DuplicateName, "`msbc` is declared twice")
                .label(Span::from(node.span()), "declared again here")
                .label(first, "first declared here"),
        );
        return;
    }
    let mut r = NodeReader::new(node, &[], diags);
    r.allow_args(1);
    match r.arg_entry(0) {
        None => diags.push(
            Diagnostic::new(Code::MissingVersion, "`msbc` needs the format version")
                .label(r.span(), "no version")
                .help("write `msbc 1`"),
        ),
        Some(entry) => match entry.value() {
            KdlValue::Integer(v) => {
                let span = value_span(entry);
                if !SUPPORTED_VERSIONS.contains(v) {
                    diags.push(
                        Diagnostic::new(
                            Code::UnsupportedVersion,
                            format!("format version {v} is not supported"),
                        )
                        .label(span, "unsupported version")
                        .help("this msbc reads format version 1; write `msbc 1` or upgrade msbc"),
                    );
                }
                out.version = Some((*v, span));
            }
            other => diags.push(wrong_type(entry, "the format version", "an integer", other)),
        },
    }
    no_children(node, diags);
    r.finish(diags);
}

fn walk_arg(node: &KdlNode, diags: &mut Diagnostics) -> Option<ArgDecl> {
    let mut r = NodeReader::new(node, &[], diags);
    let span = r.span();
    let name = r.req_ident("an arg name", diags);
    let default = match r.arg_entry(1) {
        Some(entry) => match entry.value() {
            KdlValue::String(s) => Some(to_str(entry, s)),
            // Numbers and booleans are written as they read: `arg PORT 8080`.
            KdlValue::Integer(n) => Some(to_str(entry, &n.to_string())),
            KdlValue::Bool(b) => Some(to_str(entry, &b.to_string())),
            other => {
                diags.push(wrong_type(entry, "an arg default", "a string", other));
                None
            }
        },
        None => None,
    };
    r.allow_args(2);
    no_children(node, diags);
    r.finish(diags);
    let name = name?;
    if !is_var_name(&name.name) {
        diags.push(
            Diagnostic::new(
                Code::InvalidName,
                format!("`{}` is not a valid arg name", name.name),
            )
            .label(name.span, "invalid name")
            .help("arg names start with a letter or `_` and hold letters, digits and `_`"),
        );
    }
    if let Some(d) = &default {
        reject_unrepresentable(d, "an arg default", diags);
    }
    Some(ArgDecl {
        name,
        default,
        span,
    })
}

fn walk_context(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
    let r = NodeReader::new(node, &[], diags);
    let mut ignore = Vec::new();
    for child in children(node) {
        match child.name().value() {
            "ignore" => {
                let mut c = NodeReader::new(child, &[], diags);
                ignore.extend(c.rest_strs(0, "an ignore pattern", diags));
                no_children(child, diags);
                c.finish(diags);
            }
            _ => diags.push(unknown_node(child, &["ignore"], "inside `context`")),
        }
    }
    for pattern in &ignore {
        reject_unrepresentable(pattern, "an ignore pattern", diags);
    }
    if let Some(prev) = &out.context {
        diags.push(
            Diagnostic::new(Code::DuplicateName, "`context` is declared twice")
                .label(r.span(), "declared again here")
                .label(prev.span, "first declared here")
                .help("put all ignore patterns in one `context` block"),
        );
    } else {
        out.context = Some(ContextDecl {
            ignore,
            span: r.span(),
        });
    }
    r.finish(diags);
}

fn walk_toolchain(node: &KdlNode, diags: &mut Diagnostics) -> Option<ToolchainDecl> {
    let mut r = NodeReader::new(node, &["image"], diags);
    let name = r.req_ident("a toolchain name", diags);
    let image = match r.str_prop("image", diags) {
        Some(s) => interp::parse(&s).map_err(|d| diags.push(d)).ok(),
        None => {
            if !r.has_prop("image") {
                diags.push(
                    Diagnostic::new(Code::MissingValue, "`toolchain` needs `image=`")
                        .label(r.span(), "no image")
                        .help("write `toolchain go image=\"golang:1.23-bookworm\" { ... }`"),
                );
            }
            None
        }
    };
    let mut caches = Vec::new();
    let mut env = Vec::new();
    for child in children(node) {
        match child.name().value() {
            "cache" => caches.extend(walk_cache(child, diags)),
            "env" => env.extend(walk_env_pairs(child, diags)),
            _ => diags.push(unknown_node(child, &["cache", "env"], "inside `toolchain`")),
        }
    }
    r.finish(diags);
    Some(ToolchainDecl {
        name: name?,
        image: image?,
        caches,
        env,
        span: Span::from(node.span()),
    })
}

fn walk_stage(node: &KdlNode, kind: StageKind, diags: &mut Diagnostics) -> Option<StageDecl> {
    let props: &'static [&'static str] = match kind {
        StageKind::Stage => &["from", "toolchain", "platform", "target-only", "extend"],
        StageKind::Image => &["from", "platform", "extend"],
    };
    let mut r = NodeReader::new(node, props, diags);
    let name = r.req_ident(&format!("a {} name", kind.noun()), diags);
    let from = r
        .str_prop("from", diags)
        .and_then(|s| interp::parse(&s).map_err(|d| diags.push(d)).ok());
    let toolchain = if kind == StageKind::Stage {
        r.ident_prop("toolchain", diags)
    } else {
        None
    };
    let platform = r
        .str_prop("platform", diags)
        .and_then(|s| platform::parse(&s).map_err(|d| diags.push(d)).ok());
    let target_only = kind == StageKind::Stage && r.bool_prop("target-only", diags);
    let extend = r.bool_prop("extend", diags);
    if let (Some(f), Some(t)) = (r.prop_span("from"), r.prop_span("toolchain")) {
        diags.push(
            Diagnostic::new(Code::ConflictingProperties, "a stage takes `from=` or `toolchain=`, not both")
                .label(t, "the toolchain sets the base image")
                .label(f, "so this `from=` conflicts")
                .help("a stage built on another stage inherits its toolchain: keep `from=`, drop `toolchain=`"),
        );
    }
    let steps = walk_steps(node, diags);
    r.finish(diags);
    let name = name?;
    check_stage_name(&name, kind, diags);
    if from.is_none() && toolchain.is_none() && !extend && !r_has_base_error(node) {
        let what = match kind {
            StageKind::Stage => "`from=` or `toolchain=`",
            StageKind::Image => "`from=`",
        };
        diags.push(
            Diagnostic::new(Code::MissingValue, format!("{} `{}` needs {what}", kind.noun(), name.name))
                .label(name.span, "no base")
                .help(match kind {
                    StageKind::Stage => "write `from=\"debian:bookworm-slim\"`, `from=OTHER_STAGE` or `toolchain=NAME`",
                    StageKind::Image => "write `from=\"gcr.io/distroless/static-debian12:nonroot\"` or `from=OTHER_STAGE`",
                }),
        );
    }
    Some(StageDecl {
        kind,
        name,
        from,
        toolchain,
        platform,
        target_only,
        extend,
        steps,
        span: Span::from(node.span()),
    })
}

/// Whether `from`/`toolchain` were given but had errors already reported.
fn r_has_base_error(node: &KdlNode) -> bool {
    node.entries()
        .iter()
        .any(|e| matches!(e.name().map(|n| n.value()), Some("from" | "toolchain")))
}

fn check_stage_name(name: &Ident, kind: StageKind, diags: &mut Diagnostics) {
    let n = &name.name;
    let valid = n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !valid {
        let lower = to_stage_name(n);
        diags.push(
            Diagnostic::new(Code::InvalidName, format!("`{n}` is not a valid {} name", kind.noun()))
                .label(name.span, "invalid name")
                .help(format!(
                    "{} names become Dockerfile stage names: a lowercase letter, then lowercase letters, digits, `-`, `_` or `.` (e.g. `{lower}`)",
                    kind.noun()
                )),
        );
    } else if n == "scratch" || n == "context" {
        diags.push(
            Diagnostic::new(Code::InvalidName, format!("`{n}` is a reserved name"))
                .label(name.span, "reserved")
                .help("BuildKit gives this name its own meaning; choose another"),
        );
    }
}

fn walk_artifact(node: &KdlNode, diags: &mut Diagnostics) -> Option<ArtifactDecl> {
    let mut r = NodeReader::new(node, &["from", "path"], diags);
    let name = r.req_ident("an artifact name", diags);
    let from = r.ident_prop("from", diags);
    let path = r
        .str_prop("path", diags)
        .and_then(|s| interp::parse(&s).map_err(|d| diags.push(d)).ok());
    for (key, missing) in [("from", from.is_none()), ("path", path.is_none())] {
        if missing && !r.has_prop(key) {
            diags.push(
                Diagnostic::new(Code::MissingValue, format!("`artifact` needs `{key}=`"))
                    .label(r.span(), format!("no `{key}=`"))
                    .help("write `artifact server from=build path=\"/out/server\"`"),
            );
        }
    }
    no_children(node, diags);
    r.finish(diags);
    let path = path?;
    require_absolute(&path.raw, "an artifact path", diags);
    Some(ArtifactDecl {
        name: name?,
        from: from?,
        path,
        span: Span::from(node.span()),
    })
}

fn walk_steps(node: &KdlNode, diags: &mut Diagnostics) -> Vec<Step> {
    let mut steps = Vec::new();
    for child in children(node) {
        let span = Span::from(child.span());
        let kind = match child.name().value() {
            "workdir" => one_interp(child, "a directory", diags).map(StepKind::Workdir),
            "copy" => walk_copy(child, diags).map(StepKind::Copy),
            "run" => walk_run(child, diags).map(StepKind::Run),
            "env" => Some(StepKind::Env(walk_env_pairs(child, diags))),
            "label" => Some(StepKind::Label(walk_labels(child, diags))),
            "user" => one_interp(child, "a user", diags).map(StepKind::User),
            "expose" => Some(StepKind::Expose(walk_expose(child, diags))),
            "entrypoint" => exec_form(child, diags).map(StepKind::Entrypoint),
            "cmd" => exec_form(child, diags).map(StepKind::Cmd),
            "healthcheck" => walk_healthcheck(child, diags).map(StepKind::Healthcheck),
            "volume" => {
                let mut r = NodeReader::new(child, &[], diags);
                let paths = r.rest_strs(0, "a volume path", diags);
                for p in &paths {
                    reject_unrepresentable(p, "a volume path", diags);
                }
                let vols: Vec<Interp> = paths
                    .iter()
                    .filter_map(|s| interp::parse(s).map_err(|d| diags.push(d)).ok())
                    .collect();
                if vols.is_empty() && r.arg_count() == 0 {
                    diags.push(missing(
                        &r,
                        "`volume` needs a path",
                        "write `volume \"/data\"`",
                    ));
                }
                no_children(child, diags);
                r.finish(diags);
                Some(StepKind::Volume(vols))
            }
            "stopsignal" => {
                let mut r = NodeReader::new(child, &[], diags);
                let sig = r.req_str(0, "a signal", diags);
                no_children(child, diags);
                r.finish(diags);
                sig.filter(|s| check_signal(s, diags))
                    .map(StepKind::StopSignal)
            }
            "shell" => exec_form(child, diags).map(StepKind::Shell),
            other if TOP_LEVEL.contains(&other) => {
                diags.push(
                    Diagnostic::new(
                        Code::MisplacedNode,
                        format!("`{other}` cannot be used inside a stage or image"),
                    )
                    .label(Span::from(child.name().span()), "not a step")
                    .help(format!(
                        "`{other}` is a top-level node; move it out of this block"
                    )),
                );
                None
            }
            other if MOUNTS.contains(&other) => {
                diags.push(
                    Diagnostic::new(
                        Code::MisplacedNode,
                        format!("`{other}` is a mount; it belongs inside a `run` block"),
                    )
                    .label(Span::from(child.name().span()), "mount outside `run`")
                    .help(format!("write `run \"...\" {{ {other} ... }}`")),
                );
                None
            }
            _ => {
                diags.push(unknown_node(child, STEPS, "inside a stage or image"));
                None
            }
        };
        if let Some(kind) = kind {
            steps.push(Step { kind, span });
        }
    }
    steps
}

fn one_interp(node: &KdlNode, what: &str, diags: &mut Diagnostics) -> Option<Interp> {
    let mut r = NodeReader::new(node, &[], diags);
    let s = r.req_str(0, what, diags);
    no_children(node, diags);
    r.finish(diags);
    let s = s?;
    reject_unrepresentable(&s, what, diags);
    interp::parse(&s).map_err(|d| diags.push(d)).ok()
}

fn walk_copy(node: &KdlNode, diags: &mut Diagnostics) -> Option<Copy> {
    let mut r = NodeReader::new(
        node,
        &["to", "from", "artifact", "chown", "chmod", "link"],
        diags,
    );
    let from = r.str_prop("from", diags);
    let artifact = r.ident_prop("artifact", diags);
    let to = r.str_prop("to", diags);
    let chown = r
        .str_prop("chown", diags)
        .and_then(|s| perms::parse_chown(&s).map_err(|d| diags.push(d)).ok());
    let chmod = r
        .str_prop("chmod", diags)
        .and_then(|s| perms::parse_chmod(&s).map_err(|d| diags.push(d)).ok());
    let link = r.bool_prop("link", diags);
    let sources = r.rest_strs(0, "a source path", diags);
    no_children(node, diags);
    if let (Some(f), Some(a)) = (r.prop_span("from"), r.prop_span("artifact")) {
        diags.push(
            Diagnostic::new(
                Code::ConflictingProperties,
                "`copy` takes `from=` or `artifact=`, not both",
            )
            .label(a, "the artifact already names its stage")
            .label(f, "so this `from=` conflicts")
            .help("drop `from=`: an artifact knows where it is built"),
        );
    }
    if artifact.is_some() && !sources.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::UnexpectedArgument,
                "`copy artifact=` takes no source paths",
            )
            .label(
                sources[0].span.to(sources[sources.len() - 1].span),
                "source paths",
            )
            .help("the artifact's `path=` is the source; remove these"),
        );
    } else if artifact.is_none() && sources.is_empty() && r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`copy` needs at least one source path",
            "write `copy \"go.mod\" \"go.sum\" to=\"./\"`",
        ));
    }
    if to.is_none() && !r.has_prop("to") {
        diags.push(missing(
            &r,
            "`copy` needs `to=`",
            "write the destination as `to=\"/app/\"`",
        ));
    }
    r.finish(diags);
    for s in sources.iter().chain(to.iter()) {
        reject_unrepresentable(s, "a path", diags);
    }
    let sources: Vec<Interp> = sources
        .iter()
        .filter_map(|s| interp::parse(s).map_err(|d| diags.push(d)).ok())
        .collect();
    let dest = interp::parse(&to?).map_err(|d| diags.push(d)).ok()?;
    let origin = match (artifact, from) {
        (Some(a), _) => CopyOrigin::Artifact(a),
        (None, Some(f)) => CopyOrigin::From(interp::parse(&f).map_err(|d| diags.push(d)).ok()?),
        (None, None) => CopyOrigin::Context,
    };
    Some(Copy {
        sources,
        dest,
        origin,
        chown,
        chmod,
        link,
    })
}

fn walk_run(node: &KdlNode, diags: &mut Diagnostics) -> Option<Run> {
    let mut r = NodeReader::new(node, &["network", "exec"], diags);
    // `run "prog" "arg"... exec=#true` is the exec form (no shell).
    let exec = r
        .bool_prop("exec", diags)
        .then(|| r.rest_strs(0, "an argument", diags));
    let script = match &exec {
        Some(args) => match args.first() {
            Some(first) => Some(Str {
                value: args
                    .iter()
                    .map(|a| a.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                span: first.span,
                content_start: None,
            }),
            None => {
                diags.push(missing(
                    &r,
                    "`run exec=#true` needs a program",
                    "write `run \"npm\" \"run\" \"build\" exec=#true`",
                ));
                None
            }
        },
        None => r.req_str(0, "a script", diags),
    };
    let network = r.str_prop("network", diags).and_then(|s| {
        one_of(&s, &["default", "none", "host"], "network mode", diags).map(|v| match v {
            "none" => Network::None,
            "host" => Network::Host,
            _ => Network::Default,
        })
    });
    let mut mounts = Vec::new();
    for child in children(node) {
        match child.name().value() {
            "cache" => mounts.extend(walk_cache(child, diags).map(Mount::Cache)),
            "secret" => mounts.extend(walk_secret(child, diags).map(Mount::Secret)),
            "ssh" => mounts.extend(walk_ssh(child, diags).map(Mount::Ssh)),
            "tmpfs" => mounts.extend(walk_tmpfs(child, diags).map(Mount::Tmpfs)),
            "bind" => mounts.extend(walk_bind(child, diags).map(Mount::Bind)),
            _ => diags.push(unknown_node(child, MOUNTS, "inside `run`")),
        }
    }
    r.finish(diags);
    let script = script?;
    if script.value.trim().is_empty() {
        diags.push(
            Diagnostic::new(Code::MissingValue, "`run` has an empty script")
                .label(script.span, "empty")
                .help("write the command to run, or remove the step"),
        );
        return None;
    }
    Some(Run {
        script,
        exec,
        network,
        mounts,
    })
}

fn walk_cache(node: &KdlNode, diags: &mut Diagnostics) -> Option<CacheMount> {
    let mut r = NodeReader::new(node, &["id", "sharing"], diags);
    let target = r.req_str(0, "a target path", diags);
    let id = r.str_prop("id", diags);
    let sharing = r.str_prop("sharing", diags).and_then(|s| {
        one_of(&s, &["shared", "private", "locked"], "sharing mode", diags).map(|v| match v {
            "private" => Sharing::Private,
            "locked" => Sharing::Locked,
            _ => Sharing::Shared,
        })
    });
    no_children(node, diags);
    r.finish(diags);
    let target = target?;
    require_absolute(&target, "a cache target", diags);
    for s in std::iter::once(&target).chain(id.iter()) {
        reject_mount_chars(s, diags);
    }
    Some(CacheMount {
        target,
        id,
        sharing,
        span: Span::from(node.span()),
    })
}

fn walk_secret(node: &KdlNode, diags: &mut Diagnostics) -> Option<SecretMount> {
    let mut r = NodeReader::new(node, &["target", "env", "required"], diags);
    let id = r.req_str(0, "a secret id", diags);
    let target = r.str_prop("target", diags);
    let env = r.str_prop("env", diags);
    let required = r.bool_prop("required", diags);
    no_children(node, diags);
    r.finish(diags);
    if let Some(t) = &target {
        require_absolute(t, "a secret target", diags);
    }
    if let Some(e) = &env
        && !is_var_name(&e.value)
    {
        diags.push(
            Diagnostic::new(
                Code::InvalidName,
                format!("`{}` is not a valid variable name", e.value),
            )
            .label(e.span, "invalid name")
            .help("variable names start with a letter or `_` and hold letters, digits and `_`"),
        );
    }
    for s in id.iter().chain(target.iter()) {
        reject_mount_chars(s, diags);
    }
    Some(SecretMount {
        id: id?,
        target,
        env,
        required,
        span: Span::from(node.span()),
    })
}

fn walk_ssh(node: &KdlNode, diags: &mut Diagnostics) -> Option<SshMount> {
    let mut r = NodeReader::new(node, &["id", "target", "required"], diags);
    let id = r.str_prop("id", diags);
    let target = r.str_prop("target", diags);
    let required = r.bool_prop("required", diags);
    no_children(node, diags);
    r.finish(diags);
    if let Some(t) = &target {
        require_absolute(t, "an ssh target", diags);
    }
    for s in id.iter().chain(target.iter()) {
        reject_mount_chars(s, diags);
    }
    Some(SshMount {
        id,
        target,
        required,
        span: Span::from(node.span()),
    })
}

fn walk_tmpfs(node: &KdlNode, diags: &mut Diagnostics) -> Option<TmpfsMount> {
    let mut r = NodeReader::new(node, &["size"], diags);
    let target = r.req_str(0, "a target path", diags);
    let size = r.str_prop("size", diags);
    no_children(node, diags);
    r.finish(diags);
    if let Some(s) = &size {
        let digits = s
            .value
            .trim_end_matches(['b', 'B'])
            .trim_end_matches(['k', 'K', 'm', 'M', 'g', 'G']);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("invalid tmpfs size `{}`", s.value),
                )
                .label(s.span, "not a size")
                .help("write a size in bytes or with a unit: `64m`, `1g`, `65536`"),
            );
        }
    }
    let target = target?;
    require_absolute(&target, "a tmpfs target", diags);
    reject_mount_chars(&target, diags);
    Some(TmpfsMount {
        target,
        size,
        span: Span::from(node.span()),
    })
}

fn walk_bind(node: &KdlNode, diags: &mut Diagnostics) -> Option<BindMount> {
    let mut r = NodeReader::new(node, &["from", "source", "rw"], diags);
    let target = r.req_str(0, "a target path", diags);
    let from = r
        .str_prop("from", diags)
        .and_then(|s| interp::parse(&s).map_err(|d| diags.push(d)).ok());
    let source = r.str_prop("source", diags);
    let rw = r.bool_prop("rw", diags);
    no_children(node, diags);
    r.finish(diags);
    let target = target?;
    require_absolute(&target, "a bind target", diags);
    for s in std::iter::once(&target).chain(source.iter()) {
        reject_mount_chars(s, diags);
    }
    Some(BindMount {
        target,
        from,
        source,
        rw,
        span: Span::from(node.span()),
    })
}

fn walk_env_pairs(node: &KdlNode, diags: &mut Diagnostics) -> Vec<(Ident, Interp)> {
    let r = NodeReader::new(node, &[], diags);
    let mut out = Vec::new();
    for entry in node.entries() {
        let Some(key) = entry.name() else {
            diags.push(
                Diagnostic::new(
                    Code::UnexpectedArgument,
                    "`env` takes `NAME=\"value\"` pairs",
                )
                .label(Span::from(entry.span()), "a value without a name")
                .help("write `env NAME=\"value\"`"),
            );
            continue;
        };
        let ident = Ident {
            name: key.value().to_string(),
            span: Span::from(key.span()),
        };
        if !is_env_name(&ident.name) {
            diags.push(
                Diagnostic::new(Code::InvalidName, format!("`{}` is not a valid variable name", ident.name.escape_debug()))
                    .label(ident.span, "invalid name")
                    .help("variable names hold no whitespace, `=` or quotes; usually letters, digits and `_`"),
            );
        }
        let value = match entry.value() {
            KdlValue::String(s) => to_str(entry, s),
            KdlValue::Integer(_) | KdlValue::Float(_) | KdlValue::Bool(_) => {
                let text = value_text(entry);
                to_str(entry, &text)
            }
            other => {
                diags.push(wrong_type(entry, "an env value", "a string", other));
                continue;
            }
        };
        // A duplicate key on one node is reported by the reader.
        if out
            .iter()
            .any(|(k, _): &(Ident, Interp)| k.name == ident.name)
        {
            continue;
        }
        reject_unrepresentable(&value, "an env value", diags);
        if let Ok(v) = interp::parse(&value).map_err(|d| diags.push(d)) {
            out.push((ident, v));
        }
    }
    if out.is_empty() && node.entries().is_empty() {
        diags.push(missing(
            &r,
            "`env` needs at least one `NAME=\"value\"`",
            "write `env NAME=\"value\"`",
        ));
    }
    no_children(node, diags);
    out
}

/// The text of a scalar entry as written (`8080`, `#true` reads as `true`).
fn value_text(entry: &kdl::KdlEntry) -> String {
    match entry.value() {
        KdlValue::String(s) => s.clone(),
        KdlValue::Integer(n) => n.to_string(),
        KdlValue::Float(_) => entry
            .format()
            .map(|f| f.value_repr.clone())
            .unwrap_or_default(),
        KdlValue::Bool(b) => b.to_string(),
        KdlValue::Null => String::new(),
    }
}

fn walk_labels(node: &KdlNode, diags: &mut Diagnostics) -> Vec<(Str, Interp)> {
    let mut r = NodeReader::new(node, &[], diags);
    let mut out = Vec::new();
    let args = r.arg_count();
    if args > 0 {
        // `label "key" "value"`
        let key = r.req_str(0, "a label key", diags);
        let value = r.req_str(1, "a label value", diags);
        if let (Some(k), Some(v)) = (key, value) {
            out.push((k, v));
        }
    }
    let mut pairs = Vec::new();
    for entry in node.entries() {
        if let Some(key) = entry.name() {
            let key_str = Str {
                value: key.value().to_string(),
                span: Span::from(key.span()),
                content_start: None,
            };
            if pairs
                .iter()
                .any(|(k, _): &(Str, Str)| k.value == key_str.value)
            {
                continue;
            }
            match entry.value() {
                KdlValue::String(s) => pairs.push((key_str, to_str(entry, s))),
                KdlValue::Integer(_) | KdlValue::Float(_) | KdlValue::Bool(_) => {
                    let text = value_text(entry);
                    pairs.push((key_str, to_str(entry, &text)))
                }
                other => diags.push(wrong_type(entry, "a label value", "a string", other)),
            }
        }
    }
    out.extend(pairs);
    if out.is_empty() && node.entries().is_empty() {
        diags.push(missing(
            &r,
            "`label` needs a key and a value",
            "write `label \"org.opencontainers.image.source\" \"https://...\"`",
        ));
    }
    no_children(node, diags);
    r.allow_args(2);
    finish_ignoring_props(r, diags);
    let mut interps = Vec::new();
    for (k, v) in out {
        reject_unrepresentable(&k, "a label key", diags);
        if let Some(pos) = k.value.find('=') {
            diags.push(
                Diagnostic::new(Code::UnrepresentableValue, "a label key cannot contain `=`")
                    .label(k.sub_span(pos, pos + 1), "BuildKit splits the key here")
                    .help("BuildKit reads `LABEL key=value` up to the first `=`, even inside quotes; rename the key"),
            );
        }
        reject_unrepresentable(&v, "a label value", diags);
        if let Ok(i) = interp::parse(&v).map_err(|d| diags.push(d)) {
            interps.push((k, i));
        }
    }
    interps
}

/// Finishes a reader whose properties are free-form (env, label).
fn finish_ignoring_props(r: NodeReader<'_>, diags: &mut Diagnostics) {
    let mut scratch = Diagnostics::new();
    r.finish(&mut scratch);
    for d in scratch.iter() {
        if d.code != Code::UnknownProperty {
            diags.push(d.clone());
        }
    }
}

fn walk_expose(node: &KdlNode, diags: &mut Diagnostics) -> Vec<Port> {
    let mut r = NodeReader::new(node, &[], diags);
    r.allow_args(usize::MAX);
    let mut ports = Vec::new();
    for i in 0..r.arg_count() {
        let Some(entry) = r.arg_entry(i) else {
            continue;
        };
        let result = match entry.value() {
            KdlValue::Integer(n) => port::from_integer(*n, &to_str(entry, &n.to_string())),
            KdlValue::String(s) => port::parse(&to_str(entry, s)),
            other => Err(wrong_type(
                entry,
                "a port",
                "an integer or a string such as \"53/udp\"",
                other,
            )),
        };
        match result {
            Ok(p) => ports.push(p),
            Err(d) => diags.push(d),
        }
    }
    if r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`expose` needs a port",
            "write `expose 8080` or `expose \"53/udp\"`",
        ));
    }
    no_children(node, diags);
    r.finish(diags);
    ports
}

/// `entrypoint`, `cmd`, `shell`: one or more strings, exec form.
fn exec_form(node: &KdlNode, diags: &mut Diagnostics) -> Option<Vec<Str>> {
    let mut r = NodeReader::new(node, &[], diags);
    let args = r.rest_strs(0, "an argument", diags);
    no_children(node, diags);
    if r.arg_count() == 0 {
        let name = node.name().value();
        diags.push(missing(
            &r,
            &format!("`{name}` needs a program"),
            &format!("write `{name} \"/usr/local/bin/app\" \"--flag\"`"),
        ));
    }
    r.finish(diags);
    (!args.is_empty()).then_some(args)
}

fn walk_healthcheck(node: &KdlNode, diags: &mut Diagnostics) -> Option<Option<Healthcheck>> {
    let mut r = NodeReader::new(
        node,
        &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        diags,
    );
    if let Some(first) = r.arg_entry(0)
        && matches!(first.value(), KdlValue::Null)
    {
        r.allow_args(1);
        no_children(node, diags);
        r.finish(diags);
        return Some(None);
    }
    let command = r.rest_strs(0, "a command", diags);
    let dur = |key: &'static str, r: &mut NodeReader<'_>, diags: &mut Diagnostics| {
        r.str_prop(key, diags)
            .and_then(|s| duration::parse(&s).map_err(|d| diags.push(d)).ok())
    };
    let interval = dur("interval", &mut r, diags);
    let timeout = dur("timeout", &mut r, diags);
    let start_period = dur("start-period", &mut r, diags);
    let start_interval = dur("start-interval", &mut r, diags);
    let retries = r
        .int_prop("retries", diags)
        .and_then(|(n, span)| match u32::try_from(n) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`retries` must be a positive integer, not {n}"),
                    )
                    .label(span, "not a positive integer"),
                );
                None
            }
        });
    no_children(node, diags);
    if r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`healthcheck` needs a command, or `#null` to disable it",
            "write `healthcheck \"/app/healthcheck\"` or `healthcheck #null`",
        ));
    }
    r.finish(diags);
    for c in &command {
        if command.len() == 1 {
            reject_unrepresentable(c, "a healthcheck command", diags);
        }
    }
    (!command.is_empty()).then_some(Some(Healthcheck {
        command,
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
    }))
}

fn check_signal(s: &Str, diags: &mut Diagnostics) -> bool {
    let v = &s.value;
    let ok = (v.starts_with("SIG")
        && v.len() > 3
        && v[3..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '-'))
        || (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()));
    if !ok {
        diags.push(
            Diagnostic::new(Code::InvalidValue, format!("`{v}` is not a signal"))
                .label(s.span, "not a signal")
                .help("write a signal name such as `SIGTERM` or `SIGQUIT`, or its number"),
        );
    }
    ok
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
