//! What this machine remembers about each log: the largest checkpoint it
//! has seen (saved only after it verified and was proven consistent with
//! the one before), and the monitor's replay position.
//!
//! Directory: `--state-dir`, else `$ASHLOG_STATE_DIR`, else
//! `$XDG_STATE_HOME/ashlog`, else `~/.local/state/ashlog`. One file per log
//! origin and purpose, named after the origin (unsafe characters replaced)
//! plus a short hash of it, so two origins never share a file.

use std::path::{Path, PathBuf};

use anyhow::Result;
use ashlog::durable::write_file_atomic;
use sha2::{Digest, Sha256};

use super::error::fail;

pub(crate) struct State {
    pub(crate) dir: PathBuf,
}

impl State {
    pub(crate) fn resolve(flag: Option<PathBuf>) -> Result<State> {
        if let Some(d) = flag {
            return Ok(State { dir: d });
        }
        if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
            return Ok(State {
                dir: PathBuf::from(x).join("ashlog"),
            });
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(h) => Ok(State {
                dir: PathBuf::from(h).join(".local/state/ashlog"),
            }),
            None => Err(fail(
                "no state directory: neither $XDG_STATE_HOME nor $HOME is set",
                "pass --state-dir DIR or set ASHLOG_STATE_DIR",
            )),
        }
    }

    fn file(&self, origin: &str, suffix: &str) -> PathBuf {
        let safe: String = origin
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(100)
            .collect();
        let h = hex::encode(&Sha256::digest(origin.as_bytes())[..4]);
        self.dir.join(format!("{safe}-{h}.{suffix}"))
    }

    /// Where the last checkpoint seen of `origin` is kept.
    pub(crate) fn checkpoint_path(&self, origin: &str) -> PathBuf {
        self.file(origin, "checkpoint")
    }

    /// Where the monitor keeps its replay position for `origin`.
    pub(crate) fn monitor_path(&self, origin: &str) -> PathBuf {
        self.file(origin, "monitor.json")
    }

    pub(crate) fn load(&self, path: &Path) -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(fail(
                format!("cannot read state file {}: {e}", path.display()),
                "check its permissions, or pass another --state-dir",
            )),
        }
    }

    pub(crate) fn save(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            fail(
                format!("cannot create state directory {}: {e}", self.dir.display()),
                "pass another --state-dir",
            )
        })?;
        write_file_atomic(path, bytes).map_err(|e| {
            fail(
                format!("cannot write state file {}: {e}", path.display()),
                "check the state directory's permissions",
            )
        })
    }
}
