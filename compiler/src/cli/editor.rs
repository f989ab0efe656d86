//! `msbc graph`, `msbc fmt` and `msbc lsp`: the editor commands.

use super::args::{GraphArgs, GraphFormat};
use super::{CliResult, OK, SPEC_ERROR, Spec, print_human, read_spec, templates, write_stdout};
use crate::editor::analysis::{self, Analysis};
use crate::editor::graph::{Format, Graph};
use crate::lower::Selection;
use std::path::PathBuf;

impl Spec {
    /// Like `Spec::check`, keeping the documents.
    fn analyze(&self, template_flags: &[PathBuf]) -> Result<Analysis, String> {
        let from_spec = crate::compile::template_dirs(&self.bytes);
        let catalog = templates::catalog(&self.dir, &from_spec, template_flags)?;
        let files = templates::context_files(&self.dir);
        let contents = templates::project_contents(&self.dir, &files);
        Ok(analysis::analyze(
            &self.bytes,
            crate::expand::Context {
                catalog: &catalog,
                files: &files,
                contents: &contents,
            },
        ))
    }
}

pub(super) fn graph_cmd(a: &GraphArgs) -> CliResult {
    let spec = read_spec(&a.path)?;
    let analysis = spec.analyze(&a.templates)?;
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
