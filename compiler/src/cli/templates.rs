//! Reading template directories and listing the build context: the I/O
//! that expansion needs, done here so that `expand` stays pure.

use crate::expand::project::{
    IGNORE_FILE, LISTING_MAX_DEPTH as MAX_DEPTH, LISTING_MAX_FILES as MAX_FILES,
    LISTING_SKIP as SKIP, MAX_PROJECT_FILE, is_project_file,
};
use crate::expand::{Catalog, TemplateFiles};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Catalogs made once per run and shared: the specs of a fleet that name
/// the same template folders (most name none: the stdlib) get one
/// catalog, read and parsed once. Errors are not kept: each spec reports
/// its own.
#[derive(Debug, Default)]
pub struct Catalogs {
    made: Mutex<BTreeMap<Vec<PathBuf>, Arc<Catalog>>>,
}

impl Catalogs {
    /// [`catalog`], or the one already made for the same folders.
    pub fn get(
        &self,
        spec_dir: &Path,
        from_spec: &[String],
        from_flags: &[PathBuf],
    ) -> Result<Arc<Catalog>, String> {
        let key: Vec<PathBuf> = from_spec
            .iter()
            .map(|d| spec_dir.join(d))
            .chain(from_flags.iter().cloned())
            .collect();
        if let Some(c) = self.made.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let made = Arc::new(catalog(spec_dir, from_spec, from_flags)?);
        if let Ok(mut m) = self.made.lock() {
            m.insert(key, made.clone());
        }
        Ok(made)
    }
}

/// The stdlib plus, in rising priority, `MSBC_TEMPLATE_PATH`, the spec's
/// `templates "dir"` nodes (relative to the spec) and `--templates DIR`.
pub fn catalog(
    spec_dir: &Path,
    from_spec: &[String],
    from_flags: &[PathBuf],
) -> Result<Catalog, String> {
    let mut catalog = Catalog::stdlib();
    for (dir, why) in folders(spec_dir, from_spec, from_flags) {
        if !dir.is_dir() {
            return Err(format!(
                "template directory {} (from {why}) is not a directory",
                dir.display()
            ));
        }
        for files in read_dir(&dir)? {
            catalog.add(files);
        }
        let policy = dir.join(POLICY_FILE);
        if policy.is_file() {
            let text = std::fs::read_to_string(&policy)
                .map_err(|e| format!("cannot read {}: {e}", policy.display()))?;
            catalog.add_policy(policy.display().to_string(), text);
        }
    }
    Ok(catalog)
}

/// A template folder's policies, read for every spec that names the folder.
pub const POLICY_FILE: &str = "policy.kdl";

/// The template folders a spec's catalog reads, in rising priority, each with
/// where it was named: `MSBC_TEMPLATE_PATH`, the spec's `templates "dir"`
/// nodes (relative to the spec) and `--templates DIR`.
pub fn folders(
    spec_dir: &Path,
    from_spec: &[String],
    from_flags: &[PathBuf],
) -> Vec<(PathBuf, String)> {
    let mut dirs: Vec<(PathBuf, String)> = Vec::new();
    if let Some(path) = std::env::var_os("MSBC_TEMPLATE_PATH") {
        for dir in std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()) {
            dirs.push((dir, "MSBC_TEMPLATE_PATH".to_string()));
        }
    }
    for dir in from_spec {
        let path = if spec_dir == Path::new(".") {
            PathBuf::from(dir)
        } else {
            spec_dir.join(dir)
        };
        dirs.push((path, format!("`templates \"{dir}\"` in the spec")));
    }
    for dir in from_flags {
        dirs.push((dir.clone(), "--templates".to_string()));
    }
    dirs
}

