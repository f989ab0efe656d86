//! The stdlib presets make what a senior engineer writes by hand, for every
//! package manager and build tool they support: checked on the sample specs
//! (`specs/{go,java,node,python,dotnet}`, compiled by the real binary, which
//! lists their build context) and on in-memory specs with a made-up file list
//! (`compile::check_with`), which exercise detection from lockfiles and
//! build files.
//!
//! Every Dockerfile must have: a final (runtime) stage whose base is not an
//! SDK or build image, a non-root `USER`, an exec-form `ENTRYPOINT` or
//! `CMD`, and only `COPY --from=` a build stage; manifests copied and
//! dependencies installed (on a cache mount) before the sources are copied;
//! a `test` stage that is not the final stage and that the image does not
//! need.
//!
//! What all presets share is here; each language's own cases are in its
//! file (`go.rs`, `java.rs`, `node.rs`, `python.rs`, `dotnet.rs`).

use crate::support::{self, msbc, msbc_in, root};
use msbc::compile::{self, Emit};
use msbc::diag::Diagnostic;
use msbc::expand::{Catalog, Context, Manifest};
use msbc::lower::Selection;
use std::collections::BTreeMap;
use std::path::PathBuf;

mod dotnet;
mod go;
mod java;
mod node;
mod python;
mod reader;

use reader::{Dockerfile, Instr, instructions, parse};

// ---------------------------------------------------------------------------
// What every preset must produce.

/// What "good" means for one preset and package manager.
struct Rules {
    what: String,
    /// Is this a runtime base (not an SDK, compiler or build image)?
    runtime_base: BaseRule,
    /// Files copied before the sources.
    manifests: &'static [&'static str],
    /// A piece of the dependency install command.
    install: &'static str,
    /// The cache mount target (a piece of it) the install uses.
    cache: &'static str,
}

type BaseRule = fn(&str) -> bool;

fn rules(preset: &str, pm: &str) -> Rules {
    let rule = |runtime_base: BaseRule, manifests, install, cache| Rules {
        what: format!("{preset}/{pm}"),
        runtime_base,
        manifests,
        install,
        cache,
    };
    let jre: BaseRule = |b| {
        !b.contains("maven")
            && !b.contains("gradle")
            && !b.contains("jdk")
            && (b.ends_with("-jre") || b.contains("distroless/java"))
    };
    let node: BaseRule = |b| {
        b.ends_with("-slim") || b.contains("distroless/nodejs") || b.contains("nginx-unprivileged")
    };
    let python: BaseRule = |b| b.contains("-slim");
    let dotnet: BaseRule = |b| {
        !b.contains("/sdk:")
            && ["/aspnet:", "/runtime:", "/runtime-deps:"]
                .iter()
                .any(|r| b.contains(r))
    };
    match (preset, pm) {
        ("go", _) => rule(
            |b| !b.contains("golang"),
            &["go.mod"],
            "go mod download",
            "/go/pkg/mod",
        ),
        ("java", "maven") => rule(
            jre,
            &["pom.xml"],
            "dependency:go-offline",
            "/root/.m2/repository",
        ),
        ("java", _) => rule(
            jre,
            &["build.gradle.kts"],
            " dependencies",
            ".gradle/caches",
        ),
        ("node", "npm") => rule(
            node,
            &["package.json", "package-lock.json"],
            "npm ci",
            "/root/.npm",
        ),
        ("node", "pnpm") => rule(
            node,
            &["package.json", "pnpm-lock.yaml"],
            "pnpm install --frozen-lockfile",
            "/pnpm/store",
        ),
        ("node", _) => rule(
            node,
            &["package.json", "yarn.lock"],
            "yarn install --frozen-lockfile",
            "/usr/local/share/.cache/yarn",
        ),
        ("python", "pip") => rule(
            python,
            &["requirements.txt"],
            "pip install -r requirements.txt",
            "/root/.cache/pip",
        ),
        ("python", "uv") => rule(
            python,
            &["pyproject.toml", "uv.lock"],
            "uv sync --locked",
            "/root/.cache/uv",
        ),
        ("python", _) => rule(
            python,
            &["pyproject.toml", "poetry.lock"],
            "poetry install",
            "/root/.cache/pypoetry",
        ),
        ("dotnet", _) => rule(dotnet, &["proj"], "dotnet restore", "/root/.nuget/packages"),
        other => panic!("no rules for {other:?}"),
    }
}

