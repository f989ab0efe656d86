//! Platform policies (`policy { ... }`): rules a platform team ships beside
//! its templates. Unlike lints they are errors, at the offending line.

use super::Model;
use super::queries::{chain, effective_user, image_refs, is_root, user_for_base};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::domain::ImageRef;
use crate::syntax::ast::{Document, PolicyDecl, StageDecl, StageKind, Stored};

pub(super) fn check(doc: &Document, decls: &[StageDecl], model: &Model, diags: &mut Diagnostics) {
    for policy in &doc.policies {
        registries(policy, doc, decls, diags);
        digests(policy, doc, decls, diags);
        root(policy, decls, model, diags);
        labels(policy, decls, model, diags);
    }
}

/// E0401: base images from registries the policy does not allow.
fn registries(policy: &PolicyDecl, doc: &Document, decls: &[StageDecl], diags: &mut Diagnostics) {
    if policy.allowed_registries.is_empty() {
        return;
    }
    let allowed: Vec<&str> = policy
        .allowed_registries
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    for (r, resolved) in image_refs(doc, decls) {
        let Some(image) = resolved.as_deref().and_then(|t| ImageRef::parse(t).ok()) else {
            continue;
        };
        let registry = image.domain.as_deref().unwrap_or("docker.io");
        if !allowed.contains(&registry) {
            diags.push(
                Diagnostic::new(
                    Code::DisallowedRegistry,
                    format!(
                        "`{}` comes from `{registry}`, which the policy does not allow",
                        r.raw.value
                    ),
                )
                .label(r.raw.span, format!("from {registry}"))
                .label(policy.span, "the policy")
                .help(format!("allowed registries: {}", allowed.join(", "))),
            );
        }
    }
}

/// E0402: base images not pinned by digest.
fn digests(policy: &PolicyDecl, doc: &Document, decls: &[StageDecl], diags: &mut Diagnostics) {
    if !policy.require_digest {
        return;
    }
    for (r, resolved) in image_refs(doc, decls) {
        let pinned = resolved
            .as_deref()
            .and_then(|t| ImageRef::parse(t).ok())
            .is_some_and(|i| i.digest.is_some());
        if !pinned {
            diags.push(
                Diagnostic::new(Code::UnpinnedImage, format!("`{}` is not pinned by digest", r.raw.value))
                    .label(r.raw.span, "no digest")
                    .label(policy.span, "the policy requires digests")
                    .help("add the digest: `image:tag@sha256:...` (`docker buildx imagetools inspect image:tag` shows it)"),
            );
        }
    }
}

/// E0403: an image that runs as root (or leaves its user unset).
fn root(policy: &PolicyDecl, decls: &[StageDecl], model: &Model, diags: &mut Diagnostics) {
    if !policy.forbid_root {
        return;
    }
    for (i, decl) in decls
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == StageKind::Image)
    {
        let (span, why) = match effective_user(i, decls, model) {
            None => (decl.name.span, "sets no user"),
            Some(u) if is_root(u) => (u.raw.span, "runs as root"),
            Some(_) => continue,
        };
        diags.push(
            Diagnostic::new(
                Code::RootForbidden,
                format!("image `{}` {why}, which the policy forbids", decl.name.name),
            )
            .label(span, why)
            .label(policy.span, "the policy forbids root")
            .help(format!("add {}", user_for_base(i, model))),
        );
    }
}

/// E0404: an image without a label the policy requires.
fn labels(policy: &PolicyDecl, decls: &[StageDecl], model: &Model, diags: &mut Diagnostics) {
    for (i, decl) in decls
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == StageKind::Image)
    {
        let present: Vec<&str> = chain(i, model)
            .into_iter()
            .flat_map(|s| decls[s].steps.iter())
            .flat_map(|st| st.kind.stored())
            .filter_map(|v| match v {
                Stored::Label(k, _) => Some(k.value.as_str()),
                Stored::Env(..)
                | Stored::User(_)
                | Stored::Workdir(_)
                | Stored::Volume(_)
                | Stored::Fixed => None,
            })
            .collect();
        for required in &policy.required_labels {
            if !present.contains(&required.value.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::MissingLabel,
                        format!(
                            "image `{}` has no `{}` label, which the policy requires",
                            decl.name.name, required.value
                        ),
                    )
                    .label(decl.name.span, "missing label")
                    .label(required.span, "required here")
                    .help(format!(
                        "add `label \"{}\" \"...\"` to the image",
                        required.value
                    )),
                );
            }
        }
    }
}
