//! One `config` node of an `image` in `msbc.lock`: an image's config for
//! one platform (the fields a build inherits), written and read.

use super::is_digest;
use crate::backend::llb::BaseConfig;
use crate::backend::llb::config_types::HealthConfig;
use crate::domain::Platform;
use crate::kdl_write::Node;

/// `config "linux/amd64" digest=… layers=N { env …; workdir …; … }`.
pub(super) fn config_node(platform: &str, c: &BaseConfig) -> Node {
    let list =
        |name: &str, items: &[String]| items.iter().fold(Node::new(name), |n, i| n.arg(i.as_str()));
    let mut children = Vec::new();
    if !c.env.is_empty() {
        children.push(list("env", &c.env));
    }
    if !c.working_dir.is_empty() {
        children.push(Node::new("workdir").arg(&c.working_dir));
    }
    if !c.user.is_empty() {
        children.push(Node::new("user").arg(&c.user));
    }
    if let Some(e) = &c.entrypoint {
        children.push(list("entrypoint", e));
    }
    if let Some(cmd) = &c.cmd {
        children.push(list("cmd", cmd));
    }
    children.extend(c.exposed_ports.iter().map(|p| Node::new("expose").arg(p)));
    children.extend(
        c.labels
            .iter()
            .map(|(k, v)| Node::new("label").arg(k).arg(v)),
    );
    children.extend(c.volumes.iter().map(|v| Node::new("volume").arg(v)));
    if let Some(h) = &c.healthcheck {
        children.push(
            list("healthcheck", &h.test)
                .prop("interval", h.interval)
                .prop("timeout", h.timeout)
                .prop("start-period", h.start_period)
                .prop("start-interval", h.start_interval)
                .prop("retries", i64::from(h.retries)),
        );
    }
    if let Some(shell) = &c.shell {
        children.push(list("shell", shell));
    }
    if let Some(s) = &c.stop_signal {
        children.push(Node::new("stop-signal").arg(s));
    }
    children.extend(c.onbuild.iter().map(|t| Node::new("onbuild").arg(t)));
    Node::new("config")
        .arg(platform)
        .prop("digest", &c.config_digest)
        .prop("layers", i64::try_from(c.layers).unwrap_or(i64::MAX))
        .children(children)
}

/// Reads a `config` node of an `image` (its `digest` is the image's, set
/// by the caller).
pub(super) fn parse_config(node: &kdl::KdlNode) -> Result<(Platform, BaseConfig), String> {
    let strings = |n: &kdl::KdlNode| -> Result<Vec<String>, String> {
        n.entries()
            .iter()
            .filter(|e| e.name().is_none())
            .map(|e| {
                e.value()
                    .as_string()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{}` takes strings", n.name().value()))
            })
            .collect()
    };
    let int = |n: &kdl::KdlNode, key: &str| -> Result<i128, String> {
        match n.get(key) {
            None => Ok(0),
            Some(v) => v
                .as_integer()
                .filter(|i| *i >= 0)
                .ok_or_else(|| format!("`{key}` must be a whole number")),
        }
    };
    if node.name().value() != "config" {
        return Err(format!(
            "unknown node `{}` in an `image` (expected `config`)",
            node.name().value()
        ));
    }
    let shape = "expected `config \"os/arch\" digest=\"sha256:...\" layers=N { ... }`";
    let platform = match strings(node)?.as_slice() {
        [p] => Platform::parse(p).map_err(|e| format!("`config \"{p}\"`: {e}"))?,
        _ => return Err(shape.to_string()),
    };
    let config_digest = node
        .get("digest")
        .and_then(|d| d.as_string())
        .filter(|d| is_digest(d))
        .ok_or(shape)?
        .to_string();
    let mut c = BaseConfig {
        config_digest,
        layers: usize::try_from(int(node, "layers")?).map_err(|_| shape.to_string())?,
        ..BaseConfig::default()
    };
    for child in node.iter_children() {
        let values = strings(child)?;
        let one = || match values.as_slice() {
            [v] => Ok(v.clone()),
            _ => Err(format!("`{}` takes one string", child.name().value())),
        };
        match child.name().value() {
            "env" => c.env = values.clone(),
            "workdir" => c.working_dir = one()?,
            "user" => c.user = one()?,
            "entrypoint" => c.entrypoint = Some(values.clone()),
            "cmd" => c.cmd = Some(values.clone()),
            "expose" => {
                c.exposed_ports.insert(one()?);
            }
            "label" => match values.as_slice() {
                [k, v] => {
                    c.labels.insert(k.clone(), v.clone());
                }
                _ => return Err("`label` takes a key and a value".to_string()),
            },
            "volume" => {
                c.volumes.insert(one()?);
            }
            "healthcheck" => {
                let n = |k: &str| int(child, k).map(|v| i64::try_from(v).unwrap_or(i64::MAX));
                c.healthcheck = Some(HealthConfig {
                    test: values.clone(),
                    interval: n("interval")?,
                    timeout: n("timeout")?,
                    start_period: n("start-period")?,
                    start_interval: n("start-interval")?,
                    retries: u32::try_from(int(child, "retries")?).unwrap_or(u32::MAX),
                });
            }
            "shell" => c.shell = Some(values.clone()),
            "stop-signal" => c.stop_signal = Some(one()?),
            "onbuild" => c.onbuild.push(one()?),
            other => return Err(format!("unknown node `{other}` in a `config`")),
        }
    }
    Ok((platform, c))
}
