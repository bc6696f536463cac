//! The embedded default storage: one redb file.
//!
//! Tables: four packed streams (see [`super::packed`]): the registered
//! statements end to end, their end offsets, the leaf hashes (the level-0
//! tiles) and the entry digests (so `tile/entries` is one read);
//! `dedup_by_iat` ((iat, entry digest) → index, see [`EntryKey`]) and
//! `dedup_pending` (index → iat of the entries not yet in it, see
//! [`Pending`]); `tiles` ((level, index) → hash tile bytes for
//! levels 1 and up, partial tiles overwritten by their longer versions);
//! `meta` (tree head, checkpoints, witness sizes, the streams' chunk size).
//! Every write transaction commits with `Durability::Immediate`: when
//! `commit` returns, redb has fsynced, so Ok from this module means the data
//! survives power loss.
//!
//! redb refuses all work after an I/O error (its `PreviousIo`), so
//! [`RedbStorage::recover`] drops the database and reopens it, which repairs
//! it to the last durable commit.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use ::redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use ashlog::merkle::{self, Hash};
use ashlog::tile::TILE_WIDTH;

use super::fault::{FaultSwitch, FaultyBackend};
use super::packed::{self, DIGESTS, ENDS, LEAF_HASHES, STATEMENTS};
use super::{AppendBatch, EntryKey, MetaKey, Storage, StorageError, TreeHead};

/// Statements one per value, as builds before the packed streams stored
/// them; [`RedbStorage::open`] moves them into their stream.
const LEGACY_STATEMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("statements");
/// Entry digests by bundle, as builds before the packed streams stored them.
const LEGACY_DIGESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("digests");
/// The dedup index by digest alone, as builds before [`EntryKey`] wrote it:
/// its random keys made every commit rewrite a page per entry. Kept as it
/// is and only read, for the entries it indexes; nothing new goes in.
const LEGACY_DEDUP: TableDefinition<&[u8; 32], u64> = TableDefinition::new("dedup");
/// Entry index by (iat, digest): see [`EntryKey`] and [`iat_prefix`].
const DEDUP: TableDefinition<(u32, &[u8; 32]), u64> = TableDefinition::new("dedup_by_iat");
/// The iat prefix of each entry from `dedup.indexed` on: with the digests
/// (the statements' hashes), what rebuilds [`Pending`] on open. Its keys
/// only grow, so a batch adds to its last page or two.
const DEDUP_PENDING: TableDefinition<u64, u32> = TableDefinition::new("dedup_pending");
/// Entries below this index are in `dedup_by_iat` (or the legacy index).
const DEDUP_INDEXED_KEY: &str = "dedup.indexed";
/// Pending entries merged into `dedup_by_iat` at once. Inserted one batch
/// at a time, each entry rewrote a 4 KiB index page in the commit (the
/// largest write after the statement itself, and a quarter of registration
/// throughput past 100,000 entries); sorted together, entries signed in the
/// same stretch of time share pages, and a merge rewrites a few hundred.
/// Memory: about 100 bytes per pending entry. `[sequencer]
/// dedup_merge_every` sets it.
pub const DEFAULT_MERGE_EVERY: usize = 16_384;

/// The iat part of a dedup key, four bytes rather than eight (each byte is
/// paid per entry): iat clamped to the unsigned 32-bit range, which holds
/// every second from 1970 to 2106. It only orders the index; the digest
/// decides, so an iat outside the range is still found, just not near its
/// neighbours.
fn iat_prefix(iat: i64) -> u32 {
    u32::try_from(iat.max(0)).unwrap_or(u32::MAX)
}
/// Hash tiles of levels 1 and up (level 0 is the leaf-hash stream); builds
/// before the packed streams kept level 0 here too.
const TILES: TableDefinition<(u8, u64), &[u8]> = TableDefinition::new("tiles");
/// Bytes in a full tile (and in a full bundle's digest list).
const TILE_BYTES: u64 = TILE_WIDTH * 32;
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// redb's page cache. Its default (1 GiB) lets a busy log's resident
/// memory grow far past the 512 MiB budget as the file grows; the hot set
/// (the right edge of the tree, recent statements, the dedup index's upper
/// levels) is a few MiB, and older pages are in the kernel's page cache.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
const TREE_KEY: &str = "tree";
/// The chunk size the streams were written with: a build with another
/// [`packed::CHUNK`] would misread them, so it refuses to open them instead.
const CHUNK_KEY: &str = "packed.chunk_bytes";

