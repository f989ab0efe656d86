//! The Python preset: package manager detection, the virtualenv.

use super::*;

#[test]
fn python_detects_the_package_manager_and_ships_a_virtualenv() {
    for (files, pm, install) in [
        (
            vec!["requirements.txt"],
            "pip",
            "pip install -r requirements.txt",
        ),
        (
            vec!["pyproject.toml", "uv.lock"],
            "uv",
            "uv sync --locked --no-dev --no-install-project",
        ),
        (
            vec!["pyproject.toml", "poetry.lock"],
            "poetry",
            "/opt/poetry/bin/poetry install --only main --no-root --no-ansi",
        ),
        // A uv project that also exports a requirements.txt is a uv project.
        (
            vec!["pyproject.toml", "uv.lock", "requirements.txt"],
            "uv",
            "uv sync --locked --no-dev --no-install-project",
        ),
    ] {
        let df = ok("msbc 1\nuse python { port 8000; }", &files);
        let deps = df.stage("deps").expect("deps");
        assert!(
            deps.instrs
                .iter()
                .any(|i| i.cmd == "RUN" && i.script() == install),
            "{pm}: {}",
            df.text
        );
        // Build and runtime images of one Python, the runtime without compilers.
        assert_eq!(deps.base, "python:3.12-bookworm", "{pm}");
        let last = df.last();
        assert_eq!(last.base, "python:3.12-slim-bookworm", "{pm}");
        let env: String = last
            .instrs
            .iter()
            .filter(|i| i.cmd == "ENV")
            .map(|i| i.rest.clone())
            .collect::<Vec<_>>()
            .join(" ");
        for var in [
            "PYTHONDONTWRITEBYTECODE=1",
            "PYTHONUNBUFFERED=1",
            "PATH=/opt/venv/bin:${PATH}",
        ] {
            assert!(env.contains(var), "{pm}: {var} missing: {}", df.text);
        }
        let copies: Vec<&str> = last
            .instrs
            .iter()
            .filter(|i| i.cmd == "COPY")
            .map(|i| i.rest.as_str())
            .collect();
        assert_eq!(
            copies,
            ["/opt/venv /opt/venv/", "/app /app/"],
            "{pm}: {}",
            df.text
        );
        assert!(
            last.instrs
                .iter()
                .any(|i| i.cmd == "USER" && i.rest == "10001")
        );
        assert!(
            last.instrs
                .iter()
                .any(|i| i.rest == r#"["python", "-m", "app"]"#),
            "{pm}: {}",
            df.text
        );
        // The test stage adds the dev dependencies to its own copy of the virtualenv.
        let test = df.stage("test").expect("test");
        assert!(
            test.instrs.iter().any(|i| i.script() == "python -m pytest"),
            "{pm}: {}",
            df.text
        );
    }
    // uv comes from its own image, pinned by an arg, through a stage (COPY --from takes no args).
    let uv = ok("msbc 1\nuse python", &["pyproject.toml", "uv.lock"]);
    assert!(
        uv.stage("uv")
            .is_some_and(|s| s.base.starts_with("ghcr.io/astral-sh/uv:0.")),
        "{}",
        uv.text
    );
    assert!(
        uv.text.contains("UV_COMPILE_BYTECODE=1")
            && uv.text.contains("UV_PROJECT_ENVIRONMENT=/opt/venv"),
        "{}",
        uv.text
    );
}

#[test]
fn python_dev_dependencies_install_before_the_sources() {
    for (files, install) in [
        (
            vec!["requirements.txt", "requirements-dev.txt"],
            "pip install -r requirements-dev.txt",
        ),
        (
            vec!["pyproject.toml", "uv.lock"],
            "uv sync --locked --no-install-project",
        ),
        (
            vec!["pyproject.toml", "poetry.lock"],
            "poetry install --no-root --no-ansi",
        ),
    ] {
        let df = ok("msbc 1\nuse python", &files);
        let test = df.stage("test").expect("a test stage");
        let chain = df.chain(test);
        let dev = chain
            .iter()
            .position(|i| i.cmd == "RUN" && i.script().contains(install))
            .unwrap_or_else(|| panic!("{files:?}: no {install:?}:\n{}", df.text));
        let sources = chain
            .iter()
            .position(|i| i.cmd == "COPY" && i.copy_sources() == ["."])
            .unwrap_or_else(|| panic!("{files:?}: no COPY . in test:\n{}", df.text));
        assert!(
            dev < sources,
            "{files:?}: the dev dependencies must install before `COPY .`:\n{}",
            df.text
        );
        assert!(
            chain
                .iter()
                .rev()
                .find(|i| i.cmd == "RUN")
                .is_some_and(|i| i.script() == "python -m pytest"),
            "{}",
            df.text
        );
        // The image does not get the dev dependencies.
        let image = df.last();
        assert!(
            df.chain(image)
                .iter()
                .all(|i| !i.script().contains("requirements-dev")),
            "{}",
            df.text
        );
    }
    // No requirements-dev.txt: nothing to install.
    let df = ok("msbc 1\nuse python", &["requirements.txt"]);
    assert!(!df.text.contains("requirements-dev"), "{}", df.text);
}

/// The context sources (`COPY` without `--from`) of the stages the runtime
/// image copies its files from.
fn runtime_sources(df: &Dockerfile) -> Vec<String> {
    let image = df.last();
    let mut out = Vec::new();
    for copy in image.instrs.iter().filter(|i| i.cmd == "COPY") {
        let Some(from) = copy.copy_from() else {
            out.extend(copy.copy_sources().iter().map(|s| s.to_string()));
            continue;
        };
        let Some(stage) = df.stage(from) else {
            continue;
        };
        out.extend(
            df.chain(stage)
                .iter()
                .filter(|i| i.cmd == "COPY" && i.copy_from().is_none())
                .flat_map(|i| i.copy_sources())
                .map(str::to_string),
        );
    }
    out
}

/// Compiles `src` with project files (path, text) and the spec in folder
/// `service_dir` of the build context.
fn compile_in(src: &str, files: &[(&str, &str)], service_dir: &str) -> Result<Dockerfile, String> {
    let catalog = Catalog::stdlib();
    let listing: Vec<String> = files.iter().map(|(f, _)| f.to_string()).collect();
    let contents: BTreeMap<String, String> = files
        .iter()
        .filter(|(f, _)| f.ends_with("pyproject.toml"))
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    let checked = compile::check_with(
        src.as_bytes(),
        Context {
            catalog: &catalog,
            files: &listing,
            contents: &contents,
            service_dir,
        },
    );
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    let Some(model) = checked.model.filter(|_| errors.is_empty()) else {
        return Err(errors.join("\n"));
    };
    compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
        .map(|out| parse(&out.main))
        .map_err(|e| format!("{e:?}"))
}

#[test]
fn python_runtime_leaves_out_tests_dev_requirements_and_the_spec() {
    let files = [
        "requirements.txt",
        "requirements-dev.txt",
        "app/__init__.py",
        "tests/test_app.py",
        "conftest.py",
        "build.kdl",
        ".env.example",
        "wsgi.py",
    ];
    let df = ok("msbc 1\nuse python", &files);
    let sources = runtime_sources(&df);
    for absent in [
        ".",
        "tests/",
        "tests",
        "requirements-dev.txt",
        "conftest.py",
        "build.kdl",
        ".env.example",
    ] {
        assert!(
            !sources.iter().any(|s| s == absent),
            "the runtime gets {absent:?}: {sources:?}\n{}",
            df.text
        );
    }
    for present in ["app/", "wsgi.py"] {
        assert!(
            sources.iter().any(|s| s == present),
            "the runtime lacks {present:?}: {sources:?}\n{}",
            df.text
        );
    }
    // The test stage still gets everything.
    let test = df.stage("test").expect("test");
    assert!(
        test.instrs
            .iter()
            .any(|i| i.cmd == "COPY" && i.copy_sources() == ["."]),
        "{}",
        df.text
    );
}

/// A uv workspace: the root (virtual, the test group), a library, two
/// services, with the spec in apps/api.
fn uv_workspace() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "pyproject.toml",
            "[tool.uv.workspace]\nmembers = [\"apps/*\", \"packages/*\"]\n[dependency-groups]\ntest = [\"pytest>=8\"]\n",
        ),
        ("uv.lock", ""),
        (
            "apps/api/pyproject.toml",
            "[project]\nname = \"acme-api\"\nversion = \"1\"\ndependencies = [\"acme-core\", \"humanize\"]\n[project.scripts]\nacme-api = \"acme_api.main:main\"\n[tool.uv.sources]\nacme-core = { workspace = true }\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
        ),
        ("apps/api/src/acme_api/main.py", ""),
        ("apps/api/tests/test_api.py", ""),
        ("apps/api/build.kdl", ""),
        (
            "apps/worker/pyproject.toml",
            "[project]\nname = \"acme-worker\"\nversion = \"1\"\ndependencies = [\"acme-core\"]\n[tool.uv.sources]\nacme-core = { workspace = true }\n",
        ),
        ("apps/worker/worker.py", ""),
        (
            "packages/core/pyproject.toml",
            "[project]\nname = \"acme-core\"\nversion = \"1\"\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
        ),
        ("packages/core/src/acme_core/__init__.py", ""),
    ]
}

