//! The config-only steps (`env`, `label`, `user`, `expose`, `entrypoint`,
//! `cmd`, `healthcheck`, `volume`, `stopsignal`, `shell`): the one list of
//! them, shared by the AST (values as written, with their places in the
//! file) and the IR (values lowered). A [`Form`] names what each part is
//! in one of the two; [`ConfigStep::map`] turns one form into the other
//! through a [`Convert`], so the lowering has no arm per kind.
//!
//! Each kind answers here for what it carries ([`ConfigStep::words`]),
//! stores in the image config ([`ConfigStep::image_values`]), and how it
//! builds ([`ConfigStep::in_cache_chain`], [`ConfigStep::last_wins`]).

use schemars::JsonSchema;
use serde::Serialize;

/// What the parts of a config-only step are in one form: the AST's (as
/// written, located) or the IR's (lowered).
pub trait Form {
    /// An `env` name.
    type Name: AsRef<str>;
    /// A string taken as it is (a `label` key, an exec-form argument, a
    /// signal).
    type Text: AsRef<str>;
    /// A value msbc interpolates (`${NAME}`).
    type Word;
    /// A `healthcheck`'s check.
    type Healthcheck;
}

/// How each part of a step in form `A` becomes the part in form `B`
/// ([`ConfigStep::map`]).
pub trait Convert<A: Form, B: Form> {
    /// An `env` name; made after its value, so a converter that brings
    /// names into scope here lets each value see only the names before it.
    fn name(&mut self, name: &A::Name) -> B::Name;
    /// An interpolated value.
    fn word(&mut self, word: &A::Word) -> B::Word;
    /// A plain string.
    fn text(&mut self, text: &A::Text) -> B::Text;
    /// A `healthcheck`'s check.
    fn healthcheck(&mut self, check: &A::Healthcheck) -> B::Healthcheck;
}

/// A step that only sets the image config: the one list of the config-only
/// step kinds (`ir::StepKind::Config`). Each kind answers here for what it
/// carries ([`ConfigStep::words`]) and stores ([`ConfigStep::image_values`]);
/// the backends and the diff match it once.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(
    rename = "ConfigStep",
    deny_unknown_fields,
    bound = "F::Name: JsonSchema, F::Text: JsonSchema, F::Word: JsonSchema, F::Healthcheck: JsonSchema"
)]
#[serde(
    rename_all = "lowercase",
    tag = "step",
    bound(
        serialize = "F::Name: Serialize, F::Text: Serialize, F::Word: Serialize, F::Healthcheck: Serialize"
    )
)]
pub enum ConfigStep<F: Form> {
    /// Environment variables, for later steps and the container.
    Env {
        /// `NAME`, value, in order.
        vars: Vec<(F::Name, F::Word)>,
    },
    /// Image labels.
    Label {
        /// Key, value, in order.
        labels: Vec<(F::Text, F::Word)>,
    },
    /// The user (`name`, `uid`, `uid:gid`) of later steps and the container.
    User {
        /// The user.
        user: F::Word,
    },
    /// Ports the container listens on (metadata).
    Expose {
        /// The ports.
        ports: Vec<Port>,
    },
    /// The container's entrypoint, exec form.
    Entrypoint {
        /// The program and its arguments.
        args: Vec<F::Text>,
    },
    /// The container's default command, exec form.
    Cmd {
        /// The command and its arguments.
        args: Vec<F::Text>,
    },
    /// `None` disables a healthcheck inherited from the base image.
    Healthcheck {
        /// The check; `None`: disabled.
        check: Option<F::Healthcheck>,
    },
    /// Paths the container mounts as anonymous volumes.
    Volume {
        /// The paths.
        paths: Vec<F::Word>,
    },
    /// The signal that stops the container (`SIGTERM`).
    StopSignal {
        /// The signal, as written.
        signal: F::Text,
    },
    /// The shell later `run` scripts run in (and the image's `SHELL`).
    Shell {
        /// The shell and its flags (`/bin/bash -c`).
        args: Vec<F::Text>,
    },
}

