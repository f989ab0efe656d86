//! Steps compared: which changed (for people) and which change the
//! build cache (for BuildKit).

use super::StepChange;
use crate::backend::dockerfile::render_step;
use crate::ir::{Build, Stage, StepKind};

/// Whether a step makes BuildKit's cache keys of later steps differ when it
/// changes: a layer (copy, run, workdir) or a value later steps run with
/// (env, args, user, shell). EXPOSE, LABEL, CMD, ENTRYPOINT, HEALTHCHECK,
/// VOLUME and STOPSIGNAL only set the image config, which no op depends on.
pub(super) fn in_cache_chain(kind: &StepKind) -> bool {
    match kind {
        StepKind::Args { .. } | StepKind::Workdir { .. } | StepKind::Copy(_) | StepKind::Run(_) => {
            true
        }
        StepKind::Config(c) => c.in_cache_chain(),
    }
}

/// The steps that differ (an LCS over their instructions), in order.
pub(super) fn step_changes(
    old_keys: &[String],
    new_keys: &[String],
    old_steps: &[crate::ir::Step],
    new_steps: &[crate::ir::Step],
) -> Vec<StepChange> {
    let metadata = |steps: &[crate::ir::Step], i: Option<usize>| {
        i.is_none_or(|i| steps.get(i).is_some_and(|s| !in_cache_chain(&s.kind)))
    };
    let mut steps = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, old_keys, new_keys) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let (ol, nl) = match tag {
            similar::DiffTag::Equal => continue,
            similar::DiffTag::Delete => (old_range.len(), 0),
            similar::DiffTag::Insert => (0, new_range.len()),
            similar::DiffTag::Replace => (old_range.len(), new_range.len()),
        };
        for k in 0..ol.max(nl) {
            let oi = (k < ol).then(|| old_range.start + k);
            let ni = (k < nl).then(|| new_range.start + k);
            steps.push(StepChange {
                change: match (oi, ni) {
                    (Some(_), Some(_)) => "changed",
                    (Some(_), None) => "removed",
                    _ => "added",
                },
                old_step: oi.map(|i| i + 1),
                new_step: ni.map(|i| i + 1),
                old: oi.map(|i| old_keys[i].clone()),
                new: ni.map(|i| new_keys[i].clone()),
                metadata: metadata(old_steps, oi) && metadata(new_steps, ni),
            });
        }
    }
    steps
}

/// The first step of `n` (0-based, counting all its steps) whose cache key
/// differs from `o`'s, comparing only the steps in the cache chain; and
/// whether the chain only lost steps at its end (the stage's result
/// differs for what is built on it, though none of its own steps reruns).
pub(super) fn first_cache_change(
    old: &Build,
    o: &Stage,
    new: &Build,
    n: &Stage,
) -> (Option<usize>, bool) {
    let chain = |build: &Build, stage: &Stage| -> (Vec<usize>, Vec<String>) {
        stage
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| in_cache_chain(&s.kind))
            .map(|(i, s)| (i, render_step(build, &s.kind)))
            .unzip()
    };
    let (_, old_keys) = chain(old, o);
    let (new_index, new_keys) = chain(new, n);
    let mut first: Option<usize> = None;
    let mut tail = false;
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_keys, &new_keys) {
        let (tag, _, new_range) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        match new_index.get(new_range.start) {
            Some(&i) => first = Some(first.map_or(i, |f| f.min(i))),
            None => tail = true,
        }
    }
    (first, tail)
}
