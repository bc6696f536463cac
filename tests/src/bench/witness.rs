//! The witness load: a real `ashlog-witness` process configured for many
//! distinct logs (each its own origin, Ed25519 key and tree), driven with
//! `add-checkpoint` requests that all deserve a cosignature: each log's
//! checkpoints grow by a few to a few dozen entries at a time and carry a
//! valid RFC 6962 consistency proof from the size the witness holds.
//!
//! Every request is built and signed before the clock starts. A log's
//! requests go out strictly in order on one connection (the next one needs
//! the witness to hold the previous size); connections cycle through their
//! logs, so at any time `concurrency` distinct logs are in flight.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use ashlog::checkpoint::Checkpoint;
use ashlog::keys::Ed25519SigningKey;
use ashlog::merkle::{self, Hash};
use ashlog::note::Note;
use ashlog::vkey::{NoteSigner, VerifierKey};
use bytes::Bytes;

use super::http::{Conn, Target};
use super::stats::{CpuSnapshot, CpuUse, Latencies, Percentiles};
use crate::harness::{Child, bin, free_port, wait_healthy};

/// One log's pre-built requests, in order.
struct LogRequests {
    bodies: Vec<Bytes>,
}

/// A witness under test with its logs.
pub struct WitnessRig {
    /// Where it listens.
    pub target: Target,
    /// Its process.
    pub child: Child,
    /// Its cosignature key.
    pub vkey: VerifierKey,
    logs: Vec<LogRequests>,
    _dir: tempfile::TempDir,
}

/// What a witness run measured.
#[derive(Clone, Debug, Default)]
pub struct WitnessReport {
    /// 200s (cosigned).
    pub cosigned: u64,
    /// Other answers by status.
    pub errors: BTreeMap<String, u64>,
    /// Seconds.
    pub elapsed: f64,
    /// Latency of the 200s.
    pub latency: Percentiles,
    /// Whether some connection ran out of prepared requests.
    pub exhausted: bool,
    /// Cores used.
    pub cpu: CpuUse,
    /// Cosignatures checked against the witness key.
    pub verified: u64,
}

impl WitnessReport {
    /// Cosignatures per second.
    pub fn per_sec(&self) -> f64 {
        if self.elapsed > 0.0 {
            self.cosigned as f64 / self.elapsed
        } else {
            0.0
        }
    }
}

/// Every node of a perfect-subtree decomposition of `leaves`: `levels[l][i]`
/// is node (l, i).
fn levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut out = vec![leaves];
    loop {
        let below = out.last().map(Vec::as_slice).unwrap_or(&[]);
        if below.len() < 2 {
            break;
        }
        let up: Vec<Hash> = below
            .chunks_exact(2)
            .map(|p| merkle::node_hash(&p[0], &p[1]))
            .collect();
        out.push(up);
    }
    out
}

fn consistency(levels: &[Vec<Hash>], old: u64, new: u64) -> anyhow::Result<Vec<Hash>> {
    let steps = merkle::consistency_steps(old, new)?;
    merkle::assemble_proof(&steps, |nodes| {
        nodes
            .iter()
            .map(|n| {
                levels
                    .get(usize::from(n.level))
                    .and_then(|l| l.get(n.index as usize))
                    .copied()
                    .ok_or_else(|| anyhow!("node {n:?} missing"))
            })
            .collect()
    })
}

