//! The import direction between the compiler's modules (ARCHITECTURE.md,
//! "Invariants"): every `crate::X` a module of `compiler/src` names must be
//! in its row of [`ALLOWED`]. Test code (a `#[cfg(test)] mod` file, or an
//! inline `#[cfg(test)] mod tests { ... }`, which this reads as the end of
//! the file) may use anything. A new top-level module needs a row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may import. Read upwards: a
/// module never imports one listed after it in the pipeline.
const ALLOWED: &[(&str, &[&str])] = &[
    ("diag", &[]),
    ("paths", &[]),
    ("kdl_write", &["diag"]),
    // Domain values (`ImageRef`, `Platform`), parsed once, used by every layer.
    ("domain", &["diag"]),
    // `ir` names `diag::Span` (the spans the checks point at) and domain values.
    ("ir", &["diag", "domain"]),
    ("syntax", &["diag", "domain", "kdl_write"]),
    (
        "expand",
        &["diag", "domain", "kdl_write", "paths", "syntax"],
    ),
    (
        "lower",
        &["diag", "domain", "expand", "ir", "paths", "syntax"],
    ),
    ("checks", &["diag", "domain", "ir", "lower", "syntax"]),
    ("backend", &["domain", "ir", "paths"]),
    (
        "lock",
        &[
            "backend",
            "diag",
            "domain",
            "ir",
            "kdl_write",
            "lower",
            "syntax",
        ],
    ),
    (
        "import",
        &["diag", "domain", "kdl_write", "lower", "paths", "syntax"],
    ),
    ("init", &["diag", "domain", "kdl_write"]),
    (
        "compile",
        &[
            "backend", "checks", "diag", "domain", "expand", "ir", "lock", "lower", "syntax",
        ],
    ),
    (
        "diff",
        &["backend", "diag", "domain", "import", "ir", "lock", "paths"],
    ),
    (
        "editor",
        &[
            "checks",
            "compile",
            "diag",
            "domain",
            "expand",
            "kdl_write",
            "lower",
            "syntax",
        ],
    ),
    (
        "frontend",
        &[
            "backend", "compile", "diag", "domain", "expand", "ir", "lock", "lower", "paths",
        ],
    ),
    (
        "cli",
        &[
            "backend",
            "checks",
            "compile",
            "diag",
            "diff",
            "domain",
            "editor",
            "expand",
            "frontend",
            "import",
            "init",
            "ir",
            "kdl_write",
            "lock",
            "lower",
            "paths",
            "syntax",
        ],
    ),
    ("main", &["cli"]),
    ("lib", &[]),
];

/// A source file: its path under `compiler/src` and its text.
struct File {
    path: String,
    text: String,
}

fn read_tree(dir: &Path, root: &Path, out: &mut Vec<File>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            // Code protox and tonic generate, committed.
            if path.file_name().is_some_and(|n| n == "generated") {
                continue;
            }
            read_tree(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push(File { path: rel, text });
        }
    }
}

/// The files (or folders, ending in `/`) of the modules declared
/// `#[cfg(test)] mod NAME;`.
fn test_modules(files: &[File]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in files {
        // Where a child module of this file lives.
        let dir = if file.path == "lib.rs" || file.path == "main.rs" {
            String::new()
        } else if let Some(dir) = file.path.strip_suffix("/mod.rs") {
            format!("{dir}/")
        } else {
            format!("{}/", file.path.trim_end_matches(".rs"))
        };
        let lines: Vec<&str> = file.text.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            if pair[0] != "#[cfg(test)]" {
                continue;
            }
            let decl = pair[1]
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(name) = decl.strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) {
                out.insert(format!("{dir}{name}.rs"));
                out.insert(format!("{dir}{name}/"));
            }
        }
    }
    out
}

