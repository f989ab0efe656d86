//! The command line: the only module that reads files, writes output and
//! decides exit codes. Everything else is a pure function it calls.

/// `eprintln!` that cannot panic: a line on stderr (see `out::stderr`).
macro_rules! say {
    () => {
        $crate::cli::out::stderr("\n")
    };
    ($($t:tt)*) => {
        $crate::cli::out::stderr(&format!("{}\n", format_args!($($t)*)))
    };
}

/// `eprint!` that cannot panic.
macro_rules! say_part {
    ($($t:tt)*) => {
        $crate::cli::out::stderr(&format!($($t)*))
    };
}

mod args;
mod diff;
mod editor;
mod fleet;
mod import;
mod lock;
mod lsp;
mod out;
mod presets;
mod registry;
mod templates;

pub use templates::{context_files, project_contents};

use crate::compile::{self, Checked, Emit, Output};
use crate::diag::render::{self, JsonDiagnostic, Style};
use crate::diag::{Code, Diagnostics, did_you_mean};
use crate::import::ImportCode;
use crate::lower::Selection;
use args::{CheckArgs, Cli, ColorWhen, Command, CompileArgs, EmitKind, ExplainArgs, Format};
use clap::Parser;
/// Writes to stdout; a closed pipe ends the output quietly (see `out`).
use out::stdout as write_stdout;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Exit codes of the contract.
pub const OK: i32 = 0;
pub const SPEC_ERROR: i32 = 1;
pub const USAGE_ERROR: i32 = 2;

/// Runs msbc with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    run(std::env::args_os())
}

/// Runs msbc with `args` (the first is the program name).
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Returns an error (not a panic) when the stream is closed.
            let _ = e.print();
            return if e.use_stderr() { USAGE_ERROR } else { OK };
        }
    };
    // `set` fails only when run twice in one process (tests): keep the first.
    let _ = COLOR.set(cli.color);
    let result = match cli.command {
        Command::Compile(a) => compile_cmd(&a),
        Command::Check(a) => check_cmd(&a),
        Command::Explain(a) => explain_cmd(&a),
        Command::Presets(a) => presets::run(&a),
        Command::Lock(a) => lock::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Import(a) => import::import_cmd(&a),
        Command::Completions(a) => completions_cmd(&a),
        Command::Images(a) => fleet::images(&a),
        Command::Frontend => Ok(crate::frontend::main()),
        Command::Graph(a) => editor::graph_cmd(&a),
        Command::Lsp => lsp::lsp_cmd(),
        Command::Fmt(a) => editor::fmt_cmd(&a),
        Command::Schema => out::stdout(&crate::backend::json::schema()).map(|()| OK),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            say!("error: {message}");
            USAGE_ERROR
        }
    }
}

/// A usage or I/O problem, printed once as `error: ...` (exit 2).
type CliResult = Result<i32, String>;

struct Spec {
    /// The path as given, for diagnostics.
    shown: String,
    /// The file name only, for the generated header (output must not
    /// depend on where it was compiled).
    name: String,
    /// The directory holding the spec: the build context, and the base of
    /// relative `templates` directories.
    dir: PathBuf,
    bytes: Vec<u8>,
}

impl Spec {
    /// Expands templates (stdlib, directories) and checks the spec.
    fn check(&self, template_flags: &[PathBuf]) -> Result<Checked, String> {
        // Parsed once: the template folders it names, then the check.
        let parsed = compile::parse(&self.bytes);
        let catalog = templates::catalog(&self.dir, &parsed.template_dirs(), template_flags)?;
        let files = templates::context_files(&self.dir);
        let contents = templates::project_contents(&self.dir, &files);
        let checked = parsed.check(crate::expand::Context {
            catalog: &catalog,
            files: &files,
            contents: &contents,
        });
        // A Dockerfile read as KDL gives dozens of syntax errors: say what it is.
        if checked
            .diagnostics
            .iter()
            .any(|d| d.code == Code::KdlSyntax)
            && looks_like_dockerfile(&self.bytes)
        {
            let import = if self.shown == "<stdin>" {
                "msbc import - > build.kdl".to_string()
            } else {
                let target = if self.dir == Path::new(".") {
                    PathBuf::from("build.kdl")
                } else {
                    self.dir.join("build.kdl")
                };
                format!("msbc import {} > {}", self.shown, target.display())
            };
            return Err(format!(
                "{} looks like a Dockerfile, not a build.kdl spec; `{import}` turns it into one",
                self.shown
            ));
        }
        Ok(checked)
    }
}

