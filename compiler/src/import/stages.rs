//! `FROM` and `ARG`: stages and args; and writing the spec out.

use super::lexer::{Instruction, lex_word, lex_words};
use super::words::*;
use super::*;
use std::fmt::Write;

impl Converter {
    pub(super) fn from(&mut self, ins: &Instruction) -> Result<(), ImportError> {
        let words = lex_words(&ins.rest, self.escape);
        let raw_words: Vec<&str> = ins.rest.split_whitespace().collect();
        let (image, name) = match words.len() {
            1 => (&words[0], None),
            3 if raw_words
                .get(1)
                .is_some_and(|w| w.eq_ignore_ascii_case("as")) =>
            {
                (&words[0], literal(&words[2]))
            }
            _ => {
                return Err(not_dockerfile(
                    ins.line,
                    "FROM requires either one or three arguments (`FROM image [AS name]`)",
                ));
            }
        };
        let mut platform = None;
        for (k, v) in &ins.flags {
            match (k.as_str(), v) {
                ("platform", Some(v)) => {
                    let w = lex_word(v, self.escape);
                    platform = Some(self.word(&w, ins.line, true));
                }
                _ => self.warn(
                    ins.line,
                    ImportCode::UnsupportedFlag,
                    format!("`FROM --{k}` is not supported; left out"),
                ),
            }
        }
        let base = match literal(image) {
            Some(lit) if self.stage_index(&lit, true).is_some() => {
                BaseOut::Stage(self.stage_index(&lit, true).unwrap_or_default())
            }
            Some(lit) if lit == "scratch" => BaseOut::Image("scratch".into()),
            _ => {
                let mut text = self.word(image, ins.line, true);
                if literal(image).is_some() && !has_tag(&text) {
                    self.same(
                        ins.line,
                        format!("`{text}` has no tag: written as `{text}:latest`, which it means"),
                    );
                    text.push_str(":latest");
                }
                BaseOut::Image(text)
            }
        };
        let index = self.stages.len();
        let mut stage_name = match name {
            Some(n) => crate::syntax::to_stage_name(&n),
            None => format!("stage-{index}"),
        };
        if matches!(stage_name.as_str(), "scratch" | "context") {
            stage_name.push_str("-stage");
        }
        if self.stages.iter().any(|s| s.name == stage_name) {
            let renamed = format!("{stage_name}-{index}");
            self.same(
                ins.line,
                format!("a second stage named `{stage_name}` is renamed `{renamed}`"),
            );
            stage_name = renamed;
        }
        let scope = match base {
            BaseOut::Stage(i) => self.stages[i].scope.clone(),
            BaseOut::Image(_) => Scope::default(),
        };
        self.stages.push(StageOut {
            name: stage_name,
            base,
            platform,
            steps: Vec::new(),
            uses: Vec::new(),
            scope,
        });
        Ok(())
    }

    /// A stage by name (case-insensitive for `--from`) or index.
    pub(super) fn stage_index(&self, name: &str, exact: bool) -> Option<usize> {
        let by_name = self.stages.iter().position(|s| {
            if exact {
                s.name == name
            } else {
                s.name.eq_ignore_ascii_case(name)
            }
        });
        by_name.or_else(|| {
            (!exact)
                .then(|| name.parse::<usize>().ok())
                .flatten()
                .filter(|i| *i < self.stages.len())
        })
    }

    pub(super) fn arg(&mut self, ins: &Instruction) {
        for w in lex_words(&ins.rest, self.escape) {
            let (name, default) = split_pair(&w);
            if name.is_empty() || !is_var_name(&name) {
                self.warn(
                    ins.line,
                    ImportCode::Approximated,
                    format!("`ARG {name}` is not a valid arg name; left out"),
                );
                continue;
            }
            let default = default.map(|d| self.arg_default(&name, &d, ins.line));
            if self.stages.is_empty() {
                if !self.meta_args.contains(&name) {
                    self.meta_args.push(name.clone());
                }
                self.declare(&name, default, ins.line);
                continue;
            }
            if !is_builtin_arg(&name) {
                self.declare(&name, default, ins.line);
            }
            let scope = self.scope_mut();
            if !scope.args.contains(&name) {
                scope.args.push(name);
            }
        }
    }