/// Entries appended since the last merge into `dedup_by_iat`, looked up in
/// memory. They are durable all the same: their statements, digests and
/// iats (`dedup_pending`) were committed with their batch, and opening the
/// database rebuilds this from them.
#[derive(Debug, Default)]
struct Pending {
    /// The first index not merged (`dedup.indexed`).
    from: u64,
    /// The keys of entries `from..`, in index order.
    keys: Vec<EntryKey>,
    /// Digest → index of the same entries.
    by_digest: std::collections::HashMap<Hash, u64>,
}

impl Pending {
    fn push(&mut self, key: EntryKey) {
        let index = self.from + self.keys.len() as u64;
        self.keys.push(key);
        self.by_digest.entry(key.digest).or_insert(index);
    }
}

/// redb-backed [`Storage`].
pub struct RedbStorage {
    path: PathBuf,
    faults: Option<Arc<FaultSwitch>>,
    db: RwLock<Option<Database>>,
    /// Set by any I/O error: redb refuses all work after one until reopened.
    poisoned: std::sync::atomic::AtomicBool,
    /// Whether the file has a non-empty legacy dedup index to consult.
    legacy_dedup: std::sync::atomic::AtomicBool,
    /// Taken before `db` wherever both are.
    pending: Mutex<Pending>,
    /// Pending entries merged into the index at once.
    merge_every: usize,
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

/// The committed tree head in `meta` (size 0 and the empty root for a new
/// log).
fn stored_head(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<TreeHead, StorageError> {
    match meta.get(TREE_KEY)? {
        Some(v) => decode_head(v.value()),
        None => Ok(TreeHead {
            size: 0,
            root: merkle::empty_root(),
        }),
    }
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
            legacy_dedup: std::sync::atomic::AtomicBool::new(false),
            pending: Mutex::new(Pending::default()),
            merge_every: DEFAULT_MERGE_EVERY,
        };
        s.reopen()?;
        Ok(s)
    }

    /// Merges pending entries into the dedup index `n` at a time (at least
    /// one).
    pub fn with_dedup_merge_every(mut self, n: usize) -> Self {
        self.merge_every = n.max(1);
        self
    }

    fn pending(&self) -> Result<MutexGuard<'_, Pending>, StorageError> {
        self.pending
            .lock()
            .map_err(|_| StorageError::Invariant("dedup lock poisoned".into()))
    }

    fn reopen(&self) -> Result<(), StorageError> {
        let mut pending = self.pending()?;
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
            tx.open_table(ENDS)?;
            tx.open_table(LEAF_HASHES)?;
            tx.open_table(DIGESTS)?;
            tx.open_table(DEDUP)?;
            tx.open_table(DEDUP_PENDING)?;
            tx.open_table(TILES)?;
            tx.open_table(META)?;
        }
        check_chunk_size(&tx)?;
        let legacy_dedup = has_legacy_dedup(&tx)?;
        migrate_legacy_statements(&tx)?;
        migrate_legacy_level0_tiles(&tx)?;
        migrate_legacy_digests(&tx)?;
        let rebuilt = load_pending(&tx)?;
        tx.commit()?;
        *pending = rebuilt;
        *guard = Some(db);
        self.legacy_dedup
            .store(legacy_dedup, std::sync::atomic::Ordering::SeqCst);
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

/// Records the chunk size in a new database; refuses one written with
/// another.
fn check_chunk_size(tx: &::redb::WriteTransaction) -> Result<(), StorageError> {
    let mut meta = tx.open_table(META)?;
    let stored = meta.get(CHUNK_KEY)?.map(|v| v.value().to_vec());
    match stored {
        None => {
            meta.insert(CHUNK_KEY, packed::CHUNK.to_be_bytes().as_slice())?;
            Ok(())
        }
        Some(b) if b == packed::CHUNK.to_be_bytes() => Ok(()),
        Some(b) => Err(StorageError::Corrupted(format!(
            "the database's streams were written in chunks of {} bytes; this build reads chunks of {} (use the ashlog release that wrote it)",
            <[u8; 8]>::try_from(b.as_slice())
                .map_or_else(|_| "?".to_string(), |a| u64::from_be_bytes(a).to_string()),
            packed::CHUNK
        ))),
    }
}

fn has_table(tx: &::redb::WriteTransaction, name: &str) -> Result<bool, StorageError> {
    Ok(tx.list_tables()?.any(|t| t.name() == name))
}

