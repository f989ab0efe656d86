//! `msbc lock`: resolves the spec's base images to digests and reads their
//! configs (per platform) through the registry client (`cli::registry`),
//! and writes `msbc.lock` (format: `crate::lock`) atomically. Also reads
//! the lock for `compile` and `check` (`--locked`), and gathers the base
//! image configs the LLB emits need (`configs`): from the lock, else the
//! cache or the registry (not with `--offline`).
//!
//! A tag resolves with `HEAD /v2/<name>/manifests/<tag>`, accepting an OCI
//! index, a Docker manifest list and single manifests; the digest is the
//! `Docker-Content-Digest` header (or the sha256 of the body a `GET`
//! returns).

use super::args::LockArgs;
use super::registry::{self, ConfigFailure, Registry};
use super::{CliResult, OK, SPEC_ERROR, failed, print_human, read_spec};
use crate::backend::llb::{BaseConfigs, Pull};
use crate::compile::{self, Checked};
use crate::domain::Platform;
use crate::lock::{self, FILE_NAME, Lock};
use crate::lower::{Model, Selection};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn run(a: &LockArgs) -> CliResult {
    if a.update {
        return update(a);
    }
    let spec = read_spec(&a.path)?.with_context(a.inputs.context.as_deref());
    let checked = spec.check(&a.inputs.templates)?;
    print_human(&checked, &spec.shown);
    let Some(model) = checked
        .model
        .as_ref()
        .filter(|_| !failed(&checked.diagnostics, false))
    else {
        return Ok(SPEC_ERROR);
    };
    note_unlockable(model, &checked.text, &spec.shown);
    let platforms = platforms(&a.platforms, None);
    let mut registry = Registry::new(registry::mirrors(&a.mirrors)?, false);
    let lock = resolve(model, &platforms, &mut registry, true).map_err(|errors| {
        format!(
            "could not resolve {} image(s); {FILE_NAME} not written:\n  {}",
            errors.len(),
            errors.join("\n  ")
        )
    })?;
    let file = spec.dir.join(FILE_NAME);
    write_atomic(&file, &lock.render())?;
    say!("wrote {} ({} images)", file.display(), lock.images.len());
    Ok(OK)
}

/// Notes each image reference known only at build time: it is not locked.
fn note_unlockable(model: &Model, text: &str, shown: &str) {
    for use_ in &model.images {
        if lock::resolve(&use_.reference, &model.args).is_none() {
            let line = text
                .get(..use_.span.start)
                .unwrap_or("")
                .lines()
                .count()
                .max(1);
            say!(
                "note: {shown}:{line}: `{}` is known only at build time (a platform arg or an arg without a default), so it is not locked; pin it in the spec",
                use_.reference
            );
        }
    }
}

/// The platforms to record: `--platform`s, else those `old` recorded,
/// else the default target.
fn platforms(flags: &[Platform], old: Option<&Lock>) -> Vec<Platform> {
    let mut out = flags.to_vec();
    if out.is_empty()
        && let Some(old) = old
    {
        let recorded: std::collections::BTreeSet<&Platform> =
            old.configs.keys().map(|(_, p)| p).collect();
        out.extend(recorded.into_iter().cloned());
    }
    if out.is_empty() {
        out.push(Platform::default_target());
    }
    out
}

