//! Lowering and checking: AST → IR, with every semantic diagnostic.
//!
//! [`lower`] resolves names (stages, artifacts, toolchains, args), finds
//! cycles, spells toolchains out into steps and mounts and checks
//! variables. The result is a [`Model`] of every stage, which `checks`
//! then holds to the policies, secret rules and lints; [`select`] keeps
//! what one image or target needs, in dependency order, as an
//! [`ir::Build`].

mod args;
mod config;
mod names;
mod publish;
mod scope;
mod select;
mod steps;

pub(crate) use args::{script_mentions, step_arg_uses};
pub use publish::Published;
pub use select::{SelectError, Selection, select};
pub use steps::BaseEnvUse;

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::expand::SourceMap;
use crate::ir;
use crate::syntax::ast::{Document, Interp, StageDecl, StageKind};
use names::Names;

/// Platform args BuildKit defines in every build.
pub const PLATFORM_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// Args the build reads itself, not the steps: the SBOM scans of stages
/// and of the context (`frontend/attest.rs`; BuildKit's Dockerfile frontend
/// reads the same names). Declaring one is the spec's setting: not unused.
pub const SBOM_SCAN_ARGS: &[&str] = &["BUILDKIT_SBOM_SCAN_STAGE", "BUILDKIT_SBOM_SCAN_CONTEXT"];

/// Every stage of a checked spec, in declaration order (`StageId` = index).
#[derive(Debug, Clone)]
pub struct Model {
    /// Build args, in declaration order.
    pub args: Vec<ir::ArgDef>,
    /// Every stage and image, in declaration order (`StageId` = index).
    pub stages: Vec<ir::Stage>,
    /// The context's ignore patterns (`.dockerignore`).
    pub context_ignore: Vec<String>,
    /// The `# syntax=` frontend; `None` for `syntax "none"`.
    pub syntax: Option<String>,
    /// Every base image reference (toolchains, `from=`, `copy from=`,
    /// `bind from=`), where it is written: what `msbc.lock` pins.
    pub images: Vec<ImageUse>,
    /// `${NAME}`s that only base image configs can set (a W0007 each until
    /// `lock::check_base_env` finds them in a locked config).
    pub base_env: Vec<BaseEnvUse>,
    /// Where each image is pushed (`publish`), one per image in
    /// declaration order: what `msbc bake` writes.
    pub publish: Vec<Published>,
}

/// An image reference as written in the spec, located in the user's file.
#[derive(Debug, Clone)]
pub struct ImageUse {
    /// The reference with its `${...}` parts (args and platform args).
    pub reference: ir::Word,
    /// Where it is written (for template output: the `use` that made it).
    pub span: Span,
    /// The templates it came through (`go`, `acme/svc → go`), if any.
    pub template: Option<String>,
    /// The reference as written (`golang:${GO_VERSION}-bookworm`).
    pub text: String,
    /// Where it is written in the expanded spec (a template's output has
    /// its own region): where the checks' diagnostics point.
    pub at: Span,
    /// What the build pulls by default: the args' defaults filled in
    /// (`ir::Word::resolve_args`); `None` when an arg has no default.
    pub default: Option<String>,
}

/// The default Dockerfile frontend.
pub const DEFAULT_SYNTAX: &str = "docker/dockerfile:1";

