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

#[derive(Debug, Args)]
#[command(
    after_help = "Arg defaults are filled in (--arg overrides them) and templates expanded; a reference \
with a part known only at build time (a platform arg) is shown as written. `unpinned` marks a reference \
without a digest.\n\nExamples:\n  msbc images .\n  msbc images services/ --format markdown >> $GITHUB_STEP_SUMMARY\n  \
msbc images . --format json | jq '.images[] | select(.image == \"node\")'"
)]
pub struct ImagesArgs {
    /// Folders to search for build.kdl files (or spec files).
    #[arg(value_name = "DIR", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// How to print.
    #[arg(long, value_enum, default_value_t = ImagesFormat::Human)]
    pub format: ImagesFormat,

    /// Override an arg's default in every spec that has it (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = super::args::parse_arg)]
    pub args: Vec<(String, String)>,

    /// Directories to search for platform templates used by `use` (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub templates: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImagesFormat {
    /// A list per image and tag.
    Human,
    /// One JSON document on stdout.
    Json,
    /// A Markdown table (for a job summary or a wiki page).
    Markdown,
}

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
    })
}

/// How one spec is checked.
struct CheckOptions<'a> {
    templates: &'a [PathBuf],
    strict: bool,
    locked: bool,
    args: &'a [(String, String)],
}

/// One spec, checked (with its lock file read, as `msbc check` does).
struct Result1 {
    spec: Spec,
    checked: Checked,
    lock: Option<crate::lock::Lock>,
}

fn check_one(path: &Path, o: &CheckOptions<'_>) -> Result<Result1, Failure> {
    let spec = load(path)?;
    let fail = |error: String| Failure {
        path: path.display().to_string(),
        error,
    };
    let checked = spec.check(o.templates).map_err(fail)?;
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

/// `msbc check DIR...`.
pub(super) fn check(a: &CheckArgs) -> CliResult {
    let roots = roots(&a.path, &a.more);
    if roots.iter().any(|p| p == Path::new("-")) {
        return Err("stdin (`-`) holds one spec: it cannot be checked with others".to_string());
    }
    let found = discover(&roots)?;
    found_or_usage(&found, &roots)?;
    let options = CheckOptions {
        templates: &a.templates,
        strict: a.strict,
        locked: a.locked,
        args: &[],
    };
    let results = each(&found.specs, |p| check_one(p, &options));
    let failures: Vec<&Failure> = found
        .failures
        .iter()
        .chain(results.iter().filter_map(|r| r.as_ref().err()))
        .collect();
    let ok: Vec<&Result1> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let counts = count(results.iter(), found.failures.len());
    match a.format {
        Format::Human => {
            let reports: Vec<String> = ok.par_iter().map(|r| human_report(r)).collect();
            let mut err = String::new();
            for r in reports {
                err.push_str(&r);
            }
            for f in &failures {
                let _ = writeln!(err, "{}", f.line());
            }
            err.push_str(&counts.line());
            err.push('\n');
            super::out::stderr(&err);
        }
        Format::Json => {
            let files: Vec<serde_json::Value> = ok
                .iter()
                .map(|r| {
                    let list: Vec<JsonDiagnostic<'_>> = r
                        .checked
                        .diagnostics
                        .sorted()
                        .into_iter()
                        .map(|d| JsonDiagnostic::new(d, &r.spec.shown, &r.checked.text))
                        .collect();
                    serde_json::json!({
                        "file": r.spec.shown,
                        "errors": r.checked.diagnostics.error_count(),
                        "warnings": r.checked.diagnostics.warning_count(),
                        "diagnostics": list,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "specs": counts.specs,
                "with_errors": counts.errors,
                "with_warnings": counts.warnings,
                "unreadable": counts.unreadable,
                "files": files,
                "failures": failures,
            });
            let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            text.push('\n');
            super::out::stdout(&text)?;
            say!("{}", counts.line());
        }
        Format::Sarif => {
            let mut doc = render::sarif(&[], "", "");
            let mut results = Vec::new();
            for r in &ok {
                let sorted = r.checked.diagnostics.sorted();
                let one = render::sarif(&sorted, &sarif_uri(&r.spec), &r.checked.text);
                if let Some(list) = one["runs"][0]["results"].as_array() {
                    results.extend(list.iter().cloned());
                }
            }
            doc["runs"][0]["results"] = serde_json::Value::Array(results);
            let notes: Vec<serde_json::Value> = failures
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "level": "error",
                        "message": { "text": f.error },
                        "locations": [{ "physicalLocation": {
                            "artifactLocation": { "uri": uri_of(&f.path) }
                        }}],
                    })
                })
                .collect();
            doc["runs"][0]["invocations"] = serde_json::json!([{
                "executionSuccessful": failures.is_empty(),
                "toolExecutionNotifications": notes,
            }]);
            let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            text.push('\n');
            super::out::stdout(&text)?;
            say!("{}", counts.line());
        }
        Format::Github => {
            let mut text = String::new();
            for r in &ok {
                let uri = sarif_uri(&r.spec);
                for d in r.checked.diagnostics.sorted() {
                    text.push_str(&render::github(d, &uri, &r.checked.text));
                    text.push('\n');
                }
            }
            for f in &failures {
                let _ = writeln!(
                    text,
                    "::error file={}::{}",
                    render::github_property(&uri_of(&f.path)),
                    render::github_data(&f.error)
                );
            }
            super::out::stdout(&text)?;
            say!("{}", counts.line());
        }
    }
    Ok(counts.code(a.deny_warnings))
}

