//! W0005: stages that no image or target-only stage reaches.

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::StageKind;

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    let stages = &ctx.model.stages;
    let mut reached = vec![false; stages.len()];
    let mut todo: Vec<usize> = stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StageKind::Image || s.target_only)
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        todo.extend(stages[i].dependencies().iter().map(|d| d.0));
    }
    for (stage, reached) in stages.iter().zip(reached) {
        if !reached {
            diags.push(
                Diagnostic::new(Code::UnusedStage, format!("stage `{}` is not used by any image", stage.name))
                    .label(stage.span, "never built")
                    .help("use it (`from=`, `copy from=`, an artifact), mark it `target-only=#true`, or remove it"),
            );
        }
    }
}
