//! What a build is asked for beside the spec: the options a BuildKit
//! frontend receives (`--network`, `--no-cache`, named contexts, `--label`,
//! `SOURCE_DATE_EPOCH`), parsed once into typed values where they enter
//! (`frontend/options.rs`) and applied by the LLB backend while it makes
//! the ops and the image config. Plain data: the backend takes it without
//! knowing who filled it.

use crate::domain::ImageRef;
use std::collections::{BTreeMap, BTreeSet};

/// The build arg that dates a reproducible build. A spec that declares it
/// (`arg SOURCE_DATE_EPOCH`) gives it to every `run` (the tools that honour
/// it read it from the environment, unnamed in the script); declared
/// without a default and not passed, it is unset, as after a Dockerfile's
/// `ARG SOURCE_DATE_EPOCH` (never a required arg).
pub const EPOCH_ARG: &str = "SOURCE_DATE_EPOCH";

/// The build's options; the default changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// The network of runs that set none (`force-network-mode`).
    pub network: NetMode,
    /// Which stages' ops run again (`--no-cache`, `--no-cache-filter`).
    pub no_cache: NoCache,
    /// Named contexts that replace an image the build pulls, keyed by the
    /// image's normalized reference (`docker.io/library/golang:1.23`).
    pub contexts: BTreeMap<ImageRef, NamedContext>,
    /// `--label NAME=VALUE`: set in the image config, over the spec's.
    pub labels: BTreeMap<String, String>,
    /// `SOURCE_DATE_EPOCH` (seconds since 1970): the image config's
    /// `created` time and its history's, as BuildKit's Dockerfile frontend
    /// writes them.
    pub epoch: Option<i64>,
    /// Whose files the build's local sources (its context, `local:` named
    /// contexts) are.
    pub local_owner: LocalOwner,
}

/// Whose files a local source is. BuildKit runs equal ops of builds that
/// run at once only once, so an unmarked local source of two builds of
/// the same spec from different folders is one op, and both builds get the
/// files of one folder. BuildKit's own LLB client always marks them: with
/// the session, or a unique name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LocalOwner {
    /// Unmarked: whichever session BuildKit picks serves the files.
    #[default]
    Unmarked,
    /// The client session that serves the files (`local.session`): a
    /// frontend's `BUILDKIT_SESSION_ID`.
    Session(String),
    /// A name of the folder the files come from (`local.unique`), for LLB
    /// a client solves with its own session (`msbc compile --emit llb |
    /// buildctl build`).
    Unique(String),
}

impl LocalOwner {
    /// The source attribute that marks a local source, and its value.
    pub fn attr(&self) -> Option<(&'static str, &str)> {
        match self {
            LocalOwner::Unmarked => None,
            LocalOwner::Session(id) => Some(("local.session", id)),
            LocalOwner::Unique(name) => Some(("local.unique", name)),
        }
    }
}

/// The network a run without its own `network=` gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetMode {
    /// The builder's default (the run's own setting, if any).
    #[default]
    Default,
    /// The host's network.
    Host,
    /// No network.
    None,
}

/// Which ops skip the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NoCache {
    /// The cache is used.
    #[default]
    Off,
    /// Every op runs again (`--no-cache`).
    All,
    /// The ops of these stages run again (`--no-cache-filter a,b`).
    Stages(BTreeSet<String>),
}

impl NoCache {
    /// Whether the ops of the stage `name` run again.
    pub fn covers(&self, name: &str) -> bool {
        match self {
            NoCache::Off => false,
            NoCache::All => true,
            NoCache::Stages(names) => names.contains(name),
        }
    }
}

/// What a named context puts where the build pulls an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedContext {
    /// Another image (`docker-image://REF`), normalized; its digest, when
    /// it names none, is the one the replaced reference was pinned to.
    Image(ImageRef),
    /// A folder the client sends (`local:NAME`, the session's input NAME).
    Local(String),
}
