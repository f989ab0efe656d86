//! `msbc presets [NAME]`: what templates there are and what they take.

use super::args::PresetsArgs;
use super::templates;
use super::{CliResult, OK};
use crate::diag::did_you_mean;
use crate::expand::{ParamSpec, ParamType, project};
use std::fmt::Write;
use std::path::Path;

pub(super) fn run(a: &PresetsArgs) -> CliResult {
    let catalog = templates::catalog(Path::new("."), &[], &a.templates)?;
    let mut out = String::new();
    match &a.name {
        None => {
            out.push_str("Presets and templates (`use NAME { ... }` in build.kdl; `msbc presets NAME` for details):\n\n");
            let width = catalog.names().map(str::len).max().unwrap_or(0);
            for t in catalog.templates() {
                let summary = catalog
                    .manifest(t)
                    .map_or_else(|e| format!("(broken: {e})"), |m| m.summary);
                let _ = writeln!(out, "  {:<width$}  {summary}", t.name);
            }
        }
        Some(name) => {
            let Some(t) = catalog.get(name) else {
                let hint = did_you_mean(name, catalog.names()).map_or_else(
                    || "; `msbc presets` lists them".to_string(),
                    |s| format!("; did you mean `{s}`?"),
                );
                return Err(format!("no preset or template named `{name}`{hint}"));
            };
            let m = catalog
                .manifest(t)
                .map_err(|e| format!("template `{name}` ({}) is broken: {e}", t.origin))?;
            let _ = writeln!(out, "{name} ({}): {}\n\nParameters:", t.origin, m.summary);
            // A parameter, then the settings of each of its items (`main
            // "./cmd/api" port=8080 { ... }`), indented under it.
            let row = |out: &mut String, indent: usize, p: &ParamSpec| {
                let width = 14 - indent;
                let _ = writeln!(
                    out,
                    "{:indent$}{:<width$} {:<7} {}",
                    "",
                    p.name,
                    type_word(p.ty),
                    describe(p)
                );
            };
            for p in &m.params {
                row(&mut out, 2, p);
                for f in &p.fields {
                    row(&mut out, 4, f);
                }
            }
            if let Some(default) = catalog
                .versions()
                .get(name.as_str())
                .and_then(|v| v.get("version"))
            {
                // Where `use NAME` without `version` takes it from, here.
                let dir = Path::new(".");
                let (_, contents) = templates::context_view(dir, &[]);
                let sources = project::sources(name).unwrap_or("the project's files");
                match project::version(name, &contents, default) {
                    Some(f) => {
                        let _ = writeln!(
                            out,
                            "\nVersion here: {} from {}, unless the spec sets `version`\n(read from {sources}).",
                            f.version, f.from
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "\nVersion here: {default} (stdlib/versions.kdl), unless the spec sets `version`:\nthis folder has none in {sources}."
                        );
                    }
                }
            }
            if let Some(example) = &m.example {
                let _ = write!(out, "\nExample build.kdl:\n\n{}", indent(example));
            }
        }
    }
    super::out::stdout(&out)?;
    Ok(OK)
}

fn type_word(ty: ParamType) -> &'static str {
    match ty {
        ParamType::String => "string",
        ParamType::Int => "int",
        ParamType::Bool => "bool",
        ParamType::List => "list",
        ParamType::Map => "map",
    }
}

fn describe(p: &ParamSpec) -> String {
    let mut s = p.summary.clone();
    if p.required {
        s.push_str(" (required)");
    }
    if let Some(d) = &p.default {
        let _ = write!(s, " [default: {d}]");
    }
    if !p.choices.is_empty() {
        let _ = write!(s, " [one of: {}]", p.choices.join(", "));
    }
    s
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
