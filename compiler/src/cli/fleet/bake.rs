//! `msbc bake DIR... [-o FILE]`: a bake file (JSON, as `docker buildx bake
//! -f` reads it) with a target per image of every spec: its build context,
//! the spec as the build file through the frontend image (or the Dockerfile
//! written beside it, `--dockerfile`), the image as target, `--arg`s, tags
//! and platforms from `publish`, OCI labels, registry cache settings; a
//! group for every folder and `default` for all. Broken specs are reported
//! and left out, as `compile --all` does. The specs are a plain list
//! ([`bake_specs`]), so a filter (the affected services) can come first.

use super::compile_all::{Compiled, compile_one};
use super::*;
use serde_json::{Map, Value, json};

#[derive(Debug, Args)]
#[command(after_help = BAKE_HELP)]
pub struct BakeArgs {
    /// Folders to search for build.kdl files (or spec files).
    #[arg(value_name = "DIR", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Write the bake file here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The frontend image the specs are built through (`--build-arg BUILDKIT_SYNTAX=REF` in each target); without it, each spec's `// syntax=REF` first line.
    #[arg(long, value_name = "REF", conflicts_with = "dockerfile")]
    pub frontend: Option<String>,

    /// Build the generated Dockerfiles instead: each spec's Dockerfile (and .dockerignore) is written beside it, as `compile --all --write` does, and the targets name it.
    #[arg(long)]
    pub dockerfile: bool,

    /// Cache every target in this repository (`REPO/TARGET:buildcache`); without it, targets whose image has a repository (`publish`) are cached at `REPOSITORY:buildcache`.
    #[arg(long, value_name = "REPO")]
    pub cache_registry: Option<String>,

    /// What the registry cache keeps: `max` every stage's layers (the dependency stages a fresh builder would rebuild), `min` the image's.
    #[arg(long, value_enum, default_value_t = CacheMode::Max)]
    pub cache_mode: CacheMode,

    /// Write no cache settings.
    #[arg(long, conflicts_with_all = ["cache_registry"])]
    pub no_cache: bool,

    /// `org.opencontainers.image.source` of every image (the bake variable MSBC_SOURCE overrides it).
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,

    /// `org.opencontainers.image.revision` (the bake variable MSBC_REVISION overrides it).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// `org.opencontainers.image.created`, RFC 3339 (the bake variable MSBC_CREATED overrides it).
    #[arg(long, value_name = "TIME")]
    pub created: Option<String>,

    /// Override an arg's default in every spec that has it (repeatable): a build arg of the targets, and the value `publish` tags use.
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = crate::cli::args::parse_arg)]
    pub args: Vec<(String, String)>,

    /// Directories to search for platform templates used by `use` (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub templates: Vec<PathBuf>,

    /// Turn the security warnings (W0001 root user, W0003 credentials) into errors.
    #[arg(long)]
    pub strict: bool,

    /// Leave out specs with warnings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Fail (E0601) when a base image is neither in msbc.lock nor pinned by digest.
    #[arg(long)]
    pub locked: bool,

    /// Only the specs whose build can change since a git revision.
    #[command(flatten)]
    pub affected: crate::cli::args::AffectedArgs,
}

const BAKE_HELP: &str = "Each target builds one image: `context` is the spec's build context (its folder, or \
its `context \"../..\"`), `dockerfile` the spec (built through the frontend image) or, with --dockerfile, the \
Dockerfile written beside it; `target` the image; `tags` and `platforms` from the spec's `publish`; registry \
cache import and export per target. Groups: `default` (every target) and one per folder above the specs. \
Paths are relative to the current folder: run `docker buildx bake` from it. Specs with errors are reported \
and left out (exit 1).\n\nExamples:\n  msbc bake . --frontend registry.example.com/platform/msbc:1 -o docker-bake.json\n  \
docker buildx bake -f docker-bake.json --push\n  docker buildx bake -f docker-bake.json services-go\n  \
MSBC_REVISION=$(git rev-parse HEAD) docker buildx bake -f docker-bake.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheMode {
    Min,
    Max,
}

/// `msbc bake DIR...`.
pub(in crate::cli) fn bake(a: &BakeArgs) -> CliResult {
    let mut found = discover(&a.paths)?;
    found_or_usage(&found, &a.paths)?;
    // `--affected --since REV`: only the targets whose build can change.
    if let Some(n) = super::affected::narrow(&mut found, &a.affected, &a.paths, &options(a))? {
        say!("{}", n.line());
    }
    bake_specs(a, &found)
}

