//! Name tables, `from=` resolution and cycle detection.

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::ir::{self, StageId};
use crate::syntax::ast::{ArtifactDecl, Document, Ident, Interp, StageDecl, ToolchainDecl};
use crate::syntax::image_ref;
use std::collections::HashMap;

use super::PLATFORM_ARGS;

/// Every declared name, first declaration wins (later ones are reported).
pub(super) struct Names<'a> {
    pub stages: HashMap<&'a str, StageId>,
    pub stage_order: Vec<&'a str>,
    pub toolchains: HashMap<&'a str, &'a ToolchainDecl>,
    pub artifacts: HashMap<&'a str, &'a ArtifactDecl>,
    pub args: Vec<&'a str>,
}

/// What a stage's `from=`/`toolchain=` resolved to.
#[derive(Debug, Clone)]
pub(super) enum ResolvedBase<'a> {
    Stage(StageId),
    Image(&'a Interp),
    Scratch,
    Toolchain(&'a ToolchainDecl),
    /// Resolution failed (already reported).
    Error,
}

fn duplicate(kind: &str, name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateName,
        format!("the {kind} name `{name}` is declared twice"),
    )
    .label(again, "declared again here")
    .label(first, "first declared here")
    .help(format!("rename one of them; {kind} names must be unique"))
}

/// Adds `item` under its name, or reports the name declared twice.
fn declare<'a, T>(
    map: &mut HashMap<&'a str, &'a T>,
    kind: &str,
    item: &'a T,
    name: impl Fn(&T) -> &Ident,
    diags: &mut Diagnostics,
) {
    let id = name(item);
    match map.get(id.name.as_str()) {
        Some(first) => diags.push(duplicate(kind, &id.name, id.span, name(first).span)),
        None => {
            map.insert(&name(item).name, item);
        }
    }
}

impl<'a> Names<'a> {
    pub fn collect(doc: &'a Document, stages: &'a [StageDecl], diags: &mut Diagnostics) -> Self {
        let mut names = Names {
            stages: HashMap::new(),
            stage_order: Vec::new(),
            toolchains: HashMap::new(),
            artifacts: HashMap::new(),
            args: Vec::new(),
        };
        for (i, s) in stages.iter().enumerate() {
            if let Some(first) = names.stages.get(s.name.name.as_str()) {
                let first = &stages[first.0];
                diags.push(duplicate(
                    "stage and image",
                    &s.name.name,
                    s.name.span,
                    first.name.span,
                ));
            } else {
                names.stages.insert(&s.name.name, StageId(i));
            }
            names.stage_order.push(&s.name.name);
        }
        for t in &doc.toolchains {
            declare(&mut names.toolchains, "toolchain", t, |t| &t.name, diags);
        }
        for a in &doc.artifacts {
            declare(&mut names.artifacts, "artifact", a, |a| &a.name, diags);
        }
        for (i, a) in doc.args.iter().enumerate() {
            if let Some(first) = doc.args[..i].iter().find(|f| f.name.name == a.name.name) {
                diags.push(duplicate("arg", &a.name.name, a.name.span, first.name.span));
            } else if PLATFORM_ARGS.contains(&a.name.name.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("`{}` is a platform arg BuildKit defines", a.name.name),
                    )
                    .label(a.name.span, "already defined by BuildKit")
                    .help("use it without declaring it; it is set from `--platform`"),
                );
            } else {
                names.args.push(&a.name.name);
            }
        }
        for a in &doc.artifacts {
            if !names.stages.contains_key(a.from.name.as_str()) {
                diags.push(unknown_stage(
                    &a.from.name,
                    a.from.span,
                    &names.stage_order,
                    "an artifact comes from a stage of this spec",
                ));
            }
        }
        names
    }

    pub fn stage(&self, name: &str) -> Option<StageId> {
        self.stages.get(name).copied()
    }

    /// Resolves every stage's base.
    pub fn resolve_bases(
        &self,
        stages: &'a [StageDecl],
        diags: &mut Diagnostics,
    ) -> Vec<ResolvedBase<'a>> {
        stages
            .iter()
            .map(|s| {
                if let Some(t) = &s.toolchain {
                    return match self.toolchains.get(t.name.as_str()) {
                        Some(tc) => {
                            self.check_image_ref(&tc.image, diags);
                            ResolvedBase::Toolchain(tc)
                        }
                        None => {
                            diags.push(unknown_name(
                                Code::UnknownToolchain,
                                "toolchain",
                                format!("no toolchain named `{}`", t.name),
                                t,
                                &self.toolchains,
                                "declare it: `toolchain NAME image=\"...\" { ... }`",
                            ));
                            ResolvedBase::Error
                        }
                    };
                }
                match &s.from {
                    Some(from) => self.resolve_from(from, diags),
                    None => ResolvedBase::Error,
                }
            })
            .collect()
    }

    /// `from=` names a stage if one has that name; otherwise it must be an
    /// image reference with a tag or digest (or `scratch`).
    pub fn resolve_from(&self, from: &'a Interp, diags: &mut Diagnostics) -> ResolvedBase<'a> {
        let text = &from.raw.value;
        if let Some(id) = self.stage(text) {
            return ResolvedBase::Stage(id);
        }
        if text == "scratch" {
            return ResolvedBase::Scratch;
        }
        if is_bare_name(text) {
            diags.push(unknown_stage(
                text,
                from.raw.span,
                &self.stage_order,
                &format!(
                    "no stage has this name; to use an image, give it a tag, e.g. `{text}:<tag>`"
                ),
            ));
            return ResolvedBase::Error;
        }
        if self.check_image_ref(from, diags) {
            ResolvedBase::Image(from)
        } else {
            ResolvedBase::Error
        }
    }

    /// Checks an image reference's syntax and that its variables are args
    /// (a `FROM` line sees only global args). Returns whether it is usable.
    pub fn check_image_ref(&self, image: &Interp, diags: &mut Diagnostics) -> bool {
        if let Err(d) = image_ref::parse(&image.raw) {
            diags.push(d);
            return false;
        }
        let mut ok = true;
        for (name, span) in image.vars() {
            if !self.args.contains(&name) && !PLATFORM_ARGS.contains(&name) {
                ok = false;
                let candidates: Vec<&str> = self
                    .args
                    .iter()
                    .copied()
                    .chain(PLATFORM_ARGS.iter().copied())
                    .collect();
                diags.push(
                    Diagnostic::new(
                        Code::UnknownVariable,
                        format!("`${{{name}}}` in an image reference names no arg"),
                    )
                    .label(span, "unknown arg")
                    .suggest_or(
                        name,
                        candidates,
                        format!("declare it: `arg {name} \"default\"`"),
                    ),
                );
            }
        }
        ok
    }
}

