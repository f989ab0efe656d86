//! The part of BuildKit's `solver/pb/ops.proto` (package `pb`) that msbc
//! writes, as prost messages derived by hand: no protoc at build time.
//!
//! Field numbers and types are BuildKit's; names follow Rust style. Map
//! fields are `BTreeMap`s, so a message encodes to the same bytes every
//! time. Messages and fields msbc never sets (BuildOp, DiffOp, the source
//! map, ulimits, proxies, ...) are left out: prost skips unknown fields on
//! decoding and BuildKit treats absent fields as unset.
//!
//! `tests/tools/llb.proto` is the same schema as a `.proto` file, for
//! decoding msbc's output with `protoc` in the tests.

use prost::Message;
use std::collections::BTreeMap;

/// `pb.Definition`: the LLB graph as BuildKit receives it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Definition {
    /// Each op marshaled on its own, inputs before their users, the
    /// terminal op (no `op`, one input: the result) last.
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub def: Vec<Vec<u8>>,
    /// Keyed by op digest (`sha256:` + hex of the op's bytes).
    #[prost(btree_map = "string, message", tag = "2")]
    pub metadata: BTreeMap<String, OpMetadata>,
}

/// `pb.Op`: one vertex of the graph.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Op {
    #[prost(message, repeated, tag = "1")]
    pub inputs: Vec<Input>,
    #[prost(oneof = "op::Kind", tags = "2, 3, 4, 6")]
    pub kind: Option<op::Kind>,
    #[prost(message, optional, tag = "10")]
    pub platform: Option<Platform>,
    #[prost(message, optional, tag = "11")]
    pub constraints: Option<WorkerConstraints>,
}

impl Op {
    /// The op's bytes with fields in the order Go's deterministic encoder
    /// writes them (regular fields by number, then the `oneof`), so an op
    /// equal to one BuildKit's own client makes has the same digest.
    /// prost would write the `oneof` at its lowest tag, before `platform`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let head = OpFields {
            inputs: self.inputs.clone(),
            platform: self.platform.clone(),
            constraints: self.constraints.clone(),
        };
        let mut out = head.encode_to_vec();
        // Two encodings one after the other are one message with the
        // fields of both.
        out.extend(
            OpKind {
                kind: self.kind.clone(),
            }
            .encode_to_vec(),
        );
        out
    }
}

/// `pb.Op` without its `oneof`.
#[derive(Clone, PartialEq, prost::Message)]
struct OpFields {
    #[prost(message, repeated, tag = "1")]
    inputs: Vec<Input>,
    #[prost(message, optional, tag = "10")]
    platform: Option<Platform>,
    #[prost(message, optional, tag = "11")]
    constraints: Option<WorkerConstraints>,
}

/// `pb.Op`'s `oneof` alone.
#[derive(Clone, PartialEq, prost::Message)]
struct OpKind {
    #[prost(oneof = "op::Kind", tags = "2, 3, 4, 6")]
    kind: Option<op::Kind>,
}

pub mod op {
    /// `oneof op` of `pb.Op` (BuildOp = 5 and DiffOp = 7 are not used).
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        #[prost(message, tag = "2")]
        Exec(super::ExecOp),
        #[prost(message, tag = "3")]
        Source(super::SourceOp),
        #[prost(message, tag = "4")]
        File(super::FileOp),
        #[prost(message, tag = "6")]
        Merge(super::MergeOp),
    }
}

/// `pb.Platform`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Platform {
    #[prost(string, tag = "1")]
    pub architecture: String,
    #[prost(string, tag = "2")]
    pub os: String,
    #[prost(string, tag = "3")]
    pub variant: String,
}

/// `pb.WorkerConstraints`: msbc sets none, but writes the empty message
/// where BuildKit's own client does, so equal ops have equal digests.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WorkerConstraints {
    #[prost(string, repeated, tag = "1")]
    pub filter: Vec<String>,
}

/// `pb.Input`: an edge to output `index` of the op with `digest`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Input {
    #[prost(string, tag = "1")]
    pub digest: String,
    #[prost(int64, tag = "2")]
    pub index: i64,
}

/// `pb.ExecOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecOp {
    #[prost(message, optional, tag = "1")]
    pub meta: Option<Meta>,
    #[prost(message, repeated, tag = "2")]
    pub mounts: Vec<Mount>,
    #[prost(enumeration = "NetMode", tag = "3")]
    pub network: i32,
    #[prost(message, repeated, tag = "5")]
    pub secretenv: Vec<SecretEnv>,
}

