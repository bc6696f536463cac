//! The read path: `GET` a fixed list of paths round-robin over keep-alive
//! connections, closed loop, for a fixed time. What the paths are decides
//! the mode: `/checkpoint`; every hash tile of the published tree (what a
//! monitor or auditor fetches); `/entries/{id}` receipts of entries spread
//! over the published tree (each one an inclusion proof read from tiles and
//! a receipt assembled around the per-size signature).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::http::{Conn, Target};
use super::stats::{CpuSnapshot, CpuUse, Latencies, Percentiles, errors_text, per_sec};

/// What a read run measured.
#[derive(Clone, Debug, Default)]
pub struct ReadReport {
    /// Requests answered 200.
    pub ok: u64,
    /// Other answers by status ("io" for transport errors).
    pub errors: BTreeMap<String, u64>,
    /// Response bytes of the 200s.
    pub bytes: u64,
    /// Seconds.
    pub elapsed: f64,
    /// Request latency.
    pub latency: Percentiles,
    /// Cores used meanwhile.
    pub cpu: CpuUse,
}

impl ReadReport {
    /// Successful requests per second.
    pub fn per_sec(&self) -> f64 {
        per_sec(self.ok, self.elapsed)
    }

    /// `errors=...` for summary lines.
    pub fn errors_text(&self) -> String {
        errors_text(&self.errors)
    }
}

/// GETs `paths` round-robin on `concurrency` connections for `duration`.
pub async fn run(
    target: &Target,
    paths: Arc<Vec<String>>,
    concurrency: usize,
    duration: Duration,
    log_pid: Option<u32>,
) -> ReadReport {
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::new();
    for _ in 0..concurrency.max(1) {
        let mut c = Conn::new(target);
        let _ = c.get("/healthz").await;
        conns.push(c);
    }
    let cpu0 = CpuSnapshot::take(log_pid, &[]);
    let t0 = Instant::now();
    let deadline = t0 + duration;
    let mut tasks = Vec::new();
    for mut conn in conns {
        let next = next.clone();
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::default();
            let mut ok = 0u64;
            let mut bytes = 0u64;
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            while Instant::now() < deadline && !paths.is_empty() {
                let j = next.fetch_add(1, Ordering::Relaxed);
                let path = &paths[j % paths.len()];
                let start = Instant::now();
                match conn.get(path).await {
                    Ok(r) if r.status == 200 => {
                        lat.record(start.elapsed());
                        ok += 1;
                        bytes += r.body.len() as u64;
                    }
                    Ok(r) => *errors.entry(r.status.as_u16().to_string()).or_default() += 1,
                    Err(_) => *errors.entry("io".into()).or_default() += 1,
                }
            }
            (ok, bytes, errors, lat)
        }));
    }
    let mut report = ReadReport::default();
    let mut lat = Latencies::default();
    for t in tasks {
        if let Ok((ok, bytes, errors, l)) = t.await {
            report.ok += ok;
            report.bytes += bytes;
            for (k, v) in errors {
                *report.errors.entry(k).or_default() += v;
            }
            lat.merge(l);
        }
    }
    report.elapsed = t0.elapsed().as_secs_f64();
    report.cpu = cpu0.until(&CpuSnapshot::take(log_pid, &[]));
    report.latency = lat.summary();
    report
}

/// Every hash tile of a tree of `size` leaves, as request paths.
pub fn tile_paths(size: u64) -> Vec<String> {
    ashlog::tile::tiles_for_size(size)
        .iter()
        .map(|t| format!("/{}", t.path()))
        .collect()
}

/// `/entries/1.<i>` for up to `n` indices spread over `0..size`, in a
/// scrambled order (so consecutive requests touch different tiles).
pub fn receipt_paths(size: u64, n: usize) -> Vec<String> {
    if size == 0 {
        return Vec::new();
    }
    let n = (n as u64).min(size);
    // Multiplying by an odd constant modulo a power of two at least `size`
    // permutes; indices past `size` are skipped.
    let m = size.next_power_of_two();
    let mut out = Vec::with_capacity(n as usize);
    let mut i = 0u64;
    while (out.len() as u64) < n && i < m {
        let idx = (i.wrapping_mul(0x9e37_79b9_7f4a_7c15 | 1)) & (m - 1);
        if idx < size {
            out.push(format!("/entries/1.{idx}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_paths_are_distinct_and_in_range() {
        let p = receipt_paths(1000, 1000);
        assert_eq!(p.len(), 1000);
        let set: std::collections::HashSet<_> = p.iter().collect();
        assert_eq!(set.len(), 1000);
    }

    #[test]
    fn tile_paths_cover_every_level() {
        let p = tile_paths(70_000);
        assert!(p.contains(&"/tile/0/000".to_string()));
        assert!(p.contains(&"/tile/1/001.p/17".to_string()));
        assert!(p.contains(&"/tile/2/000.p/1".to_string()));
    }
}
