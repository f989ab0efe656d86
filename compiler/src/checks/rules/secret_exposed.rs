//! E0501: a build secret must reach only the `run` that mounts it. It is an
//! error when a secret can end up in the image: its mount target lies in a
//! path that a `copy from=` or an artifact copies out of the stage, an
//! `env`/`label` value or an arg default names it, or an `arg` has its name
//! (so it would be passed with `--build-arg`, recorded in the history).

use super::super::Ctx;
use super::super::facts::chain;
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::syntax::ast;

/// A secret a `run` mounts: its id, where it appears, and the mount's span.
struct Secret<'a> {
    id: &'a str,
    /// The `env=` name it is exposed as, if any.
    env: Option<&'a str>,
    /// The mount target: `target=`, or [`crate::ir::default_secret_target`].
    target: String,
    stage: usize,
    span: Span,
}

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    let secrets = secrets(ctx);
    if secrets.is_empty() {
        return;
    }
    copied_out(ctx, &secrets, diags);
    named_in_config(ctx, &secrets, diags);
}

/// The secrets the `run` steps of every stage mount.
fn secrets<'a>(ctx: &Ctx<'a>) -> Vec<Secret<'a>> {
    let mut out = Vec::new();
    for stage in 0..ctx.model.stages.len() {
        for step in ctx.sources(stage) {
            let ast::StepKind::Run(run) = &step.kind else {
                continue;
            };
            for mount in &run.mounts {
                if let ast::Mount::Secret(s) = mount {
                    out.push(Secret {
                        id: &s.id.value,
                        env: s.env.as_ref().map(|e| e.value.as_str()),
                        target: match &s.target {
                            Some(t) => t.value.clone(),
                            None => crate::ir::default_secret_target(&s.id.value),
                        },
                        stage,
                        span: s.target.as_ref().map(|t| t.span).unwrap_or(s.span),
                    });
                }
            }
        }
    }
    out
}

/// Whether `path` is `dir` or lies below it. `dir` may end in a glob
/// (`/out/*`): its fixed part counts.
fn inside(path: &str, dir: &str) -> bool {
    let fixed = match dir.find(['*', '?', '[']) {
        Some(i) => dir[..i].rsplit_once('/').map_or("", |(head, _)| head),
        None => dir,
    };
    let norm = |p: &str| p.trim_end_matches('/').to_string();
    let (path, fixed) = (norm(path), norm(fixed));
    path == fixed || fixed.is_empty() || path.starts_with(&format!("{fixed}/"))
}

/// Secrets whose mount target a later copy out of the stage would take along.
fn copied_out(ctx: &Ctx<'_>, secrets: &[Secret<'_>], diags: &mut Diagnostics) {
    let stage_index = |name: &str| ctx.stage_index(name);
    // (the stage copied from, the path copied, where the copy is written)
    let mut copies: Vec<(usize, String, Span)> = Vec::new();
    for artifact in &ctx.doc.artifacts {
        if let (Some(from), Some(path)) =
            (stage_index(&artifact.from.name), artifact.path.literal())
        {
            copies.push((from, path, artifact.path.raw.span));
        }
    }
    for step in ctx.all_sources() {
        let ast::StepKind::Copy(copy) = &step.kind else {
            continue;
        };
        let ast::CopyOrigin::From(from) = &copy.origin else {
            continue;
        };
        let Some(from) = stage_index(&from.raw.value) else {
            continue;
        };
        for source in &copy.sources {
            if let Some(path) = source.literal() {
                copies.push((from, path, source.raw.span));
            }
        }
    }
    for secret in secrets {
        if !secret.target.starts_with('/') {
            continue;
        }
        let leak = copies.iter().find(|(from, path, _)| {
            path.starts_with('/')
                && chain(*from, ctx.model).contains(&secret.stage)
                && inside(&secret.target, path)
        });
        if let Some((_, path, span)) = leak {
            diags.push(
                Diagnostic::new(
                    Code::SecretExposed,
                    format!(
                        "secret `{}` is mounted at `{}`, inside `{path}`, which is copied out of the stage",
                        secret.id, secret.target
                    ),
                )
                .label(secret.span, "the secret is mounted here")
                .label(*span, "this copies the secret's path out")
                .help("mount the secret outside what is copied (the default `/run/secrets/ID`, or `env=\"NAME\"`)"),
            );
        }
    }
}

