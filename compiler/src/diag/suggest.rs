//! "Did you mean" suggestions.

/// Other names people use for a language or tool, and the name msbc knows
/// it by (`use golang` means `use go`).
const ALIASES: &[(&str, &str)] = &[
    ("golang", "go"),
    ("nodejs", "node"),
    ("node.js", "node"),
    ("js", "node"),
    ("javascript", "node"),
    ("ts", "node"),
    ("typescript", "node"),
    ("npm", "node"),
    ("py", "python"),
    ("python3", "python"),
    ("csharp", "dotnet"),
    ("c#", "dotnet"),
    ("net", "dotnet"),
    (".net", "dotnet"),
    ("aspnet", "dotnet"),
    ("jvm", "java"),
    ("jdk", "java"),
    ("maven", "java"),
    ("mvn", "java"),
    ("gradle", "java"),
    ("kotlin", "java"),
];

/// The candidate closest to `wrong`, if any is close enough to be a likely
/// typo: within a third of the length in edits (at least one), or equal
/// ignoring case; or the candidate `wrong` is a common alias of.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    let lower = wrong.to_ascii_lowercase();
    let alias = ALIASES
        .iter()
        .filter(|(a, _)| *a == lower)
        .find_map(|(_, target)| candidates.iter().find(|c| *c == target));
    if let Some(target) = alias {
        return Some(target);
    }
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
    fn knows_common_aliases() {
        let presets = ["dotnet", "go", "java", "node", "python"];
        for (alias, name) in [
            ("golang", "go"),
            ("nodejs", "node"),
            ("js", "node"),
            ("ts", "node"),
            ("py", "python"),
            ("csharp", "dotnet"),
            ("net", "dotnet"),
            ("jvm", "java"),
            ("maven", "java"),
            ("gradle", "java"),
            ("Golang", "go"),
        ] {
            assert_eq!(did_you_mean(alias, presets), Some(name), "{alias}");
        }
        // Only a name that is a candidate.
        assert_eq!(did_you_mean("golang", ["node"]), None);
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(did_you_mean("runtime", ["build", "deps"]), None);
        assert_eq!(did_you_mean("x", Vec::<&str>::new()), None);
    }
}
