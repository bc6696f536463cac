//! ashlog-witness: an independent witness for transparency logs
//! ([C2SP tlog-witness](https://c2sp.org/tlog-witness)).

#![forbid(unsafe_code)]

mod add_checkpoint;
mod config;
mod evidence;
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
pub use metrics::Metrics;
pub use store::{RedbStore, StoreError, Swap, WitnessStore};
