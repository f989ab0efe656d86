//! Lowering stages and their steps, with the variables each step may see.

use super::names::{Names, ResolvedBase, base_first, unknown_name, unknown_stage};
use super::scope::Scope;
use super::{LineIndex, PLATFORM_ARGS};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::ir::{self, Base, CopyFrom, Mount, MountFrom, StepKind, VarSource, Word, WordPart};
use crate::paths::rooted as normalize_path;
use crate::syntax::ast::{self, Interp, Part, StageDecl, StageKind};

/// A `${NAME}` that only a stage's base image config can set.
#[derive(Debug, Clone)]
pub struct BaseEnvUse {
    /// The variable.
    pub name: String,
    /// Where it is written.
    pub span: Span,
    /// The image the stage chain starts from, as written (args unresolved).
    pub image: Word,
}

pub(super) struct Ctx<'a, 'd> {
    names: &'a Names<'d>,
    diags: &'a mut Diagnostics,
    base_env: &'a mut Vec<BaseEnvUse>,
}

/// Lowers every stage (declaration order = `StageId`).
pub(super) fn lower_stages(
    decls: &[StageDecl],
    names: &Names<'_>,
    bases: &[ResolvedBase<'_>],
    lines: &LineIndex,
    diags: &mut Diagnostics,
    base_env: &mut Vec<BaseEnvUse>,
) -> Vec<ir::Stage> {
    let order = base_first(bases.len(), |i| match bases[i] {
        ResolvedBase::Stage(id) => Some(id.0),
        _ => None,
    });
    let mut out_scopes: Vec<Option<Scope>> = vec![None; decls.len()];
    let mut lowered: Vec<Option<ir::Stage>> = vec![None; decls.len()];
    let mut ctx = Ctx {
        names,
        diags,
        base_env,
    };
    for i in order {
        let decl = &decls[i];
        let (base, mut scope, mut steps) = match &bases[i] {
            ResolvedBase::Stage(id) => (
                Base::Stage(*id),
                out_scopes[id.0].clone().unwrap_or_default(),
                Vec::new(),
            ),
            ResolvedBase::Image(image) => (
                Base::Image(ctx.image_word(image)),
                Scope {
                    base: Some(ctx.image_word(image)),
                    ..Scope::default()
                },
                Vec::new(),
            ),
            ResolvedBase::Scratch | ResolvedBase::Error => {
                (Base::Scratch, Scope::default(), Vec::new())
            }
            ResolvedBase::Toolchain(tc) => {
                let mut scope = Scope {
                    base: Some(ctx.image_word(&tc.image)),
                    ..Scope::default()
                };
                let vars = ctx.env(&tc.env, &mut scope);
                let line = lines.line(tc.span);
                let steps = if vars.is_empty() {
                    Vec::new()
                } else {
                    vec![ir::Step {
                        kind: StepKind::Config(ir::ConfigStep::Env { vars }),
                        line,
                        span: tc.span,
                    }]
                };
                scope.caches = tc.caches.iter().map(cache_mount).collect();
                (Base::Image(ctx.image_word(&tc.image)), scope, steps)
            }
        };
        for step in &decl.steps {
            if let Some(kind) = ctx.step(step, &mut scope) {
                steps.push(ir::Step {
                    kind,
                    line: lines.line(step.span),
                    span: step.span,
                });
            }
        }
        // BuildKit builds a `FROM scratch` stage for the target platform
        // whatever `--platform` says (it resolves no image), so a platform
        // there means nothing to either backend: checked, then dropped.
        let platform = decl
            .platform
            .as_ref()
            .map(|p| ctx.word(p, &Scope::default(), true))
            .filter(|_| !matches!(base, ir::Base::Scratch));
        lowered[i] = Some(ir::Stage {
            name: decl.name.name.clone(),
            kind: match decl.kind {
                StageKind::Stage => ir::StageKind::Stage,
                StageKind::Image => ir::StageKind::Image,
            },
            base,
            pinned: None,
            platform,
            target_only: decl.target_only,
            steps,
            line: lines.line(decl.span),
            span: decl.name.span,
        });
        out_scopes[i] = Some(scope);
    }
    lowered.into_iter().flatten().collect()
}

fn cache_mount(c: &ast::CacheMount) -> Mount {
    Mount::Cache {
        target: c.target.value.clone(),
        id: c.id.as_ref().map(|s| s.value.clone()),
        sharing: c.sharing.map(|s| match s {
            ast::Sharing::Shared => ir::Sharing::Shared,
            ast::Sharing::Private => ir::Sharing::Private,
            ast::Sharing::Locked => ir::Sharing::Locked,
        }),
    }
}

/// An image reference as a word: its variables are args or platform args.
pub(super) fn image_word(value: &Interp) -> Word {
    arg_word(value, |name| {
        if PLATFORM_ARGS.contains(&name) {
            VarSource::Platform
        } else {
            VarSource::Arg
        }
    })
}

/// A value only args can feed (an image reference, a `publish` tag) as a
/// word; `source` says where each variable comes from.
pub(super) fn arg_word(value: &Interp, source: fn(&str) -> VarSource) -> Word {
    Word(
        value
            .parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => WordPart::Text { text: s.clone() },
                Part::Var { name, default, .. } => WordPart::Var {
                    name: name.clone(),
                    default: default.clone(),
                    source: source(name),
                },
            })
            .collect(),
    )
}

