//! [`Word`]: a string with `${NAME}` references, and the one resolver of them.

use super::ArgDef;
use schemars::JsonSchema;
use serde::Serialize;

/// A string that may reference variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Word(pub Vec<WordPart>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(rename_all = "lowercase", tag = "type")]
/// A piece of a [`Word`]: literal text or a variable reference.
pub enum WordPart {
    /// Literal text, kept as is.
    Text {
        /// The text.
        text: String,
    },
    /// `${NAME}` or `${NAME:-default}`.
    Var {
        /// The variable.
        name: String,
        /// The text after `:-`, taken when the variable is unset or empty.
        default: Option<String>,
        /// What it names.
        source: VarSource,
    },
}

/// What a variable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VarSource {
    /// A declared `arg`.
    Arg,
    /// A platform arg BuildKit defines (`TARGETARCH`, ...).
    Platform,
    /// An `env` set earlier in the stage chain, or `PATH`.
    Env,
}

impl Word {
    /// A word of plain text.
    pub fn text(s: impl Into<String>) -> Word {
        Word(vec![WordPart::Text { text: s.into() }])
    }

    /// The text, if the word has no variables.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                WordPart::Text { text } => out.push_str(text),
                WordPart::Var { .. } => return None,
            }
        }
        Some(out)
    }

    /// The text with each variable replaced by `lookup(name, source)`;
    /// `${NAME:-default}` takes its default when the value is unset or empty,
    /// as BuildKit does. `None` when a variable has neither. The one
    /// `${NAME}` resolver: see [`Word::try_resolve`] for a lookup that fails.
    pub fn resolve(
        &self,
        mut lookup: impl FnMut(&str, VarSource) -> Option<String>,
    ) -> Option<String> {
        let never: Result<Option<String>, std::convert::Infallible> =
            self.try_resolve(|name, source| Ok(lookup(name, source)));
        match never {
            Ok(v) => v,
            Err(e) => match e {},
        }
    }

    /// [`Word::resolve`] with a lookup that can fail (a required arg with no
    /// value): `Ok(None)` is an unset variable, `Err` a variable that may not
    /// be unset. Either way `${NAME:-default}` takes its default; without one
    /// an unset variable makes the word `Ok(None)` and an error is returned.
    pub fn try_resolve<E>(
        &self,
        mut lookup: impl FnMut(&str, VarSource) -> Result<Option<String>, E>,
    ) -> Result<Option<String>, E> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                WordPart::Text { text } => out.push_str(text),
                WordPart::Var {
                    name,
                    default,
                    source,
                } => {
                    let value = match (lookup(name, *source), default) {
                        (Ok(Some(v)), Some(d)) if v.is_empty() => d.clone(),
                        (Ok(Some(v)), _) => v,
                        (Ok(None) | Err(_), Some(d)) => d.clone(),
                        (Ok(None), None) => return Ok(None),
                        (Err(e), None) => return Err(e),
                    };
                    out.push_str(&value);
                }
            }
        }
        Ok(Some(out))
    }

    /// The text as the build gets it by default: args at their `default`
    /// (after `--arg`), `${NAME:-x}` taking `x` when that is unset or empty.
    /// `None` when a part is not known before the build (a platform arg, an
    /// env variable, a required arg without a default).
    pub fn resolve_args(&self, args: &[ArgDef]) -> Option<String> {
        self.resolve(|name, source| match source {
            VarSource::Arg => args
                .iter()
                .find(|a| a.name == name)
                .and_then(|a| a.value(args)),
            VarSource::Platform | VarSource::Env => None,
        })
    }

    /// The variables the word names, with what each names, in order.
    pub fn vars(&self) -> impl Iterator<Item = (&str, VarSource)> {
        self.0.iter().filter_map(|p| match p {
            WordPart::Var { name, source, .. } => Some((name.as_str(), *source)),
            WordPart::Text { .. } => None,
        })
    }
}

/// The word as written: `${NAME}` and `${NAME:-default}` kept.
impl std::fmt::Display for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.0 {
            match p {
                WordPart::Text { text } => f.write_str(text)?,
                WordPart::Var {
                    name,
                    default: None,
                    ..
                } => write!(f, "${{{name}}}")?,
                WordPart::Var {
                    name,
                    default: Some(d),
                    ..
                } => write!(f, "${{{name}:-{d}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod word_tests {
    use super::{ArgDef, VarSource, Word, WordPart};

    fn var(name: &str, default: Option<&str>) -> WordPart {
        WordPart::Var {
            name: name.into(),
            default: default.map(str::to_string),
            source: VarSource::Arg,
        }
    }

    #[test]
    fn one_resolver_for_every_caller() {
        let w = Word(vec![
            WordPart::Text { text: "a:".into() },
            var("V", Some("x")),
        ]);
        let arg = |d: Option<&str>| vec![ArgDef::literal("V", d.map(str::to_string))];
        assert_eq!(w.resolve_args(&arg(Some(""))).as_deref(), Some("a:x"));
        assert_eq!(w.resolve_args(&arg(Some("y"))).as_deref(), Some("a:y"));
        assert_eq!(w.resolve_args(&arg(None)).as_deref(), Some("a:x"));
        let bare = Word(vec![var("V", None)]);
        assert_eq!(bare.resolve_args(&arg(None)), None);
        assert_eq!(bare.resolve_args(&arg(Some(""))).as_deref(), Some(""));
        // A failing lookup: the default wins, else the error.
        assert_eq!(
            w.try_resolve(|_, _| Err::<Option<String>, _>("required")),
            Ok(Some("a:x".into()))
        );
        assert_eq!(
            bare.try_resolve(|_, _| Err::<Option<String>, _>("required")),
            Err("required")
        );
        assert_eq!(w.to_string(), "a:${V:-x}");
        assert_eq!(bare.to_string(), "${V}");
    }
}
