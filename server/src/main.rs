//! `ashlog-server`: run an ashlog transparency log.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use ashlog_server::config::Config;
use ashlog_server::{app, init};

// glibc's allocator spent about 8 % of the log's CPU under registration load
// (many small, short-lived allocations per request across worker threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The ashlog transparency service: agencies register signed statements that
/// they destroyed personal data or took applications offline; the log
/// records them in an append-only Merkle tree whose checkpoints independent
/// witnesses cosign.
#[derive(Parser, Debug)]
#[command(name = "ashlog-server", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new log in a directory: keys (PKCS#8 PEM, mode 0600), the
    /// config file ashlog.toml, and entry 0, the log's policy statement.
    ///
    /// Example:
    ///   ashlog-server init --dir /srv/ashlog --origin log.example.org/ashlog/1 \
    ///     --anchor agency-ca.pem --witness-policy witnesses.policy \
    ///     --public-url https://log.example.org/ashlog/1
    #[command(verbatim_doc_comment)]
    Init {
        /// Directory of the new log (created if missing; must not hold a log).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The log's origin: a schema-less URL naming it, e.g.
        /// log.example.org/ashlog/1. It is the first line of every
        /// checkpoint and cannot change later.
        #[arg(long)]
        origin: String,
        /// PEM file of a CA whose agencies may register (repeatable).
        #[arg(long = "anchor")]
        anchors: Vec<PathBuf>,
        /// tlog-policy file naming the witnesses (witness <name> <vkey>
        /// <url>), groups and the quorum. Without it the quorum is none.
        #[arg(long)]
        witness_policy: Option<PathBuf>,
        /// Address serve listens on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// URL clients use to reach the log.
        #[arg(long)]
        public_url: Option<String>,
    },
    /// Run the log.
    ///
    /// Example:
    ///   ashlog-server serve --config /srv/ashlog/ashlog.toml
    ///
    /// Configuration: see the reference after the options (it lists
    /// every key of ashlog.toml with its default).    ///
    /// If the trust anchors, accepted kinds, skew or witness policy differ from
    /// the policy statement in force, serve first appends a new policy
    /// statement, so every change of policy is on the log.
    ///
    /// SIGTERM or Ctrl-C: stop accepting, finish the batch in flight, sign a
    /// final checkpoint, exit.
    #[command(verbatim_doc_comment, after_long_help = ashlog_server::config::reference())]
    Serve {
        /// The config file.
        #[arg(long, default_value = "ashlog.toml")]
        config: PathBuf,
        /// Override the listen address.
        #[arg(long)]
        listen: Option<String>,
        /// DANGER, tests only: follow this file to inject storage faults
        /// (contents: disk-full, sync-error, read-error; absent: none).
        #[arg(long, hide = true)]
        danger_fault_file: Option<PathBuf>,
    },
    /// Print the log's verifier keys (C2SP vkeys), one per line: what
    /// witnesses add with `ashlog-witness add-log` and citizens pin.
    ///
    /// Example:
    ///   ashlog-witness add-log --dir witness log.example.org/ashlog/1 \
    ///     $(ashlog-server vkeys --config /srv/ashlog/ashlog.toml)
    #[command(verbatim_doc_comment)]
    Vkeys {
        /// The config file.
        #[arg(long, default_value = "ashlog.toml")]
        config: PathBuf,
    },
    /// Add trust anchors (CA certificates) to a log; the next serve records
    /// the new policy on the log.
    ///
    /// Example:
    ///   ashlog-server add-anchor --config /srv/ashlog/ashlog.toml new-agency-ca.pem
    #[command(verbatim_doc_comment)]
    AddAnchor {
        /// The config file.
        #[arg(long, default_value = "ashlog.toml")]
        config: PathBuf,
        /// CA certificate PEM files.
        #[arg(required = true)]
        pems: Vec<PathBuf>,
    },
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASHLOG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init {
            dir,
            origin,
            anchors,
            witness_policy,
            listen,
            public_url,
        } => {
            let report = init::init(&init::InitOptions {
                dir,
                origin,
                anchors,
                witness_policy,
                listen,
                public_url,
            })
            .await?;
            println!("Created the log: {}", report.config_path.display());
            println!("Log keys (publish them; witnesses and citizens pin them):");
            for v in &report.vkeys {
                println!("  {v}");
            }
            println!(
                "\nPolicy for citizens (tlog-policy):\n{}",
                report.citizen_policy
            );
            println!(
                "Run it: ashlog-server serve --config {}",
                report.config_path.display()
            );
            Ok(())
        }
        Command::Serve {
            config,
            listen,
            danger_fault_file,
        } => {
            let mut cfg = Config::load(&config)?;
            if let Some(l) = listen {
                cfg.listen = l;
            }
            let faults = danger_fault_file.map(|path| {
                tracing::warn!(file = %path.display(), "DANGER: storage fault injection is on");
                let s = Arc::new(ashlog_server::storage::fault::FaultSwitch::default());
                s.follow_file(path);
                s
            });
            let listener = std::net::TcpListener::bind(&cfg.listen)
                .with_context(|| format!("cannot listen on {}", cfg.listen))?;
            let log = app::start(&cfg, listener, faults).await?;
            log.serve_until_signal().await;
            Ok(())
        }
        Command::Vkeys { config } => {
            let cfg = Config::load(&config)?;
            for v in app::load_keys(&cfg)?.verifiers() {
                println!("{}", v.to_vkey());
            }
            Ok(())
        }
        Command::AddAnchor { config, pems } => {
            init::add_anchors(&config, &pems)?;
            println!(
                "Added {} trust anchor(s) to {}. Restart serve: it records the new policy on the log.",
                pems.len(),
                config.display()
            );
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing("info");
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ashlog-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
