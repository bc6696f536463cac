//! The registration load: `POST /entries` of pre-signed statements over
//! keep-alive connections, at a fixed concurrency (closed loop: each
//! connection sends its next statement when the previous one is answered)
//! or at a fixed rate (open loop: statement j is due at `t0 + j / rate`; a
//! late request is timed from when it was due, so a stalled log cannot hide
//! its stall by slowing the client down).
//!
//! Two latencies per accepted statement:
//! - **POST to 303**: request sent (or due) until the 303 (durably
//!   sequenced) is read;
//! - **POST to receipt available**: until a published checkpoint covers the
//!   entry's index. `GET /entries/{id}` answers 200 exactly when the
//!   published checkpoint covers the index (both read the same published
//!   state), so instead of polling every entry a single task polls
//!   `/checkpoint` every few milliseconds and stamps every entry the new
//!   size covers: exact up to the poll interval, and cheap enough to track
//!   every accepted entry rather than a sample.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::corpus::Corpus;
use super::http::{Conn, Target};
use super::stats::{CpuSnapshot, CpuUse, Latencies, Percentiles, errors_text, per_sec};

/// How hard to push.
#[derive(Clone, Debug)]
pub struct Load {
    /// Connections (and so requests in flight at most).
    pub concurrency: usize,
    /// Statements per second (open loop), or None for closed loop.
    pub rate: Option<f64>,
    /// How long to send.
    pub duration: Duration,
    /// Track POST to receipt available (needs `/checkpoint`).
    pub track_receipts: bool,
    /// How long after the last POST to wait for receipts.
    pub receipt_timeout: Duration,
    /// Poll interval of `/checkpoint`.
    pub poll: Duration,
}

/// What a registration run measured.
#[derive(Clone, Debug, Default)]
pub struct RegisterReport {
    /// Requests sent.
    pub sent: u64,
    /// 303 or 201 answers.
    pub accepted: u64,
    /// Other answers, by status (or "io" for transport errors).
    pub errors: BTreeMap<String, u64>,
    /// Seconds from the first request due to the last answer.
    pub elapsed: f64,
    /// POST to 303.
    pub post_to_303: Percentiles,
    /// POST to receipt available.
    pub post_to_receipt: Percentiles,
    /// Accepted entries whose receipt did not become available in time.
    pub receipts_missing: u64,
    /// Whether the corpus ran out before the duration.
    pub exhausted: bool,
    /// Slowest and fastest whole second of accepted statements.
    pub per_second: (u64, u64),
    /// Cores used meanwhile.
    pub cpu: CpuUse,
    /// Highest entry index assigned.
    pub max_index: u64,
}

impl RegisterReport {
    /// Accepted statements per second.
    pub fn accepted_per_sec(&self) -> f64 {
        per_sec(self.accepted, self.elapsed)
    }

    /// Total errors.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// `errors={...}` for summary lines.
    pub fn errors_text(&self) -> String {
        errors_text(&self.errors)
    }
}

/// Entry index from a `Location: /entries/1.<index>`.
fn index_of(location: &str) -> Option<u64> {
    location.rsplit('.').next()?.parse().ok()
}

/// The size of a checkpoint note (second line), without verifying it.
pub fn checkpoint_size(note: &[u8]) -> Option<u64> {
    std::str::from_utf8(note).ok()?.lines().nth(1)?.parse().ok()
}

struct Shared {
    next: AtomicUsize,
    accepted: AtomicU64,
    exhausted: AtomicBool,
    pending: Mutex<BinaryHeap<Reverse<(u64, Instant)>>>,
}

#[derive(Default)]
struct WorkerOut {
    sent: u64,
    accepted: u64,
    errors: BTreeMap<String, u64>,
    lat: Latencies,
    max_index: u64,
}

