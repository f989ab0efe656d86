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
//! on; results are printed in path order, so output does not depend on
//! scheduling.

use super::args::{CheckArgs, CompileArgs, DiffArgs, DiffFormat, Format};
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

mod check;
mod compile_all;
mod inventory;
mod template_diff;

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
2 if a file could not be read (each reported with its path; the other specs are still checked).\n\n\
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
        if self.error.contains(&self.path) {
            format!("error: {}", self.error)
        } else {
            format!("error: {}: {}", self.path, self.error)
        }
    }
}

/// What the search found.
#[derive(Debug, Default)]
struct Found {
    specs: Vec<PathBuf>,
    failures: Vec<Failure>,
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
                    let path = error_path(&e).unwrap_or_else(|| root.clone());
                    found.failures.push(Failure {
                        path: path.display().to_string(),
                        error: e.to_string(),
                    });
                }
            }
        }
    }
    found.specs.sort();
    found.specs.dedup();
    found.failures.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
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

fn count<'a>(
    results: impl Iterator<Item = &'a Result<Result1, Failure>>,
    failures: usize,
) -> Counts {
    let mut c = Counts {
        unreadable: failures,
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

fn found_or_usage(found: &Found, roots: &[PathBuf]) -> Result<(), String> {
    if found.specs.is_empty() && found.failures.is_empty() {
        let shown: Vec<String> = roots.iter().map(|p| p.display().to_string()).collect();
        return Err(format!("no {SPEC_FILE} under {}", shown.join(", ")));
    }
    Ok(())
}

/// A path for SARIF and GitHub: `/` separators, no leading `./`.
fn uri_of(path: &str) -> String {
    let text = path.replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}
