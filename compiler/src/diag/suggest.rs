//! "Did you mean" suggestions.

/// The candidate closest to `wrong`, if any is close enough to be a likely
/// typo: within a third of the length in edits (at least one), or equal
/// ignoring case.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (wrong.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wrong)
        .map(|c| {
            // A prefix (`lock` for `locked`) counts as one edit.
            let prefix = wrong.len() >= 3 && c.starts_with(wrong);
            let distance = if c.eq_ignore_ascii_case(wrong) {
                0
            } else if prefix {
                1
            } else {
                strsim::damerau_levenshtein(wrong, c)
            };
            (distance, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn finds_transpositions_and_typos() {
        let names = ["build", "deps", "test"];
        assert_eq!(did_you_mean("biuld", names), Some("build"));
        assert_eq!(did_you_mean("dep", names), Some("deps"));
        assert_eq!(did_you_mean("BUILD", names), Some("build"));
        assert_eq!(
            did_you_mean("lock", ["shared", "private", "locked"]),
            Some("locked")
        );
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(did_you_mean("runtime", ["build", "deps"]), None);
        assert_eq!(did_you_mean("x", Vec::<&str>::new()), None);
    }
}