/// `pb.Meta`: the process of an ExecOp.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Meta {
    #[prost(string, repeated, tag = "1")]
    pub args: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub env: Vec<String>,
    #[prost(string, tag = "3")]
    pub cwd: String,
    #[prost(string, tag = "4")]
    pub user: String,
    #[prost(bool, tag = "11")]
    pub remove_mount_stubs_recursive: bool,
}

/// `pb.NetMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum NetMode {
    /// The sandbox's own network (BuildKit's `UNSET`).
    Unset = 0,
    Host = 1,
    None = 2,
}

/// `pb.SecretEnv`: a secret exposed as an environment variable.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SecretEnv {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(bool, tag = "3")]
    pub optional: bool,
}

/// `pb.Mount`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Mount {
    /// Index into the op's inputs; -1: none (scratch).
    #[prost(int64, tag = "1")]
    pub input: i64,
    #[prost(string, tag = "2")]
    pub selector: String,
    #[prost(string, tag = "3")]
    pub dest: String,
    /// Output index of a writable mount; -1: no output.
    #[prost(int64, tag = "4")]
    pub output: i64,
    #[prost(bool, tag = "5")]
    pub readonly: bool,
    #[prost(enumeration = "MountType", tag = "6")]
    pub mount_type: i32,
    #[prost(message, optional, tag = "19")]
    pub tmpfs_opt: Option<TmpfsOpt>,
    #[prost(message, optional, tag = "20")]
    pub cache_opt: Option<CacheOpt>,
    #[prost(message, optional, tag = "21")]
    pub secret_opt: Option<SecretOpt>,
    #[prost(message, optional, tag = "22")]
    pub ssh_opt: Option<SshOpt>,
}

/// `pb.MountType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MountType {
    Bind = 0,
    Secret = 1,
    Ssh = 2,
    Cache = 3,
    Tmpfs = 4,
}

/// `pb.TmpfsOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TmpfsOpt {
    /// Bytes; 0: no limit.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `pb.CacheOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CacheOpt {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(enumeration = "CacheSharingOpt", tag = "2")]
    pub sharing: i32,
}

/// `pb.CacheSharingOpt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CacheSharingOpt {
    Shared = 0,
    Private = 1,
    Locked = 2,
}

/// `pb.SecretOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SecretOpt {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(uint32, tag = "2")]
    pub uid: u32,
    #[prost(uint32, tag = "3")]
    pub gid: u32,
    #[prost(uint32, tag = "4")]
    pub mode: u32,
    #[prost(bool, tag = "5")]
    pub optional: bool,
}

/// `pb.SSHOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SshOpt {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(uint32, tag = "2")]
    pub uid: u32,
    #[prost(uint32, tag = "3")]
    pub gid: u32,
    #[prost(uint32, tag = "4")]
    pub mode: u32,
    #[prost(bool, tag = "5")]
    pub optional: bool,
}

/// `pb.SourceOp`: `docker-image://...`, `local://...`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SourceOp {
    #[prost(string, tag = "1")]
    pub identifier: String,
    #[prost(btree_map = "string, string", tag = "2")]
    pub attrs: BTreeMap<String, String>,
}

/// `pb.OpMetadata`: per-op data that is not part of the op's digest.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OpMetadata {
    /// Run the op again even when the cache has it (`--no-cache`).
    #[prost(bool, tag = "1")]
    pub ignore_cache: bool,
    #[prost(btree_map = "string, string", tag = "2")]
    pub description: BTreeMap<String, String>,
    /// BuildKit features the op needs (`source.image`, `exec.mount.cache`,
    /// ...): a daemon without one refuses the build up front.
    #[prost(btree_map = "string, bool", tag = "5")]
    pub caps: BTreeMap<String, bool>,
}

/// `pb.FileOp`: a list of actions, each building on an input or an
/// earlier action.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileOp {
    #[prost(message, repeated, tag = "2")]
    pub actions: Vec<FileAction>,
}

/// `pb.FileAction`. `input`/`secondary_input`: an index into the op's
/// inputs, `len(inputs) + k` for the result of action k, or -1 (scratch).
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileAction {
    #[prost(int64, tag = "1")]
    pub input: i64,
    #[prost(int64, tag = "2")]
    pub secondary_input: i64,
    /// 0 for the op's result (the last action), -1 otherwise.
    #[prost(int64, tag = "3")]
    pub output: i64,
    #[prost(oneof = "file_action::Action", tags = "4, 5, 6")]
    pub action: Option<file_action::Action>,
}

