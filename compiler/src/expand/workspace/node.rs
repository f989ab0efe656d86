//! npm, pnpm and Yarn workspaces: the members of the repository (the root
//! `package.json`'s `workspaces`, or `pnpm-workspace.yaml`'s `packages`),
//! which of them one service depends on (transitively, through
//! `dependencies`, `devDependencies` and `optionalDependencies` that name a
//! member, by `workspace:` protocol, `file:` path or plain version), in the
//! order they build, and the lifecycle scripts that need the sources.
//!
//! Templates call `node_project(service, pm)` (see [`resolve`]): a shape the
//! preset cannot build is an `error` the template refuses with `fail()`.

use super::{glob_matches, normalize};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// The install lifecycle scripts of a package, in the order npm runs them:
/// they run on `npm ci` (and pnpm's and Yarn's installs) and may need the
/// sources, which the manifests-first install does not have.
pub const LIFECYCLE: &[&str] = &["preinstall", "install", "postinstall", "prepare"];

/// The dependency fields whose members must be there to build and run.
const DEPENDENCY_FIELDS: &[&str] = &["dependencies", "devDependencies", "optionalDependencies"];

/// One package of the repository: the root or a workspace member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Its folder relative to the context ("" for the root).
    pub path: String,
    /// Its manifest (`package.json` or `apps/api/package.json`).
    pub manifest: String,
    /// `name` in its package.json ("" when it has none).
    pub name: String,
    /// Whether it has a `build` script.
    pub build: bool,
    /// Whether it has a `test` script.
    pub test: bool,
    /// Its package.json's `files` (what it publishes), if it says.
    pub files: Option<Vec<String>>,
    /// Its install lifecycle scripts ([`LIFECYCLE`] order).
    pub lifecycle: Vec<String>,
}

/// What a service of the repository needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// Whether the root declares workspaces.
    pub workspaces: bool,
    pub root: Package,
    /// The package this spec builds (the root when the service is "").
    pub service: Package,
    /// The workspace members the service depends on, transitively, each
    /// after the members it depends on (the order they build in); neither
    /// the service nor the root.
    pub needed: Vec<Package>,
    /// Every member, by path.
    pub members: Vec<Package>,
    /// The root's `packageManager` (corepack's pin), split: `pnpm@9.15.9+sha512...`
    /// is {name: "pnpm", version: "9.15.9"}.
    pub package_manager: Option<PackageManager>,
}

/// A `packageManager` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageManager {
    pub name: String,
    pub version: String,
}

/// `pnpm@9.15.9+sha512.abc` → pnpm, 9.15.9.
fn package_manager(field: &str) -> Option<PackageManager> {
    let (name, rest) = field.trim().split_once('@')?;
    let version = rest.split('+').next().unwrap_or(rest);
    (!name.is_empty() && !version.is_empty()).then(|| PackageManager {
        name: name.to_string(),
        version: version.to_string(),
    })
}

