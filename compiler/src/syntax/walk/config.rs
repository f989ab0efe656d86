//! Steps that set the image config: `env`, `label`, `expose`, `entrypoint`/`cmd`/`shell` (exec form), `healthcheck`, `volume`, `stopsignal`.

use super::*;

pub(super) fn walk_env_pairs(node: &KdlNode, diags: &mut Diagnostics) -> Vec<(Ident, Interp)> {
    let r = NodeReader::new(node, &[], diags);
    let mut out = Vec::new();
    for entry in node.entries() {
        let Some(key) = entry.name() else {
            diags.push(
                Diagnostic::new(
                    Code::UnexpectedArgument,
                    "`env` takes `NAME=\"value\"` pairs",
                )
                .label(Span::from(entry.span()), "a value without a name")
                .help("write `env NAME=\"value\"`"),
            );
            continue;
        };
        let ident = Ident {
            name: key.value().to_string(),
            span: Span::from(key.span()),
        };
        if !is_env_name(&ident.name) {
            diags.push(
                Diagnostic::new(Code::InvalidName, format!("`{}` is not a valid variable name", ident.name.escape_debug()))
                    .label(ident.span, "invalid name")
                    .help("variable names hold no whitespace, `=` or quotes; usually letters, digits and `_`"),
            );
        }
        let value = match entry.value() {
            KdlValue::String(s) => to_str(entry, s),
            KdlValue::Integer(_) | KdlValue::Float(_) | KdlValue::Bool(_) => {
                let text = value_text(entry);
                to_str(entry, &text)
            }
            other => {
                diags.push(wrong_type(entry, "an env value", "a string", other));
                continue;
            }
        };
        // A duplicate key on one node is reported by the reader.
        if out
            .iter()
            .any(|(k, _): &(Ident, Interp)| k.name == ident.name)
        {
            continue;
        }
        reject_unrepresentable(&value, "an env value", diags);
        if let Ok(v) = interp::parse(&value).map_err(|d| diags.push(d)) {
            out.push((ident, v));
        }
    }
    if out.is_empty() && node.entries().is_empty() {
        diags.push(missing(
            &r,
            "`env` needs at least one `NAME=\"value\"`",
            "write `env NAME=\"value\"`",
        ));
    }
    no_children(node, diags);
    out
}

/// The text of a scalar entry as written (`8080`, `#true` reads as `true`).
pub(super) fn value_text(entry: &kdl::KdlEntry) -> String {
    match entry.value() {
        KdlValue::String(s) => s.clone(),
        KdlValue::Integer(n) => n.to_string(),
        KdlValue::Float(_) => entry
            .format()
            .map(|f| f.value_repr.clone())
            .unwrap_or_default(),
        KdlValue::Bool(b) => b.to_string(),
        KdlValue::Null => String::new(),
    }
}

pub(super) fn walk_labels(node: &KdlNode, diags: &mut Diagnostics) -> Vec<(Str, Interp)> {
    let mut r = NodeReader::new(node, &[], diags);
    let mut out = Vec::new();
    let args = r.arg_count();
    if args > 0 {
        // `label "key" "value"`
        let key = r.req_str(0, "a label key", diags);
        let value = r.req_str(1, "a label value", diags);
        if let (Some(k), Some(v)) = (key, value) {
            out.push((k, v));
        }
    }
    let mut pairs = Vec::new();
    for entry in node.entries() {
        if let Some(key) = entry.name() {
            let key_str = Str {
                value: key.value().to_string(),
                span: Span::from(key.span()),
                content_start: None,
            };
            if pairs
                .iter()
                .any(|(k, _): &(Str, Str)| k.value == key_str.value)
            {
                continue;
            }
            match entry.value() {
                KdlValue::String(s) => pairs.push((key_str, to_str(entry, s))),
                KdlValue::Integer(_) | KdlValue::Float(_) | KdlValue::Bool(_) => {
                    let text = value_text(entry);
                    pairs.push((key_str, to_str(entry, &text)))
                }
                other => diags.push(wrong_type(entry, "a label value", "a string", other)),
            }
        }
    }
    out.extend(pairs);
    if out.is_empty() && node.entries().is_empty() {
        diags.push(missing(
            &r,
            "`label` needs a key and a value",
            "write `label \"org.opencontainers.image.source\" \"https://...\"`",
        ));
    }
    no_children(node, diags);
    r.allow_args(2);
    finish_ignoring_props(r, diags);
    let mut interps = Vec::new();
    for (k, v) in out {
        reject_unrepresentable(&k, "a label key", diags);
        if let Some(pos) = k.value.find('=') {
            diags.push(
                Diagnostic::new(Code::UnrepresentableValue, "a label key cannot contain `=`")
                    .label(k.sub_span(pos, pos + 1), "BuildKit splits the key here")
                    .help("BuildKit reads `LABEL key=value` up to the first `=`, even inside quotes; rename the key"),
            );
        }
        reject_unrepresentable(&v, "a label value", diags);
        if let Ok(i) = interp::parse(&v).map_err(|d| diags.push(d)) {
            interps.push((k, i));
        }
    }
    interps
}

