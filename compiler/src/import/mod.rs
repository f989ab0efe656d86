//! `msbc import`: a Dockerfile → an equivalent `build.kdl`.
//!
//! [`lexer`] reads the Dockerfile as BuildKit's parser does; this module
//! maps each instruction onto the spec language: stages keep their names
//! (unnamed ones become `stage-N`), the final stage and every stage nothing
//! else builds on become `image`s, `ARG`s become top-level `arg`s (msbc
//! places `ARG` lines itself), `COPY --from` stays `copy from=STAGE`.
//! What the spec cannot say is left out with a located, coded [`Warning`].
//! Pure: text in, KDL text and warnings out.

pub mod lexer;

use lexer::{Instruction, Piece, json_form, lex_word, lex_words};
use std::fmt::Write;

/// Import codes. Warnings: `I001`–`I099`; errors (the input is not a
/// Dockerfile msbc can read): `I1xx`. They are not spec diagnostics (there
/// is no `build.kdl` to point into), so they live here, not in `diag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ImportCode {
    /// An instruction the spec has no equivalent for (ONBUILD, MAINTAINER).
    UnsupportedInstruction,
    /// A flag or option the spec cannot express (RUN --security, ...).
    UnsupportedFlag,
    /// A variable that is neither a declared ARG nor an earlier ENV.
    UnmappedVariable,
    /// ADD of a URL, git repository or archive.
    RemoteAdd,
    /// Written in an equivalent but different form.
    Approximated,
    /// The input is not UTF-8 text.
    NotText,
    /// The input does not parse as a Dockerfile.
    NotDockerfile,
    /// The input has no `FROM`.
    NoStage,
}

impl ImportCode {
    pub const ALL: &'static [ImportCode] = &[
        ImportCode::UnsupportedInstruction,
        ImportCode::UnsupportedFlag,
        ImportCode::UnmappedVariable,
        ImportCode::RemoteAdd,
        ImportCode::Approximated,
        ImportCode::NotText,
        ImportCode::NotDockerfile,
        ImportCode::NoStage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportCode::UnsupportedInstruction => "I001",
            ImportCode::UnsupportedFlag => "I002",
            ImportCode::UnmappedVariable => "I003",
            ImportCode::RemoteAdd => "I004",
            ImportCode::Approximated => "I005",
            ImportCode::NotText => "I101",
            ImportCode::NotDockerfile => "I102",
            ImportCode::NoStage => "I103",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            ImportCode::UnsupportedInstruction => "unsupported-instruction",
            ImportCode::UnsupportedFlag => "unsupported-flag",
            ImportCode::UnmappedVariable => "unmapped-variable",
            ImportCode::RemoteAdd => "remote-add",
            ImportCode::Approximated => "approximated",
            ImportCode::NotText => "not-text",
            ImportCode::NotDockerfile => "not-a-dockerfile",
            ImportCode::NoStage => "no-stage",
        }
    }
}

impl std::fmt::Display for ImportCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the spec does not say exactly as the Dockerfile did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub code: ImportCode,
    pub message: String,
    /// The spec builds something else than the Dockerfile (an instruction,
    /// flag or value left out or changed), as opposed to the same build
    /// written another way (`ADD` of local files as `copy`, `:latest`
    /// spelled out). `msbc diff` reports these as differences.
    pub lossy: bool,
}

/// Why the input cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based; 0 when no line is to blame.
    pub line: usize,
    pub code: ImportCode,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}

/// An imported spec.
#[derive(Debug, Clone)]
pub struct Imported {
    pub kdl: String,
    pub warnings: Vec<Warning>,
}

const PLATFORM_ARGS: &[&str] = crate::lower::PLATFORM_ARGS;

/// Proxy args BuildKit passes to RUN without a declaration.
fn is_builtin_arg(name: &str) -> bool {
    PLATFORM_ARGS.contains(&name)
        || matches!(
            name.to_ascii_lowercase().as_str(),
            "http_proxy" | "https_proxy" | "ftp_proxy" | "no_proxy" | "all_proxy"
        )
        || matches!(name, "TARGETSTAGE" | "BUILDOSVERSION" | "TARGETOSVERSION")
}

