//! The language reference, one entry per node: how it is written, what it
//! does, its arguments, properties (type, required or not, allowed values)
//! and children, and an example spec (a test checks each one cleanly). It
//! is the one table of what each node accepts: the walker's table
//! (`walk::NODES`) points each node at its entry here, so a node cannot be
//! added without one; the reader takes a node's known properties from its
//! entry ([`NodeDoc::props`]), so a property the reference does not list is
//! unknown (E0102); the children `toolchain`, `context` and `policy` read
//! are listed here with theirs, and those walkers take their names from
//! here. The editor's hover and completion and `msbc explain NODE` read it.

/// A property: its name, type, whether it is required, allowed values
/// (empty: any) and what it does.
#[derive(Debug, Clone, Copy)]
pub struct PropDoc {
    /// The property's name.
    pub name: &'static str,
    /// What the value is: `string`, `name`, `boolean`, `integer`, ...
    pub ty: &'static str,
    /// Whether the node needs it.
    pub required: bool,
    /// The values it takes; empty: any of its type.
    pub values: &'static [&'static str],
    /// One line: what it does.
    pub summary: &'static str,
}

/// What a node's block holds.
#[derive(Debug, Clone, Copy)]
pub enum Children {
    /// No block.
    None,
    /// The steps of a stage or image.
    Steps,
    /// The mounts of a `run`.
    Mounts,
    /// The children listed (`toolchain`, `context`, `policy`).
    Nodes(&'static [(&'static str, NodeDoc)]),
    /// A preset's parameters (`use`).
    Params,
}

/// A node's entry of the reference.
#[derive(Debug, Clone, Copy)]
pub struct NodeDoc {
    /// How it is written.
    pub usage: &'static str,
    pub summary: &'static str,
    /// What its arguments are (empty: it takes none).
    pub args: &'static str,
    pub props: &'static [PropDoc],
    pub children: Children,
    /// A whole spec that uses the node; it checks without a diagnostic.
    pub example: &'static str,
}

/// An optional property.
const fn p(name: &'static str, ty: &'static str, summary: &'static str) -> PropDoc {
    PropDoc {
        name,
        ty,
        required: false,
        values: &[],
        summary,
    }
}

/// A required property.
const fn req(name: &'static str, ty: &'static str, summary: &'static str) -> PropDoc {
    PropDoc {
        required: true,
        ..p(name, ty, summary)
    }
}

/// A boolean property.
const fn flag(name: &'static str, summary: &'static str) -> PropDoc {
    PropDoc {
        values: BOOL,
        ..p(name, "boolean", summary)
    }
}

/// A property with a fixed set of values.
const fn choice(
    name: &'static str,
    values: &'static [&'static str],
    summary: &'static str,
) -> PropDoc {
    PropDoc {
        values,
        ..p(name, "string", summary)
    }
}

const BOOL: &[&str] = &["#true", "#false"];

/// A doc with no properties, no children and the given example.
const fn plain(
    usage: &'static str,
    summary: &'static str,
    args: &'static str,
    example: &'static str,
) -> NodeDoc {
    NodeDoc {
        usage,
        summary,
        args,
        props: &[],
        children: Children::None,
        example,
    }
}

pub(crate) const MSBC: NodeDoc = plain(
    "msbc 1",
    "The spec's format version; the first node of every spec.",
    "the format version, an integer (1)",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n}\n",
);

pub(crate) const ARG: NodeDoc = plain(
    "arg NAME [\"default\"]",
    "A build argument (Dockerfile ARG), referenced as ${NAME}; without a default it must be given at build time (--arg, --build-arg).",
    "the name (letters, digits and `_`), then an optional default (a string; a number or boolean is taken as written)",
    "msbc 1\narg ALPINE \"3.20\"\nimage app from=\"alpine:${ALPINE}\" {\n    user \"10001\"\n}\n",
);

const CONTEXT_EXAMPLE: &str = "msbc 1\ncontext {\n    ignore \".git\" \"target/\" \"**/*.log\"\n}\nimage app from=\"alpine:3.20\" {\n    copy \".\" to=\"/app/\"\n    user \"10001\"\n}\n";

