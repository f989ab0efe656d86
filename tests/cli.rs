//! The command line through the real binary: exit codes, files, flags.

use crate::support::{Msbc, TempDir, msbc, msbc_in, root};

const GO: &str = "specs/go-orders/build.kdl";

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let run = msbc(&["--help"]);
    assert_eq!(run.status, 0);
    for word in ["compile", "check", "explain", "Exit status"] {
        assert!(
            run.stdout.contains(word),
            "--help lacks {word}:\n{}",
            run.stdout
        );
    }
    let run = msbc(&["compile", "--help"]);
    for flag in [
        "--emit",
        "--image",
        "--target",
        "--arg",
        "--platform",
        "--syntax",
        "--check",
        "-o",
    ] {
        assert!(run.stdout.contains(flag), "compile --help lacks {flag}");
    }
}

#[test]
fn usage_and_io_errors_exit_2() {
    for args in [
        vec!["compile", "no/such/build.kdl"],
        vec!["compile", GO, "--emit", "yaml"],
        vec!["compile", GO, "--image", "ordres"],
        vec!["compile", GO, "--target", "nope"],
        vec!["compile", GO, "--arg", "GO_VERSON=1.24"],
        vec!["compile", GO, "--arg", "novalue"],
        vec!["compile", GO, "--platform", "Linux"],
        vec!["frobnicate"],
        vec!["explain", "E9999"],
    ] {
        let run = msbc(&args);
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?} explains itself");
    }
    let run = msbc(&["compile", GO, "--image", "ordres"]);
    assert!(
        run.stderr.contains("did you mean `orders`?"),
        "{}",
        run.stderr
    );
    let run = msbc(&["compile", GO, "--arg", "GO_VERSON=1.24"]);
    assert!(
        run.stderr.contains("did you mean `GO_VERSION`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn spec_errors_exit_1_with_the_code() {
    let run = msbc_in(
        &root(),
        &["compile", "-"],
        Some(b"msbc 1\nimage a from=biuld { user \"x\" }\nstage build from=\"alpine:3.20\"\n"),
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[E0202]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `build`?"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "no output on error");
}

#[test]
fn warnings_keep_exit_0_unless_denied() {
    let spec = b"msbc 1\nimage a from=\"alpine:latest\" { user \"nobody\" }\n";
    let run = msbc_in(&root(), &["compile", "-"], Some(spec));
    assert_eq!(run.status, 0);
    assert!(run.stderr.contains("warning[W0002]"));
    assert!(run.stdout.starts_with("# syntax="));
    let run = msbc_in(&root(), &["compile", "--deny-warnings", "-"], Some(spec));
    assert_eq!(run.status, 1);
    let run = msbc_in(&root(), &["check", "--deny-warnings", "-"], Some(spec));
    assert_eq!(run.status, 1);
}

#[test]
fn output_file_gets_its_dockerignore_beside_it() {
    let dir = TempDir::new("output");
    let out = dir.join("Dockerfile");
    let run = msbc(&[
        "compile",
        "specs/rust-workspace",
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let dockerfile = std::fs::read_to_string(&out).expect("written");
    assert!(dockerfile.contains("FROM "));
    let ignore =
        std::fs::read_to_string(dir.join("Dockerfile.dockerignore")).expect("dockerignore written");
    assert!(ignore.lines().any(|l| l == "target/"), "{ignore}");
}

#[test]
fn check_flag_reports_drift_with_a_diff_and_the_fix() {
    let dir = TempDir::new("drift");
    let out = dir.join("Dockerfile");
    let out_s = out.to_string_lossy().into_owned();
    assert_eq!(msbc(&["compile", GO, "-o", &out_s]).status, 0);
    let run = msbc(&["compile", GO, "--check", &out_s]);
    assert_eq!(run.status, 0, "fresh file: {}", run.stderr);

    let stale = std::fs::read_to_string(&out)
        .expect("read")
        .replace("EXPOSE 8080", "EXPOSE 9090");
    std::fs::write(&out, stale).expect("write");
    let run = msbc(&["compile", GO, "--check", &out_s]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("-EXPOSE 9090") && run.stderr.contains("+EXPOSE 8080"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("msbc compile {GO} -o {out_s}")),
        "{}",
        run.stderr
    );
    // --check never writes.
    assert!(
        std::fs::read_to_string(&out)
            .expect("read")
            .contains("EXPOSE 9090")
    );
}

#[test]
fn emit_json_is_the_resolved_model() {
    let run = msbc(&["compile", GO, "--emit", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let model: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let names: Vec<&str> = model["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, vec!["deps", "build", "test", "orders"]);
    assert_eq!(model["target"], 3);
    assert_eq!(model["args"][0]["name"], "GO_VERSION");
}

#[test]
fn flags_change_the_output() {
    let run = msbc(&[
        "compile",
        GO,
        "--arg",
        "GO_VERSION=1.24",
        "--syntax",
        "none",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("ARG GO_VERSION=1.24\n"));
    assert!(!run.stdout.contains("# syntax"));
    assert!(
        !run.stdout.contains("<<"),
        "no heredocs without the modern frontend"
    );
    assert!(
        run.stdout.contains(r#"["/bin/sh", "-c", "set -eu\nGOOS="#),
        "{}",
        run.stdout
    );

    let run = msbc(&["compile", GO, "--platform", "linux/arm64"]);
    assert!(run.stdout.contains(
        "FROM --platform=linux/arm64 gcr.io/distroless/static-debian12:nonroot AS orders"
    ));
    // An explicit platform wins.
    assert!(
        run.stdout
            .contains("FROM --platform=${BUILDPLATFORM} golang:")
    );
}

#[test]
fn a_directory_or_stdin_is_a_spec() {
    let by_dir = msbc(&["compile", "specs/go-orders"]);
    let by_file = msbc(&["compile", GO]);
    let source = std::fs::read(root().join(GO)).expect("read");
    let by_stdin = msbc_in(&root(), &["compile", "-"], Some(&source));
    assert_eq!(by_dir.status, 0);
    assert_eq!(by_dir.stdout, by_file.stdout);
    assert_eq!(by_stdin.stdout, by_file.stdout);
}

#[test]
fn explain_prints_the_catalogue_and_each_code() {
    let run = msbc(&["explain"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("E0202") && run.stdout.contains("unknown-stage"));
    let by_code = msbc(&["explain", "E0202"]);
    let by_name = msbc(&["explain", "unknown-stage"]);
    assert_eq!(by_code.status, 0);
    assert_eq!(by_code.stdout, by_name.stdout);
    let run = msbc(&["explain", "E0220"]);
    assert!(run.stderr.contains("did you mean"), "{}", run.stderr);
}

/// `msbc explain NODE`: every node of the language, from the table the
/// checker and the editor read; each example checks without a diagnostic.
#[test]
fn explain_prints_each_nodes_reference() {
    let names = msbc::editor::reference::names();
    for name in [
        "arg",
        "context",
        "toolchain",
        "stage",
        "artifact",
        "image",
        "use",
        "workdir",
        "copy",
        "run",
        "cache",
        "secret",
        "ssh",
        "tmpfs",
        "bind",
        "env",
        "label",
        "user",
        "expose",
        "entrypoint",
        "cmd",
        "healthcheck",
        "volume",
        "stopsignal",
        "shell",
        "ignore",
        "policy",
    ] {
        assert!(names.contains(&name), "{name} is not in the reference");
    }
    // The examples' folder: what they copy and the project `use go` reads.
    let dir = crate::support::scratch("explain-nodes");
    std::fs::write(dir.join("go.mod"), "module example.com/app\n\ngo 1.23\n").expect("go.mod");
    std::fs::create_dir_all(dir.join("templates")).expect("templates");
    std::fs::create_dir_all(dir.join("cmd/server")).expect("cmd/server");
    std::fs::write(
        dir.join("cmd/server/main.go"),
        "package main\n\nfunc main() {}\n",
    )
    .expect("main.go");
    for name in &names {
        let run = msbc(&["explain", name]);
        assert_eq!(run.status, 0, "msbc explain {name}: {}", run.stderr);
        let text = &run.stdout;
        assert!(text.starts_with(&format!("{name}: ")), "{name}: {text}");
        for section in ["Arguments: ", "Properties:", "Children: ", "Example:"] {
            assert!(text.contains(section), "{name}: no `{section}`:\n{text}");
        }
        for entry in msbc::editor::reference::nodes_named(name) {
            assert!(text.contains(entry.usage), "{name}: no usage line:\n{text}");
            for p in entry.props {
                assert!(
                    text.contains(&format!("  {}= ", p.name))
                        || text.contains(&format!("  {}=\n", p.name)),
                    "{name}: property `{}` missing:\n{text}",
                    p.name
                );
            }
            let example = entry.doc.example;
            assert!(
                example.lines().any(|l| {
                    let l = l.trim_start();
                    l == *name || l.starts_with(&format!("{name} "))
                }),
                "{name}: the example does not use it:\n{example}"
            );
            let file = dir.join(format!("{name}.kdl"));
            std::fs::write(&file, example).expect("write example");
            let checked = msbc_in(
                &dir,
                &["check", "--format", "json", &format!("{name}.kdl")],
                None,
            );
            let doc: serde_json::Value = serde_json::from_str(&checked.stdout).expect("JSON");
            assert_eq!(
                (checked.status, doc["diagnostics"].as_array().map(Vec::len)),
                (0, Some(0)),
                "{name}: the example must check cleanly:\n{example}\n{}",
                checked.stdout
            );
        }
    }
    // Where a node is written twice (`env` is a step and a toolchain child).
    let env = msbc(&["explain", "env"]);
    assert!(
        env.stdout.contains("Written inside `toolchain { ... }`."),
        "{}",
        env.stdout
    );
    // What `copy` takes, as the checker knows it.
    let copy = msbc(&["explain", "copy"]);
    assert!(
        copy.stdout
            .contains("  to=       (path, required) The destination"),
        "{}",
        copy.stdout
    );
    assert!(
        copy.stdout.contains("  link=     (#true or #false) "),
        "{}",
        copy.stdout
    );
    // An unknown name: "did you mean", exit 2.
    let run = msbc(&["explain", "cpy"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `copy`?"),
        "{}",
        run.stderr
    );
    // The catalogue lists the nodes.
    let list = msbc(&["explain"]);
    assert!(
        list.stdout.contains("Nodes of the language"),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("healthcheck"), "{}", list.stdout);
}

#[test]
fn check_json_is_machine_readable() {
    let run = msbc_in(
        &root(),
        &["check", "--format", "json", "-"],
        Some(b"msbc 1\nimage a from=\"alpine:3.20\" { usr \"x\" }\n"),
    );
    assert_eq!(run.status, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(doc["errors"], 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "E0101");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(30))
    );
    assert_eq!(d["help"], "did you mean `user`?");
}

#[test]
fn platform_templates_come_from_flags_the_environment_or_the_spec() {
    let dir = TempDir::new("templates");
    let spec = "msbc 1\nuse \"acme/go-service\" name=\"orders\" team=\"payments\"\n";
    std::fs::write(dir.join("build.kdl"), spec).expect("write");
    // The go preset under the team template needs the module file.
    std::fs::write(dir.join("go.mod"), "module example.com/orders\n\ngo 1.23\n").expect("write");
    // ...and its main package (`./cmd/orders`), which `check` looks for.
    std::fs::create_dir_all(dir.join("cmd/orders")).expect("mkdir");
    std::fs::write(dir.join("cmd/orders/main.go"), "package main\n").expect("write");
    let templates = root().join("tests/fixtures/templates");
    let templates = templates.to_string_lossy();

    // Not found without the folder: a located error, exit 1.
    let run = msbc_in(&dir, &["compile"], None);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("error[E0110]"), "{}", run.stderr);

    let by_flag = msbc_in(&dir, &["compile", "--templates", &templates], None);
    assert_eq!(by_flag.status, 0, "{}", by_flag.stderr);
    // The team template builds on the stdlib go preset and adds its labels.
    assert!(by_flag.stdout.contains("AS orders\n"), "{}", by_flag.stdout);
    assert!(
        by_flag.stdout.contains("LABEL com.acme.team=payments"),
        "{}",
        by_flag.stdout
    );
    assert!(by_flag.stdout.contains("go mod download"));

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_msbc"));
    let by_env = cmd
        .arg("compile")
        .current_dir(&dir)
        .env("MSBC_TEMPLATE_PATH", templates.as_ref())
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&by_env.stdout), by_flag.stdout);

    let with_node = format!(
        "msbc 1\ntemplates {templates:?}\nuse \"acme/go-service\" name=\"orders\" team=\"payments\"\n"
    );
    std::fs::write(dir.join("build.kdl"), with_node).expect("write");
    let by_node = msbc_in(&dir, &["compile"], None);
    assert_eq!(by_node.stdout, by_flag.stdout);

    let run = msbc_in(&dir, &["compile", "--templates", "no/such/dir"], None);
    assert_eq!(run.status, 2);
}

#[test]
fn a_policy_file_beside_templates_applies_to_every_spec() {
    let dir = TempDir::new("policy");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\nimage a from=\"alpine:3.20\" { user \"root\" }\n",
    )
    .expect("write");
    let policy = root().join("tests/fixtures/policy");
    let run = msbc_in(
        &dir,
        &["check", "--templates", &policy.to_string_lossy()],
        None,
    );
    assert_eq!(run.status, 1);
    for code in ["E0401", "E0403", "E0404"] {
        assert!(
            run.stderr.contains(&format!("error[{code}]")),
            "{code}: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("policy.kdl"),
        "the message names the policy file: {}",
        run.stderr
    );
    // Without the folder the same spec only gets the root-user warning.
    let run = msbc_in(&dir, &["check"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
}

#[test]
fn presets_lists_and_shows() {
    let run = msbc(&["presets"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("go "), "{}", run.stdout);
    let run = msbc(&["presets", "go"]);
    assert_eq!(run.status, 0);
    for word in ["version", "main", "runtime", "Example build.kdl", "use go"] {
        assert!(run.stdout.contains(word), "{word}: {}", run.stdout);
    }
    let run = msbc(&["presets", "og"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("did you mean `go`?"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------
// Safety: no input crashes msbc, and msbc never writes over a spec.

#[test]
fn deep_nesting_is_a_located_error_not_a_stack_overflow() {
    let blocks = format!(
        "msbc 1\nimage a from=\"alpine:3.20\" {}{}\n",
        "{ x ".repeat(2000),
        "}".repeat(2000)
    );
    let comments = format!(
        "msbc 1\n{}{}\nimage a from=\"alpine:3.20\"\n",
        "/* ".repeat(3000),
        "*/".repeat(3000)
    );
    for spec in [blocks, comments] {
        let run = Msbc::new().args(["check", "-"]).stdin(&spec).run();
        run.code(1)
            .stderr_has("error[E0001]")
            .stderr_has("nested more than 64 levels deep")
            .stderr_has("<stdin>:2:");
    }
}

#[test]
fn deep_nesting_in_template_output_is_an_error_at_the_use() {
    let dir = TempDir::new("deep-template");
    dir.write("t/acme/deep/preset.kdl", "summary \"nests too deep\"\n");
    dir.write(
        "t/acme/deep/template.kdl.j2",
        "image app from=\"alpine:3.20\" {% for i in range(3000) %}{ x {% endfor %}{% for i in range(3000) %}}{% endfor %}\n",
    );
    dir.write("build.kdl", "msbc 1\nuse \"acme/deep\"\n");
    Msbc::new()
        .args(["check", "--templates", "t"])
        .dir(&dir)
        .run()
        .code(1)
        .stderr_has("nested more than 64 levels deep");
}

/// Runs `msbc` with its stdout a pipe whose reader is already gone: the
/// write end of `true`'s stdin, once `true` has exited.
fn run_with_stdout_closed(m: &Msbc) -> (i32, String) {
    let mut reader = std::process::Command::new("true")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("`true` starts");
    let writer = reader.stdin.take().expect("a pipe");
    reader.wait().expect("`true` exits");
    let out = m
        .command()
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("msbc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["compile", GO],
        vec!["compile", GO, "--emit", "json"],
        vec!["compile", GO, "--emit", "llb-json", "--no-base-configs"],
        vec!["compile", GO, "--emit", "llb", "--no-base-configs"],
        vec!["compile", GO, "--emit", "image-config", "--no-base-configs"],
        vec!["explain"],
        vec!["explain", "E0202"],
        vec!["presets"],
        vec!["presets", "go"],
        vec!["schema"],
        vec!["graph", GO],
        vec!["images", "specs"],
        vec!["completions", "bash"],
        vec!["import", "tests/fixtures/import/go-distroless.Dockerfile"],
        vec!["diff", "specs/go", GO],
        vec!["diff", "specs/go", GO, "--format", "json"],
        vec!["--help"],
        vec!["compile", "--help"],
    ];
    for format in ["human", "json", "sarif", "github"] {
        cases.push(vec!["check", "--format", format, GO]);
        cases.push(vec![
            "check",
            "--format",
            format,
            "tests/fixtures/diagnostics/E0202.kdl",
        ]);
    }
    for args in cases {
        let m = Msbc::new().args(&args);
        let (status, stderr) = run_with_stdout_closed(&m);
        assert!(
            (0..=1).contains(&status),
            "{}: exit {status}\n{stderr}",
            m.shown()
        );
        for word in ["panicked", "Broken pipe", "cannot write"] {
            assert!(!stderr.contains(word), "{}: {stderr}", m.shown());
        }
    }
}

#[test]
fn output_never_replaces_a_spec() {
    let dir = TempDir::new("overwrite");
    super::support::copy_dir(&root().join("specs/go-orders"), &dir);
    let spec = dir.read("build.kdl");
    for args in [
        vec!["compile", "build.kdl", "-o", "build.kdl"],
        vec!["compile", ".", "-o", "./build.kdl"],
        vec!["compile", "-o", "build.kdl"],
        vec!["compile", "build.kdl", "-o", "other.kdl"],
        vec!["compile", "build.kdl", "--emit", "llb", "-o", "x.KDL"],
    ] {
        Msbc::new()
            .args(&args)
            .dir(&dir)
            .run()
            .code(2)
            .stderr_has("refusing to write the output over")
            .stderr_has("-o Dockerfile");
        assert_eq!(dir.read("build.kdl"), spec, "{args:?} kept the spec");
        assert!(!dir.join("other.kdl").exists() && !dir.join("x.KDL").exists());
    }
    // `--check` with the spec would print `-o build.kdl` as the fix.
    for args in [
        vec!["compile", "--check", "build.kdl"],
        vec!["compile", "build.kdl", "--check", "spec.kdl"],
    ] {
        Msbc::new()
            .args(&args)
            .dir(&dir)
            .run()
            .code(2)
            .stderr_has("refusing to check")
            .stderr_lacks("to update it, run");
    }
    // A spec not named .kdl is still the spec.
    std::fs::copy(dir.join("build.kdl"), dir.join("spec")).expect("copy");
    let roundabout = format!(
        "../{}/spec",
        dir.file_name().expect("a name").to_string_lossy()
    );
    Msbc::new()
        .args(["compile", "spec", "-o", &roundabout])
        .dir(&dir)
        .run()
        .code(2);
    assert_eq!(dir.read("spec"), spec);
    // The drift fix names the Dockerfile, never the spec.
    dir.write("Dockerfile", "FROM scratch\n");
    Msbc::new()
        .args(["compile", "--check", "Dockerfile"])
        .dir(&dir)
        .run()
        .code(1)
        .stderr_has("to update it, run: msbc compile build.kdl -o Dockerfile");
}

#[test]
fn control_bytes_of_the_spec_are_escaped_in_diagnostics() {
    let spec = "msbc 1\nimage a from=biuld /* \u{1b}[2J\u{7} */ { user \"x\" }\nstage build from=\"alpine:3.20\" { run \"true\" }\n";
    for format in ["human", "github", "json", "sarif"] {
        let run = Msbc::new()
            .args(["check", "--format", format, "-"])
            .stdin(spec)
            .run();
        run.code(1);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !all.contains('\u{1b}') && !all.contains('\u{7}'),
            "{format}: raw control bytes:\n{all:?}"
        );
    }
    Msbc::new()
        .args(["check", "-"])
        .stdin(spec)
        .run()
        .code(1)
        .stderr_has("error[E0202]")
        .stderr_has("/* \\u{1b}[2J\\u{7} */");
}

// ---------------------------------------------------------------------------
// What a user notices: explain, completions, --color, platforms, wrong inputs.

#[test]
fn explain_knows_the_import_codes() {
    let list = Msbc::new().arg("explain").run();
    list.success();
    for code in msbc::import::ImportCode::ALL {
        let (id, slug) = (code.as_str(), code.slug());
        assert!(
            list.stdout.contains(&format!("  {id}  {slug}")),
            "`msbc explain` lacks {id}:\n{}",
            list.stdout
        );
        let by_code = Msbc::new().args(["explain", id]).run();
        by_code
            .success()
            .stdout_has(&format!("# {id}: {slug}\n"))
            .stdout_has("## Wrong")
            .stdout_has("## Right");
        let by_name = Msbc::new().args(["explain", slug]).run();
        assert_eq!(by_name.stdout, by_code.stdout, "{slug}");
        let lower = Msbc::new().args(["explain", &id.to_lowercase()]).run();
        assert_eq!(lower.stdout, by_code.stdout, "{id} in lowercase");
    }
    Msbc::new()
        .args(["explain", "I03"])
        .run()
        .code(2)
        .stderr_has("did you mean `I003`?");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef msbc"),
        ("fish", "complete -c msbc"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = Msbc::new().args(["completions", shell]).run();
        run.success().stdout_has(marker);
        for word in ["compile", "check", "explain", "emit", "format"] {
            run.stdout_has(word);
        }
    }
    Msbc::new()
        .args(["completions", "tcsh"])
        .run()
        .code(2)
        .stderr_has("possible values");
}

#[test]
fn color_flag_decides_for_diagnostics() {
    let fixture = "tests/fixtures/diagnostics/E0202.kdl";
    let always = Msbc::new()
        .args(["check", "--color", "always", fixture])
        .run();
    always.code(1);
    assert!(
        always.stderr.contains("\u{1b}["),
        "no colour:\n{}",
        always.stderr
    );
    // The flag goes anywhere on the line, and `always` beats NO_COLOR (set by Msbc).
    let first = Msbc::new()
        .args(["--color", "always", "check", fixture])
        .run();
    assert_eq!(first.stderr, always.stderr);
    for args in [
        vec!["check", "--color", "never", fixture],
        vec!["check", "--color", "auto", fixture],
        vec!["check", fixture],
    ] {
        let run = Msbc::new().args(&args).run();
        run.code(1).stderr_has("error[E0202]");
        assert!(!run.stderr.contains('\u{1b}'), "{args:?}:\n{}", run.stderr);
    }
    // `auto` on a pipe is plain even without NO_COLOR.
    let out = Msbc::new()
        .args(["check", fixture])
        .command()
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
    Msbc::new()
        .args(["check", "--color", "sometimes", fixture])
        .run()
        .code(2);
}

#[test]
fn platforms_must_be_known_ones() {
    Msbc::new()
        .args(["compile", GO, "--platform", "linux/arm65"])
        .run()
        .code(2)
        .stderr_has("unknown architecture `arm65`")
        .stderr_has("did you mean `arm64`?");
    // containerd's aliases are accepted and normalized, as BuildKit does.
    let run = Msbc::new()
        .args(["compile", GO, "--platform", "linux/x86_64"])
        .run();
    run.success();
    assert!(
        run.stdout.contains("FROM --platform=linux/amd64 "),
        "{}",
        run.stdout
    );
    Msbc::new()
        .args(["compile", GO, "--platform", "linux/x64"])
        .run()
        .code(2)
        .stderr_has("did you mean `amd64`?");
    // One rule for `compile` and `lock`: `lock` took `linux/arm-v7` that
    // `compile` refused (and refused `linux/arm64/v8.2` that `compile` took).
    for command in ["compile", "lock"] {
        Msbc::new()
            .args([command, GO, "--platform", "linux/arm-v7"])
            .run()
            .code(2)
            .stderr_has("unknown architecture `arm-v7`")
            .stderr_has("did you mean `arm`?");
        Msbc::new()
            .args([command, GO, "--platform", "linux/arm64/v8 "])
            .run()
            .code(2)
            .stderr_has("is not a platform part");
    }
    Msbc::new()
        .args(["compile", GO, "--platform", "linx/amd64"])
        .run()
        .code(2)
        .stderr_has("unknown operating system `linx`")
        .stderr_has("did you mean `linux`?");
    Msbc::new()
        .args(["compile", GO, "--platform", "linux/arm/v9"])
        .run()
        .code(2)
        .stderr_has("unknown variant `v9`");
    for ok in [
        "linux/arm64",
        "linux/arm/v7",
        "linux/amd64/v2",
        "linux/arm64/v8.2",
        "windows/amd64",
    ] {
        Msbc::new()
            .args(["compile", GO, "--platform", ok])
            .run()
            .success();
    }
    // In the spec: a located error at the part.
    let run = Msbc::new()
        .args(["check", "--format", "json", "-"])
        .stdin("msbc 1\nimage a from=\"alpine:3.20\" platform=\"linux/arm65\" { user \"1000\" }\n")
        .run();
    run.code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "E0307", "{d}");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(44)),
        "{d}"
    );
    assert_eq!(d["help"], "did you mean `arm64`?");
}

#[test]
fn a_dockerfile_or_a_folder_without_a_spec_says_what_to_do() {
    let dir = TempDir::new("not-a-spec");
    std::fs::copy(
        root().join("tests/fixtures/import/go-distroless.Dockerfile"),
        dir.join("Dockerfile"),
    )
    .expect("copy");
    for cmd in ["check", "compile"] {
        let run = Msbc::new().args([cmd, "Dockerfile"]).dir(&dir).run();
        run.code(2)
            .stderr_has("Dockerfile looks like a Dockerfile, not a build.kdl spec")
            .stderr_has("`msbc import Dockerfile > build.kdl`")
            .stderr_lacks("E0001");
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    let dockerfile = dir.read("Dockerfile");
    Msbc::new()
        .args(["check", "-"])
        .stdin(&dockerfile)
        .run()
        .code(2)
        .stderr_has("<stdin> looks like a Dockerfile")
        .stderr_has("msbc import -");
    // A folder without build.kdl: the file looked for, and how to start.
    Msbc::new()
        .args(["check"])
        .dir(&dir)
        .run()
        .code(2)
        .stderr_has("msbc looks for build.kdl")
        .stderr_has("`msbc import Dockerfile > build.kdl` turns its Dockerfile into one");
    let empty = TempDir::new("empty");
    Msbc::new()
        .args(["compile", &empty.to_string_lossy()])
        .run()
        .code(2)
        .stderr_has(&format!(
            "msbc looks for {}",
            empty.join("build.kdl").display()
        ))
        .stderr_has("msbc presets");
    // KDL that merely fails to parse is still reported as KDL.
    Msbc::new()
        .args(["check", "-"])
        .stdin("msbc 1\nimage a from=\"alpine:3.20\" {\n")
        .run()
        .code(1)
        .stderr_has("error[E0001]");
}
