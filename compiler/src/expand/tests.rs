//! Tests of `expand/mod.rs`.

use super::{basename, kdl_quote};
use minijinja::Value;

#[test]
fn quoting_cannot_break_out_of_a_kdl_string() {
    let q = kdl_quote(Value::from("a\" } image evil from=\"x\\")).expect("a string");
    let doc: kdl::KdlDocument = format!("n {q}").parse().expect("valid KDL");
    assert_eq!(
        doc.nodes()[0].entries()[0].value().as_string(),
        Some("a\" } image evil from=\"x\\")
    );
    assert_eq!(doc.nodes().len(), 1);
    assert!(kdl_quote(Value::UNDEFINED).is_err());
}

#[test]
fn templates_read_project_files_and_know_the_service_folder() {
    use super::{Catalog, Context, TemplateFiles, expand};
    use crate::diag::Diagnostics;
    let mut catalog = Catalog::stdlib();
    catalog.add(TemplateFiles {
        name: "probe".into(),
        origin: "test".into(),
        manifest: "summary \"reads files\"\nexample \"msbc 1\"\n".into(),
        template: concat!(
            "{% set m = read(service_dir ~ \"/package.json\") %}",
            "image {{ (\"has\" if m else \"none\") | q }} from=\"debian:12\" {\n",
            "    label \"dir\" {{ service_dir | q }}\n",
            "    label \"missing\" {{ (read(\"nope/package.json\") is none) | string | q }}\n",
            "}\n"
        )
        .into(),
    });
    let contents =
        std::collections::BTreeMap::from([("apps/api/package.json".to_string(), "{}".to_string())]);
    let src = "msbc 1\nuse probe\n";
    let mut diags = Diagnostics::default();
    let doc = crate::syntax::parse(src, &mut diags).expect("parses");
    let (doc, _) = expand(
        doc,
        src.len(),
        Context {
            catalog: &catalog,
            files: &["apps/api/package.json".to_string()],
            contents: &contents,
            service_dir: "apps/api",
        },
        &mut diags,
    );
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let image = &doc.stages[0];
    assert_eq!(image.name.name, "has");
    let text = format!("{image:?}");
    assert!(text.contains("apps/api"), "{text}");
    assert!(text.contains("\"True\""), "{text}");
}

#[test]
fn basenames_are_stage_names() {
    assert_eq!(basename("./cmd/server".into()), "server");
    assert_eq!(basename(".".into()), "app");
    assert_eq!(basename("./cmd/Order_API/".into()), "order_api");
    assert_eq!(basename("./2fa".into()), "fa");
}
