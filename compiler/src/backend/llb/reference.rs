//! Image references as BuildKit names them: `alpine` →
//! `docker.io/library/alpine:latest`.
//!
//! The front end checks references as written (with `${...}` inside);
//! this checks them again once args are resolved, and normalizes them like
//! Docker's `reference.ParseNormalizedNamed` + `TagNameOnly`. It lives here
//! (not in `syntax`) because backends do not import the front end.

/// The normalized form of `text`, or why it is not a reference.
pub fn normalize(text: &str) -> Result<String, String> {
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (text, None),
    };
    if let Some(d) = digest {
        check_digest(d)?;
    }
    // A tag is after the last `:` that follows the last `/`.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        check_tag(t)?;
    }
    let (domain, path) = split_domain(name);
    if path.is_empty() {
        return Err("the repository name is empty".to_string());
    }
    for component in path.split('/') {
        check_component(component)?;
    }
    if !domain.is_empty()
        && !domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    {
        return Err(format!("`{domain}` is not a registry host"));
    }
    let mut out = format!("{domain}/{path}");
    match (tag, digest) {
        (Some(t), _) => {
            out.push(':');
            out.push_str(t);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    Ok(out)
}

/// Docker's rule: the first component is a registry when it has a `.` or a
/// `:`, or is `localhost`; otherwise the image is on Docker Hub, and a
/// one-component name there is an official image under `library/`.
fn split_domain(name: &str) -> (String, String) {
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    let domain = if domain == "index.docker.io" {
        "docker.io".to_string()
    } else {
        domain
    };
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    (domain, path)
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or dashes.
fn check_component(c: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "`{c}` is not a valid repository name part (lowercase letters, digits and single separators)"
        ))
    };
    if c.is_empty() {
        return bad();
    }
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return bad();
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
    let ok = !t.is_empty()
        && t.len() <= 128
        && word(t.as_bytes()[0])
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
    use super::normalize;

    #[test]
    fn like_docker() {
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
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            normalize(&format!("alpine@{d}")),
            Ok(format!("docker.io/library/alpine@{d}"))
        );
        assert_eq!(
            normalize(&format!("alpine:3.20@{d}")),
            Ok(format!("docker.io/library/alpine:3.20@{d}"))
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
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }
}
