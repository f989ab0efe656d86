//! The image config a stage's steps build up: the one fold of `env`,
//! `user`, `workdir`, `entrypoint`, `cmd`, `expose`, `label`, `volume`,
//! `healthcheck`, `stopsignal` and `shell` into what the image ends up
//! with, as BuildKit's Dockerfile frontend folds the matching instructions.
//!
//! It is generic over the value a word becomes: the LLB backend folds
//! resolved strings (starting from the base image's config), `msbc diff`
//! folds words as written, the checks in `lower` fold the AST's values
//! (which know where they are written).

use super::{Build, Healthcheck, Port, Protocol, StageId, Word};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A step that only sets the image config: the one list of the config-only
/// step kinds (`ir::StepKind::Config`). Each kind answers here for what it
/// carries ([`ConfigStep::words`]) and stores ([`ConfigStep::image_values`]);
/// the backends and the diff match it once.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "step")]
pub enum ConfigStep {
    /// Environment variables, for later steps and the container.
    Env {
        /// `NAME`, value, in order.
        vars: Vec<(String, Word)>,
    },
    /// Image labels.
    Label {
        /// Key, value, in order.
        labels: Vec<(String, Word)>,
    },
    /// The user (`name`, `uid`, `uid:gid`) of later steps and the container.
    User {
        /// The user.
        user: Word,
    },
    /// Ports the container listens on (metadata).
    Expose {
        /// The ports.
        ports: Vec<Port>,
    },
    /// The container's entrypoint, exec form.
    Entrypoint {
        /// The program and its arguments.
        args: Vec<String>,
    },
    /// The container's default command, exec form.
    Cmd {
        /// The command and its arguments.
        args: Vec<String>,
    },
    /// `None` disables a healthcheck inherited from the base image.
    Healthcheck {
        /// The check; `None`: disabled.
        check: Option<Healthcheck>,
    },
    /// Paths the container mounts as anonymous volumes.
    Volume {
        /// The paths.
        paths: Vec<Word>,
    },
    /// The signal that stops the container (`SIGTERM`).
    StopSignal {
        /// The signal, as written.
        signal: String,
    },
    /// The shell later `run` scripts run in (and the image's `SHELL`).
    Shell {
        /// The shell and its flags (`/bin/bash -c`).
        args: Vec<String>,
    },
}

impl ConfigStep {
    /// The words (strings msbc interpolates) the step carries, in order.
    pub fn words(&self) -> Vec<&Word> {
        match self {
            ConfigStep::Env { vars } => vars.iter().map(|(_, w)| w).collect(),
            ConfigStep::Label { labels } => labels.iter().map(|(_, w)| w).collect(),
            ConfigStep::User { user } => vec![user],
            ConfigStep::Volume { paths } => paths.iter().collect(),
            ConfigStep::Expose { .. }
            | ConfigStep::Entrypoint { .. }
            | ConfigStep::Cmd { .. }
            | ConfigStep::Healthcheck { .. }
            | ConfigStep::StopSignal { .. }
            | ConfigStep::Shell { .. } => vec![],
        }
    }

    /// The values the step stores in the image config.
    pub fn image_values(&self) -> Vec<ImageValue<'_>> {
        match self {
            ConfigStep::Env { vars } => vars
                .iter()
                .map(|(k, w)| ImageValue::Env(k.as_str(), w))
                .collect(),
            ConfigStep::Label { labels } => labels
                .iter()
                .map(|(k, w)| ImageValue::Label(k.as_str(), w))
                .collect(),
            ConfigStep::User { user } => vec![ImageValue::User(user)],
            ConfigStep::Volume { paths } => paths.iter().map(ImageValue::Volume).collect(),
            ConfigStep::Expose { ports } => ports.iter().map(ImageValue::Expose).collect(),
            ConfigStep::Entrypoint { args } => vec![ImageValue::Entrypoint(args)],
            ConfigStep::Cmd { args } => vec![ImageValue::Cmd(args)],
            ConfigStep::Healthcheck { check } => vec![ImageValue::Healthcheck(check.as_ref())],
            ConfigStep::StopSignal { signal } => vec![ImageValue::StopSignal(signal)],
            ConfigStep::Shell { args } => vec![ImageValue::Shell(args)],
        }
    }

    /// Whether the step is in BuildKit's cache chain: what later runs see
    /// (env, user, shell) is; image metadata alone is not.
    pub fn in_cache_chain(&self) -> bool {
        match self {
            ConfigStep::Env { .. } | ConfigStep::User { .. } | ConfigStep::Shell { .. } => true,
            ConfigStep::Label { .. }
            | ConfigStep::Expose { .. }
            | ConfigStep::Entrypoint { .. }
            | ConfigStep::Cmd { .. }
            | ConfigStep::Healthcheck { .. }
            | ConfigStep::Volume { .. }
            | ConfigStep::StopSignal { .. } => false,
        }
    }

    /// Steps of which only the last in a stage takes effect
    /// (`entrypoint`, `cmd`, `healthcheck`), each with its own slot.
    pub fn last_wins(&self) -> Option<usize> {
        match self {
            ConfigStep::Entrypoint { .. } => Some(0),
            ConfigStep::Cmd { .. } => Some(1),
            ConfigStep::Healthcheck { .. } => Some(2),
            ConfigStep::Env { .. }
            | ConfigStep::Label { .. }
            | ConfigStep::User { .. }
            | ConfigStep::Expose { .. }
            | ConfigStep::Volume { .. }
            | ConfigStep::StopSignal { .. }
            | ConfigStep::Shell { .. } => None,
        }
    }
}

