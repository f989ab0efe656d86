//! Every piece of quoting and escaping the Dockerfile backend does.
//!
//! BuildKit reads a Dockerfile in two passes: the parser splits lines into
//! words (keeping quotes), then instructions that expand variables (ENV,
//! LABEL, ARG, WORKDIR, USER, VOLUME, COPY, ...) run each word through its
//! shell-like lexer. In that lexer an unquoted `\` escapes any character,
//! and inside double quotes `\` escapes only `"`, `$` and `\`. Exec forms
//! (JSON arrays) of RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK are not
//! expanded. RUN shell-form text is passed to the shell verbatim.

use crate::ir::{Word, WordPart};

/// Characters that need no quoting anywhere.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '_' | '.' | '/' | ':' | '@' | '%' | '+' | ',' | '-' | '~' | '=' | '*' | '?'
        )
}

fn var(name: &str, default: Option<&str>, escape_default: impl Fn(&str) -> String) -> String {
    match default {
        Some(d) => format!("${{{name}:-{}}}", escape_default(d)),
        None => format!("${{{name}}}"),
    }
}

/// A word in a double-quote context (ENV and LABEL values, ARG defaults,
/// WORKDIR, USER): bare when nothing needs quoting, otherwise in double
/// quotes with `"`, `$` and `\` escaped. Variables stay `${NAME}`.
pub fn expanded(word: &Word) -> String {
    let plain = word.0.iter().any(|p| match p {
        WordPart::Text { text } => !text.is_empty(),
        WordPart::Var { .. } => true,
    }) && !starts_with_dash(word)
        && word.0.iter().all(|p| match p {
            WordPart::Text { text } => text.chars().all(is_plain),
            WordPart::Var { default, .. } => {
                default.as_deref().is_none_or(|d| d.chars().all(is_plain))
            }
        });
    let mut out = String::new();
    for p in &word.0 {
        match p {
            WordPart::Text { text } => {
                if plain {
                    out.push_str(text)
                } else {
                    out.push_str(&escape_in_double_quotes(text))
                }
            }
            WordPart::Var { name, default, .. } => {
                out.push_str(&var(name, default.as_deref(), escape_in_double_quotes))
            }
        }
    }
    if plain { out } else { format!("\"{out}\"") }
}

/// Whether a word starts with `-`. BuildKit reads the leading words of an
/// instruction that start with `--` as flags (`LABEL --x=1`, `COPY --x /d`,
/// `USER --x`), so such a word is quoted or put in a JSON array.
fn starts_with_dash(word: &Word) -> bool {
    matches!(word.0.first(), Some(WordPart::Text { text }) if text.starts_with('-'))
}

