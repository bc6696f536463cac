//! The witness's configuration file (`witness.toml`), its key file, and the
//! two operations that write them: [`init`] and [`add_log`].
//!
//! ```toml
//! name = "witness.example.org/notary-1"
//! key_file = "witness-key.pem"
//! database = "witness.redb"
//! listen = "127.0.0.1:7380"
//!
//! [[logs]]
//! origin = "log.example.org/ashlog/1"
//! vkeys = ["log.example.org/ashlog/1+0a1b2c3d+AQ..."]
//! ```
//!
//! Relative paths resolve against the directory that holds the config file,
//! so a witness directory can be moved as a whole.
//!
//! Files are written durably: the private key with `O_EXCL` and mode 0600
//! (never overwritten, never world-readable), the config by writing a
//! temporary file, fsync, rename, fsync of the directory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ashlog_tlog::durable::{write_file_atomic, write_secret_file};
use ashlog_tlog::keys::Ed25519SigningKey;
use ashlog_tlog::note::{SigType, check_key_name};
use ashlog_tlog::vkey::VerifierKey;
use serde::{Deserialize, Serialize};

/// File name of the config that [`init`] writes and `--dir` looks for.
pub const CONFIG_FILE: &str = "witness.toml";
/// File name of the private key that [`init`] writes.
pub const KEY_FILE: &str = "witness-key.pem";
/// File name of the database that [`init`] configures.
pub const DATABASE_FILE: &str = "witness.redb";
/// Listen address [`init`] writes and `serve` uses when the config has none.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7380";
/// HTTP worker threads when the config says nothing. The witness does one
/// fsync per cosignature; two workers keep one free while the other waits.
pub const DEFAULT_WORKERS: usize = 2;

/// Why a config could not be read, checked or written. Every message says
/// which file and what to do.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error(
        "cannot read {path}: {error} (run `ashlog-witness init` first, or pass --dir/--config)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped fields.
    #[error("{path} is not a valid witness config: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML parser said.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {error} (check the directory's permissions and free space)")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The witness name is not a valid note key name.
    #[error(
        "witness name {0:?} is not valid: use a non-empty schema-less URL of at most 255 bytes, without spaces or '+', such as witness.example.org/notary-1"
    )]
    InvalidName(String),
    /// A log origin is not a valid note key name.
    #[error(
        "log origin {0:?} is not valid: use the exact first line of the log's checkpoints (no spaces, no '+')"
    )]
    InvalidOrigin(String),
    /// A log was given without any vkey.
    #[error("log {0:?} has no vkeys: give at least one log verifier key")]
    NoVkeys(String),
    /// A vkey does not parse.
    #[error("vkey {vkey:?} for log {origin:?} does not parse: {reason}")]
    InvalidVkey {
        /// The log.
        origin: String,
        /// The vkey string.
        vkey: String,
        /// The parser's reason.
        reason: String,
    },
    /// A vkey of a type a log cannot sign checkpoints with.
    #[error(
        "vkey {vkey:?} is of type {sig_type}; a log key must be Ed25519 (0x01) or RFC 6962 ECDSA P-256 (0x05)"
    )]
    WrongKeyType {
        /// The vkey string.
        vkey: String,
        /// Its type.
        sig_type: SigType,
    },
    /// A vkey whose name is not the origin: witnesses look keys up by
    /// origin, and the 0x05 signature does not cover the origin line.
    #[error(
        "vkey {vkey:?} is named {name:?} but the log origin is {origin:?}: a log key must be named exactly like the origin"
    )]
    KeyNameNotOrigin {
        /// The vkey string.
        vkey: String,
        /// Its name.
        name: String,
        /// The origin.
        origin: String,
    },
    /// The same origin appears twice in `[[logs]]`.
    #[error("log {0:?} is listed twice in [[logs]]: keep one entry with all its vkeys")]
    DuplicateOrigin(String),
    /// Zero workers.
    #[error("workers must be at least 1 (remove the line to use the default, 2)")]
    ZeroWorkers,
}

/// Why [`init`] refused or failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A key or config is already there; init never overwrites.
    #[error(
        "{0} already exists: refusing to overwrite a witness (use another --dir, or remove it if you really mean to discard that identity)"
    )]
    Exists(PathBuf),
    /// The witness name is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The directory or a file could not be created.
    #[error("cannot create {path}: {error} (check the directory's permissions and free space)")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Key generation or encoding failed.
    #[error("cannot generate the witness key: {0} (is the system random source available?)")]
    Key(String),
}

