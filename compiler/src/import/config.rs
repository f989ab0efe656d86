//! The image-config instructions with more than one word: `ENV`,
//! `LABEL`, `EXPOSE`, `ENTRYPOINT`/`CMD` and `HEALTHCHECK`.

use super::lexer::{Instruction, Piece, json_form, lex_word, lex_words};
use super::words::*;
use super::*;
use std::fmt::Write;

impl Converter {
    pub(super) fn env(&mut self, ins: &Instruction) {
        let words = lex_words(&ins.rest, self.escape);
        let mut pairs: Vec<(String, Vec<Piece>)> = Vec::new();
        let first_has_eq = words
            .first()
            .is_some_and(|w| matches!(w.first(), Some(Piece::Lit(s)) if s.contains('=')));
        if !first_has_eq {
            // Legacy `ENV NAME value with spaces`.
            let trimmed = ins.rest.trim_start();
            let (name, value) = match trimmed.find(char::is_whitespace) {
                Some(p) => (&trimmed[..p], trimmed[p..].trim_start()),
                None => (trimmed, ""),
            };
            pairs.push((name.to_string(), lex_word(value, self.escape)));
        } else {
            for w in &words {
                let (k, v) = split_pair(w);
                pairs.push((k, v.unwrap_or_default()));
            }
        }
        let mut props = Vec::new();
        let mut names = Vec::new();
        for (k, v) in pairs {
            if k.is_empty() {
                continue;
            }
            let value = self.word(&v, ins.line, false);
            props.push(format!("{}={}", kdl_key(&k), kdl_str(&value)));
            names.push(k);
        }
        if !props.is_empty() {
            self.step(format!("env {}", props.join(" ")));
        }
        self.scope_mut().env.extend(names);
    }

    pub(super) fn label(&mut self, ins: &Instruction) {
        let words = lex_words(&ins.rest, self.escape);
        let mut props = Vec::new();
        let legacy = words
            .first()
            .is_some_and(|w| !matches!(w.first(), Some(Piece::Lit(s)) if s.contains('=')));
        let pairs: Vec<(String, Vec<Piece>)> = if legacy {
            let trimmed = ins.rest.trim_start();
            match trimmed.find(char::is_whitespace) {
                Some(p) => vec![(
                    pieces_text(&lex_word(&trimmed[..p], self.escape)),
                    lex_word(trimmed[p..].trim_start(), self.escape),
                )],
                None => Vec::new(),
            }
        } else {
            words
                .iter()
                .map(|w| {
                    let (k, v) = split_pair(w);
                    (k, v.unwrap_or_default())
                })
                .collect()
        };
        for (k, v) in pairs {
            let value = self.word(&v, ins.line, false);
            props.push(format!("{}={}", kdl_str(&k), kdl_str(&value)));
        }
        if !props.is_empty() {
            self.step(format!("label {}", props.join(" ")));
        }
    }

    pub(super) fn expose(&mut self, ins: &Instruction) {
        let mut ports = Vec::new();
        for w in lex_words(&ins.rest, self.escape) {
            match literal(&w) {
                Some(p) => {
                    let p = p.strip_suffix("/tcp").unwrap_or(&p).to_string();
                    if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() {
                        ports.push(p);
                    } else {
                        ports.push(kdl_str(&p));
                    }
                }
                None => self.warn(
                    ins.line,
                    ImportCode::UnmappedVariable,
                    "a port with a variable cannot be expressed (`expose` takes numbers); left out",
                ),
            }
        }
        if !ports.is_empty() {
            self.step(format!("expose {}", ports.join(" ")));
        }
    }

    /// ENTRYPOINT/CMD arguments: exec form as is, shell form through the shell.
    pub(super) fn exec_or_shell(&mut self, ins: &Instruction) -> Vec<String> {
        if let Some(args) = json_form(&ins.rest) {
            return args;
        }
        if ins.rest.is_empty() {
            return Vec::new();
        }
        let mut args = self
            .scope()
            .shell
            .clone()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
        args.push(ins.rest.clone());
        args
    }

    pub(super) fn healthcheck(&mut self, ins: &Instruction) {
        let rest = ins.rest.trim();
        let (kind, cmd) = match rest.find(char::is_whitespace) {
            Some(p) => (&rest[..p], rest[p..].trim_start()),
            None => (rest, ""),
        };
        if kind.eq_ignore_ascii_case("NONE") {
            self.step("healthcheck #null".into());
            return;
        }
        if !kind.eq_ignore_ascii_case("CMD") || cmd.is_empty() {
            self.warn(
                ins.line,
                ImportCode::Approximated,
                "a `HEALTHCHECK` without `CMD` is left out",
            );
            return;
        }
        let command: Vec<String> = match json_form(cmd) {
            Some(list) if list.len() == 1 => {
                self.warn(
                    ins.line,
                    ImportCode::Approximated,
                    "a one-element exec-form HEALTHCHECK is written in shell form",
                );
                list
            }
            Some(list) if !list.is_empty() => list,
            _ => vec![cmd.to_string()],
        };
        let mut line = format!("healthcheck {}", kdl_list(&command));
        for (k, v) in &ins.flags {
            let v = v.clone().unwrap_or_default();
            match k.as_str() {
                "interval" | "timeout" | "start-period" | "start-interval" => {
                    if v != "0" && v != "0s" {
                        let _ = write!(line, " {k}={}", kdl_str(&v));
                    }
                }
                "retries" => match v.parse::<u32>() {
                    Ok(0) => {}
                    Ok(n) => {
                        let _ = write!(line, " retries={n}");
                    }
                    Err(_) => self.warn(
                        ins.line,
                        ImportCode::UnsupportedFlag,
                        format!("`--retries={v}` is not a number; left out"),
                    ),
                },
                _ => self.warn(
                    ins.line,
                    ImportCode::UnsupportedFlag,
                    format!("`HEALTHCHECK --{k}` is not supported; left out"),
                ),
            }
        }
        self.step(line);
    }
}
