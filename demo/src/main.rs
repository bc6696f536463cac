//! `ashlog-demo`: tell the whole story on 127.0.0.1.
//!
//! A throw-away log, an agency CA, three witnesses (a notary office, an
//! audit firm, a university, quorum 2), the 2023 Wuxi destruction, the
//! takedown of 40+ pandemic apps, the notary's endorsement and a later
//! correction; then one statement verified offline, and the commands to
//! check the rest yourself.
//!
//! It runs the log server and the witnesses in this one process, through
//! their libraries; the `ashlog-server` binary itself links no witness.

#![forbid(unsafe_code)]

mod story;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Tell the whole ashlog story on 127.0.0.1: a throw-away log, an agency CA,
/// three witnesses (quorum 2), the 2023 Wuxi statements registered,
/// endorsed and corrected, one verified offline, and the commands to check
/// the rest yourself; then serve until Ctrl-C.
///
/// Example:
///   cargo run -p ashlog-demo
#[derive(Parser, Debug)]
#[command(name = "ashlog-demo", version, about, long_about = None, verbatim_doc_comment)]
struct Cli {
    /// Directory for the demo's files (default: a new ashlog-demo-* in the
    /// current directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Port of the log (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Stop after the story instead of serving until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo tells a story on stdout; its servers' routine logs would
    // drown it (ASHLOG_LOG=info brings them back).
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASHLOG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    match story::run(cli.dir, cli.port, cli.exit).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ashlog-demo: {e:#}");
            ExitCode::FAILURE
        }
    }
}
