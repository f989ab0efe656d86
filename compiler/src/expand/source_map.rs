//! Where each template's output sits in the virtual source, and back.

use crate::diag::{Diagnostic, Label, Span};
/// Where each template's output sits in the virtual source.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub(super) regions: Vec<Region>,
}

#[derive(Debug, Clone)]
pub(super) struct Region {
    pub(super) start: usize,
    pub(super) end: usize,
    /// The `use` node that made it (possibly inside another region); `None`
    /// for a `policy.kdl`, which no line of the spec made.
    pub(super) use_span: Option<Span>,
    pub(super) template: String,
}

impl SourceMap {
    /// The templates expanded (a `use` made them), by name, sorted, once.
    pub fn templates(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .regions
            .iter()
            .filter(|r| r.use_span.is_some())
            .map(|r| r.template.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The span in the user's file that stands for `span`, and the chain of
    /// templates it came through (outermost first); `None` for a span in a
    /// `policy.kdl`, which has no place in the spec.
    pub fn to_user(&self, span: Span) -> (Option<Span>, Vec<&str>) {
        let mut span = span;
        let mut chain = Vec::new();
        while let Some(r) = self
            .regions
            .iter()
            .find(|r| span.start >= r.start && span.start <= r.end)
        {
            chain.insert(0, r.template.as_str());
            match r.use_span {
                Some(s) => span = s,
                None => return (None, chain),
            }
        }
        (Some(span), chain)
    }

    /// Moves a diagnostic found in template output onto the `use` line.
    pub fn map_diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        let mut templates: Vec<String> = Vec::new();
        let mut labels: Vec<Label> = Vec::new();
        for label in &d.labels {
            let (span, chain) = self.to_user(label.span);
            if chain.is_empty() {
                labels.push(label.clone());
                continue;
            }
            let Some(span) = span else {
                // A rule from a policy file: say where it is, label nothing.
                templates.push(chain.join(" → "));
                continue;
            };
            let from = chain
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" → ");
            if templates.is_empty() {
                templates.push(from.clone());
            }
            // One label per place: several template labels land on one `use`.
            if !labels.iter().any(|l| l.span == span) {
                labels.push(Label {
                    span,
                    message: format!("in the output of {from}: {}", label.message),
                });
            }
        }
        if let Some(from) = templates.first() {
            d.message = if from.ends_with("policy.kdl") {
                format!("{} (policy {from})", d.message)
            } else {
                format!("{} (in template {from})", d.message)
            };
        }
        d.labels = labels;
        d
    }
}
