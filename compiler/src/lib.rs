//! msbc: a compiler for container builds.
//!
//! `build.kdl` → `syntax` (a hand-written KDL reader; pest grammars for the
//! values inside strings) → spanned AST → [`expand`] (templates) →
//! [`lower`] (names, scopes, toolchains spelled out) → [`checks`]
//! (policies, secrets, lints) → [`ir`] → [`backend`] (Dockerfile, LLB,
//! JSON). [`compile`] is that pipeline as pure functions; [`cli`] and
//! [`frontend`] do the I/O. `ARCHITECTURE.md` has the code map and the
//! invariants.

#![warn(missing_docs)]

pub mod backend;
pub mod checks;
pub mod cli;
pub mod compile;
pub mod diag;
mod diff;
pub mod domain;
pub mod editor;
pub mod expand;
pub mod frontend;
pub mod import;
pub mod init;
pub mod ir;
mod kdl_write;
pub mod lock;
pub mod lower;
mod paths;
mod syntax;
