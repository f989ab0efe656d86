//! What a project says about itself: the toolchain version its own files
//! name (go.mod, .nvmrc, pyproject.toml, global.json, pom.xml...), read
//! from the contents the CLI gathered ([`PROJECT_FILES`]). Pure: no I/O.
//!
//! Templates ask through `project_version(LANGUAGE, DEFAULT)`, which gives
//! `{version, from}` (the image tag to use and where it was found) or none;
//! `version_cmp(a, b)` compares two versions part by part.

use super::ranges::{npm_range_allows, python_allows};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Files of the build context whose contents templates may read, by file
/// name, in any folder of the listing (a monorepo's `apps/api/package.json`
/// as well as the root's); the CLI and the frontend read those present, each
/// up to [`MAX_PROJECT_FILE`] bytes. [`is_project_file`] is the one test.
pub const PROJECT_FILES: &[&str] = &[
    "go.mod",
    "go.work",
    ".nvmrc",
    ".node-version",
    "package.json",
    "pnpm-workspace.yaml",
    ".python-version",
    "pyproject.toml",
    "global.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
];

/// ...and, by extension, the files whose names vary (.NET projects and
/// solutions).
pub const PROJECT_EXTENSIONS: &[&str] = &[".csproj", ".fsproj", ".vbproj", ".sln"];

/// Whether templates may read `path` (relative, `/`-separated): its file
/// name is one of [`PROJECT_FILES`] or ends with one of
/// [`PROJECT_EXTENSIONS`].
pub fn is_project_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    PROJECT_FILES.contains(&name) || PROJECT_EXTENSIONS.iter().any(|e| name.ends_with(e))
}

/// How the build context is listed for templates that detect files, by the
/// CLI (the local folder) and the frontend (the `context` local) alike:
/// directories never worth listing...
pub const LISTING_SKIP: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    "bin",
    "obj",
    "dist",
    "build",
];
/// The context's own ignore file (at its root), read with the project
/// files ([`super::Context::contents`] holds it under this name): its
/// patterns join the spec's `context` patterns (see `expand`).
pub const IGNORE_FILE: &str = ".dockerignore";

/// ...how deep (a monorepo's `services/orders/cmd/api/main.go`, without
/// walking every source folder)...
pub const LISTING_MAX_DEPTH: usize = 5;
/// ...and how many files at most.
pub const LISTING_MAX_FILES: usize = 5000;

/// Larger files are not read (a generated pom.xml of megabytes says nothing
/// a template needs).
pub const MAX_PROJECT_FILE: u64 = 256 * 1024;

/// A version the project asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The image tag to build with, e.g. `1.24`, `20`, `3.11`, `8.0`, `21`.
    pub version: String,
    /// Where it was found, e.g. "go.mod (`go 1.24.0`)".
    pub from: String,
    /// For a range (`engines.node`, `requires-python`): the range, which
    /// other versions may meet too.
    pub range: Option<Range>,
}

/// A range of versions a project accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Range {
    /// An npm range over Node.js versions.
    Node(String),
    /// PEP 440 specifiers over Python versions.
    Python(String),
}

impl Range {
    /// Whether `version` (an image tag such as `20` or `3.11`) is in it.
    pub fn allows(&self, version: &str) -> bool {
        let Some(n) = numbers(version) else {
            return false;
        };
        match self {
            Range::Node(r) => npm_range_allows(r, n[0]),
            Range::Python(spec) => n[0] == 3 && n.get(1).is_some_and(|m| python_allows(spec, *m)),
        }
    }
}

/// How a version a spec names stands to the project's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The spec's version is older than the project asks for.
    Older,
    /// Newer than the project names.
    Newer,
}

/// Whether the spec's `version` disagrees with what the project asks for
/// (`None` when it agrees, a range allows it, or either is unknown).
pub fn mismatch(found: &Found, version: &str) -> Option<Relation> {
    if let Some(range) = &found.range {
        if range.allows(version) {
            return None;
        }
    }
    match compare(version, &found.version)? {
        Ordering::Less => Some(Relation::Older),
        Ordering::Greater => Some(Relation::Newer),
        Ordering::Equal => None,
    }
}