/// The project of `service` (a member's folder, "" for the root) for the
/// package manager `pm`; `Ok(None)` when the root `package.json` was not
/// read (a spec checked without its context). `Err` says what cannot be
/// built and how to fix it.
pub fn resolve(
    pm: &str,
    service: &str,
    files: &[String],
    contents: &BTreeMap<String, String>,
) -> Result<Option<Project>, String> {
    let service = normalize(service).ok_or_else(|| {
        format!("workspace=\"{service}\" climbs out of the build context: name a folder inside it")
    })?;
    let Some(root_text) = contents.get("package.json") else {
        return Ok(None);
    };
    let root_json = parse("package.json", root_text)?;
    let root = package("", "package.json", &root_json);
    let patterns = patterns(pm, &root_json, contents)?;
    let workspaces = !patterns.is_empty();

    let mut members = Vec::new();
    let mut manifests = BTreeMap::new();
    if workspaces {
        for file in files {
            let Some(dir) = file.strip_suffix("/package.json") else {
                continue;
            };
            if !is_member(&patterns, dir) {
                continue;
            }
            let text = contents.get(file).ok_or_else(|| {
                format!(
                    "{file} could not be read (too large?): msbc needs every workspace manifest"
                )
            })?;
            let json = parse(file, text)?;
            members.push(package(dir, file, &json));
            manifests.insert(dir.to_string(), json);
        }
    }
    members.sort_by(|a, b| a.path.cmp(&b.path));
    let source = if pm == "pnpm" {
        "pnpm-workspace.yaml's `packages`"
    } else {
        "package.json's `workspaces`"
    };
    let listed = || {
        members
            .iter()
            .map(|m| m.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };

    let service_pkg = if service.is_empty() {
        root.clone()
    } else if !workspaces {
        return Err(format!(
            "workspace=\"{service}\" names a workspace member, but {} declares none: add `\"workspaces\": [\"{service}\"]` to package.json{}, or leave workspace unset",
            if pm == "pnpm" {
                "pnpm-workspace.yaml"
            } else {
                "package.json"
            },
            if pm == "pnpm" {
                " (for pnpm: `packages:` in pnpm-workspace.yaml)"
            } else {
                ""
            }
        ));
    } else if let Some(m) = members.iter().find(|m| m.path == service) {
        m.clone()
    } else {
        let hint = if files
            .iter()
            .any(|f| *f == format!("{service}/package.json"))
        {
            format!(
                "{service}/package.json exists but {source} does not include it: add \"{service}\" (or a pattern that matches it) there"
            )
        } else {
            let near = members
                .iter()
                .min_by_key(|m| strsim::levenshtein(&m.path, &service))
                .filter(|m| strsim::levenshtein(&m.path, &service) <= 3);
            match near {
                Some(m) => format!("did you mean workspace=\"{}\"?", m.path),
                None => format!("members: {}", listed()),
            }
        };
        return Err(format!(
            "`{service}` is not a member of the workspace ({source}): {hint}"
        ));
    };

    // Members by name, and what each package depends on among them.
    let by_name: BTreeMap<&str, &Package> = members
        .iter()
        .filter(|m| !m.name.is_empty())
        .map(|m| (m.name.as_str(), m))
        .collect();
    let by_path: BTreeMap<&str, &Package> = members.iter().map(|m| (m.path.as_str(), m)).collect();
    let mut order: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<(String, bool)> = vec![(service_pkg.path.clone(), false)];
    while let Some((path, done)) = stack.pop() {
        if done {
            order.push(path);
            continue;
        }
        if !seen.insert(path.clone()) {
            continue;
        }
        stack.push((path.clone(), true));
        let json = if path == service_pkg.path && service_pkg.path.is_empty() {
            &root_json
        } else {
            match manifests.get(&path) {
                Some(j) => j,
                None => continue,
            }
        };
        let mut deps = member_dependencies(pm, &path, json, &by_name, &by_path, source, &listed())?;
        deps.sort();
        deps.dedup();
        // Reversed: the stack pops them in name order.
        for dep in deps.into_iter().rev() {
            if !seen.contains(&dep) {
                stack.push((dep, false));
            }
        }
    }
    let needed = order
        .iter()
        .filter(|p| **p != service_pkg.path && !p.is_empty())
        .filter_map(|p| by_path.get(p.as_str()).map(|m| (*m).clone()))
        .collect();
    Ok(Some(Project {
        workspaces,
        root,
        service: service_pkg,
        needed,
        members,
        package_manager: root_json
            .get("packageManager")
            .and_then(Json::as_str)
            .and_then(package_manager),
    }))
}

/// The folders of the members `json` (the package at `path`) depends on.
fn member_dependencies(
    pm: &str,
    path: &str,
    json: &Json,
    by_name: &BTreeMap<&str, &Package>,
    by_path: &BTreeMap<&str, &Package>,
    source: &str,
    listed: &str,
) -> Result<Vec<String>, String> {
    let manifest = if path.is_empty() {
        "package.json".to_string()
    } else {
        format!("{path}/package.json")
    };
    let mut out = Vec::new();
    for field in DEPENDENCY_FIELDS {
        let Some(deps) = json.get(field).and_then(Json::as_object) else {
            continue;
        };
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or("").trim();
            let at = format!("{manifest}: {field} \"{name}\": \"{spec}\"");
            if let Some(rest) = spec.strip_prefix("workspace:") {
                if pm == "npm" {
                    return Err(format!(
                        "{at}: npm does not know the `workspace:` protocol (pnpm and Yarn do): write \"*\" (or the member's version) for npm, or set pm=\"pnpm\""
                    ));
                }
                // `workspace:../path` names the member by folder.
                let by_folder = (rest.starts_with("./") || rest.starts_with("../"))
                    .then(|| normalize(&format!("{path}/{rest}")))
                    .flatten()
                    .and_then(|p| by_path.get(p.as_str()).copied());
                match by_folder.or_else(|| by_name.get(name.as_str()).copied()) {
                    Some(m) => out.push(m.path.clone()),
                    None => {
                        return Err(format!(
                            "{at}: no workspace member is named `{name}` ({source} has: {listed}): add the folder of `{name}` to {source}, or fix the name"
                        ));
                    }
                }
            } else if let Some(rest) = spec
                .strip_prefix("link:")
                .or_else(|| spec.strip_prefix("portal:"))
            {
                let protocol = spec.split(':').next().unwrap_or("");
                let member = normalize(&format!("{path}/{rest}"))
                    .and_then(|p| by_path.get(p.as_str()).copied());
                let protocol_fix = if pm == "npm" {
                    "\"*\""
                } else {
                    "\"workspace:*\""
                };
                return Err(match member {
                    Some(m) => format!(
                        "{at}: msbc builds workspace members through the `workspace:` protocol, not `{protocol}:`: write {protocol_fix} instead (it is the member {})",
                        m.path
                    ),
                    None => format!(
                        "{at}: the `{protocol}:` protocol links a folder that is not a workspace member, which a manifests-first install cannot see: make `{rest}` a member ({source}) and depend on it with {protocol_fix}"
                    ),
                });
            } else if let Some(rest) = spec.strip_prefix("file:") {
                match normalize(&format!("{path}/{rest}")) {
                    None => {
                        return Err(format!(
                            "{at}: `{rest}` is outside the build context: make it a workspace member inside the repository, or publish it to a registry"
                        ));
                    }
                    Some(p) => match by_path.get(p.as_str()) {
                        Some(m) => out.push(m.path.clone()),
                        None => {
                            return Err(format!(
                                "{at}: `{p}` is not a workspace member, which a manifests-first install cannot see: add it to {source}"
                            ));
                        }
                    },
                }
            } else if let Some(m) = by_name.get(name.as_str()) {
                // npm and Yarn link a member named by a plain version or range.
                out.push(m.path.clone());
            }
        }
    }
    Ok(out)
}

