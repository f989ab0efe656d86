//! The Dockerfile side: instructions as BuildKit's own parser (PyPI
//! `dockerfile`, via `tests/tools/dfparse.py`) reads them, dispatched the
//! way BuildKit's frontend (`dockerfile2llb`) does, into a [`Build`].
//!
//! Written from BuildKit's rules, not from msbc's backends: global and
//! stage args (a stage's args are in its runs' environment and are
//! inherited by stages built from it), env and config carried from a base
//! stage, `WORKDIR` making its directory (owned by the current user),
//! relative paths resolved against the working directory, cache ids
//! namespaced with `/`, secret and SSH defaults, `COPY --link` (without
//! `--chmod`) as a layer merged on top, heredoc scripts run from a file
//! when they start with `#!`, `ENTRYPOINT` clearing an inherited `CMD`.

use super::meaning::{
    self, Build, Config, FileOpt, Fs, Health, Mount, Network, Run, Sharing, Step, clean, join,
    normalize_reference,
};
use super::shell::{Lookup, expand, expand_words};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One instruction as `dfparse.py` prints it.
#[derive(Debug, Clone, Deserialize)]
pub struct Instr {
    pub cmd: String,
    pub flags: Vec<String>,
    pub value: Vec<String>,
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    pub line: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Heredoc {
    pub name: String,
    pub content: String,
}

/// What a `docker build` is given besides the Dockerfile.
pub struct Options {
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub target_platform: String,
    pub build_platform: String,
    /// `.dockerignore` patterns.
    pub excludes: Vec<String>,
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

type Env = Vec<(String, String)>;

fn set(env: &mut Env, key: &str, value: &str) {
    match env.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value.to_string(),
        None => env.push((key.to_string(), value.to_string())),
    }
}

/// One stage while it is dispatched.
#[derive(Clone)]
struct Stage {
    name: String,
    fs: Fs,
    /// The state's environment: image env, `ENV`, and args with a value.
    env: Env,
    cwd: String,
    user: String,
    platform: String,
    config: Config,
    /// `CMD` given in this stage (an `ENTRYPOINT` then keeps it).
    cmd_set: bool,
}

impl Stage {
    fn on(fs: Fs, platform: &str) -> Stage {
        Stage {
            name: String::new(),
            fs,
            env: vec![("PATH".to_string(), DEFAULT_PATH.to_string())],
            cwd: "/".to_string(),
            user: String::new(),
            platform: platform.to_string(),
            config: Config {
                platform: platform.to_string(),
                env: vec![format!("PATH={DEFAULT_PATH}")],
                ..Config::default()
            },
            cmd_set: false,
        }
    }

    fn step(&mut self, step: Step) {
        let fs = std::mem::replace(&mut self.fs, Fs::Scratch);
        self.fs = fs.then(step);
    }
}

/// `linux/arm` → `linux/arm/v7`, `linux/arm64/v8` → `linux/arm64`, as
/// containerd's `platforms.Normalize`.
pub fn normalize_platform(p: &str) -> String {
    let mut parts = p.split('/');
    let os = parts.next().unwrap_or_default().to_lowercase();
    let arch = parts.next().unwrap_or_default().to_lowercase();
    let variant = parts.next().unwrap_or_default().to_lowercase();
    let (arch, variant) = match (arch.as_str(), variant.as_str()) {
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", ""),
        ("x86_64" | "x86-64", v) => ("amd64", v),
        ("aarch64" | "arm64", "v8") => ("arm64", ""),
        ("aarch64", v) => ("arm64", v),
        ("arm" | "armhf", "") => ("arm", "v7"),
        ("armel", "") => ("arm", "v6"),
        (a, v) => (a, v),
    };
    meaning::platform(&os, arch, variant)
}

fn automatic_args(target: &str, build: &str) -> Env {
    let mut env = Env::new();
    for (prefix, p) in [("TARGET", target), ("BUILD", build)] {
        let mut parts = p.split('/');
        let os = parts.next().unwrap_or_default();
        let arch = parts.next().unwrap_or_default();
        let variant = parts.next().unwrap_or_default();
        set(&mut env, &format!("{prefix}PLATFORM"), p);
        set(&mut env, &format!("{prefix}OS"), os);
        set(&mut env, &format!("{prefix}ARCH"), arch);
        set(&mut env, &format!("{prefix}VARIANT"), variant);
    }
    env
}

/// `NAME` or `NAME=default`, as the ARG instruction splits it.
fn arg_parts(token: &str) -> (String, Option<String>) {
    match token.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (token.to_string(), None),
    }
}

