//! `msbc diff`: what changes between two builds, computed from their IRs.
//!
//! [`summarize`] matches stages by name (and finds renames: the same base
//! and the same steps under another name), compares bases and steps (an LCS
//! over each step's Dockerfile instruction, so formatting never counts),
//! works out which steps lose their build cache (the first changed step of
//! a stage and everything after it, every stage built `from=` a changed
//! stage, and every step from the first one that copies or mounts from it),
//! and compares the image config each image ends up with. [`op_changes`]
//! compares two LLB definitions by op digest; [`unified`] is the text diff.
//! Pure: no I/O.

use crate::backend::dockerfile::render_step;
use crate::backend::llb::pb;
use crate::ir::{Base, Build, Stage, StageKind, StepKind, Word, WordPart};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything that differs, stage by stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub args: Vec<ArgChange>,
    pub stages: Vec<StageChange>,
    /// Stages that lose (part of) their build cache, in build order.
    pub cache: Vec<CacheLoss>,
    pub images: Vec<ConfigChange>,
    /// With `--emit llb-json`: ops whose digests appear or disappear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops: Option<OpChanges>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArgChange {
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageChange {
    pub name: String,
    /// `stage` or `image`.
    pub kind: &'static str,
    /// `added`, `removed`, `renamed` or `changed`.
    pub change: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<Change>,
    pub steps: Vec<StepChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepChange {
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// 1-based step numbers in the old and new stage.
    pub old_step: Option<usize>,
    pub new_step: Option<usize>,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheLoss {
    pub stage: String,
    pub kind: &'static str,
    /// 1-based, inclusive; `from == 1` with `whole` means the stage from its base.
    pub from_step: usize,
    pub to_step: usize,
    /// The whole stage (its base or the stage it is built on changed).
    pub whole: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigChange {
    pub image: String,
    /// `user`, `workdir`, `entrypoint`, `cmd`, `env NAME`, `label KEY`, `ports`, ...
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct OpChanges {
    pub removed: Vec<Op>,
    pub added: Vec<Op>,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Op {
    pub digest: String,
    pub name: String,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
            && self.stages.is_empty()
            && self.images.is_empty()
            && self
                .ops
                .as_ref()
                .is_none_or(|o| o.added.is_empty() && o.removed.is_empty())
    }

    /// The summary as text for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out.push_str("no changes\n");
            return out;
        }
        for a in &self.args {
            let show = |v: &Option<String>| match v {
                Some(v) => format!("{v:?}"),
                None => "(required)".to_string(),
            };
            match a.change {
                "added" => writeln!(out, "arg {} added: {}", a.name, show(&a.new)),
                "removed" => writeln!(out, "arg {} removed (was {})", a.name, show(&a.old)),
                _ => writeln!(out, "arg {}: {} → {}", a.name, show(&a.old), show(&a.new)),
            }
            .ok();
        }
        for s in &self.stages {
            let _ = match s.change {
                "added" => writeln!(
                    out,
                    "{} {}: added ({} step{})",
                    s.kind,
                    s.name,
                    s.steps.len(),
                    if s.steps.len() == 1 { "" } else { "s" }
                ),
                "removed" => writeln!(out, "{} {}: removed", s.kind, s.name),
                "renamed" => writeln!(
                    out,
                    "{} {}: renamed from {}",
                    s.kind,
                    s.name,
                    s.renamed_from.as_deref().unwrap_or("?")
                ),
                _ => writeln!(out, "{} {}:", s.kind, s.name),
            };
            if s.change == "added" || s.change == "removed" {
                continue;
            }
            if let Some(b) = &s.base {
                let _ = writeln!(out, "  base: {} → {}", b.old, b.new);
            }
            for c in &s.steps {
                let _ = match c.change {
                    "added" => writeln!(
                        out,
                        "  + step {}: {}",
                        c.new_step.unwrap_or(0),
                        one_line(c.new.as_deref())
                    ),
                    "removed" => writeln!(
                        out,
                        "  - step {}: {}",
                        c.old_step.unwrap_or(0),
                        one_line(c.old.as_deref())
                    ),
                    _ => writeln!(
                        out,
                        "  ~ step {}: {}\n           → {}",
                        c.new_step.unwrap_or(0),
                        one_line(c.old.as_deref()),
                        one_line(c.new.as_deref())
                    ),
                };
            }
        }
        if !self.cache.is_empty() {
            let parts: Vec<String> = self.cache.iter().map(CacheLoss::short).collect();
            let _ = writeln!(out, "loses cache: {}", parts.join(", "));
            for c in &self.cache {
                let _ = writeln!(out, "  {}: {}", c.stage, c.reason);
            }
        }
        for c in &self.images {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_string());
            let _ = writeln!(
                out,
                "image {}: {}: {} → {}",
                c.image,
                c.field,
                show(&c.old),
                show(&c.new)
            );
        }
        if let Some(ops) = &self.ops {
            let _ = writeln!(
                out,
                "llb: {} ops removed, {} added, {} unchanged",
                ops.removed.len(),
                ops.added.len(),
                ops.unchanged
            );
            for o in &ops.removed {
                let _ = writeln!(out, "  - {} {}", short_digest(&o.digest), o.name);
            }
            for o in &ops.added {
                let _ = writeln!(out, "  + {} {}", short_digest(&o.digest), o.name);
            }
        }
        out
    }
}

impl CacheLoss {
    fn short(&self) -> String {
        let name = if self.kind == "image" {
            format!("image {}", self.stage)
        } else {
            self.stage.clone()
        };
        if self.whole || self.to_step == 0 {
            name
        } else if self.from_step == self.to_step {
            format!("{name} (step {})", self.from_step)
        } else {
            format!("{name} (steps {}–{})", self.from_step, self.to_step)
        }
    }
}

fn short_digest(d: &str) -> &str {
    d.get(..19).unwrap_or(d)
}

/// The first line of a step, with `…` when it has more.
fn one_line(s: Option<&str>) -> String {
    let s = s.unwrap_or_default();
    let mut lines = s.lines();
    let first = lines.next().unwrap_or_default().trim_end_matches(" \\");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_string()
    }
}

