//! `${NAME}`s that only a base image's config can set (W0007 from the
//! checker), decided against the configs `msbc.lock` records: BuildKit
//! expands them from the image's env, so a name the locked config sets is
//! fine, and one it does not set is E0205 (it would expand to nothing).

use super::{Lock, resolve, with_overrides};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lower::Model;

/// Drops each W0007 of `model` whose name the locked config of its base
/// image sets, and turns it into E0205 where the lock has that image's
/// config without the name. Without a lock, or a config of the image,
/// the warning stays: msbc cannot know.
pub fn check_base_env(
    model: &Model,
    lock: Option<&Lock>,
    overrides: &[(String, String)],
    diags: &mut Diagnostics,
) {
    let Some(lock) = lock else { return };
    if model.base_env.is_empty() {
        return;
    }
    let args = with_overrides(&model.args, overrides);
    let mut settled = Vec::new();
    let mut errors = Vec::new();
    for u in &model.base_env {
        let Some(reference) = resolve(&u.image, &args) else {
            continue;
        };
        let configs: Vec<_> = lock
            .configs
            .iter()
            .filter(|((r, _), _)| *r == reference)
            .map(|(_, c)| c)
            .collect();
        if configs.is_empty() {
            continue;
        }
        settled.push(u.span);
        let sets =
            |c: &&crate::backend::llb::BaseConfig| c.env_pairs().iter().any(|(k, _)| *k == u.name);
        if configs.iter().any(sets) {
            continue;
        }
        let mut names: Vec<String> = configs
            .iter()
            .flat_map(|c| c.env_pairs().into_iter().map(|(k, _)| k))
            .collect();
        names.sort();
        names.dedup();
        errors.push(
            Diagnostic::new(
                Code::UnknownVariable,
                format!(
                    "`${{{}}}` names no arg, platform arg or earlier env, and the config of `{reference}` in {} does not set it",
                    u.name,
                    super::FILE_NAME
                ),
            )
            .label(u.span, "unknown variable")
            .suggest_or(
                &u.name,
                names.iter().map(String::as_str).filter(|n| *n != "PATH"),
                format!(
                    "the base image's env has: {}; declare it with `arg {}`, or set it earlier with `env {}=\"...\"`",
                    if names.is_empty() {
                        "nothing".to_string()
                    } else {
                        names.join(", ")
                    },
                    u.name,
                    u.name
                ),
            ),
        );
    }
    if settled.is_empty() {
        return;
    }
    let mut kept = Diagnostics::new();
    for d in diags.iter() {
        let decided =
            d.code == Code::BaseImageEnv && d.primary_span().is_some_and(|s| settled.contains(&s));
        if !decided {
            kept.push(d.clone());
        }
    }
    for e in errors {
        kept.push(e);
    }
    *diags = kept;
}
