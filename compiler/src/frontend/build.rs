//! One build through the gateway: read the spec from the `dockerfile`
//! input, the template folders and the files presets detect from the
//! `context` input, compile as `msbc compile --emit llb` would, solve the
//! LLB of each platform and assemble the result with its image config.

use super::bridge::{Bridge, CallError};
use super::generated::errdefs;
use super::generated::google::rpc::Status;
use super::generated::moby::buildkit::v1::frontend as gw;
use super::options::Options;
use super::subrequests;
use crate::backend::llb::{self, BaseConfig, BaseConfigs, pb};
use crate::compile::{self, Emit};
use crate::diag::{Diagnostic, render};
use crate::expand::project::{
    LISTING_MAX_DEPTH as MAX_DEPTH, LISTING_MAX_FILES as MAX_FILES, LISTING_SKIP as SKIP,
    MAX_PROJECT_FILE, PROJECT_FILES,
};
use crate::expand::{self, Catalog, TemplateFiles};
use crate::lower::Selection;
use prost::Message;
use std::collections::BTreeMap;

/// What the environment adds to the options.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `BUILDKIT_SESSION_ID`: the client session that serves the inputs.
    pub session_id: String,
    /// The worker's platform (`BUILDKIT_WORKERS`), the default target.
    pub worker_platform: Option<String>,
}

/// Why the build failed, for BuildKit's error output.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    /// The spec and the ranges to show (BuildKit prints the snippet).
    pub source: Option<Box<(pb::SourceInfo, Vec<pb::Range>)>>,
}

impl Failure {
    fn plain(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            source: None,
        }
    }

    /// As the `google.rpc.Status` of ReturnRequest (code 3, invalid
    /// argument), with BuildKit's source-location detail.
    pub fn to_status(&self) -> Status {
        let details = self
            .source
            .iter()
            .map(|located| prost_types::Any {
                type_url: "github.com/moby/buildkit/errdefs.Source+json".to_string(),
                value: errdefs::Source {
                    info: Some(located.0.clone()),
                    ranges: located.1.clone(),
                }
                .encode_to_vec(),
            })
            .collect();
        Status {
            code: 3,
            message: self.message.clone(),
            details,
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        Failure::plain(e.0)
    }
}

/// The largest spec the frontend compiles (a real one is a few KB; the
/// front end reads about 1 MB/s of comments in a release build).
const MAX_SPEC: usize = 4 << 20;

/// Go's `os.ModeDir`.
const MODE_DIR: u32 = 1 << 31;

