//! The embedded default storage: one redb file.
//!
//! Tables: `statement_chunks` and `statement_ends` (the registered
//! statements packed end to end, see [`super::packed`]), `dedup` (entry
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

use ::redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle,
};
use ashlog::merkle::{self, Hash};
use ashlog::tile::TILE_WIDTH;

use super::fault::{FaultSwitch, FaultyBackend};
use super::packed::{self, CHUNKS, ENDS};
use super::{AppendBatch, MetaKey, Storage, StorageError, TreeHead};

/// Statements one per value, as builds before the packed stream stored
/// them; [`RedbStorage::open`] moves them into the stream.
const LEGACY_STATEMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("statements");
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
            tx.open_table(CHUNKS)?;
            tx.open_table(ENDS)?;
            tx.open_table(DEDUP)?;
            tx.open_table(TILES)?;
            tx.open_table(DIGESTS)?;
            tx.open_table(META)?;
        }
        migrate_legacy_statements(&tx)?;
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

/// Moves statements stored one per value (by builds before the packed
/// stream) into the stream, in the transaction that opens the database, and
/// drops their table. A no-op on a database without that table.
fn migrate_legacy_statements(tx: &::redb::WriteTransaction) -> Result<(), StorageError> {
    let legacy = tx
        .list_tables()?
        .any(|t| t.name() == LEGACY_STATEMENTS.name());
    if !legacy {
        return Ok(());
    }
    {
        let old = tx.open_table(LEGACY_STATEMENTS)?;
        let mut chunks = tx.open_table(CHUNKS)?;
        let mut ends = tx.open_table(ENDS)?;
        let mut next = ends.len()?;
        let mut batch = Vec::new();
        for item in old.range(next..)? {
            let (k, v) = item?;
            if k.value() != next + batch.len() as u64 {
                return Err(StorageError::Corrupted(format!(
                    "legacy statement {} is missing",
                    next + batch.len() as u64
                )));
            }
            batch.push((Hash([0; 32]), Arc::new(v.value().to_vec())));
            if batch.len() == 1024 {
                packed::append(&mut chunks, &mut ends, next, &batch)?;
                next += batch.len() as u64;
                batch.clear();
            }
        }
        packed::append(&mut chunks, &mut ends, next, &batch)?;
    }
    tx.delete_table(LEGACY_STATEMENTS)?;
    tracing::info!("moved the statements into the packed statement stream");
    Ok(())
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
                packed::append(
                    &mut tx.open_table(CHUNKS)?,
                    &mut tx.open_table(ENDS)?,
                    batch.first_index,
                    &batch.statements,
                )?;
                let mut dedup = tx.open_table(DEDUP)?;
                for (i, (digest, _)) in batch.statements.iter().enumerate() {
                    dedup.insert(&digest.0, batch.first_index + i as u64)?;
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
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let chunks = tx.open_table(CHUNKS)?;
            let ends = tx.open_table(ENDS)?;
            packed::each(&chunks, &ends, start, count, <[u8]>::to_vec)
        })
    }

    fn statement_lengths(&self, start: u64, count: u64) -> Result<Vec<usize>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            packed::lengths(&tx.open_table(ENDS)?, start, count)
        })
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

    fn digest(k: u64) -> Hash {
        let mut d = [0u8; 32];
        d[..8].copy_from_slice(&k.to_be_bytes());
        merkle::leaf_hash(&d)
    }

    /// Appends statements of the given lengths through the integrator, in
    /// batches of `batch`, as the sequencer would.
    fn fill(s: &RedbStorage, lengths: &[usize], batch: usize) -> Vec<Vec<u8>> {
        let head = s.tree_head().unwrap();
        let mut edge = crate::integrate::Edge::load(s, head.size).unwrap();
        let mut all = Vec::new();
        for group in lengths.chunks(batch) {
            let first = edge.size;
            let statements: Vec<(Hash, Arc<Vec<u8>>)> = group
                .iter()
                .enumerate()
                .map(|(i, &len)| {
                    let k = first + i as u64;
                    let bytes: Vec<u8> = (0..len).map(|j| (k as usize * 7 + j) as u8).collect();
                    (digest(k), Arc::new(bytes))
                })
                .collect();
            all.extend(statements.iter().map(|(_, b)| b.to_vec()));
            let leaves: Vec<Hash> = statements
                .iter()
                .map(|(d, _)| merkle::leaf_hash(&d.0))
                .collect();
            let out = crate::integrate::integrate(&edge, &leaves);
            s.append(&AppendBatch {
                first_index: first,
                statements,
                tiles: out.tiles,
                tree: Some(TreeHead {
                    size: out.edge.size,
                    root: out.root,
                }),
            })
            .unwrap();
            edge = out.edge;
        }
        all
    }

    #[test]
    fn redb_storage_passes_conformance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        crate::storage::conformance::run(|| RedbStorage::open(&path).unwrap());
    }

    /// Statements of every size around the chunk boundaries, appended in
    /// uneven batches and read back in every kind of range, also after a
    /// reopen.
    #[test]
    fn packed_statements_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let chunk = packed::CHUNK as usize;
        let mut lengths = vec![1, chunk - 1, 1, chunk, chunk, 3 * chunk + 5, 64 * 1024, 17];
        lengths.extend((0..300).map(|i| 1 + (i * 7919) % 12_000));
        let mut want = {
            let s = RedbStorage::open(&path).unwrap();
            let mut w = fill(&s, &lengths[..5], 2);
            w.extend(fill(&s, &lengths[5..], 37));
            w
        };
        let s = RedbStorage::open(&path).unwrap();
        let n = want.len() as u64;
        for (start, count) in [
            (0, 1),
            (0, n),
            (1, 3),
            (3, 2),
            (5, 1),
            (6, 300),
            (n - 1, 10),
        ] {
            let end = (start + count).min(n) as usize;
            assert_eq!(
                s.statements(start, count).unwrap(),
                want[start as usize..end],
                "{start}+{count}"
            );
            let lens: Vec<usize> = want[start as usize..end].iter().map(Vec::len).collect();
            assert_eq!(s.statement_lengths(start, count).unwrap(), lens);
        }
        assert!(s.statements(n, 5).unwrap().is_empty());
        assert!(s.statement_lengths(n + 9, 5).unwrap().is_empty());
        // Appending after a reopen continues the stream where it ended.
        want.extend(fill(&s, &[chunk / 2, chunk], 1));
        assert_eq!(s.statements(0, u64::MAX).unwrap(), want);
    }

    /// Storage per entry, in pages redb allocated (not the file, which
    /// grows in steps): statements of the demo's size must cost little more
    /// than their bytes. Stored one per value, each took an 8 KiB run of
    /// pages, 2.5 KB over the statement; packed, about 240 bytes.
    #[test]
    fn storage_per_entry_stays_near_the_statement_size() {
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStorage::open(&dir.path().join("log.redb")).unwrap();
        let n = 6_000;
        let statement = 5_896;
        fill(&s, &vec![statement; n], 64);
        let allocated = s
            .with_db(|db| {
                let st = db.begin_write()?.stats()?;
                Ok(st.allocated_pages() * st.page_size() as u64)
            })
            .unwrap();
        let over = allocated as f64 / n as f64 - statement as f64;
        assert!(over < 400.0, "{over:.0} bytes per entry over the statement");
    }

    /// A database written by a build that stored statements one per value
    /// opens with them moved into the stream, and goes on from there.
    #[test]
    fn legacy_statements_move_into_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let old: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 100 + 997 * i as usize]).collect();
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            {
                let mut t = tx.open_table(LEGACY_STATEMENTS).unwrap();
                for (i, b) in old.iter().enumerate() {
                    t.insert(i as u64, b.as_slice()).unwrap();
                }
            }
            tx.commit().unwrap();
        }
        let s = RedbStorage::open(&path).unwrap();
        assert_eq!(s.statements(0, 100).unwrap(), old);
        assert_eq!(s.statements(39, 1).unwrap(), vec![old[39].clone()]);
        let legacy_left = s
            .with_db(|db| {
                Ok(db
                    .begin_read()?
                    .list_tables()?
                    .any(|t| t.name() == LEGACY_STATEMENTS.name()))
            })
            .unwrap();
        assert!(!legacy_left);
        drop(s);
        let s = RedbStorage::open(&path).unwrap();
        assert_eq!(s.statements(0, 100).unwrap(), old);
    }

    /// A damaged stream (a chunk gone, an end out of order or absurd) reads
    /// as Corrupted, never as a panic or wrong bytes.
    #[test]
    fn damaged_stream_reads_as_corrupted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let chunk = packed::CHUNK as usize;
        fill(&RedbStorage::open(&path).unwrap(), &[chunk * 3, 10, 10], 3);
        let damage = |f: &dyn Fn(&::redb::WriteTransaction)| {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            f(&tx);
            tx.commit().unwrap();
        };
        let corrupted = |start: u64| {
            let s = RedbStorage::open(&path).unwrap();
            matches!(s.statements(start, 1), Err(StorageError::Corrupted(_)))
        };
        damage(&|tx| {
            tx.open_table(ENDS)
                .unwrap()
                .insert(1, u64::MAX / 2)
                .unwrap();
        });
        assert!(corrupted(1));
        damage(&|tx| {
            tx.open_table(ENDS).unwrap().insert(1, 5).unwrap();
        });
        assert!(corrupted(1));
        damage(&|tx| {
            tx.open_table(ENDS)
                .unwrap()
                .insert(1, (chunk * 3 + 10) as u64)
                .unwrap();
            tx.open_table(CHUNKS).unwrap().remove(1).unwrap();
        });
        assert!(corrupted(0));
    }
}
