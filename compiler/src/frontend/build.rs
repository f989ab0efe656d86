//! One build through the gateway: read the spec from the `dockerfile`
//! input, the template folders and the files presets detect from the
//! `context` input, compile as `msbc compile --emit llb` would, solve the
//! LLB of each platform and assemble the result with its image config.

use super::bridge::Bridge;
use super::failure::{Failure, source_info, spec_errors};
use super::generated::moby::buildkit::v1::frontend as gw;
use super::inputs::{context_inputs, read_spec};
use super::options::Options;
use super::subrequests;
use super::warnings::{self, CheckOption};
use crate::backend::llb::{self, BaseConfig, BaseConfigs, pb};
use crate::compile::{self, Emit};
use crate::diag::render;
use crate::domain::{ImageRef, Platform, image_ref};
use crate::expand;
use crate::lower::{Model, Selection};
use prost::Message;
use std::collections::BTreeMap;

/// What the environment adds to the options.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `BUILDKIT_SESSION_ID`: the client session that serves the inputs.
    pub session_id: String,
    /// The worker's platform (`BUILDKIT_WORKERS`), the default target.
    pub worker_platform: Option<Platform>,
}

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
    // The platforms are checked before anything is read (one rule:
    // `crate::domain::platform`).
    if let Some(e) = &opts.platform_error {
        return Err(Failure::plain(e.clone()));
    }
    bridge.require(&["solve.base", "readfile"], "reading the spec")?;
    let (spec, vertex) = read_spec(bridge, opts, env).await?;

    let parsed = compile::parse(&spec);
    let inputs = context_inputs(bridge, opts, env, &parsed, &spec).await?;
    let checked = parsed.check(expand::Context {
        catalog: &inputs.catalog,
        files: &inputs.files,
        contents: &inputs.contents,
        service_dir: &inputs.service_dir,
    });
    let check = CheckOption::of_build(&opts.build_args, &checked.text)?;
    if opts.request.as_deref() == Some(subrequests::LINT) {
        let shown = check.filter(&checked.diagnostics);
        let meta = subrequests::lint(&shown, &opts.filename, &spec, &checked.text);
        return Ok(answer(bridge, meta));
    }
    let (model, args) = feedback(bridge, opts, &check, checked, &spec, &vertex).await?;

    if opts.request.as_deref() == Some(subrequests::TARGETS) {
        return Ok(answer(bridge, subrequests::targets(&model)));
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
                .unwrap_or_else(Platform::default_target),
        ]
    } else {
        opts.platforms.clone()
    };
    if platforms.len() > 1 {
        bridge.require(&["returnmap"], "a build for several platforms")?;
    }

    let contexts = named_contexts(&opts.contexts)?;
    let mut used = std::collections::BTreeSet::new();
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
        let in_spec = |e: &dyn std::fmt::Display| Failure::plain(format!("{}: {e}", opts.filename));
        let selected = compile::select(&model, &selection).map_err(|e| in_spec(&e))?;
        let pulls = selected.pulls(&opts.filename).map_err(|e| in_spec(&e))?;
        let configs = base_configs(bridge, pulls, &contexts).await?;
        let out = selected
            .emit(Emit::Llb, &opts.filename, configs)
            .map_err(|e| in_spec(&e))?;
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
        if !contexts.is_empty() {
            definition = rewrite(&definition, |op| {
                if let Some(pb::op::Kind::Source(source)) = &mut op.kind
                    && let Some(name) = replace_image(&mut source.identifier, &contexts)
                {
                    used.insert(name);
                }
            })?;
        }
        if let Some(stages) = &opts.no_cache {
            ignore_cache(&mut definition, stages)?;
        }
        let id = bridge.solve(definition).await?;
        let config = with_labels(out.image_config.as_deref().unwrap_or("{}"), &opts.labels);
        refs.push((platform.to_string(), id));
        metadata.insert(format!("containerimage.config/{platform}"), config.clone());
        if platforms.len() == 1 {
            metadata.insert("containerimage.config".to_string(), config);
        }
    }

    let unused: Vec<warnings::Warning> = contexts
        .keys()
        .filter(|n| !used.contains(*n))
        .map(|name| {
            warnings::plain(format!(
                "the named context `{name}` names no image this build pulls"
            ))
        })
        .collect();
    let info = source_info(&opts.filename, &spec);
    warnings::send(bridge, &vertex, &info, &unused).await?;
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

