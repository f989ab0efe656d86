//! Template expansion: `use NAME key=value { ... }` → the nodes the
//! template makes, merged into the spec.
//!
//! What a template sees: its parameters (every declared one; unset ones are
//! `none`), `versions` (stdlib/versions.kdl as `versions.go.version`), and
//! the functions `has(path)` (is the file in the build context?),
//! `matching(suffix)` (context files ending with it), `basename(path)` and
//! `fail(message[, param[, value]])` (refuse the parameters: E0115 at the
//! user's `use`, or at the parameter or value named),
//! `warn(message)` (W0006 there), `project_version(language, default)`
//! (the version the project's files ask for: `{version, from}`, see
//! [`project`]), `project_mismatch(language, default, version)` ("older",
//! "newer" or ""), `version_parts(v)` (`[8, 0]`, or none), `read(path)`
//! (a project file's text, or none: [`project::is_project_file`]),
//! `go_layout(service_dir, mains)` (a Go module or workspace: [`workspace::go`]),
//! `node_project(service, pm)` (npm/pnpm/Yarn workspace members a service
//! needs: [`workspace::node`]),
//! `context_listed` (whether the file list is known: without one, `has`
//! says no to every file) and `service_dir` (the spec's folder within the
//! build context, "" at its root);
//! the filter `q` quotes a value as a KDL string.
//!
//! A template is minijinja text (`template.kdl.j2`) rendered to KDL and read
//! by the same front end as `build.kdl`, so a template can only produce what
//! a user could write. Its parameters are declared in data (`preset.kdl`)
//! and checked at the user's values. The rendered text gets a region of its
//! own past the end of the user's file; [`SourceMap`] maps anything found
//! there back to the `use` that made it, naming the template.

pub(crate) mod catalog;
mod merge;
mod params;
pub(crate) mod project;
mod ranges;
pub(crate) mod workspace;

pub use catalog::{Catalog, Manifest, ParamSpec, ParamType, TemplateFiles};

use crate::diag::{Code, Diagnostic, Diagnostics, Label, Span};
use crate::syntax::{
    self,
    ast::{ContextDecl, Document, PolicyDecl, Str, UseDecl},
};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Where each template's output sits in the virtual source.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    regions: Vec<Region>,
}

#[derive(Debug, Clone)]
struct Region {
    start: usize,
    end: usize,
    /// The `use` node that made it (possibly inside another region); `None`
    /// for a `policy.kdl`, which no line of the spec made.
    use_span: Option<Span>,
    template: String,
}

impl SourceMap {
    /// The templates expanded (a `use` made them), by name, sorted, once.
    pub fn templates(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .regions
            .iter()
            .filter(|r| r.use_span.is_some())
            .map(|r| r.template.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The span in the user's file that stands for `span`, and the chain of
    /// templates it came through (outermost first); `None` for a span in a
    /// `policy.kdl`, which has no place in the spec.
    pub fn to_user(&self, span: Span) -> (Option<Span>, Vec<&str>) {
        let mut span = span;
        let mut chain = Vec::new();
        while let Some(r) = self
            .regions
            .iter()
            .find(|r| span.start >= r.start && span.start <= r.end)
        {
            chain.insert(0, r.template.as_str());
            match r.use_span {
                Some(s) => span = s,
                None => return (None, chain),
            }
        }
        (Some(span), chain)
    }

    /// Moves a diagnostic found in template output onto the `use` line.
    pub fn map_diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        let mut templates: Vec<String> = Vec::new();
        let mut labels: Vec<Label> = Vec::new();
        for label in &d.labels {
            let (span, chain) = self.to_user(label.span);
            if chain.is_empty() {
                labels.push(label.clone());
                continue;
            }
            let Some(span) = span else {
                // A rule from a policy file: say where it is, label nothing.
                templates.push(chain.join(" → "));
                continue;
            };
            let from = chain
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" → ");
            if templates.is_empty() {
                templates.push(from.clone());
            }
            // One label per place: several template labels land on one `use`.
            if !labels.iter().any(|l| l.span == span) {
                labels.push(Label {
                    span,
                    message: format!("in the output of {from}: {}", label.message),
                });
            }
        }
        if let Some(from) = templates.first() {
            d.message = if from.ends_with("policy.kdl") {
                format!("{} (policy {from})", d.message)
            } else {
                format!("{} (in template {from})", d.message)
            };
        }
        d.labels = labels;
        d
    }
}