/// Whether text that is not KDL reads as a Dockerfile: its first line that
/// is neither blank nor a `#` comment (or parser directive) starts with
/// `FROM` or `ARG`, the only instructions a Dockerfile may start with.
fn looks_like_dockerfile(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .is_some_and(|w| w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("ARG"))
}

/// Why there is no spec at `file` (`DIR/build.kdl`): the file looked for
/// and how to start one.
fn no_spec(file: &Path) -> String {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dockerfile = ["Dockerfile", "Containerfile"]
        .iter()
        .map(|n| {
            if dir == Path::new(".") {
                PathBuf::from(n)
            } else {
                dir.join(n)
            }
        })
        .find(|p| p.is_file());
    let start = match dockerfile {
        Some(df) => format!(
            "`msbc import {} > {}` turns its Dockerfile into one",
            df.display(),
            file.display()
        ),
        None => format!(
            "`msbc import Dockerfile > {}` turns a Dockerfile into one, or start from a preset's example (`msbc presets` lists them, `msbc presets go` shows one)",
            file.display()
        ),
    };
    format!(
        "no spec in {}: msbc looks for {}; {start}",
        dir.display(),
        file.display()
    )
}

fn read_spec(path: &Path) -> Result<Spec, String> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(Spec {
            shown: "<stdin>".to_string(),
            name: "build.kdl".to_string(),
            dir: PathBuf::from("."),
            bytes,
        });
    }
    let file: PathBuf = if path.is_dir() {
        path.join("build.kdl")
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|e| {
        let folder_exists = file
            .parent()
            .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
        if e.kind() == std::io::ErrorKind::NotFound
            && folder_exists
            && file.file_name().is_some_and(|n| n == "build.kdl")
        {
            no_spec(&file)
        } else {
            format!("cannot read {}: {e}", file.display())
        }
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build.kdl".to_string());
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Spec {
        shown: file.display().to_string(),
        name,
        dir,
        bytes,
    })
}

/// `--color`, for the whole run.
static COLOR: std::sync::OnceLock<ColorWhen> = std::sync::OnceLock::new();

/// Whether to colour what goes to a stream: `--color always|never`, or
/// with `auto` when the stream is a terminal and `NO_COLOR` is unset.
fn colored(is_terminal: bool) -> bool {
    match COLOR.get().copied().unwrap_or(ColorWhen::Auto) {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Whether stdout gets colour (`msbc diff`).
fn stdout_colored() -> bool {
    colored(std::io::stdout().is_terminal())
}

fn style() -> Style {
    if colored(std::io::stderr().is_terminal()) {
        Style::Color
    } else {
        Style::Plain
    }
}

fn completions_cmd(a: &args::CompletionsArgs) -> CliResult {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "msbc", &mut script);
    out::stdout_bytes(&script)?;
    Ok(OK)
}

/// Prints diagnostics rustc-style to stderr, with a summary line.
fn print_human(checked: &Checked, name: &str) {
    let style = style();
    let mut err = std::io::stderr().lock();
    for d in checked.diagnostics.sorted() {
        let _ = write!(err, "{}", render::human(d, name, &checked.text, style));
        let _ = writeln!(err);
    }
    let (e, w) = (
        checked.diagnostics.error_count(),
        checked.diagnostics.warning_count(),
    );
    if e + w > 0 {
        let _ = writeln!(err, "{}", render::summary(e, w, name));
    }
}

fn failed(diags: &Diagnostics, deny_warnings: bool) -> bool {
    diags.has_errors() || (deny_warnings && !diags.is_empty())
}

/// `--strict`: the security warnings ([`crate::diag::STRICT`]) become errors.
fn strict(mut checked: Checked, strict: bool) -> Checked {
    if strict {
        checked.diagnostics = checked.diagnostics.map(crate::diag::Diagnostic::strict);
    }
    checked
}

/// The spec's path for SARIF: as given, with `/` separators; relative to
/// the working directory when an absolute path lies below it.
fn sarif_uri(spec: &Spec) -> String {
    let shown = Path::new(&spec.shown);
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| shown.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| shown.to_path_buf());
    let text = rel.to_string_lossy().replace('\\', "/");
    match text.as_str() {
        "<stdin>" => spec.name.clone(),
        _ => text.strip_prefix("./").unwrap_or(&text).to_string(),
    }
}