/// Runs the build; the result to return.
pub async fn build(bridge: &mut Bridge, opts: &Options, env: &Env) -> Result<gw::Result, Failure> {
    if opts.request.as_deref() == Some(subrequests::DESCRIBE) {
        return Ok(answer(bridge, subrequests::describe()));
    }
    if let Some(r) = &opts.request
        && ![
            subrequests::TARGETS,
            subrequests::OUTLINE,
            subrequests::LINT,
        ]
        .contains(&r.as_str())
    {
        return Err(Failure::plain(format!(
            "msbc's frontend does not answer the subrequest `{r}` (it answers {}, {}, {} and {})",
            subrequests::TARGETS,
            subrequests::OUTLINE,
            subrequests::LINT,
            subrequests::DESCRIBE
        )));
    }
    bridge.require(&["solve.base", "readfile"], "reading the spec")?;
    let spec = read_spec(bridge, opts, env).await?;

    let (catalog, files, contents) = context_inputs(bridge, opts, env, &spec).await?;
    let checked = compile::check_with(
        &spec,
        expand::Context {
            catalog: &catalog,
            files: &files,
            contents: &contents,
        },
    );
    if opts.request.as_deref() == Some(subrequests::LINT) {
        let meta = subrequests::lint(&checked.diagnostics, &opts.filename, &spec, &checked.text);
        return Ok(answer(bridge, meta));
    }
    let info = source_info(&opts.filename, &spec);
    for d in checked.diagnostics.sorted() {
        eprint!(
            "{}",
            render::human(d, &opts.filename, &checked.text, render::Style::Plain)
        );
        if !d.is_error() {
            let ranges = ranges(d, &checked.text);
            bridge
                .warn(gw::WarnRequest {
                    level: 1,
                    short: format!("{}: {}", d.code, d.message).into_bytes(),
                    detail: d.help.iter().map(|h| h.clone().into_bytes()).collect(),
                    url: String::new(),
                    digest: String::new(),
                    info: Some(info.clone()),
                    ranges,
                })
                .await?;
        }
    }
    let Some(model) = checked.model.filter(|_| !checked.diagnostics.has_errors()) else {
        let sorted = checked.diagnostics.sorted();
        let first = sorted.iter().find(|d| d.is_error());
        return Err(match first {
            Some(d) => located(d, &opts.filename, &checked.text, info, sorted.len()),
            None => Failure::plain(format!("{} has errors", opts.filename)),
        });
    };

    if opts.request.as_deref() == Some(subrequests::TARGETS) {
        return Ok(answer(bridge, subrequests::targets(&model)));
    }
    // Build args the spec declares; the others are reported, as Docker does.
    let mut args = Vec::new();
    for (name, value) in &opts.build_args {
        if model.args.iter().any(|a| &a.name == name) {
            args.push((name.clone(), value.clone()));
        } else if !is_predefined_arg(name) {
            eprintln!(
                "warning: build-arg {name} is not an arg of {}",
                opts.filename
            );
        }
    }
    if opts.request.as_deref() == Some(subrequests::OUTLINE) {
        let selection = Selection {
            target: opts.target.clone(),
            args: args.clone(),
            ..Selection::default()
        };
        let meta = subrequests::outline(&model, &selection)
            .map_err(|e| Failure::plain(format!("{}: {e}", opts.filename)))?;
        return Ok(answer(bridge, meta));
    }
    let platforms = if opts.platforms.is_empty() {
        vec![
            env.worker_platform
                .clone()
                .unwrap_or_else(|| llb::DEFAULT_PLATFORM.to_string()),
        ]
    } else {
        opts.platforms.clone()
    };
    if platforms.len() > 1 {
        bridge.require(&["returnmap"], "a build for several platforms")?;
    }

    let mut refs = Vec::new();
    let mut metadata = BTreeMap::new();
    for platform in &platforms {
        let selection = Selection {
            image: None,
            target: opts.target.clone(),
            args: args.clone(),
            platform: Some(platform.clone()),
            no_syntax: false,
        };
        let configs = base_configs(bridge, &model, &selection, &opts.filename).await?;
        let out = compile::emit_with(&model, &selection, Emit::Llb, &opts.filename, &configs)
            .map_err(|e| Failure::plain(format!("{}: {e}", opts.filename)))?;
        let bytes = out.binary.unwrap_or_default();
        let mut definition = pb::Definition::decode(bytes.as_slice())
            .map_err(|e| Failure::plain(format!("msbc wrote LLB it cannot read back: {e}")))?;
        if let Some(mode) = network_mode(opts.network.as_deref())? {
            definition = rewrite(&definition, |op| {
                if let Some(pb::op::Kind::Exec(exec)) = &mut op.kind
                    && exec.network == pb::NetMode::Unset as i32
                {
                    exec.network = mode as i32;
                }
            })?;
        }
        let id = bridge.solve(definition).await?;
        let config = with_labels(out.image_config.as_deref().unwrap_or("{}"), &opts.labels);
        refs.push((platform.clone(), id));
        metadata.insert(format!("containerimage.config/{platform}"), config.clone());
        if platforms.len() == 1 {
            metadata.insert("containerimage.config".to_string(), config);
        }
    }

    let new_refs = bridge.has("proto.refarray");
    let result = if refs.len() == 1 {
        let id = refs.remove(0).1;
        metadata.retain(|k, _| k == "containerimage.config");
        if new_refs {
            gw::result::Result::Ref(gw::Ref { id, def: None })
        } else {
            gw::result::Result::RefDeprecated(id)
        }
    } else {
        metadata.insert("refs.platforms".to_string(), platforms_json(&platforms));
        if new_refs {
            gw::result::Result::Refs(gw::RefMap {
                refs: refs
                    .into_iter()
                    .map(|(p, id)| (p, gw::Ref { id, def: None }))
                    .collect(),
            })
        } else {
            gw::result::Result::RefsDeprecated(gw::RefMapDeprecated {
                refs: refs.into_iter().collect(),
            })
        }
    };
    Ok(gw::Result {
        result: Some(result),
        metadata: metadata
            .into_iter()
            .map(|(k, v)| (k, v.into_bytes()))
            .collect(),
    })
}