#[test]
fn python_uv_workspace_member_gets_its_manifests_first_and_only_its_members() {
    let df = compile_in("msbc 1\nuse python", &uv_workspace(), "apps/api").expect("compiles");
    let deps = df.stage("deps").expect("deps");
    let copied: Vec<&str> = deps
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY" && i.copy_from().is_none())
        .flat_map(|i| i.copy_sources())
        .collect();
    assert_eq!(
        copied,
        [
            "pyproject.toml",
            "uv.lock",
            "apps/api/pyproject.toml",
            "packages/core/pyproject.toml"
        ],
        "{}",
        df.text
    );
    assert!(
        deps.instrs.iter().any(|i| i.cmd == "RUN"
            && i.script() == "uv sync --frozen --no-dev --no-install-workspace --package acme-api"),
        "{}",
        df.text
    );
    let build = df.stage("build").expect("build");
    let sources: Vec<&str> = build
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .flat_map(|i| i.copy_sources())
        .collect();
    assert_eq!(sources, ["apps/api/", "packages/core/"], "{}", df.text);
    assert!(
        build
            .instrs
            .iter()
            .any(|i| i.script() == "uv sync --frozen --no-dev --no-editable --package acme-api"),
        "{}",
        df.text
    );
    // The runtime: the virtualenv only, running the package's program.
    let image = df.last();
    let copies: Vec<&str> = image
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.as_str())
        .collect();
    assert_eq!(copies, ["/opt/venv /opt/venv/"], "{}", df.text);
    assert!(
        image
            .instrs
            .iter()
            .any(|i| i.cmd == "ENTRYPOINT" && i.rest == r#"["acme-api"]"#),
        "{}",
        df.text
    );
    // The test stage: the root's PEP 735 test group, then pytest in each member.
    let test = df.stage("test").expect("test");
    let chain: Vec<&str> = df.chain(test).iter().map(|i| i.script()).collect();
    assert!(
        chain.contains(&"uv sync --frozen --no-install-workspace --package acme-api --group test")
            && chain.contains(&"python -m pytest apps/api packages/core"),
        "{}",
        df.text
    );
    // member= names the service when the spec sits at the root.
    let at_root = compile_in(
        "msbc 1\nuse python { member \"apps/api\"; }",
        &uv_workspace(),
        "",
    )
    .expect("compiles");
    assert_eq!(at_root.text, df.text);
}

