//! Merging a template's output into the spec that used it. The user's own
//! nodes win: a stage, image, toolchain, artifact or arg of the same name
//! replaces the template's; `extend=#true` appends steps instead (done by
//! `lower`, which sees the template's stage first).

use crate::syntax::ast::{Document, PublishDecl};

/// Merges `template` into `user`, its stages at `stage_index`. Returns how
/// many stages were inserted.
pub(super) fn merge(user: &mut Document, template: Document, stage_index: usize) -> usize {
    let user_has_stage =
        |name: &str, user: &Document| user.stages.iter().any(|s| s.name.name == name && !s.extend);

    let mut args: Vec<_> = template
        .args
        .into_iter()
        .filter(|a| !user.args.iter().any(|u| u.name.name == a.name.name))
        .collect();
    args.append(&mut user.args);
    user.args = args;

    let mut toolchains: Vec<_> = template
        .toolchains
        .into_iter()
        .filter(|t| !user.toolchains.iter().any(|u| u.name.name == t.name.name))
        .collect();
    toolchains.append(&mut user.toolchains);
    user.toolchains = toolchains;

    let stages: Vec<_> = template
        .stages
        .into_iter()
        .filter(|s| !user_has_stage(&s.name.name, user))
        .collect();
    let inserted = stages.len();
    let at = stage_index.min(user.stages.len());
    user.stages.splice(at..at, stages);

    let artifacts: Vec<_> = template
        .artifacts
        .into_iter()
        .filter(|a| !user.artifacts.iter().any(|u| u.name.name == a.name.name))
        .collect();
    user.artifacts.splice(0..0, artifacts);

    match (&mut user.context, template.context) {
        (Some(mine), Some(theirs)) => {
            let mut ignore = theirs.ignore;
            ignore.retain(|p| !mine.ignore.iter().any(|m| m.value == p.value));
            ignore.append(&mut mine.ignore);
            mine.ignore = ignore;
        }
        (None, theirs @ Some(_)) => user.context = theirs,
        _ => {}
    }
    // Policies add up: a template cannot lift a rule the spec or another
    // template set.
    user.policies.extend(template.policies);
    merge_publish(user, template.publish);
    if user.dockerfile.syntax.is_none() {
        user.dockerfile.syntax = template.dockerfile.syntax;
    }
    inserted
}

/// A template's `publish` (a team's registry, say) fills in what the
/// spec's `publish` for the same image (or for every image) leaves out.
fn merge_publish(user: &mut Document, template: Vec<PublishDecl>) {
    for theirs in template {
        let key = theirs.image.as_ref().map(|i| i.name.clone());
        let mine = user
            .publish
            .iter_mut()
            .find(|p| p.image.as_ref().map(|i| &i.name) == key.as_ref());
        match mine {
            Some(mine) => {
                if mine.registry.is_none() && mine.repository.is_none() {
                    mine.registry = theirs.registry;
                    mine.repository = theirs.repository;
                }
                if mine.tags.is_empty() {
                    mine.tags = theirs.tags;
                }
                if mine.platforms.is_empty() {
                    mine.platforms = theirs.platforms;
                }
            }
            None => user.publish.push(theirs),
        }
    }
}
