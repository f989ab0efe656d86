//! `msbc frontend`, the BuildKit gateway frontend: its generated gRPC code
//! is fresh, it fails cleanly without a gateway, and (with an engine) real
//! `docker build`s through its image.

mod codegen;
mod docker;
mod fake;