fn flag<'a>(instr: &'a Instr, name: &str) -> Option<&'a str> {
    instr.flags.iter().find_map(|f| {
        let rest = f.strip_prefix("--")?.strip_prefix(name)?;
        match rest.strip_prefix('=') {
            Some(v) => Some(v),
            None if rest.is_empty() => Some("true"),
            None => None,
        }
    })
}

fn check_flags(instr: &Instr, known: &[&str]) {
    for f in &instr.flags {
        let name = f
            .trim_start_matches('-')
            .split('=')
            .next()
            .unwrap_or_default();
        assert!(
            known.contains(&name),
            "line {}: {} flag {f:?} is not one this reader knows",
            instr.line,
            instr.cmd
        );
    }
}

/// Reads the Dockerfile into the build of `options.target` (or the last
/// stage).
pub fn interpret(instrs: &[Instr], options: &Options) -> Build {
    let automatic = automatic_args(&options.target_platform, &options.build_platform);
    // Global args: visible to FROM, and to a stage's `ARG NAME` without a
    // default.
    let mut global = automatic.clone();
    let mut stages: Vec<Stage> = Vec::new();
    let mut current: Option<Stage> = None;
    let context = Fs::Context {
        excludes: options.excludes.clone(),
    };

    for instr in instrs {
        let cmd = instr.cmd.to_ascii_uppercase();
        if cmd == "FROM" {
            if let Some(done) = current.take() {
                stages.push(done);
            }
            current = Some(from(instr, &global, &stages, options));
            continue;
        }
        let Some(stage) = current.as_mut() else {
            assert_eq!(cmd, "ARG", "line {}: {cmd} before FROM", instr.line);
            for token in &instr.value {
                let (k, default) = arg_parts(token);
                let value = match options.build_args.get(&k) {
                    Some(v) => Some(v.clone()),
                    None => default.map(|d| expand(&d, &global)),
                };
                if let Some(v) = value {
                    set(&mut global, &k, &v);
                }
            }
            continue;
        };
        match cmd.as_str() {
            "ARG" => {
                for token in &instr.value {
                    let (k, default) = arg_parts(token);
                    let value = match (options.build_args.get(&k), default) {
                        (Some(v), _) => Some(v.clone()),
                        (None, Some(d)) => Some(expand(&d, &stage.env)),
                        (None, None) => global.get(&k).map(str::to_string),
                    };
                    if let Some(v) = value {
                        set(&mut stage.env, &k, &v);
                    }
                }
            }
            "ENV" => {
                for pair in instr.value.chunks(2) {
                    let k = expand(&pair[0], &stage.env);
                    let v = expand(pair.get(1).map_or("", String::as_str), &stage.env);
                    set(&mut stage.env, &k, &v);
                    match stage
                        .config
                        .env
                        .iter_mut()
                        .find(|e| e.split('=').next() == Some(k.as_str()))
                    {
                        Some(e) => *e = format!("{k}={v}"),
                        None => stage.config.env.push(format!("{k}={v}")),
                    }
                }
            }
            "LABEL" => {
                for pair in instr.value.chunks(2) {
                    let k = expand(&pair[0], &stage.env);
                    let v = expand(pair.get(1).map_or("", String::as_str), &stage.env);
                    stage.config.labels.insert(k, v);
                }
            }
            "WORKDIR" => {
                let p = expand(&instr.value.join(" "), &stage.env);
                let wd = if p.is_empty() {
                    stage.cwd.clone()
                } else if p.starts_with('/') {
                    p
                } else {
                    join(&stage.cwd, &p)
                };
                stage.cwd = wd.clone();
                stage.config.workdir = wd.clone();
                if wd != "/" {
                    let owner = (!stage.user.is_empty()).then(|| meaning::owner(&stage.user));
                    stage.step(Step::Mkdir {
                        path: llb_path(&stage.cwd, &wd, false),
                        mode: 0o755,
                        parents: true,
                        owner,
                    });
                }
            }
            "USER" => {
                let u = expand(&instr.value[0], &stage.env);
                stage.user = u.clone();
                stage.config.user = u;
            }
            "EXPOSE" => {
                for raw in &instr.value {
                    for p in expand_words(raw, &stage.env) {
                        stage.config.ports.extend(ports(&p));
                    }
                }
            }
            "VOLUME" => {
                // Both forms are expanded (VOLUME takes words, not a command).
                for v in &instr.value {
                    stage.config.volumes.insert(expand(v, &stage.env));
                }
            }
            "STOPSIGNAL" => stage.config.stop_signal = expand(&instr.value[0], &stage.env),
            "SHELL" => stage.config.shell = Some(instr.value.clone()),
            "ENTRYPOINT" => {
                stage.config.entrypoint = Some(command(instr, &stage.config));
                if !stage.cmd_set {
                    stage.config.cmd = None;
                }
            }
            "CMD" => {
                stage.config.cmd = Some(command(instr, &stage.config));
                stage.cmd_set = true;
            }
            "HEALTHCHECK" => stage.config.healthcheck = Some(healthcheck(instr)),
            "COPY" => copy(instr, stage, &stages, &context, options),
            "RUN" => run(instr, stage, &stages, &context, options),
            other => panic!(
                "line {}: {other} is not an instruction msbc writes",
                instr.line
            ),
        }
    }
    if let Some(done) = current.take() {
        stages.push(done);
    }
    let target = match &options.target {
        Some(name) => stages
            .iter()
            .find(|s| s.name == name.to_lowercase())
            .unwrap_or_else(|| panic!("no stage {name}")),
        None => stages.last().expect("a stage"),
    };
    Build {
        fs: target.fs.clone(),
        config: target.config.clone(),
    }
}

