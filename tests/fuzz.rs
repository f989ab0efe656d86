//! The fuzz harness (stable Rust, proptest): no input makes msbc panic or
//! take more than a second, through the whole pipeline in-process:
//! `compile::check_with` (with the stdlib presets and a few context files),
//! then `compile::emit` for every emit kind (Dockerfile, JSON, LLB, its dump,
//! the image config) under several selections (default, each image, each
//! stage as `--target`, `--syntax none`, `--arg`, `--platform`).
//!
//! Two kinds of input:
//! - `spec()`: structured generation of specs that use every node, with
//!   random names and values, adversarial strings among them;
//! - `mutant()`: byte-level mutations (flip, insert, delete, duplicate,
//!   splice) of every spec in `specs/`, `tests/fixtures/diagnostics/` and
//!   `tests/fixtures/fuzz/`.
//!
//! `fuzz_smoke` runs a short bounded pass in every test run.
//! `tests/tools/fuzz.sh N` runs `fuzz_long` (ignored here) for N inputs in
//! release mode and prints inputs per second. Every crash found is fixed
//! and its input kept in `tests/fixtures/fuzz/`, which `fuzz_regressions`
//! replays.

use crate::support::root;
use msbc::compile::{self, Emit};
use msbc::expand::{Catalog, Context};
use msbc::ir::StageKind;
use msbc::lower::Selection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many inputs checked clean enough to have a model (and were emitted).
static MODELS: AtomicU64 = AtomicU64::new(0);

/// The most one input may take (check and every emit together).
const LIMIT: Duration = Duration::from_secs(1);

const EMITS: [Emit; 5] = [
    Emit::Dockerfile,
    Emit::Json,
    Emit::Llb,
    Emit::LlbJson,
    Emit::ImageConfig,
];

/// Context files a preset may detect (lockfiles, build files).
const FILES: &[&str] = &[
    "go.mod",
    "go.sum",
    "package.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "requirements.txt",
    "pom.xml",
    "build.gradle",
    "app.csproj",
];

/// Runs the whole pipeline on `bytes`; panics inside become errors.
fn drive(catalog: &Catalog, files: &[String], bytes: &[u8]) -> Result<(), String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let checked = compile::check_with(
            bytes,
            Context {
                catalog,
                files,
                contents: &msbc::expand::NO_CONTENTS,
                service_dir: "",
            },
        );
        // Rendering diagnostics is part of every run of the CLI.
        for d in checked.diagnostics.sorted() {
            let _ = msbc::diag::render::human(
                d,
                "build.kdl",
                &checked.text,
                msbc::diag::render::Style::Plain,
            );
            let _ = msbc::diag::render::JsonDiagnostic::new(d, "build.kdl", &checked.text);
            let _ = msbc::diag::render::github(d, "build.kdl", &checked.text);
        }
        let sorted = checked.diagnostics.sorted();
        let _ = msbc::diag::render::sarif(&sorted, "build.kdl", &checked.text);
        let Some(model) = &checked.model else {
            return;
        };
        MODELS.fetch_add(1, Ordering::Relaxed);
        let mut selections = vec![
            Selection::default(),
            Selection {
                no_syntax: true,
                platform: "linux/arm64".parse().ok(),
                args: model
                    .args
                    .iter()
                    .map(|a| (a.name.clone(), "x${y}$z\"\\\n".to_string()))
                    .collect(),
                ..Selection::default()
            },
        ];
        for stage in model.stages.iter().take(6) {
            selections.push(match stage.kind {
                StageKind::Image => Selection {
                    image: Some(stage.name.clone()),
                    ..Selection::default()
                },
                StageKind::Stage => Selection {
                    target: Some(stage.name.clone()),
                    ..Selection::default()
                },
            });
        }
        for selection in &selections {
            for emit in EMITS {
                let _ = compile::emit(model, selection, emit, "build.kdl");
            }
        }
    }));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".to_string())
    })
}

