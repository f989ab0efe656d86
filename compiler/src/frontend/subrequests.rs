//! The subrequests `docker buildx build --call NAME` sends (frontend opt
//! `requestid`), answered as BuildKit's Dockerfile frontend answers them:
//! result metadata `result.json`, `result.txt` and `version` (and
//! `result.statuscode` for `check`), no image.
//!
//! - `frontend.targets` (`--call targets`): stages and images, with what
//!   each is and the default (the last image).
//! - `frontend.outline` (`--call outline`): the args with their defaults,
//!   the secrets and SSH sockets the selected build mounts.
//! - `frontend.lint` (`--call check`): msbc's diagnostics as build-check
//!   results (rule = code and slug), with the spec as their source.
//! - `frontend.subrequests.describe`: the list of these.

use crate::diag::{Diagnostic, Diagnostics, render};
use crate::ir::{Base, Mount, StageKind, StepKind, Word, WordPart};
use crate::lower::{self, Model, Selection};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const TARGETS: &str = "frontend.targets";
pub const OUTLINE: &str = "frontend.outline";
pub const LINT: &str = "frontend.lint";
pub const DESCRIBE: &str = "frontend.subrequests.describe";

/// The answer's metadata.
pub type Meta = BTreeMap<String, Vec<u8>>;

fn meta(result: &Value, text: String, version: &str) -> Meta {
    let mut m = Meta::new();
    let pretty = serde_json::to_string_pretty(result).unwrap_or_default();
    m.insert("result.json".to_string(), pretty.into_bytes());
    m.insert("result.txt".to_string(), text.into_bytes());
    m.insert("version".to_string(), version.as_bytes().to_vec());
    m
}

/// A location on `line` of the spec (source 0), for BuildKit's clients.
fn location(line: usize) -> Value {
    json!({ "sourceIndex": 0, "ranges": [{ "start": { "line": line }, "end": { "line": line } }] })
}

