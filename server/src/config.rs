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
    /// Address to listen on. Default [`defaults::LISTEN`].
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Public base URL of the log, as clients reach it. Optional; shown in
    /// the transparency configuration and the policy line.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The redb database file. Default [`defaults::DATABASE`].
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// The log's P-256 key (checkpoints `0x05`, receipts), PKCS#8 PEM.
    /// Default [`defaults::P256_KEY`].
    #[serde(default = "default_p256")]
    pub p256_key: PathBuf,
    /// The log's Ed25519 key (checkpoints `0x01`), PKCS#8 PEM. Default
    /// [`defaults::ED25519_KEY`].
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
    /// How far in the future `iat` may be, in seconds. Default
    /// [`defaults::MAX_CLOCK_SKEW_SECS`].
    #[serde(default = "default_skew")]
    pub max_clock_skew_secs: u64,
    /// Statements per second one issuer may register (token bucket rate).
    /// Default [`defaults::ISSUER_RATE_PER_SEC`].
    #[serde(default = "default_rate")]
    pub issuer_rate_per_sec: f64,
    /// Token bucket size per issuer. Default [`defaults::ISSUER_BURST`].
    #[serde(default = "default_burst")]
    pub issuer_burst: f64,
    /// Statement kinds accepted through `POST /entries`. Default
    /// [`defaults::ACCEPTED_KINDS`], all four agency kinds.
    #[serde(default = "default_kinds")]
    pub accepted_kinds: Vec<String>,
}

/// Batching and checkpointing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequencerConfig {
    /// Most statements committed in one batch. Default [`defaults::MAX_BATCH`].
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Longest a submission waits for others to share its batch, in ms.
    /// Default [`defaults::MAX_WAIT_MS`] (a busy log fills batches while the
    /// previous one commits).
    #[serde(default = "default_max_wait")]
    pub max_wait_ms: u64,
    /// Submissions queued before `POST /entries` answers 503. Default
    /// [`defaults::QUEUE_DEPTH`].
    #[serde(default = "default_queue")]
    pub queue_depth: usize,
    /// How often a new checkpoint may be signed, in ms. Default
    /// [`defaults::CHECKPOINT_INTERVAL_MS`].
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval_ms: u64,
    /// Time to wait for a witness quorum before signing a newer checkpoint
    /// anyway, in ms. Default [`defaults::WITNESS_ROUND_MS`].
    #[serde(default = "default_round")]
    pub witness_round_ms: u64,
    /// Timeout of one request to a witness, in ms. Default
    /// [`defaults::WITNESS_TIMEOUT_MS`].
    #[serde(default = "default_witness_timeout")]
    pub witness_timeout_ms: u64,
    /// New entries looked up in memory before they are merged, sorted, into
    /// the dedup index: more costs memory (about 100 bytes each), fewer
    /// costs index writes. Default [`defaults::DEDUP_MERGE_EVERY`].
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
    /// Most open connections per worker. Default
    /// [`defaults::MAX_CONNECTIONS`]: each open
    /// connection costs the log about 15 KB, so two workers' worth stay
    /// near 250 MB, inside the log's 512 MiB budget (actix's own default
    /// of 25,000 a worker would not).
    #[serde(default = "default_max_conn")]
    pub max_connections: usize,
    /// Time a client has to send its request headers, in ms (slow clients
    /// are cut off). Default [`defaults::CLIENT_REQUEST_TIMEOUT_MS`].
    #[serde(default = "default_request_timeout")]
    pub client_request_timeout_ms: u64,
    /// Idle keep-alive, in seconds. Default [`defaults::KEEP_ALIVE_SECS`].
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
    /// Longest `Prefer: wait=N` honoured, in seconds. Default
    /// [`defaults::MAX_PREFER_WAIT_SECS`].
    #[serde(default = "default_max_prefer_wait")]
    pub max_prefer_wait_secs: u64,
    /// Statement bundles (`/statements/...`, up to 1.5 MB each) sent at
    /// once; more are answered 503 with Retry-After. Each holds at most one
    /// piece of about 48 KB in memory. Default [`defaults::MAX_BUNDLE_STREAMS`].
    #[serde(default = "default_max_bundle_streams")]
    pub max_bundle_streams: usize,
}