impl Ctx<'_, '_> {
    /// Converts an interpolated value, checking each variable. In image
    /// references (`args_only`), only args and platform args are visible.
    pub(super) fn word(&mut self, value: &Interp, scope: &Scope, args_only: bool) -> Word {
        let mut parts = Vec::new();
        for p in &value.parts {
            match p {
                Part::Lit(s) => parts.push(WordPart::Text { text: s.clone() }),
                Part::Var {
                    name,
                    default,
                    span,
                } => {
                    let source = self.var_source(name, *span, scope, args_only);
                    parts.push(WordPart::Var {
                        name: name.clone(),
                        default: default.clone(),
                        source,
                    });
                }
            }
        }
        Word(parts)
    }

    /// An image reference whose variables `Names::check_image_ref` has
    /// already checked (and reported).
    fn image_word(&self, value: &Interp) -> Word {
        image_word(value)
    }

    fn var_source(&mut self, name: &str, span: Span, scope: &Scope, args_only: bool) -> VarSource {
        if !args_only && (scope.env.iter().any(|e| e == name) || name == "PATH") {
            return VarSource::Env;
        }
        if self.names.args.contains(&name) {
            return VarSource::Arg;
        }
        if PLATFORM_ARGS.contains(&name) {
            return VarSource::Platform;
        }
        let mut candidates: Vec<&str> = self.names.args.clone();
        candidates.extend(PLATFORM_ARGS);
        if !args_only {
            // Oldest first, as declared.
            let mut env: Vec<&str> = scope.env.iter().collect();
            env.reverse();
            candidates.extend(env);
            candidates.push("PATH");
        }
        let otherwise = if args_only {
            format!("declare it: `arg {name} \"default\"`")
        } else {
            format!("declare it with `arg {name}`, or set it earlier with `env {name}=\"...\"`")
        };
        // On an image, the name may be in its config's env, as BuildKit
        // expands it from there: unknown until `msbc lock` records the
        // config (`lock::check_base_env` decides then).
        if !args_only && let Some(image) = &scope.base {
            self.base_env.push(BaseEnvUse {
                name: name.to_string(),
                span,
                image: image.clone(),
            });
            self.diags.push(
                Diagnostic::new(
                    Code::BaseImageEnv,
                    format!(
                        "`${{{name}}}` is not set in the spec: it can only come from the env of `{image}`'s config, which msbc does not know"
                    ),
                )
                .label(span, "not an arg or an earlier env")
                .suggest_or(
                    name,
                    candidates.into_iter().filter(|c| *c != "PATH"),
                    format!(
                        "run `msbc lock` to record the base image's config (then the name is checked against it), or {otherwise}"
                    ),
                ),
            );
            return VarSource::Env;
        }
        self.diags.push(
            Diagnostic::new(
                Code::UnknownVariable,
                format!("`${{{name}}}` names no arg, platform arg or earlier env"),
            )
            .label(span, "unknown variable")
            .suggest_or(name, candidates, otherwise),
        );
        VarSource::Arg
    }

    pub(super) fn words(&mut self, values: &[Interp], scope: &Scope) -> Vec<Word> {
        values.iter().map(|v| self.word(v, scope, false)).collect()
    }

