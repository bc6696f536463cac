//! Storage fault injection, for the reliability tests: a redb backend that
//! wraps the real file backend and fails writes (disk full), fsyncs (device
//! error) or reads when told to.
//!
//! This weakens nothing unless switched on: the server only installs it
//! with the `--danger-fault-file` option (see `danger` in `main.rs`), and
//! the switch then follows the contents of that file, so a test can break
//! and heal the disk of a running server from outside.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use ::redb::backends::FileBackend;
use ::redb::{BackendError, StorageBackend};

// redb names this `BackendIoError` internally; with std it is io::Error.
type BackendIoError = std::io::Error;

/// Which operations fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Nothing fails.
    None = 0,
    /// Writes and file growth fail with ENOSPC (disk full).
    DiskFull = 1,
    /// fsync fails with EIO after the data was written.
    SyncError = 2,
    /// Reads fail with EIO.
    ReadError = 3,
}

impl Fault {
    /// Parses the control file's contents.
    pub fn parse(s: &str) -> Fault {
        match s.trim() {
            "disk-full" => Fault::DiskFull,
            "sync-error" => Fault::SyncError,
            "read-error" => Fault::ReadError,
            _ => Fault::None,
        }
    }
}

/// The switch the backend consults on every operation.
#[derive(Debug, Default)]
pub struct FaultSwitch {
    mode: AtomicU8,
    /// Operations refused so far.
    pub injected: std::sync::atomic::AtomicU64,
}

impl FaultSwitch {
    /// Sets the fault mode.
    pub fn set(&self, f: Fault) {
        self.mode.store(f as u8, Ordering::SeqCst);
    }

    fn get(&self) -> Fault {
        match self.mode.load(Ordering::SeqCst) {
            1 => Fault::DiskFull,
            2 => Fault::SyncError,
            3 => Fault::ReadError,
            _ => Fault::None,
        }
    }

    /// Follows the contents of `path` (missing file = no fault), polling
    /// every 20 ms on a background thread.
    pub fn follow_file(self: &Arc<Self>, path: PathBuf) {
        let me = self.clone();
        std::thread::Builder::new()
            .name("fault-switch".into())
            .spawn(move || {
                loop {
                    let f = std::fs::read_to_string(&path)
                        .map(|s| Fault::parse(&s))
                        .unwrap_or(Fault::None);
                    me.set(f);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start fault switch thread: {e}"));
    }

    fn fail(&self, when: Fault, errno: i32) -> Result<(), BackendIoError> {
        if self.get() == when {
            self.injected.fetch_add(1, Ordering::Relaxed);
            return Err(std::io::Error::from_raw_os_error(errno));
        }
        Ok(())
    }
}

const ENOSPC: i32 = 28;
const EIO: i32 = 5;

/// redb's file backend with injected faults.
#[derive(Debug)]
pub struct FaultyBackend {
    inner: FileBackend,
    switch: Arc<FaultSwitch>,
}

impl FaultyBackend {
    /// Opens `path` (created if missing).
    pub fn open(path: &Path, switch: Arc<FaultSwitch>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let inner = FileBackend::new(file).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(FaultyBackend { inner, switch })
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> Result<u64, BackendIoError> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), BackendIoError> {
        self.switch.fail(Fault::ReadError, EIO)?;
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), BackendIoError> {
        if len > self.inner.len()? {
            self.switch.fail(Fault::DiskFull, ENOSPC)?;
        }
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), BackendIoError> {
        self.switch.fail(Fault::SyncError, EIO)?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), BackendIoError> {
        self.switch.fail(Fault::DiskFull, ENOSPC)?;
        self.inner.write(offset, data)
    }
    fn close(&self) -> Result<(), BackendIoError> {
        self.inner.close()
    }
    fn try_lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(s, e)
    }
    fn try_lock_shared_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(s, e)
    }
    fn lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(s, e)
    }
    fn lock_shared_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(s, e)
    }
    fn unlock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(s, e)
    }
}
