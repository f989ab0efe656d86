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

/// The build's ignore patterns, read as BuildKit reads a `.dockerignore`
/// (moby's patternmatcher): in order, the last matching pattern decides,
/// `!` takes a path back; a pattern matches a path or any folder above it;
/// `*` and `?` stay within a path segment, `**` spans segments.
pub struct Ignore {
    list: Vec<(bool, Vec<Token>)>,
    /// A pattern this reader does not follow (`[...]`, `\`): then no file is
    /// taken as ignored, so no change is missed.
    unknown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*`: any characters but `/`.
    Star,
    /// `?`: one character but `/`.
    One,
    /// `**` (eating a `/` after it) before more pattern: nothing, or
    /// anything ending in `/`.
    Deep,
    /// `**` at the end: anything.
    Rest,
}

impl Ignore {
    /// The patterns as written (`.dockerignore` lines, `context { ignore }`).
    pub fn new(raw: &[String]) -> Ignore {
        let mut unknown = false;
        let list = raw
            .iter()
            .map(|p| ignore_pattern(p))
            .filter(|p| !p.is_empty() && p != "." && p != "!" && p != "!.")
            .map(|p| {
                let (invert, body) = match p.strip_prefix('!') {
                    Some(rest) => (true, rest.to_string()),
                    None => (false, p),
                };
                if body.contains(['[', '\\']) {
                    unknown = true;
                }
                (invert, tokens(&body))
            })
            .collect();
        Ignore { list, unknown }
    }

    /// Whether the build does not send `file` (relative to the context).
    pub fn ignored(&self, file: &str) -> bool {
        if self.unknown {
            return false;
        }
        let chars: Vec<char> = file.chars().collect();
        // The path and each folder above it.
        let prefixes: Vec<usize> = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '/')
            .map(|(i, _)| i)
            .chain(std::iter::once(chars.len()))
            .collect();
        let mut ignored = false;
        for (invert, tokens) in &self.list {
            if *invert != ignored {
                continue;
            }
            if prefixes.iter().any(|&end| matches(tokens, &chars[..end])) {
                ignored = !invert;
            }
        }
        ignored
    }
}

fn tokens(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                out.push(if i >= chars.len() {
                    Token::Rest
                } else {
                    Token::Deep
                });
                continue;
            }
            '*' => out.push(Token::Star),
            '?' => out.push(Token::One),
            c => out.push(Token::Char(c)),
        }
        i += 1;
    }
    out
}

fn matches(tokens: &[Token], path: &[char]) -> bool {
    match tokens.split_first() {
        None => path.is_empty(),
        Some((Token::Rest, _)) => true,
        Some((Token::Char(c), rest)) => path.first() == Some(c) && matches(rest, &path[1..]),
        Some((Token::One, rest)) => {
            path.first().is_some_and(|c| *c != '/') && matches(rest, &path[1..])
        }
        Some((Token::Star, rest)) => {
            let run = path.iter().take_while(|c| **c != '/').count();
            (0..=run).any(|i| matches(rest, &path[i..]))
        }
        Some((Token::Deep, rest)) => {
            matches(rest, path)
                || path
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == '/')
                    .any(|(i, _)| matches(rest, &path[i + 1..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignored(patterns: &[&str], file: &str) -> bool {
        let raw: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        Ignore::new(&raw).ignored(file)
    }

    #[test]
    fn ignore_patterns_match_as_buildkit_matches_them() {
        // Anchored at the context's root: `*.log` is not `**/*.log`.
        assert!(ignored(&["*.log"], "debug.log"));
        assert!(!ignored(&["*.log"], "app/debug.log"));
        assert!(ignored(&["**/*.log"], "app/x/debug.log"));
        assert!(ignored(&["**/*.log"], "debug.log"));
        // A folder's pattern covers what is inside it.
        assert!(ignored(&["node_modules"], "node_modules/a/b.js"));
        assert!(ignored(&["target/"], "target/debug/x"));
        assert!(!ignored(&["node_modules"], "web/node_modules/a.js"));
        assert!(ignored(&["**/node_modules"], "web/node_modules/a.js"));
        // `*` and `?` stay within a segment.
        assert!(ignored(&["docs*"], "docs-x/y"));
        assert!(ignored(&["a?c"], "abc"));
        assert!(!ignored(&["a?c"], "a/c"));
        assert!(!ignored(&["a*c"], "a/c"));
        // `x/**` is what is inside x, not x itself.
        assert!(ignored(&["x/**"], "x/y"));
        assert!(!ignored(&["x/**"], "x"));
        assert!(ignored(&["a/**/b"], "a/b"));
        assert!(ignored(&["a/**/b"], "a/x/y/b"));
        // The last matching pattern wins; `!` takes a file back.
        assert!(!ignored(&["*.md", "!README.md"], "README.md"));
        assert!(ignored(&["*.md", "!README.md"], "CHANGES.md"));
        assert!(ignored(&["*.md", "!README.md", "README.md"], "README.md"));
        // Cleaned as BuildKit cleans them.
        assert!(ignored(&["/dist/"], "dist/app.js"));
        assert!(ignored(&["./tmp"], "tmp/x"));
        // A pattern this reader does not follow ignores nothing.
        assert!(!ignored(&["*.log", "[ab].txt"], "debug.log"));
    }

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
