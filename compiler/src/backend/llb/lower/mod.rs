//! IR → LLB ops: one pass over the stages the target needs, keeping for
//! each stage the state the Dockerfile frontend keeps (its result, env,
//! working directory, user, platform and image config), and turning steps
//! into ops the way the frontend turns the equivalent instructions.
//!
//! `mod.rs` drives it (stages, the steps that only change state);
//! `graph.rs` holds the ops made so far and their digests; `resolve.rs`
//! resolves `${NAME}` and args; `source.rs` makes image and context
//! sources; `copy.rs` `copy` and `workdir` (FileOps); `run.rs` `run`, one
//! function per mount kind; `state.rs` a stage's state and its op counter.

mod copy;
mod graph;
#[cfg(test)]
mod options_tests;
mod resolve;
mod run;
mod source;
mod state;

pub use graph::digest;
use graph::{Graph, Output};
use state::{StageCounter, State};

use super::base::Pull;
use super::config::ImageConfig;
use super::paths;
use super::pb;
use super::platform::{Platform, PlatformArgs};
use super::{Error, ErrorKind, Options};
use crate::ir::{self, Base, Build, ImageValue, Stage, StageId, StepKind, Word};
use std::collections::{BTreeMap, BTreeSet};

/// What lowering produces.
pub struct Lowered {
    pub definition: pb::Definition,
    /// The image config of the target, as JSON.
    pub image_config: String,
    /// Each built stage's result (none for an empty `scratch` one), by
    /// name, in build order: what an SBOM scan of a stage mounts.
    pub stages: Vec<(String, pb::Input)>,
    /// Paths of the build context that the build reads (`/` for all).
    context_paths: BTreeSet<String>,
    /// The base images whose configs the build starts from.
    pulls: Vec<Pull>,
    /// The named contexts that replaced an image.
    pub used_contexts: BTreeSet<crate::domain::ImageRef>,
    /// The most stage states kept at once (for the memory test).
    #[cfg(test)]
    peak_states: usize,
}

/// What a pass that makes no ops finds out about a build before it is
/// lowered: the base images whose configs its stages start from, and the
/// paths of the context it reads.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) pulls: Vec<Pull>,
    /// The context paths the build reads, when no base config can change
    /// them (no context source names a variable, which a base image's env
    /// could set).
    context_paths: Option<BTreeSet<String>>,
}

/// The base images whose configs the stages `build.target` needs start
/// from, in build order, once each, and the context paths it reads. Found
/// by a pass that makes no ops, so that a build that cannot be lowered (a
/// required arg without a value) fails here, before anything is fetched.
pub fn plan(build: &Build, options: &Options) -> Result<Plan, Error> {
    let mut dry = Lowering::new(build, options, None)?;
    dry.graph = Graph::dry();
    let found = dry.finish()?;
    Ok(Plan {
        pulls: found.pulls,
        context_paths: context_sources_are_literal(build).then_some(found.context_paths),
    })
}

/// Lowers the stages `build.target` needs; `plan`, made by [`plan`] for the
/// same build and platform, spares the pass that finds the context paths.
pub fn lower(build: &Build, options: &Options, plan: Option<&Plan>) -> Result<Lowered, Error> {
    if !reads_context(build) {
        return Lowering::new(build, options, None)?.finish();
    }
    if let Some(paths) = plan.and_then(|p| p.context_paths.as_ref()) {
        return Lowering::new(build, options, follow_paths(paths))?.finish();
    }
    // The context source lists the paths the build reads (as the frontend's
    // `local.followpaths`), which are known only once every step is
    // resolved: a first pass that makes no ops (only states and words)
    // finds them.
    let mut dry = Lowering::new(build, options, None)?;
    dry.graph = Graph::dry();
    let paths = dry.finish()?.context_paths;
    Lowering::new(build, options, follow_paths(&paths))?.finish()
}

