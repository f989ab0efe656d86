//! `chown` and `chmod` values (grammar: `perms.pest`).

use super::ast::{Chmod, Chown, Str};
use super::interp;
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/perms.pest"]
struct PermsParser;

impl Describe for Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::EOI => "the end of the value",
            Rule::chown => "`user` or `user:group`",
            Rule::owner => "a user or group name or id",
            Rule::interp => "`${NAME}`",
            Rule::chmod | Rule::octal_digit => "an octal mode of 3 or 4 digits (0-7)",
        }
    }
}

pub fn parse_chown(raw: &Str) -> Result<Chown, Diagnostic> {
    PermsParser::parse(Rule::chown, &raw.value).map_err(|e| {
        to_diagnostic(&e, raw, Code::InvalidChown, "invalid chown")
            .help("write `user`, `user:group`, or numeric ids such as `10001:10001`")
    })?;
    Ok(Chown {
        value: interp::parse(raw)?,
    })
}

pub fn parse_chmod(raw: &Str) -> Result<Chmod, Diagnostic> {
    PermsParser::parse(Rule::chmod, &raw.value).map_err(|e| {
        to_diagnostic(&e, raw, Code::InvalidChmod, "invalid chmod")
            .help("write an octal mode such as `0755` or `644`")
    })?;
    let mode = u32::from_str_radix(&raw.value, 8).unwrap_or(0);
    Ok(Chmod {
        text: raw.value.clone(),
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn s(v: &str) -> Str {
        Str {
            value: v.into(),
            span: Span::new(0, v.len() + 2),
            content_start: Some(1),
        }
    }

    #[test]
    fn chown_forms() {
        assert!(parse_chown(&s("10001:10001")).is_ok());
        assert!(parse_chown(&s("app")).is_ok());
        assert!(parse_chown(&s("${UID}:${GID}")).is_ok());
        assert_eq!(
            parse_chown(&s("a b")).expect_err("space").labels[0].span,
            Span::new(2, 3)
        );
    }

    #[test]
    fn chmod_forms() {
        assert_eq!(parse_chmod(&s("0755")).expect("ok").mode, 0o755);
        // The first digit that is not octal: `8`, at index 2 (offset 3).
        assert_eq!(
            parse_chmod(&s("0789")).expect_err("8").labels[0].span,
            Span::new(3, 4)
        );
        assert!(parse_chmod(&s("75")).is_err());
    }
}
