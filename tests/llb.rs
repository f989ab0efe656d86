//! The LLB backend: every spec's LLB dump and image config snapshotted;
//! bytes deterministic; every Definition decoded by a protobuf reader
//! written here (not the compiler's prost types) and, where installed, by
//! `protoc` with `tests/tools/llb.proto`: digests match the bytes, inputs
//! come first, one terminal op last, no stage the target does not need.
//! With a real BuildKit (`buildctl`, `BUILDKIT_HOST`) the output is also
//! read by `buildctl debug dump-llb` and built; without, those skip.

use crate::support::{CONFIG_KEYS, output_with_stdin, root, spec_files, spec_name};
use msbc::backend::llb::{BaseConfig, BaseConfigs};
use msbc::compile::{self, Emit};
use msbc::ir::StageId;
use msbc::lower::{self, Model, Selection};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn model(path: &Path) -> Model {
    let bytes = std::fs::read(path).expect("spec readable");
    let checked = compile::check(&bytes);
    assert!(
        !checked.diagnostics.has_errors(),
        "{} has errors",
        path.display()
    );
    checked.model.expect("a model")
}

/// The default selection, with a value for every arg that has no default
/// (LLB needs them all resolved) but `SOURCE_DATE_EPOCH`, which is unset
/// when not passed: the snapshots show a build without it.
pub(crate) fn selection(model: &Model) -> Selection {
    Selection {
        args: model
            .args
            .iter()
            .filter(|a| a.default.is_none() && a.name != msbc::ir::EPOCH_ARG)
            .map(|a| (a.name.clone(), format!("example-{}", a.name.to_lowercase())))
            .collect(),
        ..Selection::default()
    }
}

fn emit(model: &Model, selection: &Selection, emit: Emit) -> compile::Output {
    compile::emit(model, selection, emit, "build.kdl").expect("emits")
}

fn llb_bytes(model: &Model, selection: &Selection) -> Vec<u8> {
    emit(model, selection, Emit::Llb)
        .binary
        .expect("LLB output is binary")
}

/// A spec that uses what the example specs do not: a `#!` script, a
/// relative workdir, every mount type with its options, `--link` copies
/// onto scratch, names in `chown`, a workdir under a non-root user.
const EDGE_SPEC: &str = r#"msbc 1
arg BASE "debian:bookworm-slim"
arg LEVEL "3"
context { ignore ".git" "*.log" }

stage tools from="${BASE}" platform="${BUILDPLATFORM}" {
    workdir "work"
    env GREETING="hi ${LEVEL}" EMPTY=""
    run """
        #!/bin/sh
        echo "$GREETING ${EMPTY:-none}" > /greeting
        """
    run "cat /run/secrets/token || true" {
        secret "token"
        secret "api" env="API_KEY"
        ssh id="gh" target="/run/ssh.sock"
        ssh
        tmpfs "/scratch" size="1g"
        cache "/cache" sharing="private"
        bind "/src" source="sub" rw=#true
    }
    user "nobody"
    workdir "/home/x"
}

stage files from="scratch" {
    copy from=tools "/greeting" to="/out/" link=#true
    copy "a.txt" "b.txt" to="/out" chown="app:staff" link=#true
}

image final from="alpine:3.20" {
    copy from=files "/out" to="/srv/"
    copy from=tools "/greeting" to="/srv/g" link=#true
    workdir "/srv"
    user "10001"
    entrypoint "cat" "g"
}
"#;

/// Source attributes the comparison with BuildKit's frontend sets aside
/// for a case, beyond `local.excludepatterns` (see
/// `llb_is_what_buildkits_frontend_makes_of_the_dockerfile`).
fn frontend_ignores(name: &str) -> Option<&'static [&'static str]> {
    match name {
        // The frontend follows the whole context when a run has a tmpfs
        // mount (it records the tmpfs's empty source as `/`); msbc lists
        // the paths the build reads.
        "inline-edge" => Some(&["local.followpaths"]),
        // df2llb makes the build platform the target platform; a real
        // buildkitd (and msbc) build `${BUILDPLATFORM}` stages on the
        // worker's platform. Not comparable.
        "inline-edge--platform-arm" => None,
        // The frontend makes no ops at all for `FROM scratch` with only
        // config, which BuildKit then refuses to build from raw LLB; msbc
        // writes an empty directory (see `inline-scratch`).
        "inline-scratch" => None,
        _ => Some(&[]),
    }
}

/// Every spec with the selections worth checking: the default, and each
/// target-only stage by name; and the inline edge spec.
pub(crate) fn cases() -> Vec<(String, Model, Selection)> {
    let mut out = Vec::new();
    for spec in spec_files() {
        let m = model(&spec);
        let base = selection(&m);
        out.push((spec_name(&spec), m.clone(), base.clone()));
        for stage in &m.stages {
            if stage.target_only {
                let s = Selection {
                    target: Some(stage.name.clone()),
                    ..base.clone()
                };
                out.push((
                    format!("{}--target-{}", spec_name(&spec), stage.name),
                    m.clone(),
                    s,
                ));
            }
        }
    }
    let checked = compile::check(EDGE_SPEC.as_bytes());
    assert!(
        !checked.diagnostics.has_errors(),
        "the edge spec has errors"
    );
    let m = checked.model.expect("a model");
    out.push(("inline-edge".to_string(), m.clone(), Selection::default()));
    let arm = Selection {
        platform: "linux/arm/v7".parse().ok(),
        ..Selection::default()
    };
    out.push(("inline-edge--platform-arm".to_string(), m, arm));
    let checked = compile::check(SCRATCH_SPEC.as_bytes());
    assert!(
        !checked.diagnostics.has_errors(),
        "the scratch spec has errors"
    );
    let m = checked.model.expect("a model");
    out.push(("inline-scratch".to_string(), m, Selection::default()));
    out
}

