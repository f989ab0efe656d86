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

    fn key(&mut self, key: &ast::Str) -> String {
        key.value.clone()
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
