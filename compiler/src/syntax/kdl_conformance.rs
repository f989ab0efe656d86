//! The fast KDL path (`kdl_read`) against the official KDL test suite and
//! every `.kdl` file of the repository: whatever it reads, it reads as the
//! `kdl` crate does (names, values, value representations, spans), it never
//! accepts a text the crate refuses, and the valid texts it leaves to the
//! crate are exactly the ones listed in [`LEFT_TO_THE_CRATE`], each with why.
//!
//! The suite is the copy the `kdl` crate ships (`tests/test_cases` in its
//! package, found in cargo's registry), or `MSBC_KDL_SUITE=DIR` (a
//! `test_cases` folder, e.g. of github.com/kdl-org/kdl).

use super::kdl_read::{describe, parse_fast};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Valid KDL v2 in the suite that the fast path deliberately leaves to the
/// `kdl` crate (it is then parsed exactly as before, only slower), by file
/// stem, with the feature that sends it there. Build specs, presets and
/// templates use none of these.
const LEFT_TO_THE_CRATE: &[(&str, &str)] = &[
    ("arg_false_type", TYPE),
    ("arg_float_type", TYPE),
    ("arg_hex_type", TYPE),
    ("arg_null_type", TYPE),
    ("arg_raw_string_type", TYPE),
    ("arg_string_type", TYPE),
    ("arg_true_type", TYPE),
    ("arg_type", TYPE),
    ("arg_zero_type", TYPE),
    ("bare_ident_dot", SIGN_DOT),
    ("bare_ident_sign", SIGN_DOT),
    ("bare_ident_sign_dot", SIGN_DOT),
    ("binary", RADIX),
    ("binary_trailing_underscore", RADIX),
    ("binary_underscore", RADIX),
    ("blank_arg_type", TYPE),
    ("blank_node_type", TYPE),
    ("blank_prop_type", TYPE),
    ("bom_initial", BOM),
    ("comment_after_arg_type", TYPE),
    ("comment_after_node_type", TYPE),
    ("comment_after_prop_type", TYPE),
    ("comment_in_arg_type", TYPE),
    ("comment_in_node_type", TYPE),
    ("comment_in_prop_type", TYPE),
    ("dash_dash", SIGN_DOT),
    ("esc_multiple_newlines", WS_ESCAPE),
    ("escaped_whitespace", WS_ESCAPE),
    ("escline_node_type", TYPE),
    ("floating_point_keywords", INF_NAN),
    ("hex", RADIX),
    ("hex_int", RADIX),
    ("hex_int_underscores", RADIX),
    ("hex_leading_zero", RADIX),
    ("leading_zero_binary", RADIX),
    ("leading_zero_oct", RADIX),
    ("multiline_string_double_backslash", WS_ESCAPE),
    ("multiline_string_escape_in_closing_line", WS_ESCAPE),
    ("multiline_string_escape_in_closing_line_shallow", WS_ESCAPE),
    ("multiline_string_escape_newline_at_end", WS_ESCAPE),
    ("multiline_string_whitespace_only", UNICODE_SPACE),
    // (in github.com/kdl-org/kdl, not yet in the crate's copy)
    ("multiline_string_wrapped_binary", WS_ESCAPE),
    ("negative_exponent", EXPONENT),
    ("no_decimal_exponent", EXPONENT),
    ("node_type", TYPE),
    ("octal", RADIX),
    ("parse_all_arg_types", NUMBERS),
    ("positive_exponent", EXPONENT),
    ("prop_false_type", TYPE),
    ("prop_float_type", TYPE),
    ("prop_hex_type", TYPE),
    ("prop_identifier_type", TYPE),
    ("prop_null_type", TYPE),
    ("prop_raw_string_type", TYPE),
    ("prop_string_type", TYPE),
    ("prop_true_type", TYPE),
    ("prop_type", TYPE),
    ("prop_zero_type", TYPE),
    ("quoted_arg_type", TYPE),
    ("quoted_node_type", TYPE),
    ("quoted_prop_type", TYPE),
    ("raw_arg_type", TYPE),
    ("raw_node_type", TYPE),
    ("raw_prop_type", TYPE),
    ("sci_notation_large", EXPONENT),
    ("sci_notation_small", EXPONENT),
    ("slashdash_escline_before_arg_type", TYPE),
    ("space_after_arg_type", TYPE),
    ("space_after_node_type", TYPE),
    ("space_after_prop_type", TYPE),
    ("space_in_arg_type", TYPE),
    ("space_in_node_type", TYPE),
    ("space_in_prop_type", TYPE),
    ("string_escaped_literal_whitespace", WS_ESCAPE),
    ("trailing_underscore_hex", RADIX),
    ("trailing_underscore_octal", RADIX),
    ("underscore_in_exponent", EXPONENT),
    ("underscore_in_octal", RADIX),
    ("unicode_silly", UNICODE_SPACE),
    ("vertical_tab_whitespace", UNICODE_SPACE),
];