/// Imports a Dockerfile's bytes.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError {
        line: 0,
        code: ImportCode::NotText,
        message: format!(
            "the input is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ),
    })?;
    if text.contains('\0') {
        return Err(ImportError {
            line: 0,
            code: ImportCode::NotText,
            message: "the input is binary (it holds NUL bytes), not a Dockerfile".to_string(),
        });
    }
    let df = lexer::parse(text).map_err(|e| ImportError {
        line: e.line,
        code: ImportCode::NotDockerfile,
        message: e.message,
    })?;
    let mut c = Converter {
        escape: df.escape,
        ..Converter::default()
    };
    for ins in &df.instructions {
        c.instruction(ins)?;
    }
    if c.stages.is_empty() {
        return Err(ImportError {
            line: 0,
            code: ImportCode::NoStage,
            message: "no `FROM` instruction: not a Dockerfile, or an empty one".to_string(),
        });
    }
    Ok(Imported {
        kdl: c.render(),
        warnings: c.warnings,
    })
}

#[derive(Debug, Clone)]
enum BaseOut {
    Stage(usize),
    Image(String),
}

#[derive(Debug, Clone, Default)]
struct Scope {
    args: Vec<String>,
    env: Vec<String>,
    shell: Option<Vec<String>>,
    workdir: Option<String>,
}

#[derive(Debug, Clone)]
struct StageOut {
    name: String,
    base: BaseOut,
    platform: Option<String>,
    steps: Vec<String>,
    /// Stages this one copies or mounts from.
    uses: Vec<usize>,
    scope: Scope,
}

#[derive(Default)]
struct Converter {
    escape: char,
    /// Args in declaration order with their defaults (spec text).
    args: Vec<(String, Option<String>)>,
    /// Args declared before the first FROM (visible in FROM).
    meta_args: Vec<String>,
    stages: Vec<StageOut>,
    warnings: Vec<Warning>,
}

fn not_dockerfile(line: usize, message: impl Into<String>) -> ImportError {
    ImportError {
        line,
        code: ImportCode::NotDockerfile,
        message: message.into(),
    }
}

impl Converter {
    /// What the spec cannot say: left out or changed.
    fn warn(&mut self, line: usize, code: ImportCode, message: impl Into<String>) {
        self.warnings.push(Warning {
            line,
            code,
            message: message.into(),
            lossy: true,
        });
    }

    /// The same build written another way (I005, not a difference).
    fn same(&mut self, line: usize, message: impl Into<String>) {
        self.warnings.push(Warning {
            line,
            code: ImportCode::Approximated,
            message: message.into(),
            lossy: false,
        });
    }

    fn instruction(&mut self, ins: &Instruction) -> Result<(), ImportError> {
        if ins.cmd == "FROM" {
            return self.from(ins);
        }
        if ins.cmd == "ARG" {
            self.arg(ins);
            return Ok(());
        }
        const KNOWN: &[&str] = &[
            "RUN",
            "CMD",
            "ENTRYPOINT",
            "COPY",
            "ADD",
            "ENV",
            "LABEL",
            "WORKDIR",
            "USER",
            "EXPOSE",
            "VOLUME",
            "STOPSIGNAL",
            "SHELL",
            "HEALTHCHECK",
            "ONBUILD",
            "MAINTAINER",
        ];
        if !KNOWN.contains(&ins.cmd.as_str()) {
            return Err(not_dockerfile(
                ins.line,
                format!("unknown instruction `{}`", ins.cmd),
            ));
        }
        if self.stages.is_empty() {
            return Err(not_dockerfile(
                ins.line,
                format!(
                    "`{}` before the first `FROM` (only ARG may come first)",
                    ins.cmd
                ),
            ));
        }
        match ins.cmd.as_str() {
            "RUN" => self.run(ins),
            "COPY" | "ADD" => self.copy(ins),
            "ENV" => self.env(ins),
            "LABEL" => self.label(ins),
            "WORKDIR" => {
                let w = lex_word(&ins.rest, self.escape);
                let text = self.word(&w, ins.line, false);
                if let Some(lit) = literal(&w) {
                    let cur = self.scope().workdir.clone();
                    self.scope_mut().workdir = if lit.starts_with('/') {
                        Some(lit)
                    } else {
                        cur.map(|c| format!("{}/{lit}", c.trim_end_matches('/')))
                    };
                } else {
                    self.scope_mut().workdir = None;
                }
                self.step(format!("workdir {}", kdl_str(&text)));
            }
            "USER" => {
                let w = lex_word(&ins.rest, self.escape);
                let text = self.word(&w, ins.line, false);
                self.step(format!("user {}", kdl_str(&text)));
            }
            "EXPOSE" => self.expose(ins),
            "ENTRYPOINT" | "CMD" => {
                let args = self.exec_or_shell(ins);
                if args.is_empty() {
                    self.warn(ins.line, ImportCode::Approximated, format!("`{}` with no command is left out", ins.cmd));
                } else {
                    let node = ins.cmd.to_ascii_lowercase();
                    self.step(format!("{node} {}", kdl_list(&args)));
                }
            }
            "SHELL" => match json_form(&ins.rest) {
                Some(args) if !args.is_empty() => {
                    self.scope_mut().shell = Some(args.clone());
                    self.step(format!("shell {}", kdl_list(&args)));
                }
                _ => self.warn(ins.line, ImportCode::Approximated, "`SHELL` needs a JSON array; left out"),
            },
            "STOPSIGNAL" => {
                let w = lex_word(&ins.rest, self.escape);
                match literal(&w) {
                    Some(s) if !s.is_empty() => self.step(format!("stopsignal {}", kdl_str(&s))),
                    _ => self.warn(ins.line, ImportCode::UnmappedVariable, "`STOPSIGNAL` with a variable cannot be expressed; left out"),
                }
            }
            "VOLUME" => {
                let words: Vec<Vec<Piece>> = match json_form(&ins.rest) {
                    Some(list) => list.iter().map(|s| lex_word(s, self.escape)).collect(),
                    None => lex_words(&ins.rest, self.escape),
                };
                let paths: Vec<String> = words.iter().map(|w| self.word(w, ins.line, false)).collect();
                if !paths.is_empty() {
                    self.step(format!("volume {}", kdl_list(&paths)));
                }
            }
            "HEALTHCHECK" => self.healthcheck(ins),
            "ONBUILD" => self.warn(ins.line, ImportCode::UnsupportedInstruction, "`ONBUILD` has no equivalent in a spec; left out"),
            "MAINTAINER" => self.warn(
                ins.line,
                ImportCode::UnsupportedInstruction,
                "`MAINTAINER` is deprecated and left out; write `label \"org.opencontainers.image.authors\" \"...\"`",
            ),
            _ => {}
        }
        Ok(())
    }

