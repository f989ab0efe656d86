//! The config-only steps as Dockerfile instructions (`ENV`, `LABEL`,
//! `USER`, `EXPOSE`, `ENTRYPOINT`, `CMD`, `HEALTHCHECK`, `VOLUME`,
//! `STOPSIGNAL`, `SHELL`).

use super::quote::{
    self, env_name, expanded, expanded_literal, healthcheck_shell_form_safe, json_array, path_list,
};
use super::{CONTINUE, Writer, final_shell};
use crate::ir::{ConfigStep, Healthcheck, Protocol, Word};
use std::fmt::Write;

impl Writer<'_> {
    pub(super) fn config(&mut self, step: &ConfigStep) {
        match step {
            ConfigStep::Env { vars } => {
                // One ENV expands every value with the environment before it,
                // so a value that uses a name set earlier in the same step
                // starts a new ENV (which is also what hadolint's DL3044 asks).
                let mut group: Vec<&(String, Word)> = Vec::new();
                for pair in vars {
                    let uses_group = pair
                        .1
                        .vars()
                        .any(|(name, _)| group.iter().any(|(k, _)| k == name));
                    if uses_group {
                        self.env_line(&group);
                        group.clear();
                    }
                    group.push(pair);
                }
                self.env_line(&group);
            }
            ConfigStep::Label { labels } => {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{}={}", expanded_literal(k), expanded(v)))
                    .collect();
                self.line(&format!("LABEL {}", pairs.join(CONTINUE)));
            }
            ConfigStep::User { user } => self.line(&format!("USER {}", expanded(user))),
            ConfigStep::Expose { ports } => {
                let ports: Vec<String> = ports
                    .iter()
                    .map(|p| {
                        let mut s = p.number.to_string();
                        if let Some(end) = p.end {
                            let _ = write!(s, "-{end}");
                        }
                        match p.protocol {
                            Protocol::Tcp => {}
                            Protocol::Udp => s.push_str("/udp"),
                            Protocol::Sctp => s.push_str("/sctp"),
                        }
                        s
                    })
                    .collect();
                self.line(&format!("EXPOSE {}", ports.join(" ")));
            }
            ConfigStep::Entrypoint { args } => self.line(&format!(
                "ENTRYPOINT {}",
                json_array(args.iter().map(String::as_str))
            )),
            ConfigStep::Cmd { args } => self.line(&format!(
                "CMD {}",
                json_array(args.iter().map(String::as_str))
            )),
            ConfigStep::Healthcheck { check } => {
                let shell = match self.stage {
                    Some(stage) => final_shell(self.build, stage),
                    None => self.shell.clone(),
                };
                let line = healthcheck(check.as_ref(), &shell);
                self.line(&line)
            }
            ConfigStep::Volume { paths } => self.line(&format!("VOLUME {}", volume_list(paths))),
            ConfigStep::StopSignal { signal } => self.line(&format!("STOPSIGNAL {signal}")),
            ConfigStep::Shell { args } => self.line(&format!(
                "SHELL {}",
                json_array(args.iter().map(String::as_str))
            )),
        }
    }

    fn env_line(&mut self, pairs: &[&(String, Word)]) {
        if pairs.is_empty() {
            return;
        }
        let pairs: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", env_name(k), expanded(v)))
            .collect();
        self.line(&format!("ENV {}", pairs.join(CONTINUE)));
    }
}

fn volume_list(paths: &[Word]) -> String {
    let all_plain = paths.iter().all(|p| !quote::path_word(p).1);
    if all_plain {
        path_list(paths)
    } else {
        json_array(
            paths
                .iter()
                .map(|p| quote::path_word(p).0)
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        )
    }
}

/// `HEALTHCHECK`: a one-string command in the shell form (`CMD-SHELL`)
/// where the line can carry it; else the exec form runs it in the shell
/// Docker would use, the image's.
fn healthcheck(check: Option<&Healthcheck>, shell: &[String]) -> String {
    let Some(h) = check else {
        return "HEALTHCHECK NONE".to_string();
    };
    let mut line = String::from("HEALTHCHECK ");
    for (flag, value) in [
        ("interval", &h.interval),
        ("timeout", &h.timeout),
        ("start-period", &h.start_period),
        ("start-interval", &h.start_interval),
    ] {
        if let Some(v) = value {
            let _ = write!(line, "--{flag}={v} ");
        }
    }
    if let Some(r) = h.retries {
        let _ = write!(line, "--retries={r} ");
    }
    if line.len() > "HEALTHCHECK ".len() {
        line.truncate(line.len() - 1);
        line.push_str(CONTINUE);
    }
    match h.command.as_slice() {
        [one] if healthcheck_shell_form_safe(one) => {
            let _ = write!(line, "CMD {one}");
        }
        [one] => {
            let argv = shell.iter().map(String::as_str).chain([one.as_str()]);
            let _ = write!(line, "CMD {}", json_array(argv));
        }
        many => {
            let _ = write!(line, "CMD {}", json_array(many.iter().map(String::as_str)));
        }
    }
    line
}
