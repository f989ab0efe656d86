//! The gRPC connection to BuildKit's LLB bridge over the frontend's own
//! stdin/stdout (BuildKit serves HTTP/2 without TLS on them; the frontend
//! is the client), and one method per call msbc makes, each failing with a
//! sentence rather than a transport error.

use super::generated::fsutil::types::Stat;
use super::generated::google::rpc::Status;
use super::generated::moby::buildkit::v1::frontend as gw;
use super::generated::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use crate::backend::llb::pb;
use hyper_util::rt::TokioIo;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// The largest message msbc accepts or sends (a spec of several MB, the
/// LLB of a big build).
const MAX_MESSAGE: usize = 64 << 20;

/// How long the gateway may take to answer the first call.
const PING_TIMEOUT: Duration = Duration::from_secs(60);

/// A failed call, as a sentence for the build's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError(pub String);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn call_error(call: &str, status: tonic::Status) -> CallError {
    let text = status.message().trim();
    let closed = matches!(
        status.code(),
        tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
    ) && (text.contains("transport")
        || text.contains("connection")
        || text.contains("broken pipe")
        || text.contains("closed")
        || text.is_empty());
    if closed {
        CallError(format!(
            "the BuildKit gateway closed the connection during {call} ({})",
            if text.is_empty() {
                "no reason given"
            } else {
                text
            }
        ))
    } else {
        CallError(format!("{call} failed: {text}"))
    }
}

/// stdin and stdout as one duplex stream, handed out once.
type Stdio = tokio::io::Join<tokio::io::Stdin, tokio::io::Stdout>;

/// The client and what the gateway said it can do.
pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    /// Enabled gateway capabilities (`solve.base`, `readdir`, `return`, ...).
    pub caps: BTreeSet<String>,
    /// Enabled LLB capabilities (`source.local.metadatatransfer`, ...).
    pub llb_caps: BTreeSet<String>,
}

