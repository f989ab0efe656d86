//! Adversarial strings survive BuildKit's own parser byte for byte.
//!
//! Each case is a `build.kdl` whose `run`, `env`, `label`, `copy`,
//! `workdir`, `user`, `volume`, `healthcheck`, `cmd`, `entrypoint` and `arg`
//! values hold quotes, `$`, `${`, backslashes, `EOF` lines, `#`, `[`, `<<`,
//! `--flag`, unicode and odd whitespace. It is compiled by the real binary
//! (with and without `--syntax none`), the Dockerfiles of a whole batch are
//! read by BuildKit's parser in one Python process (`tests/tools/dfparse.py`),
//! and every value must come back exactly as written in the spec (an
//! absolute `workdir` cleaned, see [`workdir`]).
//!
//! Where the parser keeps raw words (ENV, LABEL, ARG, WORKDIR, USER, and
//! COPY/VOLUME elements, JSON or not), [`lex_word`] applies the word rules
//! BuildKit's shell lexer follows (`frontend/dockerfile/shell/lex.go`); RUN
//! shell text and heredoc bodies are verbatim and exec forms are decoded
//! JSON, so nothing else is emulated (see [`decode`]). Values a Dockerfile
//! cannot carry (a line break outside `run`) must be rejected with E0308.
//!
//! `MSBC_ROUNDTRIP_BATCHES=N` runs N batches of 64 instead of 4.

use crate::support;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Specs per Python call (one proptest case is one batch).
const BATCH: usize = 64;
/// Proptest cases: BATCH * CASES specs in all (~3 s in a debug build).
const CASES: u32 = 4;

/// The values of one spec.
#[derive(Debug, Clone)]
struct Case {
    syntax_none: bool,
    arg_default: String,
    run: String,
    env_key: String,
    env_value: String,
    label_key: String,
    label_value: String,
    copy_src: String,
    copy_to: String,
    workdir: String,
    user: String,
    volume: String,
    /// One element: shell form (no line break); several: exec form.
    healthcheck: Vec<String>,
    cmd: Vec<String>,
    entrypoint: Vec<String>,
}

impl Case {
    /// The spec. Strings are KDL v2 quoted strings; fields msbc
    /// interpolates (`${NAME}`) write a literal `$` as `$$`.
    fn kdl(&self) -> String {
        let i = |s: &str| kdl_str(&s.replace('$', "$$"));
        let list = |v: &[String]| v.iter().map(|s| kdl_str(s)).collect::<Vec<_>>().join(" ");
        format!(
            "msbc 1\n\
             arg RT_ARG {arg}\n\
             image rt from=\"alpine:3.20\" {{\n\
             \x20   run {run}\n\
             \x20   env {ek}={ev}\n\
             \x20   label {lk} {lv}\n\
             \x20   copy {src} to={to}\n\
             \x20   workdir {wd}\n\
             \x20   user {user}\n\
             \x20   volume {vol}\n\
             \x20   healthcheck {hc}\n\
             \x20   cmd {cmd}\n\
             \x20   entrypoint {ep}\n\
             }}\n",
            arg = i(&self.arg_default),
            run = kdl_str(&self.run),
            ek = kdl_str(&self.env_key),
            ev = i(&self.env_value),
            lk = kdl_str(&self.label_key),
            lv = i(&self.label_value),
            src = i(&self.copy_src),
            to = i(&self.copy_to),
            wd = i(&self.workdir),
            user = i(&self.user),
            vol = i(&self.volume),
            hc = list(&self.healthcheck),
            cmd = list(&self.cmd),
            ep = list(&self.entrypoint),
        )
    }

    /// What BuildKit must read back, as (instruction, values) in order.
    fn expected(&self) -> Vec<(&'static str, Vec<String>)> {
        let s = |v: &str| v.to_string();
        let mut run = self.run.clone();
        if self.run.contains('\n') && !self.syntax_none && !run.ends_with('\n') {
            // A heredoc body ends with a line break (BuildKit adds none, msbc does).
            run.push('\n');
        }
        let healthcheck = match self.healthcheck.as_slice() {
            [one] => vec![s("/bin/sh"), s("-c"), one.clone()],
            many => many.to_vec(),
        };
        vec![
            ("ARG", vec![s("RT_ARG"), self.arg_default.clone()]),
            ("FROM", vec![s("alpine:3.20"), s("AS"), s("rt")]),
            ("RUN", vec![s("/bin/sh"), s("-c"), run]),
            ("ENV", vec![self.env_key.clone(), self.env_value.clone()]),
            (
                "LABEL",
                vec![self.label_key.clone(), self.label_value.clone()],
            ),
            ("COPY", vec![self.copy_src.clone(), self.copy_to.clone()]),
            ("WORKDIR", vec![workdir(&self.workdir)]),
            ("USER", vec![self.user.clone()]),
            ("VOLUME", vec![self.volume.clone()]),
            ("HEALTHCHECK", healthcheck),
            ("CMD", self.cmd.clone()),
            ("ENTRYPOINT", self.entrypoint.clone()),
        ]
    }
}

