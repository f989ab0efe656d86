//! Choosing what to build: one image, a `--target`, or every image, and the
//! stages they need, in dependency order.

use super::Model;
use crate::diag::did_you_mean;
use crate::ir::{self, Base, Build, Source, StageId, StageKind, Word};
use std::fmt;

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--image NAME`.
    pub image: Option<String>,
    /// `--target STAGE`.
    pub target: Option<String>,
    /// `--arg NAME=VALUE`: replaces the arg's default.
    pub args: Vec<(String, String)>,
    /// `--platform`: for image sources that do not set one.
    pub platform: Option<crate::domain::Platform>,
    /// `--syntax none`.
    pub no_syntax: bool,
}

/// A selection the spec cannot satisfy (a usage error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// No stage or image of that name.
    Unknown {
        /// What was asked for (`image`, `target`).
        what: &'static str,
        /// The name given.
        name: String,
        /// The closest known name, if one is close.
        suggestion: Option<String>,
        /// The names that would do.
        known: Vec<String>,
    },
    /// `--image` names a stage that is not an image.
    NotAnImage {
        /// The name given.
        name: String,
    },
    /// The spec defines no image.
    NoImage,
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::Unknown {
                what,
                name,
                suggestion,
                known,
            } => {
                write!(f, "no {what} named `{name}`")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None if known.is_empty() => Ok(()),
                    None => write!(f, " (known: {})", known.join(", ")),
                }
            }
            SelectError::NotAnImage { name } => {
                write!(
                    f,
                    "`{name}` is a stage, not an image; use `--target {name}`"
                )
            }
            SelectError::NoImage => write!(f, "the spec defines no image"),
        }
    }
}

impl std::error::Error for SelectError {}

fn unknown(what: &'static str, name: &str, known: Vec<String>) -> SelectError {
    SelectError::Unknown {
        what,
        name: name.to_string(),
        suggestion: did_you_mean(name, known.iter().map(String::as_str)).map(str::to_string),
        known,
    }
}

/// The build for `selection`: the stages its root(s) need, inputs first,
/// the selected stage last, ties in declaration order.
pub fn select(model: &Model, selection: &Selection) -> Result<Build, SelectError> {
    let find = |name: &str| model.stages.iter().position(|s| s.name == name);
    let images: Vec<usize> = (0..model.stages.len())
        .filter(|i| model.stages[*i].kind == StageKind::Image)
        .collect();
    let names_of = |ids: &[usize]| {
        ids.iter()
            .map(|i| model.stages[*i].name.clone())
            .collect::<Vec<_>>()
    };
    let (roots, last) = if let Some(t) = &selection.target {
        let all: Vec<usize> = (0..model.stages.len()).collect();
        let id = find(t).ok_or_else(|| unknown("stage or image", t, names_of(&all)))?;
        (vec![id], id)
    } else if let Some(name) = &selection.image {
        let id = find(name).ok_or_else(|| unknown("image", name, names_of(&images)))?;
        if model.stages[id].kind != StageKind::Image {
            return Err(SelectError::NotAnImage { name: name.clone() });
        }
        (vec![id], id)
    } else {
        let last = *images.last().ok_or(SelectError::NoImage)?;
        // A target-only stage built on (or copying from) the final image
        // would have to follow it, and the final image must be last (what
        // a plain `docker build` builds): it is left out here and stays
        // buildable with `--target`.
        let roots = (0..model.stages.len())
            .filter(|i| {
                let s = &model.stages[*i];
                s.kind == StageKind::Image || (s.target_only && !needs(model, *i, last))
            })
            .collect();
        (roots, last)
    };

    let mut args = model.args.clone();
    for (name, value) in &selection.args {
        match args.iter_mut().find(|a| &a.name == name) {
            Some(a) => *a = ir::ArgDef::literal(name.clone(), Some(value.clone())),
            None => {
                return Err(unknown(
                    "arg",
                    name,
                    model.args.iter().map(|a| a.name.clone()).collect(),
                ));
            }
        }
    }

    let order = dependency_order(model, &roots, last);
    let mut new_id = vec![usize::MAX; model.stages.len()];
    for (n, old) in order.iter().enumerate() {
        new_id[*old] = n;
    }
    let remap = |id: StageId| StageId(new_id[id.0]);
    let stages = order
        .iter()
        .map(|old| {
            let mut stage = model.stages[*old].clone();
            remap_stage(&mut stage, &remap);
            if let (Some(p), Base::Image(_), None) =
                (&selection.platform, &stage.base, &stage.platform)
            {
                stage.platform = Some(Word::text(p.to_string()));
            }
            stage
        })
        .collect::<Vec<_>>();
    Ok(Build {
        args,
        target: StageId(stages.len().saturating_sub(1)),
        stages,
        context_ignore: model.context_ignore.clone(),
        dockerfile: ir::DockerfileOptions {
            syntax: if selection.no_syntax {
                None
            } else {
                model.syntax.clone()
            },
        },
    })
}

/// Whether stage `from` needs stage `to` (through any chain of dependencies).
fn needs(model: &Model, from: usize, to: usize) -> bool {
    let mut seen = vec![false; model.stages.len()];
    let mut todo = vec![from];
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        for d in model.stages[i].dependencies() {
            if d.0 == to {
                return true;
            }
            todo.push(d.0);
        }
    }
    false
}

/// Stages reachable from `roots`, each after its dependencies, `last` last;
/// among stages ready at the same time, the one declared first.
fn dependency_order(model: &Model, roots: &[usize], last: usize) -> Vec<usize> {
    let n = model.stages.len();
    let deps: Vec<Vec<usize>> = model
        .stages
        .iter()
        .map(|s| s.dependencies().iter().map(|d| d.0).collect())
        .collect();
    let mut wanted = vec![false; n];
    let mut todo: Vec<usize> = roots.to_vec();
    while let Some(i) = todo.pop() {
        if !std::mem::replace(&mut wanted[i], true) {
            todo.extend(&deps[i]);
        }
    }
    let mut done = vec![false; n];
    let mut order = Vec::new();
    let total = wanted.iter().filter(|w| **w).count();
    while order.len() < total {
        let ready = (0..n).find(|i| {
            wanted[*i]
                && !done[*i]
                && (*i != last || order.len() + 1 == total)
                && deps[*i].iter().all(|d| done[*d])
        });
        match ready {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            // Unreachable for an acyclic model; stop rather than loop.
            None => break,
        }
    }
    order
}

fn remap_stage(stage: &mut ir::Stage, remap: &impl Fn(StageId) -> StageId) {
    if let Base::Stage(id) = &mut stage.base {
        *id = remap(*id);
    }
    for step in &mut stage.steps {
        for source in step.kind.sources_mut() {
            if let Source::Stage { id, .. } = source {
                *id = remap(*id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_only_stage_on_the_final_image_leaves_it_last() {
        let spec = "msbc 1\nstage build from=\"alpine:3.20\" {\n    run \"true\"\n}\nimage app from=\"alpine:3.20\" {\n    copy from=build \"/x\" to=\"/x\"\n    user \"1\"\n}\nstage check from=app target-only=#true {\n    run \"true\"\n}\nstage lint from=build target-only=#true {\n    run \"true\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        assert!(
            !checked.diagnostics.has_errors(),
            "{:?}",
            checked.diagnostics
        );
        let Some(model) = checked.model else {
            panic!("no model")
        };
        let names = |b: &Build| b.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        let build = select(&model, &Selection::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(&build), ["build", "lint", "app"]);
        let target = Selection {
            target: Some("check".to_string()),
            ..Selection::default()
        };
        let build = select(&model, &target).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(names(&build), ["build", "app", "check"]);
    }
}