/// An image with no files at all.
const SCRATCH_SPEC: &str = r#"msbc 1
image empty from="scratch" {
    user "10001"
    cmd "/nothing"
}
"#;

// ---- an independent reader of the protobuf wire format ------------------

#[derive(Debug, Clone)]
enum Val<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return value;
        }
        shift += 7;
        assert!(shift < 64, "varint too long");
    }
}

/// The fields of one message, in order; panics on anything malformed or
/// on wire types msbc never writes.
fn fields(buf: &[u8]) -> Vec<(u64, Val<'_>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos);
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => out.push((number, Val::Varint(varint(buf, &mut pos)))),
            2 => {
                let len = varint(buf, &mut pos) as usize;
                assert!(pos + len <= buf.len(), "length past the end");
                out.push((number, Val::Bytes(&buf[pos..pos + len])));
                pos += len;
            }
            other => panic!("unexpected wire type {other} for field {number}"),
        }
    }
    out
}

fn bytes_of<'a>(fs: &[(u64, Val<'a>)], n: u64) -> Vec<&'a [u8]> {
    fs.iter()
        .filter(|(k, _)| *k == n)
        .map(|(_, v)| match v {
            Val::Bytes(b) => *b,
            Val::Varint(_) => panic!("field {n} is not length-delimited"),
        })
        .collect()
}