/// A path for SARIF and GitHub: `/` separators, no leading `./`.
fn uri_of(path: &str) -> String {
    let text = path.replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// What `compile --all` did with one spec.
enum Compiled {
    /// Checked with errors (or warnings under --deny-warnings): nothing written.
    Rejected,
    /// Compiled; the files written (--write), or out of date (--check).
    Done { files: Vec<PathBuf>, drift: String },
    /// The spec checked but could not be compiled or written.
    Failed(String),
}

/// `msbc compile --all DIR... [--write | --check]`.
pub(super) fn compile(a: &CompileArgs, emit: Emit) -> CliResult {
    if emit != Emit::Dockerfile {
        return Err("compile --all writes Dockerfiles; --emit is for one spec".to_string());
    }
    if a.image.is_some() || a.target.is_some() {
        return Err("--image and --target name one spec's stages: not with --all".to_string());
    }
    let mut more = a.more.clone();
    // `--check` takes an optional FILE; with --all a value is a folder.
    let check = match &a.check {
        Some(p) if p.as_os_str().is_empty() => true,
        Some(p) => {
            more.insert(0, p.clone());
            true
        }
        None => false,
    };
    let mut roots = roots(&a.path, &more);
    if a.path == Path::new(SPEC_FILE) && !a.path.exists() && !more.is_empty() {
        roots.retain(|p| p != Path::new(SPEC_FILE));
    }
    if roots.iter().any(|p| p == Path::new("-")) {
        return Err("stdin (`-`) holds one spec: not with --all".to_string());
    }
    let found = discover(&roots)?;
    found_or_usage(&found, &roots)?;
    let options = CheckOptions {
        templates: &a.templates,
        strict: a.strict,
        locked: a.locked,
        args: &a.args,
    };
    let selection = Selection {
        image: None,
        target: None,
        args: a.args.clone(),
        platform: a.platform.clone(),
        no_syntax: a.syntax.is_some(),
    };
    let results = each(&found.specs, |p| {
        let r = check_one(p, &options)?;
        let compiled = compile_one(&r, &selection, a.deny_warnings, a.write, check);
        Ok::<_, Failure>((r, compiled))
    });
    let mut err = String::new();
    let mut counts = Counts {
        unreadable: found.failures.len(),
        ..Counts::default()
    };
    let (mut written, mut stale, mut failed_specs) = (0, 0, 0);
    for r in &results {
        let (r, compiled) = match r {
            Ok(x) => x,
            Err(f) => {
                counts.unreadable += 1;
                let _ = writeln!(err, "{}", f.line());
                continue;
            }
        };
        counts.specs += 1;
        if r.checked.diagnostics.has_errors() {
            counts.errors += 1;
        } else if !r.checked.diagnostics.is_empty() {
            counts.warnings += 1;
        }
        err.push_str(&human_report(r));
        match compiled {
            Compiled::Rejected => {}
            Compiled::Failed(e) => {
                failed_specs += 1;
                let _ = writeln!(err, "error: {}: {e}", r.spec.shown);
            }
            Compiled::Done { files, drift } => {
                if a.write {
                    written += files.len();
                } else if !drift.is_empty() {
                    stale += 1;
                    err.push_str(drift);
                }
            }
        }
    }
    for f in &found.failures {
        let _ = writeln!(err, "{}", f.line());
    }
    err.push_str(&counts.line());
    if a.write {
        let _ = write!(err, "; {written} files written");
    } else if check {
        let _ = write!(err, "; {stale} out of date");
    }
    if failed_specs > 0 {
        let _ = write!(err, "; {failed_specs} could not be compiled");
    }
    err.push('\n');
    if stale > 0 {
        let mut fix = String::from("to update them, run: msbc compile --all");
        for r in &roots {
            let _ = write!(fix, " {}", r.display());
        }
        fix.push_str(" --write\n");
        err.push_str(&fix);
    }
    super::out::stderr(&err);
    let code = counts.code(a.deny_warnings);
    Ok(if code == OK && (stale > 0 || failed_specs > 0) {
        SPEC_ERROR
    } else {
        code
    })
}

fn compile_one(
    r: &Result1,
    selection: &Selection,
    deny_warnings: bool,
    write: bool,
    check: bool,
) -> Compiled {
    let Some(model) = r
        .checked
        .model
        .as_ref()
        .filter(|_| !failed(&r.checked.diagnostics, deny_warnings))
    else {
        return Compiled::Rejected;
    };
    let mut pinned;
    let model = match &r.lock {
        Some(lock) => {
            pinned = model.clone();
            crate::lock::pin(&mut pinned, lock, &selection.args);
            &pinned
        }
        None => model,
    };
    let output = match compile::emit(model, selection, Emit::Dockerfile, &r.spec.name) {
        Ok(o) => o,
        Err(e) => return Compiled::Failed(e.to_string()),
    };
    let dockerfile = r.spec.dir.join("Dockerfile");
    let mut files = vec![(dockerfile.clone(), output.main.clone())];
    if let Some(ignore) = &output.dockerignore {
        files.push((dockerignore_path(&dockerfile), ignore.clone()));
    }
    if write {
        for (path, text) in &files {
            if let Err(e) = std::fs::write(path, text) {
                return Compiled::Failed(format!("cannot write {}: {e}", path.display()));
            }
        }
        return Compiled::Done {
            files: files.into_iter().map(|(p, _)| p).collect(),
            drift: String::new(),
        };
    }
    let mut drift = String::new();
    if check {
        let build = crate::lower::select(model, selection).ok();
        for (path, want) in &files {
            let have = match std::fs::read(path) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Compiled::Failed(format!("cannot read {}: {e}", path.display())),
            };
            if &have == want {
                continue;
            }
            let shown = path.display().to_string();
            let _ = writeln!(drift, "{shown} is out of date with the spec:");
            if *path == dockerfile
                && let Some(summary) = build
                    .as_ref()
                    .and_then(|b| diff::drift_summary(&have, &shown, b))
            {
                drift.push_str(&summary);
                drift.push('\n');
            }
            let text = similar::TextDiff::from_lines(&have, want);
            let _ = write!(
                drift,
                "{}",
                text.unified_diff().context_radius(2).header(
                    &format!("{shown} (checked in)"),
                    &format!("{shown} (from the spec)")
                )
            );
        }
    }
    Compiled::Done {
        files: files.into_iter().map(|(p, _)| p).collect(),
        drift,
    }
}

