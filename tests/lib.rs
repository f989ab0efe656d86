//! msbc's integration tests: one test binary (one link step).
//!
//! - `specs`: every `specs/**/build.kdl` compiles; snapshots; determinism.
//! - `diagnostics`: every code has a fixture and a snapshot of its report.
//! - `cli`: exit codes and command-line behaviour of the real binary.
//! - `roundtrip`: adversarial strings survive BuildKit's own parser.
//! - `presets`: the stdlib presets, per package manager, make senior-grade builds.
//! - `preset_builds`: preset projects built for real (private dockerd), checked inside.
//! - `validators`: BuildKit's parser and hadolint on every spec's output.
//! - `schemas`: `--emit json` and SARIF against their schemas; `--strict`; digests kept.
//! - `equivalence`: the Dockerfile (read by BuildKit's parser) and the LLB describe the same build.
//! - `bake`: `msbc bake` over a ten-service monorepo; buildx reads and builds what it writes.
//! - `architecture`: modules import one way (the table in `architecture.rs`).
//! - `fuzz`: generated and mutated specs never panic or hang (`tests/tools/fuzz.sh N` for long runs).

mod support;

mod affected;
mod architecture;
mod bake;
mod base_images;
mod cli;
mod context;
mod diagnostics;
mod diff;
mod editor;
mod equivalence;
mod fleet;
pub(crate) mod frontend;
mod fuzz;
mod import;
mod init;
mod llb;
mod lock;
mod lsp;
mod preset_builds;
mod presets;
mod real_builds;
mod release;
mod renovate;
mod roundtrip;
mod schemas;
mod secret_leak;
mod spec_builds;
mod specs;
mod validators;
