//! Fleet mode: `msbc check DIR...`, `msbc compile --all`, `msbc images` and
//! `msbc diff --templates-from NEW DIR...` over `specs/` (the example
//! monorepo) and over generated trees with bad input.

use crate::support::{copy_dir, msbc, msbc_in, root, spec_files};
use std::path::{Path, PathBuf};

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    crate::support::scratch(&format!("fleet/{name}"))
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

const GOOD: &str =
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    user \"1000\"\n    run \"true\"\n}\n";
/// E0202: a stage that does not exist.
const BROKEN: &str = "msbc 1\nimage app from=\"alpine:3.20\" {\n    copy from=nowhere \"/x\" to=\"/x\"\n    user \"1000\"\n}\n";

/// A tree with good specs and every kind of bad input.
fn bad_tree(name: &str) -> PathBuf {
    let dir = scratch(name);
    write(&dir.join("good/build.kdl"), GOOD.as_bytes());
    write(&dir.join("deep/er/svc/build.kdl"), GOOD.as_bytes());
    write(&dir.join("errors/build.kdl"), BROKEN.as_bytes());
    write(&dir.join("latin1/build.kdl"), b"msbc 1\n// caf\xe9\n");
    // Ignored by .gitignore (outside a git checkout too) and skipped folders.
    write(&dir.join(".gitignore"), b"generated/\n");
    write(&dir.join("generated/build.kdl"), BROKEN.as_bytes());
    for skipped in ["node_modules/x", "vendor/y", "target/z", ".git/w"] {
        write(&dir.join(skipped).join("build.kdl"), BROKEN.as_bytes());
    }
    // A build.kdl that cannot be read, and a symlink loop.
    std::fs::create_dir_all(dir.join("dangling")).expect("mkdir");
    std::os::unix::fs::symlink("/nonexistent/msbc-fleet", dir.join("dangling/build.kdl"))
        .expect("symlink");
    std::fs::create_dir_all(dir.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("..", dir.join("loop/up")).expect("symlink");
    dir
}

#[test]
fn check_over_the_example_monorepo_counts_every_spec() {
    let run = msbc(&["check", "specs"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let n = spec_files().len();
    assert!(n >= 10);
    assert!(
        run.stderr
            .contains(&format!("{n} specs: 0 with errors, 0 with warnings")),
        "{}",
        run.stderr
    );
    // Two folders: the union, each spec once.
    let run = msbc(&["check", "specs/go", "specs/go-orders", "specs/go"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("2 specs: 0 with errors"),
        "{}",
        run.stderr
    );
}

#[test]
fn one_spec_keeps_the_single_spec_behaviour() {
    let run = msbc(&["check", "specs/go-orders"]);
    assert_eq!(run.status, 0);
    assert!(run.stderr.contains("no problems"), "{}", run.stderr);
    assert!(!run.stderr.contains(" specs: "), "{}", run.stderr);
    // `--check` without FILE is for --all only.
    let run = msbc(&["compile", "specs/go-orders", "--check"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--check needs the FILE"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_input_is_reported_with_its_path_and_the_rest_is_checked() {
    let dir = bad_tree("check-bad");
    let run = msbc_in(&dir, &["check", "."], None);
    // A build.kdl that cannot be read is an I/O error: exit 2; the link
    // loop is no spec: a warning.
    assert_eq!(run.status, 2, "{}", run.stderr);
    let err = &run.stderr;
    assert!(err.contains("./errors/build.kdl"), "{err}");
    assert!(err.contains("E0202"), "{err}");
    assert!(err.contains("./latin1/build.kdl"), "{err}");
    assert!(err.contains("E0002"), "{err}");
    assert!(err.contains("./dangling/build.kdl"), "{err}");
    assert!(
        err.contains("warning: ./loop/up: a link loop (it points to .); skipped"),
        "{err}"
    );
    for hidden in ["generated", "node_modules", "vendor", "target/z", ".git/w"] {
        assert!(!err.contains(hidden), "{hidden} was searched: {err}");
    }
    // good, deep/er/svc, errors, latin1 (+ the same through the loop? no:
    // a loop is reported, not followed).
    assert!(
        err.contains(
            "4 specs: 2 with errors, 0 with warnings; 1 path could not be read; 1 path skipped"
        ),
        "{err}"
    );

    let run = msbc_in(&dir, &["check", ".", "--format", "json"], None);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let files: Vec<&str> = doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert_eq!(
        files,
        [
            "./deep/er/svc/build.kdl",
            "./errors/build.kdl",
            "./good/build.kdl",
            "./latin1/build.kdl"
        ]
    );
    assert_eq!(doc["with_errors"], 2);
    let failures = doc["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(doc["skipped"][0]["path"], "./loop/up", "{doc}");
    assert!(
        failures.iter().any(|f| f["path"] == "./dangling/build.kdl"),
        "{failures:?}"
    );

    // Without the unreadable parts: exit 1 for the spec errors.
    std::fs::remove_file(dir.join("dangling/build.kdl")).expect("rm");
    std::fs::remove_file(dir.join("loop/up")).expect("rm");
    let run = msbc_in(&dir, &["check", "."], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    std::fs::remove_dir_all(dir.join("errors")).expect("rm");
    std::fs::remove_dir_all(dir.join("latin1")).expect("rm");
    let run = msbc_in(&dir, &["check", "."], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("2 specs: 0 with errors"),
        "{}",
        run.stderr
    );
}

#[test]
fn sarif_and_github_cover_the_whole_fleet() {
    let dir = scratch("sarif");
    write(&dir.join("a/build.kdl"), BROKEN.as_bytes());
    write(&dir.join("b/build.kdl"), BROKEN.as_bytes());
    write(&dir.join("c/build.kdl"), GOOD.as_bytes());
    let run = msbc_in(&dir, &["check", "a", "b", "c", "--format", "sarif"], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("SARIF");
    let uris: Vec<&str> = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert_eq!(uris, ["a/build.kdl", "b/build.kdl"]);
    assert_eq!(doc["runs"].as_array().map(Vec::len), Some(1));
    let run = msbc_in(&dir, &["check", "a", "b", "c", "--format", "github"], None);
    assert_eq!(run.status, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with("::error file=a/build.kdl,line=3"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::error file=b/build.kdl,line=3"),
        "{}",
        lines[1]
    );
}

#[test]
fn compile_all_writes_beside_each_spec_and_checks_for_drift() {
    let dir = scratch("compile-all");
    copy_dir(&root().join("specs/go"), &dir.join("services/go"));
    copy_dir(
        &root().join("specs/node-web"),
        &dir.join("services/node-web"),
    );
    write(&dir.join("services/broken/build.kdl"), BROKEN.as_bytes());
    let run = msbc_in(&dir, &["compile", "--all", "services", "--write"], None);
    assert_eq!(run.status, 1, "the broken spec: {}", run.stderr);
    assert!(!dir.join("services/broken/Dockerfile").exists());
    for svc in ["go", "node-web"] {
        let single = msbc_in(&dir.join("services").join(svc), &["compile"], None);
        assert_eq!(single.status, 0, "{}", single.stderr);
        let written = std::fs::read_to_string(dir.join("services").join(svc).join("Dockerfile"))
            .expect("Dockerfile written");
        assert_eq!(written, single.stdout, "{svc}");
    }
    // node-web has `context { ignore }`: its ignore file beside it.
    assert!(
        dir.join("services/node-web/Dockerfile.dockerignore")
            .is_file()
    );
    std::fs::remove_dir_all(dir.join("services/broken")).expect("rm");
    let run = msbc_in(&dir, &["compile", "--all", "services", "--check"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("0 out of date"), "{}", run.stderr);
    // `--check` before the folder (its optional value is a folder here).
    let run = msbc_in(&dir, &["compile", "--all", "--check", "services"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);

    let file = dir.join("services/go/Dockerfile");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("USER 65532:65532", "USER root")).expect("write");
    let run = msbc_in(&dir, &["compile", "--all", "services", "--check"], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("services/go/Dockerfile is out of date"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("+USER 65532:65532"), "{}", run.stderr);
    assert!(!run.stderr.contains("node-web/Dockerfile is out of date"));
    assert!(run.stderr.contains("1 out of date"), "{}", run.stderr);
}

#[test]
fn images_lists_each_image_and_tag_with_services_and_stages() {
    let run = msbc(&["images", "specs", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let images = doc["images"].as_array().expect("images");
    // Every FROM image of every spec's Dockerfile is in the inventory,
    // under that service and stage, with the arg defaults filled in.
    for spec in spec_files() {
        let dir = spec.parent().expect("dir");
        let service = dir
            .strip_prefix(root())
            .expect("under root")
            .display()
            .to_string();
        let json = msbc(&["compile", &service, "--emit", "json"]);
        assert_eq!(json.status, 0, "{}", json.stderr);
        let model: serde_json::Value = serde_json::from_str(&json.stdout).expect("model");
        let args = model["args"].as_array().cloned().unwrap_or_default();
        for stage in model["stages"].as_array().expect("stages") {
            if stage["base"]["type"] != "image" {
                continue;
            }
            let Some(parts) = stage["base"]["value"].as_array() else {
                continue;
            };
            let mut reference = String::new();
            for p in parts {
                match p["type"].as_str() {
                    Some("text") => reference.push_str(p["text"].as_str().unwrap_or("")),
                    _ => {
                        let name = p["name"].as_str().unwrap_or("");
                        match args.iter().find(|a| a["name"] == name) {
                            Some(a) if a["default"].is_string() => {
                                reference.push_str(a["default"].as_str().unwrap_or(""))
                            }
                            _ => reference.push_str(&format!("${{{name}}}")),
                        }
                    }
                }
            }
            if reference == "scratch" {
                continue;
            }
            let found = images.iter().any(|e| {
                let tag = e["tag"]
                    .as_str()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default();
                let digest = e["digest"]
                    .as_str()
                    .map(|d| format!("@{d}"))
                    .unwrap_or_default();
                format!("{}{tag}{digest}", e["image"].as_str().unwrap_or("")) == reference
                    && e["uses"].as_array().is_some_and(|u| {
                        u.iter().any(|u| {
                            u["service"] == service.as_str() && u["stage"] == stage["name"]
                        })
                    })
            });
            assert!(
                found,
                "{service} stage {} pulls {reference}: not in the inventory",
                stage["name"]
            );
        }
    }
    assert!(
        images
            .iter()
            .all(|e| !e["image"].as_str().unwrap_or("").contains("${")),
        "arg defaults filled in"
    );
    // `copy from="image"` counts too.
    assert!(
        images
            .iter()
            .any(|e| e["image"] == "golangci/golangci-lint" && e["uses"][0]["how"] == "copy")
    );

    let md = msbc(&["images", "specs", "--format", "markdown"]);
    assert_eq!(md.status, 0);
    assert_eq!(
        md.stdout.lines().filter(|l| l.starts_with("| `")).count(),
        images.len()
    );
    assert!(
        md.stdout.contains("| `golang` | 1.23-bookworm | no |"),
        "{}",
        md.stdout
    );
}

#[test]
fn images_answers_who_is_not_pinned_and_who_builds_on_an_old_tag() {
    let dir = scratch("images");
    let digest = format!("sha256:{}", "a".repeat(64));
    write(
        &dir.join("old/build.kdl"),
        b"msbc 1\narg NODE \"18\"\nimage web from=\"node:${NODE}-slim\" {\n    user \"node\"\n}\n",
    );
    write(
        &dir.join("pinned/build.kdl"),
        format!("msbc 1\nimage web from=\"node:22-slim@{digest}\" {{\n    user \"node\"\n}}\n")
            .as_bytes(),
    );
    let run = msbc_in(&dir, &["images", ".", "--format", "json"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["unpinned_services"], serde_json::json!(["./old"]));
    let old = &doc["images"][0];
    assert_eq!(old["image"], "node");
    assert_eq!(old["tag"], "18-slim");
    assert_eq!(old["unpinned"], true);
    let pinned = &doc["images"][1];
    assert_eq!(pinned["digest"], digest.as_str());
    assert_eq!(pinned["unpinned"], false);
    // `--arg` overrides the default everywhere it is declared.
    let run = msbc_in(
        &dir,
        &["images", ".", "--arg", "NODE=20", "--format", "json"],
        None,
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["images"][0]["tag"], "20-slim");
    // A spec with errors is named and its images are left out: exit 1.
    write(&dir.join("broken/build.kdl"), BROKEN.as_bytes());
    let run = msbc_in(&dir, &["images", "."], None);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("./broken/build.kdl has errors"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("node:18-slim  (unpinned)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_template_upgrade_over_the_fleet() {
    let run = msbc(&[
        "diff",
        "--templates-from",
        "specs/platform-next",
        "specs",
        "--format",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["services"], spec_files().len());
    // Only the specs that `use go` change (platform-next has `go` only).
    let users: Vec<String> = spec_files()
        .iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("use go"))
        })
        .map(|p| p.strip_prefix(root()).expect("root").display().to_string())
        .collect();
    assert!(!users.is_empty());
    assert_eq!(doc["changed"], serde_json::json!(users));
    assert_eq!(doc["lose_cache"], serde_json::json!(users));
    let go = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["spec"] == users[0].as_str())
        .expect("the go spec");
    let config = go["summary"]["images"].as_array().expect("images");
    assert!(
        config
            .iter()
            .any(|c| c["field"] == "user" && c["new"] == "nonroot"),
        "{config:?}"
    );
    let cache = go["summary"]["cache"].as_array().expect("cache");
    assert_eq!(cache[0]["stage"], "deps", "{cache:?}");
    // Human: one line for the fleet, a block per changed service.
    let run = msbc(&[
        "diff",
        "--templates-from",
        "specs/platform-next",
        "specs",
        "--stat",
    ]);
    assert_eq!(run.status, 0);
    assert!(
        run.stdout.contains(&format!(
            "{} services: {} change, {} lose build cache, {} change their image config",
            spec_files().len(),
            users.len(),
            users.len(),
            users.len()
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("== {}", users[0])));
    let run = msbc(&[
        "diff",
        "--templates-from",
        "specs/platform-next",
        "specs",
        "--exit-code",
    ]);
    assert_eq!(run.status, 1);
}

/// A chain of `n` stages, each on `alpine`: env, run, copy from the
/// previous stage, workdir (the copy-only shape of issue 15's benchmark,
/// `scripts/bench.sh`).
fn chain(n: usize) -> String {
    let mut s = String::from(
        "msbc 1\nstage s0 from=\"alpine:3.20\" {\n    env K0=\"v0\"\n    run \"echo 0 > /f0\"\n    workdir \"/w0\"\n}\n",
    );
    for i in 1..n {
        s.push_str(&format!(
            "stage s{i} from=\"alpine:3.20\" {{\n    env K{i}=\"v{i}\"\n    run \"echo {i} > /f{i}\"\n    copy from=s{p} \"/f{p}\" to=\"/g{i}\"\n    workdir \"/w{i}\"\n}}\n",
            p = i - 1
        ));
    }
    s.push_str(&format!(
        "image app from=s{} {{\n    user \"1000\"\n    entrypoint \"/bin/true\"\n}}\n",
        n - 1
    ));
    s
}

/// The bytes `emit` writes for a chain of `n` stages.
fn chain_output(n: usize, emit: msbc::compile::Emit) -> usize {
    let checked = msbc::compile::check(chain(n).as_bytes());
    assert!(
        !checked.diagnostics.has_errors(),
        "{:?}",
        checked.diagnostics
    );
    let model = checked.model.expect("model");
    let out = msbc::compile::emit(&model, &Default::default(), emit, "build.kdl").expect("emit");
    out.main.len() + out.binary.map_or(0, |b| b.len())
}

/// What a stage writes depends on that stage alone when it only copies from
/// the one before: ten times the stages give at most twelve times the
/// Dockerfile and the LLB (a stage carrying every earlier stage's variables
/// or ops would give ~100 times). How long that takes, and the memory, are
/// benchmarked by `scripts/bench.sh` (issue 15's figures), not timed here.
#[test]
fn a_chain_of_copies_compiles_to_output_linear_in_its_stages() {
    use msbc::compile::Emit;
    for emit in [Emit::Dockerfile, Emit::Llb] {
        let (small, large) = (chain_output(100, emit), chain_output(1000, emit));
        let growth = large as f64 / small as f64;
        assert!(
            growth <= 12.0,
            "{emit:?}: 100 stages {small} bytes, 1,000 stages {large} bytes: x{growth:.1}"
        );
    }
}

#[test]
fn a_folder_without_any_build_kdl_says_how_to_start() {
    let dir = scratch("nothing-here");
    write(&dir.join("src/main.go"), b"package main\n");
    let run = msbc_in(&dir, &["check", "."], None);
    assert_eq!(run.status, 2, "{}", run.stderr);
    // How to start, as a folder without a spec said before fleet mode.
    assert!(run.stderr.contains("no spec in ."), "{}", run.stderr);
    assert!(
        run.stderr.contains("`msbc init` writes one"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("msbc import"), "{}", run.stderr);
    assert!(run.stderr.contains("msbc presets"), "{}", run.stderr);
    // A Dockerfile there is named.
    write(&dir.join("Dockerfile"), b"FROM alpine:3.20\n");
    let run = msbc_in(&dir, &["check", "."], None);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("msbc import Dockerfile > build.kdl"),
        "{}",
        run.stderr
    );
}

#[test]
fn links_that_are_no_build_kdl_and_cannot_be_read_are_warnings() {
    let dir = scratch("links");
    write(&dir.join("good/build.kdl"), GOOD.as_bytes());
    // What a checkout often holds: a link to a file not built yet, a link
    // to itself, a link to a folder above.
    std::os::unix::fs::symlink("../out/not-built-yet", dir.join("good/latest")).expect("symlink");
    std::os::unix::fs::symlink("self", dir.join("self")).expect("symlink");
    std::fs::create_dir_all(dir.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("..", dir.join("loop/up")).expect("symlink");
    for args in [
        &["check", "."][..],
        &["images", "."],
        &["compile", "--all", "."],
    ] {
        let run = msbc_in(&dir, args, None);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        for path in ["./good/latest", "./self", "./loop/up"] {
            assert!(
                run.stderr
                    .lines()
                    .any(|l| l.starts_with("warning: ") && l.contains(path)),
                "{args:?}: no warning for {path}: {}",
                run.stderr
            );
        }
        assert!(
            !run.stderr.lines().any(|l| l.starts_with("error")),
            "{args:?}: {}",
            run.stderr
        );
    }
    // The specs decide the exit status.
    write(&dir.join("broken/build.kdl"), BROKEN.as_bytes());
    let run = msbc_in(&dir, &["check", "."], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("2 specs: 1 with errors, 0 with warnings; 3 paths skipped"),
        "{}",
        run.stderr
    );
    // A build.kdl that cannot be read is still an error.
    std::os::unix::fs::symlink("/nonexistent/msbc-fleet", dir.join("loop/build.kdl"))
        .expect("symlink");
    let run = msbc_in(&dir, &["check", "."], None);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: ./loop/build.kdl"),
        "{}",
        run.stderr
    );
}

#[test]
fn fmt_takes_folders_as_check_and_compile_all_do() {
    let dir = scratch("fmt");
    let messy = "msbc 1\nimage app   from=\"alpine:3.20\" {\n  user \"1000\"\n}\n";
    write(&dir.join("services/a/build.kdl"), messy.as_bytes());
    write(&dir.join("services/b/build.kdl"), GOOD.as_bytes());
    let run = msbc_in(&dir, &["fmt", "--check", "services"], None);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("services/a/build.kdl (as written)"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("services/b/build.kdl"),
        "{}",
        run.stdout
    );
    let run = msbc_in(&dir, &["fmt", "services"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = msbc_in(&dir, &["fmt", "--check", "services", "services/b"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let formatted = std::fs::read_to_string(dir.join("services/a/build.kdl")).expect("read");
    assert!(
        formatted.contains("image app from=\"alpine:3.20\""),
        "{formatted}"
    );
    // Nothing to format is said as `check` says it.
    std::fs::create_dir_all(dir.join("empty")).expect("mkdir");
    let run = msbc_in(&dir, &["fmt", "--check", "empty"], None);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no spec in empty"), "{}", run.stderr);
}
