//! Tests of `cli/fleet/affected.rs`.

use super::*;

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
