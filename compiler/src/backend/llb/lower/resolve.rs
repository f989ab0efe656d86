//! Words and args: `${NAME}` resolved in a stage's env or the global
//! scope, args with their values (a required arg without one is an error),
//! a stage's platform and image references.

use super::super::platform::Platform;
use super::{Error, ErrorKind, Lowering, State};
use crate::ir::{Stage, VarSource, Word};

impl Lowering<'_> {
    /// The value of a declared arg (after `--arg`), or an error for a
    /// required arg without one.
    pub(super) fn arg_value(&self, name: &str, line: usize) -> Result<String, Error> {
        if let Some(v) = self.platforms.get(name) {
            if self.build.arg(name).is_none() {
                return Ok(v);
            }
        }
        match self.build.arg(name) {
            Some(a) if a.default.is_some() => Ok(a.value(&self.build.args).unwrap_or_default()),
            // Not passed: unset (empty where a word names it), as BuildKit.
            Some(a) if a.unset() => Ok(String::new()),
            Some(_) => Err(self.error(
                line,
                ErrorKind::MissingArg,
                format!(
                    "arg `{name}` is required (declared without a default) and has no value; LLB resolves args when msbc runs: pass `--arg {name}=VALUE`"
                ),
            )),
            None => Err(self.error(
                line,
                ErrorKind::Internal,
                format!("internal error: unknown arg `{name}`"),
            )),
        }
    }

    /// Resolves `word` in a stage (`env`: its environment) or, with `None`,
    /// in the global scope of image references and platforms.
    pub(super) fn resolve(
        &self,
        word: &Word,
        env: Option<&State>,
        line: usize,
    ) -> Result<String, Error> {
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

    pub(super) fn stage_platform(&self, stage: &Stage) -> Result<Platform, Error> {
        match &stage.platform {
            Some(word) => {
                let text = self.resolve(word, None, stage.line)?;
                Platform::parse(&text).map_err(|e| {
                    self.error(
                        stage.line,
                        ErrorKind::Platform,
                        format!("{}; {}", e.message, e.help),
                    )
                })
            }
            None => Ok(self.platforms.target.clone()),
        }
    }

    // ---- sources --------------------------------------------------------

    pub(super) fn normalize(&self, text: &str, line: usize) -> Result<String, Error> {
        crate::domain::image_ref::normalize(text).map_err(|e| {
            self.error(
                line,
                ErrorKind::ImageReference,
                format!("invalid image reference `{text}`: {e}"),
            )
        })
    }
}