/// Drives one input and checks the two properties: no panic, at most [`LIMIT`].
fn one(catalog: &Catalog, files: &[String], bytes: &[u8]) -> Result<(), TestCaseError> {
    let start = Instant::now();
    if let Err(panic) = drive(catalog, files, bytes) {
        save_crash(bytes);
        return Err(TestCaseError::fail(format!(
            "msbc panicked ({panic}) on:\n{}",
            String::from_utf8_lossy(bytes)
        )));
    }
    let took = start.elapsed();
    if took > LIMIT {
        // Once more, in case the machine was busy (tests run in parallel).
        let again = Instant::now();
        let _ = drive(catalog, files, bytes);
        let took = took.min(again.elapsed());
        if took > LIMIT {
            save_crash(bytes);
            return Err(TestCaseError::fail(format!(
                "took {took:?} (> {LIMIT:?}) on:\n{}",
                String::from_utf8_lossy(bytes)
            )));
        }
    }
    Ok(())
}

/// Keeps a failing input in `target/fuzz-crashes/` to make it a fixture.
fn save_crash(bytes: &[u8]) {
    let dir = root().join("target/fuzz-crashes");
    let _ = std::fs::create_dir_all(&dir);
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let _ = std::fs::write(dir.join(format!("{hash:016x}.kdl")), bytes);
}

// ---- structured generation -------------------------------------------------

/// Strings that have broken compilers: quoting, interpolation, unicode.
const ADVERSARIAL: &[&str] = &[
    "",
    " ",
    "$",
    "$$",
    "${",
    "${}",
    "${A",
    "${A:-",
    "${A:-}",
    "${A:+b}",
    "${TARGETARCH}",
    "${BUILDPLATFORM}",
    "${V}",
    "${V:-1.0}",
    "$V",
    "\\",
    "\\\\n",
    "\"",
    "'",
    "`",
    "\n",
    "\r\n",
    "\t",
    "a\nb",
    "EOF",
    "EOF\nEOF",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{202e}",
    "é",
    "日本",
    "🦀",
    "a b",
    "a=b",
    "a,b",
    "--mount=type=secret",
    "#",
    "# syntax=x",
    "/",
    "//",
    "..",
    "../..",
    "./",
    "*",
    "**/*",
    "[",
    ":",
    "::",
    "@",
    "@sha256:",
    "alpine",
    "alpine:",
    ":latest",
    "alpine@sha256:abc",
    "localhost:5000/a/b:c",
    "UPPER:Case",
    "scratch",
    "0",
    "-1",
    "65536",
    "99999999999999999999",
    "0:0",
    "root",
    "root:root",
    "10001:10001",
    "0755",
    "0999",
    "7777",
    "1x",
    "30s",
    "1h2m3s4ms",
    "0s",
    "-5s",
    "linux",
    "linux/",
    "linux/amd64/v8/x",
    "8080/udp",
    "1-65535/tcp",
    "80-70",
    "AKIAIOSFODNN7EXAMPLE",
    "https://u:p@h/x",
    "-----BEGIN RSA PRIVATE KEY-----",
];

const NAMES: &[&str] = &["build", "deps", "test", "app", "web", "base", "go", "V"];

/// Names that are legal somewhere and not elsewhere.
const ODD_NAMES: &[&str] = &["b-2", "x_y", "A", "TOKEN", "scratch", "Bad", "1st", "a.b"];

const ABS_PATHS: &[&str] = &[
    "/src",
    "/out/app",
    "/app/",
    "/root/.cache",
    "/tmp",
    "/run/x",
];

const IMAGES: &[&str] = &[
    "alpine:3.20",
    "debian:bookworm-slim",
    "golang:${V}-bookworm",
    "gcr.io/distroless/static-debian12:nonroot",
    "node:22@sha256:6ec5aa99dc335666e79dc64e4a6c8b89c33a543a1967f20d360922a80dd21f02",
    "scratch",
    "alpine:latest",
    "registry.example:5000/team/img:1",
];

const PATHS: &[&str] = &[
    "/src",
    "/out/app",
    "/app/",
    ".",
    "./",
    "src/",
    "/run/secrets/x",
    "/root/.cache",
    "/tmp",
    "go.mod",
    "*.json",
    "/out/*",
];

