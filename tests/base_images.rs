//! Base-image configs in the LLB route (issue 12): each stage starts from
//! its base image's config as BuildKit's Dockerfile frontend does (runs see
//! its env, working directory and user; a stage on a stage inherits), and
//! the image config is the base's with the spec's changes applied (env
//! merged by key, an entrypoint dropping the inherited cmd, labels and
//! ports added). The configs here are laid out like the official images'.

use msbc::backend::llb::{BaseConfig, BaseConfigs, Pull};
use msbc::compile::{self, Emit};
use msbc::lower::{Model, Selection};
use serde_json::Value;

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
        "linux/amd64",
        golang(),
    );
    c.insert(
        "gcr.io/distroless/static-debian12:nonroot",
        "linux/amd64",
        distroless(),
    );
    c
}

fn emit(selection: &Selection, what: Emit, configs: &BaseConfigs) -> String {
    compile::emit_with(&model(), selection, what, "build.kdl", configs)
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
    let pulls = compile::pulls(&m, &Selection::default()).expect("pulls");
    let want = |r: &str| Pull {
        reference: r.to_string(),
        platform: "linux/amd64".to_string(),
    };
    assert_eq!(
        pulls,
        vec![
            want("docker.io/library/golang:1.23-bookworm"),
            want("gcr.io/distroless/static-debian12:nonroot")
        ]
    );
    let arm = Selection {
        platform: Some("linux/arm64".into()),
        target: Some("build".into()),
        ..Selection::default()
    };
    let pulls = compile::pulls(&m, &arm).expect("pulls");
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].platform, "linux/arm64");
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
        "linux/amd64",
        empty,
    );
    let dump = emit(&Selection::default(), Emit::LlbJson, &configs);
    assert!(!dump.contains("docker-image://gcr.io"), "{dump}");
    let config: Value =
        serde_json::from_str(&emit(&Selection::default(), Emit::ImageConfig, &configs))
            .expect("JSON");
    assert_eq!(config["config"]["User"], "65532");
}
