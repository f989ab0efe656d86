//! The checks of a lowered spec, one phase over the IR: policies (E04xx),
//! build secrets that could reach the image (E0501), image references the
//! args' defaults break (E0302), then, on a spec without errors, the
//! best-practice lints (W0001–W0005).
//!
//! Each rule is one file in `rules/`, listed once in [`RULES`] (code, the
//! function, its explanation). A rule walks the [`Model`]'s stages and
//! steps (kinds, `from=` chains, resolved sources, args); where it points at
//! a value inside a step it asks [`Ctx::sources`] for the step node the IR
//! step was lowered from (by the step's span, never by position). The
//! image references are the model's ([`Model::images`], found once per
//! compile, with what the build pulls by default).

mod facts;
mod rules;
#[cfg(test)]
pub(crate) mod said;

pub use rules::{Check, RULES, Rule};

use crate::diag::{Diagnostics, Severity, Span};
use crate::lower::Model;
use crate::syntax::ast::{self, Document};
use std::collections::HashMap;

/// What every rule reads: the expanded spec (its top-level declarations:
/// args, toolchains, artifacts, policies), the model lowered from it, and
/// the step nodes by span.
pub struct Ctx<'a> {
    /// The expanded spec.
    pub doc: &'a Document,
    /// Its stages, in declaration order (`StageId` = index).
    pub model: &'a Model,
    steps: HashMap<Span, &'a ast::Step>,
}

impl<'a> Ctx<'a> {
    fn new(doc: &'a Document, model: &'a Model) -> Self {
        let steps = doc
            .stages
            .iter()
            .flat_map(|d| d.steps.iter())
            .map(|s| (s.span, s))
            .collect();
        Ctx { doc, model, steps }
    }

    /// The step nodes stage `i`'s steps were lowered from, in step order:
    /// its own and those an `extend=#true` stage added. A toolchain's `env`
    /// has no node of its own; an `Args` step shares its node with the step
    /// after it (counted once).
    pub fn sources(&self, i: usize) -> Vec<&'a ast::Step> {
        let mut out: Vec<&'a ast::Step> = Vec::new();
        let Some(stage) = self.model.stages.get(i) else {
            return out;
        };
        let mut last = None;
        for step in &stage.steps {
            if last == Some(step.span) {
                continue;
            }
            last = Some(step.span);
            if let Some(node) = self.steps.get(&step.span) {
                out.push(node);
            }
        }
        out
    }

    /// The step nodes of every stage, stage by stage.
    pub fn all_sources(&self) -> Vec<&'a ast::Step> {
        (0..self.model.stages.len())
            .flat_map(|i| self.sources(i))
            .collect()
    }

    /// The images (not the stages) of the model, with their index.
    pub fn images(&self) -> impl Iterator<Item = (usize, &'a crate::ir::Stage)> {
        let stages = self.model.stages.iter().enumerate();
        stages.filter(|(_, s)| s.kind == crate::ir::StageKind::Image)
    }

    /// The index of the stage named `name`.
    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.model.stages.iter().position(|s| s.name == name)
    }
}

/// Runs every rule of [`RULES`] on `model` (lowered from `doc`): the errors
/// first; the warnings only when there are no errors anywhere (they would
/// be follow-on noise). `None` when the spec has errors.
pub fn check(doc: &Document, model: Model, diags: &mut Diagnostics) -> Option<Model> {
    let ctx = Ctx::new(doc, &model);
    run(&ctx, Severity::Error, diags);
    if diags.has_errors() {
        return None;
    }
    run(&ctx, Severity::Warning, diags);
    Some(model)
}

/// Runs the rules of one severity in registry order. A run of policy
/// rules is applied policy by policy (every rule of the first policy, then
/// of the next), as the policies are written.
fn run(ctx: &Ctx<'_>, severity: Severity, diags: &mut Diagnostics) {
    let rules: Vec<&Rule> = RULES
        .iter()
        .filter(|r| r.code.severity() == severity)
        .collect();
    let mut i = 0;
    while i < rules.len() {
        match rules[i].check {
            Check::Spec(f) => {
                f(ctx, diags);
                i += 1;
            }
            Check::Policy(_) => {
                let end = i + rules[i..]
                    .iter()
                    .take_while(|r| matches!(r.check, Check::Policy(_)))
                    .count();
                for policy in &ctx.doc.policies {
                    for rule in &rules[i..end] {
                        if let Check::Policy(f) = rule.check {
                            f(ctx, policy, diags);
                        }
                    }
                }
                i = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::said::codes;

    /// Policy rules run policy by policy (every rule of the first policy,
    /// then of the second), then E0501; warnings only without errors.
    #[test]
    fn policies_report_in_the_order_they_are_written() {
        let spec = "msbc 1\npolicy {\n    allowed-registries \"gcr.io\"\n    require-digest #true\n}\npolicy {\n    allowed-registries \"quay.io\"\n}\nimage app from=\"alpine:3.20\" {\n    user \"nobody\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        assert_eq!(
            codes(&checked),
            ["E0401", "E0402", "E0401"],
            "{:?}",
            checked.diagnostics
        );
        assert!(checked.model.is_none());
    }

    /// The checks see every step of a stage, by span: `Args` steps (which
    /// share their span with the step after them) do not count it twice.
    #[test]
    fn a_step_after_an_arg_is_checked_once() {
        let spec = "msbc 1\narg SUFFIX \"x\"\nimage app from=\"alpine:3.20\" {\n    user \"1000\"\n    env API_TOKEN=\"${SUFFIX}-secret\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        let w0003 = checked
            .diagnostics
            .iter()
            .filter(|d| d.code.to_string() == "W0003")
            .count();
        assert_eq!(w0003, 1, "{:?}", checked.diagnostics);
    }
}
