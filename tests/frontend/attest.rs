//! `--sbom` and `--provenance` through the frontend on the rig: the SBOM is
//! scanned by the frontend (the image, and the stages
//! `BUILDKIT_SBOM_SCAN_STAGE` names) with a stand-in generator image built
//! here (`tests/tools/sbom-scanner`: no scanner image is reachable), and
//! the provenance is BuildKit's; both are compared with what BuildKit's
//! Dockerfile frontend attaches to msbc's Dockerfile.

use super::image::{frontend_image, tmp};
use super::rig::{build_oci, buildctl, strings};
use crate::support::{copy_dir, msbc_in, needs_buildkitd, root};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The stand-in scanner, built by the rig from the rig's debian image and
/// pushed to the rig's registry once per test process.
fn scanner(bin: &Path) -> String {
    static SCANNER: OnceLock<String> = OnceLock::new();
    SCANNER
        .get_or_init(|| {
            let registry =
                std::env::var("MSBC_RIG_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5050".into());
            let reference = format!("{registry}/msbc-test/sbom-scanner:1");
            let dir = root().join("tests/tools/sbom-scanner");
            let (ok, log) = buildctl(
                bin,
                &[
                    "build".to_string(),
                    "--frontend".into(),
                    "dockerfile.v0".into(),
                    "--local".into(),
                    format!("context={}", dir.display()),
                    "--local".into(),
                    format!("dockerfile={}", dir.display()),
                    "--output".into(),
                    format!("type=image,name={reference},push=true"),
                ],
            );
            assert!(ok, "building the stand-in scanner failed:\n{log}");
            reference
        })
        .clone()
}

/// The attestations of an OCI archive (`tests/tools/oci-attest.py`).
fn attestations(tar: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("python3")
        .arg(root().join("tests/tools/oci-attest.py"))
        .arg(tar)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "oci-attest.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn sbom<'a>(atts: &'a [serde_json::Value], name: &str) -> Option<&'a serde_json::Value> {
    atts.iter()
        .find(|a| a["predicateType"] == "https://spdx.dev/Document" && a["name"] == name)
}

fn provenance(atts: &[serde_json::Value]) -> Option<&serde_json::Value> {
    atts.iter().find(|a| {
        a["predicateType"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://slsa.dev/provenance/"))
    })
}

#[test]
#[ignore = "needs MSBC_FRONTEND_TESTS=1, a buildkitd at BUILDKIT_HOST (the rig) and docker-registry"]
fn needs_frontend_rig_sbom_and_provenance_as_the_dockerfile_frontend_attaches_them() {
    let bin = needs_buildkitd();
    let image = frontend_image();
    let generator = scanner(&bin);
    let top = tmp("attest");
    let dir = top.join("ctx");
    copy_dir(&root().join("specs/go"), &dir);
    let run = msbc_in(&dir, &["compile", "-o", "Dockerfile"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let sbom_opt = format!("attest:sbom=generator={generator}");
    let attest = ["--opt", &sbom_opt, "--opt", "attest:provenance=mode=min"];

    let dockerfile_tar = top.join("dockerfile.tar");
    let mut args = strings(&[
        "--frontend",
        "dockerfile.v0",
        "--opt",
        "filename=Dockerfile",
    ]);
    args.extend(strings(&attest));
    build_oci(&bin, &dir, &args, &[], &dockerfile_tar);
    let theirs = attestations(&dockerfile_tar);

    let source = format!("source={image}");
    let gateway_tar = top.join("gateway.tar");
    let mut args = strings(&["--frontend", "gateway.v0", "--opt", &source]);
    args.extend(strings(&attest));
    let log = build_oci(&bin, &dir, &args, &[], &gateway_tar);
    let ours = attestations(&gateway_tar);
    assert!(
        log.contains("[linux/amd64] generating sbom using"),
        "the frontend did not scan:\n{log}"
    );

    // The image's SBOM: the same scan of the same files on both routes.
    let (Some(a), Some(b)) = (sbom(&theirs, "sbom"), sbom(&ours, "sbom")) else {
        panic!("an image SBOM is missing:\n{theirs:#?}\n{ours:#?}\n{log}");
    };
    assert_eq!(a["files"], b["files"], "{theirs:#?}\n{ours:#?}");
    assert_eq!(a["packages"], b["packages"]);
    assert_eq!(a["platform"], b["platform"]);
    assert!(
        b["files"].to_string().contains("/usr/local/bin/server"),
        "{b}"
    );
    // Without BUILDKIT_SBOM_SCAN_STAGE, no stage is scanned.
    assert_eq!(
        ours.iter()
            .filter(|a| a["predicateType"] == "https://spdx.dev/Document")
            .count(),
        1,
        "{ours:#?}"
    );
    // The provenance: BuildKit's, on both routes.
    let (Some(pa), Some(pb)) = (provenance(&theirs), provenance(&ours)) else {
        panic!("a provenance is missing:\n{theirs:#?}\n{ours:#?}");
    };
    assert_eq!(pa["predicateType"], pb["predicateType"]);
    assert_eq!(pa["buildType"], pb["buildType"]);
    assert_eq!(pb["frontend"], "gateway.v0");

    // Stages: every stage the image is built from (the preset's `deps` and
    // `build`), not the `test` stage it does not need, nor the image again.
    let staged_tar = top.join("staged.tar");
    let mut args = strings(&["--frontend", "gateway.v0", "--opt", &source]);
    args.extend(strings(&attest));
    build_oci(
        &bin,
        &dir,
        &args,
        &["BUILDKIT_SBOM_SCAN_STAGE=true"],
        &staged_tar,
    );
    let staged = attestations(&staged_tar);
    let mut names: Vec<&str> = staged
        .iter()
        .filter(|a| a["predicateType"] == "https://spdx.dev/Document")
        .filter_map(|a| a["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["sbom", "sbom-build", "sbom-deps"], "{staged:#?}");
    // The build stage's scan is of the build stage: Go is in it, and the
    // server binary is not in /usr/local/bin there.
    let build = sbom(&staged, "sbom-build").expect("the build stage's SBOM");
    assert!(
        !build["files"].to_string().contains("/usr/local/bin/server"),
        "{build}"
    );
    // By name: one stage.
    let named_tar = top.join("named.tar");
    build_oci(
        &bin,
        &dir,
        &args,
        &["BUILDKIT_SBOM_SCAN_STAGE=build"],
        &named_tar,
    );
    let named = attestations(&named_tar);
    assert!(sbom(&named, "sbom-build").is_some(), "{named:#?}");
    assert!(sbom(&named, "sbom-deps").is_none(), "{named:#?}");
    std::fs::remove_dir_all(&top).ok();
}
