//! The build's options ([`crate::ir::BuildOptions`]) applied while the ops
//! are made: the net mode of runs, `ignore_cache` of no-cache stages, named
//! contexts in place of images, labels in the image config.

use super::super::{BaseConfig, BaseConfigs, Llb, Options, compile, pb};
use crate::compile as pipeline;
use crate::domain::{ImageRef, Platform};
use crate::ir::{BuildOptions, NamedContext, NetMode, NoCache};
use crate::lower::{Selection, select};
use prost::Message;
use std::collections::BTreeMap;

/// `text` as the frontend keys and names images: normalized.
fn image(text: &str) -> ImageRef {
    ImageRef::parse(text).expect("a reference").normalized()
}

fn lowered(spec: &str, options: Options) -> Llb {
    let model = pipeline::check(spec.as_bytes()).model.expect("a model");
    let build = select(&model, &Selection::default()).expect("selects");
    compile(&build, &options).expect("lowers")
}

fn with(build: BuildOptions) -> Options {
    Options {
        source_name: "build.kdl".to_string(),
        build,
        ..Options::default()
    }
}

fn ops(llb: &Llb) -> Vec<(String, pb::Op)> {
    llb.definition
        .def
        .iter()
        .map(|b| {
            (
                super::digest(b),
                pb::Op::decode(b.as_slice()).expect("an op"),
            )
        })
        .collect()
}

fn name(llb: &Llb, digest: &str) -> String {
    llb.definition
        .metadata
        .get(digest)
        .and_then(|m| m.description.get("llb.customname"))
        .cloned()
        .unwrap_or_default()
}

const TWO_RUNS: &str = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    run \"a\"\n    run \"b\" network=\"none\"\n}\n";

#[test]
fn a_network_mode_reaches_every_run_that_sets_none() {
    let plain = lowered(TWO_RUNS, with(BuildOptions::default()));
    let host = lowered(
        TWO_RUNS,
        with(BuildOptions {
            network: NetMode::Host,
            ..BuildOptions::default()
        }),
    );
    let nets = |llb: &Llb| -> Vec<i32> {
        ops(llb)
            .into_iter()
            .filter_map(|(_, op)| match op.kind {
                Some(pb::op::Kind::Exec(e)) => Some(e.network),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        nets(&plain),
        [pb::NetMode::Unset as i32, pb::NetMode::None as i32]
    );
    assert_eq!(
        nets(&host),
        [pb::NetMode::Host as i32, pb::NetMode::None as i32]
    );
    // Every input names an op written before it, and the caps follow.
    let all = ops(&host);
    for (i, (d, op)) in all.iter().enumerate() {
        for input in &op.inputs {
            assert!(all[..i].iter().any(|(e, _)| *e == input.digest), "op {i}");
        }
        if matches!(op.kind, Some(pb::op::Kind::Exec(_))) {
            let caps = &host.definition.metadata[d].caps;
            assert!(caps.contains_key("exec.meta.network"), "{caps:?}");
        }
    }
}

const TWO_STAGES: &str = "msbc 1\nstage build from=\"golang:1.23\" {\n    copy \"main.go\" to=\"/src/\"\n    run \"go build\"\n}\nimage app from=\"debian:bookworm-slim\" {\n    copy from=build \"/out\" to=\"/app\"\n    run \"true\"\n}\n";

/// The ops marked to run again, by name.
fn fresh(llb: &Llb) -> Vec<String> {
    let mut out: Vec<String> = ops(llb)
        .iter()
        .filter(|(d, _)| {
            llb.definition
                .metadata
                .get(d)
                .is_some_and(|m| m.ignore_cache)
        })
        .map(|(d, _)| name(llb, d))
        .collect();
    out.sort();
    out
}

#[test]
fn no_cache_marks_the_ops_of_the_stages_it_names() {
    let none = lowered(TWO_STAGES, with(BuildOptions::default()));
    assert!(fresh(&none).is_empty());
    let all = lowered(
        TWO_STAGES,
        with(BuildOptions {
            no_cache: NoCache::All,
            ..BuildOptions::default()
        }),
    );
    assert_eq!(
        fresh(&all),
        [
            "[app 1/3] FROM docker.io/library/debian:bookworm-slim",
            "[app 2/3] COPY --from=build /out /app",
            "[app 3/3] RUN true",
            "[build 1/3] FROM docker.io/library/golang:1.23",
            "[build 2/3] COPY main.go /src/",
            "[build 3/3] RUN go build",
        ],
        "every op but the build context's and the terminal one"
    );
    let build = lowered(
        TWO_STAGES,
        with(BuildOptions {
            no_cache: NoCache::Stages(["build".to_string()].into()),
            ..BuildOptions::default()
        }),
    );
    assert_eq!(
        fresh(&build),
        [
            "[build 1/3] FROM docker.io/library/golang:1.23",
            "[build 2/3] COPY main.go /src/",
            "[build 3/3] RUN go build",
        ]
    );
    // Only metadata changes: the same ops, the same digests.
    assert_eq!(none.definition.def, build.definition.def);
}

#[test]
fn a_named_context_replaces_the_image_it_names() {
    let spec = "msbc 1\nstage tools from=\"alpine:3.20\" {\n    run \"true\"\n}\nimage app from=\"golang:1.23\" {\n    copy from=tools \"/bin/true\" to=\"/t\"\n    copy from=\"busybox:1\" \"/bin/sh\" to=\"/sh\"\n}\n";
    let mut configs = BaseConfigs::new();
    let mut config = BaseConfig::from_json(
        br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"diff_ids":["sha256:00"]}}"#,
    )
    .expect("a config");
    config.digest = Some("sha256:aaaa".to_string());
    configs.insert(
        "docker.io/library/golang:1.23",
        &Platform::default_target(),
        config,
    );
    let contexts = BTreeMap::from([
        (
            image("golang:1.23"),
            NamedContext::Image(image("mirror.example/go:1.23")),
        ),
        (
            image("alpine:3.20"),
            NamedContext::Local("alpine-root".to_string()),
        ),
        (
            image("nginx:1"),
            NamedContext::Image(image("mirror.example/nginx:1")),
        ),
    ]);
    let llb = compile(
        &select(
            &pipeline::check(spec.as_bytes()).model.expect("a model"),
            &Selection::default(),
        )
        .expect("selects"),
        &Options {
            source_name: "build.kdl".to_string(),
            base_configs: configs,
            build: BuildOptions {
                contexts,
                ..BuildOptions::default()
            },
            ..Options::default()
        },
    )
    .expect("lowers");
    let mut sources: Vec<(String, bool)> = ops(&llb)
        .into_iter()
        .filter_map(|(_, op)| match op.kind {
            Some(pb::op::Kind::Source(s)) => Some((s.identifier, op.platform.is_some())),
            _ => None,
        })
        .collect();
    sources.sort();
    assert_eq!(
        sources,
        [
            // The digest the spec's image resolved to stays on its stand-in.
            (
                "docker-image://docker.io/library/busybox:1".to_string(),
                true
            ),
            (
                "docker-image://mirror.example/go:1.23@sha256:aaaa".to_string(),
                true
            ),
            ("local://alpine-root".to_string(), false),
        ]
    );
    assert_eq!(
        llb.used_contexts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "docker.io/library/alpine:3.20",
            "docker.io/library/golang:1.23"
        ],
        "nginx is pulled by nothing"
    );
}

