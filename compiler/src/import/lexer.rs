//! A Dockerfile line reader that follows BuildKit's parser
//! (`frontend/dockerfile/parser`): parser directives, the escape token,
//! comments, line continuations, heredocs, `--flag=value` flags and JSON
//! versus shell forms. The word lexer (`shell/lex.go`) is `shell_lex.rs`.

pub use super::shell_lex::{Piece, lex_word, lex_words};

/// One instruction as the parser reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line of its first physical line.
    pub line: usize,
    /// Upper-cased (`RUN`, `COPY`, ...).
    pub cmd: String,
    /// Leading `--name[=value]` flags, quotes removed.
    pub flags: Vec<(String, Option<String>)>,
    /// The text after the flags, trimmed.
    pub rest: String,
    /// `rest` as written over several lines: each line continuation kept
    /// as `\` and a line break (comment and blank lines inside left out),
    /// so that removing every `\`-newline gives `rest` back. `None` when
    /// `rest` is on one line.
    pub rest_lines: Option<String>,
    /// Heredocs opened on the instruction's line, in order.
    pub heredocs: Vec<Heredoc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// The body, with each line's own line ending (tabs removed for `<<-`).
    pub content: String,
    /// The delimiter was unquoted (COPY expands such bodies).
    pub expand: bool,
    /// The whole `<<NAME` word as written (e.g. `<<-"EOF"`).
    pub word: String,
}

/// A Dockerfile read into instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

/// Why the text is not a Dockerfile (line, message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> LexError {
    LexError {
        line,
        message: message.into(),
    }
}

/// Reads `text` into instructions.
pub fn parse(text: &str) -> Result<Dockerfile, LexError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut escape = '\\';
    let mut i = 0;
    // Directives: the leading `# key=value` comment lines.
    let mut seen: Vec<String> = Vec::new();
    while i < lines.len() {
        let l = lines[i].trim_end_matches(['\r', '\n']);
        let Some(body) = l.trim_start().strip_prefix('#') else {
            break;
        };
        let Some((k, v)) = body.split_once('=') else {
            break;
        };
        let key = k.trim().to_ascii_lowercase();
        if !matches!(key.as_str(), "syntax" | "escape" | "check")
            || !key.chars().all(|c| c.is_ascii_alphanumeric())
        {
            break;
        }
        if seen.contains(&key) {
            return Err(err(
                i + 1,
                format!("only one `{key}` parser directive can be used"),
            ));
        }
        seen.push(key.clone());
        if key == "escape" {
            escape = match v.trim() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(err(
                        i + 1,
                        format!("invalid escape token `{other}`: it must be \\ or `"),
                    ));
                }
            };
        }
        i += 1;
    }
    let mut out = Vec::new();
    while i < lines.len() {
        let raw = lines[i].trim_end_matches(['\r', '\n']);
        let start = i;
        i += 1;
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Join continuations: comments and blank lines inside are skipped.
        let mut logical = String::new();
        // Where in `logical` each continued line starts.
        let mut joins: Vec<usize> = Vec::new();
        let mut current = trimmed.to_string();
        loop {
            match strip_continuation(&current, escape) {
                Some(head) => {
                    logical.push_str(head);
                    joins.push(logical.len());
                    // The next non-comment, non-blank line continues it.
                    let mut next = None;
                    while i < lines.len() {
                        let l = lines[i].trim_end_matches(['\r', '\n']);
                        i += 1;
                        let t = l.trim_start();
                        if t.starts_with('#') || t.is_empty() {
                            continue;
                        }
                        next = Some(l.to_string());
                        break;
                    }
                    match next {
                        Some(n) => current = n,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(&current);
                    break;
                }
            }
        }
        let mut ins = split_instruction(&logical, start + 1, escape)?;
        ins.rest_lines = rest_lines(&logical, &ins.rest, &joins);
        // Heredocs: bodies follow on the next physical lines.
        if heredoc_capable(&ins.cmd) {
            for (word, name, chomp, expand) in heredoc_words(&ins.rest) {
                let mut content = String::new();
                let mut closed = false;
                while i < lines.len() {
                    let line = lines[i];
                    i += 1;
                    let mut t = line.trim_end_matches(['\r', '\n']);
                    if chomp {
                        t = t.trim_start_matches('\t');
                    }
                    if t == name {
                        closed = true;
                        break;
                    }
                    content.push_str(line);
                    if i < lines.len() {
                        content.push('\n');
                    }
                }
                if !closed {
                    return Err(err(start + 1, format!("unterminated heredoc `{name}`")));
                }
                if chomp {
                    content = content
                        .split_inclusive('\n')
                        .map(|l| l.trim_start_matches('\t'))
                        .collect();
                }
                ins.heredocs.push(Heredoc {
                    name,
                    content,
                    expand,
                    word,
                });
            }
        }
        out.push(ins);
    }
    Ok(Dockerfile {
        escape,
        instructions: out,
    })
}

fn heredoc_capable(cmd: &str) -> bool {
    matches!(cmd, "RUN" | "COPY" | "ADD")
}

/// `line` without its continuation escape (and the spaces after it), if it
/// ends in one: `([^E])E[ \t]*$|^E[ \t]*$`.
fn strip_continuation(line: &str, escape: char) -> Option<&str> {
    let t = line.trim_end_matches([' ', '\t']);
    let head = t.strip_suffix(escape)?;
    if head.ends_with(escape) {
        return None;
    }
    Some(head)
}

