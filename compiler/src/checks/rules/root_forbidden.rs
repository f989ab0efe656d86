//! E0403: an image that runs as root (or leaves its user unset), where the
//! policy forbids it.

use super::super::Ctx;
use super::super::facts::{effective_user, is_root, user_for_base};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::PolicyDecl;

pub(super) fn check(ctx: &Ctx<'_>, policy: &PolicyDecl, diags: &mut Diagnostics) {
    if !policy.forbid_root {
        return;
    }
    for (i, stage) in ctx.images() {
        let (span, why) = match effective_user(ctx, i) {
            None => (stage.span, "sets no user"),
            Some(u) if is_root(u) => (u.raw.span, "runs as root"),
            Some(_) => continue,
        };
        diags.push(
            Diagnostic::new(
                Code::RootForbidden,
                format!("image `{}` {why}, which the policy forbids", stage.name),
            )
            .label(span, why)
            .label(policy.span, "the policy forbids root")
            .help(format!("add {}", user_for_base(i, ctx.model))),
        );
    }
}