fn from(instr: &Instr, global: &Env, stages: &[Stage], options: &Options) -> Stage {
    check_flags(instr, &["platform"]);
    let base = expand(&instr.value[0], global);
    let name = match instr.value.get(1).map(|s| s.to_ascii_uppercase()) {
        Some(a) if a == "AS" => instr.value[2].to_lowercase(),
        _ => String::new(),
    };
    let mut stage = match stages.iter().find(|s| s.name == base.to_lowercase()) {
        // A stage built on another: its state, env, args and config
        // (`--platform` is ignored).
        Some(parent) => Stage {
            cmd_set: false,
            ..parent.clone()
        },
        None => {
            // `FROM scratch` is built for the target platform, whatever
            // `--platform` says (the frontend resolves no image for it).
            let platform = match flag(instr, "platform") {
                Some(p) if base != "scratch" => normalize_platform(&expand(p, global)),
                _ => options.target_platform.clone(),
            };
            let fs = if base == "scratch" {
                Fs::Scratch
            } else {
                Fs::Image {
                    reference: normalize_reference(&base),
                    platform: platform.clone(),
                }
            };
            let mut stage = Stage::on(fs, &platform);
            // The frontend's empty image for scratch has `WorkingDir /`.
            if base == "scratch" {
                stage.config.workdir = "/".to_string();
            }
            stage
        }
    };
    stage.name = name;
    stage
}

/// A stage by name or index, or else an image (on the target platform).
fn source(name: &str, stages: &[Stage], options: &Options) -> Fs {
    if let Some(s) = stages.iter().find(|s| s.name == name.to_lowercase()) {
        return s.fs.clone();
    }
    if let Ok(i) = name.parse::<usize>() {
        return stages[i].fs.clone();
    }
    if name == "scratch" {
        return Fs::Scratch;
    }
    Fs::Image {
        reference: normalize_reference(name),
        platform: options.target_platform.clone(),
    }
}

fn ports(spec: &str) -> Vec<String> {
    let (range, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let proto = proto.to_lowercase();
    let (start, end) = range.split_once('-').unwrap_or((range, range));
    let start: u32 = start.parse().expect("a port");
    let end: u32 = if end.is_empty() {
        start
    } else {
        end.parse().expect("a port")
    };
    (start..=end).map(|p| format!("{p}/{proto}")).collect()
}

/// CMD / ENTRYPOINT: the JSON form as is, the shell form in the shell.
fn command(instr: &Instr, config: &Config) -> Vec<String> {
    if instr.json {
        instr.value.clone()
    } else {
        with_shell(config, &instr.value.join(" "))
    }
}

fn with_shell(config: &Config, script: &str) -> Vec<String> {
    let mut args = config
        .shell
        .clone()
        .unwrap_or_else(|| vec!["/bin/sh".to_string(), "-c".to_string()]);
    args.push(script.to_string());
    args
}

/// A Go duration (`30s`, `1m30s`, `500ms`) in nanoseconds.
fn duration(text: &str) -> i64 {
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..n].parse().expect("a duration number");
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => panic!("unit {other:?} in duration {text:?}"),
        };
        total += number * unit;
        rest = &rest[u..];
    }
    total.round() as i64
}

