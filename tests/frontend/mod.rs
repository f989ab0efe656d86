//! `msbc frontend`, the BuildKit gateway frontend: its generated gRPC code
//! is fresh, it fails cleanly without a gateway, and real builds through
//! its image (Debian's dockerd; a current BuildKit and buildx: the rig).

mod attest;
mod codegen;
mod context;
mod docker;
mod fake;
mod feedback;
pub(crate) mod image;
mod reproducible;
pub(crate) mod rig;
