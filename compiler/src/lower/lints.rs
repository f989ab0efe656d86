//! Best-practice warnings. They never change the exit code unless the user
//! asks (`--deny-warnings`).

use super::args::{script_mentions, step_arg_uses};
use super::queries::{effective_user, image_refs, is_root, user_for_base};
use super::{Model, PLATFORM_ARGS};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::domain::ImageRef;
use crate::ir::{Base, StepKind};
use crate::syntax::ast::{Document, StageDecl, StageKind, Stored};

pub(super) fn run(doc: &Document, decls: &[StageDecl], model: &Model, diags: &mut Diagnostics) {
    root_user(decls, model, diags);
    mutable_tags(doc, decls, diags);
    secrets_in_env(doc, decls, diags);
    unused_args(doc, model, diags);
    unused_stages(decls, model, diags);
}

/// W0001: an image whose effective user is root, or unknown because no
/// `user` is set anywhere in its chain.
fn root_user(decls: &[StageDecl], model: &Model, diags: &mut Diagnostics) {
    for (i, decl) in decls.iter().enumerate() {
        if decl.kind != StageKind::Image {
            continue;
        }
        match effective_user(i, decls, model) {
            None => diags.push(
                Diagnostic::new(Code::RootUser, format!("image `{}` does not set a user", decl.name.name))
                    .label(decl.name.span, "runs as the base image's user, often root")
                    .help(format!("add {}", user_for_base(i, model))),
            ),
            Some(u) if is_root(u) => diags.push(
                Diagnostic::new(Code::RootUser, format!("image `{}` runs as root", decl.name.name))
                    .label(u.raw.span, "root user")
                    .help("run as an unprivileged user; create one in a build stage or use a `nonroot` base image"),
            ),
            Some(_) => {}
        }
    }
}

/// An example version tag of image `name` (its repository path) for W0002.
fn example_tag(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix("library/").unwrap_or(path);
    Some(match name {
        "alpine" => "3.20",
        "debian" => "bookworm-slim",
        "ubuntu" => "24.04",
        "busybox" => "1.37",
        "golang" => "1.23-bookworm",
        "node" => "22-bookworm-slim",
        "python" => "3.12-slim-bookworm",
        "eclipse-temurin" => "21-jre",
        "maven" => "3.9.9-eclipse-temurin-21",
        "gradle" => "8.10.2-jdk21",
        "nginx" => "1.27-alpine",
        "redis" => "7.4-alpine",
        "postgres" => "16-alpine",
        "rust" => "1.83-slim-bookworm",
        "ruby" => "3.3-slim-bookworm",
        "dotnet/sdk" | "dotnet/aspnet" | "dotnet/runtime" | "dotnet/runtime-deps" => "8.0",
        _ => return None,
    })
}

/// W0002: base images that float (`latest` or no tag and no digest),
/// judged by what the build pulls by default.
fn mutable_tags(doc: &Document, decls: &[StageDecl], diags: &mut Diagnostics) {
    for (r, resolved) in image_refs(doc, decls) {
        let Some(image) = resolved.as_deref().and_then(|t| ImageRef::parse(t).ok()) else {
            continue;
        };
        let text = &r.raw.value;
        if image.digest.is_some() {
            continue;
        }
        let message = match image.tag.as_deref() {
            Some("latest") => format!("`{text}` uses the `latest` tag"),
            Some(_) => continue,
            None => format!("`{text}` has no tag, so it pulls `latest`"),
        };
        let name = match &image.domain {
            Some(d) => format!("{d}/{}", image.path),
            None => image
                .path
                .strip_prefix("library/")
                .unwrap_or(&image.path)
                .to_string(),
        };
        let help = if image.path.starts_with("distroless/") {
            format!(
                "distroless images have no version tags: pin a digest (`{name}:nonroot@sha256:...`)"
            )
        } else {
            let tag = example_tag(&image.path).unwrap_or("<version>");
            format!(
                "pin a version tag of `{name}` (e.g. `{name}:{tag}`), ideally with a digest (`@sha256:...`)"
            )
        };
        diags.push(
            Diagnostic::new(Code::MutableTag, message)
                .label(r.raw.span, "moves whenever the image is republished")
                .help(help),
        );
    }
}

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
pub(super) fn credential_kind(value: &str) -> Option<&'static str> {
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

