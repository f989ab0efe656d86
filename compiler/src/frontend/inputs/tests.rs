//! Tests of `frontend/inputs.rs`.

use super::*;
use prost::Message;

#[test]
fn a_local_input_is_a_source_and_a_terminal_op() {
    let env = Env {
        session_id: "s1".into(),
        worker_platform: None,
    };
    let (d, vertex) = local(
        "dockerfile",
        &env,
        &["build.kdl".into()],
        &[],
        None,
        "build.kdl",
        "load",
    );
    assert_eq!(d.def.len(), 2);
    let source = pb::Op::decode(d.def[0].as_slice()).unwrap();
    let Some(pb::op::Kind::Source(s)) = source.kind else {
        panic!("not a source: {source:?}");
    };
    assert_eq!(s.identifier, "local://dockerfile");
    assert_eq!(s.attrs["local.session"], "s1");
    assert_eq!(s.attrs["local.includepattern"], r#"["build.kdl"]"#);
    let terminal = pb::Op::decode(d.def[1].as_slice()).unwrap();
    assert_eq!(terminal.inputs[0].digest, llb::digest(&d.def[0]));
    assert!(d.metadata.contains_key(&llb::digest(&d.def[0])));
    assert_eq!(vertex, llb::digest(&d.def[0]));
}

fn frames(stats: &[(&str, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, mode) in stats {
        let bytes = Stat {
            path: path.to_string(),
            mode: *mode,
            size: 1 << 20,
            ..Stat::default()
        }
        .encode_to_vec();
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

#[test]
fn the_listing_of_a_metadata_transfer_is_its_files_as_the_cli_lists_them() {
    let bytes = frames(&[
        ("apps", MODE_DIR | 0o755),
        ("apps/api", MODE_DIR | 0o755),
        ("apps/api/package.json", 0o644),
        ("apps/api/src/index.ts", 0o644),
        ("go.mod", 0o644),
        ("a/b/c/d/e.txt", 0o644),
        ("a/b/c/d/e/too-deep.txt", 0o644),
        ("web/node_modules/x/package.json", 0o644),
    ]);
    assert_eq!(
        metadata_listing(&bytes),
        [
            "a/b/c/d/e.txt",
            "apps/api/package.json",
            "apps/api/src/index.ts",
            "go.mod"
        ]
    );
    // A cut-off entry ends the list; what came before it stands.
    let cut = &bytes[..bytes.len() - 3];
    assert_eq!(metadata_listing(cut).len(), 4);
    assert!(metadata_listing(&[1, 0]).is_empty());
}

#[test]
fn the_listing_leaves_out_what_the_spec_and_the_ignore_file_ignore() {
    let excludes = listing_excludes(
        &["assets/".to_string(), "**/*.log".to_string()],
        Some(&"# comment\n/dist\n!keep.log\nassets\n".to_string()),
    );
    for p in [
        "**/node_modules",
        "**/.git",
        "assets",
        "dist",
        "!keep.log",
        "**/*.log",
    ] {
        assert!(excludes.contains(&p.to_string()), "{p}: {excludes:?}");
    }
    assert_eq!(excludes.iter().filter(|p| *p == "assets").count(), 1);
}

#[test]
fn a_metadata_source_asks_for_the_contents_of_project_files_only() {
    let env = Env::default();
    let wanted = content_patterns(false);
    assert!(wanted.contains(&"**/go.mod".to_string()));
    assert!(wanted.contains(&"**/*.csproj".to_string()));
    assert!(!wanted.iter().any(|p| p.contains("preset.kdl")));
    assert!(content_patterns(true).contains(&"**/preset.kdl".to_string()));
    let (d, _) = local(
        "context",
        &env,
        &[],
        &["assets".into()],
        Some(&wanted),
        "context",
        "load",
    );
    let source = pb::Op::decode(d.def[0].as_slice()).unwrap();
    let Some(pb::op::Kind::Source(s)) = source.kind else {
        panic!("not a source: {source:?}");
    };
    assert_eq!(s.attrs["local.metadatatransfer"], "true");
    assert!(s.attrs["local.metadatatransferexclude"].contains(r#""**/package.json""#));
    assert_eq!(s.attrs["local.excludepatterns"], r#"["assets"]"#);
    let caps = &d.metadata[&llb::digest(&d.def[0])].caps;
    assert!(caps[METADATA_TRANSFER]);
}
