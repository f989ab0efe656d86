//! The build's options as BuildKit hands them to a gateway frontend: one
//! environment variable `BUILDKIT_FRONTEND_OPT_<n>` per option, holding
//! `key=value` (the frontend opts of the build request: `filename`,
//! `target`, `build-arg:NAME`, `platform`, `label:NAME`, ...). Pure: the
//! caller passes the environment.
//!
//! Parsed at the door, as BuildKit's own frontend does
//! (`frontend/dockerui/config.go`): platforms normalized, and what the
//! lowering applies (`--network`, `--no-cache`, named contexts, labels,
//! `SOURCE_DATE_EPOCH`) as one typed [`BuildOptions`]; an option that is
//! not valid is a [`Options::problems`] entry, which fails the build before
//! anything is read.

use crate::domain::{ImageRef, Platform};
use crate::ir::{BuildOptions, NamedContext, NetMode, NoCache};
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
    /// `--platform`, in the order given, normalized (`linux/arm64`);
    /// empty: the worker's.
    pub platforms: Vec<Platform>,
    /// What the lowering applies: `--network host|none`
    /// (`force-network-mode`), `--no-cache` (`no-cache=`: every op runs
    /// again) or `--no-cache-filter STAGE,...` (`no-cache=STAGE,...`),
    /// named contexts that replace images, `--label NAME=VALUE`, and
    /// `--build-arg SOURCE_DATE_EPOCH`.
    pub build: BuildOptions,
    /// A subrequest (`--call targets|outline|check`): `frontend.targets`,
    /// `frontend.outline`, `frontend.lint`.
    pub request: Option<String>,
    /// The subrequest's output format (`--call check,format=json`).
    pub request_format: Option<String>,
    /// `--build-arg MSBC_SERVICE_DIR=apps/api`: the spec's folder within the
    /// build context, when the frontend cannot tell it from the spec's
    /// `context "../.."` (two folders with the same spec).
    pub service_dir: Option<String>,
    /// The attestations asked for, as sent (`attest:sbom`,
    /// `build-arg:BUILDKIT_ATTEST_PROVENANCE`, ...): see `attest.rs`.
    pub attests: BTreeMap<String, String>,
    /// `--cache-from` (`cache-imports`: a JSON list of `{"Type", "Attrs"}`):
    /// the caches every solve imports, as BuildKit's Dockerfile frontend
    /// passes them on (a gateway frontend's solves import nothing else).
    pub cache_imports: Vec<CacheImport>,
    /// Options the frontend does not read, for a warning.
    pub unknown: Vec<String>,
    /// Options whose values are not valid, each saying why: the build
    /// fails with them.
    pub problems: Vec<String>,
}

/// One cache import: `type=registry,ref=...` as BuildKit sends it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct CacheImport {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Attrs", default)]
    pub attrs: BTreeMap<String, String>,
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
    "contextsubdir",
    "frontend.caps",
    "exporter-caps",
    "call",
];

