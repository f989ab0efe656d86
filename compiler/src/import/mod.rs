//! `msbc import`: a Dockerfile → an equivalent `build.kdl`.
//!
//! [`lexer`] reads the Dockerfile as BuildKit's parser does; this module
//! maps each instruction onto the spec language: stages keep their names
//! (unnamed ones become `stage-N`), the final stage and every stage nothing
//! else builds on become `image`s, `ARG`s become top-level `arg`s (msbc
//! places `ARG` lines itself), `COPY --from` stays `copy from=STAGE`.
//! What the spec cannot say is left out with a located, coded [`Warning`].
//! Pure: text in, KDL text and warnings out.

mod codes;
mod config;
mod copy;
mod lexer;
mod run;
mod shell_lex;
mod stages;
mod words;

pub use codes::{ImportCode, ImportError, Imported, Warning};
use lexer::{Instruction, Piece, json_form, lex_word, lex_words};
use std::fmt::Write;
use words::*;

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

/// The imported spec `kdl` with the patterns of the Dockerfile's ignore file
/// (`text`: its `.dockerignore` or `Dockerfile.dockerignore`) as the spec's
/// `context { ignore ... }`, one pattern a line, in the file's order (a
/// later pattern wins, as in the file), under a comment naming the file
/// (`from`, its name). `kdl` unchanged when it has none.
pub fn with_ignore_file(kdl: &str, text: &str, from: &str) -> String {
    let patterns = crate::paths::ignore_file_patterns(text);
    if patterns.is_empty() {
        return kdl.to_string();
    }
    let (first, rest) = kdl.split_once('\n').unwrap_or((kdl, ""));
    let from = from.replace(['\n', '\r'], " ");
    let mut out =
        format!("{first}\n\n// The patterns of {from}, which the spec now keeps.\ncontext {{\n");
    for p in &patterns {
        let _ = writeln!(out, "    ignore {}", crate::kdl_write::quoted(p));
    }
    out.push_str("}\n");
    if !rest.is_empty() && !rest.starts_with('\n') {
        out.push('\n');
    }
    out.push_str(rest);
    out
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
}

#[cfg(test)]
mod tests {
    use super::*;
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
