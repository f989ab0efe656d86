//! Attestations of a frontend build. `--provenance` (`attest:provenance`)
//! is BuildKit's own work: it records the build request and the frontend,
//! whatever the frontend. `--sbom` (`attest:sbom`, or the build arg
//! `BUILDKIT_ATTEST_SBOM`) is scanned here, as BuildKit's Dockerfile
//! frontend scans it, so that build stages and the context can be scanned
//! too: the generator image (BuildKit's SBOM scanner protocol) runs with the
//! image's filesystem at `/run/src/core/sbom`, each stage asked for by
//! `BUILDKIT_SBOM_SCAN_STAGE` (`true`: every stage the image is built from;
//! else stage names, comma-separated) at `/run/src/extras/sbom-NAME`, the
//! build context when `BUILDKIT_SBOM_SCAN_CONTEXT=true` at
//! `/run/src/extras/sbom-context`, and writes SPDX JSON into `/run/out/`,
//! which goes back to BuildKit as an attestation bundle of the platform.
//! BuildKit then skips its own scan of the result (it sees an SPDX one).

use super::bridge::Bridge;
use super::failure::Failure;
use super::generated::moby::buildkit::v1::frontend as gw;
use super::options::Options;
use crate::backend::llb::{self, pb};
use crate::domain::ImageRef;
use crate::lower::Model;
use std::collections::BTreeMap;

/// The scanner BuildKit uses when `--sbom` names none.
pub const DEFAULT_GENERATOR: &str = "docker/buildkit-syft-scanner:stable-1";

/// The build args that choose what besides the image is scanned
/// ([`crate::lower::SBOM_SCAN_ARGS`]).
pub const SCAN_STAGE_ARG: &str = crate::lower::SBOM_SCAN_ARGS[0];
pub const SCAN_CONTEXT_ARG: &str = crate::lower::SBOM_SCAN_ARGS[1];

/// Where the scanner finds what it scans and writes its SBOMs (BuildKit's
/// protocol: `docs/attestations/sbom-protocol.md` in moby/buildkit).
const SRC_CORE: &str = "/run/src/core/sbom";
const SRC_EXTRAS: &str = "/run/src/extras/";
const OUT_DIR: &str = "/run/out/";

/// The SPDX in-toto predicate type, by which BuildKit knows an SBOM.
pub const SPDX: &str = "https://spdx.dev/Document";

/// What `--sbom` asks for: the generator image and its parameters (each
/// handed to it as `BUILDKIT_SCAN_KEY=VALUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomRequest {
    pub generator: String,
    pub params: BTreeMap<String, String>,
}

/// The SBOM request among the build's raw options: `attest:sbom=VALUE` or
/// `build-arg:BUILDKIT_ATTEST_SBOM=VALUE`, VALUE a CSV of `key=value`
/// (`generator=IMAGE`, else BuildKit's default scanner). `None` without one.
pub fn sbom_request(raw: &BTreeMap<String, String>) -> Result<Option<SbomRequest>, Failure> {
    let value = raw
        .iter()
        .find(|(k, _)| {
            k.eq_ignore_ascii_case("attest:sbom")
                || k.eq_ignore_ascii_case("build-arg:BUILDKIT_ATTEST_SBOM")
        })
        .map(|(_, v)| v);
    let Some(value) = value else {
        return Ok(None);
    };
    let mut request = SbomRequest {
        generator: DEFAULT_GENERATOR.to_string(),
        params: BTreeMap::new(),
    };
    for field in csv_fields(value) {
        let (key, v) = field.split_once('=').unwrap_or((field.as_str(), ""));
        if key == "generator" {
            if v.is_empty() {
                return Err(Failure::plain("sbom generator cannot be empty"));
            }
            request.generator = v.to_string();
        } else if !key.is_empty() {
            request.params.insert(key.to_string(), v.to_string());
        }
    }
    Ok(Some(request))
}

/// The fields of one CSV record (`a=1,"b=x,y"`): commas inside double
/// quotes are kept, a doubled quote is one quote.
fn csv_fields(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if !field.is_empty() || !out.is_empty() {
        out.push(field);
    }
    out
}