/// What the user sees of the spec before the build: its diagnostics in
/// buildkitd's log, its warnings (and those of `--build-arg`s the spec does
/// not declare) in the client's output, its errors (all of them) as the
/// build's error; with the check option `error=true`, warnings fail the
/// build (a subrequest gets neither). The model and the build args it
/// declares.
async fn feedback(
    bridge: &mut Bridge,
    opts: &Options,
    check: &CheckOption,
    checked: compile::Checked,
    spec: &[u8],
    vertex: &str,
) -> Result<(Model, Vec<(String, String)>), Failure> {
    let info = source_info(&opts.filename, spec);
    for d in checked.diagnostics.sorted() {
        eprint!(
            "{}",
            render::human(d, &opts.filename, &checked.text, render::Style::Plain)
        );
    }
    let mut shown = warnings::of_spec(&checked.diagnostics, &checked.text, check);
    let model = match checked.model {
        Some(model) if !checked.diagnostics.has_errors() => model,
        _ => {
            if opts.request.is_none() {
                warnings::send(bridge, vertex, &info, &shown).await?;
            }
            let sorted = checked.diagnostics.sorted();
            let errors: Vec<_> = sorted.into_iter().filter(|d| d.is_error()).collect();
            return Err(spec_errors(&errors, &opts.filename, &checked.text, &info));
        }
    };
    // Build args the spec declares; the others are reported, as Docker does.
    let declared: Vec<&str> = model.args.iter().map(|a| a.name.as_str()).collect();
    let mut args = Vec::new();
    for (name, value) in &opts.build_args {
        if declared.contains(&name.as_str()) {
            args.push((name.clone(), value.clone()));
        } else if !is_predefined_arg(name) {
            shown.push(warnings::unknown_arg(name, &declared, &opts.filename));
        }
    }
    // `--call targets|outline` answer questions: no warnings there, as
    // BuildKit's Dockerfile frontend gives none.
    if opts.request.is_some() {
        return Ok((model, args));
    }
    warnings::send(bridge, vertex, &info, &shown).await?;
    if let Some(failure) = warnings::violation(
        check,
        &checked.diagnostics,
        &opts.filename,
        &checked.text,
        &info,
    ) {
        return Err(failure);
    }
    Ok((model, args))
}

/// The configs of the base images `selection` builds on, through
/// ResolveImageConfig (so runs and the image config inherit their Env,
/// WorkingDir, User, ... as the Dockerfile route does). Without the
/// `resolveimage` capability: none (BuildKit's default PATH only).
async fn base_configs(
    bridge: &mut Bridge,
    pulls: Vec<crate::backend::llb::Pull>,
    contexts: &Contexts,
) -> Result<BaseConfigs, Failure> {
    let mut configs = BaseConfigs::new();
    if !bridge.has("resolveimage") {
        eprintln!("warning: this BuildKit lacks `resolveimage`: base image configs are not read");
        return Ok(configs);
    }
    for pull in pulls {
        let platform = pb::Platform {
            os: pull.platform.os.clone(),
            architecture: pull.platform.arch.clone(),
            variant: pull.platform.variant.clone(),
        };
        // A named context stands in for the image: its config is the base.
        let source = contexts.get(&pull.reference).unwrap_or(&pull.reference);
        let (digest, bytes) = bridge.resolve_image_config(source, &platform).await?;
        let mut config = BaseConfig::from_json(&bytes).map_err(|e| {
            Failure::plain(format!("the config of {source} ({}): {e}", pull.platform))
        })?;
        if !digest.is_empty() {
            config.digest = Some(digest);
        }
        configs.insert(&pull.reference, &pull.platform, config);
    }
    Ok(configs)
}

/// Named contexts that replace images: normalized reference → the
/// normalized image that stands in for it.
type Contexts = BTreeMap<String, String>;

/// `--build-context NAME=docker-image://REF` (`context:NAME`): wherever the
/// spec pulls the image NAME (`from=`, `copy from=`), REF is pulled
/// instead, as BuildKit's Dockerfile frontend does for `FROM NAME`. NAME is
/// compared normalized (`golang:1.23` is `docker.io/library/golang:1.23`).
/// The spec's stages cannot be replaced, nor a context given as a local
/// folder, an OCI layout or a git URL: those fail the build, saying so.
fn named_contexts(raw: &BTreeMap<String, String>) -> Result<Contexts, Failure> {
    let mut out = Contexts::new();
    for (name, value) in raw {
        let Some(image) = value.strip_prefix("docker-image://") else {
            return Err(Failure::plain(format!(
                "the named context `{name}` is `{value}`: msbc's frontend takes named contexts \
                 that are images (`--build-context {name}=docker-image://REF`), which replace \
                 the image `{name}` wherever the spec pulls it"
            )));
        };
        let normalize = |r: &str| {
            image_ref::normalize(r).map_err(|e| {
                Failure::plain(format!("the named context `{name}={value}`: `{r}`: {e}"))
            })
        };
        out.insert(normalize(name)?, normalize(image)?);
    }
    Ok(out)
}

