//! ashlog-witness: an independent witness for transparency logs
//! ([C2SP tlog-witness](https://c2sp.org/tlog-witness)).

#![forbid(unsafe_code)]

mod config;
mod evidence;
mod store;

pub use config::{
    CONFIG_FILE, Config, ConfigError, DATABASE_FILE, DEFAULT_LISTEN, DEFAULT_WORKERS, InitError,
    InitReport, KEY_FILE, KeyFileError, LogConfig, add_log, config_path, init, parse_log_vkeys,
    policy_line,
};
pub use evidence::{Evidence, EvidenceKind, MAX_EVIDENCE_PER_ORIGIN};
pub use store::{RedbStore, StoreError, Swap, WitnessStore};
