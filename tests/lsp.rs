//! `msbc lsp`: protocol-level tests against the real binary over stdio
//! (messages framed by `lsp-server`'s own reader and writer), and a real
//! editor's client (Neovim headless, its built-in LSP client).

use crate::support::root;
use lsp_server::{Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};
use std::io::{BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Message>,
    next: i32,
    /// Diagnostics published so far, by URI (the latest).
    published: std::collections::HashMap<String, Vec<Value>>,
}

const WAIT: Duration = Duration::from_secs(20);

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_msbc"))
            .arg("lsp")
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("msbc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(msg)) = Message::read(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            messages: rx,
            next: 0,
            published: Default::default(),
        };
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        assert!(init.error.is_none(), "{init:?}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, msg: Message) {
        msg.write(&mut self.stdin).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    /// Keeps what arrives until `want` says stop (diagnostics are recorded).
    fn pump(&mut self, mut want: impl FnMut(&Message) -> bool) -> Message {
        loop {
            let msg = self
                .messages
                .recv_timeout(WAIT)
                .expect("the server answers in time");
            if let Message::Notification(n) = &msg
                && n.method == "textDocument/publishDiagnostics"
            {
                let uri = n.params["uri"].as_str().unwrap_or("").to_string();
                let list = n.params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                self.published.insert(uri, list);
            }
            if want(&msg) {
                return msg;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.send(Message::Request(Request::new(
            id.clone(),
            method.to_string(),
            params,
        )));
        match self.pump(|m| matches!(m, Message::Response(r) if r.id == id)) {
            Message::Response(r) => r,
            _ => unreachable!(),
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.error.is_none(), "{method}: {:?}", r.error);
        r.result.unwrap_or(Value::Null)
    }

    /// Opens `text` as `uri` and returns the diagnostics published for it.
    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.published.remove(uri);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "kdl", "version": 1, "text": text}}),
        );
        self.diagnostics(uri)
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) -> Vec<Value> {
        self.published.remove(uri);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        self.diagnostics(uri)
    }

    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let uri = uri.to_string();
        self.pump(|m| {
            matches!(m, Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri.as_str())
        });
        self.published.get(&uri).cloned().unwrap_or_default()
    }

    fn stop(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.error.is_none());
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "{status:?}");
    }
}

fn uri(path: &Path) -> String {
    lsp_types::Url::from_file_path(path)
        .expect("absolute path")
        .to_string()
}

fn at(line: u32, character: u32, uri: &str) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

/// The (line, column) of `needle` in `text`, 0-based (ASCII text).
fn find(text: &str, needle: &str) -> (u32, u32) {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in the text"));
    let line = text[..i].matches('\n').count();
    let col = i - text[..i].rfind('\n').map_or(0, |n| n + 1);
    (line as u32, col as u32)
}

#[test]
fn lsp_diagnostics_are_msbc_checks_for_every_fixture() {
    let mut client = Client::start();
    let mut fixtures: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/diagnostics"))
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "kdl"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() > 40);
    let mut compared = 0;
    for path in &fixtures {
        let bytes = std::fs::read(path).expect("read");
        let Ok(text) = String::from_utf8(bytes) else {
            continue; // the editor cannot hold it as text (E0002)
        };
        let shown = path.display().to_string();
        let check = crate::support::msbc(&["check", &shown, "--format", "json"]);
        let want: Value = serde_json::from_str(&check.stdout).expect("json");
        let got = client.open(&uri(path), &text);
        let want = want["diagnostics"].as_array().expect("list");
        assert_eq!(got.len(), want.len(), "{shown}: {got:#?}\nvs {want:#?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g["code"], w["code"], "{shown}");
            assert_eq!(g["message"], w["message"], "{shown}");
            if let (Some(line), Some(col)) = (w["line"].as_u64(), w["column"].as_u64()) {
                assert_eq!(
                    g["range"]["start"]["line"].as_u64(),
                    Some(line - 1),
                    "{shown}: {g}"
                );
                assert_eq!(
                    g["range"]["start"]["character"].as_u64(),
                    Some(col - 1),
                    "{shown}: {g}"
                );
            }
            if let Some(help) = w["help"].as_str() {
                let related = g["relatedInformation"].to_string();
                assert!(
                    related.contains(&format!("help: {help}").replace('"', "\\\""))
                        || related.contains("help: "),
                    "{shown}: {related}"
                );
            }
            compared += 1;
        }
    }
    assert!(compared > 40, "{compared}");
    client.stop();
}

