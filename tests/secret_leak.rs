//! A build secret reaches the `run` that mounts it and nothing else: a
//! random token passed with `--secret id=token,src=FILE` to a spec whose
//! run uses a `secret` mount is used by that run (the image holds its
//! sha256, proving it was there), yet appears in no layer, no ENV, no ARG,
//! no label and no history entry of the built images. The images are
//! `docker save`d and every file of every layer tar, the config JSON and
//! the manifest are scanned for the token; a control build that does leak
//! it shows the scan finds it.
//!
//! `needs_engine` (tests/support, "Needs"): tests/run.sh runs it when
//! `tests/engine/setup.sh` has started the engine.

use crate::support::{msbc_in, root};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 32 random bytes from the kernel, as hex: a token no file has by chance.
fn random_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom");
    format!(
        "msbc-secret-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// The members of an (uncompressed) tar: name and contents.
fn tar_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut long_name: Option<String> = None;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &header[r];
            let end = f.iter().position(|b| *b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        let size = usize::from_str_radix(field(124..136).trim(), 8).unwrap_or(0);
        let kind = header[156];
        let prefix = field(345..500);
        let mut name = field(0..100);
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
        let start = at + 512;
        let data = bytes[start..(start + size).min(bytes.len())].to_vec();
        at = start + size.div_ceil(512) * 512;
        match kind {
            b'L' => {
                long_name = Some(
                    String::from_utf8_lossy(&data)
                        .trim_end_matches('\0')
                        .to_string(),
                );
                continue;
            }
            b'x' | b'g' => {
                // A pax header: `path=` overrides the name.
                let text = String::from_utf8_lossy(&data);
                for record in text.lines() {
                    if let Some((_, kv)) = record.split_once(' ')
                        && let Some(path) = kv.strip_prefix("path=")
                    {
                        long_name = Some(path.to_string());
                    }
                }
                // The pax record itself is scanned too.
                out.push((format!("{name} (pax header)"), data));
                continue;
            }
            _ => {}
        }
        out.push((long_name.take().unwrap_or(name), data));
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// Where `token` occurs in the saved image `tar`: layer files, config,
/// manifest; plus how many layer files were looked at.
fn scan_saved_image(tar: &[u8], token: &str) -> (Vec<String>, usize) {
    let needle = token.as_bytes();
    let mut found = Vec::new();
    let mut layer_files = 0;
    for (name, data) in tar_members(tar) {
        if name.ends_with("layer.tar") || name.starts_with("blobs/") && looks_like_tar(&data) {
            for (file, content) in tar_members(&data) {
                layer_files += 1;
                if contains(&content, needle) || file.contains(token) {
                    found.push(format!("{name}: {file}"));
                }
            }
        } else if name.ends_with(".json") {
            if contains(&data, needle) {
                found.push(name.clone());
            }
            // The config's env, labels and history, read as JSON too.
            if let Ok(config) = serde_json::from_slice::<serde_json::Value>(&data) {
                for key in ["config", "container_config"] {
                    for field in ["Env", "Labels", "Cmd", "Entrypoint"] {
                        let v = config[key][field].to_string();
                        if v.contains(token) {
                            found.push(format!("{name}: {key}.{field}"));
                        }
                    }
                }
                if config["history"].to_string().contains(token) {
                    found.push(format!("{name}: history"));
                }
            }
        } else if contains(&data, needle) {
            found.push(name.clone());
        }
    }
    // Anything the structured walk missed (the whole archive is uncompressed).
    if contains(tar, needle) && found.is_empty() {
        found.push("somewhere in the saved archive".to_string());
    }
    (found, layer_files)
}

fn looks_like_tar(data: &[u8]) -> bool {
    data.len() >= 512 && &data[257..262] == b"ustar"
}

fn docker(docker: &str, args: &[&str]) -> String {
    let out = Command::new(docker)
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const SPEC: &str = r#"msbc 1

arg APP_VERSION "1.0"

stage build from="debian:bookworm-slim" {
    workdir "/src"
    // Uses the token (its hash proves it was mounted), keeps only the hash.
    run "test -s /run/secrets/token && sha256sum /run/secrets/token | cut -c1-64 > /src/token.sha256 LEAK" {
        secret "token" required=#true
    }
}

image app from="debian:bookworm-slim" {
    copy from=build "/src/" to="/srv/"
    env APP_VERSION="${APP_VERSION}"
    label "org.opencontainers.image.version" "${APP_VERSION}"
    user "nobody"
    entrypoint "cat" "/srv/token.sha256"
}
"#;

/// Builds SPEC (with `leak` appended to its run) as image `tag` and as its
/// build stage `tag-build`, with the token as the `token` secret.
fn build(dir: &Path, tag: &str, token_file: &Path, leak: &str) {
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::write(dir.join("build.kdl"), SPEC.replace(" LEAK", leak)).expect("spec");
    let run = msbc_in(
        dir,
        &["compile", "--syntax", "none", "-o", "Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let secret = format!("id=token,src={}", token_file.display());
    for (target, t) in [("app", tag.to_string()), ("build", format!("{tag}-build"))] {
        let out = Command::new("bash")
            .arg(root().join("tests/engine/build.sh"))
            // No cache: BuildKit does not key a run on its secret's content,
            // so a cached run would hold an earlier token's hash.
            .args(["Dockerfile", ".", &t, "--no-cache", "--target", target])
            .args(["--secret", &secret])
            .current_dir(dir)
            .output()
            .expect("build.sh runs");
        assert!(
            out.status.success(),
            "build of {t} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every place the token shows up in `tag`: the saved image, its history
/// and its inspect output.
fn leaks(docker_bin: &str, dir: &Path, tag: &str, token: &str) -> (Vec<String>, usize) {
    let saved: PathBuf = dir.join(format!("{}.tar", tag.replace([':', '/'], "-")));
    docker(docker_bin, &["save", "-o", &saved.to_string_lossy(), tag]);
    let tar = std::fs::read(&saved).expect("saved image");
    let (mut found, files) = scan_saved_image(&tar, token);
    let history = docker(docker_bin, &["history", "--no-trunc", tag]);
    if history.contains(token) {
        found.push("docker history".to_string());
    }
    let inspect = docker(docker_bin, &["image", "inspect", tag]);
    if inspect.contains(token) {
        found.push("docker image inspect".to_string());
    }
    (found, files)
}

#[test]
#[ignore = "needs the engine: tests/run.sh runs it when tests/engine/setup.sh has started msbc's dockerd"]
fn needs_engine_a_build_secret_appears_in_no_layer_env_arg_or_history() {
    let docker_bin = crate::support::needs_engine();
    let base = crate::support::scratch("secret-leak");
    let token = random_token();
    let token_file = base.join("token.txt");
    std::fs::write(&token_file, &token).expect("token file");

    let dir = base.join("clean");
    build(&dir, "msbc-secret/clean:1", &token_file, "");
    // The run really had the secret: the image holds its hash.
    let hash = docker(
        &docker_bin,
        &["run", "--rm", "--network", "none", "msbc-secret/clean:1"],
    );
    assert_eq!(
        hash.trim(),
        format!("{:x}", Sha256::digest(token.as_bytes())),
        "the run did not see the secret"
    );
    for tag in ["msbc-secret/clean:1", "msbc-secret/clean:1-build"] {
        let (found, files) = leaks(&docker_bin, &dir, tag, &token);
        assert!(files > 100, "{tag}: only {files} layer files scanned");
        assert!(found.is_empty(), "{tag}: the secret leaked into {found:?}");
        eprintln!("{tag}: token in none of {files} layer files, config, history");
    }

    // Control: a run that copies the secret into the filesystem is caught.
    let leaky = base.join("leaky");
    build(
        &leaky,
        "msbc-secret/leaky:1",
        &token_file,
        " && cp /run/secrets/token /src/oops",
    );
    let (found, _) = leaks(&docker_bin, &leaky, "msbc-secret/leaky:1", &token);
    assert!(
        found.iter().any(|f| f.contains("srv/oops")),
        "the scan missed a planted leak: {found:?}"
    );
    let _ = Command::new(&docker_bin)
        .args([
            "image",
            "rm",
            "msbc-secret/clean:1",
            "msbc-secret/clean:1-build",
            "msbc-secret/leaky:1",
            "msbc-secret/leaky:1-build",
        ])
        .output();
}