/// A `docker-image://` identifier whose image has a named context: the
/// context's image (the digest the spec's image was pinned to is the
/// context's, resolved through it, unless the context names its own).
/// The context's name when it was used.
fn replace_image(identifier: &mut String, contexts: &Contexts) -> Option<String> {
    let image = identifier.strip_prefix("docker-image://")?;
    let written = ImageRef::split(image);
    let (key, to, digest) = match contexts.get_key_value(image) {
        Some((key, to)) => (key, ImageRef::split(to), None),
        None => {
            let name = written.without_digest().to_string();
            let (key, to) = contexts.get_key_value(&name)?;
            (key, ImageRef::split(to), written.digest.as_deref())
        }
    };
    let key = key.clone();
    let to = match digest {
        Some(d) if to.digest.is_none() => to.with_digest(d),
        _ => to,
    };
    *identifier = format!("docker-image://{to}");
    Some(key)
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

/// `--no-cache`: the ops of `stages` (of every stage when empty) run
/// again, as BuildKit's Dockerfile frontend does it: `ignore_cache` in
/// their metadata (the digests stay). A stage's ops are those named
/// `[STAGE n/m] ...`; reading the build context is never repeated.
fn ignore_cache(definition: &mut pb::Definition, stages: &[String]) -> Result<(), Failure> {
    let prefixes: Vec<String> = stages.iter().map(|s| format!("[{s} ")).collect();
    for bytes in &definition.def {
        let op = pb::Op::decode(bytes.as_slice())
            .map_err(|e| Failure::plain(format!("msbc wrote an op it cannot read back: {e}")))?;
        let local = matches!(&op.kind, Some(pb::op::Kind::Source(s)) if s.identifier.starts_with("local://"));
        if op.kind.is_none() || local {
            continue;
        }
        let meta = definition.metadata.entry(llb::digest(bytes)).or_default();
        let named = || {
            meta.description
                .get("llb.customname")
                .is_some_and(|n| prefixes.iter().any(|p| n.starts_with(p.as_str())))
        };
        if prefixes.is_empty() || named() {
            meta.ignore_cache = true;
        }
    }
    Ok(())
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
fn platforms_json(platforms: &[Platform]) -> String {
    let list: Vec<serde_json::Value> = platforms
        .iter()
        .map(|p| {
            let mut platform = serde_json::json!({ "os": p.os, "architecture": p.arch });
            if !p.variant.is_empty() {
                platform["variant"] = serde_json::Value::String(p.variant.clone());
            }
            serde_json::json!({ "id": p.to_string(), "platform": platform })
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
    fn a_named_context_replaces_the_image_it_names() {
        let raw = BTreeMap::from([(
            "golang:1.23".to_string(),
            "docker-image://mirror.example/go:1.23".to_string(),
        )]);
        let contexts = named_contexts(&raw).unwrap();
        let mut pinned = "docker-image://docker.io/library/golang:1.23@sha256:aaaa".to_string();
        assert_eq!(
            replace_image(&mut pinned, &contexts).as_deref(),
            Some("docker.io/library/golang:1.23")
        );
        assert_eq!(pinned, "docker-image://mirror.example/go:1.23@sha256:aaaa");
        let mut other = "docker-image://docker.io/library/golang:1.24".to_string();
        assert_eq!(replace_image(&mut other, &contexts), None);
        assert_eq!(other, "docker-image://docker.io/library/golang:1.24");
        let local = BTreeMap::from([("src".to_string(), "local:src".to_string())]);
        let e = named_contexts(&local).unwrap_err();
        assert!(e.message.contains("docker-image://REF"), "{}", e.message);
    }

    #[test]
    fn platforms_name_their_refs() {
        let v: serde_json::Value = serde_json::from_str(&platforms_json(&[
            Platform::parse("linux/amd64").unwrap(),
            Platform::parse("linux/arm").unwrap(),
        ]))
        .unwrap();
        assert_eq!(v["platforms"][0]["id"], "linux/amd64");
        assert_eq!(v["platforms"][1]["platform"]["architecture"], "arm");
        assert_eq!(v["platforms"][1]["platform"]["variant"], "v7");
    }
}
