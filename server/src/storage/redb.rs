//! The embedded default storage: one redb file.
//!
//! Tables: `statements` (index → registered statement), `dedup` (entry
//! digest → index), `tiles` ((level, index) → hash tile bytes, partial tiles
//! overwritten by their longer versions), `digests` (bundle index → its
//! entries' digests, growing like a partial tile, so `tile/entries` is one
//! read), `meta` (tree head, checkpoints, witness sizes). Every write
//! transaction commits with
//! `Durability::Immediate`: when `commit` returns, redb has fsynced, so Ok
//! from this module means the data survives power loss.
//!
//! redb refuses all work after an I/O error (its `PreviousIo`), so
//! [`RedbStorage::recover`] drops the database and reopens it, which repairs
//! it to the last durable commit.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use ::redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use ashlog::merkle::{self, Hash};
use ashlog::tile::TILE_WIDTH;

use super::fault::{FaultSwitch, FaultyBackend};
use super::{AppendBatch, MetaKey, Storage, StorageError, TreeHead};

const STATEMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("statements");
const DEDUP: TableDefinition<&[u8; 32], u64> = TableDefinition::new("dedup");
const TILES: TableDefinition<(u8, u64), &[u8]> = TableDefinition::new("tiles");
/// Entry digests by bundle index: 32 bytes per entry, up to 256, growing like a partial tile.
const DIGESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("digests");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// redb's page cache. Its default (1 GiB) lets a busy log's resident
/// memory grow far past the 512 MiB budget as the file grows; the hot set
/// (the right edge of the tree, recent statements, the dedup index's upper
/// levels) is a few MiB, and older pages are in the kernel's page cache.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
const TREE_KEY: &str = "tree";

/// redb-backed [`Storage`].
pub struct RedbStorage {
    path: PathBuf,
    faults: Option<Arc<FaultSwitch>>,
    db: RwLock<Option<Database>>,
    /// Set by any I/O error: redb refuses all work after one until reopened.
    poisoned: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for RedbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedbStorage({})", self.path.display())
    }
}

fn io<E: std::fmt::Display>(e: E) -> StorageError {
    StorageError::Io(e.to_string())
}

fn classify(e: ::redb::StorageError) -> StorageError {
    match e {
        ::redb::StorageError::Corrupted(s) => StorageError::Corrupted(s),
        other => StorageError::Io(other.to_string()),
    }
}

impl From<::redb::StorageError> for StorageError {
    fn from(e: ::redb::StorageError) -> Self {
        classify(e)
    }
}
impl From<::redb::TransactionError> for StorageError {
    fn from(e: ::redb::TransactionError) -> Self {
        match e {
            ::redb::TransactionError::Storage(s) => classify(s),
            other => io(other),
        }
    }
}
impl From<::redb::TableError> for StorageError {
    fn from(e: ::redb::TableError) -> Self {
        match e {
            ::redb::TableError::Storage(s) => classify(s),
            other => StorageError::Corrupted(other.to_string()),
        }
    }
}
impl From<::redb::CommitError> for StorageError {
    fn from(e: ::redb::CommitError) -> Self {
        match e {
            ::redb::CommitError::Storage(s) => classify(s),
            other => io(other),
        }
    }
}

fn encode_head(h: &TreeHead) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&h.size.to_be_bytes());
    out[8..].copy_from_slice(&h.root.0);
    out
}

fn decode_head(b: &[u8]) -> Result<TreeHead, StorageError> {
    if b.len() != 40 {
        return Err(StorageError::Corrupted("tree head is not 40 bytes".into()));
    }
    let mut size = [0u8; 8];
    size.copy_from_slice(&b[..8]);
    let mut root = [0u8; 32];
    root.copy_from_slice(&b[8..]);
    Ok(TreeHead {
        size: u64::from_be_bytes(size),
        root: Hash(root),
    })
}

impl RedbStorage {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Self::open_with(path, None)
    }

    /// Opens with injected storage faults (tests and the `danger` options).
    pub fn open_with(path: &Path, faults: Option<Arc<FaultSwitch>>) -> Result<Self, StorageError> {
        let s = RedbStorage {
            path: path.to_path_buf(),
            faults,
            db: RwLock::new(None),
            poisoned: std::sync::atomic::AtomicBool::new(false),
        };
        s.reopen()?;
        Ok(s)
    }

    fn reopen(&self) -> Result<(), StorageError> {
        let mut guard = self
            .db
            .write()
            .map_err(|_| StorageError::Invariant("storage lock poisoned".into()))?;
        // Close the old handle first: redb holds a file lock.
        *guard = None;
        let db = match &self.faults {
            Some(faults) => {
                let backend = FaultyBackend::open(&self.path, faults.clone()).map_err(io)?;
                Database::builder()
                    .set_cache_size(CACHE_BYTES)
                    .create_with_backend(backend)
                    .map_err(io)?
            }
            None => Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(&self.path)
                .map_err(io)?,
        };
        // Make sure every table exists so readers never see TableDoesNotExist.
        let tx = db.begin_write()?;
        {
            tx.open_table(STATEMENTS)?;
            tx.open_table(DEDUP)?;
            tx.open_table(TILES)?;
            tx.open_table(DIGESTS)?;
            tx.open_table(META)?;
        }
        tx.commit()?;
        *guard = Some(db);
        self.poisoned
            .store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn with_db<T>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let guard = self
            .db
            .read()
            .map_err(|_| StorageError::Invariant("storage lock poisoned".into()))?;
        let db = guard
            .as_ref()
            .ok_or_else(|| StorageError::Io("database is closed after an I/O error".into()))?;
        let r = f(db);
        if let Err(StorageError::Io(_)) = &r {
            self.poisoned
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        r
    }
}

