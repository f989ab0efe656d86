//! Editor support: `msbc graph` (rendered by Graphviz, parsed by Mermaid),
//! `msbc fmt` and the language server.

use crate::support::{msbc, root, spec_files};
use std::path::Path;
use std::process::{Command, Stdio};

/// A tool on PATH, or `None` after printing `SKIPPED: WHAT: why`.
fn tool(name: &str, what: &str, install: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!("SKIPPED: {what}: `{name}` is not on PATH ({install})");
    }
    found
}

/// The stage and image names of the spec's whole build (`--emit json`).
fn stage_names(spec: &Path) -> Vec<String> {
    let out = msbc(&["compile", &spec.display().to_string(), "--emit", "json"]);
    assert_eq!(out.status, 0, "{}: {}", spec.display(), out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    json["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn graph_dot_renders_with_graphviz_one_node_per_stage() {
    let Some(dot) = tool("dot", "graph DOT check", "Debian package graphviz") else {
        return;
    };
    let specs = spec_files();
    assert!(specs.len() >= 10);
    for spec in &specs {
        let shown = spec.display().to_string();
        let out = msbc(&["graph", &shown, "--format", "dot"]);
        assert_eq!(out.status, 0, "{shown}: {}", out.stderr);
        // `-Tplain` lists each node as `node NAME X Y W H LABEL ...`.
        let mut child = Command::new(&dot)
            .arg("-Tplain")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dot starts");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(out.stdout.as_bytes()).expect("write");
        }
        let rendered = child.wait_with_output().expect("dot runs");
        let stderr = String::from_utf8_lossy(&rendered.stderr);
        assert!(
            rendered.status.success() && stderr.trim().is_empty(),
            "{shown}: dot failed: {stderr}\n{}",
            out.stdout
        );
        let plain = String::from_utf8_lossy(&rendered.stdout);
        let labels: Vec<String> = plain
            .lines()
            .filter(|l| l.starts_with("node "))
            .filter_map(|l| l.split('"').nth(1).map(str::to_string))
            .collect();
        for name in stage_names(spec) {
            let nodes = labels
                .iter()
                .filter(|l| {
                    let rest = l
                        .strip_prefix("stage ")
                        .or_else(|| l.strip_prefix("image "))
                        .unwrap_or("");
                    rest.split(' ').next() == Some(name.as_str())
                })
                .count();
            assert_eq!(nodes, 1, "{shown}: stage {name} in {labels:?}");
        }
        let selected = labels.iter().filter(|l| l.ends_with("(selected)")).count();
        assert_eq!(selected, 1, "{shown}: {labels:?}");
    }
}

#[test]
fn graph_marks_the_chosen_target_and_rejects_unknown_ones() {
    let spec = root().join("specs/go-orders/build.kdl");
    let shown = spec.display().to_string();
    let out = msbc(&["graph", &shown, "--target", "test"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains(r#"s2["stage test (target-only) (selected)"]:::selected"#),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(r#"s1 -->|"from="| s2"#),
        "{}",
        out.stdout
    );
    let out = msbc(&["graph", &shown, "--image", "nope"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    // A spec with errors draws nothing and reports them like `check`.
    let out = msbc_stdin_graph(b"msbc 1\nimage app from=nowhere { run \"x\" }\n");
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("E0"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

fn msbc_stdin_graph(spec: &[u8]) -> crate::support::Run {
    crate::support::msbc_in(&root(), &["graph", "-"], Some(spec))
}

/// Mermaid's parser (`tests/tools/mermaid`, npm `mermaid` under jsdom), or
/// `None` after printing why it is not there.
fn mermaid_check() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let node = tool("node", "graph Mermaid check", "Debian package nodejs")?;
    let dir = root().join("tests/tools/mermaid");
    if !dir.join("node_modules/mermaid").is_dir() {
        eprintln!(
            "SKIPPED: graph Mermaid check: Mermaid's parser is not installed (npm ci --prefix tests/tools/mermaid; tests/run.sh does it)"
        );
        return None;
    }
    Some((node, dir.join("check.mjs")))
}

/// Mermaid's verdict on each text: `Ok(diagram type)` or `Err(message)`.
fn mermaid_parse(node: &Path, script: &Path, texts: &[&str]) -> Vec<Result<String, String>> {
    let mut child = Command::new(node)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(texts).expect("json").as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    results
        .iter()
        .map(|r| match (r["ok"].as_str(), r["error"].as_str()) {
            (Some(kind), _) => Ok(kind.to_string()),
            (_, e) => Err(e.unwrap_or("?").to_string()),
        })
        .collect()
}

#[test]
fn graph_mermaid_parses_with_mermaids_parser() {
    let Some((node, script)) = mermaid_check() else {
        return;
    };
    let mut inputs: Vec<(String, String)> = Vec::new();
    for spec in spec_files() {
        let shown = spec.display().to_string();
        let out = msbc(&["graph", &shown]);
        assert_eq!(out.status, 0, "{shown}: {}", out.stderr);
        inputs.push((shown, out.stdout));
    }
    // Labels with what Mermaid reads as syntax or HTML.
    let odd = br##"msbc 1
stage build from="alpine:3" { run "mkdir -p /out"; }
artifact bin from=build path="/out/\"q\"#1<b>&`x`|]})"
image app from="scratch" { copy artifact=bin to="/x"; }
"##;
    let out = crate::support::msbc_in(&root(), &["graph", "-"], Some(odd));
    assert_eq!(out.status, 0, "{}", out.stderr);
    inputs.push(("odd labels".to_string(), out.stdout));
    // The check itself must reject a broken diagram.
    inputs.push((
        "broken".to_string(),
        "flowchart LR\n  a[\"x\"] -->|\"y| b\n".to_string(),
    ));
    let texts: Vec<&str> = inputs.iter().map(|(_, t)| t.as_str()).collect();
    let results = mermaid_parse(&node, &script, &texts);
    assert_eq!(results.len(), inputs.len());
    let (broken, good) = results.split_last().expect("results");
    assert!(broken.is_err(), "a broken diagram parsed: {broken:?}");
    for ((shown, text), result) in inputs.iter().zip(good) {
        match result {
            Ok(kind) => assert!(kind.starts_with("flowchart"), "{shown}: {kind}"),
            Err(e) => panic!("{shown}: Mermaid rejects it: {e}\n{text}"),
        }
    }
}
