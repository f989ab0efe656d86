//! `msbc images DIR...`: the inventory of the base images the fleet pulls.

use super::*;
use crate::domain::ImageRef;

#[derive(Debug, Args)]
#[command(
    after_help = "Arg defaults are filled in (--arg overrides them) and templates expanded; a reference \
with a part known only at build time (a platform arg) is shown as written. `unpinned` marks a reference \
without a digest.\n\nExamples:\n  msbc images .\n  msbc images services/ --format markdown >> $GITHUB_STEP_SUMMARY\n  \
msbc images . --format json | jq '.images[] | select(.image == \"node\")'"
)]
#[command(mut_arg("context", |a| a.help("The build context, when it is not the spec's folder for every spec (overrides each spec's `context \"DIR\"`): project files are read there, the spec's folder within it is the service built (`--context .` for apps/api/build.kdl built from the root)")))]
pub struct ImagesArgs {
    /// Folders to search for build.kdl files (or spec files).
    #[arg(value_name = "DIR", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// How to print.
    #[arg(long, value_enum, default_value_t = ImagesFormat::Human)]
    pub format: ImagesFormat,

    /// Override an arg's default in every spec that has it (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = crate::cli::args::parse_arg)]
    pub args: Vec<(String, String)>,

    #[command(flatten)]
    pub inputs: crate::cli::args::SpecInputs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImagesFormat {
    /// A list per image and tag.
    Human,
    /// One JSON document on stdout.
    Json,
    /// A Markdown table (for a job summary or a wiki page).
    Markdown,
}

/// One use of an image in the fleet.
#[derive(Debug, Clone, serde::Serialize)]
struct Use {
    /// The spec's folder.
    service: String,
    stage: String,
    how: &'static str,
}

/// One image and tag of the inventory.
#[derive(Debug, Clone, serde::Serialize)]
struct Entry {
    image: String,
    /// `null`: no tag written (`latest` is pulled).
    tag: Option<String>,
    digest: Option<String>,
    /// Not pinned by digest.
    unpinned: bool,
    /// A part is known only at build time (shown as written).
    unresolved: bool,
    uses: Vec<Use>,
}

/// `msbc images DIR...`.
pub(in crate::cli) fn images(a: &ImagesArgs) -> CliResult {
    let found = discover(&a.paths)?;
    found_or_usage(&found, &a.paths)?;
    let options = CheckOptions::new(&a.inputs, None, &a.args);
    let results = each(&found.specs, |p| {
        let r = check_one(p, &options)?;
        let images = r
            .checked
            .model
            .as_ref()
            .filter(|_| !r.checked.diagnostics.has_errors())
            .map(|m| compile::base_images(m, &a.args));
        Ok::<_, Failure>((r, images))
    });
    let mut failures: Vec<Failure> = found.failures.clone();
    let mut with_errors = Vec::new();
    let mut specs = 0;
    let mut by_ref: BTreeMap<(String, Option<String>, Option<String>), Entry> = BTreeMap::new();
    for r in results {
        let (r, images) = match r {
            Ok(x) => x,
            Err(f) => {
                failures.push(f);
                continue;
            }
        };
        specs += 1;
        let Some(images) = images else {
            with_errors.push(r.spec.shown.clone());
            continue;
        };
        let service = r.spec.dir.display().to_string();
        for image in images {
            // As written (a reference may still hold `${...}`): split only.
            let split = ImageRef::split(&image.reference);
            let name = split.name();
            let key = (name.clone(), split.tag.clone(), split.digest.clone());
            let entry = by_ref.entry(key).or_insert_with(|| Entry {
                image: name,
                tag: split.tag,
                digest: split.digest.clone(),
                unpinned: split.digest.is_none(),
                unresolved: image.unresolved,
                uses: Vec::new(),
            });
            entry.uses.push(Use {
                service: service.clone(),
                stage: image.stage,
                how: image.how,
            });
        }
    }
    let entries: Vec<Entry> = by_ref.into_values().collect();
    let services_unpinned: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.unpinned)
        .flat_map(|e| e.uses.iter().map(|u| u.service.as_str()))
        .collect();
    let out = match a.format {
        ImagesFormat::Json => {
            let doc = serde_json::json!({
                "specs": specs,
                "images": entries,
                "unpinned_services": services_unpinned,
                "with_errors": with_errors,
                "failures": failures,
                "skipped": found.skipped,
            });
            let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ImagesFormat::Markdown => {
            let mut s = String::from(
                "| image | tag | pinned | services (stages) |\n| --- | --- | --- | --- |\n",
            );
            for e in &entries {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} |",
                    e.image,
                    tag_text(e),
                    if e.unpinned { "no" } else { "yes" },
                    uses_text(&e.uses, "<br>").replace('|', "\\|")
                );
            }
            s
        }
        ImagesFormat::Human => {
            let mut s = String::new();
            for e in &entries {
                let _ = writeln!(
                    s,
                    "{}:{}{}{}",
                    e.image,
                    tag_text(e),
                    if e.unpinned { "  (unpinned)" } else { "" },
                    if e.unresolved {
                        "  (known at build time)"
                    } else {
                        ""
                    }
                );
                for line in uses_text(&e.uses, "\n").lines() {
                    let _ = writeln!(s, "    {line}");
                }
            }
            s
        }
    };
    crate::cli::out::stdout(&out)?;
    let mut err = String::new();
    for spec in &with_errors {
        let _ = writeln!(
            err,
            "error: {spec} has errors (run `msbc check {spec}`): its images are not listed"
        );
    }
    for f in &failures {
        let _ = writeln!(err, "{}", f.line());
    }
    let _ = writeln!(
        err,
        "{specs} specs: {} images, {} references unpinned in {} services",
        entries.len(),
        entries.iter().filter(|e| e.unpinned).count(),
        services_unpinned.len()
    );
    crate::cli::out::stderr(&err);
    Ok(if !failures.is_empty() {
        USAGE_ERROR
    } else if !with_errors.is_empty() {
        SPEC_ERROR
    } else {
        OK
    })
}

fn tag_text(e: &Entry) -> String {
    match (&e.tag, &e.digest) {
        (Some(t), Some(d)) => format!("{t}@{d}"),
        (Some(t), None) => t.clone(),
        (None, Some(d)) => format!("@{d}"),
        (None, None) => "(no tag: latest)".to_string(),
    }
}

/// `service (stage, stage)` per service, joined by `sep`.
fn uses_text(uses: &[Use], sep: &str) -> String {
    let mut by_service: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for u in uses {
        let stage = match u.how {
            "from" => u.stage.clone(),
            how => format!("{} ({how})", u.stage),
        };
        let list = by_service.entry(&u.service).or_default();
        if !list.contains(&stage) {
            list.push(stage);
        }
    }
    by_service
        .into_iter()
        .map(|(s, stages)| format!("{s}: {}", stages.join(", ")))
        .collect::<Vec<_>>()
        .join(sep)
}
