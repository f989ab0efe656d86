//! `msbc frontend`: msbc as a BuildKit gateway frontend, the entrypoint of
//! msbc's frontend image (`scripts/frontend-image.sh`). BuildKit starts it
//! with the build's options in `BUILDKIT_FRONTEND_OPT_*` and serves its LLB
//! bridge (gRPC over HTTP/2) on the process's stdin/stdout; msbc is the
//! client. stdout carries only gRPC; logs go to stderr.
//!
//! The build: Ping (capabilities), the spec from the `dockerfile` input,
//! template folders and preset-detected files from the `context` input,
//! `msbc compile --emit llb` per platform, Solve, and Return with the ref(s)
//! and `containerimage.config`. A spec with errors fails the build with all
//! of them (code, line, snippet, help) and BuildKit's source-location
//! detail per error (clients print the snippet); warnings reach the
//! client's output (`warnings.rs`: Warn on the vertex that loaded the spec,
//! or vertices of their own on engines without Warn).
//!
//! Async code (tokio, tonic) stays inside this module; the rest of msbc is
//! synchronous. Like `cli`, this module does I/O.

mod attest;
mod bridge;
mod build;
mod failure;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, dead_code, unused_qualifications)]
/// The gateway's messages and client, generated from `proto/` (public for
/// the tests' fake gateway).
pub mod generated;
mod inputs;
mod options;
mod subrequests;
mod warnings;

pub use options::Options;

use bridge::Bridge;
use std::io::IsTerminal;

/// Runs one build as BuildKit's frontend; the process's exit code (0: the
/// result was returned; 1: the build failed or the gateway went away).
pub fn main() -> i32 {
    if std::io::stdin().is_terminal() || std::io::stdout().is_terminal() {
        eprintln!(
            "error: `msbc frontend` is run by BuildKit (it speaks gRPC on stdin/stdout); \
             build with `docker build -f build.kdl --build-arg BUILDKIT_SYNTAX=IMAGE .` \
             or a `// syntax=IMAGE` first line"
        );
        return 2;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the frontend's runtime: {e}");
            return 1;
        }
    };
    let code = runtime.block_on(run());
    // stdin is read on a blocking thread that may never return: do not wait.
    runtime.shutdown_background();
    code
}

async fn run() -> i32 {
    let opts = Options::parse(&options::raw(std::env::vars()));
    let env = build::Env {
        session_id: std::env::var("BUILDKIT_SESSION_ID").unwrap_or_default(),
        worker_platform: std::env::var("BUILDKIT_WORKERS")
            .ok()
            .and_then(|w| worker_platform(&w)),
    };
    let mut bridge = match Bridge::connect().await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if !opts.unknown.is_empty() {
        eprintln!(
            "note: options msbc does not read: {}",
            opts.unknown.join(", ")
        );
    }
    let outcome = build::build(&mut bridge, &opts, &env).await;
    if let Err(e) = bridge.require(&["return"], "returning a result") {
        eprintln!("error: {e}");
        return 1;
    }
    let (result, error, code) = match outcome {
        Ok(result) => (Some(result), None, 0),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            (None, Some(failure.to_status()), 1)
        }
    };
    match bridge.finish(result, error).await {
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The first platform of the first worker in `BUILDKIT_WORKERS` (JSON).
fn worker_platform(json: &str) -> Option<crate::domain::Platform> {
    let workers: serde_json::Value = serde_json::from_str(json).ok()?;
    let p = workers.get(0)?.get("Platforms")?.get(0)?;
    let os = p.get("OS").and_then(|v| v.as_str())?;
    let arch = p.get("Architecture").and_then(|v| v.as_str())?;
    let text = match p.get("Variant").and_then(|v| v.as_str()) {
        Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
        _ => format!("{os}/{arch}"),
    };
    crate::domain::Platform::parse(&text).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_worker_platform_is_the_default_target() {
        let json = r#"[{"ID":"w1","Platforms":[{"Architecture":"arm64","OS":"linux","Variant":"v8"},{"Architecture":"amd64","OS":"linux"}]}]"#;
        // Normalized as BuildKit names the platform: `arm64/v8` is `arm64`.
        assert_eq!(
            super::worker_platform(json)
                .map(|p| p.to_string())
                .as_deref(),
            Some("linux/arm64")
        );
        assert_eq!(super::worker_platform("null"), None);
        assert_eq!(super::worker_platform("not json"), None);
    }
}
