//! IR → LLB ops: one pass over the stages the target needs, keeping for
//! each stage the state the Dockerfile frontend keeps (its result, env,
//! working directory, user, platform and image config), and turning steps
//! into ops the way the frontend turns the equivalent instructions.

use super::base::Pull;
use super::config::ImageConfig;
use super::paths;
use super::pb::{self, op::Kind};
use super::platform::{Platform, PlatformArgs};
use super::reference;
use super::{Error, Options};
use crate::ir::{
    self, Base, Build, CopyFrom, DEFAULT_SHELL, Mount, MountFrom, Network, Sharing, Stage, StageId,
    StepKind, VarSource, Word,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};

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

/// What lowering produces.
pub struct Lowered {
    pub definition: pb::Definition,
    /// The image config of the target, as JSON.
    pub image_config: String,
    /// Paths of the build context that the build reads (`/` for all).
    context_paths: BTreeSet<String>,
    /// The base images whose configs the build starts from.
    pub pulls: Vec<Pull>,
}

/// Lowers the stages `build.target` needs.
pub fn lower(build: &Build, options: &Options) -> Result<Lowered, Error> {
    let first = Lowering::new(build, options, None)?.finish()?;
    // The context source lists the paths the build reads (as the frontend's
    // `local.followpaths`), which are known only once every step is
    // resolved: when there are such paths, lower again with them.
    match follow_paths(&first.context_paths) {
        None => Ok(first),
        Some(follow) => Lowering::new(build, options, Some(follow))?.finish(),
    }
}

/// The frontend's `normalizeContextPaths`: relative, sorted; none when the
/// whole context is used.
fn follow_paths(paths: &BTreeSet<String>) -> Option<Vec<String>> {
    if paths.is_empty() || paths.contains("/") {
        return None;
    }
    Some(
        paths
            .iter()
            .map(|p| p.trim_start_matches('/').to_string())
            .collect(),
    )
}

/// An op's output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Output {
    digest: String,
    index: i64,
}

impl Output {
    fn input(&self) -> pb::Input {
        pb::Input {
            digest: self.digest.clone(),
            index: self.index,
        }
    }
}

/// A stage's state after some of its steps.
#[derive(Debug, Clone)]
struct State {
    /// The filesystem; `None` is scratch.
    output: Option<Output>,
    /// The environment of runs, in BuildKit's order: a key set again
    /// moves to the end.
    env: Vec<(String, String)>,
    dir: String,
    user: String,
    platform: Platform,
    config: ImageConfig,
}

impl State {
    /// A stage's start, as the frontend makes it from the base image's
    /// config: the run env is the config's env in order, the working
    /// directory and user those of the config.
    fn new(output: Option<Output>, platform: Platform, config: ImageConfig) -> State {
        let dir = match &config.working_dir {
            Some(d) => paths::clean(&paths::normalize("/", d, false)),
            None => "/".to_string(),
        };
        State {
            output,
            env: config.env.clone(),
            dir,
            user: config.user.clone().unwrap_or_default(),
            platform,
            config,
        }
    }

