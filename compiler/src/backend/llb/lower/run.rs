//! `run`: the command (shell, exec form, heredoc file), one function per
//! mount kind, mounts sorted and numbered as BuildKit's client writes them,
//! the ExecOp.

use super::super::paths;
use super::super::pb::{self, op::Kind};
use super::graph::{Output, input_index, op};
use super::{Error, ErrorKind, Lowering, StageCounter, State};
use crate::backend::heredoc;
use crate::ir::{self, DEFAULT_SHELL, Mount, MountFrom, NetMode, Network, Sharing};

/// The mounts of one `run` as they are collected: filesystem mounts
/// (sorted and numbered later), then secrets and ssh sockets.
#[derive(Default)]
struct Mounts {
    binds: Vec<MountSpec>,
    secrets: Vec<pb::Mount>,
    secret_env: Vec<pb::SecretEnv>,
    ssh: Vec<pb::Mount>,
}

impl Lowering<'_> {
    pub(super) fn run(
        &mut self,
        state: &mut State,
        counter: &mut StageCounter,
        run: &ir::Run,
        line: usize,
    ) -> Result<(), Error> {
        let mut mounts = Mounts::default();
        mounts.binds.push(MountSpec {
            dest: "/".to_string(),
            source: state.output.clone(),
            selector: String::new(),
            readonly: false,
            no_output: false,
            kind: MountKind::Bind,
        });
        let args = self.command(state, run, &mut mounts, line);
        for m in &run.mounts {
            match m {
                Mount::Cache {
                    target,
                    id,
                    sharing,
                } => mounts
                    .binds
                    .push(cache_mount(&state.dir, target, id.as_deref(), *sharing)),
                Mount::Tmpfs { target, size } => {
                    let mount = tmpfs_mount(&state.dir, target, size.as_deref())
                        .map_err(|e| self.error(line, ErrorKind::Value, e))?;
                    mounts.binds.push(mount);
                }
                Mount::Bind {
                    target,
                    from,
                    source,
                    rw,
                } => {
                    let mount =
                        self.bind_mount(&state.dir, target, from.as_ref(), source, *rw, line)?;
                    mounts.binds.push(mount);
                }
                Mount::Secret {
                    id,
                    target,
                    env,
                    required,
                } => secret_mount(
                    &mut mounts,
                    id,
                    target.as_deref(),
                    env.as_deref(),
                    *required,
                ),
                Mount::Ssh {
                    id,
                    target,
                    required,
                } => ssh_mount(&mut mounts, id.as_deref(), target.as_deref(), *required),
            }
        }
        let ssh_sock = mounts.ssh.first().map(|m| m.dest.clone());
        let secret_env = std::mem::take(&mut mounts.secret_env);
        let (inputs, mounts) = exec_mounts(mounts);

        let mut env: Vec<String> = state.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(sock) = ssh_sock
            && state.get_env("SSH_AUTH_SOCK").is_none()
        {
            env.push(format!("SSH_AUTH_SOCK={sock}"));
        }
        // A run's own `network=`, else the build's (`--network`), as
        // BuildKit's Dockerfile frontend applies `force-network-mode`.
        let network = match (run.network, self.options.build.network) {
            (Some(Network::None), _) => pb::NetMode::None,
            (Some(Network::Host), _) => pb::NetMode::Host,
            (Some(Network::Default) | None, NetMode::Host) => pb::NetMode::Host,
            (Some(Network::Default) | None, NetMode::None) => pb::NetMode::None,
            (Some(Network::Default) | None, NetMode::Default) => pb::NetMode::Unset,
        };
        self.commit(state, true, || format!("RUN {} # buildkit", args.join(" ")));
        let exec = pb::ExecOp {
            meta: Some(pb::Meta {
                args,
                env,
                cwd: state.dir.clone(),
                user: state.user.clone(),
                remove_mount_stubs_recursive: true,
            }),
            mounts,
            network: network as i32,
            secretenv: secret_env,
        };
        let name = counter.next(&format!("RUN {}", summarize(&run.script)));
        let description = self.describe(name, Some(line));
        let d = self.graph.add(
            &op(inputs, Kind::Exec(exec), Some(&state.platform)),
            description,
        );
        state.output = Some(Output {
            digest: d,
            index: 0,
        });
        Ok(())
    }

    /// The command's arguments: the shell in effect, else the image's
    /// (`Shell` of its config, as the frontend runs a shell-form RUN), else
    /// `/bin/sh -c`, and the script; or the exec form as it is. A
    /// multi-line script is a heredoc in the Dockerfile; one that starts
    /// with `#!` runs as a file there, with its interpreter (a file mounted
    /// at `/dev/pipes/`).
    fn command(
        &mut self,
        state: &State,
        run: &ir::Run,
        mounts: &mut Mounts,
        line: usize,
    ) -> Vec<String> {
        if let Some(argv) = &run.exec {
            return argv.clone();
        }
        let mut args: Vec<String> = match run.shell.as_ref().or(state.config.fold.shell.as_ref()) {
            Some(shell) => shell.clone(),
            None => DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
        };
        if run.script.contains('\n') && run.script.starts_with("#!") {
            let file = heredoc::delimiter(&run.script);
            let data = heredoc::body(&run.script).into_owned().into_bytes();
            let action = pb::FileAction {
                input: -1,
                secondary_input: -1,
                output: 0,
                action: Some(pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                    path: format!("/{file}"),
                    mode: 0o755,
                    data,
                    owner: None,
                    timestamp: -1,
                })),
            };
            let description = self.describe(
                "[internal] preparing inline document".to_string(),
                Some(line),
            );
            let d = self.graph.add(
                &op(
                    Vec::new(),
                    Kind::File(pb::FileOp {
                        actions: vec![action],
                    }),
                    None,
                ),
                description,
            );
            mounts.binds.push(MountSpec {
                dest: "/dev/pipes/".to_string(),
                source: Some(Output {
                    digest: d,
                    index: 0,
                }),
                selector: "/".to_string(),
                readonly: true,
                no_output: false,
                kind: MountKind::Bind,
            });
            args.push(format!("/dev/pipes/{file}"));
        } else if run.script.contains('\n') {
            args.push(heredoc::body(&run.script).into_owned());
        } else {
            args.push(run.script.clone());
        }
        args
    }

    /// `bind`: from the context (its path is one the build reads), a stage
    /// or an image; a writable bind's changes are thrown away, as with
    /// `--mount=type=bind,rw` in a Dockerfile.
    fn bind_mount(
        &mut self,
        dir: &str,
        target: &str,
        from: Option<&MountFrom>,
        source: &Option<String>,
        rw: bool,
        line: usize,
    ) -> Result<MountSpec, Error> {
        let selector = paths::join("/", source.as_deref().unwrap_or(""));
        let output = match from {
            None => {
                self.context_paths.insert(selector.clone());
                Some(self.context())
            }
            Some(MountFrom::Stage(id)) => self.output(*id)?,
            Some(MountFrom::Image(text)) => {
                let normalized = self.normalize(text, line)?;
                let target = self.platforms.target.clone();
                Some(self.image(&normalized, &target, None, line))
            }
        };
        Ok(MountSpec {
            dest: mount_target(dir, target),
            source: output,
            selector: if selector == "/" {
                String::new()
            } else {
                selector
            },
            readonly: !rw,
            no_output: rw,
            kind: MountKind::Bind,
        })
    }
}

