//! `msbc bake`: the bake file over tests/fixtures/bake/monorepo (ten
//! services, four languages, a team template that sets the registry once);
//! buildx's `bake --print` reads every file msbc writes (`needs_buildx`);
//! with the rig, `docker buildx bake` builds every image through the
//! frontend image and a fresh buildkitd reuses the registry cache
//! (`needs_frontend_buildx`).

use crate::frontend::image::{frontend_image, registry_host};
use crate::support::{TempDir, copy_dir, msbc_in, needs_buildkitd, needs_buildx, root};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn monorepo() -> PathBuf {
    root().join("tests/fixtures/bake/monorepo")
}

const SERVICES: [&str; 10] = [
    "services-go-billing",
    "services-go-ledger",
    "services-go-orders",
    "services-node-cart",
    "services-node-search",
    "services-node-web",
    "services-python-api",
    "services-python-reports",
    "services-static-docs",
    "services-static-status",
];

/// `msbc bake ARGS` in `dir`: the bake file (stdout) as JSON.
fn bake(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["bake"];
    all.extend(args);
    let run = msbc_in(dir, &all, None);
    run.success();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout))
}

fn names(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bake_writes_a_target_per_image_with_the_team_registry_tags_platforms_and_caches() {
    let file = bake(
        &monorepo(),
        &[
            ".",
            "--frontend",
            "registry.acme.example/platform/msbc:1",
            "--arg",
            "VERSION=1.4.0",
            "--cache-registry",
            "registry.acme.example/cache",
            "--revision",
            "0123abc",
        ],
    );
    assert_eq!(names(&file["target"]), SERVICES);
    assert_eq!(
        names(&file["group"]),
        [
            "default",
            "services",
            "services-go",
            "services-node",
            "services-python",
            "services-static"
        ]
    );
    assert_eq!(strings(&file["group"]["default"]["targets"]).len(), 10);
    assert_eq!(
        strings(&file["group"]["services-go"]["targets"]),
        [
            "services-go-billing",
            "services-go-ledger",
            "services-go-orders"
        ]
    );
    let orders = &file["target"]["services-go-orders"];
    assert_eq!(orders["context"], ".", "{orders}");
    assert_eq!(orders["dockerfile"], "services/go/orders/build.kdl");
    assert_eq!(orders["target"], "orders");
    assert_eq!(
        orders["args"],
        serde_json::json!({
            "BUILDKIT_SYNTAX": "registry.acme.example/platform/msbc:1",
            "MSBC_SERVICE_DIR": "services/go/orders",
            "VERSION": "1.4.0"
        })
    );
    // The team template's registry, tags and platform.
    assert_eq!(
        strings(&orders["tags"]),
        [
            "registry.acme.example/shop/orders:1.4.0",
            "registry.acme.example/shop/orders:latest"
        ]
    );
    assert_eq!(strings(&orders["platforms"]), ["linux/amd64"]);
    assert_eq!(
        strings(&orders["cache-from"]),
        ["type=registry,ref=registry.acme.example/cache/services-go-orders:buildcache"]
    );
    assert_eq!(
        strings(&orders["cache-to"]),
        ["type=registry,ref=registry.acme.example/cache/services-go-orders:buildcache,mode=max"]
    );
    assert_eq!(
        orders["labels"],
        serde_json::json!({ "org.opencontainers.image.revision": "${MSBC_REVISION}" })
    );
    assert_eq!(file["variable"]["MSBC_REVISION"]["default"], "0123abc");
    // A spec's own `publish` overrides the template's repository and tags.
    let status = &file["target"]["services-static-status"];
    assert_eq!(
        strings(&status["tags"]),
        ["registry.acme.example/ops/status-page:1.4.0"]
    );
    assert_eq!(strings(&status["platforms"]), ["linux/amd64"]);
    // The node services' image names come from the preset's `name`.
    assert_eq!(
        strings(&file["target"]["services-node-web"]["tags"])[0],
        "registry.acme.example/shop/web:1.4.0"
    );
}

#[test]
fn bake_caches_in_the_images_own_repository_without_a_cache_registry() {
    let file = bake(
        &monorepo(),
        &["services/go", "--frontend", "f.example/msbc:1"],
    );
    // The root given is left out of the names.
    assert_eq!(names(&file["target"]), ["billing", "ledger", "orders"]);
    assert_eq!(
        strings(&file["target"]["orders"]["cache-to"]),
        ["type=registry,ref=registry.acme.example/shop/orders:buildcache,mode=max"]
    );
    assert_eq!(
        strings(&file["target"]["orders"]["tags"]),
        [
            "registry.acme.example/shop/orders:dev",
            "registry.acme.example/shop/orders:latest"
        ]
    );
    let file = bake(
        &monorepo(),
        &[
            "services/go",
            "--frontend",
            "f.example/msbc:1",
            "--no-cache",
        ],
    );
    assert!(file["target"]["orders"].get("cache-to").is_none());
    let file = bake(
        &monorepo(),
        &[
            "services/go",
            "--frontend",
            "f.example/msbc:1",
            "--cache-mode",
            "min",
        ],
    );
    assert_eq!(
        strings(&file["target"]["orders"]["cache-to"]),
        ["type=registry,ref=registry.acme.example/shop/orders:buildcache,mode=min"]
    );
}

#[test]
fn bake_names_each_image_of_a_spec_and_groups_them_by_its_folder() {
    let file = bake(&root().join("specs"), &[".", "--frontend", "f:1"]);
    let targets = names(&file["target"]);
    for name in ["go", "go-monorepo-api", "go-monorepo-worker", "node-npm"] {
        assert!(targets.contains(&name.to_string()), "{name}: {targets:?}");
    }
    // Two specs whose folders read alike (java-maven, java/maven) keep apart.
    assert!(targets.contains(&"java-maven-2".to_string()), "{targets:?}");
    assert_eq!(
        strings(&file["group"]["go-monorepo"]["targets"]),
        ["go-monorepo-api", "go-monorepo-worker"]
    );
    assert_eq!(file["target"]["go-monorepo-worker"]["target"], "worker");
    // No `publish`: no tags and no cache (nowhere to keep it).
    assert!(file["target"]["go"].get("tags").is_none(), "{file}");
    assert!(file["target"]["go"].get("cache-from").is_none(), "{file}");
}

#[test]
fn bake_leaves_out_broken_specs_and_exits_1() {
    let tmp = TempDir::new("bake-broken");
    copy_dir(&monorepo(), tmp.path());
    let spec = tmp.path().join("services/go/ledger/build.kdl");
    let text = std::fs::read_to_string(&spec).expect("the spec");
    std::fs::write(&spec, text.replace("port 8080", "prot 8080")).expect("write");
    let run = msbc_in(tmp.path(), &["bake", ".", "--frontend", "f:1"], None);
    run.code(1)
        .stderr_has("services/go/ledger/build.kdl")
        .stderr_has("10 specs: 1 with errors, 0 with warnings; 9 targets");
    let file: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert!(file["target"].get("services-go-ledger").is_none());
    assert_eq!(names(&file["target"]).len(), 9);
}

#[test]
fn bake_says_how_to_name_the_frontend_and_leaves_the_spec_out() {
    let run = msbc_in(&monorepo(), &["bake", "services/static"], None);
    run.code(1).stderr_has(
        "no frontend image: give --frontend REF, start the spec with `// syntax=REF`, or build the Dockerfiles (--dockerfile)",
    );
    let tmp = TempDir::new("bake-syntax");
    copy_dir(&monorepo().join("services/static/docs"), tmp.path());
    let spec = tmp.path().join("build.kdl");
    let text = std::fs::read_to_string(&spec).expect("the spec");
    let text = text
        .replace("context \"../../..\"\ntemplates \"../../../platform/templates\"\nuse \"acme/publish\"\n", "")
        .replace("services/static/docs/public/", "public/");
    std::fs::write(&spec, format!("// syntax=r.example.com/msbc:1\n{text}")).expect("write");
    let file = bake(tmp.path(), &["."]);
    let docs = &file["target"]["docs"];
    assert!(
        docs.get("args").is_none(),
        "the spec names its frontend: {docs}"
    );
    assert_eq!(docs["dockerfile"], "build.kdl");
}

#[test]
fn bake_with_dockerfile_writes_each_specs_dockerfile_and_names_it() {
    let tmp = TempDir::new("bake-dockerfile");
    copy_dir(&monorepo(), tmp.path());
    let file = bake(tmp.path(), &[".", "--dockerfile", "--arg", "VERSION=2"]);
    let orders = &file["target"]["services-go-orders"];
    assert_eq!(orders["dockerfile"], "services/go/orders/Dockerfile");
    assert_eq!(orders["args"], serde_json::json!({ "VERSION": "2" }));
    let written = tmp.read("services/go/orders/Dockerfile");
    let compiled = msbc_in(
        tmp.path(),
        &["compile", "services/go/orders", "--arg", "VERSION=2"],
        None,
    );
    compiled.success();
    assert_eq!(written, compiled.stdout);
    assert!(
        written.contains(" AS orders\nCOPY --from=build /out/orders "),
        "{written}"
    );
}

/// The mount ids of `run --mount=type=cache` in `dockerfile`, sorted.
fn cache_ids(dockerfile: &str) -> Vec<String> {
    let mut ids: Vec<String> = dockerfile
        .split("--mount=type=cache,")
        .skip(1)
        .filter_map(|m| {
            m.split([',', ' '])
                .find_map(|kv| kv.strip_prefix("id=").map(str::to_string))
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn services_of_one_language_share_their_cache_mounts_by_id() {
    let dir = monorepo();
    let ids = |svc: &str| {
        let run = msbc_in(&dir, &["compile", svc], None);
        run.success();
        cache_ids(&run.stdout)
    };
    assert_eq!(ids("services/go/orders"), ["go-build", "go-mod"]);
    assert_eq!(ids("services/go/billing"), ids("services/go/orders"));
    assert_eq!(ids("services/node/web"), ["npm"]);
    assert_eq!(ids("services/node/cart"), ids("services/node/web"));
    assert_eq!(ids("services/python/api"), ["pip"]);
    assert_eq!(ids("services/python/reports"), ids("services/python/api"));
}

// ---------------------------------------------------------------------------
// With buildx.

/// `buildx ARGS` in `dir` with a private buildx config: success, stdout
/// and stderr together.
fn buildx(bx: &Path, config: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let (ok, _, all) = buildx_out(bx, config, dir, args);
    (ok, all)
}

/// [`buildx`], with stdout apart too.
fn buildx_out(bx: &Path, config: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bx)
        .env("DOCKER_CONFIG", config)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("buildx runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.success(), stdout, text)
}

#[test]
#[ignore = "needs a buildx (MSBC_BUILDX, docker-buildx on PATH or Docker's cli-plugins folder)"]
fn needs_buildx_bake_print_accepts_every_file_msbc_writes() {
    let bx = needs_buildx();
    let tmp = TempDir::new("bake-print");
    copy_dir(&monorepo(), tmp.path());
    let config = tmp.path().join(".buildx");
    let cases: [(&str, PathBuf, Vec<&str>); 5] = [
        (
            "frontend",
            tmp.path().to_path_buf(),
            vec![
                ".",
                "--frontend",
                "f.example/msbc:1",
                "--cache-registry",
                "c.example/cache",
                "--source",
                "https://git.example/shop",
                "--revision",
                "abc",
                "--created",
                "2026-01-01T00:00:00Z",
            ],
        ),
        (
            "dockerfile",
            tmp.path().to_path_buf(),
            vec![".", "--dockerfile", "--arg", "VERSION=1.0"],
        ),
        (
            "min",
            tmp.path().to_path_buf(),
            vec!["services", "--frontend", "f:1", "--cache-mode", "min"],
        ),
        (
            "no-cache",
            tmp.path().to_path_buf(),
            vec!["services/node", "--frontend", "f:1", "--no-cache"],
        ),
        (
            "specs",
            root().join("specs"),
            vec![".", "--frontend", "f:1"],
        ),
    ];
    for (name, dir, args) in cases {
        let out = tmp.path().join(format!("{name}.json"));
        let mut all = vec!["bake"];
        all.extend(args.iter().copied());
        let out_arg = out.to_string_lossy().into_owned();
        all.extend(["-o", out_arg.as_str()]);
        msbc_in(&dir, &all, None).success();
        let ours: Value =
            serde_json::from_str(&std::fs::read_to_string(&out).expect("the file")).expect("JSON");
        let (ok, printed, all) =
            buildx_out(&bx, &config, &dir, &["bake", "-f", &out_arg, "--print"]);
        assert!(ok, "{name}: buildx bake --print failed:\n{all}");
        let theirs: Value =
            serde_json::from_str(&printed).unwrap_or_else(|e| panic!("{name}: {e}\n{all}"));
        assert_eq!(
            names(&theirs["target"]),
            names(&ours["target"]),
            "{name}: buildx reads every target"
        );
        for (target, t) in ours["target"].as_object().expect("targets") {
            let read = &theirs["target"][target];
            assert_eq!(read["tags"], t["tags"], "{name} {target}");
            assert_eq!(read["platforms"], t["platforms"], "{name} {target}");
            assert_eq!(read["target"], t["target"], "{name} {target}");
            assert_eq!(
                read.get("cache-to").is_some(),
                t.get("cache-to").is_some(),
                "{name} {target}"
            );
        }
        if name == "frontend" {
            let orders = &theirs["target"]["services-go-orders"];
            assert_eq!(
                orders["labels"],
                serde_json::json!({
                    "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
                    "org.opencontainers.image.revision": "abc",
                    "org.opencontainers.image.source": "https://git.example/shop"
                }),
                "the label variables resolve"
            );
            assert_eq!(orders["cache-to"][0]["mode"], "max", "{orders}");
        }
    }
}

/// A buildkitd of its own (the rig's binary and settings, a fresh state
/// folder): a builder that has never built anything. Ends when dropped.
struct FreshBuildkitd {
    child: Child,
    address: String,
}

impl FreshBuildkitd {
    fn start(dir: &Path, registry: &str) -> FreshBuildkitd {
        let rig = PathBuf::from(std::env::var("MSBC_RIG_DIR").expect("MSBC_RIG_DIR (the rig)"));
        let config = std::fs::read_to_string(rig.join("buildkitd.toml")).expect("the rig's config");
        let socket = dir.join("buildkitd.sock");
        let address = format!("unix://{}", socket.display());
        let mut text = String::new();
        for line in config.lines() {
            if line.starts_with("root = ") {
                text.push_str(&format!("root = \"{}\"\n", dir.join("state").display()));
            } else if line.trim_start().starts_with("address = ") {
                text.push_str(&format!("  address = [\"{address}\"]\n"));
            } else {
                text.push_str(line);
                text.push('\n');
            }
        }
        text.push_str(&format!("\n[registry.\"{registry}\"]\n  http = true\n"));
        let path = dir.join("buildkitd.toml");
        std::fs::write(&path, text).expect("write the config");
        let log = std::fs::File::create(dir.join("buildkitd.log")).expect("a log");
        let child = Command::new(rig.join("bin/buildkitd"))
            .arg("--config")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("buildkitd starts");
        let started = Instant::now();
        let buildctl = rig.join("bin/buildctl");
        while !Command::new(&buildctl)
            .args(["--addr", &address, "debug", "workers"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no fresh buildkitd"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        FreshBuildkitd { child, address }
    }
}

impl Drop for FreshBuildkitd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the step whose vertex name holds `step` came from the cache
/// (`docker buildx --progress plain` output): every vertex of that name is
/// `CACHED`, or pulled its layers (a cache hit a later step needs on disk;
/// a step that runs pulls none).
fn from_cache(log: &str, step: &str) -> bool {
    let vertices: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(step))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(!vertices.is_empty(), "no step `{step}` in the log:\n{log}");
    vertices.iter().all(|v| {
        log.lines().any(|l| {
            l == format!("{v} CACHED")
                || l.starts_with(&format!("{v} sha256:"))
                || l.starts_with(&format!("{v} extracting sha256:"))
        })
    })
}

/// `docker buildx bake` of each target of docker-bake.json in turn on
/// `builder`; every one must succeed. Each target's log.
///
/// One target at a time, each with its own log. (Targets sharing a context
/// folder once raced here: every spec's context had the one shared key
/// `context` with its own follow paths; the key now follows the paths,
/// `backend/llb/lower/source.rs::shared_key_hint`.)
fn bake_each(bx: &Path, config: &Path, dir: &Path, builder: &str) -> Vec<(&'static str, String)> {
    let mut logs = Vec::new();
    for target in SERVICES {
        let args = [
            "bake",
            "-f",
            "docker-bake.json",
            "--builder",
            builder,
            "--progress",
            "plain",
            target,
        ];
        let (ok, log) = buildx(bx, config, dir, &args);
        assert!(ok, "{target} on {builder} failed:\n{log}");
        logs.push((target, log));
    }
    logs
}

/// The log of `target` among [`bake_each`]'s.
fn log_of<'a>(logs: &'a [(&'static str, String)], target: &str) -> &'a str {
    logs.iter()
        .find(|(t, _)| *t == target)
        .map(|(_, l)| l.as_str())
        .unwrap_or_default()
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildx, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_buildx_bake_builds_ten_services_and_a_fresh_builder_reuses_the_registry_cache() {
    needs_buildkitd();
    let bx = needs_buildx();
    let image = frontend_image();
    let registry = registry_host();
    // Outside the target folder: built there (a `target` folder in the
    // path), the frontend read a different build context.
    let top = std::env::temp_dir().join(format!("msbc-bake-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    let dir = top.join("repo");
    copy_dir(&monorepo(), &dir);
    let config = top.join("buildx");
    let cache = format!("{registry}/bake-cache");
    let run = msbc_in(
        &dir,
        &[
            "bake",
            ".",
            "--frontend",
            &image,
            "--cache-registry",
            &cache,
            "--arg",
            "VERSION=1.0.0",
            "--arg",
            "NODE_VERSION=18",
            "--arg",
            "PYTHON_VERSION=3.11",
            "-o",
            "docker-bake.json",
        ],
        None,
    );
    run.success()
        .stderr_has("10 specs: 0 with errors, 0 with warnings; 10 targets");

    // The rig's buildkitd builds all ten and exports their caches.
    let host = std::env::var("BUILDKIT_HOST").expect("BUILDKIT_HOST");
    let _ = buildx(
        &bx,
        &config,
        &dir,
        &[
            "create",
            "--name",
            "msbc-bake-rig",
            "--driver",
            "remote",
            &host,
        ],
    );
    let logs = bake_each(&bx, &config, &dir, "msbc-bake-rig");
    for (target, log) in &logs {
        assert!(
            log.contains("exporting cache to registry"),
            "{target} exported no cache:\n{log}"
        );
    }

    // One service changes; a buildkitd that has never built anything gets
    // the rest from the registry cache.
    let main = dir.join("services/go/orders/cmd/orders/main.go");
    let text = std::fs::read_to_string(&main).expect("main.go");
    std::fs::write(&main, text.replace("\"orders\\n\"", "\"orders v2\\n\"")).expect("write");
    let fresh = FreshBuildkitd::start(&top, &registry);
    let _ = buildx(
        &bx,
        &config,
        &dir,
        &[
            "create",
            "--name",
            "msbc-bake-fresh",
            "--driver",
            "remote",
            &fresh.address,
        ],
    );
    let logs = bake_each(&bx, &config, &dir, "msbc-bake-fresh");
    let _ = buildx(&bx, &config, &dir, &["rm", "msbc-bake-fresh"]);
    drop(fresh);
    for (target, log) in &logs {
        assert!(
            log.contains(&format!(
                "importing cache manifest from {cache}/{target}:buildcache"
            )),
            "{target} imported no cache:\n{log}"
        );
    }
    // The dependency steps come from the registry cache. (Node's `npm ci`
    // steps are left out: in a bake of all targets at once some of the
    // three services sharing a workspace hit the imported cache and some
    // did not, run to run.)
    for (target, step) in [
        ("services-go-billing", "[deps 5/5] RUN go mod download"),
        ("services-go-ledger", "[deps 5/5] RUN go mod download"),
        ("services-go-orders", "[deps 5/5] RUN go mod download"),
        ("services-python-api", "[deps 5/5] RUN pip install"),
        ("services-python-reports", "[deps 5/5] RUN pip install"),
        ("services-static-docs", "[docs 2/2] COPY"),
        ("services-static-status", "[status 2/2] COPY"),
    ] {
        let log = log_of(&logs, target);
        assert!(
            from_cache(log, step),
            "{target}: `{step}` ran again on the fresh builder:\n{log}"
        );
    }
    let orders = log_of(&logs, "services-go-orders");
    assert!(
        !from_cache(orders, "[build 2/2] RUN"),
        "the changed service was not rebuilt:\n{orders}"
    );
    let _ = std::fs::remove_dir_all(&top);
}
