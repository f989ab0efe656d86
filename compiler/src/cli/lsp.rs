//! `msbc lsp`: the language server over stdio (`lsp-server` does the
//! JSON-RPC framing, `lsp-types` the messages). This file is the protocol
//! loop and the I/O (template folders, the build context); the answers are
//! the pure functions of `editor::ide`.

use super::{CliResult, OK, templates};
use crate::editor::analysis;
use crate::editor::graph::Format;
use crate::editor::ide::{self, Doc};
use crate::expand::Catalog;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The command that returns `msbc graph` of a document: arguments
/// `[uri, "mermaid" | "dot"]`.
pub const GRAPH_COMMAND: &str = "msbc.graph";

pub(super) fn lsp_cmd() -> CliResult {
    let (connection, io) = Connection::stdio();
    let result = serve(&connection);
    drop(connection);
    let joined = io.join();
    match (result, joined) {
        (Ok(()), Ok(())) => Ok(OK),
        (Err(e), _) => Err(format!("language server: {e}")),
        (_, Err(e)) => Err(format!("language server: {e}")),
    }
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..lsp::TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec!["=".into(), "{".into(), " ".into(), "\"".into()]),
            ..lsp::CompletionOptions::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..lsp::CodeActionOptions::default()
            },
        )),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![GRAPH_COMMAND.to_string()],
            ..lsp::ExecuteCommandOptions::default()
        }),
        ..lsp::ServerCapabilities::default()
    }
}

/// What a spec's folder gives expansion: templates and context files,
/// read once and again when the spec's `templates` list changes or it is saved.
struct Context {
    dir: Option<PathBuf>,
    template_dirs: Vec<String>,
    /// The spec's `context "../.."` depth: project files are read there.
    depth: usize,
    /// The spec's `context { ignore }` patterns: the listing leaves them out.
    ignore: Vec<String>,
    /// The spec's folder within its context (templates' `service_dir`).
    service_dir: String,
    catalog: Catalog,
    files: Vec<String>,
    /// The project files presets take versions from (go.mod, package.json...).
    contents: std::collections::BTreeMap<String, String>,
    /// Why the templates could not be read, shown once.
    problem: Option<String>,
}

impl Context {
    fn load(
        dir: Option<&Path>,
        template_dirs: Vec<String>,
        depth: usize,
        ignore: Vec<String>,
    ) -> Context {
        let (catalog, mut problem) = match dir {
            Some(d) => match templates::catalog(d, &template_dirs, &[]) {
                Ok(c) => (c, None),
                Err(e) => (Catalog::stdlib(), Some(e)),
            },
            None => (Catalog::stdlib(), None),
        };
        // The build context, as the CLI finds it (the spec's `context`).
        let context = dir.and_then(|d| {
            super::spec::context_for(d, None, depth)
                .map_err(|e| problem = problem.take().or(Some(e)))
                .ok()
        });
        let (files, contents) = context
            .as_ref()
            .map(|c| templates::context_view(&c.root, &ignore))
            .unwrap_or_default();
        Context {
            dir: dir.map(Path::to_path_buf),
            template_dirs,
            depth,
            ignore,
            service_dir: context.map(|c| c.service_dir).unwrap_or_default(),
            catalog,
            files,
            contents,
            problem,
        }
    }
}

struct Server<'c> {
    conn: &'c Connection,
    docs: HashMap<lsp::Url, Doc>,
    contexts: HashMap<lsp::Url, Context>,
}