#[test]
fn python_workspace_shapes_it_cannot_build_are_refused_with_the_fix() {
    // The library the service depends on is missing.
    let files: Vec<_> = uv_workspace()
        .into_iter()
        .filter(|(f, _)| !f.starts_with("packages/"))
        .collect();
    let err = compile_in("msbc 1\nuse python", &files, "apps/api").expect_err("refused");
    assert!(
        err.starts_with("E0115")
            && err.contains("depends on acme-core from the workspace")
            && err.contains("add its folder to [tool.uv.workspace] members"),
        "{err}"
    );
    // A spec at a virtual root, without member=.
    let err = compile_in("msbc 1\nuse python", &uv_workspace(), "").expect_err("refused");
    assert!(
        err.contains("set member to the service's folder (apps/api"),
        "{err}"
    );
    // pip cannot install a member of a uv workspace.
    let mut files = uv_workspace();
    files.retain(|(f, _)| *f != "uv.lock");
    let err = compile_in("msbc 1\nuse python pm=\"pip\"", &files, "apps/api").expect_err("refused");
    assert!(
        err.contains("set pm=\\\"uv\\\"") || err.contains("set pm=\"uv\""),
        "{err}"
    );
    // Several programs and no command.
    let mut files = uv_workspace();
    files[2].1 = "[project]\nname = \"acme-api\"\nversion = \"1\"\n[project.scripts]\na = \"x:a\"\nb = \"x:b\"\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n";
    let err = compile_in("msbc 1\nuse python", &files, "apps/api").expect_err("refused");
    assert!(
        err.contains("installs 2 programs ([project.scripts]: a, b): set command"),
        "{err}"
    );
    // files= naming what is not there.
    let err = compile_in(
        "msbc 1\nuse python { files \"gunicorn.conf.py\"; }",
        &uv_workspace(),
        "apps/api",
    )
    .expect_err("refused");
    assert!(err.contains("files names \"gunicorn.conf.py\""), "{err}");
}