/// The checks every preset output must pass.
fn assert_senior(df: &Dockerfile, r: &Rules) {
    let what = &r.what;
    let text = &df.text;
    let last = df.last();

    // The runtime image: not an SDK, not what any build stage ran on.
    assert!(
        (r.runtime_base)(&last.base),
        "{what}: the final stage is built on `{}`, a build image\n{text}",
        last.base
    );
    for s in &df.stages[..df.stages.len() - 1] {
        if df.stage(&s.base).is_none() {
            assert_ne!(
                s.base, last.base,
                "{what}: the runtime image is the build image of `{}`\n{text}",
                s.name
            );
        }
    }

    // Non-root.
    let user = last
        .instrs
        .iter()
        .rev()
        .find(|i| i.cmd == "USER")
        .map(|i| i.rest.clone());
    let user = user.unwrap_or_else(|| panic!("{what}: the final stage sets no USER\n{text}"));
    let name = user.split(':').next().unwrap_or("");
    assert!(
        !name.is_empty() && name != "root" && name != "0",
        "{what}: USER {user}\n{text}"
    );

    // Exec form.
    let starts: Vec<&Instr> = last
        .instrs
        .iter()
        .filter(|i| i.cmd == "ENTRYPOINT" || i.cmd == "CMD")
        .collect();
    assert!(
        !starts.is_empty(),
        "{what}: no ENTRYPOINT or CMD in the final stage\n{text}"
    );
    for i in starts {
        assert!(
            i.exec_form().is_some_and(|v| !v.is_empty()),
            "{what}: {} is not exec form: {}\n{text}",
            i.cmd,
            i.rest
        );
    }

    // Only artifacts of build stages, never the context or the test stage.
    for i in last
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY" || i.cmd == "ADD")
    {
        let from = i.copy_from().unwrap_or_else(|| {
            panic!("{what}: the final stage copies from the context: {i:?}\n{text}")
        });
        assert!(
            df.stage(from).is_some(),
            "{what}: the final stage copies from `{from}`, not a build stage\n{text}"
        );
        assert_ne!(
            from, "test",
            "{what}: the final stage needs the test stage\n{text}"
        );
    }
    assert_ne!(last.base, "test", "{what}\n{text}");

    // Manifests, then the install (on its cache), and only then the sources.
    let install_stage = df
        .stages
        .iter()
        .find(|s| {
            s.instrs
                .iter()
                .any(|i| i.cmd == "RUN" && i.script().contains(r.install))
        })
        .unwrap_or_else(|| panic!("{what}: no RUN with `{}`\n{text}", r.install));
    let chain = df.chain(install_stage);
    let at = chain
        .iter()
        .position(|i| i.cmd == "RUN" && i.script().contains(r.install))
        .expect("install in its chain");
    let before = &chain[..at];
    for m in r.manifests {
        assert!(
            before.iter().any(|i| i.cmd == "COPY"
                && i.copy_from().is_none()
                && i.copy_sources().iter().any(|s| s.ends_with(m))),
            "{what}: `{m}` is not copied before `{}`\n{text}",
            r.install
        );
    }
    assert!(
        !before
            .iter()
            .any(|i| i.cmd == "COPY" && i.copy_sources().contains(&".")),
        "{what}: the sources are copied before the dependencies are installed\n{text}"
    );
    let install = chain[at];
    assert!(
        install
            .flags
            .iter()
            .any(|f| f.starts_with("--mount=type=cache,")
                && f.split(',').any(|kv| kv
                    .strip_prefix("target=")
                    .is_some_and(|t| t.contains(r.cache)))),
        "{what}: `{}` has no cache mount on {}: {:?}\n{text}",
        r.install,
        r.cache,
        install.flags
    );
    let sources = df
        .stages
        .iter()
        .flat_map(|s| s.instrs.iter())
        .filter(|i| i.cmd == "COPY" && i.copy_sources().contains(&"."))
        .count();
    assert!(sources >= 1, "{what}: the sources are never copied\n{text}");

    // A test stage, built only when targeted.
    let test = df
        .stage("test")
        .unwrap_or_else(|| panic!("{what}: no test stage\n{text}"));
    assert_ne!(
        test.name, last.name,
        "{what}: the test stage is the final stage\n{text}"
    );
    assert!(
        !df.chain(last).iter().any(|i| i.copy_from() == Some("test")),
        "{what}\n{text}"
    );
}

// ---------------------------------------------------------------------------
// Compiling.

/// A spec compiled with `files` as its build context; `Err` with the
/// diagnostics when it has errors. Warnings fail the test.
fn compile_with(src: &str, files: &[&str]) -> Result<String, Vec<Diagnostic>> {
    compile_selected(src, files, &Selection::default())
}

