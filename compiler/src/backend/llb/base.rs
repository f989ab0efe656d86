//! Base-image configs: what an image passes on to a build that starts from
//! it, as BuildKit's Dockerfile frontend reads it (`ResolveImageConfig`:
//! the image's OCI config blob for one platform).
//!
//! Pure data. The LLB backend takes a [`BaseConfigs`] map keyed by the
//! reference as the LLB source names it (normalized: `docker.io/library/
//! golang:1.23`, a digest kept) and the platform (`linux/amd64`); whoever
//! can do I/O fills it first: `msbc.lock`, the CLI's registry client, or a
//! gateway frontend's `ResolveImageConfig`. [`super::pulls`] lists the
//! pairs a build needs.

use super::config::{HealthConfig, History};
use crate::domain::Platform;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// One image's inherited config for one platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseConfig {
    /// The manifest digest the reference resolved to (the index digest of a
    /// multi-platform tag, as `docker pull` pins it). When set and the
    /// reference has none, the LLB source is pinned to it, as BuildKit's
    /// frontend pins a `FROM` it resolved.
    pub digest: Option<String>,
    /// `sha256:` of the config blob this was read from.
    pub config_digest: String,
    /// `K=V`, in the image's order.
    pub env: Vec<String>,
    /// Empty: not set.
    pub working_dir: String,
    /// Empty: not set (root).
    pub user: String,
    /// `ENTRYPOINT`, exec form; `None`: not set.
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`, exec form; `None`: not set.
    pub cmd: Option<Vec<String>>,
    /// `8080/tcp`.
    pub exposed_ports: BTreeSet<String>,
    /// Image labels.
    pub labels: BTreeMap<String, String>,
    /// `HEALTHCHECK`; `None`: not set.
    pub healthcheck: Option<HealthConfig>,
    /// `SHELL`; `None`: the default.
    pub shell: Option<Vec<String>>,
    /// `STOPSIGNAL`; `None`: not set.
    pub stop_signal: Option<String>,
    /// Paths mounted as anonymous volumes.
    pub volumes: BTreeSet<String>,
    /// The number of layers (`rootfs.diff_ids`); an image without any is
    /// built on as scratch, as the frontend does.
    pub layers: usize,
    /// `OnBuild`: Dockerfile instructions BuildKit's frontend runs at the
    /// start of a stage built on the image. Kept so the CLI can say that
    /// the LLB route does not run them.
    pub onbuild: Vec<String>,
    /// The image's history (one entry per instruction that made it), which
    /// a build's own history continues when `SOURCE_DATE_EPOCH` is set.
    /// Not kept in `msbc.lock`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
}

/// Why config bytes are not an image config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The parts of an OCI / Docker image config document that are read.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    config: Option<RawConfig>,
    #[serde(default)]
    rootfs: Option<RootFs>,
    #[serde(default)]
    history: Option<Vec<History>>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    healthcheck: Option<HealthConfig>,
    #[serde(default)]
    shell: Option<Vec<String>>,
    #[serde(default)]
    stop_signal: Option<String>,
    #[serde(default)]
    volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    on_build: Option<Vec<String>>,
}

impl BaseConfig {
    /// Reads an image config blob (`application/vnd.oci.image.config.v1+json`
    /// or Docker's `container.image.v1+json`). `digest` stays unset.
    pub fn from_json(bytes: &[u8]) -> Result<BaseConfig, ConfigError> {
        let doc: Document = serde_json::from_slice(bytes)
            .map_err(|e| ConfigError(format!("not an image config: {e}")))?;
        let c = doc.config.unwrap_or_default();
        for e in c.env.iter().flatten() {
            if e.is_empty() || e.starts_with('=') {
                return Err(ConfigError(format!(
                    "not an image config: env entry `{e}` is not KEY=VALUE"
                )));
            }
        }
        Ok(BaseConfig {
            digest: None,
            config_digest: format!("sha256:{:x}", Sha256::digest(bytes)),
            env: c.env.unwrap_or_default(),
            working_dir: c.working_dir.unwrap_or_default(),
            user: c.user.unwrap_or_default(),
            entrypoint: c.entrypoint,
            cmd: c.cmd,
            exposed_ports: c.exposed_ports.unwrap_or_default().into_keys().collect(),
            labels: c.labels.unwrap_or_default(),
            healthcheck: c.healthcheck,
            shell: c.shell.filter(|s| !s.is_empty()),
            stop_signal: c.stop_signal.filter(|s| !s.is_empty()),
            volumes: c.volumes.unwrap_or_default().into_keys().collect(),
            layers: doc.rootfs.and_then(|r| r.diff_ids).map_or(0, |d| d.len()),
            onbuild: c.on_build.unwrap_or_default(),
            history: doc.history.unwrap_or_default(),
        })
    }

    /// The env as pairs (an entry without `=` is a key with an empty value).
    pub fn env_pairs(&self) -> Vec<(String, String)> {
        self.env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.clone(), String::new()),
            })
            .collect()
    }
}

/// An image a build pulls, for one platform: a key of [`BaseConfigs`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pull {
    /// As the LLB source names it: `docker.io/library/golang:1.23`.
    pub reference: String,
    /// `linux/amd64`, `linux/arm/v7`.
    pub platform: Platform,
}

/// Base-image configs by (normalized reference, platform).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseConfigs {
    configs: BTreeMap<Pull, BaseConfig>,
}

impl BaseConfigs {
    /// No configs.
    pub fn new() -> BaseConfigs {
        BaseConfigs::default()
    }

    /// Adds (or replaces) the config of `reference` (normalized, as the LLB
    /// source names it) for `platform` (`linux/amd64`).
    pub fn insert(&mut self, reference: &str, platform: &Platform, config: BaseConfig) {
        self.configs.insert(
            Pull {
                reference: reference.to_string(),
                platform: platform.clone(),
            },
            config,
        );
    }

    /// The config of `reference` (normalized) for `platform`, if known.
    pub fn get(&self, reference: &str, platform: &Platform) -> Option<&BaseConfig> {
        self.configs.get(&Pull {
            reference: reference.to_string(),
            platform: platform.clone(),
        })
    }

    /// Whether no config is known.
    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
    }

    /// How many (reference, platform) configs are known.
    pub fn len(&self) -> usize {
        self.configs.len()
    }

    /// Every (reference, platform) pull with its config, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Pull, &BaseConfig)> {
        self.configs.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLANG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GOLANG_VERSION=1.23.5","GOTOOLCHAIN=local","GOPATH=/go"],"Cmd":["bash"],"WorkingDir":"/go","ExposedPorts":{"8080/tcp":{}},"Labels":{"a":"b"},"Healthcheck":{"Test":["CMD","true"],"Interval":30000000000},"Volumes":{"/data":{}},"StopSignal":"SIGTERM"},"rootfs":{"type":"layers","diff_ids":["sha256:aa","sha256:bb"]}}"#;

    #[test]
    fn reads_an_official_like_config() {
        let c = BaseConfig::from_json(GOLANG.as_bytes()).expect("parses");
        assert_eq!(c.env.len(), 4);
        assert_eq!(c.env_pairs()[3], ("GOPATH".to_string(), "/go".to_string()));
        assert_eq!(c.working_dir, "/go");
        assert_eq!(c.user, "");
        assert_eq!(c.cmd, Some(vec!["bash".to_string()]));
        assert_eq!(c.entrypoint, None);
        assert!(c.exposed_ports.contains("8080/tcp"));
        assert_eq!(c.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(
            c.healthcheck.as_ref().map(|h| h.interval),
            Some(30_000_000_000)
        );
        assert!(c.volumes.contains("/data"));
        assert_eq!(c.stop_signal.as_deref(), Some("SIGTERM"));
        assert_eq!(c.layers, 2);
        assert!(c.config_digest.starts_with("sha256:") && c.config_digest.len() == 71);
    }

    #[test]
    fn a_config_without_config_is_empty() {
        let c = BaseConfig::from_json(br#"{"architecture":"amd64","os":"linux"}"#).expect("ok");
        assert!(c.env.is_empty() && c.cmd.is_none() && c.layers == 0);
    }

    #[test]
    fn malformed_configs_say_why() {
        for bad in [
            &b"not json"[..],
            br#"{"config":{"Env":"PATH=/bin"}}"#,
            br#"{"config":{"Env":["=x"]}}"#,
            br#"[1,2]"#,
        ] {
            let e = BaseConfig::from_json(bad).expect_err("refused");
            assert!(e.0.starts_with("not an image config"), "{e}");
        }
    }
}