pub(crate) const CONTEXT: NodeDoc = NodeDoc {
    usage: "context [\"../..\"] { ignore \"pattern\"... }",
    summary: "The build context: the folder builds run from, relative to the spec (`..` only; default the spec's folder; `copy` paths are relative to it), and `ignore` patterns, written as the .dockerignore after the context's own .dockerignore.",
    args: "an optional folder, relative to the spec, made of `..` only (default: the spec's folder)",
    props: &[],
    children: Children::Nodes(CONTEXT_CHILDREN),
    example: CONTEXT_EXAMPLE,
};

const TOOLCHAIN_EXAMPLE: &str = "msbc 1\ntoolchain go image=\"golang:1.23-bookworm\" {\n    cache \"/root/.cache/go-build\"\n    env CGO_ENABLED=\"0\"\n}\nstage build toolchain=go {\n    workdir \"/src\"\n    copy \".\" to=\"./\"\n    run \"go build -o /out/app .\"\n}\nimage app from=\"gcr.io/distroless/static-debian12:nonroot\" {\n    copy from=build \"/out/app\" to=\"/app\"\n    user \"65532\"\n    entrypoint \"/app\"\n}\n";

pub(crate) const TOOLCHAIN: NodeDoc = NodeDoc {
    usage: "toolchain NAME image=\"ref\" { cache \"/path\"; env K=\"v\" }",
    summary: "A builder image with its caches and environment; a stage uses it with toolchain=NAME.",
    args: "the toolchain's name",
    props: &[req(
        "image",
        "image reference",
        "The toolchain's image reference (may use ${ARG}s).",
    )],
    children: Children::Nodes(TOOLCHAIN_CHILDREN),
    example: TOOLCHAIN_EXAMPLE,
};

pub(crate) const STAGE: NodeDoc = NodeDoc {
    usage: "stage NAME from=BASE|toolchain=NAME { steps }",
    summary: "A build stage (not shipped): its steps run on a base image, a toolchain or another stage.",
    args: "the stage's name (a lowercase letter, then lowercase letters, digits, `-`, `_`, `.`)",
    props: &[
        p(
            "from",
            "stage name or image reference",
            "The base: a stage name, an image reference with a tag or digest, or `scratch` (this or `toolchain=` is required).",
        ),
        p(
            "toolchain",
            "toolchain name",
            "Build on this toolchain's image, with its caches and env.",
        ),
        p(
            "platform",
            "platform",
            "The stage's platform, e.g. \"${BUILDPLATFORM}\" for a cross-compiling stage.",
        ),
        flag(
            "target-only",
            "Built only when asked for with --target (a test stage).",
        ),
        flag(
            "extend",
            "Add these steps to a stage of the same name (from a template).",
        ),
    ],
    children: Children::Steps,
    example: "msbc 1\nstage build from=\"golang:1.23-bookworm\" {\n    workdir \"/src\"\n    copy \".\" to=\"./\"\n    run \"CGO_ENABLED=0 go build -o /out/app .\"\n}\nstage test from=build target-only=#true {\n    run \"go test ./...\"\n}\nimage app from=\"gcr.io/distroless/static-debian12:nonroot\" {\n    copy from=build \"/out/app\" to=\"/app\"\n    user \"65532\"\n    entrypoint \"/app\"\n}\n",
};

pub(crate) const ARTIFACT: NodeDoc = NodeDoc {
    usage: "artifact NAME from=STAGE path=\"/out/x\"",
    summary: "A named file or directory a stage makes; `copy artifact=NAME` takes it.",
    args: "the artifact's name",
    props: &[
        req("from", "stage name", "The stage that makes it."),
        req("path", "absolute path", "Where it is in that stage."),
    ],
    children: Children::None,
    example: "msbc 1\nstage build from=\"golang:1.23-bookworm\" {\n    workdir \"/src\"\n    copy \".\" to=\"./\"\n    run \"CGO_ENABLED=0 go build -o /out/server .\"\n}\nartifact server from=build path=\"/out/server\"\nimage app from=\"gcr.io/distroless/static-debian12:nonroot\" {\n    copy artifact=server to=\"/server\"\n    user \"65532\"\n    entrypoint \"/server\"\n}\n",
};