/// Templates in `dir`: `NAME/` or `TEAM/NAME/` folders holding
/// `preset.kdl` and `template.kdl.j2`.
fn read_dir(dir: &Path) -> Result<Vec<TemplateFiles>, String> {
    let mut out = Vec::new();
    let mut folders = Vec::new();
    for (path, name) in subdirs(dir)? {
        for (inner, inner_name) in subdirs(&path).unwrap_or_default() {
            folders.push((inner, format!("{name}/{inner_name}")));
        }
        folders.push((path, name));
    }
    for (folder, name) in folders {
        let manifest = folder.join("preset.kdl");
        let template = folder.join("template.kdl.j2");
        if !manifest.is_file() || !template.is_file() {
            continue;
        }
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        out.push(TemplateFiles {
            name,
            origin: folder.display().to_string(),
            manifest: read(&manifest)?,
            template: read(&template)?,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn subdirs(dir: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out: Vec<(PathBuf, String)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.path(), e.file_name().to_string_lossy().into_owned()))
        .collect();
    out.sort();
    Ok(out)
}

/// What presets see of the build context `root`: its files ([`context_files`])
/// and the project files' contents ([`project_contents`]), less what the
/// build never sends, the paths the context's `.dockerignore` and the spec's
/// `context { ignore }` patterns (`spec_ignore`) leave out: as the frontend
/// lists the context, so both routes detect the same files.
pub fn context_view(
    root: &Path,
    spec_ignore: &[String],
) -> (Vec<String>, BTreeMap<String, String>) {
    // The ignore file first (project_contents of no files is it alone), so
    // no ignored project file is read.
    let mut patterns = project_contents(root, &[])
        .get(IGNORE_FILE)
        .map_or_else(Vec::new, |t| crate::paths::ignore_file_patterns(t));
    patterns.extend(spec_ignore.iter().cloned());
    let ignore = crate::paths::Ignore::new(&patterns);
    let mut files = context_files(root);
    files.retain(|f| !ignore.ignored(f));
    let contents = project_contents(root, &files);
    (files, contents)
}

/// Files of the build context (the spec's directory), relative and sorted,
/// for templates that detect a package manager or build tool.
pub fn context_files(dir: &Path) -> Vec<String> {
    context_files_to(dir, MAX_DEPTH)
}

/// [`context_files`] down to `max_depth` folders (`msbc init` looks for
/// sources deeper than templates need to).
pub fn context_files_to(dir: &Path, max_depth: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if depth + 1 < max_depth && !SKIP.contains(&name.as_str()) {
                    todo.push((path, depth + 1));
                }
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
            if out.len() >= MAX_FILES {
                out.sort();
                return out;
            }
        }
    }
    out.sort();
    out
}

/// The contents of the project files templates read (`go.mod`,
/// `package.json`, ... in any folder: [`is_project_file`]) among `files`
/// (the context's listing), each up to [`MAX_PROJECT_FILE`] bytes. A file
/// that is larger, unreadable or not UTF-8 is left out: the template then
/// says nothing about it, as if it were absent.
pub fn project_contents(dir: &Path, files: &[String]) -> BTreeMap<String, String> {
    // The context's `.dockerignore` (at its root only), as small and UTF-8.
    let ignore_file = std::iter::once(IGNORE_FILE.to_string())
        .filter(|f| std::fs::metadata(dir.join(f)).is_ok_and(|m| m.is_file()));
    files
        .iter()
        .cloned()
        .chain(ignore_file)
        .filter(|f| is_project_file(f) || f == IGNORE_FILE)
        .filter_map(|f| {
            let path = dir.join(&f);
            let size = std::fs::metadata(&path).ok()?.len();
            if size > MAX_PROJECT_FILE {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?;
            Some((f, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_naming_the_same_template_folders_share_one_catalog() {
        let root = std::env::temp_dir().join(format!("msbc-catalogs-{}", std::process::id()));
        let team = root.join("team");
        let tpl = team.join("templates/acme/web");
        std::fs::create_dir_all(&tpl).expect("mkdir");
        std::fs::write(
            tpl.join("preset.kdl"),
            "summary \"web\"\nexample \"msbc 1\"\n",
        )
        .expect("write");
        std::fs::write(tpl.join("template.kdl.j2"), "stage web from=\"alpine\"\n").expect("write");
        let catalogs = Catalogs::default();
        let a = catalogs.get(&root.join("a"), &[], &[]).expect("stdlib");
        let b = catalogs.get(&root.join("b"), &[], &[]).expect("stdlib");
        assert!(Arc::ptr_eq(&a, &b), "two stdlib-only specs: one catalog");
        let t1 = catalogs
            .get(&team, &["templates".to_string()], &[])
            .expect("team templates");
        let t2 = catalogs
            .get(&team, &["templates".to_string()], &[])
            .expect("team templates");
        assert!(Arc::ptr_eq(&t1, &t2), "the same folder: one catalog");
        assert!(!Arc::ptr_eq(&a, &t1), "other folders: another catalog");
        assert!(t1.get("acme/web").is_some() && a.get("acme/web").is_none());
        // Errors are each spec's own, not kept.
        assert!(catalogs.get(&root, &["missing".to_string()], &[]).is_err());
        assert!(catalogs.get(&root, &["missing".to_string()], &[]).is_err());
        std::fs::remove_dir_all(&root).ok();
    }
}
