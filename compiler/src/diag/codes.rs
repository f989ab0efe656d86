//! The catalogue of diagnostic codes. A code never changes meaning once
//! published; retired codes are not reused. Each has a long explanation in
//! `diag/explain/<CODE>.md` (printed by `msbc explain`), a fixture in
//! `tests/fixtures/diagnostics/` and a snapshot of what it reports there.

use super::Severity;
use serde::{Serialize, Serializer};

macro_rules! codes {
    ($( $variant:ident = ($code:literal, $slug:literal, $sev:ident, $summary:literal), )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// `E0201`, `W0001`, ...
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A short kebab-case name, e.g. `unknown-stage`.
            pub fn slug(self) -> &'static str {
                match self { $( Code::$variant => $slug, )* }
            }

            /// Error or warning.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// One line: what the code is about.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }

            /// The long explanation, with a wrong and a right example.
            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => include_str!(concat!("explain/", $code, ".md")), )* }
            }
        }
    };
}

codes! {
    // Input and file shape.
    KdlSyntax = ("E0001", "kdl-syntax", Error, "the file is not valid KDL v2"),
    InvalidUtf8 = ("E0002", "invalid-utf8", Error, "the file is not UTF-8 text"),
    MissingVersion = ("E0003", "missing-version", Error, "the first node must be `msbc 1`"),
    UnsupportedVersion = ("E0004", "unsupported-version", Error, "this msbc does not know that format version"),
    NoImage = ("E0005", "no-image", Error, "the spec defines no image"),
    HashComment = ("E0006", "hash-comment", Error, "a Dockerfile-style `#` comment; KDL comments start with `//`"),
    UnquotedCommand = ("E0007", "unquoted-command", Error, "a `run` command written as bare words, not one quoted string"),
    // Node and value shape.
    UnknownNode = ("E0101", "unknown-node", Error, "a node msbc does not know"),
    UnknownProperty = ("E0102", "unknown-property", Error, "a property the node does not take"),
    WrongType = ("E0103", "wrong-type", Error, "a value of the wrong type"),
    MissingValue = ("E0104", "missing-value", Error, "a required argument or property is missing"),
    UnexpectedArgument = ("E0105", "unexpected-argument", Error, "more arguments than the node takes"),
    DuplicateProperty = ("E0106", "duplicate-property", Error, "the same property given twice"),
    MisplacedNode = ("E0107", "misplaced-node", Error, "a node in a place where it has no meaning"),
    ConflictingProperties = ("E0108", "conflicting-properties", Error, "properties that exclude each other"),
    InvalidName = ("E0109", "invalid-name", Error, "a name that the output format cannot carry"),
    UnknownPreset = ("E0110", "unknown-preset", Error, "`use` names a preset or template that does not exist"),
    InvalidValue = ("E0111", "invalid-value", Error, "a value outside the allowed set"),
    UnknownParameter = ("E0112", "unknown-parameter", Error, "`use` gives a parameter the template does not declare"),
    TemplateError = ("E0113", "template-error", Error, "a template could not be rendered or read"),
    TemplateCycle = ("E0114", "template-cycle", Error, "templates that use each other in a circle"),
    PresetRefused = ("E0115", "preset-refused", Error, "a template refused the combination of parameters it was given"),
    ContextNotAncestor = ("E0120", "context-not-ancestor", Error, "the build context must be the spec's folder or a folder above it"),
    // Names and references.
    DuplicateName = ("E0201", "duplicate-name", Error, "two declarations with the same name"),
    UnknownStage = ("E0202", "unknown-stage", Error, "a reference to a stage that does not exist"),
    UnknownArtifact = ("E0203", "unknown-artifact", Error, "a reference to an artifact no stage makes"),
    UnknownToolchain = ("E0204", "unknown-toolchain", Error, "a reference to a toolchain that does not exist"),
    UnknownVariable = ("E0205", "unknown-variable", Error, "`${NAME}` names no arg, platform arg or earlier env"),
    DependencyCycle = ("E0206", "dependency-cycle", Error, "stages that depend on each other in a circle"),
    DuplicateMount = ("E0207", "duplicate-mount", Error, "two mounts of one `run` at the same path"),
    // Values inside strings (pest grammars).
    InvalidInterpolation = ("E0301", "invalid-interpolation", Error, "a malformed `${...}`"),
    InvalidImageReference = ("E0302", "invalid-image-reference", Error, "a malformed image reference"),
    InvalidPort = ("E0303", "invalid-port", Error, "a malformed or out-of-range port"),
    InvalidDuration = ("E0304", "invalid-duration", Error, "a malformed duration"),
    InvalidChown = ("E0305", "invalid-chown", Error, "a malformed `chown` value"),
    InvalidChmod = ("E0306", "invalid-chmod", Error, "a malformed `chmod` value"),
    InvalidPlatform = ("E0307", "invalid-platform", Error, "a malformed platform"),
    UnrepresentableValue = ("E0308", "unrepresentable-value", Error, "a value the Dockerfile cannot carry (e.g. a newline in `env`)"),
    RelativePath = ("E0309", "relative-path", Error, "a relative path where an absolute one is required"),
    // Platform policies.
    DisallowedRegistry = ("E0401", "disallowed-registry", Error, "a base image from a registry the policy does not allow"),
    UnpinnedImage = ("E0402", "unpinned-image", Error, "a base image not pinned by digest where the policy requires it"),
    RootForbidden = ("E0403", "root-forbidden", Error, "an image runs as root where the policy forbids it"),
    MissingLabel = ("E0404", "missing-label", Error, "an image lacks a label the policy requires"),
    // Secrets.
    SecretExposed = ("E0501", "secret-exposed", Error, "a build secret can reach the image (a copied path, `env`, `label` or `arg`)"),
    // The lock file (`msbc lock`, `--locked`).
    UnlockedImage = ("E0601", "unlocked-image", Error, "a base image neither in `msbc.lock` nor pinned by digest (with `--locked`)"),
    // Best-practice warnings.
    RootUser = ("W0001", "root-user", Warning, "an image runs as root"),
    MutableTag = ("W0002", "mutable-tag", Warning, "a base image with the `latest` tag or no tag"),
    SecretInEnv = ("W0003", "secret-in-env", Warning, "a secret-looking value in `env` or an `arg` default"),
    UnusedArg = ("W0004", "unused-arg", Warning, "an arg nothing uses"),
    UnusedStage = ("W0005", "unused-stage", Warning, "a stage no image or target needs; it is not emitted"),
    ProjectVersion = ("W0006", "preset-warning", Warning, "a preset warns about how it is used (a version that disagrees with the project's own)"),
    BaseImageEnv = ("W0007", "base-image-env", Warning, "`${NAME}` that only the base image's config can set, which msbc does not know without `msbc lock`"),
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = ();

    /// Accepts `E0201`, `e0201` and the slug `unknown-stage`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s) || c.slug() == s)
            .ok_or(())
    }
}
