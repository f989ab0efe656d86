//! The pipeline as one pure API: bytes in, diagnostics and output out.
//! The CLI wraps it with files and exit codes; tests call it directly.

use crate::backend;
use crate::backend::llb::{BaseConfigs, Pull};
use crate::checks;
use crate::diag::Diagnostics;
use crate::expand::{self, Catalog};
use crate::ir::BuildOptions;
use crate::lower::{self, Model, SelectError, Selection};
use crate::syntax;

/// A checked spec: its diagnostics, and the model when it has no errors.
#[derive(Debug)]
pub struct Checked {
    /// The source as text (invalid UTF-8 replaced), for rendering diagnostics.
    pub text: String,
    /// Everything found, in the order found.
    pub diagnostics: Diagnostics,
    /// `None` when the spec has errors.
    pub model: Option<Model>,
}

/// Runs the front end and the checks on a spec's bytes, with the stdlib
/// presets and no build-context files.
pub fn check(bytes: &[u8]) -> Checked {
    check_with(
        bytes,
        expand::Context {
            catalog: &Catalog::stdlib(),
            files: &[],
            contents: &expand::NO_CONTENTS,
            service_dir: "",
        },
    )
}

/// The template directories a spec names (`templates "dir"`), as written.
/// Parses the whole spec: a caller that goes on to check it should use
/// [`parse`] and [`Parsed::check`], which parse once.
pub fn template_dirs(bytes: &[u8]) -> Vec<String> {
    parse(bytes).template_dirs()
}

/// A spec read and parsed, before templates are expanded: what a caller
/// needs to find its template folders ([`Parsed::template_dirs`]) without
/// parsing it a second time to check it ([`Parsed::check`]).
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The source, when it is UTF-8.
    text: Option<&'a str>,
    bytes: &'a [u8],
    doc: Option<syntax::ast::Document>,
    diagnostics: Diagnostics,
}

/// Decodes and parses a spec's bytes (the first phase of [`check_with`]).
pub fn parse(bytes: &[u8]) -> Parsed<'_> {
    let mut diagnostics = Diagnostics::new();
    let (text, doc) = match syntax::decode(bytes) {
        Ok(text) => (Some(text), syntax::parse(text, &mut diagnostics)),
        Err(d) => {
            diagnostics.push(d);
            (None, None)
        }
    };
    Parsed {
        text,
        bytes,
        doc,
        diagnostics,
    }
}

impl Parsed<'_> {
    /// The `templates "dir"` folders the spec names, as written.
    pub fn template_dirs(&self) -> Vec<String> {
        self.doc
            .as_ref()
            .map(|doc| doc.template_dirs.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default()
    }

    /// How many folders above the spec its build context is: the `..`
    /// segments of `context "../.."` (0 without one, or when it is not
    /// valid: the check then reports E0120).
    pub fn context_depth(&self) -> usize {
        self.doc
            .as_ref()
            .and_then(|doc| doc.context.as_ref())
            .map_or(0, |c| c.depth())
    }

    /// The spec's own `context { ignore ... }` patterns, as written (before
    /// presets and the context's ignore file add theirs).
    pub fn context_ignore(&self) -> Vec<String> {
        self.doc
            .as_ref()
            .and_then(|doc| doc.context.as_ref())
            .map(|c| c.ignore.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default()
    }

    /// Whether the spec has a `use` node (a preset may detect the context's
    /// files).
    pub fn uses_templates(&self) -> bool {
        self.doc.as_ref().is_some_and(|doc| !doc.uses.is_empty())
    }

    /// Expands templates and checks the spec: the rest of [`check_with`].
    pub fn check(self, ctx: expand::Context<'_>) -> Checked {
        self.check_traced(ctx).0
    }

    /// [`Parsed::check`], with the names of the templates the expansion
    /// used (nested ones too; what `--affected` asks of a template change).
    pub fn check_traced(self, ctx: expand::Context<'_>) -> (Checked, Vec<String>) {
        let Parsed {
            text,
            bytes,
            doc,
            mut diagnostics,
        } = self;
        let Some(text) = text else {
            let checked = Checked {
                text: syntax::lossy(bytes),
                diagnostics,
                model: None,
            };
            return (checked, Vec::new());
        };
        let mut map = expand::SourceMap::default();
        let model = doc.and_then(|doc| {
            let (doc, source_map) = expand::expand(doc, text.len(), ctx, &mut diagnostics);
            map = source_map;
            lower::lower(&doc, text, &map, &mut diagnostics)
                .and_then(|model| checks::check(&doc, model, &mut diagnostics))
        });
        let templates = map.templates();
        let checked = Checked {
            text: text.to_string(),
            diagnostics: diagnostics.map(|d| map.map_diagnostic(d)),
            model,
        };
        (checked, templates)
    }
}

/// Like [`check`], with the templates and context files the caller found.
pub fn check_with(bytes: &[u8], ctx: expand::Context<'_>) -> Checked {
    parse(bytes).check(ctx)
}

/// What `compile` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// A multi-stage Dockerfile.
    Dockerfile,
    /// The resolved model (`ir::Build`) as JSON.
    Json,
    /// BuildKit LLB: a `pb.Definition` (binary, in [`Output::binary`]).
    Llb,
    /// The readable dump of the LLB, as `buildctl debug dump-llb` prints it.
    LlbJson,
    /// The OCI image config of an LLB build.
    ImageConfig,
}

