//! Every diagnostic code has a fixture that triggers it, a snapshot of how
//! it is reported there, and an explanation (`msbc explain CODE`) whose
//! "Wrong" example triggers it and whose "Right" example compiles cleanly.
//! Garbage input never panics: it is a spec error (exit 1), not a crash.

use crate::support::{Run, msbc, msbc_in, root};
use msbc::diag::{Code, Severity};
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures/diagnostics")
}

fn fixture(code: Code) -> PathBuf {
    fixtures_dir().join(format!("{code}.kdl"))
}

/// `msbc ARGS` run in the fixtures folder, so that diagnostics show the
/// bare file name (`E0202.kdl`) whatever the checkout's path.
fn in_fixtures(args: &[&str]) -> Run {
    let mut args = args.to_vec();
    if let Some(file) = args.last() {
        let flags = flags_for(file);
        args.splice(1..1, flags.iter().copied());
    }
    msbc_in(&fixtures_dir(), &args, None)
}

/// Flags a code's fixture and examples are checked with: E0601 (a base
/// image not in msbc.lock) is reported only with `--locked`.
fn flags_for(file: &str) -> &'static [&'static str] {
    if file.starts_with("E0601") {
        &["--locked"]
    } else {
        &[]
    }
}

/// The codes `msbc check --format json` reports, in order.
fn json_codes(run: &Run) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
    doc["diagnostics"]
        .as_array()
        .expect("a `diagnostics` list")
        .iter()
        .map(|d| d["code"].as_str().expect("a string `code`").to_string())
        .collect()
}

/// `msbc check --format json` on `path` (run in `dir`).
/// `msbc check --format json PATH` in `dir`, with the test templates
/// (`tests/fixtures/templates`) available to `use`.
fn check_json(dir: &Path, path: &str) -> (Run, Vec<String>) {
    let templates = root().join("tests/fixtures/templates");
    let templates = templates.to_string_lossy();
    let mut args = vec!["check", "--format", "json", "--templates", &templates, path];
    args.extend(flags_for(path));
    let run = msbc_in(dir, &args, None);
    let codes = json_codes(&run);
    (run, codes)
}

/// The body of the first ```kdl block after `heading`.
fn kdl_block<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let after = &text[text.find(heading)? + heading.len()..];
    let start = after.find("```kdl\n")? + "```kdl\n".len();
    let len = after[start..].find("\n```")?;
    Some(&after[start..start + len + 1])
}

#[test]
fn every_code_has_a_fixture_and_an_explanation() {
    for &code in Code::ALL {
        assert!(
            fixture(code).is_file(),
            "{code} has no fixture at {}",
            fixture(code).display()
        );
        let text = code.explanation();
        assert!(
            !text.contains("(placeholder)"),
            "{code}: the explanation is a placeholder"
        );
        assert!(
            text.starts_with(&format!("# {code}: {}\n", code.slug())),
            "{code}: the explanation must start with `# {code}: {}`",
            code.slug()
        );
        for heading in ["## Wrong", "## Right"] {
            assert!(text.contains(heading), "{code}: no `{heading}` section");
            assert!(
                kdl_block(text, heading).is_some(),
                "{code}: no ```kdl block after `{heading}`"
            );
        }
        let lines = text.lines().count();
        assert!(
            (10..=45).contains(&lines),
            "{code}: the explanation has {lines} lines; keep it concise"
        );
    }
}

#[test]
fn every_fixture_is_for_a_known_code() {
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures folder") {
        let path = entry.expect("dir entry").path();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            stem.parse::<Code>().is_ok_and(|c| c.as_str() == stem),
            "{} is not named after a diagnostic code",
            path.display()
        );
    }
}

#[test]
fn explain_prints_the_explanation() {
    for &code in Code::ALL {
        let run = msbc(&["explain", code.as_str()]);
        assert_eq!(run.status, 0, "msbc explain {code}: {}", run.stderr);
        assert_eq!(run.stdout, code.explanation(), "msbc explain {code}");
    }
    let by_slug = msbc(&["explain", "unknown-stage"]);
    assert_eq!(by_slug.stdout, Code::UnknownStage.explanation());
}

#[test]
fn every_fixture_reports_its_code() {
    for &code in Code::ALL {
        let name = format!("{code}.kdl");
        let (run, codes) = check_json(&fixtures_dir(), &name);
        assert!(
            codes.iter().any(|c| c == code.as_str()),
            "{name} does not report {code}; it reports {codes:?}"
        );
        let human = in_fixtures(&["check", &name]);
        assert!(
            human.stderr.contains(&format!("[{code}]")),
            "{name}: human output lacks `[{code}]`:\n{}",
            human.stderr
        );
        assert_eq!(run.status, human.status, "{name}: json and human disagree");
        match code.severity() {
            Severity::Error => {
                assert_eq!(run.status, 1, "{name} has an error: exit 1");
            }
            Severity::Warning => {
                assert!(
                    codes.iter().all(|c| c.starts_with('W')),
                    "{name} should only warn, but reports {codes:?}"
                );
                assert_eq!(run.status, 0, "{name} only warns: exit 0");
                let denied = in_fixtures(&["check", "--deny-warnings", &name]);
                assert_eq!(
                    denied.status, 1,
                    "{name} with --deny-warnings: exit 1\n{}",
                    denied.stderr
                );
            }
        }
    }
}