    fn set_env(&mut self, key: &str, value: String) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value));
    }

    /// The image config's env moved after the other variables, in the
    /// config's order and with its values: what `set_env` for each of
    /// them does, in one pass (a chain of n stages stays O(n) per stage).
    fn config_env_last(&mut self) {
        let keys: std::collections::HashSet<&str> =
            self.config.env.iter().map(|(k, _)| k.as_str()).collect();
        self.env.retain(|(k, _)| !keys.contains(k.as_str()));
        self.env.extend(self.config.env.iter().cloned());
    }

    fn get_env(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Numbers the ops of one stage as the frontend does: `[build 2/4] RUN ...`.
struct StageCounter {
    name: String,
    total: usize,
    index: usize,
    /// A `cmd` was set in this stage (an `entrypoint` keeps it).
    cmd_set: bool,
}

impl StageCounter {
    fn next(&mut self, text: &str) -> String {
        self.index += 1;
        self.current(text)
    }

    /// The name for another op of the step just numbered.
    fn current(&self, text: &str) -> String {
        let width = self.total.to_string().len();
        format!(
            "[{} {:>width$}/{}] {text}",
            self.name, self.index, self.total
        )
    }
}

/// The ops so far: each marshaled once, in order, with its metadata.
#[derive(Default)]
struct Graph {
    def: Vec<Vec<u8>>,
    seen: HashSet<String>,
    metadata: BTreeMap<String, pb::OpMetadata>,
}

impl Graph {
    /// Adds `op` unless an equal op is there; returns its digest. The first
    /// description of an op shared by several steps is kept.
    fn add(&mut self, op: &pb::Op, description: BTreeMap<String, String>) -> String {
        let bytes = op.to_bytes();
        let d = digest(&bytes);
        if self.seen.insert(d.clone()) {
            self.def.push(bytes);
            let caps = caps(op);
            if !description.is_empty() || !caps.is_empty() {
                self.metadata.insert(
                    d.clone(),
                    pb::OpMetadata {
                        ignore_cache: false,
                        description,
                        caps,
                    },
                );
            }
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

struct Lowering<'a> {
    build: &'a Build,
    options: &'a Options,
    platforms: PlatformArgs,
    graph: Graph,
    states: Vec<Option<State>>,
    context: Option<Output>,
    follow_paths: Option<Vec<String>>,
    context_paths: BTreeSet<String>,
    /// The base images whose configs the stages start from, in order.
    pulls: Vec<Pull>,
}

fn op(inputs: Vec<pb::Input>, kind: Kind, platform: Option<&Platform>) -> pb::Op {
    pb::Op {
        inputs,
        kind: Some(kind),
        platform: platform.map(Platform::to_pb),
        constraints: Some(pb::WorkerConstraints::default()),
    }
}

/// The index of `output` in `inputs`, added if new.
fn input_index(inputs: &mut Vec<pb::Input>, output: &Output) -> i64 {
    let input = output.input();
    match inputs.iter().position(|i| *i == input) {
        Some(i) => i as i64,
        None => {
            inputs.push(input);
            inputs.len() as i64 - 1
        }
    }
}

impl<'a> Lowering<'a> {
    fn new(
        build: &'a Build,
        options: &'a Options,
        follow_paths: Option<Vec<String>>,
    ) -> Result<Lowering<'a>, Error> {
        let target = match &options.platform {
            Some(p) => Platform::parse(p).map_err(Error::new)?,
            None => Platform::parse(super::platform::DEFAULT).map_err(Error::new)?,
        };
        let build_platform = Platform::parse(super::platform::DEFAULT).map_err(Error::new)?;
        Ok(Lowering {
            build,
            options,
            platforms: PlatformArgs {
                build: build_platform,
                target,
            },
            graph: Graph::default(),
            states: vec![None; build.stages.len()],
            context: None,
            follow_paths,
            context_paths: BTreeSet::new(),
            pulls: Vec::new(),
        })
    }

    fn finish(mut self) -> Result<Lowered, Error> {
        let needed = needed_stages(self.build);
        for (i, stage) in self.build.stages.iter().enumerate() {
            if needed[i] {
                let state = self.stage(stage)?;
                self.states[i] = Some(state);
            }
        }
        let mut target = self.state(self.build.target)?.clone();
        if target.output.is_none() {
            // `scratch` with no files: BuildKit refuses an empty definition,
            // so the result is an empty directory (an empty layer).
            let stage = self.build.stage(self.build.target);
            let name = format!("[{}] empty filesystem", stage.name);
            self.mkdir(&mut target, "/", None, name, stage.line);
        }
        if let Some(out) = &target.output {
            // The terminal op: no op, one input, the result.
            let terminal = pb::Op {
                inputs: vec![out.input()],
                ..Default::default()
            };
            self.graph.add(&terminal, BTreeMap::new());
        }
        Ok(Lowered {
            definition: pb::Definition {
                def: self.graph.def,
                metadata: self.graph.metadata,
            },
            image_config: target.config.to_json(&target.platform),
            context_paths: self.context_paths,
            pulls: self.pulls,
        })
    }

    fn state(&self, id: StageId) -> Result<&State, Error> {
        self.states
            .get(id.0)
            .and_then(Option::as_ref)
            .ok_or_else(|| {
                Error::new(format!(
                    "internal error: stage {} used before it is built",
                    id.0
                ))
            })
    }

    fn location(&self, line: usize) -> String {
        format!("{}:{line}", self.options.source_name)
    }

    fn describe(&self, name: String, line: Option<usize>) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        d.insert("llb.customname".to_string(), name);
        if let Some(line) = line {
            d.insert("msbc.source".to_string(), self.location(line));
        }
        d
    }

    fn error(&self, line: usize, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            location: Some(self.location(line)),
        }
    }

    // ---- words ----------------------------------------------------------

    /// The value of a declared arg (after `--arg`), or an error for a
    /// required arg without one.
    fn arg_value(&self, name: &str, line: usize) -> Result<String, Error> {
        if let Some(v) = self.platforms.get(name) {
            if self.build.arg(name).is_none() {
                return Ok(v);
            }
        }
        match self.build.arg(name) {
            Some(ir::ArgDef {
                default: Some(v), ..
            }) => Ok(v.clone()),
            Some(_) => Err(self.error(
                line,
                format!(
                    "arg `{name}` is required (declared without a default) and has no value; LLB resolves args when msbc runs: pass `--arg {name}=VALUE`"
                ),
            )),
            None => Err(self.error(line, format!("internal error: unknown arg `{name}`"))),
        }
    }

    /// Resolves `word` in a stage (`env`: its environment) or, with `None`,
    /// in the global scope of image references and platforms.
    fn resolve(&self, word: &Word, env: Option<&State>, line: usize) -> Result<String, Error> {
        // An unset variable expands to nothing, as in BuildKit.
        let text = word.try_resolve(|name, source| {
            if let Some(v) = env.and_then(|s| s.get_env(name)) {
                return Ok(Some(v.to_string()));
            }
            match source {
                VarSource::Platform => Ok(Some(self.platforms.get(name).unwrap_or_default())),
                VarSource::Arg => self.arg_value(name, line).map(Some),
                VarSource::Env => Ok(Some(String::new())),
            }
        })?;
        Ok(text.unwrap_or_default())
    }

    fn stage_platform(&self, stage: &Stage) -> Result<Platform, Error> {
        match &stage.platform {
            Some(word) => {
                let text = self.resolve(word, None, stage.line)?;
                Platform::parse(&text).map_err(|e| self.error(stage.line, e))
            }
            None => Ok(self.platforms.target.clone()),
        }
    }

    // ---- sources --------------------------------------------------------

    fn normalize(&self, text: &str, line: usize) -> Result<String, Error> {
        reference::normalize(text)
            .map_err(|e| self.error(line, format!("invalid image reference `{text}`: {e}")))
    }

    /// A `docker-image://` source; `name` defaults to `FROM <reference>`.
    fn image(
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

    fn context(&mut self) -> Output {
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

    // ---- stages and steps -----------------------------------------------

    fn stage(&mut self, stage: &Stage) -> Result<State, Error> {
        let counted = stage
            .steps
            .iter()
            .filter(|s| {
                matches!(
                    s.kind,
                    StepKind::Copy(_) | StepKind::Run(_) | StepKind::Workdir { .. }
                )
            })
            .count();
        let mut counter = StageCounter {
            name: stage.name.clone(),
            total: counted + usize::from(matches!(stage.base, Base::Image(_))),
            index: 0,
            cmd_set: false,
        };
        let mut state = match &stage.base {
            // A stage on a stage runs where its parent does, as in BuildKit,
            // whose frontend then sets the image's env again: those keys
            // move after the args in scope.
            Base::Stage(id) => {
                let mut state = self.state(*id)?.clone();
                state.config_env_last();
                state
            }
            Base::Image(word) => {
                let platform = self.stage_platform(stage)?;
                let text = self.resolve(word, None, stage.line)?;
                let normalized = self.normalize(&text, stage.line)?;
                let pull = Pull {
                    reference: normalized.clone(),
                    platform: platform.format(),
                };
                let base = self
                    .options
                    .base_configs
                    .get(&pull.reference, &pull.platform);
                if !self.pulls.contains(&pull) {
                    self.pulls.push(pull);
                }
                match base {
                    Some(base) => {
                        // As the frontend: the source is pinned to the digest
                        // the reference resolved to; an image without layers
                        // is built on as scratch.
                        let source = match &base.digest {
                            Some(d) if !normalized.contains('@') => format!("{normalized}@{d}"),
                            _ => normalized,
                        };
                        let name = counter.next(&format!("FROM {source}"));
                        let out = (base.layers > 0)
                            .then(|| self.image(&source, &platform, Some(name), stage.line));
                        State::new(out, platform, ImageConfig::from_base(base))
                    }
                    None => {
                        let name = counter.next(&format!("FROM {normalized}"));
                        let out = self.image(&normalized, &platform, Some(name), stage.line);
                        State::new(Some(out), platform, ImageConfig::new())
                    }
                }
            }
            Base::Scratch => State::new(None, self.stage_platform(stage)?, ImageConfig::scratch()),
        };
        for step in &stage.steps {
            self.step(&mut state, &mut counter, &step.kind, step.line)?;
        }
        Ok(state)
    }

    fn step(
        &mut self,
        state: &mut State,
        counter: &mut StageCounter,
        kind: &StepKind,
        line: usize,
    ) -> Result<(), Error> {
        match kind {
            StepKind::Args { names } => {
                for name in names {
                    let value = self.arg_value(name, line)?;
                    state.set_env(name, value);
                }
            }
            StepKind::Env { vars } => {
                // Left to right: each value sees the pairs before it (the
                // Dockerfile backend splits its ENV to mean the same).
                for (k, w) in vars {
                    let v = self.resolve(w, Some(state), line)?;
                    state.config.set_env(k, &v);
                    state.set_env(k, v);
                }
            }
            StepKind::Workdir { path } => {
                let text = self.resolve(path, Some(state), line)?;
                let dir = paths::clean(&paths::normalize(&state.dir, &text, false));
                state.dir = dir.clone();
                state.config.working_dir = Some(dir.clone());
                if dir != "/" {
                    let name = counter.next(&format!("WORKDIR {text}"));
                    // As the frontend: an empty USER owns nothing.
                    let owner = state.config.user.clone().filter(|u| !u.is_empty());
                    self.mkdir(state, &dir, owner.as_deref(), name, line);
                }
            }
            StepKind::Copy(copy) => self.copy(state, counter, copy, line)?,
            StepKind::Run(run) => self.run(state, counter, run, line)?,
            StepKind::Label { labels } => {
                for (k, w) in labels {
                    let v = self.resolve(w, Some(state), line)?;
                    state.config.labels.insert(k.clone(), v);
                }
            }
            StepKind::User { user } => {
                let user = self.resolve(user, Some(state), line)?;
                state.user = user.clone();
                state.config.user = Some(user);
            }
            StepKind::Expose { ports } => state.config.expose(ports),
            StepKind::Entrypoint { args } => {
                state.config.entrypoint = Some(args.clone());
                // As in a Dockerfile: an ENTRYPOINT drops the CMD it
                // inherited, but not one set in the same stage.
                if !counter.cmd_set {
                    state.config.cmd = None;
                }
            }
            StepKind::Cmd { args } => {
                state.config.cmd = Some(args.clone());
                counter.cmd_set = true;
            }
            StepKind::Healthcheck { check } => state
                .config
                .set_healthcheck(check.as_ref())
                .map_err(|e| self.error(line, e))?,
            StepKind::Volume { paths } => {
                for w in paths {
                    let v = self.resolve(w, Some(state), line)?;
                    state.config.volumes.insert(v, super::config::Empty {});
                }
            }
            StepKind::StopSignal { signal } => state.config.stop_signal = Some(signal.clone()),
            StepKind::Shell { args } => state.config.shell = Some(args.clone()),
        }
        Ok(())
    }

    /// WORKDIR: mkdir -p, owned by `owner` (the user in effect).
    fn mkdir(
        &mut self,
        state: &mut State,
        dir: &str,
        owner: Option<&str>,
        name: String,
        line: usize,
    ) {
        let mut inputs = Vec::new();
        let base = state
            .output
            .as_ref()
            .map_or(-1, |o| input_index(&mut inputs, o));
        let owner = owner.map(|u| chown(u, base));
        let action = pb::FileAction {
            input: base,
            secondary_input: -1,
            output: 0,
            action: Some(pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                path: dir.to_string(),
                mode: 0o755,
                make_parents: true,
                owner,
                timestamp: -1,
            })),
        };
        let file = pb::FileOp {
            actions: vec![action],
        };
        let description = self.describe(name, Some(line));
        let d = self
            .graph
            .add(&op(inputs, Kind::File(file), None), description);
        state.output = Some(Output {
            digest: d,
            index: 0,
        });
    }

    fn copy(
        &mut self,
        state: &mut State,
        counter: &mut StageCounter,
        copy: &ir::Copy,
        line: usize,
    ) -> Result<(), Error> {
        let mut sources = Vec::with_capacity(copy.sources.len());
        for w in &copy.sources {
            sources.push(self.resolve(w, Some(state), line)?);
        }
        let mut dest = self.resolve(&copy.dest, Some(state), line)?;
        // Several sources need a directory, as the Dockerfile backend writes.
        if sources.len() > 1 && !dest.ends_with('/') {
            dest.push('/');
        }
        let chown_text = match &copy.chown {
            Some(w) => Some(self.resolve(w, Some(state), line)?),
            None => None,
        };
        let mode = match &copy.chmod {
            Some(m) => i32::from_str_radix(m, 8)
                .ok()
                .filter(|m| (0..=0o7777).contains(m))
                .ok_or_else(|| {
                    self.error(
                        line,
                        format!("invalid chmod `{m}`: expected octal such as 0755"),
                    )
                })?,
            None => -1,
        };
        let (source, from_flag) = match &copy.from {
            CopyFrom::Context => {
                for s in &sources {
                    self.context_paths.insert(paths::join("/", s));
                }
                (Some(self.context()), None)
            }
            CopyFrom::Stage(id) => (
                self.state(*id)?.output.clone(),
                Some(self.build.stage(*id).name.clone()),
            ),
            CopyFrom::Image(text) => {
                let normalized = self.normalize(text, line)?;
                let target = self.platforms.target.clone();
                (
                    Some(self.image(&normalized, &target, None, line)),
                    Some(text.clone()),
                )
            }
        };

        let mut shown = String::from("COPY");
        if let Some(f) = &from_flag {
            shown.push_str(&format!(" --from={f}"));
        }
        if let Some(c) = &chown_text {
            shown.push_str(&format!(" --chown={c}"));
        }
        if let Some(m) = &copy.chmod {
            shown.push_str(&format!(" --chmod={m}"));
        }
        if copy.link {
            shown.push_str(" --link");
        }
        for s in &sources {
            shown.push(' ');
            shown.push_str(s);
        }
        shown.push(' ');
        shown.push_str(&dest);
        let name = counter.next(&shown);

        // `--link` copies onto scratch and merges that layer on top, as the
        // frontend does; with `--chmod` it falls back to a plain copy.
        let link = copy.link && copy.chmod.is_none();
        let dest_path = paths::copy_dest(&state.dir, &dest);
        let mut inputs = Vec::new();
        let base = match (&state.output, link) {
            (Some(o), false) => input_index(&mut inputs, o),
            _ => -1,
        };
        let secondary = source.as_ref().map_or(-1, |o| input_index(&mut inputs, o));
        let n = inputs.len() as i64;
        let count = sources.len();
        let actions = sources
            .iter()
            .enumerate()
            .map(|(k, src)| pb::FileAction {
                input: if k == 0 { base } else { n + k as i64 - 1 },
                secondary_input: secondary,
                output: if k + 1 == count { 0 } else { -1 },
                action: Some(pb::file_action::Action::Copy(pb::FileActionCopy {
                    src: paths::copy_src(src),
                    dest: dest_path.clone(),
                    owner: chown_text.as_deref().map(|c| chown(c, base)),
                    mode,
                    follow_symlink: true,
                    dir_copy_contents: true,
                    attempt_unpack_docker_compatibility: false,
                    create_dest_path: true,
                    allow_wildcard: true,
                    allow_empty_wildcard: true,
                    timestamp: -1,
                    include_patterns: Vec::new(),
                    exclude_patterns: Vec::new(),
                })),
            })
            .collect();
        let description = self.describe(name, Some(line));
        let d = self.graph.add(
            &op(inputs, Kind::File(pb::FileOp { actions }), None),
            description,
        );
        let copied = Output {
            digest: d,
            index: 0,
        };
        state.output = match (&state.output, link) {
            (Some(below), true) => {
                let merge = pb::MergeOp {
                    inputs: vec![pb::MergeInput { input: 0 }, pb::MergeInput { input: 1 }],
                };
                let name = counter.current(&format!("LINK {shown}"));
                let description = self.describe(name, Some(line));
                let d = self.graph.add(
                    &op(
                        vec![below.input(), copied.input()],
                        Kind::Merge(merge),
                        None,
                    ),
                    description,
                );
                Some(Output {
                    digest: d,
                    index: 0,
                })
            }
            _ => Some(copied),
        };
        Ok(())
    }

    fn run(
        &mut self,
        state: &mut State,
        counter: &mut StageCounter,
        run: &ir::Run,
        line: usize,
    ) -> Result<(), Error> {
        // The shell in effect, else the image's (`Shell` of its config, as
        // the frontend runs a shell-form RUN), else `/bin/sh -c`.
        let mut args: Vec<String> = match run.shell.as_ref().or(state.config.shell.as_ref()) {
            Some(shell) => shell.clone(),
            None => DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
        };
        let mut binds: Vec<MountSpec> = vec![MountSpec {
            dest: "/".to_string(),
            source: state.output.clone(),
            selector: String::new(),
            readonly: false,
            no_output: false,
            kind: MountKind::Bind,
        }];
        // A multi-line script is a heredoc in the Dockerfile; one that
        // starts with `#!` runs as a file there, with its interpreter.
        if let Some(argv) = &run.exec {
            // Exec form: the arguments as they are, no shell.
            args = argv.clone();
        } else if run.script.contains('\n') && run.script.starts_with("#!") {
            let file = heredoc_name(&run.script);
            let mut data = run.script.clone().into_bytes();
            if !run.script.ends_with('\n') {
                data.push(b'\n');
            }
            let action = pb::FileAction {
                input: -1,
                secondary_input: -1,
                output: 0,
                action: Some(pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                    path: format!("/{file}"),
                    mode: 0o755,
                    data,
                    owner: None,
                    timestamp: -1,
                })),
            };
            let description = self.describe(
                "[internal] preparing inline document".to_string(),
                Some(line),
            );
            let d = self.graph.add(
                &op(
                    Vec::new(),
                    Kind::File(pb::FileOp {
                        actions: vec![action],
                    }),
                    None,
                ),
                description,
            );
            binds.push(MountSpec {
                dest: "/dev/pipes/".to_string(),
                source: Some(Output {
                    digest: d,
                    index: 0,
                }),
                selector: "/".to_string(),
                readonly: true,
                no_output: false,
                kind: MountKind::Bind,
            });
            args.push(format!("/dev/pipes/{file}"));
        } else if run.script.contains('\n') && !run.script.ends_with('\n') {
            // The heredoc body BuildKit reads ends with the line break
            // before the delimiter.
            args.push(format!("{}\n", run.script));
        } else {
            args.push(run.script.clone());
        }

        let mut secrets: Vec<pb::Mount> = Vec::new();
        let mut secret_env: Vec<pb::SecretEnv> = Vec::new();
        let mut ssh: Vec<pb::Mount> = Vec::new();
        for m in &run.mounts {
            match m {
                Mount::Cache {
                    target,
                    id,
                    sharing,
                } => {
                    // The frontend's cache id: `/` + the id, or + the target.
                    let id = format!("/{}", id.clone().unwrap_or_else(|| paths::clean(target)));
                    let sharing = match sharing {
                        Some(Sharing::Private) => pb::CacheSharingOpt::Private,
                        Some(Sharing::Locked) => pb::CacheSharingOpt::Locked,
                        Some(Sharing::Shared) | None => pb::CacheSharingOpt::Shared,
                    };
                    binds.push(MountSpec {
                        dest: mount_target(&state.dir, target),
                        source: None,
                        selector: String::new(),
                        readonly: false,
                        no_output: false,
                        kind: MountKind::Cache { id, sharing },
                    });
                }
                Mount::Tmpfs { target, size } => {
                    let size = match size {
                        Some(s) => ram_in_bytes(s).ok_or_else(|| {
                            self.error(line, format!("invalid tmpfs size `{s}`: expected e.g. 64m"))
                        })?,
                        None => 0,
                    };
                    binds.push(MountSpec {
                        dest: mount_target(&state.dir, target),
                        source: None,
                        selector: String::new(),
                        readonly: false,
                        no_output: false,
                        kind: MountKind::Tmpfs { size },
                    });
                }
                Mount::Bind {
                    target,
                    from,
                    source,
                    rw,
                } => {
                    let selector = paths::join("/", source.as_deref().unwrap_or(""));
                    let output = match from {
                        None => {
                            self.context_paths.insert(selector.clone());
                            Some(self.context())
                        }
                        Some(MountFrom::Stage(id)) => self.state(*id)?.output.clone(),
                        Some(MountFrom::Image(text)) => {
                            let normalized = self.normalize(text, line)?;
                            let target = self.platforms.target.clone();
                            Some(self.image(&normalized, &target, None, line))
                        }
                    };
                    binds.push(MountSpec {
                        dest: mount_target(&state.dir, target),
                        source: output,
                        selector: if selector == "/" {
                            String::new()
                        } else {
                            selector
                        },
                        readonly: !rw,
                        // A writable bind's changes are thrown away, as
                        // with `--mount=type=bind,rw` in a Dockerfile.
                        no_output: *rw,
                        kind: MountKind::Bind,
                    });
                }
                Mount::Secret {
                    id,
                    target,
                    env,
                    required,
                } => {
                    if let Some(name) = env {
                        secret_env.push(pb::SecretEnv {
                            id: id.clone(),
                            name: name.clone(),
                            optional: !required,
                        });
                    }
                    if target.is_some() || env.is_none() {
                        let dest = target
                            .clone()
                            .unwrap_or_else(|| crate::ir::default_secret_target(id));
                        secrets.push(pb::Mount {
                            input: -1,
                            dest,
                            mount_type: pb::MountType::Secret as i32,
                            secret_opt: Some(pb::SecretOpt {
                                id: id.clone(),
                                uid: 0,
                                gid: 0,
                                mode: 0o400,
                                optional: !required,
                            }),
                            ..Default::default()
                        });
                    }
                }
                Mount::Ssh {
                    id,
                    target,
                    required,
                } => {
                    let dest = target
                        .clone()
                        .unwrap_or_else(|| format!("/run/buildkit/ssh_agent.{}", ssh.len()));
                    ssh.push(pb::Mount {
                        input: -1,
                        dest,
                        mount_type: pb::MountType::Ssh as i32,
                        ssh_opt: Some(pb::SshOpt {
                            id: id.clone().unwrap_or_default(),
                            uid: 0,
                            gid: 0,
                            mode: 0o600,
                            optional: !required,
                        }),
                        ..Default::default()
                    });
                }
            }
        }

        // Mounts sorted by target, inputs numbered in that order, outputs
        // counted over writable mounts; then secrets and ssh sockets, as
        // BuildKit's client writes them.
        binds.sort_by(|a, b| a.dest.cmp(&b.dest));
        let mut inputs = Vec::new();
        let mut outputs = 0;
        let mut mounts = Vec::with_capacity(binds.len() + secrets.len() + ssh.len());
        for b in binds {
            let input = b
                .source
                .as_ref()
                .map_or(-1, |o| input_index(&mut inputs, o));
            let writable = matches!(b.kind, MountKind::Bind) && !b.readonly && !b.no_output;
            let output = if writable {
                outputs += 1;
                outputs - 1
            } else {
                -1
            };
            let mut m = pb::Mount {
                input,
                selector: b.selector,
                dest: b.dest,
                output,
                readonly: b.readonly,
                ..Default::default()
            };
            match b.kind {
                MountKind::Bind => {}
                MountKind::Cache { id, sharing } => {
                    m.mount_type = pb::MountType::Cache as i32;
                    m.cache_opt = Some(pb::CacheOpt {
                        id,
                        sharing: sharing as i32,
                    });
                }
                MountKind::Tmpfs { size } => {
                    m.mount_type = pb::MountType::Tmpfs as i32;
                    m.tmpfs_opt = Some(pb::TmpfsOpt { size });
                }
            }
            mounts.push(m);
        }
        let ssh_sock = ssh.first().map(|m| m.dest.clone());
        mounts.extend(secrets);
        mounts.extend(ssh);

        let mut env = state.env.clone();
        if let Some(sock) = ssh_sock {
            if !env.iter().any(|(k, _)| k == "SSH_AUTH_SOCK") {
                env.push(("SSH_AUTH_SOCK".to_string(), sock));
            }
        }
        let network = match run.network {
            Some(Network::None) => pb::NetMode::None,
            Some(Network::Host) => pb::NetMode::Host,
            Some(Network::Default) | None => pb::NetMode::Unset,
        };
        let exec = pb::ExecOp {
            meta: Some(pb::Meta {
                args,
                env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                cwd: state.dir.clone(),
                user: state.user.clone(),
                remove_mount_stubs_recursive: true,
            }),
            mounts,
            network: network as i32,
            secretenv: secret_env,
        };
        let name = counter.next(&format!("RUN {}", summarize(&run.script)));
        let description = self.describe(name, Some(line));
        let d = self.graph.add(
            &op(inputs, Kind::Exec(exec), Some(&state.platform)),
            description,
        );
        state.output = Some(Output {
            digest: d,
            index: 0,
        });
        Ok(())
    }
}

