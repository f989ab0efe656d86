//! The build's options as BuildKit hands them to a gateway frontend: one
//! environment variable `BUILDKIT_FRONTEND_OPT_<n>` per option, holding
//! `key=value` (the frontend opts of the build request: `filename`,
//! `target`, `build-arg:NAME`, `platform`, `label:NAME`, ...). Pure: the
//! caller passes the environment.

use crate::domain::Platform;
use std::collections::BTreeMap;

/// The prefix of the variables that carry options.
pub const PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";

/// The spec's file name when the build names none.
pub const DEFAULT_FILENAME: &str = "build.kdl";

/// What the frontend reads from the options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// The spec's path inside the `dockerfile` input (`filename`).
    pub filename: String,
    /// The input holding the spec (`dockerfilekey`, default `dockerfile`).
    pub dockerfile_key: String,
    /// The input holding the build context (`contextkey`, default `context`).
    pub context_key: String,
    /// `--target`.
    pub target: Option<String>,
    /// `--build-arg NAME=VALUE`, sorted by name.
    pub build_args: Vec<(String, String)>,
    /// `--platform`, in the order given, normalized; empty: the worker's.
    pub platforms: Vec<Platform>,
    /// Why `--platform` is not valid (`crate::domain::platform`'s rule):
    /// the build fails with it before reading anything.
    pub platform_error: Option<String>,
    /// `--label NAME=VALUE`, sorted by name.
    pub labels: Vec<(String, String)>,
    /// `--network host|none` (`force-network-mode`): the network of runs
    /// that do not set one.
    pub network: Option<String>,
    /// `--no-cache` (`no-cache=`: every op runs again) or
    /// `--no-cache-filter STAGE,...` (`no-cache=STAGE,...`: those stages').
    pub no_cache: Option<Vec<String>>,
    /// A subrequest (`--call targets|outline|check`): `frontend.targets`,
    /// `frontend.outline`, `frontend.lint`.
    pub request: Option<String>,
    /// The subrequest's output format (`--call check,format=json`).
    pub request_format: Option<String>,
    /// Named contexts (`--build-context NAME=VALUE`: `context:NAME`), by name.
    pub contexts: BTreeMap<String, String>,
    /// `--build-arg MSBC_SERVICE_DIR=apps/api`: the spec's folder within the
    /// build context, when the frontend cannot tell it from the spec's
    /// `context "../.."` (two folders with the same spec).
    pub service_dir: Option<String>,
    /// Options the frontend does not read, for a warning.
    pub unknown: Vec<String>,
}

/// The `key=value` options in `vars` (environment variables).
pub fn raw<I>(vars: I) -> BTreeMap<String, String>
where
    I: IntoIterator<Item = (String, String)>,
{
    let mut out = BTreeMap::new();
    for (name, value) in vars {
        if !name.starts_with(PREFIX) {
            continue;
        }
        let (key, value) = value.split_once('=').unwrap_or((value.as_str(), ""));
        out.insert(key.to_string(), value.to_string());
    }
    out
}

/// The build arg naming the spec's folder within the context.
pub const SERVICE_DIR_ARG: &str = "build-arg:MSBC_SERVICE_DIR";

/// Keys that BuildKit or the Docker CLI always send and that mean nothing
/// to msbc (or are read elsewhere).
const IGNORED: &[&str] = &[
    "source",
    "cmdline",
    "image-resolve-mode",
    "multi-platform",
    "add-hosts",
    "shm-size",
    "ulimit",
    "cgroup-parent",
    "hostname",
    "attest:provenance",
    "attest:sbom",
    "build-arg:BUILDKIT_SYNTAX",
    "build-arg:BUILDKIT_INLINE_CACHE",
    "build-arg:BUILDKIT_MULTI_PLATFORM",
    "build-arg:BUILDKIT_CACHE_MOUNT_NS",
    "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR",
    "build-arg:SOURCE_DATE_EPOCH",
    "contextsubdir",
    "frontend.caps",
    "exporter-caps",
    "call",
];

