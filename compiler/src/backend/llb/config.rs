//! The image config of an LLB build: what the Dockerfile frontend would
//! hand the image exporter as `containerimage.config` (OCI image config
//! JSON with Docker's extensions: Healthcheck, Shell, StopSignal).
//!
//! LLB does not carry it: BuildKit's frontend reads the base image's config
//! and merges the Dockerfile's instructions into it; so does this, from the
//! [`BaseConfig`] the caller gave ([`ImageConfig::from_base`]). Without
//! one, the env starts from `PATH` (the default below, as BuildKit sets when
//! an image has none) and the spec's own settings.

use super::base::BaseConfig;
use super::platform::Platform;
use crate::ir::{self, Healthcheck};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// BuildKit's default `PATH` for Linux.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The image config as a stage builds it up, inherited by stages built on
/// it: the base image's config with the spec's steps folded in.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// Env, user, working directory, entrypoint, cmd, ports, labels,
    /// volumes, stop signal and shell: the one fold (`ir::ImageConfig`),
    /// over resolved values, started from the base image's.
    pub fold: ir::ImageConfig<String>,
    /// The healthcheck in Docker's form: the base image's until a
    /// `healthcheck` step.
    pub healthcheck: Option<HealthConfig>,
    /// The history: the base image's, then one entry per step, kept only
    /// for a build with `SOURCE_DATE_EPOCH` (see [`ImageConfig::dated`]).
    pub history: Vec<History>,
    /// Whether the history accounts for every layer so far (an image whose
    /// config has fewer history entries than layers leaves it to BuildKit's
    /// exporter, which fills the history in from the layers).
    pub history_known: bool,
    /// `created` (RFC 3339), set for a build with `SOURCE_DATE_EPOCH`.
    pub created: Option<String>,
}

/// One entry of an image's history, as the OCI image spec writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct History {
    /// When the step ran (RFC 3339): `SOURCE_DATE_EPOCH` when the build has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction that made the entry, as `docker history` shows it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    /// Who made it (unused by msbc; kept from base images).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author: String,
    /// The frontend that made it (`buildkit.dockerfile.v0` for msbc's steps).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// The step changed only the config: it has no layer.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// The comment BuildKit's Dockerfile frontend gives its history entries.
const HISTORY_COMMENT: &str = "buildkit.dockerfile.v0";

/// `{}` in JSON: the value type of Docker's port and volume sets.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Empty {}

