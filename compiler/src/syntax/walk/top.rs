//! Top-level nodes other than stages: the version line, `arg`, `context`, `use`, `policy`, `templates`, `dockerfile`.

use super::*;

pub(super) fn walk_templates(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
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

pub(super) fn walk_dockerfile(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
    let mut r = NodeReader::new(node, docs::DOCKERFILE.props, diags);
    out.dockerfile.syntax = r.str_prop("syntax", diags).filter(|s| {
        s.value == "none"
            || image_ref::parse(s)
                .map_err(|d| diags.push(d.help("`syntax` is a Dockerfile frontend image such as `docker/dockerfile:1`, or `none`")))
                .is_ok_and(|_| !s.value.contains("${"))
    });
    no_children(node, diags);
    r.finish(diags);
}

pub(super) fn walk_use(
    node: &KdlNode,
    stage_index: usize,
    diags: &mut Diagnostics,
) -> Option<UseDecl> {
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
                    items: Vec::new(),
                    span: Span::from(entry.span()),
                });
            }
        }
    }
    add_children(node, &mut params, diags);
    r.allow_args(1);
    finish_ignoring_props(r, diags);
    Some(UseDecl {
        preset: preset?,
        params,
        stage_index,
        span,
    })
}

/// The child nodes of `node` as parameters (a child repeated is one
/// parameter with all the values), each occurrence also kept as an item
/// with its own properties and block: `main "./cmd/api" port=8080 { ... }`.
fn add_children(node: &KdlNode, params: &mut Vec<Param>, diags: &mut Diagnostics) {
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
        // A block's nodes are the item's settings; the preset says whether
        // this parameter takes any (`field`s in its preset.kdl).
        let mut settings = Vec::new();
        add_children(child, &mut settings, diags);
        let item = ParamItem {
            values: values.clone(),
            props: props.clone(),
            children: settings,
            block: child.children().map(|b| Span::from(b.span())),
            span: Span::from(child.span()),
        };
        match params.iter_mut().find(|p| p.name.name == name.name) {
            Some(p) => {
                p.values.extend(values);
                p.props.extend(props);
                p.items.push(item);
                p.span = p.span.to(Span::from(child.span()));
            }
            None => params.push(Param {
                name,
                values,
                props,
                items: vec![item],
                span: Span::from(child.span()),
            }),
        }
    }
}

pub(super) fn param_value(entry: &kdl::KdlEntry, diags: &mut Diagnostics) -> Option<ParamValue> {
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

pub(super) fn walk_policy(node: &KdlNode, diags: &mut Diagnostics) -> PolicyDecl {
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
                diags.push(unknown_node(
                    child,
                    &child_names(docs::POLICY_CHILDREN),
                    "inside `policy`",
                ));
                continue;
            }
        }
        no_children(child, diags);
        c.finish(diags);
    }
    r.finish(diags);
    policy
}

pub(super) fn walk_version(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
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

pub(super) fn walk_arg(node: &KdlNode, diags: &mut Diagnostics) -> Option<ArgDecl> {
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

pub(super) fn walk_context(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
    let mut r = NodeReader::new(node, &[], diags);
    let dir = if r.arg_count() > 0 {
        r.req_str(0, "the build context folder", diags)
    } else {
        None
    };
    let dir = dir.filter(|d| {
        let ok = crate::syntax::ast::context_depth(&d.value).is_some();
        if !ok {
            diags.push(
                Diagnostic::new(
                    Code::ContextNotAncestor,
                    format!(
                        "the build context `{}` is not the spec's folder or a folder above it",
                        d.value
                    ),
                )
                .label(d.span, "not `.`, `..`, `../..`, ...")
                .help(
                    "name the folder the build runs from, relative to the spec's folder, \
                     with `..` only: `context \"../..\"` for a spec in apps/api built from the \
                     repository root (paths in `copy` are then relative to that folder)",
                ),
            );
        }
        ok
    });
    let mut ignore = Vec::new();
    for child in children(node) {
        match child.name().value() {
            "ignore" => {
                let mut c = NodeReader::new(child, &[], diags);
                ignore.extend(c.rest_strs(0, "an ignore pattern", diags));
                no_children(child, diags);
                c.finish(diags);
            }
            _ => diags.push(unknown_node(
                child,
                &child_names(docs::CONTEXT_CHILDREN),
                "inside `context`",
            )),
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
            dir,
            ignore,
            span: r.span(),
        });
    }
    r.finish(diags);
}
