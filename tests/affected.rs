//! `--affected --since REV` never misses a service: over a generated monorepo (own contexts,
//! `context "../.."` contexts sharing a library folder, team templates, a lock, ignore files),
//! each kind of input is changed in turn and the affected set msbc names is compared with the
//! set an oracle computed here says changed: a full compile of every service (the Dockerfile and
//! the ignore file msbc writes) plus a hash of every file its build context sends, read with this
//! file's own reading of `.dockerignore` patterns (not msbc's).

use crate::support::{Msbc, TempDir};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const SERVICES: [&str; 6] = ["svc-a", "svc-b", "svc-c", "svc-d", "svc-e", "svc-f"];

const DIGEST_1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const DIGEST_2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn template(name: &str, tier: &str) -> (String, String) {
    let preset = format!(
        "summary \"ACME {tier} service\"\nparam \"name\" type=\"string\" required=#true summary=\"service name\"\n\
         example \"\"\"\n    msbc 1\n    templates \"templates\"\n    use \"acme/{name}\" name=\"x\"\n    \"\"\"\n"
    );
    let body = format!(
        "image {{{{ name | q }}}} from=\"alpine:3.20\" {{\n    copy \"src\" to=\"/srv\"\n    env TIER=\"{tier}\"\n    user \"1000\"\n}}\n"
    );
    (preset, body)
}

/// The monorepo, committed: its first commit is the revision compared with.
fn monorepo(t: &TempDir) {
    let w = |rel: &str, text: &str| {
        t.write(rel, text);
    };
    // svc-a: its own folder as context, with its own .dockerignore.
    w(
        "services/svc-a/build.kdl",
        "msbc 1\nimage a from=\"alpine:3.20\" {\n    copy \"src\" to=\"/app/src\"\n    user \"1000\"\n}\n",
    );
    w("services/svc-a/.dockerignore", "*.log\n");
    w("services/svc-a/src/main.txt", "a\n");
    // svc-b, svc-c: team templates.
    for (svc, tpl) in [("svc-b", "web"), ("svc-c", "worker")] {
        w(
            &format!("services/{svc}/build.kdl"),
            &format!("msbc 1\ntemplates \"../../templates\"\nuse \"acme/{tpl}\" name=\"{svc}\"\n"),
        );
        w(&format!("services/{svc}/src/main.txt"), svc);
        w(&format!("services/{svc}/src/extra.txt"), svc);
    }
    for tpl in ["web", "worker", "unused"] {
        let (preset, body) = template(tpl, tpl);
        w(&format!("templates/acme/{tpl}/preset.kdl"), &preset);
        w(&format!("templates/acme/{tpl}/template.kdl.j2"), &body);
    }
    w("templates/README.md", "ACME's templates\n");
    w("services/svc-b/.dockerignore", "*.md\n");
    w("services/svc-b/notes.md", "notes\n");
    // svc-d, svc-e: the repository root as context, sharing libs/shared; the root's
    // .dockerignore sends only libs and their folders; svc-d also leaves out svc-e's.
    w(
        ".dockerignore",
        "*\n!libs\n!services/svc-d\n!services/svc-e\n**/*.log\n",
    );
    w(
        "services/svc-d/build.kdl",
        "msbc 1\ncontext \"../..\" {\n    ignore \"services/svc-e\"\n}\nimage d from=\"alpine:3.20\" {\n    copy \"libs/shared\" to=\"/lib\"\n    copy \"services/svc-d/src\" to=\"/app\"\n    user \"1000\"\n}\n",
    );
    w(
        "services/svc-e/build.kdl",
        "msbc 1\ncontext \"../..\"\nimage e from=\"alpine:3.20\" {\n    copy \"libs/shared\" to=\"/lib\"\n    copy \"services/svc-e/src\" to=\"/app\"\n    user \"1000\"\n}\n",
    );
    w("services/svc-d/src/main.txt", "d\n");
    w("services/svc-e/src/main.txt", "e\n");
    w("libs/shared/util.txt", "shared\n");
    // svc-f: a lock.
    w(
        "services/svc-f/build.kdl",
        "msbc 1\nimage f from=\"alpine:3.20\" {\n    copy \"src\" to=\"/app\"\n    user \"1000\"\n}\n",
    );
    w("services/svc-f/src/main.txt", "f\n");
    w("services/svc-f/msbc.lock", &lock(DIGEST_1));
    git(t, &["init", "-q"]);
    git(t, &["add", "-A"]);
    git(t, &["commit", "-qm", "base"]);
}