/// Docker's `HealthcheckConfig`: durations in nanoseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct HealthConfig {
    /// The command: `["CMD-SHELL", script]`, `["CMD", args...]` or `["NONE"]`.
    #[serde(rename = "Test")]
    pub test: Vec<String>,
    /// Nanoseconds between checks; 0: the default.
    #[serde(rename = "Interval", skip_serializing_if = "is_zero")]
    pub interval: i64,
    /// Nanoseconds a check may take; 0: the default.
    #[serde(rename = "Timeout", skip_serializing_if = "is_zero")]
    pub timeout: i64,
    /// Nanoseconds after start during which failures do not count; 0: the default.
    #[serde(rename = "StartPeriod", skip_serializing_if = "is_zero")]
    pub start_period: i64,
    /// Nanoseconds between checks during the start period; 0: the default.
    #[serde(rename = "StartInterval", skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    /// Failures in a row that make the container unhealthy; 0: the default.
    #[serde(rename = "Retries", skip_serializing_if = "is_zero_u32")]
    pub retries: u32,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl ImageConfig {
    /// The config a stage starts from on `base` (the frontend's clone of
    /// the base image's config, `PATH` added when it has none).
    pub fn from_base(base: &BaseConfig) -> ImageConfig {
        let mut fold = ir::ImageConfig::<String>::default();
        fold.env = base.env_pairs();
        fold.user = (!base.user.is_empty()).then(|| base.user.clone());
        fold.workdir = (!base.working_dir.is_empty()).then(|| base.working_dir.clone());
        fold.ports = base.exposed_ports.clone();
        fold.labels = base.labels.clone();
        fold.entrypoint = base.entrypoint.clone();
        fold.cmd = base.cmd.clone();
        fold.volumes = base.volumes.iter().cloned().collect();
        fold.stop_signal = base.stop_signal.clone();
        fold.shell = base.shell.clone();
        if !fold.env.iter().any(|(k, _)| k == "PATH") {
            fold.env
                .push(("PATH".to_string(), DEFAULT_PATH.to_string()));
        }
        let layers_in_history = base.history.iter().filter(|h| !h.empty_layer).count();
        ImageConfig {
            fold,
            healthcheck: base.healthcheck.clone(),
            history: base.history.clone(),
            history_known: layers_in_history == base.layers,
            created: None,
        }
    }

    /// `scratch`: the frontend's empty image (`PATH` and `WorkingDir /`).
    pub fn scratch() -> ImageConfig {
        let mut c = ImageConfig::new();
        c.fold.workdir = Some("/".to_string());
        c
    }

    /// A stage on a base image whose config is not known: only the
    /// default `PATH`.
    pub fn new() -> ImageConfig {
        let mut fold = ir::ImageConfig::default();
        fold.env = vec![("PATH".to_string(), DEFAULT_PATH.to_string())];
        ImageConfig {
            fold,
            healthcheck: None,
            history: Vec::new(),
            history_known: true,
            created: None,
        }
    }

    /// Dates the config for a build with `SOURCE_DATE_EPOCH`: its
    /// `created` time, as BuildKit's exporter derives it from the
    /// Dockerfile frontend's history.
    pub fn dated(&mut self, epoch: i64) {
        self.created = Some(rfc3339(epoch));
    }

    /// Adds a history entry dated `epoch`, as BuildKit's Dockerfile
    /// frontend commits one per instruction.
    pub fn commit(&mut self, epoch: i64, created_by: String, layer: bool) {
        self.history.push(History {
            created: Some(rfc3339(epoch)),
            created_by,
            author: String::new(),
            comment: HISTORY_COMMENT.to_string(),
            empty_layer: !layer,
        });
    }

    /// `healthcheck`; `None` disables the base image's.
    pub fn set_healthcheck(&mut self, check: Option<&Healthcheck>) -> Result<(), String> {
        let Some(h) = check else {
            self.healthcheck = Some(HealthConfig {
                test: vec!["NONE".to_string()],
                interval: 0,
                timeout: 0,
                start_period: 0,
                start_interval: 0,
                retries: 0,
            });
            return Ok(());
        };
        let test = match h.command.as_slice() {
            [one] => vec!["CMD-SHELL".to_string(), one.clone()],
            many => std::iter::once("CMD".to_string())
                .chain(many.iter().cloned())
                .collect(),
        };
        let d = |v: &Option<String>| v.as_deref().map_or(Ok(0), duration_nanos);
        self.healthcheck = Some(HealthConfig {
            test,
            interval: d(&h.interval)?,
            timeout: d(&h.timeout)?,
            start_period: d(&h.start_period)?,
            start_interval: d(&h.start_interval)?,
            retries: h.retries.unwrap_or(0),
        });
        Ok(())
    }

    /// The config JSON for `platform`, on one line (ready for the
    /// `containerimage.config` exporter attribute), with a newline.
    pub fn to_json(&self, platform: &Platform) -> String {
        let c = &self.fold;
        let ports: BTreeMap<&str, Empty> = c.ports.iter().map(|p| (p.as_str(), Empty {})).collect();
        let volumes: BTreeMap<&str, Empty> =
            c.volumes.iter().map(|v| (v.as_str(), Empty {})).collect();
        let doc = Document {
            created: self.created.as_deref(),
            architecture: &platform.arch,
            os: &platform.os,
            variant: (!platform.variant.is_empty()).then_some(platform.variant.as_str()),
            config: Config {
                user: c.user.as_deref(),
                exposed_ports: (!ports.is_empty()).then_some(&ports),
                env: c.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                entrypoint: c.entrypoint.as_ref(),
                cmd: c.cmd.as_ref(),
                volumes: (!volumes.is_empty()).then_some(&volumes),
                working_dir: c.workdir.as_deref(),
                labels: (!c.labels.is_empty()).then_some(&c.labels),
                stop_signal: c.stop_signal.as_deref(),
                healthcheck: self.healthcheck.as_ref(),
                shell: c.shell.as_ref(),
            },
            rootfs: RootFs {
                kind: "layers",
                diff_ids: Vec::new(),
            },
            history: (self.created.is_some() && self.history_known).then_some(&self.history),
        };
        match serde_json::to_string(&doc) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            // Plain data always serializes; keep the function total anyway.
            Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
        }
    }
}

impl Default for ImageConfig {
    fn default() -> Self {
        ImageConfig::new()
    }
}

/// Field order as Docker and BuildKit write an image config.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<&'a str>,
    architecture: &'a str,
    os: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    config: Config<'a>,
    rootfs: RootFs,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<&'a Vec<History>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Config<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exposed_ports: Option<&'a BTreeMap<&'a str, Empty>>,
    env: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entrypoint: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cmd: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volumes: Option<&'a BTreeMap<&'a str, Empty>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    working_dir: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_signal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthcheck: Option<&'a HealthConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shell: Option<&'a Vec<String>>,
}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<String>,
}

/// `seconds` since 1970 as RFC 3339 in UTC (`2023-11-14T22:13:20Z`), as
/// Go's `time.Time` marshals a whole second.
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01: eras of 400
/// years (146,097 days) counted from 0000-03-01, so the leap day ends a
/// year.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A Go duration (`30s`, `1m30s`, `1.5s`, `500ms`) in nanoseconds.
pub fn duration_nanos(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a duration such as `30s`, `1m30s` or `500ms`");
    if text == "0" {
        return Ok(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let amount: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += amount * scale;
        rest = &rest[unit_len..];
    }
    if total > i64::MAX as f64 {
        return Err(bad());
    }
    Ok(total.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_nanos("30s"), Ok(30_000_000_000));
        assert_eq!(duration_nanos("1m30s"), Ok(90_000_000_000));
        assert_eq!(duration_nanos("1.5s"), Ok(1_500_000_000));
        assert_eq!(duration_nanos("500ms"), Ok(500_000_000));
        assert_eq!(duration_nanos("2h"), Ok(7_200_000_000_000));
        assert!(duration_nanos("30").is_err());
        assert!(duration_nanos("s").is_err());
        assert!(duration_nanos("").is_err());
    }

    #[test]
    fn epochs_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
