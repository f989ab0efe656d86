//! What the language server answers, as pure functions of one open spec
//! (its text and [`Analysis`]): diagnostics, quick fixes, hover,
//! completion, definitions and references, symbols, rename. Positions are
//! LSP positions (UTF-16 columns); the protocol loop is `cli/lsp.rs`.

use crate::diag::{Code, Severity, Span};
use crate::editor::analysis::Analysis;
use crate::editor::reference::{self, Place};
use crate::expand::{Catalog, Manifest};
use crate::syntax::ast::{CopyOrigin, Document, Interp, Mount, StageKind, StepKind};
use lsp_types as lsp;

/// Byte offsets ↔ LSP positions (lines, UTF-16 columns).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub fn position(&self, text: &str, offset: usize) -> lsp::Position {
        let offset = floor_char(text, offset.min(text.len()));
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col: usize = text
            .get(start..offset)
            .map(|s| s.chars().map(char::len_utf16).sum())
            .unwrap_or(0);
        lsp::Position::new(line as u32, col as u32)
    }

    pub fn offset(&self, text: &str, pos: lsp::Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .copied()
            .unwrap_or(text.len());
        let line = text.get(start..end).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    pub fn range(&self, text: &str, span: Span) -> lsp::Range {
        lsp::Range::new(
            self.position(text, span.start),
            self.position(text, span.end.max(span.start)),
        )
    }
}

fn floor_char(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The `file:` URI of an absolute path.
pub fn file_uri(path: &str) -> Option<lsp::Url> {
    lsp::Url::from_file_path(path).ok()
}

/// One open spec, checked.
#[derive(Debug)]
pub struct Doc {
    pub uri: lsp::Url,
    pub text: String,
    pub lines: LineIndex,
    pub analysis: Analysis,
    pub symbols: Symbols,
}

impl Doc {
    pub fn new(uri: lsp::Url, text: String, analysis: Analysis) -> Doc {
        let lines = LineIndex::new(&text);
        let symbols = Symbols::collect(&text, &analysis);
        Doc {
            uri,
            text,
            lines,
            analysis,
            symbols,
        }
    }

    fn range(&self, span: Span) -> lsp::Range {
        self.lines.range(&self.text, clamp(span, self.text.len()))
    }

    fn offset(&self, pos: lsp::Position) -> usize {
        self.lines.offset(&self.text, pos)
    }
}

fn clamp(span: Span, len: usize) -> Span {
    Span::new(
        span.start.min(len),
        span.end.min(len).max(span.start.min(len)),
    )
}

// ---- diagnostics and quick fixes ------------------------------------------

/// Every diagnostic `msbc check` reports, in its order, as LSP diagnostics:
/// the same code, message and primary range; the other labels and the
/// help as related information.
pub fn diagnostics(doc: &Doc) -> Vec<lsp::Diagnostic> {
    doc.analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .map(|d| {
            let range = doc.range(d.primary_span().unwrap_or_default());
            let mut related: Vec<lsp::DiagnosticRelatedInformation> = d
                .labels
                .iter()
                .filter(|l| !l.message.is_empty())
                .map(|l| lsp::DiagnosticRelatedInformation {
                    location: lsp::Location::new(doc.uri.clone(), doc.range(l.span)),
                    message: l.message.clone(),
                })
                .collect();
            if let Some(help) = &d.help {
                related.push(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location::new(doc.uri.clone(), range),
                    message: format!("help: {help}"),
                });
            }
            lsp::Diagnostic {
                range,
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                }),
                code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
                source: Some("msbc".to_string()),
                message: d.message.clone(),
                related_information: (!related.is_empty()).then_some(related),
                ..lsp::Diagnostic::default()
            }
        })
        .collect()
}

/// The suggestion of a "did you mean `x`?" help.
fn suggestion(help: &str) -> Option<&str> {
    let rest = help.split("did you mean `").nth(1)?;
    rest.split('`').next().filter(|s| !s.is_empty())
}

