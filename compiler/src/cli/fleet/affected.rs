//! `--affected --since REV`: fleet mode narrowed to the services whose build
//! can change since a git revision (`check DIR...`, `compile --all`, `bake`).
//!
//! A service is affected when one of its build's inputs changed: its
//! `build.kdl`, its `msbc.lock`, a template it uses (a file in that
//! template's folder, or the folder's `policy.kdl`), a file its build context
//! sends (after the build's ignore patterns: the context's `.dockerignore`,
//! the spec's `context { ignore }`, preset patterns; the context's
//! `.dockerignore` always counts; for a spec that uses templates, so do
//! the project files they read and a file added or deleted: presets see
//! the context's listing, ignored files too), or the msbc version
//! (`--since-version`: every service). It errs on the side of rebuilding:
//! a spec that does not check, or whose context or template folder lies
//! outside the git work tree, is affected. The repository's `.git` folder
//! is not an input (a context at the root should leave it out).
//!
//! What changed is `git diff --name-status REV` (committed, staged and
//! unstaged changes of tracked files, deletions included) plus the untracked
//! files git does not ignore (`git ls-files --others --exclude-standard`):
//! files git ignores are not in a CI checkout, and their history is unknown.
//!
//! The cheap questions come first (paths only, the spec parsed for its
//! context and template folders); a spec is checked (templates expanded)
//! only when a changed file lies in its context or template folders, to
//! learn its ignore patterns and the templates it used.

use super::{CheckOptions, Failure, Found, load};
use crate::cli::args::AffectedArgs;
use crate::cli::{git, templates};
use crate::compile;
use crate::expand::project::{IGNORE_FILE, is_project_file};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What changed in a git work tree since a revision.
#[derive(Debug, Clone)]
pub(in crate::cli) struct Changes {
    /// The revision, as given.
    pub(in crate::cli) rev: String,
    /// The work tree's top folder, canonical.
    top: PathBuf,
    /// Changed paths, relative to `top`, `/`-separated.
    files: BTreeSet<String>,
    /// Those among `files` that were added or deleted (untracked ones
    /// too): the context's listing, which templates read, changed.
    listed: BTreeSet<String>,
    /// Why every service is affected (the msbc version changed).
    all: Option<String>,
}

/// `git ... -z` output: one path per NUL.
fn nul_paths(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// The version as `msbc --version` prints it, without the program name.
fn bare_version(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix("msbc ").unwrap_or(v).trim()
}

impl Changes {
    /// What changed since `rev` in the git work tree holding `dir`; a
    /// revision that does not exist, or no work tree, is an error.
    pub(in crate::cli) fn since(
        dir: &Path,
        rev: &str,
        since_version: Option<&str>,
    ) -> Result<Changes, String> {
        let top = git::run(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
            format!(
                "--affected compares with a git revision, but {} is not in a git work tree ({e})",
                dir.display()
            )
        })?;
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
        let top = std::fs::canonicalize(&top).unwrap_or(top);
        if rev.starts_with('-') {
            return Err(format!("--since {rev}: a revision cannot start with `-`"));
        }
        let commit = format!("{rev}^{{commit}}");
        if git::run(&top, &["rev-parse", "--verify", "--quiet", &commit]).is_err() {
            return Err(format!(
                "--since {rev}: no such revision in the git repository at {} (a branch, tag or commit; in a shallow CI checkout, fetch it first: git fetch origin {rev})",
                top.display()
            ));
        }
        let diff = git::run(
            &top,
            &[
                "-c",
                "core.quotePath=false",
                "diff",
                "--name-status",
                "--no-renames",
                "--no-relative",
                "-z",
                &commit,
                "--",
            ],
        )?;
        let untracked = git::run(&top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        // `STATUS\0PATH\0` pairs (no renames: a rename is a deletion and an addition).
        let mut files = BTreeSet::new();
        let mut listed = BTreeSet::new();
        let mut fields = nul_paths(&diff);
        while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
            if status.starts_with(['A', 'D']) {
                listed.insert(path.clone());
            }
            files.insert(path);
        }
        for path in nul_paths(&untracked) {
            listed.insert(path.clone());
            files.insert(path);
        }
        let this = env!("MSBC_VERSION");
        let all = since_version
            .filter(|v| bare_version(v) != bare_version(this))
            .map(|v| {
                format!(
                    "msbc {} is not the version {rev} was built with ({})",
                    bare_version(this),
                    bare_version(v)
                )
            });
        Ok(Changes {
            rev: rev.to_string(),
            top,
            files,
            listed,
            all,
        })
    }

    /// `path` (canonical) relative to the work tree, `/`-separated; `None`
    /// outside it.
    fn rel(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.top).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// The changed files under the folder `dir` (relative to the work tree;
    /// "" is the top), each relative to `dir`.
    fn under(&self, dir: &str) -> Vec<&str> {
        let start = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.files
            .range(start.clone()..)
            .take_while(|f| f.starts_with(&start))
            .map(|f| &f[start.len()..])
            .collect()
    }
}

