//! The command line (clap). The contract: DESIGN.md, "The contract".

use crate::domain::Platform;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "msbc",
    // The crate's version and the commit it was built from (compiler/build.rs).
    version = env!("MSBC_VERSION"),
    about = "Compile a declarative build.kdl into a multi-stage Dockerfile",
    long_about = "msbc compiles a build spec (build.kdl, KDL v2) into a multi-stage Dockerfile that \
follows container best practice: dependency manifests before sources, cache mounts, target-only \
test stages, minimal non-root runtime images.\n\n\
Exit status: 0 success, 1 the spec has errors (or --check found drift), 2 usage or I/O error.",
    after_help = "Examples:\n  msbc compile                         # build.kdl → Dockerfile on stdout\n  msbc compile specs/go-orders -o Dockerfile\n  msbc compile --check Dockerfile      # CI: fail when Dockerfile is stale\n  msbc check --format json\n  msbc explain E0202"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Colour in diagnostics and diffs: auto (a terminal, NO_COLOR unset), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  msbc completions bash > ~/.local/share/bash-completion/completions/msbc\n  msbc completions zsh > ~/.zfunc/_msbc\n  msbc completions fish > ~/.config/fish/completions/msbc.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete msbc in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it runs (or its help or
// completions are asked for): a compile does not pay for the other fourteen.
#[command(defer = true)]
pub enum Command {
    /// Compile a spec into a Dockerfile (or the resolved model as JSON).
    Compile(CompileArgs),
    /// Check a spec and report every problem, without writing output.
    Check(CheckArgs),
    /// Explain a diagnostic code (with a wrong and a right example), or a node of the language (`msbc explain copy`).
    Explain(ExplainArgs),
    /// List the presets and their parameters, or show one with an example.
    Presets(PresetsArgs),
    /// Resolve the spec's base images to digests (registry API) and write msbc.lock beside it.
    Lock(LockArgs),
    /// Print the JSON Schema of the resolved model that `compile --emit json` writes.
    Schema,
    /// Show how the generated Dockerfile (or LLB) changes: a semantic summary, then a diff.
    Diff(DiffArgs),
    /// Turn a Dockerfile into an equivalent build.kdl (on stdout).
    Import(ImportArgs),
    /// Write a first build.kdl from the project's own files (go.mod, package.json, pyproject.toml, ...).
    Init(InitArgs),
    /// Run as a BuildKit gateway frontend (the entrypoint of msbc's frontend image; gRPC on stdin/stdout).
    Frontend,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Draw the build: stages, images, artifacts and base images, as Mermaid or Graphviz DOT.
    Graph(GraphArgs),
    /// Run the language server (LSP over stdin/stdout), for editors.
    Lsp,
    /// Rewrite specs in the canonical layout, keeping every comment.
    Fmt(FmtArgs),
    /// The base images every build.kdl under the folders pulls: per image and tag, which services and stages.
    Images(super::fleet::ImagesArgs),
    /// A bake file for `docker buildx bake`: a target per image of every build.kdl under the folders, with tags, platforms and registry caches.
    Bake(super::fleet::BakeArgs),
}

// The shared flags' structs are documented with `#[doc = concat!(..)]`: clap
// takes a plain doc comment on a flattened struct as the subcommand's about.
#[doc = concat!("`--templates` and `--context`: where a spec's templates and project files ",
    "are read (every subcommand that checks a spec).")]
#[derive(Debug, Args)]
pub struct SpecInputs {
    /// Directories to search for platform templates used by `use` (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub templates: Vec<PathBuf>,

    /// The build context, when it is not the spec's folder (overrides the spec's `context "DIR"`): project files are read there, the spec's folder within it is the service built (`--context .` for apps/api/build.kdl built from the root).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
}

#[doc = concat!("`--image`, `--target` and `--arg`: what is built, with which arg values.")]
#[derive(Debug, Args)]
pub struct BuildChoice {
    /// Build this image (default: every image, the last one as the final stage).
    #[arg(long, value_name = "NAME", conflicts_with = "target")]
    pub image: Option<String>,

    /// Build only this stage or image and what it needs; it becomes the final stage.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Override an arg's default (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = parse_arg)]
    pub args: Vec<(String, String)>,
}

impl BuildChoice {
    /// The selection these flags make (no platform, the default syntax).
    pub fn selection(&self) -> crate::lower::Selection {
        crate::lower::Selection {
            image: self.image.clone(),
            target: self.target.clone(),
            args: self.args.clone(),
            ..crate::lower::Selection::default()
        }
    }
}

