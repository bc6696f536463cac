//! The log under test: either one the benchmark starts itself (the real
//! `ashlog-server` and three `ashlog-witness` binaries with quorum 2,
//! embedded storage, a fresh agency CA, through [`crate::world`]), or a
//! running log at a URL that trusts a CA whose key the benchmark is given.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, anyhow};
use ashlog::pki::Authority;

use super::corpus;
use super::http::Target;
use crate::world::{Agency, World, WorldOptions};

/// A log to drive.
pub struct Deployment {
    /// Its URL.
    pub url: String,
    /// Parsed.
    pub target: Target,
    /// The deployment, if we started it.
    pub world: Option<World>,
    /// A CA the log trusts, to certify agencies.
    pub ca: Authority,
    /// Certificates between that CA and the log's anchors, CA first.
    pub ca_chain: Vec<Vec<u8>>,
    /// The log's pid, if known.
    pub log_pid: Option<u32>,
}

/// How to start our own log.
#[derive(Clone, Debug, Default)]
pub struct OwnLog {
    /// Witnesses (default 3) and quorum (default 2).
    pub witnesses: usize,
    /// Quorum.
    pub quorum: usize,
    /// Extra `[sequencer]` lines.
    pub sequencer: Vec<String>,
    /// Extra `[registration]` lines.
    pub registration: Vec<String>,
    /// Extra `[http]` lines (as top-level `http.x = y`).
    pub top: Vec<String>,
}

impl Deployment {
    /// Starts a log with its witnesses from the binaries beside this one.
    pub fn own(o: &OwnLog) -> anyhow::Result<Deployment> {
        let world = World::start(WorldOptions {
            witnesses: o.witnesses,
            quorum: o.quorum,
            sequencer: o.sequencer.clone(),
            registration: o.registration.clone(),
            http: Vec::new(),
            top: o.top.clone(),
            fault_file: false,
        })
        .context(
            "cannot start the log and witnesses (build with cargo build --release --workspace)",
        )?;
        let target = Target::parse(&world.url)?;
        let log_pid = world.log.as_ref().map(|c| c.process.id());
        // The agencies' CA: a new intermediate under the world's root (its
        // own agency CA is not exported as an Authority we can move).
        let ca = world.root.new_intermediate(
            &ashlog::pki::Name {
                common_name: "Bench Agency Issuing CA".into(),
                organization: "ashlog bench".into(),
                country: "CN".into(),
            },
            crate::world::now() - 86_400,
            crate::world::now() + 86_400 * 3650,
        )?;
        let ca_chain = vec![ca.cert_der().to_vec()];
        Ok(Deployment {
            url: world.url.clone(),
            target,
            world: Some(world),
            ca,
            ca_chain,
            log_pid,
        })
    }

    /// A running log at `url` that trusts the CA in `ca_cert` (PEM, the
    /// anchor itself or an intermediate under it) with key `ca_key`.
    pub fn remote(
        url: &str,
        ca_cert: &PathBuf,
        ca_key: &PathBuf,
        log_pid: Option<u32>,
    ) -> anyhow::Result<Deployment> {
        let cert = std::fs::read_to_string(ca_cert)
            .with_context(|| format!("cannot read {}", ca_cert.display()))?;
        let key = std::fs::read_to_string(ca_key)
            .with_context(|| format!("cannot read {}", ca_key.display()))?;
        let ca = Authority::load(&cert, &key).map_err(|e| anyhow!("CA: {e}"))?;
        let ca_chain = vec![ca.cert_der().to_vec()];
        Ok(Deployment {
            url: url.trim_end_matches('/').to_string(),
            target: Target::parse(url)?,
            world: None,
            ca,
            ca_chain,
            log_pid,
        })
    }

    /// `m` agencies certified for this run.
    pub fn agencies(&self, m: usize, tag: &str) -> anyhow::Result<Vec<Agency>> {
        corpus::agencies(&self.ca, &self.ca_chain, m, tag)
    }

    /// The witnesses' pids, if we started them.
    pub fn witness_pids(&self) -> Vec<u32> {
        self.world
            .as_ref()
            .map(|w| {
                w.witnesses
                    .iter()
                    .filter_map(|x| x.child.as_ref().map(|c| c.process.id()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The database file, if we started the log.
    pub fn db_path(&self) -> Option<PathBuf> {
        self.world.as_ref().map(|w| w.log_dir.join("log.redb"))
    }

    /// The log's directory, if we started it.
    pub fn log_dir(&self) -> Option<PathBuf> {
        self.world.as_ref().map(|w| w.log_dir.clone())
    }
}

/// Pins `pid` (all its threads) to `cpus` (a taskset list such as `1` or
/// `0-1`).
pub fn pin(pid: u32, cpus: &str) -> anyhow::Result<()> {
    let st = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .context("taskset")?;
    if !st.success() {
        return Err(anyhow!("taskset -a -p -c {cpus} {pid} failed"));
    }
    Ok(())
}
