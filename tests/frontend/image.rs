//! msbc's frontend image for the tests that build through it: built once
//! per test run by `scripts/frontend-image.sh` (profile `frontend-image`:
//! a static, unoptimized msbc; linux/amd64 only, the engine's platform: the
//! two-platform index is tested in tests/release.rs) and pushed once to a
//! Debian `docker-registry` on 127.0.0.1 that lives as long as the tests.

use crate::support::{needs_registry, root};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A `docker-registry serve` on 127.0.0.1; it ends with the test process.
struct Registry {
    _child: Child,
    host: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An empty folder `frontend/NAME` in the tests' temp dir.
pub fn tmp(name: &str) -> PathBuf {
    crate::support::scratch(&format!("frontend/{name}"))
}

fn start_registry(registry: &Path) -> Registry {
    // One per test process: two runs at once must not share a storage.
    let dir = tmp(&format!("registry-{}", std::process::id()));
    let port = free_port();
    let config = dir.join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        ),
    )
    .expect("write the registry config");
    // The registry lives in a static that is never dropped: a watchdog
    // shell ends it when the test process is gone.
    let watchdog = r#""$1" serve "$2" & r=$!
trap 'kill $r 2>/dev/null' EXIT
while kill -0 "$3" 2>/dev/null && kill -0 "$r" 2>/dev/null; do sleep 1; done"#;
    let child = Command::new("sh")
        .args(["-c", watchdog, "sh"])
        .arg(registry)
        .arg(&config)
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry starts");
    let host = format!("127.0.0.1:{port}");
    let start = Instant::now();
    while TcpStream::connect(&host).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no registry on {host}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Registry {
        _child: child,
        host,
    }
}

/// The host (`127.0.0.1:PORT`) of the tests' registry, started on first
/// use. Needs Debian's docker-registry.
pub fn registry_host() -> String {
    let registry = needs_registry();
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY
        .get_or_init(|| start_registry(&registry))
        .host
        .clone()
}

/// The frontend image's reference (`127.0.0.1:PORT/msbc/frontend:test`),
/// built from this checkout and pushed on first use. Needs Debian's
/// docker-registry.
pub fn frontend_image() -> String {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let reference = format!("{}/msbc/frontend:test", registry_host());
            let start = Instant::now();
            let digest = push_image(
                "frontend-image.sh",
                &reference,
                &[
                    ("MSBC_FRONTEND_PROFILE", "frontend-image"),
                    ("MSBC_FRONTEND_PLATFORMS", "linux/amd64"),
                ],
            );
            eprintln!(
                "frontend image {reference} ({digest}) built and pushed in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            reference
        })
        .clone()
}

/// Runs `scripts/SCRIPT REFERENCE` with `env` (an image script: it builds
/// and pushes); returns the digest it prints.
pub fn push_image(script: &str, reference: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new("bash")
        .arg(root().join("scripts").join(script))
        .arg(reference)
        .envs(env.iter().copied())
        .output()
        .expect("the image script runs");
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digest = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        digest.starts_with("sha256:"),
        "{script} prints the digest: {digest}"
    );
    digest
}