/// Whether every context path the build reads is written out, with no
/// variable in it (`bind` sources are always literal).
fn context_sources_are_literal(build: &Build) -> bool {
    needed_steps(build).all(|step| match &step.kind {
        StepKind::Copy(c) => {
            !matches!(c.from, ir::CopyFrom::Context)
                || c.sources.iter().all(|w| w.as_literal().is_some())
        }
        _ => true,
    })
}

/// The steps of the stages the target needs.
fn needed_steps(build: &Build) -> impl Iterator<Item = &ir::Step> {
    build
        .stages
        .iter()
        .zip(needed_stages(build))
        .filter(|(_, n)| *n)
        .flat_map(|(s, _)| &s.steps)
}

/// Whether a stage the target needs reads the build context (`copy` from
/// it, a `bind` of it).
fn reads_context(build: &Build) -> bool {
    needed_steps(build).any(|step| match &step.kind {
        StepKind::Copy(c) => matches!(c.from, ir::CopyFrom::Context),
        StepKind::Run(r) => r
            .mounts
            .iter()
            .any(|m| matches!(m, ir::Mount::Bind { from: None, .. })),
        _ => false,
    })
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

struct Lowering<'a> {
    build: &'a Build,
    options: &'a Options,
    platforms: PlatformArgs,
    graph: Graph,
    /// The state of each built stage that a stage still to build (or the
    /// target) is built on.
    states: Vec<Option<State>>,
    /// The result of each built stage.
    outputs: Vec<Option<Option<Output>>>,
    /// How many stages still to build are built on each stage.
    base_uses: Vec<usize>,
    /// States kept now, and the most kept at once (memory stays linear
    /// when a chain keeps one).
    live_states: usize,
    peak_live_states: usize,
    context: Option<Output>,
    follow_paths: Option<Vec<String>>,
    context_paths: BTreeSet<String>,
    /// The base images whose configs the stages start from, in order.
    pulls: Vec<Pull>,
    /// The named contexts that replaced an image, by their key.
    used_contexts: BTreeSet<crate::domain::ImageRef>,
}

