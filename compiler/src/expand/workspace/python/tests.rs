//! Tests of `expand/workspace/python.rs`.

use super::*;

fn files(list: &[(&str, &str)]) -> (BTreeMap<String, String>, Vec<String>) {
    let contents = list
        .iter()
        .filter(|(p, _)| p.ends_with("pyproject.toml"))
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    (contents, list.iter().map(|(p, _)| p.to_string()).collect())
}

const ROOT: &str = r#"
[project]
name = "acme"
version = "0"
[tool.uv]
package = false
[tool.uv.workspace]
members = ["apps/*", "packages/*"]
exclude = ["packages/old"]
[dependency-groups]
test = ["pytest>=8", { include-group = "lint" }]
lint = ["ruff"]
"#;
const API: &str = r#"
[project]
name = "acme-api"
version = "1"
dependencies = ["Acme_Core>=1", "humanize>=4.9; python_version >= '3.8'"]
[project.scripts]
acme-api = "acme_api.main:main"
[tool.uv.sources]
acme-core = { workspace = true }
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"#;
const CORE: &str = r#"
[project]
name = "acme.core"
version = "1"
dependencies = ["acme-util"]
[tool.uv.sources]
acme-util = { workspace = true }
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"#;
const UTIL: &str = "[project]\nname = \"acme-util\"\nversion = \"1\"\n";
const WORKER: &str = "[project]\nname = \"acme-worker\"\nversion = \"1\"\ndependencies = [\"acme-core\"]\n[tool.uv.sources]\nacme-core = { workspace = true }\n";

fn monorepo() -> (BTreeMap<String, String>, Vec<String>) {
    files(&[
        ("pyproject.toml", ROOT),
        ("uv.lock", ""),
        ("apps/api/pyproject.toml", API),
        ("apps/api/src/acme_api/main.py", ""),
        ("apps/api/tests/test_api.py", ""),
        ("apps/worker/pyproject.toml", WORKER),
        ("packages/core/pyproject.toml", CORE),
        ("packages/util/pyproject.toml", UTIL),
        (
            "packages/old/pyproject.toml",
            "[project]\nname = \"acme-util\"\n",
        ),
    ])
}

