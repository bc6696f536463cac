//! The crash loop: a log with three witnesses under sustained registration
//! load, killed with SIGKILL at random moments and restarted, checked from
//! outside after every restart.
//!
//! After each restart: every statement that got a 303 or 201 is in the log
//! at the index it was given; the tree recomputed from the bundles and tiles
//! matches the verified checkpoint; every checkpoint ever observed (by the
//! clients at `/checkpoint` and at each witness) is consistent with the
//! latest; no witness holds fork evidence. Witnesses are killed too (mid
//! add-checkpoint, at random), so the same holds for them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use ashlog::checkpoint::Checkpoint;
use ashlog::policy::Policy;
use ashlog::schema::{Document, fixtures};

use crate::check::{Ack, check_log};
use crate::client;
use crate::load::{Load, Tally};
use crate::world::{PUBLISH_TIMEOUT, World, WorldOptions, now};

/// How to run.
#[derive(Clone, Debug)]
pub struct CrashLoopOptions {
    /// SIGKILLs of the log.
    pub kills: usize,
    /// Concurrent writer threads.
    pub writers: usize,
    /// Also kill a random witness each round.
    pub kill_witnesses: bool,
    /// Random seed (printed, so a failing run can be repeated).
    pub seed: u64,
    /// Shortest time under load before a kill, ms.
    pub min_run_ms: u64,
    /// Longest time under load before a kill, ms.
    pub max_run_ms: u64,
}

impl Default for CrashLoopOptions {
    fn default() -> Self {
        CrashLoopOptions {
            kills: 5,
            writers: 4,
            kill_witnesses: true,
            seed: now() as u64,
            min_run_ms: 200,
            max_run_ms: 1500,
        }
    }
}

/// What the loop established.
#[derive(Debug, Default, Clone)]
pub struct CrashLoopReport {
    /// Log kills survived.
    pub kills: usize,
    /// Witness kills survived.
    pub witness_kills: usize,
    /// Registrations acknowledged (303/201) and checked.
    pub acked: usize,
    /// Acknowledged entries missing (must be 0; the loop fails otherwise).
    pub lost: usize,
    /// Inconsistent checkpoints found (must be 0; the loop fails otherwise).
    pub forks: usize,
    /// Checkpoints observed and proven consistent.
    pub checkpoints_checked: usize,
    /// Requests that failed because the log was down (expected).
    pub failed_requests: u64,
    /// Final tree size.
    pub final_size: u64,
    /// Seed used.
    pub seed: u64,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1).max(1)
    }
}

/// Runs the loop; Err at the first violated property, with the details.
pub fn run(
    opts: &CrashLoopOptions,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<CrashLoopReport> {
    // Kills must land before, during and after merges of the dedup index,
    // not only in the stretch between two (16,384 entries by default).
    let mut options = WorldOptions::default();
    options.sequencer.push("dedup_merge_every = 97".into());
    let mut world = World::start(options)?;
    let policy = Policy::parse(&world.citizen_policy()?)?;
    let agency = Arc::new(world.agency("https://dsj.wuxi.gov.cn")?);
    let doc =
        Arc::new(Document::from_toml(fixtures::WUXI_DESTRUCTION).map_err(|e| anyhow!("{e}"))?);
    let tally: Arc<Tally> = Arc::default();
    let observed: Arc<Mutex<Vec<Checkpoint>>> = Arc::default();
    let origin_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        crate::world::ORIGIN.as_bytes(),
    ));
    let mut rng = Rng(opts.seed | 1);
    let mut report = CrashLoopReport {
        seed: opts.seed,
        ..Default::default()
    };
    let mut killed_witness: Option<usize> = None;
    for round in 0..opts.kills {
        let mut load = Load::start(&world.url, &agency, &doc, opts.writers, &tally);
        // An observer of the log's and the witnesses' checkpoints.
        let mut sources = vec![(world.url.clone(), "/checkpoint".to_string())];
        sources.extend(
            world
                .witnesses
                .iter()
                .map(|w| (w.url.clone(), format!("/{origin_hash}/checkpoint"))),
        );
        load.observe(sources, &observed);
        let run_ms = rng.range(opts.min_run_ms, opts.max_run_ms);
        if opts.kill_witnesses
            && world.witnesses.len() == 3
            && killed_witness.is_none()
            && rng.next().is_multiple_of(2)
        {
            std::thread::sleep(Duration::from_millis(run_ms / 2));
            let i = (rng.next() % 3) as usize;
            world.kill_witness(i);
            killed_witness = Some(i);
            report.witness_kills += 1;
            std::thread::sleep(Duration::from_millis(run_ms / 2));
        } else {
            std::thread::sleep(Duration::from_millis(run_ms));
        }
        world.kill_log();
        report.kills += 1;
        load.stop();
        if let Some(i) = killed_witness.take() {
            world.start_witness(i)?;
        }
        world
            .start_log()
            .with_context(|| format!("restart after kill {}", round + 1))?;
        // Everything acknowledged must become published.
        let acked: Vec<Ack> = tally.acks();
        let want = acked.iter().map(|a| a.index + 1).max().unwrap_or(1);
        world.wait_published(want, PUBLISH_TIMEOUT).map_err(|e| {
            world.dump_logs();
            anyhow!(
                "after kill {}: acknowledged entries were not published: {e}",
                round + 1
            )
        })?;
        let seen: Vec<Checkpoint> = observed.lock().map(|o| o.clone()).unwrap_or_default();
        let r = check_log(&world.url, &policy, &seen, &acked).map_err(|e| {
            world.dump_logs();
            anyhow!("after kill {} (seed {}): {e}", round + 1, opts.seed)
        })?;
        for w in &world.witnesses {
            let ev = client::get(&w.url, "/evidence")?;
            let v: serde_json::Value =
                serde_json::from_slice(&ev.body).unwrap_or(serde_json::Value::Null);
            if v.as_array().is_some_and(|a| !a.is_empty()) {
                bail!(
                    "witness {} refused a checkpoint as inconsistent: {v}",
                    w.name
                );
            }
        }
        report.acked = acked.len();
        report.checkpoints_checked += r.consistent;
        report.final_size = r.size;
        progress(&format!(
            "kill {}/{}: {} acknowledged entries all present, {} checkpoints consistent, tree size {}",
            round + 1,
            opts.kills,
            acked.len(),
            r.consistent,
            r.size
        ));
        // Keep the observed list bounded: the latest checkpoint stands for
        // every earlier one already proven consistent with it.
        if let Ok(mut o) = observed.lock() {
            o.clear();
            if let Ok(c) = client::checkpoint(&world.url) {
                o.push(c);
            }
        }
    }
    report.failed_requests = tally.refused() + tally.other().len() as u64;
    Ok(report)
}