/// Runs one registration load against `target`. `pids` are the log and
/// witnesses, when known, for CPU accounting.
pub async fn run(
    target: &Target,
    corpus: &Corpus,
    load: &Load,
    log_pid: Option<u32>,
    witness_pids: &[u32],
) -> RegisterReport {
    let shared = Arc::new(Shared {
        next: AtomicUsize::new(0),
        accepted: AtomicU64::new(0),
        exhausted: AtomicBool::new(false),
        pending: Mutex::new(BinaryHeap::new()),
    });
    // Open every connection before the clock starts.
    let mut conns = Vec::new();
    for _ in 0..load.concurrency.max(1) {
        let mut c = Conn::new(target);
        let _ = c.get("/healthz").await;
        conns.push(c);
    }
    let drive_done = Arc::new(AtomicBool::new(false));
    let cpu0 = CpuSnapshot::take(log_pid, witness_pids);
    let t0 = Instant::now();
    let deadline = t0 + load.duration;
    let poller = load.track_receipts.then(|| {
        tokio::spawn(poll_receipts(
            target.clone(),
            shared.clone(),
            drive_done.clone(),
            load.poll,
            load.receipt_timeout,
        ))
    });
    let seconds = tokio::spawn(per_second(shared.clone(), drive_done.clone()));
    let mut tasks = Vec::new();
    for mut conn in conns {
        let shared = shared.clone();
        let corpus = corpus.clone();
        let rate = load.rate;
        let track = load.track_receipts;
        tasks.push(tokio::spawn(async move {
            let mut out = WorkerOut::default();
            loop {
                let j = shared.next.fetch_add(1, Ordering::Relaxed);
                if j >= corpus.len() {
                    shared.exhausted.store(true, Ordering::Relaxed);
                    break;
                }
                let start = match rate {
                    Some(r) => {
                        let due = t0 + Duration::from_secs_f64(j as f64 / r);
                        if due >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        now
                    }
                };
                let body = corpus.body(j);
                out.sent += 1;
                match conn.post("/entries", "application/cose", body).await {
                    Ok(r) if r.status == 303 || r.status == 201 => {
                        let done = Instant::now();
                        out.lat.record(done - start);
                        out.accepted += 1;
                        shared.accepted.fetch_add(1, Ordering::Relaxed);
                        if let Some(index) = r.location.as_deref().and_then(index_of) {
                            out.max_index = out.max_index.max(index);
                            if track && let Ok(mut p) = shared.pending.lock() {
                                p.push(Reverse((index, start)));
                            }
                        }
                    }
                    Ok(r) => {
                        *out.errors.entry(r.status.as_u16().to_string()).or_default() += 1;
                    }
                    Err(_) => {
                        *out.errors.entry("io".into()).or_default() += 1;
                    }
                }
            }
            out
        }));
    }
    let mut report = RegisterReport::default();
    let mut lat = Latencies::default();
    for t in tasks {
        if let Ok(out) = t.await {
            report.sent += out.sent;
            report.accepted += out.accepted;
            for (k, v) in out.errors {
                *report.errors.entry(k).or_default() += v;
            }
            lat.merge(out.lat);
            report.max_index = report.max_index.max(out.max_index);
        }
    }
    report.elapsed = t0.elapsed().as_secs_f64();
    report.cpu = cpu0.until(&CpuSnapshot::take(log_pid, witness_pids));
    drive_done.store(true, Ordering::Relaxed);
    report.exhausted = shared.exhausted.load(Ordering::Relaxed);
    report.post_to_303 = lat.summary();
    if let Ok(s) = seconds.await {
        report.per_second = s;
    }
    if let Some(p) = poller
        && let Ok(receipts) = p.await
    {
        report.post_to_receipt = receipts.summary();
        report.receipts_missing = shared.pending.lock().map_or(0, |p| p.len() as u64);
    }
    report
}

/// Samples the accepted counter once a second while the drive runs; the
/// slowest and fastest full seconds, the first and last excluded.
async fn per_second(shared: Arc<Shared>, done: Arc<AtomicBool>) -> (u64, u64) {
    let mut samples = Vec::new();
    let mut last = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    while !done.load(Ordering::Relaxed) {
        tick.tick().await;
        let now = shared.accepted.load(Ordering::Relaxed);
        samples.push(now - last);
        last = now;
    }
    // The last sample is cut short by the end of the drive.
    samples.pop();
    if samples.len() > 1 {
        samples.remove(0);
    }
    let min = samples.iter().copied().min().unwrap_or(0);
    let max = samples.iter().copied().max().unwrap_or(0);
    (min, max)
}

async fn poll_receipts(
    target: Target,
    shared: Arc<Shared>,
    drive_done: Arc<AtomicBool>,
    every: Duration,
    timeout: Duration,
) -> Latencies {
    let mut conn = Conn::new(&target);
    let mut lat = Latencies::default();
    let mut size = 0u64;
    let mut done_at: Option<Instant> = None;
    loop {
        if let Ok(r) = conn.get("/checkpoint").await
            && r.status == 200
            && let Some(s) = checkpoint_size(&r.body)
            && s > size
        {
            size = s;
            let now = Instant::now();
            if let Ok(mut p) = shared.pending.lock() {
                while let Some(Reverse((index, start))) = p.peek().copied() {
                    if index >= size {
                        break;
                    }
                    p.pop();
                    lat.record(now - start);
                }
            }
        }
        if drive_done.load(Ordering::Relaxed) {
            let at = *done_at.get_or_insert_with(Instant::now);
            let empty = shared.pending.lock().map_or(true, |p| p.is_empty());
            if empty || at.elapsed() > timeout {
                break;
            }
        }
        tokio::time::sleep(every).await;
    }
    lat
}
