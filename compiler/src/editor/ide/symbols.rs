//! The names a spec declares (stages, images, artifacts, args, toolchains)
//! and every place it uses one: definitions, references, rename, the outline.

use super::Doc;
use crate::diag::Span;
use crate::editor::analysis::Analysis;
use crate::syntax::ast::{Document, Ident, Interp, Read, StageKind};
use lsp_types as lsp;

/// What a declared name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymKind {
    /// A `stage`.
    Stage,
    /// An `image`.
    Image,
    /// An `artifact`.
    Artifact,
    /// An `arg`.
    Arg,
    /// A `toolchain`.
    Toolchain,
}

impl SymKind {
    /// Stages and images share one namespace.
    fn namespace(self) -> u8 {
        match self {
            SymKind::Stage | SymKind::Image => 0,
            SymKind::Artifact => 1,
            SymKind::Arg => 2,
            SymKind::Toolchain => 3,
        }
    }
}

/// A declared name.
#[derive(Debug, Clone)]
pub struct Sym {
    /// What it is.
    pub kind: SymKind,
    /// The name.
    pub name: String,
    /// The name where it is declared (for template output: the `use`).
    pub def: Span,
    /// The whole declaration.
    pub decl: Span,
    /// Declared by a template (its `use` stands for it).
    pub from_template: bool,
}

/// A use of a name.
#[derive(Debug, Clone)]
pub struct Ref {
    /// What it names.
    pub kind: SymKind,
    /// The name used.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// The names a spec declares and every place it uses one.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    /// Every declaration, in order.
    pub defs: Vec<Sym>,
    /// Every use, in order.
    pub refs: Vec<Ref>,
}

/// The span of a name without the quotes it may be written in.
fn name_span(text: &str, span: Span) -> Span {
    match text.get(span.start..span.end) {
        Some(s) if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') => {
            Span::new(span.start + 1, span.end - 1)
        }
        _ => span,
    }
}

impl Symbols {
    pub(super) fn collect(text: &str, analysis: &Analysis) -> Symbols {
        let mut s = Symbols::default();
        let Some(user) = &analysis.user else {
            s.declared_in_lines(text);
            return s;
        };
        for a in &user.args {
            s.def_written(text, SymKind::Arg, &a.name, a.span);
        }
        for t in &user.toolchains {
            s.def_written(text, SymKind::Toolchain, &t.name, t.span);
        }
        for st in &user.stages {
            let kind = match st.kind {
                StageKind::Stage => SymKind::Stage,
                StageKind::Image => SymKind::Image,
            };
            let span = name_span(text, st.name.span);
            if st.extend && s.find(kind, &st.name.name).is_some() {
                s.refs.push(Ref {
                    kind,
                    name: st.name.name.clone(),
                    span,
                });
            } else {
                s.def(kind, &st.name.name, span, st.span, false);
            }
        }
        for a in &user.artifacts {
            s.def_written(text, SymKind::Artifact, &a.name, a.span);
        }
        // Names a template declares: their place is the `use`.
        if let Some(expanded) = &analysis.expanded {
            let len = text.len();
            for st in &expanded.stages {
                let kind = match st.kind {
                    StageKind::Stage => SymKind::Stage,
                    StageKind::Image => SymKind::Image,
                };
                if st.name.span.start > len && s.find(kind, &st.name.name).is_none() {
                    if let (Some(at), _) = analysis.map.to_user(st.name.span) {
                        s.def(kind, &st.name.name, at, at, true);
                    }
                }
            }
            for a in &expanded.artifacts {
                if a.name.span.start > len && s.find(SymKind::Artifact, &a.name.name).is_none() {
                    if let (Some(at), _) = analysis.map.to_user(a.name.span) {
                        s.def(SymKind::Artifact, &a.name.name, at, at, true);
                    }
                }
            }
            for a in &expanded.args {
                if a.name.span.start > len && s.find(SymKind::Arg, &a.name.name).is_none() {
                    if let (Some(at), _) = analysis.map.to_user(a.name.span) {
                        s.def(SymKind::Arg, &a.name.name, at, at, true);
                    }
                }
            }
        }
        s.references(text, user);
        s
    }

