//! Small readers of lexed words, and how values are written as KDL (by
//! [`crate::kdl_write`]: one escape set for every KDL msbc writes).

use super::lexer::Piece;

/// `NAME=value` split at the first `=` of the first literal piece.
pub(super) fn split_pair(word: &[Piece]) -> (String, Option<Vec<Piece>>) {
    let mut name = String::new();
    for (i, p) in word.iter().enumerate() {
        match p {
            Piece::Lit(s) => {
                if let Some((k, v)) = s.split_once('=') {
                    name.push_str(k);
                    let mut rest = Vec::new();
                    rest.push(Piece::Lit(v.to_string()));
                    rest.extend(word[i + 1..].iter().cloned());
                    return (name, Some(rest));
                }
                name.push_str(s);
            }
            Piece::Var { name: n, .. } => name.push_str(&format!("${n}")),
            Piece::Unsupported(s) => name.push_str(s),
        }
    }
    (name, None)
}

pub(super) fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn literal(word: &[Piece]) -> Option<String> {
    let mut out = String::new();
    for p in word {
        match p {
            Piece::Lit(s) => out.push_str(s),
            _ => return None,
        }
    }
    Some(out)
}

/// A word's text with variables written back as `${NAME}`.
pub(super) fn pieces_text(word: &[Piece]) -> String {
    word.iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Var {
                name,
                default: None,
            } => format!("${{{name}}}"),
            Piece::Var {
                name,
                default: Some(d),
            } => format!("${{{name}:-{d}}}"),
            Piece::Unsupported(s) => s.clone(),
        })
        .collect()
}

/// Whether an image reference has a tag or digest (its last path part has `:` or it has `@`).
pub(super) fn has_tag(image: &str) -> bool {
    image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

/// A value: quoted, or a multi-line raw string indented as a step's body.
pub(super) fn kdl_str(s: &str) -> String {
    crate::kdl_write::script(s, "        ")
}

/// Several KDL strings, space-separated.
pub(super) fn kdl_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| kdl_str(s))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A property key or a name (a stage): bare when KDL reads it back so.
pub(super) fn kdl_key(s: &str) -> String {
    crate::kdl_write::ident(s)
}