/// Left-aligned columns separated by one space, as Go's tabwriter prints.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c] - cell.chars().count() + 1;
                let _ = write!(line, "{cell}{}", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn describe() -> Meta {
    let named = |name: &str| json!({ "name": name });
    let list = json!([
        { "name": TARGETS, "version": "1.0.0", "type": "rpc",
          "description": "List the stages and images of the spec",
          "opts": [], "metadata": [named("result.json"), named("result.txt")] },
        { "name": OUTLINE, "version": "1.0.0", "type": "rpc",
          "description": "List the args, secrets and SSH sockets of the build",
          "opts": [{ "name": "target", "description": "Target stage or image" }],
          "metadata": [named("result.json"), named("result.txt")] },
        { "name": LINT, "version": "1.0.0", "type": "rpc",
          "description": "msbc's checks of the spec",
          "opts": [], "metadata": [named("result.json"), named("result.txt"), named("result.statuscode")] },
        { "name": DESCRIBE, "version": "1.0.0", "type": "rpc",
          "description": "List the subrequests msbc's frontend answers",
          "opts": [], "metadata": [named("result.json"), named("result.txt")] },
    ]);
    let mut rows = vec![vec![
        "NAME".to_string(),
        "VERSION".to_string(),
        "DESCRIPTION".to_string(),
    ]];
    for r in list.as_array().into_iter().flatten() {
        rows.push(
            ["name", "version", "description"]
                .iter()
                .map(|k| r[*k].as_str().unwrap_or_default().to_string())
                .collect(),
        );
    }
    meta(&list, table(&rows), "1.0.0")
}

pub fn targets(model: &Model) -> Meta {
    let default = model
        .stages
        .iter()
        .rposition(|s| s.kind == StageKind::Image);
    let mut list = Vec::new();
    let mut rows = vec![vec!["TARGET".to_string(), "DESCRIPTION".to_string()]];
    for (i, s) in model.stages.iter().enumerate() {
        let base = match &s.base {
            Base::Image(w) => spelled(w),
            Base::Stage(id) => model
                .stages
                .get(id.0)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            Base::Scratch => "scratch".to_string(),
        };
        let description = match (s.kind, s.target_only) {
            (StageKind::Image, _) => format!("image, from {base}"),
            (StageKind::Stage, true) => format!("stage built only with --target, from {base}"),
            (StageKind::Stage, false) => format!("stage, from {base}"),
        };
        let is_default = Some(i) == default;
        list.push(json!({
            "name": s.name,
            "default": is_default,
            "description": description,
            "base": base,
            "location": location(s.line),
        }));
        let name = if is_default {
            format!("{} (default)", s.name)
        } else {
            s.name.clone()
        };
        rows.push(vec![name, description]);
    }
    meta(&json!({ "targets": list }), table(&rows), "1.0.0")
}

/// A word as the spec spells it: `golang:${GO_VERSION}-bookworm`.
fn spelled(word: &Word) -> String {
    let mut out = String::new();
    for part in &word.0 {
        match part {
            WordPart::Text { text } => out.push_str(text),
            WordPart::Var {
                name,
                default: Some(d),
                ..
            } => {
                let _ = write!(out, "${{{name}:-{d}}}");
            }
            WordPart::Var { name, .. } => {
                let _ = write!(out, "${{{name}}}");
            }
        }
    }
    out
}

pub fn outline(model: &Model, selection: &Selection) -> Result<Meta, String> {
    let build = lower::select(model, selection).map_err(|e| e.to_string())?;
    let target = build
        .stages
        .get(build.target.0)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let args: Vec<Value> = build
        .args
        .iter()
        .map(|a| {
            let mut v = json!({ "name": a.name });
            if let Some(d) = &a.default {
                v["value"] = json!(d);
            } else if a.unset() {
                v["description"] = json!("optional: the build's date, for reproducible images");
            } else {
                v["description"] = json!("required: no default");
            }
            v
        })
        .collect();
    let mut secrets: BTreeMap<String, (bool, usize)> = BTreeMap::new();
    let mut ssh: BTreeMap<String, (bool, usize)> = BTreeMap::new();
    for stage in &build.stages {
        for step in &stage.steps {
            let StepKind::Run(run) = &step.kind else {
                continue;
            };
            for m in &run.mounts {
                match m {
                    Mount::Secret { id, required, .. } => {
                        let e = secrets.entry(id.clone()).or_insert((false, step.line));
                        e.0 |= *required;
                    }
                    Mount::Ssh { id, required, .. } => {
                        let name = id.clone().unwrap_or_else(|| "default".to_string());
                        let e = ssh.entry(name).or_insert((false, step.line));
                        e.0 |= *required;
                    }
                    _ => {}
                }
            }
        }
    }
    let listed = |m: &BTreeMap<String, (bool, usize)>| -> Vec<Value> {
        m.iter()
            .map(|(name, (required, line))| {
                json!({ "name": name, "required": required, "location": location(*line) })
            })
            .collect()
    };
    let result = json!({
        "name": target,
        "args": args,
        "secrets": listed(&secrets),
        "ssh": listed(&ssh),
    });
    let mut text = format!("TARGET: {target}\n\n");
    let mut rows = vec![vec!["BUILD ARG".to_string(), "VALUE".to_string()]];
    for a in &build.args {
        rows.push(vec![
            a.name.clone(),
            a.default
                .clone()
                .unwrap_or_else(|| "(required)".to_string()),
        ]);
    }
    text.push_str(&table(&rows));
    for (title, m) in [("SECRET", &secrets), ("SSH", &ssh)] {
        if m.is_empty() {
            continue;
        }
        let mut rows = vec![vec![title.to_string(), "REQUIRED".to_string()]];
        for (name, (required, _)) in m {
            rows.push(vec![
                name.clone(),
                if *required { "true" } else { "" }.to_string(),
            ]);
        }
        text.push('\n');
        text.push_str(&table(&rows));
    }
    Ok(meta(&result, text, "1.0.0"))
}

fn diagnostic_location(d: &Diagnostic, text: &str) -> Option<Value> {
    let label = d.labels.first()?;
    let (line, col) = render::line_column(text, label.span.start);
    let (end_line, end_col) = render::line_column(text, label.span.end);
    Some(json!({ "sourceIndex": 0, "ranges": [{
        "start": { "line": line, "character": col - 1 },
        "end": { "line": end_line, "character": end_col - 1 },
    }] }))
}

/// `--call check`: warnings as build-check results, the first error as the
/// build error; status 1 when there is anything to report.
pub fn lint(diagnostics: &Diagnostics, filename: &str, spec: &[u8], text: &str) -> Meta {
    let mut warnings = Vec::new();
    let mut error = None;
    let mut out = String::new();
    for d in diagnostics.sorted() {
        let rule = format!("{}-{}", d.code, d.code.slug());
        let loc = diagnostic_location(d, text);
        if d.is_error() {
            if error.is_none() {
                error = Some(json!({ "message": format!("{}: {}", d.code, d.message),
                                     "location": loc.clone().unwrap_or_else(|| location(1)) }));
            }
        } else {
            let mut w = json!({ "ruleName": rule, "description": d.code.summary(),
                                "detail": d.message });
            if let Some(l) = &loc {
                w["location"] = l.clone();
            }
            warnings.push(w);
        }
        out.push_str(&render::human(d, filename, text, render::Style::Plain));
    }
    let status = if warnings.is_empty() && error.is_none() {
        0
    } else {
        1
    };
    if status == 0 {
        out.push_str("Check complete, no warnings found.\n");
    } else {
        let _ = writeln!(
            out,
            "{}",
            render::summary(
                diagnostics.error_count(),
                diagnostics.warning_count(),
                filename
            )
        );
    }
    let mut result = json!({
        "warnings": warnings,
        "sources": [{ "filename": filename, "language": "KDL",
                      "data": base64(spec) }],
    });
    if let Some(e) = error {
        result["buildError"] = e;
    }
    let mut m = meta(&result, out, "1.0.0");
    m.insert(
        "result.statuscode".to_string(),
        status.to_string().into_bytes(),
    );
    m
}

/// Standard base64, as Go's encoding/json writes `[]byte`.
fn base64(data: &[u8]) -> String {
    use ::base64::Engine as _;
    ::base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile;

    const SPEC: &str = r#"msbc 1
arg VERSION "1.0"
arg TOKEN_NAME
arg SOURCE_DATE_EPOCH
stage build from="debian:${VERSION}-slim" {
    run "make" {
        secret "npmrc" target="/root/.npmrc" required=#true
        ssh
    }
}
stage test from=build target-only=#true {
    run "make test"
}
image app from="debian:bookworm-slim" {
    copy "/out" from=build to="/app"
}
"#;

    fn model() -> Model {
        let c = compile::check(SPEC.as_bytes());
        assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
        c.model.expect("a model")
    }

    fn json_of(m: &Meta) -> Value {
        serde_json::from_slice(&m["result.json"]).unwrap()
    }

    #[test]
    fn targets_list_stages_and_the_default_image() {
        let m = targets(&model());
        let v = json_of(&m);
        let names: Vec<&str> = v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["build", "test", "app"]);
        assert_eq!(
            v["targets"][0]["description"],
            "stage, from debian:${VERSION}-slim"
        );
        assert_eq!(v["targets"][2]["default"], true);
        assert_eq!(
            v["targets"][1]["description"],
            "stage built only with --target, from build"
        );
        let text = String::from_utf8(m["result.txt"].clone()).unwrap();
        assert!(text.starts_with("TARGET"), "{text}");
        assert!(text.contains("app (default) image, from "), "{text}");
    }

    #[test]
    fn outline_lists_args_secrets_and_ssh() {
        let m = outline(&model(), &Selection::default()).unwrap();
        let v = json_of(&m);
        assert_eq!(v["name"], "app");
        assert_eq!(v["args"][0], json!({ "name": "VERSION", "value": "1.0" }));
        assert_eq!(v["args"][1]["name"], "TOKEN_NAME");
        assert_eq!(v["args"][1]["description"], "required: no default");
        assert_eq!(
            v["args"][2]["description"],
            "optional: the build's date, for reproducible images"
        );
        assert_eq!(v["secrets"][0]["name"], "npmrc");
        assert_eq!(v["secrets"][0]["required"], true);
        assert_eq!(v["ssh"][0]["name"], "default");
    }

    #[test]
    fn lint_reports_warnings_and_the_first_error() {
        let bad = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    runn \"x\"\n}\n";
        let c = compile::check(bad.as_bytes());
        let m = lint(&c.diagnostics, "build.kdl", bad.as_bytes(), &c.text);
        let v = json_of(&m);
        assert_eq!(m["result.statuscode"], b"1");
        assert_eq!(v["buildError"]["location"]["ranges"][0]["start"]["line"], 3);
        assert_eq!(v["sources"][0]["data"], base64(bad.as_bytes()));
        let clean = compile::check(SPEC.as_bytes());
        let m = lint(
            &clean.diagnostics,
            "build.kdl",
            SPEC.as_bytes(),
            &clean.text,
        );
        assert_eq!(
            m["result.statuscode"],
            if clean.diagnostics.is_empty() {
                b"0"
            } else {
                b"1"
            }
        );
    }
}
