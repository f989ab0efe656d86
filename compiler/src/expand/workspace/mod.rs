//! Workspaces and monorepos: what one service of a repository needs, read
//! from its manifests. Pure (the contents and the listing the CLI
//! gathered), one module per language, each exposed to its preset as a
//! template function (registered in `expand::render_inner`).

pub mod dotnet;
pub mod go;
pub mod gradle;
pub mod maven;
pub mod node;
pub mod python;
use minijinja::{Environment, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A serializable answer as a template value (through JSON: minijinja is
/// built without its serde feature).
pub(crate) fn to_value<T: serde::Serialize>(answer: &T) -> Value {
    fn convert(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::from(()),
            serde_json::Value::Bool(b) => Value::from(b),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Value::from)
                .or_else(|| n.as_f64().map(Value::from))
                .unwrap_or_default(),
            serde_json::Value::String(s) => Value::from(s),
            serde_json::Value::Array(items) => {
                Value::from(items.into_iter().map(convert).collect::<Vec<_>>())
            }
            serde_json::Value::Object(map) => Value::from_object(
                map.into_iter()
                    .map(|(k, v)| (k, convert(v)))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            ),
        }
    }
    serde_json::to_value(answer).map_or_else(|_| Value::from(()), convert)
}

/// The template functions of the JVM and .NET presets, over the context's
/// file list and project files: `maven_reactor(module)`,
/// `gradle_build(folder)` and `dotnet_closure(project)`. Each gives none
/// (nothing to select: a single project, or texts not read), the
/// workspace (see [`maven::Reactor`], [`gradle::Build`],
/// [`dotnet::Closure`]), or `{error}`: a shape the build tool cannot build,
/// with its fix, for the template's `fail`.
pub fn register_jvm_dotnet(
    env: &mut Environment<'_>,
    files: &[String],
    contents: &BTreeMap<String, String>,
) {
    let state = Arc::new((files.to_vec(), contents.clone()));
    let s = Arc::clone(&state);
    env.add_function("maven_reactor", move |module: String| {
        answer(maven::reactor(&s.0, &s.1, &module))
    });
    let s = Arc::clone(&state);
    env.add_function("gradle_build", move |dir: String| {
        answer(gradle::build(&s.0, &s.1, &dir))
    });
    let s = state;
    env.add_function("dotnet_closure", move |project: String| {
        answer(dotnet::closure(&s.0, &s.1, &project))
    });
}

fn answer<T: Serialize>(found: Result<Option<T>, String>) -> Value {
    match found {
        // `error` is always there (none here): templates are strict about
        // undefined attributes.
        Ok(Some(w)) => serde_json::to_value(&w).map_or(Value::from(()), |mut j| {
            if let Some(map) = j.as_object_mut() {
                map.insert("error".to_string(), serde_json::Value::Null);
            }
            to_value(&j)
        }),
        Ok(None) => Value::from(()),
        Err(error) => {
            Value::from_object(BTreeMap::from([("error".to_string(), Value::from(error))]))
        }
    }
}