fn kind_name(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Stage => "stage",
        StageKind::Image => "image",
    }
}

/// A word as written in a Dockerfile (`${NAME}` kept).
pub fn word_text(w: &Word) -> String {
    w.0.iter()
        .map(|p| match p {
            WordPart::Text { text } => text.clone(),
            WordPart::Var {
                name,
                default: None,
                ..
            } => format!("${{{name}}}"),
            WordPart::Var {
                name,
                default: Some(d),
                ..
            } => format!("${{{name}:-{d}}}"),
        })
        .collect()
}

/// A word with args replaced by their defaults (what the build pulls).
fn resolved(build: &Build, w: &Word) -> String {
    w.0.iter()
        .map(|p| match p {
            WordPart::Text { text } => text.clone(),
            WordPart::Var { name, default, .. } => {
                match build.arg(name).and_then(|a| a.default.clone()) {
                    Some(v) => v,
                    None => default.clone().unwrap_or_else(|| format!("${{{name}}}")),
                }
            }
        })
        .collect()
}

fn base_text(build: &Build, stage: &Stage) -> String {
    let mut s = match &stage.base {
        Base::Image(w) => resolved(build, w),
        Base::Stage(id) => format!("stage {}", build.stage(*id).name),
        Base::Scratch => "scratch".to_string(),
    };
    if let Some(p) = &stage.platform {
        let _ = write!(s, " (platform {})", resolved(build, p));
    }
    s
}

fn step_keys(build: &Build, stage: &Stage) -> Vec<String> {
    stage
        .steps
        .iter()
        .map(|s| render_step(build, &s.kind))
        .collect()
}

