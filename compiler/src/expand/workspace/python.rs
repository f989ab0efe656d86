//! A Python service's project, as the python preset needs it: its
//! `pyproject.toml` (name, dependencies, `[project.scripts]`, PEP 735
//! `[dependency-groups]`, whether it is an installable package), the uv
//! workspace it belongs to (`[tool.uv.workspace]` members and excludes) and
//! the members it depends on through `[tool.uv.sources] x = { workspace =
//! true }`, transitively; and the files its runtime image needs. Pure: it
//! reads the contents and the listing the CLI gathered.
//!
//! Templates ask through `python_project(dir, pm, files)`; what they cannot
//! build comes back in `errors` (the template refuses with the first) and
//! what looks wrong but builds in `warnings`.

use super::{glob_matches as matches, in_dir as join};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use toml_edit::{Document, Item, Value};

/// What the preset builds from.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// Whether the project's files were read (a spec checked on its own has
    /// no listing: the preset then does what it did without one).
    pub listed: bool,
    /// The folder copied to the build stages' working folder: the uv
    /// workspace's root, or the project's own folder ("" is the context's
    /// root).
    pub root: String,
    /// The service's project folder, relative to `root` ("" when it is the
    /// root project).
    pub member: String,
    /// Whether the service is a member of a uv workspace.
    pub workspace: bool,
    /// `[project] name`, as written.
    pub name: Option<String>,
    /// Whether the project builds into a package that installs into the
    /// virtualenv: a `[build-system]` (or `tool.uv.package = true`), not
    /// `tool.uv.package = false`.
    pub installable: bool,
    /// `[project.scripts]` names: the programs the package installs.
    pub scripts: Vec<String>,
    /// `[project] dependencies`, shell-quoted and joined with spaces, for a
    /// pip install before the sources; none when they are `dynamic` or
    /// there is no `[project]`; "" when it has none.
    pub dependencies: Option<String>,
    /// PEP 735 groups (`include-group` resolved), each shell-quoted and
    /// joined with spaces; a workspace member's own, then the root's.
    pub groups: BTreeMap<String, String>,
    /// Folders (relative to `root`) of the workspace members the service
    /// needs: its own first, then what it depends on, transitively.
    pub members: Vec<String>,
    /// Files copied before the dependency install (relative to `root`):
    /// the root's pyproject.toml and uv.lock, each needed member's
    /// pyproject.toml.
    pub manifests: Vec<String>,
    /// What the runtime image's /app holds, from the service's folder:
    /// the `files` parameter, else nothing for an installable project (the
    /// package is in the virtualenv), else the folder's top-level entries
    /// without tests, dev requirements, build files and dotfiles. None
    /// without a listing.
    pub runtime: Option<Vec<Copy>>,
    /// Shapes the preset cannot build, each with its fix.
    pub errors: Vec<String>,
    /// Shapes that build but look like a mistake.
    pub warnings: Vec<String>,
}

/// One `copy` of the runtime's files: `from` relative to the build
/// context, `to` relative to /app (a folder, ending in `/`, or "").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub from: String,
    pub to: String,
}

/// Top-level entries of a service folder that the default runtime leaves
/// out: tests, their configuration, development requirements, and how the
/// image is built.
const NOT_RUNTIME: &[&str] = &[
    "tests",
    "test",
    "conftest.py",
    "pytest.ini",
    "tox.ini",
    "noxfile.py",
    "build.kdl",
    "Dockerfile",
];

/// Dev requirement files, by prefix (`requirements-dev.txt`,
/// `requirements-test.in`, `dev-requirements.txt`...).
const DEV_REQUIREMENTS: &[&str] = &[
    "requirements-dev",
    "requirements-test",
    "requirements_dev",
    "requirements_test",
    "dev-requirements",
    "test-requirements",
];

