//! The two backends mean the same build. For every spec (each target) and
//! for specs the fuzz generator makes (sound skeletons with random steps,
//! and free-form specs, presets included, that happen to compile), the
//! Dockerfile — read back by
//! BuildKit's own parser (PyPI `dockerfile`) and dispatched here by
//! BuildKit's rules (`dockerfile`) — and the LLB dump with its image config
//! (`llb`) must describe the same filesystem states (bases, runs with their
//! args, env, working directory, user, network and mounts; copies with
//! source, destination, owner and mode; workdirs) and the same image config.
//!
//! Neither reader uses msbc's code: one reads the parser's JSON, the other
//! the `--emit llb-json` text. `MSBC_EQUIV_GENERATED=N` sets how many
//! generated specs that compile are compared (default 300; the same ones
//! every run: the generator's seed is fixed).

mod dockerfile;
mod llb;
mod meaning;
mod shell;

use crate::support::{buildkit_parse, needs_python};
use msbc::compile::{self, Emit};
use msbc::lower::{Model, Selection};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::PathBuf;

/// One build to compare: its Dockerfile and its LLB.
struct Case {
    name: String,
    selection: Selection,
    dockerfile: String,
    dockerignore: Option<String>,
    llb_json: String,
    image_config: String,
}

fn case(name: String, model: &Model, selection: Selection) -> Result<Case, compile::EmitError> {
    let emit = |e| compile::emit(model, &selection, e, "build.kdl");
    let df = emit(Emit::Dockerfile)?;
    let llb_json = emit(Emit::LlbJson)?.main;
    let image_config = emit(Emit::ImageConfig)?.main;
    Ok(Case {
        name,
        dockerfile: df.main,
        dockerignore: df.dockerignore,
        llb_json,
        image_config,
        selection,
    })
}

/// `.dockerignore` as BuildKit reads it: comments and blank lines
/// dropped, each pattern cleaned, a leading `/` removed.
fn ignore_patterns(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (invert, p) = match l.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, l),
            };
            let mut p = meaning::clean(p);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
            if invert { format!("!{p}") } else { p }
        })
        .collect()
}

/// Compares every case; returns the failures, each with a diff.
fn compare(cases: &[Case]) -> Vec<String> {
    let python = needs_python(&["dockerfile"]);
    let dir = crate::support::TempDir::new("equivalence");
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let path = dir.join(format!("{i}.Dockerfile"));
            std::fs::write(&path, &c.dockerfile).expect("write a Dockerfile");
            path
        })
        .collect();
    let parsed = buildkit_parse(&python, &files).expect("BuildKit's parser reads every output");
    let parsed: Vec<Vec<dockerfile::Instr>> = serde_json::from_value(parsed).expect("instructions");
    let mut failures = Vec::new();
    for (c, instrs) in cases.iter().zip(&parsed) {
        let options = dockerfile::Options {
            build_args: c.selection.args.iter().cloned().collect(),
            target: c.selection.target.clone(),
            target_platform: dockerfile::normalize_platform(
                &c.selection
                    .platform
                    .as_ref()
                    .map_or("linux/amd64".to_string(), |p| p.to_string()),
            ),
            build_platform: "linux/amd64".to_string(),
            excludes: c
                .dockerignore
                .as_deref()
                .map(ignore_patterns)
                .unwrap_or_default(),
        };
        let read = std::panic::catch_unwind(|| {
            (
                dockerfile::interpret(instrs, &options).at_run_time(),
                llb::interpret(&c.llb_json, &c.image_config).at_run_time(),
            )
        });
        let Ok((want, got)) = read else {
            failures.push(format!(
                "{}: a reader gave up (message above):\n{}",
                c.name, c.dockerfile
            ));
            continue;
        };
        if want != got {
            let want = format!("{want:#?}");
            let got = format!("{got:#?}");
            let diff = similar::TextDiff::from_lines(&want, &got)
                .unified_diff()
                .context_radius(6)
                .header("Dockerfile (BuildKit's parser)", "LLB")
                .to_string();
            failures.push(format!("{}:\n{}\n{diff}", c.name, c.dockerfile));
        }
    }
    failures
}

/// What the generated specs found the two backends disagreeing on: a copy
/// to `.` (the working directory, as a directory), a script starting with
/// `#` after mount flags or an env name starting with `#` (both would
/// start a continuation line: a comment in a Dockerfile), `$` and `\` in a
/// VOLUME (expanded in both forms), ignore patterns as BuildKit cleans
/// them, a healthcheck only the exec form can carry (run in the image's
/// shell), a workdir after an empty `user` (owned by nobody in particular),
/// a scratch stage with a `platform` (BuildKit builds it for the target).
const FOUND: &str = r##"msbc 1
arg V "1.23"
context { ignore "target/" "/dist" "!keep/" ".git" }
stage build from="golang:${V}-bookworm" {
    workdir "/src"
    env A="1" "#B"="2"
    copy "." to="."
    run "# only a comment" { cache "/root/.cache/go-build"; }
    run "ls" { bind "/run/x" source="vendor"; }
}
stage files from="scratch" platform="linux/arm64" {
    copy "LICENSE" to="/"
}
image app from="debian:bookworm-slim" {
    shell "/bin/bash" "-c"
    healthcheck "test -f /app \\"
    user ""
    workdir "/srv"
    copy from=build "/src/app" to="/app"
    copy from=files "/LICENSE" to="/app/"
    volume "$V" "/data\\<"
    user "nonroot"
    entrypoint "/app"
}
"##;

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_every_spec_means_the_same_as_dockerfile_and_as_llb() {
    let checked = compile::check(FOUND.as_bytes());
    assert!(
        !checked.diagnostics.has_errors(),
        "the inline spec has errors"
    );
    let found = checked.model.expect("a model");
    let found = ("inline-found".to_string(), found, Selection::default());
    let cases: Vec<Case> = crate::llb::cases()
        .into_iter()
        .chain(std::iter::once(found))
        .map(|(name, model, selection)| {
            case(name.clone(), &model, selection).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect();
    assert!(cases.len() > 20, "{} cases", cases.len());
    let failures = compare(&cases);
    assert!(
        failures.is_empty(),
        "{} of {} builds differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_generated_specs_mean_the_same_as_dockerfile_and_as_llb() {
    let wanted: usize = std::env::var("MSBC_EQUIV_GENERATED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = crate::fuzz::spec();
    let mut cases = Vec::new();
    let mut tried = 0;
    while cases.len() < wanted && tried < wanted * 20 {
        tried += 1;
        let text = strategy
            .new_tree(&mut runner)
            .expect("a generated spec")
            .current();
        let checked = compile::check(text.as_bytes());
        let Some(model) = checked.model.filter(|_| !checked.diagnostics.has_errors()) else {
            continue;
        };
        let selection = crate::llb::selection(&model);
        if let Ok(c) = case(format!("generated #{tried}:\n{text}"), &model, selection) {
            cases.push(c);
        }
    }
    eprintln!(
        "equivalence: {} generated specs compared ({tried} generated)",
        cases.len()
    );
    assert_eq!(cases.len(), wanted, "too few generated specs compile");
    let failures = compare(&cases);
    assert!(
        failures.is_empty(),
        "{} of {} generated builds differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