fn healthcheck(instr: &Instr) -> Health {
    check_flags(
        instr,
        &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
    );
    let kind = instr.value[0].to_ascii_uppercase();
    let test = match kind.as_str() {
        "NONE" => vec!["NONE".to_string()],
        "CMD" if instr.json => std::iter::once("CMD".to_string())
            .chain(instr.value[1..].iter().cloned())
            .collect(),
        "CMD" => vec!["CMD-SHELL".to_string(), instr.value[1..].join(" ")],
        other => panic!("HEALTHCHECK {other}"),
    };
    let d = |name| flag(instr, name).map_or(0, duration);
    Health {
        test,
        interval: d("interval"),
        timeout: d("timeout"),
        start_period: d("start-period"),
        start_interval: d("start-interval"),
        retries: flag(instr, "retries").map_or(0, |r| r.parse().expect("retries")),
    }
}

/// `pathRelativeToWorkingDir`: absolute paths kept, relative ones joined
/// to the working directory, a trailing `/` (or `/.`) kept.
fn relative_to(cwd: &str, p: &str) -> String {
    let p = if p == "." || p.is_empty() { "./" } else { p };
    let out = if p.starts_with('/') {
        p.to_string()
    } else {
        join(cwd, p)
    };
    keep_slash(p, out)
}

/// A trailing `/` (or `/.`) of `original` put back on `out`: it makes a
/// COPY destination a directory.
fn keep_slash(original: &str, mut out: String) -> String {
    if original.ends_with('/') && !out.ends_with('/') {
        out.push('/');
    } else if original.ends_with("/.") {
        if out != "/" {
            out.push('/');
        }
        out.push('.');
    }
    out
}

/// The LLB client's `normalizePath` on a file action's path: cleaned,
/// made absolute against the state's directory, a trailing `/` kept when
/// asked.
fn llb_path(dir: &str, p: &str, keep: bool) -> String {
    let mut out = clean(p);
    if !out.starts_with('/') {
        out = join(&format!("/{dir}"), &out);
    }
    if keep { keep_slash(p, out) } else { out }
}

fn copy(instr: &Instr, stage: &mut Stage, stages: &[Stage], context: &Fs, options: &Options) {
    check_flags(instr, &["from", "chown", "chmod", "link"]);
    assert!(
        instr.heredocs.is_empty(),
        "line {}: COPY heredoc",
        instr.line
    );
    let words: Vec<String> = instr.value.iter().map(|w| expand(w, &stage.env)).collect();
    let (dest, srcs) = words.split_last().expect("COPY has a destination");
    let dest = llb_path(&stage.cwd, &relative_to(&stage.cwd, dest), true);
    let from = match flag(instr, "from") {
        Some(f) => source(&expand(f, &stage.env), stages, options),
        None => context.clone(),
    };
    let owner = flag(instr, "chown").map(|c| meaning::owner(&expand(c, &stage.env)));
    let mode = flag(instr, "chmod")
        .map(|m| u32::from_str_radix(&expand(m, &stage.env), 8).expect("an octal --chmod"));
    // A linked layer merged onto scratch is that layer itself: the LLB
    // client drops scratch inputs of a merge.
    let link = flag(instr, "link").is_some_and(|v| v == "true")
        && mode.is_none()
        && stage.fs != Fs::Scratch;
    for src in srcs {
        stage.step(Step::Copy {
            from: from.clone(),
            src: clean(&if src.starts_with('/') {
                src.clone()
            } else {
                join("/", src)
            }),
            dest: dest.clone(),
            owner: owner.clone(),
            mode,
            link,
        });
    }
}

/// `--mount` options, split as CSV (a field in `"…"` may hold commas).
fn csv(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("a field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("a field").push(c),
        }
    }
    out
}

