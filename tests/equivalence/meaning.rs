//! What a build means, in terms both of its forms can state: filesystem
//! states made of steps, and the image config. Each side (`dockerfile`,
//! `llb`) produces these; equal values mean the same build.
//!
//! The terms are BuildKit's: a `run` is an exec with its args, env, working
//! directory, user, network and mounts; a copy is one source into one
//! destination with its owner and mode. Details that only say how a step is
//! shown (custom names, source locations, caps, digests) are left out.

use std::collections::{BTreeMap, BTreeSet};

/// A filesystem state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fs {
    Scratch,
    /// A registry image, by its normalized reference, on a platform.
    Image {
        reference: String,
        platform: String,
    },
    /// The build context, less what `.dockerignore` excludes.
    Context {
        excludes: Vec<String>,
    },
    /// `base` with one more step.
    After(Box<Fs>, Box<Step>),
}

impl Fs {
    pub fn then(self, step: Step) -> Fs {
        Fs::After(Box::new(self), Box::new(step))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Mkdir {
        path: String,
        mode: u32,
        parents: bool,
        owner: Option<Owner>,
    },
    Mkfile {
        path: String,
        mode: u32,
        data: String,
    },
    /// One source copied; `link` when it is copied onto scratch and merged
    /// on top (`COPY --link`).
    Copy {
        from: Fs,
        src: String,
        dest: String,
        owner: Option<Owner>,
        mode: Option<u32>,
        link: bool,
    },
    Run(Run),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub args: Vec<String>,
    /// The process environment: the last value of each name.
    pub env: BTreeMap<String, String>,
    pub cwd: String,
    pub user: String,
    pub platform: String,
    pub network: Network,
    /// By target path.
    pub mounts: BTreeMap<String, Mount>,
    /// Secrets as environment variables: name → (secret id, optional).
    pub secret_env: BTreeMap<String, (String, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Sandbox,
    Host,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    Bind {
        from: Fs,
        source: String,
        readonly: bool,
    },
    Cache {
        id: String,
        sharing: Sharing,
        from: Fs,
        source: String,
        readonly: bool,
    },
    Tmpfs {
        size: i64,
    },
    Secret {
        id: String,
        file: FileOpt,
    },
    Ssh {
        id: String,
        file: FileOpt,
    },
}

/// Ownership and permissions of a secret or SSH socket file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOpt {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub optional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// `--chown` / the owner of a created directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user: Option<Id>,
    pub group: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    Number(u32),
    Name(String),
}

/// The image config, as far as a build sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub platform: String,
    pub user: String,
    pub workdir: String,
    /// In order: replacing a name keeps its place.
    pub env: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub ports: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: String,
    pub shell: Option<Vec<String>>,
    pub healthcheck: Option<Health>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    pub test: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i64,
}

/// The whole meaning of one build: the target's filesystem and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub fs: Fs,
    pub config: Config,
}

impl Build {
    /// A `CMD-SHELL` healthcheck as Docker runs it: the image's `Shell`
    /// (or `/bin/sh -c`) with the command. A Dockerfile that cannot carry
    /// the command in the shell form writes that exec form instead.
    pub fn at_run_time(mut self) -> Build {
        let shell = self
            .config
            .shell
            .clone()
            .unwrap_or_else(|| vec!["/bin/sh".to_string(), "-c".to_string()]);
        if let Some(h) = &mut self.config.healthcheck
            && h.test.first().map(String::as_str) == Some("CMD-SHELL")
        {
            h.test = std::iter::once("CMD".to_string())
                .chain(shell)
                .chain(h.test[1..].iter().cloned())
                .collect();
        }
        self
    }
}

// ---- shared rules ------------------------------------------------------
//
// Go's path functions and reference normalization are written again here
// on purpose, though the compiler has its own: a check that shared code
// with what it checks would agree with a bug in it.

/// A reference as BuildKit's `reference.ParseNormalizedNamed` + `TagNameOnly`
/// write it: the registry made explicit, `library/` for official images,
/// `:latest` when neither tag nor digest is given.
pub fn normalize_reference(r: &str) -> String {
    let (name_tag, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].find(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    let first = name.split('/').next().unwrap_or_default();
    let has_domain =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut full = if has_domain {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    if let Some(t) = tag {
        full.push(':');
        full.push_str(t);
    }
    match digest {
        Some(d) => {
            full.push('@');
            full.push_str(d);
        }
        None if tag.is_none() => full.push_str(":latest"),
        None => {}
    }
    full
}

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `path.Join`.
pub fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        return clean(b);
    }
    if b.is_empty() {
        return clean(a);
    }
    clean(&format!("{a}/{b}"))
}

/// `os/user`-style id parsing as BuildKit's `llb.WithUser` does it:
/// `user[:group]`, each a number, `root` (0) or a name.
pub fn owner(spec: &str) -> Owner {
    let id = |s: &str| {
        if s == "root" {
            Id::Number(0)
        } else {
            match s.parse::<i32>() {
                Ok(n) => Id::Number(n as u32),
                Err(_) => Id::Name(s.to_string()),
            }
        }
    };
    let mut parts = spec.splitn(2, ':');
    Owner {
        user: parts.next().map(id),
        group: parts.next().map(id),
    }
}

/// `linux/amd64` or `linux/arm/v7`.
pub fn platform(os: &str, arch: &str, variant: &str) -> String {
    if variant.is_empty() {
        format!("{os}/{arch}")
    } else {
        format!("{os}/{arch}/{variant}")
    }
}