pub mod file_action {
    /// `oneof action` of `pb.FileAction` (rm = 7 and symlink = 8 are not
    /// used).
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Action {
        #[prost(message, tag = "4")]
        Copy(super::FileActionCopy),
        #[prost(message, tag = "5")]
        Mkfile(super::FileActionMkFile),
        #[prost(message, tag = "6")]
        Mkdir(super::FileActionMkDir),
    }
}

/// `pb.FileActionCopy`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionCopy {
    #[prost(string, tag = "1")]
    pub src: String,
    #[prost(string, tag = "2")]
    pub dest: String,
    #[prost(message, optional, tag = "3")]
    pub owner: Option<ChownOpt>,
    /// Permission bits; -1: keep the source's.
    #[prost(int32, tag = "4")]
    pub mode: i32,
    #[prost(bool, tag = "5")]
    pub follow_symlink: bool,
    #[prost(bool, tag = "6")]
    pub dir_copy_contents: bool,
    #[prost(bool, tag = "7")]
    pub attempt_unpack_docker_compatibility: bool,
    #[prost(bool, tag = "8")]
    pub create_dest_path: bool,
    #[prost(bool, tag = "9")]
    pub allow_wildcard: bool,
    #[prost(bool, tag = "10")]
    pub allow_empty_wildcard: bool,
    /// Unix nanoseconds; -1: keep the source's.
    #[prost(int64, tag = "11")]
    pub timestamp: i64,
    #[prost(string, repeated, tag = "12")]
    pub include_patterns: Vec<String>,
    #[prost(string, repeated, tag = "13")]
    pub exclude_patterns: Vec<String>,
}

/// `pb.FileActionMkFile`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionMkFile {
    #[prost(string, tag = "1")]
    pub path: String,
    #[prost(int32, tag = "2")]
    pub mode: i32,
    #[prost(bytes = "vec", tag = "3")]
    pub data: Vec<u8>,
    #[prost(message, optional, tag = "4")]
    pub owner: Option<ChownOpt>,
    /// Unix nanoseconds; -1: now.
    #[prost(int64, tag = "5")]
    pub timestamp: i64,
}

/// `pb.FileActionMkDir`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionMkDir {
    #[prost(string, tag = "1")]
    pub path: String,
    #[prost(int32, tag = "2")]
    pub mode: i32,
    #[prost(bool, tag = "3")]
    pub make_parents: bool,
    #[prost(message, optional, tag = "4")]
    pub owner: Option<ChownOpt>,
    /// Unix nanoseconds; -1: now.
    #[prost(int64, tag = "5")]
    pub timestamp: i64,
}

/// `pb.ChownOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChownOpt {
    #[prost(message, optional, tag = "1")]
    pub user: Option<UserOpt>,
    #[prost(message, optional, tag = "2")]
    pub group: Option<UserOpt>,
}

/// `pb.UserOpt`: a numeric id, or a name looked up in an input's
/// `/etc/passwd` or `/etc/group`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UserOpt {
    #[prost(oneof = "user_opt::User", tags = "1, 2")]
    pub user: Option<user_opt::User>,
}

pub mod user_opt {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum User {
        #[prost(message, tag = "1")]
        ByName(super::NamedUserOpt),
        #[prost(uint32, tag = "2")]
        ById(u32),
    }
}

/// `pb.NamedUserOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NamedUserOpt {
    #[prost(string, tag = "1")]
    pub name: String,
    /// The input whose files define the name.
    #[prost(int64, tag = "2")]
    pub input: i64,
}

/// `pb.MergeOp`: layers its inputs on top of each other.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MergeOp {
    #[prost(message, repeated, tag = "1")]
    pub inputs: Vec<MergeInput>,
}

/// `pb.MergeInput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MergeInput {
    #[prost(int64, tag = "1")]
    pub input: i64,
}

/// `pb.SourceInfo`: a source file that ranges point into (the frontend's
/// error and warning locations; not written into msbc's own LLB).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SourceInfo {
    #[prost(string, tag = "1")]
    pub filename: String,
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
    #[prost(message, optional, tag = "3")]
    pub definition: Option<Definition>,
    #[prost(string, tag = "4")]
    pub language: String,
}

/// `pb.Range`: from `start` to `end` in a [`SourceInfo`].
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Range {
    #[prost(message, optional, tag = "1")]
    pub start: Option<Position>,
    #[prost(message, optional, tag = "2")]
    pub end: Option<Position>,
}

/// `pb.Position`: a 1-based line and a 0-based character.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Position {
    #[prost(int32, tag = "1")]
    pub line: i32,
    #[prost(int32, tag = "2")]
    pub character: i32,
}
