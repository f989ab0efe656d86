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

/// Parses `linux/amd64`, `linux/arm64/v8` or `${BUILDPLATFORM}`; the OS,
/// architecture and variant must be known ones ([`check_known`]).
pub fn parse(raw: &Str) -> Result<Interp, Diagnostic> {
    PlatformParser::parse(Rule::platform, &raw.value).map_err(|e| {
        to_diagnostic(&e, raw, Code::InvalidPlatform, "invalid platform")
            .help("write a platform as `linux/amd64`, `linux/arm64/v8` or `${BUILDPLATFORM}`")
    })?;
    check_known(&raw.value).map_err(|u| {
        Diagnostic::new(Code::InvalidPlatform, u.message)
            .label(raw.sub_span(u.start, u.end), "not a known platform part")
            .help(u.help)
    })?;
    interp::parse(raw)
}

/// Checks a `--platform` flag: `os/arch[/variant]`, known parts.
pub fn check_flag(p: &str) -> Result<(), String> {
    let parts: Vec<&str> = p.split('/').collect();
    let shaped = (2..=3).contains(&parts.len())
        && parts.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        });
    if !shaped {
        return Err(format!(
            "invalid --platform `{p}`: expected os/arch or os/arch/variant, e.g. linux/arm64"
        ));
    }
    check_known(p).map_err(|u| format!("invalid --platform: {}; {}", u.message, u.help))
}

/// The operating systems images are published for (Go's `GOOS` names, as
/// OCI platforms and BuildKit spell them).
pub const OSES: &[&str] = &[
    "linux",
    "windows",
    "darwin",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "aix",
    "android",
    "ios",
    "plan9",
    "js",
    "wasip1",
];

/// The architectures (Go's `GOARCH` names).
pub const ARCHES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "loong64", "mips",
    "mipsle", "mips64", "mips64le", "wasm",
];

/// The variants an architecture has (`linux/arm/v7`, `linux/amd64/v3`).
pub fn variants(arch: &str) -> &'static [&'static str] {
    match arch {
        "arm" => &["v5", "v6", "v7", "v8"],
        "arm64" => &[
            "v8", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9",
            "v9.1", "v9.2", "v9.3", "v9.4", "v9.5",
        ],
        "amd64" => &["v1", "v2", "v3", "v4"],
        "riscv64" => &["rva20u64", "rva22u64"],
        _ => &[],
    }
}

/// What people write for an OS or architecture, and the platform name.
const ALIASES: &[(&str, &str)] = &[
    ("x86_64", "amd64"),
    ("x64", "amd64"),
    ("aarch64", "arm64"),
    ("armhf", "arm"),
    ("armel", "arm"),
    ("armv7", "arm"),
    ("armv7l", "arm"),
    ("armv6", "arm"),
    ("i386", "386"),
    ("i686", "386"),
    ("x86", "386"),
    ("ppc64el", "ppc64le"),
    ("macos", "darwin"),
    ("osx", "darwin"),
    ("win", "windows"),
];

/// A part of a platform that is not in the known set: its byte range in
/// the platform text, what it is, and a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub help: String,
}

/// Checks `os/arch[/variant]` against [`OSES`], [`ARCHES`] and
/// [`variants`]. Parts holding `${...}` are left to the build.
pub fn check_known(platform: &str) -> Result<(), Unknown> {
    let mut start = 0;
    let parts: Vec<(usize, &str)> = platform
        .split('/')
        .map(|p| {
            let at = start;
            start += p.len() + 1;
            (at, p)
        })
        .collect();
    let unknown = |i: usize, what: &str, known: &[&str]| {
        let (at, part) = parts[i];
        let alias = ALIASES
            .iter()
            .find(|(a, _)| *a == part)
            .map(|(_, name)| *name)
            .filter(|name| known.contains(name));
        let help = match alias.or_else(|| crate::diag::did_you_mean(part, known.iter().copied())) {
            Some(s) => format!("did you mean `{s}`?"),
            None if known.is_empty() => format!(
                "`{}` has no variants: write `{}`",
                parts[1].1,
                parts[..2].iter().map(|p| p.1).collect::<Vec<_>>().join("/")
            ),
            None => format!("known {what}s: {}", known.join(", ")),
        };
        Unknown {
            start: at,
            end: at + part.len(),
            message: format!("unknown {what} `{part}` in platform `{platform}`"),
            help,
        }
    };
    let open = |p: &str| p.contains("${");
    if let Some((_, os)) = parts.first()
        && !open(os)
        && !OSES.contains(os)
    {
        return Err(unknown(0, "operating system", OSES));
    }
    if let Some((_, arch)) = parts.get(1)
        && !open(arch)
    {
        if !ARCHES.contains(arch) {
            return Err(unknown(1, "architecture", ARCHES));
        }
        if let Some((_, variant)) = parts.get(2)
            && !open(variant)
            && !variants(arch).contains(variant)
        {
            return Err(unknown(2, "variant", variants(arch)));
        }
    }
    Ok(())
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

    #[test]
    fn parts_must_be_known() {
        let err = p("linux/arm65").expect_err("arm65");
        assert_eq!(err.code, Code::InvalidPlatform);
        assert_eq!(err.labels[0].span, Span::new(7, 12));
        assert_eq!(err.help.as_deref(), Some("did you mean `arm64`?"));
        assert_eq!(
            p("linux/x86_64").expect_err("alias").help.as_deref(),
            Some("did you mean `amd64`?")
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
        assert!(
            check_flag("linux/arm65")
                .expect_err("flag")
                .contains("did you mean `arm64`?")
        );
        assert!(check_flag("linux/arm64/v8").is_ok());
    }
}