#[test]
fn python_pyproject_only_installs_with_pip_and_its_dependency_groups() {
    let files = [
        (
            "pyproject.toml",
            "[project]\nname = \"svc\"\nversion = \"1\"\ndependencies = [\"flask>=3\", \"attrs; python_version < '3.13'\"]\n[dependency-groups]\nlint = [\"ruff\"]\ntest = [\"pytest>=8\", { include-group = \"lint\" }]\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
        ),
        ("svc/__init__.py", ""),
        ("tests/test_svc.py", ""),
    ];
    let df = compile_in("msbc 1\nuse python { module \"svc\"; }", &files, "").expect("compiles");
    let deps = df.stage("deps").expect("deps");
    assert!(
        deps.instrs
            .iter()
            .any(|i| i.script()
                == r#"pip install 'flask>=3' 'attrs; python_version < '\''3.13'\'''"#),
        "{}",
        df.text
    );
    assert!(
        !deps.instrs.iter().any(|i| i.cmd == "COPY"),
        "the dependencies come from the spec's text, not a copy: {}",
        df.text
    );
    let build = df.stage("build").expect("build");
    assert!(
        build
            .instrs
            .iter()
            .any(|i| i.script() == "pip install --no-deps ."),
        "{}",
        df.text
    );
    let test_deps = df.stage("test-deps").expect("test-deps");
    assert!(
        test_deps
            .instrs
            .iter()
            .any(|i| i.script() == "pip install 'pytest>=8' 'ruff'"),
        "{}",
        df.text
    );
    let image = df.last();
    assert!(
        image
            .instrs
            .iter()
            .all(|i| i.copy_from() != Some("build") || i.rest.starts_with("/opt/venv")),
        "an installable package's runtime holds the virtualenv only: {}",
        df.text
    );
    assert!(
        image
            .instrs
            .iter()
            .any(|i| i.rest == r#"["python", "-m", "svc"]"#),
        "{}",
        df.text
    );
    // Dynamic dependencies install with the package, after the sources.
    let dynamic = [(
        "pyproject.toml",
        "[project]\nname = \"svc\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
    )];
    let df = compile_in("msbc 1\nuse python", &dynamic, "").expect("compiles");
    assert!(
        df.stage("build")
            .is_some_and(|b| b.instrs.iter().any(|i| i.script() == "pip install .")),
        "{}",
        df.text
    );
}

#[test]
fn python_workspace_glob_matching_nothing_is_a_warning_at_the_use() {
    let mut files = uv_workspace();
    files[0].1 = "[tool.uv.workspace]\nmembers = [\"apps/*\", \"packages/*\", \"libs/*\"]\n";
    let catalog = Catalog::stdlib();
    let listing: Vec<String> = files.iter().map(|(f, _)| f.to_string()).collect();
    let contents: BTreeMap<String, String> = files
        .iter()
        .filter(|(f, _)| f.ends_with("pyproject.toml"))
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    let src = "msbc 1\nuse python";
    let checked = compile::check_with(
        src.as_bytes(),
        Context {
            catalog: &catalog,
            files: &listing,
            contents: &contents,
            service_dir: "apps/api",
        },
    );
    let found: Vec<(&str, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    assert!(
        found.len() == 1
            && found[0].0 == "W0006"
            && found[0].1.contains("members glob \"libs/*\"")
            && found[0]
                .1
                .contains("matches no folder with a pyproject.toml"),
        "{found:?}"
    );
    assert!(checked.model.is_some());
}
