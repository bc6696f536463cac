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
//! [`RedbStore`] commits concurrent swaps together: a commit costs an fsync
//! (about 0.6 ms here) whether it holds one swap or a hundred, so the swaps
//! that arrive while one commit runs go into the next, one transaction for
//! all of them, and each caller still returns only after the commit that
//! holds its own swap. Within a group the swaps apply in arrival order, so
//! the outcome is the one some serial order of the calls would give.
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
    /// A thread panicked while holding a store's lock.
    #[error("the store's lock is poisoned")]
    Poisoned,
    /// The group commit this write was part of failed (the caller that ran
    /// the commit gets the database error itself, the others its text).
    #[error("group commit failed: {0}")]
    GroupCommit(String),
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

/// The redb-backed store: one file, every write transaction committed with
/// `Durability::Immediate`, concurrent swaps grouped into one transaction
/// (see the module doc).
pub struct RedbStore {
    db: Database,
    group: std::sync::Mutex<Group>,
    /// Signalled when a group commit ends.
    committed: std::sync::Condvar,
    /// Dropped after `db` (fields drop in declaration order): see
    /// [`RedbStore::drop_after_close`].
    on_close: Option<Box<dyn Send + Sync>>,
}

/// Swaps waiting for a commit, and the outcomes of committed ones until
/// their callers collect them.
#[derive(Default)]
struct Group {
    next_id: u64,
    queue: Vec<PendingSwap>,
    /// A caller is running a commit; the others wait for it.
    committing: bool,
    done: std::collections::HashMap<u64, Result<Swap, StoreError>>,
}

struct PendingSwap {
    id: u64,
    origin: String,
    expected: Option<Vec<u8>>,
    new: Vec<u8>,
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
        Ok(RedbStore {
            db,
            group: std::sync::Mutex::new(Group::default()),
            committed: std::sync::Condvar::new(),
            on_close: None,
        })
    }

    /// Keeps `guard` until the database file is closed, and drops it right
    /// after: a channel sender there tells its receiver that the file can
    /// be opened again.
    pub fn drop_after_close(mut self, guard: impl Send + Sync + 'static) -> RedbStore {
        self.on_close = Some(Box::new(guard));
        self
    }

    /// Applies a group of swaps in order in one transaction. Err: the commit
    /// failed, and no swap's outcome is known.
    fn swap_group(&self, group: &[PendingSwap]) -> Result<Vec<Swap>, StoreError> {
        let txn = self.begin_write()?;
        let mut out = Vec::with_capacity(group.len());
        {
            let mut table = txn.open_table(CHECKPOINTS)?;
            for p in group {
                let current = table.get(p.origin.as_str())?.map(|v| v.value().to_vec());
                if current != p.expected {
                    out.push(Swap::Conflict { current });
                } else {
                    table.insert(p.origin.as_str(), p.new.as_slice())?;
                    out.push(Swap::Swapped);
                }
            }
        }
        txn.commit()?;
        Ok(out)
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
        let lock = || self.group.lock().map_err(|_| StoreError::Poisoned);
        let mut g = lock()?;
        let id = g.next_id;
        g.next_id += 1;
        g.queue.push(PendingSwap {
            id,
            origin: origin.to_string(),
            expected: expected.map(<[u8]>::to_vec),
            new: new.to_vec(),
        });
        loop {
            if let Some(outcome) = g.done.remove(&id) {
                return outcome;
            }
            if g.committing {
                g = self.committed.wait(g).map_err(|_| StoreError::Poisoned)?;
                continue;
            }
            // No commit running and this swap not done: it is still queued,
            // so this caller commits everything queued, its own swap too.
            g.committing = true;
            let group = std::mem::take(&mut g.queue);
            drop(g);
            let outcomes = self.swap_group(&group);
            g = lock()?;
            g.committing = false;
            match outcomes {
                Ok(swaps) => g
                    .done
                    .extend(group.iter().map(|p| p.id).zip(swaps.into_iter().map(Ok))),
                Err(e) => {
                    let text = e.to_string();
                    g.done.extend(
                        group
                            .iter()
                            .filter(|p| p.id != id)
                            .map(|p| (p.id, Err(StoreError::GroupCommit(text.clone())))),
                    );
                    g.done.insert(id, Err(e));
                }
            }
            self.committed.notify_all();
        }
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
    fn store_concurrent_swaps_commit_in_groups_with_serial_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.redb");
        let threads = 16;
        let rounds = 40u32;
        let winners = {
            let s = RedbStore::open(&path).unwrap();
            let start = std::sync::Barrier::new(threads);
            let winners: Vec<bool> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let (s, start) = (&s, &start);
                        scope.spawn(move || {
                            start.wait();
                            // All race for one origin from nothing: one wins.
                            let won = match s.compare_and_swap("shared", None, &[t as u8]).unwrap()
                            {
                                Swap::Swapped => true,
                                Swap::Conflict { current } => {
                                    assert!(current.is_some(), "conflict with nothing stored");
                                    false
                                }
                            };
                            // Each advances its own origin step by step; no one else
                            // touches it, so every step must swap.
                            let origin = format!("o{t}");
                            let mut held: Option<Vec<u8>> = None;
                            for r in 0..rounds {
                                let next = r.to_be_bytes().to_vec();
                                assert_eq!(
                                    s.compare_and_swap(&origin, held.as_deref(), &next).unwrap(),
                                    Swap::Swapped
                                );
                                held = Some(next);
                            }
                            won
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert_eq!(winners.iter().filter(|w| **w).count(), 1);
            winners
        };
        let s = RedbStore::open(&path).unwrap();
        for t in 0..threads {
            assert_eq!(
                s.latest(&format!("o{t}")).unwrap(),
                Some((rounds - 1).to_be_bytes().to_vec())
            );
        }
        let shared = s.latest("shared").unwrap().unwrap();
        assert!(
            winners[usize::from(shared[0])],
            "stored value is not the winner's"
        );
        assert_eq!(s.origins().unwrap().len(), threads + 1);
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
