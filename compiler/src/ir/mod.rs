//! The IR: a checked, backend-neutral build. A DAG of stages, each an ordered
//! list of steps; every name is resolved to a [`StageId`]; args stay symbolic
//! ([`Word`]) so the Dockerfile backend can keep `${NAME}` and the LLB
//! backend can resolve it. Nothing here knows KDL, toolchains or presets:
//! `lower` has already spelled toolchain caches and env out into steps.
//!
//! `--emit json` prints this model; its JSON Schema lives in `schema/`.

mod image;
mod options;
mod word;

pub use crate::domain::{Port, Protocol, port_keys};
pub use image::{ConfigStep, ImageConfig, ImageValue, Lowered};
pub use options::{BuildOptions, EPOCH_ARG, LocalOwner, NamedContext, NetMode, NoCache};
pub use word::{VarSource, Word, WordPart};

use crate::diag::Span;
use schemars::JsonSchema;
use serde::Serialize;

/// The shell a `run` script (and a shell-form healthcheck) runs in when no
/// `shell` step says otherwise.
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// The network a `run` step has (`RUN --network=`): the default, none at
/// all, or the host's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// The values say what they are; a doc comment on each would turn the
// JSON Schema's `enum` of strings into a `oneOf`.
#[allow(missing_docs)]
pub enum Network {
    Default,
    None,
    Host,
}

/// How concurrent builds share a cache mount: all at once, each its own
/// copy, or one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// The values say what they are; a doc comment on each would turn the
// JSON Schema's `enum` of strings into a `oneOf`.
#[allow(missing_docs)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// Index into [`Build::stages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct StageId(pub usize);

/// One build: what `--emit json` prints for an image or `--target`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Build {
    /// Build arguments in declaration order.
    pub args: Vec<ArgDef>,
    /// Stages and images in dependency order: every stage comes after the
    /// stages it uses. Only stages some image or target needs are here.
    pub stages: Vec<Stage>,
    /// The stage the build produces (the selected image or `--target`); last.
    pub target: StageId,
    /// Ignore patterns for the build context (`.dockerignore`).
    pub context_ignore: Vec<String>,
    /// Settings only the Dockerfile backend reads.
    pub dockerfile: DockerfileOptions,
}

impl Build {
    /// The stage `id`.
    pub fn stage(&self, id: StageId) -> &Stage {
        &self.stages[id.0]
    }

    /// The arg named `name`.
    pub fn arg(&self, name: &str) -> Option<&ArgDef> {
        self.args.iter().find(|a| a.name == name)
    }
}

/// Settings that only the Dockerfile backend reads.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DockerfileOptions {
    /// The `# syntax=` frontend image; `None` writes for engines without the
    /// modern frontend (no syntax line, no heredocs).
    pub syntax: Option<String>,
}

/// A build argument (`arg NAME "default"`), set with `--build-arg`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ArgDef {
    /// The arg's name.
    pub name: String,
    /// `None`: required at build time. As written: a default may name
    /// earlier args (`"node:${NODE_VERSION}-slim"`), as a Dockerfile's ARG
    /// default does.
    pub default: Option<String>,
    /// The default as a word when it holds a `$` (its variables are earlier
    /// args; `$$` is a `$`); `None` for plain text. What [`ArgDef::value`]
    /// resolves.
    #[serde(skip)]
    #[schemars(skip)]
    pub default_word: Option<Word>,
}

impl ArgDef {
    /// Whether the build leaves the arg unset rather than requiring it:
    /// `SOURCE_DATE_EPOCH` ([`EPOCH_ARG`]) without a default and not passed,
    /// as after a Dockerfile's `ARG SOURCE_DATE_EPOCH`.
    pub fn unset(&self) -> bool {
        self.default.is_none() && self.name == EPOCH_ARG
    }

    /// An arg whose default (if any) is plain text: `--arg` values, tests.
    pub fn literal(name: impl Into<String>, default: Option<String>) -> ArgDef {
        ArgDef {
            name: name.into(),
            default,
            default_word: None,
        }
    }