/// A KDL string literal for `s` (always valid KDL, whatever `s` holds).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || c == '\u{feff}'
                || ('\u{2066}'..='\u{2069}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || c == '\u{200e}'
                || c == '\u{200f}' =>
            {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(list).prop_map(str::to_string)
}

/// A value: mostly plausible for `list`, sometimes adversarial or random.
fn value(list: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        40 => pick(list),
        1 => pick(ADVERSARIAL),
        1 => "\\PC{0,12}",
        1 => (pick(list), pick(ADVERSARIAL)).prop_map(|(a, b)| format!("{a}{b}")),
    ]
    .boxed()
}

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        60 => pick(NAMES),
        1 => pick(ODD_NAMES),
        1 => pick(ADVERSARIAL),
        1 => "[a-zA-Z_][a-zA-Z0-9_.-]{0,8}",
    ]
    .boxed()
}

/// A name as KDL writes it: a bare identifier when it can be one.
fn ident(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    if bare { s.to_string() } else { quote(s) }
}

fn mount() -> BoxedStrategy<String> {
    prop_oneof![
        (
            value(ABS_PATHS),
            proptest::option::of(name()),
            proptest::option::of(pick(&["shared", "private", "locked"]))
        )
            .prop_map(|(p, id, sh)| {
                let mut s = format!("cache {}", quote(&p));
                if let Some(id) = id {
                    s += &format!(" id={}", quote(&id));
                }
                if let Some(sh) = sh {
                    s += &format!(" sharing={}", quote(&sh));
                }
                s
            }),
        (
            name(),
            proptest::option::of(value(PATHS)),
            proptest::option::of(name()),
            any::<bool>()
        )
            .prop_map(|(id, t, env, req)| {
                let mut s = format!("secret {}", quote(&id));
                if let Some(t) = t {
                    s += &format!(" target={}", quote(&t));
                }
                if let Some(e) = env {
                    s += &format!(" env={}", quote(&e));
                }
                if req {
                    s += " required=#true";
                }
                s
            }),
        (proptest::option::of(name()), any::<bool>()).prop_map(|(id, req)| {
            let mut s = "ssh".to_string();
            if let Some(id) = id {
                s += &format!(" id={}", quote(&id));
            }
            if req {
                s += " required=#true";
            }
            s
        }),
        (
            value(ABS_PATHS),
            proptest::option::of(value(&["64m", "1g"]))
        )
            .prop_map(|(p, size)| {
                let mut s = format!("tmpfs {}", quote(&p));
                if let Some(size) = size {
                    s += &format!(" size={}", quote(&size));
                }
                s
            }),
        (
            value(ABS_PATHS),
            proptest::option::of(name()),
            proptest::option::of(value(PATHS)),
            any::<bool>()
        )
            .prop_map(|(t, from, src, rw)| {
                let mut s = format!("bind {}", quote(&t));
                if let Some(f) = from {
                    s += &format!(" from={}", quote(&f));
                }
                if let Some(src) = src {
                    s += &format!(" source={}", quote(&src));
                }
                if rw {
                    s += " rw=#true";
                }
                s
            }),
    ]
    .boxed()
}

fn strings(list: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(value(list), 1..max.max(2))
        .prop_map(|v| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" "))
        .boxed()
}

const SCRIPTS: &[&str] = &[
    "make",
    "go build -o /out/app .",
    "echo $HOME ${V} $$",
    "set -eu\nmake\ninstall app /out/app\n",
    "cat <<EOF\nEOF\n",
    "EOF",
];

const ENV_KEYS: &[&str] = &[
    "PATH",
    "V",
    "API_TOKEN",
    "CGO_ENABLED",
    "A",
    "1BAD",
    "a b",
    "#B",
    "",
];

