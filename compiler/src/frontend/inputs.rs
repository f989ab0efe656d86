//! The build's inputs through the gateway: the spec from the `dockerfile`
//! local, the template folders and the files presets detect (and the
//! project files they read versions from) from the `context` local.

use super::bridge::Bridge;
use super::build::Env;
use super::failure::Failure;
use super::generated::fsutil::types::Stat;
use super::options::Options;
use crate::backend::llb::{self, pb};
use crate::compile::Parsed;
use crate::expand::project::{
    IGNORE_FILE, LISTING_MAX_DEPTH as MAX_DEPTH, LISTING_MAX_FILES as MAX_FILES,
    LISTING_SKIP as SKIP, MAX_PROJECT_FILE, PROJECT_EXTENSIONS, PROJECT_FILES, is_project_file,
};
use crate::expand::{Catalog, TemplateFiles};
use std::collections::BTreeMap;

/// The largest spec the frontend compiles (a real one is a few KB; the
/// front end reads about 1 MB/s of comments in a release build).
const MAX_SPEC: usize = 4 << 20;

/// Go's `os.ModeDir`.
const MODE_DIR: u32 = 1 << 31;

/// The spec's bytes and the `msbc.lock` beside it (`None`: there is
/// none), from the `dockerfile` input, and the digest of the vertex that
/// loaded them (`[internal] load build definition from ...`, the vertex the
/// build's warnings attach to, as BuildKit's Dockerfile frontend attaches
/// its lint warnings).
pub async fn read_spec(
    bridge: &mut Bridge,
    opts: &Options,
    env: &Env,
) -> Result<(Vec<u8>, Option<Vec<u8>>, String), Failure> {
    let lock_file = match opts.filename.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{}", crate::lock::FILE_NAME),
        None => crate::lock::FILE_NAME.to_string(),
    };
    let (definition, vertex) = local(
        &opts.dockerfile_key,
        env,
        &[opts.filename.clone(), lock_file.clone()],
        &[],
        None,
        &opts.filename,
        &format!("[internal] load build definition from {}", opts.filename),
    );
    let id = bridge.solve(definition).await?;
    let lock = bridge.read_file(&id, &lock_file).await.ok();
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
    Ok((bytes, lock, vertex))
}

/// What the `context` input gives a build: the catalog (stdlib + the spec's
/// `templates "dir"` folders), the context's files and project files (with
/// its `.dockerignore`), and the spec's folder within the context.
#[derive(Debug, Default)]
pub struct ContextInputs {
    pub catalog: Catalog,
    pub files: Vec<String>,
    pub contents: BTreeMap<String, String>,
    pub service_dir: String,
}

