//! E0404: an image without a label the policy requires (set in its own
//! steps or in a stage of its `from=` chain).

use super::super::Ctx;
use super::super::facts::chain;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::StageKind;
use crate::syntax::ast::{ImageValue, PolicyDecl};

pub(super) fn check(ctx: &Ctx<'_>, policy: &PolicyDecl, diags: &mut Diagnostics) {
    for (i, stage) in ctx
        .model
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StageKind::Image)
    {
        let sources: Vec<_> = chain(i, ctx.model)
            .into_iter()
            .flat_map(|s| ctx.sources(s))
            .collect();
        let present: Vec<&str> = sources
            .iter()
            .flat_map(|st| st.kind.image_values())
            .filter_map(|v| match v {
                ImageValue::Label(k, _) => Some(k.value.as_str()),
                _ => None,
            })
            .collect();
        for required in &policy.required_labels {
            if !present.contains(&required.value.as_str()) {
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
