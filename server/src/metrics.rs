//! Prometheus metrics, rendered by hand from atomics (the exposition format
//! is a few lines of text; a registry crate would be most of the code).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// Sets it.
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A histogram with fixed buckets.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&self.buckets) {
            if v <= *b {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((v * 1e6).max(0.0) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in self.bounds.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let n = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {n}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {n}");
    }
}

const BATCH_BOUNDS: &[f64] = &[1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0];
const LATENCY_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// State of one witness as the log sees it.
#[derive(Debug, Default, Clone)]
pub struct WitnessHealth {
    /// Largest size it cosigned.
    pub cosigned_size: u64,
    /// Last error, if the last attempt failed.
    pub last_error: Option<String>,
    /// Unix time of the last error.
    pub last_error_at: u64,
    /// Latency of the last successful request, seconds.
    pub latency_secs: f64,
    /// Errors so far.
    pub errors: u64,
    /// Cosignatures obtained so far.
    pub cosignatures: u64,
}

/// Every metric of the log.
#[derive(Debug)]
pub struct Metrics {
    /// Submissions by outcome (accepted, duplicate, or the rejection kind).
    pub submissions: Mutex<BTreeMap<String, u64>>,
    /// Submissions that failed in storage.
    pub submissions_failed: Counter,
    /// Entries per committed batch.
    pub batch_sizes: Histogram,
    /// Time to integrate and commit a batch.
    pub integration_latency: Histogram,
    /// Integrated tree size.
    pub tree_size: Gauge,
    /// Size of the latest signed checkpoint.
    pub signed_size: Gauge,
    /// Size of the latest published (witnessed) checkpoint.
    pub published_size: Gauge,
    /// Checkpoints signed.
    pub checkpoints_signed: Counter,
    /// Checkpoints published.
    pub checkpoints_published: Counter,
    /// 1 while storage works, 0 after an I/O error until recovery.
    pub storage_healthy: Gauge,
    /// Per-witness health.
    pub witnesses: Mutex<BTreeMap<String, WitnessHealth>>,
    /// Receipts served.
    pub receipts_served: Counter,
    /// Chain validations answered from the cache.
    pub chain_cache_hits: Counter,
    /// Chain validations done in full.
    pub chain_cache_misses: Counter,
    /// Statement bundle requests refused because every bundle slot was in use.
    pub bundles_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            submissions: Mutex::new(BTreeMap::new()),
            submissions_failed: Counter::default(),
            batch_sizes: Histogram::new(BATCH_BOUNDS),
            integration_latency: Histogram::new(LATENCY_BOUNDS),
            tree_size: Gauge::default(),
            signed_size: Gauge::default(),
            published_size: Gauge::default(),
            checkpoints_signed: Counter::default(),
            checkpoints_published: Counter::default(),
            storage_healthy: Gauge(AtomicU64::new(1)),
            witnesses: Mutex::new(BTreeMap::new()),
            receipts_served: Counter::default(),
            chain_cache_hits: Counter::default(),
            chain_cache_misses: Counter::default(),
            bundles_refused: Counter::default(),
        }
    }
}

fn escape(s: &str) -> String {
    s.chars()
        .take(200)
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            '\n' => vec!['\\', 'n'],
            c => vec![c],
        })
        .collect()
}

impl Metrics {
    /// Counts one submission outcome.
    pub fn submission(&self, outcome: &str) {
        if let Ok(mut m) = self.submissions.lock() {
            *m.entry(outcome.to_string()).or_default() += 1;
        }
    }