fn step() -> BoxedStrategy<String> {
    prop_oneof![
        value(PATHS).prop_map(|p| format!("workdir {}", quote(&p))),
        (
            strings(PATHS, 3),
            value(PATHS),
            proptest::option::of(prop_oneof![
                name().prop_map(|n| format!("from={}", quote(&n))),
                value(IMAGES).prop_map(|n| format!("from={}", quote(&n))),
                name().prop_map(|n| format!("artifact={}", quote(&n))),
            ]),
            proptest::option::of(value(&["10001:10001", "app", "${V}:0"])),
            proptest::option::of(value(&["0755", "644"])),
            any::<bool>(),
        )
            .prop_map(|(src, to, origin, chown, chmod, link)| {
                let mut s = match &origin {
                    // An artifact is one path: no sources.
                    Some(o) if o.starts_with("artifact=") => format!("copy to={} {o}", quote(&to)),
                    Some(o) => format!("copy {src} to={} {o}", quote(&to)),
                    None => format!("copy {src} to={}", quote(&to)),
                };
                if let Some(c) = chown {
                    s += &format!(" chown={}", quote(&c));
                }
                if let Some(c) = chmod {
                    s += &format!(" chmod={}", quote(&c));
                }
                if link {
                    s += " link=#true";
                }
                s
            }),
        (
            value(SCRIPTS),
            proptest::option::of(pick(&["none", "host", "default"])),
            proptest::collection::vec(mount(), 0..4),
            any::<bool>(),
        )
            .prop_map(|(script, net, mounts, exec)| {
                let mut s = if exec {
                    // The exec form: the script's words as the arguments.
                    let args: Vec<String> = script.split_whitespace().map(quote).collect();
                    format!("run {} exec=#true", args.join(" "))
                } else {
                    format!("run {}", quote(&script))
                };
                if let Some(n) = net {
                    s += &format!(" network={}", quote(&n));
                }
                if !mounts.is_empty() {
                    s += &format!(" {{\n        {}\n    }}", mounts.join("\n        "));
                }
                s
            }),
        proptest::collection::vec(
            (
                value(ENV_KEYS),
                value(&[
                    "1",
                    "${V}",
                    "/usr/bin:${PATH}",
                    "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                ])
            ),
            1..3
        )
        .prop_map(|kv| format!(
            "env {}",
            kv.iter()
                .map(|(k, v)| format!("{}={}", ident(k), quote(v)))
                .collect::<Vec<_>>()
                .join(" ")
        )),
        (
            value(&["org.opencontainers.image.source", "a", "#k", ""]),
            value(&["x", "${V}"]),
            any::<bool>()
        )
            .prop_map(|(k, v, prop)| if prop {
                format!("label {}={}", ident(&k), quote(&v))
            } else {
                format!("label {} {}", quote(&k), quote(&v))
            }),
        value(&["nonroot", "root", "0", "10001:10001", "${V}"])
            .prop_map(|u| format!("user {}", quote(&u))),
        proptest::collection::vec(
            prop_oneof![
                any::<i32>().prop_map(|n| n.to_string()),
                value(&["8080", "53/udp", "1-2/tcp"]).prop_map(|s| quote(&s))
            ],
            0..3
        )
        .prop_map(|p| format!("expose {}", p.join(" "))),
        strings(&["/app", "serve", "--flag"], 3).prop_map(|s| format!("entrypoint {s}")),
        strings(&["/app", "serve", "--flag"], 3).prop_map(|s| format!("cmd {s}")),
        prop_oneof![
            Just("healthcheck #null".to_string()),
            (
                strings(&["curl -f http://localhost/", "/app", "health"], 3),
                proptest::option::of(value(&["30s", "5s"])),
                proptest::option::of(any::<i64>())
            )
                .prop_map(|(c, i, r)| {
                    let mut s = format!("healthcheck {c}");
                    if let Some(i) = i {
                        s += &format!(" interval={0} timeout={0} start-period={0}", quote(&i));
                    }
                    if let Some(r) = r {
                        s += &format!(" retries={r}");
                    }
                    s
                }),
        ],
        strings(PATHS, 3).prop_map(|s| format!("volume {s}")),
        value(&["SIGTERM", "9", "SIGKILL"]).prop_map(|s| format!("stopsignal {}", quote(&s))),
        strings(&["/bin/bash", "-o", "pipefail", "-c"], 4).prop_map(|s| format!("shell {s}")),
    ]
    .boxed()
}

fn block(steps: Vec<String>) -> String {
    if steps.is_empty() {
        String::new()
    } else {
        format!(" {{\n    {}\n}}", steps.join("\n    "))
    }
}

fn stage_like() -> BoxedStrategy<String> {
    (
        pick(&["stage", "image"]),
        name(),
        prop_oneof![
            value(IMAGES).prop_map(|i| format!(" from={}", quote(&i))),
            name().prop_map(|n| format!(" from={}", ident(&n))),
            name().prop_map(|n| format!(" toolchain={}", ident(&n))),
            Just(String::new()),
        ],
        proptest::option::of(value(&["${BUILDPLATFORM}", "linux/arm64", "linux/amd64"])),
        any::<(bool, bool)>(),
        proptest::collection::vec(step(), 0..7),
    )
        .prop_map(|(kind, n, from, platform, (target_only, extend), steps)| {
            let mut s = format!("{kind} {}{from}", ident(&n));
            if let Some(p) = platform {
                s += &format!(" platform={}", quote(&p));
            }
            if target_only {
                s += " target-only=#true";
            }
            if extend {
                s += " extend=#true";
            }
            s + &block(steps)
        })
        .boxed()
}

const PRESETS: &[&str] = &["go", "java", "node", "python", "dotnet", "acme/x", "nope"];

fn top_node() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (name(), proptest::option::of(value(&["1.23", "", "${V}"]))).prop_map(|(n, d)| match d {
            Some(d) => format!("arg {} {}", ident(&n), quote(&d)),
            None => format!("arg {}", ident(&n)),
        }),
        1 => strings(&[".git", "target/", "**/*.log", "!keep"], 4).prop_map(|s| format!("context {{ ignore {s} }}")),
        2 => (name(), value(IMAGES), proptest::collection::vec(value(PATHS), 0..3), proptest::collection::vec((value(ENV_KEYS), value(&["0", "${V}"])), 0..2))
            .prop_map(|(n, img, caches, env)| {
                let mut body: Vec<String> = caches.iter().map(|c| format!("cache {}", quote(c))).collect();
                body.extend(env.iter().map(|(k, v)| format!("env {}={}", ident(k), quote(v))));
                format!("toolchain {} image={}{}", ident(&n), quote(&img), block(body))
            }),
        6 => stage_like(),
        2 => (name(), name(), value(PATHS)).prop_map(|(n, f, p)| format!("artifact {} from={} path={}", ident(&n), ident(&f), quote(&p))),
        1 => value(&["none", "docker/dockerfile:1"]).prop_map(|s| format!("dockerfile syntax={}", quote(&s))),
        2 => (
            value(PRESETS),
            proptest::collection::vec((pick(&["version", "main", "port", "runtime", "manager", "test", "cgo", "bogus", "tool", "sdk", "project"]), value(&["1.23", "./cmd/server", "8080", "debian", "pnpm", "true", "#true"])), 0..4),
            proptest::collection::vec((pick(&["main", "port", "env", "args", "healthcheck", "system-packages"]), value(&["./cmd/a", "9090", "A=1"])), 0..3),
        )
            .prop_map(|(p, props, children)| {
                let props: String = props
                    .iter()
                    .map(|(k, v)| {
                        let v = if v == "#true" || v.parse::<i64>().is_ok() { v.clone() } else { quote(v) };
                        format!(" {k}={v}")
                    })
                    .collect();
                let body: Vec<String> = children.iter().map(|(k, v)| format!("{k} {}", quote(v))).collect();
                format!("use {}{props}{}", quote(&p), block(body))
            }),
        1 => (any::<bool>(), any::<bool>(), strings(&["gcr.io", "docker.io"], 2), strings(&["com.acme.team"], 2)).prop_map(|(d, r, regs, labels)| {
            let mut body = Vec::new();
            if !regs.is_empty() { body.push(format!("allowed-registries {regs}")); }
            if d { body.push("require-digest".to_string()); }
            if r { body.push("forbid-root".to_string()); }
            if !labels.is_empty() { body.push(format!("required-labels {labels}")); }
            format!("policy{}", block(body))
        }),
    ]
    .boxed()
}

