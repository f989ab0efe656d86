//! The content-addressed cache of manifests and config blobs
//! (`$MSBC_CACHE_DIR`, else `$XDG_CACHE_HOME/msbc`, else `~/.cache/msbc`).

use super::sha256;
use std::path::PathBuf;

/// The content-addressed cache of manifests and config blobs.
pub(super) struct Cache {
    pub(super) dir: Option<PathBuf>,
}

impl Cache {
    pub(super) fn new() -> Cache {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let dir = env("MSBC_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| env("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("msbc")))
            .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".cache").join("msbc")));
        Cache {
            dir: dir.map(|d| d.join("registry")),
        }
    }

    fn path(&self, digest: &str) -> Option<PathBuf> {
        let (alg, hex) = digest.split_once(':')?;
        Some(self.dir.as_ref()?.join(alg).join(hex))
    }

    /// The bytes cached for `digest`, if they still match it.
    pub(super) fn get(&self, digest: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(digest)?).ok()?;
        (sha256(&bytes) == digest).then_some(bytes)
    }

    /// Best effort: a cache that cannot be written is no error.
    pub(super) fn put(&self, digest: &str, bytes: &[u8]) {
        let Some(path) = self.path(digest) else {
            return;
        };
        let Some(parent) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let tmp = parent.join(format!(".{}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
