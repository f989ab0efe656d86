//! Java: Maven or Gradle (the preset tells them apart by the build file,
//! and reads the Java release from it), and the port: Spring's
//! `server.port`, else a number the sources listen on.

use super::{Project, Proposal, Setting, Value, ports, sources};

pub(super) fn propose(project: &dyn Project) -> Proposal {
    let has = |f: &str| project.files().iter().any(|x| x == f);
    let mut p = Proposal {
        preset: "java".into(),
        found_by: [
            "pom.xml",
            "build.gradle.kts",
            "build.gradle",
            "settings.gradle.kts",
            "settings.gradle",
        ]
        .into_iter()
        .find(|f| has(f))
        .unwrap_or("pom.xml")
        .into(),
        ..Proposal::default()
    };
    p.detected_by_preset.push(format!(
        "the build tool ({}) and the Java release: the preset reads them from {}",
        if p.found_by == "pom.xml" {
            "Maven"
        } else {
            "Gradle"
        },
        p.found_by
    ));
    if has("mvnw") || has("gradlew") {
        p.detected_by_preset
            .push("the wrapper script: the preset builds with it on a plain JDK image".into());
    }
    p.runs = sources(project, ".java")
        .chain(sources(project, ".kt"))
        .filter(|f| f.starts_with("src/main/"))
        .filter_map(|f| project.read(f))
        .any(|t| {
            t.contains("static void main(")
                || t.contains("@SpringBootApplication")
                || t.contains("fun main(")
        });
    if !p.runs {
        p.notes.push("no main class in src/main (`static void main`, `@SpringBootApplication`): a library builds no image; check this is the service".into());
    }
    let properties = "src/main/resources/application.properties";
    let spring = project.read(properties).and_then(|t| {
        t.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "server.port").then(|| v.trim().parse::<u16>().ok())?
        })
    });
    let port = match spring {
        Some(port) => Ok(Some((port, format!("{properties}: `server.port={port}`")))),
        None => ports::one(
            sources(project, ".java")
                .filter(|f| f.starts_with("src/main/"))
                .filter_map(|f| project.read(f).map(|t| (f.as_str(), t))),
        ),
    };
    match port {
        Ok(Some((port, why))) => p.children.push(Setting::new(
            "port",
            vec![Value::Int(u64::from(port))],
            format!("the port: {why}"),
        )),
        Ok(None) => p.notes.push(
            "no port found (server.port or a listening socket): add `port N` if the service listens on one (Spring Boot's default is 8080)".into(),
        ),
        Err(several) => p.notes.push(format!(
            "the sources name several ports ({several:?}): add `port N` for the one the image exposes"
        )),
    }
    p.notes.push("exactly one runnable jar must come out of the build: set `jar` (a glob) if the build makes several".into());
    p
}

#[cfg(test)]
mod tests {
    use super::super::testing::Files;
    use super::*;

    #[test]
    fn spring_server_port_wins() {
        let p = Files::new(&[
            ("pom.xml", "<project/>"),
            (
                "src/main/resources/application.properties",
                "server.port = 9090\n",
            ),
            ("src/main/java/x/Main.java", "new InetSocketAddress(8080)"),
        ]);
        let proposal = propose(&p);
        assert_eq!(proposal.children[0].values, vec![Value::Int(9090)]);
    }

    #[test]
    fn a_listening_socket_in_the_sources() {
        let p = Files::new(&[
            ("build.gradle.kts", ""),
            (
                "src/main/java/x/Main.java",
                "HttpServer.create(new InetSocketAddress(8080), 0);",
            ),
            (
                "src/test/java/x/MainTest.java",
                "new InetSocketAddress(9999)",
            ),
        ]);
        let proposal = propose(&p);
        assert_eq!(proposal.found_by, "build.gradle.kts");
        assert_eq!(proposal.children[0].values, vec![Value::Int(8080)]);
    }
}
