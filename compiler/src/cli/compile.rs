//! `msbc compile` for one spec: emit, write the output (and its
//! `.dockerignore` / `.config.json`), or `--check` it against a file.

use super::args::{CompileArgs, EmitKind};
use super::check::{failed, print_human, strict};
use super::spec::read_spec;
use super::{CliResult, OK, SPEC_ERROR, diff, fleet, lock, out};
use crate::backend::llb::pb;
use crate::compile::{self, Emit, Output};
use crate::ir::LocalOwner;
use crate::lower::Selection;
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub(super) fn compile_cmd(a: &CompileArgs) -> CliResult {
    let emit = match a.emit {
        EmitKind::Dockerfile => Emit::Dockerfile,
        EmitKind::Json => Emit::Json,
        EmitKind::Llb => Emit::Llb,
        EmitKind::LlbJson => Emit::LlbJson,
        EmitKind::ImageConfig => Emit::ImageConfig,
    };
    // Binary LLB would garble a terminal; refuse before doing any work.
    if emit == Emit::Llb
        && a.output.is_none()
        && a.check.is_none()
        && std::io::stdout().is_terminal()
    {
        return Err(
            "refusing to write binary LLB to a terminal: pipe it (`| buildctl build ...`) or use -o FILE"
                .to_string(),
        );
    }
    if a.all {
        return fleet::compile(a, emit);
    }
    if a.affected.affected {
        return Err("--affected narrows fleet mode: use it with --all (msbc compile --all DIR... --affected --since REV)".to_string());
    }
    if a.check.as_deref() == Some(Path::new("")) {
        return Err(
            "--check needs the FILE to compare with (or --all for every spec's Dockerfile)"
                .to_string(),
        );
    }
    if let Some(file) = &a.output {
        not_a_spec(file, &a.path, "write the output over")?;
    }
    if let Some(file) = &a.check {
        not_a_spec(file, &a.path, "check the output against")?;
    }
    let spec = read_spec(&a.path)?.with_context(a.inputs.context.as_deref());
    let mut checked = strict(spec.check(&a.inputs.templates)?, a.gates.strict);
    let lock = lock::read(&spec.dir, &mut checked, a.gates.locked, &a.build.args)?;
    print_human(&checked, &spec.shown);
    let Some(model) = checked
        .model
        .as_ref()
        .filter(|_| !failed(&checked.diagnostics, a.gates.deny_warnings))
    else {
        return Ok(SPEC_ERROR);
    };
    // msbc.lock pins the base images it has (`image:tag@sha256:...`).
    let pinned = pinned(model, lock.as_ref(), &a.build.args);
    let model = pinned.as_ref();
    let selection = Selection {
        platform: a.platform.clone(),
        no_syntax: a.syntax.is_some(),
        ..a.build.selection()
    };
    let selected = compile::select(model, &selection).map_err(|e| e.to_string())?;
    // The LLB emits name the context folder (see `context_owner`); a check
    // compares with the folder the checked-in LLB names.
    let selected = match emit {
        Emit::Llb | Emit::LlbJson => {
            let committed = a.check.as_deref().and_then(committed_owner);
            let owner = match committed {
                Some(owner) => owner,
                None => context_owner(&spec.context_of()?.root),
            };
            selected.owned_by(owner)
        }
        Emit::Dockerfile | Emit::Json | Emit::ImageConfig => selected,
    };
    // The LLB emits start each stage from its base image's config.
    let configs =
        if matches!(emit, Emit::Llb | Emit::LlbJson | Emit::ImageConfig) && !a.no_base_configs {
            let pulls = selected.pulls(&spec.name).map_err(|e| e.to_string())?;
            let source = lock::ConfigSource {
                mirrors: &a.mirrors,
                offline: a.offline,
                locked: a.gates.locked,
            };
            lock::configs(&pulls, lock.as_ref(), &source)?
        } else {
            crate::backend::llb::BaseConfigs::new()
        };
    let output = selected
        .emit(emit, &spec.name, configs)
        .map_err(|e| e.to_string())?;
    if emit == Emit::Dockerfile {
        for gap in crate::backend::dockerfile::legacy_frontend_gaps(selected.build()) {
            say!(
                "note: without the modern Dockerfile syntax, engines such as dockerd 20.10 reject {gap}"
            );
        }
    }
    if let Some(file) = &a.check {
        if let Some(bytes) = &output.binary {
            return binary_drift_check(file, bytes, output.image_config.as_deref());
        }
        return drift_check(file, &output, a, selected.build());
    }
    match &a.output {
        Some(file) if output.binary.is_some() => {
            let bytes = output.binary.as_deref().unwrap_or_default();
            std::fs::write(file, bytes)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            if let Some(config) = &output.image_config {
                write_file(&config_path(file), config)?;
            }
        }
        Some(file) => {
            if output.dockerignore.is_some() {
                ours_to_write(&dockerignore_path(file), &spec.shown)?;
            }
            write_file(file, &output.main)?;
            if let Some(ignore) = &output.dockerignore {
                write_file(&dockerignore_path(file), ignore)?;
            }
        }
        None => {
            let bytes = output.binary.as_deref().unwrap_or(output.main.as_bytes());
            out::stdout_bytes(bytes)?;
            if output.dockerignore.is_some() {
                say!(
                    "note: the build has ignore patterns (the spec's `context`, the context's .dockerignore); they are written only with `-o FILE` (as FILE.dockerignore)"
                );
            }
        }
    }
    Ok(OK)
}

