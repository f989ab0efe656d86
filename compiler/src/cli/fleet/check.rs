//! `msbc check DIR...`: the fleet checked, in every output format.

use super::*;

/// `msbc check DIR...`.
pub(in crate::cli) fn check(a: &CheckArgs) -> CliResult {
    let roots = roots(&a.path, &a.more);
    if roots.iter().any(|p| p == Path::new("-")) {
        return Err("stdin (`-`) holds one spec: it cannot be checked with others".to_string());
    }
    let mut found = discover(&roots)?;
    found_or_usage(&found, &roots)?;
    let options = CheckOptions::new(&a.inputs, Some(&a.gates), &[]);
    let narrowed = affected::narrow(&mut found, &a.affected, &roots, &options)?;
    let summary = |counts: &Counts| match &narrowed {
        Some(n) => format!("{}; {}", n.line(), counts.line()),
        None => counts.line(),
    };
    let results = each(&found.specs, |p| check_one(p, &options));
    let failures: Vec<&Failure> = found
        .failures
        .iter()
        .chain(results.iter().filter_map(|r| r.as_ref().err()))
        .collect();
    let ok: Vec<&Result1> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let counts = count(results.iter(), &found);
    match a.format {
        Format::Human => {
            let reports: Vec<String> = ok.par_iter().map(|r| human_report(r)).collect();
            let mut err = String::new();
            for r in reports {
                err.push_str(&r);
            }
            for f in &failures {
                let _ = writeln!(err, "{}", f.line());
            }
            err.push_str(&summary(&counts));
            err.push('\n');
            crate::cli::out::stderr(&err);
        }
        Format::Json => {
            let files: Vec<serde_json::Value> = ok
                .iter()
                .map(|r| {
                    let list: Vec<JsonDiagnostic<'_>> = r
                        .checked
                        .diagnostics
                        .sorted()
                        .into_iter()
                        .map(|d| JsonDiagnostic::new(d, &r.spec.shown, &r.checked.text))
                        .collect();
                    serde_json::json!({
                        "file": r.spec.shown,
                        "errors": r.checked.diagnostics.error_count(),
                        "warnings": r.checked.diagnostics.warning_count(),
                        "diagnostics": list,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "specs": counts.specs,
                "with_errors": counts.errors,
                "with_warnings": counts.warnings,
                "unreadable": counts.unreadable,
                "files": files,
                "failures": failures,
                "skipped": found.skipped,
                "affected": narrowed.as_ref().map(affected::Narrowed::json),
            });
            let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            text.push('\n');
            crate::cli::out::stdout(&text)?;
            say!("{}", summary(&counts));
        }
        Format::Sarif => {
            let mut doc = render::sarif(&[], "", "");
            let mut results = Vec::new();
            for r in &ok {
                let sorted = r.checked.diagnostics.sorted();
                let one = render::sarif(&sorted, &sarif_uri(&r.spec), &r.checked.text);
                if let Some(list) = one["runs"][0]["results"].as_array() {
                    results.extend(list.iter().cloned());
                }
            }
            doc["runs"][0]["results"] = serde_json::Value::Array(results);
            let notes: Vec<serde_json::Value> = failures
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "level": "error",
                        "message": { "text": f.error },
                        "locations": [{ "physicalLocation": {
                            "artifactLocation": { "uri": uri_of(&f.path) }
                        }}],
                    })
                })
                .collect();
            doc["runs"][0]["invocations"] = serde_json::json!([{
                "executionSuccessful": failures.is_empty(),
                "toolExecutionNotifications": notes,
            }]);
            let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            text.push('\n');
            crate::cli::out::stdout(&text)?;
            say!("{}", summary(&counts));
        }
        Format::Github => {
            let mut text = String::new();
            for r in &ok {
                let uri = sarif_uri(&r.spec);
                for d in r.checked.diagnostics.sorted() {
                    text.push_str(&render::github(d, &uri, &r.checked.text));
                    text.push('\n');
                }
            }
            for f in &failures {
                let _ = writeln!(
                    text,
                    "::error file={}::{}",
                    render::github_property(&uri_of(&f.path)),
                    render::github_data(&f.error)
                );
            }
            crate::cli::out::stdout(&text)?;
            say!("{}", summary(&counts));
        }
    }
    Ok(counts.code(a.gates.deny_warnings))
}
