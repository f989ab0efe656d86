//! Credentials and tokens: `~/.docker/config.json` and the registry's
//! `WWW-Authenticate` challenges (Bearer tokens, Basic).

use super::{Registry, canonical_host, is_loopback, read_body};
use std::collections::HashMap;
use std::path::PathBuf;

/// Credentials from `~/.docker/config.json` (`$DOCKER_CONFIG/config.json`),
/// as the docker CLI keeps them: a host's `credHelpers` entry names a
/// helper (`docker-credential-NAME get`, the server on stdin, JSON with
/// `Username` and `Secret` on stdout); else its `auths.<host>` entry
/// (`auth`, base64 of `user:password`, or an `identitytoken`); else the
/// `credsStore` helper. Helpers are run only when a registry asks for
/// credentials, once per host. A helper's `Username` of `<token>` makes
/// its `Secret` an identity token, as the docker CLI reads it.
#[derive(Debug, Default)]
pub(super) struct Credentials {
    /// host → its credential.
    auths: HashMap<String, Credential>,
    /// host → helper name.
    helpers: HashMap<String, String>,
    store: Option<String>,
    /// What each host's helper gave (`None`: nothing).
    asked: HashMap<String, Option<Credential>>,
}

/// What a registry's auth is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Credential {
    /// base64 of `user:password`: HTTP Basic, to the registry or its token server.
    Basic(String),
    /// An OAuth2 refresh token, exchanged at the token server
    /// (`grant_type=refresh_token`), as `docker login` keeps for some registries.
    Identity(String),
}

/// `https://index.docker.io/v1/` → `docker.io`; `gcr.io/x` → `gcr.io`.
fn config_host(key: &str) -> String {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    canonical_host(host)
}

/// A helper name that is a plain word (it becomes part of a program name).
fn helper_name(v: &serde_json::Value) -> Option<String> {
    v.as_str()
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_string)
}

impl Credentials {
    pub(super) fn from_docker_config() -> Credentials {
        let dir = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")));
        dir.and_then(|d| std::fs::read_to_string(d.join("config.json")).ok())
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .map(|json| Credentials::from_json(&json))
            .unwrap_or_default()
    }

    fn from_json(json: &serde_json::Value) -> Credentials {
        let mut out = Credentials::default();
        if let Some(auths) = json["auths"].as_object() {
            for (key, value) in auths {
                let identity = value["identitytoken"].as_str().filter(|a| !a.is_empty());
                let auth = value["auth"].as_str().filter(|a| !a.is_empty());
                let credential = match (identity, auth) {
                    (Some(t), _) => Credential::Identity(t.to_string()),
                    (None, Some(a)) => Credential::Basic(a.to_string()),
                    (None, None) => continue,
                };
                out.auths.insert(config_host(key), credential);
            }
        }
        if let Some(helpers) = json["credHelpers"].as_object() {
            for (key, value) in helpers {
                if let Some(name) = helper_name(value) {
                    out.helpers.insert(config_host(key), name);
                }
            }
        }
        out.store = helper_name(&json["credsStore"]);
        out
    }

    /// The credential for `host`, if any.
    pub(super) fn get(&mut self, host: &str) -> Option<Credential> {
        let host = canonical_host(host);
        let helper = match self.helpers.get(&host) {
            Some(h) => h.clone(),
            None => match self.auths.get(&host) {
                Some(a) => return Some(a.clone()),
                None => self.store.clone()?,
            },
        };
        if let Some(known) = self.asked.get(&host) {
            return known.clone();
        }
        let got = run_helper(&helper, &host);
        self.asked.insert(host, got.clone());
        got
    }
}

/// `docker-credential-NAME get` for `host`: `Username:Secret` in base64
/// (an identity token when the user is `<token>`); `None` when the helper
/// is missing, fails (it has nothing for the host) or answers something else.
fn run_helper(name: &str, host: &str) -> Option<Credential> {
    use base64::Engine;
    use std::io::Write;
    use std::process::{Command, Stdio};
    let server = if host == "docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        host.to_string()
    };
    let mut child = Command::new(format!("docker-credential-{name}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let user = json["Username"].as_str()?;
    let secret = json["Secret"].as_str().filter(|s| !s.is_empty())?;
    if user == "<token>" {
        return Some(Credential::Identity(secret.to_string()));
    }
    Some(Credential::Basic(
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")),
    ))
}

impl Registry {
    /// The `Authorization` value that answers `challenge`.
    pub(super) fn authorize(
        &mut self,
        challenge: &str,
        scope: &str,
        host: &str,
    ) -> Result<String, String> {
        let credential = self.credentials.get(host);
        let Some(params) = bearer_params(challenge) else {
            return match (credential, challenge.trim().get(..6)) {
                (Some(Credential::Basic(c)), Some(s)) if s.eq_ignore_ascii_case("basic ") => {
                    Ok(format!("Basic {c}"))
                }
                _ => Err(format!(
                    "the registry needs credentials (`{challenge}`); add them with `docker login {host}`"
                )),
            };
        };
        let realm = params
            .get("realm")
            .ok_or("the registry's challenge names no realm")?;
        let mut url = format!("{realm}?scope={}", query_escape(scope));
        if let Some(service) = params.get("service") {
            url.push_str(&format!("&service={}", query_escape(service)));
        }
        if let Some(t) = self.tokens.get(&url) {
            return Ok(format!("Bearer {t}"));
        }
        let realm_host = realm
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap_or_default();
        if realm.starts_with("http://") && !is_loopback(realm_host) {
            return Err(format!(
                "the token server {realm} is plain HTTP; msbc speaks plain HTTP only to loopback"
            ));
        }
        let agent = if is_loopback(realm_host) {
            &self.local
        } else {
            &self.remote
        };
        let answer = match &credential {
            // The OAuth2 form of the token request, with the refresh token.
            Some(Credential::Identity(t)) => {
                let mut form = format!(
                    "grant_type=refresh_token&client_id=msbc&scope={}&refresh_token={}",
                    query_escape(scope),
                    query_escape(t)
                );
                if let Some(service) = params.get("service") {
                    form.push_str(&format!("&service={}", query_escape(service)));
                }
                agent
                    .post(realm)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(form.as_bytes())
            }
            Some(Credential::Basic(c)) => agent
                .get(&url)
                .header("Authorization", format!("Basic {c}"))
                .call(),
            None => agent.get(&url).call(),
        };
        let mut response = answer.map_err(|e| format!("token from {realm}: {e}"))?;
        if response.status().as_u16() != 200 {
            return Err(format!(
                "token from {realm}: HTTP {} (a private image needs credentials: `docker login {host}`)",
                response.status().as_u16()
            ));
        }
        let body = read_body(&mut response, &format!("token from {realm}"))?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| format!("token from {realm}: {e}"))?;
        let token = json["token"]
            .as_str()
            .or(json["access_token"].as_str())
            .ok_or_else(|| format!("token from {realm}: no `token` in the answer"))?
            .to_string();
        self.tokens.insert(url, token.clone());
        Ok(format!("Bearer {token}"))
    }
}

/// `Bearer realm="...",service="...",scope="..."` as a map.
pub(super) fn bearer_params(challenge: &str) -> Option<HashMap<String, String>> {
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
