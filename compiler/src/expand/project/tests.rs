//! Tests of `expand/project.rs`.

use super::*;

fn with(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn found(language: &str, files: &[(&str, &str)], default: &str) -> Option<String> {
    version(language, &with(files), default).map(|f| f.version)
}

#[test]
fn project_files_are_known_by_name_in_any_folder() {
    for yes in [
        "package.json",
        "apps/api/package.json",
        "packages/shared/package.json",
        "go.work",
        "services/orders/go.mod",
        "src/Api/Api.csproj",
        "Shop.sln",
        "settings.gradle.kts",
    ] {
        assert!(is_project_file(yes), "{yes}");
    }
    for no in [
        "main.go",
        "apps/api/src/index.ts",
        "package.json.bak",
        "csproj",
        "README.md",
    ] {
        assert!(!is_project_file(no), "{no}");
    }
}

#[test]
fn versions_are_dotted_numbers() {
    assert_eq!(numbers("8.0"), Some(vec![8, 0]));
    assert_eq!(numbers("1.24.0"), Some(vec![1, 24, 0]));
    assert_eq!(numbers("1.22 x"), None);
    assert_eq!(numbers("8.0-noble"), None);
    assert_eq!(numbers(""), None);
    assert_eq!(numbers("8."), None);
    assert_eq!(compare("1.24", "1.24.0"), Some(Ordering::Equal));
    assert_eq!(compare("1.23", "1.24.0"), Some(Ordering::Less));
    assert_eq!(compare("22", "20.11"), Some(Ordering::Greater));
    assert_eq!(compare("lts", "20"), None);
}

#[test]
fn go_mod_go_and_toolchain_lines() {
    let g = |t: &str| found("go", &[("go.mod", t)], "1.23");
    assert_eq!(g("module x\n\ngo 1.24.0\n").as_deref(), Some("1.24"));
    assert_eq!(
        g("module x\ngo 1.22\ntoolchain go1.24.1\n").as_deref(),
        Some("1.24")
    );
    assert_eq!(
        g("module x\ngo 1.25rc1 // pre-release\n").as_deref(),
        Some("1.25")
    );
    assert_eq!(g("module x\n").as_deref(), None);
    let f = version("go", &with(&[("go.mod", "module x\ngo 1.24.0\n")]), "1.23").expect("found");
    assert_eq!(f.from, "go.mod (`go 1.24.0`)");
}

#[test]
fn node_version_files_and_engines() {
    let n = |files: &[(&str, &str)]| found("node", files, "22");
    assert_eq!(n(&[(".nvmrc", "v20.11.1\n")]).as_deref(), Some("20.11.1"));
    assert_eq!(n(&[(".nvmrc", "lts/iron\n")]).as_deref(), Some("20"));
    assert_eq!(n(&[(".nvmrc", "node\n")]).as_deref(), None);
    assert_eq!(n(&[(".node-version", "18\n")]).as_deref(), Some("18"));
    let e = |range: &str| {
        n(&[(
            "package.json",
            &format!("{{\"engines\": {{\"node\": \"{range}\"}}}}"),
        )])
    };
    assert_eq!(e(">=18").as_deref(), Some("22"));
    assert_eq!(e("^20.11.0").as_deref(), Some("20"));
    assert_eq!(e("20.x").as_deref(), Some("20"));
    assert_eq!(e(">= 18 < 21").as_deref(), Some("20"));
    assert_eq!(e("^18 || ^20").as_deref(), Some("20"));
    assert_eq!(e("~22.3").as_deref(), Some("22"));
    assert_eq!(e(">=24").as_deref(), Some("24"));
    assert_eq!(e("18 - 20").as_deref(), Some("20"));
    assert_eq!(e("*").as_deref(), Some("22"));
    assert_eq!(e("latest").as_deref(), None);
    // .nvmrc wins over engines.
    assert_eq!(
        n(&[
            (".nvmrc", "20"),
            ("package.json", "{\"engines\":{\"node\":\">=22\"}}")
        ])
        .as_deref(),
        Some("20")
    );
}

#[test]
fn python_version_file_and_requires_python() {
    let p = |files: &[(&str, &str)]| found("python", files, "3.12");
    assert_eq!(
        p(&[(".python-version", "3.11.9\n")]).as_deref(),
        Some("3.11")
    );
    assert_eq!(p(&[(".python-version", "pypy3.10\n")]).as_deref(), None);
    let r = |spec: &str| {
        p(&[(
            "pyproject.toml",
            &format!("[project]\nname = \"x\"\nrequires-python = \"{spec}\"\n"),
        )])
    };
    assert_eq!(r(">=3.10").as_deref(), Some("3.12"));
    assert_eq!(r(">=3.13").as_deref(), Some("3.14"));
    assert_eq!(r(">=3.9,<3.12").as_deref(), Some("3.11"));
    assert_eq!(r("~=3.11").as_deref(), Some("3.12"));
    assert_eq!(r("==3.11.*").as_deref(), Some("3.11"));
    assert_eq!(r("<3.12.4,>=3.12").as_deref(), Some("3.12"));
}

#[test]
fn a_range_that_allows_the_spec_version_is_no_mismatch() {
    let node = version(
        "node",
        &with(&[("package.json", "{\"engines\":{\"node\":\">=18\"}}")]),
        "22",
    )
    .expect("found");
    assert_eq!(mismatch(&node, "20"), None);
    assert_eq!(mismatch(&node, "16"), Some(Relation::Older));
    let go = version("go", &with(&[("go.mod", "go 1.24.0\n")]), "1.23").expect("found");
    assert_eq!(mismatch(&go, "1.23"), Some(Relation::Older));
    assert_eq!(mismatch(&go, "1.25"), Some(Relation::Newer));
    assert_eq!(mismatch(&go, "1.24"), None);
    assert_eq!(mismatch(&go, "1.22 x"), None);
    let py = version(
        "python",
        &with(&[("pyproject.toml", "requires-python = \">=3.11,<3.13\"\n")]),
        "3.12",
    )
    .expect("found");
    assert_eq!(mismatch(&py, "3.11"), None);
    assert_eq!(mismatch(&py, "3.13"), Some(Relation::Newer));
}

#[test]
fn dotnet_and_java() {
    assert_eq!(
        found(
            "dotnet",
            &[(
                "global.json",
                "{\"sdk\": {\"version\": \"9.0.100\", \"rollForward\": \"latestFeature\"}}"
            )],
            "8.0"
        )
        .as_deref(),
        Some("9.0")
    );
    let pom = |body: &str| found("java", &[("pom.xml", body)], "21");
    assert_eq!(
        pom("<properties><java.version>17</java.version></properties>").as_deref(),
        Some("17")
    );
    assert_eq!(
        pom("<maven.compiler.release>${jdk}</maven.compiler.release><jdk>11</jdk>").as_deref(),
        Some("11")
    );
    assert_eq!(
        pom("<maven.compiler.source>1.8</maven.compiler.source>").as_deref(),
        Some("8")
    );
    assert_eq!(pom("<project></project>").as_deref(), None);
    let gradle = |name: &str, body: &str| found("java", &[(name, body)], "21");
    assert_eq!(
            gradle("build.gradle.kts", "java {\n    toolchain {\n        languageVersion = JavaLanguageVersion.of(17)\n    }\n}\n").as_deref(),
            Some("17")
        );
    assert_eq!(
        gradle("build.gradle", "sourceCompatibility = '11'\n").as_deref(),
        Some("11")
    );
    assert_eq!(
        gradle(
            "build.gradle",
            "java { sourceCompatibility = JavaVersion.VERSION_1_8 }\n"
        )
        .as_deref(),
        Some("8")
    );
    assert_eq!(
        gradle("build.gradle.kts", "kotlin { jvmToolchain(21) }\n").as_deref(),
        Some("21")
    );
}

#[test]
fn gradle_compile_task_release() {
    let files = with(&[(
        "build.gradle.kts",
        "tasks.withType<JavaCompile> {\n    options.release.set(17)\n}\n",
    )]);
    assert_eq!(
        version("java", &files, "21").map(|f| f.version).as_deref(),
        Some("17")
    );
}
