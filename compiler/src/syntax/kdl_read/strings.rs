//! The fast KDL reader's strings: identifiers, quoted, multi-line and raw
//! strings, and the values they spell.

use kdl::{KdlIdentifier, KdlValue};

use super::{Kind, Reader};

impl Reader<'_> {
    /// A string token followed by a value terminator: (kind, start, end).
    pub(super) fn string(&mut self) -> Option<(Kind, usize, usize)> {
        let start = self.i;
        let kind = match self.at(0)? {
            b'"' if self.starts(b"\"\"\"") && self.newline_at(3) => self.multi_line_quoted(),
            b'"' => self.quoted(),
            b'#' => self.raw(),
            _ => self.ident(),
        };
        match kind {
            Some(kind) if self.value_term() => Some((kind, start, self.i)),
            _ => {
                self.i = start;
                None
            }
        }
    }

    fn newline_at(&self, k: usize) -> bool {
        matches!(self.at(k), Some(b'\n' | b'\r'))
    }

    /// A bare identifier: not starting with a digit, sign or dot (those
    /// are the crate's), not a bare keyword.
    fn ident(&mut self) -> Option<Kind> {
        let start = self.i;
        let c = self.at(0)?;
        if c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.') {
            return None;
        }
        while self.at(0).is_some_and(ident_byte) {
            self.i += 1;
        }
        let text = &self.b[start..self.i];
        if text.is_empty() || matches!(text, b"true" | b"false" | b"null" | b"inf" | b"nan") {
            self.i = start;
            return None;
        }
        Some(Kind::Ident)
    }

    /// `"..."` with the escapes `\\ \" \b \f \n \r \t \s \u{...}`.
    fn quoted(&mut self) -> Option<Kind> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.at(0) {
                Some(b'"') => {
                    self.i += 1;
                    return Some(Kind::Quoted);
                }
                Some(b'\\') if self.escape() => {}
                Some(b'\\' | b'\n' | b'\r') | None => {
                    self.i = start;
                    return None;
                }
                Some(_) => self.i += 1,
            }
        }
    }

    /// One escape, at a `\`: whether it is one the fast path reads.
    fn escape(&mut self) -> bool {
        match self.at(1) {
            Some(b'\\' | b'"' | b'b' | b'f' | b'n' | b'r' | b't' | b's') => {
                self.i += 2;
                true
            }
            Some(b'u') if self.at(2) == Some(b'{') => {
                let digits = self.b[self.i + 3..]
                    .iter()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count();
                if (1..=6).contains(&digits) && self.at(3 + digits) == Some(b'}') {
                    self.i += 4 + digits;
                    true
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    /// `"""` newline ... `"""` (the lines are checked when the value is made).
    fn multi_line_quoted(&mut self) -> Option<Kind> {
        let start = self.i;
        self.i += 3;
        loop {
            if self.eof() {
                self.i = start;
                return None;
            }
            if self.starts(b"\"\"\"") {
                self.i += 3;
                return Some(Kind::MultiLine);
            }
            if self.at(0) == Some(b'\\') && matches!(self.at(1), Some(b'\\' | b'"')) {
                self.i += 2;
            } else {
                self.i += 1;
            }
        }
    }

    /// `#"..."#`, `##"..."##`, ... and their multi-line forms.
    fn raw(&mut self) -> Option<Kind> {
        let start = self.i;
        let hashes = self.b[start..].iter().take_while(|&&c| c == b'#').count();
        self.i += hashes;
        let multi = self.starts(b"\"\"\"") && self.newline_at(3);
        if !multi && self.at(0) != Some(b'"') {
            self.i = start;
            return None;
        }
        self.i += if multi { 3 } else { 1 };
        let close_len = if multi { 3 } else { 1 } + hashes;
        loop {
            let Some(c) = self.at(0) else {
                self.i = start;
                return None;
            };
            if c == b'"'
                && self.b[self.i..].len() >= close_len
                && self.b[self.i..self.i + close_len - hashes]
                    .iter()
                    .all(|&q| q == b'"')
                && self.b[self.i + close_len - hashes..self.i + close_len]
                    .iter()
                    .all(|&h| h == b'#')
            {
                self.i += close_len;
                return Some(if multi {
                    Kind::MultiLineRaw(hashes)
                } else {
                    Kind::Raw(hashes)
                });
            }
            if !multi && (c == b'\n' || c == b'\r') {
                self.i = start;
                return None;
            }
            self.i += 1;
        }
    }

    pub(super) fn identifier(&mut self) -> Option<KdlIdentifier> {
        let (kind, from, to) = self.string()?;
        self.ident_at(kind, from, to)
    }

    pub(super) fn ident_at(&self, kind: Kind, from: usize, to: usize) -> Option<KdlIdentifier> {
        let raw = &self.s[from..to];
        let KdlValue::String(value) = string_value(kind, raw)? else {
            return None;
        };
        let mut ident = KdlIdentifier::from(value);
        ident.set_repr(raw);
        ident.set_span((from, to - from));
        Some(ident)
    }
}

/// A byte that can be in a bare identifier (bytes of non-ASCII characters
/// all can: the precheck refused the non-ASCII spaces and newlines).
fn ident_byte(c: u8) -> bool {
    !matches!(
        c,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'\\'
            | b'/'
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b'['
            | b']'
            | b';'
            | b'"'
            | b'#'
            | b'='
    )
}

/// The value a string token spells.
pub(super) fn string_value(kind: Kind, raw: &str) -> Option<KdlValue> {
    Some(KdlValue::String(match kind {
        Kind::Ident => raw.to_string(),
        Kind::Quoted => unescape(raw.get(1..raw.len() - 1)?)?,
        Kind::MultiLine => multi_line(raw.get(3..raw.len() - 3)?, true)?,
        Kind::Raw(hashes) => {
            let body = raw.get(hashes + 1..raw.len() - hashes - 1)?;
            if body == "\"" {
                return None; // the crate refuses `#"""#`
            }
            body.to_string()
        }
        Kind::MultiLineRaw(hashes) => {
            multi_line(raw.get(hashes + 3..raw.len() - hashes - 3)?, false)?
        }
    }))
}

/// The value of a quoted string's body (between the quotes).
fn unescape(body: &str) -> Option<String> {
    if !body.contains('\\') {
        return Some(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            '"' => '"',
            'b' => '\u{0008}',
            'f' => '\u{000C}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            's' => ' ',
            'u' => {
                let rest = chars.as_str().strip_prefix('{')?;
                let close = rest.find('}')?;
                let hex = rest.get(..close)?;
                if hex.is_empty() || hex.len() > 6 {
                    return None;
                }
                let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                chars = rest.get(close + 1..)?.chars();
                c
            }
            _ => return None, // a whitespace escape: the crate's
        });
    }
    Some(out)
}

/// A multi-line string's value from what is between its `"""` quotes (the
/// opening newline included): the last line is the indentation every line
/// starts with; it is removed, whitespace-only lines become empty, newlines
/// become `\n`, and the first and last newlines are not part of the value.
fn multi_line(between: &str, escapes: bool) -> Option<String> {
    let mut lines = split_lines(between);
    // `between` starts with the newline after the opening quotes.
    if lines.next() != Some("") {
        return None;
    }
    let lines: Vec<&str> = lines.collect();
    let (prefix, body) = lines.split_last()?;
    if !prefix.bytes().all(|b| b == b' ' || b == b'\t') {
        return None;
    }
    let mut out = String::with_capacity(between.len());
    for (i, line) in body.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.bytes().all(|b| b == b' ' || b == b'\t') {
            continue;
        }
        let rest = line.strip_prefix(prefix)?;
        if escapes {
            // (a whitespace escape, `\` before a space or at the end of a
            // line, is the crate's: `unescape` refuses it)
            out.push_str(&unescape(rest)?);
        } else {
            out.push_str(rest);
        }
    }
    Some(out)
}

/// Lines split at CRLF, CR or LF (the newlines the grammar reads).
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]);
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}
