//! One build through the gateway: read the spec from the `dockerfile`
//! input, the template folders and the files presets detect from the
//! `context` input, compile as `msbc compile --emit llb` would, solve the
//! LLB of each platform and assemble the result with its image config.

use super::bridge::Bridge;
use super::failure::{Failure, located, ranges, source_info};
use super::generated::moby::buildkit::v1::frontend as gw;
use super::inputs::{context_inputs, read_spec};
use super::options::Options;
use super::subrequests;
use crate::backend::llb::{BaseConfig, BaseConfigs, pb};
use crate::compile;
use crate::diag::render;
use crate::domain::{ImageRef, Platform};
use crate::expand;
use crate::ir::NamedContext;
use crate::lower::Selection;
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
    let spec = read_spec(bridge, opts, env).await?;

    let parsed = compile::parse(&spec);
    let inputs = context_inputs(bridge, opts, env, &parsed, &spec).await?;
    let checked = parsed.check(expand::Context {
        catalog: &inputs.catalog,
        files: &inputs.files,
        contents: &inputs.contents,
        service_dir: &inputs.service_dir,
    });
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
            .llb(&opts.filename, configs, &opts.build)
            .map_err(|e| in_spec(&e))?;
        used.extend(llb.used_contexts);
        let id = bridge.solve(llb.definition).await?;
        let config = llb.image_config.trim_end().to_string();
        refs.push((platform.to_string(), id));
        metadata.insert(format!("containerimage.config/{platform}"), config.clone());
        if platforms.len() == 1 {
            metadata.insert("containerimage.config".to_string(), config);
        }
    }

    for name in opts.build.contexts.keys().filter(|n| !used.contains(*n)) {
        let message = format!("the named context `{name}` names no image this build pulls");
        eprintln!("warning: {message}");
        bridge
            .warn(gw::WarnRequest {
                level: 1,
                short: message.into_bytes(),
                ..gw::WarnRequest::default()
            })
            .await?;
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
