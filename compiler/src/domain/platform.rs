//! Platforms (`linux/arm64`): the one rule for what a valid platform is,
//! used by the spec's `platform=`, `compile --platform`, `lock --platform`,
//! the frontend's `platform` option and the LLB backend.
//!
//! The rule, in three steps:
//! 1. Shape, as containerd's `platforms.Parse` reads a specifier:
//!    `os/arch` or `os/arch/variant`, each part letters, digits, `_`, `.`
//!    or `-`, any case.
//! 2. Normalization, as containerd's `platforms.Normalize` (what BuildKit
//!    applies): lowercase; `macos` → `darwin`; `x86_64`/`x86-64` → `amd64`,
//!    `amd64/v1` → `amd64`; `aarch64` → `arm64`, `arm64/v8` (`8`, `v8.0`) →
//!    `arm64`, `arm64/9` → `arm64/v9`; `i386` → `386`; `armhf` → `arm/v7`,
//!    `armel` → `arm/v6`, `arm` → `arm/v7`, `arm/5` → `arm/v5`.
//! 3. The normalized parts must be known: an OS of [`OSES`], an
//!    architecture of [`ARCHES`] and a variant of [`variants`]. containerd
//!    takes any two-part specifier; msbc refuses what no image is published
//!    for (`linux/arm-v7`, `linux/arm65`), with a "did you mean".

use std::fmt;

/// `linux/amd64`: the default target, and the build platform msbc assumes.
/// LLB is resolved when msbc runs, not on the builder, so the build
/// platform cannot be asked for; a fixed value keeps output the same on
/// every machine.
pub const DEFAULT: &str = "linux/amd64";

/// A valid, normalized platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    /// `linux`, `windows`, ...
    pub os: String,
    /// `amd64`, `arm64`, `arm`, ...
    pub arch: String,
    /// `v7`, `v8.2`, ...; empty when there is none.
    pub variant: String,
}

/// Why a text is not a platform: the byte range of the part at fault in
/// the text, the message, and a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    /// Byte range of the offending part in the text (the whole text for a
    /// shape error).
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// What is wrong.
    pub message: String,
    /// A few words for the range (a diagnostic's label).
    pub label: String,
    /// What to write instead.
    pub help: String,
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.message, self.help)
    }
}

impl Platform {
    /// Parses and normalizes `text` by the rule of this module.
    pub fn parse(text: &str) -> Result<Platform, PlatformError> {
        let parts = shape(text)?;
        let (os, arch, variant) =
            normalize(parts[0].1, parts[1].1, parts.get(2).map_or("", |p| p.1));
        check_known(text, &parts, [Some(&*os), Some(&*arch), Some(&*variant)])?;
        Ok(Platform { os, arch, variant })
    }

    /// The default target platform, `linux/amd64`.
    pub fn default_target() -> Platform {
        Platform {
            os: "linux".to_string(),
            arch: "amd64".to_string(),
            variant: String::new(),
        }
    }

    /// The value of a platform arg (`TARGETOS`, `BUILDPLATFORM`, ...) whose
    /// name without its `TARGET`/`BUILD` prefix is `suffix`.
    pub fn arg(&self, suffix: &str) -> Option<String> {
        match suffix {
            "PLATFORM" => Some(self.to_string()),
            "OS" => Some(self.os.clone()),
            "ARCH" => Some(self.arch.clone()),
            "VARIANT" => Some(self.variant.clone()),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    /// `os/arch[/variant]`, the value of `TARGETPLATFORM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.variant.is_empty() {
            write!(f, "{}/{}", self.os, self.arch)
        } else {
            write!(f, "{}/{}/{}", self.os, self.arch, self.variant)
        }
    }
}

/// Written and read as its text (`"linux/arm/v7"`).
impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Platform, D::Error> {
        let text = String::deserialize(d)?;
        Platform::parse(&text).map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

impl std::str::FromStr for Platform {
    type Err = PlatformError;
    fn from_str(text: &str) -> Result<Platform, PlatformError> {
        Platform::parse(text)
    }
}

/// Checks a platform whose parts may hold `${...}` (a spec value such as
/// `linux/${TARGETARCH}`): the shape, and every part without `${` by the
/// same rule as [`Platform::parse`]. A value without `${` is parsed whole.
pub fn check_template(text: &str) -> Result<(), PlatformError> {
    if !text.contains("${") {
        return Platform::parse(text).map(|_| ());
    }
    let open = |p: &str| p.contains("${");
    let parts: Vec<(usize, &str)> = split(text);
    if let [(_, whole)] = parts.as_slice()
        && open(whole)
    {
        // `${BUILDPLATFORM}`: the whole platform is left to the build.
        return Ok(());
    }
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|(_, p)| p.is_empty()) {
        return Err(shape_error(text));
    }
    let os = parts[0].1;
    let arch = parts[1].1;
    let variant = parts.get(2).map_or("", |p| p.1);
    let os = (!open(os)).then(|| normalize_os(os));
    let (arch, variant) = if open(arch) || open(variant) {
        ((!open(arch)).then(|| normalize_arch(arch, "").0), None)
    } else {
        let (a, v) = normalize_arch(arch, variant);
        (Some(a), Some(v))
    };
    check_known(
        text,
        &parts,
        [os.as_deref(), arch.as_deref(), variant.as_deref()],
    )
}

