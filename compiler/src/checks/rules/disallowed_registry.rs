//! E0401: base images from registries the policy does not allow.

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::domain::ImageRef;
use crate::syntax::ast::PolicyDecl;

pub(super) fn check(ctx: &Ctx<'_>, policy: &PolicyDecl, diags: &mut Diagnostics) {
    if policy.allowed_registries.is_empty() {
        return;
    }
    let allowed: Vec<&str> = policy
        .allowed_registries
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    for r in &ctx.model.images {
        let Some(image) = r.default.as_deref().and_then(|t| ImageRef::parse(t).ok()) else {
            continue;
        };
        let registry = image.domain.as_deref().unwrap_or("docker.io");
        if !allowed.contains(&registry) {
            diags.push(
                Diagnostic::new(
                    Code::DisallowedRegistry,
                    format!(
                        "`{}` comes from `{registry}`, which the policy does not allow",
                        r.text
                    ),
                )
                .label(r.at, format!("from {registry}"))
                .label(policy.span, "the policy")
                .help(format!("allowed registries: {}", allowed.join(", "))),
            );
        }
    }
}