/// Every default of `ashlog.toml`, one named constant each: the serde
/// defaults, the field docs and `ashlog-server serve --help` all read these.
pub mod defaults {
    /// Default of the field of the same name.
    pub const LISTEN: &str = "127.0.0.1:8080";
    /// Default of the field of the same name.
    pub const DATABASE: &str = "log.redb";
    /// Default of the field of the same name.
    pub const P256_KEY: &str = "log-p256.pem";
    /// Default of the field of the same name.
    pub const ED25519_KEY: &str = "log-ed25519.pem";
    /// Default of the field of the same name.
    pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
    /// Default of the field of the same name.
    pub const ISSUER_RATE_PER_SEC: f64 = 1000.0;
    /// Default of the field of the same name.
    pub const ISSUER_BURST: f64 = 2000.0;
    /// Default of the field of the same name.
    pub const MAX_BATCH: usize = 4096;
    /// Default of the field of the same name.
    pub const DEDUP_MERGE_EVERY: usize = crate::storage::redb::DEFAULT_MERGE_EVERY;
    /// Default of the field of the same name.
    pub const MAX_WAIT_MS: u64 = 2;
    /// Default of the field of the same name.
    pub const QUEUE_DEPTH: usize = 65536;
    /// Default of the field of the same name.
    pub const CHECKPOINT_INTERVAL_MS: u64 = 200;
    /// Default of the field of the same name.
    pub const WITNESS_ROUND_MS: u64 = 2000;
    /// Default of the field of the same name.
    pub const WITNESS_TIMEOUT_MS: u64 = 5000;
    /// Default of the field of the same name.
    pub const MAX_BUNDLE_STREAMS: usize = 256;
    /// Default of the field of the same name.
    pub const MAX_CONNECTIONS: usize = 8192;
    /// Default of the field of the same name.
    pub const CLIENT_REQUEST_TIMEOUT_MS: u64 = 5000;
    /// Default of the field of the same name.
    pub const KEEP_ALIVE_SECS: u64 = 30;
    /// Default of the field of the same name.
    pub const MAX_PREFER_WAIT_SECS: u64 = 30;
    /// Default `accepted_kinds`: every kind an agency registers (the
    /// `policy` kind is the log's own and never accepted over HTTP).
    pub const ACCEPTED_KINDS: [&str; 4] = ["destruction", "takedown", "endorsement", "correction"];
}