#[derive(Debug)]
struct MountSpec {
    dest: String,
    source: Option<Output>,
    selector: String,
    readonly: bool,
    no_output: bool,
    kind: MountKind,
}

#[derive(Debug)]
enum MountKind {
    Bind,
    Cache {
        id: String,
        sharing: pb::CacheSharingOpt,
    },
    Tmpfs {
        size: i64,
    },
}

/// Stages the target needs: its base chain and every stage a step reads.
fn needed_stages(build: &Build) -> Vec<bool> {
    let mut needed = vec![false; build.stages.len()];
    let mut todo = vec![build.target];
    while let Some(id) = todo.pop() {
        if let Some(flag) = needed.get_mut(id.0)
            && !std::mem::replace(flag, true)
        {
            todo.extend(build.stage(id).dependencies());
        }
    }
    needed
}

/// A mount target; a relative one is under the working directory.
fn mount_target(dir: &str, target: &str) -> String {
    if target.starts_with('/') {
        target.to_string()
    } else {
        paths::join("/", &paths::join(dir, target))
    }
}

/// `user[:group]` as BuildKit's `WithUser` reads it: numbers (and `root`)
/// are ids, anything else a name looked up in input `base`.
fn chown(text: &str, base: i64) -> pb::ChownOpt {
    let part = |p: &str| {
        let user = if p == "root" {
            pb::user_opt::User::ById(0)
        } else {
            match p.parse::<i32>() {
                Ok(id) => pb::user_opt::User::ById(id as u32),
                Err(_) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                    name: p.to_string(),
                    input: base,
                }),
            }
        };
        pb::UserOpt { user: Some(user) }
    };
    match text.split_once(':') {
        Some((u, g)) => pb::ChownOpt {
            user: Some(part(u)),
            group: Some(part(g)),
        },
        None => pb::ChownOpt {
            user: Some(part(text)),
            group: None,
        },
    }
}

