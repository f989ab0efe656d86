//! The .NET preset: project discovery, publishing for the target.

use super::*;

// The helpers of java.rs (a context with contents and a service folder).

#[test]
fn dotnet_finds_the_project_and_publishes_for_the_target() {
    let df = ok(
        "msbc 1\nuse dotnet",
        &[
            "App.sln",
            "Directory.Build.props",
            "src/Api/Api.csproj",
            "tests/Api.Tests/Api.Tests.csproj",
        ],
    );
    let restore = df.stage("restore").expect("restore");
    assert_eq!(restore.base, "mcr.microsoft.com/dotnet/sdk:8.0");
    let copies: Vec<&str> = restore
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.as_str())
        .collect();
    assert_eq!(
        copies,
        [
            "App.sln Directory.Build.props ./",
            "src/Api/Api.csproj ./src/Api/",
            "tests/Api.Tests/Api.Tests.csproj ./tests/Api.Tests/"
        ],
        "{}",
        df.text
    );
    assert!(
        restore
            .instrs
            .iter()
            .any(|i| i.script() == "dotnet restore src/Api/Api.csproj -a ${TARGETARCH}"),
        "{}",
        df.text
    );
    assert!(df.text.contains("dotnet publish src/Api/Api.csproj -c Release -a ${TARGETARCH} --no-restore -o /out -p:UseAppHost=false"), "{}", df.text);
    assert!(
        df.stage("test")
            .is_some_and(|t| t.instrs.iter().any(|i| i.script() == "dotnet test App.sln")),
        "{}",
        df.text
    );
    let last = df.last();
    assert_eq!(last.base, "mcr.microsoft.com/dotnet/aspnet:8.0");
    assert!(
        last.instrs
            .iter()
            .any(|i| i.cmd == "USER" && i.rest == "1654"),
        "the images' `app` user: {}",
        df.text
    );
    assert!(
        last.instrs
            .iter()
            .any(|i| i.rest == r#"["dotnet", "/app/Api.dll"]"#),
        "{}",
        df.text
    );
    assert!(
        last.instrs
            .iter()
            .any(|i| i.cmd == "EXPOSE" && i.rest == "8080"),
        "{}",
        df.text
    );

    // Test projects are run when there is no solution.
    let tests = ok(
        "msbc 1\nuse dotnet",
        &["src/Api/Api.csproj", "tests/Api.Tests/Api.Tests.csproj"],
    );
    assert!(
        tests.stage("test").is_some_and(|t| t
            .instrs
            .iter()
            .any(|i| i.script() == "dotnet test tests/Api.Tests/Api.Tests.csproj")),
        "{}",
        tests.text
    );

    // Self-contained on runtime-deps: the app's own host, the runtime packs restored.
    let sc = ok(
        "msbc 1\nuse dotnet runtime=\"runtime-deps\" { project \"src/Api/Api.csproj\"; port 8080; }",
        &[],
    );
    assert_eq!(sc.last().base, "mcr.microsoft.com/dotnet/runtime-deps:8.0");
    assert!(
        sc.text.contains("-p:SelfContained=true")
            && sc.text.contains("--no-restore -o /out --self-contained"),
        "{}",
        sc.text
    );
    assert!(
        sc.last().instrs.iter().any(|i| i.rest == r#"["/app/Api"]"#),
        "{}",
        sc.text
    );

    // Another port is the app's too, not only the EXPOSE.
    let port = ok(
        "msbc 1\nuse dotnet { project \"Api.csproj\"; port 5000; }",
        &[],
    );
    assert!(
        port.last()
            .instrs
            .iter()
            .any(|i| i.cmd == "ENV" && i.rest == "ASPNETCORE_HTTP_PORTS=5000"),
        "{}",
        port.text
    );

    // Several candidates: the user must choose, and is told so at the `use`.
    let err = compile_with(
        "msbc 1\nuse dotnet",
        &["src/Api/Api.csproj", "src/Worker/Worker.csproj"],
    )
    .expect_err("ambiguous");
    assert!(
        err.iter().any(|d| d.code.as_str() == "E0115"
            && d.message.contains("set project=")
            && d.message.contains("src/Worker/Worker.csproj")),
        "{err:#?}"
    );
}

#[test]
fn dotnet_versions_before_8_are_refused_with_the_ones_it_builds() {
    // USER 1654 and ASPNETCORE_HTTP_PORTS exist from .NET 8 on: a 6.0 or 7.0
    // image has no such user and listens on :80.
    for version in ["6.0", "7.0", "3.1", "8", "8.0-noble", "latest", "8.0 x"] {
        let src = format!("msbc 1\nuse dotnet version=\"{version}\" port=5000");
        let message = refusal(&src, &["Api.csproj"]);
        assert!(
            message.contains("8.0, 9.0, 10.0") && message.contains("1654"),
            "{version}: {message}"
        );
    }
    for version in ["8.0", "9.0", "10.0", "8.0.11"] {
        let df = ok(
            &format!("msbc 1\nuse dotnet version=\"{version}\" port=5000"),
            &["Api.csproj"],
        );
        assert!(
            df.args
                .iter()
                .any(|(n, v)| n == "DOTNET_VERSION" && v == version),
            "{}",
            df.text
        );
        assert!(
            df.last()
                .instrs
                .iter()
                .any(|i| i.cmd == "USER" && i.rest == "1654")
                && df.text.contains("ASPNETCORE_HTTP_PORTS=5000"),
            "{}",
            df.text
        );
    }
}

#[test]
fn dotnet_solution_sample_restores_and_copies_only_what_the_service_references() {
    let df = sample("dotnet-solution");
    let copies = |stage: &str| -> Vec<String> {
        df.stage(stage)
            .unwrap_or_else(|| panic!("no {stage}:\n{}", df.text))
            .instrs
            .iter()
            .filter(|i| i.cmd == "COPY")
            .map(|i| i.rest.clone())
            .collect()
    };
    // The service's project and the one it references; not the worker, not
    // the solution, not the tests.
    assert_eq!(
        copies("restore"),
        [
            "global.json Directory.Build.props ./",
            "src/Api/Api.csproj ./src/Api/",
            "src/Shop.Domain/Shop.Domain.csproj ./src/Shop.Domain/",
        ],
        "{}",
        df.text
    );
    assert_eq!(
        copies("build"),
        ["src/Shop.Domain/ ./src/Shop.Domain/", "src/Api/ ./src/Api/"],
        "{}",
        df.text
    );
    // The tests that reference the service, with their own folder.
    assert_eq!(
        copies("test"),
        ["tests/Api.Tests/ ./tests/Api.Tests/"],
        "{}",
        df.text
    );
    assert!(
        df.stage("test").is_some_and(|t| t
            .instrs
            .iter()
            .any(|i| i.script() == "dotnet test tests/Api.Tests/Api.Tests.csproj")),
        "{}",
        df.text
    );
    assert!(
        df.last()
            .instrs
            .iter()
            .any(|i| i.rest == r#"["dotnet", "/app/Api.dll"]"#)
    );
}

const API: &str = r#"<Project Sdk="Microsoft.NET.Sdk.Web"><ItemGroup><ProjectReference Include="..\..\libs\Domain\Domain.csproj" /></ItemGroup></Project>"#;
const LIB: &str = r#"<Project Sdk="Microsoft.NET.Sdk" />"#;

#[test]
fn dotnet_project_references_that_cannot_restore_are_refused_with_the_fix() {
    // The referenced project is not in the context.
    let m = super::java::refused_in(
        "msbc 1\nuse dotnet project=\"services/Api/Api.csproj\"",
        &[("services/Api/Api.csproj", API)],
        "",
    );
    assert!(
        m.contains(r"services/Api/Api.csproj references `..\..\libs\Domain\Domain.csproj`")
            && m.contains("no libs/Domain/Domain.csproj")
            && m.contains("dotnet restore needs every referenced project"),
        "{m}"
    );
    // ...or is there under another case (a build on Linux fails).
    let m = super::java::refused_in(
        "msbc 1\nuse dotnet project=\"services/Api/Api.csproj\"",
        &[
            ("services/Api/Api.csproj", API),
            ("libs/domain/Domain.csproj", LIB),
        ],
        "",
    );
    assert!(
        m.contains("the context has libs/domain/Domain.csproj"),
        "{m}"
    );
}

#[test]
fn dotnet_project_defaults_to_the_one_in_the_spec_folder() {
    let files = [
        ("services/Api/Api.csproj", API),
        ("services/Worker/Worker.csproj", LIB),
        ("libs/Domain/Domain.csproj", LIB),
        ("libs/Directory.Build.props", "<Project />"),
        ("services/Worker/Directory.Build.props", "<Project />"),
    ];
    let df = super::java::compile_in(
        "msbc 1\nuse dotnet { include \"keys/app.snk\"; }",
        &files,
        "services/Api",
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(
        df.text.contains("dotnet restore services/Api/Api.csproj"),
        "{}",
        df.text
    );
    let restore: Vec<String> = df
        .stage("restore")
        .expect("restore")
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.clone())
        .collect();
    // The Directory.Build.props above the referenced project, not the worker's.
    assert_eq!(
        restore,
        [
            "libs/Directory.Build.props ./libs/",
            "libs/Domain/Domain.csproj ./libs/Domain/",
            "services/Api/Api.csproj ./services/Api/",
        ],
        "{}",
        df.text
    );
    let build: Vec<String> = df
        .stage("build")
        .expect("build")
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.clone())
        .collect();
    assert_eq!(
        build,
        [
            "libs/Domain/ ./libs/Domain/",
            "services/Api/ ./services/Api/",
            "keys/app.snk ./keys/"
        ],
        "{}",
        df.text
    );
    // A project named from the spec's folder.
    let beside = super::java::compile_in(
        "msbc 1\nuse dotnet { project \"Api.csproj\"; }",
        &files,
        "services/Api",
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(
        beside
            .text
            .contains("dotnet restore services/Api/Api.csproj"),
        "{}",
        beside.text
    );
    // At the root, three candidates: the user must choose.
    let m = super::java::refused_in("msbc 1\nuse dotnet", &files, "");
    assert!(
        m.contains("set project=") && m.contains("3 projects"),
        "{m}"
    );
}