/// Reads what the build needs from the `context` input (see
/// [`ContextInputs`]). The spec's folder within the context: "" when the spec
/// names no `context "../.."`; else `--build-arg MSBC_SERVICE_DIR=...`, or
/// the one folder that many levels deep in the context holding a spec file
/// of the same name and bytes ([`find_service_dir`]).
pub async fn context_inputs(
    bridge: &mut Bridge,
    opts: &Options,
    env: &Env,
    parsed: &Parsed<'_>,
    spec: &[u8],
) -> Result<ContextInputs, Failure> {
    let mut out = ContextInputs {
        catalog: Catalog::stdlib(),
        ..ContextInputs::default()
    };
    let depth = parsed.context_depth();
    let dirs = parsed.template_dirs();
    let uses_presets = parsed.uses_templates();
    let needs_listing = !dirs.is_empty() || uses_presets || depth > 0;
    // `--call targets|outline` need no ignore patterns: only the spec is read.
    let answers_only = matches!(
        opts.request.as_deref(),
        Some(super::subrequests::TARGETS | super::subrequests::OUTLINE)
    );
    if answers_only && !needs_listing {
        return Ok(out);
    }
    // The context's own ignore file first, alone (a few bytes): its patterns
    // and the spec's keep the ignored files out of every transfer below.
    let (definition, _) = local(
        &opts.context_key,
        env,
        &[IGNORE_FILE.to_string()],
        &[],
        None,
        &format!("{}-{IGNORE_FILE}", opts.context_key),
        &format!("[internal] load {IGNORE_FILE}"),
    );
    let id = bridge.solve(definition).await?;
    read_ignore_file(bridge, &id, &mut out.contents).await;
    if !needs_listing || !bridge.has("readdir") {
        if needs_listing {
            eprintln!(
                "warning: this BuildKit lacks `readdir`: presets see no context files, \
                 `templates` folders cannot be read and the spec's folder in the context is \
                 taken as its root"
            );
        }
        out.service_dir = opts.service_dir.clone().unwrap_or_default();
        return Ok(out);
    }
    let excludes = listing_excludes(&parsed.context_ignore(), out.contents.get(IGNORE_FILE));
    // A current BuildKit sends the names and modes of the files and the
    // contents of only those msbc reads (`local.metadatatransfer`); an older
    // one sends every file not excluded.
    let metadata = bridge.has_llb(METADATA_TRANSFER);
    let wanted = content_patterns(!dirs.is_empty());
    let (definition, _) = local(
        &opts.context_key,
        env,
        &[],
        &excludes,
        metadata.then_some(wanted.as_slice()),
        &opts.context_key,
        "[internal] load the build context for msbc's presets",
    );
    let id = bridge.solve(definition).await?;
    out.service_dir = match (&opts.service_dir, depth) {
        (Some(dir), _) => dir.clone(),
        (None, 0) => String::new(),
        (None, depth) => find_service_dir(bridge, opts, env, depth, spec).await?,
    };
    for dir in &dirs {
        // Relative to the spec's folder, as on the command line.
        let clean = crate::paths::join(&out.service_dir, dir)
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let entries = bridge.read_dir(&id, &clean).await.map_err(|e| {
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
            out.catalog.add(TemplateFiles {
                name,
                origin: path.clone(),
                manifest: text(manifest, "preset.kdl")?,
                template: text(template, "template.kdl.j2")?,
            });
        }
        if let Ok(policy) = bridge.read_file(&id, &format!("{clean}/policy.kdl")).await {
            let text = String::from_utf8(policy)
                .map_err(|_| Failure::plain(format!("{clean}/policy.kdl is not UTF-8")))?;
            out.catalog.add_policy(format!("{clean}/policy.kdl"), text);
        }
    }
    if uses_presets {
        out.files = if metadata {
            match bridge.read_file(&id, METADATA_FILE).await {
                Ok(bytes) => metadata_listing(&bytes),
                Err(e) => {
                    eprintln!(
                        "warning: cannot read the context's file list ({e}): presets see no context files"
                    );
                    Vec::new()
                }
            }
        } else {
            list(bridge, &id).await
        };
    }
    // The project files presets read versions from, as `msbc compile` reads
    // them (cli::templates::project_contents): listed, small, UTF-8.
    for name in out.files.iter().filter(|f| is_project_file(f)) {
        if let Ok(bytes) = bridge.read_file(&id, name).await
            && bytes.len() as u64 <= MAX_PROJECT_FILE
            && let Ok(text) = String::from_utf8(bytes)
        {
            out.contents.insert(name.clone(), text);
        }
    }
    Ok(out)
}

/// The context's `.dockerignore` (at its root) into `contents`, when it is
/// there, small and UTF-8 (as `msbc compile` reads it).
async fn read_ignore_file(bridge: &mut Bridge, id: &str, contents: &mut BTreeMap<String, String>) {
    if let Ok(bytes) = bridge.read_file(id, IGNORE_FILE).await
        && bytes.len() as u64 <= MAX_PROJECT_FILE
        && let Ok(text) = String::from_utf8(bytes)
    {
        contents.insert(IGNORE_FILE.to_string(), text);
    }
}

/// The spec's folder within the context when the spec says its context is
/// `depth` folders above it: BuildKit sends the spec's folder (the
/// `dockerfile` input) and the context apart and never says where one lies
/// in the other, so the frontend looks for the folders `depth` levels deep
/// in the context that hold a file of the spec's name with the spec's
/// bytes. One: that is it. None or several (two services with the same
/// spec): a failure that says to pass `--build-arg MSBC_SERVICE_DIR=DIR`.
/// BuildKit sends only the files of that name that deep (the ignore
/// patterns do not apply: a team may keep its specs out of its images).
async fn find_service_dir(
    bridge: &mut Bridge,
    opts: &Options,
    env: &Env,
    depth: usize,
    spec: &[u8],
) -> Result<String, Failure> {
    let name = opts.filename.rsplit('/').next().unwrap_or(&opts.filename);
    let (definition, _) = local(
        &opts.context_key,
        env,
        &[format!("{}{name}", "*/".repeat(depth))],
        &[],
        None,
        &format!("{}-{name}", opts.context_key),
        &format!("[internal] find {name} in the build context"),
    );
    let id = bridge.solve(definition).await?;
    let id = id.as_str();
    let mut level = vec![String::new()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for dir in &level {
            let shown = if dir.is_empty() { "." } else { dir.as_str() };
            let Ok(entries) = bridge.read_dir(id, shown).await else {
                continue;
            };
            for e in entries.iter().filter(|e| e.mode & MODE_DIR != 0) {
                let base = e.path.rsplit('/').next().unwrap_or(&e.path);
                if SKIP.contains(&base) {
                    continue;
                }
                next.push(if dir.is_empty() {
                    base.to_string()
                } else {
                    format!("{dir}/{base}")
                });
            }
        }
        level = next;
    }
    let mut found = Vec::new();
    for dir in level {
        if let Ok(bytes) = bridge.read_file(id, &format!("{dir}/{name}")).await
            && bytes == spec
        {
            found.push(dir);
        }
    }
    let up = vec![".."; depth].join("/");
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::plain(format!(
            "{} says `context \"{up}\"`, but no folder {depth} level(s) deep in the build \
             context holds this {name}: build from the folder {depth} above the spec's \
             (`docker buildx build -f apps/api/{name} .` from the repository root), or pass \
             --build-arg MSBC_SERVICE_DIR=<the spec's folder in the context>",
            opts.filename
        ))),
        several => Err(Failure::plain(format!(
            "{} says `context \"{up}\"`, and {} folders of the build context hold the same \
             {name} ({}): pass --build-arg MSBC_SERVICE_DIR=<the spec's folder> to say which",
            opts.filename,
            several.len(),
            several.join(", ")
        ))),
    }
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

