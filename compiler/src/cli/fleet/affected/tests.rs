//! Tests of `cli/fleet/affected.rs`.

use super::*;

fn ignored(patterns: &[&str], file: &str) -> bool {
    let raw: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
    Patterns::new(&raw).ignored(file)
}

#[test]
fn ignore_patterns_as_buildkit_reads_them() {
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
fn template_files_of_the_templates_used() {
    let used = vec!["acme/web".to_string(), "worker".to_string()];
    assert!(used_template("acme/web/template.kdl.j2", &used));
    assert!(used_template("worker/preset.kdl", &used));
    assert!(!used_template("acme/api/template.kdl.j2", &used));
    assert!(!used_template("README.md", &used));
    // A file of `acme/` itself is not `acme/web`'s.
    assert!(!used_template("acme/notes.md", &used));
}

#[test]
fn versions_compare_without_the_program_name() {
    assert_eq!(bare_version("msbc 0.1.0 (abc)\n"), "0.1.0 (abc)");
    assert_eq!(bare_version("0.1.0 (abc)"), "0.1.0 (abc)");
}
