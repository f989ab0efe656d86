//! Tests of `expand/workspace/node.rs`.

use super::*;

fn repo(files: &[(&str, &str)]) -> (Vec<String>, BTreeMap<String, String>) {
    (
        files.iter().map(|(p, _)| p.to_string()).collect(),
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
    )
}

const ROOT: &str = r#"{"name": "acme", "private": true, "workspaces": ["apps/*", "packages/*"],
        "scripts": {"postinstall": "node scripts/postinstall.js", "prepare": "husky"},
        "devDependencies": {"typescript": "5.6.3"}}"#;

fn npm_repo() -> (Vec<String>, BTreeMap<String, String>) {
    repo(&[
        ("package.json", ROOT),
        (
            "apps/api/package.json",
            r#"{"name": "@acme/api", "files": ["dist/"], "scripts": {"build": "tsc", "test": "node --test"},
                    "dependencies": {"@acme/shared": "*", "bcrypt": "6.0.0"}}"#,
        ),
        (
            "apps/web/package.json",
            r#"{"name": "@acme/web", "dependencies": {"@acme/shared": "*"}}"#,
        ),
        (
            "packages/shared/package.json",
            r#"{"name": "@acme/shared", "scripts": {"build": "tsc"},
                    "dependencies": {"@acme/util": "^1.0.0"}}"#,
        ),
        (
            "packages/util/package.json",
            r#"{"name": "@acme/util", "scripts": {"postinstall": "node gen.js"}}"#,
        ),
        ("scripts/package.json", r#"{"name": "not-a-member"}"#),
    ])
}

#[test]
fn npm_members_the_service_needs_in_build_order() {
    let (files, contents) = npm_repo();
    let p = resolve("npm", "apps/api", &files, &contents)
        .expect("resolves")
        .expect("read");
    assert!(p.workspaces);
    assert_eq!(p.service.name, "@acme/api");
    assert_eq!(p.service.files, Some(vec!["dist".to_string()]));
    assert!(p.service.build);
    assert!(p.service.test);
    assert!(!p.needed[0].test);
    let needed: Vec<&str> = p.needed.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(needed, ["packages/util", "packages/shared"]);
    assert_eq!(p.needed[0].lifecycle, ["postinstall"]);
    assert_eq!(p.root.lifecycle, ["postinstall", "prepare"]);
    let members: Vec<&str> = p.members.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        members,
        ["apps/api", "apps/web", "packages/shared", "packages/util"],
        "scripts/ is not in the workspaces"
    );
    // The other app needs the same members, not api.
    let web = resolve("npm", "apps/web", &files, &contents)
        .expect("resolves")
        .expect("read");
    let needed: Vec<&str> = web.needed.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(needed, ["packages/util", "packages/shared"]);
}

#[test]
fn the_root_is_the_service_when_none_is_named() {
    let (files, contents) = npm_repo();
    let p = resolve("npm", "", &files, &contents)
        .expect("resolves")
        .expect("read");
    assert_eq!(p.service.path, "");
    assert!(p.needed.is_empty());
    // No package.json read: nothing to say.
    assert_eq!(resolve("npm", "", &[], &BTreeMap::new()), Ok(None));
}

