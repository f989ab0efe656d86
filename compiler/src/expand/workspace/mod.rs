//! Workspaces and monorepos: what one service of a repository needs, read
//! from its manifests (the project files the CLI gathered,
//! `Context::contents`) and the context's listing. Pure, one module per
//! language, each exposed to its preset as a template function (registered
//! in `expand::render_inner`).

pub mod go;
pub mod node;

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