impl Options {
    /// Reads the frontend options BuildKit passed (`BUILDKIT_FRONTEND_OPT_*`, decoded).
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
            if key.starts_with("attest:") || key.starts_with("build-arg:BUILDKIT_ATTEST_") {
                o.attests.insert(key.clone(), value.clone());
                continue;
            }
            if let Some(name) = key.strip_prefix("build-arg:") {
                if name == EPOCH_ARG {
                    o.build.epoch = epoch(value).unwrap_or_else(|e| {
                        o.problems.push(e);
                        None
                    });
                }
                if !IGNORED.contains(&key.as_str()) {
                    o.build_args.push((name.to_string(), value.clone()));
                }
                continue;
            }
            if let Some(name) = key.strip_prefix("label:") {
                o.build.labels.insert(name.to_string(), value.clone());
                continue;
            }
            match key.as_str() {
                "filename" if !value.is_empty() => o.filename = clean_filename(value),
                "dockerfilekey" if !value.is_empty() => o.dockerfile_key = value.clone(),
                "contextkey" if !value.is_empty() => o.context_key = value.clone(),
                "target" if !value.is_empty() => o.target = Some(value.clone()),
                "platform" => {
                    // `crate::domain::platform`'s rule, each platform once.
                    o.platforms.clear();
                    for p in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        match Platform::parse(p) {
                            Ok(p) if !o.platforms.contains(&p) => o.platforms.push(p),
                            Ok(_) => {}
                            Err(e) => o.problems.push(format!("invalid --platform `{p}`: {e}")),
                        }
                    }
                }
                "no-cache" => {
                    let stages: std::collections::BTreeSet<String> = value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    o.build.no_cache = if stages.is_empty() {
                        NoCache::All
                    } else {
                        NoCache::Stages(stages)
                    };
                }
                "cache-imports" => match serde_json::from_str::<Vec<CacheImport>>(value) {
                    Ok(list) => o.cache_imports = list,
                    Err(e) => o.problems.push(format!(
                        "invalid cache-imports (a JSON list of caches): {e}"
                    )),
                },
                "force-network-mode" => match net_mode(value) {
                    Ok(mode) => o.build.network = mode,
                    Err(e) => o.problems.push(e),
                },
                "requestid" if !value.is_empty() => o.request = Some(value.clone()),
                "format" if !value.is_empty() => o.request_format = Some(value.clone()),
                "filename" | "dockerfilekey" | "contextkey" | "target" | "requestid" | "format" => {
                }
                k if k.starts_with("context:") => {
                    let name = &k["context:".len()..];
                    match named_context(name, value) {
                        Ok((key, context)) => {
                            o.build.contexts.insert(key, context);
                        }
                        Err(e) => o.problems.push(e),
                    }
                }
                k if IGNORED.contains(&k) => {}
                k if k.starts_with("attest:") || k.starts_with("build-arg:") => {}
                k => o.unknown.push(k.to_string()),
            }
        }
        o
    }
}

/// The build arg that dates a reproducible build.
pub use crate::ir::EPOCH_ARG;

/// `SOURCE_DATE_EPOCH`: whole seconds since 1970 (empty: not set), as
/// BuildKit's frontend reads it.
fn epoch(value: &str) -> Result<Option<i64>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse::<i64>().map(Some).map_err(|_| {
        format!("invalid SOURCE_DATE_EPOCH `{value}`: it is a number of seconds since 1970-01-01")
    })
}

/// `--network` (`force-network-mode`): the net mode of runs that set none.
fn net_mode(value: &str) -> Result<NetMode, String> {
    match value {
        "" | "default" | "sandbox" => Ok(NetMode::Default),
        "host" => Ok(NetMode::Host),
        "none" => Ok(NetMode::None),
        other => Err(format!(
            "unsupported network mode `{other}` (msbc's frontend takes host, none or default)"
        )),
    }
}

