//! The build's warnings in the client's output, as BuildKit's Dockerfile
//! frontend shows its lint warnings: each goes to the gateway's Warn
//! attached to the vertex that loaded the spec (`[internal] load build
//! definition from build.kdl`), with its code, message and line (the short
//! text every client prints: `WARN: W0001: ... (line 2)`), the code's
//! summary and the help (the detail `docker --debug buildx build` prints)
//! and the spec's range (the snippet). An engine without Warn (Docker
//! 20.10's BuildKit) shows each warning as a vertex of its own named
//! `WARN: ...` (a file written on scratch; nothing the image uses).
//!
//! The check option, BuildKit's `# check=` directive and build arg: a
//! `// check=skip=W0002;error=true` comment line at the top of the spec, or
//! `--build-arg BUILDKIT_DOCKERFILE_CHECK=...` (which wins): `skip` leaves
//! the named codes (or `all`) out of the output and `--call check`,
//! `error=true` fails the build when a warning is left.

use super::bridge::Bridge;
use super::failure::{Failure, located, place, ranges};
use super::generated::moby::buildkit::v1::frontend as gw;
use crate::backend::llb::pb;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean, render};
use std::collections::BTreeMap;

/// The build arg that sets the check option (BuildKit's name).
pub const CHECK_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// The file a warning's vertex writes (on engines without Warn).
const WARNING_FILE: &str = "/msbc-warning";

/// The comment directive that sets it in the spec.
const DIRECTIVE: &str = "check=";

/// Which warnings are shown and whether they fail the build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOption {
    /// `skip=all`.
    pub skip_all: bool,
    /// `skip=W0001,W0002` (codes or slugs, as given).
    pub skip: Vec<String>,
    /// `error=true`: a warning fails the build.
    pub error: bool,
}

impl CheckOption {
    /// `skip=W0001,W0002;error=true` (keys separated by `;`, as BuildKit
    /// reads its check option).
    pub fn parse(value: &str) -> Result<CheckOption, String> {
        let mut out = CheckOption::default();
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, v) = part.split_once('=').unwrap_or((part, ""));
            match key.trim() {
                "skip" => {
                    for name in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        if name.eq_ignore_ascii_case("all") {
                            out.skip_all = true;
                        } else if known(name) {
                            out.skip.push(name.to_string());
                        } else {
                            let names = Code::ALL
                                .iter()
                                .filter(|c| c.severity() == crate::diag::Severity::Warning)
                                .map(|c| c.as_str());
                            let hint = did_you_mean(name, names)
                                .map(|m| format!(" (did you mean `{m}`?)"))
                                .unwrap_or_default();
                            return Err(format!(
                                "`skip={v}`: `{name}` is no warning code of msbc{hint}; \
                                 skip takes warning codes (W0001) or `all`"
                            ));
                        }
                    }
                }
                "error" => {
                    out.error = match v.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" | "t" => true,
                        "false" | "0" | "f" => false,
                        other => {
                            return Err(format!("`error={other}`: error takes true or false"));
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "`{other}` is not a check option (msbc reads skip=CODE,... and \
                         error=true|false, separated by `;`)"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The option of a build: the build arg, else the spec's `// check=`
    /// line, else none.
    pub fn of_build(build_args: &[(String, String)], spec: &str) -> Result<CheckOption, Failure> {
        let (value, from) = match build_args.iter().find(|(k, _)| k == CHECK_ARG) {
            Some((_, v)) => (v.clone(), format!("--build-arg {CHECK_ARG}")),
            None => match directive(spec) {
                Some(v) => (v, "the spec's `// check=` line".to_string()),
                None => return Ok(CheckOption::default()),
            },
        };
        CheckOption::parse(&value)
            .map_err(|e| Failure::plain(format!("the check option ({from}): {e}")))
    }

    /// Whether warnings of `code` are left out.
    pub fn skips(&self, code: Code) -> bool {
        self.skip_all
            || self
                .skip
                .iter()
                .any(|s| s.eq_ignore_ascii_case(code.as_str()) || s == code.slug())
    }

    /// `diagnostics` without the warnings this option skips.
    pub fn filter(&self, diagnostics: &Diagnostics) -> Diagnostics {
        let mut out = Diagnostics::new();
        for d in diagnostics.iter() {
            if d.is_error() || !self.skips(d.code) {
                out.push(d.clone());
            }
        }
        out
    }
}

fn known(name: &str) -> bool {
    Code::ALL.iter().any(|c| {
        c.severity() == crate::diag::Severity::Warning
            && (c.as_str().eq_ignore_ascii_case(name) || c.slug() == name)
    })
}

/// The value of a `// check=...` line among the spec's leading comments
/// (before the first node, as BuildKit reads `# check=` only above the
/// first instruction).
fn directive(spec: &str) -> Option<String> {
    for line in spec.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        let comment = line.strip_prefix("//")?.trim();
        if let Some(value) = comment.strip_prefix(DIRECTIVE) {
            return Some(value.trim().to_string());
        }
    }
    None
}

/// One warning as the client shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The code, or empty for a warning about the build's options.
    pub code: Option<Code>,
    /// `W0001: the image runs as root (line 2); help: ...`.
    pub short: String,
    /// The code's summary and the help, one line each.
    pub detail: Vec<String>,
    /// Where in the spec (empty: not in the spec).
    pub ranges: Vec<pb::Range>,
}

