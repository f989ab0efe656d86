//! W0004: args nothing uses: no image reference, platform, step, published
//! repository or tag, or arg default that is used names them.

use super::super::Ctx;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{Base, StepKind};
use crate::lower::{PLATFORM_ARGS, SBOM_SCAN_ARGS, script_mentions, step_arg_uses};

pub(super) fn check(ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    let (doc, model) = (ctx.doc, ctx.model);
    let known: Vec<&str> = doc.args.iter().map(|a| a.name.name.as_str()).collect();
    let mut used: Vec<String> = Vec::new();
    for stage in &model.stages {
        let words = match &stage.base {
            Base::Image(w) => vec![w],
            _ => vec![],
        };
        for w in words.into_iter().chain(stage.platform.iter()) {
            used.extend(w.vars().map(|(n, _)| n.to_string()));
        }
        for step in &stage.steps {
            match &step.kind {
                StepKind::Args { names } => used.extend(names.iter().cloned()),
                StepKind::Run(r) => used.extend(script_mentions(&r.script, &known)),
                other => used.extend(step_arg_uses(other, &known)),
            }
        }
    }
    // A published repository or tag (`publish`) uses its args too.
    for p in &model.publish {
        for w in p.repository.iter().chain(&p.tags) {
            used.extend(w.vars().map(|(n, _)| n.to_string()));
        }
    }
    // An arg named in a used arg's default is used (defaults name earlier
    // args only: last to first reaches every one).
    for arg in model.args.iter().rev() {
        if let (true, Some(w)) = (used.contains(&arg.name), &arg.default_word) {
            used.extend(w.vars().map(|(n, _)| n.to_string()));
        }
    }
    for arg in &doc.args {
        let name = arg.name.name.as_str();
        // Platform args, and the SBOM scan args the build reads itself.
        if !used.contains(&arg.name.name)
            && !PLATFORM_ARGS.contains(&name)
            && !SBOM_SCAN_ARGS.contains(&name)
        {
            diags.push(
                Diagnostic::new(
                    Code::UnusedArg,
                    format!("arg `{}` is never used", arg.name.name),
                )
                .label(arg.name.span, "unused")
                .help(format!("use it as `${{{}}}`, or remove it", arg.name.name)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    /// W0004 leaves out the args the build itself reads (a spec's setting
    /// of the SBOM scans), and still flags the others.
    #[test]
    fn the_sbom_scan_args_are_used_by_the_build() {
        let spec = "msbc 1\narg BUILDKIT_SBOM_SCAN_STAGE \"build\"\narg BUILDKIT_SBOM_SCAN_CONTEXT \"true\"\narg UNUSED \"1\"\nimage app from=\"debian:bookworm-slim\" {\n    user \"1000\"\n    cmd \"/app\"\n}\n";
        let unused: Vec<String> = crate::compile::check(spec.as_bytes())
            .diagnostics
            .iter()
            .filter(|d| d.code.to_string() == "W0004")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(unused, ["arg `UNUSED` is never used"]);
    }
}
