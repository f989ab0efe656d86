//! The fast KDL reader's white space: node and line space, newlines,
//! comments, slashdash and value terminators.

use super::Reader;

impl Reader<'_> {
    /// `&value-term`: the end, `=`, `)`, `{`, `}`, node space or a
    /// terminator follows (the cursor does not move).
    pub(super) fn value_term(&mut self) -> bool {
        let Some(c) = self.at(0) else {
            return true;
        };
        if matches!(
            c,
            b'=' | b')' | b'{' | b'}' | b';' | b'\n' | b'\r' | b' ' | b'\t'
        ) {
            return true;
        }
        if self.starts(b"//") {
            return true;
        }
        let save = self.i;
        let yes = matches!(self.node_space(), Some(true));
        self.i = save;
        yes
    }

    /// `terminator := ';' | newline | single-line-comment`
    pub(super) fn terminator(&mut self) -> bool {
        match self.at(0) {
            Some(b';') => {
                self.i += 1;
                true
            }
            _ => self.newline() || self.single_line_comment(),
        }
    }

    /// `line-space := node-space | newline | single-line-comment`;
    /// `None` for a broken comment or escline (the text is the crate's).
    pub(super) fn line_space(&mut self) -> Option<bool> {
        if self.node_space()? {
            return Some(true);
        }
        Some(self.newline() || self.single_line_comment())
    }

    /// `node-space*`; whether any was read.
    pub(super) fn node_spaces(&mut self) -> Option<bool> {
        let mut any = false;
        while self.node_space()? {
            any = true;
        }
        Some(any)
    }

    /// `node-space := ws* escline ws* | ws+`
    fn node_space(&mut self) -> Option<bool> {
        let save = self.i;
        let mut any = false;
        while self.ws()? {
            any = true;
        }
        if self.at(0) == Some(b'\\') {
            // escline := '\' ws* (single-line-comment | newline | eof) ws*
            let at = self.i;
            self.i += 1;
            while self.ws()? {}
            if self.single_line_comment() || self.newline() || self.eof() {
                while self.ws()? {}
                return Some(true);
            }
            self.i = at;
        }
        if !any {
            self.i = save;
        }
        Some(any)
    }

    /// `ws := ' ' | '\t' | multi-line-comment`; `None` for a comment that
    /// is never closed.
    fn ws(&mut self) -> Option<bool> {
        match self.at(0) {
            Some(b' ' | b'\t') => {
                self.i += 1;
                Some(true)
            }
            Some(b'/') if self.at(1) == Some(b'*') => {
                let mut depth = 0usize;
                loop {
                    if self.starts(b"/*") {
                        depth += 1;
                        self.i += 2;
                    } else if self.starts(b"*/") {
                        depth -= 1;
                        self.i += 2;
                        if depth == 0 {
                            return Some(true);
                        }
                    } else if self.eof() {
                        return None;
                    } else {
                        self.i += 1;
                    }
                }
            }
            _ => Some(false),
        }
    }

    /// `newline := CRLF | CR | LF`
    fn newline(&mut self) -> bool {
        match self.at(0) {
            Some(b'\r') => {
                self.i += if self.at(1) == Some(b'\n') { 2 } else { 1 };
                true
            }
            Some(b'\n') => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    /// `// ...` to the end of the line (newline included) or of the text.
    fn single_line_comment(&mut self) -> bool {
        if !self.starts(b"//") {
            return false;
        }
        self.i += 2;
        while !self.eof() && !self.newline() {
            self.i += 1;
        }
        true
    }

    /// `slashdash := '/-' (node-space | line-space)*`
    pub(super) fn slashdash(&mut self) -> Option<()> {
        self.i += 2;
        while self.line_space()? {}
        Some(())
    }
}