#[doc = concat!("`--deny-warnings`, `--locked` and `--strict`: what fails a check.")]
#[derive(Debug, Args)]
pub struct Gates {
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Fail (E0601) when a base image is neither in msbc.lock nor pinned by digest.
    #[arg(long)]
    pub locked: bool,

    /// Security warnings are errors: an image running as root (W0001) and a secret in env or an arg default (W0003).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  msbc graph                            # Mermaid, for a README or pull request\n  msbc graph specs/go-orders --format dot | dot -Tsvg > build.svg"
)]
pub struct GraphArgs {
    /// The spec: a build.kdl file, a directory holding one, or `-` for stdin.
    #[arg(default_value = "build.kdl")]
    pub path: PathBuf,

    /// How to draw it.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,

    /// Mark this image as the one built (default: the last image).
    #[arg(long, value_name = "NAME", conflicts_with = "target")]
    pub image: Option<String>,

    /// Mark this stage or image as the build's target.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    #[command(flatten)]
    pub inputs: SpecInputs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  msbc fmt                              # build.kdl in place\n  msbc fmt --check specs/*/build.kdl    # CI: exit 1 with a diff when one is not formatted\n  msbc fmt --check .                    # every build.kdl under the folder (as msbc check DIR)\n  msbc fmt - < build.kdl"
)]
pub struct FmtArgs {
    /// Specs (files, or folders: every build.kdl under a folder without one of its own, or under several), or `-` for stdin to stdout.
    #[arg(default_value = "build.kdl")]
    pub paths: Vec<PathBuf>,

    /// Do not write; exit 1 and print a diff when a spec is not formatted.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

#[derive(Debug, Args)]
#[command(
    after_help = r#"BuildKit LLB (args are resolved now: pass --arg for those without a default):
  msbc compile --emit llb | buildctl build --local context=. --output type=oci,dest=app.tar
  msbc compile --emit llb -o app.llb        # and app.llb.config.json, the image config
  buildctl build --local context=. < app.llb \
    --output "type=image,name=app,\"containerimage.config=$(sed 's/"/""/g' app.llb.config.json)\""
"#
)]
pub struct CompileArgs {
    /// The spec: a build.kdl file, a directory holding one, or `-` for stdin (with --all: folders to search).
    #[arg(default_value = "build.kdl")]
    pub path: PathBuf,

    /// More folders for --all.
    #[arg(value_name = "DIR", requires = "all")]
    pub more: Vec<PathBuf>,

    /// Fleet mode: every build.kdl under the folders (see `msbc check --help`); with --write or --check.
    #[arg(long)]
    pub all: bool,

    /// With --all: write each spec's Dockerfile (and Dockerfile.dockerignore) beside it.
    #[arg(long, requires = "all", conflicts_with_all = ["check", "output"])]
    pub write: bool,

    /// What to write.
    #[arg(long, value_enum, default_value_t = EmitKind::Dockerfile)]
    pub emit: EmitKind,

    /// Write to FILE instead of stdout (and the context's ignore patterns to FILE.dockerignore; with --emit llb, the image config to FILE.config.json).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub build: BuildChoice,

    /// Target platform for image sources that do not set one (e.g. linux/arm64).
    #[arg(long, value_name = "PLATFORM", value_parser = parse_platform)]
    pub platform: Option<Platform>,

    /// `none` writes for engines without the modern frontend: no `# syntax` line, no heredocs.
    #[arg(long, value_name = "none")]
    pub syntax: Option<SyntaxMode>,

    #[command(flatten)]
    pub inputs: SpecInputs,

    /// Do not write; exit 1 with a diff when FILE differs from what would be written (with --all: each spec's Dockerfile, no FILE).
    #[arg(long, value_name = "FILE", conflicts_with = "output", num_args = 0..=1,
          default_missing_value = "", value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), PathBuf::from))]
    pub check: Option<PathBuf>,

    #[command(flatten)]
    pub gates: Gates,

    /// LLB emits: read base image configs only from msbc.lock (and the cache for pinned images), never the network; a missing one is an error.
    #[arg(long)]
    pub offline: bool,

    /// Pull base image configs for REGISTRY from MIRROR first (repeatable; also MSBC_REGISTRY_MIRRORS=a=b,c=d): docker.io=127.0.0.1:5000.
    #[arg(long = "mirror", value_name = "REGISTRY=MIRROR", value_parser = super::registry::parse_mirror)]
    pub mirrors: Vec<(String, String)>,

    /// LLB emits: do not read base image configs; runs see only BuildKit's default PATH and the spec's own settings.
    #[arg(long, conflicts_with = "offline")]
    pub no_base_configs: bool,

    /// With --all: only the specs whose build can change since a git revision.
    #[command(flatten)]
    pub affected: AffectedArgs,
}