pub(crate) const IMAGE: NodeDoc = NodeDoc {
    usage: "image NAME from=BASE { steps }",
    summary: "An image the build produces (a final stage).",
    args: "the image's name (as a stage name)",
    props: &[
        req(
            "from",
            "stage name or image reference",
            "The base: a stage name, an image reference with a tag or digest, or `scratch`.",
        ),
        p("platform", "platform", "The image's platform."),
        flag(
            "extend",
            "Add these steps to an image of the same name (from a template); then `from=` is not needed.",
        ),
    ],
    children: Children::Steps,
    example: "msbc 1\nimage app from=\"alpine:3.20\" {\n    copy \"app.sh\" to=\"/usr/local/bin/app\" chmod=\"0755\"\n    user \"10001\"\n    entrypoint \"/usr/local/bin/app\"\n}\n",
};

pub(crate) const USE: NodeDoc = NodeDoc {
    usage: "use PRESET param=value... { param \"value\" }",
    summary: "Expand a preset or platform template into stages and images (`msbc presets` lists them, `msbc presets NAME` shows one's parameters).",
    args: "the preset's name (a stdlib preset such as `go`, or a template of a `templates` folder)",
    props: &[],
    children: Children::Params,
    example: "msbc 1\nuse go {\n    main \"./cmd/server\"\n    port 8080\n}\n",
};

pub(crate) const DOCKERFILE: NodeDoc = NodeDoc {
    usage: "dockerfile syntax=\"docker/dockerfile:1\"",
    summary: "Dockerfile output settings.",
    args: "",
    props: &[p(
        "syntax",
        "image reference or \"none\"",
        "The `# syntax=` frontend image, or \"none\" for engines without BuildKit's frontend (no heredocs).",
    )],
    children: Children::None,
    example: "msbc 1\ndockerfile syntax=\"none\"\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n}\n",
};

pub(crate) const TEMPLATES: NodeDoc = plain(
    "templates \"dir\"...",
    "Folders of platform templates for `use`, relative to the spec.",
    "one or more folders",
    "msbc 1\ntemplates \"./templates\"\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n}\n",
);

const POLICY_EXAMPLE: &str = "msbc 1\npolicy {\n    allowed-registries \"docker.io\"\n    forbid-root #true\n}\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n}\n";

pub(crate) const POLICY: NodeDoc = NodeDoc {
    usage: "policy { allowed-registries \"docker.io\"; require-digest #true; ... }",
    summary: "Rules a platform team sets for every image (E04xx).",
    args: "",
    props: &[],
    children: Children::Nodes(POLICY_CHILDREN),
    example: POLICY_EXAMPLE,
};

pub(crate) const PUBLISH: NodeDoc = NodeDoc {
    usage: "publish [IMAGE] registry=\"host/team\"|repository=\"host/team/app\" { tag \"${VERSION}\" \"latest\"; platform \"linux/amd64\" \"linux/arm64\" }",
    summary: "Where an image is pushed: its repository, tags and platforms (what `msbc bake` writes). Without IMAGE it sets them for every image of the spec, as a platform template does once for its team; an image's own `publish` overrides them field by field, and the spec's own nodes override a template's.",
    args: "the image it is for (an `image` name); none: every image",
    props: &[
        p(
            "registry",
            "registry and path",
            "The repository is REGISTRY/IMAGE (`registry.example.com/team` makes `registry.example.com/team/api`); may use ${ARG}s.",
        ),
        p(
            "repository",
            "repository",
            "The whole repository of one image, without a tag (not with `registry=`); may use ${ARG}s.",
        ),
    ],
    children: Children::Nodes(PUBLISH_CHILDREN),
    example: PUBLISH_EXAMPLE,
};

const PUBLISH_EXAMPLE: &str = "msbc 1\narg VERSION \"1.0.0\"\npublish registry=\"registry.example.com/team\" {\n    platform \"linux/amd64\" \"linux/arm64\"\n}\npublish app {\n    tag \"${VERSION}\" \"latest\"\n}\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n}\n";

pub(crate) const PUBLISH_CHILDREN: &[(&str, NodeDoc)] = &[
    (
        "tag",
        plain(
            "tag \"${VERSION}\" \"latest\"",
            "The tags the image is pushed with (default `latest`).",
            "the tags, one or more (letters, digits, `_`, `.`, `-`; may use ${ARG}s such as a version or a commit)",
            PUBLISH_EXAMPLE,
        ),
    ),
    (
        "platform",
        plain(
            "platform \"linux/amd64\" \"linux/arm64\"",
            "The platforms the image is built for, one manifest each (default: the image's `platform=`, else the builder's).",
            "the platforms, one or more (`os/arch[/variant]`)",
            PUBLISH_EXAMPLE,
        ),
    ),
];