/// Moves statements stored one per value (by builds before the packed
/// streams) into their stream, in the transaction that opens the database,
/// and drops their table. A no-op on a database without that table.
fn migrate_legacy_statements(tx: &::redb::WriteTransaction) -> Result<(), StorageError> {
    if !has_table(tx, LEGACY_STATEMENTS.name())? {
        return Ok(());
    }
    {
        let old = tx.open_table(LEGACY_STATEMENTS)?;
        let mut chunks = tx.open_table(STATEMENTS)?;
        let mut ends = tx.open_table(ENDS)?;
        let mut next = packed::end(&ends)? / 8;
        let mut batch = Vec::new();
        for item in old.range(next..)? {
            let (k, v) = item?;
            if k.value() != next + batch.len() as u64 {
                return Err(StorageError::Corrupted(format!(
                    "legacy statement {} is missing",
                    next + batch.len() as u64
                )));
            }
            batch.push(v.value().to_vec());
            if batch.len() == 1024 {
                let slices: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
                packed::append_statements(&mut chunks, &mut ends, next, &slices)?;
                next += batch.len() as u64;
                batch.clear();
            }
        }
        let slices: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        packed::append_statements(&mut chunks, &mut ends, next, &slices)?;
    }
    tx.delete_table(LEGACY_STATEMENTS)?;
    tracing::info!("moved the statements into their packed stream");
    Ok(())
}

/// Moves level-0 tiles kept in the tile table (by builds before the packed
/// streams) into the leaf-hash stream.
fn migrate_legacy_level0_tiles(tx: &::redb::WriteTransaction) -> Result<(), StorageError> {
    let mut tiles = tx.open_table(TILES)?;
    let mut leaves = tx.open_table(LEAF_HASHES)?;
    let mut moved = Vec::new();
    for item in tiles.range((0u8, 0u64)..=(0u8, u64::MAX))? {
        let (k, v) = item?;
        let (_, index) = k.value();
        write_level0_tile(&mut leaves, index, v.value())?;
        moved.push(index);
    }
    for index in &moved {
        tiles.remove((0u8, *index))?;
    }
    if !moved.is_empty() {
        tracing::info!(
            tiles = moved.len(),
            "moved the level-0 tiles into the leaf-hash stream"
        );
    }
    Ok(())
}

/// Moves per-bundle digest lists (builds before the packed streams) into the
/// digest stream, as far as they run without a gap: a log begun before the
/// store kept digests has none for its first bundles, and the log then
/// hashes statements to serve those bundles (and all later ones).
fn migrate_legacy_digests(tx: &::redb::WriteTransaction) -> Result<(), StorageError> {
    if !has_table(tx, LEGACY_DIGESTS.name())? {
        return Ok(());
    }
    {
        let old = tx.open_table(LEGACY_DIGESTS)?;
        let mut digests = tx.open_table(DIGESTS)?;
        for item in old.iter()? {
            let (k, v) = item?;
            if packed::end(&digests)? != k.value().saturating_mul(TILE_BYTES) {
                break;
            }
            packed::append(&mut digests, [v.value()], |_| Ok(()))?;
        }
    }
    tx.delete_table(LEGACY_DIGESTS)?;
    tracing::info!("moved the entry digests into their packed stream");
    Ok(())
}

/// Writes level-0 tile `index` (its full current content) into the
/// leaf-hash stream: the bytes past what the stream already holds of it.
fn write_level0_tile(
    leaves: &mut ::redb::Table<u64, &[u8]>,
    index: u64,
    bytes: &[u8],
) -> Result<(), StorageError> {
    let start = index.saturating_mul(TILE_BYTES);
    let have = packed::end(leaves)?;
    let new = have
        .checked_sub(start)
        .and_then(|held| bytes.get(held as usize..))
        .ok_or_else(|| {
            StorageError::Invariant(format!(
                "tile 0/{index} of {} bytes does not continue the leaf hashes, which end at byte {have}",
                bytes.len()
            ))
        })?;
    packed::append(leaves, [new], |_| Ok(()))?;
    Ok(())
}

