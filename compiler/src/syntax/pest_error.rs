//! Turning a pest error inside a string value into a located diagnostic.

use super::ast::Str;
use crate::diag::{Code, Diagnostic};
use pest::RuleType;
use pest::error::{ErrorVariant, InputLocation};

/// Describes a grammar rule in prose, for "expected ..." messages.
pub(crate) trait Describe: RuleType {
    fn describe(self) -> &'static str;
}

/// A diagnostic for a pest error in `value`, labelled at the character
/// where parsing stopped (or the whole value, where the file's text is not
/// the value verbatim).
pub(crate) fn to_diagnostic<R: Describe>(
    err: &pest::error::Error<R>,
    value: &Str,
    code: Code,
    what: &str,
) -> Diagnostic {
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, next_char_end(&value.value, p)),
        InputLocation::Span((s, e)) => (s, e),
    };
    let expected = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } if !positives.is_empty() => {
            let mut words: Vec<&str> = positives.iter().map(|r| r.describe()).collect();
            words.dedup();
            format!("expected {}", join_or(&words))
        }
        ErrorVariant::ParsingError { .. } => "unexpected character".to_string(),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let found = match value.value[start.min(value.value.len())..].chars().next() {
        Some(c) => format!("found `{}`", c.escape_default()),
        None => "found the end of the value".to_string(),
    };
    Diagnostic::new(
        code,
        format!("{what} `{}`: {expected}", value.value.escape_default()),
    )
    .label(value.sub_span(start, end), format!("{expected}, {found}"))
}

fn next_char_end(s: &str, at: usize) -> usize {
    s.get(at..)
        .and_then(|rest| rest.chars().next())
        .map(|c| at + c.len_utf8())
        .unwrap_or(at)
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}