#[derive(Debug, Args)]
#[command(after_help = super::fleet::CHECK_HELP)]
pub struct CheckArgs {
    /// The spec: a build.kdl file, a directory holding one, or `-` for stdin; or folders to search (fleet mode).
    #[arg(default_value = "build.kdl")]
    pub path: PathBuf,

    /// More folders: fleet mode.
    #[arg(value_name = "DIR")]
    pub more: Vec<PathBuf>,

    /// Fleet mode even for one folder holding a build.kdl: every build.kdl below it.
    #[arg(long)]
    pub all: bool,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    #[command(flatten)]
    pub gates: Gates,

    #[command(flatten)]
    pub inputs: SpecInputs,

    /// Fleet mode: only the specs whose build can change since a git revision.
    #[command(flatten)]
    pub affected: AffectedArgs,
}

/// `--affected --since REV`: fleet mode narrowed to the services whose build can change
/// (`check DIR...`, `compile --all`, `bake`).
#[derive(Debug, Clone, Default, Args)]
pub struct AffectedArgs {
    /// Only the specs whose build can change since --since REV: the spec, a template it uses, its msbc.lock, a file its build context sends (after ignore patterns), or the msbc version (--since-version).
    #[arg(long, requires = "since")]
    pub affected: bool,

    /// The git revision --affected compares the working tree with (`git diff REV` and untracked files).
    #[arg(long, value_name = "REV", requires = "affected")]
    pub since: Option<String>,

    /// The msbc version REV was built with (`msbc --version` then); when it is not this one, every spec is affected.
    #[arg(long, value_name = "VERSION", requires = "affected")]
    pub since_version: Option<String>,
}

#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// A preset or template name; without one, list them all.
    pub name: Option<String>,

    /// Directories with platform templates to include (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub templates: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Images on localhost/127.0.0.1 registries are resolved over plain HTTP, all others over HTTPS \
(anonymous token auth). `msbc compile` then pins each locked image as image:tag@sha256:...; \
`msbc compile --locked` fails when one is missing.\n\nExamples:\n  msbc lock services/orders\n  \
msbc lock --update --dry-run .     # what new base images would change, in every locked service\n  \
msbc lock --update services/       # refresh every msbc.lock below services/"
)]
pub struct LockArgs {
    /// The spec: a build.kdl file or a directory holding one; msbc.lock is written beside it (with --update, folders: every build.kdl below them that has an msbc.lock).
    #[arg(default_value = "build.kdl")]
    pub path: PathBuf,

    /// More specs or folders, with --update.
    #[arg(value_name = "DIR", requires = "update")]
    pub more: Vec<PathBuf>,

    /// Refresh the digests and configs of an existing msbc.lock (its platforms unless --platform), printing what the new base images change in each build (`msbc diff`: user, env, entrypoint, ... and the Dockerfile).
    #[arg(long)]
    pub update: bool,

    /// With --update: print what would change, write nothing.
    #[arg(long, requires = "update")]
    pub dry_run: bool,

    #[command(flatten)]
    pub inputs: SpecInputs,

    /// Record base image configs for these platforms (repeatable; default linux/amd64).
    #[arg(long = "platform", value_name = "PLATFORM", value_parser = parse_platform)]
    pub platforms: Vec<Platform>,

    /// Pull from MIRROR for REGISTRY first (repeatable; also MSBC_REGISTRY_MIRRORS): docker.io=127.0.0.1:5000.
    #[arg(long = "mirror", value_name = "REGISTRY=MIRROR", value_parser = super::registry::parse_mirror)]
    pub mirrors: Vec<(String, String)>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  msbc diff old/build.kdl build.kdl\n  msbc diff --rev origin/main            # build.kdl at that revision vs the working tree\n  msbc diff --templates-from ../platform-templates-v2\n  msbc diff Dockerfile build.kdl         # a hand-written Dockerfile vs what the spec generates\n  msbc diff --rev origin/main --stat --format json --exit-code\n\nExit status: 0 (with --exit-code: 0 no difference, 1 a difference), 1 a spec has errors, 2 usage or I/O error."
)]
#[command(mut_arg("args", |a| a.help("Override an arg's default on both sides (repeatable)")))]
pub struct DiffArgs {
    /// OLD NEW (specs, spec directories or Dockerfiles); with --rev or --templates-from, the one spec (default build.kdl); with --templates-from, folders of specs (fleet mode).
    #[arg(value_name = "PATH", num_args = 0..)]
    pub paths: Vec<PathBuf>,

