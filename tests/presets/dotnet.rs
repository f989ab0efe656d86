//! The .NET preset: project discovery, publishing for the target.

use super::*;

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