/// What expansion needs besides the spec.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The templates a `use` may name.
    pub catalog: &'a Catalog,
    /// Files of the build context (relative paths), for templates that
    /// detect a tool from a lockfile or a build file.
    pub files: &'a [String],
    /// Contents of the context's project files that exist (path → text:
    /// [`project::is_project_file`]), for templates that take a version or a
    /// workspace from the project; [`NO_CONTENTS`] when the caller read none.
    pub contents: &'a BTreeMap<String, String>,
    /// The spec's folder relative to the build context, `/`-separated, ""
    /// when the spec sits at the context's root (templates see it as
    /// `service_dir`: the service of a monorepo that this spec builds).
    pub service_dir: &'a str,
}

/// No project file contents (a spec checked on its own).
pub static NO_CONTENTS: BTreeMap<String, String> = BTreeMap::new();

/// Expands every `use` of `doc` (whose source is `source_len` bytes long).
pub fn expand(
    doc: Document,
    source_len: usize,
    ctx: Context<'_>,
    diags: &mut Diagnostics,
) -> (Document, SourceMap) {
    let mut ex = Expander {
        ctx,
        map: SourceMap::default(),
        next_base: source_len + 1,
    };
    let doc = with_ignore_file(doc, ctx.contents.get(project::IGNORE_FILE));
    let mut doc = ex.expand_document(doc, &mut Vec::new(), diags);
    for (origin, text) in ctx.catalog.policies() {
        doc.policies.extend(ex.policy_file(origin, text, diags));
    }
    (doc, ex.map)
}

/// The context's `.dockerignore` joins the spec's `context` patterns, before
/// them (a later pattern wins in an ignore file: the spec's word is last, and
/// a `!pattern` there can take back what the team's file excludes); preset
/// patterns go before both when templates merge. A pattern the spec also
/// writes is kept once, at the spec's place.
fn with_ignore_file(mut doc: Document, text: Option<&String>) -> Document {
    let Some(text) = text else {
        return doc;
    };
    let patterns = crate::paths::ignore_file_patterns(text);
    if patterns.is_empty() {
        return doc;
    }
    let context = doc.context.get_or_insert_with(|| ContextDecl {
        dir: None,
        ignore: Vec::new(),
        span: Span::new(0, 0),
    });
    let mut ignore: Vec<Str> = patterns
        .into_iter()
        .filter(|p| !context.ignore.iter().any(|m| &m.value == p))
        .map(|value| Str {
            value,
            span: context.span,
            content_start: None,
        })
        .collect();
    ignore.append(&mut context.ignore);
    context.ignore = ignore;
    doc
}

struct Expander<'a> {
    ctx: Context<'a>,
    map: SourceMap,
    next_base: usize,
}

