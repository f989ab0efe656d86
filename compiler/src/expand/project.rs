//! What a project says about itself: the toolchain versions its own files
//! name (go.mod, .nvmrc, pyproject.toml, global.json, pom.xml...), read from
//! the contents the CLI gathered ([`PROJECT_FILES`]). Pure: no I/O here.

/// `1.24.0` → `[1, 24, 0]`; `None` for anything but dot-separated numbers.
pub fn numbers(v: &str) -> Option<Vec<u64>> {
    if v.is_empty() {
        return None;
    }
    v.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::numbers;

    #[test]
    fn versions_are_dotted_numbers() {
        assert_eq!(numbers("8.0"), Some(vec![8, 0]));
        assert_eq!(numbers("1.24.0"), Some(vec![1, 24, 0]));
        assert_eq!(numbers("1.22 x"), None);
        assert_eq!(numbers("8.0-noble"), None);
        assert_eq!(numbers(""), None);
        assert_eq!(numbers("8."), None);
    }
}
