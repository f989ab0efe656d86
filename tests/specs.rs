//! Every example spec compiles, deterministically, and its Dockerfile is
//! snapshotted; the DESIGN.md Go service gives what a senior engineer writes.

use crate::support::{self, Msbc, msbc, root, spec_files, spec_name};
use msbc::compile::{self, Emit};
use msbc::lower::Selection;
use std::path::{Path, PathBuf};

/// Compiles a spec as `msbc compile` does (`support::compile_file`).
fn compile_file(path: &Path, selection: &Selection, emit: Emit) -> String {
    support::compile_file(path, selection, emit).main
}

#[test]
fn there_are_at_least_six_example_specs() {
    assert!(spec_files().len() >= 6, "found {:?}", spec_files());
}

#[test]
fn every_spec_compiles_without_warnings() {
    for spec in spec_files() {
        let run = msbc(&["check", "--deny-warnings", &spec.to_string_lossy()]);
        assert_eq!(run.status, 0, "{}:\n{}", spec.display(), run.stderr);
    }
}

#[test]
fn every_spec_dockerfile_matches_its_snapshot() {
    for spec in spec_files() {
        let out = compile_file(&spec, &Selection::default(), Emit::Dockerfile);
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("dockerfile__{}", spec_name(&spec)), out);
        });
    }
}

#[test]
fn same_input_gives_the_same_bytes() {
    for spec in spec_files() {
        for emit in [Emit::Dockerfile, Emit::Json] {
            let a = compile_file(&spec, &Selection::default(), emit);
            let b = compile_file(&spec, &Selection::default(), emit);
            assert_eq!(a, b, "{} is not deterministic", spec.display());
        }
        // And through the binary, from another working directory: no paths leak in.
        let first = msbc(&["compile", &spec.to_string_lossy()]);
        let dir = spec.parent().expect("spec has a directory");
        let second = support::msbc_in(dir, &["compile", "build.kdl"], None);
        assert_eq!(first.stdout, second.stdout, "{}", spec.display());
    }
}

/// The instructions of a Dockerfile, continuation lines joined; heredoc
/// bodies dropped. Enough for structural checks without the validators
/// (which `validators.rs` runs on every spec).
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut heredoc: Option<String> = None;
    for line in dockerfile.lines() {
        if let Some(end) = &heredoc {
            if line == end {
                heredoc = None;
            }
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                if let Some(pos) = current.find("<<") {
                    heredoc = Some(
                        current[pos + 2..]
                            .trim_matches(['\'', '"', '-'])
                            .to_string(),
                    );
                }
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// Instructions of the stage named `name`.
fn stage<'a>(all: &'a [String], name: &str) -> &'a [String] {
    let start = all
        .iter()
        .position(|i| i.starts_with("FROM ") && i.ends_with(&format!(" AS {name}")))
        .expect("stage exists");
    let end = all[start + 1..]
        .iter()
        .position(|i| i.starts_with("FROM "))
        .map_or(all.len(), |p| start + 1 + p);
    &all[start..end]
}