/// The configs of the base images `selection` builds on, through
/// ResolveImageConfig (so runs and the image config inherit their Env,
/// WorkingDir, User, ... as the Dockerfile route does). Without the
/// `resolveimage` capability: none (BuildKit's default PATH only).
async fn base_configs(
    bridge: &mut Bridge,
    model: &crate::lower::Model,
    selection: &Selection,
    filename: &str,
) -> Result<BaseConfigs, Failure> {
    let mut configs = BaseConfigs::new();
    if !bridge.has("resolveimage") {
        eprintln!("warning: this BuildKit lacks `resolveimage`: base image configs are not read");
        return Ok(configs);
    }
    let pulls =
        compile::pulls(model, selection).map_err(|e| Failure::plain(format!("{filename}: {e}")))?;
    for pull in pulls {
        let mut parts = pull.platform.split('/');
        let platform = pb::Platform {
            os: parts.next().unwrap_or_default().to_string(),
            architecture: parts.next().unwrap_or_default().to_string(),
            variant: parts.next().unwrap_or_default().to_string(),
        };
        let (digest, bytes) = bridge
            .resolve_image_config(&pull.reference, &platform)
            .await?;
        let mut config = BaseConfig::from_json(&bytes).map_err(|e| {
            Failure::plain(format!(
                "the config of {} ({}): {e}",
                pull.reference, pull.platform
            ))
        })?;
        if !digest.is_empty() {
            config.digest = Some(digest);
        }
        configs.insert(&pull.reference, &pull.platform, config);
    }
    Ok(configs)
}

/// `--network` as the LLB net mode of runs that set none (as BuildKit's
/// Dockerfile frontend applies `force-network-mode`).
fn network_mode(mode: Option<&str>) -> Result<Option<pb::NetMode>, Failure> {
    match mode {
        None => Ok(None),
        Some("host") => Ok(Some(pb::NetMode::Host)),
        Some("none") => Ok(Some(pb::NetMode::None)),
        Some(other) => Err(Failure::plain(format!(
            "unsupported network mode `{other}` (msbc's frontend takes host, none or default)"
        ))),
    }
}

/// `definition` with `edit` applied to every op: ops re-marshaled and
/// re-digested, inputs and metadata following the new digests.
fn rewrite(
    definition: &pb::Definition,
    mut edit: impl FnMut(&mut pb::Op),
) -> Result<pb::Definition, Failure> {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut out = pb::Definition::default();
    for bytes in &definition.def {
        let old = llb::digest(bytes);
        let mut op = pb::Op::decode(bytes.as_slice())
            .map_err(|e| Failure::plain(format!("msbc wrote an op it cannot read back: {e}")))?;
        for input in &mut op.inputs {
            if let Some(new) = renamed.get(&input.digest) {
                input.digest.clone_from(new);
            }
        }
        edit(&mut op);
        let new_bytes = op.to_bytes();
        let new = llb::digest(&new_bytes);
        if let Some(meta) = definition.metadata.get(&old) {
            out.metadata.insert(new.clone(), meta.clone());
        }
        renamed.insert(old, new);
        out.def.push(new_bytes);
    }
    Ok(out)
}