/// Old stage index for each new stage, plus renames, computed on a copy of
/// the old build whose renamed stages carry their new names.
fn match_stages(old: &Build, new: &Build) -> (Build, Vec<Option<usize>>, Vec<bool>) {
    let mut old = old.clone();
    let mut matched: Vec<Option<usize>> = new
        .stages
        .iter()
        .map(|n| old.stages.iter().position(|o| o.name == n.name))
        .collect();
    let mut renamed = vec![false; new.stages.len()];
    loop {
        let mut found = false;
        for (ni, n) in new.stages.iter().enumerate() {
            if matched[ni].is_some() {
                continue;
            }
            let key = (base_text(new, n), step_keys(new, n));
            let candidate = old.stages.iter().enumerate().position(|(oi, o)| {
                !matched.contains(&Some(oi))
                    && o.kind == n.kind
                    && (base_text(&old, o), step_keys(&old, o)) == key
            });
            if let Some(oi) = candidate {
                old.stages[oi].name = n.name.clone();
                matched[ni] = Some(oi);
                renamed[ni] = true;
                found = true;
            }
        }
        if !found {
            break;
        }
    }
    (old, matched, renamed)
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
                    })
                    .collect(),
            });
            continue;
        };
        let o = &old.stages[oi];
        let old_keys = step_keys(&old, o);
        let (old_base, new_base) = (base_text(&old, o), base_text(new, n));
        let base_changed = old_base != new_base;
        let mut steps = Vec::new();
        let mut first_changed: Option<usize> = None;
        let mut tail_changed = false;
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_keys, &new_keys) {
            let (_, old_range, new_range) = op.as_tag_tuple();
            match op.tag() {
                similar::DiffTag::Equal => {}
                similar::DiffTag::Delete => {
                    for i in old_range.clone() {
                        steps.push(StepChange {
                            change: "removed",
                            old_step: Some(i + 1),
                            new_step: None,
                            old: Some(old_keys[i].clone()),
                            new: None,
                        });
                    }
                    if new_range.start < new_keys.len() {
                        first_changed =
                            Some(first_changed.map_or(new_range.start, |f| f.min(new_range.start)));
                    } else {
                        tail_changed = true;
                    }
                }
                similar::DiffTag::Insert => {
                    for i in new_range.clone() {
                        steps.push(StepChange {
                            change: "added",
                            old_step: None,
                            new_step: Some(i + 1),
                            old: None,
                            new: Some(new_keys[i].clone()),
                        });
                    }
                    first_changed =
                        Some(first_changed.map_or(new_range.start, |f| f.min(new_range.start)));
                }
                similar::DiffTag::Replace => {
                    let (ol, nl) = (old_range.len(), new_range.len());
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
                        });
                    }
                    first_changed =
                        Some(first_changed.map_or(new_range.start, |f| f.min(new_range.start)));
                }
            }
        }
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
        let (oc, nc) = (config(&old, oi), config(new, ni));
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