/// The entries not merged into `dedup_by_iat`, from what is committed. A
/// log without `dedup.indexed` was written by a build that indexed every
/// entry in its own batch: all of it is indexed.
fn load_pending(tx: &::redb::WriteTransaction) -> Result<Pending, StorageError> {
    let mut meta = tx.open_table(META)?;
    let size = stored_head(&meta)?.size;
    let recorded = meta
        .get(DEDUP_INDEXED_KEY)?
        .map(|v| decode_u64(v.value(), DEDUP_INDEXED_KEY))
        .transpose()?;
    let from = match recorded {
        Some(from) => from,
        None => {
            meta.insert(DEDUP_INDEXED_KEY, size.to_be_bytes().as_slice())?;
            size
        }
    };
    if from > size {
        return Err(StorageError::Corrupted(format!(
            "the dedup index covers {from} entries of {size}"
        )));
    }
    let iats: Vec<u32> = tx
        .open_table(DEDUP_PENDING)?
        .range(from..size)?
        .map(|item| Ok(item?.1.value()))
        .collect::<Result<_, StorageError>>()?;
    if iats.len() as u64 != size - from {
        return Err(StorageError::Corrupted(format!(
            "{} pending dedup entries for indices {from}..{size}",
            iats.len()
        )));
    }
    // The digest stream holds them, unless it has a legacy gap (see
    // migrate_legacy_digests): then they are the statements' hashes.
    let stream = tx.open_table(DIGESTS)?;
    let digests: Vec<Hash> = if packed::end(&stream)? >= size.saturating_mul(32) {
        packed::read(&stream, from * 32, size * 32)?
            .chunks_exact(32)
            .map(|d| Hash::from_slice(d).map_err(|e| StorageError::Corrupted(e.to_string())))
            .collect::<Result<_, _>>()?
    } else {
        packed::each_statement(
            &tx.open_table(STATEMENTS)?,
            &tx.open_table(ENDS)?,
            from,
            size - from,
            |b| {
                let d = sha2::Digest::chain_update(sha2::Sha256::default(), b);
                Hash(sha2::Digest::finalize(d).into())
            },
        )?
    };
    if digests.len() != iats.len() {
        return Err(StorageError::Corrupted(format!(
            "{} digests for the {} pending dedup entries",
            digests.len(),
            iats.len()
        )));
    }
    let mut pending = Pending {
        from,
        ..Pending::default()
    };
    for (iat, digest) in iats.into_iter().zip(digests) {
        pending.push(EntryKey {
            iat: i64::from(iat),
            digest,
        });
    }
    Ok(pending)
}

fn decode_u64(b: &[u8], what: &str) -> Result<u64, StorageError> {
    let bytes: [u8; 8] = b
        .try_into()
        .map_err(|_| StorageError::Corrupted(format!("{what} is not 8 bytes")))?;
    Ok(u64::from_be_bytes(bytes))
}

/// Whether the file holds entries in the legacy dedup index.
fn has_legacy_dedup(tx: &::redb::WriteTransaction) -> Result<bool, StorageError> {
    if !has_table(tx, LEGACY_DEDUP.name())? {
        return Ok(false);
    }
    Ok(tx.open_table(LEGACY_DEDUP)?.first()?.is_some())
}

