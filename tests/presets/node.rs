//! The Node preset: package manager detection, static sites.

use super::*;

#[test]
fn node_detects_the_package_manager_from_the_lockfile() {
    for (lockfile, install, prod) in [
        (
            "package-lock.json",
            "npm ci --no-audit --no-fund",
            "npm ci --omit=dev",
        ),
        (
            "pnpm-lock.yaml",
            "pnpm install --frozen-lockfile",
            "pnpm install --frozen-lockfile --prod",
        ),
        (
            "yarn.lock",
            "yarn install --frozen-lockfile",
            "yarn install --frozen-lockfile --non-interactive --production",
        ),
    ] {
        let df = ok(
            "msbc 1\nuse node { main \"server.js\"; }",
            &["package.json", lockfile],
        );
        let deps = df.stage("deps").expect("deps");
        assert!(
            deps.instrs
                .iter()
                .any(|i| i.cmd == "COPY" && i.copy_sources() == ["package.json", lockfile]),
            "{}",
            df.text
        );
        assert!(
            deps.instrs
                .iter()
                .any(|i| i.cmd == "RUN" && i.script().starts_with(install)),
            "{lockfile}: {}",
            df.text
        );

        // Dev dependencies stay out: the image's node_modules come from a production install,
        // made on the target platform (native addons), not the builder's.
        let prod_deps = df.stage("prod-deps").expect("prod-deps");
        assert!(
            prod_deps.instrs.iter().any(|i| i.cmd == "RUN"
                && i.script()
                    .strip_prefix("npm pkg delete scripts.prepare && ")
                    .is_some_and(|rest| rest.starts_with(prod))),
            "{lockfile}: the root's `prepare` (husky) is dropped before the production install: {}",
            df.text
        );
        assert!(
            !df.text
                .contains("--platform=${BUILDPLATFORM} node:${NODE_VERSION}-bookworm AS prod-deps")
        );
        let last = df.last();
        assert!(
            last.instrs.iter().any(|i| i.cmd == "COPY"
                && i.copy_from() == Some("prod-deps")
                && i.rest.starts_with("/app/node_modules ")),
            "{}",
            df.text
        );
        assert!(
            !last.instrs.iter().any(|i| i.copy_from() == Some("deps")),
            "{}",
            df.text
        );
        assert!(
            last.instrs
                .iter()
                .any(|i| i.cmd == "USER" && i.rest == "1000"),
            "runs as `node`: {}",
            df.text
        );
        assert!(
            last.instrs
                .iter()
                .any(|i| i.cmd == "ENV" && i.rest.contains("NODE_ENV=production")),
            "{}",
            df.text
        );
        assert!(
            last.instrs
                .iter()
                .any(|i| i.rest == r#"["node", "server.js"]"#),
            "{}",
            df.text
        );
    }
    // pnpm and yarn are pinned versions, installed by npm.
    assert!(
        ok("msbc 1\nuse node", &["package.json", "pnpm-lock.yaml"])
            .text
            .contains("npm install --global pnpm@${PNPM_VERSION}")
    );
    assert!(
        ok("msbc 1\nuse node", &["package.json", "yarn.lock"])
            .text
            .contains("npm install --global --force yarn@${YARN_VERSION}")
    );
    // An explicit choice wins over the lockfile.
    assert!(
        ok(
            "msbc 1\nuse node pm=\"npm\"",
            &["package.json", "package-lock.json", "yarn.lock"]
        )
        .text
        .contains("npm ci")
    );

    // The build script runs on the sources; `files` narrows what ships.
    let built = ok(
        "msbc 1\nuse node { build \"compile\"; files \"dist\" \"config/prod.json\"; main \"dist/index.js\"; }",
        &["package.json", "package-lock.json"],
    );
    let build = built.stage("build").expect("build");
    assert!(
        build.instrs.iter().any(|i| i.script() == "npm run compile"),
        "{}",
        built.text
    );
    assert!(
        build.instrs.iter().any(|i| i.script()
            == "mkdir -p /out && cp -a --parents package.json 'dist' 'config/prod.json' /out/"),
        "{}",
        built.text
    );
}

#[test]
fn node_static_sites_are_served_by_unprivileged_nginx() {
    let df = ok(
        "msbc 1\nuse node static=#true",
        &["package.json", "package-lock.json"],
    );
    let last = df.last();
    assert!(
        last.base.starts_with("nginxinc/nginx-unprivileged:"),
        "{}",
        df.text
    );
    assert!(
        df.text
            .contains("ARG RUNTIME_IMAGE=nginxinc/nginx-unprivileged:"),
        "overridable: {}",
        df.text
    );
    assert!(
        df.stage("prod-deps").is_none(),
        "no node_modules in a static image: {}",
        df.text
    );
    // The default build script, its dist/ output, nginx's uid and port.
    assert!(
        df.stage("build")
            .is_some_and(|b| b.instrs.iter().any(|i| i.script() == "npm run build")),
        "{}",
        df.text
    );
    let copies: Vec<&str> = last
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.as_str())
        .collect();
    assert_eq!(copies, ["/app/dist /usr/share/nginx/html/"]);
    assert!(
        last.instrs
            .iter()
            .any(|i| i.cmd == "USER" && i.rest == "101")
    );
    assert!(
        last.instrs
            .iter()
            .any(|i| i.cmd == "EXPOSE" && i.rest == "8080")
    );
    assert!(!last.instrs.iter().any(|i| i.cmd == "RUN"), "{}", df.text);
    // Another port reconfigures nginx's listen directives.
    let other = ok(
        "msbc 1\nuse node static=#true { port 9000; dist \"public\"; }",
        &["package.json", "package-lock.json"],
    );
    let last = other.last();
    assert!(
        last.instrs.iter().any(|i| i.cmd == "RUN"
            && i.script().contains("9000;/")
            && i.script().contains("/etc/nginx/conf.d/default.conf")),
        "{}",
        other.text
    );
    assert!(
        last.instrs
            .iter()
            .any(|i| i.cmd == "EXPOSE" && i.rest == "9000")
    );
    assert!(
        last.instrs
            .iter()
            .any(|i| i.cmd == "COPY" && i.rest == "/app/public /usr/share/nginx/html/"),
        "{}",
        other.text
    );
}