fn default_listen() -> String {
    defaults::LISTEN.into()
}
fn default_database() -> PathBuf {
    defaults::DATABASE.into()
}
fn default_p256() -> PathBuf {
    defaults::P256_KEY.into()
}
fn default_ed25519() -> PathBuf {
    defaults::ED25519_KEY.into()
}
fn default_skew() -> u64 {
    defaults::MAX_CLOCK_SKEW_SECS
}
fn default_rate() -> f64 {
    defaults::ISSUER_RATE_PER_SEC
}
fn default_burst() -> f64 {
    defaults::ISSUER_BURST
}
fn default_max_batch() -> usize {
    defaults::MAX_BATCH
}
fn default_dedup_merge_every() -> usize {
    defaults::DEDUP_MERGE_EVERY
}
fn default_max_wait() -> u64 {
    defaults::MAX_WAIT_MS
}
fn default_queue() -> usize {
    defaults::QUEUE_DEPTH
}
fn default_checkpoint_interval() -> u64 {
    defaults::CHECKPOINT_INTERVAL_MS
}
fn default_round() -> u64 {
    defaults::WITNESS_ROUND_MS
}
fn default_witness_timeout() -> u64 {
    defaults::WITNESS_TIMEOUT_MS
}
fn default_max_bundle_streams() -> usize {
    defaults::MAX_BUNDLE_STREAMS
}
fn default_max_conn() -> usize {
    defaults::MAX_CONNECTIONS
}
fn default_request_timeout() -> u64 {
    defaults::CLIENT_REQUEST_TIMEOUT_MS
}
fn default_keep_alive() -> u64 {
    defaults::KEEP_ALIVE_SECS
}
fn default_max_prefer_wait() -> u64 {
    defaults::MAX_PREFER_WAIT_SECS
}
fn default_kinds() -> Vec<String> {
    defaults::ACCEPTED_KINDS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The configuration reference `ashlog-server serve --help` prints: every
/// key with its default, built from [`defaults`] so the help cannot drift
/// from what the log does.
pub fn reference() -> String {
    use defaults as d;
    format!(
        "Configuration (ashlog.toml; relative paths are relative to it):
  origin            the log's origin (required)
  listen            address, default {}
  public_url        URL clients use (optional)
  database          redb file, default {}
  p256_key          P-256 key for checkpoints (0x05) and receipts, default {}
  ed25519_key       Ed25519 key for checkpoints (0x01), default {}
  trust_anchors     list of CA PEM files agencies chain to (default none)
  witness_policy    tlog-policy file: witness lines with URLs, groups, quorum
                    (optional; without it checkpoints publish unwitnessed)
  [registration]    max_clock_skew_secs ({}), issuer_rate_per_sec ({}),
                    issuer_burst ({}), accepted_kinds ({})
  [sequencer]       max_batch ({}), max_wait_ms ({}), queue_depth ({}),
                    checkpoint_interval_ms ({}), witness_round_ms ({}),
                    witness_timeout_ms ({}), dedup_merge_every ({})
  [http]            workers (CPUs), max_connections ({}),
                    client_request_timeout_ms ({}), keep_alive_secs ({}),
                    max_prefer_wait_secs ({}), max_bundle_streams ({})",
        d::LISTEN,
        d::DATABASE,
        d::P256_KEY,
        d::ED25519_KEY,
        d::MAX_CLOCK_SKEW_SECS,
        d::ISSUER_RATE_PER_SEC,
        d::ISSUER_BURST,
        d::ACCEPTED_KINDS.join(", "),
        d::MAX_BATCH,
        d::MAX_WAIT_MS,
        d::QUEUE_DEPTH,
        d::CHECKPOINT_INTERVAL_MS,
        d::WITNESS_ROUND_MS,
        d::WITNESS_TIMEOUT_MS,
        d::DEDUP_MERGE_EVERY,
        d::MAX_CONNECTIONS,
        d::CLIENT_REQUEST_TIMEOUT_MS,
        d::KEEP_ALIVE_SECS,
        d::MAX_PREFER_WAIT_SECS,
        d::MAX_BUNDLE_STREAMS,
    )
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
    /// Every key of a default configuration is in the reference with the
    /// value the parser fills in (TOML keys in tables, values as printed).
    #[test]
    fn reference_names_every_key_with_its_default() {
        let cfg: Config = toml::from_str("origin = \"o.example/log\"").unwrap();
        let value = toml::Value::try_from(&cfg).unwrap();
        let reference = reference();
        let mut checked = 0;
        let mut check = |key: &str, v: &toml::Value| {
            let shown = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                toml::Value::Float(f) => format!("{f}"),
                other => other.to_string(),
            };
            assert!(reference.contains(key), "{key} missing from the reference");
            if key != "origin" {
                assert!(
                    reference.contains(&format!("{key} ({shown})"))
                        || reference.contains(&format!("default {shown}")),
                    "{key} = {shown} is not what the reference says:\n{reference}"
                );
            }
            checked += 1;
        };
        for (k, v) in value.as_table().unwrap() {
            match v {
                toml::Value::Table(t) => {
                    assert!(reference.contains(&format!("[{k}]")), "[{k}] missing");
                    for (k, v) in t {
                        check(k, v);
                    }
                }
                v => check(k, v),
            }
        }
        assert!(checked >= 20, "only {checked} keys checked");
    }

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
