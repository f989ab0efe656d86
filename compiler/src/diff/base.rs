//! Base images whose lock entry changed: a new digest (after `msbc lock`
//! is run again) and what its recorded config now says (env by name, user,
//! working directory, entrypoint, cmd, ports, labels, ...), per platform.
//! Each stage built on such an image starts from that config, so the
//! change is part of what the build means, not only a new pin.

use super::summary::{BaseChange, ConfigChange};
use crate::backend::llb::BaseConfig;
use crate::lock::Lock;
use std::collections::{BTreeMap, BTreeSet};

/// How the base images of `old` and `new` differ, sorted by reference.
pub fn base_changes(old: &Lock, new: &Lock) -> Vec<BaseChange> {
    let mut references: BTreeSet<&String> = old.images.keys().chain(new.images.keys()).collect();
    references.extend(old.configs.keys().chain(new.configs.keys()).map(|(r, _)| r));
    let mut out = Vec::new();
    for reference in references {
        let (od, nd) = (old.images.get(reference), new.images.get(reference));
        let configs = |lock: &Lock| -> BTreeMap<String, BaseConfig> {
            lock.configs
                .iter()
                .filter(|((r, _), _)| r == reference)
                .map(|((_, p), c)| (p.to_string(), c.clone()))
                .collect()
        };
        let (oc, nc) = (configs(old), configs(new));
        let platforms: BTreeSet<&String> = oc.keys().chain(nc.keys()).collect();
        let many = platforms.len() > 1;
        let mut fields = Vec::new();
        for platform in platforms {
            let prefix = if many {
                format!("{platform} ")
            } else {
                String::new()
            };
            let empty = BaseConfig::default();
            let (a, b) = (oc.get(platform), nc.get(platform));
            if a.is_none() || b.is_none() {
                fields.push(ConfigChange {
                    image: reference.clone(),
                    field: format!("{prefix}config"),
                    old: a.map(|_| platform.clone()),
                    new: b.map(|_| platform.clone()),
                });
            }
            for (field, old, new) in config_fields(a.unwrap_or(&empty), b.unwrap_or(&empty)) {
                fields.push(ConfigChange {
                    image: reference.clone(),
                    field: format!("{prefix}{field}"),
                    old,
                    new,
                });
            }
        }
        let in_old = od.is_some() || !oc.is_empty();
        let in_new = nd.is_some() || !nc.is_empty();
        let change = match (in_old, in_new) {
            (false, _) => "added",
            (_, false) => "removed",
            _ if od != nd || !fields.is_empty() => "changed",
            _ => continue,
        };
        out.push(BaseChange {
            image: reference.clone(),
            change,
            old_digest: od.cloned(),
            new_digest: nd.cloned(),
            config: if change == "changed" {
                fields
            } else {
                Vec::new()
            },
        });
    }
    out
}

type Field = (String, Option<String>, Option<String>);

/// The fields of two configs that differ: `env NAME`, `user`, ...
fn config_fields(a: &BaseConfig, b: &BaseConfig) -> Vec<Field> {
    let mut out = Vec::new();
    let mut one = |field: &str, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push((field.to_string(), x, y));
        }
    };
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let list = |l: &Option<Vec<String>>| {
        l.as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_default())
    };
    // Env by name, in the new config's order, then the names it dropped.
    let (ae, be) = (a.env_pairs(), b.env_pairs());
    let get = |env: &[(String, String)], k: &str| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    };
    let mut names: Vec<&String> = be.iter().map(|(k, _)| k).collect();
    names.extend(ae.iter().map(|(k, _)| k).filter(|k| get(&be, k).is_none()));
    for k in names {
        one(&format!("env {k}"), get(&ae, k), get(&be, k));
    }
    one("user", text(&a.user), text(&b.user));
    one("workdir", text(&a.working_dir), text(&b.working_dir));
    one("entrypoint", list(&a.entrypoint), list(&b.entrypoint));
    one("cmd", list(&a.cmd), list(&b.cmd));
    let set = |s: &BTreeSet<String>| {
        (!s.is_empty()).then(|| s.iter().cloned().collect::<Vec<_>>().join(" "))
    };
    one("ports", set(&a.exposed_ports), set(&b.exposed_ports));
    one("volumes", set(&a.volumes), set(&b.volumes));
    let keys: BTreeSet<&String> = a.labels.keys().chain(b.labels.keys()).collect();
    for k in keys {
        one(
            &format!("label {k}"),
            a.labels.get(k).cloned(),
            b.labels.get(k).cloned(),
        );
    }
    let health = |c: &BaseConfig| {
        c.healthcheck
            .as_ref()
            .map(|h| serde_json::to_string(h).unwrap_or_default())
    };
    one("healthcheck", health(a), health(b));
    one("shell", list(&a.shell), list(&b.shell));
    one("stopsignal", a.stop_signal.clone(), b.stop_signal.clone());
    one(
        "onbuild",
        (!a.onbuild.is_empty()).then(|| a.onbuild.join("; ")),
        (!b.onbuild.is_empty()).then(|| b.onbuild.join("; ")),
    );
    one(
        "layers",
        (a.layers != 0).then(|| a.layers.to_string()),
        (b.layers != 0).then(|| b.layers.to_string()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn lock(digest: &str, env: &[&str], user: &str) -> Lock {
        let mut l = Lock::default();
        l.images.insert("golang:1.23".into(), digest.into());
        l.configs.insert(
            (
                "golang:1.23".into(),
                crate::domain::Platform::default_target(),
            ),
            BaseConfig {
                env: env.iter().map(|e| e.to_string()).collect(),
                user: user.to_string(),
                layers: 1,
                ..BaseConfig::default()
            },
        );
        l
    }

    #[test]
    fn a_new_digest_with_another_config_is_shown_field_by_field() {
        let old = lock(D1, &["PATH=/bin", "GOPATH=/go", "OLD=1"], "");
        let new = lock(D2, &["PATH=/bin", "GOPATH=/gopath", "NEW=2"], "1000");
        let changes = base_changes(&old, &new);
        assert_eq!(changes.len(), 1);
        let c = &changes[0];
        assert_eq!(
            (c.change, c.old_digest.as_deref(), c.new_digest.as_deref()),
            ("changed", Some(D1), Some(D2))
        );
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = c
            .config
            .iter()
            .map(|f| (f.field.as_str(), f.old.as_deref(), f.new.as_deref()))
            .collect();
        assert_eq!(
            fields,
            [
                ("env GOPATH", Some("/go"), Some("/gopath")),
                ("env NEW", None, Some("2")),
                ("env OLD", Some("1"), None),
                ("user", None, Some("1000")),
            ]
        );
        assert!(base_changes(&new, &new).is_empty());
        // Only the pin moved: a change without config fields.
        let repinned = lock(D2, &["PATH=/bin", "GOPATH=/go", "OLD=1"], "");
        let c = base_changes(&old, &repinned);
        assert_eq!(c.len(), 1);
        assert!(c[0].config.is_empty());
        // An image only one side locks.
        let c = base_changes(&Lock::default(), &new);
        assert_eq!(c[0].change, "added");
    }
}
