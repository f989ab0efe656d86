//! The layout of a Go project in a build context, for the `go` preset: the
//! module (or the `go.work` workspace) a service belongs to, the manifests
//! `go mod download` reads (every workspace member's and every local
//! `replace` target's `go.mod`/`go.sum`, `go.work`, `go.work.sum`), the
//! package patterns its tests run on, and the shapes that cannot build
//! (a `replace` that leaves the context, a member without `go.mod`, a main
//! package that is not there). Pure: it reads the listing and the texts the
//! caller gathered.

use super::super::project::{LISTING_MAX_DEPTH, LISTING_MAX_FILES, LISTING_SKIP};
use super::{in_dir as file, join};
use minijinja::Value;
use std::collections::BTreeMap;

/// What the preset builds from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// Where `go mod download` and the tests run, relative to the context
    /// ("" for its root): the `go.work` folder, else the module's.
    pub root: String,
    /// Whether a `go.work` joins several modules.
    pub workspace: bool,
    /// The manifests to copy before `go mod download`, by folder ("" for
    /// the context's root, first), each folder's files in order.
    pub manifests: Vec<(String, Vec<String>)>,
    /// What `go vet`/`go test` take, relative to `root`: `./...`, or one
    /// `./member/...` per workspace member.
    pub packages: Vec<String>,
    /// The first shape that cannot build, with its fix.
    pub problem: Option<Problem>,
}

/// A shape the preset cannot build, and the parameter (and value) it is
/// about, when a parameter is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub param: Option<String>,
    pub value: Option<String>,
}

fn problem(message: String) -> Problem {
    Problem {
        message,
        param: None,
        value: None,
    }
}

impl Layout {
    /// As the template sees it: `{root, workspace, manifests: [{dir, files}],
    /// packages, problem: {message, param, value} or none}`.
    pub fn to_value(&self) -> Value {
        let manifests: Vec<Value> = self
            .manifests
            .iter()
            .map(|(dir, files)| {
                Value::from_object(BTreeMap::from([
                    ("dir".to_string(), Value::from(dir.clone())),
                    ("files".to_string(), Value::from(files.clone())),
                ]))
            })
            .collect();
        let problem = self.problem.as_ref().map(|p| {
            Value::from_object(BTreeMap::from([
                ("message".to_string(), Value::from(p.message.clone())),
                ("param".to_string(), Value::from(p.param.clone())),
                ("value".to_string(), Value::from(p.value.clone())),
            ]))
        });
        Value::from_object(BTreeMap::from([
            ("root".to_string(), Value::from(self.root.clone())),
            ("workspace".to_string(), Value::from(self.workspace)),
            ("manifests".to_string(), Value::from(manifests)),
            ("packages".to_string(), Value::from(self.packages.clone())),
            ("problem".to_string(), Value::from(problem)),
        ]))
    }
}

/// A `go.mod` or `go.work`, as far as the preset needs it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Manifest {
    module: Option<String>,
    /// `use` paths (go.work).
    uses: Vec<String>,
    /// `require` lines: (module path, version).
    requires: Vec<(String, String)>,
    /// `replace` lines: (module path, the replacement: a path or a module).
    replaces: Vec<(String, String)>,
}

/// Reads the directives of a `go.mod` or `go.work`: single lines and
/// `( ... )` blocks, `//` comments, quoted or bare words.
fn parse(text: &str) -> Manifest {
    let mut m = Manifest::default();
    let mut block: Option<String> = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match &block {
            Some(verb) => (verb.as_str(), line),
            None => {
                let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(verb.to_string());
                    continue;
                }
                (verb, rest)
            }
        };
        let words: Vec<String> = rest
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '`').to_string())
            .collect();
        match (verb, words.as_slice()) {
            ("module", [path, ..]) => m.module = Some(path.clone()),
            ("use", [path, ..]) => m.uses.push(path.clone()),
            ("require", [path, version, ..]) => m.requires.push((path.clone(), version.clone())),
            ("replace", words) => {
                if let Some(at) = words.iter().position(|w| w == "=>")
                    && let (Some(old), Some(new)) = (words.first(), words.get(at + 1))
                {
                    m.replaces.push((old.clone(), new.clone()));
                }
            }
            _ => {}
        }
    }
    m
}

/// Whether a `replace` target is a folder (Go's rule: it starts with `./`,
/// `../` or `/`), not another module version.
fn is_local(target: &str) -> bool {
    target.starts_with("./") || target.starts_with("../") || target.starts_with('/')
}

