//! msbc's integration tests: one test binary (one link step).
//!
//! - `specs`: every `specs/**/build.kdl` compiles; snapshots; determinism.
//! - `diagnostics`: every code has a fixture and a snapshot of its report.
//! - `cli`: exit codes and command-line behaviour of the real binary.
//! - `roundtrip`: adversarial strings survive BuildKit's own parser.
//! - `presets`: the stdlib presets, per package manager, make senior-grade builds.
//! - `validators`: BuildKit's parser and hadolint on every spec's output.

mod support;

mod cli;
mod diagnostics;
mod llb;
mod presets;
mod real_builds;
mod roundtrip;
mod specs;
mod validators;
