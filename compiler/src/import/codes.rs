//! The importer's codes (`I0xx` warnings, `I1xx` errors) and its results.

/// Import codes. Warnings: `I001`–`I099`; errors (the input is not a
/// Dockerfile msbc can read): `I1xx`. They are not spec diagnostics (there
/// is no `build.kdl` to point into), so they live here, not in `diag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ImportCode {
    /// An instruction the spec has no equivalent for (ONBUILD, MAINTAINER).
    UnsupportedInstruction,
    /// A flag or option the spec cannot express (RUN --security, ...).
    UnsupportedFlag,
    /// A variable that is neither a declared ARG nor an earlier ENV.
    UnmappedVariable,
    /// ADD of a URL, git repository or archive.
    RemoteAdd,
    /// Written in an equivalent but different form.
    Approximated,
    /// The input is not UTF-8 text.
    NotText,
    /// The input does not parse as a Dockerfile.
    NotDockerfile,
    /// The input has no `FROM`.
    NoStage,
}

impl ImportCode {
    /// Every import code, in catalogue order.
    pub const ALL: &'static [ImportCode] = &[
        ImportCode::UnsupportedInstruction,
        ImportCode::UnsupportedFlag,
        ImportCode::UnmappedVariable,
        ImportCode::RemoteAdd,
        ImportCode::Approximated,
        ImportCode::NotText,
        ImportCode::NotDockerfile,
        ImportCode::NoStage,
    ];

    /// `I001`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ImportCode::UnsupportedInstruction => "I001",
            ImportCode::UnsupportedFlag => "I002",
            ImportCode::UnmappedVariable => "I003",
            ImportCode::RemoteAdd => "I004",
            ImportCode::Approximated => "I005",
            ImportCode::NotText => "I101",
            ImportCode::NotDockerfile => "I102",
            ImportCode::NoStage => "I103",
        }
    }

    /// A short kebab-case name.
    pub fn slug(self) -> &'static str {
        match self {
            ImportCode::UnsupportedInstruction => "unsupported-instruction",
            ImportCode::UnsupportedFlag => "unsupported-flag",
            ImportCode::UnmappedVariable => "unmapped-variable",
            ImportCode::RemoteAdd => "remote-add",
            ImportCode::Approximated => "approximated",
            ImportCode::NotText => "not-text",
            ImportCode::NotDockerfile => "not-a-dockerfile",
            ImportCode::NoStage => "no-stage",
        }
    }
}

impl std::fmt::Display for ImportCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the spec does not say exactly as the Dockerfile did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line of the Dockerfile.
    pub line: usize,
    /// What kind of warning.
    pub code: ImportCode,
    /// What the spec says differently, in words.
    pub message: String,
    /// The spec builds something else than the Dockerfile (an instruction,
    /// flag or value left out or changed), as opposed to the same build
    /// written another way (`ADD` of local files as `copy`, `:latest`
    /// spelled out). `msbc diff` reports these as differences.
    pub lossy: bool,
}

/// Why the input cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based; 0 when no line is to blame.
    pub line: usize,
    /// What kind of problem.
    pub code: ImportCode,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}

/// An imported spec.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The spec, as KDL text.
    pub kdl: String,
    /// What it does not say exactly as the Dockerfile did.
    pub warnings: Vec<Warning>,
}
