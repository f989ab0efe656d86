//! `msbc import`: Dockerfiles become specs that compile back to an
//! equivalent Dockerfile.
//!
//! Equivalence is judged on what BuildKit's own parser reads
//! (`tests/tools/dfparse.py`), instruction by instruction within each
//! stage, after normalizing only what does not change the build:
//!
//! - ARG lines: msbc places them itself (global `ARG NAME=default`, then
//!   `ARG NAME` right before first use), so ARGs are compared as one map of
//!   name → default, not by position; platform args are left out.
//! - Words are compared after BuildKit's quote and escape removal (`"a b"`
//!   and `a\ b` are the same word); JSON and plain forms of COPY/VOLUME are
//!   the same list.
//! - Consecutive ENV (or LABEL) instructions are one list of pairs.
//! - `RUN <<EOF` bodies, `RUN cmd <<EOF` (the script BuildKit rebuilds) and
//!   `RUN ["/bin/sh", "-c", script]` are compared as the script they run
//!   (a trailing newline aside), as the shell reads it (`\`-newline line
//!   continuations joined, `<<EOT bash` as `bash <<EOT`); shell-form CMD/ENTRYPOINT as the exec form
//!   BuildKit makes of them (`[SHELL..., text]`).
//! - `--mount` flags as sets of options (`src`=`source`, `dst`=`target`,
//!   `type=bind` by default), mounts in any order; `EXPOSE 80/tcp` = `80`;
//!   a relative WORKDIR resolved against the one before, paths cleaned;
//!   an untagged `FROM x` = `FROM x:latest`; stage names lower-cased,
//!   unnamed stages named `stage-N` (their index), as the importer names them.

use crate::support;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn scratch_dir(name: &str) -> PathBuf {
    crate::support::scratch(&format!("import/{name}"))
}