/// Whether a stage is asked for by the value of `BUILDKIT_SBOM_SCAN_*`
/// (BuildKit's rule: a boolean for every stage, else a list of names).
pub fn enabled_for(stage: &str, value: &str) -> bool {
    match value.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" => true,
        "0" | "f" | "false" => false,
        _ => value.split(',').any(|s| s == stage),
    }
}

/// What one platform's scan reads: the image's result, the stages and the
/// context to scan beside it, all in the platform's definition.
#[derive(Debug, Clone)]
pub struct Targets {
    pub platform: String,
    /// The solved definition of the image (its last op the terminal).
    pub definition: pb::Definition,
    /// `extras`: a name (`context`, a stage's) and its state in `definition`.
    pub extras: Vec<(String, pb::Input)>,
    pub ignore_cache: bool,
}

/// The extras of a platform's scan: the stages `stage_arg` names among
/// `stages` (each stage's result in `definition`) but the target's, and the
/// build context's source when `context_arg` says so.
pub fn extras(
    definition: &pb::Definition,
    stages: &[(String, pb::Input)],
    target: Option<&str>,
    stage_arg: Option<&str>,
    context_arg: Option<&str>,
) -> Vec<(String, pb::Input)> {
    let mut out = Vec::new();
    if context_arg.is_some_and(|v| enabled_for("context", v)) {
        let context = definition.def.iter().find(|b| {
            use prost::Message;
            pb::Op::decode(b.as_slice()).is_ok_and(|op| {
                matches!(&op.kind, Some(pb::op::Kind::Source(s)) if s.identifier.starts_with("local://"))
            })
        });
        if let Some(bytes) = context {
            out.push((
                "context".to_string(),
                pb::Input {
                    digest: llb::digest(bytes),
                    index: 0,
                },
            ));
        }
    }
    let last = stages.last().map(|(n, _)| n.as_str());
    let target = target.or(last);
    if let Some(value) = stage_arg {
        out.extend(
            stages
                .iter()
                .filter(|(name, _)| Some(name.as_str()) != target && enabled_for(name, value))
                .cloned(),
        );
    }
    out
}

/// What one platform's scan reads (see [`extras`]): the values of
/// `BUILDKIT_SBOM_SCAN_STAGE` and `BUILDKIT_SBOM_SCAN_CONTEXT` are the build
/// args', else the defaults of the spec's args of those names (the spec's
/// setting, as a Dockerfile's `ARG BUILDKIT_SBOM_SCAN_STAGE=true`).
pub fn targets(
    model: &Model,
    opts: &Options,
    platform: &str,
    definition: &pb::Definition,
    stages: &[(String, pb::Input)],
) -> Targets {
    let value = |name: &str| {
        opts.build_args
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                model
                    .args
                    .iter()
                    .find(|a| a.name == name)
                    .and_then(|a| a.default.clone())
            })
    };
    Targets {
        platform: platform.to_string(),
        definition: definition.clone(),
        extras: extras(
            definition,
            stages,
            opts.target.as_deref(),
            value(SCAN_STAGE_ARG).as_deref(),
            value(SCAN_CONTEXT_ARG).as_deref(),
        ),
        // `--no-cache` (every step): the scan runs again too.
        ignore_cache: opts.build.no_cache == crate::ir::NoCache::All,
    }
}

/// The scanner image as the scan needs it: its reference (pinned when the
/// registry said its digest) and its config's command, env and folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanner {
    pub reference: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub dir: String,
}