/// `-o FILE` and `--check FILE` name the generated file: refuse the spec
/// itself and any `.kdl` file (a spec, a preset), so that msbc never writes
/// over one and never suggests a command that would.
fn not_a_spec(file: &Path, spec: &Path, doing: &str) -> Result<(), String> {
    let input = if spec.is_dir() {
        Some(spec.join("build.kdl"))
    } else {
        (spec != Path::new("-")).then(|| spec.to_path_buf())
    };
    let same = input.as_ref().is_some_and(|input| {
        input == file
            || matches!(
                (std::fs::canonicalize(input), std::fs::canonicalize(file)),
                (Ok(a), Ok(b)) if a == b
            )
    });
    let kdl = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("kdl"));
    if same || kdl {
        let what = if same { "the spec" } else { "a .kdl file" };
        return Err(format!(
            "refusing to {doing} {} ({what}): name the generated file, e.g. `-o Dockerfile`",
            file.display()
        ));
    }
    Ok(())
}

/// Refuses to write over `path`, an ignore file beside the Dockerfile that
/// msbc did not write (it lacks msbc's header): BuildKit reads that file
/// instead of the context's `.dockerignore`, so it is the team's, and
/// writing the spec's patterns there would drop theirs. msbc cannot merge
/// it in (after one write it would read its own output as the team's), so
/// the error says how to move its patterns into the spec (`spec` as shown).
pub(super) fn ours_to_write(path: &Path, spec: &str) -> Result<(), String> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if text.starts_with(crate::backend::dockerfile::DOCKERIGNORE_HEADER) {
        return Ok(());
    }
    let patterns: Vec<String> = crate::paths::ignore_file_patterns(&text)
        .iter()
        .map(|p| crate::kdl_write::quoted(p))
        .collect();
    Err(format!(
        "{} was not written by msbc: BuildKit reads it instead of the context's .dockerignore, \
         and msbc would replace it with the spec's patterns. Move its patterns into {spec} \
         (`context {{ ignore {} }}`, or `context \"DIR\" {{ ignore ... }}`), then delete it: \
         msbc writes it from the spec",
        path.display(),
        if patterns.is_empty() {
            "\"pattern\"...".to_string()
        } else {
            patterns.join(" ")
        }
    ))
}

pub(super) fn dockerignore_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".dockerignore");
    PathBuf::from(name)
}

/// Where `--emit llb -o FILE` puts the image config: `FILE.config.json`.
fn config_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".config.json");
    PathBuf::from(name)
}

/// The name the LLB emits give the build context (`local.unique`, as
/// BuildKit's own LLB client marks a local source): a digest of the context
/// folder's absolute path. BuildKit runs equal ops of builds that run at
/// once only once: unmarked, the context of two folders' builds of one spec
/// would be one op, and both images would hold one folder's files. One
/// folder keeps its name between runs, so the output stays the same.
fn context_owner(root: &Path) -> LocalOwner {
    let path = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    LocalOwner::Unique(format!("msbc-context-{hex}"))
}