    fn scope(&self) -> &Scope {
        static EMPTY: std::sync::OnceLock<Scope> = std::sync::OnceLock::new();
        match self.stages.last() {
            Some(s) => &s.scope,
            None => EMPTY.get_or_init(Scope::default),
        }
    }

    fn scope_mut(&mut self) -> &mut Scope {
        if self.stages.is_empty() {
            // Unreachable: steps are refused before the first FROM.
            self.stages.push(StageOut {
                name: "stage-0".into(),
                base: BaseOut::Image("scratch".into()),
                platform: None,
                steps: Vec::new(),
                uses: Vec::new(),
                scope: Scope::default(),
            });
        }
        let last = self.stages.len() - 1;
        &mut self.stages[last].scope
    }

    fn step(&mut self, line: String) {
        if let Some(s) = self.stages.last_mut() {
            s.steps.push(line);
        }
    }

    /// A lexed word as spec text: `$` doubled, mappable variables as `${NAME}`.
    fn word(&mut self, pieces: &[Piece], line: usize, from_context: bool) -> String {
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Lit(s) => out.push_str(&s.replace('$', "$$")),
                Piece::Var { name, default } => {
                    let visible = if from_context {
                        self.meta_args.contains(name) || PLATFORM_ARGS.contains(&name.as_str())
                    } else {
                        let sc = self.scope();
                        sc.args.contains(name) || sc.env.contains(name) || name == "PATH"
                    };
                    let default_ok = default.as_deref().is_none_or(|d| !d.contains(['}', '$']));
                    if visible && default_ok {
                        match default {
                            Some(d) => {
                                let _ = write!(out, "${{{name}:-{d}}}");
                            }
                            None => {
                                let _ = write!(out, "${{{name}}}");
                            }
                        }
                    } else {
                        self.warn(
                            line,
                            ImportCode::UnmappedVariable,
                            format!(
                                "`${name}` is not an ARG or ENV declared before this point (perhaps the base image's ENV); kept as literal text"
                            ),
                        );
                        out.push_str("$$");
                        out.push_str(name);
                    }
                }
                Piece::Unsupported(s) => {
                    self.warn(
                        line,
                        ImportCode::UnmappedVariable,
                        format!("`{s}` cannot be expressed in a spec (only `${{NAME}}` and `${{NAME:-default}}`); kept as literal text"),
                    );
                    out.push_str(&s.replace('$', "$$"));
                }
            }
        }
        out
    }

    fn from(&mut self, ins: &Instruction) -> Result<(), ImportError> {
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
    fn stage_index(&self, name: &str, exact: bool) -> Option<usize> {
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

    fn arg(&mut self, ins: &Instruction) {
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
            let default = default.map(|d| match literal(&d) {
                Some(text) => text,
                None => {
                    self.warn(ins.line, ImportCode::UnmappedVariable, format!("the default of `ARG {name}` uses variables, which an arg default cannot; kept as literal text"));
                    pieces_text(&d)
                }
            });
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

    fn declare(&mut self, name: &str, default: Option<String>, line: usize) {
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

    fn env(&mut self, ins: &Instruction) {
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

    fn label(&mut self, ins: &Instruction) {
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

    fn expose(&mut self, ins: &Instruction) {
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
    fn exec_or_shell(&mut self, ins: &Instruction) -> Vec<String> {
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

    fn healthcheck(&mut self, ins: &Instruction) {
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

    fn run(&mut self, ins: &Instruction) {
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
            let mut line = format!("run {}{props} exec=#true", kdl_list(argv));
            if !mounts.is_empty() {
                line.push_str(" {");
                for m in mounts {
                    line.push_str("\n        ");
                    line.push_str(&m);
                }
                line.push_str("\n    }");
            }
            self.step(line);
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
        let mut line = format!("run {}{props}", kdl_str(&script));
        if !mounts.is_empty() {
            line.push_str(" {");
            for m in mounts {
                line.push_str("\n        ");
                line.push_str(&m);
            }
            line.push_str("\n    }");
        }
        self.step(line);
    }

    /// A `--mount` value as a mount node inside `run { }`.
    fn mount(&mut self, value: &str, line: usize) -> Option<String> {
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

    /// An image named by `--from`: given `:latest` when it has no tag
    /// (msbc reads a bare name as a misspelt stage).
    fn tagged(&mut self, image: String, line: usize) -> String {
        if has_tag(&image) {
            return image;
        }
        self.same(
            line,

            format!("`--from={image}` names no stage and has no tag: written as `{image}:latest`, which it means"),
        );
        format!("{image}:latest")
    }

    fn use_stage(&mut self, i: usize) {
        if let Some(s) = self.stages.last_mut()
            && !s.uses.contains(&i)
        {
            s.uses.push(i);
        }
    }

    fn copy(&mut self, ins: &Instruction) {
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

    fn render(&self) -> String {
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
            let _ = write!(
                out,
                "\n{kind} {} from={}",
                kdl_ident(&s.name),
                kdl_str(&from)
            );
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

/// Whether a RUN's text is only a heredoc word (`<<EOF`, `<<-'EOF'`, `3<<EOF`).
fn is_whole_heredoc(rest: &str) -> bool {
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
fn fed_heredoc(rest: &str, heredoc: &lexer::Heredoc) -> Option<String> {
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
fn continuations_join(lines: &str) -> bool {
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

/// `NAME=value` split at the first `=` of the first literal piece.
fn split_pair(word: &[Piece]) -> (String, Option<Vec<Piece>>) {
    let mut name = String::new();
    for (i, p) in word.iter().enumerate() {
        match p {
            Piece::Lit(s) => {
                if let Some((k, v)) = s.split_once('=') {
                    name.push_str(k);
                    let mut rest = Vec::new();
                    rest.push(Piece::Lit(v.to_string()));
                    rest.extend(word[i + 1..].iter().cloned());
                    return (name, Some(rest));
                }
                name.push_str(s);
            }
            Piece::Var { name: n, .. } => name.push_str(&format!("${n}")),
            Piece::Unsupported(s) => name.push_str(s),
        }
    }
    (name, None)
}

/// `/a/./b/../c/` → `/a/c`, as BuildKit resolves a relative mount target.
fn clean_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn literal(word: &[Piece]) -> Option<String> {
    let mut out = String::new();
    for p in word {
        match p {
            Piece::Lit(s) => out.push_str(s),
            _ => return None,
        }
    }
    Some(out)
}

/// A word's text with variables written back as `${NAME}`.
fn pieces_text(word: &[Piece]) -> String {
    word.iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Var {
                name,
                default: None,
            } => format!("${{{name}}}"),
            Piece::Var {
                name,
                default: Some(d),
            } => format!("${{{name}:-{d}}}"),
            Piece::Unsupported(s) => s.clone(),
        })
        .collect()
}

/// Whether an image reference has a tag or digest (its last path part has `:` or it has `@`).
fn has_tag(image: &str) -> bool {
    image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

/// CSV fields as BuildKit's `csvvalue` splits a `--mount` value.
fn csv_fields(s: &str) -> Vec<String> {
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

/// Code points KDL v2 does not allow literally in a string.
fn kdl_disallowed(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A KDL v2 string holding exactly `s`: a multi-line raw string for a
/// readable script, otherwise a quoted string with escapes.
pub fn kdl_str(s: &str) -> String {
    let multiline_ok = s.contains('\n')
        && !s.chars().any(|c| kdl_disallowed(c) || c == '\t')
        && !s.contains("\"\"\"")
        && s.split('\n').all(|l| l.is_empty() || !l.trim().is_empty());
    if multiline_ok {
        // Body lines are indented by 8, like the steps they belong to; the
        // newline before the closing `"""` is not part of the value.
        let mut out = String::from("#\"\"\"\n");
        for line in s.split('\n') {
            if !line.is_empty() {
                out.push_str("        ");
                out.push_str(line);
            }
            out.push('\n');
        }
        out.push_str("        \"\"\"#");
        return out;
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if kdl_disallowed(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Several KDL strings, space-separated.
fn kdl_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| kdl_str(s))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A property key: bare when it is a plain identifier, else quoted.
fn kdl_key(s: &str) -> String {
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(s, "true" | "false" | "null" | "inf" | "nan");
    if plain { s.to_string() } else { kdl_str(s) }
}

/// A node argument that names something (a stage).
fn kdl_ident(s: &str) -> String {
    kdl_key(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kdl_value(s: &str) -> Option<String> {
        let doc: kdl::KdlDocument = format!("n {}\n", kdl_str(s)).parse().ok()?;
        doc.nodes()[0].entries()[0]
            .value()
            .as_string()
            .map(str::to_string)
    }

    #[test]
    fn kdl_strings_round_trip() {
        for s in [
            "plain",
            "a \"q\" \\ b",
            "line1\nline2\n",
            "set -e\n  indented\n\nlast",
            "x\n",
            "\n\nstart",
            "tab\there\n",
            "ctl \u{1} \u{feff}",
            "ws only\n   \nafter",
            "\"\"\"\n",
            "#\"\"\"#\nz",
            "",
        ] {
            assert_eq!(kdl_value(s).as_deref(), Some(s), "{s:?} as {}", kdl_str(s));
        }
    }

    #[test]
    fn imports_a_multi_stage_dockerfile() {
        let df = b"# syntax=docker/dockerfile:1\nARG GO_VERSION=1.23\nFROM golang:${GO_VERSION} AS build\nWORKDIR /src\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\nRUN go build -o /out/app .\n\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /out/app /app\nUSER nonroot\nENTRYPOINT [\"/app\"]\n";
        let out = import(df).expect("imports");
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert!(out.kdl.contains("arg GO_VERSION \"1.23\""), "{}", out.kdl);
        assert!(
            out.kdl
                .contains("stage build from=\"golang:${GO_VERSION}\""),
            "{}",
            out.kdl
        );
        assert!(out.kdl.contains("image stage-1 from="), "{}", out.kdl);
        let checked = crate::compile::check(out.kdl.as_bytes());
        assert!(
            !checked.diagnostics.has_errors(),
            "{:?}\n{}",
            checked.diagnostics,
            out.kdl
        );
    }

    #[test]
    fn untagged_from_images_get_latest() {
        let out =
            import(b"FROM alpine\nCOPY --from=nginx /etc/nginx /etc/nginx\n").expect("imports");
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
        assert!(out.kdl.contains("from=\"alpine:latest\""), "{}", out.kdl);
        assert!(out.kdl.contains("from=\"nginx:latest\""), "{}", out.kdl);
        let checked = crate::compile::check(out.kdl.as_bytes());
        assert!(!checked.diagnostics.has_errors(), "{}", out.kdl);
    }

    #[test]
    fn symbolic_chmod_is_a_warning() {
        let out =
            import(b"FROM a:1\nCOPY --chmod=u+x a /b\nCOPY --chmod=755 a /c\n").expect("imports");
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert_eq!(out.warnings[0].code, ImportCode::UnsupportedFlag);
        assert!(out.kdl.contains("chmod=\"755\""), "{}", out.kdl);
    }

    #[test]
    fn not_dockerfiles_are_coded_errors() {
        assert_eq!(
            import(b"").map_err(|e| e.code).err(),
            Some(ImportCode::NoStage)
        );
        assert_eq!(
            import(b"\xff\xfe").map_err(|e| e.code).err(),
            Some(ImportCode::NotText)
        );
        assert_eq!(
            import(b"hello world\n").map_err(|e| e.code).err(),
            Some(ImportCode::NotDockerfile)
        );
        assert_eq!(
            import(b"RUN x\n").map_err(|e| e.code).err(),
            Some(ImportCode::NotDockerfile)
        );
    }
}