fn int_of(fs: &[(u64, Val<'_>)], n: u64) -> i64 {
    fs.iter()
        .rev()
        .find(|(k, _)| *k == n)
        .map(|(_, v)| match v {
            Val::Varint(x) => *x as i64,
            Val::Bytes(_) => panic!("field {n} is not a varint"),
        })
        .unwrap_or(0)
}

fn str_of(fs: &[(u64, Val<'_>)], n: u64) -> String {
    bytes_of(fs, n)
        .last()
        .map(|b| String::from_utf8(b.to_vec()).expect("utf-8"))
        .unwrap_or_default()
}

fn sha256(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// One op as read back.
#[derive(Debug)]
struct DecodedOp {
    digest: String,
    inputs: Vec<(String, i64)>,
    /// 2 exec, 3 source, 4 file, 6 merge; None for the terminal op.
    kind: Option<u64>,
    customname: Option<String>,
    source: Option<String>,
}

/// Decodes a Definition and checks every structural rule BuildKit has
/// (and msbc's own): digests, order, terminal op, indices.
fn decode_and_check(name: &str, def: &[u8]) -> Vec<DecodedOp> {
    let top = fields(def);
    for (k, _) in &top {
        assert!(
            *k == 1 || *k == 2,
            "{name}: unexpected Definition field {k}"
        );
    }
    let mut metadata: HashMap<String, HashMap<String, String>> = HashMap::new();
    for entry in bytes_of(&top, 2) {
        let e = fields(entry);
        let key = str_of(&e, 1);
        let mut description = HashMap::new();
        for value in bytes_of(&e, 2) {
            for d in bytes_of(&fields(value), 2) {
                let kv = fields(d);
                description.insert(str_of(&kv, 1), str_of(&kv, 2));
            }
        }
        metadata.insert(key, description);
    }
    let defs = bytes_of(&top, 1);
    if defs.is_empty() {
        return Vec::new();
    }
    assert!(defs.len() >= 2, "{name}: BuildKit needs at least two ops");
    let mut seen: Vec<String> = Vec::new();
    let mut ops = Vec::new();
    for (i, bytes) in defs.iter().enumerate() {
        let digest = sha256(bytes);
        assert!(!seen.contains(&digest), "{name}: op {i} appears twice");
        let f = fields(bytes);
        let inputs: Vec<(String, i64)> = bytes_of(&f, 1)
            .into_iter()
            .map(|b| {
                let inp = fields(b);
                (str_of(&inp, 1), int_of(&inp, 2))
            })
            .collect();
        for (d, index) in &inputs {
            assert!(
                seen.contains(d),
                "{name}: op {i} uses {d}, which is not an earlier op"
            );
            assert_eq!(*index, 0, "{name}: msbc's ops have one output");
        }
        let kinds: Vec<u64> = f
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| (2..=8).contains(k))
            .collect();
        assert!(kinds.len() <= 1, "{name}: op {i} has several kinds");
        let kind = kinds.first().copied();
        let last = i + 1 == defs.len();
        if last {
            assert_eq!(kind, None, "{name}: the last op must be the terminal op");
            assert_eq!(inputs.len(), 1, "{name}: the terminal op has one input");
            assert!(
                f.iter().all(|(k, _)| *k == 1),
                "{name}: terminal op has only inputs"
            );
        } else {
            assert!(kind.is_some(), "{name}: op {i} has no kind but is not last");
        }
        let body = kind.map(|k| bytes_of(&f, k)[0]);
        match (kind, body) {
            (Some(2), Some(exec)) => check_exec(name, i, exec, inputs.len()),
            (Some(4), Some(file)) => check_file(name, i, file, inputs.len()),
            (Some(6), Some(merge)) => {
                for m in bytes_of(&fields(merge), 1) {
                    let input = int_of(&fields(m), 1);
                    assert!(
                        (0..inputs.len() as i64).contains(&input),
                        "{name}: merge input"
                    );
                }
            }
            (Some(3), Some(source)) => {
                let s = fields(source);
                let id = str_of(&s, 1);
                assert!(
                    id.starts_with("docker-image://") || id == "local://context",
                    "{name}: source {id}"
                );
                for attr in bytes_of(&s, 2) {
                    let kv = fields(attr);
                    // No random attrs: the context's name is its folder's.
                    if str_of(&kv, 1) == "local.unique" {
                        assert!(
                            str_of(&kv, 2).starts_with("msbc-context-"),
                            "{name}: local.unique {}",
                            str_of(&kv, 2)
                        );
                    }
                }
                if let Some(image) = id.strip_prefix("docker-image://") {
                    let first = image.split('/').next().unwrap_or("");
                    assert!(
                        first.contains('.') || first.contains(':') || first == "localhost",
                        "{name}: {image} is not normalized"
                    );
                    let platform = fields(bytes_of(&f, 10)[0]);
                    assert!(!str_of(&platform, 1).is_empty() && !str_of(&platform, 2).is_empty());
                }
            }
            (None, None) => {}
            other => panic!("{name}: op {i} of an unexpected kind {other:?}"),
        }
        let description = metadata.get(&digest);
        if !last {
            let d = description.unwrap_or_else(|| panic!("{name}: op {i} has no metadata"));
            assert!(d.contains_key("llb.customname"), "{name}: op {i} unnamed");
        }
        ops.push(DecodedOp {
            digest: digest.clone(),
            inputs,
            kind,
            customname: description.and_then(|d| d.get("llb.customname").cloned()),
            source: description.and_then(|d| d.get("msbc.source").cloned()),
        });
        seen.push(digest);
    }
    for key in metadata.keys() {
        assert!(
            seen.contains(key),
            "{name}: metadata for an unknown op {key}"
        );
    }
    // Every op is needed: reachable from the terminal op.
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = vec![ops[ops.len() - 1].digest.as_str()];
    while let Some(d) = todo.pop() {
        if reached.insert(d) {
            let op = ops.iter().find(|o| o.digest == d).expect("known op");
            todo.extend(op.inputs.iter().map(|(i, _)| i.as_str()));
        }
    }
    for (i, op) in ops.iter().enumerate() {
        assert!(
            reached.contains(op.digest.as_str()),
            "{name}: op {i} ({:?}) is not used by the result",
            op.customname
        );
    }
    ops
}

fn check_exec(name: &str, i: usize, exec: &[u8], n_inputs: usize) {
    let e = fields(exec);
    let meta = fields(bytes_of(&e, 1)[0]);
    let args: Vec<String> = bytes_of(&meta, 1)
        .iter()
        .map(|b| String::from_utf8(b.to_vec()).expect("utf-8"))
        .collect();
    assert!(!args.is_empty(), "{name}: op {i} runs nothing");
    let env: Vec<String> = bytes_of(&meta, 2)
        .iter()
        .map(|b| String::from_utf8(b.to_vec()).expect("utf-8"))
        .collect();
    assert!(
        env.iter().any(|e| e.starts_with("PATH=")),
        "{name}: op {i} has no PATH"
    );
    let mounts = bytes_of(&e, 2);
    let mut root = false;
    let mut dests = Vec::new();
    for m in mounts {
        let m = fields(m);
        let input = int_of(&m, 1);
        assert!(
            input == -1 || (0..n_inputs as i64).contains(&input),
            "{name}: op {i} mount input {input}"
        );
        let dest = str_of(&m, 3);
        if dest == "/" {
            root = true;
            assert_eq!(int_of(&m, 4), 0, "{name}: the rootfs is output 0");
        }
        let kind = int_of(&m, 6);
        if kind == 3 || kind == 4 || int_of(&m, 5) == 1 {
            assert_eq!(int_of(&m, 4), -1, "{name}: op {i}: {dest} has no output");
        }
        dests.push((kind, dest));
    }
    assert!(root, "{name}: op {i} has no mount at /");
    let binds: Vec<&String> = dests
        .iter()
        .filter(|(k, _)| *k == 0 || *k == 3 || *k == 4)
        .map(|(_, d)| d)
        .collect();
    let mut sorted = binds.clone();
    sorted.sort();
    assert_eq!(binds, sorted, "{name}: op {i}: mounts sorted by target");
}

fn check_file(name: &str, i: usize, file: &[u8], n_inputs: usize) {
    let actions = bytes_of(&fields(file), 2);
    assert!(!actions.is_empty(), "{name}: op {i} has no actions");
    let n = n_inputs as i64;
    for (k, a) in actions.iter().enumerate() {
        let a = fields(a);
        let limit = n + k as i64;
        for field in [1, 2] {
            let v = int_of(&a, field);
            assert!(
                v == -1 || (0..limit).contains(&v),
                "{name}: op {i} action {k} index {v}"
            );
        }
        let output = int_of(&a, 3);
        let want = if k + 1 == actions.len() { 0 } else { -1 };
        assert_eq!(output, want, "{name}: op {i} action {k} output");
        if let Some(copy) = bytes_of(&a, 4).first() {
            let c = fields(copy);
            assert!(str_of(&c, 1).starts_with('/') && str_of(&c, 2).starts_with('/'));
            assert_eq!(int_of(&c, 11), -1, "{name}: timestamp unset is -1");
            let mode = int_of(&c, 4);
            assert!(
                mode == -1 || (0..=0o7777).contains(&mode),
                "{name}: mode {mode}"
            );
        }
        if let Some(mkdir) = bytes_of(&a, 6).first() {
            assert_eq!(
                int_of(&fields(mkdir), 5),
                -1,
                "{name}: timestamp unset is -1"
            );
        }
    }
}

/// Stage names the target needs, from the IR (not the backend): its base
/// chain and every stage a step reads.
fn needed_stage_names(model: &Model, selection: &Selection) -> BTreeSet<String> {
    let build = lower::select(model, selection).expect("selects");
    let mut out = BTreeSet::new();
    let mut todo: Vec<StageId> = vec![build.target];
    while let Some(id) = todo.pop() {
        if out.insert(build.stage(id).name.clone()) {
            todo.extend(build.stage(id).dependencies());
        }
    }
    out
}

fn stage_of(customname: &str) -> Option<&str> {
    let rest = customname.strip_prefix('[')?;
    let (stage, rest) = rest.split_once(' ')?;
    rest.split_once(']')?;
    (stage != "internal").then_some(stage)
}

// ---- tests ----------------------------------------------------------------

#[test]
fn every_spec_llb_dump_and_image_config_match_their_snapshots() {
    for (name, model, selection) in cases() {
        let dump = emit(&model, &selection, Emit::LlbJson).main;
        let config = emit(&model, &selection, Emit::ImageConfig).main;
        let config: serde_json::Value = serde_json::from_str(&config).expect("config is JSON");
        let config = serde_json::to_string_pretty(&config).expect("pretty");
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("llb__{name}"), dump);
            insta::assert_snapshot!(format!("image_config__{name}"), config);
        });
    }
}

#[test]
fn llb_is_deterministic() {
    for (name, model, selection) in cases() {
        let a = llb_bytes(&model, &selection);
        let b = llb_bytes(&model, &selection);
        assert_eq!(a, b, "{name}: two compilations differ");
    }
    // Through the binary, from two working directories: no paths leak in.
    let spec = root().join("specs/go-orders/build.kdl");
    let one = run_bytes(
        &root(),
        &[
            "compile",
            &spec.to_string_lossy(),
            "--emit",
            "llb",
            "--no-base-configs",
        ],
    );
    let dir = spec.parent().expect("dir");
    let two = run_bytes(
        dir,
        &["compile", "build.kdl", "--emit", "llb", "--no-base-configs"],
    );
    assert_eq!(one.0, 0);
    assert_eq!(one.1, two.1);
}

#[test]
fn every_definition_decodes_and_is_well_formed() {
    for (name, model, selection) in cases() {
        let bytes = llb_bytes(&model, &selection);
        let ops = decode_and_check(&name, &bytes);
        assert!(ops.len() >= 2, "{name}: no ops");
        // Each op's digest appears once; the dump lists the same digests.
        let dump = emit(&model, &selection, Emit::LlbJson).main;
        for op in &ops {
            assert!(
                dump.contains(&op.digest),
                "{name}: dump lacks {}",
                op.digest
            );
        }
        // Steps point at their build.kdl line.
        for op in ops.iter().filter(|o| o.kind.is_some()) {
            let named = op.customname.as_deref().unwrap_or("");
            if !named.starts_with("[internal]") && stage_of(named).is_some() {
                let src = op.source.as_deref().unwrap_or("");
                assert!(src.starts_with("build.kdl:"), "{name}: {named} has no line");
            }
        }
    }
}

#[test]
fn only_stages_the_target_needs_are_emitted() {
    for (name, model, selection) in cases() {
        let needed = needed_stage_names(&model, &selection);
        let bytes = llb_bytes(&model, &selection);
        let ops = decode_and_check(&name, &bytes);
        let emitted: BTreeSet<String> = ops
            .iter()
            .filter_map(|o| o.customname.as_deref().and_then(stage_of))
            .map(str::to_string)
            .collect();
        let extra: Vec<&String> = emitted.difference(&needed).collect();
        assert!(extra.is_empty(), "{name}: emits unneeded stages {extra:?}");
    }
    // The Go service: the test stage only when it is the target.
    let m = model(&root().join("specs/go-orders/build.kdl"));
    let names = |s: &Selection| {
        decode_and_check("go-orders", &llb_bytes(&m, s))
            .iter()
            .filter_map(|o| {
                o.customname
                    .as_deref()
                    .and_then(stage_of)
                    .map(str::to_string)
            })
            .collect::<BTreeSet<_>>()
    };
    let all: Vec<String> = names(&Selection::default()).into_iter().collect();
    assert_eq!(all, ["build", "deps", "orders"]);
    let test = names(&Selection {
        target: Some("test".into()),
        ..Selection::default()
    });
    assert!(test.contains("test") && !test.contains("orders"));
    // Stages that are in the Build only for other images or target-only
    // stages (tested-service: smoke, test, migrate) are not emitted.
    let m = model(&root().join("specs/tested-service/build.kdl"));
    let dump = emit(&m, &selection(&m), Emit::LlbJson).main;
    for stage in ["[test ", "[smoke ", "[migrate "] {
        assert!(!dump.contains(stage), "tested-service emits {stage}");
    }
}

#[test]
#[ignore = "needs protoc (apt-get install protobuf-compiler) to decode LLB independently"]
fn needs_protoc_decodes_every_definition() {
    crate::support::needs_protoc();
    let schema = root().join("tests/tools/llb.proto");
    let include = root().join("tests/tools");
    let dir = temp_dir("protoc");
    for (name, model, selection) in cases() {
        let bytes = llb_bytes(&model, &selection);
        let raw = protoc(&["--decode_raw"], &bytes);
        assert!(raw.0, "{name}: protoc --decode_raw fails: {}", raw.1);
        let proto_path = format!("--proto_path={}", include.display());
        let decoded = protoc(
            &[
                &proto_path,
                "--decode=pb.Definition",
                &schema.to_string_lossy(),
            ],
            &bytes,
        );
        assert!(
            decoded.0,
            "{name}: protoc --decode=pb.Definition fails: {}",
            decoded.1
        );
        assert!(decoded.1.contains("def: "), "{name}: {}", decoded.1);
        // Each op on its own: every field msbc writes is in the schema
        // (protoc prints unknown fields as bare numbers).
        for (i, op) in bytes_of(&fields(&bytes), 1).iter().enumerate() {
            let out = protoc(
                &[&proto_path, "--decode=pb.Op", &schema.to_string_lossy()],
                op,
            );
            assert!(out.0, "{name}: op {i} does not decode: {}", out.1);
            let unknown = out
                .1
                .lines()
                .find(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()));
            assert!(
                unknown.is_none(),
                "{name}: op {i} has a field outside the schema: {unknown:?}\n{}",
                out.1
            );
        }
        let _ = std::fs::write(dir.join(format!("{name}.llb")), &bytes);
    }
}