/// The text of `text` before an inline `#[cfg(test)] mod`, without line
/// comments.
fn library_code(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod ") && next.ends_with('{') {
            break;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The top-level modules `code` names as `crate::X` or in a
/// `crate::{X, Y::...}` group.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        // `$crate::` in a macro, or a longer name ending in `crate`.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident(&group[i..]);
                        if !name.is_empty() && name != "self" {
                            out.insert(name);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Every import of a module not in its row of `allowed`, as
/// `path: module imports target`; and modules without a row.
fn violations(files: &[File], allowed: &[(&str, &[&str])]) -> Vec<String> {
    let table: BTreeMap<&str, &[&str]> = allowed.iter().copied().collect();
    let tests = test_modules(files);
    let mut out = Vec::new();
    for file in files {
        let is_test = tests.iter().any(|t| {
            if t.ends_with('/') {
                file.path.starts_with(t.as_str())
            } else {
                file.path == *t
            }
        });
        if is_test {
            continue;
        }
        let module = match file.path.split_once('/') {
            Some((top, _)) => top,
            None => file.path.trim_end_matches(".rs"),
        };
        let Some(may) = table.get(module) else {
            out.push(format!(
                "{}: module `{module}` has no row in tests/architecture.rs ALLOWED",
                file.path
            ));
            continue;
        };
        for target in imports(&library_code(&file.text)) {
            if target != module && !may.contains(&target.as_str()) {
                out.push(format!("{}: `{module}` imports `{target}`", file.path));
            }
        }
    }
    out
}

#[test]
fn modules_import_in_one_direction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    assert!(files.len() > 50, "read only {} files", files.len());
    let found = violations(&files, ALLOWED);
    assert!(
        found.is_empty(),
        "imports against the direction of ARCHITECTURE.md (fix the import, or the table if the architecture changed):\n{}",
        found.join("\n")
    );
}

/// The checker itself: an upward import is found, in a `use` group too;
/// comments and test modules are not read.
#[test]
fn an_upward_import_is_a_violation() {
    let file = |path: &str, text: &str| File {
        path: path.into(),
        text: text.into(),
    };
    let files = [
        file("ir/mod.rs", "use crate::diag::Span;\nmod word;\n"),
        file(
            "ir/word.rs",
            "// crate::cli is only named here\nuse crate::{\n    diag::{Span, Code},\n    backend::llb,\n};\n",
        ),
        file(
            "lower/mod.rs",
            "use crate::ir;\n#[cfg(test)]\nmod probe;\n#[cfg(test)]\nmod tests {\n    use crate::compile;\n}\n",
        ),
        file("lower/probe.rs", "use crate::cli;\n"),
        file("shiny.rs", "use crate::diag;\n"),
    ];
    let table: &[(&str, &[&str])] = &[("ir", &["diag"]), ("lower", &["ir"])];
    assert_eq!(
        violations(&files, table),
        [
            "ir/word.rs: `ir` imports `backend`",
            "shiny.rs: module `shiny` has no row in tests/architecture.rs ALLOWED",
        ]
    );
}

/// What reads or writes outside the process: files, the environment,
/// standard streams, other processes, the network.
const IO: &[&str] = &[
    "std::fs",
    "std::env",
    "env::var",
    "File::open",
    "std::io::stdin",
    "std::io::stdout",
    "std::io::stderr",
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "std::process",
    "std::net",
];

/// The modules that do I/O, and the one exception elsewhere.
const DOES_IO: &[&str] = &["cli", "frontend", "main"];
const IO_EXCEPTIONS: &[(&str, &str)] = &[
    // `MSBC_KDL_PARSER=crate` sends every text to the `kdl` crate's parser
    // (read once): a switch to compare the two readers.
    ("syntax/kdl_read/mod.rs", "std::env"),
    ("syntax/kdl_read/mod.rs", "env::var"),
];

/// Library code outside `DOES_IO` that names an I/O API.
fn io_outside(files: &[File]) -> Vec<String> {
    let tests = test_modules(files);
    let mut out = Vec::new();
    for file in files {
        let module = file.path.split(['/', '.']).next().unwrap_or_default();
        let is_test = tests.iter().any(|t| {
            if t.ends_with('/') {
                file.path.starts_with(t.as_str())
            } else {
                file.path == *t
            }
        });
        if is_test || DOES_IO.contains(&module) {
            continue;
        }
        let code = library_code(&file.text);
        for api in IO {
            let allowed = IO_EXCEPTIONS
                .iter()
                .any(|(path, a)| *path == file.path && a == api);
            let named = code.match_indices(api).any(|(at, _)| {
                // `print!` inside `eprint!`, `std::env` inside `core_std::env`.
                let before = code[..at].chars().next_back();
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if named && !allowed {
                out.push(format!("{}: `{module}` names `{api}`", file.path));
            }
        }
    }
    out
}

#[test]
fn only_cli_and_frontend_do_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    let found = io_outside(&files);
    assert!(
        found.is_empty(),
        "I/O outside cli and frontend (ARCHITECTURE.md, \"Invariants\"):\n{}",
        found.join("\n")
    );
    // The checker finds what it is for.
    let planted = [File {
        path: "lower/x.rs".into(),
        text: "fn f() { let _ = std::fs::read(\"x\"); }\n".into(),
    }];
    assert_eq!(
        io_outside(&planted),
        ["lower/x.rs: `lower` names `std::fs`"]
    );
}