impl Expander<'_> {
    fn expand_document(
        &mut self,
        mut doc: Document,
        stack: &mut Vec<String>,
        diags: &mut Diagnostics,
    ) -> Document {
        let uses = std::mem::take(&mut doc.uses);
        let mut inserted = 0;
        for u in &uses {
            if let Some(expanded) = self.expand_use(u, stack, diags) {
                inserted += merge::merge(&mut doc, expanded, u.stage_index + inserted);
            }
        }
        doc
    }

    fn expand_use(
        &mut self,
        u: &UseDecl,
        stack: &mut Vec<String>,
        diags: &mut Diagnostics,
    ) -> Option<Document> {
        let name = &u.preset.value;
        let Some(files) = self.ctx.catalog.get(name) else {
            let known: Vec<&str> = self.ctx.catalog.names().collect();
            diags.push(
                Diagnostic::new(
                    Code::UnknownPreset,
                    format!("no preset or template named `{name}`"),
                )
                .label(u.preset.span, "unknown preset")
                .suggest_or(
                    name,
                    known.iter().copied(),
                    "`msbc presets` lists the presets and templates there are; `--templates DIR` adds a folder of them",
                ),
            );
            return None;
        };
        if stack.contains(name) {
            let mut path = stack.clone();
            path.push(name.clone());
            diags.push(
                Diagnostic::new(
                    Code::TemplateCycle,
                    format!("templates use each other in a cycle: {}", path.join(" → ")),
                )
                .label(u.span, "this `use` closes the cycle")
                .help("a template cannot use itself, directly or through others"),
            );
            return None;
        }
        let broken = |detail: String| {
            Diagnostic::new(
                Code::TemplateError,
                format!("template `{name}` ({}) is broken: {detail}", files.origin),
            )
            .label(u.preset.span, "this template")
            .help("this is a problem in the template, not in your spec; tell its maintainers")
        };
        let manifest = match self.ctx.catalog.manifest(files) {
            Ok(m) => m,
            Err(e) => {
                diags.push(broken(e));
                return None;
            }
        };
        let values = params::check(u, &manifest, diags)?;
        let text = match self.render(files, values) {
            Ok((text, warnings)) => {
                for w in warnings {
                    diags.push(
                        Diagnostic::new(Code::ProjectVersion, format!("preset `{name}`: {w}"))
                            .label(u.preset.span, "the template warns about this `use`")
                            .help(format!(
                                "the build goes on as written; `msbc presets {name}` describes the parameters"
                            )),
                    );
                }
                text
            }
            Err(RenderError::Refused(why, at)) => {
                diags.push(
                    Diagnostic::new(
                        Code::PresetRefused,
                        format!("preset `{name}` cannot be used this way: {why}"),
                    )
                    .label(refused_at(u, &at), "refused by the template")
                    .help(format!(
                        "change the parameters of this `use` (`msbc presets {name}` describes them)"
                    )),
                );
                return None;
            }
            Err(RenderError::Broken(e)) => {
                diags.push(broken(e));
                return None;
            }
        };
        let base = self.next_base;
        self.next_base += text.len() + 1;
        self.map.regions.push(Region {
            start: base,
            end: base + text.len(),
            use_span: Some(u.preset.span),
            template: name.clone(),
        });
        let doc = syntax::parse_at(&text, base, diags)?;
        stack.push(name.clone());
        let doc = self.expand_document(doc, stack, diags);
        stack.pop();
        Some(doc)
    }

    /// The `policy` nodes of a template folder's `policy.kdl`.
    fn policy_file(
        &mut self,
        origin: &str,
        text: &str,
        diags: &mut Diagnostics,
    ) -> Vec<PolicyDecl> {
        let base = self.next_base;
        self.next_base += text.len() + 1;
        self.map.regions.push(Region {
            start: base,
            end: base + text.len(),
            use_span: None,
            template: origin.to_string(),
        });
        let Some(doc) = syntax::parse_at(text, base, diags) else {
            return Vec::new();
        };
        if !doc.stages.is_empty()
            || !doc.args.is_empty()
            || !doc.toolchains.is_empty()
            || !doc.uses.is_empty()
        {
            diags.push(Diagnostic::new(
                Code::TemplateError,
                format!("{origin} may hold only `policy` nodes"),
            ));
        }
        doc.policies
    }

    fn render(
        &self,
        files: &TemplateFiles,
        values: BTreeMap<String, Value>,
    ) -> Result<(String, Vec<String>), RenderError> {
        let refused: Arc<Mutex<Option<(String, Blame)>>> = Arc::default();
        let warned: Arc<Mutex<Vec<String>>> = Arc::default();
        let result = self.render_inner(files, values, refused.clone(), warned.clone());
        let why = refused.lock().ok().and_then(|mut r| r.take());
        let warnings = warned
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        match (result, why) {
            (Ok(text), None) => Ok((text, warnings)),
            (_, Some((why, at))) => Err(RenderError::Refused(why, at)),
            (Err(e), None) => Err(RenderError::Broken(e)),
        }
    }

    fn render_inner(
        &self,
        files: &TemplateFiles,
        values: BTreeMap<String, Value>,
        refused: Arc<Mutex<Option<(String, Blame)>>>,
        warned: Arc<Mutex<Vec<String>>>,
    ) -> Result<String, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| e.to_string())?;
        env.set_syntax(syntax);
        env.add_filter("q", kdl_quote);
        // `fail(message[, param[, value]])`: the template refuses what the
        // user asked for, at the `use`, or at the parameter (or the value of
        // it) that is wrong.
        env.add_function(
            "fail",
            move |message: String,
                  param: Option<String>,
                  value: Option<String>|
                  -> Result<Value, minijinja::Error> {
                if let Ok(mut slot) = refused.lock() {
                    *slot = Some((message.clone(), (param, value)));
                }
                Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    message,
                ))
            },
        );
        // `warn(message)`: W0006 at the user's `use`; the expansion goes on.
        env.add_function("warn", move |message: String| {
            if let Ok(mut w) = warned.lock() {
                w.push(message);
            }
            String::new()
        });
        env.add_function("basename", basename);
        // `project_version(language, default)`: what the project's own files ask
        // for, as {version, from}; none when they say nothing.
        let contents = self.ctx.contents.clone();
        let found =
            move |language: &str, default: &str| project::version(language, &contents, default);
        let found_too = found.clone();
        env.add_function(
            "project_version",
            move |language: String, default: String| {
                found(&language, &default).map(|f| {
                    Value::from_object(BTreeMap::from([
                        ("version".to_string(), Value::from(f.version)),
                        ("from".to_string(), Value::from(f.from)),
                    ]))
                })
            },
        );
        // `project_mismatch(language, default, version)`: "older" or "newer" when
        // `version` disagrees with the project's (a range that allows it agrees).
        env.add_function(
            "project_mismatch",
            move |language: String, default: String, version: String| {
                let relation =
                    found_too(&language, &default).and_then(|f| project::mismatch(&f, &version));
                match relation {
                    Some(project::Relation::Older) => "older",
                    Some(project::Relation::Newer) => "newer",
                    None => "",
                }
            },
        );
        // `version_parts("8.0")` is [8, 0]; none for what is not a dotted number.
        env.add_function("version_parts", |v: String| {
            project::numbers(&v).map(|n| n.into_iter().map(Value::from).collect::<Vec<_>>())
        });
        // `read(path)`: a project file's text (see `Context::contents`), or
        // none when it is absent, too large or not one templates may read.
        let texts = self.ctx.contents.clone();
        env.add_function("read", move |path: String| {
            texts.get(&path).map(|t| Value::from(t.clone()))
        });
        // `node_project(service, pm)`: the npm/pnpm/Yarn workspace members the
        // service needs (workspace::node); {error} for a shape it cannot build.
        let (node_files, node_texts) = (self.ctx.files.to_vec(), self.ctx.contents.clone());
        env.add_function("node_project", move |service: String, pm: String| {
            match workspace::node::resolve(&pm, &service, &node_files, &node_texts) {
                Ok(project) => workspace::to_value(&project),
                Err(error) => {
                    Value::from_object(BTreeMap::from([("error".to_string(), Value::from(error))]))
                }
            }
        });
        // `go_layout(service_dir, mains)`: the Go module or workspace
        // ([`workspace::go::layout`]).
        let (go_files, go_texts) = (self.ctx.files.to_vec(), self.ctx.contents.clone());
        env.add_function("go_layout", move |dir: String, mains: Vec<String>| {
            workspace::go::layout(&dir, &mains, &go_files, &go_texts).to_value()
        });
        // `python_project(dir, pm, files)`: the Python service in folder `dir`
        // (its uv workspace, scripts, groups, runtime files): workspace::python.
        let (py_texts, py_files) = (self.ctx.contents.clone(), self.ctx.files.to_vec());
        env.add_function(
            "python_project",
            move |dir: String, pm: String, files: Option<Vec<String>>| {
                let p =
                    workspace::python::project(&py_texts, &py_files, &dir, &pm, files.as_deref());
                workspace::to_value(&p)
            },
        );
        let context_files: Vec<String> = self.ctx.files.to_vec();
        let listed = context_files.clone();
        env.add_function("has", move |path: String| {
            context_files.iter().any(|f| f == &path)
        });
        // Files of the build context whose path ends with `suffix` (sorted).
        env.add_function("matching", move |suffix: String| {
            listed
                .iter()
                .filter(|f| f.ends_with(&suffix))
                .map(|f| Value::from(f.clone()))
                .collect::<Vec<_>>()
        });
        workspace::register_jvm_dotnet(&mut env, self.ctx.files, self.ctx.contents);
        let template = env
            .template_from_str(&files.template)
            .map_err(|e| describe(&e))?;
        let mut ctx = values;
        let versions: BTreeMap<String, Value> = self
            .ctx
            .catalog
            .versions()
            .into_iter()
            .map(|(k, props)| {
                (
                    k,
                    Value::from_object(
                        props
                            .into_iter()
                            .map(|(p, v)| (p, Value::from(v)))
                            .collect::<BTreeMap<_, _>>(),
                    ),
                )
            })
            .collect();
        ctx.insert("versions".to_string(), Value::from_object(versions));
        // Whether `has` can say no: without a file list (a spec checked on its
        // own) a template must not refuse for a file it cannot see.
        ctx.insert(
            "context_listed".to_string(),
            Value::from(!self.ctx.files.is_empty()),
        );
        ctx.insert("service_dir".to_string(), Value::from(self.ctx.service_dir));
        template
            .render(Value::from_object(ctx))
            .map_err(|e| describe(&e))
    }
}