fn protoc(args: &[&str], input: &[u8]) -> (bool, String) {
    let out = output_with_stdin(Command::new("protoc").args(args), input);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn args_are_resolved_at_compile_time() {
    let m = model(&root().join("specs/go-orders/build.kdl"));
    let dump = emit(&m, &Selection::default(), Emit::LlbJson).main;
    assert!(dump.contains("docker-image://docker.io/library/golang:1.23-bookworm"));
    assert!(dump.contains("\"TARGETARCH=amd64\""));
    let s = Selection {
        args: vec![("GO_VERSION".into(), "1.22".into())],
        platform: "linux/arm64".parse().ok(),
        ..Selection::default()
    };
    let dump = emit(&m, &s, Emit::LlbJson).main;
    assert!(dump.contains("docker-image://docker.io/library/golang:1.22-bookworm"));
    // Build stages run on the build platform; the target is arm64.
    assert!(dump.contains("\"TARGETARCH=arm64\""));
    assert!(dump.contains("\"Architecture\": \"arm64\""));
    let config = emit(&m, &s, Emit::ImageConfig).main;
    assert!(config.starts_with("{\"architecture\":\"arm64\",\"os\":\"linux\""));
}

#[test]
fn a_required_arg_without_value_is_a_usage_error() {
    let m = model(&root().join("specs/tested-service/build.kdl"));
    let err = compile::emit(&m, &Selection::default(), Emit::Llb, "build.kdl")
        .expect_err("GIT_COMMIT has no value");
    let text = err.to_string();
    assert!(
        text.contains("GIT_COMMIT") && text.contains("--arg GIT_COMMIT="),
        "{text}"
    );
    // Located and coded (E0104: a required value is missing).
    assert!(text.starts_with("error[E0104]: build.kdl:"), "{text}");
    // The Dockerfile keeps the arg symbolic: no error there.
    assert!(compile::emit(&m, &Selection::default(), Emit::Dockerfile, "build.kdl").is_ok());
    let run = run_bytes(
        &root(),
        &["compile", "specs/tested-service", "--emit", "llb-json"],
    );
    assert_eq!(run.0, 2, "{}", run.2);
    assert!(run.2.contains("--arg GIT_COMMIT="), "{}", run.2);
}

#[test]
fn image_config_carries_what_the_dockerfile_sets() {
    let m = model(&root().join("specs/tested-service/build.kdl"));
    let s = Selection {
        args: vec![("GIT_COMMIT".into(), "abc123".into())],
        ..Selection::default()
    };
    let config: serde_json::Value =
        serde_json::from_str(&emit(&m, &s, Emit::ImageConfig).main).expect("JSON");
    let c = &config["config"];
    assert_eq!(c["User"], "ledger");
    assert_eq!(c["Entrypoint"][0], "/usr/local/bin/ledger");
    assert_eq!(c["Cmd"][0], "serve");
    assert_eq!(c["ExposedPorts"]["8080/tcp"], serde_json::json!({}));
    assert_eq!(c["Labels"]["org.opencontainers.image.revision"], "abc123");
    assert_eq!(c["Healthcheck"]["Test"][0], "CMD-SHELL");
    assert_eq!(c["Healthcheck"]["Interval"], 30_000_000_000i64);
    assert_eq!(c["Healthcheck"]["Retries"], 3);
    assert_eq!(
        c["Env"][0],
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    assert_eq!(c["Env"][1], "LEDGER_CONFIG=/etc/ledger/ledger.toml");
    // The migrate image disables the inherited health check.
    let s = Selection {
        image: Some("migrate".into()),
        ..s
    };
    let config: serde_json::Value =
        serde_json::from_str(&emit(&m, &s, Emit::ImageConfig).main).expect("JSON");
    assert_eq!(
        config["config"]["Healthcheck"]["Test"],
        serde_json::json!(["NONE"])
    );
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["migrate"]));
}