/// Why the witness key could not be loaded.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read.
    #[error(
        "cannot read the witness key {path}: {error} (check key_file in witness.toml; `ashlog-witness init` creates the key)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not a PKCS#8 PEM Ed25519 private key.
    #[error(
        "{path} is not a PKCS#8 PEM Ed25519 private key (it must be the file `ashlog-witness init` wrote)"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
    },
}

/// One log the witness cosigns for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The log's origin, the first line of its checkpoints. Required.
    pub origin: String,
    /// The log's verifier keys, each `0x01` (Ed25519) or `0x05` (RFC 6962
    /// P-256) and named exactly like the origin. Required, at least one. A
    /// checkpoint is accepted when at least one of them signed it and every
    /// line by one of them verifies.
    pub vkeys: Vec<String>,
}

/// The deserialised `witness.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The witness's name: the key name of its cosignatures, such as
    /// `witness.example.org/notary-1`. Required.
    pub name: String,
    /// PKCS#8 PEM Ed25519 private key, relative to the config's directory.
    /// Optional, default `witness-key.pem`.
    #[serde(default = "default_key_file")]
    pub key_file: PathBuf,
    /// The redb database holding the latest cosigned checkpoint per log and
    /// the evidence, relative to the config's directory. Optional, default
    /// `witness.redb`; created on first start.
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// Address `serve` listens on. Optional, default `127.0.0.1:7380`;
    /// `serve --listen` overrides it.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// HTTP worker threads. Optional, default 2.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// The logs this witness cosigns for. Optional, default none (every
    /// add-checkpoint then gets 404).
    #[serde(default)]
    pub logs: Vec<LogConfig>,
    /// Directory relative paths resolve against: the config file's directory
    /// when loaded with [`Config::load`]. Not stored in the file.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

fn default_key_file() -> PathBuf {
    PathBuf::from(KEY_FILE)
}

fn default_database() -> PathBuf {
    PathBuf::from(DATABASE_FILE)
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7380))
}

fn default_workers() -> usize {
    DEFAULT_WORKERS
}

impl Config {
    /// A config for a new witness with no logs, paths and listen address at
    /// their defaults.
    pub fn new(name: &str, base_dir: &Path) -> Result<Config, ConfigError> {
        check_key_name(name).map_err(|_| ConfigError::InvalidName(name.to_string()))?;
        Ok(Config {
            name: name.to_string(),
            key_file: default_key_file(),
            database: default_database(),
            listen: default_listen(),
            workers: DEFAULT_WORKERS,
            logs: Vec::new(),
            base_dir: base_dir.to_path_buf(),
        })
    }

