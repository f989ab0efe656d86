//! Fleet mode: every `build.kdl` under some folders, checked in parallel
//! (`msbc check DIR...`, `msbc compile --all DIR... --write|--check`), the
//! base-image inventory (`msbc images DIR...`) and what a template upgrade
//! does to each service (`msbc diff --templates-from NEW DIR...`).
//!
//! Specs are found with the `ignore` crate (`.gitignore`, `.ignore` and
//! `.git/info/exclude` honoured, also outside a git checkout; `.git`,
//! `node_modules`, `target` and `vendor` skipped; symlinks followed, loops
//! reported) and checked on every core with `rayon`, each with its own
//! folder as build context, its own `templates` folders and `msbc.lock`.
//! A spec that cannot be read is reported with its path and the others go
//! on; a path that is no `build.kdl` and cannot be read (a dangling link, a
//! link loop: a checkout often holds them) is a warning, so the specs
//! decide the exit status. Results are printed in path order, so output
//! does not depend on scheduling.

use super::args::{CheckArgs, CompileArgs, DiffArgs, DiffFormat, Format, Gates, SpecInputs};
use super::{
    CliResult, OK, SPEC_ERROR, Spec, USAGE_ERROR, diff, dockerignore_path, failed, lock, sarif_uri,
    strict, style,
};
use crate::compile::{self, Checked, Emit};
use crate::diag::render::{self, JsonDiagnostic};
use crate::lower::Selection;
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub(super) mod affected;
mod bake;
mod check;
mod compile_all;
mod inventory;
mod template_diff;

pub use bake::BakeArgs;
pub(super) use bake::bake;
pub(super) use check::check;
pub(super) use compile_all::compile;
pub use inventory::ImagesArgs;
pub(super) use inventory::images;
pub(super) use template_diff::diff_templates;

/// `msbc check --help`: fleet mode.
pub const CHECK_HELP: &str = "Fleet mode (several paths, --all, or a folder without a build.kdl of its own): \
every build.kdl below the folders is checked in parallel, each with its own folder as build context, \
its `templates` folders and msbc.lock. `.gitignore` is honoured; .git, node_modules, target and vendor \
are skipped. One summary (`N specs: X with errors, Y with warnings`), then exit 1 if any spec has errors, \
2 if a build.kdl could not be read (each reported with its path; the other specs are still checked). \
Other paths that cannot be read (dangling links, link loops) are warnings.\n\n\
Examples:\n  msbc check services/ libs/\n  msbc check --all . --format sarif > msbc.sarif\n  \
msbc compile --all . --write     # each spec's Dockerfile beside it\n  \
msbc compile --all . --check     # CI: fail when any Dockerfile is stale\n  msbc images . --format markdown";

/// Folders never searched for specs.
const SKIP: &[&str] = &[".git", "node_modules", "target", "vendor"];

/// The spec file fleet mode looks for.
const SPEC_FILE: &str = "build.kdl";

/// Whether `check` runs in fleet mode: `--all`, several paths, or a
/// folder with no build.kdl of its own (one spec keeps the contract).
pub(super) fn is_fleet(all: bool, path: &Path, more: &[PathBuf]) -> bool {
    all || !more.is_empty() || (path.is_dir() && !path.join(SPEC_FILE).exists())
}

/// Whether `diff --templates-from` runs over a fleet.
pub(super) fn is_fleet_diff(paths: &[PathBuf]) -> bool {
    match paths {
        [] => false,
        [one] => one.is_dir() && !one.join(SPEC_FILE).exists(),
        _ => true,
    }
}

/// Something that stopped one spec (or one folder) from being checked.
#[derive(Debug, Clone, serde::Serialize)]
struct Failure {
    path: String,
    error: String,
}

impl Failure {
    /// `error: ...` naming the path once.
    fn line(&self) -> String {
        format!("error: {}", self.text())
    }

    /// `warning: PATH: ...` for a path that was skipped.
    fn warning_line(&self) -> String {
        format!(
            "warning: {}: {}; skipped (not a {SPEC_FILE})",
            self.path, self.error
        )
    }

    fn text(&self) -> String {
        if self.error.contains(&self.path) {
            self.error.clone()
        } else {
            format!("{}: {}", self.path, self.error)
        }
    }
}

/// What the search found.
#[derive(Debug, Default)]
struct Found {
    specs: Vec<PathBuf>,
    /// A build.kdl that cannot be read, or a search that failed: errors.
    failures: Vec<Failure>,
    /// Other paths that cannot be read (dangling links, link loops):
    /// warnings, since no spec is lost.
    skipped: Vec<Failure>,
}

/// The path an `ignore` walk error is about, if it names one.
fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

