//! Sources: `docker-image://` and the build context (`local://context`,
//! made once, with the paths the build reads).

use super::super::paths;
use super::super::pb::{self, op::Kind};
use super::super::platform::Platform;
use super::Lowering;
use super::graph::{Output, op};
use std::collections::BTreeMap;

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
        let source = pb::SourceOp {
            identifier: format!("docker-image://{normalized}"),
            attrs: BTreeMap::new(),
        };
        let description = self.describe(name, Some(line));
        let d = self.graph.add(
            &op(Vec::new(), Kind::Source(source), Some(platform)),
            description,
        );
        Output {
            digest: d,
            index: 0,
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
        attrs.insert("local.sharedkeyhint".to_string(), "context".to_string());
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
