//! `msbc diff`: what changes between two builds, computed from their IRs.
//!
//! [`summarize`] matches stages by name (and finds renames: the same base
//! and the same steps under another name, or, for what is left on both
//! sides, the same base and at least half the steps), compares bases and steps (an LCS
//! over each step's Dockerfile instruction, so formatting never counts),
//! works out which steps lose their build cache (the first changed step of
//! a stage and everything after it, every stage built `from=` a changed
//! stage, and every step from the first one that copies or mounts from it),
//! and compares the image config each image ends up with. [`op_changes`]
//! compares two LLB definitions by op digest; [`unified`] is the text diff.
//! Pure: no I/O.

mod base;
mod config;
mod steps;
mod summary;
mod text;

pub use base::base_changes;
pub use summary::{
    ArgChange, CacheLoss, Change, ConfigChange, Op, OpChanges, StageChange, StepChange, Summary,
    Unrepresented,
};
pub use text::{op_changes, unified};

use crate::backend::dockerfile::render_step;
use crate::ir::{Base, Build, Stage, StageKind, StepKind, Word};
use std::fmt::Write;
use steps::{first_cache_change, in_cache_chain, step_changes};

fn kind_name(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Stage => "stage",
        StageKind::Image => "image",
    }
}

/// A word with args replaced by their defaults (what the build pulls); a
/// part known only at build time stays as written.
fn resolved(build: &Build, w: &Word) -> String {
    w.0.iter()
        .map(|p| {
            let part = Word(vec![p.clone()]);
            part.resolve_args(&build.args)
                .unwrap_or_else(|| part.to_string())
        })
        .collect()
}

/// What a stage starts from, as the build sees it. Only an image is pulled
/// for a platform: a stage built on a stage runs where that stage does
/// (BuildKit ignores `--platform` there, and so do both backends), so its
/// own `platform=` is not part of its base.
fn base_text(build: &Build, stage: &Stage) -> String {
    match &stage.base {
        Base::Image(w) => {
            let mut s = resolved(build, w);
            if let Some(p) = &stage.platform {
                let _ = write!(s, " (platform {})", resolved(build, p));
            }
            s
        }
        Base::Stage(id) => format!("stage {}", build.stage(*id).name),
        Base::Scratch => "scratch".to_string(),
    }
}

fn step_keys(build: &Build, stage: &Stage) -> Vec<String> {
    stage
        .steps
        .iter()
        .map(|s| render_step(build, &s.kind))
        .collect()
}

/// Old stage index for each new stage, plus renames, computed on a copy of
/// the old build whose renamed stages carry their new names. A rename is
/// first the same base and the same steps under another name; then, for a
/// stage left over on both sides, the same kind and base with at least
/// half of its steps the same (renamed in the change that edits it: its
/// changes are shown, not a stage removed and another added).
fn match_stages(old: &Build, new: &Build) -> (Build, Vec<Option<usize>>, Vec<bool>) {
    let mut old = old.clone();
    let mut matched: Vec<Option<usize>> = new
        .stages
        .iter()
        .map(|n| old.stages.iter().position(|o| o.name == n.name))
        .collect();
    let mut renamed = vec![false; new.stages.len()];
    loop {
        let pair = exact_rename(&old, new, &matched).or_else(|| edited_rename(&old, new, &matched));
        let Some((ni, oi)) = pair else {
            break;
        };
        old.stages[oi].name = new.stages[ni].name.clone();
        matched[ni] = Some(oi);
        renamed[ni] = true;
    }
    (old, matched, renamed)
}

/// An unmatched new stage and an unmatched old one with the same kind,
/// base and steps.
fn exact_rename(old: &Build, new: &Build, matched: &[Option<usize>]) -> Option<(usize, usize)> {
    new.stages.iter().enumerate().find_map(|(ni, n)| {
        if matched[ni].is_some() {
            return None;
        }
        let key = (base_text(new, n), step_keys(new, n));
        let oi = old.stages.iter().enumerate().position(|(oi, o)| {
            !matched.contains(&Some(oi))
                && o.kind == n.kind
                && (base_text(old, o), step_keys(old, o)) == key
        })?;
        Some((ni, oi))
    })
}

/// An unmatched new stage and the one unmatched old stage of the same kind
/// and base that shares the most steps with it, at least half of the
/// longer one's; none when two old stages share as many.
fn edited_rename(old: &Build, new: &Build, matched: &[Option<usize>]) -> Option<(usize, usize)> {
    new.stages.iter().enumerate().find_map(|(ni, n)| {
        if matched[ni].is_some() {
            return None;
        }
        let (base, keys) = (base_text(new, n), step_keys(new, n));
        let mut best: Option<(usize, usize)> = None;
        let mut tied = false;
        for (oi, o) in old.stages.iter().enumerate() {
            if matched.contains(&Some(oi)) || o.kind != n.kind || base_text(old, o) != base {
                continue;
            }
            let old_keys = step_keys(old, o);
            let shared = shared_steps(&old_keys, &keys);
            if shared * 2 < old_keys.len().max(keys.len()) {
                continue;
            }
            match best {
                Some((_, b)) if b > shared => {}
                Some((_, b)) if b == shared => tied = true,
                _ => {
                    best = Some((oi, shared));
                    tied = false;
                }
            }
        }
        match (best, tied) {
            (Some((oi, _)), false) => Some((ni, oi)),
            _ => None,
        }
    })
}

