//! Image references in the spec (grammar: `image_ref.pest`): located
//! errors, and the one [`ImageRef`] type with `${...}` kept in its parts.

use super::ast::Str;
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
pub use crate::domain::ImageRef;
use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/image_ref.pest"]
struct ImageRefParser;

impl Describe for Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::EOI => "the end of the reference",
            Rule::reference => "an image reference",
            Rule::name => "a repository name",
            Rule::domain | Rule::host_label => "a registry host",
            Rule::component | Rule::lower_run => {
                "a lowercase name part (letters a-z, digits, `.`, `_`, `-`)"
            }
            Rule::separator => "a separator (`.`, `_`, `__` or `-`)",
            Rule::tag => "a tag (letters, digits, `_`, `.`, `-`)",
            Rule::digest => "a digest such as `sha256:<64 hex digits>`",
            Rule::algorithm => "a digest algorithm",
            Rule::interp => "`${NAME}`",
        }
    }
}

/// Parses `raw` (interpolations allowed in every part).
pub fn parse(raw: &Str) -> Result<ImageRef, Diagnostic> {
    let text = raw.value.as_str();
    let pairs = ImageRefParser::parse(Rule::reference, text).map_err(|e| {
        let d = to_diagnostic(&e, raw, Code::InvalidImageReference, "invalid image reference");
        let lower = lowercase_name(text);
        if lower != text && ImageRefParser::parse(Rule::reference, &lower).is_ok() {
            d.help(format!("repository names are lowercase: `{lower}`"))
        } else {
            d.help("an image reference looks like `registry.example.com/team/app:1.2` or `alpine:3.20@sha256:...`")
        }
    })?;
    let mut image = ImageRef {
        domain: None,
        path: String::new(),
        tag: None,
        digest: None,
    };
    let mut path_parts: Vec<&str> = Vec::new();
    for pair in pairs.flatten() {
        match pair.as_rule() {
            Rule::domain => image.domain = Some(pair.as_str().to_string()),
            Rule::component => path_parts.push(pair.as_str()),
            Rule::tag => image.tag = Some(pair.as_str().to_string()),
            Rule::digest => image.digest = Some(pair.as_str().to_string()),
            _ => {}
        }
    }
    image.path = path_parts.join("/");
    if let Some(tag) = &image.tag
        && tag.len() > 128
    {
        let start = text.len() - tag.len() - image.digest.as_ref().map_or(0, |d| d.len() + 1);
        return Err(Diagnostic::new(
            Code::InvalidImageReference,
            format!("invalid image reference `{text}`: the tag is longer than 128 characters"),
        )
        .label(raw.sub_span(start, start + tag.len()), "this tag"));
    }
    Ok(image)
}

/// `text` with its repository name (before a tag or digest) lowercased.
fn lowercase_name(text: &str) -> String {
    let name_end = text
        .rfind(':')
        .filter(|i| !text[*i..].contains('/'))
        .or_else(|| text.find('@'))
        .unwrap_or(text.len());
    format!(
        "{}{}",
        text[..name_end].to_ascii_lowercase(),
        &text[name_end..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<ImageRef, Diagnostic> {
        parse(&Str {
            value: s.into(),
            span: crate::diag::Span::new(0, s.len() + 2),
            content_start: Some(1),
        })
    }

    #[test]
    fn splits_registry_path_tag_digest() {
        let r = p("gcr.io/distroless/static-debian12:nonroot").expect("ok");
        assert_eq!(r.domain.as_deref(), Some("gcr.io"));
        assert_eq!(r.path, "distroless/static-debian12");
        assert_eq!(r.tag.as_deref(), Some("nonroot"));
        let r = p("localhost:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").expect("ok");
        assert_eq!(r.domain.as_deref(), Some("localhost:5000"));
        assert!(r.digest.is_some() && r.tag.is_none());
        let r = p("library/golang:${GO_VERSION}-bookworm").expect("ok");
        assert_eq!((r.domain, r.path.as_str()), (None, "library/golang"));
    }

    #[test]
    fn uppercase_is_located() {
        let err = p("golang/Foo:1").expect_err("uppercase");
        assert_eq!(err.code, Code::InvalidImageReference);
        // "golang/" is 7 bytes; the value starts at offset 1.
        assert_eq!(err.labels[0].span.start, 8);
    }
}