/// `units.RAMInBytes`: `64m`, `1g`, `512k` (powers of 1024).
fn ram_bytes(text: &str) -> i64 {
    let lower = text.to_lowercase();
    let trimmed = lower.trim_end_matches('b').trim_end_matches('i');
    let (number, unit) = trimmed.split_at(
        trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len()),
    );
    let scale: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024f64.powi(2),
        "g" => 1024f64.powi(3),
        "t" => 1024f64.powi(4),
        other => panic!("size unit {other:?} in {text:?}"),
    };
    (number.parse::<f64>().expect("a size") * scale) as i64
}

#[derive(Default)]
struct MountSpec {
    kind: String,
    from: Option<String>,
    source: Option<String>,
    target: Option<String>,
    readonly: Option<bool>,
    id: Option<String>,
    sharing: Option<String>,
    required: bool,
    size: i64,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    env: Option<String>,
}

fn mount_spec(text: &str, env: &Env) -> MountSpec {
    let mut m = MountSpec {
        kind: "bind".to_string(),
        ..MountSpec::default()
    };
    for field in csv(text) {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.to_lowercase(), Some(expand(v, env))),
            None => (field.to_lowercase(), None),
        };
        let truth = |v: &Option<String>| v.as_deref().is_none_or(|v| v == "true");
        match key.as_str() {
            "type" => m.kind = value.expect("type=").to_lowercase(),
            "from" => m.from = value,
            "source" | "src" => m.source = value,
            "target" | "dst" | "destination" => m.target = value,
            "readonly" | "ro" => m.readonly = Some(truth(&value)),
            "readwrite" | "rw" => m.readonly = Some(!truth(&value)),
            "required" => m.required = truth(&value),
            "size" => m.size = ram_bytes(&value.expect("size=")),
            "id" => m.id = value,
            "sharing" => m.sharing = value.map(|s| s.to_lowercase()),
            "mode" => m.mode = value.map(|v| u32::from_str_radix(&v, 8).expect("octal mode")),
            "uid" => m.uid = value.map(|v| v.parse().expect("uid")),
            "gid" => m.gid = value.map(|v| v.parse().expect("gid")),
            "env" => m.env = value,
            other => panic!("mount option {other:?} in {text:?}"),
        }
    }
    m
}