/// A path made absolute and canonical, or `None` when it cannot be read.
fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Why the spec at `path` is affected by `changes`, or `None` when no input
/// of its build changed.
pub(super) fn why(
    path: &Path,
    o: &CheckOptions<'_>,
    changes: &Changes,
) -> Result<Option<String>, Failure> {
    if let Some(all) = &changes.all {
        return Ok(Some(all.clone()));
    }
    let spec = load(path)?.with_context(o.context);
    let fail = |error: String| Failure {
        path: path.display().to_string(),
        error,
    };
    let outside = |what: &str, p: &Path| {
        Some(format!(
            "its {what} {} is outside the git work tree {}: its changes are not known",
            p.display(),
            changes.top.display()
        ))
    };
    let Some(file) = canonical(path).and_then(|p| changes.rel(&p)) else {
        return Ok(outside("spec", path));
    };
    if changes.files.contains(&file) {
        return Ok(Some("its spec changed".to_string()));
    }
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let lock = if dir.is_empty() {
        crate::lock::FILE_NAME.to_string()
    } else {
        format!("{dir}/{}", crate::lock::FILE_NAME)
    };
    if changes.files.contains(&lock) {
        return Ok(Some(format!("its {} changed", crate::lock::FILE_NAME)));
    }
    let parsed = compile::parse(&spec.bytes);
    let context = spec.context_dir(parsed.context_depth()).map_err(fail)?;
    let Some(context_rel) = canonical(&context.root).and_then(|p| changes.rel(&p)) else {
        return Ok(outside("build context", &context.root));
    };
    // The context's changed files, and each template folder's.
    let in_context = changes.under(&context_rel);
    let mut in_templates: Vec<(String, Vec<&str>)> = Vec::new();
    for (folder, _) in templates::folders(&spec.dir, &parsed.template_dirs(), o.templates) {
        let Some(rel) = canonical(&folder).and_then(|p| changes.rel(&p)) else {
            if folder.is_dir() {
                return Ok(outside("template folder", &folder));
            }
            // A folder that is gone: the spec no longer checks.
            return Ok(Some(format!(
                "its template folder {} cannot be read",
                folder.display()
            )));
        };
        let files = changes.under(&rel);
        if !files.is_empty() {
            in_templates.push((rel, files));
        }
    }
    if in_context.is_empty() && in_templates.is_empty() {
        return Ok(None);
    }
    // What counts without checking the spec: the ignore file, and the
    // project files templates read (ignored or not).
    let uses_templates = parsed.uses_templates();
    if let Some(f) = in_context
        .iter()
        .find(|f| **f == IGNORE_FILE || (uses_templates && is_project_file(f)))
    {
        return Ok(Some(format!(
            "{} changed (a file its templates read)",
            joined(&context_rel, f)
        )));
    }
    for (rel, files) in &in_templates {
        if files.contains(&templates::POLICY_FILE) {
            return Ok(Some(format!(
                "{} changed",
                joined(rel, templates::POLICY_FILE)
            )));
        }
    }
    let (checked, used) = spec
        .check_traced(parsed, o.templates, &o.catalogs)
        .map_err(fail)?;
    let Some(model) = checked.model else {
        return Ok(Some(
            "it does not check: its inputs changed and its build is unknown".to_string(),
        ));
    };
    for (rel, files) in &in_templates {
        if let Some(f) = files.iter().find(|f| used_template(f, &used)) {
            return Ok(Some(format!(
                "{} changed (a template it uses)",
                joined(rel, f)
            )));
        }
    }
    let patterns = crate::paths::Ignore::new(&model.context_ignore);
    if let Some(f) = in_context.iter().find(|f| !patterns.ignored(f)) {
        return Ok(Some(format!(
            "{} changed (in its build context)",
            joined(&context_rel, f)
        )));
    }
    // Templates see the context's listing, ignored files too: one that
    // comes or goes may change what a preset detects.
    if uses_templates
        && let Some(f) = in_context
            .iter()
            .find(|f| changes.listed.contains(&joined(&context_rel, f)))
    {
        return Ok(Some(format!(
            "{} was added or deleted (its templates list the build context)",
            joined(&context_rel, f)
        )));
    }
    Ok(None)
}

