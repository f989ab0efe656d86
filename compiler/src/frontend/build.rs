//! One build through the gateway: read the spec from the `dockerfile`
//! input, the template folders and the files presets detect from the
//! `context` input, compile as `msbc compile --emit llb` would, solve the
//! LLB of each platform and assemble the result with its image config.

use super::attest;
use super::bridge::Bridge;
use super::failure::{Failure, source_info, spec_errors};
use super::generated::moby::buildkit::v1::frontend as gw;
use super::inputs::{context_inputs, read_spec};
use super::options::Options;
use super::subrequests;
use super::warnings::{self, CheckOption};
use crate::backend::llb::{BaseConfig, BaseConfigs, pb};
use crate::compile;
use crate::diag::render;
use crate::domain::{ImageRef, Platform};
use crate::expand;
use crate::ir::{BuildOptions, LocalOwner, NamedContext};
use crate::lock::Lock;
use crate::lower::{Model, Selection};
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
    if !opts.problems.is_empty() {
        return Err(Failure::plain(opts.problems.join("; ")));
    }
    bridge.require(&["solve.base", "readfile"], "reading the spec")?;
    let sbom = attest::sbom_request(&opts.attests)?;
    let (spec, lock, vertex) = read_spec(bridge, opts, env).await?;
    let lock = match lock {
        Some(bytes) => Some(
            Lock::parse(&String::from_utf8_lossy(&bytes))
                .map_err(|e| Failure::plain(format!("{}: {e}", crate::lock::FILE_NAME)))?,
        ),
        None => None,
    };

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
    let (mut model, args) =
        feedback(bridge, opts, &check, checked, &spec, &vertex, lock.as_ref()).await?;
    // msbc.lock pins the base images it has; a build arg that moves one
    // out of it pulls the new image (warned in `feedback`; `docs/lock.md`).
    if let Some(lock) = &lock {
        crate::lock::pin(&mut model, lock, &args);
    }

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

    let mut used = std::collections::BTreeSet::new();
    let mut refs = Vec::new();
    let mut metadata = BTreeMap::new();
    let mut scans = Vec::new();
    // The context is this client's: marked with its session, as BuildKit's
    // Dockerfile frontend marks it (see `ir::LocalOwner`).
    let build_options = BuildOptions {
        local_owner: match env.session_id.as_str() {
            "" => LocalOwner::Unmarked,
            id => LocalOwner::Session(id.to_string()),
        },
        ..opts.build.clone()
    };
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
        let configs = base_configs(bridge, pulls, &opts.build.contexts).await?;
        let llb = selected
            .llb(&opts.filename, configs, &build_options)
            .map_err(|e| in_spec(&e))?;
        used.extend(llb.used_contexts);
        if sbom.is_some() {
            let id = platform.to_string();
            scans.push(attest::targets(
                &model,
                opts,
                &id,
                &llb.definition,
                &llb.stages,
            ));
        }
        let id = bridge
            .solve_importing(llb.definition, &opts.cache_imports)
            .await?;
        let config = llb.image_config.trim_end().to_string();
        refs.push((platform.to_string(), id));
        metadata.insert(format!("containerimage.config/{platform}"), config.clone());
        if platforms.len() == 1 {
            metadata.insert("containerimage.config".to_string(), config);
        }
    }

    let unused: Vec<warnings::Warning> = opts
        .build
        .contexts
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
    let attestations = match &sbom {
        Some(request) => {
            let worker = env
                .worker_platform
                .clone()
                .unwrap_or_else(Platform::default_target);
            attest::sbom(bridge, request, &worker.to_string(), scans).await?
        }
        None => BTreeMap::new(),
    };
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
        attestations,
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
    lock: Option<&Lock>,
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
    // A build arg that moves a base image out of msbc.lock pulls the new
    // image, with a warning (`docs/lock.md`).
    if let Some(lock) = lock {
        for warning in crate::lock::overridden(&model, lock, &args) {
            shown.push(warnings::plain(warning));
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
    contexts: &BTreeMap<ImageRef, NamedContext>,
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
        // A named context stands in for the image: an image's config is
        // the base; a folder has none.
        let source = match contexts.get(&ImageRef::split(&pull.reference)) {
            Some(NamedContext::Image(image)) => image.to_string(),
            Some(NamedContext::Local(_)) => continue,
            None => pull.reference.clone(),
        };
        let (digest, bytes) = bridge.resolve_image_config(&source, &platform).await?;
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
        attestations: BTreeMap::new(),
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
    PREDEFINED.contains(&name) || name.starts_with("BUILDKIT_") || name == super::options::EPOCH_ARG
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
