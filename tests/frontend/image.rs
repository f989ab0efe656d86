//! msbc's frontend image for the tests that build through it: built once
//! per test run by `scripts/frontend-image.sh` (profile `frontend-image`:
//! a static, unoptimized msbc) and pushed once to a Debian
//! `docker-registry` on 127.0.0.1 that lives as long as the tests.

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

/// The frontend image's reference (`127.0.0.1:PORT/msbc/frontend:test`),
/// built from this checkout and pushed on first use. Needs Debian's
/// docker-registry.
pub fn frontend_image() -> String {
    let registry = needs_registry();
    static IMAGE: OnceLock<(Registry, String)> = OnceLock::new();
    let (_, reference) = IMAGE.get_or_init(|| {
        let registry = start_registry(&registry);
        let reference = format!("{}/msbc/frontend:test", registry.host);
        let start = Instant::now();
        let out = Command::new("bash")
            .arg(root().join("scripts/frontend-image.sh"))
            .arg(&reference)
            .env("MSBC_FRONTEND_PROFILE", "frontend-image")
            .output()
            .expect("frontend-image.sh runs");
        assert!(
            out.status.success(),
            "frontend-image.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let digest = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            digest.starts_with("sha256:"),
            "it prints the digest: {digest}"
        );
        eprintln!(
            "frontend image {reference} ({digest}) built and pushed in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        (registry, reference)
    });
    reference.clone()
}
