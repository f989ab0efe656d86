//! E0302 (after lowering): an image reference valid as written can still
//! be broken by an arg's default (`golang:${GO_VERSION}-bookworm` with
//! `GO_VERSION "1.22 x"`, a preset's `version`): each is checked again with
//! the defaults filled in, which is what the build pulls (and what the LLB
//! backend checks).

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::Str;
use crate::syntax::image_ref;

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    for r in &ctx.model.images {
        let Some(text) = &r.default else {
            continue;
        };
        if *text == r.text {
            continue;
        }
        let plain = Str {
            value: text.clone(),
            span: r.at,
            content_start: None,
        };
        if let Err(e) = image_ref::parse(&plain) {
            let why = e
                .labels
                .first()
                .map(|l| l.message.clone())
                .unwrap_or_default();
            diags.push(
                Diagnostic::new(
                    Code::InvalidImageReference,
                    format!(
                        "`{}` is `{text}` with its args' defaults, which is not an image reference{}",
                        r.text,
                        if why.is_empty() { String::new() } else { format!(" ({why})") }
                    ),
                )
                .label(r.at, "the image this pulls")
                .help("an arg's default (or a preset's version) made it invalid: an image tag is letters, digits, `_`, `.` and `-`"),
            );
        }
    }
}