    /// The arg's value when the build does not set it: its default, with
    /// the values of the earlier args of `args` it names (`args` is the
    /// build's list, this arg in it).
    pub fn value(&self, args: &[ArgDef]) -> Option<String> {
        match &self.default_word {
            Some(word) => {
                let earlier = args
                    .iter()
                    .position(|a| a.name == self.name)
                    .map_or(&[][..], |i| &args[..i]);
                word.resolve_args(earlier)
            }
            None => self.default.clone(),
        }
    }
}

/// Whether a stage is an intermediate `stage` or an `image` the build ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// The values say what they are; a doc comment on each would turn the
// JSON Schema's `enum` of strings into a `oneOf`.
#[allow(missing_docs)]
pub enum StageKind {
    Stage,
    Image,
}

/// A stage or image: a base and the steps run on it, in order.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stage {
    /// Its name in the spec.
    pub name: String,
    /// Stage or image.
    pub kind: StageKind,
    /// What the stage starts from.
    pub base: Base,
    /// The reference `msbc.lock` pins the base image to
    /// (`golang:1.23@sha256:...`), for a base whose reference names args:
    /// used while those args keep the values it was locked with; a value
    /// given at build time pulls the reference it makes, unpinned. (A base
    /// without args is pinned in `base` itself.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
    /// `platform=` of the stage (`${BUILDPLATFORM}`), if set.
    pub platform: Option<Word>,
    /// Built only when asked for by name (`--target`), like a test stage.
    pub target_only: bool,
    /// Its steps, in order.
    pub steps: Vec<Step>,
    /// 1-based line of the declaration in `build.kdl`.
    pub line: usize,
    /// Where the stage's name is written (in the expanded spec: a template's
    /// output has its own region), for the checks' diagnostics. Not part
    /// of `--emit json`.
    #[serde(skip)]
    #[schemars(skip)]
    pub span: Span,
}

impl Stage {
    /// Stages this one needs, in step order, without duplicates.
    pub fn dependencies(&self) -> Vec<StageId> {
        let mut deps = Vec::new();
        if let Base::Stage(id) = self.base {
            deps.push(id);
        }
        for step in &self.steps {
            deps.extend(step.kind.dependencies());
        }
        let mut seen = Vec::new();
        deps.retain(|d| {
            let new = !seen.contains(d);
            seen.push(*d);
            new
        });
        deps
    }
}

/// What a stage starts from (`from=`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum Base {
    /// An image reference, e.g. `golang:${GO_VERSION}-bookworm`.
    Image(Word),
    /// Another stage of the build, by index.
    Stage(StageId),
    /// The empty filesystem.
    Scratch,
}

/// One step of a stage, with the line that wrote it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Step {
    /// What the step does.
    pub kind: StepKind,
    /// 1-based line in `build.kdl`.
    pub line: usize,
    /// The step node it was lowered from (in the expanded spec); an `Args`
    /// step has the span of the step it comes before, a toolchain's `env`
    /// the toolchain's. Not part of `--emit json`.
    #[serde(skip)]
    #[schemars(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "step")]
/// What a step does; `step` names the kind. Each kind answers for itself:
/// [`StepKind::dependencies`], [`StepKind::words`], [`StepKind::image_values`].
pub enum StepKind {
    /// Brings build args into scope for the steps that follow (Dockerfile
    /// `ARG NAME` inside a stage; the environment of later runs in LLB).
    Args {
        /// The args, in order of first use.
        names: Vec<String>,
    },
    /// The working directory of later steps and of the container.
    Workdir {
        /// The directory (relative: under the one before).
        path: Word,
    },
    /// Files from the context, another stage or an image.
    Copy(Copy),
    /// A shell script, with its mounts.
    Run(Run),
    /// A step that only sets the image config (and, for `env`, `user` and
    /// `shell`, what later steps run with): one arm, so every backend and
    /// the diff match it once. Serialized as the kind it holds.
    #[serde(untagged)]
    Config(ConfigStep),
}

/// A stage or an image a step reads besides the build context; `mount`
/// when a `bind from=` mount reads it (else a `copy from=`). `S` and `I`
/// are `&StageId`, `&String` ([`StepKind::sources`]) or their `&mut`
/// ([`StepKind::sources_mut`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Source<S, I> {
    /// A stage of the build.
    Stage {
        /// The stage read.
        id: S,
        /// Read by a `bind` mount (else a `copy`).
        mount: bool,
    },
    /// An image, by reference.
    Image {
        /// The image read.
        image: I,
        /// Read by a `bind` mount (else a `copy`).
        mount: bool,
    },
}

