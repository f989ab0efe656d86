//! The Java preset: build tool and wrapper detection.

use super::*;

#[test]
fn java_detects_the_build_tool_and_its_wrapper() {
    let maven = ok("msbc 1\nuse java", &["pom.xml"]);
    assert!(
        maven.stage("deps").is_some_and(
            |s| s.base.starts_with("maven:3.") && s.base.contains("-eclipse-temurin-21")
        ),
        "{}",
        maven.text
    );
    assert!(maven.text.contains("ARG MAVEN_VERSION="), "{}", maven.text);
    assert!(
        maven.text.contains("mvn -B -ntp -DskipTests package")
            && maven.text.contains("mvn -B -ntp verify")
    );
    assert_eq!(maven.last().base, "eclipse-temurin:21-jre");
    assert!(
        maven
            .last()
            .instrs
            .iter()
            .any(|i| i.rest == r#"["java", "-jar", "/app/app.jar"]"#),
        "{}",
        maven.text
    );

    for build_file in [
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
    ] {
        let gradle = ok("msbc 1\nuse java", &[build_file]);
        let deps = gradle.stage("deps").expect("deps");
        assert!(
            deps.base.starts_with("gradle:8.") && deps.base.ends_with("-jdk21"),
            "{build_file}: {}",
            gradle.text
        );
        assert!(
            deps.instrs
                .iter()
                .any(|i| i.cmd == "COPY" && i.copy_sources() == [build_file]),
            "{build_file}: {}",
            gradle.text
        );
        assert!(
            gradle
                .text
                .contains("gradle --no-daemon --console=plain assemble"),
            "{}",
            gradle.text
        );
    }

    // The wrapper pins the tool: a plain JDK image, no MAVEN_VERSION arg.
    let wrapped = ok(
        "msbc 1\nuse java",
        &[
            "pom.xml",
            "mvnw",
            ".mvn/wrapper/maven-wrapper.properties",
            "core/pom.xml",
        ],
    );
    let deps = wrapped.stage("deps").expect("deps");
    assert_eq!(deps.base, "eclipse-temurin:21-jdk");
    assert!(!wrapped.text.contains("MAVEN_VERSION"), "{}", wrapped.text);
    assert!(
        wrapped
            .text
            .contains("./mvnw -B -ntp dependency:go-offline"),
        "{}",
        wrapped.text
    );
    let copied: Vec<String> = deps
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.clone())
        .collect();
    assert_eq!(
        copied,
        [
            "pom.xml ./",
            "core/pom.xml ./core/",
            ".mvn/ ./.mvn/",
            "mvnw ./"
        ],
        "{}",
        wrapped.text
    );
    // ...unless told otherwise.
    let unwrapped = ok("msbc 1\nuse java wrapper=#false", &["pom.xml", "mvnw"]);
    assert!(
        unwrapped.text.contains("ARG MAVEN_VERSION=") && !unwrapped.text.contains("./mvnw"),
        "{}",
        unwrapped.text
    );

    // An explicit tool wins over the files; nothing known means maven.
    assert!(
        ok(
            "msbc 1\nuse java tool=\"gradle\"",
            &["pom.xml", "build.gradle.kts"]
        )
        .text
        .contains("GRADLE_VERSION")
    );
    assert!(ok("msbc 1\nuse java", &[]).text.contains("MAVEN_VERSION"));

    // JAVA_VERSION moves the JDK and the JRE together.
    let selection = Selection {
        args: vec![("JAVA_VERSION".into(), "17".into())],
        ..Selection::default()
    };
    let seventeen =
        parse(&compile_selected("msbc 1\nuse java", &["pom.xml"], &selection).expect("compiles"));
    assert_eq!(seventeen.last().base, "eclipse-temurin:17-jre");
    assert!(
        seventeen
            .stage("deps")
            .is_some_and(|s| s.base.ends_with("-eclipse-temurin-17"))
    );
}