/// The command word, the leading flags and the rest.
fn split_instruction(logical: &str, line: usize, escape: char) -> Result<Instruction, LexError> {
    let s = logical.trim();
    let (cmd, mut rest) = match s.find(|c: char| c.is_whitespace()) {
        Some(p) => (&s[..p], s[p..].trim_start()),
        None => (s, ""),
    };
    if cmd.is_empty() || !cmd.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(err(
            line,
            format!("`{}` is not a Dockerfile instruction", short(cmd)),
        ));
    }
    let cmd = cmd.to_ascii_uppercase();
    let mut flags = Vec::new();
    // HEALTHCHECK, STOPSIGNAL and ARG read flags too (or ignore them).
    loop {
        if !rest.starts_with("--") {
            break;
        }
        let end = word_end(rest, escape);
        let word = &rest[..end];
        let unquoted = unquote_flag(word, escape);
        rest = rest[end..].trim_start();
        if unquoted == "--" {
            break;
        }
        let body = &unquoted[2..];
        match body.split_once('=') {
            Some((k, v)) => flags.push((k.to_string(), Some(v.to_string()))),
            None => flags.push((body.to_string(), None)),
        }
    }
    Ok(Instruction {
        line,
        cmd,
        flags,
        rest: rest.trim().to_string(),
        rest_lines: None,
        heredocs: Vec::new(),
    })
}

/// `rest` (a suffix of `logical`, up to trailing blanks) with a `\` and a
/// line break at each place inside it where a continued line was joined.
fn rest_lines(logical: &str, rest: &str, joins: &[usize]) -> Option<String> {
    let end = logical.trim_end().len();
    let start = end.checked_sub(rest.len())?;
    if logical.get(start..end)? != rest {
        return None;
    }
    let mut out = String::new();
    let mut last = 0;
    for j in joins.iter().filter(|&&j| j > start && j < end) {
        out.push_str(rest.get(last..j - start)?);
        out.push_str("\\\n");
        last = j - start;
    }
    if last == 0 {
        return None;
    }
    out.push_str(rest.get(last..)?);
    Some(out)
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// The end of the first whitespace-separated word, respecting quotes.
fn word_end(s: &str, escape: char) -> usize {
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            None if c.is_whitespace() => return i,
            None if c == escape => {
                chars.next();
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => {
                chars.next();
            }
            _ => {}
        }
    }
    s.len()
}

fn unquote_flag(word: &str, escape: char) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match quote {
            None if c == escape => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Heredoc words in an instruction's text (`<<EOF`, `<<-'EOF'`, `2<<EOF`):
/// (the word, name, chomp tabs, expand).
fn heredoc_words(rest: &str) -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    if rest.starts_with('[') && serde_json::from_str::<Vec<String>>(rest).is_ok() {
        return out;
    }
    let words = split_words_glue_heredoc(rest);
    for w in words {
        let digits = w.chars().take_while(|c| c.is_ascii_digit()).count();
        let Some(after) = w[digits..].strip_prefix("<<") else {
            continue;
        };
        if after.starts_with('<') {
            continue;
        }
        let (chomp, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let after = after.trim_start();
        if after.is_empty() || after.contains('<') {
            continue;
        }
        let quoted = after.contains(['"', '\'']);
        let name: String = after.chars().filter(|c| *c != '"' && *c != '\'').collect();
        if name.is_empty() {
            continue;
        }
        out.push((w.clone(), name, chomp, !quoted));
    }
    out
}

/// Whitespace-separated words, where `<<` followed by spaces is glued to
/// the next word (as the lexer does).
fn split_words_glue_heredoc(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if cur.ends_with("<<") || cur.ends_with("<<-") {
                    cur.push(c);
                } else if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .map(|w| w.chars().filter(|c| !matches!(c, ' ' | '\t')).collect())
        .collect()
}

/// A JSON array of strings, if `rest` is one (exec form).
pub fn json_form(rest: &str) -> Option<Vec<String>> {
    if !rest.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(rest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_flags() {
        let df = parse("# syntax=docker/dockerfile:1\nFROM alpine:3.20 AS base\nRUN --mount=type=cache,target=/x \\\n  # c\n  apk add \\\n    curl\n").expect("parses");
        assert_eq!(df.instructions.len(), 2);
        let run = &df.instructions[1];
        assert_eq!(run.cmd, "RUN");
        assert_eq!(
            run.flags,
            vec![(
                "mount".to_string(),
                Some("type=cache,target=/x".to_string())
            )]
        );
        assert_eq!(run.rest, "apk add     curl");
        assert_eq!(run.line, 3);
    }

    #[test]
    fn heredocs() {
        let df = parse("FROM a:1\nRUN <<EOF\necho hi\nEOF\nRUN <<-'X' cat\n\tline\n\tX\n")
            .expect("parses");
        assert_eq!(df.instructions[1].heredocs[0].content, "echo hi\n");
        let h = &df.instructions[2].heredocs[0];
        assert_eq!(
            (h.name.as_str(), h.content.as_str(), h.expand),
            ("X", "line\n", false)
        );
    }

    #[test]
    fn escape_directive() {
        let df = parse("# escape=`\nFROM a:1\nRUN a `\n b\n").expect("parses");
        assert_eq!(df.escape, '`');
        assert_eq!(df.instructions[1].rest, "a  b");
    }

    #[test]
    fn words() {
        let w = lex_words(r#"A=1 "b c" 'd $e' \$f ${G:-x} $H"#, '\\');
        assert_eq!(w.len(), 6);
        assert_eq!(w[1], vec![Piece::Lit("b c".into())]);
        assert_eq!(w[2], vec![Piece::Lit("d $e".into())]);
        assert_eq!(w[3], vec![Piece::Lit("$f".into())]);
        assert_eq!(
            w[4],
            vec![Piece::Var {
                name: "G".into(),
                default: Some("x".into())
            }]
        );
    }

    #[test]
    fn not_a_dockerfile() {
        assert!(parse("{\"a\": 1}").is_err());
        assert!(parse("").is_ok_and(|d| d.instructions.is_empty()));
    }
}