/// Reads the service in folder `dir` of the build context (`contents`:
/// project files by path; `files`: the listing). `pm` is the package
/// manager (only uv follows workspaces); `runtime_files` the preset's
/// `files` parameter.
pub fn project(
    contents: &BTreeMap<String, String>,
    files: &[String],
    dir: &str,
    pm: &str,
    runtime_files: Option<&[String]>,
) -> Project {
    let dir = dir.trim_matches('/');
    let mut p = Project {
        root: dir.to_string(),
        ..Project::default()
    };
    if files.is_empty() {
        return p;
    }
    p.listed = true;
    let own = match parse(contents, &join(dir, "pyproject.toml")) {
        Ok(doc) => doc,
        Err(e) => {
            p.errors.push(e);
            return p;
        }
    };
    let workspace_root = if pm == "uv" {
        find_workspace(contents, dir)
    } else {
        None
    };
    match workspace_root {
        Some((root, root_doc)) => workspace(&mut p, contents, files, dir, &root, &root_doc),
        None => {
            if let Some(doc) = &own {
                describe(&mut p, doc, None);
                if pm == "pip" {
                    refuse_workspace_sources(&mut p, doc, dir);
                }
            }
            p.members = vec![String::new()];
            p.manifests = ["pyproject.toml", "uv.lock"]
                .iter()
                .filter(|f| pm == "uv" && files.contains(&join(dir, f)))
                .map(|f| f.to_string())
                .collect();
        }
    }
    p.runtime = Some(runtime(&mut p, files, dir, runtime_files));
    p
}

/// The uv workspace `dir` belongs to: the nearest folder at or above it
/// whose pyproject.toml has `[tool.uv.workspace]`.
fn find_workspace(
    contents: &BTreeMap<String, String>,
    dir: &str,
) -> Option<(String, Document<String>)> {
    let mut at = Some(dir.to_string());
    while let Some(folder) = at {
        if let Ok(Some(doc)) = parse(contents, &join(&folder, "pyproject.toml")) {
            if get(doc.as_item(), &["tool", "uv", "workspace"]).is_some() {
                return Some((folder, doc));
            }
        }
        at = if folder.is_empty() {
            None
        } else {
            Some(folder.rsplit_once('/').map_or("", |(up, _)| up).to_string())
        };
    }
    None
}

/// Resolves the workspace at `root` for the service in `dir`.
fn workspace(
    p: &mut Project,
    contents: &BTreeMap<String, String>,
    files: &[String],
    dir: &str,
    root: &str,
    root_doc: &Document<String>,
) {
    p.workspace = true;
    p.root = root.to_string();
    let member = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .trim_matches('/')
        .to_string();
    p.member = member.clone();
    let at = || {
        if root.is_empty() {
            "the build context's root".to_string()
        } else {
            root.to_string()
        }
    };
    // Every folder under the root with a pyproject.toml may be a member.
    let candidates: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let rel = if root.is_empty() {
                Some(f.as_str())
            } else {
                f.strip_prefix(root).and_then(|r| r.strip_prefix('/'))
            }?;
            rel.strip_suffix("/pyproject.toml")
                .map(str::to_string)
                .or_else(|| (rel == "pyproject.toml").then(String::new))
        })
        .collect();
    let ws = get(root_doc.as_item(), &["tool", "uv", "workspace"]);
    let globs = ws
        .map(|w| strings(get(w, &["members"])))
        .unwrap_or_default();
    let excludes = ws
        .map(|w| strings(get(w, &["exclude"])))
        .unwrap_or_default();
    for glob in &globs {
        if !candidates.iter().any(|c| !c.is_empty() && matches(glob, c)) {
            p.warnings.push(format!(
                "[tool.uv.workspace] members glob \"{glob}\" of {} matches no folder with a pyproject.toml: fix the glob or remove it",
                at()
            ));
        }
    }
    let mut members: BTreeMap<String, (String, Document<String>)> = BTreeMap::new();
    for c in &candidates {
        let is_member = c.is_empty()
            || (globs.iter().any(|g| matches(g, c)) && !excludes.iter().any(|g| matches(g, c)));
        if !is_member {
            continue;
        }
        if let Ok(Some(doc)) = parse(contents, &join(root, &join(c, "pyproject.toml"))) {
            if let Some(name) = get(doc.as_item(), &["project", "name"]).and_then(Item::as_str) {
                members.insert(normalize(name), (c.clone(), doc));
            }
        }
    }
    let listing = |skip: &str| {
        members
            .values()
            .map(|(f, _)| f.as_str())
            .filter(|f| !f.is_empty() && *f != skip)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((service_name, (_, service_doc))) = members.iter().find(|(_, (f, _))| *f == member)
    else {
        let fix = if member.is_empty() {
            format!(
                "the build context's pyproject.toml is the root of a uv workspace without a project of its own: set member to the service's folder ({})",
                listing("")
            )
        } else {
            format!(
                "\"{member}\" is not a member of the uv workspace at {}: add it to [tool.uv.workspace] members, or set member to one of {}",
                at(),
                listing("")
            )
        };
        p.errors.push(fix);
        return;
    };
    let service_doc = service_doc.clone();
    describe(p, &service_doc, Some(root_doc));
    // The members it needs: its workspace dependencies, transitively.
    let mut needed = vec![member.clone()];
    let mut queue = vec![service_name.clone()];
    let mut seen: BTreeSet<String> = BTreeSet::from([service_name.clone()]);
    while let Some(name) = queue.pop() {
        let Some((folder, doc)) = members.get(&name) else {
            continue;
        };
        for dep in workspace_dependencies(doc, Some(root_doc)) {
            if !seen.insert(dep.clone()) {
                continue;
            }
            match members.get(&dep) {
                Some((dep_folder, _)) => {
                    needed.push(dep_folder.clone());
                    queue.push(dep);
                }
                None => p.errors.push(format!(
                    "{} depends on {dep} from the workspace ([tool.uv.sources] {dep} = {{ workspace = true }}), but no member of the uv workspace at {} is named {dep}: add its folder to [tool.uv.workspace] members (members found: {})",
                    if folder.is_empty() { "the root project" } else { folder },
                    at(),
                    listing("")
                )),
            }
        }
    }
    needed[1..].sort();
    p.manifests = vec!["pyproject.toml".to_string()];
    if files.contains(&join(root, "uv.lock")) {
        p.manifests.push("uv.lock".to_string());
    }
    p.manifests.extend(
        needed
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| join(m, "pyproject.toml")),
    );
    p.members = needed;
}

