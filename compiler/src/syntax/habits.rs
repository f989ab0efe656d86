//! Habits from Dockerfiles and shells that KDL cannot read, recognised on
//! the line where the KDL parser failed, each with a code of its own that
//! says what to write: a `#` comment (E0006) and a `run` command without
//! quotes (E0007). A `run` whose unquoted words KDL does read (`run npm
//! ci`) is caught by the walker with the same code ([`unquoted_run`]).

use crate::diag::{Code, Diagnostic, Span};

/// A habit found on one line: its report, and the bytes `start..end` (of
/// the parsed text) with what KDL would have read there, of the same
/// length, so that the rest of the file can be parsed again without it.
pub(super) struct Habit {
    pub(super) diagnostic: Diagnostic,
    pub(super) start: usize,
    pub(super) end: usize,
    repair: String,
}

/// The habit on the line of a syntax error at `offset` of `source` (spans
/// in the diagnostic moved by `base`); `None` leaves it a plain E0001.
pub(super) fn at(source: &str, offset: usize, base: usize) -> Option<Habit> {
    let offset = offset.min(source.len());
    let start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = source.get(start..end)?.trim_end_matches('\r');
    let indent = line.len() - line.trim_start().len();
    let text = line.trim();
    let at = start + indent;
    if let Some(comment) = hash_comment(text) {
        let repair = match text.len() {
            1 => " ".to_string(),
            n => format!("//{}", " ".repeat(n - 2)),
        };
        return Some(Habit {
            diagnostic: Diagnostic::new(Code::HashComment, "`#` does not start a comment in KDL")
                .label(
                    Span::new(base + at, base + at + text.len()),
                    "a Dockerfile-style comment",
                )
                .help(format!(
                    "KDL comments start with `//`: `// {comment}` (or `/* ... */` for a block)"
                )),
            start: at,
            end: at + text.len(),
            repair,
        });
    }
    let command = text.strip_prefix("run")?;
    if !command.starts_with([' ', '\t']) {
        return None;
    }
    let command = command.trim().trim_end_matches('{').trim_end();
    let quoted =
        command.starts_with('"') || command.starts_with("#\"") || command.starts_with("##");
    if quoted || command.is_empty() {
        return None;
    }
    let from = at + text.find(command)?;
    let repair = match command.len() {
        1 => "x".to_string(),
        n => format!("\"{}\"", "x".repeat(n - 2)),
    };
    Some(Habit {
        diagnostic: unquoted(Span::new(base + from, base + from + command.len()), command),
        start: from,
        end: from + command.len(),
        repair,
    })
}

/// `source` with each habit's bytes replaced by what KDL reads (the same
/// length: every other span stays where it was).
pub(super) fn repair(source: &str, habits: &[Habit]) -> String {
    let mut out = source.to_string();
    for h in habits {
        if out.is_char_boundary(h.start) && out.is_char_boundary(h.end) {
            out.replace_range(h.start..h.end, &h.repair);
        }
    }
    out
}

/// The text of a `#` comment line (`# text` or `#text`), unless the `#`
/// starts a raw string (`#"..."#`, a valid node name) or a keyword.
fn hash_comment(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('#')?;
    if rest.trim_start_matches('#').starts_with('"') {
        return None;
    }
    let word = rest.split(|c: char| c.is_whitespace()).next().unwrap_or("");
    if matches!(word, "true" | "false" | "null" | "inf" | "-inf" | "nan") {
        return None;
    }
    Some(rest.trim_start_matches('#').trim())
}

/// E0007 for `command`, a `run` script written as bare words at `span`.
pub(super) fn unquoted(span: Span, command: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnquotedCommand,
        "a `run` command must be one quoted string",
    )
    .label(span, "not quoted")
    .help(format!(
        "quote the command: `run {}` (KDL reads bare words as separate values, and some, like `./...`, not at all)",
        crate::kdl_write::quoted(command)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(source: &str, needle: &str) -> Option<Code> {
        let offset = source.find(needle).unwrap_or(0);
        at(source, offset, 0).map(|h| h.diagnostic.code)
    }

    #[test]
    fn recognises_the_habits_and_nothing_else() {
        assert_eq!(code("msbc 1\n# a\n", "#"), Some(Code::HashComment));
        assert_eq!(code("msbc 1\n  #a b\n", "#"), Some(Code::HashComment));
        assert_eq!(code("msbc 1\n#\"raw\"# 1\n", "#"), None);
        assert_eq!(code("msbc 1\n#true\n", "#"), None);
        assert_eq!(
            code("x {\n    run go build ./...\n}\n", "./"),
            Some(Code::UnquotedCommand)
        );
        assert_eq!(code("x {\n    run \"a\" b c./\n}\n", "c./"), None);
        assert_eq!(code("x {\n    runner a./\n}\n", "a./"), None);
    }
}
