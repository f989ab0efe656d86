//! Tests of `frontend/attest.rs`.

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
    let d = scan_definition(&scanner, &to_pb_platform("linux/amd64"), &request, &targets).unwrap();
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
