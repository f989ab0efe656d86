//! Diagnostics: what every phase reports, with a stable code, a location in
//! `build.kdl`, help text and, where one fits, a "did you mean".
//!
//! Phases never print; they push [`Diagnostic`]s into a [`Diagnostics`] list
//! and go on, so one run reports every problem of a file. Rendering
//! (rustc-style through miette, or JSON) lives in [`render`].

mod codes;
pub mod render;
mod suggest;

pub use codes::Code;
pub use suggest::did_you_mean;

use serde::Serialize;

/// The security warnings that `--strict` makes errors: an image that runs
/// as root (W0001) and a secret-looking value in `env` or an arg default (W0003).
pub const STRICT: &[Code] = &[Code::RootUser, Code::SecretInEnv];

/// A byte range in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The bytes `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether it covers no byte.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<miette::SourceSpan> for Span {
    fn from(s: miette::SourceSpan) -> Self {
        Span::new(s.offset(), s.offset() + s.len())
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be built (exit 1).
    Error,
    /// Worth fixing; the build goes on (an error with `--deny-warnings`).
    Warning,
}

/// A span in the file and what it says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there, shown beside the span.
    pub message: String,
}

/// One finding about the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The stable code (`E0202`).
    pub code: Code,
    /// The code's severity, unless `--strict` raised it.
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: String,
    /// The first label is the primary location.
    pub labels: Vec<Label>,
    /// What to do about it (a "did you mean" where one fits).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code`'s default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a label; the first one is the primary location.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds "did you mean `x`?" as help when a close candidate exists, else
    /// the `otherwise` help.
    pub fn suggest_or<'a, I>(self, wrong: &str, candidates: I, otherwise: impl Into<String>) -> Self
    where
        I: IntoIterator<Item = &'a str>,
    {
        match did_you_mean(wrong, candidates) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None => self.help(otherwise),
        }
    }

    /// Under `--strict`, a warning of a [`STRICT`] code is an error.
    pub fn strict(mut self) -> Self {
        if STRICT.contains(&self.code) {
            self.severity = Severity::Error;
        }
        self
    }

    /// The span of the first label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.list.push(diagnostic);
    }

    /// Applies `f` to every diagnostic (e.g. to move template spans).
    pub fn map(self, f: impl Fn(Diagnostic) -> Diagnostic) -> Diagnostics {
        Diagnostics {
            list: self.list.into_iter().map(f).collect(),
        }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.is_error()).count()
    }

    /// How many warnings.
    pub fn warning_count(&self) -> usize {
        self.list.len() - self.error_count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The diagnostics, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter()
    }

    /// Sorted by position (then code), so output does not depend on which
    /// phase found a problem first.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.list.iter().collect();
        all.sort_by_key(|d| (d.primary_span().map(|s| s.start).unwrap_or(0), d.code));
        all.dedup_by(|a, b| a == b);
        all
    }
}
