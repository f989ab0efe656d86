//! Writing to stdout and stderr without panicking (`println!` panics when
//! the reader is gone). A reader that closed stdout (`msbc ... | head`)
//! ends the output quietly: the rest is dropped and the command finishes
//! with the exit status it would have had. Use [`stdout`] and `say!` in
//! the CLI instead of `print!` and `eprintln!`.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout and flushes. `Err` (exit 2) only for an I/O
/// error other than a closed pipe.
pub(crate) fn stdout_bytes(bytes: &[u8]) -> Result<(), String> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(format!("cannot write to stdout: {e}")),
    }
}

/// Writes `text` to stdout; see [`stdout_bytes`].
pub(crate) fn stdout(text: &str) -> Result<(), String> {
    stdout_bytes(text.as_bytes())
}

/// Writes `text` to stderr; a closed or failing stderr is ignored.
pub(crate) fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}
