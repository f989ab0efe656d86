//! What a step can see from the steps and stages before it: the env names
//! set so far (shared down a stage chain), the shell, the toolchain's caches,
//! the working directory, the base image.

use crate::ir::{Mount, Word};

/// What a step can see from the steps and stages before it.
#[derive(Debug, Clone, Default)]
pub(super) struct Scope {
    /// `env` names set so far in the stage chain.
    pub(super) env: EnvNames,
    /// The `shell` in effect.
    pub(super) shell: Option<Vec<String>>,
    /// Cache mounts every run gets (from the toolchain).
    pub(super) caches: Vec<Mount>,
    /// The working directory, when the stage chain set a literal absolute one.
    pub(super) workdir: Option<String>,
    /// The image the stage chain starts from (`None`: scratch): its
    /// config's env is visible too, known only from `msbc.lock`.
    pub(super) base: Option<Word>,
}

/// The `env` names of a stage chain, newest first, shared with the stages
/// it is built on: a stage on a stage costs one pointer, not a copy of
/// every name its chain set (a chain of n stages stays O(n) in memory).
#[derive(Debug, Clone, Default)]
pub(super) struct EnvNames(Option<std::rc::Rc<EnvName>>);

#[derive(Debug)]
struct EnvName {
    name: String,
    older: EnvNames,
}

impl EnvNames {
    pub(super) fn push(&mut self, name: String) {
        let older = EnvNames(self.0.take());
        self.0 = Some(std::rc::Rc::new(EnvName { name, older }));
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        std::iter::successors(self.0.as_deref(), |n| n.older.0.as_deref()).map(|n| n.name.as_str())
    }
}

impl Drop for EnvNames {
    /// Unlinks a long list node by node (a recursive drop of a chain of
    /// thousands of stages would use as many stack frames).
    fn drop(&mut self) {
        let mut next = self.0.take();
        while let Some(node) = next {
            next = match std::rc::Rc::try_unwrap(node) {
                Ok(mut n) => n.older.0.take(),
                Err(_) => None,
            };
        }
    }
}
