//! The command line (clap). The contract: DESIGN.md, "The contract".

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "msbc",
    version,
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a spec into a Dockerfile (or the resolved model as JSON).
    Compile(CompileArgs),
    /// Check a spec and report every problem, without writing output.
    Check(CheckArgs),
    /// Explain a diagnostic code, with a wrong and a right example.
    Explain(ExplainArgs),
    /// List the presets and their parameters, or show one with an example.
    Presets(PresetsArgs),
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
    /// The spec: a build.kdl file, a directory holding one, or `-` for stdin.
    #[arg(default_value = "build.kdl")]
    pub path: PathBuf,

    /// What to write.
    #[arg(long, value_enum, default_value_t = EmitKind::Dockerfile)]
    pub emit: EmitKind,

    /// Write to FILE instead of stdout (and the context's ignore patterns to FILE.dockerignore; with --emit llb, the image config to FILE.config.json).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Build this image (default: every image, the last one as the final stage).
    #[arg(long, value_name = "NAME", conflicts_with = "target")]
    pub image: Option<String>,

    /// Build only this stage or image and what it needs; it becomes the final stage.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Override an arg's default (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = parse_arg)]
    pub args: Vec<(String, String)>,

    /// Target platform for image sources that do not set one (e.g. linux/arm64).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// `none` writes for engines without the modern frontend: no `# syntax` line, no heredocs.
    #[arg(long, value_name = "none")]
    pub syntax: Option<SyntaxMode>,

    /// Directories to search for platform templates used by `use` (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub templates: Vec<PathBuf>,

    /// Do not write; exit 1 with a diff when FILE differs from what would be written.
    #[arg(long, value_name = "FILE", conflicts_with = "output")]
    pub check: Option<PathBuf>,

    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The spec: a build.kdl file, a directory holding one, or `-` for stdin.
    #[arg(default_value = "build.kdl")]
    pub path: PathBuf,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Directories to search for platform templates used by `use` (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub templates: Vec<PathBuf>,
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
pub struct ExplainArgs {
    /// A code such as E0202 (or its name, e.g. unknown-stage); without one, list all codes.
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
}

fn parse_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}
