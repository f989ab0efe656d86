//! `msbc diff`: the I/O around [`crate::diff`] (reading specs, Dockerfiles
//! through [`crate::import`], git revisions and template folders; printing;
//! exit codes).

use super::args::{DiffArgs, DiffEmit, DiffFormat};
use super::import::{print_import_error, print_import_warnings};
use super::{CliResult, OK, SPEC_ERROR, Spec, git, print_human, read_spec, templates};
use crate::backend;
use crate::compile::{self, Checked};
use crate::diff::{self, Summary};
use crate::import;
use crate::ir::Build;
use crate::lock::Lock;
use crate::lower::{self, Selection};
use std::path::{Path, PathBuf};

/// One side of a diff, compiled.
pub(super) struct Side {
    label: String,
    /// What importing this side's Dockerfile could not represent.
    pub(super) lost: Vec<diff::Unrepresented>,
    pub(super) build: Build,
    pub(super) text: String,
    pub(super) llb: Option<backend::llb::pb::Definition>,
    /// The side's `msbc.lock`: its pins are in `build`; its configs are
    /// what `diff::base_changes` compares.
    pub(super) lock: Option<Lock>,
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("msbc-diff-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a path names a Dockerfile rather than a spec.
fn is_dockerfile(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
}

/// A Dockerfile as a spec (imported), with what the import could not
/// represent; `Err(code)` after printing why not.
fn imported_spec(path: &Path) -> Result<Result<(Spec, Vec<diff::Unrepresented>), i32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let shown = path.display().to_string();
    match import::import(&bytes) {
        Ok(imported) => {
            print_import_warnings(&shown, &imported.warnings);
            let lost = diff::Unrepresented::from_import(&shown, &imported.warnings);
            Ok(Ok((
                Spec {
                    shown: format!("{shown} (imported)"),
                    name: "build.kdl".to_string(),
                    dir: parent_dir(path),
                    bytes: imported.kdl.into_bytes(),
                    context: None,
                    found: Default::default(),
                },
                lost,
            )))
        }
        Err(e) => {
            print_import_error(&shown, &e);
            Ok(Err(SPEC_ERROR))
        }
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks a spec with the given template catalogue folders; prints its
/// diagnostics when it has errors.
fn check(spec: &Spec, templates_base: &Path, flags: &[PathBuf]) -> Result<Option<Checked>, String> {
    let from_spec = compile::template_dirs(&spec.bytes);
    let context = spec.context_of()?;
    let catalog = templates::catalog(templates_base, &from_spec, flags)?;
    let ignore = compile::parse(&spec.bytes).context_ignore();
    let (files, contents) = templates::context_view(&context.root, &ignore);
    let checked = compile::check_with(
        &spec.bytes,
        crate::expand::Context {
            catalog: &catalog,
            files: &files,
            contents: &contents,
            service_dir: &context.service_dir,
        },
    );
    if checked.diagnostics.has_errors() || checked.model.is_none() {
        print_human(&checked, &spec.shown);
        return Ok(None);
    }
    Ok(Some(checked))
}

pub(super) fn compile_side(
    checked: &Checked,
    label: String,
    a: &DiffArgs,
    source_name: &str,
) -> Result<Side, String> {
    compile_locked_side(checked, label, a, source_name, None)
}

/// A side built as `msbc compile` builds it with `lock` beside the spec:
/// base images pinned, the LLB's stages started from the locked configs.
fn compile_locked_side(
    checked: &Checked,
    label: String,
    a: &DiffArgs,
    source_name: &str,
    lock: Option<Lock>,
) -> Result<Side, String> {
    let Some(model) = &checked.model else {
        return Err("internal: no model".to_string());
    };
    let pinned = super::compile::pinned(model, lock.as_ref(), &a.build.args);
    let model = pinned.as_ref();
    let build = lower::select(model, &a.build.selection()).map_err(|e| e.to_string())?;
    let (text, llb) = match a.emit {
        DiffEmit::Dockerfile => {
            let options = backend::dockerfile::Options {
                source_name: source_name.to_string(),
            };
            (backend::dockerfile::render(&build, &options), None)
        }
        DiffEmit::LlbJson => {
            let llb = backend::llb::compile(
                &build,
                &backend::llb::Options {
                    source_name: source_name.to_string(),
                    base_configs: lock.as_ref().map(Lock::base_configs).unwrap_or_default(),
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
            (llb.dump(), Some(llb.definition))
        }
    };
    Ok(Side {
        label,
        lost: Vec::new(),
        build,
        text,
        llb,
        lock,
    })
}

/// `msbc lock --update`: what a lock's new digests and configs change in
/// the spec's build, as `msbc diff` prints it (the summary with each base
/// image's config field by field, then the Dockerfile diff), each side
/// pinned with its lock.
pub(super) fn lock_update(
    checked: &Checked,
    shown: &str,
    source_name: &str,
    old: Lock,
    new: Lock,
) -> Result<String, String> {
    use clap::{Args, FromArgMatches};
    // `msbc diff`'s defaults (Dockerfile, every image, no args).
    let matches = DiffArgs::augment_args(clap::Command::new("diff"))
        .try_get_matches_from(["diff"])
        .map_err(|e| e.to_string())?;
    let a = DiffArgs::from_arg_matches(&matches).map_err(|e| e.to_string())?;
    let (old_label, new_label) = (
        format!("{shown} (msbc.lock as it is)"),
        format!("{shown} (msbc.lock updated)"),
    );
    let old_side = compile_locked_side(checked, old_label, &a, source_name, Some(old))?;
    let new_side = compile_locked_side(checked, new_label, &a, source_name, Some(new))?;
    let mut summary = diff::summarize(&old_side.build, &new_side.build);
    let none = Lock::default();
    summary.bases = diff::base_changes(
        old_side.lock.as_ref().unwrap_or(&none),
        new_side.lock.as_ref().unwrap_or(&none),
    );
    let text_diff = diff::unified(
        &old_side.text,
        &new_side.text,
        &format!("a/{}", old_side.label),
        &format!("b/{}", new_side.label),
        super::stdout_colored(),
    );
    Ok(render_human(
        &summary,
        &text_diff,
        &old_side.label,
        &new_side.label,
    ))
}

/// Writes `text` to stdout (a closed pipe is an I/O error, not a panic).
fn write_out(text: &str) -> Result<(), String> {
    super::out::stdout(text)
}

/// `msbc diff`.
pub(super) fn run(a: &DiffArgs) -> CliResult {
    if let Some(dir) = &a.templates_from
        && super::fleet::is_fleet_diff(&a.paths)
    {
        return super::fleet::diff_templates(a, dir);
    }
    if let [old, new] = a.paths.as_slice()
        && a.rev.is_none()
        && (is_lock_file(old) || is_lock_file(new))
    {
        if !(is_lock_file(old) && is_lock_file(new)) {
            return Err(format!(
                "`{}` and `{}`: compare a lock file with a lock file (`msbc diff OLD.lock NEW.lock`), or two specs (each side's msbc.lock is read beside it)",
                old.display(),
                new.display()
            ));
        }
        return diff_locks(a, old, new);
    }
    let sides = match (&a.rev, &a.templates_from) {
        (Some(rev), _) => rev_sides(a, rev)?,
        (None, Some(dir)) => templates_sides(a, dir)?,
        (None, None) => paths_sides(a)?,
    };
    let (old, new) = match sides {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut summary = diff::summarize(&old.build, &new.build);
    if let (Some(o), Some(n)) = (&old.llb, &new.llb) {
        summary.ops = Some(diff::op_changes(o, n));
    }
    summary.unrepresented = [old.lost.as_slice(), new.lost.as_slice()].concat();
    if old.lock.is_some() || new.lock.is_some() {
        let none = Lock::default();
        summary.bases = diff::base_changes(
            old.lock.as_ref().unwrap_or(&none),
            new.lock.as_ref().unwrap_or(&none),
        );
    }
    let emit = match a.emit {
        DiffEmit::Dockerfile => "dockerfile",
        DiffEmit::LlbJson => "llb-json",
    };
    report(
        a,
        &summary,
        (&old.label, &old.text),
        (&new.label, &new.text),
        emit,
    )
}

/// Writes a diff's report, as `--format` and `--stat` ask (the summary, then
/// the unified diff of the two texts), and gives the exit code: 1 with
/// `--exit-code` when anything changed.
fn report(
    a: &DiffArgs,
    summary: &Summary,
    (old_label, old_text): (&str, &str),
    (new_label, new_text): (&str, &str),
    emit: &str,
) -> CliResult {
    let changed = !summary.is_empty() || old_text != new_text;
    let color = a.format == DiffFormat::Human && super::stdout_colored();
    let text_diff = if a.stat {
        String::new()
    } else {
        diff::unified(
            old_text,
            new_text,
            &format!("a/{old_label}"),
            &format!("b/{new_label}"),
            color,
        )
    };
    let out = match a.format {
        DiffFormat::Human => render_human(summary, &text_diff, old_label, new_label),
        DiffFormat::Json => {
            let mut doc = serde_json::json!({
                "old": old_label,
                "new": new_label,
                "emit": emit,
                "changed": changed,
                "summary": summary,
            });
            if !a.stat {
                doc["diff"] = serde_json::Value::String(text_diff);
            }
            let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
    };
    write_out(&out)?;
    Ok(if a.exit_code && changed {
        SPEC_ERROR
    } else {
        OK
    })
}

/// `msbc.lock`, or any `*.lock` file.
fn is_lock_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "lock")
}

fn read_lock_file(path: &Path) -> Result<(Lock, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let lock = Lock::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((lock, text))
}

/// `msbc diff OLD.lock NEW.lock`: the base images whose digest or
/// recorded config changed, then the text diff of the two files.
fn diff_locks(a: &DiffArgs, old_path: &Path, new_path: &Path) -> CliResult {
    let (old, old_text) = read_lock_file(old_path)?;
    let (new, new_text) = read_lock_file(new_path)?;
    let summary = Summary {
        bases: diff::base_changes(&old, &new),
        ..Summary::default()
    };
    let (ol, nl) = (
        old_path.display().to_string(),
        new_path.display().to_string(),
    );
    report(a, &summary, (&ol, &old_text), (&nl, &new_text), "lock")
}

fn render_human(summary: &Summary, text_diff: &str, old: &str, new: &str) -> String {
    let mut out = format!("msbc diff {old} → {new}\n");
    out.push_str(&summary.render());
    if !text_diff.is_empty() {
        out.push('\n');
        out.push_str(text_diff);
    }
    out
}

type Sides = Result<(Side, Side), i32>;

/// `msbc diff OLD NEW`.
fn paths_sides(a: &DiffArgs) -> Result<Sides, String> {
    let [old_path, new_path] = a.paths.as_slice() else {
        return Err(
            "give two specs (`msbc diff OLD NEW`), or one with --rev or --templates-from"
                .to_string(),
        );
    };
    let load = |path: &Path| -> Result<Result<(Spec, Vec<diff::Unrepresented>), i32>, String> {
        if is_dockerfile(path) {
            imported_spec(path)
        } else {
            read_spec(path).map(|s| Ok((s.with_context(a.inputs.context.as_deref()), Vec::new())))
        }
    };
    let (old, old_lost) = match load(old_path)? {
        Ok(s) => s,
        Err(code) => return Ok(Err(code)),
    };
    let (new, new_lost) = match load(new_path)? {
        Ok(s) => s,
        Err(code) => return Ok(Err(code)),
    };
    let (Some(oc), Some(nc)) = (
        check(&old, &old.dir, &a.inputs.templates)?,
        check(&new, &new.dir, &a.inputs.templates)?,
    ) else {
        return Ok(Err(SPEC_ERROR));
    };
    let name = new.name.clone();
    let (old_lock, new_lock) = (super::lock::load(&old.dir)?, super::lock::load(&new.dir)?);
    let mut old_side =
        compile_locked_side(&oc, old_path.display().to_string(), a, &name, old_lock)?;
    let mut new_side =
        compile_locked_side(&nc, new_path.display().to_string(), a, &name, new_lock)?;
    old_side.lost = old_lost;
    new_side.lost = new_lost;
    Ok(Ok((old_side, new_side)))
}

/// The one spec of `--rev` and `--templates-from` (default `build.kdl`).
fn one_spec_path(a: &DiffArgs) -> Result<PathBuf, String> {
    match a.paths.as_slice() {
        [] => Ok(PathBuf::from("build.kdl")),
        [p] => Ok(p.clone()),
        _ => {
            Err("with --rev or --templates-from, give one spec (or none for build.kdl)".to_string())
        }
    }
}

/// `msbc diff --templates-from DIR [PATH]`.
fn templates_sides(a: &DiffArgs, dir: &Path) -> Result<Sides, String> {
    let path = one_spec_path(a)?;
    let spec = read_spec(&path)?.with_context(a.inputs.context.as_deref());
    let mut upgraded = a.inputs.templates.clone();
    upgraded.push(dir.to_path_buf());
    let (Some(oc), Some(nc)) = (
        check(&spec, &spec.dir, &a.inputs.templates)?,
        check(&spec, &spec.dir, &upgraded)?,
    ) else {
        return Ok(Err(SPEC_ERROR));
    };
    let lock = super::lock::load(&spec.dir)?;
    Ok(Ok((
        compile_locked_side(
            &oc,
            format!("{} (current templates)", spec.shown),
            a,
            &spec.name,
            lock.clone(),
        )?,
        compile_locked_side(
            &nc,
            format!("{} (templates from {})", spec.shown, dir.display()),
            a,
            &spec.name,
            lock,
        )?,
    )))
}

/// `msbc diff --rev REV [PATH]`: the spec and its `templates` folders at
/// REV (materialized in a temporary folder) against the working tree.
fn rev_sides(a: &DiffArgs, rev: &str) -> Result<Sides, String> {
    if rev.starts_with('-') || rev.contains(':') {
        return Err(format!("`{rev}` is not a git revision"));
    }
    let path = one_spec_path(a)?;
    let new = read_spec(&path)?.with_context(a.inputs.context.as_deref());
    let file_name = new.name.clone();
    let old_bytes = git::run(&new.dir, &["show", &format!("{rev}:./{file_name}")])?;
    let tmp = TempDir::new()?;
    // The spec's template folders as they were at REV.
    for dir in compile::template_dirs(&old_bytes) {
        if Path::new(&dir).is_absolute() {
            continue;
        }
        let listing = git::run(&new.dir, &["ls-tree", "-r", "--name-only", rev, "--", &dir])?;
        for file in String::from_utf8_lossy(&listing).lines() {
            // Relative to the spec's folder (`../x` lands beside `spec/`).
            let rel = Path::new(file);
            let bytes = git::run(&new.dir, &["show", &format!("{rev}:./{file}")])?;
            let target = tmp.0.join("spec").join(rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&target, bytes)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
        let materialized = tmp.0.join("spec").join(&dir);
        std::fs::create_dir_all(&materialized)
            .map_err(|e| format!("cannot create {}: {e}", materialized.display()))?;
    }
    let old = Spec {
        shown: format!("{}@{rev}", new.shown),
        name: file_name.clone(),
        dir: new.dir.clone(),
        bytes: old_bytes,
        context: new.context.clone(),
        found: Default::default(),
    };
    let (Some(oc), Some(nc)) = (
        check(&old, &tmp.0.join("spec"), &a.inputs.templates)?,
        check(&new, &new.dir, &a.inputs.templates)?,
    ) else {
        return Ok(Err(SPEC_ERROR));
    };
    // The lock as it was at REV (none if it was not there).
    let old_lock = match git::run(
        &new.dir,
        &["show", &format!("{rev}:./{}", crate::lock::FILE_NAME)],
    ) {
        Ok(bytes) => Some(
            Lock::parse(&String::from_utf8_lossy(&bytes))
                .map_err(|e| format!("{}@{rev}: {e}", crate::lock::FILE_NAME))?,
        ),
        Err(_) => None,
    };
    let new_lock = super::lock::load(&new.dir)?;
    Ok(Ok((
        compile_locked_side(&oc, format!("{}@{rev}", new.shown), a, &file_name, old_lock)?,
        compile_locked_side(&nc, new.shown.clone(), a, &file_name, new_lock)?,
    )))
}

/// For `compile --check`: the semantic summary of how the checked-in
/// Dockerfile `have` (shown as `shown`) differs from `build`, when `have`
/// can be imported.
pub(super) fn drift_summary(have: &str, shown: &str, build: &Build) -> Option<String> {
    let imported = import::import(have.as_bytes()).ok()?;
    let checked = compile::check(imported.kdl.as_bytes());
    if checked.diagnostics.has_errors() {
        return None;
    }
    let old = lower::select(checked.model.as_ref()?, &Selection::default()).ok()?;
    let mut summary = diff::summarize(&old, build);
    summary.unrepresented = diff::Unrepresented::from_import(shown, &imported.warnings);
    (!summary.is_empty()).then(|| summary.render())
}
