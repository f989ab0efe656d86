//! The Go preset.

use super::*;

#[test]
fn cgo_builds_on_the_target_platform() {
    let df = ok(
        "msbc 1\nuse go runtime=\"debian\" cgo=#true { main \"./cmd/api\"; }",
        &["go.mod", "go.sum"],
    );
    assert!(
        !df.text.contains("--platform="),
        "with cgo every build stage runs on the target platform (no cross C compiler):\n{}",
        df.text
    );
    let build = df.stage("build").expect("build");
    let go_build = build
        .instrs
        .iter()
        .find(|i| i.cmd == "RUN" && i.script().contains("go build"))
        .expect("a go build");
    assert!(
        !go_build.script().contains("GOARCH="),
        "a native cgo build sets no GOARCH: {}",
        go_build.script()
    );
    assert!(df.text.contains("CGO_ENABLED=1"), "{}", df.text);

    // Without cgo the build cross-compiles on the builder's platform.
    let plain = ok("msbc 1\nuse go { main \"./cmd/api\"; }", &["go.mod"]);
    assert!(
        plain
            .text
            .lines()
            .any(|l| l.starts_with("FROM --platform=${BUILDPLATFORM}") && l.ends_with(" AS deps")),
        "{}",
        plain.text
    );
    assert!(
        plain.text.contains("GOARCH=${TARGETARCH} go build"),
        "{}",
        plain.text
    );
}