/// The one list of what a step reads: [`StepKind::sources`] and
/// [`StepKind::sources_mut`] differ only in `mut`.
macro_rules! sources {
    ($kind:expr, $iter:ident $(, $m:tt)?) => {
        match $kind {
            StepKind::Copy(c) => match & $($m)? c.from {
                CopyFrom::Stage(id) => vec![Source::Stage { id, mount: false }],
                CopyFrom::Image(image) => vec![Source::Image {
                    image,
                    mount: false,
                }],
                CopyFrom::Context => vec![],
            },
            StepKind::Run(run) => run
                .mounts
                .$iter()
                .filter_map(|m| match m {
                    Mount::Bind {
                        from: Some(MountFrom::Stage(id)),
                        ..
                    } => Some(Source::Stage { id, mount: true }),
                    Mount::Bind {
                        from: Some(MountFrom::Image(image)),
                        ..
                    } => Some(Source::Image { image, mount: true }),
                    Mount::Bind { from: None, .. }
                    | Mount::Cache { .. }
                    | Mount::Secret { .. }
                    | Mount::Ssh { .. }
                    | Mount::Tmpfs { .. } => None,
                })
                .collect(),
            StepKind::Args { .. } | StepKind::Workdir { .. } | StepKind::Config(_) => vec![],
        }
    };
}

impl StepKind {
    /// The stages this step reads from (`copy from=` a stage, `bind from=`
    /// a stage), in order.
    pub fn dependencies(&self) -> Vec<StageId> {
        self.sources()
            .into_iter()
            .filter_map(|s| match s {
                Source::Stage { id, .. } => Some(*id),
                Source::Image { .. } => None,
            })
            .collect()
    }

    /// The stages and images this step reads (`copy from=`, `bind from=`),
    /// in order: what `msbc images` lists, what `select` renumbers, what
    /// `msbc.lock` pins.
    pub fn sources(&self) -> Vec<Source<&StageId, &String>> {
        sources!(self, iter)
    }

    /// [`StepKind::sources`], to rewrite in place: a stage's index, an
    /// image reference (pinned by `msbc.lock`).
    pub fn sources_mut(&mut self) -> Vec<Source<&mut StageId, &mut String>> {
        sources!(self, iter_mut, mut)
    }

    /// The words (strings msbc interpolates) the step carries, in order.
    /// A `run` script is not one: the shell expands it, msbc never does.
    pub fn words(&self) -> Vec<&Word> {
        match self {
            StepKind::Workdir { path } => vec![path],
            StepKind::Copy(c) => c
                .sources
                .iter()
                .chain(std::iter::once(&c.dest))
                .chain(c.chown.iter())
                .collect(),
            StepKind::Config(c) => c.words(),
            StepKind::Args { .. } | StepKind::Run(_) => vec![],
        }
    }

    /// The values this step stores in the image config. Builds (`args`,
    /// `copy`, `run`) store none there.
    pub fn image_values(&self) -> Vec<ImageValue<'_>> {
        match self {
            StepKind::Workdir { path } => vec![ImageValue::Workdir(path)],
            StepKind::Config(c) => c.image_values(),
            StepKind::Args { .. } | StepKind::Copy(_) | StepKind::Run(_) => vec![],
        }
    }
}

/// A `copy` step: sources into `dest`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Copy {
    /// Where the sources are read.
    pub from: CopyFrom,
    /// Paths (or globs) in `from`.
    pub sources: Vec<Word>,
    /// The destination in the stage; a directory when it ends in `/`.
    pub dest: Word,
    /// `user[:group]` owning the copied files.
    pub chown: Option<Word>,
    /// Octal, as written (`0755`).
    pub chmod: Option<String>,
    /// `COPY --link`: a layer independent of what is below it.
    pub link: bool,
}

/// Where a `copy` reads: the build context, a stage, or an image.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum CopyFrom {
    /// The build context (`.dockerignore` applied).
    Context,
    /// Another stage of the build, by index.
    Stage(StageId),
    /// An image reference (no variables).
    Image(String),
}

