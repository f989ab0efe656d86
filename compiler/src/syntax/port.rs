//! Ports for `expose` (grammar: `port.pest`).

use super::ast::{Port, Protocol, Str};
use super::pest_error::{Describe, to_diagnostic};
use crate::diag::{Code, Diagnostic};
use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/port.pest"]
struct PortParser;

impl Describe for Rule {
    fn describe(self) -> &'static str {
        match self {
            Rule::EOI => "the end of the port",
            Rule::port => "a port",
            Rule::number | Rule::range_end => "a port number",
            Rule::protocol => "`tcp`, `udp` or `sctp`",
        }
    }
}

/// Parses `8080`, `53/udp` or `8000-8010/tcp`.
pub fn parse(raw: &Str) -> Result<Port, Diagnostic> {
    let pairs = PortParser::parse(Rule::port, &raw.value).map_err(|e| {
        to_diagnostic(&e, raw, Code::InvalidPort, "invalid port")
            .help("write a port as `8080`, `8080/tcp`, `53/udp` or a range `8000-8010`")
    })?;
    let mut port = Port {
        number: 0,
        end: None,
        protocol: Protocol::Tcp,
    };
    for pair in pairs.flatten() {
        let span = pair.as_span();
        match pair.as_rule() {
            Rule::number | Rule::range_end => {
                let n = pair
                    .as_str()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=65535).contains(n))
                    .ok_or_else(|| {
                        Diagnostic::new(
                            Code::InvalidPort,
                            format!("invalid port `{}`: out of range", raw.value),
                        )
                        .label(
                            raw.sub_span(span.start(), span.end()),
                            "ports are 1 to 65535",
                        )
                    })? as u16;
                if pair.as_rule() == Rule::number {
                    port.number = n;
                } else {
                    if n < port.number {
                        return Err(Diagnostic::new(
                            Code::InvalidPort,
                            format!(
                                "invalid port range `{}`: it ends before it starts",
                                raw.value
                            ),
                        )
                        .label(
                            raw.sub_span(span.start(), span.end()),
                            "smaller than the first port",
                        ));
                    }
                    port.end = Some(n);
                }
            }
            Rule::protocol => {
                port.protocol = match pair.as_str().to_ascii_lowercase().as_str() {
                    "udp" => Protocol::Udp,
                    "sctp" => Protocol::Sctp,
                    _ => Protocol::Tcp,
                }
            }
            _ => {}
        }
    }
    Ok(port)
}

/// A port from an integer value.
pub fn from_integer(n: i128, raw: &Str) -> Result<Port, Diagnostic> {
    match u16::try_from(n) {
        Ok(number) if number > 0 => Ok(Port {
            number,
            end: None,
            protocol: Protocol::Tcp,
        }),
        _ => Err(Diagnostic::new(
            Code::InvalidPort,
            format!("invalid port `{n}`: out of range"),
        )
        .label(raw.span, "ports are 1 to 65535")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn p(s: &str) -> Result<Port, Diagnostic> {
        parse(&Str {
            value: s.into(),
            span: Span::new(0, s.len() + 2),
            content_start: Some(1),
        })
    }

    #[test]
    fn forms() {
        assert_eq!(
            p("8080").expect("ok"),
            Port {
                number: 8080,
                end: None,
                protocol: Protocol::Tcp
            }
        );
        assert_eq!(p("53/udp").expect("ok").protocol, Protocol::Udp);
        assert_eq!(p("8000-8010/tcp").expect("ok").end, Some(8010));
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(
            p("80/tpc").expect_err("proto").labels[0].span,
            Span::new(4, 5)
        );
        assert_eq!(
            p("70000").expect_err("range").labels[0].span,
            Span::new(1, 6)
        );
        assert!(p("").is_err());
    }
}