    /// An ARG default as spec text: a spec's arg default may name the args
    /// declared before it, as a Dockerfile's does; `$` is doubled, and any
    /// other variable is kept as literal text (with a warning).
    fn arg_default(&mut self, arg: &str, pieces: &[Piece], line: usize) -> String {
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Lit(s) => out.push_str(&s.replace('$', "$$")),
                Piece::Var { name, default }
                    if self.args.iter().any(|(n, _)| n == name)
                        && default.as_deref().is_none_or(|d| !d.contains(['}', '$'])) =>
                {
                    match default {
                        Some(d) => {
                            let _ = write!(out, "${{{name}:-{d}}}");
                        }
                        None => {
                            let _ = write!(out, "${{{name}}}");
                        }
                    }
                }
                other => {
                    let text = pieces_text(std::slice::from_ref(other));
                    let why = match other {
                        Piece::Var { .. } => "which is no ARG declared before it",
                        _ => "which a spec cannot express (only `${NAME}` and `${NAME:-default}`)",
                    };
                    self.warn(
                        line,
                        ImportCode::UnmappedVariable,
                        format!(
                            "the default of `ARG {arg}` uses `{text}`, {why}; kept as literal text"
                        ),
                    );
                    out.push_str(&text.replace('$', "$$"));
                }
            }
        }
        out
    }

    pub(super) fn declare(&mut self, name: &str, default: Option<String>, line: usize) {
        if let Some(existing) = self.args.iter_mut().find(|(n, _)| n == name) {
            match (&existing.1, default) {
                (_, None) => {}
                (None, Some(d)) => existing.1 = Some(d),
                (Some(old), Some(d)) if *old != d => {
                    let old = old.clone();
                    self.warn(line, ImportCode::Approximated, format!("`ARG {name}` has defaults `{old}` and `{d}`; spec args are global, `{old}` is kept"));
                }
                _ => {}
            }
        } else if !is_builtin_arg(name) {
            self.args.push((name.to_string(), default));
        }
    }

    pub(super) fn render(&self) -> String {
        let mut out = String::from("msbc 1\n");
        if !self.args.is_empty() {
            out.push('\n');
            for (name, default) in &self.args {
                match default {
                    Some(d) => {
                        let _ = writeln!(out, "arg {name} {}", kdl_str(d));
                    }
                    None => {
                        let _ = writeln!(out, "arg {name}");
                    }
                }
            }
        }
        let used: Vec<bool> = (0..self.stages.len())
            .map(|i| {
                self.stages
                    .iter()
                    .any(|s| matches!(s.base, BaseOut::Stage(b) if b == i) || s.uses.contains(&i))
            })
            .collect();
        let last = self.stages.len().saturating_sub(1);
        for (i, s) in self.stages.iter().enumerate() {
            let kind = if i == last || !used[i] {
                "image"
            } else {
                "stage"
            };
            let from = match &s.base {
                BaseOut::Stage(b) => self.stages[*b].name.clone(),
                BaseOut::Image(t) => t.clone(),
            };
            let _ = write!(out, "\n{kind} {} from={}", kdl_key(&s.name), kdl_str(&from));
            if let Some(p) = &s.platform {
                let _ = write!(out, " platform={}", kdl_str(p));
            }
            if s.steps.is_empty() {
                out.push_str(" {\n}\n");
                continue;
            }
            out.push_str(" {\n");
            for step in &s.steps {
                let _ = writeln!(out, "    {step}");
            }
            out.push_str("}\n");
        }
        out
    }
}
