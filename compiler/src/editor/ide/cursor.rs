//! The text around the cursor, read from the text itself (so it works on a
//! half-typed spec): the enclosing blocks, the line before it, the word under it.

use super::{Doc, floor_char};
use crate::diag::Span;
use crate::editor::reference::{self, Place};

/// The names of the nodes whose blocks hold `offset`, outermost first,
/// read from the text (so it works on a half-typed spec).
pub(super) fn enclosing(text: &str, offset: usize) -> Vec<String> {
    let b = text.as_bytes();
    let end = offset.min(b.len());
    let mut stack: Vec<String> = Vec::new();
    let mut stmt_start = 0usize;
    let mut i = 0;
    while i < end {
        match b[i] {
            b'"' | b'#' => {
                i = crate::syntax::skip_string(b, i).unwrap_or(i + 1);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < end {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth = depth.saturating_sub(1);
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'{' => {
                let name = text
                    .get(stmt_start..i)
                    .and_then(|s| s.split_whitespace().next())
                    .unwrap_or("")
                    .trim_start_matches("/-")
                    .trim_matches('"')
                    .to_string();
                stack.push(name);
                stmt_start = i + 1;
            }
            b'}' => {
                stack.pop();
                stmt_start = i + 1;
            }
            b'\n' | b';' => stmt_start = i + 1,
            _ => {}
        }
        i += 1;
    }
    stack
}

/// The text of the cursor's line before the cursor.
pub(super) fn line_prefix(doc: &Doc, offset: usize) -> &str {
    let offset = floor_char(&doc.text, offset.min(doc.text.len()));
    let start = doc.text[..offset].rfind('\n').map_or(0, |i| i + 1);
    &doc.text[start..offset]
}

/// The word (identifier characters) around `offset`.
pub(super) fn word_at(text: &str, offset: usize) -> Option<(Span, &str)> {
    let offset = floor_char(text, offset.min(text.len()));
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = offset
        + text[offset..]
            .char_indices()
            .find(|(_, c)| !is_word(*c))
            .map_or(text.len() - offset, |(i, _)| i);
    (start < end).then(|| (Span::new(start, end), &text[start..end]))
}

pub(super) fn place_of(stack: &[String]) -> Place {
    match stack.last() {
        None => Place::TopLevel,
        Some(parent) => reference::place_inside(parent),
    }
}

#[cfg(test)]
mod tests {
    use super::enclosing;

    /// A raw string ends at its `"#`, whatever comes before it: a
    /// backslash there escapes nothing (it once swallowed the rest of the
    /// file, so the cursor below read as inside `image a`).
    #[test]
    fn raw_strings_end_where_kdl_ends_them() {
        let text = "msbc 1\nimage a from=\"x\" {\n    run #\"dir C:\\\"#\n}\n";
        assert_eq!(enclosing(text, text.len()), Vec::<String>::new());
        let text = "image a from=\"x\" {\n    run #\"{\"#\n    ";
        assert_eq!(enclosing(text, text.len()), vec!["image".to_string()]);
        let text = "image a {\n    run \"\"\"\n{\n\"\"\"\n}\nstage b {\n";
        assert_eq!(enclosing(text, text.len()), vec!["stage".to_string()]);
    }
}
