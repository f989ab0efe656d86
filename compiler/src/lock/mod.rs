//! `msbc.lock`: the spec's base images pinned to digests. Pure: the file's
//! format, which references a spec pulls, pinning a model from a lock, and
//! the E0601 check of `--locked`. Resolving tags to digests over HTTP is
//! I/O and lives in `cli::lock`.
//!
//! The file is KDL, one `image` node per reference, sorted, so it diffs
//! well and the same spec and registry state give the same bytes:
//!
//! ```kdl
//! // msbc.lock: base images pinned by `msbc lock`. Do not edit: run `msbc lock` again.
//! version 1
//! image "golang:1.23-bookworm" digest="sha256:…" {
//!     config "linux/amd64" digest="sha256:…" layers=3 {
//!         env "PATH=/go/bin:/usr/local/go/bin:…" "GOPATH=/go"
//!         workdir "/go"
//!         cmd "bash"
//!     }
//! }
//! ```
//!
//! Each `config` child is the image's config for one platform (the fields
//! a build inherits: [`BaseConfig`]), so the LLB route works offline and
//! the same once locked. A reference the spec pins itself has no `digest`
//! property, only its configs.
//!
//! A reference is keyed as the build pulls it by default (args replaced by
//! their defaults, or by `--arg`), as written otherwise (`golang:1.23`, not
//! `docker.io/library/golang:1.23`). A reference that already has a digest
//! in the spec needs no entry.

use crate::backend::llb::{BaseConfig, BaseConfigs};
use crate::diag::render::line_column;
use crate::diag::{Code, Diagnostic};
use crate::domain::image_ref::normalize as normalize_reference;
use crate::domain::{ImageRef, Platform};
use crate::ir::{ArgDef, Base, Source, Word};
use crate::kdl_write::{self, Node};
use crate::lower::Model;
use std::collections::BTreeMap;

mod config;
mod env;
use config::{config_node, parse_config};
pub use env::check_base_env;

/// The lock file's name, beside `build.kdl`.
pub const FILE_NAME: &str = "msbc.lock";

/// The format version this msbc writes and reads.
pub const VERSION: i128 = 1;

/// Image references, their digests and configs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    /// Reference (as the build pulls it) → `sha256:...`.
    pub images: BTreeMap<String, String>,
    /// (reference as in `images`, or one pinned in the spec; platform such
    /// as `linux/amd64`) → the image's config for that platform.
    pub configs: BTreeMap<(String, Platform), BaseConfig>,
}

impl Lock {
    /// Reads a lock file; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Lock, String> {
        let doc = crate::syntax::kdl_read::parse(text)
            .map_err(|e: kdl::KdlError| format!("not valid KDL: {e}"))?;
        let mut lock = Lock::default();
        let mut version = None;
        for node in doc.nodes() {
            let line = line_column(text, node.span().offset()).0;
            let args: Vec<&kdl::KdlValue> = node
                .entries()
                .iter()
                .filter(|e| e.name().is_none())
                .map(|e| e.value())
                .collect();
            match node.name().value() {
                "version" => match args.as_slice() {
                    [v] if v.as_integer() == Some(VERSION) => version = Some(VERSION),
                    _ => {
                        return Err(format!(
                            "line {line}: unsupported `version` (this msbc reads version {VERSION})"
                        ));
                    }
                },
                "image" => {
                    let reference = match args.as_slice() {
                        [r] => r.as_string(),
                        _ => None,
                    };
                    let digest = node.get("digest").and_then(|d| d.as_string());
                    let reference = match (reference, digest) {
                        (Some(r), Some(d)) if is_digest(d) => {
                            lock.images.insert(r.to_string(), d.to_string());
                            r
                        }
                        (Some(r), None) if has_digest(r) => r,
                        _ => {
                            return Err(format!(
                                "line {line}: expected `image \"REFERENCE\" digest=\"sha256:<64 hex digits>\"`"
                            ));
                        }
                    };
                    for child in node.iter_children() {
                        let at = line_column(text, child.span().offset()).0;
                        let (platform, mut config) =
                            parse_config(child).map_err(|e| format!("line {at}: {e}"))?;
                        config.digest = digest.map(str::to_string);
                        lock.configs
                            .insert((reference.to_string(), platform), config);
                    }
                }
                other => return Err(format!("line {line}: unknown node `{other}`")),
            }
        }
        match version {
            Some(_) => Ok(lock),
            None => Err(format!("no `version {VERSION}` node")),
        }
    }

    /// The file's text: deterministic, sorted by reference.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "// msbc.lock: base images pinned by `msbc lock`. Do not edit: run `msbc lock` again.\n",
        );
        let mut nodes = vec![Node::new("version").arg(VERSION)];
        let mut references: Vec<&String> = self.images.keys().collect();
        references.extend(self.configs.keys().map(|(r, _)| r));
        references.sort();
        references.dedup();
        for reference in references {
            let mut node = Node::new("image").arg(reference);
            if let Some(digest) = self.images.get(reference) {
                node = node.prop("digest", digest);
            }
            node = node.children(
                self.configs
                    .iter()
                    .filter(|((r, _), _)| r == reference)
                    .map(|((_, platform), config)| config_node(&platform.to_string(), config)),
            );
            nodes.push(node);
        }
        out.push_str(&kdl_write::document(&nodes));
        out
    }

    /// The configs this lock holds, keyed as the LLB source names the
    /// image once [`pin`] has pinned it (`docker.io/library/golang:1.23@sha256:…`).
    pub fn base_configs(&self) -> BaseConfigs {
        let mut out = BaseConfigs::new();
        for ((reference, platform), config) in &self.configs {
            let pinned = match self.images.get(reference) {
                Some(d) if !has_digest(reference) => format!("{reference}@{d}"),
                _ => reference.clone(),
            };
            if let Ok(key) = normalize_reference(&pinned) {
                out.insert(&key, platform, config.clone());
            }
        }
        out
    }

    /// The digest locked for `reference`, if any.
    pub fn digest(&self, reference: &str) -> Option<&str> {
        self.images.get(reference).map(String::as_str)
    }
}