/// The directory msbc means by `workdir`: an absolute path is written
/// cleaned (`.`, `..`, repeated and trailing `/` resolved, as Go's
/// `path.Clean`, which BuildKit applies to WORKDIR anyway); a relative one
/// with no earlier workdir stays as written.
fn workdir(dir: &str) -> String {
    if !dir.starts_with('/') {
        return dir.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/') {
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

/// A KDL v2 quoted string: `\` and `"` escaped, and every character KDL
/// does not allow literally in a one-line string (controls, newlines,
/// bidi marks, BOM) as an escape.
fn kdl_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'
                )
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// BuildKit's shell-word rules (`shell/lex.go`: `processStopOn`,
/// `processSingleQuote`, `processDoubleQuote`, `processDollar`), for a word
/// holding no variables, with quotes removed:
/// - unquoted, `\` escapes any next character (a trailing `\` is dropped);
/// - in double quotes, `\` escapes only `"`, `$` and `\`; before anything
///   else both characters stay;
/// - in single quotes everything is literal;
/// - a `$` that would start an expansion (followed by a name character,
///   `{`, or a special parameter) makes BuildKit change the value: an
///   error here. Any other `$` is literal.
fn lex_word(raw: &str) -> Result<String, String> {
    fn dollar(next: Option<&char>, raw: &str) -> Result<(), String> {
        match next {
            Some(c) if c.is_alphanumeric() || "_{@*#?-$!".contains(*c) => {
                Err(format!("unescaped `${c}` would expand in {raw:?}"))
            }
            _ => Ok(()),
        }
    }
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(x) => out.push(x),
                    None => return Err(format!("unterminated ' in {raw:?}")),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(n @ ('"' | '$' | '\\')) => out.push(n),
                        Some(n) => {
                            out.push('\\');
                            out.push(n)
                        }
                        None => return Err(format!("unterminated \" in {raw:?}")),
                    },
                    Some('$') => {
                        dollar(chars.peek(), raw)?;
                        out.push('$')
                    }
                    Some(x) => out.push(x),
                    None => return Err(format!("unterminated \" in {raw:?}")),
                }
            },
            '$' => {
                dollar(chars.peek(), raw)?;
                out.push('$')
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One parsed instruction as the values it carries after BuildKit's word
/// processing; `syntax_none` forbids heredocs.
fn decode(ins: &serde_json::Value, syntax_none: bool) -> Result<(String, Vec<String>), String> {
    let cmd = ins["cmd"].as_str().unwrap_or_default().to_ascii_uppercase();
    let value = strings(&ins["value"]);
    let json = ins["json"].as_bool() == Some(true);
    let heredocs = ins["heredocs"].as_array().cloned().unwrap_or_default();
    let flags = strings(&ins["flags"]);
    if !flags.is_empty() {
        return Err(format!(
            "{cmd}: unexpected flags {flags:?} (value {value:?})"
        ));
    }
    if !heredocs.is_empty() && (cmd != "RUN" || syntax_none) {
        return Err(format!("{cmd}: unexpected heredoc {heredocs:?}"));
    }
    let lexed = |words: &[String]| -> Result<Vec<String>, String> {
        words.iter().map(|w| lex_word(w)).collect()
    };
    let decoded: Vec<String> = match cmd.as_str() {
        // `ARG NAME=raw`: the name is not lexed, the default is.
        "ARG" => match value.as_slice() {
            [one] => match one.split_once('=') {
                Some((k, v)) => vec![k.to_string(), lex_word(v)?],
                None => vec![one.clone()],
            },
            _ => return Err(format!("ARG: {value:?}")),
        },
        // Shell form: the text as it is, run by `/bin/sh -c`; a whole-command
        // heredoc: its body, run the same way; exec form: decoded JSON.
        "RUN" => {
            if json {
                value
            } else if let [h] = heredocs.as_slice() {
                let name = h["name"].as_str().unwrap_or_default();
                if value != [format!("<<{name}")] {
                    return Err(format!("RUN: heredoc {name} with command {value:?}"));
                }
                let body = h["content"].as_str().unwrap_or_default().to_string();
                vec!["/bin/sh".into(), "-c".into(), body]
            } else if heredocs.is_empty() && value.len() == 1 {
                vec!["/bin/sh".into(), "-c".into(), value[0].clone()]
            } else {
                return Err(format!("RUN: {value:?} with heredocs {heredocs:?}"));
            }
        }
        // Exec form only; the elements are not lexed.
        "CMD" | "ENTRYPOINT" => {
            if !json {
                return Err(format!("{cmd} not in exec form: {value:?}"));
            }
            value
        }
        // `CMD text` is stored as CMD-SHELL, which `/bin/sh -c` runs.
        "HEALTHCHECK" => match value.split_first() {
            Some((t, rest)) if t == "CMD" && json => rest.to_vec(),
            Some((t, [text])) if t == "CMD" => vec!["/bin/sh".into(), "-c".into(), text.clone()],
            _ => return Err(format!("HEALTHCHECK: {value:?}")),
        },
        // FROM's words are compared as they are.
        "FROM" => value,
        // ENV/LABEL keys and values, WORKDIR, USER, and COPY and VOLUME
        // elements in either form: lexed words.
        _ => lexed(&value)?,
    };
    Ok((cmd, decoded))
}

/// A fresh directory for one batch.
fn batch_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("roundtrip")
        .join(format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the batch directory");
    dir
}

/// Compiles `spec`; `Ok(Dockerfile path)` or `Err((exit code, stderr))`.
fn compile(dir: &Path, spec: &str, syntax_none: bool) -> Result<PathBuf, (i32, String)> {
    let kdl = dir.join("build.kdl");
    std::fs::create_dir_all(dir).expect("create the case directory");
    std::fs::write(&kdl, spec).expect("write build.kdl");
    let out = dir.join("Dockerfile");
    let mut args = vec![
        "compile",
        kdl.to_str().expect("UTF-8 path"),
        "-o",
        out.to_str().expect("UTF-8 path"),
    ];
    if syntax_none {
        args.extend(["--syntax", "none"]);
    }
    let run = support::msbc_in(dir, &args, None);
    if run.status == 0 {
        Ok(out)
    } else {
        Err((run.status, run.stderr))
    }
}

/// Runs `f` over `items` on a few threads, keeping the order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let f = &f;
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, t)| f(c * chunk + i, t))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a compile thread"))
            .collect()
    })
}

