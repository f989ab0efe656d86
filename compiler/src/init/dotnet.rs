//! .NET: the project to publish (the one project that is not a test
//! project), its target framework as the image version when no
//! global.json pins an SDK, and the port: ASP.NET images listen on 8080.

use super::{Project, Proposal, Setting, Value};

pub(super) fn propose(project: &dyn Project) -> Option<Proposal> {
    let projects: Vec<&String> = project
        .files()
        .iter()
        .filter(|f| {
            [".csproj", ".fsproj", ".vbproj"]
                .iter()
                .any(|e| f.ends_with(e))
        })
        .collect();
    if projects.is_empty() {
        return None;
    }
    let apps: Vec<&&String> = projects
        .iter()
        .filter(|f| !f.to_lowercase().contains("test"))
        .collect();
    let mut p = Proposal {
        preset: "dotnet".into(),
        found_by: (*projects[0]).clone(),
        ..Proposal::default()
    };
    let [app] = apps.as_slice() else {
        p.notes.push(format!(
            "{} projects that are not tests ({}): set `project` to the one the image runs",
            apps.len(),
            apps.iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Some(p);
    };
    p.found_by = (**app).clone();
    p.children.push(Setting::new(
        "project",
        vec![Value::Str((**app).clone())],
        format!("the one project that is not a test project: {app}"),
    ));
    let text = project.read(app).unwrap_or_default();
    p.runs = text.contains("Microsoft.NET.Sdk.Web")
        || text.contains("Microsoft.NET.Sdk.Worker")
        || text.contains("<OutputType>Exe</OutputType>");
    let has_global = project.files().iter().any(|f| f == "global.json");
    if has_global {
        p.detected_by_preset
            .push("the .NET version: the preset follows global.json's SDK".into());
    } else if let Some(version) = target_framework(&text) {
        p.properties.push(Setting::new(
            "version",
            vec![Value::Str(version.clone())],
            format!("{app}: `<TargetFramework>net{version}</TargetFramework>`"),
        ));
    }
    if text.contains("Microsoft.NET.Sdk.Web") {
        p.children.push(Setting::new(
            "port",
            vec![Value::Int(8080)],
            format!("{app} is a web app (Microsoft.NET.Sdk.Web): ASP.NET images listen on 8080 (ASPNETCORE_HTTP_PORTS)"),
        ));
    } else {
        p.properties.push(Setting::new(
            "runtime",
            vec![Value::Str("runtime".into())],
            format!("{app} is not a web app: the runtime image without ASP.NET"),
        ));
    }
    Some(p)
}

/// `net8.0` → `8.0` (the first of `TargetFrameworks`).
fn target_framework(csproj: &str) -> Option<String> {
    let start = csproj.find("<TargetFramework")?;
    let rest = &csproj[start..];
    let value = rest[rest.find('>')? + 1..].split('<').next()?;
    let first = value.split(';').next()?.trim();
    let v = first.strip_prefix("net")?;
    v.chars()
        .all(|c| c.is_ascii_digit() || c == '.')
        .then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::testing::Files;
    use super::*;

    #[test]
    fn the_web_project_and_its_framework() {
        let p = Files::new(&[
            (
                "src/Api/Api.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>",
            ),
            ("tests/Api.Tests/Api.Tests.csproj", "<Project/>"),
        ]);
        let proposal = propose(&p).expect("a proposal");
        assert_eq!(
            proposal.properties[0].values,
            vec![Value::Str("8.0".into())]
        );
        assert_eq!(
            proposal.children[0].values,
            vec![Value::Str("src/Api/Api.csproj".into())]
        );
        assert_eq!(proposal.children[1].values, vec![Value::Int(8080)]);
    }

    #[test]
    fn two_apps_are_a_question() {
        let p = Files::new(&[("A/A.csproj", ""), ("B/B.csproj", "")]);
        let proposal = propose(&p).expect("a proposal");
        assert!(proposal.children.is_empty());
        assert!(proposal.notes[0].contains("set `project`"));
    }
}
