//! Base-image configs in the LLB route (issue 12): each stage starts from
//! its base image's config as BuildKit's Dockerfile frontend does (runs see
//! its env, working directory and user; a stage on a stage inherits), and
//! the image config is the base's with the spec's changes applied (env
//! merged by key, an entrypoint dropping the inherited cmd, labels and
//! ports added). The configs here are laid out like the official images'.

use crate::support::CONFIG_KEYS;
use msbc::backend::llb::{BaseConfig, BaseConfigs, Pull};
use msbc::compile::{self, Emit};
use msbc::lower::{Model, Selection};
use serde_json::Value;
use sha2::Digest;

const DEFPATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const INDEX: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// `golang:1.23-bookworm` as Docker's official image sets it.
fn golang() -> BaseConfig {
    let json = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/go/bin:/usr/local/go/bin:{DEFPATH}","GOLANG_VERSION=1.23.5","GOTOOLCHAIN=local","GOPATH=/go"],"Cmd":["bash"],"WorkingDir":"/go"}},"rootfs":{{"type":"layers","diff_ids":["sha256:aa"]}}}}"#
    );
    let mut c = BaseConfig::from_json(json.as_bytes()).expect("config parses");
    c.digest = Some(INDEX.to_string());
    c
}

/// A distroless-like runtime: PATH and SSL_CERT_FILE, user nonroot, an
/// entrypoint-less image with a cmd and a label.
fn distroless() -> BaseConfig {
    let json = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"User":"65532","Env":["PATH={DEFPATH}","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],"Cmd":["/bin/true"],"WorkingDir":"/home/nonroot","Labels":{{"vendor":"distroless"}},"ExposedPorts":{{"9090/tcp":{{}}}}}},"rootfs":{{"type":"layers","diff_ids":["sha256:bb"]}}}}"#
    );
    BaseConfig::from_json(json.as_bytes()).expect("config parses")
}

const SPEC: &str = r#"msbc 1
stage build from="golang:1.23-bookworm" {
    env PATH="/opt/tools:${PATH}" CGO_ENABLED="0"
    run "go build -o /out/app ." { cache "/go/pkg/mod" }
}
stage test from=build {
    run "go test ./..."
}
image app from="gcr.io/distroless/static-debian12:nonroot" {
    copy from=build "/out/app" to="/app"
    env APP_ENV="prod"
    label "org.opencontainers.image.title"="app"
    expose 8080
    entrypoint "/app"
}
"#;

fn model() -> Model {
    let checked = compile::check(SPEC.as_bytes());
    assert!(
        !checked.diagnostics.has_errors(),
        "{:?}",
        checked.diagnostics
    );
    checked.model.expect("a model")
}

fn configs() -> BaseConfigs {
    let mut c = BaseConfigs::new();
    c.insert(
        "docker.io/library/golang:1.23-bookworm",
        &msbc::domain::Platform::default_target(),
        golang(),
    );
    c.insert(
        "gcr.io/distroless/static-debian12:nonroot",
        &msbc::domain::Platform::default_target(),
        distroless(),
    );
    c
}

fn emit(selection: &Selection, what: Emit, configs: &BaseConfigs) -> String {
    compile::select(&model(), selection)
        .expect("selects")
        .emit(what, "build.kdl", configs.clone())
        .expect("emits")
        .main
}

fn target(name: &str) -> Selection {
    Selection {
        target: Some(name.to_string()),
        ..Selection::default()
    }
}