/// The files one compilation produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The output as text (empty when it is [`Output::binary`]).
    pub main: String,
    /// `.dockerignore` contents, for Dockerfile output with `context` patterns.
    pub dockerignore: Option<String>,
    /// Binary output (`--emit llb`), written instead of `main`.
    pub binary: Option<Vec<u8>>,
    /// The image config JSON that goes beside LLB output (`FILE.config.json`).
    pub image_config: Option<String>,
    /// LLB output: each built stage's result in the definition, by name
    /// (what the frontend's SBOM scan of a stage mounts).
    pub stages: Vec<(String, backend::llb::pb::Input)>,
}

/// Why a checked model cannot be emitted (usage errors: exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmitError {
    /// The selection (`--image`, `--target`, `--arg`) does not fit the spec.
    Select(SelectError),
    /// The build cannot be written as LLB (e.g. a required arg has no value).
    Llb(backend::llb::Error),
}

impl EmitError {
    /// The diagnostic code of an LLB error (`msbc explain CODE`); `None`
    /// for a selection error or a bug in msbc.
    pub fn code(&self) -> Option<crate::diag::Code> {
        use crate::diag::Code;
        use backend::llb::ErrorKind;
        match self {
            EmitError::Select(_) => None,
            EmitError::Llb(e) => match e.kind {
                ErrorKind::ImageReference => Some(Code::InvalidImageReference),
                ErrorKind::Platform => Some(Code::InvalidPlatform),
                ErrorKind::MissingArg => Some(Code::MissingValue),
                ErrorKind::Value => Some(Code::InvalidValue),
                ErrorKind::Internal => None,
            },
        }
    }
}

/// `error[E0302]: build.kdl:6: invalid image reference ...` for an LLB
/// error with a code (located at the spec's line), else the message.
impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self, self.code()) {
            (EmitError::Select(e), _) => e.fmt(f),
            (EmitError::Llb(e), Some(code)) => write!(f, "error[{code}]: {e}"),
            (EmitError::Llb(e), None) => e.fmt(f),
        }
    }
}

impl std::error::Error for EmitError {}

impl From<SelectError> for EmitError {
    fn from(e: SelectError) -> Self {
        EmitError::Select(e)
    }
}

impl From<backend::llb::Error> for EmitError {
    fn from(e: backend::llb::Error) -> Self {
        EmitError::Llb(e)
    }
}

/// Renders a checked model, with no base-image configs (the LLB emits
/// then start each stage from `PATH` only: see [`Selected::emit`]).
pub fn emit(
    model: &Model,
    selection: &Selection,
    emit: Emit,
    source_name: &str,
) -> Result<Output, EmitError> {
    select(model, selection)?.emit(emit, source_name, BaseConfigs::new())
}

/// The build of one selection of a checked model: selected once, then
/// asked for the base images it pulls and rendered.
#[derive(Debug)]
pub struct Selected {
    build: crate::ir::Build,
    platform: Option<crate::domain::Platform>,
    /// What [`Selected::pulls`] found, kept for [`Selected::emit`].
    plan: std::sync::OnceLock<backend::llb::Plan>,
    /// Whose files the LLB emits' local sources are ([`Selected::owned_by`]).
    local_owner: crate::ir::LocalOwner,
}

/// Applies `selection` (`--image`, `--target`, `--arg`, `--platform`) to a
/// checked model.
pub fn select(model: &Model, selection: &Selection) -> Result<Selected, SelectError> {
    Ok(Selected {
        build: lower::select(model, selection)?,
        platform: selection.platform.clone(),
        plan: std::sync::OnceLock::new(),
        local_owner: crate::ir::LocalOwner::Unmarked,
    })
}

impl Selected {
    /// The LLB emits mark their local sources (the context) as `owner`'s
    /// (see [`crate::ir::LocalOwner`]); unmarked by default.
    pub fn owned_by(mut self, owner: crate::ir::LocalOwner) -> Selected {
        self.local_owner = owner;
        self
    }

    /// The stages of the selection, inputs first.
    pub fn build(&self) -> &crate::ir::Build {
        &self.build
    }