/// The layout for the service in `service_dir` whose main packages are
/// `mains` (relative to `service_dir`), in a context of `files` whose
/// `go.mod`/`go.work` texts are in `contents`. Without a listing (a spec
/// checked on its own) it assumes a module at `service_dir` and finds no
/// problem.
pub fn layout(
    service_dir: &str,
    mains: &[String],
    files: &[String],
    contents: &BTreeMap<String, String>,
) -> Layout {
    let service_dir = service_dir.trim_matches('/');
    let listed = |path: &str| files.iter().any(|f| f == path);
    if files.is_empty() {
        return Layout {
            root: service_dir.to_string(),
            manifests: vec![(service_dir.to_string(), vec![file(service_dir, "go.mod")])],
            packages: vec!["./...".to_string()],
            ..Layout::default()
        };
    }
    let read = |path: &str| contents.get(path).map(|t| parse(t)).unwrap_or_default();
    // Nearest first, the root last.
    let folders: Vec<String> = super::ancestors(service_dir).into_iter().rev().collect();
    let work = folders.iter().find(|d| listed(&file(d, "go.work")));
    let module = folders.iter().find(|d| listed(&file(d, "go.mod")));
    let mut out = Layout::default();
    // The modules `go mod download` reads: the workspace's members (or the
    // service's module), then every local `replace` target, transitively.
    let mut members: Vec<String> = Vec::new();
    let mut replaces: Vec<(String, String)> = Vec::new();
    match (work, module) {
        (Some(root), _) => {
            out.root = root.clone();
            out.workspace = true;
            let w = read(&file(root, "go.work"));
            for u in &w.uses {
                match join(root, u) {
                    Some(m) if listed(&file(&m, "go.mod")) => members.push(m),
                    Some(m) => {
                        out.problem.get_or_insert(problem(format!(
                            "{} uses `{u}`, which has no go.mod in the build context ({}): add the module, or remove `{u}` from go.work",
                            file(root, "go.work"),
                            file(&m, "go.mod")
                        )));
                    }
                    None => {
                        out.problem
                            .get_or_insert(outside(&file(root, "go.work"), u, root));
                    }
                }
            }
            replaces.extend(w.replaces.iter().map(|r| (root.clone(), r.1.clone())));
        }
        (None, Some(root)) => {
            out.root = root.clone();
            members.push(root.clone());
        }
        (None, None) => {
            let fix = if service_dir.is_empty() {
                "run `go mod init MODULE` (then `go mod tidy`) in the build context".to_string()
            } else {
                format!(
                    "run `go mod init MODULE` (then `go mod tidy`) in {service_dir}, or set the build context to the folder that holds the module"
                )
            };
            out.problem = Some(problem(format!(
                "the build context has no go.mod, which `go mod download` reads: {fix}"
            )));
            return out;
        }
    }
    out.packages = members
        .iter()
        .map(|m| {
            let rel = m
                .strip_prefix(out.root.as_str())
                .unwrap_or(m)
                .trim_start_matches('/');
            if rel.is_empty() {
                "./...".to_string()
            } else {
                format!("./{rel}/...")
            }
        })
        .collect();
    if out.packages.is_empty() {
        out.packages.push("./...".to_string());
    }
    // Workspace modules' paths: a member that requires another at a version
    // no proxy can have (v0.0.0) needs a `replace`, or `go mod download`
    // asks the proxy for it.
    let paths: BTreeMap<String, String> = members
        .iter()
        .filter_map(|m| Some((read(&file(m, "go.mod")).module?, m.clone())))
        .collect();
    let mut modules: Vec<String> = Vec::new();
    let mut queue: Vec<String> = members.clone();
    let mut from_work = replaces.into_iter();
    loop {
        let next = match queue.first() {
            Some(_) => queue.remove(0),
            None => match from_work.next() {
                Some((dir, target)) => match local_target(&dir, &target, "go.work", &mut out) {
                    Some(m) => m,
                    None => continue,
                },
                None => break,
            },
        };
        if modules.contains(&next) {
            continue;
        }
        let gomod = file(&next, "go.mod");
        let m = read(&gomod);
        for (_, target) in &m.replaces {
            if let Some(dir) = local_target(&next, target, &gomod, &mut out) {
                queue.push(dir);
            }
        }
        if out.workspace {
            for (path, version) in &m.requires {
                let placeholder =
                    version == "v0.0.0" || version == "v0.0.0-00010101000000-000000000000";
                if let Some(dir) = paths.get(path)
                    && placeholder
                    && !m.replaces.iter().any(|(old, _)| old == path)
                {
                    let rel = relative(&next, dir);
                    out.problem.get_or_insert(problem(format!(
                        "{gomod} requires {path} {version}, a workspace module: `go mod download` (run before the sources are copied) asks the module proxy for that version, which does not exist; add `replace {path} => {rel}` to {gomod}"
                    )));
                }
            }
        }
        modules.push(next);
    }
    // Manifests by folder: the root's first, the others in path order.
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if out.workspace {
        for name in ["go.work", "go.work.sum"] {
            if listed(&file(&out.root, name)) {
                by_dir
                    .entry(out.root.clone())
                    .or_default()
                    .push(file(&out.root, name));
            }
        }
    }
    for m in &modules {
        let names = if m == &out.root || members.contains(m) {
            &["go.mod", "go.sum"][..]
        } else {
            // A `replace` target outside the workspace: go reads its go.mod.
            &["go.mod"][..]
        };
        for name in names {
            if listed(&file(m, name)) {
                by_dir.entry(m.clone()).or_default().push(file(m, name));
            }
        }
    }
    let root_files = by_dir.remove(&out.root);
    out.manifests = root_files
        .map(|f| (out.root.clone(), f))
        .into_iter()
        .chain(by_dir)
        .collect();
    if out.problem.is_none() {
        out.problem = missing_main(service_dir, mains, files);
    }
    out
}