#[test]
fn llb_file_output_writes_the_config_beside_it_and_check_detects_drift() {
    let dir = temp_dir("out");
    let out = dir.join("orders.llb");
    let out_s = out.to_string_lossy().into_owned();
    let run = run_bytes(
        &root(),
        &[
            "compile",
            "specs/go-orders",
            "--emit",
            "llb",
            "--no-base-configs",
            "-o",
            &out_s,
        ],
    );
    assert_eq!(run.0, 0, "{}", run.2);
    let bytes = std::fs::read(&out).expect("written");
    decode_and_check("orders.llb", &bytes);
    let config = std::fs::read_to_string(dir.join("orders.llb.config.json")).expect("config");
    assert!(config.contains("\"Entrypoint\":[\"/usr/local/bin/server\"]"));
    let check = run_bytes(
        &root(),
        &[
            "compile",
            "specs/go-orders",
            "--emit",
            "llb",
            "--no-base-configs",
            "--check",
            &out_s,
        ],
    );
    assert_eq!(check.0, 0, "{}", check.2);
    std::fs::write(&out, b"stale").expect("write");
    let check = run_bytes(
        &root(),
        &[
            "compile",
            "specs/go-orders",
            "--emit",
            "llb",
            "--no-base-configs",
            "--check",
            &out_s,
        ],
    );
    assert_eq!(check.0, 1, "{}", check.2);
}

