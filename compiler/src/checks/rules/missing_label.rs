//! E0404: an image without a label the policy requires (set in its own
//! steps or in a stage of its `from=` chain).

use super::super::Ctx;
use super::super::facts::image_config;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::PolicyDecl;

pub(super) fn check(ctx: &Ctx<'_>, policy: &PolicyDecl, diags: &mut Diagnostics) {
    for (i, stage) in ctx.images() {
        let present = image_config(ctx, i).labels;
        for required in &policy.required_labels {
            if !present.contains_key(&required.value) {
                diags.push(
                    Diagnostic::new(
                        Code::MissingLabel,
                        format!(
                            "image `{}` has no `{}` label, which the policy requires",
                            stage.name, required.value
                        ),
                    )
                    .label(stage.span, "missing label")
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
