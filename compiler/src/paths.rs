//! POSIX path handling with the semantics of Go's `path` package and
//! BuildKit's path normalization, so COPY sources, destinations, WORKDIR
//! and mount targets end up where the Dockerfile frontend puts them. The
//! one path-cleaning module: `lower` (E0207, workdirs), the LLB backend
//! (and `import`) use it.

/// `p` as a cleaned absolute path: `/a/./b/../c/` → `/a/c`, `a` → `/a`,
/// `/..` → `/` (lexically, as BuildKit cleans a mount target).
pub fn rooted(p: &str) -> String {
    clean(&format!("/{p}"))
}

/// Go's `path.Clean`: the shortest equivalent path, lexically.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `path.Join`: the non-empty elements joined by `/`, cleaned.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

fn restore_slash(orig: &str, mut p: String) -> String {
    if orig.ends_with('/') && !p.ends_with('/') {
        p.push('/');
    } else if orig.ends_with("/.") {
        if p != "/" {
            p.push('/');
        }
        p.push('.');
    }
    p
}

/// BuildKit's `system.NormalizePath` (Linux): `new` relative to `parent`;
/// an absolute `new` is kept as written. With `keep_slash`, a trailing `/`
/// (or `/.`) survives, which makes a COPY destination a directory.
pub fn normalize(parent: &str, new: &str, keep_slash: bool) -> String {
    let parent = if parent.is_empty() {
        "/".to_string()
    } else if !parent.starts_with('/') {
        join("/", parent)
    } else {
        parent.to_string()
    };
    let mut p = if new.is_empty() {
        parent.clone()
    } else {
        new.to_string()
    };
    if !p.starts_with('/') {
        p = join(&parent, &p);
    }
    if keep_slash { restore_slash(new, p) } else { p }
}

/// Where a COPY writes: the frontend's normalization, then the LLB
/// client's (`path.Clean`, trailing slash kept).
pub fn copy_dest(dir: &str, dest: &str) -> String {
    // `.` is the working directory itself, as a directory: the frontend
    // reads it as `./`.
    let dest = if dest == "." || dest.is_empty() {
        "./"
    } else {
        dest
    };
    let p = normalize(dir, dest, true);
    let cleaned = clean(&p);
    let abs = if cleaned.starts_with('/') {
        cleaned
    } else {
        join("/", &join(dir, &cleaned))
    };
    restore_slash(&p, abs)
}

/// What a COPY reads: relative to the source's root, cleaned.
pub fn copy_src(src: &str) -> String {
    clean(&normalize("/", src, false))
}

/// A `.dockerignore` pattern as BuildKit's reader hands it on: trimmed, a
/// leading `!` kept, the path cleaned and relative to the context root
/// (`target/` → `target`, `/dist` → `dist`).
pub fn ignore_pattern(pattern: &str) -> String {
    let pattern = pattern.trim();
    let (invert, p) = match pattern.strip_prefix('!') {
        Some(rest) => ("!", rest.trim()),
        None => ("", pattern),
    };
    let cleaned = clean(p);
    let relative = match cleaned.strip_prefix('/') {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => cleaned,
    };
    format!("{invert}{relative}")
}

/// The patterns of a `.dockerignore` file's text, as Docker's reader takes
/// them: a UTF-8 byte order mark dropped, lines starting with `#` skipped
/// (before trimming), the rest trimmed, blank lines skipped. Each is kept as
/// written (trimmed); [`ignore_pattern`] cleans it where it is used.
pub fn ignore_file_patterns(text: &str) -> Vec<String> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_file_patterns_as_docker_reads_them() {
        let text = "\u{feff}# team patterns\n\nlocal-dump.sql\n  *.log  \r\n  # not a comment\n!keep.log\n";
        assert_eq!(
            ignore_file_patterns(text),
            ["local-dump.sql", "*.log", "# not a comment", "!keep.log"]
        );
    }

    #[test]
    fn ignore_patterns_as_buildkit_reads_them() {
        for (raw, want) in [
            ("target/", "target"),
            ("**/bin/", "**/bin"),
            ("/dist", "dist"),
            ("!keep/", "!keep"),
            ("! /x", "!x"),
            ("./a/../b", "b"),
            ("/", "/"),
        ] {
            assert_eq!(ignore_pattern(raw), want, "{raw}");
        }
    }

    #[test]
    fn clean_like_go() {
        for (a, b) in [
            ("", "."),
            ("/", "/"),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../a", "../a"),
            ("a//b/./", "a/b"),
            ("./", "."),
            ("/src/", "/src"),
        ] {
            assert_eq!(clean(a), b, "{a:?}");
        }
    }

    #[test]
    fn copy_paths() {
        assert_eq!(copy_dest("/src", "./"), "/src/");
        // pathRelativeToWorkingDir reads `.` as `./`.
        assert_eq!(copy_dest("/src", "."), "/src/");
        assert_eq!(copy_dest("/src", ""), "/src/");
        assert_eq!(copy_dest("/", "./node_modules/"), "/node_modules/");
        assert_eq!(
            copy_dest("/app", "/usr/local/bin/server"),
            "/usr/local/bin/server"
        );
        assert_eq!(copy_dest("/app", "/usr/local/bin/"), "/usr/local/bin/");
        assert_eq!(copy_dest("/app", "x/../y//"), "/app/y/");
        assert_eq!(copy_src("."), "/");
        assert_eq!(copy_src("go.mod"), "/go.mod");
        assert_eq!(copy_src("app/"), "/app");
        assert_eq!(copy_src("/opt/venv/"), "/opt/venv");
    }

    #[test]
    fn workdirs() {
        assert_eq!(clean(&normalize("/", "/src", false)), "/src");
        assert_eq!(clean(&normalize("/src", "app", false)), "/src/app");
        assert_eq!(clean(&normalize("/src", "..", false)), "/");
    }
}