/// `cache`: the frontend's cache id is `/` + the id, or + the target.
fn cache_mount(dir: &str, target: &str, id: Option<&str>, sharing: Option<Sharing>) -> MountSpec {
    let id = format!(
        "/{}",
        id.map_or_else(|| paths::clean(target), str::to_string)
    );
    let sharing = match sharing {
        Some(Sharing::Private) => pb::CacheSharingOpt::Private,
        Some(Sharing::Locked) => pb::CacheSharingOpt::Locked,
        Some(Sharing::Shared) | None => pb::CacheSharingOpt::Shared,
    };
    MountSpec {
        dest: mount_target(dir, target),
        source: None,
        selector: String::new(),
        readonly: false,
        no_output: false,
        kind: MountKind::Cache { id, sharing },
    }
}

/// `tmpfs`, its size in bytes (0: no limit).
fn tmpfs_mount(dir: &str, target: &str, size: Option<&str>) -> Result<MountSpec, String> {
    let size = match size {
        Some(s) => {
            ram_in_bytes(s).ok_or_else(|| format!("invalid tmpfs size `{s}`: expected e.g. 64m"))?
        }
        None => 0,
    };
    Ok(MountSpec {
        dest: mount_target(dir, target),
        source: None,
        selector: String::new(),
        readonly: false,
        no_output: false,
        kind: MountKind::Tmpfs { size },
    })
}

/// `secret`: a file (at its target, or BuildKit's default target when it
/// sets no env), an env variable, or both.
fn secret_mount(
    mounts: &mut Mounts,
    id: &str,
    target: Option<&str>,
    env: Option<&str>,
    required: bool,
) {
    if let Some(name) = env {
        mounts.secret_env.push(pb::SecretEnv {
            id: id.to_string(),
            name: name.to_string(),
            optional: !required,
        });
    }
    if target.is_some() || env.is_none() {
        let dest = target.map_or_else(|| crate::ir::default_secret_target(id), str::to_string);
        mounts.secrets.push(pb::Mount {
            input: -1,
            dest,
            mount_type: pb::MountType::Secret as i32,
            secret_opt: Some(pb::SecretOpt {
                id: id.to_string(),
                uid: 0,
                gid: 0,
                mode: 0o400,
                optional: !required,
            }),
            ..Default::default()
        });
    }
}

