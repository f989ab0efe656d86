//! `msbc init`: a first `build.kdl` read off a project's own files.
//!
//! Pure: the CLI hands in a [`Project`] (the folder's listing and a bounded
//! reader) and writes what [`propose`] returns. Each language has a file
//! here that looks for its manifest and decides the preset's parameters
//! that the preset cannot find by itself (main packages, the entry file,
//! the start command, the port where the code names it); what the presets
//! detect on their own (package manager, toolchain version) is only
//! mentioned in a comment, so that a spec written today keeps following
//! the project. Every choice carries the file it was read from, and every
//! question left open is a note for the user.

mod dotnet;
mod go;
mod java;
mod node;
mod ports;
mod python;
mod render;

pub use render::{compare, render};

/// The project `msbc init` reads: one folder (the build context).
pub trait Project {
    /// The folder's files, relative and `/`-separated, sorted (as the CLI
    /// lists a build context for templates).
    fn files(&self) -> &[String];
    /// A file's text, or `None` when it is absent, too large or not UTF-8.
    fn read(&self, path: &str) -> Option<String>;
}

/// A value of a preset parameter, as KDL writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(u64),
    /// A boolean.
    Bool(bool),
}

/// One parameter of the `use` node, and why it has this value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The parameter.
    pub name: String,
    /// Its values (a list parameter has several).
    pub values: Vec<Value>,
    /// Where it was read: "cmd/server/main.go (`package main`)".
    pub why: String,
}

impl Setting {
    fn new(name: &str, values: Vec<Value>, why: impl Into<String>) -> Setting {
        Setting {
            name: name.to_string(),
            values,
            why: why.into(),
        }
    }
}

/// What `msbc init` proposes for one project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposal {
    /// The preset (`go`, `node`, `python`, `java`, `dotnet`).
    pub preset: String,
    /// How the language was recognised: "go.mod".
    pub found_by: String,
    /// Properties of the `use` node (`static=#true`), then its children.
    pub properties: Vec<Setting>,
    /// Children of the `use` node.
    pub children: Vec<Setting>,
    /// What the preset finds by itself, said in a comment only.
    pub detected_by_preset: Vec<String>,
    /// `context { ignore ... }` from an existing `.dockerignore`.
    pub ignore: Vec<String>,
    /// The build context relative to the spec (`../..`) for a workspace
    /// member; `None` when the spec's folder is the context.
    pub context: Option<String>,
    /// What could not be decided, or should be checked.
    pub notes: Vec<String>,
    /// Whether it runs something (a main package, an entry script, a start
    /// command, a main class, an app project): a library does not.
    pub runs: bool,
}

/// A service inside a workspace: its own folder, seen with the files it
/// shares with the workspace's root (lockfiles, go.mod), which the presets
/// read from there. `context` is the root relative to the service
/// (`../..`), for the spec's `context` node.
pub struct Member<'a> {
    /// The service's own folder.
    pub service: &'a dyn Project,
    /// The workspace's root folder.
    pub root: &'a dyn Project,
    /// The root relative to the service (`../..`).
    pub context: String,
    files: Vec<String>,
}

/// The root files a member inherits: what the presets detect a tool by.
const SHARED: &[&str] = &[
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "uv.lock",
    "poetry.lock",
    "go.mod",
    "go.sum",
];

impl<'a> Member<'a> {
    /// The service, with the root files it shares (lockfiles, go.mod).
    pub fn new(service: &'a dyn Project, root: &'a dyn Project, context: String) -> Member<'a> {
        let mut files = service.files().to_vec();
        for f in SHARED {
            let name = (*f).to_string();
            if !files.contains(&name) && root.files().contains(&name) {
                files.push(name);
            }
        }
        files.sort();
        Member {
            service,
            root,
            context,
            files,
        }
    }
}

impl Project for Member<'_> {
    fn files(&self) -> &[String] {
        &self.files
    }
    fn read(&self, path: &str) -> Option<String> {
        self.service.read(path).or_else(|| {
            SHARED
                .contains(&path)
                .then(|| self.root.read(path))
                .flatten()
        })
    }
}