fn lock(digest: &str) -> String {
    format!("version 1\nimage \"alpine:3.20\" digest=\"{digest}\"\n")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- the oracle ----

/// One `.dockerignore` pattern as Docker reads it: segments, `!`.
struct Pattern {
    invert: bool,
    segments: Vec<String>,
}

fn patterns(text: &str) -> Vec<Pattern> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (invert, body) = match l.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, l),
            };
            let segments = body
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .map(str::to_string)
                .collect();
            Pattern { invert, segments }
        })
        .collect()
}

/// A segment against a glob of `*` and `?` (no `/` inside a segment).
fn segment_matches(glob: &[u8], name: &[u8]) -> bool {
    match (glob.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_matches(&glob[1..], name)
                || (!name.is_empty() && segment_matches(glob, &name[1..]))
        }
        (Some(b'?'), Some(_)) => segment_matches(&glob[1..], &name[1..]),
        (Some(g), Some(n)) if g == n => segment_matches(&glob[1..], &name[1..]),
        _ => false,
    }
}

/// Segments against a pattern's segments: `**` is any number of segments, but a trailing
/// `**` at least one (`x/**` is what is inside x).
fn path_matches(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            let least = usize::from(rest.is_empty());
            (least..=path.len()).any(|skip| path_matches(rest, &path[skip..]))
        }
        Some((first, rest)) => path.split_first().is_some_and(|(name, tail)| {
            segment_matches(first.as_bytes(), name.as_bytes()) && path_matches(rest, tail)
        }),
    }
}

/// Whether the context leaves `rel` out: the last pattern that matches it or a folder above
/// it decides.
fn left_out(patterns: &[Pattern], rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut out = false;
    for p in patterns {
        if (1..=parts.len()).any(|n| path_matches(&p.segments, &parts[..n])) {
            out = !p.invert;
        }
    }
    out
}

/// Every file under `dir`, relative, `/`-separated.
fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if e.path().is_dir() {
            walk(&e.path(), &r, out);
        } else {
            out.push(r);
        }
    }
}

/// What each service's build is: its Dockerfile and ignore file from a full compile, and
/// every file (path and bytes) its build context sends.
fn oracle(repo: &Path, out: &TempDir) -> BTreeMap<&'static str, String> {
    let mut states = BTreeMap::new();
    for svc in SERVICES {
        let file = out.path().join(format!("{svc}.Dockerfile"));
        let _ = std::fs::remove_file(out.path().join(format!("{svc}.Dockerfile.dockerignore")));
        Msbc::new()
            .args(["compile", &format!("services/{svc}"), "-o"])
            .arg(&file)
            .dir(repo)
            .run()
            .success();
        let dockerfile = std::fs::read_to_string(&file).expect("the Dockerfile");
        let ignore =
            std::fs::read_to_string(out.path().join(format!("{svc}.Dockerfile.dockerignore")))
                .unwrap_or_default();
        let spec = std::fs::read_to_string(repo.join(format!("services/{svc}/build.kdl")))
            .expect("the spec");
        let context = if spec.contains("context \"../..\"") {
            repo.to_path_buf()
        } else {
            repo.join(format!("services/{svc}"))
        };
        let list = patterns(&ignore);
        let mut files = Vec::new();
        walk(&context, "", &mut files);
        files.sort();
        let mut state = format!("{dockerfile}\n--ignore--\n{ignore}\n--context--\n");
        for f in files.iter().filter(|f| !left_out(&list, f)) {
            let bytes = std::fs::read(context.join(f)).expect("a context file");
            state.push_str(&format!("{f} {}\n", String::from_utf8_lossy(&bytes)));
        }
        states.insert(svc, state);
    }
    states
}