/// `sha256:` and 64 lowercase hex digits (or another algorithm's digest).
pub fn is_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some(("sha256", hex)) => {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        Some((alg, hex)) => {
            !alg.is_empty()
                && alg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Whether a reference names its digest (`image@sha256:...`).
pub fn has_digest(reference: &str) -> bool {
    ImageRef::split(reference).digest.is_some()
}

/// The reference as the build pulls it with `args` (defaults, `--arg`
/// applied); `None` when a part is not known before the build (a platform
/// arg, a required arg).
pub fn resolve(word: &Word, args: &[ArgDef]) -> Option<String> {
    word.resolve_args(args)
}

/// `args` with `overrides` (`--arg NAME=VALUE`) as their defaults.
pub fn with_overrides(args: &[ArgDef], overrides: &[(String, String)]) -> Vec<ArgDef> {
    let mut args = args.to_vec();
    for (name, value) in overrides {
        if let Some(a) = args.iter_mut().find(|a| &a.name == name) {
            *a = ArgDef::literal(name.clone(), Some(value.clone()));
        }
    }
    args
}

/// What `msbc lock` resolves: each reference the spec pulls by default
/// that has no digest yet, sorted, once. `scratch` is not an image.
pub fn references(model: &Model) -> Vec<String> {
    let mut out: Vec<String> = model
        .images
        .iter()
        .filter_map(|u| resolve(&u.reference, &model.args))
        .filter(|r| r != "scratch" && !has_digest(r))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `reference@digest` when `lock` has `reference` (the tag stays for
/// readers); `None` for a reference pinned already or not locked.
fn pinned(reference: &str, lock: &Lock) -> Option<String> {
    let image = ImageRef::split(reference);
    if image.digest.is_some() {
        return None;
    }
    lock.digest(reference)
        .map(|d| image.with_digest(d).to_string())
}

/// Pins every base image of `model` that `lock` has (`FROM`, `COPY
/// --from`, `RUN --mount=type=bind,from=`), as pulled with `overrides`
/// (`--arg`, a frontend's build args).
///
/// A base written without args becomes the pinned reference. A base whose
/// reference names args keeps them and records the pin beside it
/// ([`crate::ir::Stage::pinned`]): the build uses the locked digest while
/// those args keep their values, and resolves the new reference when one
/// is given at build time (`--build-arg`; the Dockerfile backend writes
/// both, see `docs/lock.md`). [`overridden`] says which overrides leave
/// the lock.
pub fn pin(model: &mut Model, lock: &Lock, overrides: &[(String, String)]) {
    let args = with_overrides(&model.args, overrides);
    for stage in &mut model.stages {
        if let Base::Image(word) = &mut stage.base
            && let Some(p) = resolve(word, &args).and_then(|r| pinned(&r, lock))
        {
            if word.vars().next().is_none() {
                *word = Word::text(p);
            } else {
                stage.pinned = Some(p);
            }
        }
        for step in &mut stage.steps {
            for source in step.kind.sources_mut() {
                if let Source::Image { image, .. } = source
                    && let Some(p) = pinned(image, lock)
                {
                    *image = p;
                }
            }
        }
    }
}

/// A warning for each base image that `lock` has at the args' defaults
/// but that `overrides` move to a reference it does not have: the build
/// pulls that one, unpinned (with `--locked`: E0601, see [`unlocked`]).
pub fn overridden(model: &Model, lock: &Lock, overrides: &[(String, String)]) -> Vec<String> {
    let args = with_overrides(&model.args, overrides);
    let mut out = Vec::new();
    for stage in &model.stages {
        let Base::Image(word) = &stage.base else {
            continue;
        };
        if let (Some(reference), Some(default)) = (resolve(word, &args), resolve(word, &model.args))
            && reference != default
            && lock.digest(&default).is_some()
            && pinned(&reference, lock).is_none()
            && !has_digest(&reference)
        {
            out.push(format!(
                "`{reference}` (stage `{}`) is not in {FILE_NAME}, which locks `{default}`: \
                 the build pulls it unpinned (run `msbc lock` with the new value as the \
                 default to lock it)",
                stage.name
            ));
        }
    }
    out
}

/// E0601 (`--locked`): each image reference that is neither pinned in the
/// spec nor in `lock` (`None`: there is no lock file), at the reference.
pub fn unlocked(
    model: &Model,
    lock: Option<&Lock>,
    overrides: &[(String, String)],
) -> Vec<Diagnostic> {
    let args = with_overrides(&model.args, overrides);
    let mut out = Vec::new();
    for use_ in &model.images {
        let resolved = resolve(&use_.reference, &args);
        let reference = match &resolved {
            Some(r) if r == "scratch" || has_digest(r) => continue,
            Some(r) if lock.and_then(|l| l.digest(r)).is_some() => continue,
            Some(r) => r.clone(),
            None => use_.reference.to_string(),
        };
        let mut message = format!("`{reference}` is not locked");
        if let Some(t) = &use_.template {
            message.push_str(&format!(" (in template {t})"));
        }
        let label = match (&use_.template, lock) {
            (Some(t), _) => format!("in the output of {t}: no digest in {FILE_NAME}"),
            (None, Some(_)) => format!("not in {FILE_NAME}"),
            (None, None) => format!("no {FILE_NAME}"),
        };
        let help = if resolved.is_none() {
            "its value is known only at build time; pin it in the spec: `image:tag@sha256:...`"
                .to_string()
        } else if lock.is_none() {
            format!(
                "run `msbc lock` to write {FILE_NAME} beside the spec, or pin it in the spec: `image:tag@sha256:...`"
            )
        } else {
            format!(
                "run `msbc lock` to add it to {FILE_NAME}, or pin it in the spec: `image:tag@sha256:...`"
            )
        };
        out.push(
            Diagnostic::new(Code::UnlockedImage, message)
                .label(use_.span, label)
                .help(help),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_line_of_an_indented_node() {
        let err = Lock::parse("version 1\n  image \"alpine:3.20\"\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn model(spec: &str) -> Model {
        let checked = crate::compile::check(spec.as_bytes());
        assert!(
            !checked.diagnostics.has_errors(),
            "{:?}",
            checked.diagnostics
        );
        checked.model.unwrap_or_else(|| panic!("no model"))
    }

    const SPEC: &str = r#"msbc 1
arg GO "1.23"
toolchain go image="golang:${GO}-bookworm"
stage build toolchain=go {
    run "go build" { bind "/x" from="busybox:1.36" }
}
image app from="debian:bookworm-slim" {
    copy from="alpine:3.20" "/etc/os-release" to="/"
    copy from=build "/out" to="/out"
    user "nobody"
}
image two from="scratch" { user "1" }
image three from="alpine:3.20@sha256:1111111111111111111111111111111111111111111111111111111111111111" { user "1" }
"#;

    #[test]
    fn the_file_round_trips_sorted() {
        let mut lock = Lock::default();
        lock.images.insert("z:1".into(), D1.into());
        lock.images.insert("a:1".into(), D2.into());
        let text = lock.render();
        assert!(text.find("\"a:1\"") < text.find("\"z:1\""), "{text}");
        assert_eq!(Lock::parse(&text), Ok(lock));
    }

    fn platform(text: &str) -> Platform {
        Platform::parse(text).expect("a platform")
    }

    #[test]
    fn configs_round_trip_with_every_field() {
        let json = br#"{"config":{"Env":["PATH=/go/bin:/bin","Q=a \"b\" \\ c"],"User":"65532","WorkingDir":"/go","Entrypoint":["/e"],"Cmd":[],"ExposedPorts":{"80/tcp":{}},"Labels":{"k":"v w"},"Volumes":{"/d":{}},"Healthcheck":{"Test":["CMD","true"],"Interval":30000000000,"Retries":3},"Shell":["/bin/bash","-c"],"StopSignal":"SIGINT"},"rootfs":{"diff_ids":["sha256:a"]}}"#;
        let mut config = BaseConfig::from_json(json).expect("config");
        config.digest = Some(D1.to_string());
        let mut lock = Lock::default();
        lock.images.insert("golang:1.23".into(), D1.into());
        lock.configs.insert(
            ("golang:1.23".into(), platform("linux/amd64")),
            config.clone(),
        );
        // A reference the spec pins itself: configs only.
        let mut pinned = config.clone();
        pinned.digest = None;
        let own = format!("alpine:3@{D2}");
        lock.configs
            .insert((own.clone(), platform("linux/arm64")), pinned);
        let text = lock.render();
        assert_eq!(Lock::parse(&text), Ok(lock.clone()), "{text}");
        let configs = lock.base_configs();
        let got = configs.get(
            &format!("docker.io/library/golang:1.23@{D1}"),
            &platform("linux/amd64"),
        );
        assert_eq!(got, Some(&config));
        assert!(
            configs
                .get(
                    &format!("docker.io/library/alpine:3@{D2}"),
                    &platform("linux/arm64")
                )
                .is_some()
        );
        // A bad config node is located.
        let bad = text.replace("layers=1", "layers=-1");
        let e = Lock::parse(&bad).expect_err("refused");
        let at = text
            .lines()
            .position(|l| l.contains("layers=1"))
            .map(|i| i + 1);
        assert_eq!(
            e,
            format!("line {}: `layers` must be a whole number", at.unwrap_or(0))
        );
        assert!(Lock::parse(&text.replace("workdir", "wrkdir")).is_err());
    }

    #[test]
    fn bad_files_say_why() {
        assert!(Lock::parse("image \"a:1\" digest=\"x\"").is_err());
        assert!(Lock::parse("version 2").is_err());
        assert!(Lock::parse("").is_err());
        assert!(Lock::parse("version 1\nfoo 1").is_err());
        assert!(Lock::parse("version 1\nimage \"a:1\" digest=\"sha256:zz\"").is_err());
    }

    #[test]
    fn references_are_what_the_build_pulls() {
        let m = model(SPEC);
        assert_eq!(
            references(&m),
            vec![
                "alpine:3.20",
                "busybox:1.36",
                "debian:bookworm-slim",
                "golang:1.23-bookworm"
            ]
        );
    }

    #[test]
    fn pin_keeps_the_tag_and_unlocked_reports_the_rest() {
        let mut m = model(SPEC);
        let mut lock = Lock::default();
        lock.images.insert("golang:1.23-bookworm".into(), D1.into());
        lock.images.insert("alpine:3.20".into(), D2.into());
        let missing = unlocked(&m, Some(&lock), &[]);
        let names: Vec<&str> = missing.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "`busybox:1.36` is not locked",
                "`debian:bookworm-slim` is not locked"
            ]
        );
        assert!(missing.iter().all(|d| d.code == Code::UnlockedImage));
        // With another arg value the locked digest no longer applies.
        assert_eq!(
            unlocked(&m, Some(&lock), &[("GO".into(), "1.24".into())]).len(),
            3
        );
        // An override that leaves the lock is a warning, not silence.
        assert!(overridden(&m, &lock, &[]).is_empty());
        let moved = overridden(&m, &lock, &[("GO".into(), "1.24".into())]);
        assert_eq!(moved.len(), 1, "{moved:?}");
        assert!(
            moved[0].starts_with("`golang:1.24-bookworm` (stage `build`) is not in msbc.lock, which locks `golang:1.23-bookworm`"),
            "{moved:?}"
        );
        let mut moved = m.clone();
        pin(&mut moved, &lock, &[("GO".into(), "1.24".into())]);
        assert!(moved.stages.iter().all(|s| s.pinned.is_none()));
        pin(&mut m, &lock, &[]);
        let df = crate::compile::emit(
            &m,
            &crate::lower::Selection::default(),
            crate::compile::Emit::Dockerfile,
            "build.kdl",
        )
        .map(|o| o.main)
        .unwrap_or_default();
        // The arg still feeds the image: the locked digest while `GO`
        // keeps its default, `golang:${GO}-bookworm` when it is given.
        for line in [
            "ARG GO\n".to_string(),
            "ARG MSBC_LOCKED_BUILD=${GO:+golang:${GO:-1.23}-bookworm}\nARG GO=1.23\n".to_string(),
            format!("FROM ${{MSBC_LOCKED_BUILD:-golang:1.23-bookworm@{D1}}} AS build"),
        ] {
            assert!(df.contains(&line), "{line}\n{df}");
        }
        assert!(
            df.contains(&format!("COPY --from=alpine:3.20@{D2} ")),
            "{df}"
        );
        assert!(df.contains("FROM debian:bookworm-slim AS app"), "{df}");
        assert!(df.contains("from=busybox:1.36 "), "{df}");
    }
}
