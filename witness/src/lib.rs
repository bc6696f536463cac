//! ashlog-witness: an independent witness for transparency logs
//! ([C2SP tlog-witness](https://c2sp.org/tlog-witness)).
//!
//! A witness (a notary's office, an audit firm, a university) keeps, for
//! each log it follows, the latest checkpoint it cosigned, and cosigns a new
//! one only if the log proves it extends that one. A log that shows two
//! different histories to two parties must get both past every witness; a
//! quorum of honest witnesses makes that impossible, and a witness shown a
//! validly signed contradiction keeps both notes as evidence.
//!
//! # What Ok means
//!
//! A cosignature returned by [`process_add_checkpoint`] (HTTP 200) means:
//! the checkpoint's origin is a configured log; it verified under one of that
//! log's keys (`0x01` Ed25519 or `0x05` RFC 6962 P-256) with no bad line by
//! any of them; it is consistent (RFC 6962 proof) with every checkpoint this
//! witness cosigned before for that origin; and it is stored durably as the
//! witness's latest for that origin. The cosignature is `cosignature/v1`
//! (`0x04`, Ed25519, timestamp = now in seconds) over a re-encoding of the
//! checkpoint the witness parsed.
//!
//! # Use in a process
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new("/tmp/witness-1");
//! let report = ashlog_witness::init(dir, "witness.example.org/w1")?;
//! ashlog_witness::add_log(dir, "log.example.org/ashlog/1", &[
//!     "log.example.org/ashlog/1+0a1b2c3d+AQ...".to_string(),
//! ])?;
//! let config = ashlog_witness::Config::load(&report.config_path)?;
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let running = ashlog_witness::start(config, listener).await?;
//! println!("witness {} at http://{}", running.vkey, running.addr);
//! running.stop().await;
//! # Ok(()) }
//! ```
//!
//! # In scope
//!
//! `add-checkpoint` with every status of the spec, the monitoring endpoint
//! `GET /<hex sha256(origin)>/checkpoint`, fork evidence at `GET /evidence`,
//! `/healthz`, `/metrics`, and the `init`, `add-log`, `serve`, `vkey`
//! commands.
//!
//! # Out of scope
//!
//! `sign-subtree`, ML-DSA-44 (`0x06`) cosignatures and log keys, tlog-mirror,
//! pulling log lists from witness-network.org, and TLS (put a reverse proxy
//! or an https-bastion in front).

#![forbid(unsafe_code)]

mod add_checkpoint;
mod config;
mod evidence;
mod http;
mod metrics;
mod store;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod test_log;

pub use add_checkpoint::{
    AddError, AddOutcome, AddRequest, MAX_BODY_BYTES, StateError, WitnessState, origin_hash,
    parse_request, process_add_checkpoint,
};
pub use config::{
    CONFIG_FILE, Config, ConfigError, DATABASE_FILE, DEFAULT_LISTEN, DEFAULT_WORKERS, InitError,
    InitReport, KEY_FILE, KeyFileError, LogConfig, add_log, config_path, init, parse_log_vkeys,
    policy_line,
};
pub use evidence::{Evidence, EvidenceKind, MAX_EVIDENCE_PER_ORIGIN};
pub use http::{
    BODY_READ_TIMEOUT, RunningWitness, StartError, TLOG_SIZE_CONTENT_TYPE, routes, start,
};
pub use metrics::Metrics;
pub use store::{MemoryStore, RedbStore, StoreError, Swap, WitnessStore};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod module_graph {
    /// No two top-level modules of this crate import each other, however
    /// indirectly (`ashlog_tlog::module_graph` reads the sources).
    #[test]
    fn the_module_graph_has_no_cycle() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
        let graph = ashlog_tlog::module_graph::graph(&root).unwrap();
        assert!(graph.len() > 3, "read {graph:?}");
        let cycles = ashlog_tlog::module_graph::cycles(&graph);
        assert!(cycles.is_empty(), "import cycles: {cycles:?}");
    }
}
