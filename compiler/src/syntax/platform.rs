//! Platforms (grammar: `platform.pest`).

use super::ast::{Interp, Str};
use super::interp;
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/platform.pest"]
struct PlatformParser;

impl Describe for Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::EOI => "the end of the platform",
            Rule::platform | Rule::triple => "`os/arch` or `os/arch/variant`",
            Rule::segment => "a lowercase platform part such as `linux` or `arm64`",
            Rule::interp => "`${NAME}`",
            Rule::slash => "`/`",
        }
    }
}

/// Parses `linux/amd64`, `linux/arm64/v8` or `${BUILDPLATFORM}`.
pub fn parse(raw: &Str) -> Result<Interp, Diagnostic> {
    PlatformParser::parse(Rule::platform, &raw.value).map_err(|e| {
        to_diagnostic(&e, raw, Code::InvalidPlatform, "invalid platform")
            .help("write a platform as `linux/amd64`, `linux/arm64/v8` or `${BUILDPLATFORM}`")
    })?;
    interp::parse(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn p(v: &str) -> Result<Interp, Diagnostic> {
        parse(&Str {
            value: v.into(),
            span: Span::new(0, v.len() + 2),
            content_start: Some(1),
        })
    }

    #[test]
    fn forms() {
        assert!(p("linux/amd64").is_ok());
        assert!(p("linux/arm64/v8").is_ok());
        assert!(p("${BUILDPLATFORM}").is_ok());
        assert_eq!(
            p("linux").expect_err("no arch").labels[0].span,
            Span::new(6, 6)
        );
        assert_eq!(
            p("Linux/amd64").expect_err("upper").labels[0].span,
            Span::new(1, 2)
        );
    }
}