    fn step(&mut self, step: &ast::Step, scope: &mut Scope) -> Option<StepKind> {
        use ast::StepKind as S;
        Some(match &step.kind {
            S::Workdir(path) => {
                let mut word = self.word(path, scope, false);
                if let Some(dir) = word.as_literal() {
                    // A relative workdir is relative to the one before; where
                    // that is known, write the absolute path it means.
                    let absolute = match (&scope.workdir, dir.starts_with('/')) {
                        (_, true) => Some(normalize_path(&dir)),
                        (Some(base), false) => Some(normalize_path(&format!("{base}/{dir}"))),
                        (None, false) => None,
                    };
                    if let Some(abs) = &absolute {
                        word = Word::text(abs.clone());
                    }
                    scope.workdir = absolute;
                } else {
                    scope.workdir = None;
                }
                StepKind::Workdir { path: word }
            }
            S::Copy(copy) => StepKind::Copy(self.copy(copy, scope)?),
            S::Run(run) => StepKind::Run(self.run(run, scope)),
            S::Config(c) => StepKind::Config(self.config(c, scope)),
        })
    }

    fn copy(&mut self, copy: &ast::Copy, scope: &Scope) -> Option<ir::Copy> {
        let dest = self.word(&copy.dest, scope, false);
        let chown = copy
            .chown
            .as_ref()
            .map(|c| self.word(&c.value, scope, false));
        let chmod = copy.chmod.as_ref().map(|c| c.text.clone());
        let (from, sources) = match &copy.origin {
            ast::CopyOrigin::Context => (CopyFrom::Context, self.words(&copy.sources, scope)),
            ast::CopyOrigin::From(from) => {
                (self.copy_from(from)?, self.words(&copy.sources, scope))
            }
            ast::CopyOrigin::Artifact(name) => match self.names.artifacts.get(name.name.as_str()) {
                Some(artifact) => {
                    let stage = self.names.stage(&artifact.from.name)?;
                    let path = self.word(&artifact.path, &Scope::default(), true);
                    (CopyFrom::Stage(stage), vec![path])
                }
                None => {
                    self.diags.push(unknown_name(
                        Code::UnknownArtifact,
                        "artifact",
                        format!("no stage makes an artifact named `{}`", name.name),
                        name,
                        &self.names.artifacts,
                        format!(
                            "declare it: `artifact {} from=STAGE path=\"/out/...\"`",
                            name.name
                        ),
                    ));
                    return None;
                }
            },
        };
        Some(ir::Copy {
            from,
            sources,
            dest,
            chown,
            chmod,
            link: copy.link,
        })
    }

    /// `from=` on `copy` or a `bind` mount: a stage, or a tagged image
    /// reference without variables (BuildKit does not expand `--from`).
    fn copy_from(&mut self, from: &Interp) -> Option<CopyFrom> {
        let text = &from.raw.value;
        if let Some(id) = self.names.stage(text) {
            return Some(CopyFrom::Stage(id));
        }
        if from.vars().next().is_some() {
            self.diags.push(
                Diagnostic::new(Code::UnrepresentableValue, "`from=` on `copy` and `bind` cannot use `${...}`")
                    .label(from.raw.span, "variable in `from=`")
                    .help("BuildKit does not expand variables in `COPY --from`; declare a stage `from=\"image:${TAG}\"` and copy from that stage"),
            );
            return None;
        }
        if !text.contains(['/', ':', '@']) {
            self.diags.push(unknown_stage(
                text,
                from.raw.span,
                &self.names.stage_order,
                &format!("no stage has this name; to copy from an image, give it a tag, e.g. `{text}:<tag>`"),
            ));
            return None;
        }
        if !self.names.check_image_ref(from, self.diags) {
            return None;
        }
        Some(CopyFrom::Image(text.clone()))
    }