#[test]
fn design_go_service_is_what_a_senior_engineer_writes() {
    let spec = root().join("tests/fixtures/design/go-service.kdl");
    let out = compile_file(&spec, &Selection::default(), Emit::Dockerfile);
    let all = instructions(&out);

    assert!(out.starts_with("# syntax=docker/dockerfile:1\n"));
    // The Go version stays a build arg, overridable with --build-arg.
    assert!(all.contains(&"ARG GO_VERSION=1.23".to_string()), "{all:#?}");
    assert!(
        all.iter()
            .any(|i| i == "FROM golang:${GO_VERSION}-bookworm AS deps"),
        "{all:#?}"
    );

    // Manifests are copied before sources, and downloaded with the toolchain's caches.
    let deps = stage(&all, "deps");
    let manifests = deps
        .iter()
        .position(|i| i == "COPY go.mod go.sum ./")
        .expect("manifest copy");
    let download = deps
        .iter()
        .position(|i| i.ends_with("go mod download"))
        .expect("download");
    assert!(manifests < download);
    let run = &deps[download];
    assert!(
        run.contains("--mount=type=cache,target=/go/pkg/mod"),
        "{run}"
    );
    assert!(
        run.contains("--mount=type=cache,target=/root/.cache/go-build"),
        "{run}"
    );
    let build = stage(&all, "build");
    assert!(
        build.iter().any(|i| i == "COPY . ."),
        "sources are copied in the build stage: {build:#?}"
    );

    // The final stage is the distroless image: non-root, exec-form entrypoint, only the artifact.
    let last_from = all
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .expect("a FROM");
    let orders = &all[last_from..];
    assert_eq!(
        orders[0],
        "FROM gcr.io/distroless/static-debian12:nonroot AS orders"
    );
    assert!(orders.contains(&"USER nonroot".to_string()));
    assert!(orders.contains(&"ENTRYPOINT [\"/usr/local/bin/server\"]".to_string()));
    let copies: Vec<&String> = orders.iter().filter(|i| i.starts_with("COPY")).collect();
    assert_eq!(
        copies,
        vec!["COPY --from=build /out/server /usr/local/bin/server"]
    );
    assert!(
        !orders.iter().any(|i| i.starts_with("RUN")),
        "no RUN in the runtime image"
    );

    // The test stage exists for `docker build --target test`, but nothing the
    // default target needs depends on it...
    assert!(all.iter().any(|i| i == "FROM build AS test"));
    assert!(!orders.iter().any(|i| i.contains("test")));
    // ...and `--target test` makes it the final stage and leaves the image out.
    let selection = Selection {
        target: Some("test".into()),
        ..Selection::default()
    };
    let test_only = instructions(&compile_file(&spec, &selection, Emit::Dockerfile));
    let froms: Vec<&String> = test_only
        .iter()
        .filter(|i| i.starts_with("FROM "))
        .collect();
    assert_eq!(froms.last().map(|s| s.as_str()), Some("FROM build AS test"));
    assert!(!froms.iter().any(|f| f.ends_with("AS orders")));
}

#[test]
fn unused_stages_are_skipped_and_images_come_last() {
    let src = r#"msbc 1
stage lint from="alpine:3.20" { run "echo lint" }
stage build from="alpine:3.20" { run "echo build > /out" }
image b from="alpine:3.20" { copy from=build "/out" to="/out"; user "nobody" }
image a from=b { user "nobody" }
"#;
    let checked = compile::check(src.as_bytes());
    let codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, vec!["W0005"]);
    let model = checked.model.expect("model");
    let out = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
        .expect("emit")
        .main;
    let froms: Vec<String> = instructions(&out)
        .into_iter()
        .filter(|i| i.starts_with("FROM "))
        .collect();
    assert_eq!(
        froms,
        vec![
            "FROM alpine:3.20 AS build",
            "FROM alpine:3.20 AS b",
            "FROM b AS a"
        ]
    );
    let only_b = Selection {
        image: Some("b".into()),
        ..Selection::default()
    };
    let out = compile::emit(&model, &only_b, Emit::Dockerfile, "build.kdl")
        .expect("emit")
        .main;
    assert!(!out.contains("AS a\n") && out.trim_end().ends_with("USER nobody"));
}

#[test]
fn args_are_declared_in_a_stage_right_before_first_use() {
    let src = r#"msbc 1
arg VERSION "1.0"
arg UNRELATED "x"
image app from="alpine:${UNRELATED}" {
    run "apk add --no-cache curl"
    label "version" "${VERSION}"
    run "echo $TARGETARCH"
    user "nobody"
}
"#;
    let checked = compile::check(src.as_bytes());
    let out = compile::emit(
        &checked.model.expect("model"),
        &Selection::default(),
        Emit::Dockerfile,
        "b.kdl",
    )
    .expect("emit")
    .main;
    let all = instructions(&out);
    let app = stage(&all, "app");
    assert_eq!(
        app.iter().map(String::as_str).collect::<Vec<_>>(),
        vec![
            "FROM alpine:${UNRELATED} AS app",
            "RUN apk add --no-cache curl",
            "ARG VERSION",
            "LABEL version=${VERSION}",
            "ARG TARGETARCH",
            "RUN echo $TARGETARCH",
            "USER nobody",
        ]
    );
}