#[test]
fn llb_names_its_context_folder_so_two_folders_never_share_a_source() {
    // BuildKit runs equal ops of concurrent builds once: two folders' LLB
    // of one spec must differ in the context source, or both builds get one
    // folder's files. The name is the folder's, so a folder's output stays
    // the same.
    let top = temp_dir("owner");
    let (a, b) = (top.join("a"), top.join("b"));
    crate::support::copy_dir(&root().join("specs/go"), &a);
    crate::support::copy_dir(&root().join("specs/go"), &b);
    let emit = |dir: &std::path::Path| {
        let run = run_bytes(dir, &["compile", "--emit", "llb-json", "--no-base-configs"]);
        assert_eq!(run.0, 0, "{}", run.2);
        String::from_utf8(run.1).expect("UTF-8")
    };
    let unique = |json: &str| {
        let line = json
            .lines()
            .find(|l| l.contains("\"local.unique\""))
            .unwrap_or_else(|| panic!("no local.unique:\n{json}"));
        line.trim().to_string()
    };
    let (first, again, other) = (emit(&a), emit(&a), emit(&b));
    assert_eq!(first, again, "one folder, one output");
    assert_ne!(
        unique(&first),
        unique(&other),
        "two folders share a context source"
    );
    // A checked-in LLB names the folder it was written in: checked from
    // another checkout of the same spec, it is up to date.
    let file = top.join("a.llb");
    let file_s = file.to_string_lossy().into_owned();
    let write = run_bytes(
        &a,
        &[
            "compile",
            "--emit",
            "llb",
            "--no-base-configs",
            "-o",
            &file_s,
        ],
    );
    assert_eq!(write.0, 0, "{}", write.2);
    let check = run_bytes(
        &b,
        &[
            "compile",
            "--emit",
            "llb",
            "--no-base-configs",
            "--check",
            &file_s,
        ],
    );
    assert_eq!(check.0, 0, "{}", check.2);
    std::fs::write(top.join("a.json"), &first).expect("write");
    let json_s = top.join("a.json").to_string_lossy().into_owned();
    let check = run_bytes(
        &b,
        &[
            "compile",
            "--emit",
            "llb-json",
            "--no-base-configs",
            "--check",
            &json_s,
        ],
    );
    assert_eq!(check.0, 0, "{}", check.2);
}

#[test]
#[ignore = "needs `script` (util-linux) able to allocate a terminal"]
fn needs_terminal_binary_llb_is_refused_on_a_terminal() {
    // `script` gives the command a pseudo-terminal as stdout.
    crate::support::needs_terminal();
    let cmd = format!(
        "{} compile {} --emit llb",
        env!("CARGO_BIN_EXE_msbc"),
        root().join("specs/go-orders").display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("pipe it") && text.contains("-o FILE"),
        "{text}"
    );
}

// ---- with a real BuildKit -----------------------------------------------