/// A subrequest's answer: metadata and no image.
fn answer(bridge: &Bridge, metadata: subrequests::Meta) -> gw::Result {
    let empty = if bridge.has("proto.refarray") {
        gw::result::Result::Ref(gw::Ref::default())
    } else {
        gw::result::Result::RefDeprecated(String::new())
    };
    gw::Result {
        result: Some(empty),
        metadata,
    }
}

/// Args every engine predefines (proxies, platforms): not an error when
/// the spec does not declare them.
fn is_predefined_arg(name: &str) -> bool {
    const PREDEFINED: &[&str] = &[
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "FTP_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "ftp_proxy",
        "no_proxy",
        "all_proxy",
    ];
    PREDEFINED.contains(&name) || name.starts_with("BUILDKIT_")
}

/// The spec's bytes, from the `dockerfile` input.
async fn read_spec(bridge: &mut Bridge, opts: &Options, env: &Env) -> Result<Vec<u8>, Failure> {
    let definition = local(
        &opts.dockerfile_key,
        env,
        std::slice::from_ref(&opts.filename),
        &[],
        &opts.filename,
        &format!("[internal] load build definition from {}", opts.filename),
    );
    let id = bridge.solve(definition).await?;
    let bytes = bridge.read_file(&id, &opts.filename).await.map_err(|e| {
        Failure::plain(format!(
            "cannot read the spec {} from the build's `{}` input (the folder of `-f`): {e}",
            opts.filename, opts.dockerfile_key
        ))
    })?;
    if bytes.len() > MAX_SPEC {
        return Err(Failure::plain(format!(
            "the spec {} is {} bytes; msbc's frontend reads specs of up to {} MiB",
            opts.filename,
            bytes.len(),
            MAX_SPEC >> 20
        )));
    }
    Ok(bytes)
}

/// The catalog (stdlib + the spec's `templates "dir"` folders) and the
/// context's files, read from the `context` input when the spec needs them.
async fn context_inputs(
    bridge: &mut Bridge,
    opts: &Options,
    env: &Env,
    spec: &[u8],
) -> Result<(Catalog, Vec<String>, BTreeMap<String, String>), Failure> {
    let mut catalog = Catalog::stdlib();
    let dirs = compile::template_dirs(spec);
    let uses_presets = uses_templates(spec);
    if dirs.is_empty() && !uses_presets {
        return Ok((catalog, Vec::new(), BTreeMap::new()));
    }
    if !bridge.has("readdir") {
        eprintln!(
            "warning: this BuildKit lacks `readdir`: presets see no context files and \
             `templates` folders cannot be read"
        );
        return Ok((catalog, Vec::new(), BTreeMap::new()));
    }
    let excludes: Vec<String> = SKIP.iter().map(|d| format!("**/{d}")).collect();
    let definition = local(
        &opts.context_key,
        env,
        &[],
        &excludes,
        &opts.context_key,
        "[internal] load the build context for msbc's presets",
    );
    let id = bridge.solve(definition).await?;
    for dir in &dirs {
        let clean = dir.trim_start_matches("./").trim_end_matches('/');
        let entries = bridge.read_dir(&id, clean).await.map_err(|e| {
            Failure::plain(format!(
                "template directory {dir} (from `templates \"{dir}\"` in {}) is not in the \
                 build context: {e}",
                opts.filename
            ))
        })?;
        let mut folders = Vec::new();
        for e in entries.iter().filter(|e| e.mode & MODE_DIR != 0) {
            let name = e.path.rsplit('/').next().unwrap_or(&e.path).to_string();
            let path = format!("{clean}/{name}");
            if let Ok(inner) = bridge.read_dir(&id, &path).await {
                for i in inner.iter().filter(|i| i.mode & MODE_DIR != 0) {
                    let inner_name = i.path.rsplit('/').next().unwrap_or(&i.path);
                    folders.push((
                        format!("{path}/{inner_name}"),
                        format!("{name}/{inner_name}"),
                    ));
                }
            }
            folders.push((path, name));
        }
        folders.sort();
        for (path, name) in folders {
            let manifest = bridge.read_file(&id, &format!("{path}/preset.kdl")).await;
            let template = bridge
                .read_file(&id, &format!("{path}/template.kdl.j2"))
                .await;
            let (Ok(manifest), Ok(template)) = (manifest, template) else {
                continue;
            };
            let text = |b: Vec<u8>, file: &str| {
                String::from_utf8(b)
                    .map_err(|_| Failure::plain(format!("{path}/{file} is not UTF-8")))
            };
            catalog.add(TemplateFiles {
                name,
                origin: path.clone(),
                manifest: text(manifest, "preset.kdl")?,
                template: text(template, "template.kdl.j2")?,
            });
        }
        if let Ok(policy) = bridge.read_file(&id, &format!("{clean}/policy.kdl")).await {
            let text = String::from_utf8(policy)
                .map_err(|_| Failure::plain(format!("{clean}/policy.kdl is not UTF-8")))?;
            catalog.add_policy(format!("{clean}/policy.kdl"), text);
        }
    }
    let files = if uses_presets {
        list(bridge, &id).await
    } else {
        Vec::new()
    };
    // The project files presets read versions from, as `msbc compile` reads
    // them (cli::templates::project_contents): listed, small, UTF-8.
    let mut contents = BTreeMap::new();
    for name in PROJECT_FILES {
        if !files.iter().any(|f| f == name) {
            continue;
        }
        if let Ok(bytes) = bridge.read_file(&id, name).await
            && bytes.len() as u64 <= MAX_PROJECT_FILE
            && let Ok(text) = String::from_utf8(bytes)
        {
            contents.insert((*name).to_string(), text);
        }
    }
    Ok((catalog, files, contents))
}

