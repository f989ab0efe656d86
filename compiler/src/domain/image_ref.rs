//! Image references: `[registry[:port]/]path[:tag][@algorithm:digest]`, one
//! type for every layer.
//!
//! [`ImageRef::split`] is the one splitter (no checks: it also takes a
//! reference with `${...}` still in it); [`ImageRef::parse`] splits and
//! checks a resolved reference as Docker's `reference.ParseNormalizedNamed`
//! does; [`ImageRef::normalized`] names it as BuildKit pulls it
//! (`alpine` → `docker.io/library/alpine:latest`). The spec's located
//! errors come from `syntax/image_ref.pest`, which yields this type too.

use std::fmt;

/// The parts of an image reference, as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageRef {
    /// The registry host (`gcr.io`, `localhost:5000`), when written.
    pub domain: Option<String>,
    /// The repository path after the registry (`library/golang`, `golang`).
    pub path: String,
    /// The tag, when written.
    pub tag: Option<String>,
    /// The digest (`sha256:...`), when written.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Splits `text` into its parts without checking them: the digest is
    /// after `@`, the tag after the last `:` that follows the last `/`, the
    /// registry is the first component when it has a `.` or a `:`, is
    /// `localhost`, or has an uppercase letter (Docker's rule).
    pub fn split(text: &str) -> ImageRef {
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest.to_string())),
            None => (text, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        let (domain, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (Some(first.to_string()), path.to_string())
            }
            _ => (None, name.to_string()),
        };
        ImageRef {
            domain,
            path,
            tag,
            digest,
        }
    }

    /// Splits and checks a resolved reference (no `${...}`): lowercase
    /// path components joined by `.`, `_`, `__` or dashes, a tag of at most
    /// 128 word characters, `.` and `-`, a digest `algorithm:hex`.
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        let image = ImageRef::split(text);
        if let Some(d) = &image.digest {
            check_digest(d)?;
        }
        if let Some(t) = &image.tag {
            check_tag(t)?;
        }
        if image.path.is_empty() {
            return Err("the repository name is empty".to_string());
        }
        for component in image.path.split('/') {
            check_component(component)?;
        }
        if let Some(domain) = &image.domain
            && (domain.is_empty()
                || !domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        {
            return Err(format!("`{domain}` is not a registry host"));
        }
        Ok(image)
    }

    /// `[domain/]path` as written: the image's name without tag or digest.
    pub fn name(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}/{}", self.path),
            None => self.path.clone(),
        }
    }

    /// The reference as BuildKit names it (Docker's `ParseNormalizedNamed`
    /// and `TagNameOnly`): the registry spelled out (`docker.io`, not
    /// `index.docker.io`), `library/` before a one-part Docker Hub path,
    /// `latest` when there is neither tag nor digest.
    pub fn normalized(&self) -> ImageRef {
        let domain = match self.domain.as_deref() {
            None | Some("index.docker.io") => "docker.io",
            Some(d) => d,
        };
        let path = if domain == "docker.io" && !self.path.contains('/') {
            format!("library/{}", self.path)
        } else {
            self.path.clone()
        };
        let tag = match (&self.tag, &self.digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t.clone(),
        };
        ImageRef {
            domain: Some(domain.to_string()),
            path,
            tag,
            digest: self.digest.clone(),
        }
    }

    /// This reference pinned to `digest` (the tag stays for readers).
    pub fn with_digest(&self, digest: &str) -> ImageRef {
        ImageRef {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// This reference without its digest.
    pub fn without_digest(&self) -> ImageRef {
        ImageRef {
            digest: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageRef {
    /// The reference as written from its parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.domain {
            write!(f, "{d}/")?;
        }
        f.write_str(&self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = String;
    fn from_str(text: &str) -> Result<ImageRef, String> {
        ImageRef::parse(text)
    }
}

/// The normalized form of `text` (see [`ImageRef::normalized`]), or why it
/// is not a reference.
pub fn normalize(text: &str) -> Result<String, String> {
    ImageRef::parse(text).map(|r| r.normalized().to_string())
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or dashes.
fn check_component(c: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "`{c}` is not a valid repository name part (lowercase letters, digits and single separators)"
        ))
    };
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if alnum(first) && alnum(last) => {}
        _ => return bad(),
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return bad();
        }
    }
    Ok(())
}

fn check_tag(t: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = t.len() <= 128
        && t.bytes().next().is_some_and(word)
        && t.bytes().all(|b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("`{t}` is not a valid tag"))
    }
}

fn check_digest(d: &str) -> Result<(), String> {
    let ok = match d.split_once(':') {
        Some((algorithm, hex)) => {
            !algorithm.is_empty()
                && algorithm
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{d}` is not a valid digest"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn normalizes_like_docker() {
        for (input, want) in [
            ("alpine", "docker.io/library/alpine:latest"),
            ("alpine:3.20", "docker.io/library/alpine:3.20"),
            (
                "golang:1.23-bookworm",
                "docker.io/library/golang:1.23-bookworm",
            ),
            ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
            ("docker.io/library/debian:12", "docker.io/library/debian:12"),
            ("index.docker.io/nginx", "docker.io/library/nginx:latest"),
            (
                "gcr.io/distroless/static-debian12:nonroot",
                "gcr.io/distroless/static-debian12:nonroot",
            ),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("localhost/app:1", "localhost/app:1"),
            ("127.0.0.1:5000/a/b/c:v1.2", "127.0.0.1:5000/a/b/c:v1.2"),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(want), "{input}");
        }
        assert_eq!(
            normalize(&format!("alpine@{D}")),
            Ok(format!("docker.io/library/alpine@{D}"))
        );
        assert_eq!(
            normalize(&format!("alpine:3.20@{D}")),
            Ok(format!("docker.io/library/alpine:3.20@{D}"))
        );
    }

    #[test]
    fn rejects_what_docker_rejects() {
        for bad in [
            "",
            "Alpine",
            "alpine:",
            "alpine:-x",
            "a//b",
            "alpine@sha256:xyz",
            "golang:1.23 bookworm",
            "-x/y",
            "/alpine",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn splits_as_written() {
        let r = ImageRef::split("localhost:5000/team/app:1.2");
        assert_eq!(r.domain.as_deref(), Some("localhost:5000"));
        assert_eq!(
            (r.path.as_str(), r.tag.as_deref()),
            ("team/app", Some("1.2"))
        );
        assert_eq!(r.name(), "localhost:5000/team/app");
        let r = ImageRef::split("golang:${GO_VERSION}-bookworm");
        assert_eq!(r.name(), "golang");
        assert_eq!(r.tag.as_deref(), Some("${GO_VERSION}-bookworm"));
        let r = ImageRef::split(&format!("golang:1.23@{D}"));
        assert_eq!(r.digest.as_deref(), Some(D));
        assert_eq!(r.to_string(), format!("golang:1.23@{D}"));
        assert_eq!(r.without_digest().to_string(), "golang:1.23");
        assert_eq!(
            ImageRef::split("golang:1.23").with_digest(D).to_string(),
            format!("golang:1.23@{D}")
        );
    }
}