/// The workspace patterns: `workspaces` (an array, or `{packages: [...]}`)
/// of the root package.json for npm and Yarn, `packages` of
/// pnpm-workspace.yaml for pnpm.
fn patterns(
    pm: &str,
    root: &Json,
    contents: &BTreeMap<String, String>,
) -> Result<Vec<String>, String> {
    if pm == "pnpm" {
        return Ok(contents
            .get("pnpm-workspace.yaml")
            .map(|t| pnpm_packages(t))
            .unwrap_or_default());
    }
    let list = match root.get("workspaces") {
        None => return Ok(Vec::new()),
        Some(Json::Array(a)) => a,
        Some(Json::Object(o)) => match o.get("packages") {
            Some(Json::Array(a)) => a,
            _ => {
                return Err(
                    "package.json: `workspaces` is an object without a `packages` array: write `\"workspaces\": [\"apps/*\", \"packages/*\"]`".to_string(),
                );
            }
        },
        Some(_) => {
            return Err(
                "package.json: `workspaces` must be an array of folder patterns, e.g. `\"workspaces\": [\"apps/*\", \"packages/*\"]`".to_string(),
            );
        }
    };
    Ok(list
        .iter()
        .filter_map(Json::as_str)
        .map(str::to_string)
        .collect())
}

/// `packages:` of pnpm-workspace.yaml: a block list (`- "apps/*"`) or a
/// flow list (`["apps/*", "packages/*"]`) of quoted or plain patterns.
pub fn pnpm_packages(text: &str) -> Vec<String> {
    let unquote = |s: &str| {
        let s = s.split(" #").next().unwrap_or(s).trim();
        s.trim_matches(|c| c == '"' || c == '\'').to_string()
    };
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let top = !line.starts_with(' ') && !line.starts_with('\t') && !trimmed.starts_with('-');
        if top {
            inside = false;
            if let Some(rest) = trimmed.strip_prefix("packages:") {
                let rest = rest.trim();
                if let Some(flow) = rest.strip_prefix('[') {
                    let flow = flow.split(']').next().unwrap_or("");
                    out.extend(flow.split(',').map(unquote).filter(|s| !s.is_empty()));
                } else {
                    inside = true;
                }
            }
            continue;
        }
        if inside && let Some(item) = trimmed.strip_prefix('-') {
            let item = unquote(item);
            if !item.is_empty() {
                out.push(item);
            }
        }
    }
    out
}

/// Whether `dir` is a member: some pattern includes it and no `!pattern`
/// excludes it.
fn is_member(patterns: &[String], dir: &str) -> bool {
    let included = patterns
        .iter()
        .filter(|p| !p.starts_with('!'))
        .any(|p| glob_matches(p, dir));
    let excluded = patterns
        .iter()
        .filter_map(|p| p.strip_prefix('!'))
        .any(|p| glob_matches(p, dir));
    included && !excluded
}

fn parse(file: &str, text: &str) -> Result<Json, String> {
    serde_json::from_str(text).map_err(|e| {
        format!("{file} is not valid JSON ({e}): fix it (`npm pkg get` shows what npm reads)")
    })
}

fn package(path: &str, manifest: &str, json: &Json) -> Package {
    let scripts = json.get("scripts").and_then(Json::as_object);
    let has = |s: &str| scripts.is_some_and(|m| m.get(s).and_then(Json::as_str).is_some());
    Package {
        path: path.to_string(),
        manifest: manifest.to_string(),
        name: json
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
        build: has("build"),
        test: has("test"),
        files: json.get("files").and_then(Json::as_array).map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(|f| f.trim_start_matches("./").trim_end_matches('/').to_string())
                .filter(|f| !f.is_empty())
                .collect()
        }),
        lifecycle: LIFECYCLE
            .iter()
            .filter(|s| has(s))
            .map(|s| s.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests;