#[test]
fn workspaces_as_an_object_and_negated_patterns() {
    let (files, contents) = repo(&[
        (
            "package.json",
            r#"{"workspaces": {"packages": ["packages/*", "!packages/old"]}}"#,
        ),
        ("packages/a/package.json", r#"{"name": "a"}"#),
        ("packages/old/package.json", r#"{"name": "old"}"#),
    ]);
    let p = resolve("yarn", "packages/a", &files, &contents)
        .expect("resolves")
        .expect("read");
    let members: Vec<&str> = p.members.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(members, ["packages/a"]);
    let err = resolve("yarn", "packages/old", &files, &contents).expect_err("not a member");
    assert!(
        err.contains(
            "packages/old/package.json exists but package.json's `workspaces` does not include it"
        ),
        "{err}"
    );
}

#[test]
fn pnpm_reads_its_workspace_file_and_the_workspace_protocol() {
    let yaml = "# the monorepo\npackages:\n  - 'apps/*'\n  - \"packages/*\" # libraries\n  - '!**/test/**'\ncatalog:\n  react: ^18\n";
    assert_eq!(pnpm_packages(yaml), ["apps/*", "packages/*", "!**/test/**"]);
    assert_eq!(
        pnpm_packages("packages: [\"apps/*\", 'libs/*']\n"),
        ["apps/*", "libs/*"]
    );
    let (files, contents) = repo(&[
        ("package.json", r#"{"name": "root"}"#),
        ("pnpm-workspace.yaml", yaml),
        (
            "apps/api/package.json",
            r#"{"name": "api", "dependencies": {"lib": "workspace:^", "zod": "3.23.8"}}"#,
        ),
        ("packages/lib/package.json", r#"{"name": "lib"}"#),
    ]);
    let p = resolve("pnpm", "apps/api", &files, &contents)
        .expect("resolves")
        .expect("read");
    let needed: Vec<&str> = p.needed.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(needed, ["packages/lib"]);
    // npm ignores pnpm-workspace.yaml and does not know `workspace:`.
    let err = resolve("npm", "apps/api", &files, &contents).expect_err("no workspaces");
    assert!(err.contains("declares none"), "{err}");
}

#[test]
fn shapes_it_cannot_build_say_how_to_fix_them() {
    let with = |api: &str| {
        repo(&[
            (
                "package.json",
                r#"{"workspaces": ["apps/*", "packages/*"]}"#,
            ),
            ("apps/api/package.json", api),
            ("packages/lib/package.json", r#"{"name": "lib"}"#),
        ])
    };
    let cases = [
        (
            "npm",
            r#"{"dependencies": {"lib": "workspace:*"}}"#,
            "npm does not know the `workspace:` protocol",
        ),
        (
            "yarn",
            r#"{"dependencies": {"gone": "workspace:*"}}"#,
            "no workspace member is named `gone`",
        ),
        (
            "yarn",
            r#"{"dependencies": {"lib": "portal:../../packages/lib"}}"#,
            "not `portal:`: write \"workspace:*\" instead (it is the member packages/lib)",
        ),
        (
            "npm",
            r#"{"dependencies": {"x": "link:../../vendor/x"}}"#,
            "links a folder that is not a workspace member",
        ),
        (
            "npm",
            r#"{"dependencies": {"x": "file:../../../outside"}}"#,
            "`../../../outside` is outside the build context",
        ),
        (
            "npm",
            r#"{"dependencies": {"x": "file:../../vendor/x"}}"#,
            "`vendor/x` is not a workspace member",
        ),
    ];
    for (pm, api, want) in cases {
        let (files, contents) = with(api);
        let err = resolve(pm, "apps/api", &files, &contents).expect_err(want);
        assert!(err.contains(want), "{api}: {err}");
        assert!(
            err.starts_with("apps/api/package.json: dependencies"),
            "{err}"
        );
    }
    // `file:` to a member is that member.
    let (files, contents) = with(r#"{"dependencies": {"lib": "file:../../packages/lib"}}"#);
    let p = resolve("npm", "apps/api", &files, &contents)
        .expect("resolves")
        .expect("read");
    assert_eq!(p.needed[0].path, "packages/lib");
    // A misspelt service.
    let err = resolve("npm", "apps/apj", &files, &contents).expect_err("no such member");
    assert!(
        err.contains("did you mean workspace=\"apps/api\"?"),
        "{err}"
    );
    let err = resolve("npm", "../x", &files, &contents).expect_err("outside");
    assert!(err.contains("climbs out"), "{err}");
    let (files, contents) = repo(&[("package.json", "{not json")]);
    let err = resolve("npm", "", &files, &contents).expect_err("bad JSON");
    assert!(err.starts_with("package.json is not valid JSON"), "{err}");
}

#[test]
fn the_package_manager_field_is_split() {
    assert_eq!(
        package_manager(
            "pnpm@9.15.9+sha512.68046141893c66fad01c079231128e9afb89ef87e2691d69e4d40eee228988295fd4682181bae55b58418c3a253bde65a505ec7c5f9403ece5cc3cd37dcf2531"
        ),
        Some(PackageManager {
            name: "pnpm".into(),
            version: "9.15.9".into()
        })
    );
    assert_eq!(package_manager("yarn"), None);
    let (files, contents) = repo(&[("package.json", r#"{"packageManager": "yarn@4.5.0"}"#)]);
    let p = resolve("yarn", "", &files, &contents)
        .expect("resolves")
        .expect("read");
    assert_eq!(
        p.package_manager.map(|m| m.version).as_deref(),
        Some("4.5.0")
    );
}

#[test]
fn dependency_cycles_end() {
    let (files, contents) = repo(&[
        ("package.json", r#"{"workspaces": ["p/*"]}"#),
        (
            "p/a/package.json",
            r#"{"name": "a", "dependencies": {"b": "*"}}"#,
        ),
        (
            "p/b/package.json",
            r#"{"name": "b", "dependencies": {"a": "*"}}"#,
        ),
    ]);
    let p = resolve("npm", "p/a", &files, &contents)
        .expect("resolves")
        .expect("read");
    let needed: Vec<&str> = p.needed.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(needed, ["p/b"]);
}
