//! Editor support: `msbc graph` (rendered by Graphviz, parsed by Mermaid),
//! `msbc fmt` and the language server.

use crate::support::{msbc, root, spec_files, tool};
use std::path::Path;
use std::process::{Command, Stdio};

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
#[ignore = "needs Graphviz's dot (Debian package graphviz)"]
fn needs_dot_graph_renders_with_graphviz_one_node_per_stage() {
    let Some(dot) = tool("dot", "graph DOT check", "Debian package graphviz") else {
        panic!("needs Graphviz's dot on PATH (Debian package graphviz)");
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
#[ignore = "needs node and Mermaid's parser (tests/run.sh installs it)"]
fn needs_mermaid_graph_parses_with_mermaids_parser() {
    let Some((node, script)) = mermaid_check() else {
        panic!("needs node and Mermaid's parser in tests/tools/mermaid (tests/run.sh installs it)");
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

// ---- msbc fmt ---------------------------------------------------------------

/// `value` without its `line` fields (the IR names the spec's lines).
fn without_lines(mut value: serde_json::Value) -> serde_json::Value {
    match &mut value {
        serde_json::Value::Object(map) => {
            map.remove("line");
            for v in map.values_mut() {
                *v = without_lines(v.take());
            }
        }
        serde_json::Value::Array(list) => {
            for v in list.iter_mut() {
                *v = without_lines(v.take());
            }
        }
        _ => {}
    }
    value
}

/// Every `.kdl` spec of the repository: `specs/`, the fixtures.
fn all_kdl() -> Vec<std::path::PathBuf> {
    let mut out = spec_files();
    let mut todo = vec![root().join("tests/fixtures")];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "kdl")
                && p.file_name().is_some_and(|n| n != "preset.kdl")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fmt_is_idempotent_and_compiles_to_the_same_output() {
    let mut compared = 0;
    for path in all_kdl() {
        let shown = path.display().to_string();
        let bytes = std::fs::read(&path).expect("read");
        let dir = path.parent().expect("dir");
        let first = crate::support::msbc_in(dir, &["fmt", "-"], Some(&bytes));
        // KDL syntax errors: E0001, and the Dockerfile habits E0006/E0007.
        let syntax = ["E0001", "E0006", "E0007"];
        if std::str::from_utf8(&bytes).is_err() || syntax.iter().any(|c| first.stderr.contains(c)) {
            // Not UTF-8, or not KDL: reported, nothing written.
            assert_eq!(first.status, 1, "{shown}: {}", first.stderr);
            assert!(first.stdout.is_empty());
            continue;
        }
        assert_eq!(first.status, 0, "{shown}: {}", first.stderr);
        let second = crate::support::msbc_in(dir, &["fmt", "-"], Some(first.stdout.as_bytes()));
        assert_eq!(second.stdout, first.stdout, "{shown}: not idempotent");
        // Every comment is still there.
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            if let Some(at) = line.find("// ")
                && !line[..at].contains('"')
            {
                let comment = line[at..].trim();
                assert!(
                    first.stdout.contains(comment),
                    "{shown}: lost {comment:?}\n{}",
                    first.stdout
                );
            }
        }
        // The same diagnostics (codes) and, for a good spec, the same build.
        let check = |spec: &[u8]| {
            let out = crate::support::msbc_in(dir, &["check", "-", "--format", "json"], Some(spec));
            let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
            let codes: Vec<String> = json["diagnostics"]
                .as_array()
                .expect("list")
                .iter()
                .map(|d| d["code"].as_str().unwrap_or("").to_string())
                .collect();
            (out.status, codes)
        };
        let before = check(&bytes);
        assert_eq!(check(first.stdout.as_bytes()), before, "{shown}");
        if before.0 != 0 {
            continue;
        }
        for emit in ["dockerfile", "json"] {
            let a = crate::support::msbc_in(dir, &["compile", "-", "--emit", emit], Some(&bytes));
            let b = crate::support::msbc_in(
                dir,
                &["compile", "-", "--emit", emit],
                Some(first.stdout.as_bytes()),
            );
            assert_eq!(a.status, b.status, "{shown}");
            if emit == "json" && a.status == 0 {
                let a: serde_json::Value = serde_json::from_str(&a.stdout).expect("json");
                let b: serde_json::Value = serde_json::from_str(&b.stdout).expect("json");
                assert_eq!(without_lines(a), without_lines(b), "{shown}");
            } else {
                assert_eq!(a.stdout, b.stdout, "{shown}: --emit {emit} differs");
            }
        }
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} specs compiled");
}

#[test]
fn fmt_keeps_generated_specs_meaning() {
    use msbc::compile::{self, Emit};
    use msbc::lower::Selection;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[16; 32]),
    );
    let strategy = crate::fuzz::spec();
    let (mut formatted, mut built) = (0, 0);
    for _ in 0..150 {
        let text = strategy.new_tree(&mut runner).expect("spec").current();
        // Comments and odd spacing the generator does not write.
        let text = text
            .replace("\n", " // note\n")
            .replace(" {", "   /* b */ {")
            .replace("=", " = ");
        let Ok(out) = msbc::editor::fmt::format(&text) else {
            continue;
        };
        formatted += 1;
        assert_eq!(
            msbc::editor::fmt::format(&out).ok().as_deref(),
            Some(out.as_str()),
            "{text}"
        );
        assert_eq!(
            out.matches("// note").count(),
            text.matches("// note").count(),
            "{text}\n{out}"
        );
        let (a, b) = (
            compile::check(text.as_bytes()),
            compile::check(out.as_bytes()),
        );
        let codes = |c: &compile::Checked| c.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>();
        assert_eq!(codes(&a), codes(&b), "{text}\n{out}");
        if let (Some(ma), Some(mb)) = (a.model, b.model) {
            let sel = Selection::default();
            let ea = compile::emit(&ma, &sel, Emit::Dockerfile, "build.kdl").map(|o| o.main);
            let eb = compile::emit(&mb, &sel, Emit::Dockerfile, "build.kdl").map(|o| o.main);
            assert_eq!(ea, eb, "{text}\n{out}");
            built += 1;
        }
    }
    eprintln!("fmt: {formatted} generated specs formatted, {built} compiled");
    assert!(
        formatted > 60 && built > 20,
        "{formatted} formatted, {built} built"
    );
}

#[test]
fn fmt_check_and_in_place() {
    let dir = crate::support::TempDir::new("fmt");
    let spec = dir.join("build.kdl");
    let messy = "msbc 1\nimage app from=\"alpine:3\" { run \"true\"; user \"nobody\" }   // done\n";
    std::fs::write(&spec, messy).expect("write");
    let shown = spec.display().to_string();
    let out = msbc(&["fmt", "--check", &shown]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stdout.contains("+    run \"true\""), "{}", out.stdout);
    assert!(out.stdout.contains("-image app"), "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&spec).expect("read"), messy);
    let out = msbc(&["fmt", &dir.display().to_string()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let want =
        "msbc 1\nimage app from=\"alpine:3\" {\n    run \"true\"\n    user \"nobody\"\n} // done\n";
    assert_eq!(std::fs::read_to_string(&spec).expect("read"), want);
    let out = msbc(&["fmt", "--check", &shown]);
    assert_eq!((out.status, out.stdout.as_str()), (0, ""));
    let _ = std::fs::remove_dir_all(&dir);
}
