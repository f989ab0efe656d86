//! The one-line reference of each node and property, for hover and
//! completion. The node names themselves come from `syntax` (its
//! `node_names` table); a test keeps this table and it in step.

/// Where a node may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    TopLevel,
    /// Inside `stage` or `image`.
    Step,
    /// Inside `run { ... }`.
    Mount,
    /// Inside `toolchain { ... }`.
    Toolchain,
    /// Inside `context { ... }`.
    Context,
    /// Inside `policy { ... }`.
    Policy,
    /// Inside `healthcheck { ... }`? No: `healthcheck` takes properties.
    Unknown,
}

/// A property: its name, allowed values (empty: any) and what it does.
#[derive(Debug, Clone, Copy)]
pub struct PropDoc {
    pub name: &'static str,
    pub values: &'static [&'static str],
    pub summary: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct NodeDoc {
    pub name: &'static str,
    pub place: Place,
    /// How it is written.
    pub usage: &'static str,
    pub summary: &'static str,
    pub props: &'static [PropDoc],
}

const fn p(name: &'static str, summary: &'static str) -> PropDoc {
    PropDoc {
        name,
        values: &[],
        summary,
    }
}

const BOOL: &[&str] = &["#true", "#false"];

pub const NODES: &[NodeDoc] = &[
    NodeDoc {
        name: "msbc",
        place: Place::TopLevel,
        usage: "msbc 1",
        summary: "The spec's format version; the first node of every spec.",
        props: &[],
    },
    NodeDoc {
        name: "arg",
        place: Place::TopLevel,
        usage: "arg NAME [\"default\"]",
        summary: "A build argument (Dockerfile ARG), referenced as ${NAME}; without a default it must be given at build time.",
        props: &[],
    },
    NodeDoc {
        name: "context",
        place: Place::TopLevel,
        usage: "context { ignore \"pattern\"... }",
        summary: "The build context: `ignore` patterns become the .dockerignore.",
        props: &[],
    },
    NodeDoc {
        name: "toolchain",
        place: Place::TopLevel,
        usage: "toolchain NAME image=\"ref\" { cache \"/path\"; env K=\"v\" }",
        summary: "A builder image with its caches and environment; a stage uses it with toolchain=NAME.",
        props: &[p(
            "image",
            "The toolchain's image reference (may use ${ARG}s).",
        )],
    },
    NodeDoc {
        name: "stage",
        place: Place::TopLevel,
        usage: "stage NAME from=BASE|toolchain=NAME { steps }",
        summary: "A build stage (not shipped): its steps run on a base image, a toolchain or another stage.",
        props: &[
            p(
                "from",
                "The base: a stage name, an image reference or `scratch`.",
            ),
            p(
                "toolchain",
                "Build on this toolchain's image, with its caches and env.",
            ),
            p(
                "platform",
                "The stage's platform, e.g. \"${BUILDPLATFORM}\".",
            ),
            PropDoc {
                name: "target-only",
                values: BOOL,
                summary: "Built only when asked for with --target (a test stage).",
            },
            PropDoc {
                name: "extend",
                values: BOOL,
                summary: "Add these steps to a stage of the same name (from a template).",
            },
        ],
    },
    NodeDoc {
        name: "artifact",
        place: Place::TopLevel,
        usage: "artifact NAME from=STAGE path=\"/out/x\"",
        summary: "A named file or directory a stage makes; `copy artifact=NAME` takes it.",
        props: &[
            p("from", "The stage that makes it."),
            p("path", "Where it is in that stage."),
        ],
    },
    NodeDoc {
        name: "image",
        place: Place::TopLevel,
        usage: "image NAME from=BASE { steps }",
        summary: "An image the build produces (a final stage).",
        props: &[
            p(
                "from",
                "The base: a stage name, an image reference or `scratch`.",
            ),
            p("platform", "The image's platform."),
            PropDoc {
                name: "extend",
                values: BOOL,
                summary: "Add these steps to an image of the same name (from a template).",
            },
        ],
    },
    NodeDoc {
        name: "use",
        place: Place::TopLevel,
        usage: "use PRESET param=value... { param \"value\" }",
        summary: "Expand a preset or platform template into stages and images (`msbc presets` lists them).",
        props: &[],
    },
    NodeDoc {
        name: "dockerfile",
        place: Place::TopLevel,
        usage: "dockerfile syntax=\"docker/dockerfile:1\"",
        summary: "Dockerfile output settings.",
        props: &[p(
            "syntax",
            "The `# syntax=` frontend image, or \"none\" for engines without BuildKit's frontend.",
        )],
    },
    NodeDoc {
        name: "templates",
        place: Place::TopLevel,
        usage: "templates \"dir\"...",
        summary: "Folders of platform templates for `use`, relative to the spec.",
        props: &[],
    },
    NodeDoc {
        name: "policy",
        place: Place::TopLevel,
        usage: "policy { allowed-registries \"docker.io\"; require-digest #true; ... }",
        summary: "Rules a platform team sets for every image (E04xx).",
        props: &[],
    },
    NodeDoc {
        name: "workdir",
        place: Place::Step,
        usage: "workdir \"/path\"",
        summary: "Set the working directory (WORKDIR).",
        props: &[],
    },
    NodeDoc {
        name: "copy",
        place: Place::Step,
        usage: "copy \"src\"... to=\"dest\" [from=STAGE|artifact=NAME]",
        summary: "Copy files from the context, a stage, an image or an artifact (COPY).",
        props: &[
            p("to", "The destination (a directory when it ends with `/`)."),
            p(
                "from",
                "Copy from this stage or image instead of the context.",
            ),
            p("artifact", "Copy this artifact."),
            p("chown", "Owner user[:group]."),
            p("chmod", "Octal mode, e.g. \"0755\"."),
            PropDoc {
                name: "link",
                values: BOOL,
                summary: "COPY --link: an independent layer.",
            },
        ],
    },
    NodeDoc {
        name: "run",
        place: Place::Step,
        usage: "run \"script\" [network=\"none\"] { cache \"/path\"; secret \"id\" }",
        summary: "Run a shell script (RUN), with mounts as children.",
        props: &[PropDoc {
            name: "network",
            values: &["\"default\"", "\"none\"", "\"host\""],
            summary: "The run's network sandbox.",
        }],
    },
    NodeDoc {
        name: "env",
        place: Place::Step,
        usage: "env NAME=\"value\"...",
        summary: "Set environment variables (ENV), left to right.",
        props: &[],
    },
    NodeDoc {
        name: "label",
        place: Place::Step,
        usage: "label \"key\"=\"value\"...",
        summary: "Image labels (LABEL).",
        props: &[],
    },
    NodeDoc {
        name: "user",
        place: Place::Step,
        usage: "user \"name[:group]\"",
        summary: "The user that runs what follows and the image (USER).",
        props: &[],
    },
    NodeDoc {
        name: "expose",
        place: Place::Step,
        usage: "expose 8080 \"53/udp\"...",
        summary: "Ports the image listens on (EXPOSE).",
        props: &[],
    },
    NodeDoc {
        name: "entrypoint",
        place: Place::Step,
        usage: "entrypoint \"/bin/app\" \"arg\"...",
        summary: "The image's entrypoint, exec form (ENTRYPOINT).",
        props: &[],
    },
    NodeDoc {
        name: "cmd",
        place: Place::Step,
        usage: "cmd \"arg\"...",
        summary: "The image's default command or entrypoint arguments (CMD).",
        props: &[],
    },
    NodeDoc {
        name: "healthcheck",
        place: Place::Step,
        usage: "healthcheck \"cmd\"... interval=\"30s\" | healthcheck #none",
        summary: "How the engine checks the container is healthy (HEALTHCHECK).",
        props: &[
            p("interval", "Time between checks, e.g. \"30s\"."),
            p("timeout", "Time a check may take."),
            p("start-period", "Grace time after start."),
            p(
                "start-interval",
                "Time between checks during the start period.",
            ),
            p("retries", "Failures before unhealthy."),
        ],
    },
    NodeDoc {
        name: "volume",
        place: Place::Step,
        usage: "volume \"/data\"...",
        summary: "Mount points for volumes (VOLUME).",
        props: &[],
    },
    NodeDoc {
        name: "stopsignal",
        place: Place::Step,
        usage: "stopsignal \"SIGTERM\"",
        summary: "The signal that stops the container (STOPSIGNAL).",
        props: &[],
    },
    NodeDoc {
        name: "shell",
        place: Place::Step,
        usage: "shell \"/bin/bash\" \"-c\"",
        summary: "The shell later `run` scripts use (SHELL).",
        props: &[],
    },
    NodeDoc {
        name: "cache",
        place: Place::Mount,
        usage: "cache \"/path\" [id=\"x\"] [sharing=\"shared\"]",
        summary: "A cache mount kept between builds (--mount=type=cache).",
        props: &[
            p("id", "The cache's id (default: the path)."),
            PropDoc {
                name: "sharing",
                values: &["\"shared\"", "\"private\"", "\"locked\""],
                summary: "How concurrent builds share it.",
            },
        ],
    },
    NodeDoc {
        name: "secret",
        place: Place::Mount,
        usage: "secret \"id\" [target=\"/run/secrets/id\"] [env=\"NAME\"] [required=#true]",
        summary: "A build secret, never in a layer (--mount=type=secret).",
        props: &[
            p("target", "Where the file appears."),
            p("env", "Expose it as this environment variable instead."),
            PropDoc {
                name: "required",
                values: BOOL,
                summary: "Fail when the build gets no such secret.",
            },
        ],
    },
    NodeDoc {
        name: "ssh",
        place: Place::Mount,
        usage: "ssh [\"id\"] [target=\"/path\"] [required=#true]",
        summary: "The builder's SSH agent (--mount=type=ssh).",
        props: &[
            p("id", "The agent's id (default `default`)."),
            p("target", "The socket's path."),
            PropDoc {
                name: "required",
                values: BOOL,
                summary: "Fail when there is no agent.",
            },
        ],
    },
    NodeDoc {
        name: "tmpfs",
        place: Place::Mount,
        usage: "tmpfs \"/path\" [size=\"64m\"]",
        summary: "A memory filesystem for the run (--mount=type=tmpfs).",
        props: &[p("size", "Its size limit.")],
    },
    NodeDoc {
        name: "bind",
        place: Place::Mount,
        usage: "bind \"/target\" [from=STAGE] [source=\"/path\"] [rw=#true]",
        summary: "Files of the context, a stage or an image, mounted for the run (--mount=type=bind).",
        props: &[
            p("from", "Mount from this stage or image."),
            p("source", "The path in it."),
            PropDoc {
                name: "rw",
                values: BOOL,
                summary: "Writable (changes are dropped after the run).",
            },
        ],
    },
    NodeDoc {
        name: "env",
        place: Place::Toolchain,
        usage: "env NAME=\"value\"...",
        summary: "Environment every stage on this toolchain gets.",
        props: &[],
    },
    NodeDoc {
        name: "cache",
        place: Place::Toolchain,
        usage: "cache \"/path\" [id=\"x\"] [sharing=\"shared\"]",
        summary: "A cache mounted on every run of stages on this toolchain.",
        props: &[
            p("id", "The cache's id (default: the path)."),
            PropDoc {
                name: "sharing",
                values: &["\"shared\"", "\"private\"", "\"locked\""],
                summary: "How concurrent builds share it.",
            },
        ],
    },
    NodeDoc {
        name: "ignore",
        place: Place::Context,
        usage: "ignore \"pattern\"...",
        summary: "Context paths never sent to the engine (.dockerignore).",
        props: &[],
    },
    NodeDoc {
        name: "allowed-registries",
        place: Place::Policy,
        usage: "allowed-registries \"docker.io\"...",
        summary: "Registries base images may come from.",
        props: &[],
    },
    NodeDoc {
        name: "require-digest",
        place: Place::Policy,
        usage: "require-digest #true",
        summary: "Every base image must be pinned by digest.",
        props: &[],
    },
    NodeDoc {
        name: "forbid-root",
        place: Place::Policy,
        usage: "forbid-root #true",
        summary: "No image may run as root.",
        props: &[],
    },
    NodeDoc {
        name: "required-labels",
        place: Place::Policy,
        usage: "required-labels \"org.opencontainers.image.source\"...",
        summary: "Labels every image must have.",
        props: &[],
    },
];