/// The exec ops of a dump, in order: (args, env, cwd, user).
fn execs(dump: &str) -> Vec<(Vec<String>, Vec<String>, String, String)> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    serde_json::Deserializer::from_str(dump)
        .into_iter::<Value>()
        .map(|v| v.expect("dump is JSON objects"))
        .filter_map(|op| {
            let meta = op["Op"]["Op"]["exec"]["meta"].clone();
            meta.is_object().then(|| {
                (
                    strings(&meta["args"]),
                    strings(&meta["env"]),
                    meta["cwd"].as_str().unwrap_or("").to_string(),
                    meta["user"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn pulls_list_the_base_images_per_platform() {
    let m = model();
    let pulls = compile::select(&m, &Selection::default())
        .expect("selects")
        .pulls("build.kdl")
        .expect("pulls");
    let want = |r: &str| Pull {
        reference: r.to_string(),
        platform: msbc::domain::Platform::default_target(),
    };
    assert_eq!(
        pulls,
        vec![
            want("docker.io/library/golang:1.23-bookworm"),
            want("gcr.io/distroless/static-debian12:nonroot")
        ]
    );
    let arm = Selection {
        platform: "linux/arm64".parse().ok(),
        target: Some("build".into()),
        ..Selection::default()
    };
    let pulls = compile::select(&m, &arm)
        .expect("selects")
        .pulls("build.kdl")
        .expect("pulls");
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].platform.to_string(), "linux/arm64");
}

#[test]
fn runs_start_from_the_base_config() {
    let dump = emit(&target("build"), Emit::LlbJson, &configs());
    let runs = execs(&dump);
    assert_eq!(runs.len(), 1, "{dump}");
    let (args, env, cwd, user) = &runs[0];
    assert_eq!(
        args.last().map(String::as_str),
        Some("go build -o /out/app .")
    );
    // The image's env in its order; `${PATH}` expands against the image's
    // PATH; a key set again moves to the end (BuildKit's `EnvList`).
    assert_eq!(
        env,
        &vec![
            "GOLANG_VERSION=1.23.5".to_string(),
            "GOTOOLCHAIN=local".to_string(),
            "GOPATH=/go".to_string(),
            format!("PATH=/opt/tools:/go/bin:/usr/local/go/bin:{DEFPATH}"),
            "CGO_ENABLED=0".to_string(),
        ],
        "{dump}"
    );
    assert_eq!(cwd, "/go");
    assert_eq!(user, "");
    // The source is pinned to the digest the tag resolved to, as the
    // frontend pins a FROM it resolved.
    assert!(
        dump.contains(&format!(
            "docker-image://docker.io/library/golang:1.23-bookworm@{INDEX}"
        )),
        "{dump}"
    );

    // Without the config: BuildKit's default PATH only, `/`, no digest.
    let bare = emit(&target("build"), Emit::LlbJson, &BaseConfigs::new());
    let (_, env, cwd, _) = &execs(&bare)[0];
    assert_eq!(env[0], format!("PATH=/opt/tools:{DEFPATH}"));
    assert!(!env.iter().any(|e| e.starts_with("GOPATH=")));
    assert_eq!(cwd, "/");
    assert!(!bare.contains(INDEX));
}

#[test]
fn a_stage_on_a_stage_inherits_the_base_config() {
    let dump = emit(&target("test"), Emit::LlbJson, &configs());
    let runs = execs(&dump);
    let (args, env, cwd, _) = runs.last().expect("the test run");
    assert_eq!(args.last().map(String::as_str), Some("go test ./..."));
    assert!(env.contains(&"GOPATH=/go".to_string()), "{env:?}");
    assert!(env.contains(&"CGO_ENABLED=0".to_string()), "{env:?}");
    assert_eq!(cwd, "/go");
}

#[test]
fn the_image_config_is_the_base_config_with_the_spec_applied() {
    let text = emit(&Selection::default(), Emit::ImageConfig, &configs());
    let config: Value = serde_json::from_str(&text).expect("JSON");
    let c = &config["config"];
    assert_eq!(
        c["Env"],
        serde_json::json!([
            format!("PATH={DEFPATH}"),
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            "APP_ENV=prod"
        ])
    );
    assert_eq!(c["User"], "65532");
    assert_eq!(c["WorkingDir"], "/home/nonroot");
    assert_eq!(c["Entrypoint"], serde_json::json!(["/app"]));
    // An entrypoint drops the cmd the image had, as in a Dockerfile.
    assert!(c.get("Cmd").is_none(), "{text}");
    assert_eq!(c["Labels"]["vendor"], "distroless");
    assert_eq!(c["Labels"]["org.opencontainers.image.title"], "app");
    assert_eq!(
        c["ExposedPorts"],
        serde_json::json!({"8080/tcp": {}, "9090/tcp": {}})
    );
}

#[test]
fn a_base_without_layers_is_built_on_as_scratch() {
    let mut configs = configs();
    let mut empty = distroless();
    empty.layers = 0;
    configs.insert(
        "gcr.io/distroless/static-debian12:nonroot",
        &msbc::domain::Platform::default_target(),
        empty,
    );
    let dump = emit(&Selection::default(), Emit::LlbJson, &configs);
    assert!(!dump.contains("docker-image://gcr.io"), "{dump}");
    let config: Value =
        serde_json::from_str(&emit(&Selection::default(), Emit::ImageConfig, &configs))
            .expect("JSON");
    assert_eq!(config["config"]["User"], "65532");
}

// ---- every spec against BuildKit's frontend (the rig) --------------------

/// Configs laid out like the official images' (amd64, late 2024), for the
/// images the specs pull that the rig's registry does not have. The rig's
/// own (golang, eclipse-temurin, debian, alpine, distroless static) come
/// from `$RIG/imgcfg`. What matters is kept as the real image has it: the
/// `PATH` each toolchain is found through, the env order, users, working
/// directories, entrypoints and cmds, ports, labels, volumes, stop signals.
fn official_config(reference: &str) -> Option<String> {
    let path = |p: &str| format!("PATH={p}{DEFPATH}");
    let temurin = |extra: &[&str]| {
        let mut env = vec![
            path("/opt/java/openjdk/bin:"),
            "JAVA_HOME=/opt/java/openjdk".to_string(),
            "LANG=en_US.UTF-8".to_string(),
            "LANGUAGE=en_US:en".to_string(),
            "LC_ALL=en_US.UTF-8".to_string(),
            "JAVA_VERSION=jdk-17.0.13+11".to_string(),
        ];
        env.extend(extra.iter().map(|e| e.to_string()));
        env
    };
    let node = |version: &str| {
        serde_json::json!({
            "Env": [path(""), format!("NODE_VERSION={version}"), "YARN_VERSION=1.22.22"],
            "Entrypoint": ["docker-entrypoint.sh"],
            "Cmd": ["node"],
        })
    };
    let python = serde_json::json!({
        "Env": [path("/usr/local/bin:"), "LANG=C.UTF-8", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", "PYTHON_VERSION=3.12.8", "PYTHON_SHA256=c909157bb25ec114e5869124cc2a9c4a4d4c1e957ca4ff553f1edc692101154e"],
        "Cmd": ["python3"],
    });
    // .NET 8+: `app` (uid 1654, `APP_UID`) exists in the image but is not
    // its `User`; ASPNETCORE_HTTP_PORTS makes Kestrel listen on 8080.
    let dotnet = |extra: &[&str]| {
        let mut env = vec![
            path(""),
            "APP_UID=1654".to_string(),
            "ASPNETCORE_HTTP_PORTS=8080".to_string(),
            "DOTNET_RUNNING_IN_CONTAINER=true".to_string(),
            "DOTNET_VERSION=8.0.11".to_string(),
            "ASPNET_VERSION=8.0.11".to_string(),
        ];
        env.extend(extra.iter().map(|e| e.to_string()));
        serde_json::json!({"Env": env, "Cmd": ["bash"]})
    };
    let distroless = |extra: &[&str], entrypoint: &[&str]| {
        let mut env = vec![
            path(""),
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".to_string(),
        ];
        env.extend(extra.iter().map(|e| e.to_string()));
        serde_json::json!({"Env": env, "Entrypoint": entrypoint, "User": "65532", "WorkingDir": "/home/nonroot"})
    };
    let config = match reference {
        "docker.io/library/alpine:3.20" => {
            serde_json::json!({"Env": [path("")], "Cmd": ["/bin/sh"]})
        }
        "docker.io/library/node:22-bookworm" | "docker.io/library/node:22-bookworm-slim" => {
            node("22.12.0")
        }
        "docker.io/library/node:20.18-bookworm" | "docker.io/library/node:20.18-bookworm-slim" => {
            node("20.18.1")
        }
        "docker.io/library/python:3.12-bookworm"
        | "docker.io/library/python:3.12-slim-bookworm" => python,
        "docker.io/library/rust:1.83-slim-bookworm" => serde_json::json!({
            "Env": [path("/usr/local/cargo/bin:"), "RUSTUP_HOME=/usr/local/rustup", "CARGO_HOME=/usr/local/cargo", "RUST_VERSION=1.83.0"],
            "Cmd": ["bash"],
        }),
        "docker.io/library/maven:3.9.9-eclipse-temurin-17"
        | "docker.io/library/maven:3.9.9-eclipse-temurin-21" => serde_json::json!({
            "Env": temurin(&["MAVEN_HOME=/usr/share/maven", "MAVEN_CONFIG=/root/.m2"]),
            "Entrypoint": ["/usr/local/bin/mvn-entrypoint.sh"],
            "Cmd": ["mvn"],
        }),
        "docker.io/library/gradle:8.10.2-jdk17" | "docker.io/library/gradle:8.10.2-jdk21" => {
            serde_json::json!({
                "Env": temurin(&["GRADLE_HOME=/opt/gradle", "GRADLE_VERSION=8.10.2"]),
                "Entrypoint": ["/__cacert_entrypoint.sh"],
                "Cmd": ["gradle"],
                "WorkingDir": "/home/gradle",
                "Volumes": {"/home/gradle/.gradle": {}},
            })
        }
        "docker.io/golangci/golangci-lint:v1.61.0" => serde_json::json!({
            "Env": [path("/go/bin:/usr/local/go/bin:"), "GOLANG_VERSION=1.23.2", "GOTOOLCHAIN=local", "GOPATH=/go"],
            "Cmd": ["golangci-lint"],
            "WorkingDir": "/go",
        }),
        "docker.io/nginxinc/nginx-unprivileged:1.27-alpine" => serde_json::json!({
            "Env": [path(""), "NGINX_VERSION=1.27.3", "PKG_RELEASE=1", "DYNPKG_RELEASE=1", "NJS_VERSION=0.8.7", "NJS_RELEASE=1"],
            "Entrypoint": ["/docker-entrypoint.sh"],
            "Cmd": ["nginx", "-g", "daemon off;"],
            "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"},
            "StopSignal": "SIGQUIT",
            "User": "101",
        }),
        "gcr.io/distroless/java17-debian12:nonroot"
        | "gcr.io/distroless/java21-debian12:nonroot" => distroless(
            &["JAVA_VERSION=17.0.13", "LANG=C.UTF-8"],
            &["/usr/bin/java", "-jar"],
        ),
        "gcr.io/distroless/nodejs22-debian12:nonroot" => distroless(&[], &["/nodejs/bin/node"]),
        "ghcr.io/astral-sh/uv:0.13.9" => serde_json::json!({
            "Env": [path("")],
            "Entrypoint": ["/uv"],
            "WorkingDir": "/",
        }),
        "mcr.microsoft.com/dotnet/sdk:8.0" => dotnet(&[
            "DOTNET_GENERATE_ASPNET_CERTIFICATE=false",
            "DOTNET_NOLOGO=true",
            "DOTNET_SDK_VERSION=8.0.404",
            "DOTNET_USE_POLLING_FILE_WATCHER=true",
            "NUGET_XMLDOC_MODE=skip",
            "POWERSHELL_DISTRIBUTION_CHANNEL=PSDocker-DotnetSDK-Debian-12",
        ]),
        "mcr.microsoft.com/dotnet/aspnet:8.0" => dotnet(&[]),
        // The runtime image: the aspnet one without ASP.NET Core.
        "mcr.microsoft.com/dotnet/runtime:8.0" => {
            let mut config = dotnet(&[]);
            if let Some(env) = config["Env"].as_array_mut() {
                env.retain(|e| !e.as_str().is_some_and(|e| e.starts_with("ASPNET_VERSION=")));
            }
            config
        }
        _ => return None,
    };
    Some(
        serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": ["@LAYER@"]},
        })
        .to_string(),
    )
}

/// Each spec's selections worth comparing: the default, every image by
/// name when there are several, every target-only stage; with a value for
/// each arg without a default.
fn spec_cases() -> Vec<(String, std::path::PathBuf, Vec<String>, Selection, Model)> {
    let mut out = Vec::new();
    for spec in crate::support::spec_files() {
        // Checked with its build context, as the CLI checks it: a preset's
        // stages may depend on the project (a `test` stage only where the
        // package has a test script).
        let (dir, service_dir) = crate::support::spec_context(&spec).unwrap_or_else(|| {
            (
                spec.parent().expect("a spec has a folder").to_path_buf(),
                String::new(),
            )
        });
        let checked = crate::support::check_spec_in(
            &std::fs::read(&spec).expect("spec readable"),
            crate::support::Context::Dir(&dir),
            &service_dir,
        );
        let model = checked.model.expect("a model");
        let base = crate::llb::selection(&model);
        let mut flags: Vec<String> = Vec::new();
        for (k, v) in &base.args {
            flags.extend(["--arg".to_string(), format!("{k}={v}")]);
        }
        let name = crate::support::spec_name(&spec);
        out.push((
            name.clone(),
            spec.clone(),
            flags.clone(),
            base.clone(),
            model.clone(),
        ));
        let images: Vec<&str> = model
            .stages
            .iter()
            .filter(|s| s.kind == msbc::ir::StageKind::Image)
            .map(|s| s.name.as_str())
            .collect();
        let mut targets: Vec<String> = if images.len() > 1 {
            images.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        targets.extend(
            model
                .stages
                .iter()
                .filter(|s| s.target_only)
                .map(|s| s.name.clone()),
        );
        for t in targets {
            let mut f = flags.clone();
            f.extend(["--target".to_string(), t.clone()]);
            let s = Selection {
                target: Some(t.clone()),
                ..base.clone()
            };
            out.push((
                format!("{name}--target-{t}"),
                spec.clone(),
                f,
                s,
                model.clone(),
            ));
        }
    }
    out
}

/// `msbc compile --emit image-config` of every spec in `specs/` (through
/// the CLI, its base image configs read from a registry as a user's
/// would be, through `--mirror`) is the image config BuildKit's own
/// Dockerfile frontend (`df2llb -image-config-out`, from shared/rig) gives
/// msbc's Dockerfile of the same build, given the same base configs:
/// field for field (Env in order, User, WorkingDir, Entrypoint, Cmd,
/// ExposedPorts, Labels, Healthcheck, Volumes, StopSignal, Shell,
/// OnBuild). Every base image is served: the rig's configs where the rig
/// has the image, the official-like ones of [`official_config`] otherwise;
/// an image with neither fails the test (so a new spec is not skipped).
#[test]
#[ignore = "needs buildctl and df2llb on PATH (the rig) and Debian's docker-registry"]
fn needs_df2llb_every_specs_image_config_is_what_buildkits_frontend_gives() {
    crate::support::needs_registry();
    let df2llb = crate::support::needs_df2llb();
    let rig = std::env::var_os("DF2LLB_CONFIG_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/buildkit-rig/imgcfg"))
        })
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| panic!("needs the rig's image configs ($RIG/imgcfg)"));
    let dir = crate::lock::temp_dir("frontend-configs");
    let reg = crate::lock::start_registry(&dir);
    let configs = dir.join("imgcfg");
    std::fs::create_dir_all(&configs).expect("config dir");
    let cases = spec_cases();
    // Serve every image the specs pull, once: as the CLI sees them (a
    // preset takes versions from the project's files).
    let listed = crate::lock::msbc_env(
        &crate::support::root(),
        &["images", "specs", "--format", "json"],
        &[],
    );
    assert_eq!(listed.status, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).expect("JSON");
    let mut served = std::collections::BTreeMap::new();
    for image in listed["images"].as_array().expect("images") {
        let (name, tag) = (
            image["image"].as_str().expect("image"),
            image["tag"].as_str().expect("tag"),
        );
        let reference = match name.split_once('/') {
            None => format!("docker.io/library/{name}:{tag}"),
            Some((first, _)) if !first.contains(['.', ':']) => format!("docker.io/{name}:{tag}"),
            Some(_) => format!("{name}:{tag}"),
        };
        let file = format!("{}.json", reference.replace(['/', ':', '@'], "_"));
        let (config, from_rig) = match std::fs::read_to_string(rig.join(&file)) {
            Ok(c) => (c, true),
            Err(_) => (
                official_config(&reference).unwrap_or_else(|| {
                    panic!("no offline config for {reference} (add it to official_config)")
                }),
                false,
            ),
        };
        let (host, rest) = reference.split_once('/').expect("host/path");
        let (repo, tag) = rest.rsplit_once(':').expect("a tag");
        crate::lock::push_with_config(&reg, repo, tag, &config);
        // df2llb reads the same bytes the registry serves.
        let layer = format!("{repo} layer\n");
        let layer_id = format!("sha256:{:x}", sha2::Sha256::digest(layer.as_bytes()));
        std::fs::write(configs.join(&file), config.replace("@LAYER@", &layer_id))
            .expect("write config");
        served.insert(reference.clone(), (host.to_string(), from_rig));
    }
    let mut mirrors: Vec<String> = served
        .values()
        .map(|(host, _)| format!("{host}={}", reg.host))
        .collect();
    mirrors.sort();
    mirrors.dedup();
    let mut compared = Vec::new();
    for (name, spec, flags, selection, _) in &cases {
        let spec_dir = spec.parent().expect("spec dir");
        let mut args: Vec<String> = vec!["compile".into(), "build.kdl".into()];
        args.extend(flags.iter().cloned());
        let dockerfile = crate::lock::msbc_env(
            spec_dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &[],
        );
        assert_eq!(dockerfile.status, 0, "{name}: {}", dockerfile.stderr);
        args.extend(["--emit".into(), "image-config".into()]);
        for m in &mirrors {
            args.extend(["--mirror".into(), m.clone()]);
        }
        let cache = dir.join("cache");
        let cache = cache.to_string_lossy().into_owned();
        let ours = crate::lock::msbc_env(
            spec_dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &[("MSBC_CACHE_DIR", cache.as_str())],
        );
        assert_eq!(ours.status, 0, "{name}: {}", ours.stderr);
        let mut df_args: Vec<String> = Vec::new();
        if let Some(t) = &selection.target {
            df_args.extend(["-target".to_string(), t.clone()]);
        }
        for (k, v) in &selection.args {
            df_args.extend(["-build-arg".to_string(), format!("{k}={v}")]);
        }
        let out_file = dir.join(format!("{name}.df2llb-config.json"));
        df_args.extend([
            "-config-dir".to_string(),
            configs.to_string_lossy().into_owned(),
            "-image-config-out".to_string(),
            out_file.to_string_lossy().into_owned(),
        ]);
        let mut child = std::process::Command::new(&df2llb)
            .args(&df_args)
            .env_remove("DF2LLB_CONFIG_DIR")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("df2llb starts");
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(dockerfile.stdout.as_bytes())
                .expect("write Dockerfile");
        }
        let done = child.wait_with_output().expect("df2llb finishes");
        assert!(
            done.status.success(),
            "{name}: df2llb: {}",
            String::from_utf8_lossy(&done.stderr)
        );
        let theirs: Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).expect("df2llb's config"))
                .expect("JSON");
        let mine: Value = serde_json::from_str(&ours.stdout).expect("msbc's config is JSON");
        let mut differ = Vec::new();
        for key in CONFIG_KEYS.into_iter().chain(["OnBuild"]) {
            let (a, b) = (&mine["config"][key], &theirs["config"][key]);
            // An empty list or map is no value, in either.
            let none = |v: &Value| {
                v.is_null()
                    || v.as_object().is_some_and(|o| o.is_empty())
                    || (key != "Cmd"
                        && key != "Entrypoint"
                        && v.as_array().is_some_and(|a| a.is_empty()))
                    || v.as_str() == Some("")
            };
            if a != b && !(none(a) && none(b)) {
                differ.push(format!("  {key}: msbc {a} / BuildKit {b}"));
            }
        }
        assert!(
            differ.is_empty(),
            "{name}: msbc's image config differs from BuildKit's frontend:\n{}",
            differ.join("\n")
        );
        compared.push(name.clone());
    }
    let rig_images = served.values().filter(|(_, r)| *r).count();
    eprintln!(
        "image configs compared with BuildKit's frontend: {} cases of {} specs; {} base images served ({rig_images} from the rig, {} official-like)",
        compared.len(),
        crate::support::spec_files().len(),
        served.len(),
        served.len() - rig_images
    );
    assert_eq!(compared.len(), cases.len());
}
