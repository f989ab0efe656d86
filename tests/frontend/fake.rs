//! `msbc frontend` against a fake LLB bridge: an HTTP/2 gRPC server (the
//! `h2` crate) on the child's stdin/stdout that answers from a table of
//! files, records every call and the Return. No engine needed, so these run
//! in CI: the happy path, and the robustness cases (a spec of several MB,
//! a spec that is not UTF-8, a missing file, a context without the
//! template folder, a gateway that closes the stream), each a clean failed
//! build with a message, never a hang or a panic.

use msbc::backend::llb::pb;
use msbc::frontend::generated::fsutil::types::Stat;
use msbc::frontend::generated::moby::buildkit::v1::apicaps::ApiCap;
use msbc::frontend::generated::moby::buildkit::v1::frontend as gw;
use prost::Message;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake gateway holds and how it behaves.
#[derive(Default, Clone)]
struct Gateway {
    /// Files of the `dockerfile` input.
    spec_files: BTreeMap<String, Vec<u8>>,
    /// Files of the `context` input (directories are implied by paths).
    context: BTreeMap<String, Vec<u8>>,
    /// Close the connection after this many calls.
    close_after: Option<usize>,
    /// Capabilities to leave out of Ping.
    without: Vec<&'static str>,
}

#[derive(Debug, Default)]
struct Outcome {
    status: i32,
    stderr: String,
    calls: Vec<String>,
    solved: Vec<pb::Definition>,
    warned: Vec<gw::WarnRequest>,
    returned: Option<gw::ReturnRequest>,
}

const CAPS: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "readfile",
    "return",
    "returnmap",
    "readdir",
    "statfile",
    "proto.refarray",
    "gateway.warnings",
];

fn frame(msg: &impl Message) -> bytes::Bytes {
    let body = msg.encode_to_vec();
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(0);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&body);
    out.into()
}

fn unframe(body: &[u8]) -> &[u8] {
    if body.len() < 5 { &[] } else { &body[5..] }
}

/// The local input a definition reads (`dockerfile`, `context`, or "" for a build).
fn local_name(def: &pb::Definition) -> String {
    for bytes in &def.def {
        if let Ok(op) = pb::Op::decode(bytes.as_slice())
            && let Some(pb::op::Kind::Source(s)) = op.kind
            && let Some(name) = s.identifier.strip_prefix("local://")
            && def.def.len() == 2
        {
            return name.to_string();
        }
    }
    String::new()
}

fn entries(files: &BTreeMap<String, Vec<u8>>, dir: &str) -> Option<Vec<Stat>> {
    let prefix = if dir.is_empty() || dir == "." {
        String::new()
    } else {
        format!("{}/", dir.trim_end_matches('/'))
    };
    let mut out: BTreeMap<String, Stat> = BTreeMap::new();
    for (path, data) in files {
        let Some(rest) = path.strip_prefix(&prefix) else {
            continue;
        };
        match rest.split_once('/') {
            Some((d, _)) => {
                out.insert(
                    d.to_string(),
                    Stat {
                        path: d.to_string(),
                        mode: (1 << 31) | 0o755,
                        ..Stat::default()
                    },
                );
            }
            None => {
                out.insert(
                    rest.to_string(),
                    Stat {
                        path: rest.to_string(),
                        mode: 0o644,
                        size: data.len() as i64,
                        ..Stat::default()
                    },
                );
            }
        }
    }
    if out.is_empty() && !prefix.is_empty() {
        None
    } else {
        Some(out.into_values().collect())
    }
}

#[derive(Default)]
struct State {
    refs: BTreeMap<String, String>,
    calls: Vec<String>,
    solved: Vec<pb::Definition>,
    warned: Vec<gw::WarnRequest>,
    returned: Option<gw::ReturnRequest>,
}

async fn answer(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    state: &Mutex<State>,
    gateway: &Gateway,
) {
    let path = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let mut body = request.into_body();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return };
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let msg = unframe(&data);
    let reply = {
        let mut st = state.lock().unwrap();
        st.calls.push(path.clone());
        reply(&path, msg, &mut st, gateway)
    };
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let Ok(mut stream) = respond.send_response(response, false) else {
        return;
    };
    let mut trailers = http::HeaderMap::new();
    match reply {
        Ok(bytes) => {
            let _ = stream.send_data(bytes, false);
            trailers.insert("grpc-status", "0".parse().unwrap());
        }
        Err((code, message)) => {
            trailers.insert("grpc-status", code.to_string().parse().unwrap());
            trailers.insert(
                "grpc-message",
                message.replace(['\n', '\r'], " ").parse().unwrap(),
            );
        }
    }
    let _ = stream.send_trailers(trailers);
}