/// W0003: a secret-looking name with a value, or a value that looks like a
/// credential, in `env`, a `label` or an `arg` default: all of them end up
/// in the image's history or config.
fn secrets_in_env(doc: &Document, decls: &[StageDecl], diags: &mut Diagnostics) {
    let help = "pass secrets to the one `run` that needs them: `run \"...\" { secret \"id\" env=\"NAME\" }`; they then stay out of the image";
    let stored: Vec<Stored<'_>> = decls
        .iter()
        .flat_map(|d| d.steps.iter())
        .flat_map(|s| s.kind.stored())
        .collect();
    let step_envs = stored.iter().filter_map(|v| match v {
        Stored::Env(k, v) => Some((*k, *v)),
        Stored::Label(..)
        | Stored::User(_)
        | Stored::Workdir(_)
        | Stored::Volume(_)
        | Stored::Fixed => None,
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
        Stored::Label(k, v) => Some((*k, *v)),
        Stored::Env(..)
        | Stored::User(_)
        | Stored::Workdir(_)
        | Stored::Volume(_)
        | Stored::Fixed => None,
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

/// W0004: args nothing uses.
fn unused_args(doc: &Document, model: &Model, diags: &mut Diagnostics) {
    let known: Vec<&str> = doc.args.iter().map(|a| a.name.name.as_str()).collect();
    let mut used: Vec<String> = Vec::new();
    for stage in &model.stages {
        let words = match &stage.base {
            Base::Image(w) => vec![w],
            _ => vec![],
        };
        for w in words.into_iter().chain(stage.platform.iter()) {
            used.extend(w.vars().map(|(n, _)| n.to_string()));
        }
        for step in &stage.steps {
            match &step.kind {
                StepKind::Args { names } => used.extend(names.iter().cloned()),
                StepKind::Run(r) => used.extend(script_mentions(&r.script, &known)),
                other => used.extend(step_arg_uses(other, &known)),
            }
        }
    }
    // An arg named in a used arg's default is used (defaults name earlier
    // args only: last to first reaches every one).
    for arg in model.args.iter().rev() {
        if let (true, Some(w)) = (used.contains(&arg.name), &arg.default_word) {
            used.extend(w.vars().map(|(n, _)| n.to_string()));
        }
    }
    for arg in &doc.args {
        if !used.contains(&arg.name.name) && !PLATFORM_ARGS.contains(&arg.name.name.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::UnusedArg,
                    format!("arg `{}` is never used", arg.name.name),
                )
                .label(arg.name.span, "unused")
                .help(format!("use it as `${{{}}}`, or remove it", arg.name.name)),
            );
        }
    }
}

/// W0005: stages that no image or target-only stage reaches.
fn unused_stages(decls: &[StageDecl], model: &Model, diags: &mut Diagnostics) {
    let mut reached = vec![false; model.stages.len()];
    let mut todo: Vec<usize> = model
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == crate::ir::StageKind::Image || s.target_only)
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        todo.extend(model.stages[i].dependencies().iter().map(|d| d.0));
    }
    for (i, decl) in decls.iter().enumerate() {
        if !reached[i] {
            diags.push(
                Diagnostic::new(Code::UnusedStage, format!("stage `{}` is not used by any image", decl.name.name))
                    .label(decl.name.span, "never built")
                    .help("use it (`from=`, `copy from=`, an artifact), mark it `target-only=#true`, or remove it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::credential_kind;

    fn helps(spec: &str, code: &str) -> Vec<String> {
        crate::compile::check(spec.as_bytes())
            .diagnostics
            .iter()
            .filter(|d| d.code.to_string() == code)
            .filter_map(|d| d.help.clone())
            .collect()
    }

    /// W0001 suggests a user the base image has, or a numeric id: alpine
    /// and python have no `nonroot` user (the container would not start).
    #[test]
    fn w0001_suggests_a_user_that_exists_on_the_base() {
        let spec =
            |from: &str| format!("msbc 1\nimage app from=\"{from}\" {{\n    cmd \"/app\"\n}}\n");
        for from in ["alpine:3.20", "python:3.12-slim", "debian:bookworm-slim"] {
            let h = helps(&spec(from), "W0001");
            assert_eq!(h.len(), 1, "{from}: {h:?}");
            assert!(!h[0].contains("nonroot"), "{from}: {h:?}");
            assert!(h[0].contains("user \"10001\""), "{from}: {h:?}");
        }
        let h = helps(&spec("gcr.io/distroless/static-debian12:nonroot"), "W0001");
        assert!(h[0].contains("user \"nonroot\""), "{h:?}");
        let h = helps(&spec("node:22-bookworm-slim"), "W0001");
        assert!(h[0].contains("user \"node\""), "{h:?}");
        // Through a stage chain: the base of the first stage counts.
        let chained = "msbc 1\nstage base from=\"gcr.io/distroless/base-debian12:nonroot\"\nimage app from=base {\n    cmd \"/app\"\n}\n";
        assert!(helps(chained, "W0001")[0].contains("nonroot"));
    }

    /// W0002 suggests a tag of the image in question.
    #[test]
    fn w0002_suggests_a_tag_of_that_image() {
        let spec =
            |from: &str| format!("msbc 1\nimage app from=\"{from}\" {{\n    user \"10001\"\n}}\n");
        let h = helps(&spec("alpine:latest"), "W0002");
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h[0].contains("`alpine:3.20`"), "{h:?}");
        assert!(!h[0].contains("bookworm"), "{h:?}");
        let h = helps(&spec("python:latest"), "W0002");
        assert!(h[0].contains("`python:3.12"), "{h:?}");
        let h = helps(&spec("registry.example.com/team/svc:latest"), "W0002");
        assert!(
            h[0].contains("`registry.example.com/team/svc:<version>`"),
            "{h:?}"
        );
    }

    /// `${V:-x}` with `arg V ""` pulls `x`, as the LLB backend resolves it
    /// (BuildKit takes the default of an empty value): W0002 judges that.
    #[test]
    fn image_refs_resolve_as_the_build_does() {
        let spec =
            "msbc 1\narg V \"\"\nimage app from=\"alpine:${V:-latest}\" {\n    user \"10001\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        let codes: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        assert_eq!(codes, ["W0002"], "{:?}", checked.diagnostics);
    }

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