/// The documentation's KDL examples compile (README.md and docs/), and
/// the error-code table (docs/reference.md) lists every code with its
/// name, and nothing else.
#[test]
fn documentation_examples_compile_and_its_code_table_is_complete() {
    let mut blocks = 0;
    let mut rows: Vec<(String, String)> = Vec::new();
    for (page, text) in crate::support::documents() {
        for block in text.split("```kdl\n").skip(1) {
            let kdl = block.split("```").next().expect("closed block");
            // A transcript (`$ cat FILE`) shows the file below its first line.
            let kdl = match kdl.strip_prefix("$ ") {
                Some(rest) => rest.split_once('\n').map_or("", |(_, file)| file),
                None => kdl,
            };
            let checked = compile::check(kdl.as_bytes());
            let problems: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect();
            assert!(
                problems.is_empty(),
                "{}: an example has problems: {problems:?}\n{kdl}",
                page.display()
            );
            blocks += 1;
        }
        rows.extend(text.lines().filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 3
                && cells[1].len() == 5
                && cells[1][1..].chars().all(|c| c.is_ascii_digit())
                && !cells[1].starts_with('I'))
            .then(|| (cells[1].to_string(), cells[2].to_string()))
        }));
    }
    assert!(blocks >= 10, "{blocks} KDL examples");
    let expected: Vec<(String, String)> = msbc::diag::Code::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), c.slug().to_string()))
        .collect();
    assert_eq!(rows, expected);
}

/// Every documentation block that starts with `$ msbc ARGS` (or `$ cd DIR
/// && msbc ARGS`, or `$ cat FILE`) shows what that prints, stdout then
/// stderr: the documentation's outputs cannot drift from what msbc does.
#[test]
fn documentation_transcripts_are_what_msbc_prints() {
    let mut commands = Vec::new();
    for (page, text) in crate::support::documents() {
        let mut blocks: Vec<Vec<&str>> = Vec::new();
        let mut open: Option<Vec<&str>> = None;
        for line in text.lines() {
            if line.starts_with("```") {
                match open.take() {
                    Some(block) => blocks.push(block),
                    None => open = Some(Vec::new()),
                }
            } else if let Some(block) = open.as_mut() {
                block.push(line);
            }
        }
        assert!(
            open.is_none(),
            "{} has an unclosed code block",
            page.display()
        );
        for block in blocks {
            let Some(command) = block.first().and_then(|l| l.strip_prefix("$ ")) else {
                continue;
            };
            let shown: String = block[1..].iter().map(|l| format!("{l}\n")).collect();
            let (dir, rest) = match command.split_once(" && ") {
                Some((cd, rest)) => (
                    root().join(cd.strip_prefix("cd ").expect("`cd DIR && ...`")),
                    rest,
                ),
                None => (root(), command),
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let printed = match words.as_slice() {
                ["msbc", args @ ..] => {
                    let run = Msbc::new().args(args).dir(&dir).run();
                    format!("{}{}", run.stdout, run.stderr)
                }
                ["cat", file] => std::fs::read_to_string(dir.join(file)).expect("the file shown"),
                _ => panic!("transcript `{command}`: only `msbc ...` and `cat FILE` run"),
            };
            assert!(
                transcript_matches(&printed, &shown),
                "{}: the block `$ {command}` is not what it prints:\n--- documented\n{shown}\n--- printed\n{printed}",
                page.display()
            );
            commands.push(command.to_string());
        }
    }
    for want in ["msbc compile specs/go-orders", "msbc diff", "msbc check"] {
        assert!(
            commands.iter().any(|c| c.contains(want)),
            "no transcript of `{want}`: {commands:?}"
        );
    }
}

/// Whether `printed` is what a transcript `shown` shows, where a line `...`
/// stands for any lines (an abridged output).
fn transcript_matches(printed: &str, shown: &str) -> bool {
    let parts: Vec<&str> = shown.split("...\n").collect();
    let mut rest = printed;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
            if last {
                return rest.is_empty();
            }
        } else if last {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The README starts with the two commands for a fresh machine: msbc on an
/// example spec (saying that it builds first; cargo's progress not hidden
/// by `-q`) and the tests; it says how to install msbc.
#[test]
fn readme_starts_with_two_working_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let first: Vec<&str> = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a first sh block")
        .lines()
        .collect();
    assert_eq!(first.len(), 2, "{first:?}");
    let (run, tests) = (first[0], first[1]);
    assert!(run.starts_with("cargo run -- compile specs/"), "{run}");
    assert!(!run.contains(" -q"), "`-q` hides the first build: {run}");
    assert!(run.contains("builds msbc first"), "{run}");
    let spec = run
        .split_whitespace()
        .nth(4)
        .expect("a spec after `compile`");
    assert!(root().join(spec).join("build.kdl").is_file(), "{spec}");
    Msbc::new()
        .args(["compile", spec])
        .run()
        .success()
        .stdout_has("FROM ");
    assert!(tests.starts_with("bash tests/run.sh"), "{tests}");
    assert!(root().join("tests/run.sh").is_file());
    assert!(readme.contains("cargo install --path compiler"));
}

/// The READMEs point only at files that are in the repository.
#[test]
fn readmes_name_only_files_that_exist() {
    let mut pages: Vec<PathBuf> = crate::support::documents()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    pages.push(root().join("specs/README.md"));
    for path in pages {
        let readme = path.display().to_string();
        let text = std::fs::read_to_string(&path).expect("README");
        let dir = path.parent().expect("a folder");
        for word in text.split(|c: char| c.is_whitespace() || "`()[]|,;:\"'".contains(c)) {
            // Repository documents (README.md, DESIGN.md) and relative links.
            let word = word.trim_end_matches('.');
            let document = word.strip_suffix(".md").is_some_and(|stem| {
                stem.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c == '/')
            });
            let linked = text.contains(&format!("]({word})"));
            // A link to a heading of the same page (`#build-args-and-the-lock`) names no file.
            if !(document || linked)
                || word.starts_with("http")
                || word.starts_with('#')
                || word.is_empty()
            {
                continue;
            }
            assert!(
                dir.join(word).is_file() || root().join(word).is_file(),
                "{readme} names {word}, which is not in the repository"
            );
        }
    }
}