pub(crate) const WORKDIR: NodeDoc = plain(
    "workdir \"/path\"",
    "Set the working directory (WORKDIR); a relative path is taken from the one before.",
    "the directory (may use ${NAME})",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    workdir \"/app\"\n    copy \"app.sh\" to=\"./\"\n    user \"10001\"\n}\n",
);

pub(crate) const COPY: NodeDoc = NodeDoc {
    usage: "copy \"src\"... to=\"dest\" [from=STAGE|artifact=NAME]",
    summary: "Copy files from the context, a stage, an image or an artifact (COPY).",
    args: "the source paths, one or more (none with `artifact=`)",
    props: &[
        req(
            "to",
            "path",
            "The destination (a directory when it ends with `/`).",
        ),
        p(
            "from",
            "stage name or image reference",
            "Copy from this stage or image instead of the context.",
        ),
        p(
            "artifact",
            "artifact name",
            "Copy this artifact (not with `from=` or source paths).",
        ),
        p("chown", "string", "Owner user[:group]."),
        p("chmod", "string", "Octal mode, e.g. \"0755\"."),
        flag("link", "COPY --link: an independent layer."),
    ],
    children: Children::None,
    example: "msbc 1\nstage build from=\"golang:1.23-bookworm\" {\n    workdir \"/src\"\n    copy \"go.mod\" \"go.sum\" to=\"./\"\n    run \"go mod download\"\n    copy \".\" to=\"./\"\n    run \"CGO_ENABLED=0 go build -o /out/app .\"\n}\nimage app from=\"gcr.io/distroless/static-debian12:nonroot\" {\n    copy from=build \"/out/app\" to=\"/app\" chmod=\"0755\" link=#true\n    user \"65532\"\n    entrypoint \"/app\"\n}\n",
};

pub(crate) const RUN: NodeDoc = NodeDoc {
    usage: "run \"script\" [network=\"none\"] { cache \"/path\"; secret \"id\" }",
    summary: "Run a shell script (RUN), with mounts as children; with `exec=#true` the arguments are a program and its arguments, run without a shell.",
    args: "the script, one string (a multi-line string for several lines); with `exec=#true`, the program and its arguments",
    props: &[
        choice(
            "network",
            &["\"default\"", "\"none\"", "\"host\""],
            "The run's network sandbox.",
        ),
        flag(
            "exec",
            "Run the arguments as a program without a shell (exec form).",
        ),
    ],
    children: Children::Mounts,
    example: "msbc 1\nimage app from=\"python:3.12-slim\" {\n    workdir \"/app\"\n    copy \"requirements.txt\" to=\"./\"\n    run \"pip install -r requirements.txt\" {\n        cache \"/root/.cache/pip\"\n    }\n    user \"10001\"\n}\n",
};

pub(crate) const ENV: NodeDoc = plain(
    "env NAME=\"value\"...",
    "Set environment variables (ENV), left to right; a value may use ${NAME} of an arg or an earlier env.",
    "none; the variables are NAME=\"value\" properties, one or more",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    env APP_HOME=\"/app\" PATH=\"/app/bin:${PATH}\"\n    user \"10001\"\n}\n",
);

pub(crate) const LABEL: NodeDoc = plain(
    "label \"key\"=\"value\"... | label \"key\" \"value\"",
    "Image labels (LABEL).",
    "a key and a value, or none with \"key\"=\"value\" pairs",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    label \"org.opencontainers.image.source\"=\"https://example.com/app\"\n    user \"10001\"\n}\n",
);

pub(crate) const USER: NodeDoc = plain(
    "user \"name[:group]\"",
    "The user that runs what follows and the image (USER).",
    "the user, by name or id, with an optional group",
    "msbc 1\nimage app from=\"node:22-bookworm-slim\" {\n    user \"node\"\n}\n",
);

pub(crate) const EXPOSE: NodeDoc = plain(
    "expose 8080 \"53/udp\"...",
    "Ports the image listens on (EXPOSE).",
    "ports, one or more: an integer, or \"PORT/tcp\", \"PORT/udp\", a range \"8000-8010\"",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    expose 8080 \"53/udp\"\n    user \"10001\"\n}\n",
);