/// Finishes a reader whose properties are free-form (env, label).
pub(super) fn finish_ignoring_props(r: NodeReader<'_>, diags: &mut Diagnostics) {
    let mut scratch = Diagnostics::new();
    r.finish(&mut scratch);
    for d in scratch.iter() {
        if d.code != Code::UnknownProperty {
            diags.push(d.clone());
        }
    }
}

pub(super) fn walk_expose(node: &KdlNode, diags: &mut Diagnostics) -> Vec<Port> {
    let mut r = NodeReader::new(node, &[], diags);
    r.allow_args(usize::MAX);
    let mut ports = Vec::new();
    for i in 0..r.arg_count() {
        let Some(entry) = r.arg_entry(i) else {
            continue;
        };
        let result = match entry.value() {
            KdlValue::Integer(n) => port::from_integer(*n, &to_str(entry, &n.to_string())),
            KdlValue::String(s) => port::parse(&to_str(entry, s)),
            other => Err(wrong_type(
                entry,
                "a port",
                "an integer or a string such as \"53/udp\"",
                other,
            )),
        };
        match result {
            Ok(p) => ports.push(p),
            Err(d) => diags.push(d),
        }
    }
    if r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`expose` needs a port",
            "write `expose 8080` or `expose \"53/udp\"`",
        ));
    }
    no_children(node, diags);
    r.finish(diags);
    ports
}

/// `entrypoint`, `cmd`, `shell`: one or more strings, exec form.
pub(super) fn exec_form(node: &KdlNode, diags: &mut Diagnostics) -> Option<Vec<Str>> {
    let mut r = NodeReader::new(node, &[], diags);
    let args = r.rest_strs(0, "an argument", diags);
    no_children(node, diags);
    if r.arg_count() == 0 {
        let name = node.name().value();
        diags.push(missing(
            &r,
            &format!("`{name}` needs a program"),
            &format!("write `{name} \"/usr/local/bin/app\" \"--flag\"`"),
        ));
    }
    r.finish(diags);
    (!args.is_empty()).then_some(args)
}

pub(super) fn walk_healthcheck(
    node: &KdlNode,
    diags: &mut Diagnostics,
) -> Option<Option<Healthcheck>> {
    let mut r = NodeReader::new(node, docs::HEALTHCHECK.props, diags);
    if let Some(first) = r.arg_entry(0)
        && matches!(first.value(), KdlValue::Null)
    {
        r.allow_args(1);
        no_children(node, diags);
        r.finish(diags);
        return Some(None);
    }
    let command = r.rest_strs(0, "a command", diags);
    let dur = |key: &'static str, r: &mut NodeReader<'_>, diags: &mut Diagnostics| {
        r.str_prop(key, diags)
            .and_then(|s| duration::parse(&s).map_err(|d| diags.push(d)).ok())
    };
    let interval = dur("interval", &mut r, diags);
    let timeout = dur("timeout", &mut r, diags);
    let start_period = dur("start-period", &mut r, diags);
    let start_interval = dur("start-interval", &mut r, diags);
    let retries = r
        .int_prop("retries", diags)
        .and_then(|(n, span)| match u32::try_from(n) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`retries` must be a positive integer, not {n}"),
                    )
                    .label(span, "not a positive integer"),
                );
                None
            }
        });
    no_children(node, diags);
    if r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`healthcheck` needs a command, or `#null` to disable it",
            "write `healthcheck \"/app/healthcheck\"` or `healthcheck #null`",
        ));
    }
    r.finish(diags);
    for c in &command {
        if command.len() == 1 {
            reject_unrepresentable(c, "a healthcheck command", diags);
        }
    }
    (!command.is_empty()).then_some(Some(Healthcheck {
        command,
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
    }))
}

pub(super) fn check_signal(s: &Str, diags: &mut Diagnostics) -> bool {
    let v = &s.value;
    let ok = (v.starts_with("SIG")
        && v.len() > 3
        && v[3..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '-'))
        || (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()));
    if !ok {
        diags.push(
            Diagnostic::new(Code::InvalidValue, format!("`{v}` is not a signal"))
                .label(s.span, "not a signal")
                .help("write a signal name such as `SIGTERM` or `SIGQUIT`, or its number"),
        );
    }
    ok
}

pub(super) fn walk_volume(node: &KdlNode, diags: &mut Diagnostics) -> Option<StepKind> {
    let mut r = NodeReader::new(node, &[], diags);
    let paths = r.rest_strs(0, "a volume path", diags);
    for p in &paths {
        reject_unrepresentable(p, "a volume path", diags);
    }
    let vols: Vec<Interp> = paths
        .iter()
        .filter_map(|s| interp::parse(s).map_err(|d| diags.push(d)).ok())
        .collect();
    if vols.is_empty() && r.arg_count() == 0 {
        diags.push(missing(
            &r,
            "`volume` needs a path",
            "write `volume \"/data\"`",
        ));
    }
    no_children(node, diags);
    r.finish(diags);
    Some(StepKind::Config(ConfigStep::Volume { paths: vols }))
}

pub(super) fn walk_stopsignal(node: &KdlNode, diags: &mut Diagnostics) -> Option<StepKind> {
    let mut r = NodeReader::new(node, &[], diags);
    let sig = r.req_str(0, "a signal", diags);
    no_children(node, diags);
    r.finish(diags);
    sig.filter(|s| check_signal(s, diags))
        .map(|s| StepKind::Config(ConfigStep::StopSignal { signal: s }))
}