/// A value a step stores in the image: its config (env, labels, user,
/// workdir, volumes, ports, entrypoint, cmd, healthcheck, stop signal,
/// shell), readable by anyone who pulls it. `V` is what a word is: as
/// written ([`ConfigStep::image_values`]), or what a fold made of it
/// ([`ImageValue::map`], [`ImageConfig::apply`]).
#[derive(Debug, Clone, Copy)]
pub enum ImageValue<'a, V = &'a Word> {
    /// `ENV key=value`.
    Env(&'a str, V),
    /// `LABEL key=value`.
    Label(&'a str, V),
    /// `USER`.
    User(V),
    /// `WORKDIR`.
    Workdir(V),
    /// A `VOLUME` path.
    Volume(V),
    /// An `EXPOSE`d port.
    Expose(&'a Port),
    /// `ENTRYPOINT`, exec form.
    Entrypoint(&'a [String]),
    /// `CMD`, exec form.
    Cmd(&'a [String]),
    /// `None` disables an inherited healthcheck.
    Healthcheck(Option<&'a Healthcheck>),
    /// `STOPSIGNAL`.
    StopSignal(&'a str),
    /// `SHELL`.
    Shell(&'a [String]),
}

/// What the steps of a stage (and of the stages it is built on) set in
/// its image config.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig<V> {
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
    pub healthcheck: Option<Option<Healthcheck>>,
    /// Each path once, in the order first set.
    pub volumes: Vec<V>,
    /// `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `SHELL`.
    pub shell: Option<Vec<String>>,
    /// A `cmd` was set in the stage being folded (an `entrypoint` keeps it).
    cmd_set: bool,
}

impl<V> Default for ImageConfig<V> {
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

impl<V: Clone + PartialEq> ImageConfig<V> {
    /// Starts folding the steps of another stage (one built on the stages
    /// folded so far, or the first one).
    pub fn next_stage(&mut self) {
        self.cmd_set = false;
    }

    /// Applies one value a step stores. `workdir` makes the new working
    /// directory from the current one and the path the step gives.
    pub fn apply(&mut self, value: ImageValue<'_, V>, workdir: impl FnOnce(Option<&V>, V) -> V) {
        match value {
            ImageValue::Env(key, v) => self.set_env(key, v),
            ImageValue::Label(key, v) => {
                self.labels.insert(key.to_string(), v);
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
                self.entrypoint = Some(args.to_vec());
                // As in a Dockerfile: an ENTRYPOINT drops the CMD it
                // inherited, but not one set in the same stage.
                if !self.cmd_set {
                    self.cmd = None;
                }
            }
            ImageValue::Cmd(args) => {
                self.cmd = Some(args.to_vec());
                self.cmd_set = true;
            }
            ImageValue::Healthcheck(check) => self.healthcheck = Some(check.cloned()),
            ImageValue::StopSignal(s) => self.stop_signal = Some(s.to_string()),
            ImageValue::Shell(args) => self.shell = Some(args.to_vec()),
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

impl<'a, W> ImageValue<'a, W> {
    /// The same value with its word made something else by `f`.
    pub fn map<V>(self, f: impl FnOnce(W) -> V) -> ImageValue<'a, V> {
        match self.try_map(|w| Ok::<V, std::convert::Infallible>(f(w))) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// The same value with a word that may fail to be made (the LLB
    /// backend's resolver).
    pub fn try_map<V, E>(self, f: impl FnOnce(W) -> Result<V, E>) -> Result<ImageValue<'a, V>, E> {
        Ok(match self {
            ImageValue::Env(k, w) => ImageValue::Env(k, f(w)?),
            ImageValue::Label(k, w) => ImageValue::Label(k, f(w)?),
            ImageValue::User(w) => ImageValue::User(f(w)?),
            ImageValue::Workdir(w) => ImageValue::Workdir(f(w)?),
            ImageValue::Volume(w) => ImageValue::Volume(f(w)?),
            ImageValue::Expose(p) => ImageValue::Expose(p),
            ImageValue::Entrypoint(a) => ImageValue::Entrypoint(a),
            ImageValue::Cmd(a) => ImageValue::Cmd(a),
            ImageValue::Healthcheck(h) => ImageValue::Healthcheck(h),
            ImageValue::StopSignal(s) => ImageValue::StopSignal(s),
            ImageValue::Shell(a) => ImageValue::Shell(a),
        })
    }
}

/// The keys Docker stores for an exposed port: `8080/tcp`, every port of
/// a range.
pub fn port_keys(p: &Port) -> impl Iterator<Item = String> + '_ {
    let protocol = match p.protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    };
    (p.number..=p.end.unwrap_or(p.number).max(p.number)).map(move |n| format!("{n}/{protocol}"))
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

    fn fold(values: Vec<ImageValue<'_, String>>) -> ImageConfig<String> {
        let mut c = ImageConfig::default();
        for v in values {
            c.apply(v, |_, new| new);
        }
        c
    }

    #[test]
    fn env_replaces_in_place() {
        let c = fold(vec![
            ImageValue::Env("PATH", "/a".into()),
            ImageValue::Env("A", "1".into()),
            ImageValue::Env("PATH", "/x".into()),
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
