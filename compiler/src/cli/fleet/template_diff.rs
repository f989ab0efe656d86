//! `msbc diff --templates-from NEW DIR...`: what a template upgrade does
//! to every service.

use super::*;

/// One service's result under a template upgrade.
#[derive(Debug, serde::Serialize)]
struct ServiceDiff {
    spec: String,
    changed: bool,
    summary: crate::diff::Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

/// `msbc diff --templates-from NEW DIR...`: each spec with its templates
/// against the same spec with NEW's templates, through the same diff
/// machinery as one spec (`diff::compile_side`, `crate::diff`).
pub(in crate::cli) fn diff_templates(a: &DiffArgs, new_dir: &Path) -> CliResult {
    if !new_dir.is_dir() {
        return Err(format!(
            "--templates-from {}: not a directory",
            new_dir.display()
        ));
    }
    let found = discover(&a.paths)?;
    found_or_usage(&found, &a.paths)?;
    let mut upgraded = a.inputs.templates.clone();
    upgraded.push(new_dir.to_path_buf());
    let results = each(&found.specs, |p| -> Result<ServiceDiff, Failure> {
        let spec = load(p)?.with_context(a.inputs.context.as_deref());
        let fail = |error: String| Failure {
            path: spec.shown.clone(),
            error,
        };
        let old = spec.check(&a.inputs.templates).map_err(fail)?;
        let new = spec.check(&upgraded).map_err(fail)?;
        for (checked, which) in [(&old, "its templates"), (&new, "the new templates")] {
            if checked.diagnostics.has_errors() || checked.model.is_none() {
                return Err(fail(format!(
                    "has {} errors with {which} (run `msbc check {}`)",
                    checked.diagnostics.error_count(),
                    spec.shown
                )));
            }
        }
        let old = diff::compile_side(
            &old,
            format!("{} (current templates)", spec.shown),
            a,
            &spec.name,
        )
        .map_err(fail)?;
        let new = diff::compile_side(
            &new,
            format!("{} (templates from {})", spec.shown, new_dir.display()),
            a,
            &spec.name,
        )
        .map_err(fail)?;
        let mut summary = crate::diff::summarize(&old.build, &new.build);
        if let (Some(o), Some(n)) = (&old.llb, &new.llb) {
            summary.ops = Some(crate::diff::op_changes(o, n));
        }
        let changed = !summary.is_empty() || old.text != new.text;
        let diff = (!a.stat && changed).then(|| {
            crate::diff::unified(
                &old.text,
                &new.text,
                &format!("a/{}", spec.shown),
                &format!("b/{}", spec.shown),
                false,
            )
        });
        Ok(ServiceDiff {
            spec: spec.shown.clone(),
            changed,
            summary,
            diff,
        })
    });
    let mut failures = found.failures.clone();
    let mut services = Vec::new();
    for r in results {
        match r {
            Ok(s) => services.push(s),
            Err(f) => failures.push(f),
        }
    }
    let changed: Vec<&ServiceDiff> = services.iter().filter(|s| s.changed).collect();
    let cache: Vec<&str> = changed
        .iter()
        .filter(|s| !s.summary.cache.is_empty())
        .map(|s| s.spec.as_str())
        .collect();
    let config: Vec<&str> = changed
        .iter()
        .filter(|s| !s.summary.images.is_empty())
        .map(|s| s.spec.as_str())
        .collect();
    let line = format!(
        "{} services: {} change, {} lose build cache, {} change their image config{}",
        services.len() + failures.len(),
        changed.len(),
        cache.len(),
        config.len(),
        if failures.is_empty() {
            String::new()
        } else {
            format!("; {} could not be compared", failures.len())
        }
    );
    let out = match a.format {
        DiffFormat::Json => {
            let doc = serde_json::json!({
                "templates_from": new_dir.display().to_string(),
                "services": services.len(),
                "changed": changed.iter().map(|s| &s.spec).collect::<Vec<_>>(),
                "lose_cache": cache,
                "config_changed": config,
                "results": services,
                "failures": failures,
            });
            let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        DiffFormat::Human => {
            let mut s = format!("msbc diff --templates-from {}: {line}\n", new_dir.display());
            for c in &changed {
                let _ = write!(s, "\n== {}\n{}", c.spec, c.summary.render());
                if let Some(d) = &c.diff {
                    s.push('\n');
                    s.push_str(d);
                }
            }
            let unchanged: Vec<&str> = services
                .iter()
                .filter(|s| !s.changed)
                .map(|s| s.spec.as_str())
                .collect();
            if !unchanged.is_empty() {
                let _ = write!(s, "\nunchanged: {}\n", unchanged.join(", "));
            }
            s
        }
    };
    crate::cli::out::stdout(&out)?;
    let mut err = String::new();
    for f in &failures {
        let _ = writeln!(err, "{}", f.line());
    }
    crate::cli::out::stderr(&err);
    Ok(
        if !failures.is_empty() || (a.exit_code && !changed.is_empty()) {
            SPEC_ERROR
        } else {
            OK
        },
    )
}