#[test]
fn labels_join_the_image_config() {
    let spec = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    label a=\"spec\" keep=\"1\"\n    env K=\"v\"\n}\n";
    let llb = lowered(
        spec,
        with(BuildOptions {
            labels: BTreeMap::from([
                ("a".to_string(), "b c".to_string()),
                ("z".to_string(), "2".to_string()),
            ]),
            ..BuildOptions::default()
        }),
    );
    let v: serde_json::Value = serde_json::from_str(&llb.image_config).expect("JSON");
    assert_eq!(
        v["config"]["Labels"],
        serde_json::json!({"a": "b c", "keep": "1", "z": "2"})
    );
    assert_eq!(v["config"]["Env"][1], "K=v");
    // The ops do not change.
    let plain = lowered(spec, with(BuildOptions::default()));
    assert_eq!(plain.definition, llb.definition);
}

const DATED: &str = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    workdir \"/app\"\n    copy \"main.go\" to=\"./\"\n    run \"make\"\n    env K=\"v\"\n    user \"1000\"\n}\n";

fn debian(history: &str) -> BaseConfigs {
    let json = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"diff_ids":["sha256:00"]}},"history":{history}}}"#
    );
    let mut configs = BaseConfigs::new();
    configs.insert(
        "docker.io/library/debian:bookworm-slim",
        &Platform::default_target(),
        BaseConfig::from_json(json.as_bytes()).expect("a config"),
    );
    configs
}

const DEBIAN_HISTORY: &str = r##"[{"created":"2024-01-01T00:00:00Z","created_by":"# debian.sh","comment":"debuerreotype"}]"##;