#[test]
fn a_uv_workspace_member_needs_its_workspace_dependencies_transitively() {
    let (contents, listing) = monorepo();
    let p = project(&contents, &listing, "apps/api", "uv", None);
    assert_eq!(p.errors, Vec::<String>::new());
    assert!(p.workspace && p.installable);
    assert_eq!(p.root, "");
    assert_eq!(p.member, "apps/api");
    assert_eq!(p.name.as_deref(), Some("acme-api"));
    assert_eq!(p.scripts, ["acme-api"]);
    // The worker is not needed; the excluded packages/old is no member.
    assert_eq!(p.members, ["apps/api", "packages/core", "packages/util"]);
    assert_eq!(
        p.manifests,
        [
            "pyproject.toml",
            "uv.lock",
            "apps/api/pyproject.toml",
            "packages/core/pyproject.toml",
            "packages/util/pyproject.toml"
        ]
    );
    // The root's groups, include-group resolved.
    assert_eq!(p.groups["test"], "'pytest>=8' 'ruff'");
    // Installable: the runtime needs the virtualenv only.
    assert_eq!(p.runtime, Some(vec![]));
    assert_eq!(
        p.dependencies.as_deref(),
        Some(r#"'Acme_Core>=1' 'humanize>=4.9; python_version >= '\''3.8'\'''"#)
    );
}

#[test]
fn a_workspace_in_a_subfolder_and_its_globs() {
    let (contents, mut listing) = monorepo();
    let contents: BTreeMap<String, String> = contents
        .into_iter()
        .map(|(k, v)| {
            (
                format!("py/{k}"),
                v.replace("\"apps/*\"", "\"apps/*\", \"libs/**\""),
            )
        })
        .collect();
    listing = listing.iter().map(|f| format!("py/{f}")).collect();
    let p = project(&contents, &listing, "py/apps/worker", "uv", None);
    assert_eq!(p.errors, Vec::<String>::new());
    assert_eq!(p.root, "py");
    assert_eq!(p.member, "apps/worker");
    assert_eq!(p.members, ["apps/worker", "packages/core", "packages/util"]);
    assert!(
        p.warnings.len() == 1 && p.warnings[0].contains("\"libs/**\""),
        "{:?}",
        p.warnings
    );
    // Not installable (no build-system): the runtime gets its folder's files.
    assert!(!p.installable);
    assert_eq!(
        p.runtime,
        Some(vec![Copy {
            from: "py/apps/worker/pyproject.toml".into(),
            to: String::new()
        }])
    );
}

#[test]
fn a_missing_workspace_member_is_an_error_with_the_fix() {
    let (mut contents, mut listing) = monorepo();
    contents.remove("packages/util/pyproject.toml");
    listing.retain(|f| f != "packages/util/pyproject.toml");
    let p = project(&contents, &listing, "apps/api", "uv", None);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert!(
        p.errors[0].starts_with("packages/core depends on acme-util from the workspace")
            && p.errors[0].contains("add its folder to [tool.uv.workspace] members"),
        "{}",
        p.errors[0]
    );
    // A service that is no member, and a virtual root built as a service.
    let p = project(&contents, &listing, "tools/cli", "uv", None);
    assert!(
        p.errors[0].contains("\"tools/cli\" is not a member"),
        "{:?}",
        p.errors
    );
    let (contents, listing) = monorepo();
    let p = project(&contents, &listing, "packages/old", "uv", None);
    assert!(
        p.errors[0].contains(
            "\"packages/old\" is not a member of the uv workspace at the build context's root"
        ),
        "{:?}",
        p.errors
    );
    // A virtual root (no [project]) is no service.
    let mut contents = contents;
    contents.insert(
        "pyproject.toml".into(),
        ROOT.replace("[project]\nname = \"acme\"\nversion = \"0\"\n", ""),
    );
    let p = project(&contents, &listing, "", "uv", None);
    assert!(
        p.errors[0].contains("set member to the service's folder (apps/api, apps/worker"),
        "{:?}",
        p.errors
    );
}

#[test]
fn a_pip_project_from_pyproject_alone() {
    let (contents, listing) = files(&[
        (
            "pyproject.toml",
            "[project]\nname = \"svc\"\ndependencies = [\"flask>=3\"]\n[project.scripts]\nsvc = \"svc:main\"\n[dependency-groups]\ndev = [\"pytest\"]\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n",
        ),
        ("svc/__init__.py", ""),
        ("tests/test_svc.py", ""),
        ("build.kdl", ""),
        ("gunicorn.conf.py", ""),
    ]);
    let p = project(&contents, &listing, "", "pip", None);
    assert!(!p.workspace && p.installable);
    assert_eq!(p.dependencies.as_deref(), Some("'flask>=3'"));
    assert_eq!(p.groups["dev"], "'pytest'");
    assert_eq!(p.runtime, Some(vec![]));
    // The files parameter: folders and files, checked against the listing.
    let asked = [
        "svc".to_string(),
        "gunicorn.conf.py".to_string(),
        "nope.cfg".to_string(),
    ];
    let p = project(&contents, &listing, "", "pip", Some(&asked));
    assert_eq!(
        p.runtime,
        Some(vec![
            Copy {
                from: "svc/".into(),
                to: "svc/".into()
            },
            Copy {
                from: "gunicorn.conf.py".into(),
                to: String::new()
            },
        ])
    );
    assert!(
        p.errors[0].starts_with("files names \"nope.cfg\""),
        "{:?}",
        p.errors
    );
    // Dynamic dependencies cannot install before the sources.
    let (contents, listing) = files(&[(
        "pyproject.toml",
        "[project]\nname = \"svc\"\ndynamic = [\"dependencies\"]\n",
    )]);
    assert_eq!(
        project(&contents, &listing, "", "pip", None).dependencies,
        None
    );
    // pip cannot install a uv workspace's member.
    let (contents, listing) = monorepo();
    let p = project(&contents, &listing, "apps/api", "pip", None);
    assert!(p.errors[0].contains("set pm=\"uv\""), "{:?}", p.errors);
}

#[test]
fn the_default_runtime_leaves_out_tests_dev_requirements_and_build_files() {
    let (contents, listing) = files(&[
        ("requirements.txt", ""),
        ("requirements-dev.txt", ""),
        ("app/__init__.py", ""),
        ("tests/test_app.py", ""),
        ("build.kdl", ""),
        (".env.example", ""),
        ("conftest.py", ""),
        ("wsgi.py", ""),
    ]);
    let p = project(&contents, &listing, "", "pip", None);
    let from: Vec<&str> = p
        .runtime
        .iter()
        .flatten()
        .map(|c| c.from.as_str())
        .collect();
    assert_eq!(from, ["app/", "requirements.txt", "wsgi.py"]);
    // Without a listing, nothing is known.
    let p = project(&contents, &[], "", "pip", None);
    assert!(!p.listed && p.runtime.is_none());
}

#[test]
fn globs_and_names() {
    assert!(matches("apps/*", "apps/api"));
    assert!(!matches("apps/*", "apps/api/sub"));
    assert!(matches("libs/**", "libs/a/b"));
    assert!(matches("./pkg-?", "pkg-1"));
    assert!(!matches("apps/*", "packages/core"));
    assert_eq!(normalize("Acme__Core.x"), "acme-core-x");
    assert_eq!(requirement_name("acme_core[extra]>=1"), "acme-core");
}
