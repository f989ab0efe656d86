//! A stage's state while its steps are lowered (what the Dockerfile
//! frontend keeps: result, run env, working directory, user, platform,
//! image config), and the numbering of its ops.

use super::super::config::ImageConfig;
use super::super::paths;
use super::super::platform::Platform;
use super::graph::Output;

/// A stage's state after some of its steps.
#[derive(Debug, Clone)]
pub(super) struct State {
    /// The filesystem; `None` is scratch.
    pub(super) output: Option<Output>,
    /// The environment of runs, in BuildKit's order: a key set again
    /// moves to the end.
    pub(super) env: Vec<(String, String)>,
    pub(super) dir: String,
    pub(super) user: String,
    pub(super) platform: Platform,
    pub(super) config: ImageConfig,
}

impl State {
    /// A stage's start, as the frontend makes it from the base image's
    /// config: the run env is the config's env in order, the working
    /// directory and user those of the config.
    pub(super) fn new(output: Option<Output>, platform: Platform, config: ImageConfig) -> State {
        let dir = match &config.fold.workdir {
            Some(d) => paths::clean(&paths::normalize("/", d, false)),
            None => "/".to_string(),
        };
        State {
            output,
            env: config.fold.env.clone(),
            dir,
            user: config.fold.user.clone().unwrap_or_default(),
            platform,
            config,
        }
    }

    pub(super) fn set_env(&mut self, key: &str, value: String) {
        // A key is in the env at most once.
        if let Some(i) = self.env.iter().position(|(k, _)| k == key) {
            self.env.remove(i);
        }
        self.env.push((key.to_string(), value));
    }

    /// The image config's env moved after the other variables, in the
    /// config's order and with its values: what `set_env` for each of
    /// them does, in one pass (a chain of n stages stays O(n) per stage).
    pub(super) fn config_env_last(&mut self) {
        // Most often (no args in scope, no key set twice) the run env is
        // the config's env already.
        if self.env == self.config.fold.env {
            return;
        }
        let keys: std::collections::HashSet<&str> = self
            .config
            .fold
            .env
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        self.env.retain(|(k, _)| !keys.contains(k.as_str()));
        self.env.extend(self.config.fold.env.iter().cloned());
    }

    pub(super) fn get_env(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Numbers the ops of one stage as the frontend does: `[build 2/4] RUN ...`.
pub(super) struct StageCounter {
    pub(super) name: String,
    pub(super) total: usize,
    pub(super) index: usize,
}

impl StageCounter {
    pub(super) fn next(&mut self, text: &str) -> String {
        self.index += 1;
        self.current(text)
    }

    /// The name for another op of the step just numbered.
    pub(super) fn current(&self, text: &str) -> String {
        let width = self.total.to_string().len();
        format!(
            "[{} {:>width$}/{}] {text}",
            self.name, self.index, self.total
        )
    }
}
