//! Every spec's Dockerfiles through the outside validators: BuildKit's own
//! parser (`tests/tools/dfparse.py`, PyPI `dockerfile`) must read each one,
//! and hadolint (`--failure-threshold error`) must pass each one.
//!
//! The outputs: for every `specs/**/build.kdl`, the default compile, the
//! same with `--syntax none`, and both again with `--target` for each
//! target-only stage. Structural facts are checked on the text and on what
//! BuildKit parsed: `# syntax=` iff not `--syntax none`, no heredocs under
//! `--syntax none`, `FROM ... AS name` everywhere with unique names, stages
//! referring only to earlier stages, and the selected target last.
//!
//! The validator tests are `needs_validators` (tests/support, "Needs"):
//! tests/run.sh runs them when the validators are installed.

use crate::support;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// One compiled Dockerfile.
struct Output {
    /// `go-orders`, `go-orders --syntax none --target test`, ...
    label: String,
    path: PathBuf,
    syntax_none: bool,
    /// `--target`, if given.
    target: Option<String>,
    /// The name of the stage that must come last.
    final_stage: String,
    /// The file's text.
    text: String,
}

/// Compiles every spec in every variant, once for all tests here.
fn outputs() -> &'static [Output] {
    static OUTPUTS: OnceLock<Vec<Output>> = OnceLock::new();
    OUTPUTS.get_or_init(compile_all)
}

fn compile_all() -> Vec<Output> {
    let dir = support::scratch("validators");
    let specs = support::spec_files();
    assert!(!specs.is_empty(), "no specs found under specs/");
    let mut out = Vec::new();
    for spec in &specs {
        let name = support::spec_name(spec);
        let spec_arg = spec.to_str().expect("UTF-8 path");
        let model = support::msbc(&["compile", spec_arg, "--emit", "json"]);
        assert_eq!(
            model.status, 0,
            "{name}: --emit json failed:\n{}",
            model.stderr
        );
        let model: serde_json::Value =
            serde_json::from_str(&model.stdout).expect("--emit json writes JSON");
        let stages = model["stages"].as_array().expect("stages[]");
        let default_final = model["target"]
            .as_u64()
            .and_then(|i| stages.get(usize::try_from(i).ok()?))
            .or(stages.last())
            .and_then(|s| s["name"].as_str())
            .expect("a final stage")
            .to_string();
        let mut variants: Vec<Option<String>> = vec![None];
        variants.extend(
            stages
                .iter()
                .filter(|s| s["target_only"].as_bool() == Some(true))
                .filter_map(|s| s["name"].as_str().map(|n| Some(n.to_string()))),
        );
        for target in variants {
            for syntax_none in [false, true] {
                let mut args = vec!["compile", spec_arg];
                let mut label = name.clone();
                let mut file = name.clone();
                if let Some(t) = &target {
                    args.extend(["--target", t]);
                    label.push_str(&format!(" --target {t}"));
                    file.push_str(&format!(".target-{t}"));
                }
                if syntax_none {
                    args.extend(["--syntax", "none"]);
                    label.push_str(" --syntax none");
                    file.push_str(".syntax-none");
                }
                let path = dir.join(format!("{file}.Dockerfile"));
                let path_arg = path.to_str().expect("UTF-8 path").to_string();
                args.extend(["-o", &path_arg]);
                let run = support::msbc(&args);
                assert_eq!(run.status, 0, "{label}: compile failed:\n{}", run.stderr);
                let text = std::fs::read_to_string(&path).expect("the Dockerfile was written");
                out.push(Output {
                    label,
                    path,
                    syntax_none,
                    final_stage: target.clone().unwrap_or_else(|| default_final.clone()),
                    target: target.clone(),
                    text,
                });
            }
        }
    }
    out
}

