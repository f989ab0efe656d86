//! Tests of `expand/workspace/go.rs`.

use super::*;

fn files(list: &[&str]) -> Vec<String> {
    list.iter().map(|f| f.to_string()).collect()
}

fn texts(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn mains(list: &[&str]) -> Vec<String> {
    files(list)
}

#[test]
fn directives_single_and_in_blocks() {
    let m = parse(
        "module example.com/app // the app\n\ngo 1.23\n\nrequire (\n\texample.com/lib v0.0.0\n\tgolang.org/x/text v0.3.0 // indirect\n)\nreplace example.com/lib => ../lib\nreplace (\n\tgolang.org/x/text v0.3.0 => golang.org/x/text v0.4.0\n)\n",
    );
    assert_eq!(m.module.as_deref(), Some("example.com/app"));
    assert_eq!(m.requires.len(), 2);
    assert_eq!(
        m.replaces,
        vec![
            ("example.com/lib".to_string(), "../lib".to_string()),
            (
                "golang.org/x/text".to_string(),
                "golang.org/x/text".to_string()
            )
        ]
    );
    let w = parse("go 1.23\n\nuse (\n\t./app\n\t\"./lib\"\n)\nuse ./tools\n");
    assert_eq!(w.uses, vec!["./app", "./lib", "./tools"]);
}

#[test]
fn paths_join_inside_the_context_only() {
    assert_eq!(join("app", "../lib").as_deref(), Some("lib"));
    assert_eq!(join("", "./lib").as_deref(), Some("lib"));
    assert_eq!(join("", "."), Some(String::new()));
    assert_eq!(join("app", "../../lib"), None);
    assert_eq!(relative("app", "lib"), "../lib");
    assert_eq!(relative("", "lib"), "./lib");
    let up = |d: &str| {
        super::super::ancestors(d)
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
    };
    assert_eq!(up("a/b"), vec!["a/b", "a", ""]);
    assert_eq!(up(""), vec![""]);
}

#[test]
fn one_module_with_a_local_replace() {
    let l = layout(
        "",
        &mains(&["./cmd/server"]),
        &files(&[
            "go.mod",
            "go.sum",
            "cmd/server/main.go",
            "greet/go.mod",
            "tools/go.mod",
        ]),
        &texts(&[(
            "go.mod",
            "module example.com/hello\nrequire example.com/greet v0.0.0\nreplace example.com/greet => ./greet\n",
        )]),
    );
    assert_eq!(l.problem, None);
    assert_eq!(l.root, "");
    assert!(!l.workspace);
    assert_eq!(
        l.manifests,
        vec![
            (String::new(), files(&["go.mod", "go.sum"])),
            ("greet".to_string(), files(&["greet/go.mod"])),
        ],
        "tools/go.mod is no replace target: not copied"
    );
    assert_eq!(l.packages, vec!["./..."]);
}

#[test]
fn a_workspace_copies_every_member_manifest_and_tests_each_member() {
    let listing = files(&[
        "go.work",
        "go.work.sum",
        "app/go.mod",
        "app/go.sum",
        "app/cmd/api/main.go",
        "app/cmd/worker/main.go",
        "lib/go.mod",
        "lib/lib.go",
        "vendored/go.mod",
    ]);
    let contents = texts(&[
        ("go.work", "go 1.23\nuse (\n  ./app\n  ./lib\n)\n"),
        (
            "app/go.mod",
            "module example.com/shop/app\nrequire example.com/shop/lib v0.0.0\nreplace example.com/shop/lib => ../lib\nreplace example.com/v => ../vendored\n",
        ),
        ("lib/go.mod", "module example.com/shop/lib\n"),
    ]);
    let l = layout(
        "app",
        &mains(&["./cmd/api", "./cmd/worker"]),
        &listing,
        &contents,
    );
    assert_eq!(l.problem, None);
    assert!(l.workspace);
    assert_eq!(l.root, "");
    assert_eq!(
        l.manifests,
        vec![
            (String::new(), files(&["go.work", "go.work.sum"])),
            ("app".to_string(), files(&["app/go.mod", "app/go.sum"])),
            ("lib".to_string(), files(&["lib/go.mod"])),
            ("vendored".to_string(), files(&["vendored/go.mod"])),
        ]
    );
    assert_eq!(l.packages, vec!["./app/...", "./lib/..."]);
}

#[test]
fn a_workspace_member_that_requires_another_without_replace_cannot_download() {
    let l = layout(
        "",
        &[],
        &files(&["go.work", "app/go.mod", "lib/go.mod"]),
        &texts(&[
            ("go.work", "use ./app\nuse ./lib\n"),
            (
                "app/go.mod",
                "module example.com/app\nrequire example.com/lib v0.0.0\n",
            ),
            ("lib/go.mod", "module example.com/lib\n"),
        ]),
    );
    let p = l.problem.expect("a problem");
    assert!(
        p.message
            .contains("add `replace example.com/lib => ../lib` to app/go.mod"),
        "{}",
        p.message
    );
}

#[test]
fn shapes_that_cannot_build_are_named_with_their_fix() {
    // A replace that leaves the context (the context is the module folder).
    let l = layout(
        "",
        &[],
        &files(&["go.mod", "main.go"]),
        &texts(&[("go.mod", "module x\nreplace example.com/lib => ../../lib\n")]),
    );
    let p = l.problem.expect("outside");
    assert!(
        p.message.contains("`../../lib`, outside the build context")
            && p.message
                .contains("set the build context to the repository root"),
        "{}",
        p.message
    );
    // A go.work member without go.mod.
    let l = layout(
        "",
        &[],
        &files(&["go.work", "app/go.mod"]),
        &texts(&[("go.work", "use ./app\nuse ./gone\n")]),
    );
    assert!(
        l.problem
            .expect("member")
            .message
            .contains("uses `./gone`, which has no go.mod"),
    );
    // A main package that is not there, blamed on its value.
    let l = layout(
        "",
        &mains(&["./cmd/api", "./cmd/wroker"]),
        &files(&["go.mod", "cmd/api/main.go", "cmd/worker/main.go"]),
        &BTreeMap::new(),
    );
    let p = l.problem.expect("main");
    assert_eq!(p.param.as_deref(), Some("main"));
    assert_eq!(p.value.as_deref(), Some("./cmd/wroker"));
    assert!(
        p.message.contains("(no folder cmd/wroker)"),
        "{}",
        p.message
    );
    // No module at all.
    let l = layout("apps/api", &[], &files(&["README.md"]), &BTreeMap::new());
    assert!(l.problem.expect("none").message.contains("in apps/api"));
}

#[test]
fn the_service_folder_finds_the_module_or_workspace_above_it() {
    let listing = files(&[
        "services/orders/go.mod",
        "services/orders/cmd/api/main.go",
        "services/orders/main.go",
    ]);
    let l = layout(
        "services/orders",
        &mains(&[".", "./cmd/api"]),
        &listing,
        &BTreeMap::new(),
    );
    assert_eq!(l.problem, None);
    assert_eq!(l.root, "services/orders");
    assert_eq!(
        l.manifests,
        vec![(
            "services/orders".to_string(),
            files(&["services/orders/go.mod"])
        )]
    );
    // The spec in a subfolder of the module: the module above it.
    let l = layout(
        "cmd/api",
        &mains(&["."]),
        &files(&["go.mod", "cmd/api/main.go"]),
        &BTreeMap::new(),
    );
    assert_eq!(l.root, "");
    assert_eq!(l.problem, None);
    // Nothing listed: the module is assumed where the spec is.
    let l = layout("apps/api", &mains(&["."]), &[], &BTreeMap::new());
    assert_eq!(l.root, "apps/api");
    assert_eq!(l.problem, None);
}