impl Scanner {
    /// From the generator's reference, digest and image config JSON.
    pub fn from_config(reference: &str, digest: &str, config: &[u8]) -> Result<Scanner, Failure> {
        let json: serde_json::Value = serde_json::from_slice(config)
            .map_err(|e| Failure::plain(format!("the SBOM generator {reference}'s config: {e}")))?;
        let strings = |key: &str| -> Vec<String> {
            json["config"][key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut args = strings("Entrypoint");
        args.extend(strings("Cmd"));
        if args.is_empty() {
            return Err(Failure::plain(format!(
                "the SBOM generator {reference} has no command (its image sets no Entrypoint or Cmd)"
            )));
        }
        let parsed = ImageRef::parse(reference)
            .map_err(|e| Failure::plain(format!("the SBOM generator `{reference}`: {e}")))?
            .normalized();
        let reference = if digest.is_empty() || parsed.digest.is_some() {
            parsed.to_string()
        } else {
            parsed.with_digest(digest).to_string()
        };
        Ok(Scanner {
            reference,
            args,
            env: strings("Env"),
            dir: json["config"]["WorkingDir"]
                .as_str()
                .filter(|d| !d.is_empty())
                .unwrap_or("/")
                .to_string(),
        })
    }
}

/// The definition that scans `targets` with `scanner` (running on
/// `scanner_platform`): the image's ops, the scanner's image, one run of
/// it, and a terminal op on its `/run/out` (BuildKit's `sbom.go` shape).
pub fn scan_definition(
    scanner: &Scanner,
    scanner_platform: &pb::Platform,
    request: &SbomRequest,
    targets: &Targets,
) -> Result<pb::Definition, Failure> {
    let mut def: Vec<Vec<u8>> = targets.definition.def.clone();
    let terminal = def
        .pop()
        .ok_or_else(|| Failure::plain("msbc wrote an empty definition"))?;
    let core = {
        use prost::Message;
        pb::Op::decode(terminal.as_slice())
            .ok()
            .and_then(|op| op.inputs.into_iter().next())
            .ok_or_else(|| Failure::plain("msbc wrote a definition without a result"))?
    };
    let mut metadata = targets.definition.metadata.clone();
    let image = pb::Op {
        inputs: Vec::new(),
        kind: Some(pb::op::Kind::Source(pb::SourceOp {
            identifier: format!("docker-image://{}", scanner.reference),
            attrs: BTreeMap::new(),
        })),
        platform: Some(scanner_platform.clone()),
        constraints: None,
    }
    .to_bytes();
    let image_digest = llb::digest(&image);
    metadata.insert(
        image_digest.clone(),
        pb::OpMetadata {
            caps: BTreeMap::from([("source.image".to_string(), true)]),
            ..pb::OpMetadata::default()
        },
    );
    if !def.iter().any(|b| llb::digest(b) == image_digest) {
        def.push(image);
    }

    let mut env = scanner.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.push(format!("PATH={}", llb::DEFAULT_PATH));
    }
    env.push(format!("BUILDKIT_SCAN_DESTINATION={OUT_DIR}"));
    env.push(format!("BUILDKIT_SCAN_SOURCE={SRC_CORE}"));
    if !targets.extras.is_empty() {
        env.push(format!("BUILDKIT_SCAN_SOURCE_EXTRAS={SRC_EXTRAS}"));
    }
    for (k, v) in &request.params {
        env.push(format!("BUILDKIT_SCAN_{k}={v}"));
    }
    // Inputs: the scanner's root, the image, then each extra.
    let mut inputs = vec![
        pb::Input {
            digest: image_digest,
            index: 0,
        },
        core,
    ];
    let mut mounts = vec![
        mount(0, "/", 0, false),
        mount(-1, OUT_DIR.trim_end_matches('/'), 1, false),
        mount(1, SRC_CORE, -1, true),
    ];
    for (name, input) in &targets.extras {
        mounts.push(mount(
            inputs.len() as i64,
            &format!("{SRC_EXTRAS}sbom-{name}"),
            -1,
            true,
        ));
        inputs.push(input.clone());
    }
    mounts.push(pb::Mount {
        input: -1,
        dest: "/tmp".to_string(),
        output: -1,
        mount_type: pb::MountType::Tmpfs as i32,
        tmpfs_opt: Some(pb::TmpfsOpt::default()),
        ..pb::Mount::default()
    });
    mounts.sort_by(|a, b| a.dest.cmp(&b.dest));
    let run = pb::Op {
        inputs,
        kind: Some(pb::op::Kind::Exec(pb::ExecOp {
            meta: Some(pb::Meta {
                args: scanner.args.clone(),
                env,
                cwd: scanner.dir.clone(),
                ..pb::Meta::default()
            }),
            mounts,
            ..pb::ExecOp::default()
        })),
        platform: Some(scanner_platform.clone()),
        constraints: None,
    }
    .to_bytes();
    let run_digest = llb::digest(&run);
    metadata.insert(
        run_digest.clone(),
        pb::OpMetadata {
            ignore_cache: targets.ignore_cache,
            description: BTreeMap::from([(
                "llb.customname".to_string(),
                format!(
                    "[{}] generating sbom using {}",
                    targets.platform, scanner.reference
                ),
            )]),
            caps: ["exec.meta.base", "exec.mount.bind", "exec.mount.tmpfs"]
                .iter()
                .map(|c| (c.to_string(), true))
                .collect(),
        },
    );
    def.push(run);
    def.push(
        pb::Op {
            inputs: vec![pb::Input {
                digest: run_digest,
                index: 1,
            }],
            kind: None,
            platform: None,
            constraints: None,
        }
        .to_bytes(),
    );
    Ok(pb::Definition { def, metadata })
}

fn mount(input: i64, dest: &str, output: i64, readonly: bool) -> pb::Mount {
    pb::Mount {
        input,
        dest: dest.to_string(),
        output,
        readonly,
        mount_type: pb::MountType::Bind as i32,
        ..pb::Mount::default()
    }
}

/// Scans each platform's image (see the module's text) and returns the
/// attestations by platform, for the result. Without the gateway's
/// `reference.attestations` capability: none, with a warning (BuildKit's own scan of
/// the image then runs, without stages).
pub async fn sbom(
    bridge: &mut Bridge,
    request: &SbomRequest,
    worker_platform: &str,
    targets: Vec<Targets>,
) -> Result<BTreeMap<String, gw::Attestations>, Failure> {
    let mut out = BTreeMap::new();
    if !bridge.has("reference.attestations") {
        eprintln!(
            "warning: this BuildKit lacks the gateway capability `reference.attestations`: the SBOM is \
             BuildKit's scan of the image alone"
        );
        return Ok(out);
    }
    let platform = to_pb_platform(worker_platform);
    let (digest, config) = bridge
        .resolve_image_config(&request.generator, &platform)
        .await?;
    let scanner = Scanner::from_config(&request.generator, &digest, &config)?;
    for t in targets {
        let definition = scan_definition(&scanner, &platform, request, &t)?;
        let id = bridge.solve(definition).await?;
        let attestation = gw::Attestation {
            kind: gw::AttestationKind::Bundle as i32,
            metadata: BTreeMap::from([
                ("reason".to_string(), b"sbom".to_vec()),
                ("sbom-core".to_string(), b"sbom".to_vec()),
            ]),
            r#ref: Some(gw::Ref { id, def: None }),
            path: String::new(),
            in_toto_predicate_type: SPDX.to_string(),
            in_toto_subjects: Vec::new(),
        };
        out.insert(
            t.platform,
            gw::Attestations {
                attestation: vec![attestation],
            },
        );
    }
    Ok(out)
}

/// `os/arch[/variant]` as LLB's platform.
pub fn to_pb_platform(platform: &str) -> pb::Platform {
    let mut parts = platform.split('/');
    pb::Platform {
        os: parts.next().unwrap_or_default().to_string(),
        architecture: parts.next().unwrap_or_default().to_string(),
        variant: parts.next().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sbom_requests_are_read_as_buildkit_reads_them() {
        assert_eq!(
            sbom_request(&raw(&[("attest:provenance", "")])).unwrap(),
            None
        );
        let default = sbom_request(&raw(&[("attest:sbom", "")])).unwrap().unwrap();
        assert_eq!(default.generator, DEFAULT_GENERATOR);
        let named = sbom_request(&raw(&[(
            "attest:sbom",
            r#"generator=127.0.0.1:5050/scan:1,"LIST=a,b""#,
        )]))
        .unwrap()
        .unwrap();
        assert_eq!(named.generator, "127.0.0.1:5050/scan:1");
        assert_eq!(named.params["LIST"], "a,b");
        let by_arg = sbom_request(&raw(&[("build-arg:BUILDKIT_ATTEST_SBOM", "generator=x")]))
            .unwrap()
            .unwrap();
        assert_eq!(by_arg.generator, "x");
        assert!(sbom_request(&raw(&[("attest:sbom", "generator=")])).is_err());
    }

    #[test]
    fn scan_args_name_every_stage_or_some() {
        assert!(enabled_for("build", "true"));
        assert!(!enabled_for("build", "false"));
        assert!(enabled_for("build", "deps,build"));
        assert!(!enabled_for("test", "deps,build"));
    }

    fn op_bytes(inputs: Vec<pb::Input>, kind: Option<pb::op::Kind>) -> Vec<u8> {
        pb::Op {
            inputs,
            kind,
            platform: None,
            constraints: None,
        }
        .to_bytes()
    }

    fn image(name: &str) -> Vec<u8> {
        op_bytes(
            Vec::new(),
            Some(pb::op::Kind::Source(pb::SourceOp {
                identifier: format!("docker-image://{name}"),
                attrs: BTreeMap::new(),
            })),
        )
    }

    #[test]
    fn a_scan_mounts_the_image_and_the_stages_asked_for() {
        let build = image("docker.io/library/golang:1.23");
        let run = image("docker.io/library/debian:bookworm-slim");
        let input = |b: &[u8]| pb::Input {
            digest: llb::digest(b),
            index: 0,
        };
        let terminal = op_bytes(vec![input(&run)], None);
        let definition = pb::Definition {
            def: vec![build.clone(), run.clone(), terminal],
            metadata: BTreeMap::new(),
        };
        let stages = vec![
            ("build".to_string(), input(&build)),
            ("app".to_string(), input(&run)),
        ];
        assert!(extras(&definition, &stages, None, None, None).is_empty());
        let found = extras(&definition, &stages, None, Some("true"), None);
        assert_eq!(found, vec![("build".to_string(), input(&build))]);
        assert!(extras(&definition, &stages, None, Some("test"), None).is_empty());
        assert!(extras(&definition, &stages, Some("build"), Some("true"), None).len() == 1);

        let scanner = Scanner::from_config(
            "127.0.0.1:5050/scan:1",
            "sha256:abc",
            br#"{"config":{"Entrypoint":["/scan"],"Env":["PATH=/bin"],"WorkingDir":"/w"}}"#,
        )
        .unwrap();
        assert_eq!(scanner.reference, "127.0.0.1:5050/scan:1@sha256:abc");
        let request = SbomRequest {
            generator: "127.0.0.1:5050/scan:1".into(),
            params: BTreeMap::from([("MODE".to_string(), "fast".to_string())]),
        };
        let targets = Targets {
            platform: "linux/amd64".into(),
            definition,
            extras: found,
            ignore_cache: false,
        };
        let d =
            scan_definition(&scanner, &to_pb_platform("linux/amd64"), &request, &targets).unwrap();
        let ops: Vec<pb::Op> = d
            .def
            .iter()
            .map(|b| pb::Op::decode(b.as_slice()).unwrap())
            .collect();
        let last = ops.last().unwrap();
        assert_eq!(last.inputs[0].index, 1, "the result is /run/out");
        let exec = ops
            .iter()
            .find_map(|o| match &o.kind {
                Some(pb::op::Kind::Exec(e)) => Some((o, e)),
                _ => None,
            })
            .unwrap();
        let (op, exec) = exec;
        assert_eq!(llb::digest(&d.def[d.def.len() - 2]), last.inputs[0].digest);
        let meta = exec.meta.as_ref().unwrap();
        assert_eq!(meta.args, ["/scan"]);
        assert_eq!(meta.cwd, "/w");
        for e in [
            "BUILDKIT_SCAN_DESTINATION=/run/out/",
            "BUILDKIT_SCAN_SOURCE=/run/src/core/sbom",
            "BUILDKIT_SCAN_SOURCE_EXTRAS=/run/src/extras/",
            "BUILDKIT_SCAN_MODE=fast",
        ] {
            assert!(meta.env.contains(&e.to_string()), "{e}: {:?}", meta.env);
        }
        let dests: Vec<(&str, i64, i64)> = exec
            .mounts
            .iter()
            .map(|m| (m.dest.as_str(), m.input, m.output))
            .collect();
        assert_eq!(
            dests,
            [
                ("/", 0, 0),
                ("/run/out", -1, 1),
                ("/run/src/core/sbom", 1, -1),
                ("/run/src/extras/sbom-build", 2, -1),
                ("/tmp", -1, -1)
            ]
        );
        assert_eq!(op.inputs[1].digest, llb::digest(&run), "the image");
        assert_eq!(op.inputs[2].digest, llb::digest(&build));
        // Every input names an op of the definition.
        for o in &ops {
            for i in &o.inputs {
                assert!(d.def.iter().any(|b| llb::digest(b) == i.digest));
            }
        }
    }
}
