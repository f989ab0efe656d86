//! The image config an image ends up with, as far as the spec says.

use super::word_text;
use crate::ir::{Base, Build, StepKind};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The config an image ends up with from its own steps and those of the
/// stages it is built on (what the spec sets; the base image's is unknown).
pub(super) fn config(build: &Build, index: usize) -> BTreeMap<String, String> {
    let mut chain = vec![index];
    let mut cur = index;
    while let Base::Stage(p) = build.stages[cur].base {
        if chain.contains(&p.0) {
            break;
        }
        chain.push(p.0);
        cur = p.0;
    }
    let mut out = BTreeMap::new();
    let mut ports: Vec<String> = Vec::new();
    let mut volumes: Vec<String> = Vec::new();
    for &i in chain.iter().rev() {
        for step in &build.stages[i].steps {
            match &step.kind {
                StepKind::User { user } => {
                    out.insert("user".to_string(), word_text(user));
                }
                StepKind::Workdir { path } => {
                    out.insert("workdir".to_string(), word_text(path));
                }
                StepKind::Entrypoint { args } => {
                    out.insert("entrypoint".to_string(), json(args));
                    out.remove("cmd");
                }
                StepKind::Cmd { args } => {
                    out.insert("cmd".to_string(), json(args));
                }
                StepKind::Env { vars } => {
                    for (k, v) in vars {
                        out.insert(format!("env {k}"), word_text(v));
                    }
                }
                StepKind::Label { labels } => {
                    for (k, v) in labels {
                        out.insert(format!("label {k}"), word_text(v));
                    }
                }
                StepKind::Expose { ports: ps } => {
                    for p in ps {
                        let mut s = p.number.to_string();
                        if let Some(e) = p.end {
                            let _ = write!(s, "-{e}");
                        }
                        s.push_str(match p.protocol {
                            crate::ir::Protocol::Tcp => "/tcp",
                            crate::ir::Protocol::Udp => "/udp",
                            crate::ir::Protocol::Sctp => "/sctp",
                        });
                        if !ports.contains(&s) {
                            ports.push(s);
                        }
                    }
                }
                StepKind::Healthcheck { check } => {
                    let text = match check {
                        None => "NONE".to_string(),
                        Some(h) => {
                            let mut s = json(&h.command);
                            for (k, v) in [
                                ("interval", &h.interval),
                                ("timeout", &h.timeout),
                                ("start-period", &h.start_period),
                                ("start-interval", &h.start_interval),
                            ] {
                                if let Some(v) = v {
                                    let _ = write!(s, " {k}={v}");
                                }
                            }
                            if let Some(r) = h.retries {
                                let _ = write!(s, " retries={r}");
                            }
                            s
                        }
                    };
                    out.insert("healthcheck".to_string(), text);
                }
                StepKind::Volume { paths } => {
                    for p in paths {
                        let t = word_text(p);
                        if !volumes.contains(&t) {
                            volumes.push(t);
                        }
                    }
                }
                StepKind::StopSignal { signal } => {
                    out.insert("stopsignal".to_string(), signal.clone());
                }
                StepKind::Shell { args } => {
                    out.insert("shell".to_string(), json(args));
                }
                StepKind::Args { .. } | StepKind::Copy(_) | StepKind::Run(_) => {}
            }
        }
    }
    if !ports.is_empty() {
        ports.sort();
        out.insert("ports".to_string(), ports.join(" "));
    }
    if !volumes.is_empty() {
        out.insert("volumes".to_string(), volumes.join(" "));
    }
    out
}

pub(super) fn json(args: &[String]) -> String {
    serde_json::to_string(args).unwrap_or_default()
}