fn check_cmd(a: &CheckArgs) -> CliResult {
    if fleet::is_fleet(a.all, &a.path, &a.more) {
        return fleet::check(a);
    }
    let spec = read_spec(&a.path)?;
    let mut checked = strict(spec.check(&a.templates)?, a.strict);
    lock::read(&spec.dir, &mut checked, a.locked, &[])?;
    match a.format {
        Format::Human => {
            print_human(&checked, &spec.shown);
            if checked.diagnostics.is_empty() {
                say!("{}", render::summary(0, 0, &spec.shown));
            }
        }
        Format::Json => {
            let list: Vec<JsonDiagnostic<'_>> = checked
                .diagnostics
                .sorted()
                .into_iter()
                .map(|d| JsonDiagnostic::new(d, &spec.name, &checked.text))
                .collect();
            let doc = serde_json::json!({
                "file": spec.name,
                "errors": checked.diagnostics.error_count(),
                "warnings": checked.diagnostics.warning_count(),
                "diagnostics": list,
            });
            let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            out::stdout(&format!("{text}\n"))?;
        }
        Format::Sarif => {
            let sorted = checked.diagnostics.sorted();
            let doc = render::sarif(&sorted, &sarif_uri(&spec), &checked.text);
            let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            text.push('\n');
            out::stdout(&text)?;
        }
        Format::Github => {
            let uri = sarif_uri(&spec);
            let mut text = String::new();
            for d in checked.diagnostics.sorted() {
                text.push_str(&render::github(d, &uri, &checked.text));
                text.push('\n');
            }
            out::stdout(&text)?;
        }
    }
    Ok(if failed(&checked.diagnostics, a.deny_warnings) {
        SPEC_ERROR
    } else {
        OK
    })
}

fn compile_cmd(a: &CompileArgs) -> CliResult {
    let emit = match a.emit {
        EmitKind::Dockerfile => Emit::Dockerfile,
        EmitKind::Json => Emit::Json,
        EmitKind::Llb => Emit::Llb,
        EmitKind::LlbJson => Emit::LlbJson,
        EmitKind::ImageConfig => Emit::ImageConfig,
    };
    // Binary LLB would garble a terminal; refuse before doing any work.
    if emit == Emit::Llb
        && a.output.is_none()
        && a.check.is_none()
        && std::io::stdout().is_terminal()
    {
        return Err(
            "refusing to write binary LLB to a terminal: pipe it (`| buildctl build ...`) or use -o FILE"
                .to_string(),
        );
    }
    if let Some(p) = &a.platform {
        crate::syntax::platform::check_flag(p)?;
    }
    if a.all {
        return fleet::compile(a, emit);
    }
    if a.check.as_deref() == Some(Path::new("")) {
        return Err(
            "--check needs the FILE to compare with (or --all for every spec's Dockerfile)"
                .to_string(),
        );
    }
    if let Some(file) = &a.output {
        not_a_spec(file, &a.path, "write the output over")?;
    }
    if let Some(file) = &a.check {
        not_a_spec(file, &a.path, "check the output against")?;
    }
    let spec = read_spec(&a.path)?;
    let mut checked = strict(spec.check(&a.templates)?, a.strict);
    let lock = lock::read(&spec.dir, &mut checked, a.locked, &a.args)?;
    print_human(&checked, &spec.shown);
    let Some(model) = checked
        .model
        .as_ref()
        .filter(|_| !failed(&checked.diagnostics, a.deny_warnings))
    else {
        return Ok(SPEC_ERROR);
    };
    // msbc.lock pins the base images it has (`image:tag@sha256:...`).
    let mut pinned;
    let model = match &lock {
        Some(lock) => {
            pinned = model.clone();
            crate::lock::pin(&mut pinned, lock, &a.args);
            &pinned
        }
        None => model,
    };
    let selection = Selection {
        image: a.image.clone(),
        target: a.target.clone(),
        args: a.args.clone(),
        platform: a.platform.clone(),
        no_syntax: a.syntax.is_some(),
    };
    // The LLB emits start each stage from its base image's config.
    let configs =
        if matches!(emit, Emit::Llb | Emit::LlbJson | Emit::ImageConfig) && !a.no_base_configs {
            let pulls = compile::pulls(model, &selection).map_err(|e| e.to_string())?;
            let source = lock::ConfigSource {
                mirrors: &a.mirrors,
                offline: a.offline,
                locked: a.locked,
            };
            lock::configs(&pulls, lock.as_ref(), &source)?
        } else {
            crate::backend::llb::BaseConfigs::new()
        };
    let output = compile::emit_with(model, &selection, emit, &spec.name, &configs)
        .map_err(|e| e.to_string())?;
    if emit == Emit::Dockerfile
        && let Ok(build) = crate::lower::select(model, &selection)
    {
        for gap in crate::backend::dockerfile::legacy_frontend_gaps(&build) {
            say!(
                "note: without the modern Dockerfile syntax, engines such as dockerd 20.10 reject {gap}"
            );
        }
    }
    if let Some(file) = &a.check {
        if let Some(bytes) = &output.binary {
            return binary_drift_check(file, bytes, output.image_config.as_deref());
        }
        let build = crate::lower::select(model, &selection).ok();
        return drift_check(file, &output, a, build.as_ref());
    }
    match &a.output {
        Some(file) if output.binary.is_some() => {
            let bytes = output.binary.as_deref().unwrap_or_default();
            std::fs::write(file, bytes)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            if let Some(config) = &output.image_config {
                write_file(&config_path(file), config)?;
            }
        }
        Some(file) => {
            write_file(file, &output.main)?;
            if let Some(ignore) = &output.dockerignore {
                write_file(&dockerignore_path(file), ignore)?;
            }
        }
        None => {
            let bytes = output.binary.as_deref().unwrap_or(output.main.as_bytes());
            out::stdout_bytes(bytes)?;
            if output.dockerignore.is_some() {
                say!(
                    "note: the spec has `context` ignore patterns; they are written only with `-o FILE` (as FILE.dockerignore)"
                );
            }
        }
    }
    Ok(OK)
}

