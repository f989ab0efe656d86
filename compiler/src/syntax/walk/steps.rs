//! The steps of a stage that build its filesystem: `workdir`, `copy`, `run` (its mounts are in `mounts.rs`).

use super::*;

pub(super) fn walk_steps(node: &KdlNode, diags: &mut Diagnostics) -> Vec<Step> {
    let mut steps = Vec::new();
    for child in children(node) {
        let span = Span::from(child.span());
        let kind = match walker(child.name().value()) {
            Some(Walker::Step(walk)) => walk(child, diags),
            Some(Walker::TopLevel(_) | Walker::Mount(_)) | None => {
                diags.push(wrong_node(child, Place::Step));
                None
            }
        };
        if let Some(kind) = kind {
            steps.push(Step { kind, span });
        }
    }
    steps
}

pub(super) fn one_interp(node: &KdlNode, what: &str, diags: &mut Diagnostics) -> Option<Interp> {
    let mut r = NodeReader::new(node, &[], diags);
    let s = r.req_str(0, what, diags);
    no_children(node, diags);
    r.finish(diags);
    let s = s?;
    reject_unrepresentable(&s, what, diags);
    interp::parse(&s).map_err(|d| diags.push(d)).ok()
}

pub(super) fn walk_copy(node: &KdlNode, diags: &mut Diagnostics) -> Option<Copy> {
    let mut r = NodeReader::new(node, docs::COPY.props, diags);
    let from = r.str_prop("from", diags);
    let artifact = r.ident_prop("artifact", diags);
    let to = r.str_prop("to", diags);
    let chown = r
        .str_prop("chown", diags)
        .and_then(|s| perms::parse_chown(&s).map_err(|d| diags.push(d)).ok());
    let chmod = r
        .str_prop("chmod", diags)
        .and_then(|s| perms::parse_chmod(&s).map_err(|d| diags.push(d)).ok());
    let link = r.bool_prop("link", diags);
    let sources = r.rest_strs(0, "a source path", diags);
    no_children(node, diags);
    if let (Some(f), Some(a)) = (r.prop_span("from"), r.prop_span("artifact")) {
        diags.push(
            Diagnostic::new(
                Code::ConflictingProperties,
                "`copy` takes `from=` or `artifact=`, not both",
            )
            .label(a, "the artifact already names its stage")
            .label(f, "so this `from=` conflicts")
            .help("drop `from=`: an artifact knows where it is built"),
        );
    }
    if artifact.is_some() && !sources.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::UnexpectedArgument,
                "`copy artifact=` takes no source paths",
            )
            .label(
                sources[0].span.to(sources[sources.len() - 1].span),
                "source paths",
            )
            .help("the artifact's `path=` is the source; remove these"),
        );
    } else if artifact.is_none() && sources.is_empty() && r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`copy` needs at least one source path",
            "write `copy \"go.mod\" \"go.sum\" to=\"./\"`",
        ));
    }
    if to.is_none() && !r.has_prop("to") {
        diags.push(missing(
            &r,
            "`copy` needs `to=`",
            "write the destination as `to=\"/app/\"`",
        ));
    }
    r.finish(diags);
    for s in sources.iter().chain(to.iter()) {
        reject_unrepresentable(s, "a path", diags);
    }
    let sources: Vec<Interp> = sources
        .iter()
        .filter_map(|s| interp::parse(s).map_err(|d| diags.push(d)).ok())
        .collect();
    let dest = interp::parse(&to?).map_err(|d| diags.push(d)).ok()?;
    let origin = match (artifact, from) {
        (Some(a), _) => CopyOrigin::Artifact(a),
        (None, Some(f)) => CopyOrigin::From(interp::parse(&f).map_err(|d| diags.push(d)).ok()?),
        (None, None) => CopyOrigin::Context,
    };
    Some(Copy {
        sources,
        dest,
        origin,
        chown,
        chmod,
        link,
    })
}

pub(super) fn walk_run(node: &KdlNode, diags: &mut Diagnostics) -> Option<Run> {
    let mut r = NodeReader::new(node, docs::RUN.props, diags);
    // `run "prog" "arg"... exec=#true` is the exec form (no shell).
    let exec = r
        .bool_prop("exec", diags)
        .then(|| r.rest_strs(0, "an argument", diags));
    let script = match &exec {
        Some(args) => match args.first() {
            Some(first) => Some(Str {
                value: args
                    .iter()
                    .map(|a| a.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                span: first.span,
                content_start: None,
            }),
            None => {
                diags.push(missing(
                    &r,
                    "`run exec=#true` needs a program",
                    "write `run \"npm\" \"run\" \"build\" exec=#true`",
                ));
                None
            }
        },
        None if r.arg_count() > 1 && bare_words(&r) => {
            // `run npm ci`: KDL read the words as separate values.
            let words: Vec<&kdl::KdlEntry> =
                (0..r.arg_count()).filter_map(|i| r.arg_entry(i)).collect();
            let command = words
                .iter()
                .filter_map(|e| e.value().as_string())
                .collect::<Vec<_>>()
                .join(" ");
            if let (Some(first), Some(last)) = (words.first(), words.last()) {
                let span = value_span(first).to(value_span(last));
                diags.push(crate::syntax::habits::unquoted(span, &command));
            }
            r.allow_args(r.arg_count());
            None
        }
        None => r.req_str(0, "a script", diags),
    };
    let network = r.str_prop("network", diags).and_then(|s| {
        one_of(&s, &["default", "none", "host"], "network mode", diags).map(|v| match v {
            "none" => Network::None,
            "host" => Network::Host,
            _ => Network::Default,
        })
    });
    let mut mounts = Vec::new();
    for child in children(node) {
        match walker(child.name().value()) {
            Some(Walker::Mount(walk)) => mounts.extend(walk(child, diags)),
            Some(Walker::TopLevel(_) | Walker::Step(_)) | None => {
                diags.push(wrong_node(child, Place::Mount));
            }
        }
    }
    r.finish(diags);
    let script = script?;
    if script.value.trim().is_empty() {
        diags.push(
            Diagnostic::new(Code::MissingValue, "`run` has an empty script")
                .label(script.span, "empty")
                .help("write the command to run, or remove the step"),
        );
        return None;
    }
    Some(Run {
        script,
        exec,
        network,
        mounts,
    })
}

/// Whether every argument of `r` is written as a bare word (no quotes).
fn bare_words(r: &NodeReader<'_>) -> bool {
    (0..r.arg_count()).filter_map(|i| r.arg_entry(i)).all(|e| {
        matches!(e.value(), KdlValue::String(_))
            && e.format()
                .is_some_and(|f| !f.value_repr.starts_with('"') && !f.value_repr.starts_with('#'))
    })
}
