//! `publish [IMAGE] registry=|repository= { tag ...; platform ... }`: where
//! an image is pushed. The shape is checked here (a repository without a
//! tag, tags made of tag characters, known platforms, one `publish` per
//! image); `lower` checks the image name and the `${ARG}`s.

use super::*;

pub(super) fn walk_publish(node: &KdlNode, out: &mut Document, diags: &mut Diagnostics) {
    let mut r = NodeReader::new(node, docs::PUBLISH.props, diags);
    let image = if r.arg_count() > 0 {
        r.req_ident("an image name", diags)
    } else {
        None
    };
    let registry = r
        .str_prop("registry", diags)
        .and_then(|s| repository(&s, true, diags));
    let repository = r
        .str_prop("repository", diags)
        .and_then(|s| repository(&s, false, diags));
    if let (Some(g), Some(p)) = (r.prop_span("registry"), r.prop_span("repository")) {
        diags.push(
            Diagnostic::new(
                Code::ConflictingProperties,
                "`publish` takes `registry=` or `repository=`, not both",
            )
            .label(p, "the whole repository")
            .label(g, "so this registry is not used")
            .help("keep `repository=\"host/team/app\"`, or `registry=\"host/team\"` to push to `host/team/IMAGE`"),
        );
    }
    if image.is_none()
        && r.arg_count() == 0
        && let Some(span) = r.prop_span("repository")
    {
        diags.push(
            Diagnostic::new(
                Code::MissingValue,
                "`repository=` names one image's repository, but this `publish` names no image",
            )
            .label(span, "for which image?")
            .help("write `publish IMAGE repository=\"...\"`, or `registry=\"host/team\"` for every image"),
        );
    }
    let mut tags = Vec::new();
    let mut platforms = Vec::new();
    for child in children(node) {
        let mut c = NodeReader::new(child, &[], diags);
        match child.name().value() {
            "tag" => {
                let values = c.rest_strs(0, "a tag", diags);
                if values.is_empty() {
                    diags.push(missing(
                        &c,
                        "`tag` needs a tag",
                        "write `tag \"${VERSION}\" \"latest\"`",
                    ));
                }
                tags.extend(values.iter().filter_map(|t| tag(t, diags)));
            }
            "platform" => {
                let values = c.rest_strs(0, "a platform", diags);
                if values.is_empty() {
                    diags.push(missing(
                        &c,
                        "`platform` needs a platform",
                        "write `platform \"linux/amd64\" \"linux/arm64\"`",
                    ));
                }
                platforms.extend(values.into_iter().filter(|p| published_platform(p, diags)));
            }
            _ => {
                diags.push(unknown_node(
                    child,
                    &child_names(docs::PUBLISH_CHILDREN),
                    "inside `publish`",
                ));
                continue;
            }
        }
        no_children(child, diags);
        c.finish(diags);
    }
    let key = image.as_ref().map(|i| i.name.as_str());
    if let Some(first) = out
        .publish
        .iter()
        .find(|p| p.image.as_ref().map(|i| i.name.as_str()) == key)
    {
        let what = match key {
            Some(name) => format!("`publish {name}` is declared twice"),
            None => "`publish` for every image is declared twice".to_string(),
        };
        diags.push(
            Diagnostic::new(Code::DuplicateName, what)
                .label(r.span(), "declared again here")
                .label(first.span, "first declared here")
                .help("put the repository, tags and platforms in one `publish` block"),
        );
    } else {
        out.publish.push(PublishDecl {
            image,
            registry,
            repository,
            tags,
            platforms,
            span: r.span(),
        });
    }
    r.finish(diags);
}

/// A registry (`host[:port][/path]`) or a repository (`host/path/name`):
/// an image reference without a tag or digest.
fn repository(s: &Str, registry: bool, diags: &mut Diagnostics) -> Option<Interp> {
    // A registry is checked as the repository of an image under it.
    let checked = if registry {
        Str {
            value: format!("{}/app", s.value),
            ..s.clone()
        }
    } else {
        s.clone()
    };
    let parsed = image_ref::parse(&checked)
        .map_err(|d| {
            diags.push(d.help(if registry {
                "a registry is a host with an optional path: `registry.example.com/team`, `127.0.0.1:5000`"
            } else {
                "a repository is a registry host and a path without a tag: `registry.example.com/team/app`"
            }))
        })
        .ok()?;
    if parsed.tag.is_some() || parsed.digest.is_some() {
        let at = s.value.rfind([':', '@']).unwrap_or(0);
        diags.push(
            Diagnostic::new(
                Code::InvalidImageReference,
                format!("`{}` names a tag or digest", s.value),
            )
            .label(s.sub_span(at, s.value.len()), "a tag or digest")
            .help("write the tags in the block: `publish api repository=\"host/team/api\" { tag \"1.2\" }`"),
        );
        return None;
    }
    interp::parse(s).map_err(|d| diags.push(d)).ok()
}

/// A tag: letters, digits, `_`, `.`, `-` (not first: `.` or `-`), at most
/// 128 characters, `${ARG}`s allowed (their values are checked when known).
fn tag(s: &Str, diags: &mut Diagnostics) -> Option<Interp> {
    let value = interp::parse(s).map_err(|d| diags.push(d)).ok()?;
    let mut offset = 0;
    for (i, part) in value.parts.iter().enumerate() {
        let text = match part {
            Part::Lit(text) => text.as_str(),
            Part::Var { span, .. } => {
                offset = span.end.saturating_sub(s.content_start.unwrap_or(0));
                continue;
            }
        };
        let bad = text.char_indices().find(|(j, c)| {
            !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                || (i == 0 && *j == 0 && matches!(c, '.' | '-'))
        });
        if let Some((j, c)) = bad {
            let start = offset + j;
            diags.push(
                Diagnostic::new(Code::InvalidImageReference, format!("`{}` is not a valid tag", s.value))
                    .label(s.sub_span(start, start + c.len_utf8()), "not allowed in a tag")
                    .help("a tag holds letters, digits, `_`, `.` and `-`, and starts with a letter, digit or `_`"),
            );
            return None;
        }
        offset += text.len();
    }
    if value.literal().is_some_and(|t| t.len() > 128) {
        diags.push(
            Diagnostic::new(
                Code::InvalidImageReference,
                "a tag is at most 128 characters",
            )
            .label(s.span, "too long")
            .help("shorten the tag"),
        );
        return None;
    }
    Some(value)
}

/// A platform written out (`linux/arm64`): a published image's platforms
/// are known before the build, so no `${...}`.
fn published_platform(s: &Str, diags: &mut Diagnostics) -> bool {
    match platform::parse(s) {
        Err(d) => {
            diags.push(d);
            false
        }
        Ok(p) if p.literal().is_none() => {
            diags.push(
                Diagnostic::new(Code::InvalidPlatform, format!("`{}` is not known before the build", s.value))
                    .label(s.span, "a platform arg")
                    .help("write the platforms the image is published for: `platform \"linux/amd64\" \"linux/arm64\"`"),
            );
            false
        }
        Ok(_) => true,
    }
}
