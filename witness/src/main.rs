//! `ashlog-witness`: create, configure and run a transparency-log witness.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use ashlog_witness::{Config, add_log, config_path, init, start};
use clap::{Parser, Subcommand};

/// An independent witness for transparency logs (C2SP tlog-witness).
///
/// It keeps the latest checkpoint it cosigned for each log it follows and
/// cosigns a new one only if the log proves it extends that one, so nobody
/// can be shown a rewritten history. Validly signed contradictions are kept
/// as evidence at GET /evidence.
#[derive(Debug, Parser)]
#[command(
    name = "ashlog-witness",
    version,
    after_help = "Getting started:\n  \
        ashlog-witness init --name witness.example.org/notary-1 --dir ./witness\n  \
        ashlog-witness add-log --dir ./witness log.example.org/ashlog/1 'log.example.org/ashlog/1+0a1b2c3d+AQ...'\n  \
        ashlog-witness serve --dir ./witness\n\n\
        Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) to change the level."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new witness: an Ed25519 key (witness-key.pem, mode 0600) and
    /// witness.toml with no logs. Prints the witness's vkey and a tlog-policy
    /// line to give to log operators and citizens. Never overwrites.
    #[command(
        after_help = "Example:\n  ashlog-witness init --name witness.example.org/notary-1 --dir /var/lib/ashlog-witness"
    )]
    Init {
        /// The witness's name, the key name of its cosignatures: a schema-less
        /// URL without spaces or '+', e.g. witness.example.org/notary-1.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Directory to create the witness in (created if missing), e.g.
        /// /var/lib/ashlog-witness.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Add a log to witness (or replace the keys of one already added).
    /// Restart a running witness to pick the change up.
    #[command(
        after_help = "Example:\n  ashlog-witness add-log --dir ./witness log.example.org/ashlog/1 \\\n    'log.example.org/ashlog/1+0a1b2c3d+AQ...' 'log.example.org/ashlog/1+4e5f6a7b+BTBZ...'"
    )]
    AddLog {
        /// Witness directory (holding witness.toml) or the config file itself,
        /// e.g. ./witness or ./witness/witness.toml.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// The log's origin: the first line of its checkpoints, e.g.
        /// log.example.org/ashlog/1.
        #[arg(value_name = "ORIGIN")]
        origin: String,
        /// One or more log verifier keys, each Ed25519 (0x01) or RFC 6962
        /// P-256 (0x05) and named exactly like the origin, e.g.
        /// log.example.org/ashlog/1+0a1b2c3d+AQ...
        #[arg(value_name = "VKEY", required = true)]
        vkeys: Vec<String>,
    },
    /// Run the witness HTTP server until SIGTERM or SIGINT (graceful
    /// shutdown). Prints `listening on http://<addr>` on stdout once ready.
    #[command(
        after_help = "Examples:\n  ashlog-witness serve --dir /var/lib/ashlog-witness\n  ashlog-witness serve --config /etc/ashlog-witness/witness.toml --listen 127.0.0.1:7380"
    )]
    Serve {
        /// Witness directory holding witness.toml, e.g. /var/lib/ashlog-witness
        /// (default: the current directory).
        #[arg(long, value_name = "DIR", conflicts_with = "config")]
        dir: Option<PathBuf>,
        /// Config file, e.g. /etc/ashlog-witness/witness.toml.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Address to listen on, overriding the config, e.g. 127.0.0.1:7380
        /// (port 0 picks a free port; the address is printed).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Print the witness's cosignature verifier key (name+id+base64(0x04||key)).
    #[command(after_help = "Example:\n  ashlog-witness vkey --dir /var/lib/ashlog-witness")]
    Vkey {
        /// Witness directory holding witness.toml, e.g. /var/lib/ashlog-witness
        /// (default: the current directory).
        #[arg(long, value_name = "DIR", conflicts_with = "config")]
        dir: Option<PathBuf>,
        /// Config file, e.g. /etc/ashlog-witness/witness.toml.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ashlog-witness: error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each cause left out when the message above it
/// already quotes it (library errors carry their cause in their text, so
/// they read well in logs too).
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { name, dir } => {
            let report = init(&dir, &name)?;
            println!("Created witness {name:?}:");
            println!(
                "  key:    {} (mode 0600; back it up, never share it)",
                report.key_path.display()
            );
            println!("  config: {}", report.config_path.display());
            println!();
            println!("Cosignature verifier key (give it to log operators and citizens):");
            println!("  {}", report.vkey);
            println!();
            println!(
                "Suggested tlog-policy line (replace the URL with the address logs reach this witness at):"
            );
            println!("  {}", report.policy_line);
            println!();
            println!(
                "Next: ashlog-witness add-log --dir {} <log origin> <log vkey>...",
                dir.display()
            );
            Ok(())
        }
        Command::AddLog { dir, origin, vkeys } => {
            add_log(&dir, &origin, &vkeys)?;
            println!(
                "Witnessing {origin:?} with {} key(s) (config {}). Restart a running witness to apply.",
                vkeys.len(),
                config_path(&dir).display()
            );
            Ok(())
        }
        Command::Serve {
            dir,
            config,
            listen,
        } => {
            let mut config = load(dir, config)?;
            if let Some(l) = listen {
                config.listen = l;
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(serve(config))
        }
        Command::Vkey { dir, config } => {
            let config = load(dir, config)?;
            let key = config.load_key()?;
            println!("{}", config.vkey(&key)?);
            Ok(())
        }
    }
}

fn load(dir: Option<PathBuf>, config: Option<PathBuf>) -> Result<Config> {
    let path = match (dir, config) {
        (_, Some(file)) => file,
        (Some(dir), None) => config_path(&dir),
        (None, None) => config_path(std::path::Path::new(".")),
    };
    Ok(Config::load(&path)?)
}

async fn serve(config: Config) -> Result<()> {
    if config.logs.is_empty() {
        tracing::warn!("no logs configured: every add-checkpoint will get 404 (use add-log)");
    }
    let listener = std::net::TcpListener::bind(config.listen).with_context(|| {
        format!(
            "cannot listen on {} (is another witness running there? pick another with --listen)",
            config.listen
        )
    })?;
    let running = start(config, listener).await?;
    tracing::info!(vkey = %running.vkey, "witness cosignature vkey");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", running.addr)?;
        out.flush()?;
    }
    running.serve_until(shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops the witness");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
