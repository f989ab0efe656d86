//! A registry client (HTTP API v2 over `ureq`) for `msbc lock` and the LLB
//! emits of `msbc compile`: a tag's digest, and an image's config for one
//! platform (the image index → the platform's manifest → its config blob).
//!
//! - Registries on loopback (`localhost`, `127.0.0.1`, `[::1]`) are spoken
//!   to over plain HTTP and without a proxy; all others over HTTPS.
//! - A `401` with `WWW-Authenticate: Bearer realm=...` gets a token from the
//!   realm (anonymous, or with the credential `~/.docker/config.json` has
//!   for the host: its `auths.<host>.auth`); `Basic` challenges are answered
//!   with that credential.
//! - Mirrors, as buildkitd's config has them: `docker.io=127.0.0.1:5000`
//!   (`--mirror`, repeatable, and `MSBC_REGISTRY_MIRRORS`, comma-separated)
//!   are tried in order before the registry itself, with the same
//!   repository path.
//! - Everything fetched by digest (manifests, config blobs) is checked
//!   against its digest and cached under the user's cache directory
//!   (`$MSBC_CACHE_DIR`, else `$XDG_CACHE_HOME/msbc`, else
//!   `~/.cache/msbc`), so a pinned image needs no network the next time.

use crate::backend::llb::BaseConfig;
use crate::domain::{ImageRef, Platform};
use crate::lock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

mod auth;
mod cache;
use auth::Credentials;
#[cfg(test)]
use auth::bearer_params;
use cache::Cache;
use std::time::Duration;

/// What a registry may answer for a tag: multi-platform lists first, so a
/// multi-platform tag resolves to its index (as `docker pull` pins it).
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Manifests and configs are small; refuse to read more than this.
const MAX_BODY: u64 = 4 << 20;

/// The body of a registry's answer, at most [`MAX_BODY`] bytes; an error
/// starts with `what` (`GET URL`, `token from REALM`).
fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
    what: &str,
) -> Result<Vec<u8>, String> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| format!("{what}: {e}"))
}

/// `--mirror REGISTRY=MIRROR`: `docker.io=127.0.0.1:5000`.
pub(super) fn parse_mirror(s: &str) -> Result<(String, String), String> {
    let (from, to) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not REGISTRY=MIRROR (e.g. docker.io=127.0.0.1:5000)"))?;
    let clean = |h: &str| {
        h.trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    };
    let (from, to) = (clean(from), clean(to));
    let host_ok = |h: &str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    };
    if !host_ok(&from) || !host_ok(&to) {
        return Err(format!(
            "`{s}` is not REGISTRY=MIRROR (e.g. docker.io=127.0.0.1:5000)"
        ));
    }
    Ok((canonical_host(&from), to))
}

/// The mirrors of `--mirror` flags, then of `MSBC_REGISTRY_MIRRORS`.
pub(super) fn mirrors(flags: &[(String, String)]) -> Result<Vec<(String, String)>, String> {
    let mut out = flags.to_vec();
    if let Ok(env) = std::env::var("MSBC_REGISTRY_MIRRORS") {
        for pair in env.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(parse_mirror(pair).map_err(|e| format!("MSBC_REGISTRY_MIRRORS: {e}"))?);
        }
    }
    Ok(out)
}

/// `docker.io` for Docker Hub's names.
fn canonical_host(host: &str) -> String {
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        h => h.to_string(),
    }
}

/// Where a reference's manifests are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Location {
    /// `docker.io`, `gcr.io`, `127.0.0.1:5000`.
    pub host: String,
    pub repository: String,
    pub tag: String,
    pub digest: Option<String>,
}

pub(super) fn locate(reference: &str) -> Result<Location, String> {
    let image = ImageRef::parse(reference).map_err(|e| format!("not an image reference: {e}"))?;
    let host = canonical_host(image.domain.as_deref().unwrap_or("docker.io"));
    let repository = if host == "docker.io" && !image.path.contains('/') {
        format!("library/{}", image.path)
    } else {
        image.path
    };
    Ok(Location {
        host,
        repository,
        tag: image.tag.unwrap_or_else(|| "latest".to_string()),
        digest: image.digest,
    })
}

