//! W0001: an image whose effective user is root, or unknown because no
//! `user` is set anywhere in its chain.

use super::super::Ctx;
use super::super::facts::{effective_user, is_root, user_for_base};
use crate::diag::{Code, Diagnostic, Diagnostics};

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    for (i, stage) in ctx.images() {
        match effective_user(ctx, i) {
            None => diags.push(
                Diagnostic::new(Code::RootUser, format!("image `{}` does not set a user", stage.name))
                    .label(stage.span, "runs as the base image's user, often root")
                    .help(format!("add {}", user_for_base(i, ctx.model))),
            ),
            Some(u) if is_root(u) => diags.push(
                Diagnostic::new(Code::RootUser, format!("image `{}` runs as root", stage.name))
                    .label(u.raw.span, "root user")
                    .help("run as an unprivileged user; create one in a build stage or use a `nonroot` base image"),
            ),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::said::helps;

    /// W0001 suggests a user the base image has, or a numeric id: alpine
    /// and python have no `nonroot` user (the container would not start).
    #[test]
    fn w0001_suggests_a_user_that_exists_on_the_base() {
        let spec =
            |from: &str| format!("msbc 1\nimage app from=\"{from}\" {{\n    cmd \"/app\"\n}}\n");
        for from in ["alpine:3.20", "python:3.12-slim", "debian:bookworm-slim"] {
            let h = helps(&spec(from), "W0001");
            assert_eq!(h.len(), 1, "{from}: {h:?}");
            assert!(!h[0].contains("nonroot"), "{from}: {h:?}");
            assert!(h[0].contains("user \"10001\""), "{from}: {h:?}");
        }
        let h = helps(&spec("gcr.io/distroless/static-debian12:nonroot"), "W0001");
        assert!(h[0].contains("user \"nonroot\""), "{h:?}");
        let h = helps(&spec("node:22-bookworm-slim"), "W0001");
        assert!(h[0].contains("user \"node\""), "{h:?}");
        // Through a stage chain: the base of the first stage counts.
        let chained = "msbc 1\nstage base from=\"gcr.io/distroless/base-debian12:nonroot\"\nimage app from=base {\n    cmd \"/app\"\n}\n";
        assert!(helps(chained, "W0001")[0].contains("nonroot"));
    }

    /// A `user` added by an `extend=#true` stage counts for the stage it
    /// extends (the rule reads the steps the IR stage was lowered from).
    #[test]
    fn w0001_sees_a_user_an_extension_adds() {
        let spec = "msbc 1\nimage app from=\"alpine:3.20\" {\n    cmd \"/app\"\n}\nimage app extend=#true {\n    user \"10001\"\n}\n";
        assert_eq!(helps(spec, "W0001"), Vec::<String>::new());
    }
}