/// A small deterministic generator (SplitMix64), so runs are repeatable.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn build_log(
    origin: &str,
    key: &Ed25519SigningKey,
    k: u64,
    steps: usize,
) -> anyhow::Result<LogRequests> {
    let signer = NoteSigner::Ed25519 {
        name: origin.to_string(),
        key: key.clone(),
    };
    let mut sizes = Vec::with_capacity(steps);
    let mut size = 0u64;
    for s in 0..steps {
        size += 1 + mix(k << 20 | s as u64) % 48;
        sizes.push(size);
    }
    let leaves: Vec<Hash> = (0..size)
        .map(|i| merkle::leaf_hash(format!("{origin}/{i}").as_bytes()))
        .collect();
    let levels = levels(leaves);
    let mut bodies = Vec::with_capacity(steps);
    let mut old = 0u64;
    for &new in &sizes {
        let root = merkle::fold_right(
            &merkle::root_nodes(new)
                .iter()
                .map(|n| levels[usize::from(n.level)][n.index as usize])
                .collect::<Vec<_>>(),
        )
        .ok_or_else(|| anyhow!("empty tree"))?;
        let cp = Checkpoint {
            origin: origin.to_string(),
            size: new,
            root,
        };
        let mut note = Note::new(&cp.to_text())?;
        note.sign(&signer, 0)?;
        let mut body = format!("old {old}\n");
        if old > 0 {
            for h in consistency(&levels, old, new)? {
                body.push_str(&h.to_base64());
                body.push('\n');
            }
        }
        body.push('\n');
        let mut bytes = body.into_bytes();
        bytes.extend_from_slice(&note.to_bytes());
        bodies.push(Bytes::from(bytes));
        old = new;
    }
    Ok(LogRequests { bodies })
}

impl WitnessRig {
    /// Creates a witness for `logs` logs with `steps` checkpoints each and
    /// starts the `ashlog-witness` binary from `bin_dir`.
    pub fn start(
        logs: usize,
        steps: usize,
        threads: usize,
        tag: &str,
    ) -> anyhow::Result<WitnessRig> {
        let dir = tempfile::Builder::new()
            .prefix("ashlog-bench-witness-")
            .tempdir()?;
        let wdir = dir.path().join("witness");
        let report = ashlog_witness::init(&wdir, "bench.ashlog.invalid/witness")
            .map_err(|e| anyhow!("witness init: {e}"))?;
        let vkey = VerifierKey::parse(&report.vkey)?;
        let keys: Vec<(String, Ed25519SigningKey)> = (0..logs)
            .map(|k| {
                Ok((
                    format!("bench-{tag}.ashlog.invalid/log-{k}"),
                    Ed25519SigningKey::generate()?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        // All logs in one write (add_log would rewrite the file per log).
        let mut config = ashlog_witness::Config::load(&report.config_path)
            .map_err(|e| anyhow!("witness config: {e}"))?;
        for (origin, key) in &keys {
            let vkey = NoteSigner::Ed25519 {
                name: origin.clone(),
                key: key.clone(),
            }
            .verifier()?
            .to_vkey();
            config.logs.push(ashlog_witness::LogConfig {
                origin: origin.clone(),
                vkeys: vec![vkey],
            });
        }
        config.check().map_err(|e| anyhow!("witness config: {e}"))?;
        std::fs::write(&report.config_path, config.to_toml())?;
        // Requests, built in parallel.
        let threads = threads.max(1);
        let per = logs.div_ceil(threads);
        let built: Vec<anyhow::Result<Vec<LogRequests>>> = std::thread::scope(|s| {
            let handles: Vec<_> = keys
                .chunks(per.max(1))
                .enumerate()
                .map(|(c, chunk)| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(i, (origin, key))| {
                                build_log(origin, key, (c * per + i) as u64, steps)
                            })
                            .collect::<anyhow::Result<Vec<_>>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow!("builder panicked")))
                })
                .collect()
        });
        let mut all = Vec::with_capacity(logs);
        for b in built {
            all.extend(b?);
        }
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut child = Child::spawn(
            "witness",
            &bin("ashlog-witness")?,
            &[
                "serve",
                "--dir",
                &wdir.to_string_lossy(),
                "--listen",
                &format!("127.0.0.1:{port}"),
            ],
            &wdir,
        )?;
        wait_healthy(
            &format!("{url}/healthz"),
            Duration::from_secs(30),
            &mut child,
        )
        .context("witness did not start")?;
        Ok(WitnessRig {
            target: Target::parse(&url)?,
            child,
            vkey,
            logs: all,
            _dir: dir,
        })
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.process.id()
    }

