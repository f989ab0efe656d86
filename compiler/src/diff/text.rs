//! The text side: LLB ops compared by digest, and the unified diff.

use super::{Op, OpChanges};
use crate::backend::llb::pb;
use std::fmt::Write;

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