/// How bake checks each spec.
fn options(a: &BakeArgs) -> CheckOptions<'_> {
    CheckOptions {
        context: None,
        templates: &a.templates,
        strict: a.strict,
        locked: a.locked,
        args: &a.args,
        catalogs: Default::default(),
    }
}

/// The bake file of the specs `found` lists (already filtered, if at all).
fn bake_specs(a: &BakeArgs, found: &Found) -> CliResult {
    let options = options(a);
    let selection = Selection {
        image: None,
        target: None,
        args: a.args.clone(),
        platform: None,
        no_syntax: false,
    };
    let results = each(&found.specs, |p| {
        let r = check_one(p, &options)?;
        let targets = targets_of(&r, a, &selection);
        Ok::<_, Failure>((r, targets))
    });
    let mut err = String::new();
    let mut counts = Counts {
        unreadable: found.failures.len(),
        skipped: found.skipped.len(),
        ..Counts::default()
    };
    let mut targets: Vec<(String, String, Map<String, Value>)> = Vec::new();
    let mut left_out = 0;
    for r in &results {
        let Some((r, made)) = counts.tally(r, &mut err) else {
            continue;
        };
        match made {
            Ok(Some(list)) => {
                let folder = folder_of(&r.spec.dir, &a.paths);
                let single = list.len() == 1;
                // The folders that group this spec's targets: those above
                // it, and its own when it has several images.
                let grouped = if single {
                    folder.rsplit_once('/').map_or("", |(up, _)| up)
                } else {
                    folder.as_str()
                };
                for (image, target) in list {
                    let name = match (folder.as_str(), single) {
                        ("", _) => image.clone(),
                        (f, true) => f.to_string(),
                        (f, false) => format!("{f}/{image}"),
                    };
                    targets.push((name, grouped.to_string(), target.clone()));
                }
            }
            Ok(None) => {}
            Err(e) => {
                left_out += 1;
                let _ = writeln!(err, "error: {}: {e}", r.spec.shown);
            }
        }
    }
    for f in &found.failures {
        let _ = writeln!(err, "{}", f.line());
    }
    let file = bake_file(targets, a);
    let count = file["target"].as_object().map_or(0, Map::len);
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    text.push('\n');
    match &a.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => crate::cli::write_stdout(&text)?,
    }
    err.push_str(&counts.line());
    let _ = write!(err, "; {count} target{}", if count == 1 { "" } else { "s" });
    if let Some(path) = &a.output {
        let _ = write!(err, " written to {}", path.display());
    }
    if left_out > 0 {
        let _ = write!(err, "; {left_out} left out");
    }
    err.push('\n');
    crate::cli::out::stderr(&err);
    let code = counts.code(a.deny_warnings);
    Ok(if code == OK && left_out > 0 {
        SPEC_ERROR
    } else {
        code
    })
}

/// One spec's targets (image name, target), `None` when it has errors
/// (reported with its diagnostics), or why it cannot be baked.
type Made = Result<Option<Vec<(String, Map<String, Value>)>>, String>;

