//! What the editor shows for each node of the language: how it is written,
//! what it does, its properties. The walker's table (`walk::NODES`) points
//! each node at its entry here, so a node cannot be added without one; the
//! children a few nodes read themselves (`toolchain`, `context`, `policy`)
//! are listed here with theirs, and those walkers take their names from here.

/// A property: its name, allowed values (empty: any) and what it does.
#[derive(Debug, Clone, Copy)]
pub struct PropDoc {
    pub name: &'static str,
    pub values: &'static [&'static str],
    pub summary: &'static str,
}

/// A node's line of the reference.
#[derive(Debug, Clone, Copy)]
pub struct NodeDoc {
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

pub(crate) const MSBC: NodeDoc = NodeDoc {
    usage: "msbc 1",
    summary: "The spec's format version; the first node of every spec.",
    props: &[],
};

pub(crate) const ARG: NodeDoc = NodeDoc {
    usage: "arg NAME [\"default\"]",
    summary: "A build argument (Dockerfile ARG), referenced as ${NAME}; without a default it must be given at build time.",
    props: &[],
};

pub(crate) const CONTEXT: NodeDoc = NodeDoc {
    usage: "context [\"../..\"] { ignore \"pattern\"... }",
    summary: "The build context: the folder builds run from, relative to the spec (`..` only; default the spec's folder; `copy` paths are relative to it), and `ignore` patterns, written as the .dockerignore after the context's own .dockerignore.",
    props: &[],
};

pub(crate) const TOOLCHAIN: NodeDoc = NodeDoc {
    usage: "toolchain NAME image=\"ref\" { cache \"/path\"; env K=\"v\" }",
    summary: "A builder image with its caches and environment; a stage uses it with toolchain=NAME.",
    props: &[p(
        "image",
        "The toolchain's image reference (may use ${ARG}s).",
    )],
};

pub(crate) const STAGE: NodeDoc = NodeDoc {
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
};

pub(crate) const ARTIFACT: NodeDoc = NodeDoc {
    usage: "artifact NAME from=STAGE path=\"/out/x\"",
    summary: "A named file or directory a stage makes; `copy artifact=NAME` takes it.",
    props: &[
        p("from", "The stage that makes it."),
        p("path", "Where it is in that stage."),
    ],
};

pub(crate) const IMAGE: NodeDoc = NodeDoc {
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
};

pub(crate) const USE: NodeDoc = NodeDoc {
    usage: "use PRESET param=value... { param \"value\" }",
    summary: "Expand a preset or platform template into stages and images (`msbc presets` lists them).",
    props: &[],
};

pub(crate) const DOCKERFILE: NodeDoc = NodeDoc {
    usage: "dockerfile syntax=\"docker/dockerfile:1\"",
    summary: "Dockerfile output settings.",
    props: &[p(
        "syntax",
        "The `# syntax=` frontend image, or \"none\" for engines without BuildKit's frontend.",
    )],
};

pub(crate) const TEMPLATES: NodeDoc = NodeDoc {
    usage: "templates \"dir\"...",
    summary: "Folders of platform templates for `use`, relative to the spec.",
    props: &[],
};

pub(crate) const POLICY: NodeDoc = NodeDoc {
    usage: "policy { allowed-registries \"docker.io\"; require-digest #true; ... }",
    summary: "Rules a platform team sets for every image (E04xx).",
    props: &[],
};

pub(crate) const WORKDIR: NodeDoc = NodeDoc {
    usage: "workdir \"/path\"",
    summary: "Set the working directory (WORKDIR).",
    props: &[],
};

pub(crate) const COPY: NodeDoc = NodeDoc {
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
};

pub(crate) const RUN: NodeDoc = NodeDoc {
    usage: "run \"script\" [network=\"none\"] { cache \"/path\"; secret \"id\" }",
    summary: "Run a shell script (RUN), with mounts as children.",
    props: &[PropDoc {
        name: "network",
        values: &["\"default\"", "\"none\"", "\"host\""],
        summary: "The run's network sandbox.",
    }],
};

pub(crate) const ENV: NodeDoc = NodeDoc {
    usage: "env NAME=\"value\"...",
    summary: "Set environment variables (ENV), left to right.",
    props: &[],
};

pub(crate) const LABEL: NodeDoc = NodeDoc {
    usage: "label \"key\"=\"value\"...",
    summary: "Image labels (LABEL).",
    props: &[],
};

pub(crate) const USER: NodeDoc = NodeDoc {
    usage: "user \"name[:group]\"",
    summary: "The user that runs what follows and the image (USER).",
    props: &[],
};

pub(crate) const EXPOSE: NodeDoc = NodeDoc {
    usage: "expose 8080 \"53/udp\"...",
    summary: "Ports the image listens on (EXPOSE).",
    props: &[],
};

pub(crate) const ENTRYPOINT: NodeDoc = NodeDoc {
    usage: "entrypoint \"/bin/app\" \"arg\"...",
    summary: "The image's entrypoint, exec form (ENTRYPOINT).",
    props: &[],
};

pub(crate) const CMD: NodeDoc = NodeDoc {
    usage: "cmd \"arg\"...",
    summary: "The image's default command or entrypoint arguments (CMD).",
    props: &[],
};

pub(crate) const HEALTHCHECK: NodeDoc = NodeDoc {
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
};

pub(crate) const VOLUME: NodeDoc = NodeDoc {
    usage: "volume \"/data\"...",
    summary: "Mount points for volumes (VOLUME).",
    props: &[],
};

pub(crate) const STOPSIGNAL: NodeDoc = NodeDoc {
    usage: "stopsignal \"SIGTERM\"",
    summary: "The signal that stops the container (STOPSIGNAL).",
    props: &[],
};

pub(crate) const SHELL: NodeDoc = NodeDoc {
    usage: "shell \"/bin/bash\" \"-c\"",
    summary: "The shell later `run` scripts use (SHELL).",
    props: &[],
};

pub(crate) const CACHE: NodeDoc = NodeDoc {
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
};

pub(crate) const SECRET: NodeDoc = NodeDoc {
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
};

pub(crate) const SSH: NodeDoc = NodeDoc {
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
};

pub(crate) const TMPFS: NodeDoc = NodeDoc {
    usage: "tmpfs \"/path\" [size=\"64m\"]",
    summary: "A memory filesystem for the run (--mount=type=tmpfs).",
    props: &[p("size", "Its size limit.")],
};

pub(crate) const BIND: NodeDoc = NodeDoc {
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
};

/// The children of `toolchain { ... }`.
pub(crate) const TOOLCHAIN_CHILDREN: &[(&str, NodeDoc)] = &[
    (
        "env",
        NodeDoc {
            usage: "env NAME=\"value\"...",
            summary: "Environment every stage on this toolchain gets.",
            props: &[],
        },
    ),
    (
        "cache",
        // Read by the same walker as a `run`'s cache mount.
        NodeDoc {
            usage: CACHE.usage,
            summary: "A cache mounted on every run of stages on this toolchain.",
            props: CACHE.props,
        },
    ),
];

/// The children of `context { ... }`.
pub(crate) const CONTEXT_CHILDREN: &[(&str, NodeDoc)] = &[(
    "ignore",
    NodeDoc {
        usage: "ignore \"pattern\"...",
        summary: "Context paths never sent to the engine (.dockerignore).",
        props: &[],
    },
)];

/// The children of `policy { ... }`.
pub(crate) const POLICY_CHILDREN: &[(&str, NodeDoc)] = &[
    (
        "allowed-registries",
        NodeDoc {
            usage: "allowed-registries \"docker.io\"...",
            summary: "Registries base images may come from.",
            props: &[],
        },
    ),
    (
        "require-digest",
        NodeDoc {
            usage: "require-digest #true",
            summary: "Every base image must be pinned by digest.",
            props: &[],
        },
    ),
    (
        "forbid-root",
        NodeDoc {
            usage: "forbid-root #true",
            summary: "No image may run as root.",
            props: &[],
        },
    ),
    (
        "required-labels",
        NodeDoc {
            usage: "required-labels \"org.opencontainers.image.source\"...",
            summary: "Labels every image must have.",
            props: &[],
        },
    ),
];

/// The names of a node's children in a table above.
pub(crate) fn child_names(table: &[(&'static str, NodeDoc)]) -> Vec<&'static str> {
    table.iter().map(|(n, _)| *n).collect()
}
