//! `RUN`: its script in the shape a reader expects (heredocs, the exec
//! form, continued lines), its flags and its `--mount`s.

use super::lexer::{Instruction, json_form};
use super::words::*;
use super::*;
use std::fmt::Write;

impl Converter {
    pub(super) fn run(&mut self, ins: &Instruction) {
        let mut props = String::new();
        let mut mounts: Vec<String> = Vec::new();
        for (k, v) in &ins.flags {
            let v = v.clone().unwrap_or_default();
            match k.as_str() {
                "mount" => {
                    if let Some(m) = self.mount(&v, ins.line) {
                        mounts.push(m);
                    }
                }
                "network" => match v.as_str() {
                    "none" | "host" => {
                        let _ = write!(props, " network={}", kdl_str(&v));
                    }
                    "default" => {}
                    _ => self.warn(
                        ins.line,
                        ImportCode::UnsupportedFlag,
                        format!("`--network={v}` is not a network mode; left out"),
                    ),
                },
                _ => self.warn(
                    ins.line,
                    ImportCode::UnsupportedFlag,
                    format!("`RUN --{k}` cannot be expressed in a spec; left out"),
                ),
            }
        }
        let fed = match ins.heredocs.as_slice() {
            [only] => fed_heredoc(&ins.rest, only),
            _ => None,
        };
        let mut exec: Option<Vec<String>> = None;
        let script = match (json_form(&ins.rest), ins.heredocs.as_slice()) {
            (Some(argv), _) => {
                let shell = self
                    .scope()
                    .shell
                    .clone()
                    .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
                if argv.len() == shell.len() + 1 && argv[..shell.len()] == shell[..] {
                    argv[shell.len()].clone()
                } else {
                    exec = Some(argv);
                    String::new()
                }
            }
            // `RUN <<EOF` runs the body; its last newline changes nothing
            // (msbc writes one), so leave it out of the spec.
            (None, [only]) if is_whole_heredoc(&ins.rest) => {
                let body = &only.content;
                body.strip_suffix('\n').unwrap_or(body).to_string()
            }
            // `RUN <<EOT bash`: the command first, as a reader writes it.
            (None, [only]) if fed.is_some() => {
                let command = fed.unwrap_or_default();
                format!("{command} {}\n{}{}", only.word, only.content, only.name)
            }
            // Continued lines keep their shape where the shell reads them
            // as BuildKit joins them.
            (None, []) => match &ins.rest_lines {
                Some(lines) if continuations_join(lines) => lines.clone(),
                _ => ins.rest.clone(),
            },
            (None, docs) => {
                let mut s = ins.rest.clone();
                for h in docs {
                    s.push('\n');
                    s.push_str(&h.content);
                    s.push_str(&h.name);
                }
                s
            }
        };
        if let Some(argv) = &exec {
            if argv.is_empty() {
                self.warn(
                    ins.line,
                    ImportCode::Approximated,
                    "an empty `RUN` is left out",
                );
                return;
            }
            let line = format!("run {}{props} exec=#true", kdl_list(argv));
            self.step(with_mounts(line, &mounts));
            return;
        }
        if script.trim().is_empty() {
            self.warn(
                ins.line,
                ImportCode::Approximated,
                "an empty `RUN` is left out",
            );
            return;
        }
        let line = format!("run {}{props}", kdl_str(&script));
        self.step(with_mounts(line, &mounts));
    }