fn joined(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        format!("{dir}/{file}")
    }
}

/// Whether `file` (relative to a template folder) is in the folder of a
/// template in `used`: `NAME/...` or `TEAM/NAME/...`.
fn used_template(file: &str, used: &[String]) -> bool {
    let mut parts = file.split('/');
    let (Some(first), Some(second)) = (parts.next(), parts.next()) else {
        return false;
    };
    let deeper = parts.next().is_some();
    used.iter()
        .any(|name| name == first || (deeper && name.split_once('/') == Some((first, second))))
}

/// The specs narrowed to the affected ones.
pub(in crate::cli) struct Narrowed {
    pub(in crate::cli) changes: Changes,
    /// Each affected spec and why, in path order.
    pub(in crate::cli) affected: Vec<(PathBuf, String)>,
    /// How many specs were found before narrowing.
    pub(in crate::cli) of: usize,
}

impl Narrowed {
    /// `N of M specs affected since REV`.
    pub(in crate::cli) fn line(&self) -> String {
        format!(
            "{} of {} spec{} affected since {}",
            self.affected.len(),
            self.of,
            if self.of == 1 { "" } else { "s" },
            self.changes.rev
        )
    }

    /// The JSON form: the revision and each affected spec with why.
    pub(in crate::cli) fn json(&self) -> serde_json::Value {
        let specs: Vec<serde_json::Value> = self
            .affected
            .iter()
            .map(|(p, why)| serde_json::json!({ "file": p.display().to_string(), "why": why }))
            .collect();
        serde_json::json!({ "since": self.changes.rev, "of": self.of, "specs": specs })
    }
}

/// With `--affected`: keeps in `found` only the specs whose build can
/// change since `--since REV` (a spec that cannot be read joins the
/// failures); `None` without `--affected`.
pub(super) fn narrow(
    found: &mut Found,
    a: &AffectedArgs,
    roots: &[PathBuf],
    o: &CheckOptions<'_>,
) -> Result<Option<Narrowed>, String> {
    if !a.affected {
        return Ok(None);
    }
    let rev = a
        .since
        .as_deref()
        .ok_or("--affected needs --since REV: the git revision to compare with")?;
    let start = roots
        .first()
        .map(|r| {
            if r.is_dir() {
                r.clone()
            } else {
                r.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            }
        })
        .unwrap_or_else(|| PathBuf::from("."));
    let changes = Changes::since(&start, rev, a.since_version.as_deref())?;
    Ok(Some(narrow_with(found, changes, o)))
}

/// [`narrow`] with the changes known.
pub(super) fn narrow_with(found: &mut Found, changes: Changes, o: &CheckOptions<'_>) -> Narrowed {
    let of = found.specs.len();
    let verdicts: Vec<Result<Option<String>, Failure>> = found
        .specs
        .par_iter()
        .map(|p| why(p, o, &changes))
        .collect();
    let mut affected = Vec::new();
    for (path, verdict) in std::mem::take(&mut found.specs).into_iter().zip(verdicts) {
        match verdict {
            Ok(Some(why)) => {
                found.specs.push(path.clone());
                affected.push((path, why));
            }
            Ok(None) => {}
            Err(f) => found.failures.push(f),
        }
    }
    found.failures.sort_by(|a, b| a.path.cmp(&b.path));
    Narrowed {
        changes,
        affected,
        of,
    }
}

#[cfg(test)]
mod tests;