/// A spec checked with a build context of `files` (path, contents) and the
/// spec's folder `service_dir` within it: the Dockerfile, or the errors.
pub(super) fn compile_in(
    src: &str,
    files: &[(&str, &str)],
    service_dir: &str,
) -> Result<Dockerfile, Vec<Diagnostic>> {
    let catalog = Catalog::stdlib();
    let names: Vec<String> = files.iter().map(|(f, _)| f.to_string()).collect();
    let contents: BTreeMap<String, String> = files
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    let checked = compile::check_with(
        src.as_bytes(),
        Context {
            catalog: &catalog,
            files: &names,
            contents: &contents,
            service_dir,
        },
    );
    let diagnostics: Vec<Diagnostic> = checked.diagnostics.iter().cloned().collect();
    let Some(model) = checked
        .model
        .filter(|_| !diagnostics.iter().any(Diagnostic::is_error))
    else {
        return Err(diagnostics);
    };
    let text = compile::emit(&model, &Selection::default(), Emit::Dockerfile, "build.kdl")
        .expect("emit")
        .main;
    Ok(parse(&text))
}

/// The message of the one E0115 of a refused spec.
pub(super) fn refused_in(src: &str, files: &[(&str, &str)], service_dir: &str) -> String {
    let errors = match compile_in(src, files, service_dir) {
        Ok(df) => panic!("{src}: not refused:\n{}", df.text),
        Err(e) => e,
    };
    errors
        .iter()
        .find(|d| d.code.as_str() == "E0115")
        .unwrap_or_else(|| panic!("{src}: no E0115 in {errors:#?}"))
        .message
        .clone()
}

fn copies(df: &Dockerfile, stage: &str) -> Vec<String> {
    df.stage(stage)
        .unwrap_or_else(|| panic!("no stage {stage}:\n{}", df.text))
        .instrs
        .iter()
        .filter(|i| i.cmd == "COPY")
        .map(|i| i.rest.clone())
        .collect()
}

#[test]
fn java_maven_multimodule_sample_builds_its_module_with_the_modules_it_needs() {
    let df = sample("java/multimodule");
    // Every pom of the reactor first: Maven reads them all, even with -pl.
    assert_eq!(
        copies(&df, "deps"),
        [
            "pom.xml ./",
            "libs/common/pom.xml ./libs/common/",
            "services/billing/pom.xml ./services/billing/",
            "services/orders/pom.xml ./services/orders/",
        ],
        "{}",
        df.text
    );
    assert!(
        df.text
            .contains("mvn -B -ntp -pl services/orders -am dependency:go-offline"),
        "{}",
        df.text
    );
    // Then the sources of orders and of common, which it depends on; not billing's.
    assert_eq!(
        copies(&df, "build"),
        [
            "libs/common/ ./libs/common/",
            "services/orders/ ./services/orders/"
        ],
        "{}",
        df.text
    );
    let build = df.stage("build").expect("build");
    assert!(
        build.instrs.iter().any(|i| i
            .script()
            .contains("mvn -B -ntp -pl services/orders -am -DskipTests package")
            && i.script().contains("for f in services/orders/target/*.jar")),
        "{}",
        df.text
    );
    assert!(
        df.text
            .contains("mvn -B -ntp -pl services/orders -am verify"),
        "{}",
        df.text
    );
    assert_eq!(df.last().base, "eclipse-temurin:17-jre");
    assert_eq!(arg_of(&df, "JAVA_VERSION"), "17", "the root pom's release");
}