/// A whole spec: usually `msbc 1` first, then nodes in any order.
pub(crate) fn spec() -> BoxedStrategy<String> {
    let wild = (
        prop_oneof![8 => Just("msbc 1\n"), 1 => Just("msbc 2\n"), 1 => Just("")],
        proptest::collection::vec(top_node(), 0..10),
    )
        .prop_map(|(head, nodes)| format!("{head}{}\n", nodes.join("\n")));
    prop_oneof![wild, tame()].boxed()
}

/// A spec whose skeleton is sound (toolchain, stages, artifact, image), with
/// random values and steps in it: most of these reach the backends.
pub(crate) fn tame() -> BoxedStrategy<String> {
    (
        (
            value(&["1.23", "1.22"]),
            value(&["0", "1"]),
            value(SCRIPTS),
            proptest::collection::vec(mount(), 0..3),
        ),
        proptest::collection::vec(step(), 0..5),
        proptest::collection::vec(step(), 0..5),
        value(IMAGES),
        value(&["nonroot", "10001:10001", "${V}"]),
        strings(&["/app", "serve", "--flag"], 3),
        any::<bool>(),
    )
        .prop_map(|((v, cgo, script, mounts, ), build, image, base, user, entry, test)| {
            let mut out = format!("msbc 1\narg V {}\n", quote(&v));
            out += &format!(
                "toolchain go image=\"golang:${{V}}-bookworm\" {{\n    cache \"/go/pkg/mod\"\n    env CGO_ENABLED={}\n}}\n",
                quote(&cgo)
            );
            let run = if mounts.is_empty() {
                format!("run {}", quote(&script))
            } else {
                format!("run {} {{ {} }}", quote(&script), mounts.join("; "))
            };
            out += &format!(
                "stage deps toolchain=go {{\n    workdir \"/src\"\n    copy \"go.mod\" to=\"./\"\n    {run}\n}}\n"
            );
            out += &format!("stage build from=deps{}\n", block(build));
            if test {
                out += "stage test from=build target-only=#true { run \"go test ./...\" }\n";
            }
            out += "artifact bin from=build path=\"/out/app\"\n";
            let mut steps = vec!["copy artifact=bin to=\"/app\"".to_string()];
            steps.extend(image);
            steps.push(format!("user {}", quote(&user)));
            steps.push(format!("entrypoint {entry}"));
            out += &format!("image app from={}{}\n", quote(&base), block(steps));
            out
        })
        .boxed()
}

