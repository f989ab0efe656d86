//! A multi-line `run` script as a Dockerfile heredoc: the one rule for its
//! delimiter and its body. The Dockerfile backend writes the heredoc; the
//! LLB backend builds what BuildKit's frontend makes of it (the body as
//! the script's last argument, or as the file of a `#!` script, named by
//! the delimiter).

use std::borrow::Cow;

/// A heredoc delimiter that no line of `script` equals: `EOF`, else
/// `EOF_1`, `EOF_2`, ...
pub(crate) fn delimiter(script: &str) -> String {
    let taken = |d: &str| script.lines().any(|l| l.trim_end_matches('\r') == d);
    let mut delimiter = "EOF".to_string();
    let mut n = 0;
    while taken(&delimiter) {
        n += 1;
        delimiter = format!("EOF_{n}");
    }
    delimiter
}

/// The heredoc's body as BuildKit reads it: the script, ending with the
/// line break before the delimiter.
pub(crate) fn body(script: &str) -> Cow<'_, str> {
    if script.ends_with('\n') {
        Cow::Borrowed(script)
    } else {
        Cow::Owned(format!("{script}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_avoids_script_lines() {
        assert_eq!(delimiter("echo EOF"), "EOF");
        assert_eq!(delimiter("a\nEOF\nEOF_1\n"), "EOF_2");
        assert_eq!(delimiter("a\r\nEOF\r\n"), "EOF_1");
    }

    #[test]
    fn body_ends_with_one_line_break() {
        assert_eq!(body("a\nb"), "a\nb\n");
        assert_eq!(body("a\nb\n"), "a\nb\n");
    }
}
