//! Durations for healthchecks (grammar: `duration.pest`).

use super::ast::{Duration, Str};
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/duration.pest"]
struct DurationParser;

impl Describe for Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::EOI => "the end of the duration",
            Rule::duration => "a duration",
            Rule::amount => "a number",
            Rule::unit => "a unit (`ms`, `s`, `m` or `h`)",
        }
    }
}

/// Parses `30s`, `1m30s`, `1.5s`, `500ms`.
pub fn parse(raw: &Str) -> Result<Duration, Diagnostic> {
    let pairs = DurationParser::parse(Rule::duration, &raw.value).map_err(|e| {
        to_diagnostic(&e, raw, Code::InvalidDuration, "invalid duration")
            .help("write a duration as a number and a unit, e.g. `30s`, `1m30s` or `500ms`")
    })?;
    let mut nanos: f64 = 0.0;
    let mut amount: f64 = 0.0;
    for pair in pairs.flatten() {
        match pair.as_rule() {
            Rule::amount => amount = pair.as_str().parse().unwrap_or(0.0),
            Rule::unit => {
                let scale = match pair.as_str() {
                    "ns" => 1.0,
                    "us" | "µs" => 1e3,
                    "ms" => 1e6,
                    "s" => 1e9,
                    "m" => 60e9,
                    _ => 3600e9,
                };
                nanos += amount * scale;
            }
            _ => {}
        }
    }
    Ok(Duration {
        text: raw.value.clone(),
        nanos: nanos.round() as u128,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn p(s: &str) -> Result<Duration, Diagnostic> {
        parse(&Str {
            value: s.into(),
            span: Span::new(0, s.len() + 2),
            content_start: Some(1),
        })
    }

    #[test]
    fn sums_units() {
        assert_eq!(p("1m30s").expect("ok").nanos, 90_000_000_000);
        assert_eq!(p("1.5s").expect("ok").nanos, 1_500_000_000);
        assert_eq!(p("500ms").expect("ok").nanos, 500_000_000);
    }

    #[test]
    fn missing_unit_is_located() {
        let err = p("30").expect_err("no unit");
        assert_eq!(err.code, Code::InvalidDuration);
        assert_eq!(err.labels[0].span, Span::new(3, 3));
        assert_eq!(
            p("5x").expect_err("bad unit").labels[0].span,
            Span::new(2, 3)
        );
    }
}
