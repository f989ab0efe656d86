//! The mounts of a `run`: `cache`, `secret`, `ssh`, `tmpfs`, `bind`.

use super::*;

pub(super) fn walk_cache(node: &KdlNode, diags: &mut Diagnostics) -> Option<CacheMount> {
    let mut r = NodeReader::new(node, docs::CACHE.props, diags);
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

pub(super) fn walk_secret(node: &KdlNode, diags: &mut Diagnostics) -> Option<SecretMount> {
    let mut r = NodeReader::new(node, docs::SECRET.props, diags);
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

pub(super) fn walk_ssh(node: &KdlNode, diags: &mut Diagnostics) -> Option<SshMount> {
    let mut r = NodeReader::new(node, docs::SSH.props, diags);
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

pub(super) fn walk_tmpfs(node: &KdlNode, diags: &mut Diagnostics) -> Option<TmpfsMount> {
    let mut r = NodeReader::new(node, docs::TMPFS.props, diags);
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

pub(super) fn walk_bind(node: &KdlNode, diags: &mut Diagnostics) -> Option<BindMount> {
    let mut r = NodeReader::new(node, docs::BIND.props, diags);
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