fn reply(
    path: &str,
    msg: &[u8],
    st: &mut State,
    gateway: &Gateway,
) -> Result<bytes::Bytes, (i32, String)> {
    match path {
        "Ping" => Ok(frame(&gw::PongResponse {
            frontend_api_caps: CAPS
                .iter()
                .filter(|c| !gateway.without.contains(c))
                .map(|c| ApiCap { id: (*c).to_string(), enabled: true, ..ApiCap::default() })
                .collect(),
            llb_caps: Vec::new(),
        })),
        "Solve" => {
            let req = gw::SolveRequest::decode(msg).expect("a SolveRequest");
            let def = req.definition.unwrap_or_default();
            let id = format!("ref-{}", st.refs.len());
            st.refs.insert(id.clone(), local_name(&def));
            st.solved.push(def);
            Ok(frame(&gw::SolveResponse {
                r#ref: String::new(),
                result: Some(gw::Result {
                    result: Some(gw::result::Result::Ref(gw::Ref { id, def: None })),
                    metadata: BTreeMap::new(),
                    attestations: BTreeMap::new(),
                }),
            }))
        }
        "ReadFile" => {
            let req = gw::ReadFileRequest::decode(msg).expect("a ReadFileRequest");
            let files = match st.refs.get(&req.r#ref).map(String::as_str) {
                Some("dockerfile") => &gateway.spec_files,
                _ => &gateway.context,
            };
            match files.get(&req.file_path) {
                Some(d) => Ok(frame(&gw::ReadFileResponse { data: d.clone() })),
                None => Err((5, format!("open {}: no such file or directory", req.file_path))),
            }
        }
        "ReadDir" => {
            let req = gw::ReadDirRequest::decode(msg).expect("a ReadDirRequest");
            match entries(&gateway.context, &req.dir_path) {
                Some(e) => Ok(frame(&gw::ReadDirResponse { entries: e })),
                None => Err((5, format!("{}: no such file or directory", req.dir_path))),
            }
        }
        "ResolveImageConfig" => Ok(frame(&gw::ResolveImageConfigResponse {
            digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111".into(),
            config: br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/fake/bin:/usr/bin:/bin","FROM_BASE=1"]},"rootfs":{"type":"layers","diff_ids":["sha256:2222222222222222222222222222222222222222222222222222222222222222"]}}"#.to_vec(),
        })),
        "Warn" => {
            st.warned
                .push(gw::WarnRequest::decode(msg).expect("a WarnRequest"));
            Ok(frame(&gw::WarnResponse {}))
        }
        "Return" => {
            st.returned = Some(gw::ReturnRequest::decode(msg).expect("a ReturnRequest"));
            Ok(frame(&gw::ReturnResponse {}))
        }
        other => Err((12, format!("{other} is not served here"))),
    }
}
/// Runs `msbc frontend` with `opts` against `gateway`.
fn run(opts: &[&str], gateway: Gateway) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        tokio::time::timeout(Duration::from_secs(60), serve(opts, gateway))
            .await
            .expect("msbc frontend finished within 60 s (no hang)")
    })
}

async fn serve(opts: &[&str], gateway: Gateway) -> Outcome {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_msbc"));
    cmd.arg("frontend")
        .env_clear()
        .env("BUILDKIT_SESSION_ID", "fake-session")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (i, o) in opts.iter().enumerate() {
        cmd.env(format!("BUILDKIT_FRONTEND_OPT_{i}"), o);
    }
    let mut child = cmd.spawn().expect("msbc starts");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr_task = tokio::spawn(async move {
        let mut s = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr_pipe, &mut s).await;
        s
    });
    let state = Arc::new(Mutex::new(State::default()));
    if let Ok(mut conn) = h2::server::handshake(tokio::io::join(stdout, stdin)).await {
        let mut count = 0;
        // The connection is polled here; each call is answered in a task.
        while let Some(Ok((request, respond))) = conn.accept().await {
            if gateway.close_after.is_some_and(|n| count >= n) {
                break;
            }
            count += 1;
            let (state, gateway) = (state.clone(), gateway.clone());
            tokio::spawn(async move { answer(request, respond, &state, &gateway).await });
        }
        drop(conn);
    }
    let mut outcome = {
        let mut st = state.lock().unwrap();
        Outcome {
            calls: std::mem::take(&mut st.calls),
            solved: std::mem::take(&mut st.solved),
            warned: std::mem::take(&mut st.warned),
            returned: st.returned.take(),
            ..Outcome::default()
        }
    };
    let status = child
        .wait()
        .await
        .map(|s| s.code().unwrap_or(-1))
        .unwrap_or(-1);
    outcome.status = status;
    outcome.stderr = stderr_task.await.unwrap_or_default();
    outcome
}