/// The workspace root a folder belongs to, among its ancestors' texts
/// (nearest first: `(relative path up, project)`): the first that declares
/// a workspace (npm/yarn `workspaces`, pnpm-workspace.yaml, go.work, a uv
/// workspace, Maven `<modules>`, a Gradle settings file, a .NET solution).
pub fn workspace_root<'p>(
    ancestors: &[(String, &'p dyn Project)],
) -> Option<(String, &'p dyn Project)> {
    ancestors
        .iter()
        .find(|(_, p)| declares_workspace(*p))
        .map(|(up, p)| (up.clone(), *p))
}

fn declares_workspace(p: &dyn Project) -> bool {
    let has = |f: &str| p.files().iter().any(|x| x == f);
    let text_has = |f: &str, needle: &str| p.read(f).is_some_and(|t| t.contains(needle));
    text_has("package.json", "\"workspaces\"")
        || has("pnpm-workspace.yaml")
        || has("go.work")
        || text_has("pyproject.toml", "[tool.uv.workspace]")
        || text_has("pom.xml", "<modules>")
        || has("settings.gradle")
        || has("settings.gradle.kts")
        || p.files()
            .iter()
            .any(|f| !f.contains('/') && f.ends_with(".sln"))
}

/// A workspace's root with services below it: their list.
fn workspace_services(project: &dyn Project) -> Option<Refusal> {
    if !declares_workspace(project) {
        return None;
    }
    let services = services(project);
    (!services.is_empty()).then_some(Refusal::Services(services))
}

/// Why no spec could be proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No manifest of a language a preset builds.
    Unknown(String),
    /// Several services: a monorepo root. Each is a folder and its language.
    Services(Vec<(String, String)>),
}

/// Looks at the project and proposes a spec.
pub fn propose(project: &dyn Project) -> Result<Proposal, Refusal> {
    let has = |f: &str| project.files().iter().any(|p| p == f);
    // A go.work at the root joins the modules below it: one Go project.
    let mut proposal = if has("go.mod") || has("go.work") {
        go::propose(project)
    } else if has("package.json") {
        node::propose(project)?
    } else if has("pyproject.toml") || has("requirements.txt") || has("uv.lock") {
        // A uv workspace's root: one spec per member that runs.
        if let Some(services) = workspace_services(project) {
            return Err(services);
        }
        python::propose(project)
    } else if has("pom.xml")
        || has("build.gradle")
        || has("build.gradle.kts")
        || has("settings.gradle")
        || has("settings.gradle.kts")
    {
        // An aggregator or a multi-project build: one spec per service.
        if let Some(services) = workspace_services(project) {
            return Err(services);
        }
        java::propose(project)
    } else if let Some(p) = dotnet::propose(project) {
        if p.children.is_empty() {
            return Err(refuse(project));
        }
        p
    } else {
        return Err(refuse(project));
    };
    proposal.ignore = dockerignore(project);
    Ok(proposal)
}

/// [`propose`] for a service of a workspace: the spec names the root as
/// its build context, and the root's `.dockerignore` is the one the build
/// reads.
pub fn propose_member(member: &Member<'_>) -> Result<Proposal, Refusal> {
    let mut proposal = propose(member)?;
    proposal.context = Some(member.context.clone());
    proposal.ignore = dockerignore(member.root);
    proposal.found_by = format!(
        "{} (a member of the workspace at {})",
        proposal.found_by, member.context
    );
    Ok(proposal)
}

/// No manifest at the root: a monorepo's services, or nothing known.
fn refuse(project: &dyn Project) -> Refusal {
    let services = services(project);
    if services.is_empty() {
        let rust = project.files().iter().any(|f| f == "Cargo.toml");
        Refusal::Unknown(if rust {
            "a Rust project (Cargo.toml): the stdlib has no Rust preset yet; write the stages by hand (specs/rust-workspace is an example) or `msbc import` a Dockerfile".to_string()
        } else {
            "no go.mod, package.json, pyproject.toml, requirements.txt, pom.xml, build.gradle(.kts) or .csproj here, nor a service below: no preset fits; write the stages by hand, or `msbc import` a Dockerfile".to_string()
        })
    } else {
        Refusal::Services(services)
    }
}

/// The services below a repository's root: every folder with a manifest
/// (not in tests, fixtures or vendored code) whose proposal runs something
/// (a Go main package, a Node.js entry, a Python start command, a Java
/// main class, a .NET app), each with its language. Libraries are left out.
pub fn services(project: &dyn Project) -> Vec<(String, String)> {
    let mut dirs: Vec<String> = Vec::new();
    for f in sources(project, "") {
        let Some((dir, name)) = f.rsplit_once('/') else {
            continue;
        };
        let manifest = matches!(
            name,
            "go.mod"
                | "package.json"
                | "pyproject.toml"
                | "requirements.txt"
                | "pom.xml"
                | "build.gradle"
                | "build.gradle.kts"
        ) || name.ends_with(".csproj")
            || name.ends_with(".fsproj");
        if manifest && !dirs.iter().any(|d| d == dir) {
            dirs.push(dir.to_string());
        }
    }
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let view = Sub::new(project, &dir);
        let member = Member::new(&view, project, String::new());
        if let Ok(p) = propose(&member)
            && p.runs
        {
            out.push((dir, p.preset));
        }
    }
    out
}

/// A folder of a project, seen as a project of its own.
pub struct Sub<'a> {
    root: &'a dyn Project,
    prefix: String,
    files: Vec<String>,
}