/// One use of an image in the fleet.
#[derive(Debug, Clone, serde::Serialize)]
struct Use {
    /// The spec's folder.
    service: String,
    stage: String,
    how: &'static str,
}

/// One image and tag of the inventory.
#[derive(Debug, Clone, serde::Serialize)]
struct Entry {
    image: String,
    /// `null`: no tag written (`latest` is pulled).
    tag: Option<String>,
    digest: Option<String>,
    /// Not pinned by digest.
    unpinned: bool,
    /// A part is known only at build time (shown as written).
    unresolved: bool,
    uses: Vec<Use>,
}

/// `msbc images DIR...`.
pub(super) fn images(a: &ImagesArgs) -> CliResult {
    let found = discover(&a.paths)?;
    found_or_usage(&found, &a.paths)?;
    let options = CheckOptions {
        templates: &a.templates,
        strict: false,
        locked: false,
        args: &a.args,
    };
    let results = each(&found.specs, |p| {
        let r = check_one(p, &options)?;
        let images = r
            .checked
            .model
            .as_ref()
            .filter(|_| !r.checked.diagnostics.has_errors())
            .map(|m| compile::base_images(m, &a.args));
        Ok::<_, Failure>((r, images))
    });
    let mut failures: Vec<Failure> = found.failures.clone();
    let mut with_errors = Vec::new();
    let mut specs = 0;
    let mut by_ref: BTreeMap<(String, Option<String>, Option<String>), Entry> = BTreeMap::new();
    for r in results {
        let (r, images) = match r {
            Ok(x) => x,
            Err(f) => {
                failures.push(f);
                continue;
            }
        };
        specs += 1;
        let Some(images) = images else {
            with_errors.push(r.spec.shown.clone());
            continue;
        };
        let service = r.spec.dir.display().to_string();
        for image in images {
            let (name, tag, digest) = compile::split_reference(&image.reference);
            let key = (
                name.to_string(),
                tag.map(str::to_string),
                digest.map(str::to_string),
            );
            let entry = by_ref.entry(key).or_insert_with(|| Entry {
                image: name.to_string(),
                tag: tag.map(str::to_string),
                digest: digest.map(str::to_string),
                unpinned: digest.is_none(),
                unresolved: image.unresolved,
                uses: Vec::new(),
            });
            entry.uses.push(Use {
                service: service.clone(),
                stage: image.stage,
                how: image.how,
            });
        }
    }
    let entries: Vec<Entry> = by_ref.into_values().collect();
    let services_unpinned: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.unpinned)
        .flat_map(|e| e.uses.iter().map(|u| u.service.as_str()))
        .collect();
    let out = match a.format {
        ImagesFormat::Json => {
            let doc = serde_json::json!({
                "specs": specs,
                "images": entries,
                "unpinned_services": services_unpinned,
                "with_errors": with_errors,
                "failures": failures,
            });
            let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ImagesFormat::Markdown => {
            let mut s = String::from(
                "| image | tag | pinned | services (stages) |\n| --- | --- | --- | --- |\n",
            );
            for e in &entries {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} |",
                    e.image,
                    tag_text(e),
                    if e.unpinned { "no" } else { "yes" },
                    uses_text(&e.uses, "<br>").replace('|', "\\|")
                );
            }
            s
        }
        ImagesFormat::Human => {
            let mut s = String::new();
            for e in &entries {
                let _ = writeln!(
                    s,
                    "{}:{}{}{}",
                    e.image,
                    tag_text(e),
                    if e.unpinned { "  (unpinned)" } else { "" },
                    if e.unresolved {
                        "  (known at build time)"
                    } else {
                        ""
                    }
                );
                for line in uses_text(&e.uses, "\n").lines() {
                    let _ = writeln!(s, "    {line}");
                }
            }
            s
        }
    };
    super::out::stdout(&out)?;
    let mut err = String::new();
    for spec in &with_errors {
        let _ = writeln!(
            err,
            "error: {spec} has errors (run `msbc check {spec}`): its images are not listed"
        );
    }
    for f in &failures {
        let _ = writeln!(err, "{}", f.line());
    }
    let _ = writeln!(
        err,
        "{specs} specs: {} images, {} references unpinned in {} services",
        entries.len(),
        entries.iter().filter(|e| e.unpinned).count(),
        services_unpinned.len()
    );
    super::out::stderr(&err);
    Ok(if !failures.is_empty() {
        USAGE_ERROR
    } else if !with_errors.is_empty() {
        SPEC_ERROR
    } else {
        OK
    })
}