/// Lowers `doc` (parsed from `source`). Returns `None` when it has errors;
/// every problem found is in `diags`.
/// `doc` must be expanded (`expand::expand`); `map` places template output.
pub fn lower(
    doc: &Document,
    source: &str,
    map: &SourceMap,
    diags: &mut Diagnostics,
) -> Option<Model> {
    // Without a version the rest cannot be trusted to mean anything.
    doc.version?;
    let stages = merge_extensions(&doc.stages, diags);
    // After other errors (a failed `use`, say) a missing image is no news.
    if !stages.iter().any(|s| s.kind == StageKind::Image) && !diags.has_errors() {
        diags.push(
            Diagnostic::new(Code::NoImage, "the spec defines no image")
                .label(
                    doc.version.map(|(_, s)| s).unwrap_or_default(),
                    "nothing to build",
                )
                .help("add an `image NAME from=... { ... }` node: it is what the build produces"),
        );
    }
    let arg_defs = args::arg_defs(doc, diags);
    let names = Names::collect(doc, &stages, diags);
    let bases = names.resolve_bases(&stages, diags);
    let lines = LineIndex::new(source, map);
    let mut base_env = Vec::new();
    let mut lowered = steps::lower_stages(&stages, &names, &bases, &lines, diags, &mut base_env);
    names::check_cycles(&stages, &lowered, diags);
    let publish = publish::resolve(doc, &stages, &arg_defs, diags);
    // Errors anywhere (also from the front end) stop here: checks on a
    // broken spec would only report follow-on noise.
    if diags.has_errors() {
        return None;
    }
    args::declare_args(&mut lowered, &names);
    config::keep_last_config(&mut lowered);
    let images = image_uses(doc, &stages, &arg_defs, map);
    Some(Model {
        args: arg_defs,
        stages: lowered,
        context_ignore: doc
            .context
            .as_ref()
            .map(|c| c.ignore.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default(),
        syntax: match &doc.dockerfile.syntax {
            Some(s) if s.value == "none" => None,
            Some(s) => Some(s.value.clone()),
            None => Some(DEFAULT_SYNTAX.to_string()),
        },
        images,
        base_env,
        publish,
    })
}

/// Every image reference of the spec (toolchains, `from=`, `copy from=`,
/// `bind from=`) that is not a stage name or `scratch`, with what the build
/// pulls by default: found once per compile, for `msbc.lock` and the checks.
fn image_uses(
    doc: &Document,
    decls: &[StageDecl],
    args: &[ir::ArgDef],
    map: &SourceMap,
) -> Vec<ImageUse> {
    // A set: a chain of n stages has about 2n references (O(n) each in a list).
    let stage_names: std::collections::HashSet<&str> =
        decls.iter().map(|d| d.name.name.as_str()).collect();
    let mut refs: Vec<&Interp> = doc.toolchains.iter().map(|t| &t.image).collect();
    for d in decls {
        refs.extend(d.from.iter());
        for step in &d.steps {
            refs.extend(step.kind.references());
        }
    }
    refs.into_iter()
        .filter(|r| !stage_names.contains(&r.raw.value.as_str()))
        .filter_map(|r| {
            let reference = steps::image_word(r);
            let default = reference.resolve_args(args).filter(|s| s != "scratch");
            if r.raw.value == "scratch" {
                return None;
            }
            let (span, chain) = map.to_user(r.raw.span);
            Some(ImageUse {
                reference,
                span: span.unwrap_or(r.raw.span),
                template: (!chain.is_empty()).then(|| {
                    chain
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                }),
                text: r.raw.value.clone(),
                at: r.raw.span,
                default,
            })
        })
        .collect()
}

/// Folds `extend=#true` stages into the stage they extend: their steps are
/// appended there. An `extend` with nothing to extend is an error.
fn merge_extensions(decls: &[StageDecl], diags: &mut Diagnostics) -> Vec<StageDecl> {
    let mut out: Vec<StageDecl> = Vec::new();
    for decl in decls {
        if !decl.extend {
            out.push(decl.clone());
            continue;
        }
        match out.iter_mut().find(|s| s.name.name == decl.name.name) {
            Some(base) => base.steps.extend(decl.steps.iter().cloned()),
            None => {
                let names: Vec<&str> = decls
                    .iter()
                    .filter(|s| !s.extend)
                    .map(|s| s.name.name.as_str())
                    .collect();
                diags.push(
                    Diagnostic::new(
                        Code::UnknownStage,
                        format!(
                            "`extend=#true` on `{}`, but no earlier {} has that name",
                            decl.name.name,
                            decl.kind.noun()
                        ),
                    )
                    .label(decl.name.span, "nothing to extend")
                    .suggest_or(
                        &decl.name.name,
                        names,
                        "declare the stage first, or drop `extend=#true`",
                    ),
                )
            }
        }
    }
    out
}

/// Byte offset → 1-based line; template output counts as its `use` line.
pub(crate) struct LineIndex<'a> {
    starts: Vec<usize>,
    map: &'a SourceMap,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &str, map: &'a SourceMap) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts, map }
    }

    pub fn line(&self, span: Span) -> usize {
        let span = self.map.to_user(span).0.unwrap_or_default();
        match self.starts.binary_search(&span.start) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}
