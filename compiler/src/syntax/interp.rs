//! `${NAME}` interpolation inside string values (grammar: `interp.pest`).

use super::ast::{Interp, Part, Str};
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/interp.pest"]
struct InterpParser;

impl Describe for Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::EOI => "the end of the value",
            Rule::value => "a value",
            Rule::dollar_dollar => "`$$`",
            Rule::var => "`${NAME}`",
            Rule::name => "a variable name (a letter or `_`, then letters, digits or `_`)",
            Rule::default => "a default value",
            Rule::text => "text",
            Rule::close => "`}`",
        }
    }
}

/// Parses the interpolations in `raw`.
pub fn parse(raw: &Str) -> Result<Interp, Diagnostic> {
    // Most values name no variable: no `$`, one literal (none when empty),
    // as the grammar would give, without running it.
    if !raw.value.contains('$') {
        let parts = if raw.value.is_empty() {
            Vec::new()
        } else {
            vec![Part::Lit(raw.value.clone())]
        };
        return Ok(Interp {
            raw: raw.clone(),
            parts,
        });
    }
    let pairs = InterpParser::parse(Rule::value, &raw.value).map_err(|e| {
        to_diagnostic(
            &e,
            raw,
            Code::InvalidInterpolation,
            "invalid interpolation in",
        )
        .help("write `${NAME}` or `${NAME:-default}`; write `$$` for a literal `$`")
    })?;
    let mut parts: Vec<Part> = Vec::new();
    let push_lit = |parts: &mut Vec<Part>, s: &str| match parts.last_mut() {
        Some(Part::Lit(last)) => last.push_str(s),
        _ => parts.push(Part::Lit(s.to_string())),
    };
    for pair in pairs.flatten() {
        match pair.as_rule() {
            Rule::text => push_lit(&mut parts, pair.as_str()),
            Rule::dollar_dollar => push_lit(&mut parts, "$"),
            Rule::var => {
                let span = pair.as_span();
                let mut name = String::new();
                let mut default = None;
                for inner in pair.into_inner() {
                    match inner.as_rule() {
                        Rule::name => name = inner.as_str().to_string(),
                        Rule::default => default = Some(inner.as_str().to_string()),
                        _ => {}
                    }
                }
                parts.push(Part::Var {
                    name,
                    default,
                    span: raw.sub_span(span.start(), span.end()),
                });
            }
            _ => {}
        }
    }
    Ok(Interp {
        raw: raw.clone(),
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn s(v: &str) -> Str {
        Str {
            value: v.to_string(),
            span: Span::new(10, 12 + v.len()),
            content_start: Some(11),
        }
    }

    /// The shortcut for values without `$` gives what the grammar gives.
    #[test]
    fn a_value_without_a_dollar_is_what_the_grammar_makes_of_it() {
        for v in ["", "plain", "a b\tc", "{x}", "100%", "é ü"] {
            let pairs = InterpParser::parse(Rule::value, v).expect("parses");
            let texts: Vec<&str> = pairs
                .flatten()
                .filter(|p| p.as_rule() == Rule::text)
                .map(|p| p.as_str())
                .collect();
            let want: Vec<Part> = if texts.is_empty() {
                Vec::new()
            } else {
                vec![Part::Lit(texts.concat())]
            };
            assert_eq!(parse(&s(v)).expect("parses").parts, want, "{v:?}");
        }
    }

    #[test]
    fn splits_text_and_variables() {
        let i = parse(&s("golang:${GO_VERSION}-bookworm")).expect("parses");
        assert_eq!(
            i.parts,
            vec![
                Part::Lit("golang:".into()),
                Part::Var {
                    name: "GO_VERSION".into(),
                    default: None,
                    span: Span::new(18, 31)
                },
                Part::Lit("-bookworm".into()),
            ]
        );
    }

    #[test]
    fn dollar_rules() {
        let i = parse(&s("a$$b $HOME ${X:-d e}")).expect("parses");
        assert_eq!(i.parts[0], Part::Lit("a$b $HOME ".into()));
        assert!(
            matches!(&i.parts[1], Part::Var { name, default: Some(d), .. } if name == "X" && d == "d e")
        );
    }

    #[test]
    fn malformed_variable_points_at_the_character() {
        let err = parse(&s("x${1abc}")).expect_err("bad name");
        assert_eq!(err.code, Code::InvalidInterpolation);
        // `1` is at index 3 of the value, which starts at offset 11.
        assert_eq!(err.labels[0].span, Span::new(14, 15));
        let err = parse(&s("${OPEN")).expect_err("unterminated");
        assert_eq!(err.labels[0].span.start, 17);
    }
}
