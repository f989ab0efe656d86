//! The spanned AST: what `build.kdl` says, shape-checked, with every value's
//! place in the file. Names are not resolved here (that is `lower`'s job),
//! but the small languages inside values (interpolation, ports, durations,
//! permissions, platforms) are already parsed.

use crate::diag::Span;
use crate::domain::{self, Form};
pub use crate::domain::{Port, Protocol};

/// A string value and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    /// The whole value as written (quotes included).
    pub span: Span,
    /// File offset of the value's first character when the text in the file
    /// is the value verbatim (a plain or raw string without escapes), so an
    /// offset into `value` maps onto the file. `None` otherwise: errors then
    /// label the whole value.
    pub content_start: Option<usize>,
}

impl Str {
    /// The span of `value[start..end]` in the file, or the whole value's
    /// span where the text in the file is not the value verbatim.
    pub fn sub_span(&self, start: usize, end: usize) -> Span {
        match self.content_start {
            Some(base) => Span::new(base + start, base + end.max(start)),
            None => self.span,
        }
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

/// A name (stage, artifact, arg, ...) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl AsRef<str> for Ident {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

/// A string with `${NAME}` / `${NAME:-default}` interpolation, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interp {
    pub raw: Str,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var {
        name: String,
        default: Option<String>,
        span: Span,
    },
}

impl Interp {
    /// Variables referenced, in order.
    pub fn vars(&self) -> impl Iterator<Item = (&str, Span)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, span, .. } => Some((name.as_str(), *span)),
            Part::Lit(_) => None,
        })
    }

    /// The literal text, if the value has no variables.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var { .. } => return None,
            }
        }
        Some(out)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Document {
    pub version: Option<(i128, Span)>,
    pub args: Vec<ArgDecl>,
    pub context: Option<ContextDecl>,
    pub toolchains: Vec<ToolchainDecl>,
    /// Stages and images, in declaration order.
    pub stages: Vec<StageDecl>,
    pub artifacts: Vec<ArtifactDecl>,
    pub uses: Vec<UseDecl>,
    pub dockerfile: DockerfileSettings,
    /// `templates "dir"`: template directories, relative to the spec.
    pub template_dirs: Vec<Str>,
    /// `policy { ... }`: rules a platform team sets (from the spec, a
    /// template's output or a `policy.kdl` beside templates).
    pub policies: Vec<PolicyDecl>,
    /// `publish [IMAGE] registry=|repository= { tag ...; platform ... }`:
    /// where images are pushed (the spec's, a template's), one per image
    /// and at most one for every image (`image` is `None`).
    pub publish: Vec<PublishDecl>,
}

