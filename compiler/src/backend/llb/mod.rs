//! The LLB backend: a pure function from the IR to a BuildKit
//! `pb.Definition` (protobuf bytes for `buildctl build`), its readable dump
//! and the image config of the result.
//!
//! The output means the same build as the Dockerfile backend's: each step
//! becomes the ops BuildKit's Dockerfile frontend makes of the matching
//! instruction (see [`lower`]). The differences, all because msbc resolves
//! LLB when it runs rather than on the builder:
//!
//! - Args are resolved at compile time from their defaults and `--arg`; a
//!   required arg without a value is an error. Platform args come from
//!   `--platform` (default `linux/amd64`); `BUILDPLATFORM` is `linux/amd64`.
//! - A base image's config (its `ENV`, `WORKDIR`, `USER`, `ENTRYPOINT`,
//!   labels, ...) is an input: [`Options::base_configs`], keyed by the
//!   reference as the LLB source names it and the platform ([`Plan::pulls`] lists
//!   the keys a build needs). Each stage starts from its base's config as
//!   the frontend's does: runs see its env, working directory and user, the
//!   image config is the base's with the spec's changes applied, and the
//!   source is pinned to the digest the reference resolved to. For a base
//!   whose config is not in the map, runs see only `PATH` (BuildKit's
//!   default), and the image config holds that and the spec's settings.
//!
//! Building the result with its config in one step (the config is CSV
//! quoted: the field in double quotes, the JSON's quotes doubled):
//!
//! ```sh
//! msbc compile --emit llb -o app.llb      # writes app.llb and app.llb.config.json
//! buildctl build --local context=. \
//!   --output "type=image,name=registry.example/app:1,push=true,\"containerimage.config=$(sed 's/"/""/g' app.llb.config.json)\"" \
//!   < app.llb
//! ```
//!
//! The bytes are deterministic: each op is marshaled once (map fields in key
//! order), named by the sha256 of its bytes, written after its inputs, and
//! the terminal op last; nothing depends on time, randomness or paths.

mod base;
mod config;
mod dump;
mod lower;
use crate::paths;
// Field for field BuildKit's `ops.proto`, which documents each one.
#[allow(missing_docs)]
pub mod pb;
mod platform;

use crate::domain::ImageRef;
use crate::ir::{Build, BuildOptions};
use prost::Message;
use std::collections::BTreeSet;
use std::fmt;

pub use base::{BaseConfig, BaseConfigs, ConfigError, Pull};
pub use config::DEFAULT_PATH;
/// The config types a [`BaseConfig`] holds.
pub mod config_types {
    pub use super::config::{HealthConfig, History};
}
pub use lower::{Plan, digest};

/// What the backend needs besides the IR.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The spec's file name, for `msbc.source` in op metadata (`build.kdl:12`).
    pub source_name: String,
    /// The target platform (`--platform`); `None`: `linux/amd64`.
    pub platform: Option<crate::domain::Platform>,
    /// The configs of the base images the stages start from (see [`Plan::pulls`]).
    pub base_configs: BaseConfigs,
    /// What the build is asked for beside the spec (a frontend's options):
    /// applied while the ops and the image config are made.
    pub build: BuildOptions,
}

/// Why a build cannot be written as LLB (a usage error: exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// What is wrong, in words.
    pub message: String,
    /// `build.kdl:12`, when a line is to blame.
    pub location: Option<String>,
}

/// What an [`Error`] is about (the CLI names it with a diagnostic code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// An image reference that is not valid once its args are resolved.
    ImageReference,
    /// A platform that is not valid once its args are resolved.
    Platform,
    /// A required arg (no default) without a value.
    MissingArg,
    /// A value the LLB cannot carry (chmod, tmpfs size, healthcheck).
    Value,
    /// A bug in msbc.
    Internal,
}

impl Error {
    fn new(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Internal,
            message: message.into(),
            location: None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// A build as LLB.
#[derive(Debug, Clone)]
pub struct Llb {
    /// The ops of the build, in order, with their metadata.
    pub definition: pb::Definition,
    /// The target's OCI image config as one line of JSON, with a newline.
    pub image_config: String,
    /// Each built stage's result in `definition`, by name, in build order.
    pub stages: Vec<(String, pb::Input)>,
    /// The named contexts ([`BuildOptions::contexts`]) that replaced an
    /// image of the build, by the key they were given under.
    pub used_contexts: BTreeSet<ImageRef>,
}

impl Llb {
    /// The Definition's protobuf bytes, for `buildctl build`.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.definition.encode_to_vec()
    }

    /// The readable dump (`--emit llb-json`).
    pub fn dump(&self) -> String {
        dump::render(&self.definition)
    }
}

/// What a pass that makes no ops learns of `build` before it is lowered:
/// its [`Plan::pulls`], and what [`compile_planned`] then need not find
/// again.
pub fn plan(build: &Build, options: &Options) -> Result<Plan, Error> {
    lower::plan(build, options)
}

impl Plan {
    /// The base images (normalized reference, platform) whose configs the
    /// stages of the build that its target needs start from, in build
    /// order, each once: the keys to fill [`Options::base_configs`] with.
    /// `scratch` and images only copied or mounted from are not listed
    /// (their configs do not matter). The references are those of the build
    /// as given (a reference pinned by `msbc.lock` has its digest).
    pub fn pulls(&self) -> &[Pull] {
        &self.pulls
    }
}

/// Lowers `build` to LLB: the ops its target stage needs, nothing else.
pub fn compile(build: &Build, options: &Options) -> Result<Llb, Error> {
    compile_planned(build, options, None)
}

/// [`compile`], given the [`plan`] made for the same build and platform
/// (the base configs may have been filled in since): one pass fewer.
pub fn compile_planned(
    build: &Build,
    options: &Options,
    plan: Option<&Plan>,
) -> Result<Llb, Error> {
    let lowered = lower::lower(build, options, plan)?;
    Ok(Llb {
        definition: lowered.definition,
        image_config: lowered.image_config,
        stages: lowered.stages,
        used_contexts: lowered.used_contexts,
    })
}
