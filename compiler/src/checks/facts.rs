//! Questions several rules ask: the `from=` chain of a stage, the user in
//! effect, whether a user is root, a user that works on a base image.

use super::Ctx;
use crate::domain::ImageRef;
use crate::ir::{Base, ImageConfig, StageId};
use crate::lower::Model;
use crate::syntax::ast::{Interp, Written};

/// The stages of `i`'s `from=` chain, itself first (cycle-safe).
pub(super) fn chain(i: usize, model: &Model) -> Vec<usize> {
    let mut out = vec![i];
    while let Some(Base::Stage(StageId(b))) = out
        .last()
        .and_then(|s| model.stages.get(*s))
        .map(|s| &s.base)
    {
        if out.contains(b) {
            break;
        }
        out.push(*b);
    }
    out
}

/// The `user` in effect at the end of stage `i`, if its chain sets one:
/// the one image-config fold (`ir::ImageConfig`) over the values the
/// chain's steps store, as written (so a check can point at them).
pub(super) fn effective_user<'a>(ctx: &Ctx<'a>, i: usize) -> Option<&'a Interp> {
    image_config(ctx, i).user
}

/// What the steps of stage `i`'s chain store in its image config, as the
/// spec writes the values.
pub(super) fn image_config<'a>(ctx: &Ctx<'a>, i: usize) -> ImageConfig<&'a Interp, Written> {
    let mut config = ImageConfig::default();
    for s in chain(i, ctx.model).into_iter().rev() {
        config.next_stage();
        for step in ctx.sources(s) {
            for value in step.kind.image_values() {
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
        .and_then(|s| model.stages.get(*s))
        .and_then(|s| match &s.base {
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