#[test]
fn every_fixture_report_matches_its_snapshot() {
    for &code in Code::ALL {
        let name = format!("{code}.kdl");
        let run = in_fixtures(&["check", &name]);
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("msbc check {name}"),
        }, {
            insta::assert_snapshot!(format!("diagnostics__{code}"), run.stderr);
        });
    }
}

/// The text of an explanation's example as the bytes of a file. E0002's
/// "Wrong" example is the same text saved as Latin-1, as the explanation
/// says: that is what makes it invalid UTF-8.
fn example_bytes(code: Code, section: &str, text: &str) -> Vec<u8> {
    if code == Code::InvalidUtf8 && section == "wrong" {
        let latin1: Vec<u8> = text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
            .collect();
        assert!(
            std::str::from_utf8(&latin1).is_err(),
            "E0002's Wrong example must hold a non-ASCII Latin-1 character"
        );
        latin1
    } else {
        text.as_bytes().to_vec()
    }
}

#[test]
fn explanation_examples_do_what_they_say() {
    let dir = crate::support::scratch("explain-examples");
    // The examples that `use go` are about a Go project: its module file.
    std::fs::write(dir.join("go.mod"), "module example.com/app\n\ngo 1.23\n").expect("go.mod");
    std::fs::create_dir_all(dir.join("cmd/server")).expect("cmd/server");
    std::fs::write(dir.join("cmd/server/main.go"), "package main\n").expect("main.go");
    // W0006's examples are about a Python project pinned to 3.11.
    std::fs::write(dir.join(".python-version"), "3.11\n").expect(".python-version");
    std::fs::write(dir.join("requirements.txt"), "").expect("requirements.txt");
    for &code in Code::ALL {
        let text = code.explanation();
        for (section, heading) in [("wrong", "## Wrong"), ("right", "## Right")] {
            let block = kdl_block(text, heading)
                .unwrap_or_else(|| panic!("{code}: no ```kdl block after `{heading}`"));
            let file = format!("{code}-{section}.kdl");
            std::fs::write(dir.join(&file), example_bytes(code, section, block))
                .expect("write example");
            let (run, codes) = check_json(&dir, &file);
            if section == "wrong" {
                assert!(
                    codes.iter().any(|c| c == code.as_str()),
                    "{code}: the Wrong example reports {codes:?}, not {code}:\n{block}"
                );
            } else {
                assert_eq!(
                    (run.status, codes.clone()),
                    (0, Vec::<String>::new()),
                    "{code}: the Right example must check cleanly:\n{block}\n{}",
                    msbc_in(&dir, &["check", &file], None).stderr
                );
            }
        }
    }
}

