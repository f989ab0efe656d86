//! Questions about a spec that several checks ask (W-codes in `lints.rs`,
//! policies in `policy.rs`, E0501 in `secrets.rs`, `Model::images`): the
//! `from=` chain of a stage, the user in effect, whether a user is root, a
//! user that works on a base image, every image reference with what the
//! build pulls.

use super::Model;
use super::steps::image_word;
use crate::domain::ImageRef;
use crate::ir::{ArgDef, Base, ImageConfig, ImageValue, StageId};
use crate::syntax::ast::{Document, Interp, StageDecl, Stored};

/// The stages of `i`'s `from=` chain, itself first (cycle-safe).
pub(super) fn chain(i: usize, model: &Model) -> Vec<usize> {
    let mut out = vec![i];
    while let Base::Stage(StageId(b)) = model.stages[*out.last().unwrap_or(&i)].base {
        if out.contains(&b) {
            break;
        }
        out.push(b);
    }
    out
}

/// The `user` in effect at the end of stage `i`, if its chain sets one:
/// the one image-config fold (`ir::ImageConfig`) over the values the
/// chain's steps store, as written (so a check can point at them).
pub(super) fn effective_user<'a>(
    i: usize,
    decls: &'a [StageDecl],
    model: &Model,
) -> Option<&'a Interp> {
    image_config(i, decls, model).user
}

/// What the steps of stage `i`'s chain store in its image config, as the
/// AST has the values (entrypoint, cmd, ports... carry none there and are
/// left out).
pub(super) fn image_config<'a>(
    i: usize,
    decls: &'a [StageDecl],
    model: &Model,
) -> ImageConfig<&'a Interp> {
    let mut config = ImageConfig::default();
    for s in chain(i, model).into_iter().rev() {
        config.next_stage();
        let Some(decl) = decls.get(s) else { continue };
        for step in &decl.steps {
            for value in step.kind.stored() {
                let value = match value {
                    Stored::Env(k, v) => ImageValue::Env(k.name.as_str(), v),
                    Stored::Label(k, v) => ImageValue::Label(k.value.as_str(), v),
                    Stored::User(u) => ImageValue::User(u),
                    Stored::Workdir(w) => ImageValue::Workdir(w),
                    Stored::Volume(v) => ImageValue::Volume(v),
                    Stored::Fixed => continue,
                };
                config.apply(value, |_, path| path);
            }
        }
    }
    config
}

/// Whether a user value names root (`root`, `0`, `root:...`, `0:...`).
pub(super) fn is_root(user: &Interp) -> bool {
    matches!(user.raw.value.split(':').next(), Some("root" | "0"))
}

/// A `user` step that works on the base image of image `i`: distroless
/// images have a `nonroot` user and node images a `node` user; any other
/// base has no unprivileged user by name, but a numeric id always works.
pub(super) fn user_for_base(i: usize, model: &Model) -> &'static str {
    let base = chain(i, model)
        .last()
        .and_then(|s| match &model.stages[*s].base {
            Base::Image(w) => w.resolve_args(&model.args),
            Base::Stage(_) | Base::Scratch => None,
        });
    let path = base
        .as_deref()
        .and_then(|t| ImageRef::parse(t).ok())
        .map(|r| r.path)
        .unwrap_or_default();
    if path.starts_with("distroless/") {
        "`user \"nonroot\"` (the base image's unprivileged user; or its id, `user \"65532\"`)"
    } else if path == "library/node" || path == "node" {
        "`user \"node\"` (the base image's unprivileged user; or its id, `user \"1000\"`)"
    } else {
        "a numeric id such as `user \"10001\"` (it works without an account in the image; or create a user in a `run` step)"
    }
}

/// Every image reference of the spec (toolchains, `from=`, `copy from=`,
/// `bind from=`) that is not a stage name, with its default resolution
/// (args replaced by their defaults; `None` when an arg has none).
pub(super) fn image_refs<'a>(
    doc: &'a Document,
    decls: &'a [StageDecl],
) -> Vec<(&'a Interp, Option<String>)> {
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
        .map(|r| (r, with_defaults(r, doc).filter(|s| s != "scratch")))
        .filter(|(r, resolved)| r.raw.value != "scratch" && resolved.as_deref() != Some("scratch"))
        .collect()
}

/// The reference as the build pulls it by default (`ir::Word::resolve_args`).
pub(super) fn with_defaults(value: &Interp, doc: &Document) -> Option<String> {
    // The defaults were checked when the model's args were made.
    let args: Vec<ArgDef> = super::args::arg_defs(doc, &mut crate::diag::Diagnostics::new());
    image_word(value).resolve_args(&args)
}