fn spec_gateway(spec: &[u8]) -> Gateway {
    Gateway {
        spec_files: BTreeMap::from([("build.kdl".to_string(), spec.to_vec())]),
        ..Gateway::default()
    }
}

fn error_of(o: &Outcome) -> String {
    let r = o
        .returned
        .as_ref()
        .unwrap_or_else(|| panic!("no Return: {o:?}"));
    r.error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_else(|| panic!("Return without an error: {o:?}"))
}

fn assert_clean(o: &Outcome) {
    assert!(
        !o.stderr.contains("panicked"),
        "msbc panicked:\n{}",
        o.stderr
    );
    assert!(
        matches!(o.status, 0..=2),
        "exit {} (not 0, 1 or 2):\n{}",
        o.status,
        o.stderr
    );
}

const SPEC: &str = r#"msbc 1
arg GREETING "hello"
image app from="debian:bookworm-slim" {
    run "echo ${GREETING} > /greeting"
    env APP_MODE="prod"
    entrypoint "cat" "/greeting"
}
"#;

#[test]
fn a_build_solves_the_specs_llb_and_returns_its_config() {
    let o = run(
        &[
            "filename=build.kdl",
            "build-arg:GREETING=bonjour",
            "label:team=core",
        ],
        spec_gateway(SPEC.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert_eq!(o.calls.first().map(String::as_str), Some("Ping"));
    let r = o.returned.as_ref().expect("a Return");
    assert!(r.error.is_none(), "{r:?}");
    let result = r.result.as_ref().expect("a result");
    let Some(gw::result::Result::Ref(reference)) = &result.result else {
        panic!("{result:?}")
    };
    // The spec's read first, then the context's .dockerignore, then the
    // build: the id of the third solve.
    assert_eq!(reference.id, "ref-2");
    let config: serde_json::Value =
        serde_json::from_slice(&result.metadata["containerimage.config"]).expect("JSON");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["cat", "/greeting"])
    );
    assert_eq!(config["config"]["Labels"]["team"], "core");
    let env = config["config"]["Env"].to_string();
    assert!(
        env.contains("APP_MODE=prod") && env.contains("FROM_BASE=1"),
        "the base image's env is inherited: {env}"
    );
    // The build's LLB runs the spec's step with the build arg's value.
    let build = o.solved.last().expect("a build");
    let dump = format!("{build:?}");
    let has_run = build.def.iter().any(|b| {
        matches!(pb::Op::decode(b.as_slice()).map(|op| op.kind), Ok(Some(pb::op::Kind::Exec(e))) if e.meta.as_ref().is_some_and(|m| m.args.iter().any(|a| a.contains("echo bonjour") || a.contains("echo ${GREETING}"))))
    });
    assert!(has_run, "no run of the spec's step: {dump}");
    // The spec is read from the session's `dockerfile` input, only that
    // file and the `msbc.lock` beside it.
    let spec_read = &o.solved[0];
    let source = pb::Op::decode(spec_read.def[0].as_slice()).unwrap();
    let Some(pb::op::Kind::Source(s)) = source.kind else {
        panic!()
    };
    assert_eq!(s.identifier, "local://dockerfile");
    assert_eq!(s.attrs["local.session"], "fake-session");
    assert_eq!(
        s.attrs["local.includepattern"],
        r#"["build.kdl","msbc.lock"]"#
    );
}

const DATED: &str = r#"msbc 1
arg SOURCE_DATE_EPOCH
image app from="debian:bookworm-slim" {
    run "echo $SOURCE_DATE_EPOCH > /epoch"
}
"#;

