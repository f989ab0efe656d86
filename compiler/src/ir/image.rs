//! The image config a stage's steps build up: the one fold of `env`,
//! `user`, `workdir`, `entrypoint`, `cmd`, `expose`, `label`, `volume`,
//! `healthcheck`, `stopsignal` and `shell` into what the image ends up
//! with, as BuildKit's Dockerfile frontend folds the matching instructions.
//!
//! It is generic over the value a word becomes and over the form of the
//! steps folded: the LLB backend folds resolved strings (starting from the
//! base image's config), `msbc diff` folds words as written, the checks
//! fold the AST's values (form `ast::Written`: they know where they are
//! written). The config-only steps themselves are one list in
//! [`domain::config_step`], which the IR fills in as [`Lowered`].

use super::{Build, Healthcheck, StageId, Word};
use crate::domain::{self, Form, port_keys};
use std::collections::{BTreeMap, BTreeSet};

/// The IR's form of a config-only step ([`domain::ConfigStep`]): values
/// lowered (words with their sources, plain strings, durations as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lowered;

impl Form for Lowered {
    type Name = String;
    type Text = String;
    type Word = Word;
    type Healthcheck = Healthcheck;
}

/// A step that only sets the image config, lowered (`ir::StepKind::Config`).
pub type ConfigStep = domain::ConfigStep<Lowered>;

/// A value a lowered step stores in the image config; `V` is what a word
/// is (as lowered, or what a fold made of it).
pub type ImageValue<'a, V = &'a Word> = domain::ImageValue<'a, Lowered, V>;

/// What the steps of a stage (and of the stages it is built on) set in
/// its image config. `F` is the form of the steps folded: the IR's, or the
/// AST's for checks that point at where a value is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig<V, F: Form = Lowered> {
    /// `KEY`, value in order; a key set again keeps its place (as the
    /// frontend does for the config, unlike the run env).
    pub env: Vec<(String, V)>,
    /// The user, as the last `user` step set it.
    pub user: Option<V>,
    /// The working directory, as the `workdir` function of [`apply`] made
    /// it (relative paths are under the one before).
    ///
    /// [`apply`]: ImageConfig::apply
    pub workdir: Option<V>,
    /// `ENTRYPOINT`, exec form.
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`, exec form (dropped by a later `entrypoint` of another stage).
    pub cmd: Option<Vec<String>>,
    /// `8080/tcp`; a range is every port in it, as Docker stores it.
    pub ports: BTreeSet<String>,
    /// Labels, by key.
    pub labels: BTreeMap<String, V>,
    /// `None`: not set (the base image's stays); `Some(None)`: disabled.
    pub healthcheck: Option<Option<F::Healthcheck>>,
    /// Each path once, in the order first set.
    pub volumes: Vec<V>,
    /// `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `SHELL`.
    pub shell: Option<Vec<String>>,
    /// A `cmd` was set in the stage being folded (an `entrypoint` keeps it).
    cmd_set: bool,
}

impl<V, F: Form> Default for ImageConfig<V, F> {
    fn default() -> Self {
        ImageConfig {
            env: Vec::new(),
            user: None,
            workdir: None,
            entrypoint: None,
            cmd: None,
            ports: BTreeSet::new(),
            labels: BTreeMap::new(),
            healthcheck: None,
            volumes: Vec::new(),
            stop_signal: None,
            shell: None,
            cmd_set: false,
        }
    }
}

impl<V: Clone + PartialEq, F: Form<Healthcheck: Clone>> ImageConfig<V, F> {
    /// Starts folding the steps of another stage (one built on the stages
    /// folded so far, or the first one).
    pub fn next_stage(&mut self) {
        self.cmd_set = false;
    }