fn compile_selected(
    src: &str,
    files: &[&str],
    selection: &Selection,
) -> Result<String, Vec<Diagnostic>> {
    let catalog = Catalog::stdlib();
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    let checked = compile::check_with(
        src.as_bytes(),
        Context {
            catalog: &catalog,
            files: &files,
            contents: &msbc::expand::NO_CONTENTS,
            service_dir: "",
        },
    );
    let diagnostics: Vec<Diagnostic> = checked.diagnostics.iter().cloned().collect();
    if checked.model.is_none() || diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    assert!(
        diagnostics.is_empty(),
        "warnings for\n{src}\n{:?}",
        diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let model = checked.model.expect("a model");
    Ok(
        compile::emit(&model, selection, Emit::Dockerfile, "build.kdl")
            .expect("emit")
            .main,
    )
}

fn ok(src: &str, files: &[&str]) -> Dockerfile {
    match compile_with(src, files) {
        Ok(text) => parse(&text),
        Err(d) => panic!(
            "{src}\nerrors: {:#?}",
            d.iter().map(|d| (&d.code, &d.message)).collect::<Vec<_>>()
        ),
    }
}

/// The E0115 ("the preset refused") message for `src` in a context of
/// `files`: it must be at the `use` line (the label's first line is line 2
/// of these specs, `use NAME ...`).
fn refusal(src: &str, files: &[&str]) -> String {
    let err = compile_with(src, files).expect_err(src);
    let d = err
        .iter()
        .find(|d| d.code.as_str() == "E0115")
        .unwrap_or_else(|| panic!("{src} {files:?}: no E0115 in {err:#?}"));
    let use_at = src.find("use ").expect("a `use`");
    assert!(
        d.labels.iter().any(|l| l.span.start >= use_at
            && l.span.start < use_at + src[use_at..].find('\n').unwrap_or(src.len() - use_at)),
        "{src}: E0115 not located at the `use` line: {d:#?}"
    );
    d.message.clone()
}

/// A sample spec, compiled by the binary (which lists its directory as the
/// build context), after `check --deny-warnings`.
fn sample(dir: &str) -> Dockerfile {
    let path = root().join("specs").join(dir);
    let path = path.to_string_lossy();
    let check = msbc(&["check", "--deny-warnings", &path]);
    assert_eq!(check.status, 0, "{dir}: {}", check.stderr);
    let run = msbc(&["compile", &path]);
    assert_eq!(run.status, 0, "{dir}: {}", run.stderr);
    parse(&run.stdout)
}

/// The in-memory variants: (preset, package manager, spec, context files).
/// Each is a case of detection or of a parameter the samples do not use.
fn variants() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
)> {
    vec![
        (
            "go",
            "go",
            "msbc 1\nuse go { main \"./cmd/api\"; port 8080; }",
            &["go.mod", "go.sum", "cmd/api/main.go"],
        ),
        // java: the tool from the build files, the wrapper from its script.
        (
            "java",
            "maven",
            "msbc 1\nuse java { port 8080; }",
            &["pom.xml", "src/main/java/App.java"],
        ),
        (
            "java",
            "maven",
            "msbc 1\nuse java runtime=\"distroless\" { jar \"app/target/app-*.jar\"; }",
            &[
                "pom.xml",
                "app/pom.xml",
                "lib/pom.xml",
                "mvnw",
                ".mvn/wrapper/maven-wrapper.properties",
            ],
        ),
        (
            "java",
            "gradle",
            "msbc 1\nuse java { port 8080; healthcheck \"curl -fsS http://127.0.0.1:8080/health\"; }",
            &[
                "settings.gradle.kts",
                "build.gradle.kts",
                "gradle.properties",
                "gradle/libs.versions.toml",
            ],
        ),
        (
            "java",
            "gradle",
            "msbc 1\nuse java { args \"--verbose\"; env TZ=\"UTC\"; }",
            &[
                "settings.gradle.kts",
                "build.gradle.kts",
                "app/build.gradle.kts",
                "gradlew",
                "gradle/wrapper/gradle-wrapper.properties",
            ],
        ),
        // node: the package manager from the lockfile.
        (
            "node",
            "npm",
            "msbc 1\nuse node { main \"server.js\"; port 3000; }",
            &["package.json", "package-lock.json", "server.js"],
        ),
        (
            "node",
            "pnpm",
            "msbc 1\nuse node { build \"build\"; files \"dist\"; main \"dist/main.js\"; }",
            &[
                "package.json",
                "pnpm-lock.yaml",
                "pnpm-workspace.yaml",
                ".npmrc",
            ],
        ),
        (
            "node",
            "yarn",
            "msbc 1\nuse node runtime=\"distroless\" { main \"index.js\"; healthcheck \"/nodejs/bin/node health.js\"; }",
            &["package.json", "yarn.lock"],
        ),
        (
            "node",
            "npm",
            "msbc 1\nuse node static=#true { port 8081; dist \"build\"; }",
            &["package.json", "package-lock.json"],
        ),
        (
            "node",
            "pnpm",
            "msbc 1\nuse node pm=\"pnpm\" static=#true",
            &["package.json", "pnpm-lock.yaml", "package-lock.json"],
        ),
        // python: the package manager from the lockfile.
        (
            "python",
            "pip",
            "msbc 1\nuse python { module \"api\"; port 8000; }",
            &[
                "requirements.txt",
                "requirements-dev.txt",
                "api/__main__.py",
            ],
        ),
        (
            "python",
            "uv",
            "msbc 1\nuse python { command \"uvicorn\" \"api:app\"; args \"--port\" \"8000\"; }",
            &["pyproject.toml", "uv.lock"],
        ),
        (
            "python",
            "poetry",
            "msbc 1\nuse python version=\"3.13\" { healthcheck \"python -m app.health\"; }",
            &["pyproject.toml", "poetry.lock", "README.md"],
        ),
    ]
}

// ---------------------------------------------------------------------------
// The samples.

#[test]
fn samples_are_what_a_senior_engineer_writes() {
    for (dir, preset, pm) in [
        ("go", "go", "go"),
        ("java/maven", "java", "maven"),
        ("java/gradle", "java", "gradle"),
        ("node/npm", "node", "npm"),
        ("node/pnpm", "node", "pnpm"),
        ("node/yarn", "node", "yarn"),
        ("node/static", "node", "npm"),
        ("python/pip", "python", "pip"),
        ("python/uv", "python", "uv"),
        ("python/poetry", "python", "poetry"),
        ("dotnet", "dotnet", "dotnet"),
    ] {
        let df = sample(dir);
        let mut r = rules(preset, pm);
        r.what = format!("specs/{dir}");
        assert_senior(&df, &r);
    }
}

#[test]
fn sample_specs_say_what_they_use() {
    for dir in [
        "go",
        "java/maven",
        "java/gradle",
        "node/npm",
        "node/pnpm",
        "node/yarn",
        "node/static",
        "python/pip",
        "python/uv",
        "python/poetry",
        "dotnet",
    ] {
        let text = std::fs::read_to_string(root().join("specs").join(dir).join("build.kdl"))
            .expect("build.kdl");
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
            .count();
        let preset = dir.split('/').next().expect("a preset");
        assert!(
            text.contains(&format!("use {preset}")),
            "specs/{dir} does not `use {preset}`"
        );
        // A few lines: the preset does the work (go's also replaces one stage).
        assert!(
            lines <= if dir == "go" { 13 } else { 8 },
            "specs/{dir}/build.kdl has {lines} lines"
        );
    }
}

// ---------------------------------------------------------------------------
// Detection and variants.

