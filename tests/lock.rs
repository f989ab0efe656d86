//! `msbc lock` against a real registry: Debian's `docker-registry` (the
//! CNCF distribution registry 2.8) served on 127.0.0.1 with a temporary
//! storage directory. The test pushes a small image (a blob, a config, an
//! OCI manifest, and an OCI index over it) through the registry API, runs
//! `msbc lock`, and checks that `msbc.lock` holds the digests the registry
//! reports; then `compile` pins them and `--locked` fails on a new image.
//! The anonymous token flow (`401` + `WWW-Authenticate: Bearer`) is checked
//! against a tiny registry stand-in in the test.
//!
//! Skips, saying why, without `/usr/bin/docker-registry`
//! (`apt-get install docker-registry`; `tests/engine/setup.sh` installs it).

use msbc::lock::Lock;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REGISTRY: &str = "/usr/bin/docker-registry";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// A `docker-registry serve` on 127.0.0.1, killed (by its own handle) on drop.
pub(crate) struct Registry {
    child: Child,
    base: String,
    pub(crate) host: String,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_registry(dir: &Path) -> Registry {
    let port = free_port();
    let storage = dir.join("storage");
    std::fs::create_dir_all(&storage).expect("storage dir");
    let config = dir.join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        ),
    )
    .expect("write config");
    let child = Command::new(REGISTRY)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry starts");
    let registry = Registry {
        child,
        base: format!("http://127.0.0.1:{port}"),
        host: format!("127.0.0.1:{port}"),
    };
    let start = Instant::now();
    loop {
        if let Ok(r) = agent().get(format!("{}/v2/", registry.base)).call()
            && r.status().as_u16() == 200
        {
            return registry;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "docker-registry did not answer on {}",
            registry.base
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Uploads a blob (monolithic: POST an upload, PUT it with its digest).
fn push_blob(reg: &Registry, repo: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let a = agent();
    let started = a
        .post(format!("{}/v2/{repo}/blobs/uploads/", reg.base))
        .send_empty()
        .expect("POST upload");
    assert_eq!(started.status().as_u16(), 202, "start upload");
    let location = started
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("upload location")
        .to_string();
    let location = if location.starts_with('/') {
        format!("{}{location}", reg.base)
    } else {
        location
    };
    let sep = if location.contains('?') { '&' } else { '?' };
    let done = a
        .put(format!("{location}{sep}digest={digest}"))
        .header("Content-Type", "application/octet-stream")
        .send(bytes)
        .expect("PUT blob");
    assert_eq!(done.status().as_u16(), 201, "finish upload");
    digest
}

/// PUTs a manifest; returns the digest the registry reports for it.
fn push_manifest(reg: &Registry, repo: &str, tag: &str, media_type: &str, body: &str) -> String {
    let r = agent()
        .put(format!("{}/v2/{repo}/manifests/{tag}", reg.base))
        .header("Content-Type", media_type)
        .send(body.as_bytes())
        .expect("PUT manifest");
    assert_eq!(r.status().as_u16(), 201, "PUT manifest {repo}:{tag}");
    let digest = r
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .expect("Docker-Content-Digest")
        .to_string();
    assert_eq!(digest, sha256(body.as_bytes()));
    digest
}

/// A one-layer image; returns (manifest JSON, its digest).
fn push_image(reg: &Registry, repo: &str, tag: &str, content: &str) -> (String, String) {
    push_one_layer(
        reg,
        repo,
        tag,
        content.as_bytes(),
        r#"{"architecture":"amd64","os":"linux","config":{"User":"65532"},"rootfs":{"type":"layers","diff_ids":["@LAYER@"]}}"#,
    )
}

/// Pushes `layer`, then `config` (any bytes; `@LAYER@` becomes the layer's
/// digest), then the image manifest tagged `tag`: (manifest JSON, its digest).
fn push_one_layer(
    reg: &Registry,
    repo: &str,
    tag: &str,
    layer: &[u8],
    config: &str,
) -> (String, String) {
    let layer_digest = push_blob(reg, repo, layer);
    let config = config.replace("@LAYER@", &layer_digest);
    let config_digest = push_blob(reg, repo, config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let digest = push_manifest(
        reg,
        repo,
        tag,
        "application/vnd.oci.image.manifest.v1+json",
        &manifest,
    );
    (manifest, digest)
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    crate::support::scratch(&format!("lock/{name}"))
}

fn read_lock(dir: &Path) -> Lock {
    let text = std::fs::read_to_string(dir.join("msbc.lock")).expect("msbc.lock written");
    Lock::parse(&text).unwrap_or_else(|e| panic!("msbc.lock does not parse: {e}\n{text}"))
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry)"]
fn needs_registry_lock_resolves_digests_from_a_real_registry() {
    crate::support::needs_registry();
    let dir = temp_dir("registry");
    let reg = start_registry(&dir);
    let (_, base_digest) = push_image(&reg, "msbc/base", "1.0", "base layer\n");
    let (manifest, runtime_manifest) = push_image(&reg, "msbc/runtime", "2.0-amd64", "runtime\n");
    // A multi-platform tag: an OCI index over the manifest.
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{runtime_manifest}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        manifest.len()
    );
    let index_digest = push_manifest(
        &reg,
        "msbc/runtime",
        "2.0",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );

    let spec_dir = dir.join("spec");
    std::fs::create_dir_all(&spec_dir).expect("spec dir");
    let host = &reg.host;
    let spec = format!(
        r#"msbc 1
arg BASE_TAG "1.0"
toolchain t image="{host}/msbc/base:${{BASE_TAG}}"
stage build toolchain=t {{
    run "echo built > /out"
}}
image app from="{host}/msbc/runtime:2.0" {{
    copy from=build "/out" to="/out"
    copy from="{host}/msbc/runtime:2.0-amd64" "/etc/passwd" to="/etc/passwd"
    user "65532"
}}
"#
    );
    std::fs::write(spec_dir.join("build.kdl"), &spec).expect("write spec");

    // Without a lock, --locked fails at each reference (E0601).
    let locked = msbc_env(&spec_dir, &["compile", "--locked"], &[]);
    assert_eq!(locked.status, 1, "{}", locked.stderr);
    assert_eq!(
        locked.stderr.matches("[E0601]").count(),
        3,
        "{}",
        locked.stderr
    );
    assert!(locked.stdout.is_empty());

    let run = msbc_env(&spec_dir, &["lock"], &[]);
    assert_eq!(run.status, 0, "msbc lock: {}", run.stderr);
    eprintln!("{}", run.stderr);
    let lock = read_lock(&spec_dir);
    let want = [
        (format!("{host}/msbc/base:1.0"), base_digest.clone()),
        (format!("{host}/msbc/runtime:2.0"), index_digest.clone()),
        (
            format!("{host}/msbc/runtime:2.0-amd64"),
            runtime_manifest.clone(),
        ),
    ];
    assert_eq!(
        lock.images.clone().into_iter().collect::<Vec<_>>(),
        want.to_vec(),
        "msbc.lock holds the registry's digests"
    );
    // The same as the registry's own answer for each tag.
    for (reference, digest) in &want {
        let (name, tag) = reference
            .trim_start_matches(&format!("{host}/"))
            .rsplit_once(':')
            .expect("a tag");
        let head = agent()
            .head(format!("{}/v2/{name}/manifests/{tag}", reg.base))
            .header(
                "Accept",
                "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            )
            .call()
            .expect("HEAD");
        assert_eq!(
            head.headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok()),
            Some(digest.as_str())
        );
    }
    // Deterministic: locking again writes the same bytes.
    let first = std::fs::read(spec_dir.join("msbc.lock")).expect("lock");
    assert_eq!(msbc_env(&spec_dir, &["lock"], &[]).status, 0);
    assert_eq!(
        std::fs::read(spec_dir.join("msbc.lock")).expect("lock"),
        first
    );

    // compile pins every locked image and keeps the tag.
    let compiled = msbc_env(&spec_dir, &["compile", "--locked", "--syntax", "none"], &[]);
    assert_eq!(compiled.status, 0, "{}", compiled.stderr);
    let df = compiled.stdout;
    assert!(
        df.contains(&format!("FROM {host}/msbc/base:1.0@{base_digest} AS build")),
        "{df}"
    );
    assert!(
        df.contains(&format!(
            "FROM {host}/msbc/runtime:2.0@{index_digest} AS app"
        )),
        "{df}"
    );
    assert!(
        df.contains(&format!(
            "COPY --from={host}/msbc/runtime:2.0-amd64@{runtime_manifest} "
        )),
        "{df}"
    );
    // LLB pins them too.
    let llb = msbc_env(&spec_dir, &["compile", "--emit", "llb-json"], &[]);
    assert_eq!(llb.status, 0, "{}", llb.stderr);
    assert!(
        llb.stdout.contains(&format!(
            "docker-image://{host}/msbc/base:1.0@{base_digest}"
        )),
        "{}",
        llb.stdout
    );

    // Another arg value pulls another tag: not locked.
    let other = msbc_env(
        &spec_dir,
        &["compile", "--locked", "--arg", "BASE_TAG=1.1"],
        &[],
    );
    assert_eq!(other.status, 1, "{}", other.stderr);
    assert!(other.stderr.contains("[E0601]"), "{}", other.stderr);
    assert!(
        other
            .stderr
            .contains(&format!("`{host}/msbc/base:1.1` is not locked")),
        "{}",
        other.stderr
    );

    // A tag the registry does not have: exit 2, nothing written.
    std::fs::write(
        spec_dir.join("build.kdl"),
        spec.replace("\"1.0\"", "\"9.9\""),
    )
    .expect("write spec");
    let missing = msbc_env(&spec_dir, &["lock"], &[]);
    assert_eq!(missing.status, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no tag `9.9` in msbc/base"),
        "{}",
        missing.stderr
    );
    assert_eq!(
        std::fs::read(spec_dir.join("msbc.lock")).expect("lock"),
        first,
        "a failed lock leaves msbc.lock alone"
    );
}

/// A registry stand-in that wants an anonymous bearer token: `/v2/...`
/// without one answers 401 with a challenge naming `/token` as its realm.
/// With the token it serves tag `1` of `team/app`: `manifest` (its digest
/// in `Docker-Content-Digest`) and the config blob it names.
/// With `basic`, the token server wants that `Authorization: Basic ...`
/// (else it answers 401).
fn serve_with_token(
    listener: TcpListener,
    manifest: String,
    config: String,
    requests: usize,
    basic: Option<String>,
) {
    let digest = sha256(manifest.as_bytes());
    let config_digest = sha256(config.as_bytes());
    for stream in listener.incoming().take(requests) {
        let Ok(mut stream) = stream else { continue };
        let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
        let mut request_line = String::new();
        let _ = reader.read_line(&mut request_line);
        let mut authorized = false;
        let mut credential = None;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                break;
            }
            if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = n.trim().parse().unwrap_or(0);
            }
            if let Some(v) = line
                .to_ascii_lowercase()
                .starts_with("authorization: basic ")
                .then(|| line["authorization: basic ".len()..].trim().to_string())
            {
                credential = Some(v);
            }
            if line
                .to_ascii_lowercase()
                .starts_with("authorization: bearer t0ken")
            {
                authorized = true;
            }
        }
        let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
        let ok = |body: &str| {
            format!(
                "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {digest}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        let mut body = vec![0u8; length];
        if length > 0 {
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let response = if request_line.starts_with("POST /token ") {
            // The OAuth2 exchange of an identity (refresh) token.
            let fields: Vec<&str> = body.split('&').collect();
            let good = [
                "grant_type=refresh_token",
                "refresh_token=idt0k",
                "scope=repository:team/app:pull",
                "service=stand-in",
            ]
            .iter()
            .all(|f| fields.contains(f));
            if good {
                let body = r#"{"access_token":"t0ken"}"#;
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string()
            }
        } else if request_line.contains(" /token?")
            && basic
                .as_ref()
                .is_some_and(|b| credential.as_ref() != Some(b))
        {
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_string()
        } else if request_line.contains(" /token?") {
            assert!(
                request_line.contains("scope=repository:team/app:pull"),
                "{request_line}"
            );
            assert!(request_line.contains("service=stand-in"), "{request_line}");
            let body = r#"{"token":"t0ken"}"#;
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        } else if !authorized {
            format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"stand-in\",scope=\"repository:team/app:pull\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        } else if request_line.starts_with("HEAD ") {
            format!(
                "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {digest}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        } else if request_line.contains(&format!("/manifests/{digest}")) {
            ok(&manifest)
        } else if request_line.contains(&format!("/blobs/{config_digest}")) {
            ok(&config)
        } else {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
        };
        let _ = stream.write_all(response.as_bytes());
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
}

#[test]
fn lock_gets_an_anonymous_token_when_the_registry_asks() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let config = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/app/bin:/usr/bin:/bin","APP_HOME=/app"],"User":"app"},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#.to_string();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
        sha256(config.as_bytes()),
        config.len()
    );
    let digest = sha256(manifest.as_bytes());
    // HEAD (401), token, HEAD with the token, the manifest, the config:
    // the token is asked for once.
    let server = std::thread::spawn(move || serve_with_token(listener, manifest, config, 5, None));
    let dir = temp_dir("token");
    std::fs::write(
        dir.join("build.kdl"),
        format!("msbc 1\nimage app from=\"127.0.0.1:{port}/team/app:1\" {{\n    user \"1\"\n}}\n"),
    )
    .expect("write spec");
    // A private, empty cache: every request is made.
    let run = msbc_env(&dir, &["lock"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Not joined: a server still waiting for a request must not hang the test.
    drop(server);
    let lock = read_lock(&dir);
    let reference = format!("127.0.0.1:{port}/team/app:1");
    assert_eq!(lock.digest(&reference), Some(digest.as_str()));
    let config = lock
        .configs
        .get(&(reference, msbc::domain::Platform::default_target()))
        .expect("the config is recorded");
    assert_eq!(config.env, ["PATH=/app/bin:/usr/bin:/bin", "APP_HOME=/app"]);
    assert_eq!(config.user, "app");
}

/// A stand-in registry whose token server wants `ci:s3cret`, and a spec
/// pulling from it; (spec dir, port, server thread, manifest digest).
fn private_registry(name: &str) -> (PathBuf, u16, std::thread::JoinHandle<()>, String) {
    use base64::Engine;
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let config = r#"{"architecture":"amd64","os":"linux","config":{"User":"app"},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#.to_string();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
        sha256(config.as_bytes()),
        config.len()
    );
    let digest = sha256(manifest.as_bytes());
    let basic = base64::engine::general_purpose::STANDARD.encode("ci:s3cret");
    let server =
        std::thread::spawn(move || serve_with_token(listener, manifest, config, 5, Some(basic)));
    let dir = temp_dir(name);
    std::fs::write(
        dir.join("build.kdl"),
        format!("msbc 1\nimage app from=\"127.0.0.1:{port}/team/app:1\" {{\n    user \"1\"\n}}\n"),
    )
    .expect("write spec");
    (dir, port, server, digest)
}

/// A fake `docker-credential-NAME` in `bin`: it logs its argument and
/// stdin to `log` and answers (`answer`): `basic` ci:s3cret, `identity`
/// an identity token (user `<token>`), or `fail` (nothing for the host).
fn fake_helper(bin: &Path, name: &str, log: &Path, answer: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin).expect("bin dir");
    let answer = match answer {
        "fail" => "echo 'credentials not found in native keychain'; exit 1",
        "identity" => {
            r#"printf '{"ServerURL":"%s","Username":"<token>","Secret":"idt0k"}' "$server""#
        }
        _ => r#"printf '{"ServerURL":"%s","Username":"ci","Secret":"s3cret"}' "$server""#,
    };
    let script = bin.join(format!("docker-credential-{name}"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nserver=$(cat)\necho \"$1 $server\" >> '{}'\n{answer}\n",
            log.display()
        ),
    )
    .expect("write helper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// `~/.docker/config.json`'s `credHelpers` (per host) and `credsStore`
/// (every host) name helpers msbc runs as the docker CLI does
/// (`docker-credential-NAME get`, the server on stdin) when a registry asks
/// for credentials; an identity token (user `<token>`) is exchanged at the
/// token server with the OAuth2 refresh grant (POST); a helper with nothing for the host leaves msbc
/// anonymous, and the registry's refusal names `docker login`.
#[test]
fn lock_asks_the_docker_credential_helpers() {
    for (case, key, answer) in [
        ("cred-helpers", "credHelpers", "basic"),
        ("creds-store", "credsStore", "basic"),
        ("identity-token", "credHelpers", "identity"),
    ] {
        let (dir, port, server, digest) = private_registry(case);
        let bin = dir.join("bin");
        let log = dir.join("helper.log");
        fake_helper(&bin, "fake", &log, answer);
        let docker = dir.join("docker");
        std::fs::create_dir_all(&docker).expect("docker dir");
        let write_config = |port: u16| {
            let config = match key {
                "credHelpers" => format!(
                    r#"{{"auths":{{"127.0.0.1:{port}":{{}}}},"credHelpers":{{"127.0.0.1:{port}":"fake"}},"credsStore":"missing"}}"#
                ),
                _ => r#"{"credsStore":"fake"}"#.to_string(),
            };
            std::fs::write(docker.join("config.json"), config).expect("write config.json");
        };
        write_config(port);
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let docker_config = docker.to_string_lossy().into_owned();
        let env = [
            ("PATH", path.as_str()),
            ("DOCKER_CONFIG", docker_config.as_str()),
        ];
        let run = msbc_env(&dir, &["lock"], &env);
        assert_eq!(run.status, 0, "{case}: {}", run.stderr);
        drop(server);
        let lock = read_lock(&dir);
        assert_eq!(
            lock.digest(&format!("127.0.0.1:{port}/team/app:1")),
            Some(digest.as_str()),
            "{case}"
        );
        // Asked once, for this host.
        let asked = std::fs::read_to_string(&log).expect("the helper ran");
        assert_eq!(asked, format!("get 127.0.0.1:{port}\n"), "{case}");

        // A helper that has nothing for the host: anonymous, refused.
        let (dir, port, server, _) = private_registry(&format!("{case}-none"));
        let log = dir.join("helper.log");
        fake_helper(&bin, "fake", &log, "fail");
        write_config(port);
        let run = msbc_env(&dir, &["lock"], &env);
        drop(server);
        assert_eq!(run.status, 2, "{case}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("127.0.0.1:{port}/team/app:1"))
                && run.stderr.contains("HTTP 401")
                && run.stderr.contains("docker login"),
            "{case}: {}",
            run.stderr
        );
        assert!(!dir.join("msbc.lock").exists());
        assert!(std::fs::read_to_string(&log).is_ok_and(|l| l.starts_with("get ")));
    }
}

/// A base image with ONBUILD triggers: BuildKit's frontend runs them, the
/// LLB route does not, and `compile --emit llb|image-config` says so.
/// The lock records them.
#[test]
fn a_base_with_onbuild_triggers_is_a_warning_on_the_llb_route() {
    let dir = temp_dir("onbuild");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\nimage app from=\"team/base:1\" {\n    user \"1\"\n}\n",
    )
    .expect("write spec");
    let digest = "sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d";
    let lock = format!(
        "version 1\nimage \"team/base:1\" digest=\"{digest}\" {{\n    config \"linux/amd64\" digest=\"{digest}\" layers=1 {{\n        env \"PATH=/bin\"\n        onbuild \"COPY . /src\" \n        onbuild \"RUN make -C /src\"\n    }}\n}}\n"
    );
    std::fs::write(dir.join("msbc.lock"), &lock).expect("write lock");
    let parsed = read_lock(&dir);
    let config = parsed
        .configs
        .get(&(
            "team/base:1".to_string(),
            msbc::domain::Platform::default_target(),
        ))
        .expect("config");
    assert_eq!(config.onbuild, ["COPY . /src", "RUN make -C /src"]);
    assert!(parsed.render().contains("onbuild \"RUN make -C /src\""));
    let run = msbc_env(
        &dir,
        &["compile", "--emit", "image-config", "--offline", "--locked"],
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: `docker.io/team/base:1@sha256:beef")
            && run
                .stderr
                .contains("ONBUILD triggers (`COPY . /src`, `RUN make -C /src`)")
            && run.stderr.contains("msbc's LLB does not"),
        "{}",
        run.stderr
    );
    // The Dockerfile route: BuildKit runs them; nothing to say.
    let run = msbc_env(&dir, &["compile"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("ONBUILD"), "{}", run.stderr);
}

#[test]
fn a_broken_lock_file_is_an_io_error_and_a_pinned_image_needs_no_entry() {
    let dir = temp_dir("broken");
    let digest = "sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d";
    std::fs::write(
        dir.join("build.kdl"),
        format!("msbc 1\nimage app from=\"alpine:3.20@{digest}\" {{\n    user \"1\"\n}}\n"),
    )
    .expect("write spec");
    // No lock file: an image pinned in the spec is locked already.
    let run = msbc_env(&dir, &["compile", "--locked"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("FROM alpine:3.20@{digest} AS app"))
    );
    // `msbc lock` has no digest to resolve, but records the image's
    // config: with the registry unreachable, that is an error naming the
    // image, and no msbc.lock is written.
    let port = free_port();
    let run = msbc_env(
        &dir,
        &["lock", "--mirror", &format!("docker.io=127.0.0.1:{port}")],
        &[],
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("alpine:3.20@{digest} (linux/amd64): ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}: ")),
        "{}",
        run.stderr
    );
    assert!(!dir.join("msbc.lock").exists());

    std::fs::write(
        dir.join("msbc.lock"),
        "version 1\nimage \"alpine:3.20\" digest=\"latest\"\n",
    )
    .expect("write lock");
    let run = msbc_env(&dir, &["compile"], &[]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("msbc.lock: line 2: expected `image \"REFERENCE\" digest=\"sha256:"),
        "{}",
        run.stderr
    );
}

/// `msbc ARGS` in `dir` with `env` set (a private cache directory always).
pub(crate) fn msbc_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> crate::support::Run {
    let mut m = crate::support::Msbc::new()
        .dir(dir)
        .args(args)
        .env("MSBC_CACHE_DIR", dir.join("cache"))
        .env("MSBC_REGISTRY_MIRRORS", "");
    for (k, v) in env {
        m = m.env(k, v);
    }
    m.run()
}

/// Pushes an image with `config` (any bytes) behind an OCI index with one
/// `linux/amd64` entry; returns the index digest.
pub(crate) fn push_with_config(reg: &Registry, repo: &str, tag: &str, config: &str) -> String {
    let layer = format!("{repo} layer\n");
    let (manifest, manifest_digest) =
        push_one_layer(reg, repo, &format!("{tag}-amd64"), layer.as_bytes(), config);
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        manifest.len()
    );
    push_manifest(
        reg,
        repo,
        tag,
        "application/vnd.oci.image.index.v1+json",
        &index,
    )
}

const DEFPATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry)"]
fn needs_registry_llb_emits_read_base_configs_from_the_lock_the_cache_or_a_mirror() {
    crate::support::needs_registry();
    let dir = temp_dir("configs");
    let reg = start_registry(&dir);
    let host = reg.host.clone();
    // Laid out like the official images: go only through the config's PATH.
    let golang = push_with_config(
        &reg,
        "library/golang",
        "1.23-bookworm",
        &format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/go/bin:/usr/local/go/bin:{DEFPATH}","GOLANG_VERSION=1.23.5","GOTOOLCHAIN=local","GOPATH=/go"],"Cmd":["bash"],"WorkingDir":"/go"}},"rootfs":{{"type":"layers","diff_ids":["@LAYER@"]}}}}"#
        ),
    );
    push_with_config(
        &reg,
        "distroless/static-debian12",
        "nonroot",
        &format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"User":"65532","Env":["PATH={DEFPATH}","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],"WorkingDir":"/home/nonroot"}},"rootfs":{{"type":"layers","diff_ids":["@LAYER@"]}}}}"#
        ),
    );
    push_with_config(&reg, "library/broken", "1", "this is not a config");

    let spec_dir = dir.join("spec");
    std::fs::create_dir_all(&spec_dir).expect("spec dir");
    std::fs::write(
        spec_dir.join("build.kdl"),
        r#"msbc 1
stage build from="golang:1.23-bookworm" {
    run "go build -o /out/app ." { cache "/go/pkg/mod" }
}
image app from="gcr.io/distroless/static-debian12:nonroot" {
    copy from=build "/out/app" to="/app"
    entrypoint "/app"
}
"#,
    )
    .expect("write spec");
    let docker = format!("docker.io={host}");
    let gcr = format!("gcr.io={host}");
    let mirrors = ["--mirror", docker.as_str(), "--mirror", gcr.as_str()];
    let with = |first: &[&str]| -> Vec<String> {
        first
            .iter()
            .chain(mirrors.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>, env: &[(&str, &str)]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        msbc_env(&spec_dir, &args, env)
    };

    // --offline with no lock: an error naming the image and `msbc lock`.
    let offline = run(
        vec![
            "compile".into(),
            "--emit".into(),
            "llb-json".into(),
            "--offline".into(),
        ],
        &[],
    );
    assert_eq!(offline.status, 2, "{}", offline.stderr);
    assert!(
        offline.stderr.contains(
            "`docker.io/library/golang:1.23-bookworm` (linux/amd64): no config in msbc.lock"
        ),
        "{}",
        offline.stderr
    );
    assert!(
        offline.stderr.contains("run `msbc lock`"),
        "{}",
        offline.stderr
    );
    assert!(offline.stdout.is_empty());

    // Through the mirrors: read from the registry, said on stderr, cached.
    let dump = run(with(&["compile", "--emit", "llb-json"]), &[]);
    assert_eq!(dump.status, 0, "{}", dump.stderr);
    assert!(
        dump.stderr
            .contains("base image configs read from the registry"),
        "{}",
        dump.stderr
    );
    assert!(
        dump.stdout.contains("\"GOPATH=/go\"") && dump.stdout.contains("\"cwd\": \"/go\""),
        "{}",
        dump.stdout
    );
    assert!(
        dump.stdout.contains(&format!(
            "docker-image://docker.io/library/golang:1.23-bookworm@{golang}"
        )),
        "{}",
        dump.stdout
    );
    let cached = std::fs::read_dir(spec_dir.join("cache/registry/sha256"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(cached, 6, "two indexes, two manifests, two configs");
    // The same from MSBC_REGISTRY_MIRRORS.
    let env_mirrors = format!("{docker},{gcr}");
    let same = run(
        vec!["compile".into(), "--emit".into(), "llb-json".into()],
        &[("MSBC_REGISTRY_MIRRORS", env_mirrors.as_str())],
    );
    assert_eq!(same.status, 0, "{}", same.stderr);
    assert_eq!(same.stdout, dump.stdout);

    // msbc lock records each config; then --offline --locked needs nothing else.
    let locked = run(with(&["lock"]), &[]);
    assert_eq!(locked.status, 0, "{}", locked.stderr);
    let lock = read_lock(&spec_dir);
    let go = lock
        .configs
        .get(&(
            "golang:1.23-bookworm".to_string(),
            msbc::domain::Platform::default_target(),
        ))
        .expect("golang's config is locked");
    assert_eq!(go.working_dir, "/go");
    assert!(go.env.contains(&"GOPATH=/go".to_string()));
    std::fs::remove_dir_all(spec_dir.join("cache")).expect("drop the cache");
    let config = run(
        vec![
            "compile".into(),
            "--emit".into(),
            "image-config".into(),
            "--offline".into(),
            "--locked".into(),
        ],
        &[],
    );
    assert_eq!(config.status, 0, "{}", config.stderr);
    let json: serde_json::Value = serde_json::from_str(&config.stdout).expect("JSON");
    let c = &json["config"];
    assert_eq!(
        c["Env"],
        serde_json::json!([
            format!("PATH={DEFPATH}"),
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
        ])
    );
    assert_eq!(c["User"], "65532");
    assert_eq!(c["WorkingDir"], "/home/nonroot");
    assert_eq!(c["Entrypoint"], serde_json::json!(["/app"]));
    let offline_dump = run(
        vec![
            "compile".into(),
            "--emit".into(),
            "llb-json".into(),
            "--offline".into(),
        ],
        &[],
    );
    assert_eq!(offline_dump.status, 0, "{}", offline_dump.stderr);
    assert_eq!(
        offline_dump.stdout, dump.stdout,
        "the lock gives the same LLB"
    );
    assert!(!offline_dump.stderr.contains("from the registry"));

    // Bad input, each an error naming the image.
    std::fs::remove_file(spec_dir.join("msbc.lock")).expect("drop the lock");
    let arm = run(
        with(&["compile", "--emit", "llb-json", "--platform", "linux/arm64"]),
        &[],
    );
    assert_eq!(arm.status, 2, "{}", arm.stderr);
    assert!(
        arm.stderr
            .contains("`docker.io/library/golang:1.23-bookworm` (linux/arm64)")
            && arm
                .stderr
                .contains("no manifest for linux/arm64 (it has: linux/amd64)"),
        "{}",
        arm.stderr
    );
    let spec = std::fs::read_to_string(spec_dir.join("build.kdl")).expect("spec");
    for (from, to, message) in [
        (
            "golang:1.23-bookworm",
            "golang:9.9",
            "no tag `9.9` in library/golang",
        ),
        ("golang:1.23-bookworm", "broken:1", "not an image config"),
    ] {
        std::fs::write(spec_dir.join("build.kdl"), spec.replace(from, to)).expect("write");
        let bad = run(with(&["compile", "--emit", "image-config"]), &[]);
        assert_eq!(bad.status, 2, "{}", bad.stderr);
        assert!(
            bad.stderr
                .contains(&format!("`docker.io/library/{to}` (linux/amd64)"))
                && bad.stderr.contains(message),
            "{}",
            bad.stderr
        );
    }
    std::fs::write(spec_dir.join("build.kdl"), &spec).expect("write");
    // A lock entry whose digest the registry does not have (and no config).
    let gone = format!("sha256:{}", "0".repeat(64));
    std::fs::write(
        spec_dir.join("msbc.lock"),
        format!("version 1\nimage \"golang:1.23-bookworm\" digest=\"{gone}\"\n"),
    )
    .expect("write lock");
    let stale = run(with(&["compile", "--emit", "llb-json"]), &[]);
    assert_eq!(stale.status, 2, "{}", stale.stderr);
    assert!(
        stale.stderr.contains(&format!(
            "`docker.io/library/golang:1.23-bookworm@{gone}` (linux/amd64)"
        )) && stale.stderr.contains(&format!("{gone} not found")),
        "{}",
        stale.stderr
    );
    // An unreachable registry.
    std::fs::remove_file(spec_dir.join("msbc.lock")).expect("drop the lock");
    let port = free_port();
    let dead = format!("docker.io=127.0.0.1:{port}");
    let unreachable = msbc_env(
        &spec_dir,
        &["compile", "--emit", "llb-json", "--mirror", &dead],
        &[],
    );
    assert_eq!(unreachable.status, 2, "{}", unreachable.stderr);
    assert!(
        unreachable.stderr.contains(
            "`docker.io/library/golang:1.23-bookworm` (linux/amd64): cannot read its config"
        ) && unreachable.stderr.contains(&format!("127.0.0.1:{port}: ")),
        "{}",
        unreachable.stderr
    );
}

/// `${GOPATH}` in a spec's values, set by no arg or `env` of the spec:
/// BuildKit expands it from the base image's config (the Dockerfile's
/// `ENV GOBIN=${GOPATH}/bin`), so msbc decides it from the config
/// `msbc.lock` records. Without one, a warning (W0007), never an error; with
/// a config that sets it, nothing, and the LLB route expands it the same;
/// with a config that does not, E0205 naming the config. A stage built on a
/// stage sees the chain's image; a stage on scratch has no config (E0205).
#[test]
fn base_image_env_in_values_is_decided_by_the_locked_config() {
    let dir = temp_dir("base-env");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\nstage build from=\"golang:1.23-bookworm\" {\n    workdir \"${GOPATH}/src\"\n}\nimage app from=build {\n    env GOBIN=\"${GOPATH}/bin\"\n    user \"nonroot\"\n}\n",
    )
    .expect("write spec");
    let run = msbc_env(&dir, &["check"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("warning[W0007]").count(),
        2,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`golang:1.23-bookworm`'s config") && run.stderr.contains("msbc lock"),
        "{}",
        run.stderr
    );
    let run = msbc_env(&dir, &["check", "--deny-warnings"], &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let run = msbc_env(&dir, &["compile"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("WORKDIR ${GOPATH}/src"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ENV GOBIN=${GOPATH}/bin"),
        "{}",
        run.stdout
    );

    let d = "sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d";
    let lock = |env: &str| {
        format!(
            "version 1\nimage \"golang:1.23-bookworm\" digest=\"{d}\" {{\n    config \"linux/amd64\" digest=\"{d}\" layers=1 {{\n        env \"PATH=/go/bin:/usr/local/go/bin:{DEFPATH}\" {env}\n        workdir \"/go\"\n    }}\n}}\n"
        )
    };
    std::fs::write(dir.join("msbc.lock"), lock("\"GOPATH=/go\"")).expect("write lock");
    let run = msbc_env(&dir, &["check", "--deny-warnings"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("W0007"), "{}", run.stderr);
    let run = msbc_env(
        &dir,
        &["compile", "--emit", "image-config", "--offline"],
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let config: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(config["config"]["WorkingDir"], "/go/src");
    assert_eq!(
        config["config"]["Env"],
        serde_json::json!([
            format!("PATH=/go/bin:/usr/local/go/bin:{DEFPATH}"),
            "GOPATH=/go",
            "GOBIN=/go/bin"
        ])
    );

    std::fs::write(dir.join("msbc.lock"), lock("\"GOROOT=/usr/local/go\"")).expect("write lock");
    let run = msbc_env(&dir, &["check", "--format", "json"], &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let found: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    for (code, message) in &found {
        assert_eq!(code, "E0205", "{found:?}");
        assert!(
            message.contains("the config of `golang:1.23-bookworm` in msbc.lock does not set it"),
            "{message}"
        );
    }
    assert!(run.stdout.contains("GOROOT"), "{}", run.stdout);
    let run = msbc_env(&dir, &["compile"], &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);

    // Scratch: no config to come from.
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\nimage app from=\"scratch\" {\n    env GOBIN=\"${GOPATH}/bin\"\n    user \"65532\"\n}\n",
    )
    .expect("write spec");
    let run = msbc_env(&dir, &["check"], &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[E0205]"), "{}", run.stderr);
}

/// `msbc diff` shows a base image whose lock entry changed (`msbc lock`
/// run again: a new digest whose config has other env and user) as what
/// it is: the new pin, then the recorded config field by field; the
/// stages on it lose their cache; `--emit llb-json` shows their ops
/// change (they start from the other config). Also lock file against lock
/// file, and `--rev` (the lock at the revision against the working tree).
#[test]
fn diff_shows_a_base_image_whose_locked_config_changed() {
    let dir = temp_dir("diff-base");
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\nstage build from=\"golang:1.23-bookworm\" {\n    run \"go build -o /out/app .\"\n}\nimage app from=\"alpine:3.20\" {\n    copy from=build \"/out/app\" to=\"/app\"\n    user \"65532\"\n}\n",
    )
    .expect("write spec");
    let (d1, d2) = (
        "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "sha256:2222222222222222222222222222222222222222222222222222222222222222",
    );
    let alpine = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    let lock = |digest: &str, env: &str, user: &str| {
        format!(
            "version 1\nimage \"alpine:3.20\" digest=\"{alpine}\" {{\n    config \"linux/amd64\" digest=\"{alpine}\" layers=1 {{\n        env \"PATH={DEFPATH}\"\n    }}\n}}\nimage \"golang:1.23-bookworm\" digest=\"{digest}\" {{\n    config \"linux/amd64\" digest=\"{digest}\" layers=1 {{\n        env \"PATH=/go/bin:/usr/local/go/bin:{DEFPATH}\" {env}\n        workdir \"/go\"\n{user}    }}\n}}\n"
        )
    };
    let old = lock(d1, "\"GOPATH=/go\"", "");
    let new = lock(
        d2,
        "\"GOPATH=/gopath\" \"GOFLAGS=-mod=mod\"",
        "        user \"1000\"\n",
    );
    std::fs::write(dir.join("msbc.lock"), &old).expect("write lock");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "build.kdl", "msbc.lock"]);
    git(&["commit", "-q", "-m", "locked"]);
    // Nothing changed yet.
    let run = msbc_env(
        &dir,
        &["diff", "--rev", "HEAD", "--stat", "--exit-code"],
        &[],
    );
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);

    std::fs::write(dir.join("msbc.lock"), &new).expect("write lock");
    let run = msbc_env(
        &dir,
        &["diff", "--rev", "HEAD", "--stat", "--exit-code"],
        &[],
    );
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    for line in [
        "base image golang:1.23-bookworm: sha256:111111111111… → sha256:222222222222…\n",
        "  config env GOPATH: /go → /gopath\n",
        "  config env GOFLAGS: (unset) → -mod=mod\n",
        "  config user: (unset) → 1000\n",
        "  base: golang:1.23-bookworm@sha256:1111",
        "loses cache: build, image app (steps 1–2)\n",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in\n{}", run.stdout);
    }
    // alpine's entry did not change: not listed.
    assert!(!run.stdout.contains("base image alpine"), "{}", run.stdout);

    // The LLB: the stage on golang starts from the other env and user.
    let run = msbc_env(
        &dir,
        &[
            "diff", "--rev", "HEAD", "--emit", "llb-json", "--format", "json",
        ],
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let ops = &doc["summary"]["ops"];
    assert!(
        ops["added"].as_array().is_some_and(|a| !a.is_empty()),
        "{ops}"
    );
    let diff = doc["diff"].as_str().unwrap_or_default();
    assert!(
        diff.contains("+") && diff.contains("GOPATH=/gopath"),
        "{diff}"
    );

    // Lock file against lock file.
    std::fs::write(dir.join("old.lock"), &old).expect("write old lock");
    let run = msbc_env(
        &dir,
        &["diff", "old.lock", "msbc.lock", "--format", "json"],
        &[],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let bases = doc["summary"]["bases"].as_array().expect("bases");
    assert_eq!(bases.len(), 1, "{bases:?}");
    assert_eq!(bases[0]["image"], "golang:1.23-bookworm");
    assert_eq!(bases[0]["old_digest"], d1);
    assert_eq!(bases[0]["new_digest"], d2);
    let fields: Vec<String> = bases[0]["config"]
        .as_array()
        .expect("config")
        .iter()
        .map(|f| format!("{}={}", f["field"].as_str().unwrap_or(""), f["new"]))
        .collect();
    assert_eq!(
        fields,
        [
            "env GOPATH=\"/gopath\"",
            "env GOFLAGS=\"-mod=mod\"",
            "user=\"1000\""
        ]
    );
    assert_eq!(doc["changed"], true);
    let run = msbc_env(&dir, &["diff", "old.lock", "old.lock", "--exit-code"], &[]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);
    let run = msbc_env(&dir, &["diff", "old.lock", "build.kdl"], &[]);
    assert_eq!(run.status, 2, "{}", run.stdout);
}

/// Issue 22 item 5: `msbc lock --platform linux/arm64` on a single-platform
/// amd64 image recorded the amd64 config as the arm64 one. It records per
/// platform only what the registry has, and says which platform is missing.
#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry)"]
fn needs_registry_lock_records_only_the_platforms_an_image_has() {
    crate::support::needs_registry();
    let dir = temp_dir("platforms");
    let reg = start_registry(&dir);
    push_image(&reg, "msbc/single", "1.0", "amd64 only\n");
    let spec_dir = dir.join("spec");
    std::fs::create_dir_all(&spec_dir).expect("spec dir");
    let host = &reg.host;
    std::fs::write(
        spec_dir.join("build.kdl"),
        format!("msbc 1\nimage app from=\"{host}/msbc/single:1.0\" {{\n    user \"65532\"\n}}\n"),
    )
    .expect("write spec");
    let run = msbc_env(
        &spec_dir,
        &[
            "lock",
            "--platform",
            "linux/amd64",
            "--platform",
            "linux/arm64",
        ],
        &[],
    );
    assert_eq!(run.status, 0, "msbc lock: {}", run.stderr);
    assert!(
        run.stderr
            .contains("single-platform linux/amd64: it has no linux/arm64 manifest"),
        "{}",
        run.stderr
    );
    let lock = read_lock(&spec_dir);
    let platforms: Vec<String> = lock.configs.keys().map(|(_, p)| p.to_string()).collect();
    assert_eq!(platforms, ["linux/amd64"], "{:?}", lock.configs.keys());
    // A build for the missing platform then fails, naming it.
    let locked = msbc_env(
        &spec_dir,
        &[
            "compile",
            "--locked",
            "--emit",
            "llb",
            "--platform",
            "linux/arm64",
        ],
        &[],
    );
    assert_ne!(locked.status, 0);
    assert!(locked.stderr.contains("linux/arm64"), "{}", locked.stderr);
}

/// A spec whose base image an arg names, and an `msbc.lock` that pins that
/// image at the arg's default to `digest` (issue 22 item 4).
fn arg_fed_spec(dir: &Path, digest: &str) {
    std::fs::write(
        dir.join("build.kdl"),
        "msbc 1\narg BASE \"debian:bookworm-slim\"\nimage app from=\"${BASE}\" {\n    label \"msbc.test\" \"locked-arg\"\n    user \"1000\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("msbc.lock"),
        format!("version 1\nimage \"debian:bookworm-slim\" digest=\"{digest}\"\n"),
    )
    .unwrap();
}

/// Issue 22 item 4, the CLI: with `msbc.lock`, an arg that feeds a locked
/// image keeps working. The Dockerfile pulls the locked digest while the
/// arg keeps its default and the image a `--build-arg` names otherwise (it
/// wrote the pinned reference over `${BASE}`, so the build arg was
/// ignored); `--arg` that leaves the lock is a warning and pulls the new
/// image; with `--locked` it is E0601.
#[test]
fn an_arg_that_feeds_a_locked_image_keeps_working() {
    let dir = crate::support::TempDir::new("lock-arg-fed");
    let digest = format!("sha256:{}", "3".repeat(64));
    arg_fed_spec(&dir, &digest);
    let run = crate::support::msbc_in(&dir, &["compile", "--syntax", "none"], None);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for line in [
        "ARG BASE\nARG MSBC_LOCKED_APP=${BASE:+${BASE:-debian:bookworm-slim}}\nARG BASE=debian:bookworm-slim\n".to_string(),
        format!("FROM ${{MSBC_LOCKED_APP:-debian:bookworm-slim@{digest}}} AS app\n"),
    ] {
        assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    }
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    // --arg: the new image, said so; the Dockerfile's default is the new one.
    let run = crate::support::msbc_in(
        &dir,
        &[
            "compile",
            "--syntax",
            "none",
            "--arg",
            "BASE=debian:12-slim",
        ],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: `debian:12-slim` (stage `app`) is not in msbc.lock, which locks `debian:bookworm-slim`"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("FROM ${BASE} AS app"), "{}", run.stdout);
    assert!(!run.stdout.contains(&digest), "{}", run.stdout);
    let run = crate::support::msbc_in(
        &dir,
        &["compile", "--locked", "--arg", "BASE=debian:12-slim"],
        None,
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("E0601"), "{}", run.stderr);
    // The LLB route resolves args when msbc runs: the pin, or the new image.
    let llb = |extra: &[&str]| {
        let mut args = vec!["compile", "--emit", "llb-json", "--no-base-configs"];
        args.extend_from_slice(extra);
        let run = crate::support::msbc_in(&dir, &args, None);
        assert_eq!(run.status, 0, "{}", run.stderr);
        run.stdout
    };
    assert!(llb(&[]).contains(&format!(
        "docker-image://docker.io/library/debian:bookworm-slim@{digest}"
    )));
    let moved = llb(&["--arg", "BASE=debian:12-slim"]);
    assert!(
        moved.contains("docker-image://docker.io/library/debian:12-slim")
            && !moved.contains(&digest),
        "{moved}"
    );
}

/// The same on Docker 20.10's built-in Dockerfile frontend: the default
/// build pulls the locked digest (here one the engine cannot have, so the
/// build fails naming it: the pin is not dropped), and `--build-arg BASE=`
/// builds from the image it names (it was ignored: the pinned `FROM` was
/// written out in full).
#[test]
#[ignore = "needs msbc's dockerd (tests/engine/setup.sh)"]
fn needs_engine_a_build_arg_that_feeds_a_locked_image_is_honoured() {
    let docker = crate::support::needs_engine();
    let dir = crate::support::TempDir::new("lock-arg-fed-engine");
    let digest = format!("sha256:{}", "4".repeat(64));
    arg_fed_spec(&dir, &digest);
    let run = crate::support::msbc_in(
        &dir,
        &["compile", "--syntax", "none", "-o", "Dockerfile"],
        None,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let build = |extra: &[&str], tag: &str| {
        Command::new(&docker)
            .args(["build", "--progress=plain", "--network", "host", "-t", tag])
            .args(extra)
            .arg(".")
            .current_dir(&dir)
            .output()
            .expect("docker runs")
    };
    let pinned = build(&[], "msbc-test/locked-arg:default");
    let log = String::from_utf8_lossy(&pinned.stderr);
    assert!(!pinned.status.success(), "{log}");
    assert!(
        log.contains(&format!("debian:bookworm-slim@{digest}")),
        "{log}"
    );
    let tag = "msbc-test/locked-arg:override";
    let moved = build(
        &[
            "--build-arg",
            "BASE=gcr.io/distroless/static-debian12:nonroot",
        ],
        tag,
    );
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let inspect = Command::new(&docker)
        .args([
            "inspect",
            "-f",
            "{{.Config.WorkingDir}} {{index .Config.Labels \"msbc.test\"}}",
            tag,
        ])
        .output()
        .expect("docker inspect runs");
    // distroless's working directory: the image the build arg names.
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        "/home/nonroot locked-arg"
    );
    let _ = Command::new(&docker).args(["rmi", "-f", tag]).output();
}

#[test]
#[ignore = "needs Debian's docker-registry (apt-get install docker-registry)"]
fn needs_registry_lock_update_prints_what_the_new_base_changes() {
    crate::support::needs_registry();
    let dir = temp_dir("update");
    let reg = start_registry(&dir);
    let host = &reg.host;
    let config = |user: &str, env: &str, entrypoint: &str| {
        format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"User":"{user}","Env":[{env}],"Entrypoint":[{entrypoint}]}},"rootfs":{{"type":"layers","diff_ids":["@LAYER@"]}}}}"#
        )
    };
    let first = push_with_config(
        &reg,
        "msbc/base",
        "1.0",
        &config("65532", r#""PATH=/usr/bin:/bin""#, r#""/bin/app""#),
    );
    // Two services: one locked, one without a lock (left alone).
    let fleet = dir.join("fleet");
    let (svc, other) = (fleet.join("svc"), fleet.join("other"));
    for d in [&svc, &other] {
        std::fs::create_dir_all(d).expect("mkdir");
        std::fs::write(
            d.join("build.kdl"),
            format!("msbc 1\nimage app from=\"{host}/msbc/base:1.0\" {{\n    env APP=\"1\"\n}}\n"),
        )
        .expect("write spec");
    }
    let run = msbc_env(&svc, &["lock"], &[]);
    assert_eq!(run.status, 0, "msbc lock: {}", run.stderr);
    let before = std::fs::read_to_string(svc.join("msbc.lock")).expect("lock");
    assert!(before.contains(&first), "{before}");

    // Nothing new in the registry: nothing to update.
    let run = msbc_env(&fleet, &["lock", "--update", "."], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("1 lock: 0 updated, 1 unchanged; 1 spec without msbc.lock"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.trim().is_empty(), "{}", run.stdout);

    // The tag moves to an image that runs as root, with another env and entrypoint.
    let second = push_with_config(
        &reg,
        "msbc/base",
        "1.0",
        &config("0", r#""PATH=/usr/bin:/bin","MODE=debug""#, r#""/bin/sh""#),
    );
    assert_ne!(first, second);
    let run = msbc_env(&fleet, &["lock", "--update", "--dry-run", "."], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let short = |d: &str| d[..19].to_string();
    for line in [
        format!(
            "base image {host}/msbc/base:1.0: {}… → {}…\n",
            short(&first),
            short(&second)
        ),
        "  config user: 65532 → 0\n".to_string(),
        "  config env MODE: (unset) → debug\n".to_string(),
        "  config entrypoint: [\"/bin/app\"] → [\"/bin/sh\"]\n".to_string(),
        format!("-FROM {host}/msbc/base:1.0@{first}"),
        format!("+FROM {host}/msbc/base:1.0@{second}"),
    ] {
        assert!(run.stdout.contains(&line), "{line:?} in\n{}", run.stdout);
    }
    assert!(
        run.stderr.contains(
            "1 lock: 1 updated, 0 unchanged; 1 spec without msbc.lock (--dry-run: nothing written)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(svc.join("msbc.lock")).expect("lock"),
        before,
        "--dry-run writes nothing"
    );
    assert!(!other.join("msbc.lock").exists());

    // Without --dry-run: the lock holds the new digest and config; a second run has nothing to do.
    let run = msbc_env(&svc, &["lock", "--update"], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("config user: 65532 → 0"),
        "{}",
        run.stdout
    );
    let lock = read_lock(&svc);
    assert_eq!(
        lock.images.get(&format!("{host}/msbc/base:1.0")),
        Some(&second)
    );
    let after = std::fs::read_to_string(svc.join("msbc.lock")).expect("lock");
    assert!(after.contains("user \"0\""), "{after}");
    let run = msbc_env(&svc, &["lock", "--update"], &[]);
    assert!(
        run.stderr.contains("0 updated, 1 unchanged"),
        "{}",
        run.stderr
    );
    // A spec without a lock: nothing to update, said so.
    let run = msbc_env(&other, &["lock", "--update"], &[]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no msbc.lock beside"), "{}", run.stderr);
}