/// The parts of `text` with their byte offsets.
fn split(text: &str) -> Vec<(usize, &str)> {
    let mut start = 0;
    text.split('/')
        .map(|p| {
            let at = start;
            start += p.len() + 1;
            (at, p)
        })
        .collect()
}

fn shape_error(text: &str) -> PlatformError {
    PlatformError {
        start: 0,
        end: text.len(),
        message: format!("`{text}` is not a platform"),
        label: "not os/arch or os/arch/variant".to_string(),
        help: "write os/arch or os/arch/variant, e.g. `linux/amd64` or `linux/arm/v7`".to_string(),
    }
}

/// Step 1: two or three parts of `[A-Za-z0-9_.-]+`.
fn shape(text: &str) -> Result<Vec<(usize, &str)>, PlatformError> {
    let parts = split(text);
    if parts.len() == 1 {
        // `linux-arm64`, `linux_amd64`: a separator for `/`.
        for (at, sep) in text.char_indices().filter(|(_, c)| "-_ ".contains(*c)) {
            let fixed = format!("{}/{}", &text[..at], &text[at + sep.len_utf8()..]);
            if Platform::parse(&fixed).is_ok() {
                return Err(PlatformError {
                    start: at,
                    end: at + sep.len_utf8(),
                    message: format!("`{text}` is not a platform"),
                    label: "`/` goes between the parts".to_string(),
                    help: format!("did you mean `{fixed}`?"),
                });
            }
        }
    }
    if !(2..=3).contains(&parts.len()) {
        return Err(shape_error(text));
    }
    for (at, part) in &parts {
        let bad = part.is_empty()
            || !part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if bad {
            return Err(PlatformError {
                start: *at,
                end: at + part.len(),
                message: format!("`{part}` is not a platform part in `{text}`"),
                label: "not letters, digits, `_`, `.` or `-`".to_string(),
                help: "a platform part has letters, digits, `_`, `.` or `-`, e.g. `linux/amd64`"
                    .to_string(),
            });
        }
    }
    Ok(parts)
}

/// containerd's `normalizeOS`.
fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    if os == "macos" {
        "darwin".to_string()
    } else {
        os
    }
}

/// containerd's `normalizeArch`.
fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    let (a, v): (&str, String) = match (arch.as_str(), variant.as_str()) {
        ("i386", _) => ("386", String::new()),
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", String::new()),
        ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v.to_string()),
        ("aarch64" | "arm64", "8" | "v8" | "v8.0") => ("arm64", String::new()),
        ("aarch64" | "arm64", "9" | "9.0" | "v9.0") => ("arm64", "v9".to_string()),
        ("aarch64" | "arm64", v) => ("arm64", v.to_string()),
        ("armhf", _) => ("arm", "v7".to_string()),
        ("armel", _) => ("arm", "v6".to_string()),
        ("arm", "" | "7") => ("arm", "v7".to_string()),
        ("arm", v @ ("5" | "6" | "8")) => ("arm", format!("v{v}")),
        (a, v) => (a, v.to_string()),
    };
    (a.to_string(), v)
}

fn normalize(os: &str, arch: &str, variant: &str) -> (String, String, String) {
    let (arch, variant) = normalize_arch(arch, variant);
    (normalize_os(os), arch, variant)
}

/// The operating systems images are published for (Go's `GOOS` names, as
/// OCI platforms and BuildKit spell them).
pub const OSES: &[&str] = &[
    "linux",
    "windows",
    "darwin",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "aix",
    "android",
    "ios",
    "plan9",
    "js",
    "wasip1",
];

/// The architectures (Go's `GOARCH` names).
pub const ARCHES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "loong64", "mips",
    "mipsle", "mips64", "mips64le", "wasm",
];

/// The variants an architecture has after normalization (`linux/arm/v7`,
/// `linux/amd64/v3`; `arm64/v8` is normalized away).
pub fn variants(arch: &str) -> &'static [&'static str] {
    match arch {
        "arm" => &["v5", "v6", "v7", "v8"],
        "arm64" => &[
            "v8", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9",
            "v9.1", "v9.2", "v9.3", "v9.4", "v9.5",
        ],
        "amd64" => &["v1", "v2", "v3", "v4"],
        "riscv64" => &["rva20u64", "rva22u64"],
        _ => &[],
    }
}

/// What people write for an OS or architecture that containerd does not
/// normalize, and the platform name: offered as "did you mean".
const ALIASES: &[(&str, &str)] = &[
    ("x64", "amd64"),
    ("armv7", "arm"),
    ("armv7l", "arm"),
    ("armv6", "arm"),
    ("arm-v7", "arm"),
    ("i686", "386"),
    ("x86", "386"),
    ("ppc64el", "ppc64le"),
    ("osx", "darwin"),
    ("win", "windows"),
];