fn describe(e: &minijinja::Error) -> String {
    let mut s = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_string);
    if let Some(line) = e.line() {
        s.push_str(&format!(" (template.kdl.j2 line {line})"));
    }
    s
}

/// Why rendering failed: the template refused its parameters (`fail()`),
/// or the template itself is broken.
enum RenderError {
    Refused(String, Blame),
    Broken(String),
}

/// What `fail()` blames: a parameter and one of its values, by name.
type Blame = (Option<String>, Option<String>);

/// Where a refusal is shown: the value or the parameter it names when the
/// spec has them, else the preset's name on the `use`.
fn refused_at(u: &UseDecl, (param, value): &Blame) -> Span {
    let Some(p) = param
        .as_deref()
        .and_then(|name| u.params.iter().find(|p| p.name.name == name))
    else {
        return u.preset.span;
    };
    let written = p.values.iter().chain(p.props.iter().map(|(_, v)| v));
    value
        .as_deref()
        .and_then(|value| {
            written
                .filter_map(|v| match v {
                    syntax::ast::ParamValue::Str(s) if s.value == value => Some(s.span),
                    _ => None,
                })
                .next()
        })
        .unwrap_or(p.span)
}

/// A value as a KDL string literal: the one way template values enter KDL.
/// An undefined value is an error (strict mode lets it reach a filter).
fn kdl_quote(value: Value) -> Result<String, minijinja::Error> {
    if value.is_undefined() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "`q` was given an undefined value",
        ));
    }
    Ok(crate::kdl_write::quoted(&value.to_string()))
}

/// The last path element of a package path (`./cmd/server` → `server`;
/// `.` → `app`), lowercased and made a valid stage name.
fn basename(path: String) -> String {
    syntax::to_stage_name(path.trim_end_matches('/').rsplit('/').next().unwrap_or(""))
}

#[cfg(test)]
mod tests;
