//! What the checks say of a spec, for the rules' tests.

/// The codes of the spec's diagnostics, in order.
pub(crate) fn codes(checked: &crate::compile::Checked) -> Vec<String> {
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect()
}

/// The help of each of the spec's diagnostics with `code`.
pub(crate) fn helps(spec: &str, code: &str) -> Vec<String> {
    crate::compile::check(spec.as_bytes())
        .diagnostics
        .iter()
        .filter(|d| d.code.to_string() == code)
        .filter_map(|d| d.help.clone())
        .collect()
}