/// The services msbc names with `--affected --since REV`.
fn affected(repo: &Path, rev: &str, extra: &[&str]) -> BTreeSet<String> {
    let run = Msbc::new()
        .args([
            "check",
            "services",
            "--format",
            "json",
            "--affected",
            "--since",
            rev,
        ])
        .args(extra)
        .dir(repo)
        .run();
    run.success();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    doc["affected"]["specs"]
        .as_array()
        .expect("affected.specs")
        .iter()
        .map(|s| {
            let file = s["file"].as_str().expect("file");
            file.trim_start_matches("services/")
                .trim_end_matches("/build.kdl")
                .to_string()
        })
        .collect()
}

#[test]
fn affected_services_are_exactly_those_whose_build_changed() {
    let repo = TempDir::new("affected-repo");
    let out = TempDir::new("affected-out");
    monorepo(&repo);
    let base = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let before = oracle(&repo, &out);
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|s| s.to_string()).collect() };
    let append = |rel: &str, text: &str| {
        let path = repo.path().join(rel);
        let mut old = std::fs::read_to_string(&path).unwrap_or_default();
        old.push_str(text);
        repo.write(rel, old);
    };
    type Change<'a> = (&'a str, Box<dyn Fn() + 'a>, BTreeSet<String>);
    let changes: Vec<Change<'_>> = vec![
        (
            "a spec",
            Box::new(|| {
                let spec = repo.read("services/svc-a/build.kdl");
                repo.write(
                    "services/svc-a/build.kdl",
                    spec.replace("user \"1000\"", "env A=\"1\"\n    user \"1000\""),
                );
            }),
            set(&["svc-a"]),
        ),
        (
            "a spec in the shared root context",
            Box::new(|| {
                let spec = repo.read("services/svc-e/build.kdl");
                repo.write(
                    "services/svc-e/build.kdl",
                    spec.replace("user \"1000\"", "env E=\"1\"\n    user \"1000\""),
                );
            }),
            // svc-e's folder is in svc-e's context only (svc-d ignores it).
            set(&["svc-e"]),
        ),
        (
            "a source file of svc-d (in svc-e's context too)",
            Box::new(|| append("services/svc-d/src/main.txt", "more\n")),
            set(&["svc-d", "svc-e"]),
        ),
        (
            "a team template",
            Box::new(|| {
                append(
                    "templates/acme/web/template.kdl.j2",
                    "image {{ name | q }} extend=#true {\n    label \"tier\" \"web\"\n}\n",
                )
            }),
            set(&["svc-b"]),
        ),
        (
            "a template no service uses, and the templates' README",
            Box::new(|| {
                append("templates/acme/unused/template.kdl.j2", "// unused\n");
                append("templates/README.md", "more\n");
            }),
            set(&[]),
        ),
        (
            "a lock",
            Box::new(|| {
                repo.write("services/svc-f/msbc.lock", lock(DIGEST_2));
            }),
            set(&["svc-f"]),
        ),
        (
            "a source file",
            Box::new(|| append("services/svc-a/src/main.txt", "more\n")),
            set(&["svc-a"]),
        ),
        (
            "ignored files (svc-a's *.log, the root's **/*.log, a folder the root leaves out)",
            Box::new(|| {
                repo.write("services/svc-a/debug.log", "x\n");
                repo.write("libs/shared/trace.log", "x\n");
                repo.write("docs/notes.txt", "x\n");
            }),
            set(&[]),
        ),
        (
            "the shared library folder",
            Box::new(|| append("libs/shared/util.txt", "v2\n")),
            set(&["svc-d", "svc-e"]),
        ),
        (
            "a new file in the shared library folder (untracked)",
            Box::new(|| {
                repo.write("libs/shared/new.txt", "new\n");
            }),
            set(&["svc-d", "svc-e"]),
        ),
        (
            "a deleted file",
            Box::new(|| {
                std::fs::remove_file(repo.path().join("services/svc-c/src/extra.txt")).expect("rm")
            }),
            set(&["svc-c"]),
        ),
        (
            "the root .dockerignore",
            Box::new(|| append(".dockerignore", "libs/shared/util.txt\n")),
            set(&["svc-d", "svc-e"]),
        ),
        (
            "svc-a's .dockerignore",
            Box::new(|| append("services/svc-a/.dockerignore", "src/gone.txt\n")),
            set(&["svc-a"]),
        ),
    ];
    for (what, change, want) in &changes {
        change();
        let after = oracle(&repo, &out);
        let changed: BTreeSet<String> = SERVICES
            .iter()
            .filter(|s| before[*s] != after[*s])
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            &changed, want,
            "{what}: the oracle (this test's expectation is wrong)"
        );
        let named = affected(&repo, &base, &[]);
        assert!(
            changed.is_subset(&named),
            "{what}: msbc missed {:?} (named {named:?})",
            changed.difference(&named).collect::<Vec<_>>()
        );
        assert_eq!(named, changed, "{what}: msbc named more than changed");
        git(&repo, &["reset", "-q", "--hard", &base]);
        git(&repo, &["clean", "-qfdx"]);
    }

    // An ignored file of a service built by templates: a change to it does not count, but one
    // that comes or goes does (presets see the context's listing, ignored files too), though
    // this one changes nothing: msbc names more than changed, never less.
    append("services/svc-b/notes.md", "more\n");
    assert_eq!(oracle(&repo, &out), before, "an ignored file");
    assert_eq!(affected(&repo, &base, &[]), set(&[]));
    repo.write("services/svc-b/CHANGES.md", "new\n");
    assert_eq!(oracle(&repo, &out), before, "an ignored file");
    assert_eq!(affected(&repo, &base, &[]), set(&["svc-b"]));
    git(&repo, &["reset", "-q", "--hard", &base]);
    git(&repo, &["clean", "-qfdx"]);

    // A committed change counts as well as one in the working tree.
    append("services/svc-b/src/main.txt", "committed\n");
    git(&repo, &["commit", "-qam", "svc-b"]);
    assert_eq!(affected(&repo, &base, &[]), set(&["svc-b"]));
    assert_eq!(affected(&repo, "HEAD", &[]), set(&[]));
    git(&repo, &["reset", "-q", "--hard", &base]);

    // Another msbc version: every service.
    assert_eq!(
        affected(&repo, &base, &["--since-version", "msbc 0.0.0 (another)"]),
        set(&SERVICES)
    );
    let this = Msbc::new().arg("--version").run().stdout;
    assert_eq!(
        affected(&repo, &base, &["--since-version", this.trim()]),
        set(&[])
    );
}

#[test]
fn a_revision_that_does_not_exist_is_a_usage_error() {
    let repo = TempDir::new("affected-norev");
    monorepo(&repo);
    let run = Msbc::new()
        .args([
            "check",
            "services",
            "--affected",
            "--since",
            "no-such-branch",
        ])
        .dir(&repo)
        .run();
    run.code(2)
        .stderr_has("--since no-such-branch: no such revision");
    // compile --all narrows the same way; --affected needs --since.
    let base = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    repo.write("services/svc-a/src/main.txt", "changed\n");
    let run = Msbc::new()
        .args([
            "compile",
            "--all",
            "services",
            "--check",
            "--affected",
            "--since",
            &base,
        ])
        .dir(&repo)
        .run();
    run.stderr_has("1 of 6 specs affected since");
    Msbc::new()
        .args(["check", "services", "--affected"])
        .dir(&repo)
        .run()
        .code(2);
}
