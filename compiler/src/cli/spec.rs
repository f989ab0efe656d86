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
    /// The directory holding the spec: the base of relative `templates`
    /// directories and of `context "../.."`.
    pub(super) dir: PathBuf,
    pub(super) bytes: Vec<u8>,
    /// `--context DIR`: the build context, overriding the spec's `context`.
    pub(super) context: Option<PathBuf>,
    /// The build context, once a check has found it ([`Spec::context_of`]).
    pub(super) found: std::sync::OnceLock<ContextDir>,
}

/// Where a spec's build context is: the folder project files are read
/// from, and the spec's folder within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ContextDir {
    pub(super) root: PathBuf,
    /// `/`-separated, "" when the spec sits at the context's root
    /// (templates' `service_dir`).
    pub(super) service_dir: String,
}

/// The spec's folder within the context folder `root`, both as given on
/// the command line or found from the spec: an error when it is not inside.
fn service_dir_in(spec_dir: &Path, root: &Path) -> Result<String, String> {
    let canon = |p: &Path| {
        std::fs::canonicalize(p).map_err(|e| format!("cannot read the folder {}: {e}", p.display()))
    };
    let (spec_abs, root_abs) = (canon(spec_dir)?, canon(root)?);
    let rel = spec_abs.strip_prefix(&root_abs).map_err(|_| {
        format!(
            "the spec's folder {} is not inside the build context {}: the context must be the spec's folder or one above it",
            spec_dir.display(),
            root.display()
        )
    })?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}

/// The build context of a spec in `dir`: `flag` (`--context DIR`), else
/// `depth` folders above `dir` (the spec's `context "../.."`), else `dir`.
pub(super) fn context_for(
    dir: &Path,
    flag: Option<&Path>,
    depth: usize,
) -> Result<ContextDir, String> {
    let root = match flag {
        Some(root) => root.to_path_buf(),
        None if depth == 0 => {
            return Ok(ContextDir {
                root: dir.to_path_buf(),
                service_dir: String::new(),
            });
        }
        None => {
            let mut root = dir.to_path_buf();
            for _ in 0..depth {
                root.push("..");
            }
            root
        }
    };
    let service_dir = service_dir_in(dir, &root)?;
    Ok(ContextDir { root, service_dir })
}

impl Spec {
    /// The spec with `--context DIR` (when given).
    pub(super) fn with_context(mut self, flag: Option<&Path>) -> Self {
        self.context = flag.map(Path::to_path_buf);
        self.found = std::sync::OnceLock::new();
        self
    }

    /// The build context: `--context DIR`, else the spec's `context
    /// "../.."` (`depth` folders above the spec), else the spec's folder.
    pub(super) fn context_dir(&self, depth: usize) -> Result<ContextDir, String> {
        context_for(&self.dir, self.context.as_deref(), depth)
    }

    /// The context of a spec: the one its check found, else read from its
    /// bytes (parsed for `context`).
    pub(super) fn context_of(&self) -> Result<ContextDir, String> {
        if let Some(found) = self.found.get() {
            return Ok(found.clone());
        }
        self.context_dir(compile::parse(&self.bytes).context_depth())
    }

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
        self.check_traced(compile::parse(&self.bytes), template_flags, catalogs)
            .map(|(checked, _)| checked)
    }

    /// [`Spec::check_shared`] of the spec parsed, with the names of the
    /// templates it used.
    pub(super) fn check_traced(
        &self,
        parsed: compile::Parsed<'_>,
        template_flags: &[PathBuf],
        catalogs: &templates::Catalogs,
    ) -> Result<(Checked, Vec<String>), String> {
        let context = self.context_dir(parsed.context_depth())?;
        let context = self.found.get_or_init(|| context);
        let catalog = catalogs.get(&self.dir, &parsed.template_dirs(), template_flags)?;
        let (files, contents) = templates::context_view(&context.root, &parsed.context_ignore());
        let (checked, used) = parsed.check_traced(crate::expand::Context {
            catalog: &catalog,
            files: &files,
            contents: &contents,
            service_dir: &context.service_dir,
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
        Ok((checked, used))
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
pub(super) const HOW_TO_START: &str = "`msbc init DIR` writes a spec from a project's own files, `msbc import Dockerfile > build.kdl` turns a Dockerfile into one, or start from a preset's example (`msbc presets` lists them, `msbc presets go` shows one)";

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
    let init = if dir == Path::new(".") {
        "msbc init".to_string()
    } else {
        format!("msbc init {}", dir.display())
    };
    format!(
        "no spec in {}: msbc looks for {}; `{init}` writes one from the project's own files (go.mod, package.json, ...), {start}",
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
            context: None,
            found: Default::default(),
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
        context: None,
        found: Default::default(),
    })
}