// ---- mutation --------------------------------------------------------------

/// Every seed: the specs, the diagnostic fixtures and the fuzz fixtures.
fn seeds() -> Vec<Vec<u8>> {
    let mut files = crate::support::spec_files();
    for dir in ["tests/fixtures/diagnostics", "tests/fixtures/fuzz"] {
        if let Ok(entries) = std::fs::read_dir(root().join(dir)) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
    }
    files.sort();
    files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "kdl"))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize, usize),
    Splice(usize, usize, usize),
}

/// Tokens that are more interesting to insert than random bytes.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "=",
    "#true",
    "#null",
    "${",
    "}",
    "$",
    "\n",
    ";",
    "/*",
    "*/",
    "//",
    "\\",
    "r#\"",
    "\"#",
    "\"\"\"",
    "stage x",
    "image y from=x",
    "copy ",
    "run \"a\" { secret \"s\" }",
    "from=",
    "extend=#true",
    "target-only=#true",
    "use go",
    "\u{0}",
    "é",
    "\u{feff}",
    "(t)",
];

fn mutation(len: usize) -> BoxedStrategy<Mutation> {
    let at = 0..len.max(1) + 1;
    prop_oneof![
        (at.clone(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            at.clone(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..4),
                proptest::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec())
            ]
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (at.clone(), 1..16usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (at.clone(), 1..64usize, at.clone()).prop_map(|(i, n, j)| Mutation::Duplicate(i, n, j)),
        (at.clone(), 1..64usize, at).prop_map(|(i, n, j)| Mutation::Splice(i, n, j)),
    ]
    .boxed()
}

fn apply(seed: &[u8], mutations: &[Mutation], other: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let len = b.len();
        let clamp = |i: usize| i.min(len);
        match m {
            Mutation::Flip(i, x) => {
                if let Some(byte) = b.get_mut(*i) {
                    *byte ^= x | 1;
                }
            }
            Mutation::Insert(i, bytes) => {
                let i = clamp(*i);
                b.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = clamp(*i);
                b.drain(i..clamp(i + n));
            }
            Mutation::Duplicate(i, n, j) => {
                let i = clamp(*i);
                let chunk: Vec<u8> = b[i..clamp(i + n)].to_vec();
                let j = clamp(*j);
                b.splice(j..j, chunk);
            }
            Mutation::Splice(i, n, j) => {
                let i = i % (other.len() + 1);
                let chunk: Vec<u8> = other[i..(i + n).min(other.len())].to_vec();
                let j = clamp(*j);
                b.splice(j..j, chunk);
            }
        }
    }
    b
}