/// The user's own nodes win over a preset's: a stage of the same name
/// replaces the template's, `extend=#true` appends steps to it.
#[test]
fn user_nodes_replace_or_extend_what_a_preset_made() {
    let emit = |src: &str| {
        let checked = compile::check(src.as_bytes());
        let problems: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        let model = checked.model.unwrap_or_else(|| panic!("{problems:?}"));
        compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
            .expect("emit")
            .main
    };
    let base = "msbc 1\nuse go { main \"./cmd/api\" }\n";
    let plain = instructions(&emit(base));

    let replaced = instructions(&emit(&format!(
        "{base}stage test from=build target-only=#true {{ run \"go test -race ./...\" }}\n"
    )));
    let test = stage(&replaced, "test");
    assert!(
        test.iter().any(|i| i.ends_with("go test -race ./...")),
        "{test:#?}"
    );
    assert!(
        !test.iter().any(|i| i.contains("go vet")),
        "the preset's test stage is gone: {test:#?}"
    );

    let extended = instructions(&emit(&format!(
        "{base}image api extend=#true {{ label \"org.opencontainers.image.source\" \"https://example.com/api\" }}\n"
    )));
    let api = stage(&extended, "api");
    let plain_api = stage(&plain, "api");
    assert_eq!(
        api.len(),
        plain_api.len() + 1,
        "one step appended: {api:#?}"
    );
    assert_eq!(
        api.last().map(String::as_str),
        Some("LABEL org.opencontainers.image.source=https://example.com/api")
    );
    assert_eq!(
        &api[..plain_api.len()],
        plain_api,
        "the preset's steps stay, in order"
    );
}

/// `env` pairs apply left to right in both backends: the Dockerfile starts
/// a new ENV where a value uses a name set earlier in the same step (one ENV
/// would read the old value), and LLB resolves the same way.
#[test]
fn env_pairs_apply_left_to_right_in_both_backends() {
    let src = "msbc 1\nimage a from=\"alpine:3.20\" {\n    env A=\"1\" B=\"${A}/x\" C=\"c\"\n    user \"nobody\"\n}\n";
    let model = compile::check(src.as_bytes()).model.expect("model");
    let dockerfile = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "b.kdl")
        .expect("emit")
        .main;
    let all = instructions(&dockerfile);
    let envs: Vec<&String> = all.iter().filter(|i| i.starts_with("ENV ")).collect();
    assert_eq!(envs.len(), 2, "{envs:#?}");
    assert_eq!(envs[0], "ENV A=1");
    assert!(
        envs[1].starts_with("ENV B=${A}/x") && envs[1].ends_with("C=c"),
        "{envs:#?}"
    );
    let config = compile::emit(&model, &Selection::default(), Emit::ImageConfig, "b.kdl")
        .expect("emit")
        .main;
    let config: serde_json::Value = serde_json::from_str(&config).expect("JSON");
    let env: Vec<&str> = config["config"]["Env"]
        .as_array()
        .expect("Env")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(env.contains(&"B=1/x"), "{env:?}");
}