#[test]
#[ignore = "needs buildctl on PATH (a current BuildKit)"]
fn needs_buildctl_reads_every_definition_as_msbc_dumps_it() {
    let buildctl = crate::support::needs_buildctl();
    let have_jq = Command::new("jq").arg("--version").output().is_ok();
    for (name, model, selection) in cases() {
        let bytes = llb_bytes(&model, &selection);
        let out = output_with_stdin(Command::new(&buildctl).args(["debug", "dump-llb"]), &bytes);
        assert!(
            out.status.success(),
            "{name}: buildctl debug dump-llb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = emit(&model, &selection, Emit::LlbJson).main;
        let lines = String::from_utf8_lossy(&out.stdout).lines().count();
        assert_eq!(
            lines,
            ours.lines().filter(|l| *l == "}").count(),
            "{name}: op count"
        );
        if have_jq {
            let theirs = output_with_stdin(Command::new("jq").arg("."), &out.stdout);
            assert_eq!(
                String::from_utf8_lossy(&theirs.stdout),
                ours,
                "{name}: buildctl's dump differs from --emit llb-json"
            );
        }
    }
}

/// The Go service built from msbc's LLB (with its image config) and from
/// msbc's Dockerfile by a real BuildKit: the same files, and the config
/// the spec states (user, entrypoint, ports).
#[test]
#[ignore = "needs a buildkitd answering at BUILDKIT_HOST"]
fn needs_buildkitd_builds_the_same_image_from_llb_and_from_the_dockerfile() {
    let buildctl = crate::support::needs_buildkitd();
    let spec = root().join("specs/go-orders");
    let m = model(&spec.join("build.kdl"));
    let dir = temp_dir("build");
    std::fs::write(
        dir.join("Dockerfile"),
        emit(&m, &Selection::default(), Emit::Dockerfile).main,
    )
    .expect("write Dockerfile");
    // The rig's images are laid out like the official ones (go only
    // through the golang image's PATH): the LLB must start each stage from
    // its base image's config, as the frontend does.
    let Some(configs_dir) = rig_config_dir() else {
        return;
    };
    let configs = rig_configs(&configs_dir, &m, &Selection::default());
    assert_eq!(configs.len(), 2, "golang and distroless configs in the rig");
    let llb = compile::select(&m, &Selection::default())
        .expect("selects")
        .emit(Emit::Llb, "build.kdl", configs.clone())
        .expect("emits");
    let config = llb.image_config.clone().expect("a config");
    let context = format!("context={}", spec.display());
    let dockerfile_dir = format!("dockerfile={}", dir.display());
    let from_dockerfile = dir.join("dockerfile.tar");
    let from_llb = dir.join("llb.tar");
    let (ok, _, err) = pipe(
        &buildctl,
        &[
            "build",
            "--frontend",
            "dockerfile.v0",
            "--local",
            &context,
            "--local",
            &dockerfile_dir,
            "--output",
            &format!("type=oci,dest={}", from_dockerfile.display()),
        ],
        b"",
    );
    assert!(ok, "Dockerfile build failed: {err}");
    // The config goes to the exporter as a CSV field: quoted, quotes doubled.
    let output = format!(
        "type=oci,dest={},\"containerimage.config={}\"",
        from_llb.display(),
        config.trim_end().replace('"', "\"\"")
    );
    let (ok, _, err) = pipe(
        &buildctl,
        &["build", "--local", &context, "--output", &output],
        &llb.binary.expect("binary"),
    );
    assert!(ok, "LLB build failed: {err}");
    let fs = |tar: &Path, config: bool| crate::frontend::rig::oci_fs(tar, config);
    let (a, b) = (fs(&from_dockerfile, false), fs(&from_llb, false));
    assert!(a.contains("/usr/local/bin/server file"), "{a}");
    assert_eq!(a, b, "the two images hold different files");
    let config: serde_json::Value =
        serde_json::from_str(&fs(&from_llb, true)).expect("config JSON");
    let theirs: serde_json::Value =
        serde_json::from_str(&fs(&from_dockerfile, true)).expect("config JSON");
    for key in CONFIG_KEYS {
        assert_eq!(config[key], theirs[key], "{key}");
    }
    assert_eq!(
        config["Env"][1],
        "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
    );
    assert_eq!(config["WorkingDir"], "/home/nonroot");
    assert_eq!(config["User"], "nonroot");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/local/bin/server"])
    );
}

/// The rig's base image configs, as df2llb reads them (`$RIG/imgcfg`);
/// `None`, saying why, without them.
fn rig_config_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DF2LLB_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/buildkit-rig/imgcfg"))
        })?;
    if dir
        .join("docker.io_library_golang_1.23-bookworm.json")
        .exists()
    {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: no base image configs of the rig in {} (tests/rig/setup.sh writes them)",
            dir.display()
        );
        None
    }
}

/// The configs in `dir` (one file per reference, named as df2llb names
/// them) of the images `selection` pulls; an image without a file gets
/// none, as df2llb then gives it only `PATH`.
fn rig_configs(dir: &Path, model: &Model, selection: &Selection) -> BaseConfigs {
    let mut out = BaseConfigs::new();
    for pull in compile::select(model, selection)
        .expect("selects")
        .pulls("build.kdl")
        .expect("pulls")
    {
        let name = pull.reference.replace(['/', ':', '@'], "_");
        if let Ok(bytes) = std::fs::read(dir.join(format!("{name}.json"))) {
            let config = BaseConfig::from_json(&bytes).expect("a rig config parses");
            out.insert(&pull.reference, &pull.platform, config);
        }
    }
    out
}

/// Runs `program args` with `input` on stdin; (success, stdout, stderr).
fn pipe(program: &Path, args: &[&str], input: &[u8]) -> (bool, Vec<u8>, String) {
    pipe_with(program, args, input, None)
}

