//! `ashlog-bench`: load generator and benchmark for ashlog.
//!
//! With no `--url` it starts its own temporary deployment from the release
//! binaries beside it (an `ashlog-server` with embedded storage, its own
//! agency CA, three `ashlog-witness` processes with quorum 2) and drives
//! that; with `--url <log> --ca-cert <pem> --ca-key <pem>` it drives a
//! running log that trusts that CA. Every statement is signed before the
//! clock starts. Each phase prints one result line; the run ends with a
//! `summary` line holding `accepted/s=<number>` and the latency percentiles.
//!
//! Examples:
//!   cargo build --release --workspace
//!   target/release/ashlog-bench --duration 60                 # registration, closed loop
//!   target/release/ashlog-bench --duration 60 --rate 5000     # latency at a fixed rate
//!   target/release/ashlog-bench --mode reads --duration 20    # checkpoint, tiles, receipts
//!   target/release/ashlog-bench --mode witness --duration 30  # one witness, many logs
//!   target/release/ashlog-bench --scale 10000000              # a 10M-entry log
//!   target/release/ashlog-bench --quick                       # CI smoke test, ~30 s

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use ashlog_tests::bench::ceiling::{self, Ceiling};
use ashlog_tests::bench::corpus::{self, Corpus};
use ashlog_tests::bench::deploy::{self, Deployment, OwnLog};
use ashlog_tests::bench::read::{self, ReadReport};
use ashlog_tests::bench::register::{self, Load, RegisterReport};
use ashlog_tests::bench::scale::{self, ScalePlan};
use ashlog_tests::bench::stats::{self, ms};
use ashlog_tests::bench::witness::WitnessRig;
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// POST /entries (the default).
    Register,
    /// GET /checkpoint.
    Checkpoint,
    /// GET every hash tile of the published tree.
    Tiles,
    /// GET /entries/{id} (receipts).
    Receipts,
    /// checkpoint, tiles and receipts in turn.
    Reads,
    /// add-checkpoint on one witness with many distinct logs.
    Witness,
    /// register, then the three reads, then witness.
    All,
}