/// Docker's `units.RAMInBytes`: `64m`, `1g`, `512k`, `1.5GiB` (binary units).
fn ram_in_bytes(text: &str) -> Option<i64> {
    let t = text.trim();
    let number_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let amount: f64 = t[..number_end].parse().ok()?;
    let unit = t[number_end..].trim_start().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let scale: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return None,
    };
    Some((amount * scale) as i64)
}

/// The name of a heredoc's file: the delimiter the Dockerfile backend
/// picks (`EOF`, or `EOF_n` when a line of the script is `EOF`).
fn heredoc_name(script: &str) -> String {
    let taken = |d: &str| script.lines().any(|l| l.trim_end_matches('\r') == d);
    let mut name = "EOF".to_string();
    let mut n = 0;
    while taken(&name) {
        n += 1;
        name = format!("EOF_{n}");
    }
    name
}

/// A script as progress output shows it: its first line, `…` when more.
fn summarize(script: &str) -> String {
    let trimmed = script.trim();
    let mut lines = trimmed.lines();
    let first = lines.next().unwrap_or("");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_string()
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
        out.push_str(&super::dump::go_json_string(s));
    }
    out.push(']');
    out
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

    #[test]
    fn tmpfs_sizes() {
        assert_eq!(ram_in_bytes("256m"), Some(256 * 1024 * 1024));
        assert_eq!(ram_in_bytes("1g"), Some(1 << 30));
        assert_eq!(ram_in_bytes("64MiB"), Some(64 << 20));
        assert_eq!(ram_in_bytes("100"), Some(100));
        assert_eq!(ram_in_bytes("10x"), None);
    }

    #[test]
    fn chown_ids_and_names() {
        let c = chown("0:10001", 0);
        assert_eq!(
            c.user.and_then(|u| u.user),
            Some(pb::user_opt::User::ById(0))
        );
        let c = chown("app", 2);
        assert_eq!(
            c.user.and_then(|u| u.user),
            Some(pb::user_opt::User::ByName(pb::NamedUserOpt {
                name: "app".into(),
                input: 2
            }))
        );
        assert!(c.group.is_none());
    }

    #[test]
    fn summaries() {
        assert_eq!(summarize("go build"), "go build");
        assert_eq!(summarize("\nset -eu\ngo build\n"), "set -eu …");
    }
}