    /// Reads and checks a config file. Ok means the TOML parsed with no
    /// unknown fields, the name is a valid key name and every log has at
    /// least one vkey of type 0x01 or 0x05 named like its origin.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        config.check()?;
        Ok(config)
    }

    /// Checks the fields (see [`Config::load`]).
    pub fn check(&self) -> Result<(), ConfigError> {
        check_key_name(&self.name).map_err(|_| ConfigError::InvalidName(self.name.clone()))?;
        if self.workers == 0 {
            return Err(ConfigError::ZeroWorkers);
        }
        self.log_keys().map(|_| ())
    }

    /// The parsed log keys, by origin.
    pub fn log_keys(&self) -> Result<BTreeMap<String, Vec<VerifierKey>>, ConfigError> {
        let mut out = BTreeMap::new();
        for log in &self.logs {
            let keys = parse_log_vkeys(&log.origin, &log.vkeys)?;
            if out.insert(log.origin.clone(), keys).is_some() {
                return Err(ConfigError::DuplicateOrigin(log.origin.clone()));
            }
        }
        Ok(out)
    }

    /// The private key file, resolved against [`Config::base_dir`].
    pub fn key_path(&self) -> PathBuf {
        self.base_dir.join(&self.key_file)
    }

    /// The database file, resolved against [`Config::base_dir`].
    pub fn database_path(&self) -> PathBuf {
        self.base_dir.join(&self.database)
    }

    /// Loads the witness's private key from [`Config::key_path`].
    pub fn load_key(&self) -> Result<Ed25519SigningKey, KeyFileError> {
        let path = self.key_path();
        let pem = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|error| {
            KeyFileError::Read {
                path: path.clone(),
                error,
            }
        })?);
        Ed25519SigningKey::from_pkcs8_pem(&pem).map_err(|_| KeyFileError::Malformed { path })
    }

    /// The TOML text of this config, with comments explaining each field.
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let p = |p: &Path| q(&p.to_string_lossy());
        let mut out = String::new();
        out.push_str(
            "# ashlog-witness configuration. Relative paths are relative to this file's directory.\n\
             # `ashlog-witness add-log` rewrites this file; edit it by hand only while the witness is stopped.\n\n",
        );
        out.push_str("# Key name of this witness's cosignatures (part of its vkey).\n");
        let _ = writeln!(out, "name = {}", q(&self.name));
        out.push_str("# PKCS#8 PEM Ed25519 private key, mode 0600. Back it up; never share it.\n");
        let _ = writeln!(out, "key_file = {}", p(&self.key_file));
        out.push_str("# redb database: latest cosigned checkpoint per log, and fork evidence.\n");
        let _ = writeln!(out, "database = {}", p(&self.database));
        out.push_str("# Address `serve` listens on (overridden by --listen).\n");
        let _ = writeln!(out, "listen = {}", q(&self.listen.to_string()));
        out.push_str("# HTTP worker threads.\n");
        let _ = writeln!(out, "workers = {}", self.workers);
        out.push_str(
            "\n# Logs this witness cosigns for: origin and log verifier keys (0x01 Ed25519 or\n\
             # 0x05 RFC 6962 P-256, each named exactly like the origin).\n",
        );
        if self.logs.is_empty() {
            out.push_str("logs = []\n");
        }
        for log in &self.logs {
            out.push_str("\n[[logs]]\n");
            let _ = writeln!(out, "origin = {}", q(&log.origin));
            out.push_str("vkeys = [\n");
            for v in &log.vkeys {
                let _ = writeln!(out, "    {},", q(v));
            }
            out.push_str("]\n");
        }
        out
    }

    /// This witness's cosignature verifier key, from its private key.
    pub fn vkey(&self, key: &Ed25519SigningKey) -> Result<String, ConfigError> {
        VerifierKey::cosignature(&self.name, key.public_key())
            .map(|v| v.to_vkey())
            .map_err(|_| ConfigError::InvalidName(self.name.clone()))
    }
}