/// Compiles and parses a batch; every value must come back exactly.
fn check_batch(python: &Path, cases: &[Case]) -> Result<(), String> {
    let dir = batch_dir();
    let specs: Vec<String> = cases.iter().map(Case::kdl).collect();
    let compiled = parallel(cases, |i, case| {
        compile(&dir.join(format!("case-{i}")), &specs[i], case.syntax_none)
    });
    let mut files = Vec::new();
    for (i, r) in compiled.into_iter().enumerate() {
        match r {
            Ok(path) => files.push(path),
            Err((status, stderr)) => {
                return Err(format!(
                    "msbc rejects a representable case (exit {status}):\n{}\n{stderr}",
                    specs[i]
                ));
            }
        }
    }
    let parsed = support::buildkit_parse(python, &files).map_err(|e| {
        let which = files
            .iter()
            .position(|f| e.contains(&*f.to_string_lossy()))
            .map(|i| {
                format!(
                    "{}\n--- Dockerfile:\n{}",
                    specs[i],
                    std::fs::read_to_string(&files[i]).unwrap_or_default()
                )
            })
            .unwrap_or_default();
        format!("BuildKit's parser rejects an output: {e}\n{which}")
    })?;
    let parsed = parsed.as_array().cloned().unwrap_or_default();
    if parsed.len() != cases.len() {
        return Err(format!(
            "{} results for {} files",
            parsed.len(),
            cases.len()
        ));
    }
    let mut failures = Vec::new();
    for (i, (case, instructions)) in cases.iter().zip(&parsed).enumerate() {
        let got: Result<Vec<(String, Vec<String>)>, String> = instructions
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|ins| decode(ins, case.syntax_none))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| {
                // Drop the stage's `ARG RT_ARG` msbc adds when a script
                // happens to mention the arg (only the global one counts).
                let mut seen_from = false;
                v.into_iter()
                    .filter(|(cmd, _)| {
                        seen_from |= cmd == "FROM";
                        !(seen_from && cmd == "ARG")
                    })
                    .collect()
            });
        let want: Vec<(String, Vec<String>)> = case
            .expected()
            .into_iter()
            .map(|(c, v)| (c.to_string(), v))
            .collect();
        let problem = match got {
            Err(e) => Some(e),
            Ok(got) if got != want => Some(
                got.iter()
                    .zip(&want)
                    .find(|(g, w)| g != w)
                    .map(|(g, w)| format!("got  {g:?}\nwant {w:?}"))
                    .unwrap_or_else(|| format!("got {got:?}\nwant {want:?}")),
            ),
            Ok(_) => None,
        };
        if let Some(p) = problem {
            failures.push(format!(
                "{p}\n--- build.kdl{}:\n{}--- Dockerfile:\n{}",
                if case.syntax_none {
                    " (--syntax none)"
                } else {
                    ""
                },
                specs[i],
                std::fs::read_to_string(&files[i]).unwrap_or_default()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} cases do not round-trip; the first:\n{}",
            failures.len(),
            cases.len(),
            failures[0]
        ))
    }
}

