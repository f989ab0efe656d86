//! `msbc graph`, `msbc fmt` and `msbc lsp`: the editor commands.

use super::args::{FmtArgs, GraphArgs, GraphFormat};
use super::{CliResult, OK, SPEC_ERROR, Spec, print_human, read_spec, templates, write_stdout};
use crate::compile::Checked;
use crate::editor::analysis::{self, Analysis};
use crate::editor::fmt::{self, FmtError};
use crate::editor::graph::{Format, Graph};
use crate::lower::Selection;
use std::path::PathBuf;

impl Spec {
    /// Like `Spec::check`, keeping the documents.
    fn analyze(&self, template_flags: &[PathBuf]) -> Result<Analysis, String> {
        let from_spec = crate::compile::template_dirs(&self.bytes);
        let context = self.context_of()?;
        let catalog = templates::catalog(&self.dir, &from_spec, template_flags)?;
        let ignore = crate::compile::parse(&self.bytes).context_ignore();
        let (files, contents) = templates::context_view(&context.root, &ignore);
        Ok(analysis::analyze(
            &self.bytes,
            crate::expand::Context {
                catalog: &catalog,
                files: &files,
                contents: &contents,
                service_dir: &context.service_dir,
            },
        ))
    }
}

pub(super) fn graph_cmd(a: &GraphArgs) -> CliResult {
    let spec = read_spec(&a.path)?.with_context(a.inputs.context.as_deref());
    let analysis = spec.analyze(&a.inputs.templates)?;
    print_human(&analysis.checked, &spec.shown);
    let (Some(model), Some(doc)) = (&analysis.checked.model, &analysis.expanded) else {
        return Ok(SPEC_ERROR);
    };
    if analysis.checked.diagnostics.has_errors() {
        return Ok(SPEC_ERROR);
    }
    let selection = Selection {
        image: a.image.clone(),
        target: a.target.clone(),
        ..Selection::default()
    };
    crate::lower::select(model, &selection).map_err(|e| e.to_string())?;
    let selected = a.target.as_deref().or(a.image.as_deref());
    let format = match a.format {
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Dot => Format::Dot,
    };
    write_stdout(&Graph::of(doc, selected).render(format))?;
    Ok(OK)
}

pub(super) fn fmt_cmd(a: &FmtArgs) -> CliResult {
    let stdin = a.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && a.paths.len() > 1 {
        return Err("`-` (stdin) cannot be combined with other paths".to_string());
    }
    let mut code = OK;
    let paths = if stdin {
        a.paths.clone()
    } else {
        super::fleet::fmt_paths(&a.paths)?
    };
    for path in &paths {
        let spec = read_spec(path)?;
        let text = match crate::syntax::decode(&spec.bytes) {
            Ok(text) => text,
            Err(d) => {
                let mut diagnostics = crate::diag::Diagnostics::new();
                diagnostics.push(d);
                print_human(
                    &Checked {
                        text: crate::syntax::lossy(&spec.bytes),
                        diagnostics,
                        model: None,
                    },
                    &spec.shown,
                );
                code = SPEC_ERROR;
                continue;
            }
        };
        let formatted = match fmt::format(text) {
            Ok(f) => f,
            Err(FmtError::Syntax(diagnostics)) => {
                print_human(
                    &Checked {
                        text: text.to_string(),
                        diagnostics,
                        model: None,
                    },
                    &spec.shown,
                );
                code = SPEC_ERROR;
                continue;
            }
            Err(FmtError::Changed) => {
                return Err(format!(
                    "{}: formatting would change what the spec says; left as it is (a bug in msbc fmt: please report it)",
                    spec.shown
                ));
            }
        };
        if a.check {
            if formatted != text {
                let diff = similar::TextDiff::from_lines(text, &formatted);
                write_stdout(&format!(
                    "{}",
                    diff.unified_diff().context_radius(2).header(
                        &format!("{} (as written)", spec.shown),
                        &format!("{} (formatted)", spec.shown)
                    )
                ))?;
                code = SPEC_ERROR;
            }
        } else if stdin {
            write_stdout(&formatted)?;
        } else if formatted != text {
            std::fs::write(&spec.shown, &formatted)
                .map_err(|e| format!("cannot write {}: {e}", spec.shown))?;
        }
    }
    if a.check && code == SPEC_ERROR {
        say!("to format, run: msbc fmt {}", shown_paths(&a.paths));
    }
    Ok(code)
}

fn shown_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
