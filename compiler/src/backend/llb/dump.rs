//! `--emit llb-json`: the Definition as `buildctl debug dump-llb` prints
//! it, one object per op (`Op`, `Digest`, `OpMetadata`), with the same keys
//! in the same order and the same omissions (Go's `encoding/json` of
//! BuildKit's types: zero values left out, enums as numbers, bytes in
//! base64), pretty-printed as `jq .` does. So
//! `msbc compile --emit llb | buildctl debug dump-llb | jq .` prints the
//! same text as `msbc compile --emit llb-json`.

use super::lower::digest;
use super::pb::{self, file_action::Action, op::Kind, user_opt::User};
use prost::Message;

/// A JSON value that keeps its keys in the order they were added.
enum Json {
    Object(Vec<(&'static str, Json)>),
    Map(Vec<(String, Json)>),
    Array(Vec<Json>),
    String(String),
    Int(i64),
    Bool(bool),
}

/// An object under construction: `omitempty` fields are left out when zero.
struct Obj(Vec<(&'static str, Json)>);

impl Obj {
    fn new() -> Obj {
        Obj(Vec::new())
    }

    fn always(mut self, key: &'static str, value: Json) -> Obj {
        self.0.push((key, value));
        self
    }

    fn str(self, key: &'static str, value: &str) -> Obj {
        if value.is_empty() {
            self
        } else {
            self.always(key, Json::String(value.to_string()))
        }
    }

    fn int(self, key: &'static str, value: i64) -> Obj {
        if value == 0 {
            self
        } else {
            self.always(key, Json::Int(value))
        }
    }

    fn bool(self, key: &'static str, value: bool) -> Obj {
        if value {
            self.always(key, Json::Bool(true))
        } else {
            self
        }
    }

    fn strs(self, key: &'static str, values: &[String]) -> Obj {
        if values.is_empty() {
            self
        } else {
            self.always(
                key,
                Json::Array(values.iter().map(|s| Json::String(s.clone())).collect()),
            )
        }
    }

    fn list(self, key: &'static str, values: Vec<Json>) -> Obj {
        if values.is_empty() {
            self
        } else {
            self.always(key, Json::Array(values))
        }
    }

    fn opt(self, key: &'static str, value: Option<Json>) -> Obj {
        match value {
            Some(v) => self.always(key, v),
            None => self,
        }
    }

    fn map(self, key: &'static str, entries: Vec<(String, Json)>) -> Obj {
        if entries.is_empty() {
            self
        } else {
            self.always(key, Json::Map(entries))
        }
    }

    fn done(self) -> Json {
        Json::Object(self.0)
    }
}

/// The dump of a Definition: each op's object, pretty-printed, one after
/// another (a stream that `jq` reads as it reads buildctl's).
pub fn render(def: &pb::Definition) -> String {
    let mut out = String::new();
    for bytes in &def.def {
        let d = digest(bytes);
        let op_json = match pb::Op::decode(bytes.as_slice()) {
            Ok(op) => op_json(&op),
            Err(e) => Json::String(format!("undecodable op: {e}")),
        };
        let meta = def
            .metadata
            .get(&d)
            .map(metadata_json)
            .unwrap_or(Json::Object(Vec::new()));
        let entry = Obj::new()
            .always("Op", op_json)
            .always("Digest", Json::String(d))
            .always("OpMetadata", meta)
            .done();
        write(&entry, 0, &mut out);
        out.push('\n');
    }
    out
}

fn metadata_json(m: &pb::OpMetadata) -> Json {
    Obj::new()
        .map(
            "description",
            m.description
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect(),
        )
        .map(
            "caps",
            m.caps
                .iter()
                .map(|(k, v)| (k.clone(), Json::Bool(*v)))
                .collect(),
        )
        .done()
}

fn op_json(op: &pb::Op) -> Json {
    let inputs = op
        .inputs
        .iter()
        .map(|i| {
            Obj::new()
                .str("digest", &i.digest)
                .int("index", i.index)
                .done()
        })
        .collect();
    let kind = match &op.kind {
        Some(Kind::Exec(e)) => Obj::new().always("exec", exec_json(e)),
        Some(Kind::Source(s)) => Obj::new().always(
            "source",
            Obj::new()
                .str("identifier", &s.identifier)
                .map(
                    "attrs",
                    s.attrs
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                        .collect(),
                )
                .done(),
        ),
        Some(Kind::File(f)) => Obj::new().always(
            "file",
            Obj::new()
                .list("actions", f.actions.iter().map(file_action_json).collect())
                .done(),
        ),
        Some(Kind::Merge(m)) => Obj::new().always(
            "merge",
            Obj::new()
                .list(
                    "inputs",
                    m.inputs
                        .iter()
                        .map(|i| Obj::new().int("input", i.input).done())
                        .collect(),
                )
                .done(),
        ),
        None => Obj::new(),
    };
    Obj::new()
        .list("inputs", inputs)
        .always("Op", kind.done())
        .opt(
            "platform",
            op.platform.as_ref().map(|p| {
                Obj::new()
                    .str("Architecture", &p.architecture)
                    .str("OS", &p.os)
                    .str("Variant", &p.variant)
                    .done()
            }),
        )
        .opt(
            "constraints",
            op.constraints
                .as_ref()
                .map(|c| Obj::new().strs("filter", &c.filter).done()),
        )
        .done()
}

fn exec_json(e: &pb::ExecOp) -> Json {
    let meta = e.meta.as_ref().map(|m| {
        Obj::new()
            .strs("args", &m.args)
            .strs("env", &m.env)
            .str("cwd", &m.cwd)
            .str("user", &m.user)
            .bool("removeMountStubsRecursive", m.remove_mount_stubs_recursive)
            .done()
    });
    let mounts = e.mounts.iter().map(mount_json).collect();
    let secretenv = e
        .secretenv
        .iter()
        .map(|s| {
            Obj::new()
                .str("ID", &s.id)
                .str("name", &s.name)
                .bool("optional", s.optional)
                .done()
        })
        .collect();
    Obj::new()
        .opt("meta", meta)
        .list("mounts", mounts)
        .int("network", i64::from(e.network))
        .list("secretenv", secretenv)
        .done()
}

fn mount_json(m: &pb::Mount) -> Json {
    let id_opt = |id: &str, uid: u32, gid: u32, mode: u32, optional: bool| {
        Obj::new()
            .str("ID", id)
            .int("uid", i64::from(uid))
            .int("gid", i64::from(gid))
            .int("mode", i64::from(mode))
            .bool("optional", optional)
            .done()
    };
    Obj::new()
        .int("input", m.input)
        .str("selector", &m.selector)
        .str("dest", &m.dest)
        .int("output", m.output)
        .bool("readonly", m.readonly)
        .int("mountType", i64::from(m.mount_type))
        .opt(
            "TmpfsOpt",
            m.tmpfs_opt
                .as_ref()
                .map(|t| Obj::new().int("size", t.size).done()),
        )
        .opt(
            "cacheOpt",
            m.cache_opt.as_ref().map(|c| {
                Obj::new()
                    .str("ID", &c.id)
                    .int("sharing", i64::from(c.sharing))
                    .done()
            }),
        )
        .opt(
            "secretOpt",
            m.secret_opt
                .as_ref()
                .map(|s| id_opt(&s.id, s.uid, s.gid, s.mode, s.optional)),
        )
        .opt(
            "SSHOpt",
            m.ssh_opt
                .as_ref()
                .map(|s| id_opt(&s.id, s.uid, s.gid, s.mode, s.optional)),
        )
        .done()
}

fn chown_json(c: &pb::ChownOpt) -> Json {
    let user = |u: &pb::UserOpt| {
        let inner = match &u.user {
            Some(User::ByName(n)) => Obj::new().always(
                "byName",
                Obj::new().str("name", &n.name).int("input", n.input).done(),
            ),
            Some(User::ById(id)) => Obj::new().int("byId", i64::from(*id)),
            None => Obj::new(),
        };
        Obj::new().always("User", inner.done()).done()
    };
    Obj::new()
        .opt("user", c.user.as_ref().map(user))
        .opt("group", c.group.as_ref().map(user))
        .done()
}

fn file_action_json(a: &pb::FileAction) -> Json {
    let action = match &a.action {
        Some(Action::Copy(c)) => Obj::new().always(
            "copy",
            Obj::new()
                .str("src", &c.src)
                .str("dest", &c.dest)
                .opt("owner", c.owner.as_ref().map(chown_json))
                .int("mode", i64::from(c.mode))
                .bool("followSymlink", c.follow_symlink)
                .bool("dirCopyContents", c.dir_copy_contents)
                .bool(
                    "attemptUnpackDockerCompatibility",
                    c.attempt_unpack_docker_compatibility,
                )
                .bool("createDestPath", c.create_dest_path)
                .bool("allowWildcard", c.allow_wildcard)
                .bool("allowEmptyWildcard", c.allow_empty_wildcard)
                .int("timestamp", c.timestamp)
                .strs("include_patterns", &c.include_patterns)
                .strs("exclude_patterns", &c.exclude_patterns)
                .done(),
        ),
        Some(Action::Mkfile(f)) => Obj::new().always(
            "mkfile",
            Obj::new()
                .str("path", &f.path)
                .int("mode", i64::from(f.mode))
                .str("data", &base64(&f.data))
                .opt("owner", f.owner.as_ref().map(chown_json))
                .int("timestamp", f.timestamp)
                .done(),
        ),
        Some(Action::Mkdir(d)) => Obj::new().always(
            "mkdir",
            Obj::new()
                .str("path", &d.path)
                .int("mode", i64::from(d.mode))
                .bool("makeParents", d.make_parents)
                .opt("owner", d.owner.as_ref().map(chown_json))
                .int("timestamp", d.timestamp)
                .done(),
        ),
        None => Obj::new(),
    };
    Obj::new()
        .always("input", Json::Int(a.input))
        .always("secondaryInput", Json::Int(a.secondary_input))
        .always("output", Json::Int(a.output))
        .always("Action", action.done())
        .done()
}

/// Standard base64 with padding, as Go encodes `[]byte`.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A JSON string as Go's `encoding/json` writes it: `<`, `>` and `&`
/// escaped too.
pub fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_string(s, Escapes::Go, &mut out);
    out
}

/// A JSON string as `jq` prints it.
fn jq_string(s: &str, out: &mut String) {
    json_string(s, Escapes::Jq, out);
}

/// Which escapes a JSON writer adds to `"`, `\`, `\n`, `\r`, `\t` and
/// `\u00XX` for the other controls: Go's `<`, `>`, `&`, U+2028 and U+2029
/// as `\u`, or jq's `\b`, `\f` and `\u007f`.
#[derive(Clone, Copy)]
enum Escapes {
    Go,
    Jq,
}

fn json_string(s: &str, escapes: Escapes, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match (c, escapes) {
            ('"', _) => out.push_str("\\\""),
            ('\\', _) => out.push_str("\\\\"),
            ('\n', _) => out.push_str("\\n"),
            ('\r', _) => out.push_str("\\r"),
            ('\t', _) => out.push_str("\\t"),
            ('\u{8}', Escapes::Jq) => out.push_str("\\b"),
            ('\u{c}', Escapes::Jq) => out.push_str("\\f"),
            ('<' | '>' | '&' | '\u{2028}' | '\u{2029}', Escapes::Go) | ('\u{7f}', Escapes::Jq) => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            (c, _) if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            (c, _) => out.push(c),
        }
    }
    out.push('"');
}

fn indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Pretty-prints as `jq .`: two spaces, `"key": value`, `{}` and `[]`
/// for empty containers.
fn write(value: &Json, level: usize, out: &mut String) {
    match value {
        Json::Object(fields) => {
            let entries: Vec<(&str, &Json)> = fields.iter().map(|(k, v)| (*k, v)).collect();
            write_object(&entries, level, out);
        }
        Json::Map(fields) => {
            let entries: Vec<(&str, &Json)> = fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
            write_object(&entries, level, out);
        }
        Json::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(level + 1, out);
                write(item, level + 1, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(level, out);
            out.push(']');
        }
        Json::String(s) => jq_string(s, out),
        Json::Int(n) => out.push_str(&n.to_string()),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
    }
}

fn write_object(entries: &[(&str, &Json)], level: usize, out: &mut String) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (i, (k, v)) in entries.iter().enumerate() {
        indent(level + 1, out);
        jq_string(k, out);
        out.push_str(": ");
        write(v, level + 1, out);
        if i + 1 < entries.len() {
            out.push(',');
        }
        out.push('\n');
    }
    indent(level, out);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_like_go() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"#!/bin/sh\n"), "IyEvYmluL3NoCg==");
    }

    #[test]
    fn go_strings() {
        assert_eq!(
            go_json_string("a<b>&\"c\""),
            r#""a\u003cb\u003e\u0026\"c\"""#
        );
    }

    /// The two writers differ only where Go and jq do.
    #[test]
    fn go_and_jq_escape_what_each_escapes() {
        let s = "<\u{8}\u{c}\u{7f}\u{1}\u{2028}\t";
        assert_eq!(
            go_json_string(s),
            "\"\\u003c\\u0008\\u000c\u{7f}\\u0001\\u2028\\t\""
        );
        let mut jq = String::new();
        jq_string(s, &mut jq);
        assert_eq!(jq, "\"<\\b\\f\\u007f\\u0001\u{2028}\\t\"");
    }

    #[test]
    fn pretty_like_jq() {
        let v = Obj::new()
            .always(
                "a",
                Json::Array(vec![Json::Int(1), Json::Object(Vec::new())]),
            )
            .always("b", Json::Object(Vec::new()))
            .done();
        let mut out = String::new();
        write(&v, 0, &mut out);
        assert_eq!(out, "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {}\n}");
    }
}