/// The lock of `model` as the registry has it now: each reference's
/// digest, then the config of every stage's base for each platform; the
/// errors, each naming its image, when one cannot be resolved. `say`
/// prints what was locked and recorded.
fn resolve(
    model: &Model,
    platforms: &[Platform],
    registry: &mut Registry,
    say: bool,
) -> Result<Lock, Vec<String>> {
    let mut lock = Lock::default();
    let mut errors = Vec::new();
    for reference in lock::references(model) {
        match registry.digest(&reference) {
            Ok(digest) => {
                if say {
                    say!("locked {reference}@{digest}");
                }
                lock.images.insert(reference, digest);
            }
            Err(e) => errors.push(format!("{reference}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The configs the stages start from, for every stage and platform,
    // keyed by the reference as locked.
    let mut pinned = model.clone();
    lock::pin(&mut pinned, &lock, &[]);
    let names = lock_names(&lock);
    for pull in every_pull(&pinned, platforms) {
        let key = names
            .get(&pull.reference)
            .cloned()
            .unwrap_or_else(|| pull.reference.clone());
        match registry.config(&pull.reference, &pull.platform) {
            Ok(config) => {
                if say {
                    say!(
                        "recorded the config of {key} for {} ({})",
                        pull.platform,
                        config.config_digest
                    );
                }
                lock.configs.insert((key, pull.platform), config);
            }
            // Recorded per platform only what the registry has for it.
            Err(ConfigFailure::NoPlatform(e)) => {
                say!(
                    "warning: {key}: {e}; nothing recorded for {} (a build for it would fail)",
                    pull.platform
                );
            }
            Err(e) => errors.push(format!("{key} ({}): {e}", pull.platform)),
        }
    }
    if errors.is_empty() {
        Ok(lock)
    } else {
        Err(errors)
    }
}

/// `msbc lock --update [--dry-run] PATH...`: each existing lock resolved
/// again; for each that changes, what the new base images change in the
/// spec's build (`msbc diff`'s summary and Dockerfile diff) on stdout, and
/// the lock written unless `--dry-run`.
fn update(a: &LockArgs) -> CliResult {
    let paths: Vec<std::path::PathBuf> = std::iter::once(a.path.clone())
        .chain(a.more.iter().cloned())
        .collect();
    let fleet = match paths.as_slice() {
        [one, more @ ..] => super::fleet::is_fleet(false, one, more),
        [] => false,
    };
    let specs = super::fleet::fmt_paths(&paths)?;
    let mut registry = Registry::new(registry::mirrors(&a.mirrors)?, false);
    let (mut updated, mut unchanged, mut unlocked, mut broken) = (0, 0, 0, 0);
    let mut errors = Vec::new();
    let mut report = String::new();
    for path in &specs {
        let spec = read_spec(path)?.with_context(a.inputs.context.as_deref());
        let Some(old) = load(&spec.dir)? else {
            if !fleet {
                return Err(format!(
                    "no {FILE_NAME} beside {}: `msbc lock {}` writes one",
                    spec.shown,
                    path.display()
                ));
            }
            unlocked += 1;
            continue;
        };
        let checked = spec.check(&a.inputs.templates)?;
        let Some(model) = checked
            .model
            .as_ref()
            .filter(|_| !failed(&checked.diagnostics, false))
        else {
            print_human(&checked, &spec.shown);
            broken += 1;
            continue;
        };
        let platforms = platforms(&a.platforms, Some(&old));
        let new = match resolve(model, &platforms, &mut registry, false) {
            Ok(new) => new,
            Err(e) => {
                errors.push(format!("{}: {}", spec.shown, e.join("; ")));
                continue;
            }
        };
        if new == old {
            unchanged += 1;
            continue;
        }
        updated += 1;
        report.push_str(&super::diff::lock_update(
            &checked,
            &spec.shown,
            &spec.name,
            old,
            new.clone(),
        )?);
        report.push('\n');
        if !a.dry_run {
            write_atomic(&spec.dir.join(FILE_NAME), &new.render())?;
        }
    }
    super::out::stdout(&report)?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut line = format!(
        "{} lock{}: {updated} updated, {unchanged} unchanged",
        updated + unchanged,
        plural(updated + unchanged)
    );
    if fleet && unlocked > 0 {
        line.push_str(&format!(
            "; {unlocked} spec{} without {FILE_NAME}",
            plural(unlocked)
        ));
    }
    if broken > 0 {
        line.push_str(&format!("; {broken} with errors"));
    }
    if !errors.is_empty() {
        line.push_str(&format!("; {} could not be resolved", errors.len()));
    }
    if a.dry_run && updated > 0 {
        line.push_str(" (--dry-run: nothing written)");
    }
    for e in &errors {
        say!("error: {e}");
    }
    say!("{line}");
    Ok(if !errors.is_empty() {
        super::USAGE_ERROR
    } else if broken > 0 {
        SPEC_ERROR
    } else {
        OK
    })
}

/// Writes `file` whole or not at all: a temporary file beside it, renamed.
pub(super) fn write_atomic(file: &Path, text: &str) -> Result<(), String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let name = file.file_name().map_or_else(
        || FILE_NAME.to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", file.display())
        })
}

/// The normalized pinned reference (as the LLB source names it) → the
/// reference as the lock keys it.
fn lock_names(lock: &Lock) -> BTreeMap<String, String> {
    lock.images
        .iter()
        .filter_map(|(r, d)| {
            crate::domain::image_ref::normalize(&format!("{r}@{d}"))
                .ok()
                .map(|n| (n, r.clone()))
        })
        .collect()
}

/// The base images of every stage, for each platform, once.
fn every_pull(model: &Model, platforms: &[Platform]) -> Vec<Pull> {
    let mut out: Vec<Pull> = Vec::new();
    for platform in platforms {
        for stage in &model.stages {
            let selection = Selection {
                target: Some(stage.name.clone()),
                platform: Some(platform.clone()),
                ..Selection::default()
            };
            // A stage that cannot be lowered alone (a required arg) is
            // reported when it is compiled.
            let pulls = compile::select(model, &selection)
                .ok()
                .and_then(|s| s.pulls("build.kdl").ok());
            for pull in pulls.unwrap_or_default() {
                if !out.contains(&pull) {
                    out.push(pull);
                }
            }
        }
    }
    out
}

/// How `compile` gets base-image configs for the LLB emits.
pub(super) struct ConfigSource<'a> {
    pub mirrors: &'a [(String, String)],
    pub offline: bool,
    pub locked: bool,
}

/// The configs `pulls` need: from `lock`, else the cache or the registry
/// (a note on stderr says so); an error names each image without one.
pub(super) fn configs(
    pulls: &[Pull],
    lock: Option<&Lock>,
    source: &ConfigSource<'_>,
) -> Result<BaseConfigs, String> {
    let mut configs = lock.map(Lock::base_configs).unwrap_or_default();
    let missing: Vec<&Pull> = pulls
        .iter()
        .filter(|p| configs.get(&p.reference, &p.platform).is_none())
        .collect();
    if missing.is_empty() {
        warn_onbuild(pulls, &configs);
        return Ok(configs);
    }
    if source.locked {
        let names: Vec<String> = missing
            .iter()
            .map(|p| format!("`{}` ({})", p.reference, p.platform))
            .collect();
        return Err(format!(
            "--locked: {FILE_NAME} has no config of {}; run `msbc lock` (with --platform for other platforms)",
            names.join(", ")
        ));
    }
    let mut registry = Registry::new(registry::mirrors(source.mirrors)?, source.offline);
    let mut errors = Vec::new();
    for pull in missing {
        match registry.config(&pull.reference, &pull.platform) {
            Ok(config) => configs.insert(&pull.reference, &pull.platform, config),
            Err(e) if source.offline => errors.push(format!(
                "`{}` ({}): no config in {FILE_NAME} ({e}); run `msbc lock` to record it",
                pull.reference, pull.platform
            )),
            Err(e) => errors.push(format!(
                "`{}` ({}): cannot read its config: {e}",
                pull.reference, pull.platform
            )),
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "the LLB route starts each stage from its base image's config:\n  {}",
            errors.join("\n  ")
        ));
    }
    if registry.fetched {
        let cache = registry
            .cache_dir()
            .map(|d| format!(", cached in {}", d.display()))
            .unwrap_or_default();
        say!(
            "note: base image configs read from the registry{cache}; `msbc lock` records them in {FILE_NAME}"
        );
    }
    warn_onbuild(pulls, &configs);
    Ok(configs)
}

