//! The word lexer for the instructions BuildKit expands (`shell/lex.go`):
//! quotes, escapes, `$NAME`, `${NAME}` and `${NAME:-default}`.

/// A piece of a lexed word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// `$NAME`, `${NAME}` or `${NAME:-default}` (default literal text).
    Var {
        name: String,
        default: Option<String>,
    },
    /// A `${...}` form msbc cannot express (`${A#x}`, `${A:+x}`, ...).
    Unsupported(String),
}

/// Splits `s` into words as BuildKit's lexer does (ProcessWords): unquoted
/// whitespace separates, quotes are removed, the escape token escapes.
pub fn lex_words(s: &str, escape: char) -> Vec<Vec<Piece>> {
    lex(s, escape, true)
}

/// One word (ProcessWord): whitespace is kept.
pub fn lex_word(s: &str, escape: char) -> Vec<Piece> {
    lex(s, escape, false).into_iter().next().unwrap_or_default()
}

fn push_lit(word: &mut Vec<Piece>, c: char) {
    if let Some(Piece::Lit(s)) = word.last_mut() {
        s.push(c);
    } else {
        word.push(Piece::Lit(c.to_string()));
    }
}

fn lex(s: &str, escape: char, split: bool) -> Vec<Vec<Piece>> {
    let chars: Vec<char> = s.chars().collect();
    let mut words: Vec<Vec<Piece>> = Vec::new();
    let mut word: Vec<Piece> = Vec::new();
    let mut started = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if split && c.is_whitespace() {
            if started {
                words.push(std::mem::take(&mut word));
                started = false;
            }
            i += 1;
            continue;
        }
        started = true;
        if c == escape {
            if let Some(&n) = chars.get(i + 1) {
                push_lit(&mut word, n);
            }
            i += 2;
        } else if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                push_lit(&mut word, chars[i]);
                i += 1;
            }
            i += 1;
            if word.is_empty() {
                word.push(Piece::Lit(String::new()));
            }
        } else if c == '"' {
            i += 1;
            if word.is_empty() {
                word.push(Piece::Lit(String::new()));
            }
            while i < chars.len() && chars[i] != '"' {
                let d = chars[i];
                if d == escape && matches!(chars.get(i + 1), Some('"' | '$')) {
                    push_lit(&mut word, chars[i + 1]);
                    i += 2;
                } else if d == escape && chars.get(i + 1) == Some(&escape) {
                    push_lit(&mut word, escape);
                    i += 2;
                } else if d == '$' {
                    i = dollar(&chars, i, &mut word);
                } else {
                    push_lit(&mut word, d);
                    i += 1;
                }
            }
            i += 1;
        } else if c == '$' {
            i = dollar(&chars, i, &mut word);
        } else {
            push_lit(&mut word, c);
            i += 1;
        }
    }
    if started || !split {
        words.push(word);
    }
    words
}

/// Reads a `$` at `chars[i]`; returns the index after it.
fn dollar(chars: &[char], i: usize, word: &mut Vec<Piece>) -> usize {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match chars.get(i + 1) {
        Some('{') => {
            let mut j = i + 2;
            while j < chars.len() && chars[j] != '}' {
                j += 1;
            }
            let inner: String = chars[(i + 2).min(chars.len())..j.min(chars.len())]
                .iter()
                .collect();
            let name_len = inner.chars().take_while(|c| name_char(*c)).count();
            let name: String = inner.chars().take(name_len).collect();
            let tail: String = inner.chars().skip(name_len).collect();
            let valid = !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
            if valid && tail.is_empty() {
                word.push(Piece::Var {
                    name,
                    default: None,
                });
            } else if valid && tail.starts_with(":-") && !tail[2..].contains('$') {
                word.push(Piece::Var {
                    name,
                    default: Some(tail[2..].to_string()),
                });
            } else {
                let whole: String = chars[i..(j + 1).min(chars.len())].iter().collect();
                word.push(Piece::Unsupported(whole));
            }
            j + 1
        }
        Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut j = i + 1;
            while j < chars.len() && name_char(chars[j]) {
                j += 1;
            }
            word.push(Piece::Var {
                name: chars[i + 1..j].iter().collect(),
                default: None,
            });
            j
        }
        Some(&c) if c.is_ascii_digit() || "@*#?-$!".contains(c) => {
            word.push(Piece::Unsupported(chars[i..i + 2].iter().collect()));
            i + 2
        }
        _ => {
            push_lit(word, '$');
            i + 1
        }
    }
}
