//! What a benchmark run measures besides its own counters: latency
//! percentiles, and CPU time, memory and machine facts read from `/proc`.
//!
//! CPU times come from `/proc/<pid>/stat` (utime + stime of every thread,
//! in USER_HZ = 100 ticks per second on Linux, so 10 ms resolution) and
//! `/proc/stat` (all CPUs), which lets a run say how many cores the log, the
//! witnesses and the load generator each used, and how much of the machine
//! something else (another engineer's compiler) took meanwhile.

use std::fmt;
use std::time::Duration;

/// Ticks per second in `/proc/*/stat` (USER_HZ, fixed at 100 by the Linux
/// ABI whatever the kernel's HZ).
const USER_HZ: f64 = 100.0;

/// Latency samples in microseconds.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    us: Vec<u32>,
}

impl Latencies {
    /// Records one sample.
    pub fn record(&mut self, d: Duration) {
        self.us
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    /// Adds another set of samples.
    pub fn merge(&mut self, other: Latencies) {
        self.us.extend(other.us);
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.us.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.us.is_empty()
    }

    /// The percentiles (nearest rank).
    pub fn summary(&self) -> Percentiles {
        let mut v = self.us.clone();
        v.sort_unstable();
        let at = |q: f64| -> Duration {
            if v.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
            Duration::from_micros(u64::from(v[rank - 1]))
        };
        Percentiles {
            n: v.len(),
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: v
                .last()
                .map_or(Duration::ZERO, |m| Duration::from_micros(u64::from(*m))),
        }
    }
}

/// Latency percentiles of one measurement.
#[derive(Clone, Copy, Debug, Default)]
pub struct Percentiles {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

/// `count` per second over `elapsed` seconds (0 for an empty interval).
pub fn per_sec(count: u64, elapsed: f64) -> f64 {
    if elapsed > 0.0 {
        count as f64 / elapsed
    } else {
        0.0
    }
}

/// `errors=0`, or `errors=<kind>:<n>,...` for summary lines.
pub fn errors_text(errors: &std::collections::BTreeMap<String, u64>) -> String {
    if errors.is_empty() {
        return "errors=0".into();
    }
    let parts: Vec<String> = errors.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("errors={}", parts.join(","))
}

/// Milliseconds with a precision that suits the magnitude.
pub fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1000.0;
    if m < 10.0 {
        format!("{m:.2}ms")
    } else if m < 100.0 {
        format!("{m:.1}ms")
    } else {
        format!("{m:.0}ms")
    }
}

impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50={} p90={} p99={} max={} (n={})",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            self.n
        )
    }
}

/// CPU seconds (user + system, all threads) used so far by process `pid`
/// (None: this process).
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: split after the
    // last ')'. Fields from there: state(3) ... utime(14) stime(15).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// Busy and total CPU seconds of the whole machine so far (`/proc/stat`).
pub fn machine_cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let total: f64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
    Some(((total - idle) / USER_HZ, total / USER_HZ))
}

/// Resident set size and its high-water mark of `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// The machine, in one line: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let l = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            l.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "? GiB".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let sha = if cpuinfo.contains(" sha_ni") {
        ", sha_ni"
    } else {
        ""
    };
    format!("{model} ({cores} cores{sha}), {mem} RAM, Linux {kernel}")
}

/// CPU use of the processes a run cares about, between two snapshots.
#[derive(Clone, Debug, Default)]
pub struct CpuSnapshot {
    at: Option<std::time::Instant>,
    client: f64,
    log: Option<f64>,
    witnesses: Option<f64>,
    machine_busy: f64,
}

/// Cores used by each party over an interval.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    /// This process (the load generator).
    pub client: f64,
    /// The log, if its pid is known.
    pub log: Option<f64>,
    /// All witnesses together, if their pids are known.
    pub witnesses: Option<f64>,
    /// Everything else on the machine (other users' work: noise).
    pub others: f64,
    /// Seconds of the interval.
    pub secs: f64,
}

impl CpuSnapshot {
    /// Takes a snapshot of this process, the log `log` and the witnesses.
    pub fn take(log: Option<u32>, witnesses: &[u32]) -> CpuSnapshot {
        let w: Option<f64> = if witnesses.is_empty() {
            None
        } else {
            witnesses.iter().map(|p| cpu_seconds(Some(*p))).sum()
        };
        CpuSnapshot {
            at: Some(std::time::Instant::now()),
            client: cpu_seconds(None).unwrap_or(0.0),
            log: log.and_then(|p| cpu_seconds(Some(p))),
            witnesses: w,
            machine_busy: machine_cpu_seconds().map_or(0.0, |m| m.0),
        }
    }

    /// Cores used from `self` to `later`.
    pub fn until(&self, later: &CpuSnapshot) -> CpuUse {
        let secs = match (self.at, later.at) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64().max(1e-9),
            _ => 1e-9,
        };
        let client = (later.client - self.client) / secs;
        let log = match (self.log, later.log) {
            (Some(a), Some(b)) => Some((b - a) / secs),
            _ => None,
        };
        let witnesses = match (self.witnesses, later.witnesses) {
            (Some(a), Some(b)) => Some((b - a) / secs),
            _ => None,
        };
        let busy = (later.machine_busy - self.machine_busy) / secs;
        let others = (busy - client - log.unwrap_or(0.0) - witnesses.unwrap_or(0.0)).max(0.0);
        CpuUse {
            client,
            log,
            witnesses,
            others,
            secs,
        }
    }
}

impl fmt::Display for CpuUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpu(cores): client={:.2}", self.client)?;
        if let Some(l) = self.log {
            write!(f, " log={l:.2}")?;
        }
        if let Some(w) = self.witnesses {
            write!(f, " witnesses={w:.2}")?;
        }
        write!(f, " others={:.2}", self.others)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut l = Latencies::default();
        for i in 1..=100u64 {
            l.record(Duration::from_micros(i));
        }
        let p = l.summary();
        assert_eq!(p.p50, Duration::from_micros(50));
        assert_eq!(p.p99, Duration::from_micros(99));
        assert_eq!(p.max, Duration::from_micros(100));
    }

    #[test]
    fn own_cpu_time_is_readable() {
        assert!(cpu_seconds(None).is_some());
        assert!(machine_cpu_seconds().is_some());
    }
}
