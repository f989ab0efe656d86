//! E0402: base images not pinned by digest, where the policy requires it.

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::domain::ImageRef;
use crate::syntax::ast::PolicyDecl;

pub(super) fn check(ctx: &Ctx<'_>, policy: &PolicyDecl, diags: &mut Diagnostics) {
    if !policy.require_digest {
        return;
    }
    for r in &ctx.model.images {
        let pinned = r
            .default
            .as_deref()
            .and_then(|t| ImageRef::parse(t).ok())
            .is_some_and(|i| i.digest.is_some());
        if !pinned {
            diags.push(
                Diagnostic::new(Code::UnpinnedImage, format!("`{}` is not pinned by digest", r.text))
                    .label(r.at, "no digest")
                    .label(policy.span, "the policy requires digests")
                    .help("add the digest: `image:tag@sha256:...` (`docker buildx imagetools inspect image:tag` shows it)"),
            );
        }
    }
}
