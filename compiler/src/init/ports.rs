//! The port a service listens on, where its code makes it plain: a number
//! right after `PORT` (an environment default), `listen(`, `":` (Go's
//! `":8080"`), `InetSocketAddress(`, `port=`/`port:`/`--port`. Only one
//! distinct number counts: two candidates are a question for the user.

/// What comes before a port number, within a few characters on one line.
const MARKERS: &[&str] = &[
    "PORT",
    "listen(",
    "InetSocketAddress(",
    "port=",
    "port =",
    "port:",
    "port :",
    "--port",
    "--bind=0.0.0.0:",
    "\":",
    "':",
];

/// How far before the number a marker may start.
const REACH: usize = 40;

/// Every port candidate in `text`, with the line it is on (trimmed).
pub(super) fn candidates(text: &str) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() || (i > 0 && is_word(bytes[i - 1])) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i < bytes.len() && (is_word(bytes[i]) || bytes[i] == b'.') {
                continue;
            }
            let digits = &line[start..i];
            let Ok(port) = digits.parse::<u16>() else {
                continue;
            };
            if !(80..=65535).contains(&port) || digits.len() < 2 {
                continue;
            }
            let from = line[..start]
                .char_indices()
                .map(|(k, _)| k)
                .find(|k| start - k <= REACH)
                .unwrap_or(start);
            let before = &line[from..start];
            if MARKERS.iter().any(|m| before.contains(m)) {
                out.push((port, line.trim().to_string()));
            }
        }
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The one port the files name, with where: `Ok(Some((8080, "cmd/server/main.go: `port = \"8080\"`")))`;
/// `Err` with the candidates when they disagree.
pub(super) fn one<'a>(
    files: impl Iterator<Item = (&'a str, String)>,
) -> Result<Option<(u16, String)>, Vec<u16>> {
    let mut found: Vec<(u16, String)> = Vec::new();
    for (path, text) in files {
        for (port, line) in candidates(&text) {
            if !found.iter().any(|(p, _)| *p == port) {
                found.push((port, format!("{path}: `{line}`")));
            }
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(found.into_iter().map(|(p, _)| p).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(text: &str) -> Vec<u16> {
        candidates(text).into_iter().map(|(p, _)| p).collect()
    }

    #[test]
    fn ports_the_code_names() {
        assert_eq!(ports("\tport = \"8080\"\n"), [8080]);
        assert_eq!(
            ports("port := os.Getenv(\"PORT\")\nif port == \"\" {\n port = \"8080\"\n}"),
            [8080]
        );
        assert_eq!(
            ports("const port = Number(process.env.PORT || 3000);"),
            [3000]
        );
        assert_eq!(ports("srv := &http.Server{Addr: \":8080\"}"), [8080]);
        assert_eq!(ports("app.listen(4000, () => {})"), [4000]);
        assert_eq!(
            ports("serve(app, host=\"0.0.0.0\", port=int(os.environ.get(\"PORT\", \"8000\")))"),
            [8000]
        );
        assert_eq!(
            ports("HttpServer.create(new InetSocketAddress(8080), 0)"),
            [8080]
        );
        assert_eq!(ports("uvicorn.run(app, port=5000)"), [5000]);
    }

    #[test]
    fn numbers_that_are_no_ports() {
        assert!(ports("timeout := 30 * time.Second").is_empty());
        assert!(ports("version = \"1.2.3\"").is_empty());
        assert!(ports("x := v8080").is_empty());
        assert!(ports("PORT_COUNT = 3").is_empty());
        assert!(ports("retries: 5").is_empty());
    }

    #[test]
    fn two_different_ports_are_a_question() {
        let files = vec![
            ("a.js", "app.listen(3000)".to_string()),
            ("b.js", "app.listen(4000)".to_string()),
        ];
        assert_eq!(one(files.into_iter()), Err(vec![3000, 4000]));
        let same = vec![
            ("a.js", "app.listen(3000)".to_string()),
            ("b.js", "server.listen(3000)".to_string()),
        ];
        let (port, why) = one(same.into_iter()).expect("one").expect("a port");
        assert_eq!(port, 3000);
        assert!(why.starts_with("a.js: `app.listen(3000)`"), "{why}");
    }
}
