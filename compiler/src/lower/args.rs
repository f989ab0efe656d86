//! Arg placement: which args and platform args a step uses, and the `Args`
//! steps that bring each into scope right before its first use.

use super::PLATFORM_ARGS;
use super::names::Names;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, Base, StageId, StepKind, VarSource, Word, WordPart};
use crate::syntax::ast::{Document, Part};
use crate::syntax::interp;

/// The spec's args as the IR has them. A default may name the args
/// declared before it (`arg BASE "node:${NODE_VERSION}-slim"`), as a
/// Dockerfile's ARG default does: such a default is also a word (E0301 for
/// a malformed `${`, E0205 for a name that is no earlier arg).
pub(super) fn arg_defs(doc: &Document, diags: &mut Diagnostics) -> Vec<ir::ArgDef> {
    let mut out: Vec<ir::ArgDef> = Vec::new();
    for a in &doc.args {
        let default_word = a
            .default
            .as_ref()
            .filter(|d| d.value.contains('$'))
            .and_then(|d| interp::parse(d).map_err(|e| diags.push(e)).ok())
            .map(|value| {
                let earlier: Vec<&str> = out.iter().map(|a| a.name.as_str()).collect();
                let parts = value.parts.iter().map(|p| match p {
                    Part::Lit(text) => WordPart::Text { text: text.clone() },
                    Part::Var { name, default, span } => {
                        if !earlier.contains(&name.as_str()) {
                            let what = if *name == a.name.name {
                                "an arg's default cannot name the arg itself".to_string()
                            } else if doc.args.iter().any(|b| b.name.name == *name) {
                                format!("`{name}` is declared after `{}`", a.name.name)
                            } else {
                                format!("`{name}` is no arg")
                            };
                            diags.push(
                                Diagnostic::new(
                                    Code::UnknownVariable,
                                    format!("the default of arg `{}` names `${{{name}}}`: {what}", a.name.name),
                                )
                                .label(*span, "not an earlier arg")
                                .suggest_or(
                                    name,
                                    earlier.iter().copied(),
                                    "an arg's default may use the args declared before it (write `$${` for a literal `${`)",
                                ),
                            );
                        }
                        WordPart::Var {
                            name: name.clone(),
                            default: default.clone(),
                            source: VarSource::Arg,
                        }
                    }
                });
                Word(parts.collect())
            });
        out.push(ir::ArgDef {
            name: a.name.name.clone(),
            default: a.default.as_ref().map(|d| d.value.clone()),
            default_word,
        });
    }
    out
}

/// Inserts `Args` steps: each arg a stage uses is brought into scope right
/// before the first step that uses it (a word referencing it, or a run
/// script mentioning `$NAME`), unless the stage it is built on already did.
/// Declaring late keeps a changed arg from invalidating earlier steps' cache.
/// A declared `SOURCE_DATE_EPOCH` ([`ir::EPOCH_ARG`]) is used by every run:
/// the tools that honour it (CPython's bytecode, shadow's `useradd`, ...)
/// read it from the environment without the script naming it.
pub(super) fn declare_args(stages: &mut [ir::Stage], names: &Names<'_>) {
    let bases: Vec<Option<usize>> = stages
        .iter()
        .map(|s| match s.base {
            Base::Stage(StageId(i)) => Some(i),
            _ => None,
        })
        .collect();
    let order = super::names::base_first(stages.len(), |i| bases[i]);
    let known: Vec<&str> = names
        .args
        .iter()
        .copied()
        .chain(PLATFORM_ARGS.iter().copied())
        .collect();
    let epoch = names.args.contains(&ir::EPOCH_ARG);
    let mut declared_out: Vec<Vec<String>> = vec![Vec::new(); stages.len()];
    for i in order {
        let mut declared = bases[i]
            .map(|b| declared_out[b].clone())
            .unwrap_or_default();
        let steps = std::mem::take(&mut stages[i].steps);
        let mut new_steps = Vec::with_capacity(steps.len());
        for step in steps {
            let mut needed: Vec<String> = Vec::new();
            let mut uses = step_arg_uses(&step.kind, &known);
            if epoch && matches!(step.kind, StepKind::Run(_)) {
                uses.push(ir::EPOCH_ARG.to_string());
            }
            for name in uses {
                if !declared.contains(&name) && !needed.contains(&name) {
                    needed.push(name);
                }
            }
            if !needed.is_empty() {
                declared.extend(needed.iter().cloned());
                new_steps.push(ir::Step {
                    kind: StepKind::Args { names: needed },
                    line: step.line,
                    span: step.span,
                });
            }
            new_steps.push(step);
        }
        stages[i].steps = new_steps;
        declared_out[i] = declared;
    }
}

/// Args and platform args a step uses, in order of appearance.
pub(crate) fn step_arg_uses(step: &StepKind, known: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let from_word = |w: &Word, out: &mut Vec<String>| {
        for (name, source) in w.vars() {
            if matches!(source, VarSource::Arg | VarSource::Platform) {
                out.push(name.to_string());
            }
        }
    };
    match step {
        StepKind::Run(r) => out.extend(script_mentions(&r.script, known)),
        other => other
            .words()
            .into_iter()
            .for_each(|w| from_word(w, &mut out)),
    }
    out
}

/// Names from `known` that `script` mentions as `$NAME` or `${NAME...`.
pub(crate) fn script_mentions(script: &str, known: &[&str]) -> Vec<String> {
    let bytes = script.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let start = if bytes.get(i + 1) == Some(&b'{') {
                i + 2
            } else {
                i + 1
            };
            let end = bytes[start..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(bytes.len(), |p| start + p);
            if let Some(name) = script.get(start..end)
                && known.contains(&name)
                && !out.iter().any(|o| o == name)
            {
                out.push(name.to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::script_mentions;

    #[test]
    fn finds_dollar_names_on_word_boundaries() {
        let known = ["GO_VERSION", "TARGETOS", "TARGETARCH"];
        assert_eq!(
            script_mentions(
                "GOOS=$TARGETOS GOARCH=${TARGETARCH} go build; echo $GO_VERSIONX",
                &known
            ),
            vec!["TARGETOS".to_string(), "TARGETARCH".to_string()]
        );
        assert!(script_mentions("echo $$ ${} $", &known).is_empty());
    }

    /// A declared `SOURCE_DATE_EPOCH` is in scope of every run, named or
    /// not, once per stage chain (`app` is built on `deps`); another arg
    /// only where a step names it.
    #[test]
    fn a_declared_source_date_epoch_is_in_scope_of_every_run() {
        let spec = "msbc 1\narg SOURCE_DATE_EPOCH\narg V \"1\"\nstage deps from=\"debian:bookworm-slim\" {\n    workdir \"/w\"\n    run \"pip install flask\"\n}\nimage app from=deps {\n    run \"useradd app\"\n    run \"echo $V\"\n}\nimage other from=\"debian:bookworm-slim\" {\n    run \"true\"\n}\n";
        let model = crate::compile::check(spec.as_bytes())
            .model
            .expect("a model");
        let args: Vec<(String, Vec<String>)> = model
            .stages
            .iter()
            .flat_map(|s| {
                s.steps.iter().filter_map(|step| match &step.kind {
                    crate::ir::StepKind::Args { names } => Some((s.name.clone(), names.clone())),
                    _ => None,
                })
            })
            .collect();
        let epoch = || vec!["SOURCE_DATE_EPOCH".to_string()];
        assert_eq!(
            args,
            [
                ("deps".to_string(), epoch()),
                ("app".to_string(), vec!["V".to_string()]),
                ("other".to_string(), epoch()),
            ]
        );
    }
}