/// The config an image ends up with from its own steps and those of the
/// stages it is built on (what the spec sets; the base image's is unknown).
fn config(build: &Build, index: usize) -> BTreeMap<String, String> {
    let mut chain = vec![index];
    let mut cur = index;
    while let Base::Stage(p) = build.stages[cur].base {
        if chain.contains(&p.0) {
            break;
        }
        chain.push(p.0);
        cur = p.0;
    }
    let mut out = BTreeMap::new();
    let mut ports: Vec<String> = Vec::new();
    let mut volumes: Vec<String> = Vec::new();
    for &i in chain.iter().rev() {
        for step in &build.stages[i].steps {
            match &step.kind {
                StepKind::User { user } => {
                    out.insert("user".to_string(), word_text(user));
                }
                StepKind::Workdir { path } => {
                    out.insert("workdir".to_string(), word_text(path));
                }
                StepKind::Entrypoint { args } => {
                    out.insert("entrypoint".to_string(), json(args));
                    out.remove("cmd");
                }
                StepKind::Cmd { args } => {
                    out.insert("cmd".to_string(), json(args));
                }
                StepKind::Env { vars } => {
                    for (k, v) in vars {
                        out.insert(format!("env {k}"), word_text(v));
                    }
                }
                StepKind::Label { labels } => {
                    for (k, v) in labels {
                        out.insert(format!("label {k}"), word_text(v));
                    }
                }
                StepKind::Expose { ports: ps } => {
                    for p in ps {
                        let mut s = p.number.to_string();
                        if let Some(e) = p.end {
                            let _ = write!(s, "-{e}");
                        }
                        s.push_str(match p.protocol {
                            crate::ir::Protocol::Tcp => "/tcp",
                            crate::ir::Protocol::Udp => "/udp",
                            crate::ir::Protocol::Sctp => "/sctp",
                        });
                        if !ports.contains(&s) {
                            ports.push(s);
                        }
                    }
                }
                StepKind::Healthcheck { check } => {
                    let text = match check {
                        None => "NONE".to_string(),
                        Some(h) => {
                            let mut s = json(&h.command);
                            for (k, v) in [
                                ("interval", &h.interval),
                                ("timeout", &h.timeout),
                                ("start-period", &h.start_period),
                                ("start-interval", &h.start_interval),
                            ] {
                                if let Some(v) = v {
                                    let _ = write!(s, " {k}={v}");
                                }
                            }
                            if let Some(r) = h.retries {
                                let _ = write!(s, " retries={r}");
                            }
                            s
                        }
                    };
                    out.insert("healthcheck".to_string(), text);
                }
                StepKind::Volume { paths } => {
                    for p in paths {
                        let t = word_text(p);
                        if !volumes.contains(&t) {
                            volumes.push(t);
                        }
                    }
                }
                StepKind::StopSignal { signal } => {
                    out.insert("stopsignal".to_string(), signal.clone());
                }
                StepKind::Shell { args } => {
                    out.insert("shell".to_string(), json(args));
                }
                StepKind::Args { .. } | StepKind::Copy(_) | StepKind::Run(_) => {}
            }
        }
    }
    if !ports.is_empty() {
        ports.sort();
        out.insert("ports".to_string(), ports.join(" "));
    }
    if !volumes.is_empty() {
        out.insert("volumes".to_string(), volumes.join(" "));
    }
    out
}

fn json(args: &[String]) -> String {
    serde_json::to_string(args).unwrap_or_default()
}

/// Ops of two LLB definitions, compared by digest (identical ops have
/// identical digests, so BuildKit reuses them).
pub fn op_changes(old: &pb::Definition, new: &pb::Definition) -> OpChanges {
    let ops = |def: &pb::Definition| -> Vec<Op> {
        def.def
            .iter()
            .map(|bytes| {
                let digest = crate::backend::llb::digest(bytes);
                let name = def
                    .metadata
                    .get(&digest)
                    .and_then(|m| m.description.get("llb.customname").cloned())
                    .unwrap_or_else(|| "(unnamed op)".to_string());
                Op { digest, name }
            })
            .collect()
    };
    let (o, n) = (ops(old), ops(new));
    let has = |list: &[Op], d: &str| list.iter().any(|x| x.digest == d);
    OpChanges {
        removed: o.iter().filter(|x| !has(&n, &x.digest)).cloned().collect(),
        added: n.iter().filter(|x| !has(&o, &x.digest)).cloned().collect(),
        unchanged: n.iter().filter(|x| has(&o, &x.digest)).count(),
    }
}

/// A unified diff of two texts (3 lines of context), coloured with ANSI
/// escapes when `color`; empty when they are equal.
pub fn unified(old: &str, new: &str, old_label: &str, new_label: &str, color: bool) -> String {
    if old == new {
        return String::new();
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string();
    if !color {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let code = if body.starts_with("+++") || body.starts_with("---") {
            "1"
        } else if body.starts_with("@@") {
            "36"
        } else if body.starts_with('+') {
            "32"
        } else if body.starts_with('-') {
            "31"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let _ = write!(out, "\x1b[{code}m{body}\x1b[0m{nl}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile;
    use crate::lower::Selection;

    fn build(spec: &str) -> Build {
        let checked = compile::check(spec.as_bytes());
        assert!(
            !checked.diagnostics.has_errors(),
            "{:?}",
            checked.diagnostics
        );
        let model = checked.model.expect("a model");
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