/// Secrets named by an `env` or `label` value, an arg default or an arg.
fn named_in_config(ctx: &Ctx<'_>, secrets: &[Secret<'_>], diags: &mut Diagnostics) {
    let doc = ctx.doc;
    let secret_named = |name: &str| secrets.iter().find(|s| s.id == name || s.env == Some(name));
    let mut values: Vec<(&ast::Interp, &str)> = Vec::new();
    for tc in &doc.toolchains {
        values.extend(tc.env.iter().map(|(_, v)| (v, "env")));
    }
    for step in ctx.all_sources() {
        values.extend(
            step.kind
                .image_values()
                .into_iter()
                .filter_map(|v| match v {
                    ast::ImageValue::Env(_, v) => Some((v, "env")),
                    ast::ImageValue::Label(_, v) => Some((v, "label")),
                    _ => None,
                }),
        );
    }
    for (value, what) in values {
        for (name, span) in value.vars() {
            if let Some(secret) = secret_named(name) {
                diags.push(
                    Diagnostic::new(
                        Code::SecretExposed,
                        format!(
                            "this {what} value names `{name}`, which a `run` mounts as secret `{}`",
                            secret.id
                        ),
                    )
                    .label(span, "stored in the image config")
                    .label(secret.span, "the secret")
                    .help("use the secret only in the `run` that mounts it (`secret \"ID\" env=\"NAME\"`)"),
                );
            }
        }
    }
    for arg in &doc.args {
        if let Some(secret) = secret_named(&arg.name.name) {
            diags.push(
                Diagnostic::new(
                    Code::SecretExposed,
                    format!(
                        "arg `{}` has the name of secret `{}`: a build arg is recorded in the image's history",
                        arg.name.name, secret.id
                    ),
                )
                .label(arg.name.span, "a build arg")
                .label(secret.span, "the secret")
                .help("remove the arg and pass the value only as the secret (`--secret id=ID`)"),
            );
        }
        let Some(default) = &arg.default else {
            continue;
        };
        if let Some(secret) = secrets.iter().find(|s| {
            mentions(&default.value, s.id) || s.env.is_some_and(|e| mentions(&default.value, e))
        }) {
            diags.push(
                Diagnostic::new(
                    Code::SecretExposed,
                    format!(
                        "the default of arg `{}` names secret `{}`",
                        arg.name.name, secret.id
                    ),
                )
                .label(default.span, "recorded in the build history")
                .label(secret.span, "the secret")
                .help("use the secret only in the `run` that mounts it"),
            );
        }
    }
}

/// Whether `text` holds `${NAME}`, `${NAME:-...}` or `$NAME` (not followed
/// by more name characters).
fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    text.match_indices('$').any(|(i, _)| {
        let rest = &text[i + 1..];
        let (rest, braced) = match rest.strip_prefix('{') {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let Some(after) = rest.strip_prefix(name) else {
            return false;
        };
        match after.chars().next() {
            None => !braced,
            Some(c) if braced => c == '}' || c == ':',
            Some(c) => !(c.is_ascii_alphanumeric() || c == '_'),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{inside, mentions};

    /// A secret `tok/npmrc` is mounted at `/run/secrets/npmrc` (the base
    /// name of the id), so copying that path out of the stage leaks it.
    #[test]
    fn the_default_target_is_the_base_name_of_the_id() {
        let spec = "msbc 1\nstage build from=\"alpine:3.20\" {\n    run \"cp /run/secrets/npmrc /x\" {\n        secret \"tok/npmrc\"\n    }\n}\nimage app from=\"alpine:3.20\" {\n    user \"1000\"\n    copy \"/run/secrets/npmrc\" from=build to=\"/a\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        let e0501: Vec<String> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code.to_string() == "E0501")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(e0501.len(), 1, "{:?}", checked.diagnostics);
        assert!(e0501[0].contains("`/run/secrets/npmrc`"), "{e0501:?}");
    }

    #[test]
    fn inside_paths_and_globs() {
        assert!(inside("/src/.npmrc", "/src"));
        assert!(inside("/src/.npmrc", "/src/"));
        assert!(inside("/src", "/src"));
        assert!(!inside("/srcx/a", "/src"));
        assert!(inside("/out/key", "/out/*"));
        assert!(inside("/anything", "/"));
        assert!(!inside("/run/secrets/x", "/out/*.bin"));
    }

    #[test]
    fn mentions_variables() {
        assert!(mentions("${TOKEN}", "TOKEN"));
        assert!(mentions("a${TOKEN:-x}", "TOKEN"));
        assert!(mentions("$TOKEN/x", "TOKEN"));
        assert!(!mentions("$TOKENS", "TOKEN"));
        assert!(!mentions("${TOKENS}", "TOKEN"));
        assert!(!mentions("TOKEN", "TOKEN"));
        assert!(!mentions("é$", "TOKEN"));
    }
}