// ---------------------------------------------------------------------------
// Strategies.

/// Pieces that each exercise a rule of Dockerfile quoting.
const PIECES: &[&str] = &[
    "a", "Z9", "_", "/", ".", "-", " ", "  ", "\t", "'", "\"", "$", "${", "$$", "${X}", "$X", "$1",
    "\\", "\\\\", "\\$", "\\\"", "\\n", "#", "[", "]", "{", "}", "<<EOF", "<<", "<", "1<<x", ">",
    "--flag", "--", "=", ":", ",", "*", "?", "`", ";", "|", "&&", "(", ")", "%", "~", "!", "@",
    "é", "日本", "🦀", "\u{a0}", "\u{3000}", "\u{85}", "\u{2028}", "\u{b}", "\u{c}", "EOF",
    "EOF_1", "a b", "/x y/",
];

/// Line-break pieces, for `run` scripts and exec-form arguments.
const LINE_PIECES: &[&str] = &[
    "\n",
    "\nEOF\n",
    "\nEOF_1\n",
    "\nEOF",
    "EOF\n",
    "\r\n",
    "\r",
    "\n#!/bin/sh\n",
    "\n\t",
    "\n \n",
    "\\\n",
    "\n--x\n",
    "\n[\"a\"]\n",
];

fn text(pieces: Vec<&'static str>, max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(pieces), 0..max)
        .prop_map(|v| v.concat())
        .boxed()
}

/// A one-line value (no `\n` or `\r`).
fn line(max: usize) -> BoxedStrategy<String> {
    text(PIECES.to_vec(), max)
}

/// Any text, line breaks included.
fn multiline(max: usize) -> BoxedStrategy<String> {
    text([PIECES, LINE_PIECES].concat(), max)
}

/// An `env` name: no whitespace, `=`, quotes, `$` or `\` (the front end's rule).
fn env_key() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "A", "b_", "9", "-", "--k", ".", "é", "日本", "#", "[", "{", "}", ":", "@", "🦀",
            ][..],
        ),
        1..4,
    )
    .prop_map(|v| v.concat())
    .boxed()
}

/// A label key: one line without `=` (see `label_key_with_equals`).
fn label_key() -> BoxedStrategy<String> {
    line(6).prop_map(|s| s.replace('=', "")).boxed()
}

fn case() -> impl Strategy<Value = Case> {
    let healthcheck = prop_oneof![
        line(6).prop_map(|s| vec![s]),
        prop::collection::vec(multiline(4), 2..4),
    ];
    (
        (any::<bool>(), line(6), multiline(10)),
        (env_key(), line(6), label_key(), line(6)),
        (line(6), line(6), line(6), line(6), line(6)),
        (
            healthcheck,
            prop::collection::vec(multiline(4), 1..4),
            prop::collection::vec(multiline(4), 1..4),
        ),
    )
        .prop_map(
            |(
                (syntax_none, arg_default, run),
                (env_key, env_value, label_key, label_value),
                (copy_src, copy_to, workdir, user, volume),
                (healthcheck, cmd, entrypoint),
            )| Case {
                syntax_none,
                arg_default,
                run: non_blank(&run),
                env_key,
                env_value,
                label_key,
                label_value,
                copy_src,
                copy_to,
                workdir,
                user,
                volume,
                healthcheck,
                cmd,
                entrypoint,
            },
        )
}