/// Step 3 over the normalized parts (`None`: a part left to the build).
fn check_known(
    text: &str,
    parts: &[(usize, &str)],
    normalized: [Option<&str>; 3],
) -> Result<(), PlatformError> {
    let unknown = |i: usize, what: &str, known: &[&str]| {
        let (at, part) = parts[i];
        let lower = part.to_ascii_lowercase();
        let alias = ALIASES
            .iter()
            .find(|(a, _)| *a == lower)
            .map(|(_, name)| *name)
            .filter(|name| known.contains(name));
        let help = match alias.or_else(|| crate::diag::did_you_mean(&lower, known.iter().copied()))
        {
            Some(s) => format!("did you mean `{s}`?"),
            None if known.is_empty() => format!(
                "`{}` has no variants: write `{}/{}`",
                parts[1].1, parts[0].1, parts[1].1
            ),
            None => format!("known {what}s: {}", known.join(", ")),
        };
        PlatformError {
            start: at,
            end: at + part.len(),
            message: format!("unknown {what} `{part}` in platform `{text}`"),
            label: "not a known platform part".to_string(),
            help,
        }
    };
    if let Some(os) = normalized[0]
        && !OSES.contains(&os)
    {
        return Err(unknown(0, "operating system", OSES));
    }
    if let Some(arch) = normalized[1] {
        if !ARCHES.contains(&arch) {
            return Err(unknown(1, "architecture", ARCHES));
        }
        if let Some(variant) = normalized[2]
            && !variant.is_empty()
            && !variants(arch).contains(&variant)
        {
            return Err(unknown(2, "variant", variants(arch)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Platform::parse(s)
            .map(|p| p.to_string())
            .unwrap_or_else(|e| format!("error: {}", e.message))
    }

    #[test]
    fn normalizes_like_containerd() {
        for (input, want) in [
            ("linux/amd64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/x86-64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/aarch64", "linux/arm64"),
            ("linux/arm64/v8", "linux/arm64"),
            ("linux/arm64/8", "linux/arm64"),
            ("linux/arm64/v8.0", "linux/arm64"),
            ("linux/arm64/9", "linux/arm64/v9"),
            ("linux/arm64/v8.2", "linux/arm64/v8.2"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7"),
            ("linux/arm/6", "linux/arm/v6"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/i386", "linux/386"),
            ("Linux/AMD64", "linux/amd64"),
            ("macos/arm64", "darwin/arm64"),
            ("windows/amd64", "windows/amd64"),
        ] {
            assert_eq!(p(input), want, "{input}");
        }
    }

    #[test]
    fn refuses_what_no_image_is_published_for() {
        for bad in [
            "linux",
            "linux/",
            "linux//v7",
            "a/b/c/d",
            "linux/arm64 ",
            "linux/arm64/v8/x",
            "linux/arm-v7",
            "linux/arm65",
            "linx/amd64",
            "linux/arm/v9",
            "linux/386/v1",
            "linux/${ARCH}",
        ] {
            assert!(Platform::parse(bad).is_err(), "{bad:?}");
        }
        let e = Platform::parse("linux/arm-v7").expect_err("arm-v7");
        assert_eq!((e.start, e.end), (6, 12));
        assert_eq!(e.help, "did you mean `arm`?");
        let e = Platform::parse("linux/arm65").expect_err("arm65");
        assert_eq!(e.help, "did you mean `arm64`?");
        assert!(e.message.contains("architecture `arm65`"));
        let e = Platform::parse("linux-arm64").expect_err("dash");
        assert_eq!(
            (e.start, e.end, e.help.as_str()),
            (5, 6, "did you mean `linux/arm64`?")
        );
        let e = Platform::parse("linux/386/v1").expect_err("386");
        assert_eq!(e.help, "`386` has no variants: write `linux/386`");
    }

    #[test]
    fn templates_check_their_literal_parts() {
        for ok in [
            "linux/${TARGETARCH}",
            "${TARGETOS}/arm64",
            "${BUILDPLATFORM}",
            "linux/arm/${V}",
            "linux/x86_64",
        ] {
            assert_eq!(check_template(ok), Ok(()), "{ok}");
        }
        for bad in ["linux/${A}/v7/x", "linx/${A}", "${OS}/arm65", "linux/arm65"] {
            assert!(check_template(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn args() {
        let p = Platform::parse("linux/arm/v7").expect("ok");
        assert_eq!(p.arg("ARCH").as_deref(), Some("arm"));
        assert_eq!(p.arg("VARIANT").as_deref(), Some("v7"));
        assert_eq!(p.arg("PLATFORM").as_deref(), Some("linux/arm/v7"));
        assert_eq!(p.arg("X"), None);
        assert_eq!(Platform::default_target().to_string(), DEFAULT);
    }
}