/// A name with no registry, tag or digest: it can only mean a stage.
fn is_bare_name(text: &str) -> bool {
    !text.is_empty() && !text.contains(['/', ':', '@', '$'])
}

pub(super) fn unknown_stage(
    name: &str,
    span: Span,
    stages: &[&str],
    otherwise: &str,
) -> Diagnostic {
    Diagnostic::new(Code::UnknownStage, format!("no stage named `{name}`"))
        .label(span, "unknown stage")
        .suggest_or(name, stages.iter().copied(), otherwise)
}

/// A name that no toolchain or artifact has: `message`, labelled "unknown
/// {kind}", with the closest of the table's names (sorted, so the pick does
/// not depend on hashing) or `otherwise` as help.
pub(super) fn unknown_name<T>(
    code: Code,
    kind: &str,
    message: String,
    name: &Ident,
    table: &HashMap<&str, T>,
    otherwise: impl Into<String>,
) -> Diagnostic {
    let mut known: Vec<&str> = table.keys().copied().collect();
    known.sort_unstable();
    Diagnostic::new(code, message)
        .label(name.span, format!("unknown {kind}"))
        .suggest_or(&name.name, known, otherwise)
}

/// Stage indices ordered so that each stage's `from=` stage (`base(i)`)
/// comes first. A cycle is cut where it closes (it is reported elsewhere).
pub(super) fn base_first(len: usize, base: impl Fn(usize) -> Option<usize>) -> Vec<usize> {
    fn visit(
        i: usize,
        base: &dyn Fn(usize) -> Option<usize>,
        seen: &mut [bool],
        out: &mut Vec<usize>,
    ) {
        if seen[i] {
            return;
        }
        seen[i] = true;
        if let Some(b) = base(i) {
            visit(b, base, seen, out);
        }
        out.push(i);
    }
    let mut seen = vec![false; len];
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        visit(i, &base, &mut seen, &mut out);
    }
    out
}

/// Reports each dependency cycle once, with its path.
pub(super) fn check_cycles(decls: &[StageDecl], stages: &[ir::Stage], diags: &mut Diagnostics) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        stages: &[ir::Stage],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        marks[i] = Mark::Active;
        path.push(i);
        for dep in stages[i].dependencies() {
            match marks[dep.0] {
                Mark::New => visit(dep.0, stages, marks, path, found),
                Mark::Active => {
                    if let Some(pos) = path.iter().position(|p| *p == dep.0) {
                        found.push(path[pos..].to_vec());
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[i] = Mark::Done;
    }
    let mut marks = vec![Mark::New; stages.len()];
    let mut found = Vec::new();
    for i in 0..stages.len() {
        if marks[i] == Mark::New {
            visit(i, stages, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    for cycle in found {
        let names: Vec<&str> = cycle.iter().map(|i| decls[*i].name.name.as_str()).collect();
        let path = format!("{} → {}", names.join(" → "), names[0]);
        let mut d = Diagnostic::new(
            Code::DependencyCycle,
            format!("stages depend on each other in a cycle: {path}"),
        )
        .help("a stage cannot use itself, directly or through others; break the cycle");
        for (n, i) in cycle.iter().enumerate() {
            let next = names[(n + 1) % names.len()];
            d = d.label(decls[*i].name.span, format!("`{}` uses `{next}`", names[n]));
        }
        diags.push(d);
    }
}