/// An `ENV` name: bare, or quoted when it would read as a flag (`-`) or, at
/// the start of a continuation line, as a comment (`#`). Names hold no
/// whitespace, `=`, quotes, `$` or `\` (the front end checks), so the lexer
/// keeps every other character of a bare name as it is.
pub fn env_name(name: &str) -> String {
    if name.starts_with(['-', '#']) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

/// A literal string in a double-quote context.
pub fn expanded_literal(text: &str) -> String {
    expanded(&Word::text(text))
}

fn escape_in_double_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '$' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A word for COPY sources/destinations and VOLUME paths, escaped for the
/// unquoted lexer: `\` before every character that would otherwise quote,
/// expand or split, and before `<` (so that no `<<` is left for the
/// parser's heredoc detection: `COPY 1<<x /d` would read a heredoc).
/// Returns whether any escaping was needed.
pub fn path_word(word: &Word) -> (String, bool) {
    let mut out = String::new();
    let mut escaped = false;
    for p in &word.0 {
        match p {
            WordPart::Text { text } => {
                for c in text.chars() {
                    if c.is_whitespace() || matches!(c, '\\' | '$' | '"' | '\'' | '<') {
                        out.push('\\');
                        escaped = true;
                    }
                    out.push(c);
                }
            }
            WordPart::Var { name, default, .. } => {
                out.push_str(&var(name, default.as_deref(), |d| {
                    let (s, _) = path_word(&Word::text(d));
                    s
                }))
            }
        }
    }
    (out, escaped)
}

/// Paths as written after an instruction: space-separated when every path
/// is plain, otherwise a JSON array of escaped words (the only form in
/// which a path may hold a space, start with `[`, or start with `--`
/// without being read as a flag).
pub fn path_list(words: &[Word]) -> String {
    let rendered: Vec<(String, bool)> = words.iter().map(path_word).collect();
    let simple = rendered
        .iter()
        .all(|(s, escaped)| !escaped && !s.is_empty() && !s.starts_with(['[', '-']));
    if simple {
        rendered
            .into_iter()
            .map(|(s, _)| s)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        json_array(rendered.iter().map(|(s, _)| s.as_str()))
    }
}

/// Text for a `#` comment: control characters (a line break would end the
/// comment and start an instruction) written as escapes.
pub fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A JSON array of strings, as Docker writes exec forms: `["a", "b"]`.
pub fn json_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<String> = items.into_iter().map(json_string).collect();
    format!("[{}]", parts.join(", "))
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// Whether `script` can be written after `RUN` as it is: one line that the
/// parser will neither trim, continue, read as JSON or flags, nor scan for
/// heredocs.
pub fn shell_form_safe(script: &str) -> bool {
    !script.is_empty()
        && !script.contains(['\n', '\r'])
        && script.trim() == script
        // `[` reads as the exec form, `-` as a flag, and `#` on a
        // continuation line (after `--mount` flags) as a comment.
        && !script.starts_with(['[', '-', '#'])
        && !script.ends_with('\\')
        && !script.contains("<<")
}

/// Whether a healthcheck command can follow `HEALTHCHECK ... CMD` as is.
/// After `CMD` a leading `-` or `#` is safe (the flags and the line start
/// are behind it); a trailing `\` still continues the line, a leading `[`
/// reads as JSON, and surrounding blanks are trimmed. (Line breaks never
/// get here: the front end rejects them.)
pub fn healthcheck_shell_form_safe(command: &str) -> bool {
    !command.is_empty()
        && command.trim() == command
        && !command.starts_with('[')
        && !command.ends_with('\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::VarSource;

    fn var_word(before: &str, name: &str, after: &str) -> Word {
        Word(vec![
            WordPart::Text {
                text: before.into(),
            },
            WordPart::Var {
                name: name.into(),
                default: None,
                source: VarSource::Arg,
            },
            WordPart::Text { text: after.into() },
        ])
    }

    #[test]
    fn expanded_words() {
        assert_eq!(expanded(&Word::text("0")), "0");
        assert_eq!(expanded(&Word::text("a b")), "\"a b\"");
        assert_eq!(expanded(&Word::text("x\"y$z\\w")), r#""x\"y\$z\\w""#);
        assert_eq!(
            expanded(&var_word("/opt/", "APP", "/bin")),
            "/opt/${APP}/bin"
        );
        assert_eq!(expanded(&var_word("a b ", "X", "")), "\"a b ${X}\"");
        assert_eq!(expanded(&Word(vec![])), "\"\"");
        assert_eq!(expanded(&Word::text("")), "\"\"");
        assert_eq!(expanded(&Word::text("--x")), "\"--x\"");
        assert_eq!(env_name("--x"), "\"--x\"");
        assert_eq!(env_name("A_1"), "A_1");
    }

    #[test]
    fn path_words() {
        assert_eq!(
            path_list(&[Word::text("go.mod"), Word::text("./")]),
            "go.mod ./"
        );
        assert_eq!(
            path_list(&[Word::text("a b"), Word::text("/d/")]),
            r#"["a\\ b", "/d/"]"#
        );
        assert_eq!(
            path_list(&[Word::text("$x"), Word::text("/d")]),
            r#"["\\$x", "/d"]"#
        );
        assert_eq!(
            path_list(&[Word::text("--x"), Word::text("/d")]),
            r#"["--x", "/d"]"#
        );
        assert_eq!(
            path_list(&[Word::text("1<<x"), Word::text("/d")]),
            r#"["1\\<\\<x", "/d"]"#
        );
    }

    #[test]
    fn comments_stay_one_line() {
        assert_eq!(comment_text("build.kdl"), "build.kdl");
        assert_eq!(comment_text("a\nRUN x\r.kdl"), "a\\nRUN x\\r.kdl");
    }

    #[test]
    fn shell_form_rules() {
        assert!(shell_form_safe("go mod download"));
        for bad in [
            "a\nb",
            " lead",
            "trail ",
            "[\"x\"]",
            "--help",
            "# only a comment",
            "x \\",
            "cat <<EOF",
            "",
        ] {
            assert!(!shell_form_safe(bad), "{bad:?}");
        }
    }

    #[test]
    fn healthcheck_shell_form_rules() {
        for ok in ["curl -f http://localhost/", "-x", "# x"] {
            assert!(healthcheck_shell_form_safe(ok), "{ok:?}");
        }
        for bad in ["", " lead", "trail ", "[\"x\"]", "x \\"] {
            assert!(!healthcheck_shell_form_safe(bad), "{bad:?}");
        }
    }
}