#[test]
fn java_gradle_multiproject_sample_builds_its_project_with_the_projects_it_needs() {
    let df = sample("java/gradle-multi");
    assert_eq!(
        copies(&df, "deps"),
        [
            "settings.gradle.kts build.gradle.kts ./",
            "app/build.gradle.kts ./app/",
            "libs/greeting/build.gradle.kts ./libs/greeting/",
            "tools/report/build.gradle.kts ./tools/report/",
        ],
        "{}",
        df.text
    );
    assert!(
        df.text
            .contains("gradle --no-daemon --console=plain :app:dependencies"),
        "{}",
        df.text
    );
    assert_eq!(
        copies(&df, "build"),
        ["libs/greeting/ ./libs/greeting/", "app/ ./app/"],
        "{}",
        df.text
    );
    assert!(
        df.text.contains(":app:assemble") && df.text.contains("for f in app/build/libs/*.jar"),
        "{}",
        df.text
    );
    assert!(
        df.text
            .contains("gradle --no-daemon --console=plain :app:check")
    );
}

const ROOT_POM: &str = "<project><groupId>g</groupId><artifactId>root</artifactId><packaging>pom</packaging><modules><module>lib</module><module>app</module></modules></project>";
const LIB_POM: &str = "<project><parent><groupId>g</groupId><artifactId>root</artifactId></parent><artifactId>lib</artifactId></project>";
const APP_POM: &str = "<project><parent><groupId>g</groupId><artifactId>root</artifactId></parent><artifactId>app</artifactId><dependencies><dependency><groupId>g</groupId><artifactId>lib</artifactId></dependency></dependencies></project>";