/// Quick fixes for the diagnostics overlapping `range`: a "did you mean"
/// replaces the text it labels.
pub fn code_actions(doc: &Doc, range: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
    let (start, end) = (doc.offset(range.start), doc.offset(range.end));
    let mut out = Vec::new();
    let lsp_diags = diagnostics(doc);
    for (d, lsp_d) in doc
        .analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .zip(lsp_diags)
    {
        let (Some(span), Some(help)) = (d.primary_span(), d.help.as_deref()) else {
            continue;
        };
        let Some(fix) = suggestion(help) else {
            continue;
        };
        if span.end > doc.text.len() || span.start > end || span.end < start {
            continue;
        }
        let written = doc.text.get(span.start..span.end).unwrap_or("");
        let new_text = if written.starts_with('"') && written.ends_with('"') && written.len() >= 2 {
            crate::kdl_write::quoted(fix)
        } else {
            fix.to_string()
        };
        let mut changes = std::collections::HashMap::new();
        changes.insert(
            doc.uri.clone(),
            vec![lsp::TextEdit::new(doc.range(span), new_text)],
        );
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Replace with `{fix}`"),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp_d]),
            edit: Some(lsp::WorkspaceEdit::new(changes)),
            is_preferred: Some(true),
            ..lsp::CodeAction::default()
        }));
    }
    out
}

// ---- symbols: definitions and references -----------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymKind {
    Stage,
    Image,
    Artifact,
    Arg,
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

#[derive(Debug, Clone)]
pub struct Sym {
    pub kind: SymKind,
    pub name: String,
    /// The name where it is declared (for template output: the `use`).
    pub def: Span,
    /// The whole declaration.
    pub decl: Span,
    /// Declared by a template (its `use` stands for it).
    pub from_template: bool,
}

#[derive(Debug, Clone)]
pub struct Ref {
    pub kind: SymKind,
    pub name: String,
    pub span: Span,
}

