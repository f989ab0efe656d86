//! Rendering diagnostics: rustc-style text (miette), JSON, SARIF 2.1.0 and
//! GitHub Actions workflow commands.

use super::{Code, Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// Whether `c` must not reach a terminal as it is: C0 controls other than
/// tab and newline, DEL, and the C1 controls (`ESC[2J` clears the screen,
/// a lone `\r` overwrites the line).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` with each unsafe control character written as `\u{1b}`, for text
/// from the spec shown in a diagnostic (messages, labels, help).
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The source as [`human`] shows it: unsafe control characters escaped
/// (a `\r` before a newline stays: miette reads CRLF line ends), and for
/// each escaped character its offset and how many bytes it grew by.
fn printable_source(source: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(source.len());
    let mut grown = Vec::new();
    let mut total = 0;
    for (i, c) in source.char_indices() {
        let crlf = c == '\r' && source[i + 1..].starts_with('\n');
        if is_unsafe(c) && !crlf {
            let escaped = c.escape_unicode().to_string();
            total += escaped.len() - c.len_utf8();
            grown.push((i, total));
            out.push_str(&escaped);
        } else {
            out.push(c);
        }
    }
    (out, grown)
}

/// Where `offset` of the source lands in [`printable_source`]'s text.
fn moved(offset: usize, grown: &[(usize, usize)]) -> usize {
    let before = grown.partition_point(|&(at, _)| at < offset);
    offset + before.checked_sub(1).map_or(0, |i| grown[i].1)
}

/// How to draw human-readable diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unicode box drawing with colour (for terminals).
    Color,
    /// Unicode box drawing, no colour (pipes, files, snapshots).
    Plain,
}

/// Renders one diagnostic against its source, rustc-style.
pub fn human(diagnostic: &Diagnostic, file_name: &str, source: &str, style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_urls(false);
    let (shown, grown) = printable_source(source);
    let report = Report {
        diagnostic,
        source_len: shown.len(),
        source: NamedSource::new(printable(file_name), shown),
        grown,
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Rendering into a String cannot fail in practice; fall back to one line.
        out = format!(
            "{}[{}]: {}\n",
            severity_word(diagnostic.severity),
            diagnostic.code,
            printable(&diagnostic.message)
        );
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A one-line summary such as `error: 2 errors and 1 warning in build.kdl`.
pub fn summary(errors: usize, warnings: usize, file_name: &str) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => format!("{file_name}: no problems"),
        (0, w) => format!("{}: {}", file_name, plural(w, "warning")),
        (e, 0) => format!("{}: {}", file_name, plural(e, "error")),
        (e, w) => format!(
            "{}: {} and {}",
            file_name,
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}

struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
    source_len: usize,
    /// Offsets moved by escaping the source (see [`printable_source`]).
    grown: Vec<(usize, usize)>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("code", &self.diagnostic.code)
            .finish()
    }
}

/// The header reads like rustc's: `error[E0202]: no stage named ...`.
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        write!(
            f,
            "{}[{}]: {}",
            severity_word(d.severity),
            d.code,
            printable(&d.message)
        )
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(printable(h).into_owned()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.diagnostic.labels.is_empty() {
            None
        } else {
            Some(&self.source)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.diagnostic.labels.is_empty() {
            return None;
        }
        let len = self.source_len;
        Some(Box::new(self.diagnostic.labels.iter().enumerate().map(
            move |(i, l)| {
                // Clamp so a label can never point past the end of the file.
                let start = moved(l.span.start, &self.grown).min(len);
                let end = moved(l.span.end, &self.grown).clamp(start, len);
                let span = SourceSpan::new(start.into(), end - start);
                let text = (!l.message.is_empty()).then(|| printable(&l.message).into_owned());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            },
        )))
    }
}

/// The machine-readable form (`msbc check --format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// The code (`E0202`).
    pub code: &'a str,
    /// The code's slug (`unknown-stage`).
    pub name: &'a str,
    /// Error or warning.
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: &'a str,
    /// The file, as given on the command line.
    pub file: &'a str,
    /// 1-based line and column (in characters) of the primary label.
    pub line: Option<usize>,
    /// See `line`.
    pub column: Option<usize>,
    /// Every label, the primary one first.
    pub labels: Vec<JsonLabel<'a>>,
    /// What to do about it.
    pub help: Option<&'a str>,
}