    /// A text that is not KDL yet (half-typed): the names its lines
    /// declare (`stage NAME`, `artifact NAME`, ...), for completion.
    fn declared_in_lines(&mut self, text: &str) {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            let mut words = trimmed.split_whitespace();
            let kind = match words.next() {
                Some("stage") => Some(SymKind::Stage),
                Some("image") => Some(SymKind::Image),
                Some("artifact") => Some(SymKind::Artifact),
                Some("arg") => Some(SymKind::Arg),
                Some("toolchain") => Some(SymKind::Toolchain),
                _ => None,
            };
            if let (Some(kind), Some(word)) = (kind, words.next()) {
                let name = word.trim_matches('"').trim_end_matches(['{', ';']);
                if crate::kdl_write::is_bare(name)
                    && self.find(kind, name).is_none()
                    && let Some(at) = trimmed.find(word)
                {
                    let start = offset + indent + at;
                    let span = Span::new(start, start + word.len());
                    self.def(kind, name, span, span, false);
                }
            }
            offset += line.len();
        }
    }

    /// A name declared in the user's text at `name` (its node at `decl`).
    fn def_written(&mut self, text: &str, kind: SymKind, name: &Ident, decl: Span) {
        self.def(kind, &name.name, name_span(text, name.span), decl, false);
    }

    fn def(&mut self, kind: SymKind, name: &str, def: Span, decl: Span, from_template: bool) {
        self.defs.push(Sym {
            kind,
            name: name.to_string(),
            def,
            decl,
            from_template,
        });
    }

    /// The declaration of `name` in `kind`'s namespace.
    pub fn find(&self, kind: SymKind, name: &str) -> Option<&Sym> {
        self.defs
            .iter()
            .find(|d| d.kind.namespace() == kind.namespace() && d.name == name)
    }

    fn stage_ref(&mut self, text: &str, value: &Interp) {
        let name = &value.raw.value;
        if self.find(SymKind::Stage, name).is_some() {
            self.refs.push(Ref {
                kind: SymKind::Stage,
                name: name.clone(),
                span: name_span(text, value.raw.span),
            });
        }
    }

    fn references(&mut self, text: &str, user: &Document) {
        for st in &user.stages {
            if let Some(from) = &st.from {
                self.stage_ref(text, from);
            }
            if let Some(tc) = &st.toolchain {
                self.refs.push(Ref {
                    kind: SymKind::Toolchain,
                    name: tc.name.clone(),
                    span: name_span(text, tc.span),
                });
            }
            for step in &st.steps {
                for read in step.kind.reads() {
                    match read {
                        Read::CopyFrom(from) | Read::BindFrom(from) => self.stage_ref(text, from),
                        Read::Artifact(a) => self.refs.push(Ref {
                            kind: SymKind::Artifact,
                            name: a.name.clone(),
                            span: name_span(text, a.span),
                        }),
                    }
                }
            }
        }
        for a in &user.artifacts {
            self.refs.push(Ref {
                kind: SymKind::Stage,
                name: a.from.name.clone(),
                span: name_span(text, a.from.span),
            });
        }
        // `${NAME}` and `${NAME:-default}` anywhere in the text.
        let mut at = 0;
        while let Some(i) = text.get(at..).and_then(|t| t.find("${")) {
            let start = at + i + 2;
            let len = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - start);
            let name = &text[start..start + len];
            if !name.is_empty() && self.find(SymKind::Arg, name).is_some() {
                self.refs.push(Ref {
                    kind: SymKind::Arg,
                    name: name.to_string(),
                    span: Span::new(start, start + len),
                });
            }
            at = start + len;
        }
    }

    /// The declaration or reference under `offset`.
    pub(super) fn at(&self, offset: usize) -> Option<(SymKind, &str)> {
        let inside = |s: Span| s.start <= offset && offset <= s.end;
        self.refs
            .iter()
            .find(|r| inside(r.span))
            .map(|r| (r.kind, r.name.as_str()))
            .or_else(|| {
                self.defs
                    .iter()
                    .find(|d| !d.from_template && inside(d.def))
                    .map(|d| (d.kind, d.name.as_str()))
            })
    }

    fn uses<'a>(&'a self, kind: SymKind, name: &'a str) -> impl Iterator<Item = &'a Ref> + 'a {
        self.refs
            .iter()
            .filter(move |r| r.kind.namespace() == kind.namespace() && r.name == name)
    }
}

