//! A base image that `msbc.lock` pins and whose reference names args
//! (`golang:${GO_VERSION}-bookworm`): the Dockerfile pulls the locked
//! digest while those args keep their defaults, and the reference they
//! make when one is given with `--build-arg`, unpinned. A Dockerfile
//! cannot compare an arg with its default, so it asks whether the arg was
//! given at all: a global `ARG NAME` without a default, declared before
//! the one with the default, is empty unless `--build-arg NAME=...` set it.
//!
//! ```dockerfile
//! ARG GO_VERSION
//! ARG MSBC_LOCKED_DEPS=${GO_VERSION:+golang:${GO_VERSION:-1.23}-bookworm}
//! ARG GO_VERSION=1.23
//! FROM ${MSBC_LOCKED_DEPS:-golang:1.23-bookworm@sha256:...} AS deps
//! ```
//!
//! With several args, each given one sets the helper (`${A:+...}`, then
//! `${MSBC_LOCKED_X:-${B:+...}}`). BuildKit's Dockerfile frontend and
//! Docker 20.10's built-in one both read it so. An arg given with its
//! default value counts as given (the image is then pulled by tag).

use crate::ir::{ArgDef, Base, Stage, VarSource, Word, WordPart};
use std::collections::BTreeSet;

/// How one stage's base is written: the helper arg, its lines, and the
/// args it asks about.
pub(super) struct Locked {
    /// `MSBC_LOCKED_<STAGE>`.
    pub name: String,
    /// The pinned reference (`golang:1.23-bookworm@sha256:...`).
    pub pinned: String,
    /// The `ARG` lines that set the helper, after the bare declarations.
    pub lines: Vec<String>,
    /// The args the reference names (directly or through defaults).
    pub args: BTreeSet<String>,
}

/// The scheme for `stage`, when its base is pinned with args in it; `None`
/// otherwise, or when the reference cannot be written in a `${...:-...}`
/// (then the pinned reference is written as it is).
pub(super) fn locked(stage: &Stage, args: &[ArgDef]) -> Option<Locked> {
    let (Base::Image(word), Some(pinned)) = (&stage.base, &stage.pinned) else {
        return None;
    };
    let mut names = BTreeSet::new();
    let reference = effective(word, args, &mut names, 0)?;
    let name = format!(
        "MSBC_LOCKED_{}",
        stage
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            })
            .collect::<String>()
    );
    // In the order the build declares them, so the output is stable.
    let ordered: Vec<&str> = args
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| names.contains(*n))
        .collect();
    let mut lines = Vec::new();
    for (i, arg) in ordered.iter().enumerate() {
        lines.push(if i == 0 {
            format!("ARG {name}=${{{arg}:+{reference}}}")
        } else {
            format!("ARG {name}=${{{name}:-${{{arg}:+{reference}}}}}")
        });
    }
    Some(Locked {
        name,
        pinned: pinned.clone(),
        lines,
        args: names,
    })
}

/// `word` with each arg written `${NAME:-<its default>}` (defaults that
/// name earlier args written the same way), and the args it names; `None`
/// when a part cannot be written so (a character that ends or starts an
/// expansion, a platform arg, an arg without a default).
fn effective(
    word: &Word,
    args: &[ArgDef],
    names: &mut BTreeSet<String>,
    depth: usize,
) -> Option<String> {
    if depth > args.len() {
        return None;
    }
    let plain = |t: &str| {
        !t.chars()
            .any(|c| c.is_whitespace() || "${}\"'\\`".contains(c))
    };
    let mut out = String::new();
    for part in &word.0 {
        match part {
            WordPart::Text { text } if plain(text) => out.push_str(text),
            WordPart::Var {
                name,
                default: None,
                source: VarSource::Arg,
            } => {
                let arg = args.iter().find(|a| &a.name == name)?;
                let default = match (&arg.default_word, &arg.default) {
                    (Some(w), _) => effective(w, args, names, depth + 1)?,
                    (None, Some(d)) if plain(d) => d.clone(),
                    _ => return None,
                };
                names.insert(name.clone());
                out.push_str(&format!("${{{name}:-{default}}}"));
            }
            _ => return None,
        }
    }
    Some(out)
}