// ---------------------------------------------------------------------------
// Monorepos (issue 21): npm, pnpm and Yarn workspaces.

/// A spec checked in a build context of `files` (path and contents) as the
/// service at `service_dir`: the Dockerfile, or the errors.
fn compile_in(
    src: &str,
    files: &[(&str, &str)],
    service_dir: &str,
) -> Result<Dockerfile, Vec<Diagnostic>> {
    let catalog = Catalog::stdlib();
    let names: Vec<String> = files.iter().map(|(f, _)| f.to_string()).collect();
    let contents: BTreeMap<String, String> = files
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    let checked = compile::check_with(
        src.as_bytes(),
        Context {
            catalog: &catalog,
            files: &names,
            contents: &contents,
            service_dir,
        },
    );
    let diagnostics: Vec<Diagnostic> = checked.diagnostics.iter().cloned().collect();
    let Some(model) = checked
        .model
        .filter(|_| !diagnostics.iter().any(Diagnostic::is_error))
    else {
        return Err(diagnostics);
    };
    assert!(
        diagnostics.is_empty(),
        "{:?}",
        diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let text = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
        .expect("emit")
        .main;
    Ok(parse(&text))
}

/// Issue 21's failure 1: npm workspaces, an app that depends on a
/// TypeScript workspace package and on a native addon, a root `postinstall`
/// that needs the sources (failure 2), and files the runtime must not get.
const NPM_MONOREPO: &[(&str, &str)] = &[
    (
        "package.json",
        r#"{"name": "acme", "private": true, "workspaces": ["apps/*", "packages/*"],
            "scripts": {"postinstall": "node scripts/postinstall.js"},
            "devDependencies": {"typescript": "5.6.3"}}"#,
    ),
    ("package-lock.json", "{}"),
    ("scripts/postinstall.js", ""),
    ("tsconfig.base.json", ""),
    (".husky/pre-commit", ""),
    ("build.kdl", ""),
    (
        "apps/api/package.json",
        r#"{"name": "@acme/api", "main": "dist/index.js", "files": ["dist"],
            "scripts": {"build": "tsc", "test": "node --test test/"},
            "dependencies": {"@acme/shared": "*", "bcrypt": "6.0.0"}}"#,
    ),
    ("apps/api/src/index.ts", ""),
    ("apps/api/test/index.test.js", ""),
    ("apps/api/tsconfig.json", ""),
    (
        "apps/web/package.json",
        r#"{"name": "@acme/web", "dependencies": {"@acme/shared": "*"}}"#,
    ),
    ("apps/web/src/server.js", ""),
    (
        "packages/shared/package.json",
        r#"{"name": "@acme/shared", "main": "dist/index.js", "files": ["dist"],
            "scripts": {"build": "tsc"}}"#,
    ),
    ("packages/shared/src/index.ts", ""),
];

