//! The IR: a checked, backend-neutral build. A DAG of stages, each an ordered
//! list of steps; every name is resolved to a [`StageId`]; args stay symbolic
//! ([`Word`]) so the Dockerfile backend can keep `${NAME}` and the LLB
//! backend can resolve it. Nothing here knows KDL, toolchains or presets:
//! `lower` has already spelled toolchain caches and env out into steps.
//!
//! `--emit json` prints this model; its JSON Schema lives in `schema/`.

use schemars::JsonSchema;
use serde::Serialize;

/// The shell a `run` script (and a shell-form healthcheck) runs in when no
/// `shell` step says otherwise.
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// A port to expose, with an optional range end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Port {
    pub number: u16,
    pub end: Option<u16>,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Default,
    None,
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// Index into [`Build::stages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct StageId(pub usize);

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
    pub dockerfile: DockerfileOptions,
}

impl Build {
    pub fn stage(&self, id: StageId) -> &Stage {
        &self.stages[id.0]
    }

    pub fn arg(&self, name: &str) -> Option<&ArgDef> {
        self.args.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DockerfileOptions {
    /// The `# syntax=` frontend image; `None` writes for engines without the
    /// modern frontend (no syntax line, no heredocs).
    pub syntax: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ArgDef {
    pub name: String,
    /// `None`: required at build time.
    pub default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    Stage,
    Image,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    pub kind: StageKind,
    pub base: Base,
    pub platform: Option<Word>,
    /// Built only when asked for by name (`--target`), like a test stage.
    pub target_only: bool,
    pub steps: Vec<Step>,
    /// 1-based line of the declaration in `build.kdl`.
    pub line: usize,
}

impl Stage {
    /// Stages this one needs, in step order, without duplicates.
    pub fn dependencies(&self) -> Vec<StageId> {
        let mut deps = Vec::new();
        if let Base::Stage(id) = self.base {
            deps.push(id);
        }
        for step in &self.steps {
            step.kind.dependencies(&mut deps);
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum Base {
    /// An image reference, e.g. `golang:${GO_VERSION}-bookworm`.
    Image(Word),
    Stage(StageId),
    /// The empty filesystem.
    Scratch,
}

/// A string that may reference variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Word(pub Vec<WordPart>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum WordPart {
    Text {
        text: String,
    },
    /// `${NAME}` or `${NAME:-default}`.
    Var {
        name: String,
        default: Option<String>,
        source: VarSource,
    },
}

/// What a variable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VarSource {
    /// A declared `arg`.
    Arg,
    /// A platform arg BuildKit defines (`TARGETARCH`, ...).
    Platform,
    /// An `env` set earlier in the stage chain, or `PATH`.
    Env,
}

impl Word {
    pub fn text(s: impl Into<String>) -> Word {
        Word(vec![WordPart::Text { text: s.into() }])
    }

    /// The text, if the word has no variables.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                WordPart::Text { text } => out.push_str(text),
                WordPart::Var { .. } => return None,
            }
        }
        Some(out)
    }

    /// The text with each variable replaced by `lookup(name, source)`;
    /// `${NAME:-default}` takes its default when the value is unset or empty,
    /// as BuildKit does. `None` when a variable has neither.
    pub fn resolve(
        &self,
        mut lookup: impl FnMut(&str, VarSource) -> Option<String>,
    ) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                WordPart::Text { text } => out.push_str(text),
                WordPart::Var {
                    name,
                    default,
                    source,
                } => {
                    match (
                        lookup(name, *source).filter(|v| !v.is_empty() || default.is_none()),
                        default,
                    ) {
                        (Some(v), _) => out.push_str(&v),
                        (None, Some(d)) => out.push_str(d),
                        (None, None) => return None,
                    }
                }
            }
        }
        Some(out)
    }

    pub fn vars(&self) -> impl Iterator<Item = (&str, VarSource)> {
        self.0.iter().filter_map(|p| match p {
            WordPart::Var { name, source, .. } => Some((name.as_str(), *source)),
            WordPart::Text { .. } => None,
        })
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Step {
    pub kind: StepKind,
    /// 1-based line in `build.kdl`.
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "step")]
pub enum StepKind {
    /// Brings build args into scope for the steps that follow (Dockerfile
    /// `ARG NAME` inside a stage; the environment of later runs in LLB).
    Args {
        names: Vec<String>,
    },
    Workdir {
        path: Word,
    },
    Copy(Copy),
    Run(Run),
    Env {
        vars: Vec<(String, Word)>,
    },
    Label {
        labels: Vec<(String, Word)>,
    },
    User {
        user: Word,
    },
    Expose {
        ports: Vec<Port>,
    },
    Entrypoint {
        args: Vec<String>,
    },
    Cmd {
        args: Vec<String>,
    },
    /// `None` disables a healthcheck inherited from the base image.
    Healthcheck {
        check: Option<Healthcheck>,
    },
    Volume {
        paths: Vec<Word>,
    },
    StopSignal {
        signal: String,
    },
    Shell {
        args: Vec<String>,
    },
}

impl StepKind {
    fn dependencies(&self, out: &mut Vec<StageId>) {
        match self {
            StepKind::Copy(Copy {
                from: CopyFrom::Stage(id),
                ..
            }) => out.push(*id),
            StepKind::Run(run) => {
                for m in &run.mounts {
                    if let Mount::Bind {
                        from: Some(MountFrom::Stage(id)),
                        ..
                    } = m
                    {
                        out.push(*id);
                    }
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Copy {
    pub from: CopyFrom,
    pub sources: Vec<Word>,
    pub dest: Word,
    pub chown: Option<Word>,
    /// Octal, as written (`0755`).
    pub chmod: Option<String>,
    pub link: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum CopyFrom {
    Context,
    Stage(StageId),
    /// An image reference (no variables).
    Image(String),
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Run {
    /// The script, for the shell; never interpolated by msbc.
    pub script: String,
    /// The shell in effect (`shell` step), `None` = `/bin/sh -c`.
    pub shell: Option<Vec<String>>,
    pub network: Option<Network>,
    /// Sorted by target.
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum Mount {
    Cache {
        target: String,
        id: Option<String>,
        sharing: Option<Sharing>,
    },
    Secret {
        id: String,
        target: Option<String>,
        env: Option<String>,
        required: bool,
    },
    Ssh {
        id: Option<String>,
        target: Option<String>,
        required: bool,
    },
    Tmpfs {
        target: String,
        size: Option<String>,
    },
    Bind {
        target: String,
        from: Option<MountFrom>,
        source: Option<String>,
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
    /// Where the mount appears inside the container (for sorting and LLB).
    pub fn target(&self) -> String {
        match self {
            Mount::Cache { target, .. }
            | Mount::Tmpfs { target, .. }
            | Mount::Bind { target, .. } => target.clone(),
            Mount::Secret { id, target, .. } => target
                .clone()
                .unwrap_or_else(|| default_secret_target(id)),
            Mount::Ssh { target, .. } => target
                .clone()
                .unwrap_or_else(|| "/run/buildkit/ssh_agent.0".to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "type", content = "value")]
pub enum MountFrom {
    Stage(StageId),
    Image(String),
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Healthcheck {
    /// One element: a shell command (`CMD-SHELL`); more: exec form.
    pub command: Vec<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    pub retries: Option<u32>,
}