/// How many steps two stages have in common, in order (an LCS).
fn shared_steps(old: &[String], new: &[String]) -> usize {
    similar::capture_diff_slices(similar::Algorithm::Myers, old, new)
        .iter()
        .filter_map(|op| match op {
            similar::DiffOp::Equal { len, .. } => Some(*len),
            _ => None,
        })
        .sum()
}

/// Compares two builds.
pub fn summarize(old: &Build, new: &Build) -> Summary {
    let mut summary = Summary::default();
    // Args.
    let mut changed_args: Vec<String> = Vec::new();
    for a in &new.args {
        match old.arg(&a.name) {
            None => summary.args.push(ArgChange {
                name: a.name.clone(),
                change: "added",
                old: None,
                new: a.default.clone(),
            }),
            Some(o) if o.default != a.default => {
                changed_args.push(a.name.clone());
                summary.args.push(ArgChange {
                    name: a.name.clone(),
                    change: "changed",
                    old: o.default.clone(),
                    new: a.default.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for a in &old.args {
        if new.arg(&a.name).is_none() {
            summary.args.push(ArgChange {
                name: a.name.clone(),
                change: "removed",
                old: a.default.clone(),
                new: None,
            });
        }
    }
    let original_old = old;
    let (old, matched, renamed) = match_stages(old, new);
    // Stages, in the new build's order; removed ones after.
    let mut dirty = vec![false; new.stages.len()];
    for (ni, n) in new.stages.iter().enumerate() {
        let new_keys = step_keys(new, n);
        let Some(oi) = matched[ni] else {
            dirty[ni] = true;
            summary.stages.push(StageChange {
                name: n.name.clone(),
                kind: kind_name(n.kind),
                change: "added",
                renamed_from: None,
                base: None,
                steps: new_keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| StepChange {
                        change: "added",
                        old_step: None,
                        new_step: Some(i + 1),
                        old: None,
                        new: Some(k.clone()),
                        metadata: !in_cache_chain(&n.steps[i].kind),
                    })
                    .collect(),
            });
            continue;
        };
        let o = &old.stages[oi];
        let old_keys = step_keys(&old, o);
        let (old_base, new_base) = (base_text(&old, o), base_text(new, n));
        let base_changed = old_base != new_base;
        let steps = step_changes(&old_keys, &new_keys, &o.steps, &n.steps);
        // The cache chain: only steps that make a layer or change what
        // later steps run with (image metadata is not part of it).
        let (mut first_changed, tail_changed) = first_cache_change(&old, o, new, n);
        // Why later steps lose their cache.
        let mut reason: Option<String> = None;
        let mut whole = false;
        if base_changed {
            whole = true;
            reason = Some(format!("its base changed ({old_base} → {new_base})"));
        } else if let Base::Stage(p) = n.base
            && dirty[p.0]
        {
            whole = true;
            reason = Some(format!(
                "it is built on {}, which changed",
                new.stage(p).name
            ));
        }
        if !whole {
            if let Some(f) = first_changed {
                reason = Some(format!("step {} changed", f + 1));
            }
            for (j, step) in n.steps.iter().enumerate() {
                if first_changed.is_some_and(|f| f <= j) {
                    break;
                }
                let from_dirty = step
                    .kind
                    .dependencies()
                    .into_iter()
                    .map(|d| d.0)
                    .find(|d| dirty[*d]);
                let arg_changed = match &step.kind {
                    StepKind::Args { names } => {
                        names.iter().find(|a| changed_args.contains(a)).cloned()
                    }
                    _ => None,
                };
                if let Some(d) = from_dirty {
                    first_changed = Some(j);
                    reason = Some(format!(
                        "step {} uses {}, which changed",
                        j + 1,
                        new.stage(crate::ir::StageId(d)).name
                    ));
                    break;
                }
                if let Some(a) = arg_changed {
                    first_changed = Some(j);
                    reason = Some(format!(
                        "step {} declares arg {a}, whose default changed",
                        j + 1
                    ));
                    break;
                }
            }
        }
        dirty[ni] = whole || first_changed.is_some() || tail_changed;
        if whole || first_changed.is_some() {
            summary.cache.push(CacheLoss {
                stage: n.name.clone(),
                kind: kind_name(n.kind),
                from_step: if whole {
                    1
                } else {
                    first_changed.unwrap_or(0) + 1
                },
                to_step: n.steps.len(),
                whole,
                reason: reason.unwrap_or_default(),
            });
        }
        if base_changed || !steps.is_empty() || renamed[ni] {
            summary.stages.push(StageChange {
                name: n.name.clone(),
                kind: kind_name(n.kind),
                change: if renamed[ni] && !base_changed && steps.is_empty() {
                    "renamed"
                } else {
                    "changed"
                },
                renamed_from: renamed[ni].then(|| original_old.stages[oi].name.clone()),
                base: base_changed.then(|| Change {
                    old: old_base.clone(),
                    new: new_base.clone(),
                }),
                steps,
            });
        }
    }
    for (oi, o) in original_old.stages.iter().enumerate() {
        if !matched.contains(&Some(oi)) {
            summary.stages.push(StageChange {
                name: o.name.clone(),
                kind: kind_name(o.kind),
                change: "removed",
                renamed_from: None,
                base: None,
                steps: Vec::new(),
            });
        }
    }
    // Image config.
    for (ni, n) in new.stages.iter().enumerate() {
        if n.kind != StageKind::Image {
            continue;
        }
        let Some(oi) = matched[ni] else { continue };
        let (oc, nc) = (config::config(&old, oi), config::config(new, ni));
        let mut fields: Vec<&String> = oc.keys().chain(nc.keys()).collect();
        fields.sort();
        fields.dedup();
        for f in fields {
            let (a, b) = (oc.get(f), nc.get(f));
            if a != b {
                summary.images.push(ConfigChange {
                    image: n.name.clone(),
                    field: f.clone(),
                    old: a.cloned(),
                    new: b.cloned(),
                });
            }
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile;
    use crate::lower::Selection;

    /// `spec` checked, with no errors: its diagnostics and its model.
    pub(super) fn checked(spec: &str) -> (crate::diag::Diagnostics, crate::lower::Model) {
        let checked = compile::check(spec.as_bytes());
        assert!(
            !checked.diagnostics.has_errors(),
            "{:?}",
            checked.diagnostics
        );
        let model = checked.model.expect("a model");
        (checked.diagnostics, model)
    }

    fn build(spec: &str) -> Build {
        let (_, model) = checked(spec);
        crate::lower::select(&model, &Selection::default()).expect("selects")
    }

    const BASE: &str = "msbc 1\nstage a from=\"alpine:3.20\" {\n    run \"echo 1\"\n    run \"echo 2\"\n}\nstage b from=\"alpine:3.20\" {\n    run \"echo b\"\n}\nimage app from=\"alpine:3.20\" {\n    run \"echo app\"\n    run \"true\" {\n        bind \"/m\" from=a\n    }\n    copy \"/x\" from=b to=\"/x\"\n    user \"app\"\n}\n";

    #[test]
    fn identical_builds_have_no_changes() {
        let b = build(BASE);
        let s = summarize(&b, &b);
        assert!(s.is_empty(), "{s:?}");
        assert_eq!(s.render(), "no changes\n");
    }

    #[test]
    fn a_bind_mount_carries_cache_invalidation() {
        let old = build(BASE);
        let new = build(&BASE.replace("echo 2", "echo two"));
        let s = summarize(&old, &new);
        let losses: Vec<String> = s.cache.iter().map(CacheLoss::short).collect();
        assert_eq!(losses, vec!["a (step 2)", "image app (steps 2–4)"]);
    }

    #[test]
    fn a_stage_on_a_stage_runs_on_its_platform() {
        let spec = "msbc 1\nstage a from=\"alpine:3.20\" platform=\"${BUILDPLATFORM}\" {\n    run \"true\"\n}\nimage b from=a @P@ {\n    run \"echo b\"\n}\n";
        let old = build(&spec.replace("@P@", ""));
        let new = build(&spec.replace("@P@", "platform=\"${BUILDPLATFORM}\""));
        let s = summarize(&old, &new);
        assert!(s.is_empty(), "{}", s.render());
        // An image's platform is what is pulled: that is a change.
        let moved = build(
            &spec
                .replace(" platform=\"${BUILDPLATFORM}\" {", " {")
                .replace("@P@", ""),
        );
        let s = summarize(&moved, &old);
        assert_eq!(
            s.stages[0].base.as_ref().map(|b| b.new.as_str()),
            Some("alpine:3.20 (platform ${BUILDPLATFORM})")
        );
    }

    #[test]
    fn removing_the_last_step_still_changes_dependents() {
        let old = build(BASE);
        let new = build(&BASE.replace(
            "    run \"echo b\"\n",
            "    run \"echo b\"\n    run \"echo c\"\n",
        ));
        let s = summarize(&old, &new);
        let losses: Vec<String> = s.cache.iter().map(CacheLoss::short).collect();
        assert_eq!(losses, vec!["b (step 2)", "image app (steps 3–4)"]);
        let s = summarize(&new, &old);
        let losses: Vec<String> = s.cache.iter().map(CacheLoss::short).collect();
        assert_eq!(losses, vec!["image app (steps 3–4)"]);
    }
}
