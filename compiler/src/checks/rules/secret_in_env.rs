//! W0003: a secret-looking name with a value, or a value that looks like a
//! credential, in `env`, a `label` or an `arg` default: all of them end up
//! in the image's history or config. `--strict` makes it an error.

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::ImageValue;

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH",
];

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// What kind of credential `value` looks like, if any: an AWS access key
/// id, a GitHub, GitLab or Slack token, a private key, or a URL with a
/// password (`scheme://user:password@host`; a `${VAR}` password is not one).
fn credential_kind(value: &str) -> Option<&'static str> {
    let tail_len = |rest: &str, ok: fn(char) -> bool| rest.chars().take_while(|c| ok(*c)).count();
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let upper = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
    let after = |prefix: &'static str| suffixes(value, prefix);
    let prefixed = |prefixes: &[&'static str], ok: fn(char) -> bool, min: usize| {
        prefixes
            .iter()
            .any(|p| after(p).any(|rest| tail_len(rest, ok) >= min))
    };
    if prefixed(&["AKIA", "ASIA"], upper, 16) {
        return Some("an AWS access key id");
    }
    if prefixed(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], alnum, 36)
        || prefixed(&["github_pat_"], word, 22)
    {
        return Some("a GitHub token");
    }
    if prefixed(&["glpat-"], word, 20) {
        return Some("a GitLab token");
    }
    if prefixed(&["xoxb-", "xoxp-", "xoxa-", "xoxs-"], word, 10) {
        return Some("a Slack token");
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    let url_password = after("://").any(|rest| {
        let authority = rest
            .split(['/', '?', '#', ' ', '"', '\''])
            .next()
            .unwrap_or_default();
        authority
            .rsplit_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .is_some_and(|(_, password)| !password.is_empty() && !password.starts_with('$'))
    });
    if url_password {
        return Some("a URL with a password");
    }
    None
}

/// What follows each occurrence of `prefix` in `value`.
fn suffixes<'a>(value: &'a str, prefix: &'static str) -> impl Iterator<Item = &'a str> {
    value
        .match_indices(prefix)
        .map(move |(i, p)| &value[i + p.len()..])
}

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    let doc = ctx.doc;
    let help = "pass secrets to the one `run` that needs them: `run \"...\" { secret \"id\" env=\"NAME\" }`; they then stay out of the image";
    let stored: Vec<ImageValue<'_>> = ctx
        .all_sources()
        .into_iter()
        .flat_map(|s| s.kind.image_values())
        .collect();
    let step_envs = stored.iter().filter_map(|v| match v {
        ImageValue::Env(k, v) => Some((*k, *v)),
        _ => None,
    });
    let envs = doc
        .toolchains
        .iter()
        .flat_map(|t| t.env.iter().map(|(k, v)| (k, v)))
        .chain(step_envs);
    for (key, value) in envs {
        if looks_secret(&key.name) && !value.raw.value.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::SecretInEnv,
                    format!(
                        "`{}` looks like a secret and is stored in the image",
                        key.name
                    ),
                )
                .label(
                    key.span.to(value.raw.span),
                    "visible to anyone who pulls the image",
                )
                .help(help),
            );
        } else if let Some(kind) = credential_kind(&value.raw.value) {
            diags.push(
                Diagnostic::new(
                    Code::SecretInEnv,
                    format!(
                        "the value of `{}` looks like {kind} and is stored in the image",
                        key.name
                    ),
                )
                .label(value.raw.span, "visible to anyone who pulls the image")
                .help(help),
            );
        }
    }
    let labels = stored.iter().filter_map(|v| match v {
        ImageValue::Label(k, v) => Some((*k, *v)),
        _ => None,
    });
    for (key, value) in labels {
        if let Some(kind) = credential_kind(&value.raw.value) {
            diags.push(
                Diagnostic::new(
                    Code::SecretInEnv,
                    format!(
                        "label `{}` looks like {kind} and is stored in the image",
                        key.value
                    ),
                )
                .label(value.raw.span, "visible to anyone who pulls the image")
                .help(help),
            );
        }
    }
    for arg in &doc.args {
        let Some(default) = &arg.default else {
            continue;
        };
        if looks_secret(&arg.name.name) && !default.value.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::SecretInEnv,
                    format!(
                        "arg `{}` looks like a secret and has a default value",
                        arg.name.name
                    ),
                )
                .label(default.span, "recorded in the build history")
                .help(help),
            );
        } else if let Some(kind) = credential_kind(&default.value) {
            diags.push(
                Diagnostic::new(
                    Code::SecretInEnv,
                    format!("the default of arg `{}` looks like {kind}", arg.name.name),
                )
                .label(default.span, "recorded in the build history")
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::credential_kind;

    #[test]
    fn credential_looking_values() {
        let aws = credential_kind("AKIAIOSFODNN7EXAMPLE");
        assert_eq!(aws, Some("an AWS access key id"));
        let gh = format!("ghp_{}", "a1".repeat(18));
        assert_eq!(credential_kind(&gh), Some("a GitHub token"));
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...";
        assert_eq!(credential_kind(key), Some("a private key"));
        let url = credential_kind("https://deploy:hunter2@git.example.com/repo.git");
        assert_eq!(url, Some("a URL with a password"));
        for fine in [
            "",
            "production",
            "https://example.com/a:b@c",
            "https://user@example.com/",
            "https://user:${TOKEN}@example.com/",
            "ghp_short",
            "AKIA",
            "-----BEGIN CERTIFICATE-----",
            "é://:@",
        ] {
            assert_eq!(credential_kind(fine), None, "{fine}");
        }
    }
}