/// `pipe`, with df2llb reading base image configs from `configs`.
fn pipe_with(
    program: &Path,
    args: &[&str],
    input: &[u8],
    configs: Option<&Path>,
) -> (bool, Vec<u8>, String) {
    let mut command = Command::new(program);
    command.args(args).env_remove("DF2LLB_CONFIG_DIR");
    if program.file_name().is_some_and(|n| n == "df2llb") {
        // Its default is the rig's config directory: none means none.
        let dir = configs.map(|d| d.to_string_lossy().into_owned());
        command.args(["-config-dir", dir.as_deref().unwrap_or("")]);
    }
    let out = output_with_stdin(&mut command, input);
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// BuildKit's own Dockerfile frontend (`df2llb`, from shared/rig) reads
/// msbc's Dockerfile into the same graph as msbc's LLB, op for op: when it
/// knows nothing of the base images either, and when both start from the
/// rig's base image configs (laid out like the official images'), where
/// the image config BuildKit's frontend gives (`-image-config-out`) is also
/// msbc's `--emit image-config`, field for field. The one attribute set
/// aside: the context's exclude patterns, which the frontend takes from a
/// `.dockerignore` that df2llb does not see.
#[test]
#[ignore = "needs buildctl and df2llb on PATH (the rig)"]
fn needs_df2llb_llb_is_what_buildkits_frontend_makes_of_the_dockerfile() {
    let buildctl = crate::support::needs_buildctl();
    let df2llb = crate::support::needs_df2llb();
    let rig = rig_config_dir();
    let dir = temp_dir("frontend");
    let mut configs_compared = 0;
    for ((name, model, selection), config_dir) in cases()
        .into_iter()
        .flat_map(|c| [(c.clone(), None), (c, rig.clone())])
    {
        let configs = match &config_dir {
            Some(d) => rig_configs(d, &model, &selection),
            None => BaseConfigs::new(),
        };
        if config_dir.is_some() && configs.is_empty() {
            continue;
        }
        let dockerfile = emit(&model, &selection, Emit::Dockerfile).main;
        let mut args: Vec<String> = Vec::new();
        if let Some(t) = &selection.target {
            args.extend(["-target".to_string(), t.clone()]);
        }
        for (k, v) in &selection.args {
            args.extend(["-build-arg".to_string(), format!("{k}={v}")]);
        }
        if let Some(p) = &selection.platform {
            args.extend(["-platform".to_string(), p.to_string()]);
        }
        let Some(ignored) = frontend_ignores(&name) else {
            continue;
        };
        let their_config = dir.join(format!("{name}.df2llb-config.json"));
        if config_dir.is_some() {
            args.extend([
                "-image-config-out".to_string(),
                their_config.to_string_lossy().into_owned(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, theirs, err) =
            pipe_with(&df2llb, &args, dockerfile.as_bytes(), config_dir.as_deref());
        assert!(ok, "{name}: df2llb: {err}");
        let ours = compile::select(&model, &selection)
            .expect("selects")
            .emit(Emit::Llb, "build.kdl", configs.clone())
            .expect("emits");
        let suffix = if config_dir.is_some() { ".configs" } else { "" };
        let dump = |bytes: &[u8], file: &str| {
            let (ok, out, err) = pipe(&buildctl, &["debug", "dump-llb"], bytes);
            assert!(ok, "{name}: dump-llb: {err}");
            let path = dir.join(format!("{name}{suffix}.{file}.json"));
            std::fs::write(&path, out).expect("write dump");
            path
        };
        let a = dump(ours.binary.as_deref().unwrap_or_default(), "msbc");
        let b = dump(&theirs, "df2llb");
        // The context's shared key: BuildKit's frontend names it `context`;
        // msbc's follows its follow paths (`source.rs::shared_key_hint`).
        let mut ignore = vec![
            "--ignore-attr",
            "local.excludepatterns",
            "--ignore-attr",
            "local.sharedkeyhint",
            "--strict",
        ];
        for attr in ignored {
            ignore.extend(["--ignore-attr", attr]);
        }
        let out = Command::new("python3")
            .arg(root().join("tests/tools/llb-diff.py"))
            .args(&ignore)
            .arg(&a)
            .arg(&b)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{name}{suffix}: msbc's LLB differs from BuildKit's reading of msbc's Dockerfile:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        if config_dir.is_some() {
            let text = std::fs::read_to_string(&their_config).expect("df2llb wrote the config");
            let theirs: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let mine: serde_json::Value =
                serde_json::from_str(ours.image_config.as_deref().unwrap_or_default())
                    .expect("JSON");
            for key in CONFIG_KEYS {
                assert_eq!(
                    mine["config"][key], theirs["config"][key],
                    "{name}: image config field {key}"
                );
            }
            configs_compared += 1;
        }
    }
    if rig.is_some() {
        eprintln!("image configs compared with BuildKit's frontend: {configs_compared}");
        assert!(configs_compared >= 10, "{configs_compared}");
    }
}

fn temp_dir(name: &str) -> crate::support::TempDir {
    crate::support::TempDir::new(&format!("llb-{name}"))
}

/// Runs the binary; (exit code, stdout bytes, stderr).
fn run_bytes(dir: &Path, args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_msbc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("msbc runs");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An error of the LLB route names its file, line and code (the `--arg`
/// value makes an image reference that is not one).
#[test]
fn llb_errors_are_located_and_coded() {
    let dir = crate::support::scratch("llb-error");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\narg BASE \"debian:bookworm-slim\"\nimage app from=\"${BASE}\" {\n    user \"1000\"\n}\n",
    )
    .expect("write");
    for emit in ["llb-json", "llb", "image-config"] {
        let run = crate::support::msbc_in(
            &dir,
            &[
                "compile",
                "--emit",
                emit,
                "--arg",
                "BASE=Not A Ref",
                "-o",
                "out",
            ],
            None,
        );
        assert_eq!(run.status, 2, "{emit}: {}", run.stderr);
        assert!(
            run.stderr
                .starts_with("error[E0302]: build.kdl:3: invalid image reference `Not A Ref`"),
            "{emit}: {}",
            run.stderr
        );
    }
}

#[test]
#[ignore = "needs a buildkitd at BUILDKIT_HOST (the rig)"]
fn needs_buildkitd_llb_of_one_spec_in_four_folders_built_at_once_each_get_their_own_files() {
    // `msbc compile --emit llb | buildctl build --local context=.` in four
    // folders at once: each context source names its folder, so BuildKit
    // does not take one folder's for all (as an unmarked one let it).
    let buildctl = crate::support::needs_buildkitd();
    let top = temp_dir("four-folders");
    let dirs = crate::frontend::rig::four_folders(&top);
    let wrong = crate::frontend::rig::build_at_once(&dirs, 3, |dir, tar| {
        let run = run_bytes(dir, &["compile", "--emit", "llb", "--no-base-configs"]);
        if run.0 != 0 {
            return (false, run.2);
        }
        let out = output_with_stdin(
            Command::new(&buildctl)
                .arg("build")
                .arg("--local")
                .arg(format!("context={}", dir.display()))
                .arg("--output")
                .arg(format!("type=tar,dest={}", tar.display())),
            &run.1,
        );
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