/// `--build-arg SOURCE_DATE_EPOCH`: the returned config is dated by it, and
/// a run of a spec that declares the arg reads it (it was dropped before).
#[test]
fn source_date_epoch_dates_the_config_and_reaches_runs_that_ask() {
    let o = run(
        &["build-arg:SOURCE_DATE_EPOCH=1700000000"],
        spec_gateway(DATED.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(
        !o.stderr.contains("SOURCE_DATE_EPOCH is not an arg"),
        "{}",
        o.stderr
    );
    let result = o
        .returned
        .as_ref()
        .and_then(|r| r.result.as_ref())
        .expect("a result");
    let config: serde_json::Value =
        serde_json::from_slice(&result.metadata["containerimage.config"]).expect("JSON");
    assert_eq!(config["created"], "2023-11-14T22:13:20Z", "{config}");
    let build = o.solved.last().expect("a build");
    let env: Vec<String> = build
        .def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).ok()?.kind {
            Some(pb::op::Kind::Exec(e)) => e.meta.map(|m| m.env),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        env.contains(&"SOURCE_DATE_EPOCH=1700000000".to_string()),
        "{env:?}"
    );
    // Not a number: the build fails, saying so, before anything is read.
    let o = run(
        &["build-arg:SOURCE_DATE_EPOCH=yesterday"],
        spec_gateway(DATED.as_bytes()),
    );
    assert_clean(&o);
    assert!(error_of(&o).contains("invalid SOURCE_DATE_EPOCH"), "{o:?}");
    assert!(o.solved.is_empty(), "{o:?}");
}

#[test]
fn two_platforms_return_a_ref_map() {
    let o = run(
        &["platform=linux/amd64,linux/arm64"],
        spec_gateway(SPEC.as_bytes()),
    );
    assert_clean(&o);
    let result = o.returned.and_then(|r| r.result).expect("a result");
    let Some(gw::result::Result::Refs(map)) = &result.result else {
        panic!("{result:?}")
    };
    assert_eq!(
        map.refs.keys().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64"]
    );
    let platforms: serde_json::Value =
        serde_json::from_slice(&result.metadata["refs.platforms"]).unwrap();
    assert_eq!(
        platforms["platforms"][1]["platform"]["architecture"],
        "arm64"
    );
    let arm: serde_json::Value =
        serde_json::from_slice(&result.metadata["containerimage.config/linux/arm64"]).unwrap();
    assert_eq!(arm["architecture"], "arm64");
}

/// The platform option follows the one platform rule: checked before
/// anything is read (it went unchecked to the LLB backend), aliases
/// normalized in the refs' names as BuildKit names them.
#[test]
fn platforms_follow_the_one_rule_before_anything_is_read() {
    let o = run(
        &["platform=linux/amd64,linux/arm-v7"],
        spec_gateway(SPEC.as_bytes()),
    );
    assert_clean(&o);
    let message = error_of(&o);
    assert!(
        message.contains("invalid --platform `linux/arm-v7`")
            && message.contains("did you mean `arm`?"),
        "{message}"
    );
    assert!(o.solved.is_empty(), "nothing is read: {:?}", o.calls);
    let o = run(
        &["platform=linux/x86_64,linux/aarch64"],
        spec_gateway(SPEC.as_bytes()),
    );
    assert_clean(&o);
    let result = o.returned.and_then(|r| r.result).expect("a result");
    let Some(gw::result::Result::Refs(map)) = &result.result else {
        panic!("{result:?}")
    };
    assert_eq!(
        map.refs.keys().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64"]
    );
}

#[test]
fn a_spec_error_returns_its_code_line_and_source() {
    let bad = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    runn \"true\"\n}\n";
    let o = run(&[], spec_gateway(bad.as_bytes()));
    assert_clean(&o);
    assert_eq!(o.status, 1);
    let message = error_of(&o);
    assert!(message.starts_with("build.kdl:3: E"), "{message}");
    let details = &o.returned.as_ref().unwrap().error.as_ref().unwrap().details;
    assert_eq!(
        details[0].type_url,
        "github.com/moby/buildkit/errdefs.Source+json"
    );
}

/// W0001 on line 3 and W0003 on line 4.
const WARNED: &str = "msbc 1\narg GREETING \"hello\"\nimage app from=\"debian:bookworm-slim\" {\n    env API_TOKEN=\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n    run \"echo ${GREETING}\"\n}\n";

#[test]
fn warnings_attach_to_the_vertex_that_loaded_the_spec() {
    let o = run(&["build-arg:GREETNG=x"], spec_gateway(WARNED.as_bytes()));
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    // The first solve loads the spec: its source op is the vertex.
    let spec = &o.solved[0];
    let vertex = msbc::backend::llb::digest(&spec.def[0]);
    let shorts: Vec<String> = o
        .warned
        .iter()
        .map(|w| String::from_utf8_lossy(&w.short).into_owned())
        .collect();
    assert_eq!(shorts.len(), 3, "{shorts:?}");
    assert!(shorts[0].starts_with("W0001: "), "{shorts:?}");
    assert!(shorts[1].starts_with("W0003: "), "{shorts:?}");
    assert!(shorts[1].contains("(line 4); help: "), "{shorts:?}");
    assert_eq!(
        shorts[2],
        "build-arg GREETNG is not an arg of build.kdl: did you mean GREETING?"
    );
    for w in &o.warned {
        assert_eq!(w.digest, vertex, "a warning on another vertex");
        assert_eq!(w.level, 1);
    }
    assert_eq!(o.warned[1].ranges[0].start.unwrap().line, 4);
    assert_eq!(o.warned[1].info.as_ref().unwrap().data, WARNED.as_bytes());

    // A subrequest answers its question without warnings.
    let o = run(
        &[
            "requestid=frontend.targets",
            "build-arg:BUILDKIT_DOCKERFILE_CHECK=error=true",
        ],
        spec_gateway(WARNED.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(o.warned.is_empty(), "{:?}", o.warned);

    // An engine without Warn: a vertex named after each warning.
    let o = run(
        &[],
        Gateway {
            without: vec!["gateway.warnings"],
            ..spec_gateway(WARNED.as_bytes())
        },
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(o.warned.is_empty());
    let names: Vec<String> = o
        .solved
        .iter()
        .flat_map(|d| d.metadata.values())
        .filter_map(|m| m.description.get("llb.customname").cloned())
        .filter(|n| n.starts_with("WARN: "))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("WARN: W0001: "), "{names:?}");

    // error=true: the warnings fail the build.
    let o = run(
        &["build-arg:BUILDKIT_DOCKERFILE_CHECK=error=true"],
        spec_gateway(WARNED.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 1);
    assert!(
        error_of(&o)
            .starts_with("lint violation found for rules: W0001-root-user, W0003-secret-in-env"),
        "{}",
        error_of(&o)
    );
}

#[test]
fn a_spec_that_is_not_utf8_fails_with_e0002() {
    let o = run(
        &[],
        spec_gateway(b"msbc 1\nimage app from=\"x\" {\n  run \"\xff\xfe\"\n}\n"),
    );
    assert_clean(&o);
    let message = error_of(&o);
    assert!(message.contains("E0002"), "{message}");
}

#[test]
fn a_spec_of_several_mb_fails_cleanly_past_the_limit() {
    let mut big = String::from(SPEC);
    while big.len() < 6 << 20 {
        big.push_str("// padding padding padding padding padding padding padding padding\n");
    }
    let o = run(&[], spec_gateway(big.as_bytes()));
    assert_clean(&o);
    let message = error_of(&o);
    assert!(message.contains("reads specs of up to 4 MiB"), "{message}");
}

#[test]
fn a_missing_spec_file_fails_naming_it() {
    let o = run(&["filename=sub.kdl"], spec_gateway(SPEC.as_bytes()));
    assert_clean(&o);
    let message = error_of(&o);
    assert!(
        message.contains("cannot read the spec sub.kdl"),
        "{message}"
    );
}

#[test]
fn a_context_without_the_template_folder_fails_naming_it() {
    let spec = "msbc 1\ntemplates \"platform/templates\"\nuse go { main \"./cmd/x\" }\n";
    let mut g = spec_gateway(spec.as_bytes());
    g.context
        .insert("go.mod".to_string(), b"module x\n".to_vec());
    let o = run(&[], g);
    assert_clean(&o);
    let message = error_of(&o);
    assert!(
        message.contains("template directory platform/templates"),
        "{message}"
    );
}

#[test]
fn templates_and_detected_files_come_from_the_context() {
    let spec = "msbc 1\ntemplates \"t\"\nuse hello\n";
    let mut g = spec_gateway(spec.as_bytes());
    g.context.insert(
        "t/hello/preset.kdl".into(),
        b"summary \"a test preset\"\n".to_vec(),
    );
    g.context.insert(
        "t/hello/template.kdl.j2".into(),
        b"image app from=\"debian:bookworm-slim\" {\n    run \"echo {% if has(\"marker.txt\") %}found{% else %}none{% endif %}\"\n}\n".to_vec(),
    );
    g.context.insert("marker.txt".into(), b"x".to_vec());
    let o = run(&[], g);
    assert_clean(&o);
    assert!(o.calls.contains(&"ReadDir".to_string()), "{:?}", o.calls);
    let r = o.returned.as_ref().expect("a Return");
    assert!(r.error.is_none(), "{:?}\n{}", r.error, o.stderr);
    let build = o.solved.last().expect("a build");
    let found = build
        .def
        .iter()
        .any(|b| format!("{:?}", pb::Op::decode(b.as_slice())).contains("echo found"));
    assert!(
        found,
        "the template did not see marker.txt in the context: {build:?}"
    );
}

#[test]
fn a_gateway_that_closes_the_stream_fails_cleanly() {
    for after in [1, 2, 3] {
        let mut g = spec_gateway(SPEC.as_bytes());
        g.close_after = Some(after);
        let o = run(&[], g);
        assert_clean(&o);
        assert_eq!(o.status, 1, "after {after} calls: {}", o.stderr);
        assert!(
            o.stderr.contains("error: "),
            "after {after} calls: {}",
            o.stderr
        );
    }
}

#[test]
fn a_missing_capability_is_named() {
    let mut g = spec_gateway(SPEC.as_bytes());
    g.without = vec!["readfile"];
    let o = run(&[], g);
    assert_clean(&o);
    assert!(error_of(&o).contains("`readfile`"), "{o:?}");
}

#[test]
fn subrequests_answer_without_building() {
    let o = run(
        &["requestid=frontend.targets"],
        spec_gateway(SPEC.as_bytes()),
    );
    assert_clean(&o);
    let result = o.returned.and_then(|r| r.result).expect("a result");
    let targets: serde_json::Value =
        serde_json::from_slice(&result.metadata["result.json"]).unwrap();
    assert_eq!(targets["targets"][0]["name"], "app");
    assert_eq!(o.solved.len(), 1, "only the spec was read");
    let o = run(
        &["requestid=frontend.outline"],
        spec_gateway(SPEC.as_bytes()),
    );
    let result = o.returned.and_then(|r| r.result).expect("a result");
    let outline: serde_json::Value =
        serde_json::from_slice(&result.metadata["result.json"]).unwrap();
    assert_eq!(outline["args"][0]["value"], "hello");
    let o = run(
        &["requestid=frontend.lint"],
        spec_gateway(b"msbc 1\nimage app from=\"debian\" {\n    runn \"x\"\n}\n"),
    );
    let result = o.returned.and_then(|r| r.result).expect("a result");
    assert_eq!(result.metadata["result.statuscode"], b"1");
    let o = run(&["requestid=frontend.nope"], spec_gateway(SPEC.as_bytes()));
    assert!(error_of(&o).contains("does not answer the subrequest `frontend.nope`"));
}

/// The ops of the build (not the context's local source) whose metadata
/// says `ignore_cache`, by their `llb.customname`; and those that do not.
fn ignoring_cache(def: &pb::Definition) -> (Vec<String>, Vec<String>) {
    let (mut ignored, mut cached) = (Vec::new(), Vec::new());
    for bytes in &def.def {
        let op = pb::Op::decode(bytes.as_slice()).expect("an op");
        let local = matches!(&op.kind, Some(pb::op::Kind::Source(s)) if s.identifier.starts_with("local://"));
        if op.kind.is_none() || local {
            continue;
        }
        let meta = def.metadata.get(&msbc::backend::llb::digest(bytes));
        let name = meta
            .and_then(|m| m.description.get("llb.customname").cloned())
            .unwrap_or_default();
        if meta.is_some_and(|m| m.ignore_cache) {
            ignored.push(name);
        } else {
            cached.push(name);
        }
    }
    (ignored, cached)
}

const TWO_STAGES: &str = r#"msbc 1
stage build from="debian:bookworm-slim" {
    run "echo built > /out"
}
image app from="debian:bookworm-slim" {
    copy "/out" from=build to="/out"
    run "cat /out"
}
"#;

#[test]
fn no_cache_runs_every_op_or_the_named_stages_again() {
    let o = run(&[], spec_gateway(TWO_STAGES.as_bytes()));
    assert_clean(&o);
    let (ignored, cached) = ignoring_cache(o.solved.last().expect("a build"));
    assert!(ignored.is_empty(), "without --no-cache: {ignored:?}");
    assert!(cached.len() >= 4, "{cached:?}");

    let o = run(&["no-cache="], spec_gateway(TWO_STAGES.as_bytes()));
    assert_clean(&o);
    let (ignored, cached) = ignoring_cache(o.solved.last().expect("a build"));
    assert!(cached.is_empty(), "--no-cache leaves {cached:?} cached");
    assert!(ignored.len() >= 4, "{ignored:?}");

    // `--no-cache-filter build`: only the build stage's ops.
    let o = run(&["no-cache=build"], spec_gateway(TWO_STAGES.as_bytes()));
    assert_clean(&o);
    let (ignored, cached) = ignoring_cache(o.solved.last().expect("a build"));
    assert!(
        !ignored.is_empty() && !cached.is_empty(),
        "{ignored:?} {cached:?}"
    );
    assert!(
        ignored.iter().all(|n| n.starts_with("[build ")),
        "{ignored:?}"
    );
    assert!(cached.iter().all(|n| n.starts_with("[app ")), "{cached:?}");
}

/// The `docker-image://` sources of a definition.
fn images(def: &pb::Definition) -> Vec<String> {
    def.def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).ok()?.kind {
            Some(pb::op::Kind::Source(s)) if s.identifier.starts_with("docker-image://") => {
                Some(s.identifier)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_named_context_stands_in_for_an_image() {
    let o = run(&[], spec_gateway(TWO_STAGES.as_bytes()));
    assert_clean(&o);
    assert!(
        images(o.solved.last().expect("a build"))
            .iter()
            .all(|i| i.starts_with("docker-image://docker.io/library/debian:bookworm-slim@")),
        "{:?}",
        images(o.solved.last().expect("a build"))
    );
    let o = run(
        &["context:debian:bookworm-slim=docker-image://mirror.example/debian:12"],
        spec_gateway(TWO_STAGES.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    let found = images(o.solved.last().expect("a build"));
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|i| i.starts_with("docker-image://mirror.example/debian:12@sha256:1111")),
        "{found:?}"
    );
    // A context for an image the build does not pull: a warning.
    let o = run(
        &["context:alpine:3.20=docker-image://mirror.example/alpine:3.20"],
        spec_gateway(TWO_STAGES.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("names no image this build pulls"),
        "{}",
        o.stderr
    );
    assert!(o.calls.iter().any(|c| c == "Warn"), "{:?}", o.calls);
    // A folder the client sends stands in too (`local:NAME`), with no
    // config to resolve.
    let o = run(
        &["context:debian:bookworm-slim=local:rootfs"],
        spec_gateway(TWO_STAGES.as_bytes()),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    let def = o.solved.last().expect("a build");
    assert!(images(def).is_empty(), "{:?}", images(def));
    let locals: Vec<String> = def
        .def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).ok()?.kind {
            Some(pb::op::Kind::Source(s)) if s.identifier.starts_with("local://") => {
                Some(s.identifier)
            }
            _ => None,
        })
        .collect();
    assert!(locals.contains(&"local://rootfs".to_string()), "{locals:?}");
    // A git URL is not taken, and said so, before anything is read.
    let o = run(
        &["context:src=git://example.com/src"],
        spec_gateway(TWO_STAGES.as_bytes()),
    );
    assert_clean(&o);
    assert!(
        error_of(&o).contains("named contexts that are images"),
        "{o:?}"
    );
    assert!(o.solved.is_empty(), "{o:?}");
}

/// The `local.excludepatterns` of the build's `local://context` source.
fn context_excludes(def: &pb::Definition) -> Vec<String> {
    for bytes in &def.def {
        if let Ok(op) = pb::Op::decode(bytes.as_slice())
            && let Some(pb::op::Kind::Source(s)) = op.kind
            && s.identifier == "local://context"
        {
            let json = s
                .attrs
                .get("local.excludepatterns")
                .cloned()
                .unwrap_or_default();
            return serde_json::from_str(&json).unwrap_or_default();
        }
    }
    Vec::new()
}

/// Whether the build runs a step whose command holds `needle`.
fn runs(def: &pb::Definition, needle: &str) -> bool {
    def.def.iter().any(|b| {
        matches!(pb::Op::decode(b.as_slice()).map(|op| op.kind),
            Ok(Some(pb::op::Kind::Exec(e))) if e.meta.as_ref().is_some_and(|m| m.args.iter().any(|a| a.contains(needle))))
    })
}

#[test]
fn the_contexts_dockerignore_joins_the_specs_excludes() {
    let spec = "msbc 1\ncontext { ignore \"**/*.log\" }\nimage app from=\"debian:bookworm-slim\" {\n    copy \".\" to=\"/app\"\n}\n";
    let mut g = spec_gateway(spec.as_bytes());
    g.context
        .insert(".dockerignore".into(), b"# team\nlocal-dump.sql\n".to_vec());
    let o = run(&[], g);
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    let excludes = context_excludes(o.solved.last().expect("a build"));
    assert_eq!(excludes, ["local-dump.sql", "**/*.log"], "{}", o.stderr);
}

/// A monorepo's context: two services, the API's spec in `apps/api`.
fn monorepo_gateway(api: &str, web: &str) -> Gateway {
    let mut g = spec_gateway(api.as_bytes());
    g.context
        .insert("apps/api/build.kdl".into(), api.as_bytes().to_vec());
    g.context
        .insert("apps/web/build.kdl".into(), web.as_bytes().to_vec());
    g.context
        .insert(".dockerignore".into(), b"local-dump.sql\n".to_vec());
    for service in ["api", "web"] {
        g.context.insert(
            format!("apps/{service}/tpl/acme/where/preset.kdl"),
            b"summary \"where\"\n".to_vec(),
        );
        g.context.insert(
            format!("apps/{service}/tpl/acme/where/template.kdl.j2"),
            b"image app from=\"debian:bookworm-slim\" {\n    copy {{ service_dir | q }} to=\"/app\"\n    run {{ (\"echo in \" ~ service_dir) | q }}\n}\n".to_vec(),
        );
    }
    g
}

#[test]
fn a_subfolder_spec_finds_its_folder_in_the_context() {
    let api = "msbc 1\ncontext \"../..\"\ntemplates \"tpl\"\nuse \"acme/where\"\n";
    let web = "msbc 1\ncontext \"../..\"\ntemplates \"tpl\"\nuse \"acme/where\" // web\n";
    let o = run(&[], monorepo_gateway(api, web));
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    let build = o.solved.last().expect("a build");
    assert!(runs(build, "echo in apps/api"), "{build:?}\n{}", o.stderr);
    assert_eq!(context_excludes(build), ["local-dump.sql"]);
    // Two services with the same spec: the frontend cannot tell; it says how.
    let o = run(&[], monorepo_gateway(api, api));
    assert_clean(&o);
    let error = error_of(&o);
    assert!(
        error.contains("apps/api, apps/web") && error.contains("MSBC_SERVICE_DIR"),
        "{error}"
    );
    let o = run(
        &["build-arg:MSBC_SERVICE_DIR=apps/web"],
        monorepo_gateway(api, api),
    );
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("not an arg"), "{}", o.stderr);
    assert!(runs(o.solved.last().expect("a build"), "echo in apps/web"));
    // A context that does not hold the spec where it says.
    let mut g = monorepo_gateway(api, web);
    g.context.remove("apps/api/build.kdl");
    let o = run(&[], g);
    assert!(
        error_of(&o).contains("no folder 2 level(s) deep"),
        "{}",
        error_of(&o)
    );
}

/// Issue 22 item 4 on the frontend route: the frontend reads the
/// `msbc.lock` beside the spec (it read none), pins what it locks while the
/// args keep their defaults, and pulls the image a build arg names when one
/// moves it out of the lock, with a warning (never silently either way).
#[test]
fn a_build_arg_that_feeds_a_locked_image_keeps_working() {
    const SPEC: &str = r#"msbc 1
arg BASE "debian:bookworm-slim"
image app from="${BASE}" {
    user "1000"
}
"#;
    let locked = format!("sha256:{}", "2".repeat(64));
    let gateway = || {
        let mut g = spec_gateway(SPEC.as_bytes());
        g.spec_files.insert(
            "msbc.lock".to_string(),
            format!("version 1\nimage \"debian:bookworm-slim\" digest=\"{locked}\"\n").into_bytes(),
        );
        g
    };
    let o = run(&[], gateway());
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert_eq!(
        images(o.solved.last().expect("a build")),
        [format!(
            "docker-image://docker.io/library/debian:bookworm-slim@{locked}"
        )]
    );
    assert!(!o.stderr.contains("not in msbc.lock"), "{}", o.stderr);
    let o = run(
        &["build-arg:BASE=gcr.io/distroless/static-debian12:nonroot"],
        gateway(),
    );
    assert_clean(&o);
    assert_eq!(o.status, 0, "{}", o.stderr);
    let found = images(o.solved.last().expect("a build"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("docker-image://gcr.io/distroless/static-debian12:nonroot@")
            && !found[0].ends_with(&locked),
        "{found:?}"
    );
    assert!(
        o.stderr.contains(
            "`gcr.io/distroless/static-debian12:nonroot` (stage `app`) is not in msbc.lock, \
             which locks `debian:bookworm-slim`"
        ),
        "{}",
        o.stderr
    );
    assert!(o.calls.iter().any(|c| c == "Warn"), "{:?}", o.calls);
    // A broken lock file fails the build, naming it.
    let mut broken = gateway();
    broken
        .spec_files
        .insert("msbc.lock".to_string(), b"version 9\n".to_vec());
    let o = run(&[], broken);
    assert_clean(&o);
    assert!(error_of(&o).starts_with("msbc.lock: "), "{o:?}");
}
