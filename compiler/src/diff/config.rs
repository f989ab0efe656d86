//! The image config an image ends up with, as far as the spec says: the
//! one fold (`ir::ImageConfig`) over words as written.

use crate::ir::{Build, StageId, Word};
use crate::paths;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The config an image ends up with from its own steps and those of the
/// stages it is built on (what the spec sets; the base image's is unknown),
/// one entry per field (`env K`, `label K`, `user`, ...), values as written.
pub(super) fn config(build: &Build, index: usize) -> BTreeMap<String, String> {
    let folded = build.image_config(StageId(index), Word::to_string, workdir);
    let mut out = BTreeMap::new();
    if let Some(u) = folded.user {
        out.insert("user".to_string(), u);
    }
    if let Some(w) = folded.workdir {
        out.insert("workdir".to_string(), w);
    }
    if let Some(e) = &folded.entrypoint {
        out.insert("entrypoint".to_string(), json(e));
    }
    if let Some(c) = &folded.cmd {
        out.insert("cmd".to_string(), json(c));
    }
    for (k, v) in folded.env {
        out.insert(format!("env {k}"), v);
    }
    for (k, v) in folded.labels {
        out.insert(format!("label {k}"), v);
    }
    if !folded.ports.is_empty() {
        let ports: Vec<String> = folded.ports.into_iter().collect();
        out.insert("ports".to_string(), ports.join(" "));
    }
    if let Some(check) = folded.healthcheck {
        let text = match check {
            None => "NONE".to_string(),
            Some(h) => {
                let mut s = json(&h.command);
                for (k, v) in [
                    ("interval", &h.interval),
                    ("timeout", &h.timeout),
                    ("start-period", &h.start_period),
                    ("start-interval", &h.start_interval),
                ] {
                    if let Some(v) = v {
                        let _ = write!(s, " {k}={v}");
                    }
                }
                if let Some(r) = h.retries {
                    let _ = write!(s, " retries={r}");
                }
                s
            }
        };
        out.insert("healthcheck".to_string(), text);
    }
    if !folded.volumes.is_empty() {
        // A set in the image: the order they were declared in is not kept.
        let mut volumes = folded.volumes;
        volumes.sort();
        out.insert("volumes".to_string(), volumes.join(" "));
    }
    if let Some(s) = folded.stop_signal {
        out.insert("stopsignal".to_string(), s);
    }
    if let Some(s) = &folded.shell {
        out.insert("shell".to_string(), json(s));
    }
    out
}

/// A `workdir` after the one before, as written: a relative path is under
/// the one before when that is known (`lower` has already made literal
/// paths absolute where it could).
fn workdir(current: Option<&String>, path: String) -> String {
    match current {
        Some(dir) if !path.starts_with('/') => paths::clean(&paths::normalize(dir, &path, false)),
        _ => path,
    }
}

