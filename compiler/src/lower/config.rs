//! Lowering the config-only steps (`ast::ConfigStep` → `ir::ConfigStep`,
//! one generic `domain::ConfigStep::map` with [`Lowering`] making each
//! part), and the rule that only the last `entrypoint`, `cmd` and
//! `healthcheck` of a stage take effect.

use super::scope::Scope;
use super::steps::Ctx;
use crate::domain::Convert;
use crate::ir::{self, ConfigStep, StepKind, Word};
use crate::syntax::ast;

impl Ctx<'_, '_> {
    /// One config-only step; `env` and `shell` change what later steps see.
    pub(super) fn config(&mut self, step: &ast::ConfigStep, scope: &mut Scope) -> ConfigStep {
        let lowered = step.map(&mut Lowering { ctx: self, scope });
        if let ConfigStep::Shell { args } = &lowered {
            scope.shell = Some(args.clone());
        }
        lowered
    }

    /// `env` pairs (a step's or a toolchain's), left to right: each pair
    /// sees the ones before it.
    pub(super) fn env(
        &mut self,
        pairs: &[(ast::Ident, ast::Interp)],
        scope: &mut Scope,
    ) -> Vec<(String, Word)> {
        let mut lowering = Lowering { ctx: self, scope };
        pairs
            .iter()
            .map(|(k, v)| {
                let v = lowering.word(v);
                (lowering.name(k), v)
            })
            .collect()
    }
}

/// How each part of a config-only step is lowered: words resolved in the
/// stage's scope, which each `env` name joins once its value is made.
struct Lowering<'c, 'a, 'b> {
    ctx: &'c mut Ctx<'a, 'b>,
    scope: &'c mut Scope,
}

impl Convert<ast::Written, ir::Lowered> for Lowering<'_, '_, '_> {
    fn name(&mut self, name: &ast::Ident) -> String {
        self.scope.env.push(name.name.clone());
        name.name.clone()
    }

    fn word(&mut self, word: &ast::Interp) -> Word {
        self.ctx.word(word, self.scope, false)
    }

    fn text(&mut self, text: &ast::Str) -> String {
        text.value.clone()
    }

    fn healthcheck(&mut self, h: &ast::Healthcheck) -> ir::Healthcheck {
        let text = |d: &Option<ast::Duration>| d.as_ref().map(|d| d.text.clone());
        ir::Healthcheck {
            command: h.command.iter().map(|s| self.text(s)).collect(),
            interval: text(&h.interval),
            timeout: text(&h.timeout),
            start_period: text(&h.start_period),
            start_interval: text(&h.start_interval),
            retries: h.retries,
        }
    }
}

/// Within a stage only the last `entrypoint`, `cmd` and `healthcheck` take
/// effect; earlier ones are dropped (hadolint rejects repeated ENTRYPOINT
/// and HEALTHCHECK instructions).
pub(super) fn keep_last_config(stages: &mut [ir::Stage]) {
    for stage in stages {
        let key = |k: &StepKind| match k {
            StepKind::Config(c) => c.last_wins(),
            StepKind::Args { .. }
            | StepKind::Workdir { .. }
            | StepKind::Copy(_)
            | StepKind::Run(_) => None,
        };
        let mut last = [None; 3];
        for (i, step) in stage.steps.iter().enumerate() {
            if let Some(k) = key(&step.kind) {
                if let Some(slot) = last.get_mut(k) {
                    *slot = Some(i);
                }
            }
        }
        let mut i = 0;
        stage.steps.retain(|step| {
            let keep = key(&step.kind).is_none_or(|k| last.get(k).copied().flatten() == Some(i));
            i += 1;
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::StepKind;

    fn checked(steps: &str) -> crate::compile::Checked {
        let spec =
            format!("msbc 1\nimage app from=\"alpine:3.20\" {{\n    user \"1\"\n{steps}}}\n");
        crate::compile::check(spec.as_bytes())
    }

    fn count(checked: &crate::compile::Checked, code: &str) -> usize {
        let codes = checked.diagnostics.iter().map(|d| d.code.to_string());
        codes.filter(|c| c == code).count()
    }

    /// Each `env` pair sees the pairs before it, not itself or later ones:
    /// a `${A}` not after an `A=` can only come from the base image (W0007).
    #[test]
    fn an_env_value_sees_the_names_before_it() {
        for (env, w0007) in [
            ("A=\"1\" C=\"${A}\"", 0),
            ("B=\"${A}\" A=\"1\" C=\"${A}\"", 1),
            ("A=\"${A}:x\"", 1),
        ] {
            let c = checked(&format!("    env {env}\n"));
            assert_eq!(count(&c, "W0007"), w0007, "{env}: {:?}", c.diagnostics);
        }
    }

    /// A `shell` step is the shell of the `run` steps after it.
    #[test]
    fn a_shell_step_sets_the_shell_of_later_runs() {
        let c = checked("    run \"a\"\n    shell \"/bin/bash\" \"-c\"\n    run \"b\"\n");
        let Some(model) = c.model else {
            panic!("no model: {:?}", c.diagnostics)
        };
        let shells: Vec<Option<Vec<String>>> = model
            .stages
            .iter()
            .flat_map(|s| &s.steps)
            .filter_map(|s| match &s.kind {
                StepKind::Run(r) => Some(r.shell.clone()),
                _ => None,
            })
            .collect();
        let bash = vec!["/bin/bash".to_string(), "-c".to_string()];
        assert_eq!(shells, [None, Some(bash)]);
    }
}
