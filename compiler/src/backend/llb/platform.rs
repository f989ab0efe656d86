//! Platforms (`linux/arm64`), normalized as containerd does, and the
//! platform args BuildKit defines from them.

use super::pb;

/// `linux/amd64`: the default target, and the build platform msbc assumes.
/// LLB is resolved when msbc runs, not on the builder, so the build
/// platform cannot be asked for; a fixed value keeps output the same on
/// every machine.
pub const DEFAULT: &str = "linux/amd64";

/// A normalized platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: String,
}

impl Platform {
    /// Parses `os/arch[/variant]` and normalizes it (`aarch64` → `arm64`,
    /// `arm` → `arm/v7`, `amd64/v1` → `amd64`, ...).
    pub fn parse(text: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let bad = || {
            format!(
                "`{text}` is not a platform: expected os/arch or os/arch/variant, e.g. linux/arm64"
            )
        };
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let os = parts[0].to_ascii_lowercase();
        let arch = parts[1].to_ascii_lowercase();
        let variant = parts
            .get(2)
            .map(|v| v.to_ascii_lowercase())
            .unwrap_or_default();
        let ok = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        if !ok(&os) || !ok(&arch) || !ok(&variant) {
            return Err(bad());
        }
        let os = if os == "macos" {
            "darwin".to_string()
        } else {
            os
        };
        let (arch, variant) = match (arch.as_str(), variant.as_str()) {
            ("i386" | "i686" | "x86", v) => ("386".to_string(), v.to_string()),
            ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64".to_string(), String::new()),
            ("x86_64" | "x86-64", v) => ("amd64".to_string(), v.to_string()),
            ("aarch64" | "arm64", "8" | "v8") => ("arm64".to_string(), String::new()),
            ("aarch64", v) => ("arm64".to_string(), v.to_string()),
            ("armhf", "") => ("arm".to_string(), "v7".to_string()),
            ("armel", "") => ("arm".to_string(), "v6".to_string()),
            ("arm", "") => ("arm".to_string(), "v7".to_string()),
            ("arm", v @ ("5" | "6" | "7" | "8")) => ("arm".to_string(), format!("v{v}")),
            (a, v) => (a.to_string(), v.to_string()),
        };
        Ok(Platform { os, arch, variant })
    }

    /// `os/arch[/variant]`, the value of `TARGETPLATFORM`.
    pub fn format(&self) -> String {
        if self.variant.is_empty() {
            format!("{}/{}", self.os, self.arch)
        } else {
            format!("{}/{}/{}", self.os, self.arch, self.variant)
        }
    }

    pub fn to_pb(&self) -> pb::Platform {
        pb::Platform {
            architecture: self.arch.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
        }
    }

    /// The value of a platform arg (`TARGETOS`, `BUILDPLATFORM`, ...) whose
    /// name without its `TARGET`/`BUILD` prefix is `suffix`.
    fn arg(&self, suffix: &str) -> Option<String> {
        match suffix {
            "PLATFORM" => Some(self.format()),
            "OS" => Some(self.os.clone()),
            "ARCH" => Some(self.arch.clone()),
            "VARIANT" => Some(self.variant.clone()),
            _ => None,
        }
    }
}

/// The platform args of a build for `target` on `build`.
#[derive(Debug, Clone)]
pub struct PlatformArgs {
    pub build: Platform,
    pub target: Platform,
}

impl PlatformArgs {
    /// The value of `BUILDPLATFORM`, `TARGETARCH`, ...; `None` for other names.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(suffix) = name.strip_prefix("BUILD") {
            self.build.arg(suffix)
        } else if let Some(suffix) = name.strip_prefix("TARGET") {
            self.target.arg(suffix)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Platform::parse(s).map(|p| p.format()).unwrap_or_else(|e| e)
    }

    #[test]
    fn normalizes_like_containerd() {
        assert_eq!(p("linux/amd64"), "linux/amd64");
        assert_eq!(p("linux/x86_64"), "linux/amd64");
        assert_eq!(p("linux/aarch64"), "linux/arm64");
        assert_eq!(p("linux/arm64/v8"), "linux/arm64");
        assert_eq!(p("linux/arm"), "linux/arm/v7");
        assert_eq!(p("linux/arm/6"), "linux/arm/v6");
        assert_eq!(p("Linux/AMD64"), "linux/amd64");
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v7").is_err());
        assert!(Platform::parse("a/b/c/d").is_err());
    }

    #[test]
    fn args() {
        let args = PlatformArgs {
            build: Platform::parse("linux/amd64").expect("ok"),
            target: Platform::parse("linux/arm/v7").expect("ok"),
        };
        assert_eq!(args.get("BUILDPLATFORM").as_deref(), Some("linux/amd64"));
        assert_eq!(args.get("BUILDVARIANT").as_deref(), Some(""));
        assert_eq!(args.get("TARGETARCH").as_deref(), Some("arm"));
        assert_eq!(args.get("TARGETVARIANT").as_deref(), Some("v7"));
        assert_eq!(args.get("TARGETPLATFORM").as_deref(), Some("linux/arm/v7"));
        assert_eq!(args.get("GO_VERSION"), None);
    }
}