impl Options {
    pub fn parse(raw: &BTreeMap<String, String>) -> Options {
        let mut o = Options {
            filename: DEFAULT_FILENAME.to_string(),
            dockerfile_key: "dockerfile".to_string(),
            context_key: "context".to_string(),
            ..Options::default()
        };
        for (key, value) in raw {
            if key == SERVICE_DIR_ARG {
                let dir = value.trim_matches('/').trim_start_matches("./");
                o.service_dir = Some(dir.to_string()).filter(|d| !d.is_empty() && d != ".");
                continue;
            }
            if let Some(name) = key.strip_prefix("build-arg:") {
                if !IGNORED.contains(&key.as_str()) {
                    o.build_args.push((name.to_string(), value.clone()));
                }
                continue;
            }
            if let Some(name) = key.strip_prefix("label:") {
                o.labels.push((name.to_string(), value.clone()));
                continue;
            }
            match key.as_str() {
                "filename" if !value.is_empty() => o.filename = clean_filename(value),
                "dockerfilekey" if !value.is_empty() => o.dockerfile_key = value.clone(),
                "contextkey" if !value.is_empty() => o.context_key = value.clone(),
                "target" if !value.is_empty() => o.target = Some(value.clone()),
                "platform" => {
                    let parsed: Result<Vec<Platform>, String> = value
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            Platform::parse(p).map_err(|e| format!("invalid --platform `{p}`: {e}"))
                        })
                        .collect();
                    match parsed {
                        Ok(p) => o.platforms = p,
                        Err(e) => o.platform_error = Some(e),
                    }
                }
                "no-cache" => {
                    o.no_cache = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                    );
                }
                "force-network-mode" => {
                    o.network = Some(value.clone()).filter(|v| !v.is_empty() && v != "default");
                }
                "requestid" if !value.is_empty() => o.request = Some(value.clone()),
                "format" if !value.is_empty() => o.request_format = Some(value.clone()),
                "filename" | "dockerfilekey" | "contextkey" | "target" | "requestid" | "format" => {
                }
                k if k.starts_with("context:") => {
                    let name = &k["context:".len()..];
                    o.contexts.insert(name.to_string(), value.clone());
                }
                k if IGNORED.contains(&k) => {}
                k if k.starts_with("attest:") || k.starts_with("build-arg:") => {}
                k => o.unknown.push(k.to_string()),
            }
        }
        o
    }
}

/// `filename` as a path inside the `dockerfile` input: BuildKit's CLI clients
/// send the base name, but a path (`sub/build.kdl`, `./build.kdl`) works too.
fn clean_filename(value: &str) -> String {
    let trimmed = value.trim_start_matches("./").trim_start_matches('/');
    if trimmed.is_empty() {
        DEFAULT_FILENAME.to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[&str]) -> Vec<(String, String)> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("{PREFIX}{i}"), p.to_string()))
            .chain([("PATH".to_string(), "/bin".to_string())])
            .collect()
    }

    #[test]
    fn reads_the_options_buildkit_sends() {
        let raw = raw(env(&[
            "filename=./build.kdl",
            "target=test",
            "build-arg:GO_VERSION=1.23",
            "build-arg:EMPTY=",
            "build-arg:BUILDKIT_SYNTAX=127.0.0.1:5000/msbc:1",
            "platform=linux/amd64, linux/arm64",
            "label:org.opencontainers.image.title=x=y",
            "no-cache=",
            "force-network-mode=host",
            "requestid=frontend.outline",
            "image-resolve-mode=default",
            "mystery=1",
        ]));
        let o = Options::parse(&raw);
        assert_eq!(o.filename, "build.kdl");
        assert_eq!(o.target.as_deref(), Some("test"));
        assert_eq!(
            o.build_args,
            vec![
                ("EMPTY".to_string(), String::new()),
                ("GO_VERSION".to_string(), "1.23".to_string())
            ]
        );
        let platforms: Vec<String> = o.platforms.iter().map(|p| p.to_string()).collect();
        assert_eq!(platforms, vec!["linux/amd64", "linux/arm64"]);
        assert!(o.platform_error.is_none());
        assert_eq!(
            o.labels,
            vec![(
                "org.opencontainers.image.title".to_string(),
                "x=y".to_string()
            )]
        );
        assert_eq!(o.no_cache, Some(vec![]));
        let filtered = Options::parse(&super::raw(env(&["no-cache=build, test"])));
        assert_eq!(
            filtered.no_cache,
            Some(vec!["build".to_string(), "test".to_string()])
        );
        assert_eq!(o.network.as_deref(), Some("host"));
        assert_eq!(o.request.as_deref(), Some("frontend.outline"));
        assert_eq!(o.unknown, vec!["mystery"]);
        assert_eq!(o.service_dir, None);
        let o = Options::parse(&super::raw(env(&[
            "build-arg:MSBC_SERVICE_DIR=./apps/api/",
        ])));
        assert_eq!(o.service_dir.as_deref(), Some("apps/api"));
        assert!(
            o.build_args.is_empty(),
            "not a spec arg: {:?}",
            o.build_args
        );
        let o = Options::parse(&super::raw(env(&[
            "context:golang:1.23=docker-image://mirror.example/golang:1.23",
        ])));
        assert_eq!(
            o.contexts.get("golang:1.23").map(String::as_str),
            Some("docker-image://mirror.example/golang:1.23")
        );
    }

    #[test]
    fn defaults_without_options() {
        let o = Options::parse(&raw(env(&[])));
        assert_eq!(o.filename, "build.kdl");
        assert_eq!(o.dockerfile_key, "dockerfile");
        assert_eq!(o.context_key, "context");
        assert!(o.target.is_none() && o.platforms.is_empty() && o.no_cache.is_none());
        // A value without `=` is a key with an empty value.
        assert_eq!(
            raw(env(&["no-cache"])).get("no-cache").map(String::as_str),
            Some("")
        );
    }
}