fn targets_of(r: &Result1, a: &BakeArgs, selection: &Selection) -> Made {
    let Some(model) = r
        .checked
        .model
        .as_ref()
        .filter(|_| !failed(&r.checked.diagnostics, a.deny_warnings))
    else {
        return Ok(None);
    };
    let context = r.spec.context_of()?;
    let within = |file: &str| match context.service_dir.as_str() {
        "" => file.to_string(),
        dir => format!("{dir}/{file}"),
    };
    let mut build_args: BTreeMap<String, String> = a
        .args
        .iter()
        .filter(|(n, _)| model.args.iter().any(|d| &d.name == n))
        .cloned()
        .collect();
    let dockerfile = if a.dockerfile {
        match compile_one(r, selection, a.deny_warnings, true, false) {
            Compiled::Done { .. } => within("Dockerfile"),
            Compiled::Failed(e) => return Err(e),
            Compiled::Rejected => return Ok(None),
        }
    } else {
        match (&a.frontend, syntax_line(&r.checked.text)) {
            (Some(image), _) => {
                build_args.insert("BUILDKIT_SYNTAX".to_string(), image.clone());
            }
            (None, Some(_)) => {}
            (None, None) => {
                return Err(
                    "no frontend image: give --frontend REF, start the spec with `// syntax=REF`, \
                     or build the Dockerfiles (--dockerfile)"
                        .to_string(),
                );
            }
        }
        if !context.service_dir.is_empty() {
            build_args.insert("MSBC_SERVICE_DIR".to_string(), context.service_dir.clone());
        }
        within(&r.spec.name)
    };
    let mut args = model.args.clone();
    for (name, value) in &a.args {
        if let Some(arg) = args.iter_mut().find(|d| &d.name == name) {
            *arg = crate::ir::ArgDef::literal(name.clone(), Some(value.clone()));
        }
    }
    let value = |w: &crate::ir::Word, what: &str| {
        w.resolve_args(&args).ok_or_else(|| {
            let names: Vec<String> = w.vars().map(|(n, _)| format!("--arg {n}=...")).collect();
            format!("{what} `{w}` has no value: give {}", names.join(" "))
        })
    };
    let mut out = Vec::new();
    for p in &model.publish {
        let mut t = Map::new();
        t.insert("context".into(), text(&path_text(&context.root)));
        t.insert("dockerfile".into(), text(&dockerfile));
        t.insert("target".into(), text(&p.image));
        if !build_args.is_empty() {
            let map: Map<String, Value> = build_args
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect();
            t.insert("args".into(), Value::Object(map));
        }
        let repository = p
            .repository
            .as_ref()
            .map(|w| value(w, "the repository"))
            .transpose()?;
        if let Some(repo) = &repository {
            let tags = if p.tags.is_empty() {
                vec!["latest".to_string()]
            } else {
                p.tags
                    .iter()
                    .map(|w| value(w, "the tag"))
                    .collect::<Result<_, _>>()?
            };
            for tag in &tags {
                let full = format!("{repo}:{tag}");
                if let Err(e) = crate::domain::ImageRef::parse(&full) {
                    return Err(format!(
                        "`{full}` (image `{}`) is not a valid image reference: {e}",
                        p.image
                    ));
                }
            }
            let tags: Vec<Value> = tags
                .iter()
                .map(|tag| text(&format!("{repo}:{tag}")))
                .collect();
            t.insert("tags".into(), Value::Array(tags));
        }
        let platforms: Vec<String> = if p.platforms.is_empty() {
            model
                .stages
                .iter()
                .find(|s| s.name == p.image)
                .and_then(|s| s.platform.as_ref())
                .and_then(|w| w.resolve_args(&args))
                .into_iter()
                .collect()
        } else {
            p.platforms.clone()
        };
        if !platforms.is_empty() {
            t.insert(
                "platforms".into(),
                Value::Array(platforms.iter().map(|s| text(s)).collect()),
            );
        }
        let labels = labels(a);
        if !labels.is_empty() {
            t.insert("labels".into(), Value::Object(labels));
        }
        if let Some(cache) = cache_ref(a, repository.as_deref()) {
            let mode = match a.cache_mode {
                CacheMode::Max => "max",
                CacheMode::Min => "min",
            };
            t.insert(
                "cache-from".into(),
                json!([text(&format!("type=registry,ref={cache}"))]),
            );
            t.insert(
                "cache-to".into(),
                json!([text(&format!("type=registry,ref={cache},mode={mode}"))]),
            );
        }
        out.push((p.image.clone(), t));
    }
    Ok(Some(out))
}

/// Where a target's registry cache lives: `--cache-registry`'s repository
/// per target (`{target}`: the target's name, known once every spec is
/// in, filled in by [`bake_file`]), else the image's own repository.
fn cache_ref(a: &BakeArgs, repository: Option<&str>) -> Option<String> {
    if a.no_cache {
        return None;
    }
    match (&a.cache_registry, repository) {
        (Some(registry), _) => Some(format!(
            "{}/{{target}}:buildcache",
            registry.trim_end_matches('/')
        )),
        (None, Some(repo)) => Some(format!("{repo}:buildcache")),
        (None, None) => None,
    }
}

/// The OCI labels the options give, each through a bake variable.
fn labels(a: &BakeArgs) -> Map<String, Value> {
    let mut labels = Map::new();
    for (key, var, value) in label_values(a) {
        if value.is_some() {
            labels.insert(
                format!("org.opencontainers.image.{key}"),
                Value::String(format!("${{{var}}}")),
            );
        }
    }
    labels
}

fn label_values(a: &BakeArgs) -> [(&'static str, &'static str, Option<&String>); 3] {
    [
        ("source", "MSBC_SOURCE", a.source.as_ref()),
        ("revision", "MSBC_REVISION", a.revision.as_ref()),
        ("created", "MSBC_CREATED", a.created.as_ref()),
    ]
}

