//! A [`Proposal`] as `build.kdl` text, and what an existing spec says
//! differently ([`compare`], for `msbc init --check`).

use super::{Proposal, Setting, Value};
use crate::kdl_write::quoted;

/// The spec `msbc init` writes: a comment on each choice, then the `use`.
pub fn render(p: &Proposal) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "// Written by `msbc init` from {} (the `{}` preset). Each choice says where it was read;\n",
        clean(&p.found_by),
        p.preset
    ));
    out.push_str(&format!(
        "// `msbc presets {}` lists every parameter, `msbc init --check` what has changed since.\n",
        p.preset
    ));
    for d in &p.detected_by_preset {
        out.push_str(&format!("// Found by the preset itself: {}.\n", clean(d)));
    }
    for n in &p.notes {
        out.push_str(&format!("// To check: {}.\n", clean(n)));
    }
    out.push_str("msbc 1\n");
    let context = match &p.context {
        Some(dir) => {
            out.push_str(
                "\n// The build context is the workspace's root: build with `-f` from there.\n",
            );
            format!("context {}", quoted(dir))
        }
        None => "context".to_string(),
    };
    if !p.ignore.is_empty() {
        if p.context.is_none() {
            out.push('\n');
        }
        out.push_str("// The patterns of .dockerignore, which the spec now keeps.\n");
        out.push_str(&format!("{context} {{\n"));
        for pattern in &p.ignore {
            out.push_str(&format!("    ignore {}\n", quoted(pattern)));
        }
        out.push_str("}\n");
    } else if p.context.is_some() {
        out.push_str(&format!("{context}\n"));
    }
    out.push('\n');
    for s in &p.properties {
        out.push_str(&format!("// {}: {}\n", s.name, clean(&s.why)));
    }
    out.push_str(&format!("use {}", p.preset));
    for s in &p.properties {
        out.push_str(&format!(" {}={}", s.name, values(&s.values)));
    }
    if p.children.is_empty() {
        out.push('\n');
        return out;
    }
    out.push_str(" {\n");
    for s in &p.children {
        out.push_str(&format!("    // {}\n", clean(&s.why)));
        out.push_str(&format!("    {} {}\n", s.name, values(&s.values)));
    }
    out.push_str("}\n");
    out
}

fn values(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| match v {
            Value::Str(s) => quoted(s),
            Value::Int(n) => n.to_string(),
            Value::Bool(b) => format!("#{b}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of a comment: no line breaks or other control characters.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What the spec `existing` says differently from a fresh proposal: a line
/// per parameter whose value differs, or that a fresh init would add; the
/// user's own additions (parameters init does not decide) are left alone.
pub fn compare(existing: &str, p: &Proposal) -> Result<Vec<String>, String> {
    let doc: kdl::KdlDocument = existing
        .parse()
        .map_err(|_| "the spec is not valid KDL: run `msbc check` first".to_string())?;
    let Some(node) = doc.nodes().iter().find(|n| n.name().value() == "use") else {
        return Ok(vec![format!(
            "the spec uses no preset; a fresh init would write `use {}`",
            p.preset
        )]);
    };
    let preset = node
        .entries()
        .iter()
        .find(|e| e.name().is_none())
        .and_then(|e| e.value().as_string())
        .unwrap_or_default();
    if preset != p.preset {
        return Ok(vec![format!(
            "the spec uses `{preset}`; the project now looks like `{}` ({})",
            p.preset, p.found_by
        )]);
    }
    let mut out = Vec::new();
    for s in &p.properties {
        let have = node
            .entries()
            .iter()
            .filter(|e| e.name().map(|n| n.value()) == Some(s.name.as_str()))
            .map(|e| e.value().to_string())
            .collect::<Vec<_>>();
        differ(s, &have, &mut out);
    }
    let children = node.children().map(|c| c.nodes()).unwrap_or_default();
    for s in &p.children {
        let have: Vec<String> = children
            .iter()
            .filter(|c| c.name().value() == s.name)
            .flat_map(|c| c.entries().iter().filter(|e| e.name().is_none()))
            .map(|e| e.value().to_string())
            .collect();
        differ(s, &have, &mut out);
    }
    Ok(out)
}

fn differ(s: &Setting, have: &[String], out: &mut Vec<String>) {
    let want: Vec<String> = s
        .values
        .iter()
        .map(|v| match v {
            Value::Str(x) => format!("{x:?}"),
            Value::Int(n) => n.to_string(),
            Value::Bool(b) => format!("#{b}"),
        })
        .collect();
    // kdl prints a string value quoted: compare the texts.
    let unquote = |v: &String| v.trim_matches('"').to_string();
    let same = have.len() == want.len()
        && have
            .iter()
            .zip(&want)
            .all(|(h, w)| unquote(h) == unquote(w));
    if same {
        return;
    }
    let want_text = values(&s.values);
    if have.is_empty() {
        out.push(format!(
            "`{} {want_text}` would be added: {}",
            s.name, s.why
        ));
    } else {
        out.push(format!(
            "`{}` is {} in the spec; the project now says {want_text}: {}",
            s.name,
            have.join(" "),
            s.why
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go() -> Proposal {
        Proposal {
            preset: "go".into(),
            found_by: "go.mod".into(),
            children: vec![
                Setting::new(
                    "main",
                    vec![Value::Str("./cmd/api".into())],
                    "cmd/api/main.go",
                ),
                Setting::new(
                    "port",
                    vec![Value::Int(8080)],
                    "cmd/api/main.go: `\":8080\"`",
                ),
            ],
            notes: vec!["line one\nline two".into()],
            ignore: vec!["local-dump.sql".into()],
            ..Proposal::default()
        }
    }

    #[test]
    fn the_spec_checks_and_is_formatted() {
        let text = render(&go());
        let checked = crate::compile::check(text.as_bytes());
        assert!(!checked.diagnostics.has_errors(), "{text}");
        assert_eq!(
            crate::editor::fmt::format(&text).ok().as_deref(),
            Some(text.as_str())
        );
        assert!(text.contains("// To check: line one line two.\n"), "{text}");
    }

    #[test]
    fn check_reports_what_changed_and_leaves_the_rest() {
        let p = go();
        assert_eq!(compare(&render(&p), &p), Ok(vec![]));
        let edited =
            "msbc 1\nuse go {\n    main \"./cmd/api\"\n    port 9090\n    healthcheck \"x\"\n}\n";
        let changes = compare(edited, &p).expect("compares");
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(changes[0].starts_with("`port` is 9090 in the spec; the project now says 8080"));
        let other = "msbc 1\nuse node\n";
        assert!(compare(other, &p).expect("compares")[0].contains("now looks like `go`"));
    }
}