    /// The base images (normalized reference, platform) whose configs the
    /// LLB starts from: the keys of the `configs` that [`Selected::emit`]
    /// takes. Fill them from `msbc.lock`, a registry or a frontend's
    /// `ResolveImageConfig`, then emit.
    /// `source_name` is the spec's file name, where an error is located.
    pub fn pulls(&self, source_name: &str) -> Result<Vec<Pull>, EmitError> {
        if let Some(plan) = self.plan.get() {
            return Ok(plan.pulls().to_vec());
        }
        let plan = backend::llb::plan(
            &self.build,
            &backend::llb::Options {
                source_name: source_name.to_string(),
                platform: self.platform.clone(),
                ..Default::default()
            },
        )?;
        Ok(self.plan.get_or_init(|| plan).pulls().to_vec())
    }

    /// The build as LLB, with `options` (a frontend's `--network`,
    /// `--no-cache`, named contexts, labels, `SOURCE_DATE_EPOCH`) applied
    /// while its ops and image config are made: the typed result
    /// ([`backend::llb::Llb`]: the definition, the image config, the named
    /// contexts used) that a frontend solves as it is. `configs` as for
    /// [`Selected::emit`].
    pub fn llb(
        &self,
        source_name: &str,
        configs: BaseConfigs,
        options: &BuildOptions,
    ) -> Result<backend::llb::Llb, EmitError> {
        let llb_options = backend::llb::Options {
            source_name: source_name.to_string(),
            platform: self.platform.clone(),
            base_configs: configs,
            build: options.clone(),
        };
        Ok(backend::llb::compile_planned(
            &self.build,
            &llb_options,
            self.plan.get(),
        )?)
    }

    /// Renders the build; the LLB emits (`llb`, `llb-json`,
    /// `image-config`) start each stage from its base image's config in
    /// `configs` (keyed as [`Selected::pulls`] lists them), as BuildKit's
    /// Dockerfile frontend does. The Dockerfile and JSON emits do not use
    /// them.
    pub fn emit(
        &self,
        emit: Emit,
        source_name: &str,
        configs: BaseConfigs,
    ) -> Result<Output, EmitError> {
        let build = &self.build;
        let llb_options = backend::llb::Options {
            source_name: source_name.to_string(),
            platform: self.platform.clone(),
            base_configs: configs,
            build: BuildOptions {
                local_owner: self.local_owner.clone(),
                ..BuildOptions::default()
            },
        };
        let llb = || backend::llb::compile_planned(build, &llb_options, self.plan.get());
        Ok(match emit {
            Emit::Dockerfile => {
                let options = backend::dockerfile::Options {
                    source_name: source_name.to_string(),
                };
                Output {
                    main: backend::dockerfile::render(build, &options),
                    dockerignore: backend::dockerfile::dockerignore(build, &options),
                    binary: None,
                    image_config: None,
                    stages: Vec::new(),
                }
            }
            Emit::Json => Output {
                main: backend::json::render(build),
                dockerignore: None,
                binary: None,
                image_config: None,
                stages: Vec::new(),
            },
            Emit::Llb => {
                let llb = llb()?;
                Output {
                    main: String::new(),
                    dockerignore: None,
                    binary: Some(llb.to_bytes()),
                    image_config: Some(llb.image_config),
                    stages: llb.stages,
                }
            }
            Emit::LlbJson => Output {
                main: llb()?.dump(),
                dockerignore: None,
                binary: None,
                image_config: None,
                stages: Vec::new(),
            },
            Emit::ImageConfig => Output {
                main: llb()?.image_config,
                dockerignore: None,
                binary: None,
                image_config: None,
                stages: Vec::new(),
            },
        })
    }
}

/// One base image a stage pulls (for `msbc images`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BaseImage {
    /// The stage or image that pulls it.
    pub stage: String,
    /// `from` (the stage's base), `copy` (`copy from=`) or `mount` (`bind from=`).
    pub how: &'static str,
    /// The reference as the build pulls it: arg defaults (and overrides)
    /// filled in; `${NAME}` kept for a part known only at build time.
    pub reference: String,
    /// A part of the reference is not known before the build (a platform
    /// arg, a required arg).
    pub unresolved: bool,
}

/// Every base image a checked model pulls, stage by stage in declaration
/// order, with `overrides` (`--arg`) as arg defaults. `scratch` is not an
/// image. Templates are already expanded in the model.
pub fn base_images(model: &Model, overrides: &[(String, String)]) -> Vec<BaseImage> {
    use crate::ir::{Base, Source};
    let args = crate::lock::with_overrides(&model.args, overrides);
    let mut out = Vec::new();
    for stage in &model.stages {
        let mut push = |how: &'static str, reference: String, unresolved: bool| {
            if reference != "scratch" {
                out.push(BaseImage {
                    stage: stage.name.clone(),
                    how,
                    reference,
                    unresolved,
                });
            }
        };
        if let Base::Image(word) = &stage.base {
            match crate::lock::resolve(word, &args) {
                Some(r) => push("from", r, false),
                None => push("from", word.to_string(), true),
            }
        }
        for step in &stage.steps {
            for source in step.kind.sources() {
                if let Source::Image { image, mount } = source {
                    push(
                        if mount { "mount" } else { "copy" },
                        image.to_string(),
                        false,
                    );
                }
            }
        }
    }
    out
}