/// The names a spec declares and every place it uses one.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    pub defs: Vec<Sym>,
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
    fn collect(text: &str, analysis: &Analysis) -> Symbols {
        let mut s = Symbols::default();
        let Some(user) = &analysis.user else {
            s.declared_in_lines(text);
            return s;
        };
        for a in &user.args {
            s.def(
                SymKind::Arg,
                &a.name.name,
                name_span(text, a.name.span),
                a.span,
                false,
            );
        }
        for t in &user.toolchains {
            s.def(
                SymKind::Toolchain,
                &t.name.name,
                name_span(text, t.name.span),
                t.span,
                false,
            );
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
            s.def(
                SymKind::Artifact,
                &a.name.name,
                name_span(text, a.name.span),
                a.span,
                false,
            );
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

    fn def(&mut self, kind: SymKind, name: &str, def: Span, decl: Span, from_template: bool) {
        self.defs.push(Sym {
            kind,
            name: name.to_string(),
            def,
            decl,
            from_template,
        });
    }

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
                match &step.kind {
                    StepKind::Copy(c) => match &c.origin {
                        CopyOrigin::From(from) => self.stage_ref(text, from),
                        CopyOrigin::Artifact(a) => self.refs.push(Ref {
                            kind: SymKind::Artifact,
                            name: a.name.clone(),
                            span: name_span(text, a.span),
                        }),
                        CopyOrigin::Context => {}
                    },
                    StepKind::Run(r) => {
                        for m in &r.mounts {
                            if let Mount::Bind(b) = m
                                && let Some(from) = &b.from
                            {
                                self.stage_ref(text, from);
                            }
                        }
                    }
                    _ => {}
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
    fn at(&self, offset: usize) -> Option<(SymKind, &str)> {
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

// ---- the text around the cursor ---------------------------------------------

/// The names of the nodes whose blocks hold `offset`, outermost first,
/// read from the text (so it works on a half-typed spec).
fn enclosing(text: &str, offset: usize) -> Vec<String> {
    let b = text.as_bytes();
    let end = offset.min(b.len());
    let mut stack: Vec<String> = Vec::new();
    let mut stmt_start = 0usize;
    let mut i = 0;
    while i < end {
        match b[i] {
            b'"' => {
                let triple = b[i..].starts_with(b"\"\"\"");
                i += if triple { 3 } else { 1 };
                while i < end {
                    if b[i] == b'\\' {
                        i += 2;
                    } else if triple && b[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else if !triple && b[i] == b'"' {
                        i += 1;
                        break;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < end {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth = depth.saturating_sub(1);
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'{' => {
                let name = text
                    .get(stmt_start..i)
                    .and_then(|s| s.split_whitespace().next())
                    .unwrap_or("")
                    .trim_start_matches("/-")
                    .trim_matches('"')
                    .to_string();
                stack.push(name);
                stmt_start = i + 1;
            }
            b'}' => {
                stack.pop();
                stmt_start = i + 1;
            }
            b'\n' | b';' => stmt_start = i + 1,
            _ => {}
        }
        i += 1;
    }
    stack
}

/// The text of the cursor's line before the cursor.
fn line_prefix(doc: &Doc, offset: usize) -> &str {
    let offset = floor_char(&doc.text, offset.min(doc.text.len()));
    let start = doc.text[..offset].rfind('\n').map_or(0, |i| i + 1);
    &doc.text[start..offset]
}

/// The word (identifier characters) around `offset`.
fn word_at(text: &str, offset: usize) -> Option<(Span, &str)> {
    let offset = floor_char(text, offset.min(text.len()));
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = offset
        + text[offset..]
            .char_indices()
            .find(|(_, c)| !is_word(*c))
            .map_or(text.len() - offset, |(i, _)| i);
    (start < end).then(|| (Span::new(start, end), &text[start..end]))
}

fn place_of(stack: &[String]) -> Place {
    match stack.last() {
        None => Place::TopLevel,
        Some(parent) => reference::place_inside(parent),
    }
}

// ---- hover ------------------------------------------------------------------

fn markdown(value: String) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

/// A preset's parameters as a Markdown list.
pub fn preset_doc(catalog: &Catalog, name: &str) -> Option<String> {
    let t = catalog.get(name)?;
    let m = Manifest::parse(&t.manifest).ok()?;
    let mut out = format!("**use {name}**: {}\n\n", m.summary);
    for p in &m.params {
        out.push_str(&format!("- `{}`: {}", p.name, p.ty.describe()));
        if let Some(d) = &p.default {
            out.push_str(&format!(", default `{d}`"));
        }
        if p.required {
            out.push_str(", required");
        }
        if !p.choices.is_empty() {
            out.push_str(&format!(", one of {}", p.choices.join(", ")));
        }
        if !p.summary.is_empty() {
            out.push_str(&format!(" — {}", p.summary));
        }
        out.push('\n');
    }
    Some(out)
}

fn code_doc(code: Code) -> String {
    format!(
        "**{} {}**: {}\n\n{}",
        code.as_str(),
        code.slug(),
        code.summary(),
        code.explanation()
    )
}

pub fn hover(doc: &Doc, catalog: &Catalog, pos: lsp::Position) -> Option<lsp::Hover> {
    let offset = doc.offset(pos);
    // An arg reference: its default.
    if let Some((SymKind::Arg, name)) = doc.symbols.at(offset) {
        let default = doc
            .analysis
            .user
            .as_ref()
            .and_then(|u| u.args.iter().find(|a| a.name.name == name))
            .and_then(|a| a.default.as_ref())
            .map(|d| format!("default `{}`", d.value))
            .unwrap_or_else(|| {
                "no default: give it at build time (`--arg`/`--build-arg`)".to_string()
            });
        return Some(markdown(format!("**arg {name}**: {default}")));
    }
    let (span, word) = word_at(&doc.text, offset)?;
    // A code, e.g. in a comment.
    if let Ok(code) = word.parse::<Code>()
        && word.len() == 5
    {
        return Some(markdown(code_doc(code)));
    }
    let prefix = doc.text.get(..span.start).unwrap_or("");
    let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
    let before = &prefix[line_start..];
    let stack = enclosing(&doc.text, span.start);
    // `use NAME`: the preset's parameters.
    if before.trim() == "use" || before.trim_end().ends_with("use \"") || before.trim() == "use \""
    {
        let name = word.trim_matches('"');
        if let Some(text) = preset_doc(catalog, name) {
            return Some(markdown(text));
        }
    }
    // A node name: its reference.
    if before.trim().is_empty() {
        if let Some(n) = reference::node(word, place_of(&stack)) {
            let mut text = format!("**{}**: {}\n\n`{}`", n.name, n.summary, n.usage);
            if !n.props.is_empty() {
                text.push_str("\n\n");
                for p in n.props {
                    text.push_str(&format!("- `{}`: {}\n", p.name, p.summary));
                }
            }
            return Some(markdown(text));
        }
    }
    // A property: its line of the reference.
    if doc.text[span.end..].starts_with('=') {
        let node_name = before.split_whitespace().next().unwrap_or("");
        if let Some(n) = reference::node(node_name, place_of(&stack))
            && let Some(p) = n.props.iter().find(|p| p.name == word)
        {
            let mut text = format!("**{}=** ({}): {}", p.name, n.name, p.summary);
            if !p.values.is_empty() {
                text.push_str(&format!("\n\nOne of {}", p.values.join(", ")));
            }
            return Some(markdown(text));
        }
    }
    // Inside a diagnostic's range: its explanation.
    let hit = doc
        .analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .find(|d| {
            d.primary_span()
                .is_some_and(|s| s.start <= offset && offset <= s.end)
        });
    hit.map(|d| markdown(format!("{}\n\n{}", d.message, code_doc(d.code))))
}

// ---- completion -------------------------------------------------------------

fn item(label: &str, kind: lsp::CompletionItemKind, detail: &str) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        ..lsp::CompletionItem::default()
    }
}

fn manifest(catalog: &Catalog, name: &str) -> Option<Manifest> {
    Manifest::parse(&catalog.get(name)?.manifest).ok()
}

pub fn completion(doc: &Doc, catalog: &Catalog, pos: lsp::Position) -> Vec<lsp::CompletionItem> {
    use lsp::CompletionItemKind as K;
    let offset = floor_char(&doc.text, doc.offset(pos).min(doc.text.len()));
    let prefix = line_prefix(doc, offset);
    let stack = enclosing(&doc.text, offset);
    let names = |kinds: &[SymKind]| -> Vec<lsp::CompletionItem> {
        doc.symbols
            .defs
            .iter()
            .filter(|d| kinds.contains(&d.kind))
            .map(|d| {
                let detail = match d.kind {
                    SymKind::Stage => "stage",
                    SymKind::Image => "image",
                    SymKind::Artifact => "artifact",
                    SymKind::Arg => "arg",
                    SymKind::Toolchain => "toolchain",
                };
                item(&d.name, K::REFERENCE, detail)
            })
            .collect()
    };
    // Inside `${`: arg names and the platform args.
    if let Some(open) = prefix.rfind("${")
        && !prefix[open..].contains('}')
    {
        let mut out: Vec<lsp::CompletionItem> = doc
            .symbols
            .defs
            .iter()
            .filter(|d| d.kind == SymKind::Arg)
            .map(|d| {
                let default = doc
                    .analysis
                    .user
                    .as_ref()
                    .and_then(|u| u.args.iter().find(|a| a.name.name == d.name))
                    .and_then(|a| a.default.as_ref())
                    .map(|v| format!("arg, default {}", v.value))
                    .unwrap_or_else(|| "arg".to_string());
                item(&d.name, K::VARIABLE, &default)
            })
            .collect();
        out.extend(
            crate::lower::PLATFORM_ARGS
                .iter()
                .map(|a| item(a, K::CONSTANT, "platform arg (BuildKit)")),
        );
        return out;
    }
    // After `key=`: names, or the property's values.
    let last = prefix.rsplit([' ', '\t']).next().unwrap_or("");
    if let Some((key, _partial)) = last.split_once('=') {
        return match key {
            "from" => {
                let mut out = names(&[SymKind::Stage, SymKind::Image]);
                out.push(item("scratch", K::KEYWORD, "the empty filesystem"));
                out
            }
            "artifact" => names(&[SymKind::Artifact]),
            "toolchain" => names(&[SymKind::Toolchain]),
            _ => {
                let node_name = prefix.split_whitespace().next().unwrap_or("");
                if node_name == "use" {
                    let preset = prefix
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .trim_matches('"');
                    return manifest(catalog, preset)
                        .and_then(|m| m.params.into_iter().find(|p| p.name == key))
                        .map(|p| {
                            p.choices
                                .iter()
                                .map(|c| item(&crate::kdl_write::quoted(c), K::ENUM_MEMBER, ""))
                                .collect()
                        })
                        .unwrap_or_default();
                }
                reference::node(node_name, place_of(&stack))
                    .and_then(|n| n.props.iter().find(|p| p.name == key))
                    .map(|p| {
                        p.values
                            .iter()
                            .map(|v| item(v, K::ENUM_MEMBER, p.summary))
                            .collect()
                    })
                    .unwrap_or_default()
            }
        };
    }
    let words: Vec<&str> = prefix.split_whitespace().collect();
    let starting = prefix.ends_with([' ', '\t']) || prefix.is_empty();
    let typing_first = words.is_empty() || (words.len() == 1 && !starting);
    // `use `: the presets and templates.
    if words.first() == Some(&"use")
        && (words.len() == 1 && starting || words.len() == 2 && !starting)
    {
        return catalog
            .names()
            .map(|n| {
                let summary = manifest(catalog, n).map(|m| m.summary).unwrap_or_default();
                item(n, K::MODULE, &summary)
            })
            .collect();
    }
    let in_use_block = stack.last().is_some_and(|p| p == "use");
    if typing_first {
        if in_use_block {
            // A parameter as a child node: `main "./cmd"`.
            let preset = use_name_before(&doc.text, offset);
            return manifest(catalog, &preset)
                .map(|m| {
                    m.params
                        .iter()
                        .map(|p| item(&p.name, K::FIELD, p.ty.describe()))
                        .collect()
                })
                .unwrap_or_default();
        }
        return reference::nodes_at(place_of(&stack))
            .map(|n| item(n.name, K::KEYWORD, n.summary))
            .collect();
    }
    // After the node name: its properties (or a preset's parameters).
    let node_name = words.first().copied().unwrap_or("");
    if node_name == "use" {
        let preset = words.get(1).copied().unwrap_or("").trim_matches('"');
        return manifest(catalog, preset)
            .map(|m| {
                m.params
                    .iter()
                    .map(|p| {
                        let mut i = item(&format!("{}=", p.name), K::FIELD, p.ty.describe());
                        i.documentation = (!p.summary.is_empty())
                            .then(|| lsp::Documentation::String(p.summary.clone()));
                        i
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    reference::node(node_name, place_of(&stack))
        .map(|n| {
            n.props
                .iter()
                .map(|p| item(&format!("{}=", p.name), K::PROPERTY, p.summary))
                .collect()
        })
        .unwrap_or_default()
}

/// The preset of the innermost `use NAME {` block before `offset`.
fn use_name_before(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or("");
    before
        .rmatch_indices("use ")
        .map(|(i, _)| &before[i + 4..])
        .find_map(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .trim_matches('"')
        .trim_end_matches('{')
        .to_string()
}

// ---- formatting and the graph -----------------------------------------------

/// `msbc fmt` as one edit of the whole document (none when formatted).
pub fn formatting(doc: &Doc) -> Result<Vec<lsp::TextEdit>, String> {
    match crate::editor::fmt::format(&doc.text) {
        Ok(text) if text == doc.text => Ok(Vec::new()),
        Ok(text) => Ok(vec![lsp::TextEdit::new(
            doc.range(Span::new(0, doc.text.len())),
            text,
        )]),
        Err(crate::editor::fmt::FmtError::Syntax(_)) => {
            Err("the spec is not valid KDL; fix the syntax errors first".to_string())
        }
        Err(crate::editor::fmt::FmtError::Changed) => {
            Err("msbc fmt cannot format this spec without changing it".to_string())
        }
    }
}

/// `msbc graph` of the document.
pub fn graph(doc: &Doc, format: crate::editor::graph::Format) -> Result<String, String> {
    if doc.analysis.checked.diagnostics.has_errors() {
        return Err("the spec has errors; `msbc check` lists them".to_string());
    }
    let expanded = doc
        .analysis
        .expanded
        .as_ref()
        .ok_or("the spec has errors")?;
    Ok(crate::editor::graph::Graph::of(expanded, None).render(format))
}

/// For tests and the benchmark: the diagnostics' codes.
pub fn codes(doc: &Doc) -> Vec<&'static str> {
    doc.analysis
        .checked
        .diagnostics
        .sorted()
        .into_iter()
        .map(|d| d.code.as_str())
        .collect()
}