/// Name, scripts, dependencies, groups and installability of a project.
fn describe(p: &mut Project, doc: &Document<String>, root: Option<&Document<String>>) {
    let item = doc.as_item();
    let project = get(item, &["project"]);
    p.name = project
        .and_then(|t| get(t, &["name"]))
        .and_then(Item::as_str)
        .map(str::to_string);
    p.scripts = project
        .and_then(|t| get(t, &["scripts"]))
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    let dynamic = project
        .map(|t| strings(get(t, &["dynamic"])))
        .unwrap_or_default();
    p.dependencies = match project {
        Some(t) if !dynamic.iter().any(|d| d == "dependencies") => {
            Some(shell_words(&strings(get(t, &["dependencies"]))))
        }
        _ => None,
    };
    let package = get(item, &["tool", "uv", "package"]).and_then(Item::as_bool);
    p.installable =
        project.is_some() && package.unwrap_or_else(|| get(item, &["build-system"]).is_some());
    let mut groups = BTreeMap::new();
    for d in [Some(doc), root].into_iter().flatten() {
        let Some(table) = get(d.as_item(), &["dependency-groups"]).and_then(Item::as_table_like)
        else {
            continue;
        };
        for (name, _) in table.iter() {
            if !groups.contains_key(name) {
                let mut seen = BTreeSet::new();
                let requirements = group(d.as_item(), name, &mut seen);
                groups.insert(name.to_string(), shell_words(&requirements));
            }
        }
    }
    p.groups = groups;
}

