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

/// The CLI reads the project's files: `msbc compile` builds with go.mod's
/// Go, and `msbc presets go` says where that version comes from.
#[test]
fn the_go_version_comes_from_go_mod_and_msbc_presets_says_so() {
    let dir = crate::support::scratch("go-mod-version");
    std::fs::write(dir.join("build.kdl"), "msbc 1\nuse go\n").expect("spec");
    std::fs::write(dir.join("go.mod"), "module example.com/x\n\ngo 1.24.0\n").expect("go.mod");
    let compiled = msbc_in(&dir, &["compile"], None);
    assert_eq!(compiled.status, 0, "{}", compiled.stderr);
    assert!(
        compiled.stdout.contains("ARG GO_VERSION=1.24\n"),
        "{}",
        compiled.stdout
    );
    let shown = msbc_in(&dir, &["presets", "go"], None);
    assert_eq!(shown.status, 0, "{}", shown.stderr);
    assert!(
        shown
            .stdout
            .contains("Version here: 1.24 from go.mod (`go 1.24.0`)"),
        "{}",
        shown.stdout
    );

    // A spec that names an older Go than go.mod cannot build (GOTOOLCHAIN=local).
    std::fs::write(dir.join("build.kdl"), "msbc 1\nuse go version=\"1.23\"\n").expect("spec");
    let refused = msbc_in(&dir, &["check"], None);
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("E0115"), "{}", refused.stderr);

    // Without go.mod's version, the default, and `msbc presets` says where it looked.
    std::fs::write(dir.join("go.mod"), "module example.com/x\n").expect("go.mod");
    let shown = msbc_in(&dir, &["presets", "go"], None);
    assert!(
        shown
            .stdout
            .contains("Version here: 1.23 (stdlib/versions.kdl)")
            && shown.stdout.contains("go.mod's `toolchain` and `go` lines"),
        "{}",
        shown.stdout
    );
}