/// Why a path that is no spec could not be read, said once.
fn skip_reason(e: &ignore::Error) -> String {
    match e {
        ignore::Error::Loop { ancestor, .. } => {
            format!("a link loop (it points to {})", ancestor.display())
        }
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => skip_reason(err),
        ignore::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            "a link to nothing (its target does not exist)".to_string()
        }
        ignore::Error::Io(io) => {
            // The walker wraps the system's error with the path: say it once.
            let mut inner: &dyn std::error::Error = io;
            while let Some(next) = inner.source() {
                inner = next;
            }
            format!("cannot be read: {inner}")
        }
        other => other.to_string(),
    }
}

/// Every build.kdl under `roots` (a root that is a file is taken as a
/// spec), sorted and once; a root that does not exist is a usage error.
fn discover(roots: &[PathBuf]) -> Result<Found, String> {
    let mut found = Found::default();
    for root in roots {
        if std::fs::symlink_metadata(root).is_err() {
            return Err(format!("{}: no such file or directory", root.display()));
        }
        if !root.is_dir() {
            found.specs.push(root.clone());
            continue;
        }
        let walk = ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .follow_links(true)
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_type().is_some_and(|t| t.is_dir())
                        && e.file_name().to_str().is_some_and(|n| SKIP.contains(&n)))
            })
            .build();
        for entry in walk {
            match entry {
                Ok(e) => {
                    if e.file_name() == SPEC_FILE && e.file_type().is_some_and(|t| !t.is_dir()) {
                        found.specs.push(e.into_path());
                    }
                }
                Err(e) => {
                    let path = error_path(&e);
                    let spec = path
                        .as_deref()
                        .is_none_or(|p| p.file_name().is_some_and(|n| n == SPEC_FILE));
                    let path = path.unwrap_or_else(|| root.clone()).display().to_string();
                    if spec {
                        found.failures.push(Failure {
                            path,
                            error: e.to_string(),
                        });
                    } else {
                        found.skipped.push(Failure {
                            path,
                            error: skip_reason(&e),
                        });
                    }
                }
            }
        }
    }
    found.specs.sort();
    found.specs.dedup();
    found.failures.sort_by(|a, b| a.path.cmp(&b.path));
    found.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// The specs `msbc fmt PATH...` formats: in fleet mode (several paths, or
/// a folder without a build.kdl of its own) every build.kdl under them,
/// as `check` finds them; otherwise the one path. A build.kdl that cannot
/// be found or read is an error.
pub(in crate::cli) fn fmt_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let fleet = match paths {
        [] => false,
        [one, more @ ..] => is_fleet(false, one, more),
    };
    if !fleet {
        return Ok(paths.to_vec());
    }
    let found = discover(paths)?;
    found_or_usage(&found, paths)?;
    match found.failures.as_slice() {
        [] => Ok(found.specs),
        failures => Err(failures
            .iter()
            .map(Failure::text)
            .collect::<Vec<_>>()
            .join("\nerror: ")),
    }
}

/// Reads one spec found by [`discover`].
fn load(path: &Path) -> Result<Spec, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure {
        path: path.display().to_string(),
        error: format!("cannot read {}: {e}", path.display()),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| SPEC_FILE.to_string());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Spec {
        shown: path.display().to_string(),
        name,
        dir,
        bytes,
        context: None,
        found: Default::default(),
    })
}

/// How one spec is checked.
struct CheckOptions<'a> {
    templates: &'a [PathBuf],
    strict: bool,
    locked: bool,
    args: &'a [(String, String)],
    /// `--context DIR`: every spec's build context (else each spec's own).
    context: Option<&'a Path>,
    /// Shared by every spec of the run.
    catalogs: crate::cli::templates::Catalogs,
}

impl<'a> CheckOptions<'a> {
    /// From the shared flags: `--templates`/`--context`, `--strict` and
    /// `--locked` (none for `msbc images`), the `--arg`s.
    fn new(
        inputs: &'a SpecInputs,
        gates: Option<&Gates>,
        args: &'a [(String, String)],
    ) -> CheckOptions<'a> {
        CheckOptions {
            templates: &inputs.templates,
            strict: gates.is_some_and(|g| g.strict),
            locked: gates.is_some_and(|g| g.locked),
            args,
            context: inputs.context.as_deref(),
            catalogs: Default::default(),
        }
    }
}

/// One spec, checked (with its lock file read, as `msbc check` does).
struct Result1 {
    spec: Spec,
    checked: Checked,
    lock: Option<crate::lock::Lock>,
}

fn check_one(path: &Path, o: &CheckOptions<'_>) -> Result<Result1, Failure> {
    let spec = load(path)?.with_context(o.context);
    let fail = |error: String| Failure {
        path: path.display().to_string(),
        error,
    };
    let checked = spec.check_shared(o.templates, &o.catalogs).map_err(fail)?;
    let mut checked = strict(checked, o.strict);
    let lock = lock::read(&spec.dir, &mut checked, o.locked, o.args).map_err(fail)?;
    Ok(Result1 {
        spec,
        checked,
        lock,
    })
}

