//! Tests of `expand/workspace/maven.rs`.

use super::*;

const ROOT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>shop</artifactId>
  <version>1.0.0-SNAPSHOT</version>
  <packaging>pom</packaging>
  <modules>
    <module>libs</module>
    <module>services/orders</module>
    <module>services/billing</module>
    <!-- <module>legacy</module> -->
  </modules>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>billing</artifactId></dependency>
  </dependencies></dependencyManagement>
</project>"#;
const LIBS: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>shop</artifactId></parent>
<artifactId>libs</artifactId><packaging>pom</packaging>
<modules><module>common</module><module>money/pom.xml</module></modules></project>"#;
const COMMON: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>libs</artifactId></parent>
<artifactId>common</artifactId>
<dependencies><dependency><groupId>${project.groupId}</groupId><artifactId>money</artifactId></dependency></dependencies></project>"#;
const MONEY: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>libs</artifactId></parent>
<artifactId>money</artifactId></project>"#;
const ORDERS: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>shop</artifactId><relativePath>../../pom.xml</relativePath></parent>
<artifactId>orders</artifactId>
<dependencies>
  <dependency><groupId>com.acme</groupId><artifactId>common</artifactId></dependency>
  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
</dependencies>
<build><plugins><plugin><artifactId>x</artifactId><dependencies><dependency><groupId>com.acme</groupId><artifactId>billing</artifactId></dependency></dependencies></plugin></plugins></build>
</project>"#;
const BILLING: &str = r#"<project><parent><groupId>com.acme</groupId><artifactId>shop</artifactId><relativePath>../../pom.xml</relativePath></parent>
<artifactId>billing</artifactId></project>"#;

fn repo(extra: &[(&str, &str)], drop: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
    let mut all = vec![
        ("pom.xml", ROOT),
        ("libs/pom.xml", LIBS),
        ("libs/common/pom.xml", COMMON),
        ("libs/money/pom.xml", MONEY),
        ("services/orders/pom.xml", ORDERS),
        ("services/billing/pom.xml", BILLING),
    ];
    all.retain(|(p, _)| !drop.contains(p));
    all.extend_from_slice(extra);
    let files = all.iter().map(|(p, _)| p.to_string()).collect();
    let contents = all
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    (files, contents)
}

fn paths(copies: &[Copy]) -> Vec<(&str, &str)> {
    copies
        .iter()
        .map(|c| (c.path.as_str(), c.to.as_str()))
        .collect()
}

#[test]
fn a_module_needs_the_siblings_it_depends_on_transitively() {
    let (files, contents) = repo(&[], &[]);
    let r = reactor(&files, &contents, "./services/orders/")
        .expect("builds")
        .expect("a reactor");
    assert_eq!(r.root, "");
    assert_eq!(r.pl, "services/orders");
    assert!(!r.aggregator && r.known);
    // Every pom of the reactor (Maven reads them all, even with -pl).
    assert_eq!(
        paths(&r.poms),
        [
            ("pom.xml", "./"),
            ("libs/pom.xml", "./libs/"),
            ("libs/common/pom.xml", "./libs/common/"),
            ("libs/money/pom.xml", "./libs/money/"),
            ("services/orders/pom.xml", "./services/orders/"),
            ("services/billing/pom.xml", "./services/billing/"),
        ]
    );
    // Sources: money (through common's ${project.groupId}), common,
    // orders; not billing (only in dependencyManagement and a plugin's
    // dependencies), not the `libs` aggregator.
    assert_eq!(
        paths(&r.sources),
        [
            ("libs/money/", "./libs/money/"),
            ("libs/common/", "./libs/common/"),
            ("services/orders/", "./services/orders/"),
        ]
    );
    assert_eq!(
        r.modules,
        [
            "libs",
            "libs/common",
            "libs/money",
            "services/orders",
            "services/billing"
        ]
    );
    let billing = reactor(&files, &contents, "services/billing")
        .expect("builds")
        .expect("a reactor");
    assert_eq!(
        paths(&billing.sources),
        [("services/billing/", "./services/billing/")]
    );
}

#[test]
fn the_root_alone_is_a_plain_project_or_an_aggregator_to_choose_from() {
    let single = (
        vec!["pom.xml".to_string()],
        BTreeMap::from([(
            "pom.xml".to_string(),
            "<project><artifactId>a</artifactId></project>".to_string(),
        )]),
    );
    assert_eq!(reactor(&single.0, &single.1, ""), Ok(None));
    let (files, contents) = repo(&[], &[]);
    let r = reactor(&files, &contents, "")
        .expect("ok")
        .expect("reactor");
    assert!(r.aggregator, "{r:?}");
    assert_eq!(r.pl, "");
    // No file list at all: nothing to say, or the module assumed.
    assert_eq!(reactor(&[], &BTreeMap::new(), ""), Ok(None));
    let assumed = reactor(&[], &BTreeMap::new(), "services/orders")
        .expect("ok")
        .expect("assumed");
    assert!(!assumed.known);
    assert_eq!(assumed.pl, "services/orders");
    assert_eq!(
        paths(&assumed.poms),
        [
            ("pom.xml", "./"),
            ("services/orders/pom.xml", "./services/orders/")
        ]
    );
    // A root pom that is not XML: the build reports it.
    let broken = (
        vec!["pom.xml".to_string()],
        BTreeMap::from([("pom.xml".to_string(), String::new())]),
    );
    assert_eq!(reactor(&broken.0, &broken.1, ""), Ok(None));
}