#[test]
fn variants_are_what_a_senior_engineer_writes() {
    for (preset, pm, src, files) in variants_with_dotnet() {
        let df = ok(src, &files);
        let mut r = rules(preset, pm);
        r.what = format!("{preset}/{pm}: {src:?} with {files:?}");
        assert_senior(&df, &r);
    }
}

/// [`variants`] plus the dotnet ones: the project from the .csproj files.
fn variants_with_dotnet() -> Vec<(&'static str, &'static str, &'static str, Vec<&'static str>)> {
    let mut out: Vec<(&str, &str, &str, Vec<&str>)> = variants()
        .into_iter()
        .map(|(a, b, c, d)| (a, b, c, d.to_vec()))
        .collect();
    out.push((
        "dotnet",
        "dotnet",
        "msbc 1\nuse dotnet { port 5000; }",
        vec![
            "App.sln",
            "Directory.Build.props",
            "src/Api/Api.csproj",
            "tests/Api.Tests/Api.Tests.csproj",
        ],
    ));
    out.push(("dotnet", "dotnet", "msbc 1\nuse dotnet runtime=\"runtime-deps\" chiseled=#true { project \"./src/Worker/Worker.fsproj\"; }", vec!["src/Worker/Worker.fsproj", "src/Lib/Lib.csproj"]));
    out.push((
        "dotnet",
        "dotnet",
        "msbc 1\nuse dotnet runtime=\"runtime\" { project \"Tool.csproj\"; }",
        vec![],
    ));
    out
}
// ---------------------------------------------------------------------------
// Bad `use` input is a checked error, at the value written.

fn error_of(src: &str) -> Diagnostic {
    let err = compile_with(
        src,
        &[
            "package.json",
            "package-lock.json",
            "pom.xml",
            "requirements.txt",
        ],
    )
    .expect_err(src);
    err.into_iter()
        .find(Diagnostic::is_error)
        .expect("an error")
}