fn run(instr: &Instr, stage: &mut Stage, stages: &[Stage], context: &Fs, options: &Options) {
    check_flags(instr, &["mount", "network"]);
    let mut mounts = BTreeMap::new();
    let mut args = if instr.json {
        instr.value.clone()
    } else {
        vec![instr.value.join(" ")]
    };
    if let Some(doc) = instr.heredocs.first() {
        let only =
            instr.heredocs.len() == 1 && args.len() == 1 && is_heredoc_marker(&args[0], &doc.name);
        if only && doc.content.starts_with("#!") {
            let script = Fs::Scratch.then(Step::Mkfile {
                path: format!("/{}", doc.name),
                mode: 0o755,
                data: doc.content.clone(),
            });
            mounts.insert(
                "/dev/pipes/".to_string(),
                Mount::Bind {
                    from: script,
                    source: "/".to_string(),
                    readonly: true,
                },
            );
            args = vec![format!("/dev/pipes/{}", doc.name)];
        } else if only {
            args = vec![doc.content.clone()];
        } else {
            let mut whole = args[0].clone();
            for d in &instr.heredocs {
                whole.push('\n');
                whole.push_str(&d.content);
                whole.push_str(&d.name);
            }
            args = vec![whole];
        }
    }
    if !instr.json {
        args = with_shell(&stage.config, &args[0]);
    }

    let mut env: BTreeMap<String, String> = stage.env.iter().cloned().collect();
    let mut secret_env = BTreeMap::new();
    let mut ssh_targets = Vec::new();
    let mounts_given: Vec<&str> = instr
        .flags
        .iter()
        .filter_map(|f| f.strip_prefix("--mount="))
        .collect();
    let mut ssh_index = 0;
    for text in mounts_given {
        let m = mount_spec(text, &stage.env);
        let target_of = |t: &str| {
            if t.starts_with('/') {
                t.to_string()
            } else {
                join(&format!("/{}", stage.cwd), t)
            }
        };
        let from_fs = |default: Fs| match &m.from {
            Some(f) => source(f, stages, options),
            None => default,
        };
        match m.kind.as_str() {
            "secret" => {
                let id = m
                    .source
                    .clone()
                    .or(m.id.clone())
                    .unwrap_or_else(|| base_name(m.target.as_deref().unwrap_or_default()));
                let file = FileOpt {
                    uid: m.uid.unwrap_or(0),
                    gid: m.gid.unwrap_or(0),
                    mode: m.mode.unwrap_or(0o400),
                    optional: !m.required,
                };
                let target = match (&m.target, &m.env) {
                    (Some(t), _) => Some(t.clone()),
                    (None, None) => Some(format!("/run/secrets/{}", base_name(&id))),
                    (None, Some(_)) => None,
                };
                if let Some(name) = &m.env {
                    secret_env.insert(name.clone(), (id.clone(), !m.required));
                }
                if let Some(t) = target {
                    mounts.insert(t, Mount::Secret { id, file });
                }
            }
            "ssh" => {
                let target = m
                    .target
                    .clone()
                    .unwrap_or_else(|| format!("/run/buildkit/ssh_agent.{ssh_index}"));
                ssh_index += 1;
                ssh_targets.push(target.clone());
                mounts.insert(
                    target,
                    Mount::Ssh {
                        id: m.id.clone().unwrap_or_default(),
                        file: FileOpt {
                            uid: m.uid.unwrap_or(0),
                            gid: m.gid.unwrap_or(0),
                            mode: m.mode.unwrap_or(0o600),
                            optional: !m.required,
                        },
                    },
                );
            }
            "tmpfs" => {
                let target = target_of(m.target.as_deref().expect("tmpfs target"));
                mounts.insert(target, Mount::Tmpfs { size: m.size });
            }
            "cache" => {
                let raw = m.target.clone().expect("cache target");
                let id = format!("/{}", m.id.clone().unwrap_or_else(|| clean(&raw)));
                let sharing = match m.sharing.as_deref() {
                    None | Some("shared") => Sharing::Shared,
                    Some("private") => Sharing::Private,
                    Some("locked") => Sharing::Locked,
                    Some(other) => panic!("sharing {other}"),
                };
                let mut from = from_fs(Fs::Scratch);
                let mut source = join("/", m.source.as_deref().unwrap_or_default());
                if source == "/" && (m.uid.is_some() || m.gid.is_some() || m.mode.is_some()) {
                    from = from.then(Step::Mkdir {
                        path: "/cache".to_string(),
                        mode: m.mode.unwrap_or(0o755),
                        parents: false,
                        owner: Some(meaning::Owner {
                            user: Some(meaning::Id::Number(m.uid.unwrap_or(0))),
                            group: Some(meaning::Id::Number(m.gid.unwrap_or(0))),
                        }),
                    });
                    source = "/cache".to_string();
                }
                mounts.insert(
                    target_of(&raw),
                    Mount::Cache {
                        id,
                        sharing,
                        from,
                        source,
                        readonly: m.readonly.unwrap_or(false),
                    },
                );
            }
            "bind" => {
                let raw = m.target.clone().expect("bind target");
                mounts.insert(
                    target_of(&raw),
                    Mount::Bind {
                        from: from_fs(context.clone()),
                        source: join("/", m.source.as_deref().unwrap_or_default()),
                        readonly: m.readonly.unwrap_or(true),
                    },
                );
            }
            other => panic!("mount type {other}"),
        }
    }
    if let Some(first) = ssh_targets.first() {
        env.entry("SSH_AUTH_SOCK".to_string())
            .or_insert_with(|| first.clone());
    }
    let network = match flag(instr, "network") {
        None | Some("default") => Network::Sandbox,
        Some("none") => Network::None,
        Some("host") => Network::Host,
        Some(other) => panic!("network {other}"),
    };
    stage.step(Step::Run(Run {
        args,
        env,
        cwd: stage.cwd.clone(),
        user: stage.user.clone(),
        platform: stage.platform.clone(),
        network,
        mounts,
        secret_env,
    }));
}

fn base_name(p: &str) -> String {
    let c = clean(p);
    c.rsplit('/').next().unwrap_or_default().to_string()
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`: the whole command is the marker.
fn is_heredoc_marker(command: &str, name: &str) -> bool {
    let Some(rest) = command.trim().strip_prefix("<<") else {
        return false;
    };
    assert!(
        !rest.starts_with('-'),
        "<<- heredocs are not written by msbc"
    );
    let rest = rest.trim_matches(|c| c == '"' || c == '\'');
    rest == name
}
