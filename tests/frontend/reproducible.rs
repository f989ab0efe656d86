//! Reproducible builds on the rig (a current BuildKit): two clean builds
//! (`--no-cache`: every op runs again) of a sample service of each preset
//! with `SOURCE_DATE_EPOCH` and the exporter's `rewrite-timestamp=true`
//! give one manifest digest, through msbc's frontend and through BuildKit's
//! Dockerfile frontend on msbc's Dockerfile; the image config is dated by
//! the epoch on both routes.
//!
//! BuildKit v0.24's Dockerfile frontend (the rig's) writes a Go pointer into
//! the history entry of an `EXPOSE` (`EXPOSE &{[...] 0xc0003d67c0}`,
//! moby/buildkit#6217, fixed after v0.24 by moby/buildkit#6218): on that
//! route two builds of a service that exposes a port differ in that entry
//! alone, which the test checks instead (the layers and the rest of the
//! config are the same); msbc's frontend writes `EXPOSE map[8080/tcp:{}]`.

use super::image::{frontend_image, tmp};
use crate::support::{copy_dir, msbc_in, needs_buildkitd, root};
use std::path::Path;
use std::process::Command;

/// One service per preset the rig can build, with the build args that fit
/// its base images (Python 3.11 and Node 18 stand-ins).
const SAMPLES: &[(&str, &[&str])] = &[
    ("go", &[]),
    ("python/pip", &["PYTHON_VERSION=3.11"]),
    ("node/npm", &["NODE_VERSION=18"]),
];

const EPOCH: &str = "1700000000";

/// The manifest digest, the layer digests and the image config of the
/// single-platform OCI archive `tar` (python3's tarfile: stdlib only).
fn manifest(tar: &Path) -> (String, serde_json::Value, serde_json::Value) {
    let script = r#"
import json, sys, tarfile
tar = tarfile.open(sys.argv[1])
blob = lambda d: tar.extractfile("blobs/sha256/" + d.split(":", 1)[1]).read()
top = json.loads(tar.extractfile("index.json").read())["manifests"][0]
manifest = json.loads(blob(top["digest"]))
config = json.loads(blob(manifest["config"]["digest"]))
print(top["digest"])
print(json.dumps([l["digest"] for l in manifest["layers"]]))
print(json.dumps(config))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(tar)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let json = |i: usize| -> serde_json::Value {
        serde_json::from_str(lines.get(i).copied().unwrap_or_default()).expect("JSON")
    };
    let digest = lines.first().copied().unwrap_or_default().to_string();
    (digest, json(1), json(2))
}

/// `config` with BuildKit v0.24's pointer in `EXPOSE` history entries
/// blanked (moby/buildkit#6217).
fn without_expose_pointer(mut config: serde_json::Value) -> serde_json::Value {
    for h in config["history"].as_array_mut().into_iter().flatten() {
        if h["created_by"]
            .as_str()
            .is_some_and(|c| c.starts_with("EXPOSE &{"))
        {
            h["created_by"] = serde_json::Value::String("EXPOSE &{...}".into());
        }
    }
    config
}

/// One clean build of `dir` (`--no-cache`, `SOURCE_DATE_EPOCH`,
/// `rewrite-timestamp=true`) to `tar`.
fn clean_build(bin: &Path, dir: &Path, frontend: &[String], build_args: &[&str], tar: &Path) {
    let mut args: Vec<String> = vec!["build".into(), "--no-cache".into()];
    args.extend(frontend.iter().cloned());
    for a in build_args
        .iter()
        .map(|a| a.to_string())
        .chain([format!("SOURCE_DATE_EPOCH={EPOCH}")])
    {
        args.extend(["--opt".into(), format!("build-arg:{a}")]);
    }
    args.extend([
        "--local".into(),
        format!("context={}", dir.display()),
        "--local".into(),
        format!("dockerfile={}", dir.display()),
        "--output".into(),
        format!("type=oci,dest={},rewrite-timestamp=true", tar.display()),
    ]);
    let out = Command::new(bin)
        .args(&args)
        .output()
        .expect("buildctl runs");
    assert!(
        out.status.success(),
        "buildctl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_rig_two_clean_builds_give_one_digest_on_both_routes() {
    let bin = needs_buildkitd();
    let image = frontend_image();
    let source = format!("source={image}");
    let routes: [(&str, Vec<String>); 2] = [
        (
            "frontend",
            ["--frontend", "gateway.v0", "--opt", &source]
                .map(String::from)
                .to_vec(),
        ),
        (
            "dockerfile",
            [
                "--frontend",
                "dockerfile.v0",
                "--opt",
                "filename=Dockerfile",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ];
    for (name, build_args) in SAMPLES {
        let top = tmp(&format!("reproducible-{}", name.replace('/', "-")));
        let dir = top.join("ctx");
        copy_dir(&root().join("specs").join(name), &dir);
        let run = msbc_in(&dir, &["compile", "-o", "Dockerfile"], None);
        assert_eq!(run.status, 0, "{name}: {}", run.stderr);
        for (route, frontend) in &routes {
            let tar = |n: usize| top.join(format!("{route}-{n}.tar"));
            clean_build(&bin, &dir, frontend, build_args, &tar(1));
            clean_build(&bin, &dir, frontend, build_args, &tar(2));
            let (first, layers, config) = manifest(&tar(1));
            let (second, layers_again, config_again) = manifest(&tar(2));
            assert_eq!(
                config["created"], "2023-11-14T22:13:20Z",
                "{name} through the {route}: not dated by SOURCE_DATE_EPOCH"
            );
            if first == second {
                eprintln!("{name} through the {route}: {first} twice");
                continue;
            }
            assert_eq!(
                *route, "dockerfile",
                "{name} through msbc's frontend: two clean builds, two digests"
            );
            assert_eq!(layers, layers_again, "{name}: the layers differ");
            assert_eq!(
                without_expose_pointer(config),
                without_expose_pointer(config_again),
                "{name} through the {route}: two clean builds, two digests"
            );
            eprintln!(
                "{name} through the {route}: {first} and {second}, which differ only in \
                 BuildKit's EXPOSE history entry (moby/buildkit#6217)"
            );
        }
    }
}
