//! A cheap scan of how deeply a KDL text nests, run before the `kdl` crate
//! parses it: the crate's parser (and its block comments, which nest)
//! recurses, so a document nested a few thousand levels deep would overflow
//! the stack. The scan reads strings and comments as KDL v2 does, so a brace
//! inside a string or comment does not count.

use crate::diag::{Code, Diagnostic, Span};

/// The deepest nesting of children blocks (`{ ... }`) or block comments
/// (`/* /* ... */ */`) msbc reads. Real specs nest four or five levels.
pub const MAX_DEPTH: usize = 64;

/// `Err` with a located E0001 when `source` nests deeper than [`MAX_DEPTH`]
/// (spans are moved by `base`, as in `syntax::parse_at`).
pub fn check(source: &str, base: usize) -> Result<(), Diagnostic> {
    match deepest(source.as_bytes()) {
        None => Ok(()),
        Some((at, what)) => Err(Diagnostic::new(
            Code::KdlSyntax,
            format!("KDL syntax: {what} nested more than {MAX_DEPTH} levels deep"),
        )
        .label(
            Span::new(base + at, base + at + 1),
            format!("level {} starts here", MAX_DEPTH + 1),
        )
        .help(format!(
            "msbc reads at most {MAX_DEPTH} levels; a build spec needs a handful: \
             close the blocks that were left open or flatten the document"
        ))),
    }
}

/// The offset of the first opener past [`MAX_DEPTH`], and what it opens.
fn deepest(b: &[u8]) -> Option<(usize, &'static str)> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((i, "children blocks"));
                }
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut comments = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        comments += 1;
                        if comments > MAX_DEPTH {
                            return Some((i, "block comments"));
                        }
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        comments -= 1;
                        i += 2;
                        if comments == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' | b'#' => i = skip_string(b, i).unwrap_or(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Past the string literal that starts at `i`: quoted (`"..."`,
/// `"""..."""`) or raw (`#"..."#`, `#"""..."""#`, any number of `#`);
/// `None` when none starts there. The one reader of where a KDL string ends
/// for msbc's byte scans: this nesting check, `msbc fmt`'s comment list and
/// the editor's enclosing blocks.
pub(crate) fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => Some(skip_quoted(b, i)),
        b'#' => {
            let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
            (b.get(i + hashes) == Some(&b'"')).then(|| skip_raw(b, i + hashes, hashes))
        }
        _ => None,
    }
}

/// Past a `"..."` or `"""..."""` string starting at `i` (escapes skip the
/// next byte).
fn skip_quoted(b: &[u8], i: usize) -> usize {
    let multi = b[i..].starts_with(b"\"\"\"");
    let mut j = i + if multi { 3 } else { 1 };
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' if !multi => return j + 1,
            b'"' if b[j..].starts_with(b"\"\"\"") => return j + 3,
            _ => j += 1,
        }
    }
    b.len()
}

/// Past a raw string `#"..."#` (or `#"""..."""#`) whose quote is at `i`.
fn skip_raw(b: &[u8], i: usize, hashes: usize) -> usize {
    let quotes = if b[i..].starts_with(b"\"\"\"") { 3 } else { 1 };
    let mut end = vec![b'"'; quotes];
    end.extend(std::iter::repeat_n(b'#', hashes));
    let mut j = i + quotes;
    while j < b.len() {
        if b[j..].starts_with(&end) {
            return j + end.len();
        }
        j += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("a {}{}", "{ a ".repeat(n), "}".repeat(n))
    }

    #[test]
    fn counts_children_blocks() {
        assert!(check(&nested(MAX_DEPTH), 0).is_ok());
        let err = check(&nested(MAX_DEPTH + 1), 0).expect_err("too deep");
        assert_eq!(err.code, Code::KdlSyntax);
        // The 65th `{`: "a " then 64 times "{ a ".
        let at = 2 + 4 * MAX_DEPTH;
        assert_eq!(err.labels[0].span, Span::new(at, at + 1));
        assert_eq!(
            check(&nested(MAX_DEPTH + 1), 10).expect_err("deep").labels[0]
                .span
                .start,
            at + 10
        );
    }

    #[test]
    fn counts_nested_block_comments() {
        let ok = format!("{}{}", "/* ".repeat(MAX_DEPTH), "*/".repeat(MAX_DEPTH));
        assert!(check(&ok, 0).is_ok());
        let deep = format!("{}{}", "/* ".repeat(3000), "*/".repeat(3000));
        assert!(check(&deep, 0).is_err());
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let braces = "{".repeat(200);
        for text in [
            format!("a \"{braces}\""),
            format!("a \"\\\"{braces}\""),
            format!("a \"\"\"\n{braces}\n\"\"\""),
            format!("a #\"{braces}\"#"),
            format!("a ##\"\"#{braces}\"##"),
            format!("a #\"\"\"\n\"{braces}\n\"\"\"#"),
            format!("// {braces}\na 1"),
            format!("/* {braces} /* */ {braces} */ a 1"),
            "a #true { b #\"}\"# }".to_string(),
        ] {
            assert!(check(&text, 0).is_ok(), "{text}");
        }
    }
}