impl<F: Form> ConfigStep<F> {
    /// The same step in form `B`, each part made by `c`, left to right.
    pub fn map<B: Form>(&self, c: &mut impl Convert<F, B>) -> ConfigStep<B> {
        match self {
            ConfigStep::Entrypoint { args } => ConfigStep::Entrypoint {
                args: texts(c, args),
            },
            ConfigStep::Cmd { args } => ConfigStep::Cmd {
                args: texts(c, args),
            },
            ConfigStep::Shell { args } => ConfigStep::Shell {
                args: texts(c, args),
            },
            ConfigStep::Env { vars } => ConfigStep::Env {
                vars: vars
                    .iter()
                    .map(|(k, v)| {
                        let v = c.word(v);
                        (c.name(k), v)
                    })
                    .collect(),
            },
            ConfigStep::Label { labels } => ConfigStep::Label {
                labels: labels.iter().map(|(k, v)| (c.text(k), c.word(v))).collect(),
            },
            ConfigStep::User { user } => ConfigStep::User { user: c.word(user) },
            ConfigStep::Expose { ports } => ConfigStep::Expose {
                ports: ports.clone(),
            },
            ConfigStep::Healthcheck { check } => ConfigStep::Healthcheck {
                check: check.as_ref().map(|h| c.healthcheck(h)),
            },
            ConfigStep::Volume { paths } => ConfigStep::Volume {
                paths: paths.iter().map(|p| c.word(p)).collect(),
            },
            ConfigStep::StopSignal { signal } => ConfigStep::StopSignal {
                signal: c.text(signal),
            },
        }
    }

    /// The words (strings msbc interpolates) the step carries, in order.
    pub fn words(&self) -> Vec<&F::Word> {
        self.image_values()
            .into_iter()
            .filter_map(ImageValue::word)
            .collect()
    }