/// `1.24.0` → `[1, 24, 0]`; `None` for anything but dot-separated numbers.
pub fn numbers(v: &str) -> Option<Vec<u64>> {
    if v.is_empty() {
        return None;
    }
    v.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

/// Compares two dotted versions on the parts both have (`1.24` equals
/// `1.24.0`); `None` when either is not a dotted number.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (numbers(a)?, numbers(b)?);
    Some(
        a.iter()
            .zip(&b)
            .map(|(x, y)| x.cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
    )
}

/// The version of `language`'s toolchain that the project's files ask for;
/// `default` (the preset's own) is preferred when a range allows it.
pub fn version(
    language: &str,
    contents: &BTreeMap<String, String>,
    default: &str,
) -> Option<Found> {
    let file = |name: &str| contents.get(name).map(String::as_str);
    match language {
        "go" => go(file("go.mod")?),
        "node" => version_file(file(".nvmrc"), ".nvmrc", node_alias)
            .or_else(|| version_file(file(".node-version"), ".node-version", node_alias))
            .or_else(|| engines_node(file("package.json")?, default)),
        "python" => version_file(file(".python-version"), ".python-version", |_| None)
            .map(|f| Found {
                version: major_minor(&f.version),
                ..f
            })
            .or_else(|| requires_python(file("pyproject.toml")?, default)),
        "dotnet" => global_json(file("global.json")?),
        "java" => file("pom.xml")
            .and_then(pom_release)
            .or_else(|| {
                file("build.gradle.kts").and_then(|t| gradle_release(t, "build.gradle.kts"))
            })
            .or_else(|| file("build.gradle").and_then(|t| gradle_release(t, "build.gradle"))),
        _ => None,
    }
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// go.mod: the `go` line is the least version that builds the module (the
/// golang image's GOTOOLCHAIN=local makes it a hard floor); a `toolchain`
/// line asks for a newer one. The image tag is its major.minor.
fn go(text: &str) -> Option<Found> {
    let mut best: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let (directive, value) = match line.split_once(char::is_whitespace) {
            Some((d, v)) => (d, v.trim()),
            None => continue,
        };
        let v = match directive {
            "go" => value,
            "toolchain" => value.strip_prefix("go").unwrap_or(""),
            _ => continue,
        };
        // `1.21rc2`: the release it is a candidate of.
        let v: String = v
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if numbers(&v).is_none_or(|n| n.len() < 2) {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|(b, _)| compare(&v, b) == Some(Ordering::Greater))
        {
            best = Some((v, format!("go.mod (`{line}`)")));
        }
    }
    best.map(|(v, from)| Found {
        version: major_minor(&v),
        from,
        range: None,
    })
}

/// The first line of a version file (`.nvmrc`, `.python-version`), when it
/// is a version (`v` prefix allowed) or an alias `alias` knows.
fn version_file(
    text: Option<&str>,
    name: &str,
    alias: impl Fn(&str) -> Option<&'static str>,
) -> Option<Found> {
    let line = text?
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let v = line.strip_prefix('v').unwrap_or(line);
    let version = if numbers(v).is_some() {
        v.to_string()
    } else {
        alias(&line.to_ascii_lowercase())?.to_string()
    };
    Some(Found {
        version,
        from: format!("{name} (`{line}`)"),
        range: None,
    })
}

/// nvm's names of the Node.js LTS lines.
fn node_alias(name: &str) -> Option<&'static str> {
    Some(match name.strip_prefix("lts/")? {
        "hydrogen" => "18",
        "iron" => "20",
        "jod" => "22",
        "krypton" => "24",
        _ => return None,
    })
}

/// Node majors a range in `engines.node` is tried against, newest first.
const NODE_MAJORS: &[u64] = &[24, 22, 20, 18];
/// Python 3 minors `requires-python` is tried against, newest first.
const PYTHON_MINORS: &[u64] = &[14, 13, 12, 11, 10, 9];

/// package.json `engines.node` (an npm range): the preset's default major
/// when the range allows it, else the newest major it allows.
fn engines_node(text: &str, default: &str) -> Option<Found> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let range = json.get("engines")?.get("node")?.as_str()?;
    let allows = |major: u64| npm_range_allows(range, major);
    let default_major = numbers(default).and_then(|n| n.first().copied());
    let major = default_major
        .filter(|m| allows(*m))
        .or_else(|| NODE_MAJORS.iter().copied().find(|m| allows(*m)))?;
    Some(Found {
        version: major.to_string(),
        from: format!("package.json engines.node (`{range}`)"),
        range: Some(Range::Node(range.to_string())),
    })
}