impl<'a> Sub<'a> {
    /// The folder `dir` of `root`.
    pub fn new(root: &'a dyn Project, dir: &str) -> Sub<'a> {
        let prefix = format!("{dir}/");
        let files = root
            .files()
            .iter()
            .filter_map(|f| f.strip_prefix(&prefix).map(str::to_string))
            .collect();
        Sub {
            root,
            prefix,
            files,
        }
    }
}

impl Project for Sub<'_> {
    fn files(&self) -> &[String] {
        &self.files
    }
    fn read(&self, path: &str) -> Option<String> {
        self.root.read(&format!("{}{path}", self.prefix))
    }
}

/// The patterns of an existing `.dockerignore` (comments and blank lines
/// dropped), which the spec's `context` then carries.
fn dockerignore(project: &dyn Project) -> Vec<String> {
    project
        .read(".dockerignore")
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The files of `project` under `dir` ("" for the root) whose name ends
/// with `suffix`, skipping tests, vendored and generated folders.
fn sources<'a>(project: &'a dyn Project, suffix: &'a str) -> impl Iterator<Item = &'a String> {
    const SKIP: &[&str] = &[
        "vendor",
        "testdata",
        "node_modules",
        "test",
        "tests",
        "__tests__",
        "dist",
        "build",
        "target",
    ];
    project.files().iter().filter(move |f| {
        f.ends_with(suffix)
            && !f
                .split('/')
                .any(|part| SKIP.contains(&part) || part.starts_with('.'))
    })
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Project;
    use std::collections::BTreeMap;

    /// A project held in memory.
    pub struct Files {
        list: Vec<String>,
        texts: BTreeMap<String, String>,
    }

    impl Files {
        pub fn new(files: &[(&str, &str)]) -> Files {
            let texts: BTreeMap<String, String> = files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect();
            Files {
                list: texts.keys().cloned().collect(),
                texts,
            }
        }
    }

    impl Project for Files {
        fn files(&self) -> &[String] {
            &self.list
        }
        fn read(&self, path: &str) -> Option<String> {
            self.texts.get(path).cloned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Files;
    use super::*;

    #[test]
    fn a_folder_of_services_is_listed_not_guessed() {
        let p = Files::new(&[
            ("apps/api/package.json", r#"{"main": "server.js"}"#),
            ("apps/api/server.js", "app.listen(3000)"),
            ("apps/api/fixtures/x/package.json", "{}"),
            (
                "packages/shared/package.json",
                r#"{"name": "@acme/shared"}"#,
            ),
            ("services/orders/go.mod", "module x\n"),
            ("services/orders/main.go", "package main\n"),
            ("services/orders/testdata/go.mod", "module y\n"),
            ("README.md", ""),
        ]);
        assert_eq!(
            propose(&p),
            Err(Refusal::Services(vec![
                ("apps/api".into(), "node".into()),
                ("services/orders".into(), "go".into()),
            ]))
        );
    }

    #[test]
    fn nothing_known_says_what_was_looked_for() {
        let p = Files::new(&[("Cargo.toml", "[package]\n")]);
        match propose(&p) {
            Err(Refusal::Unknown(why)) => assert!(why.contains("Rust"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_member_sees_the_roots_lockfile_and_names_its_context() {
        let root = Files::new(&[
            ("package.json", r#"{"workspaces": ["apps/*"]}"#),
            ("package-lock.json", "{}"),
            (".dockerignore", "local-dump.sql\n"),
        ]);
        let api = Files::new(&[
            ("package.json", r#"{"name": "api", "main": "server.js"}"#),
            ("server.js", "app.listen(3000)"),
        ]);
        let ancestors: Vec<(String, &dyn Project)> =
            vec![("..".into(), &api), ("../..".into(), &root)];
        let (up, found) = workspace_root(&ancestors).expect("a workspace root");
        assert_eq!(up, "../..");
        let member = Member::new(&api, found, up);
        let proposal = propose_member(&member).expect("a proposal");
        assert_eq!(proposal.context.as_deref(), Some("../.."));
        assert_eq!(proposal.ignore, vec!["local-dump.sql"]);
        assert!(
            proposal.notes.iter().all(|n| !n.contains("lockfile")),
            "{:?}",
            proposal.notes
        );
        assert!(
            proposal
                .detected_by_preset
                .iter()
                .any(|d| d.contains("npm"))
        );
    }

    #[test]
    fn dockerignore_patterns_come_along() {
        let p = Files::new(&[
            ("go.mod", "module x\n\ngo 1.23\n"),
            ("main.go", "package main\n"),
            (".dockerignore", "# local\nlocal-dump.sql\n\n!keep.sql\n"),
        ]);
        let proposal = propose(&p).expect("a proposal");
        assert_eq!(proposal.ignore, vec!["local-dump.sql", "!keep.sql"]);
    }
}
