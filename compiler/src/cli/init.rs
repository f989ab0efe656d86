//! `msbc init`: the I/O around [`crate::init`] (listing and reading the
//! project, writing build.kdl without overwriting, checking the result).

use super::args::InitArgs;
use super::{CliResult, OK, SPEC_ERROR, USAGE_ERROR, print_human, read_spec, templates};
use crate::init::{self, Project, Refusal};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How deep `init` looks for sources (Java's `src/main/java/org/x/Main.java`).
const LISTING_DEPTH: usize = 9;

/// Larger files say nothing `init` needs (a generated source of megabytes).
const MAX_FILE: u64 = 256 * 1024;

/// A folder on disk, listed as templates see a build context.
struct Folder {
    dir: PathBuf,
    files: Vec<String>,
}

impl Project for Folder {
    fn files(&self) -> &[String] {
        &self.files
    }
    fn read(&self, path: &str) -> Option<String> {
        let full = self.dir.join(path);
        if std::fs::metadata(&full).ok()?.len() > MAX_FILE {
            return None;
        }
        std::fs::read_to_string(full).ok()
    }
}

pub(super) fn run(a: &InitArgs) -> CliResult {
    if !a.dir.is_dir() {
        return Err(format!("{} is not a folder", a.dir.display()));
    }
    let folder = Folder {
        files: templates::context_files_to(&a.dir, LISTING_DEPTH),
        dir: a.dir.clone(),
    };
    let ancestors = ancestors(&a.dir);
    let views: Vec<(String, &dyn Project)> = ancestors
        .iter()
        .map(|(up, f)| (up.clone(), f as &dyn Project))
        .collect();
    let proposed = match init::workspace_root(&views) {
        Some((up, root)) => init::propose_member(&init::Member::new(&folder, root, up)),
        None => init::propose(&folder),
    };
    let proposal = match proposed {
        Ok(p) => p,
        Err(Refusal::Unknown(why)) => {
            say!("error: {}: {why}", a.dir.display());
            return Ok(USAGE_ERROR);
        }
        Err(Refusal::Services(services)) if a.all => return write_all(&a.dir, &folder, &services),
        Err(Refusal::Services(services)) => {
            say!(
                "{} holds several services; msbc init writes one spec per service:",
                a.dir.display()
            );
            for (dir, language) in &services {
                say!("  {:<40} {language}", a.dir.join(dir).display().to_string());
            }
            if let Some((dir, _)) = services.first() {
                say!(
                    "for example: msbc init {}; or all of them: msbc init --all {}",
                    a.dir.join(dir).display(),
                    a.dir.display()
                );
            }
            return Ok(USAGE_ERROR);
        }
    };
    let text = init::render(&proposal);
    let file = a.dir.join("build.kdl");
    if a.check {
        return check_against(&file, &proposal);
    }
    if a.stdout {
        super::out::stdout(&text)?;
        notes(&proposal.notes);
        return Ok(OK);
    }
    if a.force {
        super::lock::write_atomic(&file, &text)?;
    } else {
        write_new(&file, &text)?;
    }
    say!("wrote {} (use {})", file.display(), proposal.preset);
    notes(&proposal.notes);
    // What was written must check, with the project as its build context.
    let spec = read_spec(&file)?;
    let checked = spec.check(&[])?;
    if checked.diagnostics.has_errors() {
        print_human(&checked, &spec.shown);
        say!("error: the written spec does not check: fix it, or tell us what init missed");
        return Ok(SPEC_ERROR);
    }
    say!(
        "next: msbc check {0} && msbc compile {0} -o {1}",
        a.dir.display(),
        a.dir.join("Dockerfile").display()
    );
    Ok(OK)
}

/// How far up `init` looks for the workspace a folder belongs to.
const MAX_UP: usize = 6;

/// The folder's ancestors, nearest first, each with its own files only
/// (`../..`, its listing one level deep), up to the repository's root (the
/// folder holding `.git`) or [`MAX_UP`] levels.
fn ancestors(dir: &Path) -> Vec<(String, Folder)> {
    let Ok(mut at) = dir.canonicalize() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut up = String::new();
    if at.join(".git").exists() {
        return out;
    }
    for _ in 0..MAX_UP {
        let Some(parent) = at.parent() else {
            break;
        };
        at = parent.to_path_buf();
        up = if up.is_empty() {
            "..".to_string()
        } else {
            format!("{up}/..")
        };
        out.push((
            up.clone(),
            Folder {
                files: templates::context_files_to(&at, 1),
                dir: at.clone(),
            },
        ));
        if at.join(".git").exists() {
            break;
        }
    }
    out
}

/// `--all`: a spec in each service folder, its context the repository's
/// root; an existing spec is left as it is.
fn write_all(root: &Path, folder: &Folder, services: &[(String, String)]) -> CliResult {
    let mut failed = false;
    for (dir, _) in services {
        let file = root.join(dir).join("build.kdl");
        if file.exists() {
            say!("{} exists: left as it is", file.display());
            continue;
        }
        let view = init::Sub::new(folder, dir);
        let up = vec![".."; dir.split('/').count()].join("/");
        let proposal = match init::propose_member(&init::Member::new(&view, folder, up)) {
            Ok(p) => p,
            Err(_) => {
                say!("{}: nothing to write", root.join(dir).display());
                continue;
            }
        };
        write_new(&file, &init::render(&proposal))?;
        say!("wrote {} (use {})", file.display(), proposal.preset);
        notes(&proposal.notes);
        let spec = read_spec(&file)?;
        let checked = spec.check(&[])?;
        if checked.diagnostics.has_errors() {
            print_human(&checked, &spec.shown);
            failed = true;
        }
    }
    if failed {
        say!("error: a written spec does not check: fix it, or tell us what init missed");
        return Ok(SPEC_ERROR);
    }
    Ok(OK)
}

fn notes(notes: &[String]) {
    for n in notes {
        say!("to check: {n}");
    }
}

/// Creates `file`, refusing to replace one that exists.
fn write_new(file: &Path, text: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "{} exists: `msbc init --check` lists what a fresh init would decide differently, --stdout prints it, --force replaces the file",
                    file.display()
                )
            } else {
                format!("cannot write {}: {e}", file.display())
            }
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// `--check`: what a fresh init would decide differently from `file`.
fn check_against(file: &Path, proposal: &init::Proposal) -> CliResult {
    let existing = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e} (msbc init writes it)", file.display()))?;
    let changes =
        init::compare(&existing, proposal).map_err(|e| format!("{}: {e}", file.display()))?;
    if changes.is_empty() {
        say!(
            "{}: nothing new; a fresh init would decide the same",
            file.display()
        );
        return Ok(OK);
    }
    for c in &changes {
        say!("{}: {c}", file.display());
    }
    Ok(SPEC_ERROR)
}