/// `-o FILE` and `--check FILE` name the generated file: refuse the spec
/// itself and any `.kdl` file (a spec, a preset), so that msbc never writes
/// over one and never suggests a command that would.
fn not_a_spec(file: &Path, spec: &Path, doing: &str) -> Result<(), String> {
    let input = if spec.is_dir() {
        Some(spec.join("build.kdl"))
    } else {
        (spec != Path::new("-")).then(|| spec.to_path_buf())
    };
    let same = input.as_ref().is_some_and(|input| {
        input == file
            || matches!(
                (std::fs::canonicalize(input), std::fs::canonicalize(file)),
                (Ok(a), Ok(b)) if a == b
            )
    });
    let kdl = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("kdl"));
    if same || kdl {
        let what = if same { "the spec" } else { "a .kdl file" };
        return Err(format!(
            "refusing to {doing} {} ({what}): name the generated file, e.g. `-o Dockerfile`",
            file.display()
        ));
    }
    Ok(())
}

fn dockerignore_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".dockerignore");
    PathBuf::from(name)
}

/// Where `--emit llb -o FILE` puts the image config: `FILE.config.json`.
fn config_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".config.json");
    PathBuf::from(name)
}

/// `--check FILE` for binary LLB: FILE must hold the same bytes, and
/// `FILE.config.json` the same image config.
fn binary_drift_check(file: &Path, bytes: &[u8], config: Option<&str>) -> CliResult {
    let read = |path: &Path| match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut drift = false;
    if read(file)? != bytes {
        say!(
            "{} is out of date with the spec (binary LLB; compare with --emit llb-json)",
            file.display()
        );
        drift = true;
    }
    if let Some(config) = config {
        let path = config_path(file);
        if read(&path)? != config.as_bytes() {
            say!("{} is out of date with the spec", path.display());
            drift = true;
        }
    }
    Ok(if drift { SPEC_ERROR } else { OK })
}