impl Bridge {
    /// Connects over stdin/stdout and pings the gateway.
    pub async fn connect() -> Result<Bridge, CallError> {
        let stdio: Arc<Mutex<Option<Stdio>>> = Arc::new(Mutex::new(Some(tokio::io::join(
            tokio::io::stdin(),
            tokio::io::stdout(),
        ))));
        let connector = tower::service_fn(move |_: tonic::codegen::http::Uri| {
            let taken = stdio.lock().ok().and_then(|mut s| s.take());
            async move {
                taken.map(TokioIo::new).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotConnected,
                        "the gateway connection over stdin/stdout was lost",
                    )
                })
            }
        });
        let channel = Endpoint::from_static("http://localhost")
            .connect_with_connector(connector)
            .await
            .map_err(|e| CallError(format!("cannot talk HTTP/2 over stdin/stdout: {e}")))?;
        let mut client = LlbBridgeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let pong = tokio::time::timeout(PING_TIMEOUT, client.ping(gw::PingRequest {}))
            .await
            .map_err(|_| {
                CallError(format!(
                    "no answer from a BuildKit gateway on stdin/stdout within {}s \
                     (`msbc frontend` is run by BuildKit, as a frontend image's entrypoint)",
                    PING_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|s| call_error("Ping", s))?
            .into_inner();
        let enabled = |caps: &[super::generated::moby::buildkit::v1::apicaps::ApiCap]| {
            caps.iter()
                .filter(|c| c.enabled)
                .map(|c| c.id.clone())
                .collect()
        };
        Ok(Bridge {
            caps: enabled(&pong.frontend_api_caps),
            llb_caps: enabled(&pong.llb_caps),
            client,
        })
    }

    pub fn has(&self, cap: &str) -> bool {
        self.caps.contains(cap)
    }

    /// Whether the solver takes LLB with the capability `cap`.
    pub fn has_llb(&self, cap: &str) -> bool {
        self.llb_caps.contains(cap)
    }

    /// Fails naming the first of `caps` the gateway lacks.
    pub fn require(&self, caps: &[&str], what: &str) -> Result<(), CallError> {
        match caps.iter().find(|c| !self.has(c)) {
            None => Ok(()),
            Some(missing) => Err(CallError(format!(
                "this BuildKit lacks the gateway capability `{missing}`, which {what} needs; \
                 use a newer BuildKit (Docker 20.10 or later)"
            ))),
        }
    }

    /// Solves `definition`; the id of its result, for ReadFile and Return.
    pub async fn solve(&mut self, definition: pb::Definition) -> Result<String, CallError> {
        self.solve_importing(definition, &[]).await
    }

    /// Solves `definition`, importing `caches` (`--cache-from`).
    pub async fn solve_importing(
        &mut self,
        definition: pb::Definition,
        caches: &[super::options::CacheImport],
    ) -> Result<String, CallError> {
        let cache_imports = caches
            .iter()
            .map(|c| gw::CacheOptionsEntry {
                r#type: c.kind.clone(),
                attrs: c.attrs.clone(),
            })
            .collect();
        let response = self
            .client
            .solve(gw::SolveRequest {
                definition: Some(definition),
                allow_result_return: true,
                cache_imports,
                ..gw::SolveRequest::default()
            })
            .await
            .map_err(|s| call_error("Solve", s))?
            .into_inner();
        let id = match response.result.and_then(|r| r.result) {
            Some(gw::result::Result::Ref(r)) => r.id,
            Some(gw::result::Result::RefDeprecated(id)) => id,
            _ => response.r#ref,
        };
        Ok(id)
    }

    pub async fn read_file(&mut self, r#ref: &str, path: &str) -> Result<Vec<u8>, CallError> {
        Ok(self
            .client
            .read_file(gw::ReadFileRequest {
                r#ref: r#ref.to_string(),
                file_path: path.to_string(),
                range: None,
            })
            .await
            .map_err(|s| call_error(&format!("ReadFile of {path}"), s))?
            .into_inner()
            .data)
    }

    pub async fn read_dir(&mut self, r#ref: &str, path: &str) -> Result<Vec<Stat>, CallError> {
        Ok(self
            .client
            .read_dir(gw::ReadDirRequest {
                r#ref: r#ref.to_string(),
                dir_path: path.to_string(),
                include_pattern: String::new(),
            })
            .await
            .map_err(|s| call_error(&format!("ReadDir of {path}"), s))?
            .into_inner()
            .entries)
    }

    /// The config JSON (and digest) of `reference` for `platform`.
    pub async fn resolve_image_config(
        &mut self,
        reference: &str,
        platform: &pb::Platform,
    ) -> Result<(String, Vec<u8>), CallError> {
        let response = self
            .client
            .resolve_image_config(gw::ResolveImageConfigRequest {
                r#ref: reference.to_string(),
                platform: Some(platform.clone()),
                resolve_mode: "default".to_string(),
                log_name: format!("[internal] load metadata for {reference}"),
            })
            .await
            .map_err(|s| call_error(&format!("ResolveImageConfig of {reference}"), s))?
            .into_inner();
        Ok((response.digest, response.config))
    }

    /// A warning in the build's output (`gateway.warnings`; older engines:
    /// stderr only).
    pub async fn warn(&mut self, request: gw::WarnRequest) -> Result<(), CallError> {
        if !self.has("gateway.warnings") {
            return Ok(());
        }
        self.client
            .warn(request)
            .await
            .map_err(|s| call_error("Warn", s))?;
        Ok(())
    }

    /// Hands the result (or the error) back to BuildKit.
    pub async fn finish(
        &mut self,
        result: Option<gw::Result>,
        error: Option<Status>,
    ) -> Result<(), CallError> {
        self.client
            .r#return(gw::ReturnRequest { result, error })
            .await
            .map_err(|s| call_error("Return", s))?;
        Ok(())
    }
}
