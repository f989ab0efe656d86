//! msbc: a compiler for container builds.
//!
//! `build.kdl` → [`syntax`] (KDL + pest value grammars) → spanned AST →
//! [`expand`] (templates) → [`lower`] (names, checks, lints) → [`ir`] → [`backend`] (Dockerfile,
//! JSON). [`cli`] is the only module that does I/O.

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