    /// Applies one value a step stores. `workdir` makes the new working
    /// directory from the current one and the path the step gives.
    pub fn apply(
        &mut self,
        value: domain::ImageValue<'_, F, V>,
        workdir: impl FnOnce(Option<&V>, V) -> V,
    ) {
        use domain::ImageValue;
        let strings = |args: &[F::Text]| args.iter().map(|a| a.as_ref().to_string()).collect();
        match value {
            ImageValue::Env(key, v) => self.set_env(key.as_ref(), v),
            ImageValue::Label(key, v) => {
                self.labels.insert(key.as_ref().to_string(), v);
            }
            ImageValue::User(v) => self.user = Some(v),
            ImageValue::Workdir(v) => self.workdir = Some(workdir(self.workdir.as_ref(), v)),
            ImageValue::Volume(v) => {
                if !self.volumes.contains(&v) {
                    self.volumes.push(v);
                }
            }
            ImageValue::Expose(port) => self.ports.extend(port_keys(port)),
            ImageValue::Entrypoint(args) => {
                self.entrypoint = Some(strings(args));
                // As in a Dockerfile: an ENTRYPOINT drops the CMD it
                // inherited, but not one set in the same stage.
                if !self.cmd_set {
                    self.cmd = None;
                }
            }
            ImageValue::Cmd(args) => {
                self.cmd = Some(strings(args));
                self.cmd_set = true;
            }
            ImageValue::Healthcheck(check) => self.healthcheck = Some(check.cloned()),
            ImageValue::StopSignal(s) => self.stop_signal = Some(s.as_ref().to_string()),
            ImageValue::Shell(args) => self.shell = Some(strings(args)),
        }
    }

    /// `ENV key=value` in the config: a new value replaces the old one in
    /// place.
    pub fn set_env(&mut self, key: &str, value: V) {
        match self.env.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.env.push((key.to_string(), value)),
        }
    }
}

impl Build {
    /// The stages of `id`'s `from=` chain, itself first (cycle-safe).
    pub fn chain(&self, id: StageId) -> Vec<StageId> {
        let mut out = vec![id];
        let mut cur = id;
        while let Some(super::Base::Stage(parent)) = self.stages.get(cur.0).map(|s| &s.base) {
            if out.contains(parent) {
                break;
            }
            out.push(*parent);
            cur = *parent;
        }
        out
    }

    /// What the steps of stage `id` and of the stages it is built on set
    /// in its image config (the base image's config is not known here),
    /// each word made a value by `value`.
    pub fn image_config<V: Clone + PartialEq>(
        &self,
        id: StageId,
        mut value: impl FnMut(&Word) -> V,
        mut workdir: impl FnMut(Option<&V>, V) -> V,
    ) -> ImageConfig<V> {
        let mut config = ImageConfig::default();
        for s in self.chain(id).into_iter().rev() {
            config.next_stage();
            let Some(stage) = self.stages.get(s.0) else {
                continue;
            };
            for step in &stage.steps {
                for v in step.kind.image_values() {
                    config.apply(v.map(&mut value), &mut workdir);
                }
            }
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Port, Protocol};

    fn fold(values: Vec<ImageValue<'_, String>>) -> ImageConfig<String> {
        let mut c = ImageConfig::default();
        for v in values {
            c.apply(v, |_, new| new);
        }
        c
    }

    #[test]
    fn env_replaces_in_place() {
        let (path, a) = ("PATH".to_string(), "A".to_string());
        let c = fold(vec![
            ImageValue::Env(&path, "/a".into()),
            ImageValue::Env(&a, "1".into()),
            ImageValue::Env(&path, "/x".into()),
        ]);
        assert_eq!(
            c.env,
            vec![
                ("PATH".to_string(), "/x".to_string()),
                ("A".to_string(), "1".to_string())
            ]
        );
    }

    #[test]
    fn port_ranges_expand() {
        let ports = [
            Port {
                number: 8000,
                end: Some(8002),
                protocol: Protocol::Tcp,
            },
            Port {
                number: 53,
                end: None,
                protocol: Protocol::Udp,
            },
        ];
        let c = fold(ports.iter().map(ImageValue::Expose).collect());
        let keys: Vec<&str> = c.ports.iter().map(String::as_str).collect();
        assert_eq!(keys, ["53/udp", "8000/tcp", "8001/tcp", "8002/tcp"]);
    }

    #[test]
    fn an_entrypoint_drops_only_an_inherited_cmd() {
        let (serve, app) = (["serve".to_string()], ["/app".to_string()]);
        let mut c = fold(vec![ImageValue::Cmd(&serve), ImageValue::Entrypoint(&app)]);
        assert_eq!(c.cmd.as_deref(), Some(&serve[..]), "set in the same stage");
        c.next_stage();
        c.apply(ImageValue::Entrypoint(&app), |_, new| new);
        assert_eq!(c.cmd, None, "inherited");
    }

    #[test]
    fn volumes_are_kept_once() {
        let c = fold(vec![
            ImageValue::Volume("/b".into()),
            ImageValue::Volume("/a".into()),
            ImageValue::Volume("/b".into()),
        ]);
        assert_eq!(c.volumes, ["/b", "/a"]);
    }
}