/// BuildKit's unquoting of one word (shell lexer): quotes and escapes
/// removed; a variable written `${NAME}` whether it was `$NAME` or
/// `${NAME}`, and a literal `$` as `\$`.
fn unquote(word: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = word.chars().collect();
    let mut quote: Option<char> = None;
    let mut i = 0;
    let literal = |out: &mut String, c: char| {
        if c == '$' {
            out.push_str("\\$");
        } else {
            out.push(c);
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match quote {
            None if c == '\\' => {
                if let Some(&n) = chars.get(i + 1) {
                    literal(&mut out, n);
                }
                i += 2;
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' && matches!(chars.get(i + 1), Some('"' | '$' | '\\')) => {
                literal(&mut out, chars[i + 1]);
                i += 2;
                continue;
            }
            Some('\'') => literal(&mut out, c),
            _ if c == '$'
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_') =>
            {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                out.push_str(&format!("${{{name}}}"));
                i = j;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn clean_path(p: &str) -> String {
    if !p.starts_with('/') {
        return p.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    format!("/{}", parts.join("/"))
}

fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A shell script as the shell reads it: `\`-newline line continuations
/// joined, and a heredoc fed to a command (`<<EOT bash`) with the command
/// first (`bash <<EOT`).
fn as_the_shell_reads(script: &str) -> String {
    let joined = script.replace("\\\n", "");
    if let Some((first, body)) = joined.split_once('\n')
        && let Some((word, command)) = first.strip_prefix("<<").and_then(|r| r.split_once(' '))
    {
        return format!("{command} <<{word}\n{body}");
    }
    joined
}

/// A Dockerfile as BuildKit parsed it, normalized: the args map, the
/// final stage, and each stage's instructions.
#[derive(Debug, PartialEq, Eq)]
struct Normal {
    args: BTreeMap<String, Option<String>>,
    last: String,
    stages: BTreeMap<String, Vec<String>>,
}

const PLATFORM: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

fn normalize(parsed: &serde_json::Value) -> Normal {
    let list = parsed.as_array().cloned().unwrap_or_default();
    let mut args = BTreeMap::new();
    let mut stages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut workdir: BTreeMap<String, String> = BTreeMap::new();
    let mut shell: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let stage_ref = |names: &[String], r: &str| -> String {
        let lower = r.to_ascii_lowercase();
        if names.contains(&lower) {
            return lower;
        }
        match r.parse::<usize>() {
            Ok(i) if i < names.len() => names[i].clone(),
            _ => r.to_string(),
        }
    };
    for ins in list {
        let cmd = ins["cmd"].as_str().unwrap_or_default().to_ascii_uppercase();
        let value = strs(&ins["value"]);
        let flags = strs(&ins["flags"]);
        let json = ins["json"].as_bool().unwrap_or(false);
        let heredocs: Vec<(String, String)> = ins["heredocs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|h| {
                (
                    h["name"].as_str().unwrap_or_default().to_string(),
                    h["content"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        if cmd == "ARG" {
            for v in &value {
                let (k, d) = match v.split_once('=') {
                    Some((k, d)) => (k.to_string(), Some(unquote(d))),
                    None => (v.clone(), None),
                };
                if PLATFORM.contains(&k.as_str()) {
                    continue;
                }
                let e = args.entry(k).or_insert(None);
                if d.is_some() {
                    *e = d;
                }
            }
            continue;
        }
        if cmd == "FROM" {
            let index = names.len();
            let name = value
                .get(2)
                .map(|n| n.to_ascii_lowercase())
                .unwrap_or_else(|| format!("stage-{index}"));
            let mut image = value.first().cloned().unwrap_or_default();
            let base_stage = names.contains(&image);
            let inherited_wd = workdir.get(&image).cloned();
            let inherited_shell = shell.get(&image).cloned();
            let last_part = image.rsplit('/').next().unwrap_or_default().to_string();
            if !base_stage
                && image != "scratch"
                && !image.contains('@')
                && !last_part.contains(':')
                && !image.contains('$')
            {
                image.push_str(":latest");
            }
            let mut f: Vec<String> = flags.iter().map(|f| unquote(f)).collect();
            f.sort();
            image = unquote(&image);
            names.push(name.clone());
            current = name.clone();
            if let Some(w) = inherited_wd {
                workdir.insert(name.clone(), w);
            }
            if let Some(s) = inherited_shell {
                shell.insert(name.clone(), s);
            }
            stages
                .entry(name)
                .or_default()
                .push(format!("FROM {f:?} {image}"));
            continue;
        }
        let steps = stages.entry(current.clone()).or_default();
        let sh = shell
            .get(&current)
            .cloned()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
        match cmd.as_str() {
            "ENV" | "LABEL" => {
                let pairs: Vec<String> = value
                    .chunks(2)
                    .map(|p| {
                        format!(
                            "{}={}",
                            unquote(&p[0]),
                            unquote(p.get(1).map(String::as_str).unwrap_or_default())
                        )
                    })
                    .collect();
                let prefix = format!("{cmd} ");
                match steps.last_mut() {
                    Some(last) if last.starts_with(&prefix) => {
                        for p in pairs {
                            last.push(' ');
                            last.push_str(&p);
                        }
                    }
                    _ => steps.push(format!("{prefix}{}", pairs.join(" "))),
                }
            }
            "RUN" => {
                let mut mounts: Vec<String> = Vec::new();
                let mut other: Vec<String> = Vec::new();
                for f in &flags {
                    match f.strip_prefix("--mount=") {
                        Some(m) => {
                            let mut kv: Vec<String> = m
                                .split(',')
                                .map(|x| {
                                    let (k, v) = x.split_once('=').unwrap_or((x, "true"));
                                    let k = match k {
                                        "src" => "source",
                                        "dst" | "destination" => "target",
                                        "ro" => "readonly",
                                        "rw" => "readwrite",
                                        k => k,
                                    };
                                    let v = if k == "target" {
                                        match workdir.get(&current) {
                                            Some(w) if !v.starts_with('/') => {
                                                clean_path(&format!("{w}/{v}"))
                                            }
                                            _ => clean_path(v),
                                        }
                                    } else {
                                        v.to_string()
                                    };
                                    format!("{k}={v}")
                                })
                                .collect();
                            if !kv.iter().any(|x| x.starts_with("type=")) {
                                kv.push("type=bind".into());
                            }
                            kv.sort();
                            mounts.push(kv.join(","));
                        }
                        None => other.push(f.clone()),
                    }
                }
                mounts.sort();
                other.sort();
                let script = if json {
                    if value.len() == sh.len() + 1 && value[..sh.len()] == sh[..] {
                        value[sh.len()].clone()
                    } else {
                        format!("EXEC {value:?}")
                    }
                } else if heredocs.len() == 1
                    && value.len() == 1
                    && value[0].trim().starts_with("<<")
                    && !value[0].trim().contains(' ')
                {
                    heredocs[0].1.clone()
                } else {
                    let mut s = value.join(" ");
                    for (name, content) in &heredocs {
                        s.push('\n');
                        s.push_str(content);
                        s.push_str(name);
                    }
                    s
                };
                steps.push(format!(
                    "RUN {mounts:?} {other:?} {:?}",
                    as_the_shell_reads(&script).trim_end_matches('\n')
                ));
            }
            "CMD" | "ENTRYPOINT" => {
                let argv = if json {
                    value.clone()
                } else {
                    let mut a = sh.clone();
                    a.push(value.join(" "));
                    a
                };
                steps.push(format!("{cmd} {argv:?}"));
            }
            "SHELL" => {
                shell.insert(current.clone(), value.clone());
                steps.push(format!("SHELL {value:?}"));
            }
            "COPY" | "ADD" => {
                let mut f: Vec<String> = flags
                    .iter()
                    .map(|f| match f.strip_prefix("--from=") {
                        Some(r) => format!("--from={}", stage_ref(&names, r)),
                        None if f == "--link=true" => "--link".to_string(),
                        None => f.clone(),
                    })
                    .collect();
                f.sort();
                let words: Vec<String> = value.iter().map(|w| unquote(w)).collect();
                steps.push(format!("COPY {f:?} {words:?}"));
            }
            "WORKDIR" => {
                let w = unquote(&value.join(" "));
                let abs = if w.starts_with('/') {
                    clean_path(&w)
                } else {
                    match workdir.get(&current) {
                        Some(base) => clean_path(&format!("{base}/{w}")),
                        None => w.clone(),
                    }
                };
                workdir.insert(current.clone(), abs.clone());
                steps.push(format!("WORKDIR {abs}"));
            }
            "EXPOSE" => {
                let ports: Vec<String> = value
                    .iter()
                    .map(|p| p.strip_suffix("/tcp").unwrap_or(p).to_string())
                    .collect();
                steps.push(format!("EXPOSE {ports:?}"));
            }
            "HEALTHCHECK" => {
                let mut f = flags.clone();
                f.sort();
                let mut v = value.clone();
                if v.first().is_some_and(|c| c == "CMD") && !json {
                    v = vec!["CMD-SHELL".into(), v[1..].join(" ")];
                }
                steps.push(format!("HEALTHCHECK {f:?} {v:?}"));
            }
            _ => {
                let words: Vec<String> = value.iter().map(|w| unquote(w)).collect();
                let mut f = flags.clone();
                f.sort();
                steps.push(format!("{cmd} {f:?} {words:?}"));
            }
        }
    }
    Normal {
        args,
        last: current,
        stages,
    }
}

/// Imports `dockerfile` with the real binary; returns the spec and stderr.
fn import(dockerfile: &Path) -> (String, String) {
    let run = support::msbc(&["import", &dockerfile.to_string_lossy()]);
    assert_eq!(
        run.status,
        0,
        "msbc import {} failed:\n{}\n{}",
        dockerfile.display(),
        run.stderr,
        run.stdout
    );
    // A `note:` (the ignore file beside the Dockerfile came along) is no
    // warning: the import lost nothing.
    let warnings: String = run
        .stderr
        .lines()
        .filter(|l| !l.starts_with("note: "))
        .map(|l| format!("{l}\n"))
        .collect();
    (run.stdout, warnings)
}

/// Compiles `spec` (text) to a Dockerfile in `dir`.
fn compile(dir: &Path, name: &str, spec: &str) -> PathBuf {
    let spec_path = dir.join(format!("{name}.kdl"));
    std::fs::write(&spec_path, spec).expect("write the spec");
    let out = dir.join(format!("{name}.out.Dockerfile"));
    let run = support::msbc(&[
        "compile",
        &spec_path.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(
        run.status, 0,
        "{name}: the imported spec does not compile:\n{}\n{spec}",
        run.stderr
    );
    out
}

/// Asserts BuildKit reads `a` and `b` as the same build.
fn assert_equivalent(python: &Path, a: &Path, b: &Path, context: &str) {
    let parsed = support::buildkit_parse(python, &[a.to_path_buf(), b.to_path_buf()])
        .unwrap_or_else(|e| panic!("{context}: BuildKit's parser refused: {e}"));
    let (na, nb) = (normalize(&parsed[0]), normalize(&parsed[1]));
    assert_eq!(
        na,
        nb,
        "{context}: not equivalent\n--- {}\n{}\n--- {}\n{}",
        a.display(),
        std::fs::read_to_string(a).unwrap_or_default(),
        b.display(),
        std::fs::read_to_string(b).unwrap_or_default()
    );
}

/// compile → import → compile gives an equivalent Dockerfile, for every
/// spec, with heredocs and with `--syntax none` (exec-form `RUN` scripts).
#[test]
#[ignore = "needs the validators (tests/run.sh installs them)"]
fn needs_validators_every_spec_round_trips_through_import() {
    let python = support::needs_python(&["dockerfile"]);
    let dir = scratch_dir("specs");
    for spec in support::spec_files() {
        for syntax_none in [false, true] {
            let mut name = support::spec_name(&spec);
            if syntax_none {
                name.push_str(".syntax-none");
            }
            let first = dir.join(format!("{name}.Dockerfile"));
            let spec_arg = spec.to_string_lossy();
            let first_arg = first.to_string_lossy();
            let mut args = vec!["compile", &spec_arg, "-o", &first_arg];
            if syntax_none {
                args.extend(["--syntax", "none"]);
            }
            let run = support::msbc(&args);
            assert_eq!(run.status, 0, "{name}: {}", run.stderr);
            let (kdl, warnings) = import(&first);
            assert!(warnings.is_empty(), "{name}: import warned:\n{warnings}");
            let second = compile(&dir, &name, &kdl);
            assert_equivalent(&python, &first, &second, &name);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(support::root().join("tests/fixtures/import"))
        .expect("tests/fixtures/import")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_has_at_least_fifteen_dockerfiles() {
    assert!(corpus().len() >= 15, "{:?}", corpus());
}

/// Each real-world-style Dockerfile imports without warnings to a spec that
/// compiles to a Dockerfile BuildKit reads as equivalent.
#[test]
fn corpus_dockerfiles_import_to_equivalent_specs() {
    let python = support::python();
    let dir = scratch_dir("corpus");
    for file in corpus() {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (kdl, warnings) = import(&file);
        assert!(
            warnings.is_empty(),
            "{name}: import warned:\n{warnings}\n{kdl}"
        );
        let out = compile(&dir, &name, &kdl);
        if let Some(python) = &python {
            assert_equivalent(python, &file, &out, &name);
        }
    }
}

/// What cannot be expressed is a located, coded warning, and the rest imports.
#[test]
fn unsupported_instructions_are_located_warnings() {
    let dir = scratch_dir("warnings");
    let file = dir.join("Dockerfile");
    std::fs::write(
        &file,
        "FROM alpine:3.20\nMAINTAINER someone\nONBUILD RUN echo\nADD https://example.com/x.tgz /x\nRUN --security=insecure echo hi\nENV A=$HOME/bin\nUSER app\n",
    )
    .expect("write");
    let run = support::msbc(&["import", &file.to_string_lossy()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let shown = file.display().to_string();
    for (line, code) in [
        (2, "I001"),
        (3, "I001"),
        (4, "I004"),
        (5, "I002"),
        (6, "I003"),
    ] {
        let want = format!("{shown}:{line}: warning[{code}]");
        assert!(
            run.stderr.contains(&want),
            "missing `{want}` in:\n{}",
            run.stderr
        );
    }
    assert!(run.stdout.contains("run \"echo hi\""), "{}", run.stdout);
    assert!(
        run.stdout.contains("env A=\"$$HOME/bin\""),
        "{}",
        run.stdout
    );
}

/// Strings that need KDL escaping survive: quotes, backslashes, `$`.
#[test]
#[ignore = "needs the validators (tests/run.sh installs them)"]
fn needs_validators_escaping_survives_the_round_trip() {
    let python = support::needs_python(&["dockerfile"]);
    let dir = scratch_dir("escaping");
    let file = dir.join("Dockerfile");
    std::fs::write(
        &file,
        "FROM alpine:3.20 AS app\nARG GREETING=\"hi there\"\nENV MSG=\"say \\\"hi\\\" \\$x\" P='a\\b'\nLABEL \"com.example.quote\"=\"it's \\\"ok\\\"\"\nRUN printf '%s\\n' \"$GREETING\" \"\\\\\" > /greeting\nRUN <<EOF\nset -e\necho \"tab\there\" '\\n'\nEOF\n\nCMD [\"sh\", \"-c\", \"echo \\\"$MSG\\\"\"]\n",
    )
    .expect("write");
    let (kdl, warnings) = import(&file);
    assert!(warnings.is_empty(), "{warnings}");
    let out = compile(&dir, "escaping", &kdl);
    assert_equivalent(&python, &file, &out, "escaping");
}

#[test]
fn non_dockerfiles_are_coded_errors_not_crashes() {
    let dir = scratch_dir("bad");
    for (name, bytes, code) in [
        ("empty", &b""[..], "I103"),
        ("blank", b"\n\n# only a comment\n", "I103"),
        ("binary", b"\x7fELF\x02\x01\x01\0\0\0", "I101"),
        ("latin1", b"FROM caf\xe9:1\n", "I101"),
        (
            "kdl",
            b"msbc 1\nimage app from=\"alpine:3.20\" {}\n",
            "I102",
        ),
        ("json", b"{\"a\": [1, 2]}\n", "I102"),
        ("step-first", b"RUN echo\nFROM a:1\n", "I102"),
        ("heredoc", b"FROM a:1\nRUN <<EOF\necho\n", "I102"),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, bytes).expect("write");
        let run = support::msbc(&["import", &file.to_string_lossy()]);
        assert_eq!(run.status, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("error[{code}]")),
            "{name}: {}",
            run.stderr
        );
        let _ = std::fs::rename(&file, dir.join("Dockerfile"));
        let diff = support::msbc(&[
            "diff",
            &dir.join("Dockerfile").to_string_lossy(),
            "specs/go-orders/build.kdl",
        ]);
        assert_eq!(
            diff.status, 1,
            "{name}: diff exited {}: {}",
            diff.status, diff.stderr
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The importer is total: random bytes give an import or a coded error.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = msbc::import::import(&bytes);
    }

    /// Dockerfile-like text never panics, and what imports is valid KDL.
    #[test]
    fn dockerfile_like_text_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("FROM alpine:3.20 AS b".to_string()),
                Just("FROM b".to_string()),
                Just("RUN <<EOF".to_string()),
                Just("EOF".to_string()),
                Just("COPY --from=0 [\"a\", \"/b\"]".to_string()),
                Just("ARG X=${Y:-z}".to_string()),
                Just("\\".to_string()),
                "[A-Z]{2,10} [ -~]{0,30}",
                "[ -~]{0,40}",
            ],
            0..12,
        )
    ) {
        let text = lines.join("\n");
        if let Ok(imported) = msbc::import::import(text.as_bytes()) {
            let checked = msbc::compile::check(imported.kdl.as_bytes());
            prop_assert!(
                !checked.diagnostics.iter().any(|d| d.code == msbc::diag::Code::KdlSyntax),
                "not KDL:\n{}", imported.kdl
            );
        }
    }
}

/// The normalization keeps what matters: changed scripts, mounts, users,
/// paths, stage names and args are differences.
#[test]
#[ignore = "needs the validators (tests/run.sh installs them)"]
fn needs_validators_normalization_still_sees_real_differences() {
    let python = support::needs_python(&["dockerfile"]);
    let dir = scratch_dir("negative");
    let base = "FROM alpine:3.20 AS b\nARG V=1\nWORKDIR /src\nRUN --mount=type=cache,target=/c echo $V\nCOPY a /x\nUSER app\nENV P=$V\n";
    let variants = [
        base.replace("echo $V", "echo V"),
        base.replace("target=/c", "target=/d"),
        base.replace("USER app", "USER root"),
        base.replace("COPY a /x", "COPY a /y"),
        base.replace("AS b", "AS c"),
        base.replace("V=1", "V=2"),
        base.replace("ENV P=$V", "ENV P=\\$V"),
        base.replace("WORKDIR /src", "WORKDIR src"),
    ];
    let a = dir.join("base.Dockerfile");
    std::fs::write(&a, base).expect("write");
    for (i, v) in variants.iter().enumerate() {
        let b = dir.join(format!("v{i}.Dockerfile"));
        std::fs::write(&b, v).expect("write");
        let parsed = support::buildkit_parse(&python, &[a.clone(), b]).expect("parses");
        assert_ne!(
            normalize(&parsed[0]),
            normalize(&parsed[1]),
            "variant {i}:\n{v}"
        );
    }
}

/// The import-code table (docs/migrate.md) lists every code with its name.
#[test]
fn documentation_lists_every_import_code() {
    let page = support::root().join("docs/migrate.md");
    let text = std::fs::read_to_string(&page).expect("docs/migrate.md");
    for code in msbc::import::ImportCode::ALL {
        let row = format!("| {} | {} |", code.as_str(), code.slug());
        assert!(text.contains(&row), "docs/migrate.md lacks the row `{row}`");
    }
}

/// Issue 11.23: the imported spec keeps the shape a reader expects. A
/// heredoc fed to a command (`RUN <<EOT bash`) reads `bash <<EOT`; an
/// exec-form `RUN ["npm", "run", "build"]` stays exec form (`exec=#true`),
/// without a warning; continued lines stay lines (unless the shell would
/// read the line breaks otherwise: inside single quotes, after a comment).
#[test]
fn imported_runs_keep_their_shape() {
    let dir = scratch_dir("shape");
    let file = dir.join("Dockerfile");
    std::fs::write(
        &file,
        "FROM node:22-bookworm AS build\n\
         RUN <<EOT bash\n\
         set -euo pipefail\n\
         echo \"$HOME\"\n\
         EOT\n\
         RUN [\"npm\", \"run\", \"build\"]\n\
         RUN --mount=type=cache,target=/root/.npm [\"npm\", \"ci\", \"--omit=dev\"]\n\
         RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n        curl \\\n    && rm -rf /var/lib/apt/lists/*\n\
         RUN echo 'one \\\n    two'\n\
         RUN echo a # note \\\n    b\n",
    )
    .expect("write");
    let (kdl, warnings) = import(&file);
    assert!(warnings.is_empty(), "{warnings}");
    let doc: kdl::KdlDocument = kdl.parse().expect("KDL");
    let runs: Vec<(Vec<String>, bool)> = doc
        .nodes()
        .iter()
        .flat_map(|n| n.children().map(|c| c.nodes().to_vec()).unwrap_or_default())
        .filter(|n| n.name().value() == "run")
        .map(|n| {
            let args = n
                .entries()
                .iter()
                .filter(|e| e.name().is_none())
                .filter_map(|e| e.value().as_string().map(str::to_string))
                .collect();
            let exec = n.get("exec").and_then(|v| v.as_bool()).unwrap_or(false);
            (args, exec)
        })
        .collect();
    let shell = |s: &str| (vec![s.to_string()], false);
    assert_eq!(
        runs,
        vec![
            shell("bash <<EOT\nset -euo pipefail\necho \"$HOME\"\nEOT"),
            (vec!["npm".into(), "run".into(), "build".into()], true),
            (vec!["npm".into(), "ci".into(), "--omit=dev".into()], true),
            shell(
                "apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n        curl \\\n    && rm -rf /var/lib/apt/lists/*"
            ),
            shell("echo 'one     two'"),
            shell("echo a # note     b"),
        ],
        "{kdl}"
    );
    // And it compiles back to what BuildKit reads as the same build, the
    // exec forms as exec forms.
    let out = compile(&dir, "shape", &kdl);
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.contains("RUN [\"npm\", \"run\", \"build\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("RUN --mount=type=cache,target=/root/.npm,sharing=shared \\\n    [\"npm\", \"ci\", \"--omit=dev\"]")
            || text.contains("[\"npm\", \"ci\", \"--omit=dev\"]"),
        "{text}"
    );
    if let Some(python) = support::python() {
        assert_equivalent(&python, &file, &out, "shape");
    }
}

/// `run "prog" "arg"... exec=#true`: the exec form, in both backends.
#[test]
fn exec_form_run_in_both_backends() {
    let dir = scratch_dir("exec-form");
    let spec = dir.join("build.kdl");
    std::fs::write(
        &spec,
        "msbc 1\nimage app from=\"node:22-bookworm\" {\n    run \"npm\" \"run\" \"build:prod\" \"--\" \"$HOME\" exec=#true {\n        cache \"/root/.npm\"\n    }\n    run \"make\"\n}\n",
    )
    .expect("write");
    let spec_arg = spec.to_string_lossy();
    let df = support::msbc(&["compile", &spec_arg]);
    assert_eq!(df.status, 0, "{}", df.stderr);
    assert!(
        df.stdout
            .contains("    [\"npm\", \"run\", \"build:prod\", \"--\", \"$HOME\"]\n"),
        "{}",
        df.stdout
    );
    assert!(df.stdout.contains("\nRUN make\n"), "{}", df.stdout);
    let llb = support::msbc(&[
        "compile",
        &spec_arg,
        "--emit",
        "llb-json",
        "--no-base-configs",
    ]);
    assert_eq!(llb.status, 0, "{}", llb.stderr);
    let ops: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&llb.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("JSON ops");
    let mut all_args: Vec<Vec<String>> = Vec::new();
    let mut todo: Vec<&serde_json::Value> = ops.iter().collect();
    while let Some(v) = todo.pop() {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Array(a)) = m.get("args") {
                    all_args.push(
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect(),
                    );
                }
                todo.extend(m.values());
            }
            serde_json::Value::Array(a) => todo.extend(a.iter()),
            _ => {}
        }
    }
    assert!(
        all_args.contains(&vec![
            "npm".to_string(),
            "run".into(),
            "build:prod".into(),
            "--".into(),
            "$HOME".into()
        ]),
        "{all_args:?}"
    );
    assert!(
        all_args.contains(&vec!["/bin/sh".to_string(), "-c".into(), "make".into()]),
        "{all_args:?}"
    );
    // A program is required; without exec=#true a second argument is an error.
    for (text, want) in [
        ("run exec=#true", "`run exec=#true` needs a program"),
        ("run \"npm\" \"ci\"", "E0"),
    ] {
        std::fs::write(
            &spec,
            format!("msbc 1\nimage app from=\"node:22-bookworm\" {{\n    {text}\n}}\n"),
        )
        .expect("write");
        let run = support::msbc(&["check", &spec_arg]);
        assert_eq!(run.status, 1, "{text}: {}", run.stderr);
        assert!(run.stderr.contains(want), "{text}: {}", run.stderr);
    }
}

/// A Dockerfile's ARG default may name the ARGs before it
/// (`ARG BASE=node:${NODE_VERSION}-bookworm-slim`): the import keeps it
/// symbolic, the spec checks (the arg it names is used), the Dockerfile
/// keeps it symbolic for `--build-arg`, and the LLB resolves it (with
/// `--arg` too). A variable that is no earlier ARG stays literal text.
#[test]
fn an_arg_default_names_earlier_args() {
    let dir = scratch_dir("arg-default");
    std::fs::write(
        dir.join("Dockerfile"),
        "ARG NODE_VERSION=22\nARG BASE=node:${NODE_VERSION}-bookworm-slim\nFROM ${BASE}\nWORKDIR /app\nUSER node\nCMD [\"node\", \"server.js\"]\n",
    )
    .expect("write");
    let run = support::msbc_in(&dir, &["import", "Dockerfile"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "no warning: {}", run.stderr);
    assert!(
        run.stdout
            .contains("arg BASE \"node:${NODE_VERSION}-bookworm-slim\""),
        "{}",
        run.stdout
    );
    std::fs::write(dir.join("build.kdl"), &run.stdout).expect("write");
    let check = support::msbc_in(&dir, &["check", "--format", "json"], None);
    assert_eq!(check.status, 0, "{}", check.stderr);
    let doc: serde_json::Value = serde_json::from_str(&check.stdout).expect("JSON");
    assert_eq!(
        doc["diagnostics"],
        serde_json::json!([]),
        "{}",
        check.stdout
    );
    // The Dockerfile: symbolic, unescaped.
    let df = support::msbc_in(&dir, &["compile"], None);
    assert_eq!(df.status, 0, "{}", df.stderr);
    assert!(
        df.stdout
            .contains("ARG NODE_VERSION=22\nARG BASE=node:${NODE_VERSION}-bookworm-slim\n"),
        "{}",
        df.stdout
    );
    // The LLB: resolved, with the arg's default or --arg.
    for (args, want) in [
        (
            &[][..],
            "docker-image://docker.io/library/node:22-bookworm-slim",
        ),
        (
            &["--arg", "NODE_VERSION=20"][..],
            "docker-image://docker.io/library/node:20-bookworm-slim",
        ),
        (
            &["--arg", "BASE=debian:12"][..],
            "docker-image://docker.io/library/debian:12",
        ),
    ] {
        let mut a = vec!["compile", "--emit", "llb-json", "--no-base-configs"];
        a.extend(args);
        let llb = support::msbc_in(&dir, &a, None);
        assert_eq!(llb.status, 0, "{args:?}: {}", llb.stderr);
        assert!(llb.stdout.contains(want), "{args:?}: no {want}");
    }
    // `msbc images` and `msbc.lock` see the resolved reference.
    let images = support::msbc_in(&dir, &["images", "."], None);
    assert!(
        images.stdout.contains("node:22-bookworm-slim"),
        "{}",
        images.stdout
    );
    // A variable that is no earlier ARG: literal text, with a warning.
    std::fs::write(
        dir.join("Dockerfile"),
        "ARG TAG=${LATER}-x\nARG LATER=1\nFROM debian:bookworm-slim\nRUN echo \"$TAG\"\n",
    )
    .expect("write");
    let run = support::msbc_in(&dir, &["import", "Dockerfile"], None);
    assert!(
        run.stdout.contains("arg TAG \"$${LATER}-x\""),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("I003"), "{}", run.stderr);
    // In a spec: a default naming a later arg is E0205.
    let spec = "msbc 1\narg TAG \"${LATER}-x\"\narg LATER \"1\"\nimage app from=\"debian:bookworm-slim\" {\n    run \"echo $TAG\"\n    user \"1000\"\n}\n";
    let run = support::msbc_in(&dir, &["check", "-"], Some(spec.as_bytes()));
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[E0205]: the default of arg `TAG` names `${LATER}`: `LATER` is declared after `TAG`"),
        "{}",
        run.stderr
    );
}

#[test]
fn import_brings_the_dockerignore_along() {
    let dir = scratch_dir("dockerignore");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM debian:bookworm-slim\nCOPY . /app\nUSER 65534\n",
    )
    .expect("write");
    std::fs::write(
        dir.join(".dockerignore"),
        "# the team's\nlocal-dump.sql\n*.log\n!keep.log\n",
    )
    .expect("write");
    let run = crate::support::msbc_in(&dir, &["import", "Dockerfile"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "msbc 1\n\n// The patterns of .dockerignore, which the spec now keeps.\ncontext {\n    ignore \"local-dump.sql\"\n    ignore \"*.log\"\n    ignore \"!keep.log\"\n}\n\nimage "
        ),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    // BuildKit prefers Dockerfile.dockerignore: so does import.
    std::fs::write(dir.join("Dockerfile.dockerignore"), "fixtures/\n").expect("write");
    let run = crate::support::msbc_in(&dir, &["import", "Dockerfile"], None);
    assert!(
        run.stdout
            .contains("context {\n    ignore \"fixtures/\"\n}\n")
            && !run.stdout.contains("local-dump"),
        "{}",
        run.stdout
    );
    // The spec compiles, and writes the patterns back out.
    std::fs::remove_file(dir.join("Dockerfile.dockerignore")).expect("rm");
    std::fs::write(
        dir.join("build.kdl"),
        &crate::support::msbc_in(&dir, &["import", "Dockerfile"], None).stdout,
    )
    .expect("write");
    let run = crate::support::msbc_in(&dir, &["compile", "-o", "Dockerfile"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(dir.join("Dockerfile.dockerignore")).expect("written");
    assert!(
        written.ends_with("local-dump.sql\n*.log\n!keep.log\n"),
        "{written}"
    );
}
