//! The rule registry: one entry per rule, one file per rule. The order is
//! the order diagnostics come in (errors, then warnings).

mod disallowed_registry;
mod missing_label;
mod mutable_tag;
mod resolved_image_ref;
mod root_forbidden;
mod root_user;
mod secret_exposed;
mod secret_in_env;
mod unpinned_image;
mod unused_arg;
mod unused_stage;

use super::Ctx;
use crate::diag::{Code, Diagnostics};
use crate::syntax::ast::PolicyDecl;

/// How a rule runs: once over the spec, or once per `policy { ... }`.
#[derive(Clone, Copy)]
pub enum Check {
    /// Over the whole spec.
    Spec(fn(&Ctx<'_>, &mut Diagnostics)),
    /// For one policy (runs only when the spec has policies).
    Policy(fn(&Ctx<'_>, &PolicyDecl, &mut Diagnostics)),
}

/// One rule: the code it reports and the function that finds it. Its name,
/// severity and summary are the code's (`diag/codes.rs`), its long
/// explanation `diag/explain/CODE.md` ([`Rule::docs`], `msbc explain CODE`).
#[derive(Clone, Copy)]
pub struct Rule {
    /// The code every diagnostic of the rule has.
    pub code: Code,
    /// The function.
    pub check: Check,
}

impl Rule {
    /// The rule's name: its code's slug (`root-user`).
    pub fn name(&self) -> &'static str {
        self.code.slug()
    }

    /// Where the rule is documented: its code's explanation file, which
    /// `msbc explain CODE` prints.
    pub fn docs(&self) -> String {
        format!("compiler/src/diag/explain/{}.md", self.code.as_str())
    }
}

/// Every rule, in the order they run.
pub const RULES: &[Rule] = &[
    Rule {
        code: Code::InvalidImageReference,
        check: Check::Spec(resolved_image_ref::check),
    },
    Rule {
        code: Code::DisallowedRegistry,
        check: Check::Policy(disallowed_registry::check),
    },
    Rule {
        code: Code::UnpinnedImage,
        check: Check::Policy(unpinned_image::check),
    },
    Rule {
        code: Code::RootForbidden,
        check: Check::Policy(root_forbidden::check),
    },
    Rule {
        code: Code::MissingLabel,
        check: Check::Policy(missing_label::check),
    },
    Rule {
        code: Code::SecretExposed,
        check: Check::Spec(secret_exposed::check),
    },
    Rule {
        code: Code::RootUser,
        check: Check::Spec(root_user::check),
    },
    Rule {
        code: Code::MutableTag,
        check: Check::Spec(mutable_tag::check),
    },
    Rule {
        code: Code::SecretInEnv,
        check: Check::Spec(secret_in_env::check),
    },
    Rule {
        code: Code::UnusedArg,
        check: Check::Spec(unused_arg::check),
    },
    Rule {
        code: Code::UnusedStage,
        check: Check::Spec(unused_stage::check),
    },
];

#[cfg(test)]
mod tests {
    use super::RULES;
    use crate::diag::Severity;

    /// Errors come before warnings (the warnings run only on a spec
    /// without errors), each code has one rule, and each rule has its
    /// explanation file and its row in the reference's code table.
    #[test]
    fn the_registry_is_ordered_and_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let reference = std::fs::read_to_string(root.join("docs/reference.md")).unwrap_or_default();
        let first_warning = RULES
            .iter()
            .position(|r| r.code.severity() == Severity::Warning)
            .unwrap_or(RULES.len());
        assert!(
            RULES[first_warning..]
                .iter()
                .all(|r| r.code.severity() == Severity::Warning),
            "an error rule after a warning rule"
        );
        for (i, rule) in RULES.iter().enumerate() {
            assert!(
                RULES[..i].iter().all(|r| r.code != rule.code),
                "{} twice",
                rule.code.as_str()
            );
            let path = root.join(rule.docs());
            assert!(path.is_file(), "{} has no {}", rule.name(), rule.docs());
            let row = format!("| {} | {} |", rule.code.as_str(), rule.name());
            assert!(reference.contains(&row), "docs/reference.md has no `{row}`");
        }
    }
}