    /// Updates a witness's health.
    pub fn witness(&self, name: &str, f: impl FnOnce(&mut WitnessHealth)) {
        if let Ok(mut m) = self.witnesses.lock() {
            f(m.entry(name.to_string()).or_default());
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, disk_bytes: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ashlog_submissions_total Submissions to POST /entries by outcome.\n# TYPE ashlog_submissions_total counter"
        );
        if let Ok(m) = self.submissions.lock() {
            for (k, v) in m.iter() {
                let _ = writeln!(
                    out,
                    "ashlog_submissions_total{{outcome=\"{}\"}} {v}",
                    escape(k)
                );
            }
        }
        let counters: [(&str, &str, &Counter); 7] = [
            (
                "ashlog_submissions_failed_total",
                "Submissions refused because storage failed.",
                &self.submissions_failed,
            ),
            (
                "ashlog_checkpoints_signed_total",
                "Checkpoints signed by the log.",
                &self.checkpoints_signed,
            ),
            (
                "ashlog_checkpoints_published_total",
                "Checkpoints published with a witness quorum.",
                &self.checkpoints_published,
            ),
            (
                "ashlog_receipts_served_total",
                "Receipts served.",
                &self.receipts_served,
            ),
            (
                "ashlog_chain_cache_hits_total",
                "Certificate chains answered from the validation cache.",
                &self.chain_cache_hits,
            ),
            (
                "ashlog_chain_cache_misses_total",
                "Certificate chains validated in full.",
                &self.chain_cache_misses,
            ),
            (
                "ashlog_bundles_refused_total",
                "Statement bundle requests answered 503 because max_bundle_streams were being sent.",
                &self.bundles_refused,
            ),
        ];
        for (name, help, c) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                c.get()
            );
        }
        let gauges: [(&str, &str, u64); 5] = [
            (
                "ashlog_tree_size",
                "Entries integrated into the tree.",
                self.tree_size.get(),
            ),
            (
                "ashlog_signed_checkpoint_size",
                "Size of the latest signed checkpoint.",
                self.signed_size.get(),
            ),
            (
                "ashlog_published_checkpoint_size",
                "Size of the latest published (witnessed) checkpoint.",
                self.published_size.get(),
            ),
            (
                "ashlog_storage_healthy",
                "1 while storage works, 0 after an I/O error until it recovers.",
                self.storage_healthy.get(),
            ),
            (
                "ashlog_storage_bytes",
                "Size of the database file in bytes.",
                disk_bytes,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        self.batch_sizes.render(
            &mut out,
            "ashlog_batch_size",
            "Entries per committed batch.",
        );
        self.integration_latency.render(
            &mut out,
            "ashlog_integration_seconds",
            "Time to integrate and durably commit one batch.",
        );
        if let Ok(w) = self.witnesses.lock() {
            let _ = writeln!(
                out,
                "# HELP ashlog_witness_cosigned_size Largest checkpoint size the witness cosigned.\n# TYPE ashlog_witness_cosigned_size gauge"
            );
            for (n, h) in w.iter() {
                let _ = writeln!(
                    out,
                    "ashlog_witness_cosigned_size{{witness=\"{}\"}} {}",
                    escape(n),
                    h.cosigned_size
                );
            }
            let _ = writeln!(
                out,
                "# HELP ashlog_witness_latency_seconds Latency of the last successful add-checkpoint.\n# TYPE ashlog_witness_latency_seconds gauge"
            );
            for (n, h) in w.iter() {
                let _ = writeln!(
                    out,
                    "ashlog_witness_latency_seconds{{witness=\"{}\"}} {}",
                    escape(n),
                    h.latency_secs
                );
            }
            let _ = writeln!(
                out,
                "# HELP ashlog_witness_errors_total Failed add-checkpoint requests.\n# TYPE ashlog_witness_errors_total counter"
            );
            for (n, h) in w.iter() {
                let _ = writeln!(
                    out,
                    "ashlog_witness_errors_total{{witness=\"{}\"}} {}",
                    escape(n),
                    h.errors
                );
            }
            let _ = writeln!(
                out,
                "# HELP ashlog_witness_up 1 if the last request to the witness succeeded.\n# TYPE ashlog_witness_up gauge"
            );
            for (n, h) in w.iter() {
                let _ = writeln!(
                    out,
                    "ashlog_witness_up{{witness=\"{}\"}} {}",
                    escape(n),
                    u8::from(h.last_error.is_none())
                );
            }
            let _ = writeln!(
                out,
                "# HELP ashlog_witness_last_error_info The last error from the witness (value = unix time).\n# TYPE ashlog_witness_last_error_info gauge"
            );
            for (n, h) in w.iter() {
                if let Some(e) = &h.last_error {
                    let _ = writeln!(
                        out,
                        "ashlog_witness_last_error_info{{witness=\"{}\",error=\"{}\"}} {}",
                        escape(n),
                        escape(e),
                        h.last_error_at
                    );
                }
            }
        }
        out
    }
}