    /// The values the step stores in the image config.
    pub fn image_values(&self) -> Vec<ImageValue<'_, F>> {
        match self {
            ConfigStep::Env { vars } => vars.iter().map(|(k, w)| ImageValue::Env(k, w)).collect(),
            ConfigStep::Label { labels } => labels
                .iter()
                .map(|(k, w)| ImageValue::Label(k, w))
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

fn texts<A: Form, B: Form>(c: &mut impl Convert<A, B>, args: &[A::Text]) -> Vec<B::Text> {
    args.iter().map(|a| c.text(a)).collect()
}

/// A value a step stores in the image: its config (env, labels, user,
/// workdir, volumes, ports, entrypoint, cmd, healthcheck, stop signal,
/// shell), readable by anyone who pulls it. `F` is the form of the step
/// it comes from; `V` is what a word is: as written
/// ([`ConfigStep::image_values`]), or what a fold made of it
/// ([`ImageValue::map`]).
#[derive(Debug, Clone, Copy)]
pub enum ImageValue<'a, F: Form, V = &'a <F as Form>::Word> {
    /// `ENV key=value`.
    Env(&'a F::Name, V),
    /// `LABEL key=value`.
    Label(&'a F::Text, V),
    /// `USER`.
    User(V),
    /// `WORKDIR`.
    Workdir(V),
    /// A `VOLUME` path.
    Volume(V),
    /// An `EXPOSE`d port.
    Expose(&'a Port),
    /// `ENTRYPOINT`, exec form.
    Entrypoint(&'a [F::Text]),
    /// `CMD`, exec form.
    Cmd(&'a [F::Text]),
    /// `None` disables an inherited healthcheck.
    Healthcheck(Option<&'a F::Healthcheck>),
    /// `STOPSIGNAL`.
    StopSignal(&'a F::Text),
    /// `SHELL`.
    Shell(&'a [F::Text]),
}

impl<'a, F: Form, W> ImageValue<'a, F, W> {
    /// The word the value carries (env, label, user, workdir, volume).
    pub fn word(self) -> Option<W> {
        match self {
            ImageValue::Env(_, w)
            | ImageValue::Label(_, w)
            | ImageValue::User(w)
            | ImageValue::Workdir(w)
            | ImageValue::Volume(w) => Some(w),
            ImageValue::Expose(_)
            | ImageValue::Entrypoint(_)
            | ImageValue::Cmd(_)
            | ImageValue::Healthcheck(_)
            | ImageValue::StopSignal(_)
            | ImageValue::Shell(_) => None,
        }
    }

    /// The same value with its word made something else by `f`.
    pub fn map<V>(self, f: impl FnOnce(W) -> V) -> ImageValue<'a, F, V> {
        match self.try_map(|w| Ok::<V, std::convert::Infallible>(f(w))) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// The same value with a word that may fail to be made (the LLB
    /// backend's resolver).
    pub fn try_map<V, E>(
        self,
        f: impl FnOnce(W) -> Result<V, E>,
    ) -> Result<ImageValue<'a, F, V>, E> {
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

/// A port to expose, with an optional range end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Port {
    /// The port, or the first of a range.
    pub number: u16,
    /// The last port of a range such as `8000-8010`.
    pub end: Option<u16>,
    /// TCP, UDP or SCTP.
    pub protocol: Protocol,
}

/// The transport protocol of an exposed port (`8080/udp`; TCP by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// The values say what they are; a doc comment on each would turn the
// JSON Schema's `enum` of strings into a `oneOf`.
#[allow(missing_docs)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A form of plain strings, and a converter that records what it is
    /// asked, in order.
    #[derive(Debug, Clone, Copy)]
    struct Plain;

    impl Form for Plain {
        type Name = String;
        type Text = String;
        type Word = String;
        type Healthcheck = Vec<String>;
    }

    #[derive(Default)]
    struct Record(Vec<String>);

    impl Convert<Plain, Plain> for Record {
        fn name(&mut self, name: &String) -> String {
            self.0.push(format!("name {name}"));
            name.to_uppercase()
        }
        fn word(&mut self, word: &String) -> String {
            self.0.push(format!("word {word}"));
            format!("<{word}>")
        }
        fn text(&mut self, text: &String) -> String {
            self.0.push(format!("text {text}"));
            text.clone()
        }
        fn healthcheck(&mut self, check: &Vec<String>) -> Vec<String> {
            self.0.push("healthcheck".to_string());
            check.clone()
        }
    }

    #[test]
    fn map_makes_each_env_value_before_its_name() {
        let step: ConfigStep<Plain> = ConfigStep::Env {
            vars: vec![("a".into(), "1".into()), ("b".into(), "${a}".into())],
        };
        let mut record = Record::default();
        let ConfigStep::Env { vars } = step.map(&mut record) else {
            panic!("not env")
        };
        assert_eq!(record.0, ["word 1", "name a", "word ${a}", "name b"]);
        assert_eq!(
            vars,
            [
                ("A".to_string(), "<1>".to_string()),
                ("B".to_string(), "<${a}>".to_string())
            ]
        );
    }

    #[test]
    fn words_are_the_words_a_step_stores() {
        let labels: ConfigStep<Plain> = ConfigStep::Label {
            labels: vec![("k".into(), "v".into()), ("l".into(), "w".into())],
        };
        assert_eq!(labels.words(), ["v", "w"]);
        let cmd: ConfigStep<Plain> = ConfigStep::Cmd {
            args: vec!["/app".into()],
        };
        assert!(
            cmd.words().is_empty(),
            "exec-form args are not interpolated"
        );
        let mut record = Record::default();
        let ConfigStep::Cmd { args } = cmd.map(&mut record) else {
            panic!("not cmd")
        };
        assert_eq!(
            (args, record.0),
            (vec!["/app".to_string()], vec!["text /app".to_string()])
        );
    }
}
