//! `msbc check` for one spec, and the diagnostic printing `compile`,
//! `lock`, `diff` and fleet mode share.

use super::args::{CheckArgs, Format};
use super::spec::{Spec, read_spec};
use super::{CliResult, OK, SPEC_ERROR, fleet, lock, out, style};
use crate::compile::Checked;
use crate::diag::Diagnostics;
use crate::diag::render::{self, JsonDiagnostic};
use std::io::Write;
use std::path::Path;

/// Prints diagnostics rustc-style to stderr, with a summary line.
pub(super) fn print_human(checked: &Checked, name: &str) {
    let style = style();
    let mut err = std::io::stderr().lock();
    for d in checked.diagnostics.sorted() {
        let _ = write!(err, "{}", render::human(d, name, &checked.text, style));
        let _ = writeln!(err);
    }
    let (e, w) = (
        checked.diagnostics.error_count(),
        checked.diagnostics.warning_count(),
    );
    if e + w > 0 {
        let _ = writeln!(err, "{}", render::summary(e, w, name));
    }
}

pub(super) fn failed(diags: &Diagnostics, deny_warnings: bool) -> bool {
    diags.has_errors() || (deny_warnings && !diags.is_empty())
}

/// `--strict`: the security warnings ([`crate::diag::STRICT`]) become errors.
pub(super) fn strict(mut checked: Checked, strict: bool) -> Checked {
    if strict {
        checked.diagnostics = checked.diagnostics.map(crate::diag::Diagnostic::strict);
    }
    checked
}

/// The spec's path for SARIF: as given, with `/` separators; relative to
/// the working directory when an absolute path lies below it.
pub(super) fn sarif_uri(spec: &Spec) -> String {
    let shown = Path::new(&spec.shown);
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| shown.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| shown.to_path_buf());
    let text = rel.to_string_lossy().replace('\\', "/");
    match text.as_str() {
        "<stdin>" => spec.name.clone(),
        _ => text.strip_prefix("./").unwrap_or(&text).to_string(),
    }
}

pub(super) fn check_cmd(a: &CheckArgs) -> CliResult {
    if fleet::is_fleet(a.all || a.affected.affected, &a.path, &a.more) {
        return fleet::check(a);
    }
    let spec = read_spec(&a.path)?.with_context(a.inputs.context.as_deref());
    let mut checked = strict(spec.check(&a.inputs.templates)?, a.gates.strict);
    lock::read(&spec.dir, &mut checked, a.gates.locked, &[])?;
    match a.format {
        Format::Human => {
            print_human(&checked, &spec.shown);
            if checked.diagnostics.is_empty() {
                say!("{}", render::summary(0, 0, &spec.shown));
            }
        }
        Format::Json => {
            let list: Vec<JsonDiagnostic<'_>> = checked
                .diagnostics
                .sorted()
                .into_iter()
                .map(|d| JsonDiagnostic::new(d, &spec.name, &checked.text))
                .collect();
            let doc = serde_json::json!({
                "file": spec.name,
                "errors": checked.diagnostics.error_count(),
                "warnings": checked.diagnostics.warning_count(),
                "diagnostics": list,
            });
            let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            out::stdout(&format!("{text}\n"))?;
        }
        Format::Sarif => {
            let sorted = checked.diagnostics.sorted();
            let doc = render::sarif(&sorted, &sarif_uri(&spec), &checked.text);
            let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            text.push('\n');
            out::stdout(&text)?;
        }
        Format::Github => {
            let uri = sarif_uri(&spec);
            let mut text = String::new();
            for d in checked.diagnostics.sorted() {
                text.push_str(&render::github(d, &uri, &checked.text));
                text.push('\n');
            }
            out::stdout(&text)?;
        }
    }
    Ok(if failed(&checked.diagnostics, a.gates.deny_warnings) {
        SPEC_ERROR
    } else {
        OK
    })
}
