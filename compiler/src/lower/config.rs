//! Lowering the config-only steps (`ast::ConfigStep` → `ir::ConfigStep`),
//! and the rule that only the last `entrypoint`, `cmd` and `healthcheck` of
//! a stage take effect.

use super::scope::Scope;
use super::steps::Ctx;
use crate::ir::{self, ConfigStep, StepKind, Word};
use crate::syntax::ast;

impl Ctx<'_, '_> {
    /// One config-only step; `env` and `shell` change what later steps see.
    pub(super) fn config(&mut self, step: &ast::ConfigStep, scope: &mut Scope) -> ConfigStep {
        use ast::ConfigStep as S;
        match step {
            S::Env(pairs) => ConfigStep::Env {
                vars: self.env(pairs, scope),
            },
            S::Label(pairs) => ConfigStep::Label {
                labels: pairs
                    .iter()
                    .map(|(k, v)| (k.value.clone(), self.word(v, scope, false)))
                    .collect(),
            },
            S::User(u) => ConfigStep::User {
                user: self.word(u, scope, false),
            },
            S::Expose(ports) => ConfigStep::Expose {
                ports: ports
                    .iter()
                    .map(|p| ir::Port {
                        number: p.number,
                        end: p.end,
                        protocol: match p.protocol {
                            ast::Protocol::Tcp => ir::Protocol::Tcp,
                            ast::Protocol::Udp => ir::Protocol::Udp,
                            ast::Protocol::Sctp => ir::Protocol::Sctp,
                        },
                    })
                    .collect(),
            },
            S::Entrypoint(args) => ConfigStep::Entrypoint {
                args: strings(args),
            },
            S::Cmd(args) => ConfigStep::Cmd {
                args: strings(args),
            },
            S::Healthcheck(check) => ConfigStep::Healthcheck {
                check: check.as_ref().map(|h| ir::Healthcheck {
                    command: strings(&h.command),
                    interval: h.interval.as_ref().map(|d| d.text.clone()),
                    timeout: h.timeout.as_ref().map(|d| d.text.clone()),
                    start_period: h.start_period.as_ref().map(|d| d.text.clone()),
                    start_interval: h.start_interval.as_ref().map(|d| d.text.clone()),
                    retries: h.retries,
                }),
            },
            S::Volume(paths) => ConfigStep::Volume {
                paths: self.words(paths, scope),
            },
            S::StopSignal(s) => ConfigStep::StopSignal {
                signal: s.value.clone(),
            },
            S::Shell(args) => {
                scope.shell = Some(strings(args));
                ConfigStep::Shell {
                    args: strings(args),
                }
            }
        }
    }

    /// `env` pairs (a step's or a toolchain's), left to right: each pair
    /// sees the ones before it.
    pub(super) fn env(
        &mut self,
        pairs: &[(ast::Ident, ast::Interp)],
        scope: &mut Scope,
    ) -> Vec<(String, Word)> {
        let mut vars = Vec::new();
        for (k, v) in pairs {
            vars.push((k.name.clone(), self.word(v, scope, false)));
            scope.env.push(k.name.clone());
        }
        vars
    }
}

fn strings(values: &[ast::Str]) -> Vec<String> {
    values.iter().map(|s| s.value.clone()).collect()
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
