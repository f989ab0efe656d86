//! The ops made so far, each marshaled once and named by its digest, and
//! the capabilities each needs.

use super::super::pb::{self, op::Kind};
use super::super::platform::Platform;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// `sha256:` and the hex digest of `bytes`: an op's name in LLB.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// An op's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Output {
    pub(super) digest: String,
    pub(super) index: i64,
}

impl Output {
    pub(super) fn input(&self) -> pb::Input {
        pb::Input {
            digest: self.digest.clone(),
            index: self.index,
        }
    }
}

/// The ops so far: each marshaled once, in order, with its metadata.
#[derive(Default)]
pub(super) struct Graph {
    pub(super) def: Vec<Vec<u8>>,
    seen: HashSet<String>,
    pub(super) metadata: BTreeMap<String, pb::OpMetadata>,
    /// Keeps no ops: each is only numbered (a pass that needs the states
    /// and words of the steps, not the ops).
    dry: Option<usize>,
    /// The ops added now run again (`ignore_cache` in their metadata): set
    /// while a stage that `--no-cache` names is lowered. Never the build
    /// context's source nor the terminal op.
    pub(super) ignore_cache: bool,
}

impl Graph {
    /// A graph that keeps no ops.
    pub(super) fn dry() -> Graph {
        Graph {
            dry: Some(0),
            ..Graph::default()
        }
    }

    /// Adds `op` unless an equal op is there; returns its digest. The first
    /// description of an op shared by several steps is kept.
    pub(super) fn add(&mut self, op: &pb::Op, description: BTreeMap<String, String>) -> String {
        if let Some(n) = &mut self.dry {
            *n += 1;
            return format!("dry:{n}");
        }
        let bytes = op.to_bytes();
        let d = digest(&bytes);
        let local =
            matches!(&op.kind, Some(Kind::Source(s)) if s.identifier.starts_with("local://"));
        let fresh = self.ignore_cache && op.kind.is_some() && !local;
        if self.seen.insert(d.clone()) {
            self.def.push(bytes);
            let caps = caps(op);
            if !description.is_empty() || !caps.is_empty() || fresh {
                self.metadata.insert(
                    d.clone(),
                    pb::OpMetadata {
                        ignore_cache: fresh,
                        description,
                        caps,
                    },
                );
            }
        } else if fresh {
            // An op a cached stage made first, needed again by a stage
            // that runs again.
            self.metadata.entry(d.clone()).or_default().ignore_cache = true;
        }
        d
    }
}

/// The BuildKit capabilities `op` needs, named as BuildKit names them
/// (`solver/pb/caps.go`), as its Go client declares them.
fn caps(op: &pb::Op) -> BTreeMap<String, bool> {
    let mut caps: Vec<&str> = Vec::new();
    match &op.kind {
        Some(Kind::Source(s)) if s.identifier.starts_with("docker-image://") => {
            caps.push("source.image")
        }
        Some(Kind::Source(s)) => {
            caps.push("source.local");
            for attr in s.attrs.keys() {
                match attr.as_str() {
                    "local.sharedkeyhint" => caps.push("source.local.sharedkeyhint"),
                    "local.excludepatterns" => caps.push("source.local.excludepatterns"),
                    "local.followpaths" => caps.push("source.local.followpaths"),
                    "local.session" => caps.push("source.local.sessionid"),
                    "local.unique" => caps.push("source.local.unique"),
                    _ => {}
                }
            }
        }
        Some(Kind::File(_)) => caps.push("file.base"),
        Some(Kind::Merge(_)) => caps.push("mergeop"),
        Some(Kind::Exec(e)) => {
            caps.push("exec.meta.base");
            if e.network != pb::NetMode::Unset as i32 {
                caps.push("exec.meta.network");
            }
            for m in &e.mounts {
                if !m.selector.is_empty() {
                    caps.push("exec.mount.selector");
                }
                match pb::MountType::try_from(m.mount_type) {
                    Ok(pb::MountType::Cache) => {
                        caps.extend(["exec.mount.cache", "exec.mount.cache.sharing"])
                    }
                    Ok(pb::MountType::Tmpfs) => {
                        caps.push("exec.mount.tmpfs");
                        if m.tmpfs_opt.as_ref().is_some_and(|t| t.size > 0) {
                            caps.push("exec.mount.tmpfs.size");
                        }
                    }
                    Ok(pb::MountType::Bind) if m.input >= 0 => caps.push("exec.mount.bind"),
                    Ok(pb::MountType::Secret) => caps.push("exec.mount.secret"),
                    Ok(pb::MountType::Ssh) => caps.push("exec.mount.ssh"),
                    _ => {}
                }
            }
            if !e.secretenv.is_empty() {
                caps.extend(["exec.mount.secret", "exec.secretenv"]);
            }
        }
        // The terminal op.
        None => caps.extend(["constraints", "platform", "meta.description"]),
    }
    caps.into_iter().map(|c| (c.to_string(), true)).collect()
}

pub(super) fn op(inputs: Vec<pb::Input>, kind: Kind, platform: Option<&Platform>) -> pb::Op {
    pb::Op {
        inputs,
        kind: Some(kind),
        platform: platform.map(super::super::platform::to_pb),
        constraints: Some(pb::WorkerConstraints::default()),
    }
}

/// The index of `output` in `inputs`, added if new.
pub(super) fn input_index(inputs: &mut Vec<pb::Input>, output: &Output) -> i64 {
    let input = output.input();
    match inputs.iter().position(|i| *i == input) {
        Some(i) => i as i64,
        None => {
            inputs.push(input);
            inputs.len() as i64 - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