const TYPE: &str = "a type annotation `(t)`";
const RADIX: &str = "a hexadecimal, octal or binary number";
const EXPONENT: &str = "a number with an exponent";
const NUMBERS: &str = "exponents and hexadecimal, octal and binary numbers";
const SIGN_DOT: &str = "an identifier starting with a sign or a dot (`-x`, `.x`, `--`)";
const INF_NAN: &str = "`#inf`, `#-inf`, `#nan`";
const BOM: &str = "a byte-order mark";
const UNICODE_SPACE: &str = "whitespace or a newline other than space, tab, CR, LF";
const WS_ESCAPE: &str = "a whitespace escape in a string (`\\` before spaces or a newline)";

fn suite() -> PathBuf {
    if let Some(dir) = std::env::var_os("MSBC_KDL_SUITE") {
        return PathBuf::from(dir);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let registry = cargo_home.join("registry/src");
    let mut found = Vec::new();
    for index in std::fs::read_dir(&registry).into_iter().flatten().flatten() {
        for pkg in std::fs::read_dir(index.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = pkg.file_name().to_string_lossy().into_owned();
            let cases = pkg.path().join("tests/test_cases");
            if name.starts_with("kdl-6.") && cases.is_dir() {
                found.push(cases);
            }
        }
    }
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "the KDL test suite was not found under {} (the kdl crate's package ships it); \
             set MSBC_KDL_SUITE to a test_cases folder",
            registry.display()
        )
    })
}

fn kdl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != ".git" {
                kdl_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "kdl") {
            out.push(path);
        }
    }
}

/// What happened to one text.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Read fast, the same as the crate.
    Same,
    /// Valid KDL left to the crate.
    LeftToCrate,
    /// Invalid KDL, refused by both.
    BothRefuse,
}

fn compare(path: &Path, text: &str) -> Result<Outcome, String> {
    let fast = parse_fast(text);
    let slow = text.parse::<kdl::KdlDocument>();
    match (fast, slow) {
        (Some(f), Ok(s)) => {
            let (f, s) = (describe(&f), describe(&s));
            if f == s {
                Ok(Outcome::Same)
            } else {
                Err(format!(
                    "{}: read differently\nfast:\n{f}\ncrate:\n{s}",
                    path.display()
                ))
            }
        }
        (Some(_), Err(e)) => Err(format!(
            "{}: the fast path accepts what the crate refuses: {e}",
            path.display()
        )),
        (None, Ok(_)) => Ok(Outcome::LeftToCrate),
        (None, Err(_)) => Ok(Outcome::BothRefuse),
    }
}

#[test]
fn the_official_kdl_suite_reads_as_the_kdl_crate_reads_it() {
    let suite = suite();
    let mut inputs = Vec::new();
    kdl_files(&suite.join("input"), &mut inputs);
    kdl_files(&suite.join("expected_kdl"), &mut inputs);
    inputs.sort();
    assert!(
        inputs.len() > 300,
        "only {} cases in {}",
        inputs.len(),
        suite.display()
    );
    let mut errors = Vec::new();
    let mut left: BTreeMap<String, ()> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut present: Vec<String> = Vec::new();
    for path in &inputs {
        if path.parent().is_some_and(|p| p.ends_with("input")) {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            present.push(stem.into_owned());
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // not UTF-8: the crate never sees it either
        };
        match compare(path, &text) {
            Ok(outcome) => {
                *counts.entry(format!("{outcome:?}")).or_default() += 1;
                if outcome == Outcome::LeftToCrate
                    && path.parent().is_some_and(|p| p.ends_with("input"))
                {
                    let stem = path
                        .file_stem()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    left.insert(stem, ());
                }
            }
            Err(e) => errors.push(e),
        }
    }
    eprintln!(
        "{} texts from {}: {counts:?}",
        inputs.len(),
        suite.display()
    );
    assert!(
        errors.is_empty(),
        "{} differences:\n{}",
        errors.len(),
        errors.join("\n\n")
    );
    let listed: Vec<&str> = LEFT_TO_THE_CRATE.iter().map(|(n, _)| *n).collect();
    let found: Vec<&str> = left.keys().map(String::as_str).collect();
    let unlisted: Vec<&&str> = found.iter().filter(|n| !listed.contains(n)).collect();
    assert!(
        unlisted.is_empty(),
        "valid KDL left to the crate but not listed in LEFT_TO_THE_CRATE: {unlisted:?}"
    );
    // Keep the list true: a listed case the suite has must still be left.
    let stale: Vec<&&str> = listed
        .iter()
        .filter(|n| present.iter().any(|p| p == *n) && !found.contains(n))
        .collect();
    assert!(stale.is_empty(), "listed but now read fast: {stale:?}");
    assert!(counts.get("Same").copied().unwrap_or(0) > 150, "{counts:?}");
}

