//! Word expansion as BuildKit's Dockerfile frontend does it (`shell.Lex`
//! with `\` as the escape token): quotes removed, `\` escapes, `$NAME`,
//! `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`,
//! `${NAME+word}`. Forms msbc never writes (`${NAME#…}`, `${NAME/…}`,
//! `${NAME?…}`) fail the test loudly rather than guess.

use std::iter::Peekable;
use std::str::Chars;

/// Variables visible to an instruction, in the order they were set.
pub trait Lookup {
    fn get(&self, name: &str) -> Option<&str>;
}

impl Lookup for Vec<(String, String)> {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `ProcessWord`: one word, expanded, quotes and escapes removed.
pub fn expand(word: &str, env: &dyn Lookup) -> String {
    let mut lexer = Lexer {
        chars: word.chars().peekable(),
        env,
        word,
    };
    lexer.until(None)
}

struct Lexer<'a> {
    chars: Peekable<Chars<'a>>,
    env: &'a dyn Lookup,
    word: &'a str,
}

impl Lexer<'_> {
    fn until(&mut self, stop: Option<char>) -> String {
        let mut out = String::new();
        while let Some(&c) = self.chars.peek() {
            if Some(c) == stop {
                self.chars.next();
                return out;
            }
            match c {
                '$' => {
                    let v = self.dollar();
                    out.push_str(&v);
                }
                '\'' => {
                    self.chars.next();
                    loop {
                        match self.chars.next() {
                            Some('\'') => break,
                            Some(c) => out.push(c),
                            None => panic!("unterminated ' in {:?}", self.word),
                        }
                    }
                }
                '"' => {
                    self.chars.next();
                    self.double_quoted(&mut out);
                }
                '\\' => {
                    self.chars.next();
                    match self.chars.next() {
                        Some(c) => out.push(c),
                        None => break,
                    }
                }
                c => {
                    self.chars.next();
                    out.push(c);
                }
            }
        }
        if let Some(s) = stop {
            panic!("no closing {s:?} in {:?}", self.word);
        }
        out
    }

    fn double_quoted(&mut self, out: &mut String) {
        loop {
            match self.chars.peek().copied() {
                None => panic!("unterminated \" in {:?}", self.word),
                Some('"') => {
                    self.chars.next();
                    return;
                }
                Some('$') => {
                    let v = self.dollar();
                    out.push_str(&v);
                }
                Some('\\') => {
                    self.chars.next();
                    match self.chars.peek().copied() {
                        None => {}
                        Some(c @ ('"' | '$' | '\\')) => {
                            self.chars.next();
                            out.push(c);
                        }
                        Some(_) => out.push('\\'),
                    }
                }
                Some(c) => {
                    self.chars.next();
                    out.push(c);
                }
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(&c) = self.chars.peek() {
            if name.is_empty() && c.is_ascii_digit() {
                while let Some(&d) = self.chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    name.push(d);
                    self.chars.next();
                }
                return name;
            }
            if name.is_empty() && "@*#?-$!0".contains(c) {
                self.chars.next();
                return c.to_string();
            }
            if !(c.is_alphanumeric() || c == '_') {
                break;
            }
            name.push(c);
            self.chars.next();
        }
        name
    }

    fn dollar(&mut self) -> String {
        self.chars.next();
        if self.chars.peek() != Some(&'{') {
            let name = self.name();
            if name.is_empty() {
                return "$".to_string();
            }
            return self.env.get(&name).unwrap_or_default().to_string();
        }
        self.chars.next();
        let name = self.name();
        let modifier = self.chars.next();
        let (null_is_unset, op) = match modifier {
            Some('}') => return self.env.get(&name).unwrap_or_default().to_string(),
            Some(':') => (true, self.chars.next()),
            other => (false, other),
        };
        let op = match op {
            Some(op @ ('-' | '+')) => op,
            other => panic!(
                "substitution ${{{name}{}…}} in {:?} is not one msbc writes",
                other.map(String::from).unwrap_or_default(),
                self.word
            ),
        };
        let word = self.until(Some('}'));
        let value = self.env.get(&name);
        let unset = value.is_none() || (null_is_unset && value == Some(""));
        match (op, unset) {
            ('-', true) => word,
            ('-', false) => value.unwrap_or_default().to_string(),
            (_, true) => String::new(),
            (_, false) => word,
        }
    }
}

/// `ProcessWords`: expanded, then split on unquoted whitespace (EXPOSE).
pub fn expand_words(word: &str, env: &dyn Lookup) -> Vec<String> {
    // msbc never quotes a port; splitting the expanded text is enough.
    expand(word, env)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(String, String)> {
        vec![
            ("A".into(), "1".into()),
            ("E".into(), "".into()),
            ("P".into(), "/bin".into()),
        ]
    }

    #[test]
    fn expands_as_buildkit_does() {
        let e = env();
        for (word, want) in [
            ("$A", "1"),
            ("${A}x", "1x"),
            ("${E:-d}", "d"),
            ("${E-d}", ""),
            ("${U-d}", "d"),
            ("${A:+set}", "set"),
            ("${E:+set}", ""),
            ("${E+set}", "set"),
            ("\"a b\"", "a b"),
            ("'$A'", "$A"),
            ("\\$A", "$A"),
            ("\"\\$A \\x\"", "$A \\x"),
            ("x$", "x$"),
            ("${P}:${U}", "/bin:"),
            ("c\\ d", "c d"),
        ] {
            assert_eq!(expand(word, &e), want, "{word}");
        }
    }
}