/// The context name (`local.unique`) of the LLB checked in at `file`
/// (binary or `llb-json`), if it has one: it names the folder it was
/// written in, not a difference from the spec.
fn committed_owner(file: &Path) -> Option<LocalOwner> {
    use prost::Message;
    let bytes = std::fs::read(file).ok()?;
    // `llb-json` is a stream of JSON documents (one per op, then the
    // metadata); anything else is read as binary LLB.
    let mut stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<serde_json::Value>();
    let unique = match stream.next() {
        Some(Ok(first)) => std::iter::once(first)
            .chain(stream.map_while(Result::ok))
            .find_map(|json| json_unique(&json)),
        Some(Err(_)) | None => {
            let def = pb::Definition::decode(bytes.as_slice()).ok()?;
            def.def
                .iter()
                .find_map(|op| match pb::Op::decode(op.as_slice()).ok()?.kind? {
                    pb::op::Kind::Source(s) => s.attrs.get(UNIQUE).cloned(),
                    _ => None,
                })
        }
    };
    unique.map(LocalOwner::Unique)
}

const UNIQUE: &str = "local.unique";

/// The first `local.unique` value in an `llb-json` document.
fn json_unique(json: &serde_json::Value) -> Option<String> {
    match json {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| match v {
            serde_json::Value::String(s) if k == UNIQUE => Some(s.clone()),
            _ => json_unique(v),
        }),
        serde_json::Value::Array(items) => items.iter().find_map(json_unique),
        _ => None,
    }
}

/// `--check FILE` for binary LLB: FILE must hold the same bytes, and
/// `FILE.config.json` the same image config.
fn binary_drift_check(file: &Path, bytes: &[u8], config: Option<&str>) -> CliResult {
    let read = |path: &Path| match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut drift = false;
    if read(file)? != bytes {
        say!(
            "{} is out of date with the spec (binary LLB; compare with --emit llb-json)",
            file.display()
        );
        drift = true;
    }
    if let Some(config) = config {
        let path = config_path(file);
        if read(&path)? != config.as_bytes() {
            say!("{} is out of date with the spec", path.display());
            drift = true;
        }
    }
    Ok(if drift { SPEC_ERROR } else { OK })
}

fn write_file(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `--check FILE`: exit 1 with a short diff when FILE (or its
/// `.dockerignore`) is not what would be written.
fn drift_check(
    file: &Path,
    output: &Output,
    a: &CompileArgs,
    build: &crate::ir::Build,
) -> CliResult {
    let mut expected = vec![(file.to_path_buf(), output.main.clone())];
    if let Some(ignore) = &output.dockerignore {
        expected.push((dockerignore_path(file), ignore.clone()));
    }
    let mut drift = false;
    for (path, want) in &expected {
        let have = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if &have != want {
            drift = true;
            let shown = path.display().to_string();
            let diff = similar::TextDiff::from_lines(&have, want);
            say!("{shown} is out of date with the spec:");
            // What changes, stage by stage, when the checked-in file reads back.
            if path == file
                && let Some(summary) = diff::drift_summary(&have, &shown, build)
            {
                say_part!("{summary}");
                say!();
            }
            say_part!(
                "{}",
                diff.unified_diff().context_radius(2).header(
                    &format!("{shown} (checked in)"),
                    &format!("{shown} (from the spec)")
                )
            );
        }
    }
    if drift {
        let mut fix = format!("msbc compile {}", a.path.display());
        if let Some(i) = &a.build.image {
            fix.push_str(&format!(" --image {i}"));
        }
        if let Some(t) = &a.build.target {
            fix.push_str(&format!(" --target {t}"));
        }
        if a.syntax.is_some() {
            fix.push_str(" --syntax none");
        }
        fix.push_str(&format!(" -o {}", file.display()));
        say!("to update it, run: {fix}");
        Ok(SPEC_ERROR)
    } else {
        Ok(OK)
    }
}

/// The model with `msbc.lock`'s pins applied (`image:tag@sha256:...`), as
/// `compile` and `diff` build it; the model itself without a lock. An
/// `--arg` that moves a locked image out of the lock is a warning.
pub(super) fn pinned<'a>(
    model: &'a crate::lower::Model,
    lock: Option<&crate::lock::Lock>,
    args: &[(String, String)],
) -> std::borrow::Cow<'a, crate::lower::Model> {
    match lock {
        Some(lock) => {
            for warning in crate::lock::overridden(model, lock, args) {
                say!("warning: {warning}");
            }
            let mut pinned = model.clone();
            crate::lock::pin(&mut pinned, lock, args);
            std::borrow::Cow::Owned(pinned)
        }
        None => std::borrow::Cow::Borrowed(model),
    }
}
