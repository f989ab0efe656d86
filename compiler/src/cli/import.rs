//! `msbc import`: the I/O around [`crate::import`] (reading the
//! Dockerfile or stdin, printing the spec and the `I0xx` warnings).

use super::args::ImportArgs;
use super::{CliResult, OK, SPEC_ERROR, print_human};
use crate::compile;
use crate::import;
use std::path::{Path, PathBuf};

pub(super) fn print_import_warnings(shown: &str, warnings: &[import::Warning]) {
    for w in warnings {
        say!("{shown}:{}: warning[{}]: {}", w.line, w.code, w.message);
    }
}

pub(super) fn print_import_error(shown: &str, e: &import::ImportError) {
    if e.line > 0 {
        say!("{shown}:{}: error[{}]: {}", e.line, e.code, e.message);
    } else {
        say!("{shown}: error[{}]: {}", e.code, e.message);
    }
}

/// The ignore file BuildKit reads for `dockerfile` built from its own
/// folder: `Dockerfile.dockerignore` beside it, else `.dockerignore` there.
fn ignore_file(dockerfile: &Path) -> Result<Option<(PathBuf, String)>, String> {
    if dockerfile == Path::new("-") {
        return Ok(None);
    }
    let dir = dockerfile.parent().unwrap_or(Path::new(""));
    let mut beside = dockerfile.as_os_str().to_owned();
    beside.push(".dockerignore");
    for path in [PathBuf::from(beside), dir.join(".dockerignore")] {
        match std::fs::read(&path) {
            Ok(bytes) => return Ok(Some((path, String::from_utf8_lossy(&bytes).into_owned()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
    }
    Ok(None)
}

/// `msbc import DOCKERFILE`.
pub(super) fn import_cmd(a: &ImportArgs) -> CliResult {
    let (shown, bytes) = if a.dockerfile == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        ("<stdin>".to_string(), bytes)
    } else {
        let bytes = std::fs::read(&a.dockerfile)
            .map_err(|e| format!("cannot read {}: {e}", a.dockerfile.display()))?;
        (a.dockerfile.display().to_string(), bytes)
    };
    let imported = match import::import(&bytes) {
        Ok(i) => i,
        Err(e) => {
            print_import_error(&shown, &e);
            return Ok(SPEC_ERROR);
        }
    };
    print_import_warnings(&shown, &imported.warnings);
    let kdl = match ignore_file(&a.dockerfile)? {
        Some((path, text)) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            import::with_ignore_file(&imported.kdl, &text, &name)
        }
        None => imported.kdl,
    };
    super::out::stdout(&kdl)?;
    // The result must be a valid spec; say so loudly if it is not.
    let checked = compile::check(kdl.as_bytes());
    if checked.diagnostics.has_errors() {
        say!("error: the imported spec does not check; please report this Dockerfile:");
        print_human(&checked, "<imported build.kdl>");
        return Ok(SPEC_ERROR);
    }
    Ok(OK)
}
