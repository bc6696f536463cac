//! `ashlog-crashloop`: SIGKILL the log (and its witnesses) under load, over
//! and over, and check after every restart that nothing acknowledged was
//! lost and nothing forked. Prints a summary table for RELIABILITY.md.
//!
//! Example (the long form, 50 kills):
//!   cargo build --release --workspace
//!   target/release/ashlog-crashloop --kills 50

use std::process::ExitCode;

use clap::Parser;

use ashlog_tests::crashloop::{CrashLoopOptions, run};

/// Crash loop for ashlog: kill -9 under load, restart, re-verify from outside.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// How many times to SIGKILL the log.
    #[arg(long, default_value_t = 50)]
    kills: usize,
    /// Concurrent writer threads.
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// Do not kill witnesses.
    #[arg(long)]
    no_witness_kills: bool,
    /// Random seed (default: the time); printed so a failure can be replayed.
    #[arg(long)]
    seed: Option<u64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut opts = CrashLoopOptions {
        kills: args.kills,
        writers: args.writers,
        kill_witnesses: !args.no_witness_kills,
        ..CrashLoopOptions::default()
    };
    if let Some(s) = args.seed {
        opts.seed = s;
    }
    println!(
        "crash loop: {} kills, {} writers, seed {}",
        opts.kills, opts.writers, opts.seed
    );
    match run(&opts, |line| println!("  {line}")) {
        Ok(r) => {
            println!("\n| figure | value |\n|---|---|");
            println!("| log SIGKILLs survived | {} |", r.kills);
            println!("| witness SIGKILLs survived | {} |", r.witness_kills);
            println!("| acknowledged entries checked | {} |", r.acked);
            println!("| entries lost | {} |", r.lost);
            println!("| forks | {} |", r.forks);
            println!(
                "| observed checkpoints proven consistent | {} |",
                r.checkpoints_checked
            );
            println!(
                "| requests refused while the log was down | {} |",
                r.failed_requests
            );
            println!("| final tree size | {} |", r.final_size);
            println!("| seed | {} |", r.seed);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("CRASH LOOP FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}
