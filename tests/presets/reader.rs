//! A small Dockerfile reader: enough structure for the preset checks. Its
//! reading of every variant is compared with BuildKit's own parser in
//! `variants_pass_buildkit_and_hadolint` when the validators are installed.

#[derive(Debug, Clone)]
pub struct Instr {
    pub cmd: String,
    pub flags: Vec<String>,
    /// What follows the flags (for a heredoc `RUN`, the `<<EOF` marker).
    pub rest: String,
    /// The heredoc body of a `RUN <<EOF`.
    pub heredoc: Option<String>,
}

impl Instr {
    /// Exec (JSON) form: `["prog", "arg"]`.
    pub fn exec_form(&self) -> Option<Vec<String>> {
        serde_json::from_str(&self.rest).ok()
    }

    /// The script of a `RUN`: its heredoc body or its shell-form text.
    pub fn script(&self) -> &str {
        self.heredoc.as_deref().unwrap_or(&self.rest)
    }

    pub fn words(&self) -> Vec<&str> {
        self.rest.split_whitespace().collect()
    }

    /// `--from=` of a `COPY`.
    pub fn copy_from(&self) -> Option<&str> {
        self.flags.iter().find_map(|f| f.strip_prefix("--from="))
    }

    /// Sources of a `COPY` (every word but the destination).
    pub fn copy_sources(&self) -> Vec<&str> {
        let w = self.words();
        w[..w.len().saturating_sub(1)].to_vec()
    }
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    /// The `FROM` reference, global args replaced by their defaults.
    pub base: String,
    pub instrs: Vec<Instr>,
}

#[derive(Debug)]
pub struct Dockerfile {
    pub text: String,
    /// Global `ARG`s (before the first `FROM`) with their defaults.
    pub args: Vec<(String, String)>,
    pub stages: Vec<Stage>,
}

pub fn instructions(text: &str) -> Vec<Instr> {
    let mut out: Vec<Instr> = Vec::new();
    let mut current = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if current.is_empty() && (line.trim_start().starts_with('#') || line.trim().is_empty()) {
            continue;
        }
        if let Some(part) = line.strip_suffix('\\') {
            current.push_str(part.trim_start());
            current.push(' ');
            continue;
        }
        current.push_str(line.trim_start());
        let logical = std::mem::take(&mut current);
        let (cmd, after) = logical.split_once(' ').unwrap_or((logical.as_str(), ""));
        let mut flags = Vec::new();
        let mut rest = after.trim_start();
        while rest.starts_with("--") {
            let (flag, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            flags.push(flag.to_string());
            rest = tail.trim_start();
        }
        let mut heredoc = None;
        if let Some(marker) = rest.strip_prefix("<<") {
            let end = marker
                .trim_start_matches('-')
                .trim_matches(['\'', '"'])
                .to_string();
            let mut body = String::new();
            for l in lines.by_ref() {
                if l == end {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            heredoc = Some(body);
        }
        out.push(Instr {
            cmd: cmd.to_ascii_uppercase(),
            flags,
            rest: rest.trim_end().to_string(),
            heredoc,
        });
    }
    out
}

pub fn parse(text: &str) -> Dockerfile {
    let mut args: Vec<(String, String)> = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for i in instructions(text) {
        if i.cmd == "FROM" {
            let w = i.words();
            assert!(
                w.len() == 3 && w[1].eq_ignore_ascii_case("as"),
                "FROM without a stage name: {i:?}"
            );
            let mut base = w[0].to_string();
            for (name, value) in &args {
                base = base.replace(&format!("${{{name}}}"), value);
            }
            stages.push(Stage {
                name: w[2].to_string(),
                base,
                instrs: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instrs.push(i);
        } else if i.cmd == "ARG" {
            let (name, value) = i.rest.split_once('=').unwrap_or((i.rest.as_str(), ""));
            args.push((name.to_string(), value.trim_matches('"').to_string()));
        }
    }
    Dockerfile {
        text: text.to_string(),
        args,
        stages,
    }
}

impl Dockerfile {
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    pub fn last(&self) -> &Stage {
        self.stages.last().expect("a stage")
    }

    /// The instructions that make `stage`: those of the stages it is built
    /// `FROM`, then its own.
    pub fn chain<'a>(&'a self, stage: &'a Stage) -> Vec<&'a Instr> {
        let mut out: Vec<&Instr> = Vec::new();
        if let Some(parent) = self.stage(&stage.base).filter(|p| p.name != stage.name) {
            out = self.chain(parent);
        }
        out.extend(stage.instrs.iter());
        out
    }
}