/// A blank `run` script is an error of its own (E0104).
fn non_blank(script: &str) -> String {
    if script.trim().is_empty() {
        format!("x{script}")
    } else {
        script.to_string()
    }
}

fn python() -> PathBuf {
    support::needs_python(&["dockerfile"])
}

// ---------------------------------------------------------------------------
// Tests.

/// One case with `s` in every field (line breaks only where allowed).
fn uniform(s: &str, syntax_none: bool) -> Case {
    let one = s.replace(['\n', '\r'], "");
    Case {
        syntax_none,
        arg_default: one.clone(),
        run: non_blank(s),
        env_key: "K".into(),
        env_value: one.clone(),
        label_key: one.replace('=', ""),
        label_value: one.clone(),
        copy_src: one.clone(),
        copy_to: one.clone(),
        workdir: one.clone(),
        user: one.clone(),
        volume: one.clone(),
        healthcheck: vec![one.clone()],
        cmd: vec![s.into(), one.clone()],
        entrypoint: vec![s.into()],
    }
}

/// Named adversarial strings: each rule at least once, whatever proptest draws.
const TABLE: &[&str] = &[
    "",
    "plain",
    "'",
    "\"",
    "'single' \"double\"",
    "$",
    "$$",
    "${",
    "${X}",
    "$X",
    "${X:-d}",
    "$1",
    "a$",
    "\\",
    "trailing\\",
    "\\\\",
    "\\$",
    "\\\"",
    "a\\ b",
    "\\n",
    " lead",
    "trail ",
    " both ",
    "\t",
    "#",
    "# comment",
    "[",
    "[\"json\"]",
    "[ -f x ] && y",
    "<<EOF",
    "<< EOF",
    "cat <<EOF",
    "1<<x",
    "2<<-EOF",
    "--flag",
    "--flag=x",
    "--",
    "-x",
    "a=b",
    "é",
    "日本",
    "🦀 emoji",
    "\u{a0}nbsp",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "sp ace/pa th",
    "multi\nline",
    "a\nEOF\nb",
    "EOF\nEOF_1\nEOF_2",
    "a\nEOF",
    "EOF",
    "EOF_1",
    "\n",
    "a\r\nb",
    "\n\n",
    "line\\\ncont",
    "#!/bin/sh\necho hi",
    "x\n\tEOF",
    "\\\n",
    "a \\",
    "$(echo hi)",
    "`hi`",
    "%s ~ * ?",
    "{}",
    "k=v w=x",
];

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_table_round_trips() {
    let python = python();
    let cases: Vec<Case> = TABLE
        .iter()
        .flat_map(|s| [uniform(s, false), uniform(s, true)])
        .collect();
    let started = std::time::Instant::now();
    for batch in cases.chunks(BATCH) {
        if let Err(e) = check_batch(&python, batch) {
            panic!("{e}");
        }
    }
    eprintln!(
        "roundtrip: {} table cases in {:.1?}",
        cases.len(),
        started.elapsed()
    );
}

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_adversarial_values_round_trip() {
    let python = python();
    // `MSBC_ROUNDTRIP_BATCHES=500` fuzzes longer. A failure names the
    // failing case itself, so shrinking is kept short.
    let batches = std::env::var("MSBC_ROUNDTRIP_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let mut runner = TestRunner::new(Config {
        cases: batches,
        failure_persistence: None,
        max_shrink_iters: 32,
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let result = runner.run(&prop::collection::vec(case(), BATCH), |cases| {
        check_batch(&python, &cases).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "roundtrip: {} proptest cases ({batches} batches of {BATCH}) in {:.1?}",
        batches as usize * BATCH,
        started.elapsed()
    );
}

/// The steps whose values must be one line, each with `{}` for the value.
const ONE_LINE_FIELDS: &[(&str, &str)] = &[
    ("env value", "env K={}"),
    ("label key", "label {} \"v\""),
    ("label value", "label \"k\" {}"),
    ("label property", "label k={}"),
    ("copy source", "copy {} to=\"/d\""),
    ("copy to", "copy \"a\" to={}"),
    ("workdir", "workdir {}"),
    ("user", "user {}"),
    ("healthcheck", "healthcheck {}"),
];

fn rejected(field: &str, step: &str, value: &str) -> Result<(), String> {
    let spec = format!(
        "msbc 1\nimage rt from=\"alpine:3.20\" {{\n    user \"app\"\n    {}\n}}\n",
        step.replace("{}", &kdl_str(value))
    );
    let dir = batch_dir();
    let result = compile(&dir, &spec, false);
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Err((1, stderr)) if stderr.contains("E0308") => Ok(()),
        Err((status, stderr)) => Err(format!(
            "{field}: exit {status} without E0308:\n{spec}\n{stderr}"
        )),
        Ok(_) => Err(format!("{field}: {value:?} was accepted:\n{spec}")),
    }
}

#[test]
fn line_breaks_outside_run_are_e0308() {
    let mut failures = Vec::new();
    for (field, step) in ONE_LINE_FIELDS {
        for value in ["a\nb", "\n", "x\r", "EOF\nEOF", "a\r\nb"] {
            if let Err(e) = rejected(field, step, value) {
                failures.push(e);
            }
        }
    }
    let spec = format!(
        "msbc 1\narg A {}\nimage rt from=\"alpine:3.20\" {{\n    user \"${{A}}\"\n}}\n",
        kdl_str("x\ny")
    );
    let dir = batch_dir();
    match compile(&dir, &spec, false) {
        Err((1, stderr)) if stderr.contains("E0308") => {}
        other => failures.push(format!("arg default with a line break: {other:?}")),
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn random_line_breaks_outside_run_are_e0308() {
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(ONE_LINE_FIELDS),
        line(4),
        prop::sample::select(&["\n", "\r", "\r\n", "\nEOF\n"][..]),
        line(4),
    );
    let result = runner.run(&strategy, |((field, step), a, nl, b)| {
        rejected(field, step, &format!("{a}{nl}{b}")).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A NUL in any value (no process receives one: argv, env and paths are C
/// strings) and a non-ASCII mount option (BuildKit's flag reader breaks
/// some multi-byte characters apart) are E0308 too.
#[test]
fn nul_characters_and_non_ascii_mount_options_are_e0308() {
    let mut failures = Vec::new();
    let nul_fields = ONE_LINE_FIELDS.iter().copied().chain([
        ("run script", "run {}"),
        ("entrypoint", "entrypoint {}"),
        ("cmd", "cmd \"a\" {}"),
    ]);
    for (field, step) in nul_fields {
        if let Err(e) = rejected(field, step, "a\u{0}b") {
            failures.push(e);
        }
    }
    for (field, step) in [
        ("cache id", "run \"true\" { cache \"/c\" id={}; }"),
        ("cache target", "run \"true\" { cache {}; }"),
        ("bind source", "run \"true\" { bind \"/b\" source={}; }"),
        ("secret id", "run \"true\" { secret {}; }"),
    ] {
        for value in ["\u{d17b}", "/a\u{e9}"] {
            let value = if field == "cache target" {
                format!("/{value}")
            } else {
                value.to_string()
            };
            if let Err(e) = rejected(field, step, &value) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// LABEL splits `key=value` at the first `=` of the raw word, quotes or
/// not, so a key holding `=` cannot be written; msbc should say so.
#[test]
fn label_key_with_equals() {
    let r = rejected("label key", "label {} \"v\"", "a=b");
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn lexer_emulation() {
    assert_eq!(lex_word(r#""a b\"c\$d\\e\n""#), Ok("a b\"c$d\\e\\n".into()));
    assert_eq!(lex_word(r"a\ b\$\\\n\"), Ok("a b$\\n".into()));
    assert_eq!(lex_word("'a\\b$c'"), Ok("a\\b$c".into()));
    assert_eq!(lex_word("$."), Ok("$.".into()));
    assert_eq!(lex_word("a$"), Ok("a$".into()));
    assert!(lex_word("$X").is_err());
    assert!(lex_word("\"${X}\"").is_err());
    assert!(lex_word("$$").is_err());
    assert!(lex_word("\"open").is_err());
}
