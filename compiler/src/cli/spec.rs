//! Reading a spec: a file, a folder's `build.kdl` or stdin, and checking it
//! with its templates and build context.

use super::templates;
use crate::compile::{self, Checked};
use crate::diag::Code;
use std::io::Read;
use std::path::{Path, PathBuf};

pub(super) struct Spec {
    /// The path as given, for diagnostics.
    pub(super) shown: String,
    /// The file name only, for the generated header (output must not
    /// depend on where it was compiled).
    pub(super) name: String,
    /// The directory holding the spec: the build context, and the base of
    /// relative `templates` directories.
    pub(super) dir: PathBuf,
    pub(super) bytes: Vec<u8>,
}

impl Spec {
    /// Expands templates (stdlib, directories) and checks the spec.
    pub(super) fn check(&self, template_flags: &[PathBuf]) -> Result<Checked, String> {
        self.check_shared(template_flags, &templates::Catalogs::default())
    }

    /// [`Spec::check`] with catalogs shared by the specs of a run (fleet mode).
    pub(super) fn check_shared(
        &self,
        template_flags: &[PathBuf],
        catalogs: &templates::Catalogs,
    ) -> Result<Checked, String> {
        // Parsed once: the template folders it names, then the check.
        let parsed = compile::parse(&self.bytes);
        let catalog = catalogs.get(&self.dir, &parsed.template_dirs(), template_flags)?;
        let files = templates::context_files(&self.dir);
        let contents = templates::project_contents(&self.dir, &files);
        let checked = parsed.check(crate::expand::Context {
            catalog: &catalog,
            files: &files,
            contents: &contents,
        });
        // A Dockerfile read as KDL gives dozens of syntax errors: say what it is.
        if checked.diagnostics.iter().any(|d| {
            matches!(
                d.code,
                Code::KdlSyntax | Code::HashComment | Code::UnquotedCommand
            )
        }) && looks_like_dockerfile(&self.bytes)
        {
            let import = if self.shown == "<stdin>" {
                "msbc import - > build.kdl".to_string()
            } else {
                let target = if self.dir == Path::new(".") {
                    PathBuf::from("build.kdl")
                } else {
                    self.dir.join("build.kdl")
                };
                format!("msbc import {} > {}", self.shown, target.display())
            };
            return Err(format!(
                "{} looks like a Dockerfile, not a build.kdl spec; `{import}` turns it into one",
                self.shown
            ));
        }
        Ok(checked)
    }
}

/// Whether text that is not KDL reads as a Dockerfile: its first line that
/// is neither blank nor a `#` comment (or parser directive) starts with
/// `FROM` or `ARG`, the only instructions a Dockerfile may start with.
fn looks_like_dockerfile(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .is_some_and(|w| w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("ARG"))
}

/// How to start a spec when there is none.
pub(super) const HOW_TO_START: &str = "`msbc import Dockerfile > build.kdl` turns a Dockerfile into a spec, or start from a preset's example (`msbc presets` lists them, `msbc presets go` shows one)";

/// Why there is no spec at `file` (`DIR/build.kdl`): the file looked for
/// and how to start one.
pub(super) fn no_spec(file: &Path) -> String {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dockerfile = ["Dockerfile", "Containerfile"]
        .iter()
        .map(|n| {
            if dir == Path::new(".") {
                PathBuf::from(n)
            } else {
                dir.join(n)
            }
        })
        .find(|p| p.is_file());
    let start = match dockerfile {
        Some(df) => format!(
            "`msbc import {} > {}` turns its Dockerfile into one",
            df.display(),
            file.display()
        ),
        None => format!(
            "`msbc import Dockerfile > {}` turns a Dockerfile into one, or start from a preset's example (`msbc presets` lists them, `msbc presets go` shows one)",
            file.display()
        ),
    };
    format!(
        "no spec in {}: msbc looks for {}; {start}",
        dir.display(),
        file.display()
    )
}

pub(super) fn read_spec(path: &Path) -> Result<Spec, String> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(Spec {
            shown: "<stdin>".to_string(),
            name: "build.kdl".to_string(),
            dir: PathBuf::from("."),
            bytes,
        });
    }
    let file: PathBuf = if path.is_dir() {
        path.join("build.kdl")
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|e| {
        let folder_exists = file
            .parent()
            .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
        if e.kind() == std::io::ErrorKind::NotFound
            && folder_exists
            && file.file_name().is_some_and(|n| n == "build.kdl")
        {
            no_spec(&file)
        } else {
            format!("cannot read {}: {e}", file.display())
        }
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build.kdl".to_string());
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Spec {
        shown: file.display().to_string(),
        name,
        dir,
        bytes,
    })
}