fn mutant(seeds: &[Vec<u8>]) -> BoxedStrategy<Vec<u8>> {
    let seeds = seeds.to_vec();
    let n = seeds.len();
    (0..n, 0..n)
        .prop_flat_map(move |(s, o)| {
            let seed = seeds[s].clone();
            let other = seeds[o].clone();
            proptest::collection::vec(mutation(seed.len()), 1..4)
                .prop_map(move |ms| apply(&seed, &ms, &other))
        })
        .boxed()
}

// ---- runners ---------------------------------------------------------------

/// Runs `count` generated and `count` mutated inputs; returns how many ran.
fn run(count: u32, seed: Option<u64>) -> u64 {
    let catalog = Catalog::stdlib();
    let seeds = seeds();
    assert!(seeds.len() > 40, "seed corpus: {}", seeds.len());
    let config = Config {
        cases: count,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner = match seed {
        Some(s) => {
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&s.to_le_bytes());
            TestRunner::new_with_rng(
                config.clone(),
                proptest::test_runner::TestRng::from_seed(
                    proptest::test_runner::RngAlgorithm::ChaCha,
                    &bytes,
                ),
            )
        }
        None => TestRunner::new(config.clone()),
    };
    let files_sets: Vec<Vec<String>> = vec![
        Vec::new(),
        FILES.iter().map(|s| s.to_string()).collect(),
        vec!["package.json".to_string(), "pnpm-lock.yaml".to_string()],
    ];
    let ran = std::cell::Cell::new(0u64);
    let result = runner.run(&(spec(), 0..files_sets.len()), |(text, f)| {
        ran.set(ran.get() + 1);
        one(&catalog, &files_sets[f], text.as_bytes())
    });
    if let Err(e) = result {
        panic!("generated specs: {e}");
    }
    let mut runner = TestRunner::new_with_rng(config, runner.new_rng());
    let result = runner.run(&(mutant(&seeds), 0..files_sets.len()), |(bytes, f)| {
        ran.set(ran.get() + 1);
        one(&catalog, &files_sets[f], &bytes)
    });
    if let Err(e) = result {
        panic!("mutated specs: {e}");
    }
    ran.get()
}

/// A short bounded pass in every test run (a fixed seed: the same inputs).
#[test]
fn fuzz_smoke() {
    let start = Instant::now();
    let ran = run(750, Some(0x6d73_6263));
    eprintln!("fuzz_smoke: {ran} inputs in {:?}", start.elapsed());
    assert!(ran >= 1500);
}

/// `MSBC_FUZZ_COUNT=N [MSBC_FUZZ_SEED=S]`: N inputs (half generated, half
/// mutated); prints the count, the time and inputs per second.
/// Run by `tests/tools/fuzz.sh N`.
#[test]
#[ignore = "long; run with tests/tools/fuzz.sh N"]
fn fuzz_long() {
    let count: u64 = std::env::var("MSBC_FUZZ_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let seed: Option<u64> = std::env::var("MSBC_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    let start = Instant::now();
    let mut total = 0;
    // Rounds of at most 50,000 inputs each, so progress shows.
    let mut round = 0u64;
    while total < count {
        let n = ((count - total) / 2).clamp(1, 25_000) as u32;
        total += run(n, Some(seed.unwrap_or(0x6d73_6263).wrapping_add(round)));
        round += 1;
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "fuzz: {total} inputs in {secs:.1} s ({:.0} inputs/s), {} compiled to a model; no panic, none over {LIMIT:?}",
            total as f64 / secs,
            MODELS.load(Ordering::Relaxed)
        );
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz: total {total} inputs in {secs:.1} s = {:.0} inputs/s; {} compiled to a model and were emitted; no panics, no input over {LIMIT:?}",
        total as f64 / secs,
        MODELS.load(Ordering::Relaxed)
    );
}

/// Every input that once crashed msbc (`tests/fixtures/fuzz/*.kdl`) runs clean.
#[test]
fn fuzz_regressions() {
    let catalog = Catalog::stdlib();
    let dir = root().join("tests/fixtures/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "kdl"));
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    for file in &files {
        let bytes = std::fs::read(file).expect("read a fuzz fixture");
        let all: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
        for ctx_files in [Vec::new(), all] {
            if let Err(e) = one(&catalog, &ctx_files, &bytes) {
                panic!("{}: {e}", file.display());
            }
        }
    }
}
