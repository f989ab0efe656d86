//! .NET solutions: the projects a service's project references
//! (`<ProjectReference Include="..\Lib\Lib.csproj" />`, transitively), so
//! the dotnet preset restores with exactly those project files present and
//! copies only their folders as sources; and the MSBuild and NuGet files
//! (`Directory.Build.props`, `Directory.Packages.props`, `nuget.config`...)
//! that apply to them: those in their folders and the folders above.

use super::{ancestors, parent};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Files MSBuild and NuGet pick up from a project's folder or any folder
/// above it.
const INHERITED: &[&str] = &[
    "Directory.Build.props",
    "Directory.Build.targets",
    "Directory.Packages.props",
    "NuGet.Config",
    "nuget.config",
    "NuGet.config",
];

/// What restoring and publishing one project needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// The project and every project it references, transitively; the
    /// references first, the project last.
    pub projects: Vec<String>,
    /// Their folders ("" for the context's root), as listed in `projects`,
    /// without one inside another.
    pub dirs: Vec<String>,
    /// The inherited build files and each project's `packages.lock.json`
    /// in the context, root first.
    pub files: Vec<String>,
}

/// The references of one project file: the `Include` paths of its
/// `ProjectReference` items, as written (`;` splits several).
fn references(text: &str) -> Result<Vec<String>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    Ok(doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "ProjectReference")
        .filter_map(|n| n.attribute("Include"))
        .flat_map(|i| i.split(';'))
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .collect())
}

