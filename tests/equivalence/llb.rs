//! The LLB side: `msbc compile --emit llb-json` (the ops as `buildctl debug
//! dump-llb` prints them) and `--emit image-config`, read into a [`Build`]
//! by following the graph from its terminal op. Only the JSON is read, not
//! msbc's types.

use super::meaning::{
    Build, Config, FileOpt, Fs, Health, Id, Mount, Network, Owner, Run, Sharing, Step,
    normalize_reference, platform,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

struct Graph {
    ops: HashMap<String, Value>,
}

fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn truth(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("a string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn op_platform(op: &Value) -> String {
    let p = &op["platform"];
    platform(text(p, "OS"), text(p, "Architecture"), text(p, "Variant"))
}

/// Standard base64 (Go's encoding of `[]byte`).
fn base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .expect("base64 character") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn owner(v: Option<&Value>) -> Option<Owner> {
    let v = v?;
    let id = |u: Option<&Value>| {
        let u = u?.get("User")?;
        Some(match u.get("byName") {
            Some(n) => Id::Name(text(n, "name").to_string()),
            // `byId` 0 is left out, as Go's JSON leaves out zero values.
            None => Id::Number(int(u, "byId") as u32),
        })
    };
    Some(Owner {
        user: id(v.get("user")),
        group: id(v.get("group")),
    })
}

impl Graph {
    fn op(&self, digest: &str) -> &Value {
        self.ops
            .get(digest)
            .unwrap_or_else(|| panic!("no op {digest}"))
    }

    /// The state an op input names.
    fn input(&self, input: &Value) -> Fs {
        self.fs(text(input, "digest"), int(input, "index"))
    }

    /// The `i`th input of `op`, or scratch for -1.
    fn nth_input(&self, op: &Value, i: i64) -> Fs {
        if i < 0 {
            return Fs::Scratch;
        }
        self.input(&op["inputs"][i as usize])
    }

    fn fs(&self, digest: &str, output: i64) -> Fs {
        let op = self.op(digest);
        let kind = &op["Op"];
        if let Some(source) = kind.get("source") {
            return self.source(op, source);
        }
        if let Some(exec) = kind.get("exec") {
            return self.exec(op, exec, output);
        }
        if let Some(file) = kind.get("file") {
            let actions = file["actions"].as_array().expect("actions");
            let k = actions
                .iter()
                .position(|a| int(a, "output") == output)
                .unwrap_or_else(|| panic!("no file action writes output {output}"));
            return self.action(op, actions, k);
        }
        if let Some(merge) = kind.get("merge") {
            return self.merge(op, merge);
        }
        panic!("an op msbc should not write: {kind}");
    }

    fn source(&self, op: &Value, source: &Value) -> Fs {
        let id = text(source, "identifier");
        if let Some(r) = id.strip_prefix("docker-image://") {
            return Fs::Image {
                reference: normalize_reference(r),
                platform: op_platform(op),
            };
        }
        if id == "local://context" {
            let excludes = match source["attrs"].get("local.excludepatterns") {
                Some(v) => serde_json::from_str(v.as_str().expect("a string"))
                    .expect("exclude patterns are a JSON list"),
                None => Vec::new(),
            };
            return Fs::Context { excludes };
        }
        panic!("a source msbc should not write: {id}");
    }

    fn action(&self, op: &Value, actions: &[Value], k: usize) -> Fs {
        let a = &actions[k];
        let n = op["inputs"].as_array().map_or(0, Vec::len) as i64;
        let of = |i: i64| {
            if i >= n {
                self.action(op, actions, (i - n) as usize)
            } else {
                self.nth_input(op, i)
            }
        };
        let base = of(int(a, "input"));
        let action = &a["Action"];
        let step = if let Some(c) = action.get("copy") {
            for flag in [
                "followSymlink",
                "dirCopyContents",
                "createDestPath",
                "allowWildcard",
                "allowEmptyWildcard",
            ] {
                assert!(truth(c, flag), "a COPY always sets {flag}: {c}");
            }
            assert!(
                !truth(c, "attemptUnpackDockerCompatibility")
                    && c.get("include_patterns").is_none()
                    && c.get("exclude_patterns").is_none(),
                "a plain COPY: {c}"
            );
            let mode = int(c, "mode");
            Step::Copy {
                from: of(int(a, "secondaryInput")),
                src: text(c, "src").to_string(),
                dest: text(c, "dest").to_string(),
                owner: owner(c.get("owner")),
                mode: (mode >= 0).then_some(mode as u32),
                link: false,
            }
        } else if let Some(d) = action.get("mkdir") {
            Step::Mkdir {
                path: text(d, "path").to_string(),
                mode: int(d, "mode") as u32,
                parents: truth(d, "makeParents"),
                owner: owner(d.get("owner")),
            }
        } else if let Some(f) = action.get("mkfile") {
            assert!(f.get("owner").is_none(), "mkfile with an owner: {f}");
            Step::Mkfile {
                path: text(f, "path").to_string(),
                mode: int(f, "mode") as u32,
                data: String::from_utf8(base64(text(f, "data"))).expect("UTF-8 script"),
            }
        } else {
            panic!("a file action msbc should not write: {action}");
        };
        base.then(step)
    }

    /// `COPY --link`: copies onto scratch, merged on top of the base.
    fn merge(&self, op: &Value, merge: &Value) -> Fs {
        let inputs = merge["inputs"].as_array().expect("merge inputs");
        let mut fs = self.nth_input(op, int(&inputs[0], "input"));
        for layer in &inputs[1..] {
            let mut steps = Vec::new();
            let mut cur = self.nth_input(op, int(layer, "input"));
            while let Fs::After(base, step) = cur {
                steps.push(*step);
                cur = *base;
            }
            assert_eq!(cur, Fs::Scratch, "a merged layer starts from scratch");
            for step in steps.into_iter().rev() {
                let Step::Copy {
                    from,
                    src,
                    dest,
                    owner,
                    mode,
                    ..
                } = step
                else {
                    panic!("a merged layer holds only copies: {step:?}");
                };
                fs = fs.then(Step::Copy {
                    from,
                    src,
                    dest,
                    owner,
                    mode,
                    link: true,
                });
            }
        }
        fs
    }

    fn exec(&self, op: &Value, exec: &Value, output: i64) -> Fs {
        let meta = &exec["meta"];
        let mut root = None;
        let mut mounts = BTreeMap::new();
        for m in exec["mounts"].as_array().expect("mounts") {
            let dest = text(m, "dest").to_string();
            let kind = int(m, "mountType");
            if dest == "/" && kind == 0 {
                assert_eq!(int(m, "output"), output, "the result is the root mount");
                root = Some(self.nth_input(op, int(m, "input")));
                continue;
            }
            let source = || match text(m, "selector") {
                "" => "/".to_string(),
                s => s.to_string(),
            };
            let file = |o: &Value| FileOpt {
                uid: int(o, "uid") as u32,
                gid: int(o, "gid") as u32,
                mode: int(o, "mode") as u32,
                optional: truth(o, "optional"),
            };
            let mount = match kind {
                0 => Mount::Bind {
                    from: self.nth_input(op, int(m, "input")),
                    source: source(),
                    readonly: truth(m, "readonly"),
                },
                1 => {
                    let o = &m["secretOpt"];
                    Mount::Secret {
                        id: text(o, "ID").to_string(),
                        file: file(o),
                    }
                }
                2 => {
                    let o = &m["SSHOpt"];
                    Mount::Ssh {
                        id: text(o, "ID").to_string(),
                        file: file(o),
                    }
                }
                3 => {
                    let o = &m["cacheOpt"];
                    Mount::Cache {
                        id: text(o, "ID").to_string(),
                        sharing: match int(o, "sharing") {
                            0 => Sharing::Shared,
                            1 => Sharing::Private,
                            2 => Sharing::Locked,
                            s => panic!("sharing {s}"),
                        },
                        from: self.nth_input(op, int(m, "input")),
                        source: source(),
                        readonly: truth(m, "readonly"),
                    }
                }
                4 => Mount::Tmpfs {
                    size: m.get("TmpfsOpt").map_or(0, |t| int(t, "size")),
                },
                k => panic!("mount type {k}"),
            };
            assert!(
                mounts.insert(dest.clone(), mount).is_none(),
                "two mounts at {dest}"
            );
        }
        let env = strings(meta, "env")
            .into_iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (kv, String::new()),
            })
            .collect();
        let secret_env = exec
            .get("secretenv")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|s| {
                        (
                            text(s, "name").to_string(),
                            (text(s, "ID").to_string(), truth(s, "optional")),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let run = Run {
            args: strings(meta, "args"),
            env,
            cwd: text(meta, "cwd").to_string(),
            user: text(meta, "user").to_string(),
            platform: op_platform(op),
            network: match int(exec, "network") {
                0 => Network::Sandbox,
                1 => Network::Host,
                2 => Network::None,
                n => panic!("network {n}"),
            },
            mounts,
            secret_env,
        };
        root.expect("a root mount").then(Step::Run(run))
    }
}

fn config(json: &str) -> Config {
    let doc: Value = serde_json::from_str(json).expect("the image config is JSON");
    let c = &doc["config"];
    let keys = |key: &str| {
        c.get(key)
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let list = |key: &str| c.get(key).filter(|v| !v.is_null()).map(|_| strings(c, key));
    Config {
        platform: platform(
            text(&doc, "os"),
            text(&doc, "architecture"),
            text(&doc, "variant"),
        ),
        user: text(c, "User").to_string(),
        workdir: text(c, "WorkingDir").to_string(),
        env: strings(c, "Env"),
        entrypoint: list("Entrypoint"),
        cmd: list("Cmd"),
        ports: keys("ExposedPorts"),
        volumes: keys("Volumes"),
        labels: c
            .get("Labels")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("a label").to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        stop_signal: text(c, "StopSignal").to_string(),
        shell: list("Shell"),
        healthcheck: c.get("Healthcheck").map(|h| Health {
            test: strings(h, "Test"),
            interval: int(h, "Interval"),
            timeout: int(h, "Timeout"),
            start_period: int(h, "StartPeriod"),
            start_interval: int(h, "StartInterval"),
            retries: int(h, "Retries"),
        }),
    }
}

/// The build an LLB dump and its image config describe.
pub fn interpret(dump: &str, image_config: &str) -> Build {
    let mut ops = HashMap::new();
    let mut last = None;
    for op in serde_json::Deserializer::from_str(dump).into_iter::<Value>() {
        let op = op.expect("the dump is a stream of JSON objects");
        let digest = text(&op, "Digest").to_string();
        last = Some(op["Op"].clone());
        ops.insert(digest, op["Op"].clone());
    }
    let graph = Graph { ops };
    let terminal = last.expect("at least one op");
    let inputs = terminal["inputs"].as_array().expect("terminal inputs");
    assert_eq!(inputs.len(), 1, "the terminal op has one input");
    let mut fs = graph.input(&inputs[0]);
    // `FROM scratch` with no files: BuildKit builds nothing from an empty
    // definition, so msbc's LLB makes `/`, which scratch already is.
    if let Fs::After(base, step) = &fs
        && **base == Fs::Scratch
        && matches!(&**step, Step::Mkdir { path, .. } if path == "/")
    {
        fs = Fs::Scratch;
    }
    Build {
        fs,
        config: config(image_config),
    }
}