    /// Drives the witness on `concurrency` connections for `duration`.
    pub async fn run(&self, concurrency: usize, duration: Duration) -> WitnessReport {
        let concurrency = concurrency.clamp(1, self.logs.len().max(1));
        // Connection c owns logs c, c + C, c + 2C, ...
        let mut owned: Vec<Vec<Vec<Bytes>>> = vec![Vec::new(); concurrency];
        for (k, l) in self.logs.iter().enumerate() {
            owned[k % concurrency].push(l.bodies.clone());
        }
        let mut conns = Vec::new();
        for _ in 0..concurrency {
            let mut c = Conn::new(&self.target);
            let _ = c.get("/healthz").await;
            conns.push(c);
        }
        let pid = self.pid();
        let cpu0 = CpuSnapshot::take(None, &[pid]);
        let t0 = Instant::now();
        let deadline = t0 + duration;
        let mut tasks = Vec::new();
        for (mut conn, logs) in conns.into_iter().zip(owned) {
            let vkey = self.vkey.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Latencies::default();
                let mut ok = 0u64;
                let mut verified = 0u64;
                let mut errors: BTreeMap<String, u64> = BTreeMap::new();
                let mut exhausted = false;
                'outer: for step in 0.. {
                    for log in &logs {
                        if Instant::now() >= deadline {
                            break 'outer;
                        }
                        let Some(body) = log.get(step) else {
                            exhausted = true;
                            break 'outer;
                        };
                        let start = Instant::now();
                        match conn
                            .post("/add-checkpoint", "text/plain; charset=utf-8", body.clone())
                            .await
                        {
                            Ok(r) if r.status == 200 => {
                                lat.record(start.elapsed());
                                ok += 1;
                                // Check the first cosignature of each
                                // connection, so a witness that answers 200
                                // with garbage cannot score.
                                if verified == 0 {
                                    verified += u64::from(check_cosignature(&vkey, body, &r.body));
                                }
                            }
                            Ok(r) => *errors.entry(r.status.as_u16().to_string()).or_default() += 1,
                            Err(_) => *errors.entry("io".into()).or_default() += 1,
                        }
                    }
                }
                (ok, errors, lat, exhausted, verified)
            }));
        }
        let mut report = WitnessReport::default();
        let mut lat = Latencies::default();
        for t in tasks {
            if let Ok((ok, errors, l, exhausted, verified)) = t.await {
                report.cosigned += ok;
                for (k, v) in errors {
                    *report.errors.entry(k).or_default() += v;
                }
                lat.merge(l);
                report.exhausted |= exhausted;
                report.verified += verified;
            }
        }
        report.elapsed = t0.elapsed().as_secs_f64();
        report.cpu = cpu0.until(&CpuSnapshot::take(None, &[pid]));
        report.latency = lat.summary();
        report
    }
}

/// Whether `response` holds a valid cosignature by `vkey` on the checkpoint
/// in `request`.
fn check_cosignature(vkey: &VerifierKey, request: &[u8], response: &[u8]) -> bool {
    let Some(split) = request.windows(2).position(|w| w == b"\n\n") else {
        return false;
    };
    let Ok(note) = Note::parse(&request[split + 2..]) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(response) else {
        return false;
    };
    text.lines().filter(|l| !l.is_empty()).any(|line| {
        ashlog::note::NoteSignature::parse_line(line).is_ok_and(|sig| {
            sig.name == vkey.name()
                && sig.key_id == vkey.key_id()
                && vkey.verify(note.text(), &sig.sig).is_ok()
        })
    })
}

/// The witness directory's database file size, for reports.
pub fn db_bytes(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("witness.redb"))
        .map(|m| m.len())
        .unwrap_or(0)
}
