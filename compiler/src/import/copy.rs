//! `COPY` and `ADD`, and the stages or images they copy from.

use super::lexer::{Instruction, Piece, json_form, lex_word, lex_words};
use super::words::*;
use super::*;
use std::fmt::Write;

impl Converter {
    /// An image named by `--from`: given `:latest` when it has no tag
    /// (msbc reads a bare name as a misspelt stage).
    pub(super) fn tagged(&mut self, image: String, line: usize) -> String {
        if has_tag(&image) {
            return image;
        }
        self.same(
            line,

            format!("`--from={image}` names no stage and has no tag: written as `{image}:latest`, which it means"),
        );
        format!("{image}:latest")
    }

    pub(super) fn use_stage(&mut self, i: usize) {
        if let Some(s) = self.stages.last_mut()
            && !s.uses.contains(&i)
        {
            s.uses.push(i);
        }
    }

    pub(super) fn copy(&mut self, ins: &Instruction) {
        let add = ins.cmd == "ADD";
        let mut props = String::new();
        let mut from_prop = String::new();
        for (k, v) in &ins.flags {
            let val = v.clone().unwrap_or_default();
            match (k.as_str(), add) {
                ("from", false) => {
                    let from = match self.stage_index(&val, false) {
                        Some(i) => {
                            self.use_stage(i);
                            self.stages[i].name.clone()
                        }
                        None => self.tagged(val, ins.line),
                    };
                    from_prop = format!(" from={}", kdl_str(&from));
                }
                ("chown", _) => {
                    let w = lex_word(&val, self.escape);
                    let t = self.word(&w, ins.line, false);
                    let _ = write!(props, " chown={}", kdl_str(&t));
                }
                ("chmod", _) => {
                    if (val.len() == 3 || val.len() == 4)
                        && val.chars().all(|c| ('0'..='7').contains(&c))
                    {
                        let _ = write!(props, " chmod={}", kdl_str(&val));
                    } else {
                        self.warn(
                            ins.line,
                            ImportCode::UnsupportedFlag,
                            format!("`--chmod={val}` is not an octal mode msbc takes; left out"),
                        );
                    }
                }
                ("link", _) => {
                    if v.as_deref().is_none_or(|v| v == "true") {
                        props.push_str(" link=#true");
                    }
                }
                _ => self.warn(
                    ins.line,
                    ImportCode::UnsupportedFlag,
                    format!(
                        "`{} --{k}` cannot be expressed in a spec; left out",
                        ins.cmd
                    ),
                ),
            }
        }
        if !ins.heredocs.is_empty() {
            self.warn(ins.line, ImportCode::UnsupportedInstruction, format!("`{}` of a heredoc (an inline file) cannot be expressed; write the file into the context and copy it", ins.cmd));
            return;
        }
        let words: Vec<Vec<Piece>> = match json_form(&ins.rest) {
            Some(list) => list.iter().map(|s| lex_word(s, self.escape)).collect(),
            None => lex_words(&ins.rest, self.escape),
        };
        if words.len() < 2 {
            self.warn(
                ins.line,
                ImportCode::Approximated,
                format!("`{}` needs a source and a destination; left out", ins.cmd),
            );
            return;
        }
        if add {
            for w in &words[..words.len() - 1] {
                let text = pieces_text(w);
                let lower = text.to_ascii_lowercase();
                if lower.starts_with("http://")
                    || lower.starts_with("https://")
                    || lower.starts_with("git@")
                {
                    self.warn(ins.line, ImportCode::RemoteAdd, format!("`ADD {text}` fetches a URL, which a spec cannot; use `run \"curl ...\"` (left out)"));
                    return;
                }
                if [
                    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
                ]
                .iter()
                .any(|e| lower.ends_with(e))
                {
                    self.warn(ins.line, ImportCode::RemoteAdd, format!("`ADD {text}` unpacks an archive, which a spec cannot; copy it and unpack it in a `run` (left out)"));
                    return;
                }
            }
            self.same(
                ins.line,
                "`ADD` of local files is written as `copy`, which does the same",
            );
        }
        let texts: Vec<String> = words
            .iter()
            .map(|w| self.word(w, ins.line, false))
            .collect();
        let (dest, sources) = match texts.split_last() {
            Some(x) => x,
            None => return,
        };
        self.step(format!(
            "copy {}{from_prop} to={}{props}",
            kdl_list(sources),
            kdl_str(dest)
        ));
    }
}
