//! The sequencer: one thread that assigns indices, integrates and commits.
//!
//! Submissions arrive from the HTTP workers (already verified, see
//! `registration`). The sequencer takes the first waiting submission, then
//! whatever else arrives within `max_wait_ms` (up to `max_batch`), and turns
//! the batch into one storage transaction. The commit points, in order:
//!
//! 1. **Entries, tiles and tree head committed** (one redb transaction,
//!    fsynced). Only now is any submitter of the batch answered (303/201).
//!    Crash before: nothing of the batch exists, nobody was answered, the
//!    clients retry. Crash after: the batch is in the tree; a retrying client
//!    gets the same entry id (the dedup index is in the same transaction).
//!    Sequencing and integration share the transaction, so there is never a
//!    half-integrated batch to finish after a crash.
//! 2. **Tree head announced** to the checkpointer, which signs only tree heads
//!    that were read back from committed storage (see `checkpointer`).
//!
//! A storage error fails the whole batch (its submitters get 503 with
//! Retry-After), then the sequencer reopens storage and reloads the tree
//! from what was durably committed. If the failed commit did land after all,
//! the entries are simply present and a retry finds them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ashlog::merkle::{self, Hash};
use tokio::sync::{mpsc, oneshot, watch};

use crate::integrate::{Edge, integrate, into_batch, load_edge};
use crate::metrics::Metrics;
use crate::storage::{EntryKey, Storage, StorageError, TreeHead};

/// A verified statement waiting for an index.
#[derive(Debug)]
pub struct Submission {
    /// The entry: SHA-256 of the registered bytes, and the statement's iat.
    pub key: EntryKey,
    /// The registered statement.
    pub registered: Arc<Vec<u8>>,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<Result<Sequenced, SequenceError>>,
}

/// A durably sequenced entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sequenced {
    /// Its index.
    pub index: u64,
    /// Whether it was already in the log before this submission.
    pub existed: bool,
}

/// Why a submission was not sequenced. Nothing was acknowledged.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SequenceError {
    /// Storage failed; retry later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Too many submissions are waiting; retry later.
    #[error("sequencer queue is full")]
    Overloaded,
    /// The server is shutting down.
    #[error("log is shutting down")]
    ShuttingDown,
}

/// How the HTTP side reaches the sequencer.
#[derive(Clone)]
pub struct SequencerHandle {
    tx: mpsc::Sender<Submission>,
}

impl SequencerHandle {
    /// Submits and waits until the entry is durably sequenced.
    pub async fn submit(
        &self,
        key: EntryKey,
        registered: Arc<Vec<u8>>,
    ) -> Result<Sequenced, SequenceError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Submission {
                key,
                registered,
                reply,
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => SequenceError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => SequenceError::ShuttingDown,
            })?;
        rx.await.map_err(|_| SequenceError::ShuttingDown)?
    }
}

/// Sequencer settings.
#[derive(Clone, Debug)]
pub struct SequencerSettings {
    /// Most entries per batch.
    pub max_batch: usize,
    /// Longest wait for a batch to fill.
    pub max_wait: Duration,
    /// Queue depth before submissions are refused.
    pub queue_depth: usize,
}

/// Starts the sequencer thread. It runs until every handle is dropped, then
/// commits what is queued and returns. The returned watch carries the
/// committed tree head.
pub fn start(
    storage: Arc<dyn Storage>,
    settings: SequencerSettings,
    metrics: Arc<Metrics>,
) -> Result<
    (
        SequencerHandle,
        watch::Receiver<TreeHead>,
        std::thread::JoinHandle<()>,
    ),
    StorageError,
> {
    let head = storage.tree_head()?;
    let edge = load_edge(storage.as_ref(), head.size)?;
    if edge.root() != head.root {
        return Err(StorageError::Corrupted(format!(
            "tiles give root {} but the stored tree head says {} at size {}",
            edge.root(),
            head.root,
            head.size
        )));
    }
    metrics.tree_size.set(head.size);
    let (tx, rx) = mpsc::channel(settings.queue_depth.max(1));
    let (head_tx, head_rx) = watch::channel(head);
    let join = std::thread::Builder::new()
        .name("sequencer".into())
        .spawn(move || run(storage, settings, metrics, rx, head_tx, edge))
        .map_err(|e| StorageError::Io(format!("cannot start sequencer thread: {e}")))?;
    Ok((SequencerHandle { tx }, head_rx, join))
}