/// The whole file: targets under unique names (`/` and other characters
/// bake does not take become `-`), `{target}` filled into cache refs, a
/// group per folder and `default`, the label variables.
fn bake_file(targets: Vec<(String, String, Map<String, Value>)>, a: &BakeArgs) -> Value {
    let mut names: Vec<String> = Vec::new();
    let mut target_map = Map::new();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, folder, mut t) in targets {
        let base = bake_name(&name);
        let mut unique = base.clone();
        let mut n = 2;
        while names.contains(&unique) {
            unique = format!("{base}-{n}");
            n += 1;
        }
        names.push(unique.clone());
        for key in ["cache-from", "cache-to"] {
            if let Some(Value::Array(list)) = t.get_mut(key) {
                for v in list.iter_mut() {
                    if let Value::String(s) = v {
                        *s = s.replace("{target}", &unique);
                    }
                }
            }
        }
        let parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
        for i in 1..=parts.len() {
            groups
                .entry(bake_name(&parts[..i].join("/")))
                .or_default()
                .push(unique.clone());
        }
        target_map.insert(unique, Value::Object(t));
    }
    let mut group_map = Map::new();
    group_map.insert("default".into(), json!({ "targets": names }));
    for (name, members) in groups {
        // A folder named like a target (or `default`) keeps the target's name.
        let name = if target_map.contains_key(&name) || name == "default" {
            format!("{name}-all")
        } else {
            name
        };
        group_map.insert(name, json!({ "targets": members }));
    }
    let mut file = Map::new();
    file.insert("group".into(), Value::Object(group_map));
    file.insert("target".into(), Value::Object(target_map));
    let variables: Map<String, Value> = label_values(a)
        .into_iter()
        .filter_map(|(_, var, value)| {
            value.map(|v| (var.to_string(), json!({ "default": text(v) })))
        })
        .collect();
    if !variables.is_empty() {
        file.insert("variable".into(), Value::Object(variables));
    }
    Value::Object(file)
}

/// A bake target or group name: letters, digits, `-` and `_`.
fn bake_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "app".to_string() } else { s }
}

/// A string value as bake reads it literally: bake interpolates `${...}`
/// and `%{...}` in every string of the file; `$${` and `%%{` stay.
fn text(s: &str) -> Value {
    Value::String(s.replace("${", "$${").replace("%{", "%%{"))
}

/// A path as the bake file holds it: `/`-separated, cleaned, relative
/// paths kept relative (to the folder bake runs in).
fn path_text(p: &Path) -> String {
    let raw = p.to_string_lossy().replace('\\', "/");
    crate::paths::clean(&raw)
}

/// The spec's folder below the root it was found under (`/`-separated),
/// "" for a spec at a root.
fn folder_of(dir: &Path, roots: &[PathBuf]) -> String {
    let clean = |p: &Path| crate::paths::clean(&p.to_string_lossy().replace('\\', "/"));
    let dir = clean(dir);
    let mut best: Option<String> = None;
    for root in roots {
        let root = clean(root);
        let rel = if root == "." {
            Some(dir.clone())
        } else if dir == root {
            Some(String::new())
        } else {
            dir.strip_prefix(&format!("{root}/")).map(str::to_string)
        };
        if let Some(rel) = rel
            && best.as_ref().is_none_or(|b| rel.len() < b.len())
        {
            best = Some(rel);
        }
    }
    match best {
        Some(r) if r == "." => String::new(),
        Some(r) => r,
        None => dir.trim_start_matches("../").to_string(),
    }
}

/// The frontend image a spec's first line names: `// syntax=REF`.
fn syntax_line(text: &str) -> Option<&str> {
    let first = text.lines().next()?.trim();
    let rest = first.strip_prefix("//")?.trim_start();
    let image = rest.strip_prefix("syntax=")?.trim();
    (!image.is_empty()).then_some(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_escapes() {
        assert_eq!(bake_name("services/go.api"), "services-go-api");
        assert_eq!(text("a${B}%{c}"), Value::String("a$${B}%%{c}".into()));
        assert_eq!(
            syntax_line("// syntax=r.example.com/msbc:1\nmsbc 1\n"),
            Some("r.example.com/msbc:1")
        );
        assert_eq!(syntax_line("msbc 1\n"), None);
        assert_eq!(
            folder_of(Path::new("./services/api"), &[PathBuf::from(".")]),
            "services/api"
        );
        assert_eq!(
            folder_of(Path::new("services/api"), &[PathBuf::from("services/")]),
            "api"
        );
        assert_eq!(
            folder_of(Path::new("services/api"), &[PathBuf::from("services/api")]),
            ""
        );
    }
}