/// The URL base of a registry host.
fn base_url(host: &str) -> String {
    let api = if host == "docker.io" {
        "registry-1.docker.io"
    } else {
        host
    };
    let scheme = if is_loopback(api) { "http" } else { "https" };
    format!("{scheme}://{api}")
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
pub(super) fn is_loopback(host: &str) -> bool {
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_string()
    };
    name == "localhost"
        || name == "[::1]"
        || (name.starts_with("127.") && name.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// Why a base image's config could not be had for a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ConfigFailure {
    /// The image exists but has nothing for that platform.
    NoPlatform(String),
    /// Anything else: the registry, the network, a broken manifest.
    Other(String),
}

impl From<String> for ConfigFailure {
    fn from(e: String) -> Self {
        ConfigFailure::Other(e)
    }
}

impl From<&str> for ConfigFailure {
    fn from(e: &str) -> Self {
        ConfigFailure::Other(e.to_string())
    }
}

impl std::fmt::Display for ConfigFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigFailure::NoPlatform(e) | ConfigFailure::Other(e) => f.write_str(e),
        }
    }
}

/// `linux/amd64` (with `/VARIANT`) from an image config's top-level
/// `os`/`architecture`/`variant`; `None` when it names no platform.
fn platform_of(config: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(config).ok()?;
    platform_text(&json)
}

