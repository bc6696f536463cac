//! Exit codes and the errors that decide them.
//!
//! Commands return `Ok(Code)` when they reached a verdict (printed already:
//! verified, or not verified and why) and `Err` when they could not get that
//! far. An error's exit code is 3 when a [`NetError`] is anywhere in its
//! chain (the log could not be reached or answered 5xx), else 2 (bad
//! arguments, unreadable or invalid input files, a log that refused the
//! request).

use std::fmt;
use std::process::ExitCode;

/// What a command concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// Verified, or done, or no anomaly.
    Ok,
    /// Verification failed or an anomaly was found.
    Failed,
}

/// Exit code: verified / done.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: verification failed or anomaly found.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code: usage or input error.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: network (the log could not be reached).
pub(crate) const EXIT_NETWORK: u8 = 3;

impl Code {
    pub(crate) fn exit(self) -> ExitCode {
        match self {
            Code::Ok => ExitCode::from(EXIT_OK),
            Code::Failed => ExitCode::from(EXIT_FAILED),
        }
    }
}

/// The log could not be reached, timed out, or answered with a server error.
#[derive(Debug)]
pub(crate) struct NetError(pub(crate) String);

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NetError {}

/// `<what is wrong> — <what to do>`.
pub(crate) fn fail(what: impl fmt::Display, todo: impl fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{what} — {todo}")
}

/// Whether an error is a broken pipe on stdout (the reader went away, as
/// with `ashlog show ... | head`): not worth a message, and not a failure.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit code for an error.
pub(crate) fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<NetError>()) {
        EXIT_NETWORK
    } else {
        EXIT_USAGE
    }
}

/// Prints `ashlog: <error>` and each cause once, on stderr.
pub(crate) fn report(e: &anyhow::Error) {
    let mut seen = Vec::new();
    let mut lines = Vec::new();
    for c in e.chain() {
        let s = c.to_string();
        if seen.iter().any(|p: &String| p.contains(&s)) {
            continue;
        }
        seen.push(s.clone());
        lines.push(s);
    }
    let mut it = lines.into_iter();
    if let Some(first) = it.next() {
        eprintln!("ashlog: {first}");
    }
    for l in it {
        eprintln!("  because: {l}");
    }
}