/// `publish`: the repository, tags and platforms an image is published
/// with. Without an image name it sets them for every image of the spec
/// (a platform template's registry), which one image's own `publish`
/// overrides field by field.
#[derive(Debug, Clone)]
pub struct PublishDecl {
    /// The image it is for; `None`: every image.
    pub image: Option<Ident>,
    /// `registry="host[/path]"`: the repository is `REGISTRY/IMAGE`.
    pub registry: Option<Interp>,
    /// `repository="host/path/name"`: the whole repository (one image).
    pub repository: Option<Interp>,
    /// `tag "v1" "${VERSION}"`: empty when not written.
    pub tags: Vec<Interp>,
    /// `platform "linux/amd64" "linux/arm64"`: empty when not written.
    pub platforms: Vec<Str>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct PolicyDecl {
    /// Registries base images may come from (`docker.io`, `gcr.io`, ...).
    pub allowed_registries: Vec<Str>,
    /// Every base image must be pinned by digest.
    pub require_digest: bool,
    /// No image may run as root (or leave its user unset).
    pub forbid_root: bool,
    /// Labels every image must have.
    pub required_labels: Vec<Str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ArgDecl {
    pub name: Ident,
    pub default: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ContextDecl {
    /// `context "../.."`: the build context folder, relative to the spec's
    /// folder; only `..` segments (the folder itself or one above it).
    pub dir: Option<Str>,
    pub ignore: Vec<Str>,
    pub span: Span,
}

impl ContextDecl {
    /// How many folders above the spec the context is (`"../.."`: 2).
    pub fn depth(&self) -> usize {
        self.dir
            .as_ref()
            .map_or(0, |d| context_depth(&d.value).unwrap_or(0))
    }
}

/// The depth of a `context` folder: the number of `..` segments of a
/// relative path made only of `..` and `.` segments (`"."`: 0, `"../.."`:
/// 2); `None` for anything else (absolute, a folder below the spec, a
/// sibling), as the spec must lie inside its context.
pub fn context_depth(dir: &str) -> Option<usize> {
    if dir.is_empty() || dir.starts_with('/') || dir.contains('\\') {
        return None;
    }
    let mut depth = 0;
    for seg in dir.split('/') {
        match seg {
            "" | "." => {}
            ".." => depth += 1,
            _ => return None,
        }
    }
    Some(depth)
}

#[derive(Debug, Clone)]
pub struct ToolchainDecl {
    pub name: Ident,
    pub image: Interp,
    pub caches: Vec<CacheMount>,
    pub env: Vec<(Ident, Interp)>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Stage,
    Image,
}

impl StageKind {
    pub fn noun(self) -> &'static str {
        match self {
            StageKind::Stage => "stage",
            StageKind::Image => "image",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StageDecl {
    pub kind: StageKind,
    pub name: Ident,
    /// `from=`: a stage name or an image reference; resolved in `lower`.
    pub from: Option<Interp>,
    pub toolchain: Option<Ident>,
    pub platform: Option<Interp>,
    pub target_only: bool,
    pub extend: bool,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ArtifactDecl {
    pub name: Ident,
    pub from: Ident,
    pub path: Interp,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct UseDecl {
    /// `go`, or `"team/template"`.
    pub preset: Str,
    pub params: Vec<Param>,
    /// How many stages and images were declared before this `use`: the
    /// template's stages go there, so declaration order stays meaningful.
    pub stage_index: usize,
    pub span: Span,
}

/// A parameter of `use`: a property (`version="1.23"`) or a child node
/// (`main "./cmd/a" "./cmd/b"`, `env LOG_LEVEL="info"`). A child repeated
/// is one parameter with all the values.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: Ident,
    pub values: Vec<ParamValue>,
    /// `key=value` pairs of a child node.
    pub props: Vec<(Ident, ParamValue)>,
    /// Each child node as written (none for a property): a parameter whose
    /// preset declares `field`s takes settings per item.
    pub items: Vec<ParamItem>,
    /// Where it was written (the whole property or child node).
    pub span: Span,
}

/// One child node of a `use` parameter: `main "./cmd/worker" port=9090 {
/// args "--queue" "orders" }`. Its properties and block are its settings.
#[derive(Debug, Clone)]
pub struct ParamItem {
    pub values: Vec<ParamValue>,
    pub props: Vec<(Ident, ParamValue)>,
    /// The nodes of its block, as parameters of their own.
    pub children: Vec<Param>,
    /// The block `{ ... }`, when written.
    pub block: Option<Span>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ParamValue {
    Str(Str),
    Int(i128, Span),
    Bool(bool, Span),
}

impl ParamValue {
    pub fn span(&self) -> Span {
        match self {
            ParamValue::Str(s) => s.span,
            ParamValue::Int(_, span) | ParamValue::Bool(_, span) => *span,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DockerfileSettings {
    /// `dockerfile syntax="..."`: a frontend image, or `none`.
    pub syntax: Option<Str>,
}

/// A step inside a stage or image, with the span of its node.
#[derive(Debug, Clone)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Workdir(Interp),
    Copy(Copy),
    Run(Run),
    /// A step that only sets the image config (`ir::ConfigStep` once
    /// lowered).
    Config(ConfigStep),
}

/// The AST's form of a config-only step ([`domain::ConfigStep`]): values
/// as written, each with its place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written;

impl Form for Written {
    type Name = Ident;
    type Text = Str;
    type Word = Interp;
    type Healthcheck = Healthcheck;
}

/// The config-only steps, as written (lowered to `ir::ConfigStep`).
pub type ConfigStep = domain::ConfigStep<Written>;

/// A value a step stores in the image config, where it is written (for
/// checks that point at it).
pub type ImageValue<'a> = domain::ImageValue<'a, Written>;

/// Something a step reads besides the build context, where it is written.
#[derive(Debug, Clone, Copy)]
pub enum Read<'a> {
    /// `copy from=`: a stage or an image.
    CopyFrom(&'a Interp),
    /// `copy artifact=`.
    Artifact(&'a Ident),
    /// `bind from=`: a stage or an image.
    BindFrom(&'a Interp),
}

impl StepKind {
    /// What the step reads besides the context, as written: `copy from=`,
    /// `copy artifact=`, `bind from=` (resolved in `lower`).
    pub fn reads(&self) -> Vec<Read<'_>> {
        match self {
            StepKind::Copy(c) => match &c.origin {
                CopyOrigin::From(f) => vec![Read::CopyFrom(f)],
                CopyOrigin::Artifact(a) => vec![Read::Artifact(a)],
                CopyOrigin::Context => vec![],
            },
            StepKind::Run(r) => r
                .mounts
                .iter()
                .filter_map(|m| match m {
                    Mount::Bind(b) => b.from.as_ref().map(Read::BindFrom),
                    Mount::Cache(_) | Mount::Secret(_) | Mount::Ssh(_) | Mount::Tmpfs(_) => None,
                })
                .collect(),
            StepKind::Workdir(_) | StepKind::Config(_) => vec![],
        }
    }

    /// The stages or images the step reads from, as written (`copy from=`,
    /// `bind from=`); resolved in `lower`.
    pub fn references(&self) -> Vec<&Interp> {
        self.reads()
            .into_iter()
            .filter_map(|r| match r {
                Read::CopyFrom(f) | Read::BindFrom(f) => Some(f),
                Read::Artifact(_) => None,
            })
            .collect()
    }

    /// The values the step stores in the image config.
    pub fn image_values(&self) -> Vec<ImageValue<'_>> {
        match self {
            StepKind::Workdir(w) => vec![ImageValue::Workdir(w)],
            StepKind::Config(c) => c.image_values(),
            StepKind::Copy(_) | StepKind::Run(_) => vec![],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Copy {
    pub sources: Vec<Interp>,
    pub dest: Interp,
    pub origin: CopyOrigin,
    pub chown: Option<Chown>,
    pub chmod: Option<Chmod>,
    pub link: bool,
}

#[derive(Debug, Clone)]
pub enum CopyOrigin {
    Context,
    /// `from=`: a stage name or an image reference; resolved in `lower`.
    From(Interp),
    Artifact(Ident),
}

#[derive(Debug, Clone)]
pub struct Run {
    /// The shell script; in exec form the arguments joined by spaces.
    pub script: Str,
    /// `exec=#true`: the program and its arguments, run without a shell.
    pub exec: Option<Vec<Str>>,
    pub network: Option<Network>,
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Default,
    None,
    Host,
}

#[derive(Debug, Clone)]
pub enum Mount {
    Cache(CacheMount),
    Secret(SecretMount),
    Ssh(SshMount),
    Tmpfs(TmpfsMount),
    Bind(BindMount),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

#[derive(Debug, Clone)]
pub struct CacheMount {
    pub target: Str,
    pub id: Option<Str>,
    pub sharing: Option<Sharing>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct SecretMount {
    pub id: Str,
    pub target: Option<Str>,
    pub env: Option<Str>,
    pub required: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct SshMount {
    pub id: Option<Str>,
    pub target: Option<Str>,
    pub required: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TmpfsMount {
    pub target: Str,
    pub size: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct BindMount {
    pub target: Str,
    pub from: Option<Interp>,
    pub source: Option<Str>,
    pub rw: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Healthcheck {
    pub command: Vec<Str>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

/// A duration such as `1m30s`, kept as written and as nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    pub text: String,
    pub nanos: u128,
}

/// `user[:group]`, each a name or a numeric id (interpolation allowed).
#[derive(Debug, Clone)]
pub struct Chown {
    pub value: Interp,
}

/// An octal mode such as `0755`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chmod {
    pub text: String,
    pub mode: u32,
}