#[test]
fn bad_input_exits_1_and_names_the_code() {
    let run = in_fixtures(&["check", "E0202.kdl"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("error[E0202]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("no stage named `biuld`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `build`?"),
        "{}",
        run.stderr
    );
    // The same through stdin.
    let bytes = std::fs::read(fixture(Code::UnknownStage)).expect("fixture");
    let piped = msbc_in(&root(), &["check", "-"], Some(&bytes));
    assert_eq!(piped.status, 1);
    assert!(piped.stderr.contains("[E0202]"), "{}", piped.stderr);
    // `compile` refuses it too, and writes nothing to stdout.
    let compiled = in_fixtures(&["compile", "E0202.kdl"]);
    assert_eq!(compiled.status, 1);
    assert!(compiled.stdout.is_empty(), "{}", compiled.stdout);
    assert!(compiled.stderr.contains("[E0202]"), "{}", compiled.stderr);
}

#[test]
fn e0001_reports_every_syntax_error() {
    let (_, codes) = check_json(&fixtures_dir(), "E0001.kdl");
    let syntax = codes.iter().filter(|c| *c == "E0001").count();
    assert!(
        syntax >= 2,
        "E0001.kdl: expected several E0001, got {codes:?}"
    );
}

#[test]
fn e0002_fixture_is_not_utf8() {
    let bytes = std::fs::read(fixture(Code::InvalidUtf8)).expect("fixture");
    assert!(std::str::from_utf8(&bytes).is_err());
}

/// A small fixed-seed generator (xorshift64*), so the "random" input is
/// the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
}

/// Feeds `bytes` to `msbc check -`: a spec error (exit 1) with a code, never
/// a panic (101) or a usage error.
fn assert_rejected(what: &str, bytes: &[u8], allowed: &[&str]) {
    let run = msbc_in(&root(), &["check", "--format", "json", "-"], Some(bytes));
    assert_ne!(run.status, 101, "{what}: msbc panicked:\n{}", run.stderr);
    assert_eq!(run.status, 1, "{what}: exit 1 expected\n{}", run.stderr);
    let codes = json_codes(&run);
    assert!(
        codes.iter().any(|c| allowed.contains(&c.as_str())),
        "{what}: expected one of {allowed:?}, got {codes:?}"
    );
    let human = msbc_in(&root(), &["check", "-"], Some(bytes));
    assert_eq!(human.status, 1, "{what} (human): {}", human.stderr);
}

#[test]
fn garbage_is_a_spec_error_not_a_crash() {
    let utf8_or_syntax = ["E0002", "E0001"];
    assert_rejected("a lone 0xFF", b"\xff", &["E0002"]);
    assert_rejected(
        "a truncated UTF-8 sequence at the end",
        b"msbc 1\nimage app from=\"alpine:3.20\" { user \"\xc3",
        &["E0002"],
    );
    assert_rejected(
        "UTF-16 with a byte order mark",
        &[0xFF, 0xFE, b'm', 0, b's', 0, b'b', 0, b'c', 0],
        &["E0002"],
    );
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert_rejected("4 KiB of bytes 0..=255", &all_bytes, &utf8_or_syntax);
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..8 {
        let n = 1 + (rng.next() % 2048) as usize;
        let bytes = rng.bytes(n);
        assert_rejected(
            &format!("random bytes, round {round}"),
            &bytes,
            &utf8_or_syntax,
        );
    }
    // Valid UTF-8 but not KDL: NUL and other control characters.
    assert_rejected("control characters", b"msbc 1\n\0\x01\x02", &["E0001"]);
    assert_rejected("an unclosed block", b"msbc 1\nimage app {", &["E0001"]);
}

#[test]
fn empty_and_blank_files_are_spec_errors() {
    for (what, bytes) in [
        ("an empty file", &b""[..]),
        ("only whitespace", &b"  \n\t\n"[..]),
        ("only a comment", &b"// nothing here\n"[..]),
    ] {
        let run = msbc_in(&root(), &["check", "-"], Some(bytes));
        assert_eq!(run.status, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains("[E0005]"), "{what}: {}", run.stderr);
    }
}

/// In-process: random input never panics, and a spec without errors is
/// exactly one that has a model.
mod fuzz {
    use msbc::compile;
    use proptest::prelude::*;

    fn checked_ok(bytes: &[u8]) -> Result<(), TestCaseError> {
        let checked = compile::check(bytes);
        if checked.diagnostics.has_errors() {
            prop_assert!(
                checked
                    .diagnostics
                    .iter()
                    .all(|d| d.labels.iter().all(|l| l.span.start <= l.span.end)),
                "a label ends before it starts"
            );
        } else {
            prop_assert!(checked.model.is_some(), "no errors, but no model");
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            checked_ok(&bytes)?;
        }

        #[test]
        fn kdl_like_text_never_panics(
            text in r#"msbc 1\n(image|stage|arg|copy|run|user|env|\{|\}|"|=|#true|\$\{|[a-z]{1,6}|[ \n]){0,40}"#
        ) {
            checked_ok(text.as_bytes())?;
        }
    }
}

/// What people bring from Dockerfiles and shells gets a code of its own
/// and says what to write (`tests/fixtures/newcomer/`): a `#` comment, an
/// unquoted `run` command (one KDL cannot read, one it reads as words), a
/// bare `true`.
#[test]
fn newcomer_errors_say_what_to_write() {
    let dir = root().join("tests/fixtures/newcomer");
    for (file, code, count, help) in [
        (
            "hash-comment.kdl",
            "E0006",
            2,
            "KDL comments start with `//`: `// Build the service`",
        ),
        (
            "unquoted-run.kdl",
            "E0007",
            1,
            "quote the command: `run \"go build ./...\"`",
        ),
        (
            "unquoted-run-words.kdl",
            "E0007",
            1,
            "quote the command: `run \"npm ci\"`",
        ),
        (
            "bare-true.kdl",
            "E0001",
            1,
            "KDL v2 writes `true` with a `#`: `#true`",
        ),
    ] {
        let run = msbc_in(&dir, &["check", file], None);
        assert_eq!(run.status, 1, "{file}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("error[{code}]")),
            "{file}: {}",
            run.stderr
        );
        // One error for each mistake.
        assert_eq!(
            run.stderr.matches("× error").count(),
            count,
            "{file}: {}",
            run.stderr
        );
        let (_, codes) = check_json(&dir, file);
        assert_eq!(codes, vec![code; count], "{file}");
        // The help is one line in the JSON (the human report wraps it).
        let json = msbc_in(&dir, &["check", "--format", "json", file], None);
        assert!(
            json.stdout.contains(&help.replace('"', "\\\"")),
            "{file}: {}",
            json.stdout
        );
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("msbc check {file}"),
        }, {
            insta::assert_snapshot!(format!("newcomer__{}", file.trim_end_matches(".kdl")), run.stderr);
        });
    }
    // The second `#` line of hash-comment.kdl, written without a space.
    let run = msbc_in(
        &dir,
        &["check", "--format", "json", "hash-comment.kdl"],
        None,
    );
    assert!(
        run.stdout.contains("`// copy the binary`"),
        "{}",
        run.stdout
    );
}