/// The closure of `project` (a path in the build context). `Ok(None)` when
/// its text is unknown (not read) or a reference is written with MSBuild
/// properties or wildcards msbc does not evaluate: the preset then copies
/// every project. `Err` with the fix for a reference to a file the context
/// lacks.
pub fn closure(
    files: &[String],
    contents: &BTreeMap<String, String>,
    project: &str,
) -> Result<Option<Closure>, String> {
    let listed: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let mut projects: Vec<String> = Vec::new();
    let mut on_path: Vec<String> = Vec::new();
    if !contents.contains_key(project) {
        return Ok(None);
    }
    if !visit(project, contents, &listed, &mut projects, &mut on_path)? {
        return Ok(None);
    }
    let mut dirs: Vec<String> = Vec::new();
    for p in &projects {
        let d = parent(p).to_string();
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    let inside = |d: &str, other: &str| {
        other.is_empty() || (d != other && d.starts_with(&format!("{other}/")))
    };
    let kept: Vec<String> = dirs
        .iter()
        .filter(|d| !dirs.iter().any(|o| inside(d, o) && o != *d))
        .cloned()
        .collect();
    let mut wanted: Vec<String> = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    for d in &dirs {
        for a in ancestors(d) {
            if !folders.contains(&a) {
                folders.push(a);
            }
        }
    }
    folders.sort_by_key(|f| {
        (
            f.matches('/').count() + usize::from(!f.is_empty()),
            f.clone(),
        )
    });
    for f in &folders {
        for name in INHERITED {
            let path = if f.is_empty() {
                (*name).to_string()
            } else {
                format!("{f}/{name}")
            };
            if listed.contains(path.as_str()) {
                wanted.push(path);
            }
        }
        if dirs.contains(f) {
            let lock = if f.is_empty() {
                "packages.lock.json".to_string()
            } else {
                format!("{f}/packages.lock.json")
            };
            if listed.contains(lock.as_str()) {
                wanted.push(lock);
            }
        }
    }
    Ok(Some(Closure {
        projects,
        dirs: kept,
        files: wanted,
    }))
}

/// Adds `project`'s references, then `project`; false when a reference
/// cannot be followed or a project file is not XML.
fn visit(
    project: &str,
    contents: &BTreeMap<String, String>,
    listed: &BTreeSet<&str>,
    out: &mut Vec<String>,
    on_path: &mut Vec<String>,
) -> Result<bool, String> {
    if out.iter().any(|p| p == project) || on_path.iter().any(|p| p == project) {
        return Ok(true);
    }
    on_path.push(project.to_string());
    if let Some(text) = contents.get(project) {
        // Not XML: MSBuild reports it; msbc copies every project.
        let Ok(refs) = references(text) else {
            return Ok(false);
        };
        let dir = parent(project);
        for written in refs {
            let include = written
                .replace("$(MSBuildThisFileDirectory)", "")
                .replace("$(MSBuildProjectDirectory)", ".");
            if include.contains("$(") || include.contains('*') {
                return Ok(false);
            }
            let Some(path) = super::join(dir, &include) else {
                return Err(format!(
                    "{project} references `{written}`, which lies outside the build context: make the context the folder that holds every project of the solution"
                ));
            };
            if !listed.contains(path.as_str()) {
                let same_but_case = listed
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(&path))
                    .map(|f| format!(": the context has {f} (paths are case-sensitive on Linux)"));
                return Err(format!(
                    "{project} references `{written}`, but the build context has no {path}{}",
                    same_but_case.unwrap_or_else(|| {
                        ": dotnet restore needs every referenced project; add it to the context (check its ignore patterns) or fix the reference".to_string()
                    })
                ));
            }
            if !visit(&path, contents, listed, out, on_path)? {
                return Ok(false);
            }
        }
    }
    on_path.pop();
    out.push(project.to_string());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = r#"<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="..\..\libs\Shop.Domain\Shop.Domain.csproj" />
    <!-- <ProjectReference Include="..\Old\Old.csproj" /> -->
  </ItemGroup>
</Project>"#;
    const DOMAIN: &str = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup><ProjectReference Include="$(MSBuildThisFileDirectory)../Shop.Money/Shop.Money.csproj" /></ItemGroup>
</Project>"#;
    const MONEY: &str = r#"<Project Sdk="Microsoft.NET.Sdk"></Project>"#;

    fn repo(extra: &[(&str, &str)], drop: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
        let mut all = vec![
            ("Shop.sln", ""),
            ("Directory.Build.props", "<Project/>"),
            ("services/Api/Api.csproj", API),
            ("services/Api/packages.lock.json", "{}"),
            ("services/Worker/Worker.csproj", MONEY),
            ("services/Worker/Directory.Build.props", "<Project/>"),
            ("libs/Directory.Packages.props", "<Project/>"),
            ("libs/Shop.Domain/Shop.Domain.csproj", DOMAIN),
            ("libs/Shop.Money/Shop.Money.csproj", MONEY),
            ("tests/Api.Tests/Api.Tests.csproj", MONEY),
        ];
        all.retain(|(p, _)| !drop.contains(p));
        all.extend_from_slice(extra);
        let files = all.iter().map(|(p, _)| p.to_string()).collect();
        let contents = all
            .iter()
            .filter(|(p, _)| p.ends_with("proj"))
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        (files, contents)
    }

    #[test]
    fn a_project_needs_its_references_transitively() {
        let (files, contents) = repo(&[], &[]);
        let c = closure(&files, &contents, "services/Api/Api.csproj")
            .expect("ok")
            .expect("known");
        assert_eq!(
            c.projects,
            [
                "libs/Shop.Money/Shop.Money.csproj",
                "libs/Shop.Domain/Shop.Domain.csproj",
                "services/Api/Api.csproj"
            ]
        );
        assert_eq!(
            c.dirs,
            ["libs/Shop.Money", "libs/Shop.Domain", "services/Api"]
        );
        // Not the worker's own Directory.Build.props, not the solution.
        assert_eq!(
            c.files,
            [
                "Directory.Build.props",
                "libs/Directory.Packages.props",
                "services/Api/packages.lock.json"
            ]
        );
    }

    #[test]
    fn references_that_cannot_be_followed() {
        let (files, contents) = repo(&[], &["libs/Shop.Money/Shop.Money.csproj"]);
        let e = closure(&files, &contents, "services/Api/Api.csproj").expect_err("missing");
        assert!(
            e.contains("libs/Shop.Domain/Shop.Domain.csproj references `$(MSBuildThisFileDirectory)../Shop.Money/Shop.Money.csproj`")
                && e.contains("no libs/Shop.Money/Shop.Money.csproj"),
            "{e}"
        );
        let (files, contents) = repo(
            &[("libs/shop.money/Shop.Money.csproj", MONEY)],
            &["libs/Shop.Money/Shop.Money.csproj"],
        );
        let e = closure(&files, &contents, "services/Api/Api.csproj").expect_err("case");
        assert!(
            e.contains("the context has libs/shop.money/Shop.Money.csproj"),
            "{e}"
        );
        let outside = r#"<Project><ItemGroup><ProjectReference Include="..\..\..\x\X.csproj" /></ItemGroup></Project>"#;
        let (files, contents) = repo(
            &[("services/Api/Api.csproj", outside)],
            &["services/Api/Api.csproj"],
        );
        let e = closure(&files, &contents, "services/Api/Api.csproj").expect_err("outside");
        assert!(e.contains("outside the build context"), "{e}");
        // Properties msbc does not evaluate: every project is copied.
        let props = r#"<Project><ItemGroup><ProjectReference Include="$(RepoRoot)libs\X.csproj" /></ItemGroup></Project>"#;
        let (files, contents) = repo(
            &[("services/Api/Api.csproj", props)],
            &["services/Api/Api.csproj"],
        );
        assert_eq!(
            closure(&files, &contents, "services/Api/Api.csproj"),
            Ok(None)
        );
        // Not XML (MSBuild says so), or unknown text: nothing to say.
        let (files, contents) = repo(
            &[("services/Api/Api.csproj", "")],
            &["services/Api/Api.csproj"],
        );
        assert_eq!(
            closure(&files, &contents, "services/Api/Api.csproj"),
            Ok(None)
        );
        assert_eq!(
            closure(&files, &BTreeMap::new(), "services/Api/Api.csproj"),
            Ok(None)
        );
    }

    #[test]
    fn a_project_at_the_root_holds_the_others() {
        let root = r#"<Project><ItemGroup><ProjectReference Include="Lib\Lib.csproj" /></ItemGroup></Project>"#;
        let files = vec!["App.csproj".to_string(), "Lib/Lib.csproj".to_string()];
        let contents = BTreeMap::from([
            ("App.csproj".to_string(), root.to_string()),
            ("Lib/Lib.csproj".to_string(), MONEY.to_string()),
        ]);
        let c = closure(&files, &contents, "App.csproj")
            .expect("ok")
            .expect("known");
        assert_eq!(c.projects, ["Lib/Lib.csproj", "App.csproj"]);
        assert_eq!(c.dirs, [""]);
    }
}
