//! Growing a log to millions of entries through the normal path (`POST
//! /entries`, full verification, durable sequencing, integration,
//! witnessed checkpoints) and measuring, at each power of ten from 10,000
//! up to the target, a fixed-size window of registrations: accepted/s,
//! latency, the log's resident memory (VmRSS and its high-water mark VmHWM
//! from `/proc/<pid>/status`) and its storage per entry.
//!
//! Statements are signed a chunk at a time between timed phases (a 10M-entry
//! corpus would not fit in memory), so signing never competes with the log
//! for CPU. Only the windows are the figures; the fill phases are reported
//! as progress.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::corpus::Corpus;
use super::http::Target;
use super::register::{self, Load, RegisterReport};
use super::stats::{Percentiles, rss_bytes};
use crate::world::Agency;

/// What to build.
#[derive(Clone, Debug)]
pub struct ScalePlan {
    /// Entries to reach.
    pub entries: u64,
    /// Statements signed per fill chunk.
    pub chunk: usize,
    /// Statements in each measured window.
    pub window: usize,
    /// Connections.
    pub concurrency: usize,
    /// Signing threads.
    pub sign_threads: usize,
}

/// One measured window.
#[derive(Clone, Debug)]
pub struct ScaleRow {
    /// Log size when the window started.
    pub size: u64,
    /// Accepted/s in the window.
    pub accepted_per_sec: f64,
    /// POST to 303 in the window.
    pub post_to_303: Percentiles,
    /// Errors in the window.
    pub errors: u64,
    /// Log VmRSS after the window, bytes.
    pub rss: u64,
    /// Log VmHWM (peak RSS so far), bytes.
    pub hwm: u64,
    /// Database file length after the window. redb grows the file a region
    /// (1 GiB) at a time and leaves the unused part a hole, so this is not
    /// what the log stores.
    pub db_bytes: u64,
    /// Database bytes on disk (allocated blocks) after the window: what the
    /// per-entry figures use.
    pub db_disk_bytes: u64,
    /// Entries after the window.
    pub entries_after: u64,
    /// Average registered statement bytes.
    pub statement_bytes: f64,
    /// Log cores used in the window.
    pub log_cores: f64,
}

impl ScaleRow {
    /// Database bytes on disk per entry.
    pub fn bytes_per_entry(&self) -> f64 {
        self.db_disk_bytes as f64 / self.entries_after.max(1) as f64
    }

    /// Database bytes per entry beyond the statement itself.
    pub fn overhead_per_entry(&self) -> f64 {
        self.bytes_per_entry() - self.statement_bytes
    }
}

/// The sizes at which windows are measured: 10^4, 10^5, ... below
/// `entries`, and `entries`.
pub fn milestones(entries: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut m = 10_000u64;
    while m < entries {
        out.push(m);
        m *= 10;
    }
    out.push(entries);
    out
}

fn drive_all(
    rt: &tokio::runtime::Runtime,
    target: &Target,
    corpus: &Corpus,
    concurrency: usize,
    log_pid: Option<u32>,
    witness_pids: &[u32],
) -> RegisterReport {
    let load = Load {
        concurrency,
        rate: None,
        // Until the corpus runs out.
        duration: Duration::from_secs(365 * 86_400),
        track_receipts: false,
        receipt_timeout: Duration::ZERO,
        poll: Duration::from_millis(5),
    };
    rt.block_on(register::run(target, corpus, &load, log_pid, witness_pids))
}

/// Runs the plan. `size` is the log's size at the start; rows are printed
/// as they are measured.
#[allow(clippy::too_many_arguments)]
pub fn run(
    rt: &tokio::runtime::Runtime,
    plan: &ScalePlan,
    target: &Target,
    agencies: &[Agency],
    tag: &str,
    mut size: u64,
    log_pid: Option<u32>,
    witness_pids: &[u32],
    db: Option<PathBuf>,
) -> anyhow::Result<Vec<ScaleRow>> {
    let started = Instant::now();
    let mut seq = 0u64;
    let mut rows = Vec::new();
    let db_bytes = || {
        use std::os::unix::fs::MetadataExt;
        db.as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or((0, 0), |m| (m.len(), m.blocks() * 512))
    };
    for m in milestones(plan.entries) {
        while size < m {
            let n = (m - size).min(plan.chunk as u64) as usize;
            let corpus = Corpus::sign(agencies, n, seq, tag, plan.sign_threads)?;
            seq += n as u64;
            let r = drive_all(rt, target, &corpus, plan.concurrency, log_pid, witness_pids);
            size += r.accepted;
            println!(
                "fill size={size} accepted/s={:.0} {} p99={} elapsed={:.0}s",
                r.accepted_per_sec(),
                r.errors_text(),
                super::stats::ms(r.post_to_303.p99),
                started.elapsed().as_secs_f64()
            );
            if r.accepted == 0 {
                anyhow::bail!("the log accepted nothing ({}); stopping", r.errors_text());
            }
        }
        let corpus = Corpus::sign(agencies, plan.window, seq, tag, plan.sign_threads)?;
        seq += plan.window as u64;
        let start_size = size;
        let r = drive_all(rt, target, &corpus, plan.concurrency, log_pid, witness_pids);
        size += r.accepted;
        let (rss, hwm) = log_pid.and_then(rss_bytes).unwrap_or((0, 0));
        let (db_len, db_disk) = db_bytes();
        let row = ScaleRow {
            size: start_size,
            accepted_per_sec: r.accepted_per_sec(),
            post_to_303: r.post_to_303,
            errors: r.error_count(),
            rss,
            hwm,
            db_bytes: db_len,
            db_disk_bytes: db_disk,
            entries_after: size,
            statement_bytes: corpus.average_bytes(),
            log_cores: r.cpu.log.unwrap_or(0.0),
        };
        println!("{}", row_line(&row));
        rows.push(row);
    }
    Ok(rows)
}

/// One row as a line.
pub fn row_line(r: &ScaleRow) -> String {
    format!(
        "scale size={} accepted/s={:.0} post_to_303: {} errors={} log_cores={:.2} rss={:.0}MiB hwm={:.0}MiB db_file={:.0}MiB db_disk={:.0}MiB bytes/entry={:.0} statement={:.0} overhead/entry={:.0}",
        r.size,
        r.accepted_per_sec,
        r.post_to_303,
        r.errors,
        r.log_cores,
        r.rss as f64 / 1048576.0,
        r.hwm as f64 / 1048576.0,
        r.db_bytes as f64 / 1048576.0,
        r.db_disk_bytes as f64 / 1048576.0,
        r.bytes_per_entry(),
        r.statement_bytes,
        r.overhead_per_entry()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_are_powers_of_ten_then_the_target() {
        assert_eq!(milestones(10_000), vec![10_000]);
        assert_eq!(milestones(250_000), vec![10_000, 100_000, 250_000]);
        assert_eq!(
            milestones(10_000_000),
            vec![10_000, 100_000, 1_000_000, 10_000_000]
        );
    }
}