/// The nodes that may be written at `place`.
pub fn nodes_at(place: Place) -> impl Iterator<Item = &'static NodeDoc> {
    NODES.iter().filter(move |n| n.place == place)
}

/// The reference of node `name` at `place` (or anywhere, for `Unknown`).
pub fn node(name: &str, place: Place) -> Option<&'static NodeDoc> {
    NODES
        .iter()
        .find(|n| n.name == name && (n.place == place || place == Place::Unknown))
        .or_else(|| NODES.iter().find(|n| n.name == name))
}

/// What a child of node `parent` is.
pub fn place_inside(parent: &str) -> Place {
    match parent {
        "stage" | "image" => Place::Step,
        "run" => Place::Mount,
        "toolchain" => Place::Toolchain,
        "context" => Place::Context,
        "policy" => Place::Policy,
        _ => Place::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table names exactly the nodes the parser knows.
    #[test]
    fn in_step_with_the_parser() {
        let top: Vec<&str> = nodes_at(Place::TopLevel).map(|n| n.name).collect();
        for name in &crate::syntax::node_names(crate::syntax::Place::TopLevel) {
            assert!(top.contains(name), "no reference for top-level `{name}`");
        }
        let steps: Vec<&str> = nodes_at(Place::Step).map(|n| n.name).collect();
        assert_eq!(steps, crate::syntax::node_names(crate::syntax::Place::Step));
        // Each name the reference adds must parse where it says.
        for n in nodes_at(Place::TopLevel) {
            let src = format!("msbc 1\n{} x\n", n.name);
            let mut diags = crate::diag::Diagnostics::new();
            let _ = crate::syntax::parse(&src, &mut diags);
            assert!(
                !diags
                    .iter()
                    .any(|d| d.code == crate::diag::Code::UnknownNode),
                "{}: {diags:?}",
                n.name
            );
        }
        for n in nodes_at(Place::Mount) {
            let src = format!(
                "msbc 1\nimage a from=\"x\" {{ run \"y\" {{ {} \"/z\"; }} }}\n",
                n.name
            );
            let mut diags = crate::diag::Diagnostics::new();
            let _ = crate::syntax::parse(&src, &mut diags);
            assert!(
                !diags
                    .iter()
                    .any(|d| d.code == crate::diag::Code::UnknownNode),
                "{}: {diags:?}",
                n.name
            );
        }
    }
}