/// The spec's warnings the option does not skip, in source order.
pub fn of_spec(diagnostics: &Diagnostics, text: &str, check: &CheckOption) -> Vec<Warning> {
    diagnostics
        .sorted()
        .into_iter()
        .filter(|d| !d.is_error() && !check.skips(d.code))
        .map(|d| of_diagnostic(d, text))
        .collect()
}

fn of_diagnostic(d: &Diagnostic, text: &str) -> Warning {
    let ranges = ranges(d, text);
    let mut short = format!("{}: {}", d.code, d.message);
    if let Some(p) = ranges.first().and_then(|r| r.start) {
        short.push_str(&format!(" (line {})", p.line));
    }
    // The help in the short text too: most clients show only that line
    // (buildx expands the detail with `--debug` only, buildctl never).
    if let Some(help) = &d.help {
        short.push_str(&format!("; help: {}", one_line(help)));
    }
    Warning {
        code: Some(d.code),
        short,
        detail: vec![
            format!("{}: {}", d.code.slug(), d.code.summary()),
            format!("more: `msbc explain {}`", d.code),
        ],
        ranges,
    }
}

/// `text` with its line breaks and runs of spaces as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `--build-arg` the spec does not declare (a typo, most often): said
/// with the closest declared arg.
pub fn unknown_arg(name: &str, declared: &[&str], filename: &str) -> Warning {
    let mut short = format!("build-arg {name} is not an arg of {filename}");
    let mut detail = Vec::new();
    if let Some(m) = did_you_mean(name, declared.iter().copied()) {
        short.push_str(&format!(": did you mean {m}?"));
    }
    if declared.is_empty() {
        detail.push(format!("{filename} declares no args"));
    } else {
        detail.push(format!("{filename} declares {}", declared.join(", ")));
    }
    Warning {
        code: None,
        short,
        detail,
        ranges: Vec::new(),
    }
}

/// A warning about the build's options (no code, no location).
pub fn plain(message: impl Into<String>) -> Warning {
    Warning {
        code: None,
        short: message.into(),
        detail: Vec::new(),
        ranges: Vec::new(),
    }
}