/// `ssh`: an agent socket, by default BuildKit's numbered path.
fn ssh_mount(mounts: &mut Mounts, id: Option<&str>, target: Option<&str>, required: bool) {
    let dest = target.map_or_else(
        || format!("/run/buildkit/ssh_agent.{}", mounts.ssh.len()),
        str::to_string,
    );
    mounts.ssh.push(pb::Mount {
        input: -1,
        dest,
        mount_type: pb::MountType::Ssh as i32,
        ssh_opt: Some(pb::SshOpt {
            id: id.unwrap_or_default().to_string(),
            uid: 0,
            gid: 0,
            mode: 0o600,
            optional: !required,
        }),
        ..Default::default()
    });
}

/// The ExecOp's inputs and mounts: filesystem mounts sorted by target,
/// inputs numbered in that order, outputs counted over writable mounts;
/// then secrets and ssh sockets, as BuildKit's client writes them.
fn exec_mounts(collected: Mounts) -> (Vec<pb::Input>, Vec<pb::Mount>) {
    let Mounts {
        mut binds,
        secrets,
        ssh,
        ..
    } = collected;
    binds.sort_by(|a, b| a.dest.cmp(&b.dest));
    let mut inputs = Vec::new();
    let mut outputs = 0;
    let mut mounts = Vec::with_capacity(binds.len() + secrets.len() + ssh.len());
    for b in binds {
        let input = b
            .source
            .as_ref()
            .map_or(-1, |o| input_index(&mut inputs, o));
        let writable = matches!(b.kind, MountKind::Bind) && !b.readonly && !b.no_output;
        let output = if writable {
            outputs += 1;
            outputs - 1
        } else {
            -1
        };
        let mut m = pb::Mount {
            input,
            selector: b.selector,
            dest: b.dest,
            output,
            readonly: b.readonly,
            ..Default::default()
        };
        match b.kind {
            MountKind::Bind => {}
            MountKind::Cache { id, sharing } => {
                m.mount_type = pb::MountType::Cache as i32;
                m.cache_opt = Some(pb::CacheOpt {
                    id,
                    sharing: sharing as i32,
                });
            }
            MountKind::Tmpfs { size } => {
                m.mount_type = pb::MountType::Tmpfs as i32;
                m.tmpfs_opt = Some(pb::TmpfsOpt { size });
            }
        }
        mounts.push(m);
    }
    mounts.extend(secrets);
    mounts.extend(ssh);
    (inputs, mounts)
}

#[derive(Debug)]
struct MountSpec {
    dest: String,
    source: Option<Output>,
    selector: String,
    readonly: bool,
    no_output: bool,
    kind: MountKind,
}

#[derive(Debug)]
enum MountKind {
    Bind,
    Cache {
        id: String,
        sharing: pb::CacheSharingOpt,
    },
    Tmpfs {
        size: i64,
    },
}

/// A mount target; a relative one is under the working directory.
fn mount_target(dir: &str, target: &str) -> String {
    if target.starts_with('/') {
        target.to_string()
    } else {
        paths::join("/", &paths::join(dir, target))
    }
}

/// Docker's `units.RAMInBytes`: `64m`, `1g`, `512k`, `1.5GiB` (binary units).
fn ram_in_bytes(text: &str) -> Option<i64> {
    let t = text.trim();
    let number_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let amount: f64 = t[..number_end].parse().ok()?;
    let unit = t[number_end..].trim_start().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let scale: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return None,
    };
    Some((amount * scale) as i64)
}

/// A script as progress output shows it: its first line, `…` when more.
fn summarize(script: &str) -> String {
    let trimmed = script.trim();
    let mut lines = trimmed.lines();
    let first = lines.next().unwrap_or("");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_sizes() {
        assert_eq!(ram_in_bytes("256m"), Some(256 * 1024 * 1024));
        assert_eq!(ram_in_bytes("1g"), Some(1 << 30));
        assert_eq!(ram_in_bytes("64MiB"), Some(64 << 20));
        assert_eq!(ram_in_bytes("100"), Some(100));
        assert_eq!(ram_in_bytes("10x"), None);
    }

    #[test]
    fn summaries() {
        assert_eq!(summarize("go build"), "go build");
        assert_eq!(summarize("\nset -eu\ngo build\n"), "set -eu …");
    }
}