pub(crate) const ENTRYPOINT: NodeDoc = plain(
    "entrypoint \"/bin/app\" \"arg\"...",
    "The image's entrypoint, exec form (ENTRYPOINT).",
    "the program and its arguments, each a string",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n    entrypoint \"/bin/sleep\" \"infinity\"\n}\n",
);

pub(crate) const CMD: NodeDoc = plain(
    "cmd \"arg\"...",
    "The image's default command or entrypoint arguments (CMD).",
    "the command and its arguments, each a string",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n    cmd \"/bin/sh\" \"-c\" \"echo hello\"\n}\n",
);

pub(crate) const HEALTHCHECK: NodeDoc = NodeDoc {
    usage: "healthcheck \"cmd\"... interval=\"30s\" | healthcheck #null",
    summary: "How the engine checks the container is healthy (HEALTHCHECK); `#null` turns off the base image's.",
    args: "the command and its arguments (one string runs in a shell), or `#null`",
    props: &[
        p("interval", "duration", "Time between checks, e.g. \"30s\"."),
        p("timeout", "duration", "Time a check may take."),
        p("start-period", "duration", "Grace time after start."),
        p(
            "start-interval",
            "duration",
            "Time between checks during the start period.",
        ),
        p("retries", "integer", "Failures before unhealthy."),
    ],
    children: Children::None,
    example: "msbc 1\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n    healthcheck \"/bin/true\" interval=\"30s\" timeout=\"5s\" retries=3\n}\n",
};

pub(crate) const VOLUME: NodeDoc = plain(
    "volume \"/data\"...",
    "Mount points for volumes (VOLUME).",
    "the paths, one or more",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    volume \"/data\"\n    user \"10001\"\n}\n",
);

pub(crate) const STOPSIGNAL: NodeDoc = plain(
    "stopsignal \"SIGTERM\"",
    "The signal that stops the container (STOPSIGNAL).",
    "a signal name such as \"SIGQUIT\", or its number",
    "msbc 1\nimage app from=\"alpine:3.20\" {\n    user \"10001\"\n    stopsignal \"SIGQUIT\"\n}\n",
);

pub(crate) const SHELL: NodeDoc = plain(
    "shell \"/bin/bash\" \"-c\"",
    "The shell later `run` scripts use (SHELL).",
    "the shell and its arguments, each a string",
    "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    shell \"/bin/bash\" \"-o\" \"pipefail\" \"-c\"\n    run \"echo ok | tee /tmp/ok\"\n    user \"10001\"\n}\n",
);

pub(crate) const CACHE: NodeDoc = NodeDoc {
    usage: "cache \"/path\" [id=\"x\"] [sharing=\"shared\"]",
    summary: "A cache mount kept between builds (--mount=type=cache).",
    args: "the path it is mounted at",
    props: &[
        p("id", "string", "The cache's id (default: the path)."),
        choice(
            "sharing",
            &["\"shared\"", "\"private\"", "\"locked\""],
            "How concurrent builds share it.",
        ),
    ],
    children: Children::None,
    example: "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    run \"apt-get update && apt-get install -y --no-install-recommends curl\" {\n        cache \"/var/cache/apt\" sharing=\"locked\"\n        cache \"/var/lib/apt\" sharing=\"locked\"\n    }\n    user \"10001\"\n}\n",
};

pub(crate) const SECRET: NodeDoc = NodeDoc {
    usage: "secret \"id\" [target=\"/run/secrets/id\"] [env=\"NAME\"] [required=#true]",
    summary: "A build secret, never in a layer (--mount=type=secret).",
    args: "the secret's id (as `--secret id=...` gives it)",
    props: &[
        p("target", "absolute path", "Where the file appears."),
        p(
            "env",
            "string",
            "Expose it as this environment variable instead.",
        ),
        flag("required", "Fail when the build gets no such secret."),
    ],
    children: Children::None,
    example: "msbc 1\nimage app from=\"node:22-bookworm-slim\" {\n    workdir \"/app\"\n    copy \"package.json\" \"package-lock.json\" to=\"./\"\n    run \"npm ci\" {\n        secret \"npmrc\" target=\"/root/.npmrc\"\n    }\n    user \"node\"\n}\n",
};