fn write_file(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `--check FILE`: exit 1 with a short diff when FILE (or its
/// `.dockerignore`) is not what would be written.
fn drift_check(
    file: &Path,
    output: &Output,
    a: &CompileArgs,
    build: Option<&crate::ir::Build>,
) -> CliResult {
    let mut expected = vec![(file.to_path_buf(), output.main.clone())];
    if let Some(ignore) = &output.dockerignore {
        expected.push((dockerignore_path(file), ignore.clone()));
    }
    let mut drift = false;
    for (path, want) in &expected {
        let have = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if &have != want {
            drift = true;
            let shown = path.display().to_string();
            let diff = similar::TextDiff::from_lines(&have, want);
            say!("{shown} is out of date with the spec:");
            // What changes, stage by stage, when the checked-in file reads back.
            if path == file
                && let Some(summary) = build.and_then(|b| diff::drift_summary(&have, &shown, b))
            {
                say_part!("{summary}");
                say!();
            }
            say_part!(
                "{}",
                diff.unified_diff().context_radius(2).header(
                    &format!("{shown} (checked in)"),
                    &format!("{shown} (from the spec)")
                )
            );
        }
    }
    if drift {
        let mut fix = format!("msbc compile {}", a.path.display());
        if let Some(i) = &a.image {
            fix.push_str(&format!(" --image {i}"));
        }
        if let Some(t) = &a.target {
            fix.push_str(&format!(" --target {t}"));
        }
        if a.syntax.is_some() {
            fix.push_str(" --syntax none");
        }
        fix.push_str(&format!(" -o {}", file.display()));
        say!("to update it, run: {fix}");
        Ok(SPEC_ERROR)
    } else {
        Ok(OK)
    }
}

fn explain_cmd(a: &ExplainArgs) -> CliResult {
    let Some(code) = &a.code else {
        let mut out = String::from("Diagnostic codes (msbc explain CODE for details):\n\n");
        for c in Code::ALL {
            out.push_str(&format!(
                "  {}  {:<24} {}\n",
                c.as_str(),
                c.slug(),
                c.summary()
            ));
        }
        out.push_str("\nImport codes (msbc import):\n\n");
        for c in ImportCode::ALL {
            out.push_str(&format!(
                "  {}  {:<24} {}\n",
                c.as_str(),
                c.slug(),
                import_code_text(*c).0
            ));
        }
        out::stdout(&out)?;
        return Ok(OK);
    };
    let import = ImportCode::ALL
        .iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(code) || c.slug() == code);
    match (code.parse::<Code>(), import) {
        (Ok(c), _) => {
            out::stdout(c.explanation())?;
            Ok(OK)
        }
        (Err(()), Some(c)) => {
            out::stdout(import_code_text(*c).1)?;
            Ok(OK)
        }
        (Err(()), None) => {
            let all: Vec<&str> = Code::ALL
                .iter()
                .map(|c| c.as_str())
                .chain(Code::ALL.iter().map(|c| c.slug()))
                .chain(ImportCode::ALL.iter().map(|c| c.as_str()))
                .chain(ImportCode::ALL.iter().map(|c| c.slug()))
                .collect();
            let hint = match did_you_mean(&code.to_uppercase(), all.iter().copied())
                .or_else(|| did_you_mean(code, all))
            {
                Some(s) => format!("; did you mean `{s}`?"),
                None => "; `msbc explain` lists them all".to_string(),
            };
            Err(format!("no diagnostic code `{code}`{hint}"))
        }
    }
}

/// An import code's one-line summary and long explanation (`msbc explain
/// I003`): import codes are not spec diagnostics (`crate::import`), but
/// `msbc import` prints them, so `explain` knows them too.
fn import_code_text(code: ImportCode) -> (&'static str, &'static str) {
    match code {
        ImportCode::UnsupportedInstruction => (
            "an instruction the spec has no equivalent for (left out)",
            include_str!("explain/I001.md"),
        ),
        ImportCode::UnsupportedFlag => (
            "a flag or option the spec cannot express (dropped)",
            include_str!("explain/I002.md"),
        ),
        ImportCode::UnmappedVariable => (
            "a variable that is no declared ARG or earlier ENV (kept literal)",
            include_str!("explain/I003.md"),
        ),
        ImportCode::RemoteAdd => (
            "ADD of a URL, git repository or archive (left out)",
            include_str!("explain/I004.md"),
        ),
        ImportCode::Approximated => (
            "written in an equivalent but different form",
            include_str!("explain/I005.md"),
        ),
        ImportCode::NotText => (
            "the input is not UTF-8 text",
            include_str!("explain/I101.md"),
        ),
        ImportCode::NotDockerfile => (
            "the input does not parse as a Dockerfile",
            include_str!("explain/I102.md"),
        ),
        ImportCode::NoStage => ("the input has no FROM", include_str!("explain/I103.md")),
    }
}
