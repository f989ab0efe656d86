//! Stages and images, toolchains and artifacts: the nodes that declare what is built.

use super::*;

pub(super) fn walk_toolchain(node: &KdlNode, diags: &mut Diagnostics) -> Option<ToolchainDecl> {
    let mut r = NodeReader::new(node, docs::TOOLCHAIN.props, diags);
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
            _ => diags.push(unknown_node(
                child,
                &child_names(docs::TOOLCHAIN_CHILDREN),
                "inside `toolchain`",
            )),
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

pub(super) fn walk_stage(
    node: &KdlNode,
    kind: StageKind,
    diags: &mut Diagnostics,
) -> Option<StageDecl> {
    let props = match kind {
        StageKind::Stage => docs::STAGE.props,
        StageKind::Image => docs::IMAGE.props,
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
pub(super) fn r_has_base_error(node: &KdlNode) -> bool {
    node.entries()
        .iter()
        .any(|e| matches!(e.name().map(|n| n.value()), Some("from" | "toolchain")))
}

pub(super) fn check_stage_name(name: &Ident, kind: StageKind, diags: &mut Diagnostics) {
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

pub(super) fn walk_artifact(node: &KdlNode, diags: &mut Diagnostics) -> Option<ArtifactDecl> {
    let mut r = NodeReader::new(node, docs::ARTIFACT.props, diags);
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
