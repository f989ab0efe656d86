//! The summary `msbc diff` prints: what differs, stage by stage, and its
//! text and JSON forms.

use serde::Serialize;
use std::fmt::Write;

/// Everything that differs, stage by stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub args: Vec<ArgChange>,
    pub stages: Vec<StageChange>,
    /// Stages that lose (part of) their build cache, in build order.
    pub cache: Vec<CacheLoss>,
    pub images: Vec<ConfigChange>,
    /// Base images whose `msbc.lock` entry differs (digest, recorded config).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bases: Vec<BaseChange>,
    /// With `--emit llb-json`: ops whose digests appear or disappear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ops: Option<OpChanges>,
    /// What importing a Dockerfile side left out or changed (a spec cannot
    /// say it): each is a difference the compiled builds cannot show.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrepresented: Vec<Unrepresented>,
}

/// One instruction, flag or value of a Dockerfile the import could not
/// carry over (an `I0xx` warning that changes the build).
#[derive(Debug, Clone, Serialize)]
pub struct Unrepresented {
    /// The Dockerfile, as the diff names it.
    pub file: String,
    pub line: usize,
    pub code: String,
    pub message: String,
}

impl Unrepresented {
    /// The warnings of an import that change the build (not those that
    /// write the same build another way).
    pub fn from_import(file: &str, warnings: &[crate::import::Warning]) -> Vec<Unrepresented> {
        warnings
            .iter()
            .filter(|w| w.lossy)
            .map(|w| Unrepresented {
                file: file.to_string(),
                line: w.line,
                code: w.code.to_string(),
                message: w.message.clone(),
            })
            .collect()
    }
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
    /// Only image metadata (EXPOSE, LABEL, CMD, ...): no later step loses
    /// its cache because of it.
    pub metadata: bool,
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

/// A base image whose lock entry changed: its digest and, field by field,
/// its recorded config (`field` as in [`ConfigChange`], `image` the
/// reference; with several platforms, the field starts with the platform).
#[derive(Debug, Clone, Serialize)]
pub struct BaseChange {
    pub image: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub old_digest: Option<String>,
    pub new_digest: Option<String>,
    pub config: Vec<ConfigChange>,
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
            && self.bases.is_empty()
            && self.unrepresented.is_empty()
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
        let mut files: Vec<&str> = self.unrepresented.iter().map(|u| u.file.as_str()).collect();
        files.dedup();
        for file in files {
            let _ = writeln!(
                out,
                "{file}: not in the imported spec (a spec cannot say it):"
            );
            for u in self.unrepresented.iter().filter(|u| u.file == file) {
                let _ = writeln!(out, "  line {} [{}]: {}", u.line, u.code, u.message);
            }
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
                _ => match &s.renamed_from {
                    Some(from) => writeln!(
                        out,
                        "{} {}: renamed from {from}, and changed:",
                        s.kind, s.name
                    ),
                    None => writeln!(out, "{} {}:", s.kind, s.name),
                },
            };
            if s.change == "added" || s.change == "removed" {
                continue;
            }
            if let Some(b) = &s.base {
                let _ = writeln!(out, "  base: {} → {}", b.old, b.new);
            }
            for c in &s.steps {
                let tag = if c.metadata { " (metadata)" } else { "" };
                let _ = match c.change {
                    "added" => writeln!(
                        out,
                        "  + step {}{tag}: {}",
                        c.new_step.unwrap_or(0),
                        one_line(c.new.as_deref())
                    ),
                    "removed" => writeln!(
                        out,
                        "  - step {}{tag}: {}",
                        c.old_step.unwrap_or(0),
                        one_line(c.old.as_deref())
                    ),
                    _ => writeln!(
                        out,
                        "  ~ step {}{tag}: {}\n           → {}",
                        c.new_step.unwrap_or(0),
                        one_line(c.old.as_deref()),
                        one_line(c.new.as_deref())
                    ),
                };
            }
        }
        let metadata_only = self.stages.iter().all(|s| {
            s.change == "changed" && s.base.is_none() && s.steps.iter().all(|c| c.metadata)
        });
        if self.cache.is_empty() && !self.stages.is_empty() && metadata_only {
            out.push_str("loses no cache: only image metadata changed\n");
        }
        if !self.cache.is_empty() {
            let parts: Vec<String> = self.cache.iter().map(CacheLoss::short).collect();
            let _ = writeln!(out, "loses cache: {}", parts.join(", "));
            for c in &self.cache {
                let _ = writeln!(out, "  {}: {}", c.stage, c.reason);
            }
        }
        for b in &self.bases {
            let digest = |d: &Option<String>| {
                d.as_deref()
                    .map(|d| format!("{}…", short_digest(d)))
                    .unwrap_or_else(|| "(none)".to_string())
            };
            let _ = match b.change {
                "added" => writeln!(
                    out,
                    "base image {}: locked ({})",
                    b.image,
                    digest(&b.new_digest)
                ),
                "removed" => writeln!(out, "base image {}: no longer locked", b.image),
                _ if b.old_digest != b.new_digest => writeln!(
                    out,
                    "base image {}: {} → {}",
                    b.image,
                    digest(&b.old_digest),
                    digest(&b.new_digest)
                ),
                _ => writeln!(out, "base image {}: its recorded config changed", b.image),
            };
            if b.change == "changed" && b.config.is_empty() {
                out.push_str("  config: the same\n");
            }
            for c in &b.config {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_string());
                let _ = writeln!(
                    out,
                    "  config {}: {} → {}",
                    c.field,
                    show(&c.old),
                    show(&c.new)
                );
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
    pub(super) fn short(&self) -> String {
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

pub(super) fn short_digest(d: &str) -> &str {
    d.get(..19).unwrap_or(d)
}

/// The first line of a step, with `…` when it has more.
pub(super) fn one_line(s: Option<&str>) -> String {
    let s = s.unwrap_or_default();
    let mut lines = s.lines();
    let first = lines.next().unwrap_or_default().trim_end_matches(" \\");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_string()
    }
}
