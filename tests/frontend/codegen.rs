//! The gateway client in `compiler/src/frontend/generated/` is what protox +
//! tonic-prost-build make of `compiler/src/frontend/proto/` (no protoc, no
//! network). `MSBC_REGENERATE=1 cargo test --test integration frontend::codegen`
//! rewrites it.

use crate::support::root;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const PROTOS: &[&str] = &[
    "gateway.proto",
    "caps.proto",
    "stat.proto",
    "status.proto",
    "errdefs.proto",
];

fn generate(out: &Path) {
    let proto_dir = root().join("compiler/src/frontend/proto");
    // The `pb` package (BuildKit's ops.proto) is the LLB backend's schema;
    // its Rust types are `backend::llb::pb`.
    let llb_dir = root().join("tests/tools");
    let files: Vec<PathBuf> = PROTOS.iter().map(|p| proto_dir.join(p)).collect();
    let fds = protox::compile(&files, [&proto_dir, &llb_dir]).expect("the protos compile");
    tonic_prost_build::configure()
        .build_server(false)
        .build_transport(false)
        .extern_path(".pb", "crate::backend::llb::pb")
        .btree_map(".")
        .include_file("mod.rs")
        .emit_rerun_if_changed(false)
        .out_dir(out)
        .compile_fds(fds)
        .expect("tonic-prost-build generates the client");
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read the generated dir") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.insert(
            name,
            std::fs::read_to_string(&path).expect("read a generated file"),
        );
    }
    out
}

#[test]
fn generated_gateway_client_is_fresh() {
    let out = crate::support::TempDir::new("frontend-gen");
    generate(&out);
    let committed_dir = root().join("compiler/src/frontend/generated");
    if std::env::var_os("MSBC_REGENERATE").is_some_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in files(&out) {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
    }
    let fresh = files(&out);
    let committed = files(&committed_dir);
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "compiler/src/frontend/generated/ has other files than the protos make; regenerate with \
         MSBC_REGENERATE=1 cargo test --test integration frontend::codegen"
    );
    for (name, text) in &fresh {
        assert!(
            committed.get(name) == Some(text),
            "compiler/src/frontend/generated/{name} is stale; regenerate with \
             MSBC_REGENERATE=1 cargo test --test integration frontend::codegen"
        );
    }
}