#[test]
fn a_standalone_project_in_a_subfolder_is_its_own_reactor() {
    let files = vec!["apps/api/pom.xml".to_string()];
    let contents = BTreeMap::from([(
        "apps/api/pom.xml".to_string(),
        "<project><artifactId>api</artifactId></project>".to_string(),
    )]);
    let r = reactor(&files, &contents, "apps/api")
        .expect("ok")
        .expect("reactor");
    assert_eq!(r.root, "apps/api");
    assert_eq!(r.pl, "");
    assert_eq!(paths(&r.poms), [("apps/api/pom.xml", "./")]);
    assert_eq!(paths(&r.sources), [("apps/api/", "./")]);
}

#[test]
fn shapes_maven_cannot_build_are_refused_with_the_fix() {
    // A module listed whose pom is not in the context.
    let (files, contents) = repo(&[], &["services/billing/pom.xml"]);
    let e = reactor(&files, &contents, "services/orders").expect_err("missing");
    assert!(
        e.contains("pom.xml lists the module `services/billing`")
            && e.contains("no services/billing/pom.xml"),
        "{e}"
    );
    // A sibling the service needs that no aggregator lists.
    let root_without_libs = ROOT.replace("<module>libs</module>", "");
    let (files, contents) = repo(&[("pom.xml", &root_without_libs)], &["pom.xml"]);
    let e = reactor(&files, &contents, "services/orders").expect_err("not listed");
    assert!(
        e.contains("depends on `com.acme:common`")
            && e.contains("libs/common/pom.xml builds")
            && e.contains("<module>libs/common</module>"),
        "{e}"
    );
    // The service itself not listed, though it needs the reactor.
    let root_without_orders = ROOT.replace("<module>services/orders</module>", "");
    let (files, contents) = repo(&[("pom.xml", &root_without_orders)], &["pom.xml"]);
    let e = reactor(&files, &contents, "services/orders").expect_err("not a module");
    assert!(
        e.contains("services/orders/pom.xml is not a module of the reactor of pom.xml")
            && e.contains("<module>services/orders</module>"),
        "{e}"
    );
    // A module folder without a pom.
    let (files, contents) = repo(&[], &[]);
    let e = reactor(&files, &contents, "services/ordrs").expect_err("no pom");
    assert!(
        e.contains("no services/ordrs/pom.xml")
            && e.contains("services/orders/pom.xml")
            && e.contains("module=\".\" builds the project at the context's root"),
        "{e}"
    );
    // Broken XML in the reactor.
    let (files, contents) = repo(
        &[("services/billing/pom.xml", "<project>")],
        &["services/billing/pom.xml"],
    );
    let e = reactor(&files, &contents, "services/orders").expect_err("broken");
    assert!(
        e.contains("services/billing/pom.xml is not valid XML"),
        "{e}"
    );
}

#[test]
fn without_contents_the_root_is_assumed() {
    let files = vec!["pom.xml".to_string(), "app/pom.xml".to_string()];
    let r = reactor(&files, &BTreeMap::new(), "app")
        .expect("ok")
        .expect("reactor");
    assert!(!r.known);
    assert_eq!(r.pl, "app");
    assert_eq!(
        paths(&r.poms),
        [("pom.xml", "./"), ("app/pom.xml", "./app/")]
    );
    assert_eq!(paths(&r.sources), [("app/", "./app/")]);
}

#[test]
fn parent_poms_outside_the_modules_are_read_too() {
    let files = vec!["parent/pom.xml".to_string(), "app/pom.xml".to_string()];
    let contents = BTreeMap::from([
            (
                "parent/pom.xml".to_string(),
                "<project><groupId>g</groupId><artifactId>parent</artifactId><packaging>pom</packaging></project>".to_string(),
            ),
            (
                "app/pom.xml".to_string(),
                "<project><parent><groupId>g</groupId><artifactId>parent</artifactId><relativePath>../parent</relativePath></parent><artifactId>app</artifactId></project>".to_string(),
            ),
        ]);
    // A standalone app whose parent sits beside it: root is `app`, and
    // the parent lies outside the root: it is not copied (a build of
    // `app` alone would look for it in a repository).
    let r = reactor(&files, &contents, "app")
        .expect("ok")
        .expect("reactor");
    assert_eq!(r.root, "app");
    assert_eq!(paths(&r.poms), [("app/pom.xml", "./")]);
    // Inside the reactor's folder, it is copied.
    let files = vec![
        "pom.xml".to_string(),
        "build/parent/pom.xml".to_string(),
        "app/pom.xml".to_string(),
    ];
    let contents = BTreeMap::from([
            (
                "pom.xml".to_string(),
                "<project><groupId>g</groupId><artifactId>root</artifactId><modules><module>app</module></modules></project>".to_string(),
            ),
            (
                "build/parent/pom.xml".to_string(),
                "<project><groupId>g</groupId><artifactId>parent</artifactId><packaging>pom</packaging></project>".to_string(),
            ),
            (
                "app/pom.xml".to_string(),
                "<project><parent><groupId>g</groupId><artifactId>parent</artifactId><relativePath>../build/parent/pom.xml</relativePath></parent><artifactId>app</artifactId></project>".to_string(),
            ),
        ]);
    let r = reactor(&files, &contents, "app")
        .expect("ok")
        .expect("reactor");
    assert_eq!(
        paths(&r.poms),
        [
            ("pom.xml", "./"),
            ("app/pom.xml", "./app/"),
            ("build/parent/pom.xml", "./build/parent/")
        ]
    );
}
