//! `publish`: each image's repository, tags and platforms, from its own
//! `publish IMAGE` over the spec's `publish` for every image (a platform
//! template's registry, say). Checked: the image exists, every `${NAME}`
//! is a declared arg (tags are known before the build: no platform args).

use super::steps::arg_word;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, Word, WordPart};
use crate::syntax::ast::{Document, Interp, PublishDecl, StageDecl, StageKind};

/// Where one image is pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The image's name in the spec.
    pub image: String,
    /// `None`: no `registry=`/`repository=` applies (nothing to push to).
    pub repository: Option<Word>,
    /// As written (`${ARG}`s kept); empty: none written.
    pub tags: Vec<Word>,
    /// The platforms, written out; empty: none written (the image's
    /// `platform=`, if any, is in its stage).
    pub platforms: Vec<String>,
}

/// One [`Published`] per image of `stages`, in declaration order.
pub(super) fn resolve(
    doc: &Document,
    stages: &[StageDecl],
    args: &[ir::ArgDef],
    diags: &mut Diagnostics,
) -> Vec<Published> {
    let images: Vec<&str> = stages
        .iter()
        .filter(|s| s.kind == StageKind::Image)
        .map(|s| s.name.name.as_str())
        .collect();
    let arg_names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
    for p in &doc.publish {
        if let Some(name) = &p.image
            && !images.contains(&name.name.as_str())
        {
            let stage = stages.iter().any(|s| s.name.name == name.name);
            let message = if stage {
                format!(
                    "`{}` is a stage, not an image: only images are published",
                    name.name
                )
            } else {
                format!("`publish {}` names no image", name.name)
            };
            diags.push(
                Diagnostic::new(Code::UnknownStage, message)
                    .label(name.span, "not an image")
                    .suggest_or(
                        &name.name,
                        images.iter().copied(),
                        format!("images here: {}", images.join(", ")),
                    ),
            );
        }
        for value in p.registry.iter().chain(&p.repository).chain(&p.tags) {
            check_vars(value, &arg_names, diags);
        }
    }
    let every = doc.publish.iter().find(|p| p.image.is_none());
    images
        .iter()
        .map(|image| {
            let own = doc
                .publish
                .iter()
                .find(|p| p.image.as_ref().is_some_and(|i| i.name == *image));
            published(image, own, every)
        })
        .collect()
}

fn published(image: &str, own: Option<&PublishDecl>, every: Option<&PublishDecl>) -> Published {
    let layers = || own.into_iter().chain(every);
    let repository = layers().find_map(|p| {
        p.repository.as_ref().map(word_of_args).or_else(|| {
            p.registry.as_ref().map(|r| {
                let mut w = word_of_args(r);
                w.0.push(WordPart::Text {
                    text: format!("/{image}"),
                });
                w
            })
        })
    });
    let tags = layers()
        .map(|p| &p.tags)
        .find(|t| !t.is_empty())
        .map(|t| t.iter().map(word_of_args).collect())
        .unwrap_or_default();
    let platforms = layers()
        .map(|p| &p.platforms)
        .find(|p| !p.is_empty())
        .map(|p| p.iter().map(|s| s.value.clone()).collect())
        .unwrap_or_default();
    Published {
        image: image.to_string(),
        repository,
        tags,
        platforms,
    }
}

/// Every `${NAME}` names a declared arg.
fn check_vars(value: &Interp, args: &[&str], diags: &mut Diagnostics) {
    for (name, span) in value.vars() {
        if args.contains(&name) {
            continue;
        }
        let platform = super::PLATFORM_ARGS.contains(&name);
        diags.push(
            Diagnostic::new(
                Code::UnknownVariable,
                format!("`${{{name}}}` in `publish` names no arg"),
            )
            .label(
                span,
                if platform {
                    "a platform arg"
                } else {
                    "unknown arg"
                },
            )
            .suggest_or(
                name,
                args.iter().copied(),
                if platform {
                    "a published name is known before the build, for every platform: use an arg"
                        .to_string()
                } else {
                    format!("declare it: `arg {name} \"default\"`")
                },
            ),
        );
    }
}

/// A `publish` value as a word: its variables are args (platform args mean
/// nothing to a tag: one is written for every platform).
fn word_of_args(value: &Interp) -> Word {
    arg_word(value, |_| ir::VarSource::Arg)
}

#[cfg(test)]
mod tests {
    use crate::compile;

    fn check(spec: &str) -> compile::Checked {
        compile::check(spec.as_bytes())
    }