fn tag_text(e: &Entry) -> String {
    match (&e.tag, &e.digest) {
        (Some(t), Some(d)) => format!("{t}@{d}"),
        (Some(t), None) => t.clone(),
        (None, Some(d)) => format!("@{d}"),
        (None, None) => "(no tag: latest)".to_string(),
    }
}

/// `service (stage, stage)` per service, joined by `sep`.
fn uses_text(uses: &[Use], sep: &str) -> String {
    let mut by_service: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for u in uses {
        let stage = match u.how {
            "from" => u.stage.clone(),
            how => format!("{} ({how})", u.stage),
        };
        let list = by_service.entry(&u.service).or_default();
        if !list.contains(&stage) {
            list.push(stage);
        }
    }
    by_service
        .into_iter()
        .map(|(s, stages)| format!("{s}: {}", stages.join(", ")))
        .collect::<Vec<_>>()
        .join(sep)
}

/// One service's result under a template upgrade.
#[derive(Debug, serde::Serialize)]
struct ServiceDiff {
    spec: String,
    changed: bool,
    summary: crate::diff::Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

/// `msbc diff --templates-from NEW DIR...`: each spec with its templates
/// against the same spec with NEW's templates, through the same diff
/// machinery as one spec (`diff::compile_side`, `crate::diff`).
pub(super) fn diff_templates(a: &DiffArgs, new_dir: &Path) -> CliResult {
    if !new_dir.is_dir() {
        return Err(format!(
            "--templates-from {}: not a directory",
            new_dir.display()
        ));
    }
    let found = discover(&a.paths)?;
    found_or_usage(&found, &a.paths)?;
    let mut upgraded = a.templates.clone();
    upgraded.push(new_dir.to_path_buf());
    let results = each(&found.specs, |p| -> Result<ServiceDiff, Failure> {
        let spec = load(p)?;
        let fail = |error: String| Failure {
            path: spec.shown.clone(),
            error,
        };
        let old = spec.check(&a.templates).map_err(fail)?;
        let new = spec.check(&upgraded).map_err(fail)?;
        for (checked, which) in [(&old, "its templates"), (&new, "the new templates")] {
            if checked.diagnostics.has_errors() || checked.model.is_none() {
                return Err(fail(format!(
                    "has {} errors with {which} (run `msbc check {}`)",
                    checked.diagnostics.error_count(),
                    spec.shown
                )));
            }
        }
        let old = diff::compile_side(
            &old,
            format!("{} (current templates)", spec.shown),
            a,
            &spec.name,
        )
        .map_err(fail)?;
        let new = diff::compile_side(
            &new,
            format!("{} (templates from {})", spec.shown, new_dir.display()),
            a,
            &spec.name,
        )
        .map_err(fail)?;
        let mut summary = crate::diff::summarize(&old.build, &new.build);
        if let (Some(o), Some(n)) = (&old.llb, &new.llb) {
            summary.ops = Some(crate::diff::op_changes(o, n));
        }
        let changed = !summary.is_empty() || old.text != new.text;
        let diff = (!a.stat && changed).then(|| {
            crate::diff::unified(
                &old.text,
                &new.text,
                &format!("a/{}", spec.shown),
                &format!("b/{}", spec.shown),
                false,
            )
        });
        Ok(ServiceDiff {
            spec: spec.shown.clone(),
            changed,
            summary,
            diff,
        })
    });
    let mut failures = found.failures.clone();
    let mut services = Vec::new();
    for r in results {
        match r {
            Ok(s) => services.push(s),
            Err(f) => failures.push(f),
        }
    }
    let changed: Vec<&ServiceDiff> = services.iter().filter(|s| s.changed).collect();
    let cache: Vec<&str> = changed
        .iter()
        .filter(|s| !s.summary.cache.is_empty())
        .map(|s| s.spec.as_str())
        .collect();
    let config: Vec<&str> = changed
        .iter()
        .filter(|s| !s.summary.images.is_empty())
        .map(|s| s.spec.as_str())
        .collect();
    let line = format!(
        "{} services: {} change, {} lose build cache, {} change their image config{}",
        services.len() + failures.len(),
        changed.len(),
        cache.len(),
        config.len(),
        if failures.is_empty() {
            String::new()
        } else {
            format!("; {} could not be compared", failures.len())
        }
    );
    let out = match a.format {
        DiffFormat::Json => {
            let doc = serde_json::json!({
                "templates_from": new_dir.display().to_string(),
                "services": services.len(),
                "changed": changed.iter().map(|s| &s.spec).collect::<Vec<_>>(),
                "lose_cache": cache,
                "config_changed": config,
                "results": services,
                "failures": failures,
            });
            let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        DiffFormat::Human => {
            let mut s = format!("msbc diff --templates-from {}: {line}\n", new_dir.display());
            for c in &changed {
                let _ = write!(s, "\n== {}\n{}", c.spec, c.summary.render());
                if let Some(d) = &c.diff {
                    s.push('\n');
                    s.push_str(d);
                }
            }
            let unchanged: Vec<&str> = services
                .iter()
                .filter(|s| !s.changed)
                .map(|s| s.spec.as_str())
                .collect();
            if !unchanged.is_empty() {
                let _ = write!(s, "\nunchanged: {}\n", unchanged.join(", "));
            }
            s
        }
    };
    super::out::stdout(&out)?;
    let mut err = String::new();
    for f in &failures {
        let _ = writeln!(err, "{}", f.line());
    }
    super::out::stderr(&err);
    Ok(
        if !failures.is_empty() || (a.exit_code && !changed.is_empty()) {
            SPEC_ERROR
        } else {
            OK
        },
    )
}