/// The folder of `path` (`libs/common/pom.xml` → `libs/common`; a file at
/// the root → "").
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `rel` (a `/`- or `\`-separated relative path) seen from the folder
/// `dir`, normalized (`.` and `..` folded); `None` when it climbs out of
/// the build context or is absolute.
pub fn join(dir: &str, rel: &str) -> Option<String> {
    let rel = rel.trim().replace('\\', "/");
    if rel.starts_with('/') || rel.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// `path` as a folder of the build context: no `./`, no trailing `/`
/// ("" for the root).
pub fn clean_dir(path: &str) -> String {
    join("", path).unwrap_or_else(|| path.trim_matches('/').to_string())
}

/// `name` in the folder `dir` of the build context (`dir/name`, or
/// `name` at the root).
pub fn in_dir(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{name}"),
    }
}

/// A folder as a copy destination below the workdir: `./` or `./a/b/`.
pub fn to_dir(dir: &str) -> String {
    if dir.is_empty() {
        "./".to_string()
    } else {
        format!("./{dir}/")
    }
}

/// `path` relative to the folder `root` (which contains it).
pub fn below<'a>(root: &str, path: &'a str) -> &'a str {
    if root.is_empty() {
        return path;
    }
    path.strip_prefix(root)
        .and_then(|p| p.strip_prefix('/').or(p.is_empty().then_some("")))
        .unwrap_or(path)
}

/// The folders from the build context's root down to `dir`, root first
/// (`a/b` → "", "a", "a/b").
pub fn ancestors(dir: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut at = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        if !at.is_empty() {
            at.push('/');
        }
        at.push_str(part);
        out.push(at.clone());
    }
    out
}

/// Whether `path` (a `/`-separated folder, no trailing slash) matches the
/// workspace glob `pattern`: `*` is any run of characters within one
/// folder name, `**` any number of folders, `?` one character.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let pats: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments_match(&pats, &parts)
}

fn segments_match(pats: &[&str], parts: &[&str]) -> bool {
    match pats.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|i| segments_match(rest, &parts[i..])),
        Some((p, rest)) => parts
            .split_first()
            .is_some_and(|(first, tail)| name_matches(p, first) && segments_match(rest, tail)),
    }
}

fn name_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    chars_match(&p, &n)
}

fn chars_match(p: &[char], n: &[char]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some(('*', rest)) => (0..=n.len()).any(|i| chars_match(rest, &n[i..])),
        Some(('?', rest)) => !n.is_empty() && chars_match(rest, &n[1..]),
        Some((c, rest)) => n.first() == Some(c) && chars_match(rest, &n[1..]),
    }
}

/// `a/b/../c` → `a/c`; `None` when it climbs above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_fold() {
        assert_eq!(
            join("src/Api", "..\\Lib\\Lib.csproj").as_deref(),
            Some("src/Lib/Lib.csproj")
        );
        assert_eq!(
            join("", "./services/orders").as_deref(),
            Some("services/orders")
        );
        assert_eq!(join("a", "../../x"), None);
        assert_eq!(join("a", "/etc/passwd"), None);
        assert_eq!(join("a", "C:\\x"), None);
        assert_eq!(parent("libs/common/pom.xml"), "libs/common");
        assert_eq!(parent("pom.xml"), "");
        assert_eq!(clean_dir("./services/orders/"), "services/orders");
        assert_eq!(to_dir(""), "./");
        assert_eq!(to_dir("libs/common"), "./libs/common/");
        assert_eq!(
            below("services", "services/orders/pom.xml"),
            "orders/pom.xml"
        );
        assert_eq!(below("services/orders", "services/orders"), "");
        assert_eq!(below("", "pom.xml"), "pom.xml");
        assert_eq!(ancestors("a/b"), ["", "a", "a/b"]);
        assert_eq!(ancestors(""), [""]);
    }

    #[test]
    fn globs_match_folders() {
        assert!(glob_matches("apps/*", "apps/api"));
        assert!(glob_matches("./apps/*/", "apps/api"));
        assert!(!glob_matches("apps/*", "apps/api/sub"));
        assert!(!glob_matches("apps/*", "packages/api"));
        assert!(glob_matches("packages/**", "packages/a/b"));
        assert!(glob_matches("**/svc-?", "x/y/svc-1"));
        assert!(glob_matches("tools/cli", "tools/cli"));
        assert!(glob_matches("lib-*", "lib-core"));
        assert!(!glob_matches("lib-*", "app-core"));
    }

    #[test]
    fn paths_normalize_within_the_root() {
        assert_eq!(
            normalize("apps/api/../../packages/x").as_deref(),
            Some("packages/x")
        );
        assert_eq!(normalize("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(normalize("apps/../.."), None);
    }
}
