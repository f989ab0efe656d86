//! `msbc compile --all DIR... [--write | --check]`: each spec's Dockerfile
//! written beside it, or the fleet's drift gate.

use super::*;

/// What `compile --all` did with one spec.
pub(super) enum Compiled {
    /// Checked with errors (or warnings under --deny-warnings): nothing written.
    Rejected,
    /// Compiled; the files written (--write), or out of date (--check).
    Done { files: Vec<PathBuf>, drift: String },
    /// The spec checked but could not be compiled or written.
    Failed(String),
}

/// `msbc compile --all DIR... [--write | --check]`.
pub(in crate::cli) fn compile(a: &CompileArgs, emit: Emit) -> CliResult {
    if emit != Emit::Dockerfile {
        return Err("compile --all writes Dockerfiles; --emit is for one spec".to_string());
    }
    if a.build.image.is_some() || a.build.target.is_some() {
        return Err("--image and --target name one spec's stages: not with --all".to_string());
    }
    let mut more = a.more.clone();
    // `--check` takes an optional FILE; with --all a value is a folder.
    let check = match &a.check {
        Some(p) if p.as_os_str().is_empty() => true,
        Some(p) => {
            more.insert(0, p.clone());
            true
        }
        None => false,
    };
    let mut roots = roots(&a.path, &more);
    if a.path == Path::new(SPEC_FILE) && !a.path.exists() && !more.is_empty() {
        roots.retain(|p| p != Path::new(SPEC_FILE));
    }
    if roots.iter().any(|p| p == Path::new("-")) {
        return Err("stdin (`-`) holds one spec: not with --all".to_string());
    }
    let mut found = discover(&roots)?;
    found_or_usage(&found, &roots)?;
    let options = CheckOptions::new(&a.inputs, Some(&a.gates), &a.build.args);
    let narrowed = affected::narrow(&mut found, &a.affected, &roots, &options)?;
    let selection = Selection {
        image: None,
        target: None,
        args: a.build.args.clone(),
        platform: a.platform.clone(),
        no_syntax: a.syntax.is_some(),
    };
    let results = each(&found.specs, |p| {
        let r = check_one(p, &options)?;
        let compiled = compile_one(&r, &selection, a.gates.deny_warnings, a.write, check);
        Ok::<_, Failure>((r, compiled))
    });
    let mut err = String::new();
    let mut counts = Counts {
        unreadable: found.failures.len(),
        skipped: found.skipped.len(),
        ..Counts::default()
    };
    let (mut written, mut stale, mut failed_specs) = (0, 0, 0);
    for r in &results {
        let Some((r, compiled)) = counts.tally(r, &mut err) else {
            continue;
        };
        if let (Some(lock), Some(model)) = (&r.lock, &r.checked.model) {
            for warning in crate::lock::overridden(model, lock, &selection.args) {
                let _ = writeln!(err, "warning: {}: {warning}", r.spec.shown);
            }
        }
        match compiled {
            Compiled::Rejected => {}
            Compiled::Failed(e) => {
                failed_specs += 1;
                let _ = writeln!(err, "error: {}: {e}", r.spec.shown);
            }
            Compiled::Done { files, drift } => {
                if a.write {
                    written += files.len();
                } else if !drift.is_empty() {
                    stale += 1;
                    err.push_str(drift);
                }
            }
        }
    }
    for f in &found.failures {
        let _ = writeln!(err, "{}", f.line());
    }
    if let Some(n) = &narrowed {
        err.push_str(&n.line());
        err.push_str("; ");
    }
    err.push_str(&counts.line());
    if a.write {
        let _ = write!(err, "; {written} files written");
    } else if check {
        let _ = write!(err, "; {stale} out of date");
    }
    if failed_specs > 0 {
        let _ = write!(err, "; {failed_specs} could not be compiled");
    }
    err.push('\n');
    if stale > 0 {
        let mut fix = String::from("to update them, run: msbc compile --all");
        for r in &roots {
            let _ = write!(fix, " {}", r.display());
        }
        fix.push_str(" --write\n");
        err.push_str(&fix);
    }
    crate::cli::out::stderr(&err);
    let code = counts.code(a.gates.deny_warnings);
    Ok(if code == OK && (stale > 0 || failed_specs > 0) {
        SPEC_ERROR
    } else {
        code
    })
}

pub(super) fn compile_one(
    r: &Result1,
    selection: &Selection,
    deny_warnings: bool,
    write: bool,
    check: bool,
) -> Compiled {
    let Some(model) = r
        .checked
        .model
        .as_ref()
        .filter(|_| !failed(&r.checked.diagnostics, deny_warnings))
    else {
        return Compiled::Rejected;
    };
    let mut pinned;
    let model = match &r.lock {
        Some(lock) => {
            pinned = model.clone();
            crate::lock::pin(&mut pinned, lock, &selection.args);
            &pinned
        }
        None => model,
    };
    let selected = match compile::select(model, selection) {
        Ok(s) => s,
        Err(e) => return Compiled::Failed(e.to_string()),
    };
    let output = match selected.emit(Emit::Dockerfile, &r.spec.name, Default::default()) {
        Ok(o) => o,
        Err(e) => return Compiled::Failed(e.to_string()),
    };
    let dockerfile = r.spec.dir.join("Dockerfile");
    let mut files = vec![(dockerfile.clone(), output.main.clone())];
    if let Some(ignore) = &output.dockerignore {
        files.push((dockerignore_path(&dockerfile), ignore.clone()));
    }
    if write {
        if output.dockerignore.is_some()
            && let Err(e) =
                crate::cli::ours_to_write(&dockerignore_path(&dockerfile), &r.spec.shown)
        {
            return Compiled::Failed(e);
        }
        for (path, text) in &files {
            if let Err(e) = std::fs::write(path, text) {
                return Compiled::Failed(format!("cannot write {}: {e}", path.display()));
            }
        }
        return Compiled::Done {
            files: files.into_iter().map(|(p, _)| p).collect(),
            drift: String::new(),
        };
    }
    let mut drift = String::new();
    if check {
        for (path, want) in &files {
            let have = match std::fs::read(path) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Compiled::Failed(format!("cannot read {}: {e}", path.display())),
            };
            if &have == want {
                continue;
            }
            let shown = path.display().to_string();
            let _ = writeln!(drift, "{shown} is out of date with the spec:");
            if *path == dockerfile
                && let Some(summary) = diff::drift_summary(&have, &shown, selected.build())
            {
                drift.push_str(&summary);
                drift.push('\n');
            }
            let text = similar::TextDiff::from_lines(&have, want);
            let _ = write!(
                drift,
                "{}",
                text.unified_diff().context_radius(2).header(
                    &format!("{shown} (checked in)"),
                    &format!("{shown} (from the spec)")
                )
            );
        }
    }
    Compiled::Done {
        files: files.into_iter().map(|(p, _)| p).collect(),
        drift,
    }
}