impl<'a> Lowering<'a> {
    fn new(
        build: &'a Build,
        options: &'a Options,
        follow_paths: Option<Vec<String>>,
    ) -> Result<Lowering<'a>, Error> {
        let target = options
            .platform
            .clone()
            .unwrap_or_else(Platform::default_target);
        let build_platform = Platform::default_target();
        Ok(Lowering {
            build,
            options,
            platforms: PlatformArgs {
                build: build_platform,
                target,
            },
            graph: Graph::default(),
            states: vec![None; build.stages.len()],
            outputs: vec![None; build.stages.len()],
            base_uses: Vec::new(),
            live_states: 0,
            peak_live_states: 0,
            context: None,
            follow_paths,
            context_paths: BTreeSet::new(),
            pulls: Vec::new(),
            used_contexts: BTreeSet::new(),
        })
    }

    fn finish(mut self) -> Result<Lowered, Error> {
        let needed = needed_stages(self.build);
        // How many stages still to build are built on each stage (the
        // target counts as one more): a stage's state is kept until its
        // last one takes it, without a copy; after that only its result
        // is kept (for `copy from=`/`bind from=`). A chain of stages so
        // holds one state at a time.
        self.base_uses = vec![0; self.build.stages.len()];
        for (i, stage) in self.build.stages.iter().enumerate() {
            if let (true, Base::Stage(id)) = (needed[i], &stage.base)
                && let Some(n) = self.base_uses.get_mut(id.0)
            {
                *n += 1;
            }
        }
        if let Some(n) = self.base_uses.get_mut(self.build.target.0) {
            *n += 1;
        }
        for (i, stage) in self.build.stages.iter().enumerate() {
            if needed[i] {
                let state = self.stage(stage)?;
                self.outputs[i] = Some(state.output.clone());
                if self.base_uses.get(i).is_some_and(|n| *n > 0) {
                    self.states[i] = Some(state);
                    self.live_states += 1;
                    self.peak_live_states = self.peak_live_states.max(self.live_states);
                }
            }
        }
        let mut target = self.take_state(self.build.target)?;
        if target.output.is_none() {
            // `scratch` with no files: BuildKit refuses an empty definition,
            // so the result is an empty directory (an empty layer).
            let stage = self.build.stage(self.build.target);
            self.graph.ignore_cache = self.options.build.no_cache.covers(&stage.name);
            let name = format!("[{}] empty filesystem", stage.name);
            self.mkdir(&mut target, "/", None, name, stage.line);
        }
        self.graph.ignore_cache = false;
        if let Some(epoch) = self.options.build.epoch {
            target.config.dated(epoch);
        }
        // `--label`s, over the spec's and the base image's.
        for (k, v) in &self.options.build.labels {
            target.config.fold.labels.insert(k.clone(), v.clone());
        }
        if let Some(out) = &target.output {
            // The terminal op: no op, one input, the result.
            let terminal = pb::Op {
                inputs: vec![out.input()],
                ..Default::default()
            };
            self.graph.add(&terminal, BTreeMap::new());
        }
        let stages = self
            .build
            .stages
            .iter()
            .zip(&self.outputs)
            .filter_map(|(stage, out)| Some((stage.name.clone(), out.clone()??.input())))
            .collect();
        Ok(Lowered {
            definition: pb::Definition {
                def: self.graph.def,
                metadata: self.graph.metadata,
            },
            image_config: target.config.to_json(&target.platform),
            stages,
            context_paths: self.context_paths,
            pulls: self.pulls,
            used_contexts: self.used_contexts,
            #[cfg(test)]
            peak_states: self.peak_live_states,
        })
    }

    /// The state a stage built on stage `id` starts from: `id`'s own for
    /// the last such stage, else a copy.
    fn take_state(&mut self, id: StageId) -> Result<State, Error> {
        let last = match self.base_uses.get_mut(id.0) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n == 0
            }
            None => false,
        };
        let slot = self.states.get_mut(id.0);
        let state = match slot {
            Some(slot) if last => {
                self.live_states = self.live_states.saturating_sub(1);
                slot.take()
            }
            Some(slot) => slot.clone(),
            None => None,
        };
        state.ok_or_else(|| unbuilt(id))
    }

    /// The result of stage `id` (`None`: an empty scratch filesystem).
    fn output(&self, id: StageId) -> Result<Option<Output>, Error> {
        self.outputs
            .get(id.0)
            .cloned()
            .flatten()
            .ok_or_else(|| unbuilt(id))
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

    fn error(&self, line: usize, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            location: Some(self.location(line)),
        }
    }

    /// The base image a stage on an image pulls, and its platform.
    fn base_pull(&self, stage: &Stage, word: &Word) -> Result<(Pull, Platform), Error> {
        let platform = self.stage_platform(stage)?;
        // msbc.lock's pin, made with the same arg values the LLB resolves.
        let text = match &stage.pinned {
            Some(pinned) => pinned.clone(),
            None => self.resolve(word, None, stage.line)?,
        };
        let pull = Pull {
            reference: self.normalize(&text, stage.line)?,
            platform: platform.clone(),
        };
        Ok((pull, platform))
    }

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
        // `--no-cache`: the ops this stage makes run again.
        self.graph.ignore_cache = self.options.build.no_cache.covers(&stage.name);
        let mut counter = StageCounter {
            name: stage.name.clone(),
            total: counted + usize::from(matches!(stage.base, Base::Image(_))),
            index: 0,
        };
        let mut state = match &stage.base {
            // A stage on a stage runs where its parent does, as in BuildKit,
            // whose frontend then sets the image's env again: those keys
            // move after the args in scope.
            Base::Stage(id) => {
                let mut state = self.take_state(*id)?;
                state.config_env_last();
                state.config.fold.next_stage();
                state
            }
            Base::Image(word) => {
                let (pull, platform) = self.base_pull(stage, word)?;
                let normalized = pull.reference.clone();
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
                    // `SOURCE_DATE_EPOCH` declared without a default and not
                    // passed stays out of the runs' environment.
                    if self.build.arg(name).is_some_and(ir::ArgDef::unset) {
                        continue;
                    }
                    let value = self.arg_value(name, line)?;
                    state.set_env(name, value);
                }
            }
            StepKind::Workdir { path } => {
                let text = self.resolve(path, Some(state), line)?;
                let dir = paths::clean(&paths::normalize(&state.dir, &text, false));
                state.dir = dir.clone();
                state
                    .config
                    .fold
                    .apply(ImageValue::Workdir(dir.clone()), |_, dir| dir);
                self.commit(state, dir != "/", || format!("WORKDIR {dir}"));
                if dir != "/" {
                    let name = counter.next(&format!("WORKDIR {text}"));
                    // As the frontend: an empty USER owns nothing.
                    let owner = state.config.fold.user.clone().filter(|u| !u.is_empty());
                    self.mkdir(state, &dir, owner.as_deref(), name, line);
                }
            }
            StepKind::Copy(copy) => self.copy(state, counter, copy, line)?,
            StepKind::Run(run) => self.run(state, counter, run, line)?,
            StepKind::Config(config) => {
                // Left to right: each value sees the ones before it (the
                // Dockerfile backend splits its ENV to mean the same).
                for value in config.image_values() {
                    let value = value.try_map(|w| self.resolve(w, Some(state), line))?;
                    self.commit(state, false, || instruction(&value));
                    match &value {
                        ImageValue::Env(k, v) => state.set_env(k, v.clone()),
                        ImageValue::User(u) => state.user = u.clone(),
                        ImageValue::Healthcheck(check) => state
                            .config
                            .set_healthcheck(*check)
                            .map_err(|e| self.error(line, ErrorKind::Value, e))?,
                        _ => {}
                    }
                    state.config.fold.apply(value, |_, dir| dir);
                }
            }
        }
        Ok(())
    }
}