/// The LLB capability of a local source that sends the names and modes of
/// its files and the contents of only some (BuildKit v0.13 and later).
const METADATA_TRANSFER: &str = "source.local.metadatatransfer";

/// Where BuildKit writes the names and modes of a metadata-only transfer:
/// one file at the root, each entry a 4-byte little-endian length and an
/// fsutil `Stat`.
const METADATA_FILE: &str = ".fsutil-metadata";

/// What the listing of the context leaves out: the folders never listed
/// ([`SKIP`], in any folder), the spec's own `context` ignore patterns and
/// the context's ignore file's, as the build's own context source leaves
/// them out (BuildKit's patterns; a `!` exception kept).
fn listing_excludes(spec_ignore: &[String], ignore_file: Option<&String>) -> Vec<String> {
    let mut out: Vec<String> = SKIP.iter().map(|d| format!("**/{d}")).collect();
    let file = ignore_file.map_or_else(Vec::new, |t| crate::paths::ignore_file_patterns(t));
    for p in file.iter().chain(spec_ignore) {
        let p = crate::paths::ignore_pattern(p);
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The files whose contents the frontend reads (the rest of the context
/// goes by name only): the project files presets read versions from
/// ([`PROJECT_FILES`], [`PROJECT_EXTENSIONS`]), in any folder, and the
/// template folders' files when the spec names `templates` folders.
fn content_patterns(templates: bool) -> Vec<String> {
    let mut out: Vec<String> = PROJECT_FILES
        .iter()
        .map(|f| format!("**/{f}"))
        .chain(PROJECT_EXTENSIONS.iter().map(|e| format!("**/*{e}")))
        .collect();
    if templates {
        out.extend(
            ["preset.kdl", "template.kdl.j2", "policy.kdl"]
                .iter()
                .map(|f| format!("**/{f}")),
        );
    }
    out
}

/// The context's files (relative, sorted) from a metadata-only transfer's
/// [`METADATA_FILE`], as `msbc compile` lists them: files down to
/// [`MAX_DEPTH`] folders, at most [`MAX_FILES`]. A damaged entry ends the
/// list (what came before it stands).
fn metadata_listing(bytes: &[u8]) -> Vec<String> {
    use prost::Message;
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 4 {
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(frame) = rest.get(4..4 + n) else {
            break;
        };
        rest = &rest[4 + n..];
        let Ok(stat) = Stat::decode(frame) else {
            break;
        };
        let path = stat.path.trim_start_matches("./").trim_start_matches('/');
        if stat.mode & MODE_DIR != 0 || path.is_empty() || path == METADATA_FILE {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() > MAX_DEPTH || parts[..parts.len() - 1].iter().any(|d| SKIP.contains(d)) {
            continue;
        }
        out.push(path.to_string());
    }
    out.sort();
    out.dedup();
    out.truncate(MAX_FILES);
    out
}

/// A Definition of one local source (`local://NAME`) from the client session.
fn local(
    name: &str,
    env: &Env,
    include: &[String],
    exclude: &[String],
    metadata_except: Option<&[String]>,
    shared_key_hint: &str,
    custom_name: &str,
) -> (pb::Definition, String) {
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
    if let Some(except) = metadata_except {
        attrs.insert("local.metadatatransfer".to_string(), "true".to_string());
        if !except.is_empty() {
            attrs.insert("local.metadatatransferexclude".to_string(), json(except));
        }
        caps.insert(METADATA_TRANSFER.to_string(), true);
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
    };
    one_op(source, custom_name.to_string(), caps)
}

/// A definition that returns one op's output, and that op's digest (the
/// vertex a client shows as `custom_name`).
pub(super) fn one_op(
    op: pb::Op,
    custom_name: String,
    caps: BTreeMap<String, bool>,
) -> (pb::Definition, String) {
    let op = op.to_bytes();
    let digest = llb::digest(&op);
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
    let definition = pb::Definition {
        def: vec![op, terminal],
        metadata: BTreeMap::from([(
            digest.clone(),
            pb::OpMetadata {
                ignore_cache: false,
                description: BTreeMap::from([("llb.customname".to_string(), custom_name)]),
                caps,
            },
        )]),
    };
    (definition, digest)
}

#[cfg(test)]
mod tests;
