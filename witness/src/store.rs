//! Durable witness state: the latest cosigned checkpoint per log, and the
//! evidence of inconsistent checkpoints.
//!
//! # Durability contract
//!
//! Every method that writes returns Ok only once the write is committed
//! durably: **Ok means it survives power loss** (redb commits with
//! [`redb::Durability::Immediate`]: the commit fsyncs before it returns). An
//! Err means the write may or may not have landed (a commit can reach the
//! disk and still report an error); callers must treat the outcome as unknown
//! and re-read. The witness relies on this: a cosignature leaves the process
//! only after [`WitnessStore::compare_and_swap`] returned Ok, so a crash at
//! any point never leaves a released cosignature for a checkpoint the witness
//! has forgotten, and the stored size never goes backwards.
//!
//! # Concurrency
//!
//! Methods may be called from several threads. `compare_and_swap` is atomic:
//! of two swaps from the same expected value, exactly one succeeds.
//!
//! The store is deliberately narrow (read the latest, swap it, record and
//! list evidence) so another backend, or a fault-injecting wrapper in tests,
//! implements it in a few lines.

use std::path::Path;

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};

use crate::evidence::Evidence;

/// The latest cosigned checkpoint note per origin.
const CHECKPOINTS: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoints");
/// Evidence entries (JSON) by (origin, id).
const EVIDENCE: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("evidence");
/// Counters: `evidence_seq` is the last evidence id handed out.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const EVIDENCE_SEQ: &str = "evidence_seq";

/// Why a store operation failed. After a write error the write may or may
/// not have landed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error (I/O, corruption, lock held by another
    /// process).
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    /// A stored value does not decode.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// An injected fault (tests).
    #[error("injected fault: {0}")]
    Injected(&'static str),
    /// A thread panicked while holding the [`MemoryStore`]'s lock.
    #[error("the in-memory store's lock is poisoned")]
    Poisoned,
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Outcome of [`WitnessStore::compare_and_swap`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Swap {
    /// The new value is stored durably.
    Swapped,
    /// The stored value was not the expected one; nothing was written.
    Conflict {
        /// What is stored now (None if nothing).
        current: Option<Vec<u8>>,
    },
}

/// Storage for the witness. See the module doc for the durability and
/// concurrency contract every implementation keeps.
pub trait WitnessStore: Send + Sync {
    /// The latest cosigned checkpoint note for `origin`, if any.
    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every origin with a stored checkpoint.
    fn origins(&self) -> Result<Vec<String>, StoreError>;

    /// Stores `new` as the latest note for `origin` if and only if the
    /// stored value is `expected` (None: nothing stored), atomically. Ok
    /// means durable (see the module doc).
    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swap, StoreError>;

    /// Records `evidence` under a fresh id (its `id` field is ignored and
    /// the assigned one returned), keeping at most `keep_per_origin` entries
    /// for its origin (the oldest go). Ok means durable.
    fn record_evidence(
        &self,
        evidence: &Evidence,
        keep_per_origin: usize,
    ) -> Result<u64, StoreError>;

    /// All evidence, newest first.
    fn evidence(&self) -> Result<Vec<Evidence>, StoreError>;

    /// How many evidence entries are stored.
    fn evidence_count(&self) -> Result<u64, StoreError>;
}

/// The redb-backed store: one file, every write one transaction committed
/// with `Durability::Immediate`.
pub struct RedbStore {
    db: Database,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedbStore")
    }
}

impl RedbStore {
    /// Opens the database at `path`, creating it (and its tables) if
    /// missing. Fails if another process has it open.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(CHECKPOINTS)?;
        txn.open_table(EVIDENCE)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(RedbStore { db })
    }

    fn begin_write(&self) -> Result<redb::WriteTransaction, StoreError> {
        let mut txn = self.db.begin_write()?;
        // The default, stated so that nobody "optimises" it away: Ok from
        // commit must mean the write survives power loss.
        txn.set_durability(redb::Durability::Immediate)
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(txn)
    }
}

impl WitnessStore for RedbStore {
    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHECKPOINTS)?;
        Ok(table.get(origin)?.map(|v| v.value().to_vec()))
    }

    fn origins(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHECKPOINTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, _) = row?;
            out.push(k.value().to_string());
        }
        Ok(out)
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swap, StoreError> {
        // redb runs one write transaction at a time, so the read and the
        // write below are atomic with respect to every other swap.
        let txn = self.begin_write()?;
        {
            let mut table = txn.open_table(CHECKPOINTS)?;
            let current = table.get(origin)?.map(|v| v.value().to_vec());
            if current.as_deref() != expected {
                drop(table);
                txn.abort()?;
                return Ok(Swap::Conflict { current });
            }
            table.insert(origin, new)?;
        }
        txn.commit()?;
        Ok(Swap::Swapped)
    }

    fn record_evidence(
        &self,
        evidence: &Evidence,
        keep_per_origin: usize,
    ) -> Result<u64, StoreError> {
        let txn = self.begin_write()?;
        let id;
        {
            let mut meta = txn.open_table(META)?;
            id = meta.get(EVIDENCE_SEQ)?.map(|v| v.value()).unwrap_or(0) + 1;
            meta.insert(EVIDENCE_SEQ, id)?;
            let mut e = evidence.clone();
            e.id = id;
            let json = e
                .to_json()
                .map_err(|err| StoreError::Corrupt(err.to_string()))?;
            let mut table = txn.open_table(EVIDENCE)?;
            table.insert((evidence.origin.as_str(), id), json.as_slice())?;
            let origin = evidence.origin.as_str();
            let mut ids = Vec::new();
            for row in table.range((origin, 0)..=(origin, u64::MAX))? {
                let (k, _) = row?;
                ids.push(k.value().1);
            }
            // Ascending ids: drop from the front (the oldest).
            let excess = ids.len().saturating_sub(keep_per_origin);
            for old in &ids[..excess] {
                table.remove((origin, *old))?;
            }
        }
        txn.commit()?;
        Ok(id)
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(EVIDENCE)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (_, v) = row?;
            out.push(
                Evidence::from_json(v.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.id));
        Ok(out)
    }

    fn evidence_count(&self) -> Result<u64, StoreError> {
        use redb::ReadableTableMetadata as _;
        let txn = self.db.begin_read()?;
        let table = txn.open_table(EVIDENCE)?;
        Ok(table.len()?)
    }
}