/// Where the name under `pos` is declared.
pub fn definition(doc: &Doc, pos: lsp::Position) -> Option<lsp::Location> {
    let (kind, name) = doc.symbols.at(doc.offset(pos))?;
    let def = doc.symbols.find(kind, name)?;
    Some(lsp::Location::new(doc.uri.clone(), doc.range(def.def)))
}

/// Every use of the name under `pos` (and its declaration, if asked).
pub fn references(doc: &Doc, pos: lsp::Position, declaration: bool) -> Vec<lsp::Location> {
    let Some((kind, name)) = doc.symbols.at(doc.offset(pos)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if declaration && let Some(def) = doc.symbols.find(kind, name) {
        out.push(lsp::Location::new(doc.uri.clone(), doc.range(def.def)));
    }
    out.extend(
        doc.symbols
            .uses(kind, name)
            .map(|r| lsp::Location::new(doc.uri.clone(), doc.range(r.span))),
    );
    out
}

/// Renames the stage, image or artifact under `pos` everywhere in the file.
pub fn rename(doc: &Doc, pos: lsp::Position, new_name: &str) -> Result<lsp::WorkspaceEdit, String> {
    let (kind, name) = doc
        .symbols
        .at(doc.offset(pos))
        .ok_or("no stage, image or artifact here")?;
    if !matches!(kind, SymKind::Stage | SymKind::Image | SymKind::Artifact) {
        return Err("only a stage, an image or an artifact can be renamed".to_string());
    }
    if !crate::kdl_write::is_bare(new_name) || new_name.is_empty() {
        return Err(format!("`{new_name}` is not a valid name"));
    }
    let def = doc.symbols.find(kind, name).ok_or("no declaration")?;
    if def.from_template {
        return Err(format!(
            "`{name}` is declared by a template; rename it there"
        ));
    }
    let mut spans = vec![def.def];
    spans.extend(doc.symbols.uses(kind, name).map(|r| r.span));
    let edits = spans
        .into_iter()
        .map(|s| lsp::TextEdit::new(doc.range(s), new_name.to_string()))
        .collect();
    let mut changes = std::collections::HashMap::new();
    changes.insert(doc.uri.clone(), edits);
    Ok(lsp::WorkspaceEdit::new(changes))
}

/// Stages, images, artifacts, args and toolchains as an outline.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written.
pub fn document_symbols(doc: &Doc) -> Vec<lsp::DocumentSymbol> {
    doc.symbols
        .defs
        .iter()
        .map(|d| {
            let (kind, detail) = match d.kind {
                SymKind::Stage => (lsp::SymbolKind::CLASS, "stage"),
                SymKind::Image => (lsp::SymbolKind::MODULE, "image"),
                SymKind::Artifact => (lsp::SymbolKind::FILE, "artifact"),
                SymKind::Arg => (lsp::SymbolKind::VARIABLE, "arg"),
                SymKind::Toolchain => (lsp::SymbolKind::PACKAGE, "toolchain"),
            };
            let detail = if d.from_template {
                format!("{detail} (from a template)")
            } else {
                detail.to_string()
            };
            let range = doc.range(d.decl.to(d.def));
            lsp::DocumentSymbol {
                name: d.name.clone(),
                detail: Some(detail),
                kind,
                tags: None,
                deprecated: None,
                range,
                selection_range: doc.range(d.def),
                children: None,
            }
        })
        .collect()
}