/// A `run` step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Run {
    /// The script, for the shell; never interpolated by msbc. In exec form
    /// the arguments joined by spaces (what names and lints read).
    pub script: String,
    /// Exec form (`run ... exec=#true`): the program and its arguments, run
    /// as they are, without a shell (`RUN ["prog", "arg"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<Vec<String>>,
    /// The shell in effect (`shell` step), `None` = `/bin/sh -c`.
    pub shell: Option<Vec<String>>,
    /// `None`: the default network.
    pub network: Option<Network>,
    /// Sorted by target.
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "type")]
/// A mount of a `run` step (`RUN --mount=`), present only while it runs.
pub enum Mount {
    /// A persistent cache directory, kept between builds.
    Cache {
        /// Where it is mounted.
        target: String,
        /// The cache's id; `None`: keyed by the target.
        id: Option<String>,
        /// How concurrent builds share it; `None`: shared.
        sharing: Option<Sharing>,
    },
    /// A build secret, as a file or an environment variable, never stored.
    Secret {
        /// The secret's id (`--secret id=...`).
        id: String,
        /// `None`: [`default_secret_target`] (unless only `env` is set).
        target: Option<String>,
        /// The environment variable holding the secret, if any.
        env: Option<String>,
        /// The build fails when the secret is not given.
        required: bool,
    },
    /// The SSH agent socket.
    Ssh {
        /// The agent's id; `None`: `default`.
        id: Option<String>,
        /// `None`: BuildKit's `/run/buildkit/ssh_agent.N`.
        target: Option<String>,
        /// The build fails when no agent is given.
        required: bool,
    },
    /// An in-memory filesystem.
    Tmpfs {
        /// Where it is mounted.
        target: String,
        /// A size such as `64m`.
        size: Option<String>,
    },
    /// Files of the context, a stage or an image, read-only unless `rw`.
    Bind {
        /// Where it is mounted.
        target: String,
        /// `None`: the build context.
        from: Option<MountFrom>,
        /// The path in `from`; `None`: its root.
        source: Option<String>,
        /// Writes are allowed (and thrown away).
        rw: bool,
    },
}

/// Where a secret mount with no `target=` appears: `/run/secrets/` and the
/// last path element of its id (`a/b/token` → `/run/secrets/token`), as
/// BuildKit's Dockerfile frontend mounts it. The one definition: E0207,
/// E0501 and both backends use it.
pub fn default_secret_target(id: &str) -> String {
    format!("/run/secrets/{}", id.rsplit('/').next().unwrap_or(id))
}

impl Mount {
    /// The stage a `bind from=` mounts, if it is one.
    pub fn stage(&self) -> Option<StageId> {
        match self {
            Mount::Bind {
                from: Some(MountFrom::Stage(id)),
                ..
            } => Some(*id),
            Mount::Bind { .. }
            | Mount::Cache { .. }
            | Mount::Secret { .. }
            | Mount::Ssh { .. }
            | Mount::Tmpfs { .. } => None,
        }
    }

    /// Where the mount appears inside the container (for sorting and LLB).
    pub fn target(&self) -> String {
        match self {
            Mount::Cache { target, .. }
            | Mount::Tmpfs { target, .. }
            | Mount::Bind { target, .. } => target.clone(),
            Mount::Secret { id, target, .. } => {
                target.clone().unwrap_or_else(|| default_secret_target(id))
            }
            Mount::Ssh { target, .. } => target
                .clone()
                .unwrap_or_else(|| "/run/buildkit/ssh_agent.0".to_string()),
        }
    }
}

/// What a `bind` mount reads, when not the build context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum MountFrom {
    /// Another stage of the build, by index.
    Stage(StageId),
    /// An image reference (no variables).
    Image(String),
}

/// How the container reports its health (`HEALTHCHECK`); durations as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Healthcheck {
    /// One element: a shell command (`CMD-SHELL`); more: exec form.
    pub command: Vec<String>,
    /// Time between checks, as written (`30s`).
    pub interval: Option<String>,
    /// Time a check may take, as written.
    pub timeout: Option<String>,
    /// Time after start during which failures do not count.
    pub start_period: Option<String>,
    /// Time between checks during the start period.
    pub start_interval: Option<String>,
    /// Failures in a row that make the container unhealthy.
    pub retries: Option<u32>,
}