/// A label of a [`JsonDiagnostic`]: byte range, line and column, text.
#[derive(Debug, Serialize)]
pub struct JsonLabel<'a> {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, in characters.
    pub column: usize,
    /// What the label says.
    pub message: &'a str,
}

impl<'a> JsonDiagnostic<'a> {
    /// The JSON form of `d`, found in `source` (the text of `file`).
    pub fn new(d: &'a Diagnostic, file: &'a str, source: &str) -> Self {
        let labels: Vec<JsonLabel<'a>> = d
            .labels
            .iter()
            .map(|l| {
                let (line, column) = line_column(source, l.span.start);
                JsonLabel {
                    start: l.span.start,
                    end: l.span.end,
                    line,
                    column,
                    message: &l.message,
                }
            })
            .collect();
        JsonDiagnostic {
            code: d.code.as_str(),
            name: d.code.slug(),
            severity: d.severity,
            message: &d.message,
            file,
            line: labels.first().map(|l| l.line),
            column: labels.first().map(|l| l.column),
            labels,
            help: d.help.as_deref(),
        }
    }
}

/// The primary location of a diagnostic as 1-based (line, column, end line,
/// end column); the end is the character after the label, as SARIF and
/// GitHub count it. `None` for a diagnostic without a label.
fn region(d: &Diagnostic, source: &str) -> Option<(usize, usize, usize, usize)> {
    let span = d.primary_span()?;
    let (line, column) = line_column(source, span.start);
    let (end_line, end_column) = line_column(source, span.end.max(span.start));
    Some((line, column, end_line, end_column))
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The first paragraph of a code's explanation (after its `# CODE: slug` title).
fn first_paragraph(explanation: &str) -> String {
    explanation
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// SARIF 2.1.0 (`msbc check --format sarif`, for GitHub code scanning): one
/// run whose driver lists every code as a rule, one result per diagnostic.
/// `uri` is the spec's path relative to the repository (as given).
pub fn sarif(diagnostics: &[&Diagnostic], uri: &str, source: &str) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.slug(),
                "shortDescription": { "text": c.summary() },
                "fullDescription": { "text": first_paragraph(c.explanation()) },
                "help": { "text": c.explanation(), "markdown": c.explanation() },
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let region = match region(d, source) {
                Some((line, column, end_line, end_column)) => json!({
                    "startLine": line,
                    "startColumn": column,
                    "endLine": end_line,
                    "endColumn": end_column,
                }),
                None => json!({ "startLine": 1 }),
            };
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": region,
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "msbc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// One GitHub Actions workflow command (`msbc check --format github`):
/// `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=E0202 unknown-stage::message`.
pub fn github(d: &Diagnostic, file: &str, source: &str) -> String {
    let mut props = vec![format!("file={}", github_property(file))];
    if let Some((line, column, end_line, end_column)) = region(d, source) {
        props.push(format!("line={line}"));
        props.push(format!("col={column}"));
        props.push(format!("endLine={end_line}"));
        props.push(format!("endColumn={end_column}"));
    }
    props.push(format!(
        "title={}",
        github_property(&format!("{} {}", d.code, d.code.slug()))
    ));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        level(d.severity),
        props.join(","),
        github_data(&printable(&message))
    )
}

/// Escapes a workflow command's message (GitHub's `escapeData`).
pub fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (GitHub's `escapeProperty`).
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// 1-based line and column (counted in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::{github_data, github_property, line_column};

    #[test]
    fn github_escapes_as_the_runner_reads_it() {
        assert_eq!(github_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(github_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn line_column_counts_characters() {
        let src = "ab\nçd\nef";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 3), (2, 1));
        assert_eq!(line_column(src, 5), (2, 2)); // after the two-byte ç
        assert_eq!(line_column(src, 999), (3, 3));
    }
}