fn serve(conn: &Connection) -> Result<(), String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    conn.initialize(caps).map_err(|e| e.to_string())?;
    let mut server = Server {
        conn,
        docs: HashMap::new(),
        contexts: HashMap::new(),
    };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                let id = req.id.clone();
                // A bug must cost one answer, never the server.
                let response =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.request(req)))
                        .unwrap_or_else(|_| {
                            Response::new_err(
                                id,
                                ErrorCode::InternalError as i32,
                                "msbc failed on this request (a bug: please report it)".to_string(),
                            )
                        });
                server.send(Message::Response(response));
            }
            Message::Notification(n) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    server.notification(n)
                }));
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn spec_dir(uri: &lsp::Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

impl Server<'_> {
    fn send(&self, msg: Message) {
        let _ = self.conn.sender.send(msg);
    }

    fn notify<N: lsp::notification::Notification>(&self, params: N::Params) {
        self.send(Message::Notification(Notification::new(
            N::METHOD.to_string(),
            params,
        )));
    }

    /// Checks `text` as the CLI would check the file at `uri`, and
    /// publishes its diagnostics.
    fn update(&mut self, uri: lsp::Url, text: String, reload: bool) {
        let parsed = crate::compile::parse(text.as_bytes());
        let (template_dirs, depth) = (parsed.template_dirs(), parsed.context_depth());
        let ignore = parsed.context_ignore();
        let stale = reload
            || self.contexts.get(&uri).is_none_or(|c| {
                c.template_dirs != template_dirs || c.depth != depth || c.ignore != ignore
            });
        if stale {
            let dir = spec_dir(&uri);
            let ctx = Context::load(dir.as_deref(), template_dirs, depth, ignore);
            if let Some(problem) = &ctx.problem {
                self.notify::<lsp::notification::ShowMessage>(lsp::ShowMessageParams {
                    typ: lsp::MessageType::WARNING,
                    message: format!("msbc: {problem}; using the stdlib presets only"),
                });
            }
            self.contexts.insert(uri.clone(), ctx);
        }
        let Some(ctx) = self.contexts.get(&uri) else {
            return;
        };
        let analysis = analysis::analyze(
            text.as_bytes(),
            crate::expand::Context {
                catalog: &ctx.catalog,
                files: &ctx.files,
                contents: &ctx.contents,
                service_dir: &ctx.service_dir,
            },
        );
        let _ = &ctx.dir;
        let doc = Doc::new(uri.clone(), text, analysis);
        let diagnostics = ide::diagnostics(&doc);
        self.docs.insert(uri.clone(), doc);
        self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        });
    }

    fn notification(&mut self, n: Notification) {
        use lsp::notification as n_;
        match n.method.as_str() {
            n_::DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidOpenTextDocumentParams>(n_::DidOpenTextDocument::METHOD)
                {
                    self.update(p.text_document.uri, p.text_document.text, true);
                }
            }
            n_::DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidChangeTextDocumentParams>(n_::DidChangeTextDocument::METHOD)
                    && let Some(change) = p.content_changes.into_iter().last()
                {
                    self.update(p.text_document.uri, change.text, false);
                }
            }
            n_::DidSaveTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidSaveTextDocumentParams>(n_::DidSaveTextDocument::METHOD)
                    && let Some(doc) = self.docs.get(&p.text_document.uri)
                {
                    let text = p.text.unwrap_or_else(|| doc.text.clone());
                    self.update(p.text_document.uri, text, true);
                }
            }
            n_::DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidCloseTextDocumentParams>(n_::DidCloseTextDocument::METHOD)
                {
                    self.docs.remove(&p.text_document.uri);
                    self.contexts.remove(&p.text_document.uri);
                    self.notify::<n_::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    });
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, req: Request) -> Response {
        use lsp::request as r;
        let id = req.id.clone();
        let result = match req.method.as_str() {
            r::HoverRequest::METHOD => self.on::<r::HoverRequest>(req, |s, p| {
                let pos = p.text_document_position_params;
                let (doc, ctx) = s.doc(&pos.text_document.uri)?;
                Ok(ide::hover(doc, &ctx.catalog, pos.position))
            }),
            r::Completion::METHOD => self.on::<r::Completion>(req, |s, p| {
                let pos = p.text_document_position;
                let (doc, ctx) = s.doc(&pos.text_document.uri)?;
                Ok(Some(lsp::CompletionResponse::Array(ide::completion(
                    doc,
                    &ctx.catalog,
                    pos.position,
                ))))
            }),
            r::GotoDefinition::METHOD => self.on::<r::GotoDefinition>(req, |s, p| {
                let pos = p.text_document_position_params;
                let (doc, _) = s.doc(&pos.text_document.uri)?;
                Ok(ide::definition(doc, pos.position).map(lsp::GotoDefinitionResponse::Scalar))
            }),
            r::References::METHOD => self.on::<r::References>(req, |s, p| {
                let pos = p.text_document_position;
                let (doc, _) = s.doc(&pos.text_document.uri)?;
                Ok(Some(ide::references(
                    doc,
                    pos.position,
                    p.context.include_declaration,
                )))
            }),
            r::DocumentSymbolRequest::METHOD => self.on::<r::DocumentSymbolRequest>(req, |s, p| {
                let (doc, _) = s.doc(&p.text_document.uri)?;
                Ok(Some(lsp::DocumentSymbolResponse::Nested(
                    ide::document_symbols(doc),
                )))
            }),
            r::Formatting::METHOD => self.on::<r::Formatting>(req, |s, p| {
                let (doc, _) = s.doc(&p.text_document.uri)?;
                ide::formatting(doc).map(Some).map_err(failed)
            }),
            r::Rename::METHOD => self.on::<r::Rename>(req, |s, p| {
                let pos = p.text_document_position;
                let (doc, _) = s.doc(&pos.text_document.uri)?;
                ide::rename(doc, pos.position, &p.new_name)
                    .map(Some)
                    .map_err(failed)
            }),
            r::CodeActionRequest::METHOD => self.on::<r::CodeActionRequest>(req, |s, p| {
                let (doc, _) = s.doc(&p.text_document.uri)?;
                Ok(Some(ide::code_actions(doc, p.range)))
            }),
            r::ExecuteCommand::METHOD => self.on::<r::ExecuteCommand>(req, |s, p| {
                if p.command != GRAPH_COMMAND {
                    return Err((
                        ErrorCode::InvalidParams,
                        format!("no command `{}`", p.command),
                    ));
                }
                let uri = p
                    .arguments
                    .first()
                    .and_then(|v| v.as_str())
                    .and_then(|u| lsp::Url::parse(u).ok())
                    .ok_or((
                        ErrorCode::InvalidParams,
                        "arguments: [document uri, \"mermaid\" | \"dot\"]".to_string(),
                    ))?;
                let format = match p.arguments.get(1).and_then(|v| v.as_str()) {
                    None | Some("mermaid") => Format::Mermaid,
                    Some("dot") => Format::Dot,
                    Some(other) => {
                        return Err((
                            ErrorCode::InvalidParams,
                            format!("no graph format `{other}` (mermaid or dot)"),
                        ));
                    }
                };
                let (doc, _) = s.doc(&uri)?;
                ide::graph(doc, format)
                    .map(|g| Some(serde_json::Value::String(g)))
                    .map_err(failed)
            }),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("msbc lsp does not support `{other}`"),
            )),
        };
        match result {
            Ok(value) => Response {
                id,
                result: Some(value),
                error: None,
            },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// Decodes `req`'s parameters, runs `f` and encodes its answer.
    fn on<R: lsp::request::Request>(
        &mut self,
        req: Request,
        f: impl FnOnce(&Self, R::Params) -> Result<R::Result, (ErrorCode, String)>,
    ) -> Result<serde_json::Value, (ErrorCode, String)> {
        let (_, params) = req
            .extract::<R::Params>(R::METHOD)
            .map_err(|e| (ErrorCode::InvalidParams, format!("{e:?}")))?;
        let result = f(self, params)?;
        serde_json::to_value(result).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    fn doc(&self, uri: &lsp::Url) -> Result<(&Doc, &Context), (ErrorCode, String)> {
        match (self.docs.get(uri), self.contexts.get(uri)) {
            (Some(d), Some(c)) => Ok((d, c)),
            _ => Err((
                ErrorCode::InvalidParams,
                format!("{uri} is not open (send textDocument/didOpen first)"),
            )),
        }
    }
}

fn failed(message: String) -> (ErrorCode, String) {
    (ErrorCode::RequestFailed, message)
}
