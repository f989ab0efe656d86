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