fn run(
    storage: Arc<dyn Storage>,
    settings: SequencerSettings,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Submission>,
    head_tx: watch::Sender<TreeHead>,
    mut edge: Edge,
) {
    let mut healthy = true;
    loop {
        let Some(first) = rx.blocking_recv() else {
            tracing::info!("sequencer: queue closed, stopping");
            return;
        };
        let mut batch = vec![first];
        let deadline = Instant::now() + settings.max_wait;
        while batch.len() < settings.max_batch {
            match rx.try_recv() {
                Ok(s) => batch.push(s),
                Err(mpsc::error::TryRecvError::Empty) => {
                    if Instant::now() >= deadline {
                        break;
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            }
        }
        if !healthy {
            match recover(storage.as_ref(), &head_tx) {
                Ok(e) => {
                    edge = e;
                    healthy = true;
                    metrics.storage_healthy.set(1);
                    tracing::info!(size = edge.size, "storage recovered");
                }
                Err(e) => {
                    metrics.submissions_failed.add(batch.len() as u64);
                    fail_all(batch.into_iter().map(|s| s.reply), &e);
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            }
        }
        let started = Instant::now();
        match commit_batch(storage.as_ref(), &edge, batch, &metrics) {
            Ok((new_edge, root, replies)) => {
                edge = new_edge;
                metrics
                    .integration_latency
                    .observe(started.elapsed().as_secs_f64());
                metrics.tree_size.set(edge.size);
                // At this point the batch is durable: acknowledge it.
                head_tx.send_replace(TreeHead {
                    size: edge.size,
                    root,
                });
                for (reply, outcome) in replies {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err((e, replies)) => {
                tracing::error!(error = %e, "batch commit failed; answering 503 and recovering storage");
                metrics.storage_healthy.set(0);
                metrics.submissions_failed.add(replies.len() as u64);
                fail_all(replies, &e);
                healthy = false;
            }
        }
    }
}

type Reply = oneshot::Sender<Result<Sequenced, SequenceError>>;
type Replies = Vec<(Reply, Sequenced)>;

fn fail_all(replies: impl IntoIterator<Item = Reply>, e: &StorageError) {
    for r in replies {
        let _ = r.send(Err(SequenceError::Unavailable(e.to_string())));
    }
}

fn recover(storage: &dyn Storage, head_tx: &watch::Sender<TreeHead>) -> Result<Edge, StorageError> {
    storage.recover()?;
    let head = storage.tree_head()?;
    let edge = load_edge(storage, head.size)?;
    if edge.root() != head.root {
        return Err(StorageError::Corrupted(
            "tree head and tiles disagree after recovery".into(),
        ));
    }
    head_tx.send_replace(head);
    Ok(edge)
}

/// Dedups, integrates and commits one batch. On failure the reply channels
/// come back unanswered, so the caller can fail them.
#[allow(clippy::type_complexity)]
fn commit_batch(
    storage: &dyn Storage,
    edge: &Edge,
    batch: Vec<Submission>,
    metrics: &Metrics,
) -> Result<(Edge, Hash, Replies), (StorageError, Vec<Reply>)> {
    let keys: Vec<EntryKey> = batch.iter().map(|s| s.key).collect();
    let existing = match storage.find_entries(&keys) {
        Ok(e) => e,
        Err(e) => return Err((e, batch.into_iter().map(|s| s.reply).collect())),
    };
    let mut replies: Replies = Vec::with_capacity(batch.len());
    let mut new_leaves: Vec<Hash> = Vec::new();
    let mut statements = Vec::new();
    let mut in_batch: HashMap<Hash, u64> = HashMap::new();
    let mut pending: Replies = Vec::new();
    for (s, found) in batch.into_iter().zip(existing) {
        if let Some(index) = found {
            replies.push((
                s.reply,
                Sequenced {
                    index,
                    existed: true,
                },
            ));
            continue;
        }
        if let Some(&index) = in_batch.get(&s.key.digest) {
            pending.push((
                s.reply,
                Sequenced {
                    index,
                    existed: true,
                },
            ));
            continue;
        }
        let index = edge.size + new_leaves.len() as u64;
        in_batch.insert(s.key.digest, index);
        new_leaves.push(merkle::leaf_hash(&s.key.digest.0));
        statements.push((s.key, s.registered));
        pending.push((
            s.reply,
            Sequenced {
                index,
                existed: false,
            },
        ));
    }
    if new_leaves.is_empty() {
        replies.extend(pending);
        return Ok((edge.clone(), edge.root(), replies));
    }
    let out = integrate(edge, &new_leaves);
    let root = out.root;
    let (append, new_edge) = into_batch(out, edge.size, statements);
    metrics.batch_sizes.observe(new_leaves.len() as f64);
    if let Err(e) = storage.append(&append) {
        let back = replies.into_iter().chain(pending).map(|(r, _)| r).collect();
        return Err((e, back));
    }
    replies.extend(pending);
    Ok((new_edge, root, replies))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::redb::RedbStorage;

    fn settings() -> SequencerSettings {
        SequencerSettings {
            max_batch: 64,
            max_wait: Duration::from_millis(1),
            queue_depth: 1024,
        }
    }

    /// A statement and its key; signing times repeat, as they do when
    /// agencies sign many statements in the same second.
    fn entry(i: u32) -> (EntryKey, Arc<Vec<u8>>) {
        let bytes = format!("statement {i}").into_bytes();
        let digest = Hash(
            sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &bytes))
                .into(),
        );
        (
            EntryKey {
                iat: 1_677_715_200 + i64::from(i % 7),
                digest,
            },
            Arc::new(bytes),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sequencer_assigns_dense_indices_and_dedups() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> =
            Arc::new(RedbStorage::open(&dir.path().join("l.redb")).unwrap());
        let metrics = Arc::new(Metrics::default());
        let (h, head, join) = start(storage.clone(), settings(), metrics).unwrap();
        let mut tasks = Vec::new();
        for i in 0..300u32 {
            let h = h.clone();
            tasks.push(tokio::spawn(async move {
                let (d, b) = entry(i % 250);
                h.submit(d, b).await.unwrap()
            }));
        }
        let mut indices = Vec::new();
        for t in tasks {
            indices.push(t.await.unwrap());
        }
        let fresh: Vec<u64> = indices
            .iter()
            .filter(|s| !s.existed)
            .map(|s| s.index)
            .collect();
        let mut sorted = fresh.clone();
        sorted.sort();
        assert_eq!(sorted, (0..250).collect::<Vec<_>>());
        // Every duplicate got the index of its original.
        for i in 250..300u32 {
            let (d, _) = entry(i % 250);
            let idx = storage.find_entries(&[d]).unwrap()[0].unwrap();
            assert_eq!(indices[i as usize].index, idx);
        }
        assert_eq!(head.borrow().size, 250);
        let leaves: Vec<Hash> = storage
            .statements(0, 250)
            .unwrap()
            .iter()
            .map(|s| {
                let d: [u8; 32] =
                    sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), s))
                        .into();
                merkle::leaf_hash(&d)
            })
            .collect();
        assert_eq!(head.borrow().root, merkle::root(&leaves));
        drop(h);
        join.join().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn storage_fault_fails_batch_then_recovers() {
        use crate::storage::fault::{Fault, FaultSwitch};
        let dir = tempfile::tempdir().unwrap();
        let switch = Arc::new(FaultSwitch::default());
        let storage: Arc<dyn Storage> = Arc::new(
            RedbStorage::open_with(&dir.path().join("l.redb"), Some(switch.clone())).unwrap(),
        );
        let metrics = Arc::new(Metrics::default());
        let (h, head, join) = start(storage.clone(), settings(), metrics).unwrap();
        let (d, b) = entry(1);
        h.submit(d, b).await.unwrap();
        for (k, fault) in [Fault::DiskFull, Fault::SyncError].into_iter().enumerate() {
            switch.set(fault);
            let (d, b) = entry(2 + k as u32);
            let r = h.submit(d, b).await;
            assert!(
                matches!(r, Err(SequenceError::Unavailable(_))),
                "{fault:?}: {r:?}"
            );
            switch.set(Fault::None);
            // The retry lands at the next index, whether or not the failed
            // commit reached the disk (then it is found, not re-added).
            let (d, b) = entry(2 + k as u32);
            let ok = h.submit(d, b).await.unwrap();
            assert_eq!(ok.index, 1 + k as u64, "{fault:?}");
        }
        assert_eq!(head.borrow().size, 3);
        drop(h);
        join.join().unwrap();
    }
}