/// A base image with `ONBUILD` triggers builds differently on the LLB
/// route: BuildKit's Dockerfile frontend runs the triggers at the start of
/// every stage built on it; msbc's LLB does not. Said once per image.
fn warn_onbuild(pulls: &[Pull], configs: &BaseConfigs) {
    let mut seen = std::collections::BTreeSet::new();
    for pull in pulls {
        let Some(c) = configs.get(&pull.reference, &pull.platform) else {
            continue;
        };
        if c.onbuild.is_empty() || !seen.insert(pull.reference.as_str()) {
            continue;
        }
        let triggers: Vec<String> = c.onbuild.iter().map(|t| format!("`{t}`")).collect();
        say!(
            "warning: `{}` has ONBUILD triggers ({}): BuildKit's Dockerfile frontend runs them at the start of each stage built on it, msbc's LLB does not; build with the Dockerfile (`msbc compile`) or use a base image without triggers",
            pull.reference,
            triggers.join(", ")
        );
    }
}

/// The lock file in `dir`, if there is one; an error names the file.
pub(super) fn load(dir: &Path) -> Result<Option<Lock>, String> {
    let file = dir.join(FILE_NAME);
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some(
            Lock::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", file.display())),
    }
}

/// The lock beside the spec, if there is one. `${NAME}`s only a base
/// image's config can set are decided against its configs
/// ([`lock::check_base_env`]); with `locked`, E0601 for every image it
/// does not pin goes into `checked`.
pub(super) fn read(
    dir: &Path,
    checked: &mut Checked,
    locked: bool,
    overrides: &[(String, String)],
) -> Result<Option<Lock>, String> {
    let lock = load(dir)?;
    if let Some(model) = &checked.model {
        lock::check_base_env(model, lock.as_ref(), overrides, &mut checked.diagnostics);
        if locked {
            for d in lock::unlocked(model, lock.as_ref(), overrides) {
                checked.diagnostics.push(d);
            }
        }
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_map_pinned_sources_back() {
        let mut lock = Lock::default();
        let d = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        lock.images.insert("golang:1.23".into(), d.into());
        let names = lock_names(&lock);
        assert_eq!(
            names.get(&format!("docker.io/library/golang:1.23@{d}")),
            Some(&"golang:1.23".to_string())
        );
    }
}
