//! Backends: pure functions from the IR to output text or bytes. They know
//! nothing of KDL, templates or the command line.

pub(crate) mod dockerfile;
mod heredoc;
pub mod json;
pub mod llb;