    fn codes(spec: &str) -> Vec<(String, String, Option<String>)> {
        check(spec)
            .diagnostics
            .iter()
            .map(|d| (d.code.to_string(), d.message.clone(), d.help.clone()))
            .collect()
    }

    const IMAGE: &str = "image api from=\"alpine:3.20\" {\n    user \"10001\"\n}\nimage worker from=\"alpine:3.20\" {\n    user \"10001\"\n}\n";

    #[test]
    fn an_images_own_publish_overrides_the_spec_wide_one_field_by_field() {
        let spec = format!(
            "msbc 1\narg VERSION \"1.2.3\"\npublish registry=\"registry.example.com/team\" {{\n    tag \"${{VERSION}}\" \"latest\"\n    platform \"linux/amd64\" \"linux/arm64\"\n}}\npublish worker repository=\"ghcr.io/acme/jobs\" {{\n    tag \"edge\"\n}}\n{IMAGE}"
        );
        let checked = check(&spec);
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        let model = checked.model.expect("a model");
        let shown: Vec<(String, String, Vec<String>, Vec<String>)> = model
            .publish
            .iter()
            .map(|p| {
                (
                    p.image.clone(),
                    p.repository
                        .as_ref()
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                    p.tags.iter().map(|t| t.to_string()).collect(),
                    p.platforms.clone(),
                )
            })
            .collect();
        let both = vec!["linux/amd64".to_string(), "linux/arm64".to_string()];
        assert_eq!(
            shown,
            [
                (
                    "api".to_string(),
                    "registry.example.com/team/api".to_string(),
                    vec!["${VERSION}".to_string(), "latest".to_string()],
                    both.clone()
                ),
                (
                    "worker".to_string(),
                    "ghcr.io/acme/jobs".to_string(),
                    vec!["edge".to_string()],
                    both
                ),
            ]
        );
    }

    #[test]
    fn an_unknown_arg_in_a_tag_is_e0205_with_a_suggestion() {
        let d = codes(&format!(
            "msbc 1\narg VERSION \"1\"\npublish api registry=\"r.example.com\" {{\n    tag \"v${{VERSON}}\"\n}}\n{IMAGE}"
        ));
        assert!(
            d.iter().any(|(c, m, h)| c == "E0205"
                && m.contains("`${VERSON}` in `publish`")
                && h.as_deref() == Some("did you mean `VERSION`?")),
            "{d:?}"
        );
    }

    #[test]
    fn publish_of_a_misspelled_image_is_e0202_with_a_suggestion() {
        let d = codes(&format!(
            "msbc 1\npublish apu registry=\"r.example.com\"\n{IMAGE}"
        ));
        assert!(
            d.iter()
                .any(|(c, _, h)| c == "E0202" && h.as_deref() == Some("did you mean `api`?")),
            "{d:?}"
        );
    }

    #[test]
    fn shape_errors_are_located_and_coded() {
        let cases = [
            (
                "publish api repository=\"r.example.com/api:1\"",
                "E0302",
                "names a tag",
            ),
            (
                "publish api registry=\"r.example.com\" repository=\"r.example.com/api\"",
                "E0108",
                "not both",
            ),
            (
                "publish repository=\"r.example.com/api\"",
                "E0104",
                "names no image",
            ),
            (
                "publish api {\n    tag \"-x\"\n}",
                "E0302",
                "not a valid tag",
            ),
            (
                "publish api {\n    tag \"v 1\"\n}",
                "E0302",
                "not a valid tag",
            ),
            (
                "publish api {\n    platform \"linux/amd46\"\n}",
                "E0307",
                "",
            ),
            (
                "publish api {\n    platform \"${BUILDPLATFORM}\"\n}",
                "E0307",
                "not known before",
            ),
            (
                "publish api {\n    tags \"1\"\n}",
                "E0101",
                "unknown node `tags`",
            ),
            ("publish api\npublish api", "E0201", "declared twice"),
        ];
        for (node, code, message) in cases {
            let d = codes(&format!("msbc 1\n{node}\n{IMAGE}"));
            assert!(
                d.iter().any(|(c, m, _)| c == code && m.contains(message)),
                "{node}: {d:?}"
            );
        }
    }

    #[test]
    fn a_bad_tag_character_is_labelled_after_an_arg() {
        let spec =
            format!("msbc 1\narg V \"1\"\npublish api {{\n    tag \"${{V}}+x\"\n}}\n{IMAGE}");
        let checked = check(&spec);
        let d = checked.diagnostics.iter().next().expect("a diagnostic");
        let label = d.labels.first().expect("a label").span;
        assert_eq!(&spec[label.start..label.end], "+");
    }
}