/// Sends `warnings` to the client: through Warn on the vertex `vertex`
/// where the engine has it, else as vertices of their own. Also on
/// stderr (buildkitd's log).
pub async fn send(
    bridge: &mut Bridge,
    vertex: &str,
    info: &pb::SourceInfo,
    warnings: &[Warning],
) -> Result<(), Failure> {
    for w in warnings {
        eprintln!("warning: {}", w.short);
    }
    if warnings.is_empty() {
        return Ok(());
    }
    if bridge.has("gateway.warnings") {
        for w in warnings {
            bridge
                .warn(gw::WarnRequest {
                    digest: vertex.to_string(),
                    level: 1,
                    short: w.short.clone().into_bytes(),
                    detail: w.detail.iter().map(|d| d.clone().into_bytes()).collect(),
                    url: String::new(),
                    info: (!w.ranges.is_empty()).then(|| info.clone()),
                    ranges: w.ranges.clone(),
                })
                .await?;
        }
        return Ok(());
    }
    for w in warnings {
        // Reading the file makes the engine run the op (a solve alone may
        // stay lazy), so the vertex shows.
        let id = bridge.solve(as_vertex(w)).await?;
        if let Err(e) = bridge.read_file(&id, WARNING_FILE).await {
            eprintln!("note: the vertex of a warning did not run: {e}");
        }
    }
    Ok(())
}

/// The name of the vertex that shows `w` on an engine without Warn.
fn vertex_name(w: &Warning) -> String {
    format!("WARN: {}", w.short)
}

/// A definition of one vertex named after `w`: a file holding the warning,
/// written on scratch (its digest differs per warning, so each shows).
fn as_vertex(w: &Warning) -> pb::Definition {
    let name = vertex_name(w);
    let file = pb::Op {
        inputs: Vec::new(),
        kind: Some(pb::op::Kind::File(pb::FileOp {
            actions: vec![pb::FileAction {
                input: -1,
                secondary_input: -1,
                output: 0,
                action: Some(pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                    path: WARNING_FILE.to_string(),
                    mode: 0o644,
                    data: name.clone().into_bytes(),
                    owner: None,
                    timestamp: -1,
                })),
            }],
        })),
        platform: None,
        constraints: None,
    };
    super::inputs::one_op(
        file,
        name,
        BTreeMap::from([("file.base".to_string(), true)]),
    )
    .0
}