impl Lowering<'_> {
    /// A history entry for a build with `SOURCE_DATE_EPOCH` (none without);
    /// the steps that run in the build end theirs with `# buildkit`, as the
    /// frontend's do.
    fn commit(&self, state: &mut State, layer: bool, created_by: impl FnOnce() -> String) {
        if let Some(epoch) = self.options.build.epoch {
            state.config.commit(epoch, created_by(), layer);
        }
    }
}

/// A config step as the Dockerfile instruction a history entry names.
fn instruction(value: &ImageValue<'_, String>) -> String {
    // Go's `%q` of a list, as the frontend writes it: `["a" "b"]`.
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|i| format!("{i:?}")).collect();
        format!("[{}]", items.join(" "))
    };
    match value {
        ImageValue::Env(k, v) => format!("ENV {k}={v}"),
        ImageValue::Label(k, v) => format!("LABEL {k}={v}"),
        ImageValue::User(u) => format!("USER {u}"),
        ImageValue::Workdir(d) => format!("WORKDIR {d}"),
        ImageValue::Volume(v) => format!("VOLUME [{v}]"),
        ImageValue::Expose(p) => {
            let keys: Vec<String> = ir::port_keys(p).map(|k| format!("{k}:{{}}")).collect();
            format!("EXPOSE map[{}]", keys.join(" "))
        }
        ImageValue::Entrypoint(v) => format!("ENTRYPOINT {}", list(v)),
        ImageValue::Cmd(v) => format!("CMD {}", list(v)),
        ImageValue::Healthcheck(_) => "HEALTHCHECK".to_string(),
        ImageValue::StopSignal(s) => format!("STOPSIGNAL {s}"),
        ImageValue::Shell(v) => format!("SHELL {}", list(v)),
    }
}

fn unbuilt(id: StageId) -> Error {
    Error::new(format!(
        "internal error: stage {} used before it is built",
        id.0
    ))
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

#[cfg(test)]
mod tests;