    /// Compare the spec (and its `templates` folders) at this git revision with the working tree.
    #[arg(long, value_name = "GIT_REV", conflicts_with = "templates_from")]
    pub rev: Option<String>,

    /// Compare the spec built with its templates against the same spec with the templates in DIR (a template upgrade).
    #[arg(long, value_name = "DIR")]
    pub templates_from: Option<PathBuf>,

    /// What to compare.
    #[arg(long, value_enum, default_value_t = DiffEmit::Dockerfile)]
    pub emit: DiffEmit,

    /// Print the summary only, without the text diff.
    #[arg(long)]
    pub stat: bool,

    /// How to print.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,

    /// Exit 1 when there is a difference.
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub build: BuildChoice,

    #[command(flatten)]
    pub inputs: SpecInputs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffEmit {
    /// The generated Dockerfile.
    Dockerfile,
    /// The LLB dump (`buildctl debug dump-llb`), with op digests.
    LlbJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A summary, then a unified diff (coloured on a terminal).
    Human,
    /// One JSON document on stdout.
    Json,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Warnings (file:line, code I0xx) on stderr name what the spec cannot express; \
errors (I1xx: not text, not a Dockerfile, no FROM) exit 1.\n\nExample:\n  msbc import Dockerfile > build.kdl"
)]
pub struct ImportArgs {
    /// The Dockerfile, or `-` for stdin.
    pub dockerfile: PathBuf,
}

#[derive(Debug, Args)]
#[command(
    after_help = "msbc init reads the folder's manifests (go.mod, package.json, pyproject.toml or \
requirements.txt, pom.xml or build.gradle, *.csproj) and writes build.kdl with the preset that \
fits, a comment on each choice saying which file it came from, and what it could not decide. \
An existing .dockerignore becomes the spec's `context { ignore ... }`. It never overwrites a \
file unless told to. A monorepo root gets the list of its services instead.\n\n\
Exit status: 0 written (or --check found nothing new), 1 --check found changes or the written \
spec does not check, 2 nothing to write (no manifest, a monorepo root, build.kdl exists).\n\n\
Examples:\n  msbc init                    # ./build.kdl\n  msbc init services/orders --stdout\n  \
msbc init --check            # what a fresh init would write differently (e.g. a new port)\n  \
msbc init --all              # at a monorepo's root: a spec in each service's folder"
)]
pub struct InitArgs {
    /// The project folder (the build context); build.kdl is written there.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Print the spec on stdout instead of writing build.kdl.
    #[arg(long, conflicts_with_all = ["force", "check"])]
    pub stdout: bool,

    /// Replace an existing build.kdl.
    #[arg(long, conflicts_with = "check")]
    pub force: bool,

    /// Write nothing; exit 1 listing what a fresh init would decide differently from build.kdl.
    #[arg(long)]
    pub check: bool,

    /// At a monorepo's root: write a spec in every service folder it lists (none is replaced).
    #[arg(long, conflicts_with_all = ["stdout", "check", "force"])]
    pub all: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  msbc explain E0202        # a diagnostic code, with a wrong and a right example\n  msbc explain copy         # a node: its arguments, properties, children and an example\n  msbc explain              # every code and node"
)]
pub struct ExplainArgs {
    /// A code such as E0202 (or its name, e.g. unknown-stage), or a node such as `copy`, `run`, `use`: its properties, children and an example; without one, list them all.
    pub code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmitKind {
    /// A multi-stage Dockerfile.
    Dockerfile,
    /// BuildKit LLB (protobuf), for `buildctl build`; with -o FILE also FILE.config.json.
    Llb,
    /// A readable dump of the LLB, as `buildctl debug dump-llb` prints it.
    LlbJson,
    /// The OCI image config of the LLB build (for the exporter's containerimage.config).
    ImageConfig,
    /// The resolved model (IR) as JSON.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyntaxMode {
    /// No `# syntax` line and no heredocs.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style, with the source.
    Human,
    /// One JSON document on stdout.
    Json,
    /// SARIF 2.1.0 on stdout, for GitHub code scanning (upload-sarif).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`) on stdout.
    Github,
}

pub(super) fn parse_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

/// `--platform` by the one platform rule (`crate::domain::platform`).
pub(super) fn parse_platform(s: &str) -> Result<Platform, String> {
    Platform::parse(s).map_err(|e| e.to_string())
}