/// Whether the spec has a `use` node (a preset may detect files).
fn uses_templates(spec: &[u8]) -> bool {
    let Ok(text) = crate::syntax::decode(spec) else {
        return false;
    };
    let mut ignored = crate::diag::Diagnostics::new();
    crate::syntax::parse(text, &mut ignored).is_some_and(|doc| !doc.uses.is_empty())
}

/// The context's files (relative, sorted), as `msbc compile` lists them.
async fn list(bridge: &mut Bridge, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![(String::new(), 0usize)];
    while let Some((dir, depth)) = todo.pop() {
        let Ok(entries) = bridge
            .read_dir(id, if dir.is_empty() { "." } else { &dir })
            .await
        else {
            continue;
        };
        for e in entries {
            let name = e.path.rsplit('/').next().unwrap_or(&e.path).to_string();
            let rel = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            if e.mode & MODE_DIR != 0 {
                if depth + 1 < MAX_DEPTH && !SKIP.contains(&name.as_str()) {
                    todo.push((rel, depth + 1));
                }
            } else {
                out.push(rel);
            }
            if out.len() >= MAX_FILES {
                out.sort();
                return out;
            }
        }
    }
    out.sort();
    out
}

/// A Definition of one local source (`local://NAME`) from the client session.
fn local(
    name: &str,
    env: &Env,
    include: &[String],
    exclude: &[String],
    shared_key_hint: &str,
    custom_name: &str,
) -> pb::Definition {
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string());
    let mut attrs = BTreeMap::new();
    let mut caps = BTreeMap::from([("source.local".to_string(), true)]);
    if !env.session_id.is_empty() {
        attrs.insert("local.session".to_string(), env.session_id.clone());
        caps.insert("source.local.sessionid".to_string(), true);
    }
    if !include.is_empty() {
        attrs.insert("local.includepattern".to_string(), json(include));
        caps.insert("source.local.includepatterns".to_string(), true);
    }
    if !exclude.is_empty() {
        attrs.insert("local.excludepatterns".to_string(), json(exclude));
        caps.insert("source.local.excludepatterns".to_string(), true);
    }
    attrs.insert(
        "local.sharedkeyhint".to_string(),
        shared_key_hint.to_string(),
    );
    caps.insert("source.local.sharedkeyhint".to_string(), true);
    let source = pb::Op {
        inputs: Vec::new(),
        kind: Some(pb::op::Kind::Source(pb::SourceOp {
            identifier: format!("local://{name}"),
            attrs,
        })),
        platform: None,
        constraints: None,
    }
    .to_bytes();
    let digest = llb::digest(&source);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: digest.clone(),
            index: 0,
        }],
        kind: None,
        platform: None,
        constraints: None,
    }
    .to_bytes();
    pb::Definition {
        def: vec![source, terminal],
        metadata: BTreeMap::from([(
            digest,
            pb::OpMetadata {
                description: BTreeMap::from([(
                    "llb.customname".to_string(),
                    custom_name.to_string(),
                )]),
                caps,
            },
        )]),
    }
}

