//! Sources: `docker-image://` and the build context (`local://context`,
//! made once, with the paths the build reads).

use super::super::paths;
use super::super::pb::{self, op::Kind};
use super::super::platform::Platform;
use super::Lowering;
use super::graph::{Output, op};
use crate::domain::ImageRef;
use crate::ir::NamedContext;
use std::collections::BTreeMap;

/// What stands in for an image that a named context replaces.
enum Replaced {
    /// `docker-image://` of this reference.
    Image(ImageRef),
    /// `local://` of this client input.
    Local(String),
}

impl Lowering<'_> {
    /// A `docker-image://` source; `name` defaults to `FROM <reference>`.
    pub(super) fn image(
        &mut self,
        normalized: &str,
        platform: &Platform,
        name: Option<String>,
        line: usize,
    ) -> Output {
        let name = name.unwrap_or_else(|| format!("FROM {normalized}"));
        let mut attrs = BTreeMap::new();
        let mut platform = Some(platform);
        let identifier = match self.named_context(normalized) {
            None => format!("docker-image://{normalized}"),
            Some(Replaced::Image(image)) => format!("docker-image://{image}"),
            Some(Replaced::Local(input)) => {
                // As BuildKit's frontend loads a `local:` named context:
                // the client's folder, with no platform of its own.
                attrs.insert(
                    "local.sharedkeyhint".to_string(),
                    format!("context:{input}"),
                );
                self.mark_local(&mut attrs);
                platform = None;
                format!("local://{input}")
            }
        };
        let source = pb::SourceOp { identifier, attrs };
        let description = self.describe(name, Some(line));
        let d = self
            .graph
            .add(&op(Vec::new(), Kind::Source(source), platform), description);
        Output {
            digest: d,
            index: 0,
        }
    }

    /// What a named context puts in place of the image `reference`
    /// (normalized, maybe pinned `@sha256:...`): matched on the whole
    /// reference, else on it without its digest, which then stays on the
    /// replacing image unless that names its own. Notes the context used.
    fn named_context(&mut self, reference: &str) -> Option<Replaced> {
        let contexts = &self.options.build.contexts;
        if contexts.is_empty() {
            return None;
        }
        let written = ImageRef::split(reference);
        let (key, to, digest) = match contexts.get_key_value(&written) {
            Some((key, to)) => (key, to, None),
            None => {
                let (key, to) = contexts.get_key_value(&written.without_digest())?;
                (key, to, written.digest.as_deref())
            }
        };
        self.used_contexts.insert(key.clone());
        Some(match to {
            NamedContext::Image(image) => match digest {
                Some(d) if image.digest.is_none() => Replaced::Image(image.with_digest(d)),
                _ => Replaced::Image(image.clone()),
            },
            NamedContext::Local(input) => Replaced::Local(input.clone()),
        })
    }

    /// Marks a local source as the build's (`BuildOptions::local_owner`).
    fn mark_local(&self, attrs: &mut BTreeMap<String, String>) {
        if let Some((key, value)) = self.options.build.local_owner.attr() {
            attrs.insert(key.to_string(), value.to_string());
        }
    }

    pub(super) fn context(&mut self) -> Output {
        if let Some(out) = &self.context {
            return out.clone();
        }
        let mut attrs = BTreeMap::new();
        if !self.build.context_ignore.is_empty() {
            let patterns: Vec<String> = self
                .build
                .context_ignore
                .iter()
                .map(|p| paths::ignore_pattern(p))
                .collect();
            attrs.insert("local.excludepatterns".to_string(), json_strings(&patterns));
        }
        if let Some(follow) = &self.follow_paths {
            attrs.insert("local.followpaths".to_string(), json_strings(follow));
        }
        attrs.insert("local.sharedkeyhint".to_string(), shared_key_hint(&attrs));
        self.mark_local(&mut attrs);
        let source = pb::SourceOp {
            identifier: "local://context".to_string(),
            attrs,
        };
        let description = self.describe("[internal] load build context".to_string(), None);
        let d = self
            .graph
            .add(&op(Vec::new(), Kind::Source(source), None), description);
        let out = Output {
            digest: d,
            index: 0,
        };
        self.context = Some(out.clone());
        out
    }
}

/// A JSON array of strings as Go's `encoding/json` writes it (the form of
/// BuildKit's list-valued source attributes).
fn json_strings(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&super::super::dump::go_json_string(s));
    }
    out.push(']');
    out
}

/// The build context's `local.sharedkeyhint`: `context`, then a short digest
/// of the follow paths and exclude patterns. BuildKit syncs every build whose
/// source has the same key into one directory it keeps between builds; two
/// specs of one repository that send different files (another service's
/// follow paths) must not share it, or one build's sync can remove files
/// the other is reading (BuildKit then fails with "failed to calculate
/// checksum of ref ...: not found"). The same spec built again keeps its
/// key, so only what changed is sent.
fn shared_key_hint(attrs: &BTreeMap<String, String>) -> String {
    let selection: Vec<&str> = ["local.followpaths", "local.excludepatterns"]
        .iter()
        .map(|k| attrs.get(*k).map_or("", String::as_str))
        .collect();
    let digest = super::graph::digest(selection.join("\n").as_bytes());
    let hex = digest.strip_prefix("sha256:").unwrap_or(&digest);
    format!("context:{}", &hex[..hex.len().min(12)])
}

#[cfg(test)]
mod tests {
    use super::shared_key_hint;
    use std::collections::BTreeMap;

    fn attrs(follow: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("local.followpaths".to_string(), follow.to_string())])
    }

    #[test]
    fn contexts_that_send_different_files_never_share_a_key() {
        let api = shared_key_hint(&attrs(r#"["apps/api","go.mod"]"#));
        let web = shared_key_hint(&attrs(r#"["apps/web","go.mod"]"#));
        assert_ne!(api, web);
        assert_eq!(api, shared_key_hint(&attrs(r#"["apps/api","go.mod"]"#)));
        assert!(api.starts_with("context:") && api.len() == "context:".len() + 12);
    }
}