#[test]
fn bad_parameters_are_checked_errors() {
    // Unknown parameter, with a suggestion.
    let d = error_of("msbc 1\nuse node {\n    mian \"server.js\"\n}\n");
    assert_eq!(d.code.as_str(), "E0112", "{d:?}");
    assert!(d.message.contains("`mian`"), "{d:?}");
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("`main`")),
        "{d:?}"
    );
    let d = error_of("msbc 1\nuse python { requirement \"req.txt\"; }");
    assert_eq!(d.code.as_str(), "E0112");
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("`requirements`")),
        "{d:?}"
    );

    // Wrong type.
    let d = error_of("msbc 1\nuse python port=\"8000\"");
    assert_eq!(d.code.as_str(), "E0103", "{d:?}");
    assert!(
        d.message.contains("`port`") && d.message.contains("integer"),
        "{d:?}"
    );
    let d = error_of("msbc 1\nuse java { test \"yes\"; }");
    assert_eq!(d.code.as_str(), "E0103", "{d:?}");
    let d = error_of("msbc 1\nuse dotnet chiseled=1 project=\"A.csproj\"");
    assert_eq!(d.code.as_str(), "E0103", "{d:?}");

    // A value outside the choices, with a suggestion.
    let d = error_of("msbc 1\nuse node pm=\"pnmp\"");
    assert_eq!(d.code.as_str(), "E0111", "{d:?}");
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("`pnpm`")),
        "{d:?}"
    );
    let d = error_of("msbc 1\nuse java tool=\"ant\"");
    assert_eq!(d.code.as_str(), "E0111", "{d:?}");
    assert!(
        d.labels
            .first()
            .is_some_and(|l| l.message.contains("`maven`") && l.message.contains("`gradle`")),
        "{d:?}"
    );
    let d = error_of("msbc 1\nuse python pm=\"pipenv\"");
    assert_eq!(d.code.as_str(), "E0111", "{d:?}");
    let d = error_of("msbc 1\nuse dotnet runtime=\"sdk\" project=\"A.csproj\"");
    assert_eq!(d.code.as_str(), "E0111", "{d:?}");

    // The same through the binary: rustc-style, at the parameter.
    let run = msbc_in(
        &root(),
        &["check", "-"],
        Some(b"msbc 1\nuse node {\n    mian \"server.js\"\n}\n"),
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("E0112") && run.stderr.contains("did you mean `main`"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------
// `msbc presets NAME` and the manifests.

#[test]
fn every_preset_shows_a_working_example() {
    let catalog = Catalog::stdlib();
    for name in ["go", "java", "node", "python", "dotnet"] {
        let t = catalog
            .get(name)
            .unwrap_or_else(|| panic!("no stdlib preset `{name}`"));
        let m = Manifest::parse(&t.manifest).expect("a valid preset.kdl");
        let example = m.example.expect("an example");
        assert!(
            example.contains(&format!("use {name}")),
            "{name}: {example}"
        );
        // It compiles, warning-free, without any context files.
        let df = ok(&example, &[]);
        assert!(df.stage("test").is_some(), "{name}");
        // And `msbc presets NAME` shows it with the parameters.
        let run = msbc(&["presets", name]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("Example build.kdl:")
                && run.stdout.contains(&format!("use {name}")),
            "{}",
            run.stdout
        );
        for p in &m.params {
            assert!(!p.summary.is_empty(), "{name}.{} has no summary", p.name);
            assert!(
                run.stdout.contains(&format!("  {} ", p.name)),
                "{name}: {} not listed\n{}",
                p.name,
                run.stdout
            );
        }
    }
    let list = msbc(&["presets"]);
    for name in ["go", "java", "node", "python", "dotnet"] {
        assert!(
            list.stdout.contains(&format!("  {name} ")),
            "{}",
            list.stdout
        );
    }
}

#[test]
fn versions_are_build_args() {
    for (src, files, args) in [
        (
            "msbc 1\nuse java",
            vec!["pom.xml"],
            vec!["JAVA_VERSION=21", "MAVEN_VERSION="],
        ),
        (
            "msbc 1\nuse java",
            vec!["build.gradle"],
            vec!["JAVA_VERSION=21", "GRADLE_VERSION="],
        ),
        (
            "msbc 1\nuse node",
            vec!["package.json", "pnpm-lock.yaml"],
            vec!["NODE_VERSION=22", "PNPM_VERSION="],
        ),
        (
            "msbc 1\nuse node",
            vec!["package.json", "yarn.lock"],
            vec!["NODE_VERSION=22", "YARN_VERSION="],
        ),
        (
            "msbc 1\nuse node static=#true",
            vec!["package.json", "package-lock.json"],
            vec!["NODE_VERSION=22", "RUNTIME_IMAGE="],
        ),
        (
            "msbc 1\nuse python",
            vec!["pyproject.toml", "uv.lock"],
            vec!["PYTHON_VERSION=3.12", "UV_VERSION="],
        ),
        (
            "msbc 1\nuse python",
            vec!["pyproject.toml", "poetry.lock"],
            vec!["PYTHON_VERSION=3.12", "POETRY_VERSION="],
        ),
        (
            "msbc 1\nuse dotnet project=\"A.csproj\"",
            vec![],
            vec!["DOTNET_VERSION=8.0"],
        ),
    ] {
        let df = ok(src, &files);
        for a in args {
            let (name, value) = a.split_once('=').expect("NAME=");
            assert!(
                df.args
                    .iter()
                    .any(|(n, v)| n == name && v.starts_with(value) && !v.is_empty()),
                "{src} {files:?}: no ARG {a}...: {:?}",
                df.args
            );
            assert!(
                df.text.contains(&format!("${{{name}}}")),
                "{src}: {name} is not used symbolically\n{}",
                df.text
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The variants through BuildKit's parser and hadolint (when installed).

#[test]
fn variants_pass_buildkit_and_hadolint() {
    let dir = crate::support::TempDir::new("presets");
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut mine: Vec<Vec<Instr>> = Vec::new();
    for (n, (_, _, src, files)) in variants_with_dotnet().into_iter().enumerate() {
        let text = compile_with(src, &files).expect("compiles");
        let path = dir.join(format!("variant{n}.Dockerfile"));
        std::fs::write(&path, &text).expect("write");
        mine.push(instructions(&text));
        paths.push(path);
    }
    if let Some(python) = support::python() {
        let parsed = support::buildkit_parse(&python, &paths)
            .unwrap_or_else(|e| panic!("BuildKit's parser rejects a variant: {e}"));
        for (n, (theirs, ours)) in parsed
            .as_array()
            .expect("a list")
            .iter()
            .zip(&mine)
            .enumerate()
        {
            let theirs = theirs.as_array().expect("instructions");
            let cmds = |v: &Vec<serde_json::Value>| {
                v.iter()
                    .map(|i| i["cmd"].as_str().unwrap_or("").to_ascii_uppercase())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                cmds(theirs),
                ours.iter().map(|i| i.cmd.clone()).collect::<Vec<_>>(),
                "variant{n}: this file reads it otherwise than BuildKit"
            );
            for (t, o) in theirs.iter().zip(ours) {
                let flags: Vec<&str> = t["flags"]
                    .as_array()
                    .expect("flags")
                    .iter()
                    .filter_map(|f| f.as_str())
                    .collect();
                assert_eq!(flags, o.flags, "variant{n} {}", o.cmd);
                if t["json"].as_bool() == Some(true) {
                    let mut value: Vec<String> = t["value"]
                        .as_array()
                        .expect("value")
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                    let mut o = o.clone();
                    if o.cmd == "HEALTHCHECK" {
                        // BuildKit keeps `CMD` as the first word of a health check.
                        assert_eq!(value.first().map(String::as_str), Some("CMD"), "variant{n}");
                        value.remove(0);
                        o.rest = o.rest.trim_start_matches("CMD").trim_start().to_string();
                    }
                    assert_eq!(Some(value), o.exec_form(), "variant{n} {}", o.cmd);
                }
                if let Some(h) = t["heredocs"].as_array().and_then(|h| h.first()) {
                    assert_eq!(
                        h["content"].as_str(),
                        o.heredoc.as_deref(),
                        "variant{n} heredoc"
                    );
                }
            }
        }
    }
    if let Some(hadolint) = support::hadolint() {
        let out = std::process::Command::new(&hadolint)
            .args(["--no-color", "--failure-threshold", "error"])
            .args(&paths)
            .output()
            .expect("hadolint runs");
        assert!(
            out.status.success(),
            "hadolint: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_output_and_local_state_stay_out_of_the_context() {
    for (src, files, patterns) in [
        ("msbc 1\nuse java", vec!["pom.xml"], vec!["target/"]),
        (
            "msbc 1\nuse java",
            vec!["build.gradle"],
            vec!["build/", ".gradle/"],
        ),
        (
            "msbc 1\nuse node",
            vec!["package.json", "package-lock.json"],
            vec!["**/node_modules/"],
        ),
        (
            "msbc 1\nuse node static=#true",
            vec!["package.json", "package-lock.json"],
            vec!["**/node_modules/", "dist/"],
        ),
        (
            "msbc 1\nuse python",
            vec!["requirements.txt"],
            vec![".venv/", "**/__pycache__/"],
        ),
        (
            "msbc 1\nuse dotnet project=\"A.csproj\"",
            vec![],
            vec!["**/bin/", "**/obj/"],
        ),
    ] {
        let catalog = Catalog::stdlib();
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        let checked = compile::check_with(
            src.as_bytes(),
            Context {
                catalog: &catalog,
                files: &files,
                contents: &msbc::expand::NO_CONTENTS,
                service_dir: "",
            },
        );
        let model = checked.model.expect("a model");
        let out = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
            .expect("emit");
        let ignore = out
            .dockerignore
            .unwrap_or_else(|| panic!("{src}: no .dockerignore"));
        let lines: Vec<&str> = ignore.lines().collect();
        for p in patterns.iter().chain(&[".git"]) {
            assert!(lines.contains(p), "{src}: {p} not ignored:\n{ignore}");
        }
    }
}

/// The ignore patterns every preset writes: secrets and local state that
/// must never reach a build (a runtime that copies the app would ship them).
const ALWAYS_IGNORED: &[&str] = &[
    ".git",
    "**/.env",
    "**/.env.*",
    ".aws/",
    ".ssh/",
    ".netrc",
    ".git-credentials",
];

#[test]
fn every_preset_keeps_secrets_and_local_state_out_of_the_context() {
    for (src, files) in [
        ("msbc 1\nuse go", vec!["go.mod"]),
        (
            "msbc 1\nuse go runtime=\"debian\" cgo=#true",
            vec!["go.mod"],
        ),
        ("msbc 1\nuse java", vec!["pom.xml"]),
        ("msbc 1\nuse java", vec!["build.gradle"]),
        (
            "msbc 1\nuse node",
            vec!["package.json", "package-lock.json"],
        ),
        (
            "msbc 1\nuse node static=#true",
            vec!["package.json", "package-lock.json"],
        ),
        ("msbc 1\nuse python", vec!["requirements.txt"]),
        ("msbc 1\nuse python", vec!["pyproject.toml", "uv.lock"]),
        ("msbc 1\nuse dotnet", vec!["A.csproj"]),
    ] {
        let catalog = Catalog::stdlib();
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        let checked = compile::check_with(
            src.as_bytes(),
            Context {
                catalog: &catalog,
                files: &files,
                contents: &msbc::expand::NO_CONTENTS,
                service_dir: "",
            },
        );
        let model = checked.model.unwrap_or_else(|| panic!("{src}: no model"));
        let out = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
            .expect("emit");
        let ignore = out
            .dockerignore
            .unwrap_or_else(|| panic!("{src} {files:?}: no .dockerignore"));
        let lines: Vec<&str> = ignore.lines().collect();
        for p in ALWAYS_IGNORED {
            assert!(
                lines.contains(p),
                "{src} {files:?}: {p} not ignored:\n{ignore}"
            );
        }
    }

    // The documentation's preset usage (docs/start.md) writes the ignore
    // file (`-o`) and says what `>` loses.
    let readme = std::fs::read_to_string(root().join("docs/start.md")).expect("docs/start.md");
    let presets = &readme[readme.find("## Presets").expect("a presets section")..];
    let presets = &presets[..presets[3..].find("\n## ").map_or(presets.len(), |i| i + 3)];
    assert!(
        presets.contains("`msbc compile -o Dockerfile`")
            && presets.contains("Dockerfile.dockerignore")
            && presets.contains("`msbc compile > Dockerfile` writes the Dockerfile only"),
        "docs/start.md's presets section must show `-o` and say what `>` does not write"
    );
}

#[test]
fn a_manifest_the_build_needs_and_the_context_lacks_is_an_error_at_the_use() {
    for (src, files, says) in [
        (
            "msbc 1\nuse go",
            vec!["main.go"],
            vec!["no go.mod", "go mod init"],
        ),
        (
            "msbc 1\nuse node",
            vec!["package.json", "index.js"],
            vec!["no package-lock.json", "`npm install`", "pm="],
        ),
        (
            "msbc 1\nuse node pm=\"npm\"",
            vec!["package.json", "yarn.lock"],
            vec!["no package-lock.json", "pm=\"yarn\" (yarn.lock is here)"],
        ),
        (
            "msbc 1\nuse node pm=\"pnpm\"",
            vec!["package.json"],
            vec!["no pnpm-lock.yaml", "`pnpm install`"],
        ),
        (
            "msbc 1\nuse node",
            vec!["package-lock.json"],
            vec!["no package.json", "npm init"],
        ),
        (
            "msbc 1\nuse python",
            vec!["app/__init__.py"],
            vec!["no requirements.txt", "pip freeze", "pm=\"uv\""],
        ),
        (
            "msbc 1\nuse python requirements=\"requirements/prod.txt\"",
            vec!["requirements.txt"],
            vec!["no requirements/prod.txt"],
        ),
        (
            "msbc 1\nuse python pm=\"uv\"",
            vec!["pyproject.toml"],
            vec!["no uv.lock", "`uv lock`"],
        ),
        (
            "msbc 1\nuse python pm=\"poetry\"",
            vec!["poetry.lock"],
            vec!["no pyproject.toml"],
        ),
        (
            "msbc 1\nuse java",
            vec!["src/main/java/App.java"],
            vec!["no pom.xml", "tool=\"gradle\""],
        ),
        (
            "msbc 1\nuse java tool=\"gradle\"",
            vec!["pom.xml"],
            vec!["no settings.gradle", "pom.xml is here, set tool=\"maven\""],
        ),
        (
            "msbc 1\nuse java wrapper=#true",
            vec!["pom.xml"],
            vec!["no mvnw", "mvn wrapper:wrapper"],
        ),
        (
            "msbc 1\nuse dotnet project=\"src/Api/Api.csproj\"",
            vec!["Api.csproj"],
            vec!["no src/Api/Api.csproj", "Api.csproj"],
        ),
    ] {
        let message = refusal(src, &files);
        for s in &says {
            assert!(
                message.contains(s),
                "{src} {files:?}: {s:?} not in: {message}"
            );
        }
    }
    // Without a file list (a spec checked on its own) nothing is refused.
    for src in [
        "msbc 1\nuse go",
        "msbc 1\nuse node",
        "msbc 1\nuse python",
        "msbc 1\nuse java",
    ] {
        assert!(compile_with(src, &[]).is_ok(), "{src}");
    }
}

/// A spec checked with a build context of `files` (path and contents, as
/// the CLI reads them): the Dockerfile and the warnings, or the errors.
fn compile_project(
    src: &str,
    files: &[(&str, &str)],
) -> Result<(Dockerfile, Vec<Diagnostic>), Vec<Diagnostic>> {
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
            service_dir: "",
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
    Ok((parse(&text), diagnostics))
}

/// The default of a global `ARG`.
fn arg_of(df: &Dockerfile, name: &str) -> String {
    df.args
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no ARG {name}:\n{}", df.text))
}

const LOCKED: &[(&str, &str)] = &[("package.json", "{}"), ("package-lock.json", "{}")];

#[test]
fn versions_come_from_the_project_when_the_spec_names_none() {
    let node = |extra: (&'static str, &'static str)| {
        let mut v = LOCKED.to_vec();
        v.retain(|(f, _)| *f != extra.0);
        v.push(extra);
        v
    };
    for (src, files, arg, want) in [
        (
            "msbc 1\nuse go",
            vec![("go.mod", "module x\n\ngo 1.24.0\n")],
            "GO_VERSION",
            "1.24",
        ),
        (
            "msbc 1\nuse go",
            vec![("go.mod", "module x\ngo 1.22\ntoolchain go1.24.2\n")],
            "GO_VERSION",
            "1.24",
        ),
        // Nothing said: the preset's own default.
        (
            "msbc 1\nuse go",
            vec![("go.mod", "module x\n")],
            "GO_VERSION",
            "1.23",
        ),
        (
            "msbc 1\nuse node",
            node((".nvmrc", "20\n")),
            "NODE_VERSION",
            "20",
        ),
        (
            "msbc 1\nuse node",
            node((".node-version", "v18.20.4\n")),
            "NODE_VERSION",
            "18.20.4",
        ),
        (
            "msbc 1\nuse node",
            node(("package.json", "{\"engines\": {\"node\": \"^20.11.0\"}}")),
            "NODE_VERSION",
            "20",
        ),
        (
            "msbc 1\nuse node",
            node(("package.json", "{\"engines\": {\"node\": \">=18\"}}")),
            "NODE_VERSION",
            "22",
        ),
        // distroless names its image by the major alone.
        (
            "msbc 1\nuse node { runtime \"distroless\"; }",
            node((".nvmrc", "20.11.1\n")),
            "NODE_VERSION",
            "20",
        ),
        (
            "msbc 1\nuse python",
            vec![(".python-version", "3.11.9\n"), ("requirements.txt", "")],
            "PYTHON_VERSION",
            "3.11",
        ),
        (
            "msbc 1\nuse python",
            vec![
                (
                    "pyproject.toml",
                    "[project]\nname = \"x\"\nrequires-python = \">=3.9,<3.12\"\n",
                ),
                ("uv.lock", ""),
            ],
            "PYTHON_VERSION",
            "3.11",
        ),
        (
            "msbc 1\nuse dotnet",
            vec![
                ("global.json", "{\"sdk\": {\"version\": \"9.0.100\"}}"),
                ("Api.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />"),
            ],
            "DOTNET_VERSION",
            "9.0",
        ),
        (
            "msbc 1\nuse java",
            vec![(
                "pom.xml",
                "<project><properties><java.version>17</java.version></properties></project>",
            )],
            "JAVA_VERSION",
            "17",
        ),
        (
            "msbc 1\nuse java",
            vec![(
                "build.gradle.kts",
                "java {\n    toolchain {\n        languageVersion = JavaLanguageVersion.of(17)\n    }\n}\n",
            )],
            "JAVA_VERSION",
            "17",
        ),
    ] {
        let (df, warnings) =
            compile_project(src, &files).unwrap_or_else(|e| panic!("{src} {files:?}: {e:#?}"));
        assert_eq!(arg_of(&df, arg), want, "{src} {files:?}");
        assert!(warnings.is_empty(), "{src} {files:?}: {warnings:#?}");
    }
}

#[test]
fn a_spec_version_that_disagrees_with_the_project_wins_with_a_warning_or_is_refused() {
    let go_mod = [("go.mod", "module x\n\ngo 1.24.0\n")];
    // The golang image's GOTOOLCHAIN=local refuses a go.mod newer than its go.
    let err = compile_project("msbc 1\nuse go version=\"1.23\"", &go_mod).expect_err("refused");
    let e = err
        .iter()
        .find(|d| d.code.as_str() == "E0115")
        .expect("E0115");
    assert!(
        e.message.contains("GOTOOLCHAIN=local") && e.message.contains("go.mod (`go 1.24.0`)"),
        "{}",
        e.message
    );
    let pom = [("pom.xml", "<java.version>17</java.version>")];
    let err = compile_project("msbc 1\nuse java version=\"11\"", &pom).expect_err("refused");
    assert!(
        err.iter()
            .any(|d| d.code.as_str() == "E0115" && d.message.contains("pom.xml")),
        "{err:#?}"
    );

    let mut locked_nvmrc = LOCKED.to_vec();
    locked_nvmrc.push((".nvmrc", "20\n"));
    let engines = vec![
        ("package.json", "{\"engines\": {\"node\": \">=18\"}}"),
        ("package-lock.json", "{}"),
    ];
    for (src, files, arg, want, warns) in [
        (
            "msbc 1\nuse go version=\"1.25\"",
            go_mod.to_vec(),
            "GO_VERSION",
            "1.25",
            Some("newer than the 1.24 of go.mod"),
        ),
        (
            "msbc 1\nuse go version=\"1.24.3\"",
            go_mod.to_vec(),
            "GO_VERSION",
            "1.24.3",
            None,
        ),
        (
            "msbc 1\nuse node version=\"18\"",
            locked_nvmrc.clone(),
            "NODE_VERSION",
            "18",
            Some("older than the Node.js 20 of .nvmrc"),
        ),
        // A range that allows the spec's version agrees with it.
        (
            "msbc 1\nuse node version=\"20\"",
            engines,
            "NODE_VERSION",
            "20",
            None,
        ),
        (
            "msbc 1\nuse python version=\"3.12\"",
            vec![(".python-version", "3.11\n"), ("requirements.txt", "")],
            "PYTHON_VERSION",
            "3.12",
            Some("newer than the Python 3.11 of .python-version"),
        ),
        (
            "msbc 1\nuse java version=\"21\"",
            pom.to_vec(),
            "JAVA_VERSION",
            "21",
            Some("newer than the release 17 of pom.xml"),
        ),
        (
            "msbc 1\nuse dotnet version=\"8.0\"",
            vec![
                ("global.json", "{\"sdk\": {\"version\": \"9.0.100\"}}"),
                ("Api.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />"),
            ],
            "DOTNET_VERSION",
            "8.0",
            Some("older than the .NET SDK 9.0 of global.json"),
        ),
    ] {
        let (df, warnings) =
            compile_project(src, &files).unwrap_or_else(|e| panic!("{src} {files:?}: {e:#?}"));
        assert_eq!(arg_of(&df, arg), want, "{src}: the spec's version wins");
        match warns {
            Some(text) => {
                assert!(
                    warnings.len() == 1
                        && warnings[0].code.as_str() == "W0006"
                        && warnings[0].message.contains(text),
                    "{src}: want one W0006 saying {text:?}: {warnings:#?}"
                );
                let use_at = src.find("use ").expect("use");
                assert!(
                    warnings[0].labels.iter().any(|l| l.span.start >= use_at),
                    "{src}: W0006 is at the `use`"
                );
            }
            None => assert!(warnings.is_empty(), "{src}: {warnings:#?}"),
        }
    }
}

#[test]
fn values_that_can_never_build_are_check_errors() {
    // An image reference valid as written, broken by an arg's default.
    for (src, files, code, says) in [
        (
            "msbc 1\nuse go version=\"1.22 x\"",
            vec!["go.mod"],
            "E0302",
            "golang:1.22 x-bookworm",
        ),
        (
            "msbc 1\nuse python version=\"3.12:slim\"",
            vec!["requirements.txt"],
            "E0302",
            "python:3.12:slim-bookworm",
        ),
        (
            "msbc 1\narg V \"a b\"\nimage app from=\"alpine:${V}\" { user \"1\"; }",
            vec![],
            "E0302",
            "alpine:a b",
        ),
        // Documented constraints of a parameter.
        (
            "msbc 1\nuse node version=\"20.11\" { runtime \"distroless\"; }",
            vec!["package.json", "package-lock.json"],
            "E0115",
            "needs a major version",
        ),
        (
            "msbc 1\nuse java version=\"21.0.2\" runtime=\"distroless\"",
            vec!["pom.xml"],
            "E0115",
            "needs a major Java version",
        ),
    ] {
        let err = compile_with(src, &files).expect_err(src);
        assert!(
            err.iter()
                .any(|d| d.code.as_str() == code && d.message.contains(says)),
            "{src}: no {code} saying {says:?}: {:#?}",
            err.iter()
                .map(|d| (&d.code, &d.message))
                .collect::<Vec<_>>()
        );
    }
    // `check` agrees with the LLB backend: what it accepts, `--emit llb` takes.
    for version in ["1.22", "1.22.3", "1.23rc1"] {
        let src = format!("msbc 1\nuse go version=\"{version}\"");
        assert!(compile_with(&src, &["go.mod"]).is_ok(), "{src}");
    }
    let dir = crate::support::scratch("never-build");
    std::fs::write(dir.join("go.mod"), "module x\n\ngo 1.22\n").expect("go.mod");
    for (version, ok) in [("1.22 x", false), ("1.22", true)] {
        std::fs::write(
            dir.join("build.kdl"),
            format!("msbc 1\nuse go version=\"{version}\"\n"),
        )
        .expect("spec");
        let check = msbc_in(&dir, &["check"], None);
        let llb = msbc_in(
            &dir,
            &["compile", "--emit", "llb", "--no-base-configs"],
            None,
        );
        assert_eq!(
            (check.status == 0, llb.status == 0),
            (ok, ok),
            "{version}: check {} / llb {}",
            check.stderr,
            llb.stderr
        );
    }
}
