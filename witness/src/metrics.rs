//! Counters for `GET /metrics`, in the Prometheus text exposition format
//! (version 0.0.4), written by hand from atomics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The add-checkpoint statuses counted one by one; anything else is counted
/// under `other`.
const CODES: [u16; 8] = [200, 400, 403, 404, 409, 413, 422, 500];

/// The witness's counters. Cheap to update from any thread.
#[derive(Debug, Default)]
pub struct Metrics {
    by_code: [AtomicU64; CODES.len()],
    other_code: AtomicU64,
    cosignatures: AtomicU64,
    evidence_recorded: AtomicU64,
    sizes: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// Counts one add-checkpoint response with HTTP status `code`.
    pub fn count_add_checkpoint(&self, code: u16) {
        match CODES.iter().position(|c| *c == code) {
            Some(i) => self.by_code[i].fetch_add(1, Ordering::Relaxed),
            None => self.other_code.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// Counts one cosignature released (after its commit).
    pub fn count_cosignature(&self) {
        self.cosignatures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one evidence entry recorded.
    pub fn count_evidence(&self) {
        self.evidence_recorded.fetch_add(1, Ordering::Relaxed);
    }

    /// Cosignatures released since start.
    pub fn cosignatures(&self) -> u64 {
        self.cosignatures.load(Ordering::Relaxed)
    }

    /// Sets the latest cosigned size of `origin`.
    pub fn set_size(&self, origin: &str, size: u64) {
        if let Ok(mut sizes) = self.sizes.lock() {
            sizes.insert(origin.to_string(), size);
        }
    }

    /// The exposition text. `evidence_stored` is read from the store by the
    /// caller (None if that read failed, and the gauge is then left out).
    pub fn render(&self, evidence_stored: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP ashlog_witness_add_checkpoint_requests_total add-checkpoint requests by HTTP status code.\n\
             # TYPE ashlog_witness_add_checkpoint_requests_total counter\n",
        );
        for (code, n) in CODES.iter().zip(&self.by_code) {
            let _ = writeln!(
                out,
                "ashlog_witness_add_checkpoint_requests_total{{code=\"{code}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "ashlog_witness_add_checkpoint_requests_total{{code=\"other\"}} {}",
            self.other_code.load(Ordering::Relaxed)
        );
        let _ = write!(
            out,
            "# HELP ashlog_witness_cosignatures_total Cosignatures committed and released since start.\n\
             # TYPE ashlog_witness_cosignatures_total counter\n\
             ashlog_witness_cosignatures_total {}\n",
            self.cosignatures()
        );
        let _ = write!(
            out,
            "# HELP ashlog_witness_evidence_recorded_total Inconsistent checkpoints recorded as evidence since start.\n\
             # TYPE ashlog_witness_evidence_recorded_total counter\n\
             ashlog_witness_evidence_recorded_total {}\n",
            self.evidence_recorded.load(Ordering::Relaxed)
        );
        if let Some(n) = evidence_stored {
            let _ = write!(
                out,
                "# HELP ashlog_witness_evidence_stored Evidence entries held in the database.\n\
                 # TYPE ashlog_witness_evidence_stored gauge\n\
                 ashlog_witness_evidence_stored {n}\n"
            );
        }
        out.push_str(
            "# HELP ashlog_witness_log_size Size of the latest checkpoint cosigned, per log origin.\n\
             # TYPE ashlog_witness_log_size gauge\n",
        );
        if let Ok(sizes) = self.sizes.lock() {
            for (origin, size) in sizes.iter() {
                let _ = writeln!(
                    out,
                    "ashlog_witness_log_size{{origin=\"{}\"}} {size}",
                    escape_label(origin)
                );
            }
        }
        out
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_counts_and_escapes_labels() {
        let m = Metrics::default();
        m.count_add_checkpoint(200);
        m.count_add_checkpoint(200);
        m.count_add_checkpoint(409);
        m.count_add_checkpoint(418);
        m.count_cosignature();
        m.count_evidence();
        m.set_size("a\"b", 7);
        let text = m.render(Some(3));
        assert!(text.contains("ashlog_witness_add_checkpoint_requests_total{code=\"200\"} 2\n"));
        assert!(text.contains("ashlog_witness_add_checkpoint_requests_total{code=\"409\"} 1\n"));
        assert!(text.contains("ashlog_witness_add_checkpoint_requests_total{code=\"other\"} 1\n"));
        assert!(text.contains("ashlog_witness_cosignatures_total 1\n"));
        assert!(text.contains("ashlog_witness_evidence_recorded_total 1\n"));
        assert!(text.contains("ashlog_witness_evidence_stored 3\n"));
        assert!(text.contains("ashlog_witness_log_size{origin=\"a\\\"b\"} 7\n"));
        // Every non-comment line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            value.parse::<u64>().unwrap();
        }
    }
}