pub(super) fn json(args: &[String]) -> String {
    serde_json::to_string(args).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    //! The three folds of a stage's config steps must agree: the LLB
    //! backend's image config, this module's (`msbc diff`) and the user in
    //! effect the checks use (W0001). Each is observed from outside and
    //! brought to one form.
    use super::*;
    use crate::backend::llb;
    use crate::compile;
    use crate::diag::Code;
    use crate::ir::StageKind;
    use crate::lower::{Selection, select};
    use std::collections::BTreeSet;

    /// What an image's config holds, in one form for all three folds
    /// (values as written: the specs below have no `${...}` in them).
    #[derive(Debug, Default, PartialEq)]
    struct Observed {
        user: Option<String>,
        workdir: Option<String>,
        env: BTreeMap<String, String>,
        entrypoint: Option<Vec<String>>,
        cmd: Option<Vec<String>>,
        ports: BTreeSet<String>,
        labels: BTreeMap<String, String>,
        volumes: BTreeSet<String>,
    }

    fn strings(v: &serde_json::Value) -> Option<Vec<String>> {
        v.as_array().map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
    }

    /// The LLB backend's image config (no base configs: env starts with
    /// BuildKit's default PATH, which the others do not know about).
    fn from_llb(build: &Build) -> Observed {
        let out = match llb::compile(build, &llb::Options::default()) {
            Ok(out) => out,
            Err(e) => panic!("does not lower: {e}"),
        };
        let doc: serde_json::Value = serde_json::from_str(&out.image_config).expect("json");
        let c = &doc["config"];
        let keys = |v: &serde_json::Value| -> BTreeSet<String> {
            v.as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        let mut env: BTreeMap<String, String> = c["Env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str()?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if env.get("PATH").map(String::as_str) == Some(llb::DEFAULT_PATH) {
            env.remove("PATH");
        }
        Observed {
            user: c["User"].as_str().map(str::to_string),
            workdir: c["WorkingDir"].as_str().map(str::to_string),
            env,
            entrypoint: strings(&c["Entrypoint"]),
            cmd: strings(&c["Cmd"]),
            ports: keys(&c["ExposedPorts"]),
            labels: c["Labels"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            volumes: keys(&c["Volumes"]),
        }
    }

    /// `msbc diff`'s fold.
    fn from_diff(build: &Build) -> Observed {
        let map = config(build, build.target.0);
        let list = |k: &str| -> Option<Vec<String>> {
            map.get(k)
                .map(|v| serde_json::from_str(v).expect("a JSON list"))
        };
        let prefixed = |p: &str| -> BTreeMap<String, String> {
            map.iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(p)?.to_string(), v.clone())))
                .collect()
        };
        let words = |k: &str| -> BTreeSet<String> {
            map.get(k)
                .map(|v| v.split(' ').map(str::to_string).collect())
                .unwrap_or_default()
        };
        Observed {
            user: map.get("user").cloned(),
            workdir: map.get("workdir").cloned(),
            env: prefixed("env "),
            entrypoint: list("entrypoint"),
            cmd: list("cmd"),
            ports: words("ports"),
            labels: prefixed("label "),
            volumes: words("volumes"),
        }
    }

    /// Every image of `spec`: its build and whether W0001 (the checks'
    /// fold: no user, or root) fired for it.
    fn images(spec: &str) -> Vec<(String, Build, bool)> {
        let (diagnostics, model) = super::super::tests::checked(spec);
        model
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Image)
            .map(|s| {
                let selection = Selection {
                    image: Some(s.name.clone()),
                    // A value for each required arg (`${...}` values are
                    // not compared).
                    args: model
                        .args
                        .iter()
                        .filter(|a| a.default.is_none())
                        .map(|a| (a.name.clone(), "x".to_string()))
                        .collect(),
                    ..Selection::default()
                };
                let build = select(&model, &selection).expect("selects");
                let w0001 = diagnostics.iter().any(|d| {
                    d.code == Code::RootUser && d.message.contains(&format!("`{}`", s.name))
                });
                (s.name.clone(), build, w0001)
            })
            .collect()
    }

    fn is_root(user: &str) -> bool {
        matches!(user.split(':').next(), Some("root" | "0"))
    }

    const SPECS: &[&str] = &[
        // A chain: relative workdir, inherited cmd dropped by an
        // entrypoint, env replaced, ranges, volumes in another order.
        r#"msbc 1
stage base from="alpine:3.20" {
    workdir "/app"
    user "app"
    env A="1" C="x"
    cmd "serve"
    label "x" "1"
    expose "8000-8002" "53/udp"
    volume "/data"
}
image app from=base {
    workdir "src"
    entrypoint "/bin/app"
    env A="2" B="3"
    label "y" "2"
    volume "/cache" "/data"
    expose 80
}
"#,
        // A cmd set before the entrypoint in the same stage stays.
        r#"msbc 1
image app from="alpine:3.20" {
    user "root"
    cmd "serve"
    entrypoint "/bin/app"
}
"#,
        // Root by id, workdirs that climb.
        r#"msbc 1
stage a from="alpine:3.20" {
    user "0:0"
    workdir "/srv/x"
}
image app from=a {
    workdir "../y"
    workdir "z/"
    cmd "run"
}
"#,
        // No user at all; a stage on a stage on a stage.
        r#"msbc 1
stage a from="alpine:3.20" {
    env A="1"
    entrypoint "/a"
    cmd "x"
}
stage b from=a {
    cmd "y"
}
image app from=b {
    label "k" "v"
}
"#,
        // A user set, then changed down the chain.
        r#"msbc 1
stage a from="alpine:3.20" {
    user "10001"
}
image app from=a {
    user "root:root"
    expose 8080 "9090/udp"
}
"#,
    ];

    #[test]
    fn the_three_config_folds_agree() {
        let mut disagree = Vec::new();
        for (n, spec) in SPECS.iter().enumerate() {
            for (name, build, w0001) in images(spec) {
                let llb = from_llb(&build);
                let diff = from_diff(&build);
                if llb != diff {
                    disagree.push(format!(
                        "spec {n}, image `{name}`:\n  llb  {llb:?}\n  diff {diff:?}"
                    ));
                }
                let root_or_unset = llb.user.as_deref().is_none_or(is_root);
                if w0001 != root_or_unset {
                    disagree.push(format!(
                        "spec {n}, image `{name}`: W0001 {w0001}, LLB user {:?}",
                        llb.user
                    ));
                }
            }
        }
        assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    }

    #[test]
    fn the_folds_agree_on_every_example_spec() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        let mut compared = 0;
        for entry in walk(&root) {
            let Ok(text) = std::fs::read_to_string(&entry) else {
                continue;
            };
            let checked = compile::check(text.as_bytes());
            if checked.diagnostics.has_errors() {
                // Specs whose templates need their project files.
                continue;
            }
            for (name, build, w0001) in images(&text) {
                let (mut llb, mut diff) = (from_llb(&build), from_diff(&build));
                // Values with `${...}`: the LLB resolves them, diff keeps
                // them as written; compare the rest.
                let written: Vec<String> = diff
                    .env
                    .iter()
                    .chain(&diff.labels)
                    .filter(|(_, v)| v.contains('$'))
                    .map(|(k, _)| k.clone())
                    .collect();
                for o in [&mut llb, &mut diff] {
                    o.env.retain(|k, _| !written.contains(k));
                    o.labels.retain(|k, _| !written.contains(k));
                }
                if diff.workdir.as_deref().is_some_and(|w| w.contains('$')) {
                    llb.workdir = None;
                    diff.workdir = None;
                }
                // `scratch`'s own config has `WorkingDir /`.
                if diff.workdir.is_none() && llb.workdir.as_deref() == Some("/") {
                    llb.workdir = None;
                }
                assert_eq!(llb, diff, "image `{name}` of {}", entry.display());
                let root_or_unset = llb.user.as_deref().is_none_or(is_root);
                assert_eq!(
                    w0001,
                    root_or_unset,
                    "W0001 for `{name}` of {}",
                    entry.display()
                );
                compared += 1;
            }
        }
        assert!(compared >= 5, "only {compared} images compared");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    todo.push(p);
                } else if p.file_name().is_some_and(|n| n == "build.kdl") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }
}
