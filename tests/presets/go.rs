//! The Go preset.

use super::*;

#[test]
fn cgo_builds_on_the_target_platform() {
    let df = ok(
        "msbc 1\nuse go runtime=\"debian\" cgo=#true { main \"./cmd/api\"; }",
        &["go.mod", "go.sum", "cmd/api/main.go"],
    );
    assert!(
        !df.text.contains("--platform="),
        "with cgo every build stage runs on the target platform (no cross C compiler):\n{}",
        df.text
    );
    let build = df.stage("build").expect("build");
    let go_build = build
        .instrs
        .iter()
        .find(|i| i.cmd == "RUN" && i.script().contains("go build"))
        .expect("a go build");
    assert!(
        !go_build.script().contains("GOARCH="),
        "a native cgo build sets no GOARCH: {}",
        go_build.script()
    );
    assert!(df.text.contains("CGO_ENABLED=1"), "{}", df.text);

    // Without cgo the build cross-compiles on the builder's platform.
    let plain = ok(
        "msbc 1\nuse go { main \"./cmd/api\"; }",
        &["go.mod", "cmd/api/main.go"],
    );
    assert!(
        plain
            .text
            .lines()
            .any(|l| l.starts_with("FROM --platform=${BUILDPLATFORM}") && l.ends_with(" AS deps")),
        "{}",
        plain.text
    );
    assert!(
        plain.text.contains("GOARCH=${TARGETARCH} go build"),
        "{}",
        plain.text
    );
}

/// The CLI reads the project's files: `msbc compile` builds with go.mod's
/// Go, and `msbc presets go` says where that version comes from.
#[test]
fn the_go_version_comes_from_go_mod_and_msbc_presets_says_so() {
    let dir = crate::support::scratch("go-mod-version");
    std::fs::write(dir.join("build.kdl"), "msbc 1\nuse go\n").expect("spec");
    std::fs::write(dir.join("go.mod"), "module example.com/x\n\ngo 1.24.0\n").expect("go.mod");
    let compiled = msbc_in(&dir, &["compile"], None);
    assert_eq!(compiled.status, 0, "{}", compiled.stderr);
    assert!(
        compiled.stdout.contains("ARG GO_VERSION=1.24\n"),
        "{}",
        compiled.stdout
    );
    let shown = msbc_in(&dir, &["presets", "go"], None);
    assert_eq!(shown.status, 0, "{}", shown.stderr);
    assert!(
        shown
            .stdout
            .contains("Version here: 1.24 from go.mod (`go 1.24.0`)"),
        "{}",
        shown.stdout
    );

    // A spec that names an older Go than go.mod cannot build (GOTOOLCHAIN=local).
    std::fs::write(dir.join("build.kdl"), "msbc 1\nuse go version=\"1.23\"\n").expect("spec");
    let refused = msbc_in(&dir, &["check"], None);
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("E0115"), "{}", refused.stderr);

    // Without go.mod's version, the default, and `msbc presets` says where it looked.
    std::fs::write(dir.join("go.mod"), "module example.com/x\n").expect("go.mod");
    let shown = msbc_in(&dir, &["presets", "go"], None);
    assert!(
        shown
            .stdout
            .contains("Version here: 1.23 (stdlib/versions.kdl)")
            && shown.stdout.contains("go.mod's `toolchain` and `go` lines"),
        "{}",
        shown.stdout
    );
}