impl Storage for RedbStorage {
    fn tree_head(&self) -> Result<TreeHead, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            stored_head(&tx.open_table(META)?)
        })
    }

    fn find_entries(&self, keys: &[EntryKey]) -> Result<Vec<Option<u64>>, StorageError> {
        // Pending first, then the index: a merge commits before it empties
        // Pending, so an entry missed here is in the read below.
        let recent: Vec<Option<u64>> = {
            let pending = self.pending()?;
            keys.iter()
                .map(|k| pending.by_digest.get(&k.digest).copied())
                .collect()
        };
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let dedup = tx.open_table(DEDUP)?;
            let legacy = if self.legacy_dedup.load(std::sync::atomic::Ordering::SeqCst) {
                Some(tx.open_table(LEGACY_DEDUP)?)
            } else {
                None
            };
            keys.iter()
                .zip(recent)
                .map(|(k, recent)| {
                    if recent.is_some() {
                        return Ok(recent);
                    }
                    if let Some(v) = dedup.get((iat_prefix(k.iat), &k.digest.0))? {
                        return Ok(Some(v.value()));
                    }
                    match &legacy {
                        Some(t) => Ok(t.get(&k.digest.0)?.map(|v| v.value())),
                        None => Ok(None),
                    }
                })
                .collect()
        })
    }

    fn append(&self, batch: &AppendBatch) -> Result<(), StorageError> {
        let mut pending = self.pending()?;
        let merge = pending.keys.len() + batch.statements.len() >= self.merge_every;
        self.with_db(|db| {
            let tx = db.begin_write()?;
            {
                let mut meta = tx.open_table(META)?;
                let current = stored_head(&meta)?.size;
                if current != batch.first_index {
                    return Err(StorageError::Invariant(format!(
                        "batch starts at {} but the tree has {current} entries",
                        batch.first_index
                    )));
                }
                let bytes: Vec<&[u8]> =
                    batch.statements.iter().map(|(_, b)| b.as_slice()).collect();
                packed::append_statements(
                    &mut tx.open_table(STATEMENTS)?,
                    &mut tx.open_table(ENDS)?,
                    batch.first_index,
                    &bytes,
                )?;
                if pending.from + pending.keys.len() as u64 != batch.first_index {
                    return Err(StorageError::Invariant(format!(
                        "dedup index pending up to {} but the batch starts at {}",
                        pending.from + pending.keys.len() as u64,
                        batch.first_index
                    )));
                }
                let mut waiting = tx.open_table(DEDUP_PENDING)?;
                if merge {
                    let mut sorted: Vec<(u32, [u8; 32], u64)> = pending
                        .keys
                        .iter()
                        .chain(batch.statements.iter().map(|(k, _)| k))
                        .enumerate()
                        .map(|(i, k)| (iat_prefix(k.iat), k.digest.0, pending.from + i as u64))
                        .collect();
                    sorted.sort_unstable();
                    // The sequencer never sequences a statement twice; were
                    // one here twice, its first index would win, as in Pending.
                    sorted.dedup_by(|later, first| (later.0, later.1) == (first.0, first.1));
                    let mut dedup = tx.open_table(DEDUP)?;
                    for (iat, digest, index) in &sorted {
                        dedup.insert((*iat, digest), *index)?;
                    }
                    waiting.retain_in(pending.from..batch.first_index, |_, _| false)?;
                    let indexed = batch.first_index + batch.statements.len() as u64;
                    meta.insert(DEDUP_INDEXED_KEY, indexed.to_be_bytes().as_slice())?;
                } else {
                    for (i, (key, _)) in batch.statements.iter().enumerate() {
                        waiting.insert(batch.first_index + i as u64, iat_prefix(key.iat))?;
                    }
                }
                // A digest stream with a gap (see migrate_legacy_digests)
                // stays as it is.
                let mut digests = tx.open_table(DIGESTS)?;
                if packed::end(&digests)? == batch.first_index.saturating_mul(32) {
                    let list = batch.statements.iter().map(|(k, _)| k.digest.0.as_slice());
                    packed::append(&mut digests, list, |_| Ok(()))?;
                }
                let mut leaves = tx.open_table(LEAF_HASHES)?;
                let mut tiles = tx.open_table(TILES)?;
                for (level, index, bytes) in &batch.tiles {
                    if *level == 0 {
                        write_level0_tile(&mut leaves, *index, bytes)?;
                    } else {
                        tiles.insert((*level, *index), bytes.as_slice())?;
                    }
                }
                if let Some(head) = &batch.tree {
                    meta.insert(TREE_KEY, encode_head(head).as_slice())?;
                }
            }
            tx.commit()?;
            Ok(())
        })?;
        if merge {
            *pending = Pending {
                from: batch.first_index + batch.statements.len() as u64,
                ..Pending::default()
            };
        } else {
            for (key, _) in &batch.statements {
                pending.push(*key);
            }
        }
        Ok(())
    }

    fn tile(&self, level: u8, index: u64) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            if level == 0 {
                return packed::group_of_256(&tx.open_table(LEAF_HASHES)?, index);
            }
            let tiles = tx.open_table(TILES)?;
            Ok(tiles.get((level, index))?.map(|v| v.value().to_vec()))
        })
    }

    fn entry_digests(&self, bundle: u64) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            packed::group_of_256(&tx.open_table(DIGESTS)?, bundle)
        })
    }

    fn statements(&self, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            let chunks = tx.open_table(STATEMENTS)?;
            let ends = tx.open_table(ENDS)?;
            packed::each_statement(&chunks, &ends, start, count, <[u8]>::to_vec)
        })
    }

    fn statement_lengths(&self, start: u64, count: u64) -> Result<Vec<usize>, StorageError> {
        self.with_db(|db| {
            let tx = db.begin_read()?;
            packed::statement_lengths(&tx.open_table(ENDS)?, start, count)
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
    use ::redb::ReadableTableMetadata;

    fn digest(k: u64) -> Hash {
        let mut d = [0u8; 32];
        d[..8].copy_from_slice(&k.to_be_bytes());
        merkle::leaf_hash(&d)
    }

    /// Entry `k`'s key: ten entries signed per second.
    fn key(k: u64) -> EntryKey {
        EntryKey {
            iat: 1_677_715_200 + (k / 10) as i64,
            digest: digest(k),
        }
    }

    /// Appends statements of the given lengths through the integrator, in
    /// batches of `batch`, as the sequencer would.
    fn fill(s: &RedbStorage, lengths: &[usize], batch: usize) -> Vec<Vec<u8>> {
        let head = s.tree_head().unwrap();
        let mut edge = crate::integrate::load_edge(s, head.size).unwrap();
        let mut all = Vec::new();
        for group in lengths.chunks(batch) {
            let first = edge.size;
            let statements: Vec<(EntryKey, Arc<Vec<u8>>)> = group
                .iter()
                .enumerate()
                .map(|(i, &len)| {
                    let k = first + i as u64;
                    let bytes: Vec<u8> = (0..len).map(|j| (k as usize * 7 + j) as u8).collect();
                    (key(k), Arc::new(bytes))
                })
                .collect();
            all.extend(statements.iter().map(|(_, b)| b.to_vec()));
            let leaves: Vec<Hash> = statements
                .iter()
                .map(|(k, _)| merkle::leaf_hash(&k.digest.0))
                .collect();
            let (batch, next) = crate::integrate::into_batch(
                crate::integrate::integrate(&edge, &leaves),
                first,
                statements,
            );
            s.append(&batch).unwrap();
            edge = next;
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
        // The level-0 tiles are the leaf hashes and the bundles' digest
        // lists the digests, 256 to a tile, the last one partial.
        let n = want.len() as u64;
        for t in 0..n.div_ceil(256) {
            let range = t * 256..(t * 256 + 256).min(n);
            let digests: Vec<u8> = range.clone().flat_map(|k| digest(k).0).collect();
            let leaves: Vec<u8> = range
                .flat_map(|k| merkle::leaf_hash(&digest(k).0).0)
                .collect();
            assert_eq!(s.entry_digests(t).unwrap(), Some(digests), "bundle {t}");
            assert_eq!(s.tile(0, t).unwrap(), Some(leaves), "tile 0/{t}");
        }
        assert_eq!(s.tile(0, n.div_ceil(256)).unwrap(), None);
        assert_eq!(s.entry_digests(n.div_ceil(256)).unwrap(), None);
        // A level-0 tile that does not continue the leaf hashes is refused.
        let bad = AppendBatch {
            first_index: n,
            statements: vec![(key(n), Arc::new(vec![1]))],
            tiles: vec![(0, n / 256 + 5, vec![0; 32])],
            tree: None,
        };
        assert!(matches!(s.append(&bad), Err(StorageError::Invariant(_))));
        assert_eq!(s.statements(n, 1).unwrap(), Vec::<Vec<u8>>::new());
    }

    /// Storage per entry, in pages redb allocated (not the file, which
    /// grows in steps): statements of the demo's size must cost little more
    /// than their bytes. Stored one per value (and tiles and digest lists
    /// one per value), an entry took 2.5 KB over its statement; packed,
    /// about 160 bytes at this size and 146 at 60,000 entries.
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
        assert!(over < 200.0, "{over:.0} bytes per entry over the statement");
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
        assert_eq!(s.tile(0, 0).unwrap(), None);
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

    /// A log written when the dedup index was keyed by digest alone (and
    /// every batch indexed its own entries) keeps finding those entries, so a
    /// resubmission gets its old index; new entries are indexed the new way.
    #[test]
    fn legacy_dedup_index_is_still_consulted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        fill(&RedbStorage::open(&path).unwrap(), &[10; 30], 7);
        {
            // What an older build left: every entry indexed by digest
            // alone, and no deferred index.
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            {
                let mut legacy = tx.open_table(LEGACY_DEDUP).unwrap();
                for k in 0..30u64 {
                    legacy.insert(&digest(k).0, k).unwrap();
                }
                tx.open_table(META)
                    .unwrap()
                    .remove(DEDUP_INDEXED_KEY)
                    .unwrap();
            }
            tx.delete_table(DEDUP_PENDING).unwrap();
            tx.delete_table(DEDUP).unwrap();
            tx.commit().unwrap();
        }
        let s = RedbStorage::open(&path).unwrap();
        assert_eq!(s.pending().unwrap().from, 30);
        let keys: Vec<EntryKey> = (0..32).map(key).collect();
        let found = s.find_entries(&keys).unwrap();
        let want: Vec<Option<u64>> = (0..32).map(|k| (k < 30).then_some(k)).collect();
        assert_eq!(found, want);
        fill(&s, &[10; 5], 5);
        drop(s);
        let s = RedbStorage::open(&path).unwrap();
        assert_eq!(
            s.find_entries(&[key(32), key(3), key(35)]).unwrap(),
            vec![Some(32), Some(3), None]
        );
        assert!(s.legacy_dedup.load(std::sync::atomic::Ordering::SeqCst));
        // A new log has no legacy index to consult.
        let fresh = RedbStorage::open(&dir.path().join("new.redb")).unwrap();
        assert!(!fresh.legacy_dedup.load(std::sync::atomic::Ordering::SeqCst));
    }

    /// Entries wait in memory (and, durably, in `dedup_pending`) until
    /// enough of them go into the index in one sorted pass; before, across
    /// and after merges, and after reopening between any two batches, every
    /// entry is found at its index and nothing else is.
    #[test]
    fn dedup_entries_are_found_before_and_after_their_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let open = || {
            RedbStorage::open(&path)
                .unwrap()
                .with_dedup_merge_every(300)
        };
        let indexed = |s: &RedbStorage| {
            s.with_db(|db| {
                let tx = db.begin_read()?;
                let meta = tx.open_table(META)?;
                let from = decode_u64(meta.get(DEDUP_INDEXED_KEY)?.unwrap().value(), "")?;
                let merged = tx.open_table(DEDUP)?.len()?;
                Ok((from, merged, tx.open_table(DEDUP_PENDING)?.len()?))
            })
            .unwrap()
        };
        let mut s = open();
        let mut size = 0u64;
        let mut merges = 0;
        for (round, batch) in [70usize, 70, 70, 70, 120, 1, 299, 300, 650, 5]
            .iter()
            .enumerate()
        {
            let before = indexed(&s).0;
            fill(&s, &vec![3; *batch], *batch);
            size += *batch as u64;
            let (from, merged, waiting) = indexed(&s);
            // Merged exactly when the pending entries reached 300.
            let pending_before = (size - *batch as u64) - before;
            if pending_before + *batch as u64 >= 300 {
                assert_eq!(from, size, "round {round}");
                merges += 1;
            } else {
                assert_eq!(from, before, "round {round}");
            }
            assert_eq!((merged, waiting), (from, size - from), "round {round}");
            let all: Vec<EntryKey> = (0..size + 3).map(key).collect();
            let want: Vec<Option<u64>> = (0..size + 3).map(|k| (k < size).then_some(k)).collect();
            assert_eq!(s.find_entries(&all).unwrap(), want, "round {round}");
            if round % 2 == 1 {
                // Reopened: Pending comes back from what was committed.
                drop(s);
                s = open();
                assert_eq!(s.pending().unwrap().from, from);
                assert_eq!(s.pending().unwrap().keys.len() as u64, size - from);
                assert_eq!(
                    s.find_entries(&all).unwrap(),
                    want,
                    "round {round} reopened"
                );
            }
        }
        assert!(merges >= 4, "{merges} merges");
        // Indexed by (iat, digest): the digest under another iat is not the
        // entry (it cannot be: the digest covers the iat).
        let moved = EntryKey {
            iat: key(5).iat + 1,
            digest: digest(5),
        };
        assert_eq!(s.find_entries(&[moved]).unwrap(), vec![None]);
    }

    /// The iat part of a key orders the index and nothing else: iats outside
    /// 32 unsigned bits are found all the same.
    #[test]
    fn iats_outside_the_prefix_range_are_found() {
        assert_eq!(iat_prefix(-5), 0);
        assert_eq!(iat_prefix(i64::MAX), u32::MAX);
        assert_eq!(iat_prefix(1_677_715_200), 1_677_715_200);
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStorage::open(&dir.path().join("log.redb")).unwrap();
        let odd = [i64::MIN, -1, 0, i64::MAX];
        let keys: Vec<EntryKey> = odd
            .iter()
            .enumerate()
            .map(|(i, &iat)| EntryKey {
                iat,
                digest: digest(i as u64),
            })
            .collect();
        let leaves: Vec<Hash> = keys
            .iter()
            .map(|k| merkle::leaf_hash(&k.digest.0))
            .collect();
        let statements = keys.iter().map(|k| (*k, Arc::new(vec![1u8]))).collect();
        let (batch, _) = crate::integrate::into_batch(
            crate::integrate::integrate(&crate::integrate::Edge::default(), &leaves),
            0,
            statements,
        );
        s.append(&batch).unwrap();
        let found = |s: &RedbStorage| s.find_entries(&keys).unwrap();
        assert_eq!(found(&s), vec![Some(0), Some(1), Some(2), Some(3)]);
        drop(s);
        let s = RedbStorage::open(&dir.path().join("log.redb")).unwrap();
        // Reopened, the pending entries come back with their clamped iats.
        assert_eq!(found(&s), vec![Some(0), Some(1), Some(2), Some(3)]);
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
        // Sets the recorded end of statement 1 (bytes 8..16 of the ends
        // stream's first chunk).
        let set_end_1 = |tx: &::redb::WriteTransaction, value: u64| {
            let mut ends = tx.open_table(ENDS).unwrap();
            let mut first = ends.get(0).unwrap().unwrap().value().to_vec();
            first[8..16].copy_from_slice(&value.to_be_bytes());
            ends.insert(0, first.as_slice()).unwrap();
        };
        damage(&|tx| set_end_1(tx, u64::MAX / 2));
        assert!(corrupted(1));
        damage(&|tx| set_end_1(tx, 5));
        assert!(corrupted(1));
        damage(&|tx| {
            set_end_1(tx, (chunk * 3 + 10) as u64);
            tx.open_table(STATEMENTS).unwrap().remove(1).unwrap();
        });
        assert!(corrupted(0));
        // An ends stream that is not whole records.
        damage(&|tx| {
            let mut ends = tx.open_table(ENDS).unwrap();
            let first = ends.get(0).unwrap().unwrap().value().to_vec();
            ends.insert(0, &first[..first.len() - 3]).unwrap();
        });
        assert!(corrupted(0));
    }

    /// Level-0 tiles and per-bundle digest lists of a database written
    /// before the packed streams move into them; tiles of higher levels stay.
    /// Digests after a gap are dropped (the log hashes statements instead).
    #[test]
    fn legacy_tiles_and_digests_move_into_the_streams() {
        let full = |b: u8| vec![b; TILE_BYTES as usize];
        for gap in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("log.redb");
            {
                let db = Database::create(&path).unwrap();
                let tx = db.begin_write().unwrap();
                {
                    let mut t = tx.open_table(TILES).unwrap();
                    t.insert((0, 0), full(1).as_slice()).unwrap();
                    t.insert((0, 1), [2u8; 64].as_slice()).unwrap();
                    t.insert((1, 0), [3u8; 64].as_slice()).unwrap();
                    let mut d = tx.open_table(LEGACY_DIGESTS).unwrap();
                    if !gap {
                        d.insert(0, full(4).as_slice()).unwrap();
                    }
                    d.insert(1, [5u8; 64].as_slice()).unwrap();
                }
                tx.commit().unwrap();
            }
            let s = RedbStorage::open(&path).unwrap();
            assert_eq!(s.tile(0, 0).unwrap(), Some(full(1)));
            assert_eq!(s.tile(0, 1).unwrap(), Some(vec![2; 64]));
            assert_eq!(s.tile(1, 0).unwrap(), Some(vec![3; 64]));
            if gap {
                assert_eq!(s.entry_digests(0).unwrap(), None);
                assert_eq!(s.entry_digests(1).unwrap(), None);
            } else {
                assert_eq!(s.entry_digests(0).unwrap(), Some(full(4)));
                assert_eq!(s.entry_digests(1).unwrap(), Some(vec![5; 64]));
            }
            let (level0_rows, legacy_digests) = s
                .with_db(|db| {
                    let tx = db.begin_read()?;
                    let rows = tx
                        .open_table(TILES)?
                        .range((0u8, 0u64)..=(0u8, u64::MAX))?
                        .count();
                    let legacy = tx.list_tables()?.any(|t| t.name() == LEGACY_DIGESTS.name());
                    Ok((rows, legacy))
                })
                .unwrap();
            assert_eq!((level0_rows, legacy_digests), (0, false));
        }
    }

    /// A database whose streams were written with another chunk size is
    /// refused with a message that says so, not misread.
    #[test]
    fn another_chunk_size_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        fill(&RedbStorage::open(&path).unwrap(), &[100, 200], 2);
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META)
                .unwrap()
                .insert(CHUNK_KEY, 16_368u64.to_be_bytes().as_slice())
                .unwrap();
            tx.commit().unwrap();
        }
        match RedbStorage::open(&path) {
            Err(StorageError::Corrupted(m)) => assert!(m.contains("16368"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