/// `--build-context NAME=VALUE` (`context:NAME`): wherever the spec pulls
/// the image NAME (`from=`, `copy from=`, `bind from=`), VALUE is used
/// instead, as BuildKit's Dockerfile frontend does for `FROM NAME`: another
/// image (`docker-image://REF`) or a folder the client sends
/// (`local:INPUT`, with `--local INPUT=DIR`). NAME is compared normalized
/// (`golang:1.23` is `docker.io/library/golang:1.23`). The spec's stages
/// cannot be replaced, nor an image by an OCI layout or a git URL: those
/// fail the build, saying so.
fn named_context(name: &str, value: &str) -> Result<(ImageRef, NamedContext), String> {
    let normalize = |r: &str| {
        ImageRef::parse(r)
            .map(|r| r.normalized())
            .map_err(|e| format!("the named context `{name}={value}`: `{r}`: {e}"))
    };
    let context = if let Some(image) = value.strip_prefix("docker-image://") {
        NamedContext::Image(normalize(image)?)
    } else if let Some(input) = value.strip_prefix("local:").filter(|i| !i.is_empty()) {
        NamedContext::Local(input.to_string())
    } else {
        return Err(format!(
            "the named context `{name}` is `{value}`: msbc's frontend takes named contexts \
             that are images (`--build-context {name}=docker-image://REF`) or folders the \
             client sends (`local:NAME`), which replace the image `{name}` wherever the spec \
             pulls it"
        ));
    };
    Ok((normalize(name)?, context))
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

    fn image(text: &str) -> ImageRef {
        ImageRef::parse(text).expect("a reference").normalized()
    }

    #[test]
    fn reads_the_cache_imports_buildkit_passes_on() {
        let o = Options::parse(&raw(env(&[
            r#"cache-imports=[{"Type":"registry","Attrs":{"ref":"127.0.0.1:5000/cache/api:buildcache"}}]"#,
        ])));
        assert_eq!(
            o.cache_imports,
            [CacheImport {
                kind: "registry".to_string(),
                attrs: [(
                    "ref".to_string(),
                    "127.0.0.1:5000/cache/api:buildcache".to_string()
                )]
                .into()
            }]
        );
        assert!(o.unknown.is_empty() && o.problems.is_empty(), "{o:?}");
        let o = Options::parse(&raw(env(&["cache-imports=not json"])));
        assert!(o.cache_imports.is_empty() && o.problems.len() == 1, "{o:?}");
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
        assert_eq!(
            o.build.labels,
            BTreeMap::from([(
                "org.opencontainers.image.title".to_string(),
                "x=y".to_string()
            )])
        );
        assert_eq!(o.build.no_cache, NoCache::All);
        let filtered = Options::parse(&super::raw(env(&["no-cache=build, test"])));
        assert_eq!(
            filtered.build.no_cache,
            NoCache::Stages(["build".to_string(), "test".to_string()].into())
        );
        assert!(filtered.build.no_cache.covers("test") && !filtered.build.no_cache.covers("app"));
        assert_eq!(o.build.network, NetMode::Host);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
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
            "context:alpine=local:base",
        ])));
        assert_eq!(
            o.build.contexts,
            BTreeMap::from([
                (
                    image("golang:1.23"),
                    NamedContext::Image(image("mirror.example/golang:1.23"))
                ),
                (image("alpine"), NamedContext::Local("base".to_string())),
            ])
        );
    }

    /// Values that are not valid are refused at the door, each saying why;
    /// the valid ones are typed.
    #[test]
    fn invalid_values_are_problems_at_the_door() {
        let o = Options::parse(&raw(env(&[
            "platform=linux/arm64/v8,linux/aarch64,Linux/amd64,not a platform",
            "force-network-mode=bridge",
            "context:src=git://example.com/x",
            "build-arg:SOURCE_DATE_EPOCH=yesterday",
        ])));
        let platforms: Vec<String> = o.platforms.iter().map(|p| p.to_string()).collect();
        assert_eq!(platforms, ["linux/arm64", "linux/amd64"]);
        assert_eq!(o.problems.len(), 4, "{:?}", o.problems);
        assert!(o.problems.iter().any(|p| p.contains("`bridge`")));
        assert!(o.problems.iter().any(|p| p.contains("docker-image://REF")));
        assert!(o.problems.iter().any(|p| p.contains("`not a platform`")));
        assert!(o.problems.iter().any(|p| p.contains("SOURCE_DATE_EPOCH")));
        let o = Options::parse(&raw(env(&["build-arg:SOURCE_DATE_EPOCH=1700000000"])));
        assert_eq!(o.build.epoch, Some(1_700_000_000));
        // A run reads it as any other build arg.
        assert_eq!(
            o.build_args,
            [("SOURCE_DATE_EPOCH".to_string(), "1700000000".to_string())]
        );
        assert_eq!(
            Options::parse(&raw(env(&["force-network-mode=default"])))
                .build
                .network,
            NetMode::Default
        );
    }

    #[test]
    fn defaults_without_options() {
        let o = Options::parse(&raw(env(&[])));
        assert_eq!(o.filename, "build.kdl");
        assert_eq!(o.dockerfile_key, "dockerfile");
        assert_eq!(o.context_key, "context");
        assert!(o.target.is_none() && o.platforms.is_empty());
        assert_eq!(o.build, BuildOptions::default());
        // A value without `=` is a key with an empty value.
        assert_eq!(
            raw(env(&["no-cache"])).get("no-cache").map(String::as_str),
            Some("")
        );
    }
}