    /// A `--mount` value as a mount node inside `run { }`.
    pub(super) fn mount(&mut self, value: &str, line: usize) -> Option<String> {
        let fields = csv_fields(value);
        let mut kind = "bind".to_string();
        let mut kv: Vec<(String, String)> = Vec::new();
        for f in fields {
            let (k, v) = match f.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), v.to_string()),
                None => (f.to_ascii_lowercase(), "true".to_string()),
            };
            let k = match k.as_str() {
                "src" => "source".to_string(),
                "dst" | "destination" => "target".to_string(),
                "ro" => "readonly".to_string(),
                "rw" => "readwrite".to_string(),
                _ => k,
            };
            if k == "type" {
                kind = v;
            } else {
                kv.push((k, v));
            }
        }
        let get = |k: &str| kv.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut target = get("target");
        if let Some(t) = &target
            && !t.starts_with('/')
        {
            match &self.scope().workdir {
                Some(w) => target = Some(clean_path(&format!("{w}/{t}"))),
                None => {
                    self.warn(line, ImportCode::Approximated, format!("mount target `{t}` is relative to an unknown WORKDIR; written as `/{t}`"));
                    target = Some(format!("/{t}"));
                }
            }
        }
        let allowed: &[&str] = match kind.as_str() {
            "cache" => &["target", "id", "sharing"],
            "secret" => &["id", "target", "env", "required", "source"],
            "ssh" => &["id", "target", "required"],
            "tmpfs" => &["target", "size"],
            "bind" => &["target", "from", "source", "readwrite", "readonly"],
            other => {
                self.warn(
                    line,
                    ImportCode::UnsupportedFlag,
                    format!("mount type `{other}` is not supported; left out"),
                );
                return None;
            }
        };
        for (k, _) in &kv {
            if !allowed.contains(&k.as_str()) {
                self.warn(
                    line,
                    ImportCode::UnsupportedFlag,
                    format!("mount option `{k}` on a {kind} mount cannot be expressed; left out"),
                );
            }
        }
        let truthy = |k: &str| {
            get(k).is_some_and(|v| matches!(v.as_str(), "true" | "1" | "t" | "T" | "TRUE" | "True"))
        };
        let mut out = String::new();
        match kind.as_str() {
            "cache" => {
                let t = target?;
                let _ = write!(out, "cache {}", kdl_str(&t));
                if let Some(id) = get("id") {
                    let _ = write!(out, " id={}", kdl_str(&id));
                }
                if let Some(s) = get("sharing") {
                    let _ = write!(out, " sharing={}", kdl_str(&s));
                }
            }
            "secret" => {
                let id = get("source").or_else(|| get("id")).or_else(|| {
                    target
                        .as_ref()
                        .map(|t| t.rsplit('/').next().unwrap_or(t).to_string())
                })?;
                let _ = write!(out, "secret {}", kdl_str(&id));
                if let Some(t) = &target {
                    let _ = write!(out, " target={}", kdl_str(t));
                }
                if let Some(e) = get("env") {
                    let _ = write!(out, " env={}", kdl_str(&e));
                }
                if truthy("required") {
                    out.push_str(" required=#true");
                }
            }
            "ssh" => {
                out.push_str("ssh");
                if let Some(id) = get("id") {
                    let _ = write!(out, " id={}", kdl_str(&id));
                }
                if let Some(t) = &target {
                    let _ = write!(out, " target={}", kdl_str(t));
                }
                if truthy("required") {
                    out.push_str(" required=#true");
                }
            }
            "tmpfs" => {
                let t = target?;
                let _ = write!(out, "tmpfs {}", kdl_str(&t));
                if let Some(s) = get("size") {
                    let _ = write!(out, " size={}", kdl_str(&s));
                }
            }
            _ => {
                let t = target?;
                let _ = write!(out, "bind {}", kdl_str(&t));
                if let Some(f) = get("from") {
                    let from = match self.stage_index(&f, false) {
                        Some(i) => {
                            self.use_stage(i);
                            self.stages[i].name.clone()
                        }
                        None => self.tagged(f, line),
                    };
                    let _ = write!(out, " from={}", kdl_str(&from));
                }
                if let Some(s) = get("source") {
                    let _ = write!(out, " source={}", kdl_str(&s));
                }
                if truthy("readwrite") {
                    out.push_str(" rw=#true");
                }
            }
        }
        Some(out)
    }
}

/// Whether a RUN's text is only a heredoc word (`<<EOF`, `<<-'EOF'`, `3<<EOF`).
pub(super) fn is_whole_heredoc(rest: &str) -> bool {
    let t = rest.trim();
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    let Some(after) = t[digits..].strip_prefix("<<") else {
        return false;
    };
    let after = after.strip_prefix('-').unwrap_or(after).trim_start();
    !after.is_empty() && !after.contains(char::is_whitespace)
}

/// `RUN <<EOT bash -e` (a heredoc fed to a simple command): the command,
/// to be written before the heredoc (`bash -e <<EOT`), which the shell
/// reads the same. `None` when more than a simple command follows.
pub(super) fn fed_heredoc(rest: &str, heredoc: &lexer::Heredoc) -> Option<String> {
    let after = rest.strip_prefix(heredoc.word.as_str())?;
    if !after.starts_with([' ', '\t']) {
        return None;
    }
    let command = after.trim();
    let simple = !command.is_empty() && !command.contains(|c: char| "|&;<>()`#\n\r".contains(c));
    simple.then(|| command.to_string())
}

/// Whether a shell reads `lines` (a script with `\`-newline line
/// continuations) as it reads the one line BuildKit joins them into: no
/// continuation inside single quotes or a comment, where the shell keeps it.
pub(super) fn continuations_join(lines: &str) -> bool {
    #[derive(PartialEq)]
    enum In {
        Plain,
        Single,
        Double,
        Comment,
    }
    let mut state = In::Plain;
    let mut word_start = true;
    let mut chars = lines.chars().peekable();
    while let Some(c) = chars.next() {
        let continues = c == '\\' && chars.peek() == Some(&'\n');
        match state {
            In::Single | In::Comment if continues => return false,
            In::Single => {
                if c == '\'' {
                    state = In::Plain;
                }
            }
            In::Comment => {}
            In::Double => match c {
                '\\' => {
                    chars.next();
                }
                '"' => state = In::Plain,
                _ => {}
            },
            In::Plain => match c {
                '\\' => {
                    chars.next();
                }
                '\'' => state = In::Single,
                '"' => state = In::Double,
                '#' if word_start => state = In::Comment,
                _ => {}
            },
        }
        word_start = state == In::Plain && (c.is_whitespace() || ";&|()".contains(c));
    }
    true
}

/// `/a/./b/../c/` → `/a/c`, as BuildKit resolves a relative mount target.
pub(super) fn clean_path(path: &str) -> String {
    crate::paths::rooted(path)
}

/// CSV fields as BuildKit's `csvvalue` splits a `--mount` value.
pub(super) fn csv_fields(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.retain(|f| !f.is_empty());
    out
}

/// A `run` line with its mounts as a children block (none: the line as is).
fn with_mounts(mut line: String, mounts: &[String]) -> String {
    if !mounts.is_empty() {
        line.push_str(" {");
        for m in mounts {
            line.push_str("\n        ");
            line.push_str(m);
        }
        line.push_str("\n    }");
    }
    line
}
