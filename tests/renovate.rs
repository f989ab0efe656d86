//! The Renovate preset msbc ships (`renovate/msbc.json`), run through Renovate's own
//! extraction (`renovate --platform=local --dry-run=extract`: no lookups, no network) over a
//! repository holding a spec with every kind of image reference and its `msbc.lock`; and its
//! config checked by `renovate-config-validator --strict`. Renovate is installed by
//! `scripts/renovate.sh` (npm, once, into a cache folder).

use crate::support::{TempDir, needs_renovate, root};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const SPEC: &str = r#"msbc 1
arg GO_VERSION "1.23"
toolchain go image="golang:1.23-bookworm"
toolchain templated image="golang:${GO_VERSION}-bookworm"
stage tools from="127.0.0.1:5050/team/base:2.1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
    copy from="ghcr.io/acme/tools:v1.2.3" "/bin/tool" to="/bin/tool"
}
stage build toolchain=go {
    run "go build -o /out/app ." {
        bind "/etc/ssl" from="debian:bookworm-slim" source="/etc/ssl"
    }
}
image app from="gcr.io/distroless/static-debian12:nonroot" {
    copy from=build "/out/app" to="/app"
    copy from="tools" "/bin/tool" to="/bin/tool"
}
"#;

const LOCK: &str = r#"// msbc.lock: base images pinned by `msbc lock`. Do not edit: run `msbc lock` again.
version 1
image "debian:bookworm-slim" digest="sha256:1111111111111111111111111111111111111111111111111111111111111111" {
    config "linux/amd64" digest="sha256:2222222222222222222222222222222222222222222222222222222222222222" layers=1 {
        cmd "bash"
    }
}
image "golang:1.23-bookworm" digest="sha256:3333333333333333333333333333333333333333333333333333333333333333" {
    config "linux/amd64" digest="sha256:4444444444444444444444444444444444444444444444444444444444444444" layers=3 {
        workdir "/go"
    }
}
"#;

fn run(program: &Path, args: &[&str], dir: &Path, cache: &Path) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("LOG_LEVEL", "debug")
        .env("LOG_FORMAT", "json")
        .env("RENOVATE_ONBOARDING", "false")
        .env("RENOVATE_REQUIRE_CONFIG", "optional")
        .env("RENOVATE_BASE_DIR", cache)
        .env_remove("RENOVATE_TOKEN")
        .env_remove("GITHUB_COM_TOKEN")
        .output()
        .expect("renovate runs")
}

#[test]
#[ignore = "needs Renovate (node and npm; scripts/renovate.sh installs it)"]
fn needs_renovate_extracts_image_references_and_lock_digests() {
    let renovate = needs_renovate();
    let repo = TempDir::new("renovate-repo");
    let cache = TempDir::new("renovate-cache");
    repo.write("services/api/build.kdl", SPEC);
    repo.write("services/api/msbc.lock", LOCK);
    let preset = std::fs::read_to_string(root().join("renovate/msbc.json")).expect("the preset");
    // The repository's config is the preset itself (a `local>`/`github>` preset is fetched
    // from the platform, which the local platform does not serve).
    repo.write("renovate.json", &preset);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(repo.path())
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "specs"]);

    let validator = renovate.with_file_name("renovate-config-validator");
    let out = run(
        &validator,
        &["--strict", "renovate.json"],
        repo.path(),
        cache.path(),
    );
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "renovate-config-validator --strict:\n{text}"
    );

    let out = run(
        &renovate,
        &["--platform=local", "--dry-run=extract"],
        repo.path(),
        cache.path(),
    );
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "renovate:\n{log}");
    let extracted = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["msg"] == "Extracted dependencies")
        .unwrap_or_else(|| panic!("no `Extracted dependencies` in Renovate's log:\n{log}"));
    let mut found: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for file in extracted["packageFiles"]["regex"]
        .as_array()
        .expect("regex package files")
    {
        let name = file["packageFile"]
            .as_str()
            .expect("packageFile")
            .to_string();
        for dep in file["deps"].as_array().expect("deps") {
            assert_eq!(dep["datasource"], "docker", "{dep}");
            found.insert((
                name.clone(),
                dep["depName"].as_str().expect("depName").to_string(),
                dep["currentValue"].as_str().unwrap_or_default().to_string(),
                dep["currentDigest"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    let want: BTreeSet<(String, String, String, String)> = [
        ("services/api/build.kdl", "golang", "1.23-bookworm", ""),
        (
            "services/api/build.kdl",
            "127.0.0.1:5050/team/base",
            "2.1",
            "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        ("services/api/build.kdl", "ghcr.io/acme/tools", "v1.2.3", ""),
        ("services/api/build.kdl", "debian", "bookworm-slim", ""),
        (
            "services/api/build.kdl",
            "gcr.io/distroless/static-debian12",
            "nonroot",
            "",
        ),
        (
            "services/api/msbc.lock",
            "debian",
            "bookworm-slim",
            "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        ),
        (
            "services/api/msbc.lock",
            "golang",
            "1.23-bookworm",
            "sha256:3333333333333333333333333333333333333333333333333333333333333333",
        ),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    // Every literal reference and lock digest, and nothing else: not the `${GO_VERSION}`
    // reference, a stage name (`from=build`, `from="tools"`) or a config digest.
    assert_eq!(found, want, "Renovate's extraction:\n{extracted}");
    // The spec checks: the references are the ones msbc reads.
    crate::support::Msbc::new()
        .args(["check", "services/api"])
        .dir(repo.path())
        .run()
        .success();
}