fn source_info(filename: &str, spec: &[u8]) -> pb::SourceInfo {
    pb::SourceInfo {
        filename: filename.to_string(),
        data: spec.to_vec(),
        definition: None,
        language: "KDL".to_string(),
    }
}

/// The lines `d` points at (1-based lines, 0-based characters).
fn ranges(d: &Diagnostic, text: &str) -> Vec<pb::Range> {
    d.labels
        .first()
        .map(|label| {
            let (line, col) = render::line_column(text, label.span.start);
            let (end_line, end_col) = render::line_column(text, label.span.end);
            let pos = |l: usize, c: usize| pb::Position {
                line: i32::try_from(l).unwrap_or(i32::MAX),
                character: i32::try_from(c.saturating_sub(1)).unwrap_or(i32::MAX),
            };
            vec![pb::Range {
                start: Some(pos(line, col)),
                end: Some(pos(end_line, end_col)),
            }]
        })
        .unwrap_or_default()
}

/// The build error for the spec's first error: `build.kdl:3: E0101: ...`.
fn located(
    d: &Diagnostic,
    filename: &str,
    text: &str,
    info: pb::SourceInfo,
    count: usize,
) -> Failure {
    let ranges = ranges(d, text);
    let at = match d.labels.first() {
        Some(label) => {
            let (line, _) = render::line_column(text, label.span.start);
            format!("{filename}:{line}")
        }
        None => filename.to_string(),
    };
    let more = if count > 1 {
        format!(" (and {} more: see the log)", count - 1)
    } else {
        String::new()
    };
    Failure {
        message: format!("{at}: {}: {}{more}", d.code, d.message),
        source: if ranges.is_empty() {
            None
        } else {
            Some(Box::new((info, ranges)))
        },
    }
}

/// The image config with `--label`s added.
fn with_labels(config: &str, labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return config.trim_end().to_string();
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(config) else {
        return config.trim_end().to_string();
    };
    if let Some(obj) = value.as_object_mut() {
        let inner = obj.entry("config").or_insert_with(|| serde_json::json!({}));
        if let Some(inner) = inner.as_object_mut() {
            let map = inner
                .entry("Labels")
                .or_insert_with(|| serde_json::json!({}));
            if !map.is_object() {
                *map = serde_json::json!({});
            }
            if let Some(map) = map.as_object_mut() {
                for (k, v) in labels {
                    map.insert(k.clone(), serde_json::Value::String(v.clone()));
                }
            }
        }
    }
    value.to_string()
}