/// pyproject.toml `requires-python` (PEP 440 specifiers, comma-separated):
/// the preset's default when it allows it, else the newest 3.x it allows.
fn requires_python(text: &str, default: &str) -> Option<Found> {
    let spec = text.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "requires-python")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })?;
    let allows = |minor: u64| python_allows(&spec, minor);
    let default_minor = numbers(default)
        .filter(|n| n.first() == Some(&3))
        .and_then(|n| n.get(1).copied());
    let minor = default_minor
        .filter(|m| allows(*m))
        .or_else(|| PYTHON_MINORS.iter().copied().find(|m| allows(*m)))?;
    Some(Found {
        version: format!("3.{minor}"),
        from: format!("pyproject.toml requires-python (`{spec}`)"),
        range: Some(Range::Python(spec)),
    })
}
/// global.json `sdk.version` (`8.0.404`): the sdk image's major.minor tag.
fn global_json(text: &str) -> Option<Found> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let v = json.get("sdk")?.get("version")?.as_str()?;
    let n = numbers(v)?;
    (n.len() >= 2).then(|| Found {
        version: format!("{}.{}", n[0], n[1]),
        from: format!("global.json (sdk.version `{v}`)"),
        range: None,
    })
}

/// A Java release as the images name it: `1.8` → `8`, `21` → `21`.
fn java_release(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v.strip_prefix("1.").filter(|r| !r.is_empty()).unwrap_or(v);
    let n = numbers(v)?;
    Some(n[0].to_string())
}

/// The text of the first `<tag>...</tag>` in `xml`.
fn xml_value<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find("</")?;
    Some(xml[start..start + len].trim())
}

/// pom.xml: the compiler release (or target/source), or Spring Boot's
/// `java.version`, following one `${property}`.
fn pom_release(xml: &str) -> Option<Found> {
    for tag in [
        "maven.compiler.release",
        "java.version",
        "maven.compiler.target",
        "maven.compiler.source",
        "release",
    ] {
        let Some(mut value) = xml_value(xml, tag) else {
            continue;
        };
        if let Some(prop) = value.strip_prefix("${").and_then(|p| p.strip_suffix('}')) {
            match xml_value(xml, prop) {
                Some(v) => value = v,
                None => continue,
            }
        }
        if let Some(release) = java_release(value) {
            return Some(Found {
                version: release,
                from: format!("pom.xml (`<{tag}>{value}</{tag}>`)"),
                range: None,
            });
        }
    }
    None
}

/// build.gradle(.kts): the toolchain (`JavaLanguageVersion.of(21)`,
/// `jvmToolchain(21)`) or the source/target compatibility.
fn gradle_release(text: &str, name: &str) -> Option<Found> {
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("//") {
            continue;
        }
        let value = if let Some(i) = l.find("JavaLanguageVersion.of(") {
            l[i + "JavaLanguageVersion.of(".len()..].split(')').next()
        } else if let Some(i) = l.find("jvmToolchain(") {
            l[i + "jvmToolchain(".len()..].split(')').next()
        } else if let Some(i) = l.find("release.set(") {
            // `options.release.set(17)` on JavaCompile tasks.
            l[i + "release.set(".len()..].split(')').next()
        } else if let Some(i) = l.find("JavaVersion.VERSION_") {
            l[i + "JavaVersion.VERSION_".len()..]
                .split(|c: char| !(c.is_ascii_digit() || c == '_'))
                .next()
        } else if l.starts_with("sourceCompatibility") || l.starts_with("targetCompatibility") {
            l.split_once('=').map(|(_, v)| v)
        } else {
            None
        };
        let Some(value) = value else {
            continue;
        };
        let v = value.trim().trim_matches(['"', '\'']).replace('_', ".");
        if let Some(release) = java_release(&v) {
            return Some(Found {
                version: release,
                from: format!("{name} (`{l}`)"),
                range: None,
            });
        }
    }
    None
}

/// Where [`version`] looks for `language`, in order, for `msbc presets`.
pub fn sources(language: &str) -> Option<&'static str> {
    Some(match language {
        "go" => "go.mod's `toolchain` and `go` lines",
        "node" => ".nvmrc, .node-version, package.json's engines.node",
        "python" => ".python-version, pyproject.toml's requires-python",
        "dotnet" => "global.json's sdk.version",
        "java" => {
            "pom.xml's compiler release or java.version, build.gradle(.kts)'s toolchain or compatibility"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