impl Counts {
    /// Counts one spec's outcome and appends its report to `err`: the spec
    /// and what was made of it, or `None` (counted as unreadable) when it
    /// could not be read.
    fn tally<'r, T>(
        &mut self,
        result: &'r Result<(Result1, T), Failure>,
        err: &mut String,
    ) -> Option<(&'r Result1, &'r T)> {
        let (r, made) = match result {
            Ok((r, made)) => (r, made),
            Err(f) => {
                self.unreadable += 1;
                let _ = writeln!(err, "{}", f.line());
                return None;
            }
        };
        self.specs += 1;
        if r.checked.diagnostics.has_errors() {
            self.errors += 1;
        } else if !r.checked.diagnostics.is_empty() {
            self.warnings += 1;
        }
        err.push_str(&human_report(r));
        Some((r, made))
    }
}

/// Runs `f` on every spec on all cores; results in path order.
fn each<T: Send>(specs: &[PathBuf], f: impl Fn(&Path) -> T + Sync) -> Vec<T> {
    specs.par_iter().map(|p| f(p)).collect()
}

/// The fleet's counts: specs, specs with errors, specs with warnings (and
/// no errors), and folders or files that could not be read.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    specs: usize,
    errors: usize,
    warnings: usize,
    unreadable: usize,
    /// Paths that are no spec and could not be read (warnings).
    skipped: usize,
}

impl Counts {
    fn line(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut s = format!(
            "{} spec{}: {} with errors, {} with warnings",
            self.specs,
            plural(self.specs),
            self.errors,
            self.warnings
        );
        if self.unreadable > 0 {
            let _ = write!(
                s,
                "; {} path{} could not be read",
                self.unreadable,
                plural(self.unreadable)
            );
        }
        if self.skipped > 0 {
            let _ = write!(s, "; {} path{} skipped", self.skipped, plural(self.skipped));
        }
        s
    }

    /// Exit code: 2 when something could not be read, 1 for errors.
    fn code(&self, deny_warnings: bool) -> i32 {
        if self.unreadable > 0 {
            USAGE_ERROR
        } else if self.errors > 0 || (deny_warnings && self.warnings > 0) {
            SPEC_ERROR
        } else {
            OK
        }
    }
}

fn count<'a>(results: impl Iterator<Item = &'a Result<Result1, Failure>>, found: &Found) -> Counts {
    let mut c = Counts {
        unreadable: found.failures.len(),
        skipped: found.skipped.len(),
        ..Counts::default()
    };
    for r in results {
        match r {
            Ok(r) => {
                c.specs += 1;
                if r.checked.diagnostics.has_errors() {
                    c.errors += 1;
                } else if !r.checked.diagnostics.is_empty() {
                    c.warnings += 1;
                }
            }
            Err(_) => c.unreadable += 1,
        }
    }
    c
}

/// The diagnostics of one spec, rustc-style, with its summary line.
fn human_report(r: &Result1) -> String {
    let style = style();
    let mut out = String::new();
    for d in r.checked.diagnostics.sorted() {
        out.push_str(&render::human(d, &r.spec.shown, &r.checked.text, style));
        out.push('\n');
    }
    let (e, w) = (
        r.checked.diagnostics.error_count(),
        r.checked.diagnostics.warning_count(),
    );
    if e + w > 0 {
        out.push_str(&render::summary(e, w, &r.spec.shown));
        out.push('\n');
    }
    out
}

fn roots(path: &Path, more: &[PathBuf]) -> Vec<PathBuf> {
    // `--all` alone: the default spec path means "here".
    if more.is_empty() && path == Path::new(SPEC_FILE) && !path.exists() {
        return vec![PathBuf::from(".")];
    }
    std::iter::once(path.to_path_buf())
        .chain(more.iter().cloned())
        .collect()
}

/// Warns about the skipped paths, then fails when there is nothing to
/// work on, saying how to start a spec.
fn found_or_usage(found: &Found, roots: &[PathBuf]) -> Result<(), String> {
    let mut warnings = String::new();
    for s in &found.skipped {
        let _ = writeln!(warnings, "{}", s.warning_line());
    }
    crate::cli::out::stderr(&warnings);
    if found.specs.is_empty() && found.failures.is_empty() {
        return Err(match roots {
            [one] if one == Path::new(".") => super::spec::no_spec(Path::new(SPEC_FILE)),
            [one] => super::spec::no_spec(&one.join(SPEC_FILE)),
            _ => {
                let shown: Vec<String> = roots.iter().map(|p| p.display().to_string()).collect();
                format!(
                    "no {SPEC_FILE} under {}; {}",
                    shown.join(", "),
                    super::spec::HOW_TO_START
                )
            }
        });
    }
    Ok(())
}

/// A path for SARIF and GitHub: `/` separators, no leading `./`.
fn uri_of(path: &str) -> String {
    let text = path.replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}