#[test]
fn every_kdl_file_of_the_repository_is_read_fast_and_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["specs", "stdlib", "tests/fixtures", "examples"] {
        kdl_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "{} files", files.len());
    let mut errors = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // the not-UTF-8 fixtures
        };
        match compare(path, &text) {
            Ok(Outcome::Same) => {}
            // Fixtures of KDL syntax errors are refused by both.
            Ok(Outcome::BothRefuse) => {}
            Ok(Outcome::LeftToCrate) => {
                // Every spec, preset and version file msbc ships is read fast.
                let shipped =
                    path.starts_with(root.join("specs")) || path.starts_with(root.join("stdlib"));
                if shipped {
                    errors.push(format!("{}: valid but left to the crate", path.display()));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

#[test]
fn every_stdlib_preset_example_is_read_fast_templates_included() {
    use crate::expand::{Catalog, Manifest};
    let catalog = Catalog::stdlib();
    let mut checked = 0;
    for t in catalog.templates() {
        let manifest = Manifest::parse(&t.manifest).expect("stdlib manifest");
        let Some(example) = manifest.example else {
            continue;
        };
        super::kdl_read::FALLBACKS.with(|n| n.set(0));
        let checked_spec = crate::compile::check(example.as_bytes());
        assert!(
            !checked_spec.diagnostics.has_errors(),
            "{}: {:?}",
            t.name,
            checked_spec.diagnostics
        );
        let fallbacks = super::kdl_read::FALLBACKS.with(|n| n.get());
        assert_eq!(
            fallbacks, 0,
            "{}: {fallbacks} texts left to the kdl crate",
            t.name
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked} presets");
}

/// Mutations of the suite's texts (characters KDL gives meaning to,
/// inserted, deleted or doubled at pseudo-random places): whatever the fast
/// path reads of them, it reads as the crate does, and it never accepts
/// what the crate refuses.
#[test]
fn mutated_texts_read_as_the_crate_reads_them_or_go_to_it() {
    let suite = suite();
    let mut inputs = Vec::new();
    kdl_files(&suite.join("input"), &mut inputs);
    inputs.sort();
    let texts: Vec<String> = inputs
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|t| t.len() < 400)
        .collect();
    assert!(texts.len() > 200, "{} texts", texts.len());
    const PIECES: &[&str] = &[
        "\"", "#", "{", "}", "\\", "/", "-", "=", ";", " ", "\n", "\r", "*", "/-", "/*", "*/",
        "//", "\"\"\"", "#\"", "\"#", "1", ".", "_", "+", "e", "x", "\\n", "\\u{41}", "\t", "é",
    ];
    let mut seed: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let (mut same, mut errors) = (0, Vec::new());
    // MSBC_KDL_MUTATIONS=N for a longer run.
    let rounds = std::env::var("MSBC_KDL_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(6000);
    for round in 0..rounds {
        let base = &texts[next(texts.len())];
        let mut text = base.clone();
        for _ in 0..1 + next(3) {
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let at = bounds[next(bounds.len())];
            match next(3) {
                0 => text.insert_str(at, PIECES[next(PIECES.len())]),
                1 => {
                    if let Some(c) = text[at..].chars().next() {
                        text.replace_range(at..at + c.len_utf8(), "");
                    }
                }
                _ => {
                    if let Some(c) = text[at..].chars().next() {
                        text.insert(at, c);
                    }
                }
            }
        }
        match compare(Path::new(&format!("mutation {round}")), &text) {
            Ok(Outcome::Same) => same += 1,
            Ok(_) => {}
            Err(e) => errors.push(format!("{e}\ntext: {text:?}")),
        }
    }
    assert!(
        errors.is_empty(),
        "{} differences:\n{}",
        errors.len(),
        errors[..errors.len().min(5)].join("\n\n")
    );
    assert!(same > 1000, "only {same} mutations read fast");
}

/// `msbc.lock`, as `msbc lock` writes it, is read fast and the same.
#[test]
fn a_lock_file_is_read_fast_and_the_same() {
    let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    let text = format!(
        "// msbc.lock: base images pinned by `msbc lock`. Do not edit: run `msbc lock` again.\n\
         version 1\n\
         image \"golang:1.23-bookworm\" digest=\"{}\" {{\n    \
         config \"linux/amd64\" digest=\"{}\" layers=1 {{\n        \
         env \"PATH=/go/bin:/usr/bin\" \"GOPATH=/go\"\n        workdir \"/go\"\n        \
         cmd \"bash\"\n    }}\n}}\n",
        digest('a'),
        digest('b')
    );
    let lock = crate::lock::Lock::parse(&text).expect("a lock file");
    let rendered = lock.render();
    for t in [&text, &rendered] {
        assert_eq!(compare(Path::new("msbc.lock"), t), Ok(Outcome::Same), "{t}");
    }
}