#[test]
fn java_module_defaults_to_the_spec_folder_and_include_adds_files() {
    let files = [
        ("pom.xml", ROOT_POM),
        ("lib/pom.xml", LIB_POM),
        ("app/pom.xml", APP_POM),
        ("config/checkstyle.xml", ""),
    ];
    // The spec in app/ with the repository as its context.
    let df = compile_in(
        "msbc 1\nuse java { include \"config/checkstyle.xml\"; }",
        &files,
        "app",
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(
        df.text.contains("-pl app -am dependency:go-offline"),
        "{}",
        df.text
    );
    assert_eq!(
        copies(&df, "build"),
        [
            "lib/ ./lib/",
            "app/ ./app/",
            "config/checkstyle.xml ./config/"
        ],
        "{}",
        df.text
    );
    // A standalone project in the spec's folder is its own reactor: the
    // build runs there, its folder mirrored at the workdir.
    let alone = compile_in(
        "msbc 1\nuse java",
        &[(
            "apps/api/pom.xml",
            "<project><artifactId>api</artifactId></project>",
        )],
        "apps/api",
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(
        copies(&alone, "deps"),
        ["apps/api/pom.xml ./"],
        "{}",
        alone.text
    );
    assert_eq!(copies(&alone, "build"), ["apps/api/ ./"], "{}", alone.text);
    assert!(
        alone.text.contains("mvn -B -ntp -DskipTests package"),
        "{}",
        alone.text
    );
    // An included build (convention plugins) is copied with the build files.
    let logic = compile_in(
        "msbc 1\nuse java module=\"app\"",
        &[
            (
                "settings.gradle.kts",
                "pluginManagement { includeBuild(\"build-logic\") }\ninclude(\"app\")\n",
            ),
            ("app/build.gradle.kts", "plugins { id(\"acme.java\") }\n"),
            ("build-logic/settings.gradle.kts", ""),
            ("build-logic/src/main/kotlin/acme.java.gradle.kts", ""),
        ],
        "",
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(
        copies(&logic, "deps"),
        [
            "settings.gradle.kts ./",
            "build-logic/ ./build-logic/",
            "app/build.gradle.kts ./app/"
        ],
        "{}",
        logic.text
    );
    // include outside a multi-module build: a warning, not silence.
    let checked = {
        let catalog = Catalog::stdlib();
        let files = vec!["pom.xml".to_string()];
        let contents = BTreeMap::from([(
            "pom.xml".to_string(),
            "<project><artifactId>a</artifactId></project>".to_string(),
        )]);
        compile::check_with(
            b"msbc 1\nuse java { include \"config/\"; }",
            Context {
                catalog: &catalog,
                files: &files,
                contents: &contents,
                service_dir: "",
            },
        )
    };
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "W0006" && d.message.contains("include has no effect")),
        "{:?}",
        checked
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    // A plain single project at the root is unchanged.
    let single = compile_in(
        "msbc 1\nuse java",
        &[("pom.xml", "<project><artifactId>a</artifactId></project>")],
        "",
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(copies(&single, "build"), [". ./"], "{}", single.text);
}

#[test]
fn java_monorepo_shapes_that_cannot_build_are_refused_with_the_fix() {
    let repo = [
        ("pom.xml", ROOT_POM),
        ("lib/pom.xml", LIB_POM),
        ("app/pom.xml", APP_POM),
    ];
    // An aggregator, and no module chosen.
    let m = refused_in("msbc 1\nuse java", &repo, "");
    assert!(
        m.contains("pom.xml is an aggregator of the modules lib, app")
            && m.contains("set module to the folder")
            && m.contains("module=\"app\""),
        "{m}"
    );
    // ...which jar= may build whole, as before.
    assert!(compile_in("msbc 1\nuse java jar=\"app/target/*.jar\"", &repo, "").is_ok());
    // A -pl module that does not exist.
    let m = refused_in("msbc 1\nuse java module=\"ap\"", &repo, "");
    assert!(
        m.contains("no ap/pom.xml") && m.contains("app/pom.xml"),
        "{m}"
    );
    // A module the service needs that the aggregator does not list.
    let unlisted = ROOT_POM.replace("<module>lib</module>", "");
    let m = refused_in(
        "msbc 1\nuse java module=\"app\"",
        &[
            ("pom.xml", &unlisted),
            ("lib/pom.xml", LIB_POM),
            ("app/pom.xml", APP_POM),
        ],
        "",
    );
    assert!(
        m.contains("depends on `g:lib`") && m.contains("add <module>lib</module>"),
        "{m}"
    );
    // A listed module missing from the context.
    let m = refused_in(
        "msbc 1\nuse java module=\"app\"",
        &[("pom.xml", ROOT_POM), ("app/pom.xml", APP_POM)],
        "",
    );
    assert!(
        m.contains("lists the module `lib`") && m.contains("no lib/pom.xml"),
        "{m}"
    );
    // Gradle: a project the settings do not include, a project dependency likewise.
    let gradle = [
        ("settings.gradle", "include 'app'\n"),
        (
            "app/build.gradle",
            "dependencies { implementation project(':lib') }\n",
        ),
        ("lib/build.gradle", ""),
    ];
    let m = refused_in("msbc 1\nuse java module=\"lib\"", &gradle, "");
    assert!(m.contains("add include(\":lib\")"), "{m}");
    let m = refused_in("msbc 1\nuse java module=\"app\"", &gradle, "");
    assert!(
        m.contains("app/build.gradle depends on project(\":lib\")"),
        "{m}"
    );
    let m = refused_in("msbc 1\nuse java", &gradle, "");
    assert!(
        m.contains("settings.gradle includes the projects :app")
            && m.contains("set module to the folder")
            && m.contains("module=\"app\""),
        "{m}"
    );
}

/// The Maven reactor of the multi-module sample, checked by Maven itself on
/// the `maven` stand-in: Maven Central is unreachable, so the generated
/// `deps` stage runs `mvn -o validate` (which needs no plugin) in place of
/// `dependency:go-offline`. The poms it copies are enough for the reactor,
/// and `-pl services/orders -am` selects orders and common, not billing;
/// without billing's pom, Maven refuses the reactor (why every pom is copied).
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_java_multimodule_reactor_is_what_maven_selects() {
    let docker = crate::support::needs_engine();
    let dir = crate::support::scratch("real-builds/java-multimodule-reactor");
    crate::support::copy_dir(&root().join("specs/java/multimodule"), &dir);
    let run = msbc_in(&dir, &["compile", "--syntax", "none"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let deps_only = run
        .stdout
        .split("\nFROM deps AS build")
        .next()
        .expect("a deps stage")
        .replace("dependency:go-offline", "-o validate");
    assert!(
        deps_only.contains("-pl services/orders -am -o validate"),
        "{deps_only}"
    );
    let build_with = |dockerfile: &str, name: &str, extra: &[&str]| {
        std::fs::write(dir.join(name), dockerfile).expect("write");
        let out = std::process::Command::new(&docker)
            .args(["build", "--progress=plain", "--network", "host", "-f", name])
            .args(extra)
            .arg(".")
            .env("DOCKER_BUILDKIT", "1")
            .current_dir(&dir)
            .output()
            .expect("docker build");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        )
    };
    let build = |dockerfile: &str, name: &str| build_with(dockerfile, name, &[]);
    // Not from the engine's cache, which outlives test runs: Maven's own output.
    let (ok, log) = build_with(&deps_only, "Dockerfile.reactor", &["--no-cache"]);
    assert!(ok, "{log}");
    let summary: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" SUCCESS [") || l.contains(" SKIPPED"))
        .collect();
    assert!(
        summary.iter().any(|l| l.contains("common ..."))
            && summary.iter().any(|l| l.contains("orders ..."))
            && !log.contains("billing ..."),
        "reactor summary: {summary:#?}\n{log}"
    );
    // The generated `build` stage's copies, then javac over what they
    // brought (Maven's compiler plugin is out of reach): orders compiles
    // with common, and billing's sources are not there. An edit to
    // billing's sources then keeps both steps cached; one to common's
    // rebuilds only the build step.
    let generated_build = run
        .stdout
        .split("\nFROM deps AS build\n")
        .nth(1)
        .expect("a build stage");
    let copies: Vec<&str> = generated_build
        .lines()
        .take_while(|l| !l.starts_with("RUN"))
        .filter(|l| l.starts_with("COPY "))
        .collect();
    assert_eq!(copies.len(), 2, "{generated_build}");
    let compiled = format!(
        "{deps_only}\nFROM deps AS build\n{}\nRUN test ! -e services/billing/src && javac -d /tmp/classes $(find libs/common/src/main services/orders/src/main -name '*.java') && ls /tmp/classes/com/acme/orders/Main.class\n",
        copies.join("\n")
    );
    let (ok, first) = build(&compiled, "Dockerfile.compiled");
    assert!(ok, "{first}");
    let cached = |log: &str, needle: &str| -> bool {
        let step = log
            .lines()
            .find(|l| l.starts_with('#') && l.contains(" RUN ") && l.contains(needle))
            .and_then(|l| l.split_whitespace().next())
            .map(str::to_string);
        step.is_some_and(|s| log.lines().any(|l| l.trim() == format!("{s} CACHED")))
    };
    let edit = |rel: &str| {
        let path = dir.join(rel);
        let mut text = std::fs::read_to_string(&path).expect("source");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        text.push_str(&format!("// edited {nanos}\n"));
        std::fs::write(&path, text).expect("edit");
    };
    edit("services/billing/src/main/java/com/acme/billing/Main.java");
    let (ok, log) = build(&compiled, "Dockerfile.compiled");
    assert!(ok, "{log}");
    assert!(
        cached(&log, "-o validate") && cached(&log, "javac"),
        "a billing edit rebuilt a step of orders:\n{log}"
    );
    edit("libs/common/src/main/java/com/acme/common/Http.java");
    let (ok, log) = build(&compiled, "Dockerfile.compiled");
    assert!(ok, "{log}");
    assert!(
        cached(&log, "-o validate") && !cached(&log, "javac"),
        "a common edit must rebuild orders, not resolve again:\n{log}"
    );

    let without_billing: String = deps_only
        .lines()
        .filter(|l| !l.contains("services/billing/pom.xml"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (ok, log) = build(&without_billing, "Dockerfile.partial");
    assert!(!ok && log.contains("services/billing"), "{log}");
}
