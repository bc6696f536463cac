//! `ashlog.toml`: the server's configuration.
//!
//! Relative paths are resolved against the directory of the config file, so
//! a log directory can be moved as a whole.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A value is out of range.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The log's origin: first line of every checkpoint and name of its
    /// keys, a schema-less URL such as `log.example.org/ashlog/1`. Required.
    pub origin: String,
    /// Address to listen on. Default `127.0.0.1:8080`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Public base URL of the log, as clients reach it. Optional; shown in
    /// the transparency configuration and the policy line.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The redb database file. Default `log.redb`.
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// The log's P-256 key (checkpoints `0x05`, receipts), PKCS#8 PEM.
    /// Default `log-p256.pem`.
    #[serde(default = "default_p256")]
    pub p256_key: PathBuf,
    /// The log's Ed25519 key (checkpoints `0x01`), PKCS#8 PEM. Default
    /// `log-ed25519.pem`.
    #[serde(default = "default_ed25519")]
    pub ed25519_key: PathBuf,
    /// PEM files of the CA certificates whose agencies may register.
    /// Default: none (nothing can be registered until one is added).
    #[serde(default)]
    pub trust_anchors: Vec<PathBuf>,
    /// A tlog-policy file naming the witnesses (with their URLs) and the
    /// quorum. Optional; without it the quorum is `none` and checkpoints are
    /// published unwitnessed (development only).
    #[serde(default)]
    pub witness_policy: Option<PathBuf>,
    /// Registration rules.
    #[serde(default)]
    pub registration: RegistrationConfig,
    /// Batching and checkpointing.
    #[serde(default)]
    pub sequencer: SequencerConfig,
    /// HTTP server limits.
    #[serde(default)]
    pub http: HttpConfig,
}

/// Registration rules.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationConfig {
    /// How far in the future `iat` may be, in seconds. Default 300.
    #[serde(default = "default_skew")]
    pub max_clock_skew_secs: u64,
    /// Statements per second one issuer may register (token bucket rate).
    /// Default 1000.
    #[serde(default = "default_rate")]
    pub issuer_rate_per_sec: f64,
    /// Token bucket size per issuer. Default 2000.
    #[serde(default = "default_burst")]
    pub issuer_burst: f64,
    /// Statement kinds accepted through `POST /entries`. Default all four
    /// agency kinds.
    #[serde(default = "default_kinds")]
    pub accepted_kinds: Vec<String>,
}

/// Batching and checkpointing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequencerConfig {
    /// Most statements committed in one batch. Default 4096.
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Longest a submission waits for others to share its batch, in ms.
    /// Default 2 (a busy log fills batches while the previous one commits).
    #[serde(default = "default_max_wait")]
    pub max_wait_ms: u64,
    /// Submissions queued before `POST /entries` answers 503. Default 65536.
    #[serde(default = "default_queue")]
    pub queue_depth: usize,
    /// How often a new checkpoint may be signed, in ms. Default 200.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval_ms: u64,
    /// Time to wait for a witness quorum before signing a newer checkpoint
    /// anyway, in ms. Default 2000.
    #[serde(default = "default_round")]
    pub witness_round_ms: u64,
    /// Timeout of one request to a witness, in ms. Default 5000.
    #[serde(default = "default_witness_timeout")]
    pub witness_timeout_ms: u64,
    /// New entries looked up in memory before they are merged, sorted, into
    /// the dedup index: more costs memory (about 100 bytes each), fewer
    /// costs index writes. Default 16384.
    #[serde(default = "default_dedup_merge_every")]
    pub dedup_merge_every: usize,
}

