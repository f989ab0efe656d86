//! Workspaces and monorepos: what one service of a repository needs, read
//! from its manifests. Pure, one module per language, each exposed to its
//! preset as a template function (registered in `expand::render_inner`).

pub mod go;