/// A witness store in memory: the same compare-and-swap and evidence
/// contract as [`RedbStore`], minus durability. For tests, benchmarks and
/// fuzzing, which would otherwise spend their time in fsync; never for a
/// witness that serves anyone.
#[derive(Default)]
pub struct MemoryStore {
    inner: std::sync::Mutex<MemoryInner>,
}

#[derive(Default)]
struct MemoryInner {
    checkpoints: std::collections::BTreeMap<String, Vec<u8>>,
    evidence: Vec<Evidence>,
    seq: u64,
}

impl MemoryStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryInner>, StoreError> {
        self.inner.lock().map_err(|_| StoreError::Poisoned)
    }
}

impl WitnessStore for MemoryStore {
    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock()?.checkpoints.get(origin).cloned())
    }

    fn origins(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.lock()?.checkpoints.keys().cloned().collect())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swap, StoreError> {
        let mut g = self.lock()?;
        let current = g.checkpoints.get(origin).cloned();
        if current.as_deref() != expected {
            return Ok(Swap::Conflict { current });
        }
        g.checkpoints.insert(origin.to_string(), new.to_vec());
        Ok(Swap::Swapped)
    }

    fn record_evidence(
        &self,
        evidence: &Evidence,
        keep_per_origin: usize,
    ) -> Result<u64, StoreError> {
        let mut g = self.lock()?;
        g.seq += 1;
        let mut e = evidence.clone();
        e.id = g.seq;
        g.evidence.push(e);
        let n = g
            .evidence
            .iter()
            .filter(|x| x.origin == evidence.origin)
            .count();
        if n > keep_per_origin
            && let Some(pos) = g.evidence.iter().position(|x| x.origin == evidence.origin)
        {
            g.evidence.remove(pos);
        }
        Ok(g.seq)
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        let mut v = self.lock()?.evidence.clone();
        v.reverse();
        Ok(v)
    }

    fn evidence_count(&self) -> Result<u64, StoreError> {
        Ok(self.lock()?.evidence.len() as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::evidence::EvidenceKind;

    fn evidence(origin: &str) -> Evidence {
        Evidence {
            id: 0,
            origin: origin.into(),
            time: 1,
            kind: EvidenceKind::BadConsistencyProof,
            reason: "r".into(),
            old_size: 1,
            stored_size: 1,
            stored_root: String::new(),
            stored_note: String::new(),
            refused_size: 2,
            refused_root: String::new(),
            refused_note: String::new(),
            proof: vec![],
        }
    }

    #[test]
    fn store_compare_and_swap_swaps_only_from_expected_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.redb");
        {
            let s = RedbStore::open(&path).unwrap();
            assert_eq!(s.latest("o").unwrap(), None);
            assert_eq!(
                s.compare_and_swap("o", Some(b"x"), b"a").unwrap(),
                Swap::Conflict { current: None }
            );
            assert_eq!(s.compare_and_swap("o", None, b"a").unwrap(), Swap::Swapped);
            assert_eq!(
                s.compare_and_swap("o", None, b"b").unwrap(),
                Swap::Conflict {
                    current: Some(b"a".to_vec())
                }
            );
            assert_eq!(
                s.compare_and_swap("o", Some(b"a"), b"b").unwrap(),
                Swap::Swapped
            );
        }
        let s = RedbStore::open(&path).unwrap();
        assert_eq!(s.latest("o").unwrap(), Some(b"b".to_vec()));
        assert_eq!(s.origins().unwrap(), vec!["o".to_string()]);
    }

    #[test]
    fn store_keeps_newest_evidence_per_origin_and_lists_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let s = RedbStore::open(&dir.path().join("w.redb")).unwrap();
        for _ in 0..5 {
            s.record_evidence(&evidence("a"), 3).unwrap();
        }
        let id = s.record_evidence(&evidence("b"), 3).unwrap();
        assert_eq!(id, 6);
        let all = s.evidence().unwrap();
        let ids: Vec<(String, u64)> = all.iter().map(|e| (e.origin.clone(), e.id)).collect();
        assert_eq!(
            ids,
            vec![
                ("b".to_string(), 6),
                ("a".to_string(), 5),
                ("a".to_string(), 4),
                ("a".to_string(), 3)
            ]
        );
        assert_eq!(s.evidence_count().unwrap(), 4);
    }

    #[test]
    fn store_refuses_second_open_of_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.redb");
        let _s = RedbStore::open(&path).unwrap();
        assert!(RedbStore::open(&path).is_err());
    }
}