/// `refs.platforms`: which ref is which platform.
fn platforms_json(platforms: &[String]) -> String {
    let list: Vec<serde_json::Value> = platforms
        .iter()
        .map(|p| {
            let mut parts = p.split('/');
            let os = parts.next().unwrap_or("linux");
            let arch = parts.next().unwrap_or("amd64");
            let mut platform = serde_json::json!({ "os": os, "architecture": arch });
            if let Some(variant) = parts.next() {
                platform["variant"] = serde_json::Value::String(variant.to_string());
            }
            serde_json::json!({ "id": p, "platform": platform })
        })
        .collect();
    serde_json::json!({ "platforms": list }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_join_the_config() {
        let config = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]}}"#;
        let out = with_labels(config, &[("a".to_string(), "b c".to_string())]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["config"]["Labels"]["a"], "b c");
        assert_eq!(v["config"]["Env"][0], "PATH=/bin");
    }

    #[test]
    fn a_network_mode_reaches_every_run_and_the_digests_follow() {
        let text = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    run \"a\"\n    run \"b\" network=\"none\"\n}\n";
        let checked = compile::check(text.as_bytes());
        let model = checked.model.expect("a model");
        let out = compile::emit(&model, &Selection::default(), Emit::Llb, "build.kdl").unwrap();
        let def = pb::Definition::decode(out.binary.unwrap().as_slice()).unwrap();
        let host = rewrite(&def, |op| {
            if let Some(pb::op::Kind::Exec(e)) = &mut op.kind
                && e.network == pb::NetMode::Unset as i32
            {
                e.network = pb::NetMode::Host as i32;
            }
        })
        .unwrap();
        let mut nets = Vec::new();
        let digests: Vec<String> = host.def.iter().map(|b| llb::digest(b)).collect();
        for (i, bytes) in host.def.iter().enumerate() {
            let op = pb::Op::decode(bytes.as_slice()).unwrap();
            for input in &op.inputs {
                assert!(
                    digests[..i].contains(&input.digest),
                    "input of op {i} names no earlier op"
                );
            }
            if let Some(pb::op::Kind::Exec(e)) = op.kind {
                nets.push(e.network);
            }
        }
        assert_eq!(nets, [pb::NetMode::Host as i32, pb::NetMode::None as i32]);
        assert_eq!(host.metadata.len(), def.metadata.len());
        assert!(host.metadata.keys().all(|k| digests.contains(k)));
    }

    #[test]
    fn platforms_name_their_refs() {
        let v: serde_json::Value = serde_json::from_str(&platforms_json(&[
            "linux/amd64".into(),
            "linux/arm/v7".into(),
        ]))
        .unwrap();
        assert_eq!(v["platforms"][0]["id"], "linux/amd64");
        assert_eq!(v["platforms"][1]["platform"]["architecture"], "arm");
        assert_eq!(v["platforms"][1]["platform"]["variant"], "v7");
    }

    #[test]
    fn a_local_input_is_a_source_and_a_terminal_op() {
        let env = Env {
            session_id: "s1".into(),
            worker_platform: None,
        };
        let d = local(
            "dockerfile",
            &env,
            &["build.kdl".into()],
            &[],
            "build.kdl",
            "load",
        );
        assert_eq!(d.def.len(), 2);
        let source = pb::Op::decode(d.def[0].as_slice()).unwrap();
        let Some(pb::op::Kind::Source(s)) = source.kind else {
            panic!("not a source: {source:?}");
        };
        assert_eq!(s.identifier, "local://dockerfile");
        assert_eq!(s.attrs["local.session"], "s1");
        assert_eq!(s.attrs["local.includepattern"], r#"["build.kdl"]"#);
        let terminal = pb::Op::decode(d.def[1].as_slice()).unwrap();
        assert_eq!(terminal.inputs[0].digest, llb::digest(&d.def[0]));
        assert!(d.metadata.contains_key(&llb::digest(&d.def[0])));
    }

    #[test]
    fn a_spec_error_names_its_line_and_range() {
        let text = "msbc 1\nimage \"app\" from=\"alpine:3.20\" {\n  bogus 1\n}\n";
        let checked = compile::check(text.as_bytes());
        let sorted = checked.diagnostics.sorted();
        let d = sorted.iter().find(|d| d.is_error()).expect("an error");
        let f = located(
            d,
            "build.kdl",
            &checked.text,
            source_info("build.kdl", text.as_bytes()),
            1,
        );
        assert!(
            f.message.starts_with(&format!("build.kdl:3: {}: ", d.code)),
            "{}",
            f.message
        );
        let status = f.to_status();
        assert_eq!(status.details.len(), 1);
        let src = errdefs::Source::decode(status.details[0].value.as_slice()).unwrap();
        assert_eq!(src.ranges[0].start.unwrap().line, 3);
        assert_eq!(src.info.unwrap().data, text.as_bytes());
    }
}