/// The folder a local `replace` in `from` (a file in `dir`) points at, or a
/// problem when it leaves the context or holds no go.mod.
fn local_target(dir: &str, target: &str, from: &str, out: &mut Layout) -> Option<String> {
    if !is_local(target) {
        return None;
    }
    let Some(to) = join(dir, target).filter(|_| !target.starts_with('/')) else {
        out.problem.get_or_insert(outside(from, target, dir));
        return None;
    };
    Some(to)
}

fn outside(from: &str, target: &str, dir: &str) -> Problem {
    let depth = dir.split('/').filter(|p| !p.is_empty()).count();
    let ups = target
        .split('/')
        .take_while(|p| *p == ".." || *p == ".")
        .filter(|p| *p == "..")
        .count();
    let hint = if target.starts_with('/') {
        "make it a path relative to the module, inside the repository, and".to_string()
    } else {
        format!(
            "it is {} folder(s) above the build context:",
            ups.saturating_sub(depth).max(1)
        )
    };
    problem(format!(
        "{from} points at `{target}`, outside the build context, which the build cannot copy: {hint} set the build context to the repository root (the folder that holds both), with the spec where it is (`context \"..\"` in build.kdl, or `--context DIR`)"
    ))
}

/// `to` relative to `from` (both folders in the context), `./x` or `../x`.
fn relative(from: &str, to: &str) -> String {
    let a: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    let b: Vec<&str> = to.split('/').filter(|p| !p.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let ups = a.len() - common;
    let rest = b[common..].join("/");
    let mut out = if ups == 0 {
        ".".to_string()
    } else {
        vec![".."; ups].join("/")
    };
    if !rest.is_empty() {
        out = format!("{out}/{rest}");
    }
    out
}

/// A main package whose folder is not in the listing, where the listing
/// reaches (it stops 5 folders deep and skips `build`, `dist`...).
fn missing_main(service_dir: &str, mains: &[String], files: &[String]) -> Option<Problem> {
    if files.len() >= LISTING_MAX_FILES {
        return None;
    }
    for main in mains {
        let Some(dir) = join(service_dir, main) else {
            return Some(Problem {
                message: format!(
                    "main package `{main}` is outside the build context: set the build context to the repository root"
                ),
                param: Some("main".to_string()),
                value: Some(main.clone()),
            });
        };
        let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        if parts.len() >= LISTING_MAX_DEPTH || parts.iter().any(|p| LISTING_SKIP.contains(p)) {
            continue;
        }
        // Only a folder with nothing in it (a typo, a moved package): a
        // made-up or partial listing may lack the .go files themselves.
        if dir.is_empty() || files.iter().any(|f| f.starts_with(&format!("{dir}/"))) {
            continue;
        }
        return Some(Problem {
            message: format!(
                "main package `{main}` is not in the build context (no folder {dir}): main packages are folders relative to the service's folder, e.g. `./cmd/api`"
            ),
            param: Some("main".to_string()),
            value: Some(main.clone()),
        });
    }
    None
}

#[cfg(test)]
mod tests;