/// Extends the digest lists of the bundles `batch` touches. A bundle with no list, or a list that
/// does not end where the batch starts (one begun before the store kept digests), is left
/// without one; readers then hash the statements instead.
fn append_digests(
    digests: &mut ::redb::Table<u64, &[u8]>,
    batch: &AppendBatch,
) -> Result<(), StorageError> {
    let mut done = 0;
    while done < batch.statements.len() {
        let index = batch.first_index + done as u64;
        let bundle = index / TILE_WIDTH;
        let offset = (index % TILE_WIDTH) as usize;
        let take = (TILE_WIDTH as usize - offset).min(batch.statements.len() - done);
        let list = if offset == 0 {
            Some(Vec::with_capacity(take * 32))
        } else {
            digests
                .get(bundle)?
                .map(|v| v.value().to_vec())
                .filter(|v| v.len() == offset * 32)
        };
        if let Some(mut list) = list {
            for (digest, _) in &batch.statements[done..done + take] {
                list.extend_from_slice(&digest.0);
            }
            digests.insert(bundle, list.as_slice())?;
        }
        done += take;
    }
    Ok(())
}

impl RedbStorage {
    /// `f` of each stored statement `start..start+count`, in one read transaction.
    fn each_statement<T>(
        &self,
        start: u64,
        count: u64,
        f: impl Fn(&[u8]) -> T,
    ) -> Result<Vec<T>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(STATEMENTS)?;
            let end = start.saturating_add(count);
            let mut out = Vec::with_capacity(count.min(256) as usize);
            for item in table.range(start..end)? {
                out.push(f(item?.1.value()));
            }
            Ok(out)
        })
    }
}

impl Storage for RedbStorage {
    fn tree_head(&self) -> Result<TreeHead, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let meta = tx.open_table(META)?;
            match meta.get(TREE_KEY)? {
                Some(v) => decode_head(v.value()),
                None => Ok(TreeHead {
                    size: 0,
                    root: merkle::empty_root(),
                }),
            }
        })
    }

    fn find_entries(&self, digests: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let dedup = tx.open_table(DEDUP)?;
            digests
                .iter()
                .map(|d| Ok(dedup.get(&d.0)?.map(|v| v.value())))
                .collect()
        })
    }

    fn append(&self, batch: &AppendBatch) -> Result<(), StorageError> {
        self.with_db(|db| {
            let tx = db.begin_write()?;
            {
                let mut meta = tx.open_table(META)?;
                let current = match meta.get(TREE_KEY)? {
                    Some(v) => decode_head(v.value())?.size,
                    None => 0,
                };
                if current != batch.first_index {
                    return Err(StorageError::Invariant(format!(
                        "batch starts at {} but the tree has {current} entries",
                        batch.first_index
                    )));
                }
                let mut statements = tx.open_table(STATEMENTS)?;
                let mut dedup = tx.open_table(DEDUP)?;
                for (i, (digest, bytes)) in batch.statements.iter().enumerate() {
                    let index = batch.first_index + i as u64;
                    statements.insert(index, bytes.as_slice())?;
                    dedup.insert(&digest.0, index)?;
                }
                append_digests(&mut tx.open_table(DIGESTS)?, batch)?;
                let mut tiles = tx.open_table(TILES)?;
                for (level, index, bytes) in &batch.tiles {
                    tiles.insert((*level, *index), bytes.as_slice())?;
                }
                if let Some(head) = &batch.tree {
                    meta.insert(TREE_KEY, encode_head(head).as_slice())?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn tile(&self, level: u8, index: u64) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let tiles = tx.open_table(TILES)?;
            Ok(tiles.get((level, index))?.map(|v| v.value().to_vec()))
        })
    }

    fn entry_digests(&self, bundle: u64) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let digests = tx.open_table(DIGESTS)?;
            Ok(digests.get(bundle)?.map(|v| v.value().to_vec()))
        })
    }

    fn statements(&self, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StorageError> {
        self.each_statement(start, count, <[u8]>::to_vec)
    }

    fn statement_lengths(&self, start: u64, count: u64) -> Result<Vec<usize>, StorageError> {
        self.each_statement(start, count, <[u8]>::len)
    }

    fn put_meta(&self, key: &MetaKey, value: &[u8]) -> Result<(), StorageError> {
        self.with_db(|db| {
            let tx = db.begin_write()?;
            {
                let mut meta = tx.open_table(META)?;
                meta.insert(key.as_key().as_str(), value)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn get_meta(&self, key: &MetaKey) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let meta = tx.open_table(META)?;
            Ok(meta.get(key.as_key().as_str())?.map(|v| v.value().to_vec()))
        })
    }

    fn recover(&self) -> Result<(), StorageError> {
        let r = self.reopen();
        if r.is_err() {
            self.poisoned
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        r
    }

    fn healthy(&self) -> bool {
        !self.poisoned.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn disk_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redb_storage_passes_conformance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        crate::storage::conformance::run(|| RedbStorage::open(&path).unwrap());
    }
}