pub(crate) const SSH: NodeDoc = NodeDoc {
    usage: "ssh [id=\"default\"] [target=\"/path\"] [required=#true]",
    summary: "The builder's SSH agent (--mount=type=ssh).",
    args: "",
    props: &[
        p("id", "string", "The agent's id (default `default`)."),
        p("target", "absolute path", "The socket's path."),
        flag("required", "Fail when there is no agent."),
    ],
    children: Children::None,
    example: "msbc 1\nimage app from=\"alpine:3.20\" {\n    run \"ls -l $SSH_AUTH_SOCK\" {\n        ssh\n    }\n    user \"10001\"\n}\n",
};

pub(crate) const TMPFS: NodeDoc = NodeDoc {
    usage: "tmpfs \"/path\" [size=\"64m\"]",
    summary: "A memory filesystem for the run (--mount=type=tmpfs).",
    args: "the path it is mounted at",
    props: &[p("size", "string", "Its size limit.")],
    children: Children::None,
    example: "msbc 1\nimage app from=\"alpine:3.20\" {\n    run \"echo scratch > /tmp/work/x\" {\n        tmpfs \"/tmp/work\" size=\"64m\"\n    }\n    user \"10001\"\n}\n",
};

pub(crate) const BIND: NodeDoc = NodeDoc {
    usage: "bind \"/target\" [from=STAGE] [source=\"/path\"] [rw=#true]",
    summary: "Files of the context, a stage or an image, mounted for the run (--mount=type=bind).",
    args: "the path it is mounted at",
    props: &[
        p(
            "from",
            "stage name or image reference",
            "Mount from this stage or image.",
        ),
        p("source", "path", "The path in it."),
        flag("rw", "Writable (changes are dropped after the run)."),
    ],
    children: Children::None,
    example: "msbc 1\nimage app from=\"alpine:3.20\" {\n    run \"cp /src/app.sh /usr/local/bin/app\" {\n        bind \"/src\"\n    }\n    user \"10001\"\n}\n",
};

/// The children of `toolchain { ... }`.
pub(crate) const TOOLCHAIN_CHILDREN: &[(&str, NodeDoc)] = &[
    (
        "env",
        NodeDoc {
            summary: "Environment every stage on this toolchain gets.",
            example: TOOLCHAIN_EXAMPLE,
            ..ENV
        },
    ),
    (
        "cache",
        // Read by the same walker as a `run`'s cache mount.
        NodeDoc {
            summary: "A cache mounted on every run of stages on this toolchain.",
            example: TOOLCHAIN_EXAMPLE,
            ..CACHE
        },
    ),
];

/// The children of `context { ... }`.
pub(crate) const CONTEXT_CHILDREN: &[(&str, NodeDoc)] = &[(
    "ignore",
    plain(
        "ignore \"pattern\"...",
        "Context paths never sent to the engine (.dockerignore).",
        "the patterns, one or more (.dockerignore syntax)",
        CONTEXT_EXAMPLE,
    ),
)];

/// The children of `policy { ... }`.
pub(crate) const POLICY_CHILDREN: &[(&str, NodeDoc)] = &[
    (
        "allowed-registries",
        plain(
            "allowed-registries \"docker.io\"...",
            "Registries base images may come from.",
            "the registries, one or more",
            POLICY_EXAMPLE,
        ),
    ),
    (
        "require-digest",
        plain(
            "require-digest #true",
            "Every base image must be pinned by digest.",
            "#true (the default) or #false",
            "msbc 1\npolicy {\n    require-digest #true\n}\nimage app from=\"alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d\" {\n    user \"10001\"\n}\n",
        ),
    ),
    (
        "forbid-root",
        plain(
            "forbid-root #true",
            "No image may run as root.",
            "#true (the default) or #false",
            POLICY_EXAMPLE,
        ),
    ),
    (
        "required-labels",
        plain(
            "required-labels \"org.opencontainers.image.source\"...",
            "Labels every image must have.",
            "the label keys, one or more",
            "msbc 1\npolicy {\n    required-labels \"org.opencontainers.image.source\"\n}\nimage app from=\"alpine:3.20\" {\n    label \"org.opencontainers.image.source\"=\"https://example.com/app\"\n    user \"10001\"\n}\n",
        ),
    ),
];

/// The names of a node's children in a table above.
pub(crate) fn child_names(table: &[(&'static str, NodeDoc)]) -> Vec<&'static str> {
    table.iter().map(|(n, _)| *n).collect()
}

/// The names of a node's known properties.
pub(crate) fn prop_names(props: &[PropDoc]) -> Vec<&'static str> {
    props.iter().map(|p| p.name).collect()
}