/// Issue 21, failure 3: with two main packages, each image gets its own
/// port, health check, arguments and environment (the worker must not get
/// the api's `EXPOSE` and a health check naming a binary it lacks), and a
/// targeted build compiles only that image's binary.
#[test]
fn each_binary_has_its_own_settings_and_build() {
    let src = r#"msbc 1
use go {
    env TZ="UTC"
    main "./cmd/api" port=8080 healthcheck="/usr/local/bin/api -health"
    main "./cmd/worker" {
        args "--queue" "orders"
        env QUEUE="orders"
    }
}
"#;
    let files = &["go.mod", "go.sum", "cmd/api/main.go", "cmd/worker/main.go"];
    let df = ok(src, files);
    let api = df.stage("api").expect("an api image");
    let worker = df.stage("worker").expect("a worker image");
    let has = |s: &reader::Stage, cmd: &str| s.instrs.iter().any(|i| i.cmd == cmd);
    let rest = |s: &reader::Stage, cmd: &str| {
        s.instrs
            .iter()
            .filter(|i| i.cmd == cmd)
            .map(|i| i.rest.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(rest(api, "EXPOSE"), "8080", "{}", df.text);
    assert!(
        rest(api, "HEALTHCHECK").contains(r#"CMD ["/usr/local/bin/api", "-health"]"#),
        "{}",
        df.text
    );
    assert!(
        !has(worker, "EXPOSE"),
        "the worker listens on nothing:\n{}",
        df.text
    );
    assert!(!has(worker, "HEALTHCHECK"), "{}", df.text);
    assert_eq!(
        rest(worker, "CMD"),
        r#"["--queue", "orders"]"#,
        "{}",
        df.text
    );
    assert!(!has(api, "CMD"), "{}", df.text);
    // The shared env is everyone's; QUEUE is the worker's own.
    assert!(
        rest(api, "ENV").contains("TZ=") && !rest(api, "ENV").contains("QUEUE"),
        "{}",
        df.text
    );
    let env = rest(worker, "ENV");
    assert!(
        env.contains("TZ=") && env.contains("QUEUE=orders"),
        "{}",
        df.text
    );

    // Each image copies only its own binary.
    for (image, own, other) in [(api, "api", "worker"), (worker, "worker", "api")] {
        let copies = rest(image, "COPY");
        assert!(
            copies.contains(&format!("/usr/local/bin/{own}")),
            "{}",
            df.text
        );
        assert!(!copies.contains(&format!("/{other}")), "{}", df.text);
    }

    // `--target api` (and `--image api`) compiles the api only.
    for selection in [
        Selection {
            target: Some("api".into()),
            ..Selection::default()
        },
        Selection {
            image: Some("api".into()),
            ..Selection::default()
        },
    ] {
        let text = compile_selected(src, files, &selection).expect("compiles");
        assert!(text.contains("./cmd/api"), "{text}");
        assert!(
            !text.contains("cmd/worker"),
            "a build of the api compiles the worker:\n{text}"
        );
    }
}

/// The form issue 21 filed: top-level `port` and `healthcheck` with two
/// main packages. They would go to every image, so they are refused, at
/// the parameter, with the per-binary form as the fix.
#[test]
fn top_level_port_or_healthcheck_with_several_binaries_is_refused_where_written() {
    for (param, line) in [
        ("port", "    port 8080\n"),
        (
            "healthcheck",
            "    healthcheck \"/usr/local/bin/api -health\"\n",
        ),
        ("args", "    args \"--verbose\"\n"),
    ] {
        let src = format!("msbc 1\nuse go {{\n    main \"./cmd/api\" \"./cmd/worker\"\n{line}}}\n");
        let err = compile_with(&src, &["go.mod", "cmd/api/main.go", "cmd/worker/main.go"])
            .expect_err(&src);
        let d = err
            .iter()
            .find(|d| d.code.as_str() == "E0115")
            .unwrap_or_else(|| panic!("{src}: no E0115 in {err:#?}"));
        let at = src.find(line.trim()).expect("the line");
        assert!(
            d.labels.iter().any(|l| l.span.start == at),
            "{param}: not located at `{}`: {d:#?}",
            line.trim()
        );
        assert!(d.message.contains(param), "{}", d.message);
        let help = d.help.clone().unwrap_or_default();
        assert!(
            format!("{} {help}", d.message).contains("main \"./cmd/api\" "),
            "the fix names the per-binary form: {d:#?}"
        );
    }
    // With one main package the top-level settings are that binary's, as before.
    let one = ok(
        "msbc 1\nuse go {\n    main \"./cmd/api\"\n    port 8080\n    healthcheck \"/usr/local/bin/api -health\"\n}\n",
        &["go.mod", "cmd/api/main.go"],
    );
    assert!(one.text.contains("EXPOSE 8080"), "{}", one.text);
}

/// The settings of one `main` are checked like any parameter: an unknown
/// one is "no parameter" with a suggestion, a wrong type is
/// located at the value, a block on a parameter that takes no settings is
/// refused, and settings cannot be shared by two values of one node.
#[test]
fn per_binary_settings_are_checked_like_parameters() {
    let files = &["go.mod", "cmd/api/main.go", "cmd/worker/main.go"];
    let codes = |src: &str| {
        compile_with(src, files)
            .expect_err(src)
            .iter()
            .map(|d| {
                (
                    d.code.as_str().to_string(),
                    d.message.clone(),
                    d.help.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let unknown = codes("msbc 1\nuse go {\n    main \"./cmd/api\" prot=8080\n}\n");
    assert!(
        unknown.iter().any(
            |(_, m, h)| m.contains("`main` of preset `go` has no parameter `prot`")
                && h.as_deref().is_some_and(|h| h.contains("`port`"))
        ),
        "{unknown:?}"
    );
    let wrong = codes("msbc 1\nuse go {\n    main \"./cmd/api\" port=\"http\"\n}\n");
    assert!(
        wrong
            .iter()
            .any(|(_, m, _)| m.contains("`port` of `main` of preset `go` must be an integer")),
        "{wrong:?}"
    );
    let block = codes("msbc 1\nuse go {\n    port 8080 {\n        x 1\n    }\n}\n");
    assert!(
        block
            .iter()
            .any(|(_, m, _)| m.contains("`port` takes no block")),
        "{block:?}"
    );
    let shared = codes("msbc 1\nuse go {\n    main \"./cmd/api\" \"./cmd/worker\" port=8080\n}\n");
    assert!(
        shared
            .iter()
            .any(|(_, m, h)| m.contains("belong to one value")
                && h.as_deref()
                    .is_some_and(|h| h.contains("main \"./cmd/api\""))),
        "{shared:?}"
    );
    // Both forms of settings in one spec, and `main="."` as a property.
    let df = ok("msbc 1\nuse go main=\"./cmd/api\"\n", files);
    assert!(df.stage("api").is_some(), "{}", df.text);
}

/// A spec compiled with project files (name, contents) as its context and
/// `service_dir` as the spec's folder within it.
fn compile_in(
    src: &str,
    files: &[(&str, &str)],
    service_dir: &str,
) -> Result<Dockerfile, Vec<Diagnostic>> {
    let catalog = Catalog::stdlib();
    let names: Vec<String> = files.iter().map(|(f, _)| f.to_string()).collect();
    let contents: BTreeMap<String, String> = files
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    let checked = compile::check_with(
        src.as_bytes(),
        Context {
            catalog: &catalog,
            files: &names,
            contents: &contents,
            service_dir,
        },
    );
    let diagnostics: Vec<Diagnostic> = checked.diagnostics.iter().cloned().collect();
    let Some(model) = checked
        .model
        .filter(|_| !diagnostics.iter().any(Diagnostic::is_error))
    else {
        return Err(diagnostics);
    };
    let text = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
        .expect("emit")
        .main;
    Ok(parse(&text))
}

/// A go.work workspace: every member's manifests before `go mod download`,
/// tests on every member; with the spec in a member's folder (the context
/// the repository root), main packages are relative to that folder.
#[test]
fn a_go_work_workspace_from_a_service_folder() {
    let files: &[(&str, &str)] = &[
        ("go.work", "go 1.23\n\nuse (\n\t./lib\n\t./services\n)\n"),
        ("go.work.sum", ""),
        (
            "services/go.mod",
            "module example.com/shop/services\n\nrequire example.com/shop/lib v0.0.0\n\nreplace example.com/shop/lib => ../lib\n",
        ),
        ("services/go.sum", ""),
        ("services/cmd/api/main.go", ""),
        ("services/cmd/worker/main.go", ""),
        ("lib/go.mod", "module example.com/shop/lib\n"),
        ("lib/greet.go", ""),
    ];
    let src = "msbc 1\nuse go {\n    main \"./cmd/api\" port=8080\n    main \"./cmd/worker\"\n}\n";
    let df = compile_in(src, files, "services").unwrap_or_else(|d| panic!("{d:#?}"));
    let deps = df.stage("deps").expect("deps");
    let copies: Vec<String> = deps
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.clone())
        .collect();
    assert_eq!(
        copies,
        vec![
            "go.work go.work.sum ./",
            "lib/go.mod lib/",
            "services/go.mod services/go.sum services/"
        ],
        "{}",
        df.text
    );
    let build = df.stage("build").expect("build");
    assert!(
        build
            .instrs
            .iter()
            .any(|i| i.cmd == "COPY" && i.rest == ". ./"),
        "{}",
        df.text
    );
    assert!(
        build
            .instrs
            .iter()
            .any(|i| i.cmd == "WORKDIR" && i.rest == "/src/services"),
        "main packages are relative to the service's folder:\n{}",
        df.text
    );
    assert!(df.text.contains("-o /out/api ./cmd/api"), "{}", df.text);
    let test = df.stage("test").expect("test");
    assert!(
        test.instrs
            .iter()
            .any(|i| i.cmd == "WORKDIR" && i.rest == "/src")
            && test
                .instrs
                .iter()
                .any(|i| i.script().contains("go test ./lib/... ./services/...")),
        "{}",
        df.text
    );
    // `service=` names the folder when the spec sits at the root.
    let at_root = "msbc 1\nuse go service=\"services\" {\n    main \"./cmd/api\"\n    main \"./cmd/worker\"\n}\n";
    let df = compile_in(at_root, files, "").unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(df.text.contains("WORKDIR /src/services"), "{}", df.text);

    // A module of the service's own, below the context's root.
    let own: &[(&str, &str)] = &[
        ("apps/orders/go.mod", "module example.com/orders\n"),
        ("apps/orders/main.go", ""),
    ];
    let df =
        compile_in("msbc 1\nuse go\n", own, "apps/orders").unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(
        df.text.contains("COPY apps/orders/go.mod apps/orders/\n"),
        "{}",
        df.text
    );
    assert!(
        df.text.contains("WORKDIR /src/apps/orders\n"),
        "{}",
        df.text
    );
    assert!(df.text.contains("COPY . /src/\n"), "{}", df.text);
}

/// Shapes that cannot build are refused at the `use` (or at the `main`
/// value that is wrong), with the fix.
#[test]
fn go_shapes_that_cannot_build_are_refused_with_the_fix() {
    let outside: &[(&str, &str)] = &[
        (
            "go.mod",
            "module example.com/api\n\nreplace example.com/lib => ../lib\n",
        ),
        ("main.go", ""),
    ];
    let err = compile_in("msbc 1\nuse go\n", outside, "").expect_err("outside");
    let d = err
        .iter()
        .find(|d| d.code.as_str() == "E0115")
        .expect("E0115");
    assert!(
        d.message.contains("`../lib`, outside the build context")
            && d.message
                .contains("set the build context to the repository root"),
        "{}",
        d.message
    );
    let missing: &[(&str, &str)] = &[
        ("go.work", "use ./api\nuse ./gone\n"),
        ("api/go.mod", "module a\n"),
    ];
    let err = compile_in("msbc 1\nuse go { main \"./api\"; }\n", missing, "").expect_err("member");
    assert!(
        err.iter()
            .any(|d| d.message.contains("uses `./gone`, which has no go.mod")),
        "{err:#?}"
    );
    // A main package that is not there: at that value.
    let src = "msbc 1\nuse go {\n    main \"./cmd/api\" \"./cmd/wroker\"\n}\n";
    let err = compile_in(
        src,
        &[
            ("go.mod", "module a\n"),
            ("cmd/api/main.go", ""),
            ("cmd/worker/main.go", ""),
        ],
        "",
    )
    .expect_err("main");
    let d = err
        .iter()
        .find(|d| d.code.as_str() == "E0115")
        .expect("E0115");
    let at = src.find("\"./cmd/wroker\"").expect("value");
    assert_eq!(d.labels[0].span.start, at, "{d:#?}");
}

/// The monorepo sample with its spec in the service's folder and the
/// repository root as the context (`context ".."`): the module and
/// go.work are found above the spec, main packages are relative to it.
#[test]
fn a_spec_in_a_member_folder_builds_from_the_repository_root() {
    let dir = support::scratch("go-monorepo-member");
    support::copy_dir(&root().join("specs/go-monorepo"), &dir);
    std::fs::remove_file(dir.join("build.kdl")).expect("remove the root spec");
    std::fs::write(
        dir.join("services/build.kdl"),
        "msbc 1\ncontext \"..\"\nuse go {\n    main \"./cmd/api\" port=8080\n    main \"./cmd/worker\"\n}\n",
    )
    .expect("spec");
    let check = msbc_in(
        &dir,
        &["check", "--deny-warnings", "services/build.kdl"],
        None,
    );
    assert_eq!(check.status, 0, "{}", check.stderr);
    let run = msbc_in(&dir, &["compile", "services/build.kdl"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for want in [
        "COPY go.work ./\n",
        "COPY services/go.mod services/\n",
        "WORKDIR /src/services\n",
        "-o /out/worker ./cmd/worker\n",
        "go test ./lib/... ./services/...\n",
    ] {
        assert!(run.stdout.contains(want), "no {want:?} in:\n{}", run.stdout);
    }
}