/// `SOURCE_DATE_EPOCH`: the config's `created` time and a history that
/// continues the base image's, one entry per step dated by it (layers for
/// the steps that make one), as BuildKit's Dockerfile frontend writes them;
/// a WORKDIR's directory is dated too.
#[test]
fn source_date_epoch_dates_the_config_and_its_history() {
    let options = |epoch: Option<i64>, history: &str| Options {
        source_name: "build.kdl".to_string(),
        base_configs: debian(history),
        build: BuildOptions {
            epoch,
            ..BuildOptions::default()
        },
        ..Options::default()
    };
    let dated = lowered(DATED, options(Some(1_700_000_000), DEBIAN_HISTORY));
    let v: serde_json::Value = serde_json::from_str(&dated.image_config).expect("JSON");
    assert_eq!(v["created"], "2023-11-14T22:13:20Z");
    let history = v["history"].as_array().expect("a history");
    let entries: Vec<(String, bool)> = history
        .iter()
        .map(|h| {
            (
                h["created_by"].as_str().unwrap_or_default().to_string(),
                h["empty_layer"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("# debian.sh".to_string(), false),
            ("WORKDIR /app".to_string(), false),
            ("COPY main.go ./ # buildkit".to_string(), false),
            ("RUN /bin/sh -c make # buildkit".to_string(), false),
            ("ENV K=v".to_string(), true),
            ("USER 1000".to_string(), true),
        ]
    );
    assert_eq!(
        history[0]["created"], "2024-01-01T00:00:00Z",
        "the base's own"
    );
    assert!(
        history[1..]
            .iter()
            .all(|h| h["created"] == "2023-11-14T22:13:20Z"
                && h["comment"] == "buildkit.dockerfile.v0"),
        "{history:?}"
    );
    let mkdir_times: Vec<i64> = ops(&dated)
        .into_iter()
        .filter_map(|(_, op)| match op.kind {
            Some(pb::op::Kind::File(f)) => f.actions.into_iter().find_map(|a| match a.action {
                Some(pb::file_action::Action::Mkdir(m)) => Some(m.timestamp),
                _ => None,
            }),
            _ => None,
        })
        .collect();
    assert_eq!(mkdir_times, [1_700_000_000_000_000_000]);

    // Without it: no time anywhere, as before.
    let plain = lowered(DATED, options(None, DEBIAN_HISTORY));
    let v: serde_json::Value = serde_json::from_str(&plain.image_config).expect("JSON");
    assert!(
        v.get("created").is_none() && v.get("history").is_none(),
        "{v}"
    );
    assert!(plain.dump().contains("\"timestamp\": -1"));

    // A base whose history does not account for its layers: the time, and
    // the history left to BuildKit's exporter (which rebuilds it from the
    // layers).
    let unknown = lowered(DATED, options(Some(1_700_000_000), "[]"));
    let v: serde_json::Value = serde_json::from_str(&unknown.image_config).expect("JSON");
    assert_eq!(v["created"], "2023-11-14T22:13:20Z");
    assert!(v.get("history").is_none(), "{v}");
}

/// Runs that do not name it: `pip install` (CPython's bytecode) and
/// `useradd` (shadow's dates) read it from the environment.
const EPOCH_DECLARED: &str = "msbc 1\narg SOURCE_DATE_EPOCH\nstage deps from=\"debian:bookworm-slim\" {\n    run \"pip install flask\"\n}\nimage app from=deps {\n    run \"useradd app\"\n    user \"app\"\n}\n";

/// The env of each exec op, in the definition's order.
fn run_envs(llb: &Llb) -> Vec<Vec<String>> {
    ops(llb)
        .into_iter()
        .filter_map(|(_, op)| match op.kind {
            Some(pb::op::Kind::Exec(e)) => e.meta.map(|m| m.env),
            _ => None,
        })
        .collect()
}

/// A declared `SOURCE_DATE_EPOCH` reaches every run when the build has one,
/// and is unset (not an error: no required arg) when it has none, as after
/// a Dockerfile's `ARG SOURCE_DATE_EPOCH`.
#[test]
fn a_declared_source_date_epoch_reaches_every_run_when_passed_and_is_unset_otherwise() {
    let model = pipeline::check(EPOCH_DECLARED.as_bytes())
        .model
        .expect("a model");
    let mut build = select(&model, &Selection::default()).expect("selects");
    let options = with(BuildOptions::default());
    let unset = compile(&build, &options).expect("lowers without the epoch");
    let envs = run_envs(&unset);
    assert_eq!(envs.len(), 2, "{envs:?}");
    assert!(
        envs.iter()
            .flatten()
            .all(|e| !e.starts_with("SOURCE_DATE_EPOCH")),
        "{envs:?}"
    );
    build.args = crate::lock::with_overrides(
        &build.args,
        &[("SOURCE_DATE_EPOCH".into(), "1700000000".into())],
    );
    let passed = compile(&build, &options).expect("lowers with the epoch");
    let envs = run_envs(&passed);
    assert_eq!(envs.len(), 2, "{envs:?}");
    assert!(
        envs.iter()
            .all(|env| env.contains(&"SOURCE_DATE_EPOCH=1700000000".to_string())),
        "{envs:?}"
    );
    // Not declared: the runs never get it.
    let undeclared = lowered(
        &EPOCH_DECLARED.replace("arg SOURCE_DATE_EPOCH\n", ""),
        with(BuildOptions::default()),
    );
    assert!(
        run_envs(&undeclared)
            .iter()
            .flatten()
            .all(|e| !e.starts_with("SOURCE_DATE_EPOCH")),
    );
}