    /// Two mounts of one run at one path: the later would hide the earlier
    /// (BuildKit takes both and mounts one over the other).
    fn reject_shared_targets(&mut self, mounts: &[ast::Mount]) {
        let mut seen: Vec<(String, Span)> = Vec::new();
        for m in mounts {
            let place = match m {
                ast::Mount::Cache(c) => Some((c.target.value.clone(), c.target.span)),
                ast::Mount::Tmpfs(t) => Some((t.target.value.clone(), t.target.span)),
                ast::Mount::Bind(b) => Some((b.target.value.clone(), b.target.span)),
                ast::Mount::Secret(s) => match (&s.target, &s.env) {
                    (Some(t), _) => Some((t.value.clone(), t.span)),
                    (None, None) => Some((ir::default_secret_target(&s.id.value), s.id.span)),
                    // Only an environment variable: no file.
                    (None, Some(_)) => None,
                },
                ast::Mount::Ssh(s) => s.target.as_ref().map(|t| (t.value.clone(), t.span)),
            };
            let Some((target, span)) = place else {
                continue;
            };
            let target = normalize_path(&target);
            if target == "/" {
                self.diags.push(
                    Diagnostic::new(Code::DuplicateMount, "a mount at `/`")
                        .label(span, "the run's own filesystem is mounted here")
                        .help(
                            "BuildKit refuses a mount over the root; mount at a directory below it",
                        ),
                );
                continue;
            }
            match seen.iter().find(|(t, _)| *t == target) {
                Some((_, first)) => self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateMount,
                        format!("two mounts of this run at `{target}`"),
                    )
                    .label(span, "mounted again here")
                    .label(*first, "first mounted here")
                    .help("the later mount would hide the earlier one; give each its own target"),
                ),
                None => seen.push((target, span)),
            }
        }
    }

    fn run(&mut self, run: &ast::Run, scope: &Scope) -> ir::Run {
        self.reject_shared_targets(&run.mounts);
        let mut mounts: Vec<Mount> = Vec::new();
        for m in &run.mounts {
            let mount = match m {
                ast::Mount::Cache(c) => cache_mount(c),
                ast::Mount::Secret(s) => Mount::Secret {
                    id: s.id.value.clone(),
                    target: s.target.as_ref().map(|t| t.value.clone()),
                    env: s.env.as_ref().map(|e| e.value.clone()),
                    required: s.required,
                },
                ast::Mount::Ssh(s) => Mount::Ssh {
                    id: s.id.as_ref().map(|t| t.value.clone()),
                    target: s.target.as_ref().map(|t| t.value.clone()),
                    required: s.required,
                },
                ast::Mount::Tmpfs(t) => Mount::Tmpfs {
                    target: t.target.value.clone(),
                    size: t.size.as_ref().map(|s| s.value.clone()),
                },
                ast::Mount::Bind(b) => {
                    let from = match &b.from {
                        None => None,
                        Some(f) => match self.copy_from(f) {
                            Some(CopyFrom::Stage(id)) => Some(MountFrom::Stage(id)),
                            Some(CopyFrom::Image(image)) => Some(MountFrom::Image(image)),
                            Some(CopyFrom::Context) | None => continue,
                        },
                    };
                    Mount::Bind {
                        target: b.target.value.clone(),
                        from,
                        source: b.source.as_ref().map(|s| s.value.clone()),
                        rw: b.rw,
                    }
                }
            };
            mounts.push(mount);
        }
        // Toolchain caches, unless the run mounts something at the same place.
        for cache in &scope.caches {
            let place = normalize_path(&cache.target());
            if !mounts.iter().any(|m| normalize_path(&m.target()) == place) {
                mounts.push(cache.clone());
            }
        }
        mounts.sort_by_key(Mount::target);
        let network = run.network.map(|n| match n {
            ast::Network::Default => ir::Network::Default,
            ast::Network::None => ir::Network::None,
            ast::Network::Host => ir::Network::Host,
        });
        ir::Run {
            script: run.script.value.clone(),
            exec: run
                .exec
                .as_ref()
                .map(|args| args.iter().map(|a| a.value.clone()).collect()),
            shell: scope.shell.clone(),
            network,
            mounts,
        }
    }
}

#[cfg(test)]
mod tests {
    fn codes(spec: &str) -> Vec<String> {
        crate::compile::check(spec.as_bytes())
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect()
    }

    /// BuildKit mounts a secret without `target=` at `/run/secrets/` and the
    /// base name of its id: `a/x` and `b/x` would both be `/run/secrets/x`.
    #[test]
    fn secrets_with_one_base_name_share_a_default_target() {
        let spec = |ids: [&str; 2]| {
            format!(
                "msbc 1\nimage app from=\"alpine:3.20\" {{\n    user \"1000\"\n    run \"true\" {{\n        secret \"{}\"\n        secret \"{}\"\n    }}\n}}\n",
                ids[0], ids[1]
            )
        };
        assert!(codes(&spec(["a/x", "b/x"])).contains(&"E0207".to_string()));
        assert!(codes(&spec(["x", "b/x"])).contains(&"E0207".to_string()));
        assert_eq!(codes(&spec(["a/x", "a/y"])), Vec::<String>::new());
    }

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(super::normalize_path("/src/./app/../lib/"), "/src/lib");
        assert_eq!(super::normalize_path("/../x"), "/x");
        assert_eq!(super::normalize_path("/"), "/");
    }
}