fn copies(df: &Dockerfile, stage: &str) -> Vec<String> {
    df.stage(stage)
        .map(|s| {
            s.instrs
                .iter()
                .filter(|i| i.cmd == "COPY")
                .map(|i| i.rest.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn runs(df: &Dockerfile, stage: &str) -> Vec<String> {
    df.stage(stage)
        .map(|s| {
            s.instrs
                .iter()
                .filter(|i| i.cmd == "RUN")
                .map(|i| i.script().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn node_npm_workspace_installs_builds_and_ships_what_the_service_needs() {
    const SPEC: &str = "msbc 1\nuse node { build \"build\"; main \"dist/index.js\"; }";
    // The service is the spec's folder within the context, or `workspace`.
    for (src, service_dir) in [
        (SPEC, "apps/api"),
        (
            "msbc 1\nuse node workspace=\"apps/api\" { build \"build\"; main \"dist/index.js\"; }",
            "",
        ),
    ] {
        let df = compile_in(src, NPM_MONOREPO, service_dir)
            .unwrap_or_else(|d| panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()));
        let text = &df.text;
        // Manifests first: the service's and its workspace packages', not the other app's.
        assert_eq!(
            copies(&df, "deps"),
            [
                "package.json package-lock.json ./",
                "apps/api/package.json apps/api/",
                "packages/shared/package.json packages/shared/",
            ],
            "{text}"
        );
        let deps = runs(&df, "deps");
        let install = deps.last().expect("the install");
        assert!(
            install.contains(
                "npm ci --no-audit --no-fund --include-workspace-root -w apps/api -w packages/shared"
            ),
            "{text}"
        );
        // Failure 2: the root's postinstall needs the sources: out of the install,
        // run once they are there.
        assert!(
            install.starts_with("npm pkg delete scripts.postinstall && "),
            "{text}"
        );
        let build = runs(&df, "build");
        let at = |needle: &str| {
            build
                .iter()
                .position(|r| r == needle)
                .unwrap_or_else(|| panic!("no RUN {needle}:\n{text}"))
        };
        assert!(at("npm run postinstall") < at("cd packages/shared && npm run build"));
        assert!(at("cd packages/shared && npm run build") < at("cd apps/api && npm run build"));
        // Failure 6: the runtime gets the built files (package.json `files`) of the
        // service and of the packages it needs; no tests, tsconfig, .husky, build.kdl.
        let gather = build.last().expect("the gather");
        assert_eq!(
            gather,
            "mkdir -p /out && cp -a --parents apps/api/package.json 'apps/api/dist' packages/shared/package.json 'packages/shared/dist' /out/",
            "{text}"
        );
        let prod = runs(&df, "prod-deps");
        assert!(
            prod.iter().any(|r| r.starts_with(
                "npm pkg delete scripts.postinstall && npm ci --omit=dev --no-audit --no-fund --include-workspace-root -w apps/api -w packages/shared"
            )),
            "{text}"
        );
        let last = df.last();
        assert!(
            last.instrs
                .iter()
                .any(|i| i.cmd == "WORKDIR" && i.rest == "/app/apps/api"),
            "{text}"
        );
        assert!(
            last.instrs
                .iter()
                .any(|i| i.rest == r#"["node", "dist/index.js"]"#),
            "{text}"
        );
    }
}

#[test]
fn node_root_lifecycle_scripts_run_after_the_sources() {
    let files: &[(&str, &str)] = &[
        (
            "package.json",
            r#"{"name": "app", "scripts": {"postinstall": "node scripts/gen.js", "prepare": "husky"}}"#,
        ),
        ("package-lock.json", "{}"),
        ("scripts/gen.js", ""),
        ("server.js", ""),
    ];
    let df = compile_in("msbc 1\nuse node { main \"server.js\"; }", files, "")
        .unwrap_or_else(|d| panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()));
    let text = &df.text;
    assert_eq!(
        runs(&df, "deps"),
        ["npm pkg delete scripts.postinstall scripts.prepare && npm ci --no-audit --no-fund"],
        "{text}"
    );
    let build = runs(&df, "build");
    assert_eq!(
        build[..2],
        ["npm run postinstall", "npm run prepare"],
        "{text}"
    );
    assert!(
        runs(&df, "prod-deps")
            .iter()
            .any(|r| r == "npm pkg delete scripts.postinstall scripts.prepare && npm ci --omit=dev --no-audit --no-fund"),
        "{text}"
    );
    // Without lifecycle scripts, a plain install.
    let plain = compile_in(
        "msbc 1\nuse node { main \"server.js\"; }",
        &[
            ("package.json", r#"{"name": "app"}"#),
            ("package-lock.json", "{}"),
        ],
        "",
    )
    .expect("compiles");
    assert_eq!(runs(&plain, "deps"), ["npm ci --no-audit --no-fund"]);
}

#[test]
fn node_runtime_gets_the_app_not_its_tests_and_tooling() {
    let files: &[(&str, &str)] = &[
        ("package.json", r#"{"name": "app"}"#),
        ("package-lock.json", "{}"),
        ("server.js", ""),
        ("server.test.js", ""),
        ("test/a.js", ""),
        ("tsconfig.json", ""),
        (".husky/pre-commit", ""),
        ("build.kdl", ""),
    ];
    let df = compile_in("msbc 1\nuse node { main \"server.js\"; }", files, "").expect("compiles");
    let gather = runs(&df, "build").last().cloned().expect("gather");
    for gone in [
        "node_modules",
        "test",
        "tests",
        "'*.test.*'",
        "'tsconfig*.json'",
        ".husky",
        "build.kdl",
    ] {
        assert!(
            gather.contains(&format!("! -name {gone} ")),
            "{gone}: {gather}"
        );
    }
    // package.json's `files` says what the app is.
    let df = compile_in(
        "msbc 1\nuse node { main \"lib/server.js\"; }",
        &[
            (
                "package.json",
                r#"{"name": "app", "files": ["lib/", "config", "bin/*.js"]}"#,
            ),
            ("package-lock.json", "{}"),
        ],
        "",
    )
    .expect("compiles");
    assert_eq!(
        runs(&df, "build").last().map(String::as_str),
        Some("mkdir -p /out && cp -a --parents package.json 'lib' 'config' bin/*.js /out/")
    );
}

#[test]
fn node_workspace_shapes_it_cannot_build_are_errors_at_the_use() {
    let with_api = |api: &'static str| -> Vec<(&'static str, &'static str)> {
        NPM_MONOREPO
            .iter()
            .map(|&(p, c)| {
                if p == "apps/api/package.json" {
                    (p, api)
                } else {
                    (p, c)
                }
            })
            .collect()
    };
    for (api, want) in [
        (
            r#"{"name": "@acme/api", "dependencies": {"@acme/shared": "workspace:*"}}"#,
            "npm does not know the `workspace:` protocol",
        ),
        (
            r#"{"name": "@acme/api", "dependencies": {"x": "link:../../vendor/x"}}"#,
            "links a folder that is not a workspace member",
        ),
    ] {
        let files = with_api(api);
        let err =
            compile_in("msbc 1\nuse node workspace=\"apps/api\"", &files, "").expect_err(want);
        let d = err
            .iter()
            .find(|d| d.code.as_str() == "E0115")
            .unwrap_or_else(|| panic!("no E0115: {err:#?}"));
        assert!(d.message.contains(want), "{}", d.message);
    }
    let err = compile_in("msbc 1\nuse node workspace=\"apps/apj\"", NPM_MONOREPO, "")
        .expect_err("a misspelt member");
    assert!(
        err.iter()
            .any(|d| d.message.contains("did you mean workspace=\"apps/api\"?")),
        "{err:#?}"
    );
}

#[test]
fn node_pnpm_and_yarn_workspaces() {
    let pnpm: &[(&str, &str)] = &[
        (
            "package.json",
            r#"{"name": "root", "packageManager": "pnpm@9.12.0+sha512.abc"}"#,
        ),
        ("pnpm-lock.yaml", ""),
        (
            "pnpm-workspace.yaml",
            "packages:\n  - 'apps/*'\n  - 'packages/*'\n",
        ),
        (
            "apps/api/package.json",
            r#"{"name": "@acme/api", "files": ["dist"], "dependencies": {"@acme/shared": "workspace:^"}}"#,
        ),
        ("apps/web/package.json", r#"{"name": "@acme/web"}"#),
        (
            "packages/shared/package.json",
            r#"{"name": "@acme/shared", "scripts": {"build": "tsc"}}"#,
        ),
    ];
    let df = compile_in(
        "msbc 1\nuse node { main \"dist/index.js\"; }",
        pnpm,
        "apps/api",
    )
    .unwrap_or_else(|d| panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()));
    let text = &df.text;
    assert_eq!(
        copies(&df, "deps"),
        [
            "package.json pnpm-lock.yaml pnpm-workspace.yaml ./",
            "apps/api/package.json apps/api/",
            "packages/shared/package.json packages/shared/",
        ],
        "{text}"
    );
    assert!(
        runs(&df, "deps").iter().any(|r| r
            == "pnpm install --frozen-lockfile --store-dir /pnpm/store --filter '@acme/api...' --filter '{.}'"),
        "{text}"
    );
    assert!(
        runs(&df, "prod-deps").iter().any(|r| r
            == "pnpm install --frozen-lockfile --prod --store-dir /pnpm/store --filter '@acme/api...' --filter '{.}'"),
        "{text}"
    );
    assert!(
        runs(&df, "build")
            .iter()
            .any(|r| r == "cd packages/shared && pnpm run build"),
        "{text}"
    );
    // The root's packageManager pins pnpm.
    assert!(text.contains("ARG PNPM_VERSION=9.12.0"), "{text}");

    // Yarn classic has no filter: every member's manifest, the whole install.
    let yarn: Vec<(&str, &str)> = vec![
        (
            "package.json",
            r#"{"name": "root", "private": true, "workspaces": ["apps/*", "packages/*"]}"#,
        ),
        ("yarn.lock", ""),
        (
            "apps/api/package.json",
            r#"{"name": "@acme/api", "dependencies": {"@acme/shared": "1.0.0"}}"#,
        ),
        ("apps/web/package.json", r#"{"name": "@acme/web"}"#),
        (
            "packages/shared/package.json",
            r#"{"name": "@acme/shared"}"#,
        ),
    ];
    let df = compile_in("msbc 1\nuse node", &yarn, "apps/api")
        .unwrap_or_else(|d| panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()));
    assert_eq!(
        copies(&df, "deps"),
        [
            "package.json yarn.lock ./",
            "apps/api/package.json apps/api/",
            "apps/web/package.json apps/web/",
            "packages/shared/package.json packages/shared/",
        ],
        "{}",
        df.text
    );
    assert_eq!(
        runs(&df, "deps").last().map(String::as_str),
        Some("yarn install --frozen-lockfile --non-interactive"),
        "{}",
        df.text
    );
    // Yarn berry is refused, with what to do.
    let mut berry = yarn.clone();
    berry[0] = (
        "package.json",
        r#"{"workspaces": ["apps/*", "packages/*"], "packageManager": "yarn@4.5.0"}"#,
    );
    let err = compile_in("msbc 1\nuse node", &berry, "apps/api").expect_err("berry");
    assert!(
        err.iter().any(|d| d.code.as_str() == "E0115"
            && d.message.contains("Yarn 4.5.0 (berry) is not supported")),
        "{err:#?}"
    );
}

/// Failure 1's layout with the spec at the root and no `workspace`: the root
/// depends on no member, so its build would not build the service; check
/// says so (W0006) instead of "no problems".
#[test]
fn node_a_spec_for_the_root_of_a_workspace_is_warned() {
    let catalog = Catalog::stdlib();
    let names: Vec<String> = NPM_MONOREPO.iter().map(|(f, _)| f.to_string()).collect();
    let contents: BTreeMap<String, String> = NPM_MONOREPO
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    let checked = compile::check_with(
        b"msbc 1\nuse node { build \"build\"; }",
        Context {
            catalog: &catalog,
            files: &names,
            contents: &contents,
            service_dir: "",
        },
    );
    let warning = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "W0006")
        .unwrap_or_else(|| panic!("no W0006: {:#?}", checked.diagnostics));
    assert!(
        warning.message.contains(
            "package.json declares workspaces (apps/api, apps/web, packages/shared) but this spec builds the root"
        ) && warning.message.contains("workspace=\"apps/api\""),
        "{}",
        warning.message
    );
    // It still builds the whole workspace: every member's manifest, the full install,
    // and the node_modules of the root and the members in the image.
    let model = checked.model.expect("a model");
    let df = parse(
        &compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
            .expect("emit")
            .main,
    );
    assert_eq!(copies(&df, "deps").len(), 4, "{}", df.text);
    assert!(
        runs(&df, "deps")
            .iter()
            .any(|r| r.ends_with("npm ci --no-audit --no-fund")),
        "{}",
        df.text
    );
    assert!(
        copies(&df, "app")
            .iter()
            .any(|c| c.contains("/prod/ /app/")),
        "{}",
        df.text
    );
}
