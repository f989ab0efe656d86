//! `msbc lock`: resolves the spec's base images to digests through the
//! registry HTTP API v2 and writes `msbc.lock` (format: `crate::lock`).
//! Also reads the lock for `compile` and `check` (`--locked`).
//!
//! A tag resolves with `HEAD /v2/<name>/manifests/<tag>`, accepting an OCI
//! index, a Docker manifest list and single manifests; the digest is the
//! `Docker-Content-Digest` header (or the sha256 of the body a `GET`
//! returns). A `401` with `WWW-Authenticate: Bearer realm=...` gets an
//! anonymous token from the realm and tries again. Registries on loopback
//! (`localhost`, `127.0.0.1`, `[::1]`) are spoken to over plain HTTP and
//! without a proxy; all others over HTTPS.

use super::args::LockArgs;
use super::{CliResult, OK, SPEC_ERROR, failed, print_human, read_spec};
use crate::compile::Checked;
use crate::lock::{self, FILE_NAME, Lock};
use crate::syntax::image_ref;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// What a registry may answer for a tag: multi-platform lists first, so a
/// multi-platform tag resolves to its index (as `docker pull` pins it).
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Manifests are small; refuse to read more than this.
const MAX_BODY: u64 = 4 << 20;

pub(super) fn run(a: &LockArgs) -> CliResult {
    let spec = read_spec(&a.path)?;
    let checked = spec.check(&a.templates)?;
    print_human(&checked, &spec.shown);
    let Some(model) = checked
        .model
        .as_ref()
        .filter(|_| !failed(&checked.diagnostics, false))
    else {
        return Ok(SPEC_ERROR);
    };
    for use_ in &model.images {
        if lock::resolve(&use_.reference, &model.args).is_none() {
            let line = checked
                .text
                .get(..use_.span.start)
                .unwrap_or("")
                .lines()
                .count()
                .max(1);
            say!(
                "note: {}:{line}: `{}` is known only at build time (a platform arg or an arg without a default), so it is not locked; pin it in the spec",
                spec.shown,
                use_.reference
            );
        }
    }
    let mut registry = Registry::new();
    let mut lock = Lock::default();
    let mut errors = Vec::new();
    for reference in lock::references(model) {
        match registry.digest(&reference) {
            Ok(digest) => {
                say!("locked {reference}@{digest}");
                lock.images.insert(reference, digest);
            }
            Err(e) => errors.push(format!("{reference}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "could not resolve {} image(s); {FILE_NAME} not written:\n  {}",
            errors.len(),
            errors.join("\n  ")
        ));
    }
    let file = spec.dir.join(FILE_NAME);
    std::fs::write(&file, lock.render())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    say!("wrote {} ({} images)", file.display(), lock.images.len());
    Ok(OK)
}

/// The lock beside the spec, if there is one; with `locked`, E0601 for
/// every image it does not pin goes into `checked`.
pub(super) fn read(
    dir: &Path,
    checked: &mut Checked,
    locked: bool,
    overrides: &[(String, String)],
) -> Result<Option<Lock>, String> {
    let file = dir.join(FILE_NAME);
    let lock = match std::fs::read_to_string(&file) {
        Ok(text) => Some(Lock::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    if locked && let Some(model) = &checked.model {
        for d in lock::unlocked(model, lock.as_ref(), overrides) {
            checked.diagnostics.push(d);
        }
    }
    Ok(lock)
}

/// Where a reference's manifests are.
struct Location {
    base: String,
    repository: String,
    tag: String,
}

fn locate(reference: &str) -> Result<Location, String> {
    let image = image_ref::parse_plain(reference).ok_or("not an image reference")?;
    let host = match image.domain.as_deref() {
        None | Some("docker.io" | "index.docker.io") => "registry-1.docker.io",
        Some(d) => d,
    };
    let repository = if host == "registry-1.docker.io" && !image.path.contains('/') {
        format!("library/{}", image.path)
    } else {
        image.path
    };
    let scheme = if is_loopback(host) { "http" } else { "https" };
    Ok(Location {
        base: format!("{scheme}://{host}"),
        repository,
        tag: image.tag.unwrap_or_else(|| "latest".to_string()),
    })
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
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

struct Registry {
    /// HTTPS, through the environment's proxy if any.
    remote: ureq::Agent,
    /// Plain HTTP to loopback, never through a proxy.
    local: ureq::Agent,
    /// Bearer tokens by realm and scope.
    tokens: HashMap<String, String>,
}

impl Registry {
    fn new() -> Registry {
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
        }
    }

    /// The digest `reference`'s tag points at.
    fn digest(&mut self, reference: &str) -> Result<String, String> {
        let at = locate(reference)?;
        let url = format!("{}/v2/{}/manifests/{}", at.base, at.repository, at.tag);
        let local = at.base.starts_with("http://");
        let scope = format!("repository:{}:pull", at.repository);
        for method in ["HEAD", "GET"] {
            let mut response = self.send(method, &url, local, &scope)?;
            match response.status().as_u16() {
                200 => {}
                404 => return Err(format!("no tag `{}` in {}", at.tag, at.repository)),
                s => return Err(format!("{method} {url}: HTTP {s}")),
            }
            let header = response
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if let Some(d) = header.filter(|d| lock::is_digest(d)) {
                return Ok(d);
            }
            if method == "GET" {
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_vec()
                    .map_err(|e| format!("GET {url}: {e}"))?;
                return Ok(format!("sha256:{:x}", Sha256::digest(&body)));
            }
        }
        Err(format!("{url}: no digest in the answer"))
    }

    /// One request, with a token from the registry's auth server when it
    /// asks for one (`401` + `WWW-Authenticate: Bearer ...`).
    fn send(
        &mut self,
        method: &str,
        url: &str,
        local: bool,
        scope: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let mut token: Option<String> = None;
        for _ in 0..2 {
            let agent = if local { &self.local } else { &self.remote };
            let result = match (method, &token) {
                ("HEAD", None) => agent.head(url).header("Accept", ACCEPT).call(),
                ("HEAD", Some(t)) => agent
                    .head(url)
                    .header("Accept", ACCEPT)
                    .header("Authorization", format!("Bearer {t}"))
                    .call(),
                (_, None) => agent.get(url).header("Accept", ACCEPT).call(),
                (_, Some(t)) => agent
                    .get(url)
                    .header("Accept", ACCEPT)
                    .header("Authorization", format!("Bearer {t}"))
                    .call(),
            };
            let response = result.map_err(|e| format!("{method} {url}: {e}"))?;
            if response.status().as_u16() != 401 || token.is_some() {
                return Ok(response);
            }
            let challenge = response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            token = Some(self.token(&challenge, scope, local)?);
        }
        Err(format!("{method} {url}: the registry refused the token"))
    }

    /// An anonymous pull token for `scope` from the realm of `challenge`.
    fn token(&mut self, challenge: &str, scope: &str, local: bool) -> Result<String, String> {
        let params = bearer_params(challenge).ok_or_else(|| {
            format!(
                "the registry needs credentials (`{challenge}`); msbc lock only pulls anonymously"
            )
        })?;
        let realm = params
            .get("realm")
            .ok_or("the registry's challenge names no realm")?;
        let mut url = format!("{realm}?scope={}", query_escape(scope));
        if let Some(service) = params.get("service") {
            url.push_str(&format!("&service={}", query_escape(service)));
        }
        if let Some(t) = self.tokens.get(&url) {
            return Ok(t.clone());
        }
        let agent = if local && realm.starts_with("http://") {
            &self.local
        } else {
            &self.remote
        };
        let mut response = agent
            .get(&url)
            .call()
            .map_err(|e| format!("token from {realm}: {e}"))?;
        if response.status().as_u16() != 200 {
            return Err(format!(
                "token from {realm}: HTTP {} (a private image needs credentials, which msbc lock does not use)",
                response.status().as_u16()
            ));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| format!("token from {realm}: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| format!("token from {realm}: {e}"))?;
        let token = json["token"]
            .as_str()
            .or(json["access_token"].as_str())
            .ok_or_else(|| format!("token from {realm}: no `token` in the answer"))?
            .to_string();
        self.tokens.insert(url, token.clone());
        Ok(token)
    }
}

/// `Bearer realm="...",service="...",scope="..."` as a map.
fn bearer_params(challenge: &str) -> Option<HashMap<String, String>> {
    let rest = challenge.trim();
    let rest = rest
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("bearer "))
        .map(|_| &rest[7..])?;
    let mut out = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| *c != ',') {
                value.push(c);
                chars.next();
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value);
    }
    Some(out)
}

/// Percent-encodes what may not stand in a query value.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
        let l = l
            .as_ref()
            .map(|l| (l.base.as_str(), l.repository.as_str(), l.tag.as_str()));
        assert_eq!(
            l,
            Ok(("https://registry-1.docker.io", "library/alpine", "3.20"))
        );
        let l = locate("127.0.0.1:5000/team/app").map_err(|e| e.to_string());
        let l = l
            .as_ref()
            .map(|l| (l.base.as_str(), l.repository.as_str(), l.tag.as_str()));
        assert_eq!(l, Ok(("http://127.0.0.1:5000", "team/app", "latest")));
        assert!(is_loopback("localhost:5000") && is_loopback("[::1]:5000"));
        assert!(!is_loopback("gcr.io") && !is_loopback("127.example.com"));
    }
}