/// Parses and checks the vkeys of one log: each must parse, be of type 0x01
/// or 0x05, and be named exactly `origin`.
pub fn parse_log_vkeys(origin: &str, vkeys: &[String]) -> Result<Vec<VerifierKey>, ConfigError> {
    check_key_name(origin).map_err(|_| ConfigError::InvalidOrigin(origin.to_string()))?;
    if vkeys.is_empty() {
        return Err(ConfigError::NoVkeys(origin.to_string()));
    }
    let mut keys: Vec<VerifierKey> = Vec::with_capacity(vkeys.len());
    for vkey in vkeys {
        let key = VerifierKey::parse(vkey).map_err(|e| ConfigError::InvalidVkey {
            origin: origin.to_string(),
            vkey: vkey.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(key.sig_type(), SigType::Ed25519 | SigType::Rfc6962) {
            return Err(ConfigError::WrongKeyType {
                vkey: vkey.clone(),
                sig_type: key.sig_type(),
            });
        }
        if key.name() != origin {
            return Err(ConfigError::KeyNameNotOrigin {
                vkey: vkey.clone(),
                name: key.name().to_string(),
                origin: origin.to_string(),
            });
        }
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// What [`init`] created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitReport {
    /// The witness's cosignature verifier key, `name+id+base64(0x04||pk)`.
    pub vkey: String,
    /// The config file written.
    pub config_path: PathBuf,
    /// The private key file written (mode 0600).
    pub key_path: PathBuf,
    /// A tlog-policy `witness` line for this witness, with the default URL.
    pub policy_line: String,
}

/// Creates a witness in `dir` (created if missing): a fresh Ed25519 key in
/// `witness-key.pem` (PKCS#8 PEM, mode 0600) and `witness.toml` with no logs.
/// Refuses, touching nothing, if either file already exists.
pub fn init(dir: &Path, name: &str) -> Result<InitReport, InitError> {
    let config = Config::new(name, dir)?;
    let config_path = dir.join(CONFIG_FILE);
    let key_path = config.key_path();
    for path in [&config_path, &key_path] {
        if path.exists() {
            return Err(InitError::Exists(path.clone()));
        }
    }
    std::fs::create_dir_all(dir).map_err(|error| InitError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    let key = Ed25519SigningKey::generate().map_err(|e| InitError::Key(e.to_string()))?;
    let pem = key
        .to_pkcs8_pem()
        .map_err(|e| InitError::Key(e.to_string()))?;
    // O_EXCL: if another init raced us, this fails instead of overwriting.
    write_secret_file(&key_path, pem.as_bytes()).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            InitError::Exists(key_path.clone())
        } else {
            InitError::Io {
                path: key_path.clone(),
                error,
            }
        }
    })?;
    write_file_atomic(&config_path, config.to_toml().as_bytes()).map_err(|error| {
        InitError::Io {
            path: config_path.clone(),
            error,
        }
    })?;
    let vkey = config.vkey(&key)?;
    let policy_line = policy_line(&config.name, &vkey, &format!("http://{}", config.listen));
    Ok(InitReport {
        vkey,
        config_path,
        key_path,
        policy_line,
    })
}

/// A tlog-policy line `witness <short-name> <vkey> <url>`. The short name is
/// the witness name with every character other than ASCII letters, digits,
/// `.`, `-` and `_` replaced by `-`.
pub fn policy_line(name: &str, vkey: &str, url: &str) -> String {
    let short: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("witness {short} {vkey} {url}")
}

/// The config file that `dir_or_config` names: the path itself if it is a
/// file (or does not exist and ends in `.toml`), else `witness.toml` in it.
pub fn config_path(dir_or_config: &Path) -> PathBuf {
    if dir_or_config.is_dir() {
        dir_or_config.join(CONFIG_FILE)
    } else if dir_or_config.is_file() || dir_or_config.extension().is_some_and(|e| e == "toml") {
        dir_or_config.to_path_buf()
    } else {
        dir_or_config.join(CONFIG_FILE)
    }
}

/// Adds a log to the config in `dir_or_config` (a witness directory or the
/// config file itself), or replaces the keys of a log already there, and
/// rewrites the file atomically. The vkeys are checked as in
/// [`parse_log_vkeys`]; nothing is written if any is refused. A running
/// witness picks the change up when restarted.
pub fn add_log(dir_or_config: &Path, origin: &str, vkeys: &[String]) -> Result<(), ConfigError> {
    let path = config_path(dir_or_config);
    let mut config = Config::load(&path)?;
    parse_log_vkeys(origin, vkeys)?;
    let entry = LogConfig {
        origin: origin.to_string(),
        vkeys: vkeys.to_vec(),
    };
    match config.logs.iter_mut().find(|l| l.origin == origin) {
        Some(existing) => *existing = entry,
        None => config.logs.push(entry),
    }
    config.check()?;
    write_file_atomic(&path, config.to_toml().as_bytes())
        .map_err(|error| ConfigError::Write { path, error })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use ashlog_tlog::keys::P256SigningKey;
    use ashlog_tlog::vkey::NoteSigner;

    fn ed_vkey(name: &str) -> String {
        NoteSigner::Ed25519 {
            name: name.into(),
            key: Ed25519SigningKey::generate().unwrap(),
        }
        .verifier()
        .unwrap()
        .to_vkey()
    }

    #[test]
    fn init_writes_key_0600_and_config_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let wdir = dir.path().join("w");
        let report = init(&wdir, "witness.example.org/w1").unwrap();
        assert!(report.vkey.starts_with("witness.example.org/w1+"));
        let v = VerifierKey::parse(&report.vkey).unwrap();
        assert_eq!(v.sig_type(), SigType::CosignatureV1);
        assert!(
            report
                .policy_line
                .starts_with("witness witness.example.org-w1 ")
        );
        assert!(report.policy_line.ends_with(" http://127.0.0.1:7380"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&report.key_path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let config = Config::load(&report.config_path).unwrap();
        assert_eq!(config.name, "witness.example.org/w1");
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.database_path(), wdir.join(DATABASE_FILE));
        assert!(config.logs.is_empty());
        let key = config.load_key().unwrap();
        assert_eq!(config.vkey(&key).unwrap(), report.vkey);

        let before = std::fs::read(&report.key_path).unwrap();
        assert!(matches!(
            init(&wdir, "witness.example.org/w2"),
            Err(InitError::Exists(_))
        ));
        assert_eq!(std::fs::read(&report.key_path).unwrap(), before);
    }

    #[test]
    fn init_rejects_invalid_names() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "a b", "a+b", &"x".repeat(256)] {
            assert!(matches!(
                init(dir.path(), bad),
                Err(InitError::Config(ConfigError::InvalidName(_)))
            ));
        }
        assert!(!dir.path().join(KEY_FILE).exists());
    }

    #[test]
    fn add_log_adds_replaces_and_rejects_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), "w.example/1").unwrap();
        let origin = "log.example.org/ashlog/1";
        let v1 = ed_vkey(origin);
        let p256 = NoteSigner::Rfc6962 {
            name: origin.into(),
            key: P256SigningKey::generate().unwrap(),
        }
        .verifier()
        .unwrap()
        .to_vkey();
        add_log(dir.path(), origin, &[v1.clone(), p256.clone()]).unwrap();
        let c = Config::load(&dir.path().join(CONFIG_FILE)).unwrap();
        assert_eq!(c.logs.len(), 1);
        assert_eq!(c.logs[0].vkeys, vec![v1.clone(), p256.clone()]);
        assert_eq!(c.log_keys().unwrap()[origin].len(), 2);

        // Re-adding replaces the keys.
        let v2 = ed_vkey(origin);
        add_log(
            &dir.path().join(CONFIG_FILE),
            origin,
            std::slice::from_ref(&v2),
        )
        .unwrap();
        add_log(
            dir.path(),
            "other.example/log",
            &[ed_vkey("other.example/log")],
        )
        .unwrap();
        let c = Config::load(&dir.path().join(CONFIG_FILE)).unwrap();
        assert_eq!(c.logs.len(), 2);
        assert_eq!(c.logs[0].vkeys, vec![v2]);

        let before = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        // Wrong name.
        assert!(matches!(
            add_log(dir.path(), origin, &[ed_vkey("log.example.org/other")]),
            Err(ConfigError::KeyNameNotOrigin { .. })
        ));
        // A cosignature key is not a log key.
        let cosig = NoteSigner::Cosignature {
            name: origin.into(),
            key: Ed25519SigningKey::generate().unwrap(),
        }
        .verifier()
        .unwrap()
        .to_vkey();
        assert!(matches!(
            add_log(dir.path(), origin, &[cosig]),
            Err(ConfigError::WrongKeyType { .. })
        ));
        assert!(matches!(
            add_log(dir.path(), origin, &["garbage".to_string()]),
            Err(ConfigError::InvalidVkey { .. })
        ));
        assert!(matches!(
            add_log(dir.path(), origin, &[]),
            Err(ConfigError::NoVkeys(_))
        ));
        assert!(matches!(
            add_log(dir.path(), "bad origin", &[ed_vkey("x")]),
            Err(ConfigError::InvalidOrigin(_))
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap(),
            before
        );
    }

    #[test]
    fn config_load_rejects_unknown_fields_and_duplicate_origins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, "name = \"w\"\nbogus = 1\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Parse { .. })
        ));
        let v = ed_vkey("o");
        std::fs::write(
            &path,
            format!(
                "name = \"w\"\n[[logs]]\norigin = \"o\"\nvkeys = [\"{v}\"]\n[[logs]]\norigin = \"o\"\nvkeys = [\"{v}\"]\n"
            ),
        )
        .unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::DuplicateOrigin(_))
        ));
        // Defaults fill in.
        std::fs::write(&path, "name = \"w\"\n").unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.workers, DEFAULT_WORKERS);
        assert_eq!(c.key_file, PathBuf::from(KEY_FILE));
    }

    #[test]
    fn config_to_toml_round_trips() {
        let mut c = Config::new("w.example/1", Path::new("/x")).unwrap();
        c.logs.push(LogConfig {
            origin: "o\"dd".into(),
            vkeys: vec!["a+b+c".into()],
        });
        let back: Config = toml::from_str(&c.to_toml()).unwrap();
        assert_eq!(back.logs, c.logs);
        assert_eq!(back.name, c.name);
    }
}
