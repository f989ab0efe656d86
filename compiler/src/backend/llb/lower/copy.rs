//! `copy` (a FileOp copy per source, `--link` as a merge) and `workdir`
//! (mkdir -p owned by the user in effect).

use super::super::paths;
use super::super::pb::{self, op::Kind};
use super::graph::{Output, input_index, op};
use super::{Error, ErrorKind, Lowering, StageCounter, State};
use crate::ir::{self, CopyFrom};

impl Lowering<'_> {
    /// WORKDIR: mkdir -p, owned by `owner` (the user in effect).
    pub(super) fn mkdir(
        &mut self,
        state: &mut State,
        dir: &str,
        owner: Option<&str>,
        name: String,
        line: usize,
    ) {
        let mut inputs = Vec::new();
        let base = state
            .output
            .as_ref()
            .map_or(-1, |o| input_index(&mut inputs, o));
        let owner = owner.map(|u| chown(u, base));
        let action = pb::FileAction {
            input: base,
            secondary_input: -1,
            output: 0,
            action: Some(pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                path: dir.to_string(),
                mode: 0o755,
                make_parents: true,
                owner,
                // As the frontend dates a WORKDIR it makes with
                // `SOURCE_DATE_EPOCH` (nanoseconds).
                timestamp: self
                    .options
                    .build
                    .epoch
                    .map_or(-1, |s| s.saturating_mul(1_000_000_000)),
            })),
        };
        let file = pb::FileOp {
            actions: vec![action],
        };
        let description = self.describe(name, Some(line));
        let d = self
            .graph
            .add(&op(inputs, Kind::File(file), None), description);
        state.output = Some(Output {
            digest: d,
            index: 0,
        });
    }

    pub(super) fn copy(
        &mut self,
        state: &mut State,
        counter: &mut StageCounter,
        copy: &ir::Copy,
        line: usize,
    ) -> Result<(), Error> {
        let mut sources = Vec::with_capacity(copy.sources.len());
        for w in &copy.sources {
            sources.push(self.resolve(w, Some(state), line)?);
        }
        let mut dest = self.resolve(&copy.dest, Some(state), line)?;
        // Several sources need a directory, as the Dockerfile backend writes.
        if sources.len() > 1 && !dest.ends_with('/') {
            dest.push('/');
        }
        let chown_text = match &copy.chown {
            Some(w) => Some(self.resolve(w, Some(state), line)?),
            None => None,
        };
        let mode = match &copy.chmod {
            Some(m) => i32::from_str_radix(m, 8)
                .ok()
                .filter(|m| (0..=0o7777).contains(m))
                .ok_or_else(|| {
                    self.error(
                        line,
                        ErrorKind::Value,
                        format!("invalid chmod `{m}`: expected octal such as 0755"),
                    )
                })?,
            None => -1,
        };
        let (source, from_flag) = match &copy.from {
            CopyFrom::Context => {
                for s in &sources {
                    self.context_paths.insert(paths::join("/", s));
                }
                (Some(self.context()), None)
            }
            CopyFrom::Stage(id) => (self.output(*id)?, Some(self.build.stage(*id).name.clone())),
            CopyFrom::Image(text) => {
                let normalized = self.normalize(text, line)?;
                let target = self.platforms.target.clone();
                (
                    Some(self.image(&normalized, &target, None, line)),
                    Some(text.clone()),
                )
            }
        };

        let mut shown = String::from("COPY");
        if let Some(f) = &from_flag {
            shown.push_str(&format!(" --from={f}"));
        }
        if let Some(c) = &chown_text {
            shown.push_str(&format!(" --chown={c}"));
        }
        if let Some(m) = &copy.chmod {
            shown.push_str(&format!(" --chmod={m}"));
        }
        if copy.link {
            shown.push_str(" --link");
        }
        for s in &sources {
            shown.push(' ');
            shown.push_str(s);
        }
        shown.push(' ');
        shown.push_str(&dest);
        let name = counter.next(&shown);
        self.commit(state, true, || format!("{shown} # buildkit"));

        // `--link` copies onto scratch and merges that layer on top, as the
        // frontend does; with `--chmod` it falls back to a plain copy.
        let link = copy.link && copy.chmod.is_none();
        let dest_path = paths::copy_dest(&state.dir, &dest);
        let mut inputs = Vec::new();
        let base = match (&state.output, link) {
            (Some(o), false) => input_index(&mut inputs, o),
            _ => -1,
        };
        let secondary = source.as_ref().map_or(-1, |o| input_index(&mut inputs, o));
        let n = inputs.len() as i64;
        let count = sources.len();
        let actions = sources
            .iter()
            .enumerate()
            .map(|(k, src)| pb::FileAction {
                input: if k == 0 { base } else { n + k as i64 - 1 },
                secondary_input: secondary,
                output: if k + 1 == count { 0 } else { -1 },
                action: Some(pb::file_action::Action::Copy(pb::FileActionCopy {
                    src: paths::copy_src(src),
                    dest: dest_path.clone(),
                    owner: chown_text.as_deref().map(|c| chown(c, base)),
                    mode,
                    follow_symlink: true,
                    dir_copy_contents: true,
                    attempt_unpack_docker_compatibility: false,
                    create_dest_path: true,
                    allow_wildcard: true,
                    allow_empty_wildcard: true,
                    timestamp: -1,
                    include_patterns: Vec::new(),
                    exclude_patterns: Vec::new(),
                })),
            })
            .collect();
        let description = self.describe(name, Some(line));
        let d = self.graph.add(
            &op(inputs, Kind::File(pb::FileOp { actions }), None),
            description,
        );
        let copied = Output {
            digest: d,
            index: 0,
        };
        state.output = match (&state.output, link) {
            (Some(below), true) => {
                let merge = pb::MergeOp {
                    inputs: vec![pb::MergeInput { input: 0 }, pb::MergeInput { input: 1 }],
                };
                let name = counter.current(&format!("LINK {shown}"));
                let description = self.describe(name, Some(line));
                let d = self.graph.add(
                    &op(
                        vec![below.input(), copied.input()],
                        Kind::Merge(merge),
                        None,
                    ),
                    description,
                );
                Some(Output {
                    digest: d,
                    index: 0,
                })
            }
            _ => Some(copied),
        };
        Ok(())
    }
}

/// `user[:group]` as BuildKit's `WithUser` reads it: numbers (and `root`)
/// are ids, anything else a name looked up in input `base`.
pub(super) fn chown(text: &str, base: i64) -> pb::ChownOpt {
    let part = |p: &str| {
        let user = if p == "root" {
            pb::user_opt::User::ById(0)
        } else {
            match p.parse::<i32>() {
                Ok(id) => pb::user_opt::User::ById(id as u32),
                Err(_) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                    name: p.to_string(),
                    input: base,
                }),
            }
        };
        pb::UserOpt { user: Some(user) }
    };
    match text.split_once(':') {
        Some((u, g)) => pb::ChownOpt {
            user: Some(part(u)),
            group: Some(part(g)),
        },
        None => pb::ChownOpt {
            user: Some(part(text)),
            group: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chown_ids_and_names() {
        let c = chown("0:10001", 0);
        assert_eq!(
            c.user.and_then(|u| u.user),
            Some(pb::user_opt::User::ById(0))
        );
        let c = chown("app", 2);
        assert_eq!(
            c.user.and_then(|u| u.user),
            Some(pb::user_opt::User::ByName(pb::NamedUserOpt {
                name: "app".into(),
                input: 2
            }))
        );
        assert!(c.group.is_none());
    }
}