const SPEC: &str = r#"msbc 1
arg GO_VERSION "1.23"
toolchain go image="golang:${GO_VERSION}" {
    cache "/go/pkg/mod"
}
stage deps toolchain=go {
    run "go mod download"
}
stage build from=deps {
    run "go build -o /out/app"
}
artifact app from=build path="/out/app"
image web from="gcr.io/distroless/static-debian12:nonroot" {
    copy artifact=app to="/app"
    user "nonroot"
    entrypoint "/app"
}
"#;

#[test]
fn lsp_features_over_the_protocol() {
    let dir = crate::support::TempDir::new("lsp");
    let path = dir.join("build.kdl");
    std::fs::write(&path, SPEC).expect("write");
    let uri = uri(&path);
    let mut c = Client::start();

    // A clean spec: no diagnostics. A typo: E0202 at its range, with a quick fix.
    assert_eq!(c.open(&uri, SPEC), Vec::<Value>::new());
    let typo = SPEC.replace("from=deps", "from=dep");
    let diags = c.change(&uri, 2, &typo);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let (line, col) = find(&typo, "dep {");
    assert_eq!(diags[0]["code"], "E0202");
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": line, "character": col})
    );
    assert_eq!(
        diags[0]["range"]["end"],
        json!({"line": line, "character": col + 3})
    );
    let actions = c.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diags[0]["range"], "context": {"diagnostics": diags}}),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "deps", "{actions:#}");
    assert_eq!(edit["range"], diags[0]["range"]);
    assert_eq!(c.change(&uri, 3, SPEC), Vec::<Value>::new());

    // Completion after `from=`: the stages and images.
    let text = SPEC.replace("from=deps", "from=");
    c.change(&uri, 4, &text);
    let (line, col) = find(&text, "from= {");
    let items = c.result("textDocument/completion", at(line, col + 5, &uri));
    let labels = item_labels(&items);
    for want in ["deps", "build", "web", "scratch"] {
        assert!(labels.contains(&want), "{labels:?}");
    }
    assert!(
        !labels.contains(&"app"),
        "an artifact is no base: {labels:?}"
    );
    // After `artifact=`: artifacts; inside `${`: args; a step at a block's start: step names.
    let text2 = SPEC.replace("artifact=app", "artifact=");
    c.change(&uri, 5, &text2);
    let (line, col) = find(&text2, "artifact= ");
    let items = c.result("textDocument/completion", at(line, col + 9, &uri));
    assert_eq!(items[0]["label"], "app", "{items:#}");
    let (line, col) = find(SPEC, "${GO_VERSION}");
    c.change(&uri, 6, SPEC);
    let items = c.result("textDocument/completion", at(line, col + 2, &uri));
    let labels = item_labels(&items);
    assert!(
        labels.contains(&"GO_VERSION") && labels.contains(&"TARGETARCH"),
        "{labels:?}"
    );
    let (line, _) = find(SPEC, "    run \"go build");
    let items = c.result("textDocument/completion", at(line, 4, &uri));
    let labels = item_labels(&items);
    assert!(
        labels.contains(&"copy") && labels.contains(&"run") && !labels.contains(&"stage"),
        "{labels:?}"
    );
    // Property values: `sharing=` inside a toolchain's cache.
    let text3 = SPEC.replace("cache \"/go/pkg/mod\"", "cache \"/go/pkg/mod\" sharing=");
    c.change(&uri, 7, &text3);
    let (line, col) = find(&text3, "sharing=");
    let items = c.result("textDocument/completion", at(line, col + 8, &uri));
    assert!(items.to_string().contains("\\\"locked\\\""), "{items:#}");
    c.change(&uri, 8, SPEC);

    // Go to definition: `from=deps` → `stage deps`; `${GO_VERSION}` → its arg.
    let (line, col) = find(SPEC, "from=deps");
    let def = c.result("textDocument/definition", at(line, col + 6, &uri));
    let (dl, dc) = find(SPEC, "deps toolchain");
    assert_eq!(
        def["range"]["start"],
        json!({"line": dl, "character": dc}),
        "{def:#}"
    );
    let (line, col) = find(SPEC, "GO_VERSION}");
    let def = c.result("textDocument/definition", at(line, col + 1, &uri));
    assert_eq!(
        def["range"]["start"],
        json!({"line": 1, "character": 4}),
        "{def:#}"
    );
    // References of `build`: the artifact's from= and the stage's own name.
    let (line, col) = find(SPEC, "build from=deps");
    let refs = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}, "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(2), "{refs:#}");

    // Hover: a node, an arg reference, a code in a comment.
    let hover = c.result("textDocument/hover", at(5, 1, &uri));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("A build stage"),
        "{hover:#}"
    );
    let (line, col) = find(SPEC, "GO_VERSION}");
    let hover = c.result("textDocument/hover", at(line, col + 2, &uri));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("default `1.23`"),
        "{hover:#}"
    );

    // Symbols: the outline.
    let symbols = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["GO_VERSION", "go", "deps", "build", "web", "app"]
    );

    // Rename `build` (stage) everywhere.
    let (line, col) = find(SPEC, "build from=deps");
    let edit = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col + 1}, "newName": "compile"}),
    );
    assert_eq!(
        edit["changes"][&uri].as_array().map(Vec::len),
        Some(2),
        "{edit:#}"
    );

    // Formatting is `msbc fmt`.
    let messy = "msbc 1\nimage web from=\"alpine:3\" { run \"true\"; }\n";
    c.change(&uri, 9, messy);
    let edits = c.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let fmt = crate::support::msbc_in(&root(), &["fmt", "-"], Some(messy.as_bytes()));
    assert_eq!(
        edits[0]["newText"].as_str(),
        Some(fmt.stdout.as_str()),
        "{edits:#}"
    );

    // The graph as a command.
    c.change(&uri, 10, SPEC);
    let graph = c.result(
        "workspace/executeCommand",
        json!({"command": "msbc.graph", "arguments": [uri, "dot"]}),
    );
    assert!(
        graph.as_str().unwrap_or("").contains("digraph build"),
        "{graph}"
    );

    // A request it does not support: the protocol's error.
    let r = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(r.error.map(|e| e.code), Some(-32601));

    // Any document, half-typed or binary: diagnostics, and the server goes on.
    for (v, junk) in [
        "msbc 1\nstage x from=\"",
        "\u{0}\u{1}\u{fffd}{{{{",
        "stage { { } } }",
        "msbc 1\nuse \"",
        "",
    ]
    .iter()
    .enumerate()
    {
        c.change(&uri, 20 + v as i32, junk);
        let _ = c.result("textDocument/completion", at(1, 5, &uri));
        let _ = c.result("textDocument/hover", at(0, 1, &uri));
        let _ = c.result(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    c.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lsp_hover_and_complete_a_preset_with_the_specs_folder_as_context() {
    // The spec's folder is the build context: a `go` preset sees go.mod there,
    // and templates folders are read relative to the spec, as the CLI does.
    let dir = crate::support::TempDir::new("lsp-preset");
    let text = "msbc 1\nuse go {\n    \n}\n";
    let path = dir.join("build.kdl");
    std::fs::write(&path, text).expect("write");
    std::fs::write(dir.join("go.mod"), "module x\n").expect("write");
    let uri = uri(&path);
    let mut c = Client::start();
    let got = c.open(&uri, text);
    let check = crate::support::msbc(&["check", &path.display().to_string(), "--format", "json"]);
    let want: Value = serde_json::from_str(&check.stdout).expect("json");
    let codes = |l: &[Value]| l.iter().map(|d| d["code"].clone()).collect::<Vec<_>>();
    assert_eq!(
        codes(&got),
        codes(want["diagnostics"].as_array().expect("list"))
    );
    let hover = c.result("textDocument/hover", at(1, 5, &uri));
    let value = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(
        value.contains("**use go**") && value.contains("`version`"),
        "{value}"
    );
    let items = c.result("textDocument/completion", at(2, 4, &uri));
    assert!(items.to_string().contains("\"version\""), "{items:#}");
    let items = c.result("textDocument/completion", at(1, 4, &uri));
    let labels = items.to_string();
    assert!(
        labels.contains("\"go\"") && labels.contains("\"python\""),
        "{labels}"
    );
    c.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lsp_reads_project_files_from_the_specs_context() {
    // A spec in apps/api whose lock file is at the repository root: with
    // `context "../.."` the editor finds it as `msbc check` does (no E0115).
    let dir = crate::support::TempDir::new("lsp-context");
    std::fs::create_dir_all(dir.join("apps/api")).expect("mkdir");
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"m","workspaces":["apps/*"]}"#,
    )
    .expect("write");
    std::fs::write(dir.join("package-lock.json"), r#"{"lockfileVersion":3}"#).expect("write");
    std::fs::write(dir.join("apps/api/package.json"), r#"{"name":"api"}"#).expect("write");
    let path = dir.join("apps/api/build.kdl");
    let plain = "msbc 1
use node
";
    let with_context = "msbc 1
context \"../..\"
use node
";
    std::fs::write(&path, plain).expect("write");
    let uri = uri(&path);
    let mut c = Client::start();
    let codes = |l: &[Value]| l.iter().map(|d| d["code"].clone()).collect::<Vec<_>>();
    let got = c.open(&uri, plain);
    assert_eq!(codes(&got), [json!("E0115")], "{got:#?}");
    let got = c.change(&uri, 2, with_context);
    assert_eq!(codes(&got), Vec::<Value>::new(), "{got:#?}");
    c.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs Neovim (Debian package neovim)"]
fn needs_nvim_lsp_with_neovims_own_client() {
    let Some(nvim) =
        crate::support::tool("nvim", "Neovim LSP client test", "Debian package neovim")
    else {
        panic!("needs nvim on PATH (Debian package neovim)");
    };
    let dir = crate::support::TempDir::new("nvim");
    let spec = dir.join("build.kdl");
    let typo = SPEC.replace("from=deps", "from=dep");
    std::fs::write(&spec, &typo).expect("write");
    let out = dir.join("out.txt");
    let (line, col) = find(&typo, "from=build");
    let status = Command::new(nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg(format!(
            "luafile {}",
            root().join("tests/tools/nvim-lsp.lua").display()
        ))
        .env("MSBC_BIN", env!("CARGO_BIN_EXE_msbc"))
        .env("MSBC_SPEC", &spec)
        .env("MSBC_OUT", &out)
        .env("MSBC_LINE", line.to_string())
        .env("MSBC_COL", (col + 6).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("nvim runs");
    let report = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        status.status.success(),
        "{}\n{report}",
        String::from_utf8_lossy(&status.stderr)
    );
    let (dl, dc) = find(&typo, "dep {");
    assert!(
        report.contains(&format!("diagnostic {dl}:{dc} E0202 ")),
        "{report}"
    );
    let (bl, bc) = find(&typo, "build from=dep");
    assert!(
        report.contains(&format!("definition {bl}:{bc}")),
        "{report}"
    );
    assert!(report.contains("hover **artifact"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The labels of a completion answer's items.
fn item_labels(items: &serde_json::Value) -> Vec<&str> {
    items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect()
}
