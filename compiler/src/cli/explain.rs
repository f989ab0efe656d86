//! `msbc explain`: the long explanation of a diagnostic or import code, or
//! the reference of a node of the language (`msbc explain copy`).

use super::args::ExplainArgs;
use super::{CliResult, OK, out};
use crate::diag::{Code, did_you_mean};
use crate::editor::reference;
use crate::import::ImportCode;

pub(super) fn explain_cmd(a: &ExplainArgs) -> CliResult {
    let Some(code) = &a.code else {
        let mut out = String::from("Diagnostic codes (msbc explain CODE for details):\n\n");
        for c in Code::ALL {
            out.push_str(&format!(
                "  {}  {:<24} {}\n",
                c.as_str(),
                c.slug(),
                c.summary()
            ));
        }
        out.push_str("\nImport codes (msbc import):\n\n");
        for c in ImportCode::ALL {
            out.push_str(&format!(
                "  {}  {:<24} {}\n",
                c.as_str(),
                c.slug(),
                import_code_text(*c).0
            ));
        }
        out.push_str("\nNodes of the language (msbc explain NODE for its reference):\n\n");
        for line in wrap(&reference::names().join(", "), 76) {
            out.push_str(&format!("  {line}\n"));
        }
        out::stdout(&out)?;
        return Ok(OK);
    };
    let import = ImportCode::ALL
        .iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(code) || c.slug() == code);
    let node = reference::explain(code);
    match (code.parse::<Code>(), import, node) {
        (Ok(c), _, _) => {
            out::stdout(c.explanation())?;
            Ok(OK)
        }
        (Err(()), Some(c), _) => {
            out::stdout(import_code_text(*c).1)?;
            Ok(OK)
        }
        (Err(()), None, Some(text)) => {
            out::stdout(&text)?;
            Ok(OK)
        }
        (Err(()), None, None) => {
            let nodes = reference::names();
            let all: Vec<&str> = Code::ALL
                .iter()
                .map(|c| c.as_str())
                .chain(Code::ALL.iter().map(|c| c.slug()))
                .chain(ImportCode::ALL.iter().map(|c| c.as_str()))
                .chain(ImportCode::ALL.iter().map(|c| c.slug()))
                .chain(nodes.iter().copied())
                .collect();
            let hint = match did_you_mean(&code.to_uppercase(), all.iter().copied())
                .or_else(|| did_you_mean(code, all))
            {
                Some(s) => format!("; did you mean `{s}`?"),
                None => "; `msbc explain` lists them all".to_string(),
            };
            Err(format!("no diagnostic code or node `{code}`{hint}"))
        }
    }
}

/// `text` broken into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// An import code's one-line summary and long explanation (`msbc explain
/// I003`): import codes are not spec diagnostics (`crate::import`), but
/// `msbc import` prints them, so `explain` knows them too.
fn import_code_text(code: ImportCode) -> (&'static str, &'static str) {
    match code {
        ImportCode::UnsupportedInstruction => (
            "an instruction the spec has no equivalent for (left out)",
            include_str!("explain/I001.md"),
        ),
        ImportCode::UnsupportedFlag => (
            "a flag or option the spec cannot express (dropped)",
            include_str!("explain/I002.md"),
        ),
        ImportCode::UnmappedVariable => (
            "a variable that is no declared ARG or earlier ENV (kept literal)",
            include_str!("explain/I003.md"),
        ),
        ImportCode::RemoteAdd => (
            "ADD of a URL, git repository or archive (left out)",
            include_str!("explain/I004.md"),
        ),
        ImportCode::Approximated => (
            "written in an equivalent but different form",
            include_str!("explain/I005.md"),
        ),
        ImportCode::NotText => (
            "the input is not UTF-8 text",
            include_str!("explain/I101.md"),
        ),
        ImportCode::NotDockerfile => (
            "the input does not parse as a Dockerfile",
            include_str!("explain/I102.md"),
        ),
        ImportCode::NoStage => ("the input has no FROM", include_str!("explain/I103.md")),
    }
}
