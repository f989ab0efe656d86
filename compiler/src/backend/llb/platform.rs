//! The platform args BuildKit defines from a build's platforms, and a
//! platform as LLB writes it. What a valid platform is, and how it is
//! normalized, is [`crate::domain::platform`].

use super::pb;
pub use crate::domain::Platform;

/// `platform` as an LLB op's `pb.Platform`.
pub fn to_pb(platform: &Platform) -> pb::Platform {
    pb::Platform {
        architecture: platform.arch.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone(),
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
        assert_eq!(to_pb(&args.target).variant, "v7");
    }
}