/// Load generator and benchmark for ashlog (see the module doc for examples).
#[derive(Parser, Debug)]
#[command(name = "ashlog-bench", version, about, long_about = None)]
struct Args {
    /// What to measure.
    #[arg(long, value_enum, default_value = "register")]
    mode: Mode,
    /// A running log to drive instead of starting one (needs --ca-cert and
    /// --ca-key of a CA it trusts).
    #[arg(long, requires_all = ["ca_cert", "ca_key"])]
    url: Option<String>,
    /// PEM certificate of a CA the log at --url trusts (an anchor or an
    /// intermediate under one).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// PKCS#8 PEM key of that CA.
    #[arg(long)]
    ca_key: Option<PathBuf>,
    /// The pid of the log at --url, for its CPU and memory figures.
    #[arg(long)]
    log_pid: Option<u32>,
    /// Seconds each timed phase runs.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Connections (requests in flight at most).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Statements per second (open loop); default: closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// Statements to pre-sign; default rate x duration, or 15,000/s x
    /// duration in closed loop.
    #[arg(long)]
    statements: Option<usize>,
    /// Agencies (signing keys and certificates).
    #[arg(long, default_value_t = 32)]
    agencies: usize,
    /// Entries registered (untimed) before the read modes, when the log is
    /// ours and no registration phase ran.
    #[arg(long, default_value_t = 20_000)]
    prefill: usize,
    /// Milliseconds between /checkpoint polls when timing receipts.
    #[arg(long, default_value_t = 5)]
    poll_ms: u64,
    /// Distinct logs in witness mode.
    #[arg(long, default_value_t = 1000)]
    witness_logs: usize,
    /// Build a log of this many entries through POST /entries, measuring at
    /// each power of ten.
    #[arg(long)]
    scale: Option<u64>,
    /// Statements signed per fill chunk in --scale.
    #[arg(long, default_value_t = 100_000)]
    scale_chunk: usize,
    /// Statements in each measured --scale window.
    #[arg(long, default_value_t = 30_000)]
    scale_window: usize,
    /// Seconds per ceiling figure (0 skips the ceiling).
    #[arg(long, default_value_t = 1.0)]
    ceiling_secs: f64,
    /// Pin the log to these CPUs (taskset list, e.g. 1).
    #[arg(long)]
    log_cpus: Option<String>,
    /// Pin the witnesses to these CPUs.
    #[arg(long)]
    witness_cpus: Option<String>,
    /// Pin this process to these CPUs.
    #[arg(long)]
    client_cpus: Option<String>,
    /// Client runtime threads (default: cores).
    #[arg(long)]
    client_threads: Option<usize>,
    /// Extra `key = value` lines for the [sequencer] table of our own log.
    #[arg(long = "log-sequencer")]
    log_sequencer: Vec<String>,
    /// Smoke test: a few seconds per phase, small counts, every mode.
    #[arg(long)]
    quick: bool,
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("ashlog-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn run(mut a: Args) -> anyhow::Result<bool> {
    if a.quick {
        a.mode = Mode::All;
        a.duration = a.duration.min(3.0);
        a.concurrency = a.concurrency.min(16);
        a.agencies = a.agencies.min(4);
        a.prefill = a.prefill.min(2_000);
        a.witness_logs = a.witness_logs.min(50);
        a.ceiling_secs = a.ceiling_secs.min(0.2);
        a.statements = Some(a.statements.unwrap_or(4_000).min(4_000));
    }
    if let Some(cpus) = &a.client_cpus {
        deploy::pin(std::process::id(), cpus)?;
    }
    let duration = Duration::from_secs_f64(a.duration);
    println!("machine: {}", stats::machine());
    let load0 = stats::load_average();
    println!(
        "load average at start: {load0:.2}{}",
        if load0 > 0.5 {
            " (WARNING: the machine is busy; figures will be noisy)"
        } else {
            ""
        }
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.client_threads.unwrap_or_else(cores).max(1))
        .enable_all()
        .build()?;
    let tag = corpus::run_tag();

    if a.mode == Mode::Witness {
        let ceiling = measure_ceiling(&a)?;
        let ok = witness_phase(&rt, &a, duration, &tag)?;
        println!("summary mode=witness {}", ceiling_brief(&ceiling));
        return Ok(ok);
    }

    let deployment = match &a.url {
        Some(url) => Deployment::remote(
            url,
            a.ca_cert.as_ref().ok_or_else(|| anyhow!("--ca-cert"))?,
            a.ca_key.as_ref().ok_or_else(|| anyhow!("--ca-key"))?,
            a.log_pid,
        )?,
        None => {
            println!(
                "starting a log with 3 witnesses (quorum 2) from {}",
                ashlog_tests::harness::bin_dir().display()
            );
            Deployment::own(&OwnLog {
                witnesses: 3,
                quorum: 2,
                sequencer: a.log_sequencer.clone(),
                registration: Vec::new(),
                top: Vec::new(),
            })?
        }
    };
    if let (Some(cpus), Some(pid)) = (&a.log_cpus, deployment.log_pid) {
        deploy::pin(pid, cpus)?;
    }
    if let Some(cpus) = &a.witness_cpus {
        for pid in deployment.witness_pids() {
            deploy::pin(pid, cpus)?;
        }
    }
    println!("log: {} (pid {:?})", deployment.url, deployment.log_pid);
    let agencies = deployment.agencies(a.agencies.max(1), &tag)?;
    let ceiling = measure_ceiling(&a)?;
    let mut ok = true;

    if let Some(entries) = a.scale {
        let size = rt.block_on(published_size(&deployment))?;
        let plan = ScalePlan {
            entries,
            chunk: a.scale_chunk.max(1),
            window: a.scale_window.max(1),
            concurrency: a.concurrency,
            sign_threads: cores(),
        };
        let rows = scale::run(
            &rt,
            &plan,
            &deployment.target,
            &agencies,
            &tag,
            size,
            deployment.log_pid,
            &deployment.witness_pids(),
            deployment.db_path(),
        )?;
        let first = rows.first().map_or(0.0, |r| r.accepted_per_sec);
        let last = rows.last().map_or(0.0, |r| r.accepted_per_sec);
        let peak = rows.iter().map(|r| r.hwm).max().unwrap_or(0);
        println!(
            "summary mode=scale entries={} accepted/s={last:.0} (first window {first:.0}, ratio {:.2}) peak_rss={:.0}MiB overhead/entry={:.0} {}",
            rows.last().map_or(0, |r| r.entries_after),
            if first > 0.0 { last / first } else { 0.0 },
            peak as f64 / 1048576.0,
            rows.last().map_or(0.0, |r| r.overhead_per_entry()),
            ceiling_brief(&ceiling)
        );
        return Ok(rows.iter().all(|r| r.errors == 0));
    }

    let mut reg: Option<RegisterReport> = None;
    if matches!(a.mode, Mode::Register | Mode::All) {
        let n = a.statements.unwrap_or_else(|| match a.rate {
            Some(r) => (r * a.duration * 1.02) as usize + 16,
            None => (15_000.0 * a.duration) as usize,
        });
        println!(
            "signing {n} statements from {} agencies on {} threads",
            agencies.len(),
            cores()
        );
        let t = std::time::Instant::now();
        let corpus = Corpus::sign(&agencies, n, 0, &tag, cores())?;
        println!(
            "signed in {:.1}s; average statement {:.0} bytes",
            t.elapsed().as_secs_f64(),
            corpus.average_bytes()
        );
        let load = Load {
            concurrency: a.concurrency,
            rate: a.rate,
            duration,
            track_receipts: true,
            receipt_timeout: Duration::from_secs(30),
            poll: Duration::from_millis(a.poll_ms.max(1)),
        };
        let r = rt.block_on(register::run(
            &deployment.target,
            &corpus,
            &load,
            deployment.log_pid,
            &deployment.witness_pids(),
        ));
        print_register(&r, &a, &ceiling);
        if r.exhausted {
            println!(
                "WARNING: the {} pre-signed statements ran out before {}s; pass a larger --statements",
                corpus.len(),
                a.duration
            );
        }
        ok &= r.error_count() == 0 && r.receipts_missing == 0;
        if let Some(world) = &deployment.world {
            ok &= verify_one(world, r.max_index)?;
        }
        reg = Some(r);
    }

    let mut reads: Vec<(&str, ReadReport)> = Vec::new();
    if matches!(
        a.mode,
        Mode::Checkpoint | Mode::Tiles | Mode::Receipts | Mode::Reads | Mode::All
    ) {
        let mut size = rt.block_on(published_size(&deployment))?;
        if size < a.prefill as u64 && reg.is_none() && deployment.world.is_some() {
            let n = a.prefill - size as usize;
            println!("prefilling {n} entries (untimed)");
            let corpus = Corpus::sign(&agencies, n, 1 << 40, &tag, cores())?;
            let load = Load {
                concurrency: a.concurrency,
                rate: None,
                duration: Duration::from_secs(3600),
                track_receipts: true,
                receipt_timeout: Duration::from_secs(30),
                poll: Duration::from_millis(20),
            };
            let r = rt.block_on(register::run(&deployment.target, &corpus, &load, None, &[]));
            if r.error_count() > 0 {
                bail!("prefill failed: {}", r.errors_text());
            }
            size = rt.block_on(published_size(&deployment))?;
        }
        println!("published size for reads: {size}");
        let phases: Vec<(&str, Vec<String>)> = [
            (Mode::Checkpoint, "checkpoint"),
            (Mode::Tiles, "tiles"),
            (Mode::Receipts, "receipts"),
        ]
        .into_iter()
        .filter(|(m, _)| *m == a.mode || matches!(a.mode, Mode::Reads | Mode::All))
        .map(|(m, name)| {
            let paths = match m {
                Mode::Checkpoint => vec!["/checkpoint".to_string()],
                Mode::Tiles => read::tile_paths(size),
                _ => read::receipt_paths(size, 100_000),
            };
            (name, paths)
        })
        .collect();
        for (name, paths) in phases {
            let r = rt.block_on(read::run(
                &deployment.target,
                Arc::new(paths),
                a.concurrency,
                duration,
                deployment.log_pid,
            ));
            println!(
                "{name}: requests/s={:.0} MB/s={:.1} latency: {} {} {}",
                r.per_sec(),
                r.bytes as f64 / r.elapsed.max(1e-9) / 1e6,
                r.latency,
                r.errors_text(),
                r.cpu
            );
            ok &= r.errors.is_empty();
            reads.push((name, r));
        }
    }

    if a.mode == Mode::All {
        ok &= witness_phase(&rt, &a, duration, &tag)?;
    }

    // The last line: what a script greps.
    let mut line = String::from("summary");
    if let Some(r) = &reg {
        line.push_str(&format!(
            " accepted/s={:.1} post_to_303: p50={} p90={} p99={} max={} receipt: p50={} p90={} p99={} max={} {}",
            r.accepted_per_sec(),
            ms(r.post_to_303.p50),
            ms(r.post_to_303.p90),
            ms(r.post_to_303.p99),
            ms(r.post_to_303.max),
            ms(r.post_to_receipt.p50),
            ms(r.post_to_receipt.p90),
            ms(r.post_to_receipt.p99),
            ms(r.post_to_receipt.max),
            r.errors_text()
        ));
    }
    for (name, r) in &reads {
        line.push_str(&format!(" {name}/s={:.0}", r.per_sec()));
    }
    line.push_str(&format!(" {}", ceiling_brief(&ceiling)));
    println!("{line}");
    Ok(ok)
}

fn measure_ceiling(a: &Args) -> anyhow::Result<Ceiling> {
    if a.ceiling_secs <= 0.0 {
        return Ok(Ceiling::default());
    }
    let c = ceiling::measure(a.ceiling_secs)?;
    println!("{c}");
    Ok(c)
}

fn ceiling_brief(c: &Ceiling) -> String {
    format!(
        "ceiling_es256_aws_lc/s/core={:.0} ceiling_es256_p256/s/core={:.0} ceiling_sha256_node/s/core={:.0}",
        c.es256_aws_lc.one, c.es256_p256.one, c.node_hash.one
    )
}

fn print_register(r: &RegisterReport, a: &Args, c: &Ceiling) {
    let per_core = c.es256_aws_lc.one;
    let ratio = match (r.cpu.log, per_core > 0.0) {
        (Some(cores), true) if cores > 0.0 => format!(
            " ratio_to_es256_ceiling_of_log_cores={:.2} log_cpu_us/entry={:.0}",
            r.accepted_per_sec() / (per_core * cores),
            cores * 1e6 / r.accepted_per_sec().max(1e-9)
        ),
        _ => String::new(),
    };
    let all = if c.es256_aws_lc.all > 0.0 {
        format!(
            " ratio_to_es256_ceiling_all_cores={:.2}",
            r.accepted_per_sec() / c.es256_aws_lc.all
        )
    } else {
        String::new()
    };
    println!(
        "register: accepted/s={:.1} ({} accepted of {} sent in {:.1}s, slowest second {} fastest {}) {} {}",
        r.accepted_per_sec(),
        r.accepted,
        r.sent,
        r.elapsed,
        r.per_second.0,
        r.per_second.1,
        r.errors_text(),
        match a.rate {
            Some(rate) => format!("rate={rate}"),
            None => format!("concurrency={}", a.concurrency),
        }
    );
    println!("  post_to_303: {}", r.post_to_303);
    println!(
        "  post_to_receipt: {}{}",
        r.post_to_receipt,
        if r.receipts_missing > 0 {
            format!(" MISSING={}", r.receipts_missing)
        } else {
            String::new()
        }
    );
    println!("  {}{ratio}{all}", r.cpu);
}

async fn published_size(d: &Deployment) -> anyhow::Result<u64> {
    let mut c = ashlog_tests::bench::http::Conn::new(&d.target);
    let r = c.get("/checkpoint").await?;
    if r.status != 200 {
        bail!("/checkpoint answered {}", r.status);
    }
    register::checkpoint_size(&r.body).ok_or_else(|| anyhow!("unparsable checkpoint"))
}

/// Fetches the Transparent Statement of entry `index` and verifies it as a
/// citizen would: the benchmark counted only what really verifies.
fn verify_one(world: &ashlog_tests::world::World, index: u64) -> anyhow::Result<bool> {
    let ts = ashlog_tests::client::poll_ready(
        &world.url,
        &format!("/entries/1.{index}/statement"),
        Duration::from_secs(30),
    )?;
    let policy = ashlog::policy::Policy::parse(&world.citizen_policy()?)?;
    let anchors = ashlog::chain::TrustAnchors::from_pem(&world.root.cert_pem())?;
    match ashlog::verify::verify_transparent_statement(&ts, &policy, &anchors) {
        Ok(v) => {
            println!(
                "verified entry {} as a citizen would ({} cosigners)",
                v.entry_id,
                v.cosigners.len()
            );
            Ok(true)
        }
        Err(e) => {
            println!("ERROR: entry 1.{index} does not verify: {e}");
            Ok(false)
        }
    }
}

fn witness_phase(
    rt: &tokio::runtime::Runtime,
    a: &Args,
    duration: Duration,
    tag: &str,
) -> anyhow::Result<bool> {
    // Enough checkpoints per log for 5,000 cosignatures/s.
    let logs = a.witness_logs.max(1);
    let steps = ((5_000.0 * a.duration) as usize).div_ceil(logs).max(2);
    println!("witness: preparing {logs} logs x {steps} checkpoints");
    let rig = WitnessRig::start(logs, steps, cores(), tag).context("witness setup")?;
    if let Some(cpus) = &a.witness_cpus {
        deploy::pin(rig.pid(), cpus)?;
    }
    let r = rt.block_on(rig.run(a.concurrency, duration));
    println!(
        "witness: add-checkpoint/s={:.0} ({} cosigned, {} verified by the client) latency: {} {}{} {}",
        r.per_sec(),
        r.cosigned,
        r.verified,
        r.latency,
        if r.errors.is_empty() {
            "errors=0".to_string()
        } else {
            format!("errors={:?}", r.errors)
        },
        if r.exhausted {
            " (ran out of prepared checkpoints)"
        } else {
            ""
        },
        r.cpu
    );
    Ok(r.errors.is_empty() && r.verified > 0)
}