/// A PEP 735 group's requirements, its `{ include-group = "..." }` entries
/// replaced by theirs (a cycle stops at the second visit).
fn group(doc: &Item, name: &str, seen: &mut BTreeSet<String>) -> Vec<String> {
    if !seen.insert(name.to_string()) {
        return Vec::new();
    }
    let Some(entries) = get(doc, &["dependency-groups", name]).and_then(Item::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.iter() {
        match entry {
            Value::String(s) => out.push(s.value().to_string()),
            Value::InlineTable(t) => {
                if let Some(inner) = t.get("include-group").and_then(Value::as_str) {
                    out.extend(group(doc, inner, seen));
                }
            }
            _ => {}
        }
    }
    out
}

/// Names (normalized) of the dependencies a project takes from its uv
/// workspace: `[tool.uv.sources] x = { workspace = true }`, its own over
/// the root's.
fn workspace_dependencies(doc: &Document<String>, root: Option<&Document<String>>) -> Vec<String> {
    let item = doc.as_item();
    let from_workspace = |name: &str| {
        [Some(doc), root]
            .into_iter()
            .flatten()
            .find_map(|d| {
                let sources = get(d.as_item(), &["tool", "uv", "sources"])?.as_table_like()?;
                sources
                    .iter()
                    .find(|(k, _)| normalize(k) == name)
                    .map(|(_, v)| get(v, &["workspace"]).and_then(Item::as_bool) == Some(true))
            })
            .unwrap_or(false)
    };
    strings(get(item, &["project", "dependencies"]))
        .iter()
        .map(|r| requirement_name(r))
        .filter(|n| from_workspace(n))
        .collect()
}

/// pip cannot install what a project takes from a uv workspace.
fn refuse_workspace_sources(p: &mut Project, doc: &Document<String>, dir: &str) {
    for dep in workspace_dependencies(doc, None) {
        p.errors.push(format!(
            "{} takes {dep} from a uv workspace ([tool.uv.sources] {dep} = {{ workspace = true }}), which pip cannot install: set pm=\"uv\" (with the workspace's uv.lock)",
            join(dir, "pyproject.toml")
        ));
    }
}

/// The runtime's copies (see [`Project::runtime`]).
fn runtime(p: &mut Project, files: &[String], dir: &str, asked: Option<&[String]>) -> Vec<Copy> {
    let is_dir = |path: &str| {
        let prefix = format!("{path}/");
        files.iter().any(|f| f.starts_with(&prefix))
    };
    if let Some(asked) = asked {
        let mut out = Vec::new();
        for f in asked {
            let rel = f.trim_start_matches("./").trim_end_matches('/');
            let from = join(dir, rel);
            if is_dir(&from) {
                out.push(Copy {
                    from: format!("{from}/"),
                    to: format!("{rel}/"),
                });
            } else if files.contains(&from) {
                let to = rel
                    .rsplit_once('/')
                    .map_or(String::new(), |(up, _)| format!("{up}/"));
                out.push(Copy { from, to });
            } else {
                p.errors.push(format!(
                    "files names \"{f}\", which {} does not have: name a file or folder of the service's project",
                    if dir.is_empty() { "the build context".to_string() } else { format!("the service's folder {dir}") }
                ));
            }
        }
        return out;
    }
    if p.installable {
        return Vec::new();
    }
    let mut entries: BTreeSet<(String, bool)> = BTreeSet::new();
    for f in files {
        let rel = if dir.is_empty() {
            Some(f.as_str())
        } else {
            f.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
        };
        let Some(rel) = rel else { continue };
        match rel.split_once('/') {
            Some((top, _)) => entries.insert((top.to_string(), true)),
            None => entries.insert((rel.to_string(), false)),
        };
    }
    entries
        .into_iter()
        .filter(|(name, _)| runtime_entry(name))
        .map(|(name, folder)| {
            let from = join(dir, &name);
            if folder {
                Copy {
                    from: format!("{from}/"),
                    to: format!("{name}/"),
                }
            } else {
                Copy {
                    from,
                    to: String::new(),
                }
            }
        })
        .collect()
}

/// Whether a top-level entry of the service's folder goes into the
/// default runtime.
fn runtime_entry(name: &str) -> bool {
    !(name.starts_with('.')
        || NOT_RUNTIME.contains(&name)
        || name.starts_with("Dockerfile.")
        || name.ends_with(".dockerignore")
        || DEV_REQUIREMENTS.iter().any(|p| name.starts_with(p)))
}

/// The parsed pyproject.toml at `path`: none when the context has none; an
/// error naming the file when it does not parse.
fn parse(
    contents: &BTreeMap<String, String>,
    path: &str,
) -> Result<Option<Document<String>>, String> {
    match contents.get(path) {
        None => Ok(None),
        Some(text) => Document::parse(text.clone())
            .map(Some)
            .map_err(|e| format!("{path} is not valid TOML ({}): fix it", e.message())),
    }
}

/// The item at a path of keys through tables and inline tables.
fn get<'a>(item: &'a Item, path: &[&str]) -> Option<&'a Item> {
    path.iter()
        .try_fold(item, |at, key| at.as_table_like()?.get(key))
}

/// The strings of an array item (others skipped).
fn strings(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// PEP 508: the distribution name a requirement starts with, normalized.
fn requirement_name(requirement: &str) -> String {
    let name: String = requirement
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    normalize(&name)
}

/// PEP 503 normalization: lower case, runs of `-`, `_`, `.` made one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Each word single-quoted for /bin/sh, joined with spaces.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
