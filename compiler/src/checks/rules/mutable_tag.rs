//! W0002: base images that float (`latest` or no tag and no digest),
//! judged by what the build pulls by default.

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::domain::ImageRef;

/// An example version tag of image `name` (its repository path).
fn example_tag(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix("library/").unwrap_or(path);
    Some(match name {
        "alpine" => "3.20",
        "debian" => "bookworm-slim",
        "ubuntu" => "24.04",
        "busybox" => "1.37",
        "golang" => "1.23-bookworm",
        "node" => "22-bookworm-slim",
        "python" => "3.12-slim-bookworm",
        "eclipse-temurin" => "21-jre",
        "maven" => "3.9.9-eclipse-temurin-21",
        "gradle" => "8.10.2-jdk21",
        "nginx" => "1.27-alpine",
        "redis" => "7.4-alpine",
        "postgres" => "16-alpine",
        "rust" => "1.83-slim-bookworm",
        "ruby" => "3.3-slim-bookworm",
        "dotnet/sdk" | "dotnet/aspnet" | "dotnet/runtime" | "dotnet/runtime-deps" => "8.0",
        _ => return None,
    })
}

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    for r in &ctx.model.images {
        let Some(image) = r.default.as_deref().and_then(|t| ImageRef::parse(t).ok()) else {
            continue;
        };
        let text = &r.text;
        if image.digest.is_some() {
            continue;
        }
        let message = match image.tag.as_deref() {
            Some("latest") => format!("`{text}` uses the `latest` tag"),
            Some(_) => continue,
            None => format!("`{text}` has no tag, so it pulls `latest`"),
        };
        let name = match &image.domain {
            Some(d) => format!("{d}/{}", image.path),
            None => image
                .path
                .strip_prefix("library/")
                .unwrap_or(&image.path)
                .to_string(),
        };
        let help = if image.path.starts_with("distroless/") {
            format!(
                "distroless images have no version tags: pin a digest (`{name}:nonroot@sha256:...`)"
            )
        } else {
            let tag = example_tag(&image.path).unwrap_or("<version>");
            format!(
                "pin a version tag of `{name}` (e.g. `{name}:{tag}`), ideally with a digest (`@sha256:...`)"
            )
        };
        diags.push(
            Diagnostic::new(Code::MutableTag, message)
                .label(r.at, "moves whenever the image is republished")
                .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::said::{codes, helps};

    /// W0002 suggests a tag of the image in question.
    #[test]
    fn w0002_suggests_a_tag_of_that_image() {
        let spec =
            |from: &str| format!("msbc 1\nimage app from=\"{from}\" {{\n    user \"10001\"\n}}\n");
        let h = helps(&spec("alpine:latest"), "W0002");
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h[0].contains("`alpine:3.20`"), "{h:?}");
        assert!(!h[0].contains("bookworm"), "{h:?}");
        let h = helps(&spec("python:latest"), "W0002");
        assert!(h[0].contains("`python:3.12"), "{h:?}");
        let h = helps(&spec("registry.example.com/team/svc:latest"), "W0002");
        assert!(
            h[0].contains("`registry.example.com/team/svc:<version>`"),
            "{h:?}"
        );
    }

    /// `${V:-x}` with `arg V ""` pulls `x`, as the LLB backend resolves it
    /// (BuildKit takes the default of an empty value): W0002 judges that.
    #[test]
    fn image_refs_resolve_as_the_build_does() {
        let spec =
            "msbc 1\narg V \"\"\nimage app from=\"alpine:${V:-latest}\" {\n    user \"10001\"\n}\n";
        let checked = crate::compile::check(spec.as_bytes());
        assert_eq!(codes(&checked), ["W0002"], "{:?}", checked.diagnostics);
    }
}