/// With `error=true`, the failure for the warnings left: BuildKit's
/// `lint violation found for rules: ...`, then each warning drawn as
/// `msbc check` draws it, with its source detail.
pub fn violation(
    check: &CheckOption,
    diagnostics: &Diagnostics,
    filename: &str,
    text: &str,
    info: &pb::SourceInfo,
) -> Option<Failure> {
    if !check.error {
        return None;
    }
    let left: Vec<&Diagnostic> = diagnostics
        .sorted()
        .into_iter()
        .filter(|d| !d.is_error() && !check.skips(d.code))
        .collect();
    let first = left.first()?;
    let mut rules: Vec<String> = left
        .iter()
        .map(|d| format!("{}-{}", d.code, d.code.slug()))
        .collect();
    rules.dedup();
    let mut message = format!(
        "lint violation found for rules: {} (the check option error=true makes warnings fail \
         the build); {}: {}: {}\n",
        rules.join(", "),
        place(first, filename, text),
        first.code,
        first.message
    );
    for d in &left {
        message.push('\n');
        message.push_str(&render::human(d, filename, text, render::Style::Plain));
    }
    let sources = located(&left, text, info);
    Some(Failure { message, sources })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::llb;
    use crate::compile;
    use prost::Message;

    /// W0001 (root) and W0003 (a token in `env`).
    const WARNED: &str = "msbc 1\nimage app from=\"debian:bookworm-slim\" {\n    env API_TOKEN=\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n    cmd \"true\"\n}\n";

    fn codes(ws: &[Warning]) -> Vec<String> {
        ws.iter()
            .filter_map(|w| w.code.map(|c| c.to_string()))
            .collect()
    }

    #[test]
    fn each_warning_has_its_code_line_help_and_range() {
        let c = compile::check(WARNED.as_bytes());
        let ws = of_spec(&c.diagnostics, &c.text, &CheckOption::default());
        let codes = codes(&ws);
        assert!(codes.contains(&"W0001".to_string()), "{ws:?}");
        assert!(codes.contains(&"W0003".to_string()), "{ws:?}");
        let w3 = ws
            .iter()
            .find(|w| w.code == Some(Code::SecretInEnv))
            .unwrap();
        assert!(w3.short.starts_with("W0003: "), "{}", w3.short);
        assert!(
            w3.short
                .contains(" (line 3); help: pass secrets to the one `run`"),
            "{}",
            w3.short
        );
        assert!(!w3.short.contains('\n'), "{}", w3.short);
        assert_eq!(w3.ranges[0].start.unwrap().line, 3);
        assert_eq!(w3.detail[1], "more: `msbc explain W0003`");
    }

    #[test]
    fn the_check_option_skips_codes_and_makes_warnings_errors() {
        let o = CheckOption::parse("skip=W0001, secret-in-env ;error=true").unwrap();
        assert!(o.error && !o.skip_all);
        assert!(o.skips(Code::RootUser) && o.skips(Code::SecretInEnv));
        assert!(!o.skips(Code::MutableTag));
        assert!(CheckOption::parse("skip=all").unwrap().skip_all);
        let e = CheckOption::parse("skip=W0010x").unwrap_err();
        assert!(e.contains("no warning code"), "{e}");
        assert!(CheckOption::parse("eror=true").is_err());
        assert!(CheckOption::parse("error=maybe").is_err());

        let c = compile::check(WARNED.as_bytes());
        let info = super::super::failure::source_info("build.kdl", WARNED.as_bytes());
        let none = CheckOption::default();
        assert!(violation(&none, &c.diagnostics, "build.kdl", &c.text, &info).is_none());
        let strict = CheckOption::parse("error=true").unwrap();
        let f = violation(&strict, &c.diagnostics, "build.kdl", &c.text, &info).unwrap();
        assert!(
            f.message
                .starts_with("lint violation found for rules: W0001-root-user"),
            "{}",
            f.message
        );
        assert!(f.message.contains("W0003-secret-in-env"), "{}", f.message);
        assert!(!f.sources.is_empty());
        let skipped = CheckOption::parse("skip=W0001,W0003;error=true").unwrap();
        assert!(
            violation(&skipped, &c.diagnostics, "build.kdl", &c.text, &info).is_none(),
            "all warnings skipped"
        );
        assert!(of_spec(&c.diagnostics, &c.text, &skipped).is_empty());
    }

    #[test]
    fn the_build_arg_wins_over_the_specs_line() {
        let spec = "// check=error=true\nmsbc 1\n";
        assert!(CheckOption::of_build(&[], spec).unwrap().error);
        let arg = vec![(CHECK_ARG.to_string(), "error=false".to_string())];
        assert!(!CheckOption::of_build(&arg, spec).unwrap().error);
        // Only above the first node.
        let late = "msbc 1\n// check=error=true\n";
        assert!(!CheckOption::of_build(&[], late).unwrap().error);
        let bad = vec![(CHECK_ARG.to_string(), "skip=W9".to_string())];
        let e = CheckOption::of_build(&bad, spec).unwrap_err();
        assert!(e.message.contains(CHECK_ARG), "{}", e.message);
    }

    #[test]
    fn a_mistyped_build_arg_names_the_closest() {
        let w = unknown_arg("GREETNG", &["GREETING", "PORT"], "build.kdl");
        assert_eq!(
            w.short,
            "build-arg GREETNG is not an arg of build.kdl: did you mean GREETING?"
        );
        assert_eq!(w.detail, ["build.kdl declares GREETING, PORT"]);
    }

    #[test]
    fn an_old_engine_shows_a_warning_as_a_named_vertex() {
        let c = compile::check(WARNED.as_bytes());
        let ws = of_spec(&c.diagnostics, &c.text, &CheckOption::default());
        let d = as_vertex(&ws[0]);
        assert_eq!(d.def.len(), 2);
        let terminal = pb::Op::decode(d.def[1].as_slice()).unwrap();
        let digest = &terminal.inputs[0].digest;
        assert_eq!(digest, &llb::digest(&d.def[0]));
        let name = &d.metadata[digest].description["llb.customname"];
        assert!(
            name.starts_with(&format!("WARN: {}", ws[0].short)),
            "{name}"
        );
        assert!(name.contains("; help: "), "{name}");
        let other = as_vertex(&ws[1]);
        assert_ne!(
            other.def[0], d.def[0],
            "each warning is a vertex of its own"
        );
    }
}
