//! Workspaces and monorepos: what one service of a repository needs, read
//! from its manifests. Pure (the contents and the listing the CLI
//! gathered), one module per language, each exposed to its preset as a
//! template function (registered in `expand::render_inner`).

pub mod go;
pub mod node;
pub mod python;
use minijinja::Value;

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
