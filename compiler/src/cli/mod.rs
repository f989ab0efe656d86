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
mod check;
mod compile;
mod diff;
mod editor;
mod explain;
mod fleet;
mod git;
mod import;
mod init;
mod lock;
mod lsp;
mod out;
mod presets;
mod registry;
mod spec;
mod templates;

pub use templates::{context_files, project_contents};

// What the subcommand files share, named here so that each reaches it as `super::NAME`.
use check::{check_cmd, failed, print_human, sarif_uri, strict};
use compile::{compile_cmd, dockerignore_path, ours_to_write};
use explain::explain_cmd;
use spec::{Spec, read_spec};

use crate::diag::render::Style;
use args::{Cli, ColorWhen, Command};
use clap::Parser;
/// Writes to stdout; a closed pipe ends the output quietly (see `out`).
use out::stdout as write_stdout;
use std::io::IsTerminal;

/// Exit codes of the contract.
pub const OK: i32 = 0;
/// The spec has errors (or a check failed).
pub const SPEC_ERROR: i32 = 1;
/// The command line, a file or a build cannot be used as given.
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
        Command::Init(a) => init::run(&a),
        Command::Completions(a) => completions_cmd(&a),
        Command::Images(a) => fleet::images(&a),
        Command::Bake(a) => fleet::bake(&a),
        Command::Frontend => Ok(crate::frontend::main()),
        Command::Graph(a) => editor::graph_cmd(&a),
        Command::Lsp => lsp::lsp_cmd(),
        Command::Fmt(a) => editor::fmt_cmd(&a),
        Command::Schema => out::stdout(&crate::backend::json::schema()).map(|()| OK),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            // A message that names its code says `error[CODE]` itself.
            if message.starts_with("error[") {
                say!("{message}");
            } else {
                say!("error: {message}");
            }
            USAGE_ERROR
        }
    }
}

/// A usage or I/O problem, printed once as `error: ...` (exit 2).
type CliResult = Result<i32, String>;

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
