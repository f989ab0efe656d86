//! Platforms (grammar: `platform.pest`).

use super::ast::{Interp, Str};
use super::interp;
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
use crate::domain::platform;
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
            Rule::segment => "a platform part such as `linux` or `arm64`",
            Rule::interp => "`${NAME}`",
            Rule::slash => "`/`",
        }
    }
}

/// Parses `linux/amd64`, `linux/arm64/v8` or `${BUILDPLATFORM}` by the one
/// platform rule ([`crate::domain::platform`]); a value with `${...}` has
/// its shape checked by the grammar, and its parts without `${` by the rule.
pub fn parse(raw: &Str) -> Result<Interp, Diagnostic> {
    if raw.value.contains("${") {
        PlatformParser::parse(Rule::platform, &raw.value).map_err(|e| {
            to_diagnostic(&e, raw, Code::InvalidPlatform, "invalid platform")
                .help("write a platform as `linux/amd64`, `linux/arm64/v8` or `${BUILDPLATFORM}`")
        })?;
    }
    platform::check_template(&raw.value).map_err(|u| {
        Diagnostic::new(Code::InvalidPlatform, u.message)
            .label(raw.sub_span(u.start, u.end), u.label)
            .help(u.help)
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
            Span::new(1, 6)
        );
        let e = p("linux-arm64").expect_err("dash");
        assert_eq!(e.labels[0].span, Span::new(6, 7));
        assert_eq!(e.help.as_deref(), Some("did you mean `linux/arm64`?"));
        assert_eq!(
            p("${A}/arm64/v8/x").expect_err("four parts").code,
            Code::InvalidPlatform
        );
        // Any case, as containerd reads it (normalized when built).
        assert!(p("Linux/AMD64").is_ok());
        assert_eq!(
            p("linux/amd 64").expect_err("space").labels[0].span,
            Span::new(7, 13)
        );
    }

    #[test]
    fn parts_must_be_known() {
        let err = p("linux/arm65").expect_err("arm65");
        assert_eq!(err.code, Code::InvalidPlatform);
        assert_eq!(err.labels[0].span, Span::new(7, 12));
        assert_eq!(err.help.as_deref(), Some("did you mean `arm64`?"));
        // containerd's aliases are normalized; others get a "did you mean".
        assert!(p("linux/x86_64").is_ok());
        assert_eq!(
            p("linux/x64").expect_err("alias").help.as_deref(),
            Some("did you mean `amd64`?")
        );
        assert_eq!(
            p("linux/arm-v7").expect_err("dash").help.as_deref(),
            Some("did you mean `arm`?")
        );
        assert!(
            p("linx/amd64")
                .expect_err("os")
                .message
                .contains("operating system `linx`")
        );
        assert!(
            p("linux/arm/v9")
                .expect_err("variant")
                .message
                .contains("variant `v9`")
        );
        assert!(p("linux/386/v1").is_err());
        for ok in [
            "linux/arm/v7",
            "linux/amd64/v3",
            "windows/amd64",
            "linux/${TARGETARCH}",
            "${TARGETOS}/arm64",
        ] {
            assert!(p(ok).is_ok(), "{ok}");
        }
    }
}
