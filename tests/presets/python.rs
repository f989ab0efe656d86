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