/// `os/architecture[/variant]` of a JSON object with those fields (an
/// image config, an index entry's `platform`), as written.
fn platform_text(json: &serde_json::Value) -> Option<String> {
    let os = json["os"].as_str().filter(|s| !s.is_empty())?;
    let arch = json["architecture"].as_str().filter(|s| !s.is_empty())?;
    let variant = json["variant"]
        .as_str()
        .filter(|v| !v.is_empty())
        .map(|v| format!("/{v}"))
        .unwrap_or_default();
    Some(format!("{os}/{arch}{variant}"))
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

pub(super) struct Registry {
    /// HTTPS, through the environment's proxy if any.
    remote: ureq::Agent,
    /// Plain HTTP to loopback, never through a proxy.
    local: ureq::Agent,
    /// Bearer tokens by realm URL and scope.
    tokens: HashMap<String, String>,
    /// The `Authorization` that worked, by host and scope.
    authorizations: HashMap<String, String>,
    /// registry host → mirror hosts, in order.
    mirrors: Vec<(String, String)>,
    credentials: Credentials,
    cache: Cache,
    /// Only the cache: no request is made.
    offline: bool,
    /// Whether anything came over the network (for the stderr note).
    pub fetched: bool,
}

impl Registry {
    pub(super) fn new(mirrors: Vec<(String, String)>, offline: bool) -> Registry {
        let config = || {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .user_agent(concat!("msbc/", env!("CARGO_PKG_VERSION")))
        };
        Registry {
            remote: config().build().into(),
            local: config().proxy(None).build().into(),
            tokens: HashMap::new(),
            authorizations: HashMap::new(),
            mirrors,
            credentials: Credentials::from_docker_config(),
            cache: Cache::new(),
            offline,
            fetched: false,
        }
    }

    /// Where fetched manifests and configs are kept.
    pub(super) fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache.dir.as_deref()
    }

    /// The hosts to ask for `host`'s images: its mirrors, then itself.
    fn hosts(&self, host: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .mirrors
            .iter()
            .filter(|(from, _)| from == host)
            .map(|(_, to)| to.clone())
            .collect();
        out.push(host.to_string());
        out
    }

    /// The digest `reference`'s tag points at (its own digest if pinned).
    pub(super) fn digest(&mut self, reference: &str) -> Result<String, String> {
        let at = locate(reference)?;
        if let Some(d) = &at.digest {
            return Ok(d.clone());
        }
        self.first(&at, |r, host| r.tag_digest(host, &at))
    }

    /// The config of `reference` for `platform` (`linux/amd64`); its
    /// `digest` is the manifest the reference resolves to. An image that
    /// has no manifest for the platform (an index without that entry, or a
    /// single-platform manifest whose config names another) is
    /// [`ConfigFailure::NoPlatform`], never another platform's config.
    pub(super) fn config(
        &mut self,
        reference: &str,
        platform: &Platform,
    ) -> Result<BaseConfig, ConfigFailure> {
        let mut single = None;
        let config = self.config_inner(reference, platform, &mut single)?;
        if let Some(have) = single {
            if Platform::parse(&have).is_ok_and(|h| &h != platform) {
                return Err(ConfigFailure::NoPlatform(format!(
                    "the image is single-platform {have}: it has no {platform} manifest"
                )));
            }
        }
        Ok(config)
    }

    /// [`Registry::config`]; a single-platform manifest's platform (from
    /// its config blob's `os`/`architecture`/`variant`) goes to `single`.
    fn config_inner(
        &mut self,
        reference: &str,
        platform: &Platform,
        single: &mut Option<String>,
    ) -> Result<BaseConfig, ConfigFailure> {
        let at = locate(reference)?;
        let top = match &at.digest {
            Some(d) => d.clone(),
            None => self.first(&at, |r, host| r.tag_digest(host, &at))?,
        };
        let index = self.manifest(&at, &top)?;
        let json: serde_json::Value = serde_json::from_slice(&index)
            .map_err(|e| format!("manifest {top} is not JSON: {e}"))?;
        let is_index = json["manifests"].is_array();
        let manifest = match json["manifests"].as_array() {
            Some(entries) => {
                let entry = entries.iter().find(|m| {
                    platform_text(&m["platform"])
                        .is_some_and(|t| Platform::parse(&t).is_ok_and(|t| &t == platform))
                });
                let Some(digest) = entry.and_then(|m| m["digest"].as_str()) else {
                    let have: Vec<String> = entries
                        .iter()
                        .filter_map(|m| {
                            let p = &m["platform"];
                            Some(format!(
                                "{}/{}",
                                p["os"].as_str()?,
                                p["architecture"].as_str()?
                            ))
                        })
                        .collect();
                    return Err(ConfigFailure::NoPlatform(format!(
                        "the image has no manifest for {platform} (it has: {})",
                        if have.is_empty() {
                            "none".to_string()
                        } else {
                            have.join(", ")
                        }
                    )));
                };
                let digest = digest.to_string();
                let m = self.manifest(&at, &digest)?;
                serde_json::from_slice::<serde_json::Value>(&m)
                    .map_err(|e| format!("manifest {digest} is not JSON: {e}"))?
            }
            None => json,
        };
        let config_digest = manifest["config"]["digest"]
            .as_str()
            .filter(|d| lock::is_digest(d))
            .ok_or("the manifest names no config blob")?
            .to_string();
        let blob = match self.cache.get(&config_digest) {
            Some(b) => b,
            None => {
                let path = format!("blobs/{config_digest}");
                let b = self.first(&at, |r, host| r.fetch(host, &at, &path, &config_digest))?;
                self.cache.put(&config_digest, &b);
                b
            }
        };
        let mut config = BaseConfig::from_json(&blob)
            .map_err(|e| format!("config blob {config_digest}: {e}"))?;
        if !is_index {
            *single = platform_of(&blob);
        }
        config.digest = Some(top);
        Ok(config)
    }

    /// A manifest's body by digest, from the cache or the registry (checked).
    fn manifest(&mut self, at: &Location, digest: &str) -> Result<Vec<u8>, String> {
        if let Some(body) = self.cache.get(digest) {
            return Ok(body);
        }
        let path = format!("manifests/{digest}");
        let body = self.first(at, |r, host| r.fetch(host, at, &path, digest))?;
        self.cache.put(digest, &body);
        Ok(body)
    }

    /// `f` on each host for `at` (mirrors first); the first success, or
    /// every host's error.
    fn first<T>(
        &mut self,
        at: &Location,
        mut f: impl FnMut(&mut Registry, &str) -> Result<T, String>,
    ) -> Result<T, String> {
        if self.offline {
            return Err("not in the cache, and --offline asks for no network".to_string());
        }
        let mut errors = Vec::new();
        let hosts = self.hosts(&at.host);
        let many = hosts.len() > 1;
        for host in hosts {
            match f(self, &host) {
                Ok(v) => return Ok(v),
                Err(e) if many => errors.push(format!("{host}: {e}")),
                Err(e) => errors.push(e),
            }
        }
        Err(errors.join("; "))
    }

    /// `GET /v2/<repo>/<path>`, checked against `digest`.
    fn fetch(
        &mut self,
        host: &str,
        at: &Location,
        path: &str,
        digest: &str,
    ) -> Result<Vec<u8>, String> {
        let url = format!("{}/v2/{}/{path}", base_url(host), at.repository);
        let mut response = self.send("GET", &url, host, &at.repository)?;
        match response.status().as_u16() {
            200 => {}
            404 => return Err(format!("{digest} not found in {}", at.repository)),
            s => return Err(format!("GET {url}: HTTP {s}")),
        }
        let body = read_body(&mut response, &format!("GET {url}"))?;
        let got = sha256(&body);
        if digest.starts_with("sha256:") && got != digest {
            return Err(format!(
                "the registry's {path} does not match its digest (got {got})"
            ));
        }
        self.fetched = true;
        Ok(body)
    }

    /// The digest of a tag on `host`: `HEAD`, else the sha256 of a `GET`.
    fn tag_digest(&mut self, host: &str, at: &Location) -> Result<String, String> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            base_url(host),
            at.repository,
            at.tag
        );
        for method in ["HEAD", "GET"] {
            let mut response = self.send(method, &url, host, &at.repository)?;
            match response.status().as_u16() {
                200 => {}
                404 => return Err(format!("no tag `{}` in {}", at.tag, at.repository)),
                s => return Err(format!("{method} {url}: HTTP {s}")),
            }
            self.fetched = true;
            let header = response
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if let Some(d) = header.filter(|d| lock::is_digest(d)) {
                return Ok(d);
            }
            if method == "GET" {
                let body = read_body(&mut response, &format!("GET {url}"))?;
                let d = sha256(&body);
                self.cache.put(&d, &body);
                return Ok(d);
            }
        }
        Err(format!("{url}: no digest in the answer"))
    }

    /// One request, with a token from the registry's auth server when it
    /// asks for one (`401` + `WWW-Authenticate: Bearer ...`), or the
    /// host's credential for `Basic`.
    fn send(
        &mut self,
        method: &str,
        url: &str,
        host: &str,
        repository: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let local = is_loopback(host);
        let scope = format!("repository:{repository}:pull");
        let known = format!("{host} {scope}");
        let mut authorization: Option<String> = self.authorizations.get(&known).cloned();
        for _ in 0..2 {
            let agent = if local { &self.local } else { &self.remote };
            let mut request = match method {
                "HEAD" => agent.head(url),
                _ => agent.get(url),
            }
            .header("Accept", ACCEPT);
            if let Some(a) = &authorization {
                request = request.header("Authorization", a);
            }
            let response = request.call().map_err(|e| format!("{method} {url}: {e}"))?;
            if response.status().as_u16() != 401 || authorization.is_some() {
                return Ok(response);
            }
            let challenge = response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let a = self.authorize(&challenge, &scope, host)?;
            self.authorizations.insert(known.clone(), a.clone());
            authorization = Some(a);
        }
        Err(format!(
            "{method} {url}: the registry refused the credentials"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let p = bearer_params(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        )
        .unwrap_or_default();
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/alpine:pull");
        assert!(bearer_params(r#"Basic realm="x""#).is_none());
    }

    #[test]
    fn references_locate_like_docker() {
        let l = locate("alpine:3.20").map_err(|e| e.to_string());
        assert_eq!(
            l.as_ref()
                .map(|l| (l.host.as_str(), l.repository.as_str(), l.tag.as_str())),
            Ok(("docker.io", "library/alpine", "3.20"))
        );
        assert_eq!(base_url("docker.io"), "https://registry-1.docker.io");
        let l = locate("127.0.0.1:5000/team/app").map_err(|e| e.to_string());
        assert_eq!(
            l.as_ref()
                .map(|l| (l.host.as_str(), l.repository.as_str(), l.tag.as_str())),
            Ok(("127.0.0.1:5000", "team/app", "latest"))
        );
        assert_eq!(base_url("127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert!(is_loopback("localhost:5000") && is_loopback("[::1]:5000"));
        assert!(!is_loopback("gcr.io") && !is_loopback("127.example.com"));
    }

    #[test]
    fn mirrors_parse() {
        assert_eq!(
            parse_mirror("docker.io=127.0.0.1:5000"),
            Ok(("docker.io".to_string(), "127.0.0.1:5000".to_string()))
        );
        assert_eq!(
            parse_mirror("index.docker.io=http://127.0.0.1:5000/"),
            Ok(("docker.io".to_string(), "127.0.0.1:5000".to_string()))
        );
        assert!(parse_mirror("docker.io").is_err());
        assert!(parse_mirror("=x").is_err());
        assert!(parse_mirror("a=b c").is_err());
    }
}
