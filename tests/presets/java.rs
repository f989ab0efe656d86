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