/// HTTP server limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Worker threads. Default: the number of CPUs.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Most open connections per worker. Default 8192: each open
    /// connection costs the log about 15 KB, so two workers' worth stay
    /// near 250 MB, inside the log's 512 MiB budget (actix's own default
    /// of 25,000 a worker would not).
    #[serde(default = "default_max_conn")]
    pub max_connections: usize,
    /// Time a client has to send its request headers, in ms (slow clients
    /// are cut off). Default 5000.
    #[serde(default = "default_request_timeout")]
    pub client_request_timeout_ms: u64,
    /// Idle keep-alive, in seconds. Default 30.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
    /// Longest `Prefer: wait=N` honoured, in seconds. Default 30.
    #[serde(default = "default_max_prefer_wait")]
    pub max_prefer_wait_secs: u64,
    /// Statement bundles (`/statements/...`, up to 1.5 MB each) sent at
    /// once; more are answered 503 with Retry-After. Each holds at most one
    /// piece of about 48 KB in memory. Default 256.
    #[serde(default = "default_max_bundle_streams")]
    pub max_bundle_streams: usize,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_database() -> PathBuf {
    "log.redb".into()
}
fn default_p256() -> PathBuf {
    "log-p256.pem".into()
}
fn default_ed25519() -> PathBuf {
    "log-ed25519.pem".into()
}
fn default_skew() -> u64 {
    300
}
fn default_rate() -> f64 {
    1000.0
}
fn default_burst() -> f64 {
    2000.0
}
fn default_kinds() -> Vec<String> {
    ["destruction", "takedown", "endorsement", "correction"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}
fn default_max_batch() -> usize {
    4096
}
fn default_dedup_merge_every() -> usize {
    crate::storage::redb::DEFAULT_MERGE_EVERY
}
fn default_max_wait() -> u64 {
    2
}
fn default_queue() -> usize {
    65536
}
fn default_checkpoint_interval() -> u64 {
    200
}
fn default_round() -> u64 {
    2000
}
fn default_witness_timeout() -> u64 {
    5000
}
fn default_max_bundle_streams() -> usize {
    256
}
fn default_max_conn() -> usize {
    8192
}
fn default_request_timeout() -> u64 {
    5000
}
fn default_keep_alive() -> u64 {
    30
}
fn default_max_prefer_wait() -> u64 {
    30
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        RegistrationConfig {
            max_clock_skew_secs: default_skew(),
            issuer_rate_per_sec: default_rate(),
            issuer_burst: default_burst(),
            accepted_kinds: default_kinds(),
        }
    }
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            max_batch: default_max_batch(),
            max_wait_ms: default_max_wait(),
            queue_depth: default_queue(),
            checkpoint_interval_ms: default_checkpoint_interval(),
            witness_round_ms: default_round(),
            witness_timeout_ms: default_witness_timeout(),
            dedup_merge_every: default_dedup_merge_every(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            workers: None,
            max_connections: default_max_conn(),
            client_request_timeout_ms: default_request_timeout(),
            keep_alive_secs: default_keep_alive(),
            max_prefer_wait_secs: default_max_prefer_wait(),
            max_bundle_streams: default_max_bundle_streams(),
        }
    }
}

impl Config {
    /// A configuration with defaults for `origin`.
    pub fn new(origin: &str) -> Config {
        Config {
            origin: origin.to_string(),
            listen: default_listen(),
            public_url: None,
            database: default_database(),
            p256_key: default_p256(),
            ed25519_key: default_ed25519(),
            trust_anchors: Vec::new(),
            witness_policy: None,
            registration: RegistrationConfig::default(),
            sequencer: SequencerConfig::default(),
            http: HttpConfig::default(),
        }
    }

    /// Reads and checks a config file; relative paths in it become relative
    /// to its directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut c: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        c.resolve(base);
        c.check().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(c)
    }

    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.database);
        fix(&mut self.p256_key);
        fix(&mut self.ed25519_key);
        self.trust_anchors.iter_mut().for_each(fix);
        if let Some(p) = self.witness_policy.as_mut() {
            fix(p);
        }
    }

    fn check(&self) -> Result<(), String> {
        ashlog::note::check_key_name(&self.origin).map_err(|_| {
            format!(
                "origin {:?} must be a key name: no spaces, no '+'",
                self.origin
            )
        })?;
        if self.sequencer.max_batch == 0 || self.sequencer.max_batch > 65536 {
            return Err("sequencer.max_batch must be 1..=65536".into());
        }
        if self.sequencer.dedup_merge_every == 0 || self.sequencer.dedup_merge_every > 1 << 20 {
            return Err("sequencer.dedup_merge_every must be 1..=1048576".into());
        }
        if self.sequencer.max_wait_ms > 250 {
            return Err("sequencer.max_wait_ms must be at most 250".into());
        }
        if self.registration.issuer_rate_per_sec <= 0.0 || self.registration.issuer_burst < 1.0 {
            return Err(
                "registration.issuer_rate_per_sec must be > 0 and issuer_burst >= 1".into(),
            );
        }
        for k in &self.registration.accepted_kinds {
            match k.as_str() {
                "destruction" | "takedown" | "endorsement" | "correction" => {}
                other => {
                    return Err(format!(
                        "registration.accepted_kinds: {other:?} is not one of destruction, takedown, endorsement, correction"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The file as written by `init` (commented).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# ashlog-server configuration. Every option and its default is documented in\n\
             # `ashlog-server serve --help` and the README. Paths are relative to this file.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::new("log.example/ashlog/1");
        c.trust_anchors.push("anchors/ca.pem".into());
        let path = dir.path().join("ashlog.toml");
        std::fs::write(&path, c.to_toml()).unwrap();
        let back = Config::load(&path).unwrap();
        assert_eq!(back.database, dir.path().join("log.redb"));
        assert_eq!(back.trust_anchors, vec![dir.path().join("anchors/ca.pem")]);
        assert_eq!(back.sequencer.max_batch, 4096);
    }

    #[test]
    fn config_rejects_unknown_and_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "origin = \"a b\"\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Invalid { .. })
        ));
        std::fs::write(&path, "origin = \"a\"\nfrobnicate = 1\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Parse { .. })
        ));
        std::fs::write(&path, "origin = \"a\"\n[sequencer]\nmax_wait_ms = 1000\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