/// Facts on the text alone (no validator needed).
#[test]
fn syntax_directive_iff_not_syntax_none() {
    for o in outputs() {
        let first = o.text.lines().next().unwrap_or_default();
        let has_directive = o.text.lines().any(|l| l.starts_with("# syntax="));
        if o.syntax_none {
            assert!(
                !has_directive,
                "{}: `# syntax=` under --syntax none",
                o.label
            );
        } else {
            assert!(
                first.starts_with("# syntax="),
                "{}: the first line is not `# syntax=`: {first:?}",
                o.label
            );
        }
    }
}

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_buildkit_parses_every_output() {
    let python = support::needs_python(&["dockerfile"]);
    let outs = outputs();
    let files: Vec<PathBuf> = outs.iter().map(|o| o.path.clone()).collect();
    let parsed = support::buildkit_parse(&python, &files)
        .unwrap_or_else(|e| panic!("BuildKit's parser rejects an output:\n{e}"));
    let parsed = parsed.as_array().expect("one list per file");
    assert_eq!(parsed.len(), outs.len());
    for (o, instructions) in outs.iter().zip(parsed) {
        check_structure(o, instructions.as_array().expect("a list of instructions"));
    }
    eprintln!(
        "validators: BuildKit's parser read {} Dockerfiles from {} specs",
        outs.len(),
        support::spec_files().len()
    );
}

/// What BuildKit parsed must have the shape msbc promises.
fn check_structure(o: &Output, instructions: &[serde_json::Value]) {
    let label = &o.label;
    let mut names: Vec<String> = Vec::new();
    let mut seen_from = false;
    for ins in instructions {
        let cmd = ins["cmd"].as_str().unwrap_or_default().to_ascii_uppercase();
        let line = ins["line"].as_u64().unwrap_or_default();
        let value: Vec<&str> = ins["value"]
            .as_array()
            .map(|v| v.iter().filter_map(|s| s.as_str()).collect())
            .unwrap_or_default();
        let heredocs = ins["heredocs"].as_array().map_or(0, Vec::len);
        if o.syntax_none {
            assert_eq!(heredocs, 0, "{label}:{line}: a heredoc under --syntax none");
        }
        match cmd.as_str() {
            "ARG" => {}
            "FROM" => {
                seen_from = true;
                assert!(
                    value.len() == 3 && value[1].eq_ignore_ascii_case("as"),
                    "{label}:{line}: FROM without `AS name`: {value:?}"
                );
                let name = value[2].to_string();
                assert!(
                    !names.contains(&name),
                    "{label}:{line}: stage name `{name}` used twice"
                );
                // A base that is not an earlier stage is an image reference
                // with a tag or digest (or scratch, or an arg), never a bare
                // name that BuildKit would pull as `docker.io/library/NAME`.
                let base = value[0];
                assert!(
                    names.iter().any(|n| n == base)
                        || base == "scratch"
                        || base.contains([':', '@'])
                        || base.contains("${"),
                    "{label}:{line}: FROM {base} is neither an earlier stage nor a tagged image"
                );
                names.push(name);
            }
            _ => {
                assert!(seen_from, "{label}:{line}: {cmd} before the first FROM");
                let flags: Vec<&str> = ins["flags"]
                    .as_array()
                    .map(|v| v.iter().filter_map(|s| s.as_str()).collect())
                    .unwrap_or_default();
                for f in flags {
                    if let Some(from) = f.strip_prefix("--from=") {
                        assert!(
                            names.iter().any(|n| n == from) || from.contains([':', '@']),
                            "{label}:{line}: --from={from} is not an earlier stage"
                        );
                    }
                }
            }
        }
    }
    assert!(!names.is_empty(), "{label}: no FROM");
    assert_eq!(
        names.last(),
        Some(&o.final_stage),
        "{label}: the last stage is not the selected one{}",
        o.target
            .as_ref()
            .map(|t| format!(" (--target {t})"))
            .unwrap_or_default()
    );
}

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_hadolint_passes_every_output() {
    let hadolint = support::needs_hadolint();
    let outs = outputs();
    let out = Command::new(&hadolint)
        .args(["--no-color", "--failure-threshold", "error"])
        .args(outs.iter().map(|o| o.path.as_path()))
        .output()
        .expect("hadolint runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "hadolint reports errors:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "validators: hadolint passed {} Dockerfiles ({} findings below error)",
        outs.len(),
        report.lines().filter(|l| !l.trim().is_empty()).count()
    );
}
