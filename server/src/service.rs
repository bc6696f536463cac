//! The log's operations, independent of HTTP: register, look up receipts,
//! serve tiles and bundles. The HTTP layer (`http`) only maps requests to
//! these calls and their errors to statuses, so tests can drive the log
//! without a socket.

use std::sync::Arc;
use std::time::Duration;

use ashlog::entry::{CURRENT_SHARD, EntryId};
use ashlog::merkle::Hash;
use ashlog::receipt;
use ashlog::statement::SignedStatement;
use ashlog::tile::{self, TILE_WIDTH, TilePath};
use ashlog::tlog_proof::TlogProof;
use tokio::sync::{Semaphore, watch};

use crate::bundle::StatementBundle;
use crate::checkpointer::{LogKeys, Published};
use crate::metrics::Metrics;
use crate::proofs;
use crate::registration::{Registrar, RegistrationError};
use crate::sequencer::{SequenceError, SequencerHandle};
use crate::storage::{EntryKey, Storage, StorageError, TreeHead};

/// Why a request failed. The HTTP layer maps each to a status and a
/// problem-details title in one place.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The statement was refused (4xx).
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// Storage or the sequencer cannot take work now (503, Retry-After).
    #[error("{0}")]
    Unavailable(String),
    /// No such entry, tile or key (404).
    #[error("{0}")]
    NotFound(String),
    /// A malformed locator or path (400).
    #[error("{0}")]
    BadRequest(String),
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "storage error while serving");
        ServiceError::Unavailable("storage is temporarily unavailable".into())
    }
}

impl From<SequenceError> for ServiceError {
    fn from(e: SequenceError) -> Self {
        ServiceError::Unavailable(e.to_string())
    }
}

/// What a registration produced.
#[derive(Debug)]
pub enum Registered {
    /// Durably sequenced; the receipt is not ready (303).
    Sequenced {
        /// Entry id.
        id: EntryId,
    },
    /// Sequenced and published within the requested wait (201).
    WithReceipt {
        /// Entry id.
        id: EntryId,
        /// The receipt.
        receipt: Vec<u8>,
    },
}

/// A receipt lookup.
#[derive(Debug)]
pub enum Lookup<T> {
    /// Not yet in a published checkpoint (302 + Retry-After).
    Pending,
    /// Ready.
    Ready(T),
}

/// Everything the log serves from.
pub struct LogService {
    /// Keys.
    pub keys: LogKeys,
    /// Storage.
    pub storage: Arc<dyn Storage>,
    /// Registration policy.
    pub registrar: Registrar,
    /// Sequencer.
    pub sequencer: SequencerHandle,
    /// Latest published checkpoint.
    pub published: watch::Receiver<Option<Arc<Published>>>,
    /// Latest committed tree head.
    pub tree: watch::Receiver<TreeHead>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The tlog-policy a citizen should verify against.
    pub citizen_policy: String,
    /// `/.well-known/transparency-configuration` as CBOR.
    pub configuration_cbor: Vec<u8>,
    /// The same as JSON.
    pub configuration_json: String,
    /// Longest `Prefer: wait` honoured.
    pub max_wait: Duration,
    /// Slots for statement bundles being sent at once (`[http] max_bundle_streams`).
    pub bundle_streams: Arc<Semaphore>,
}

fn no_such_tile() -> ServiceError {
    ServiceError::NotFound("no such tile in the published tree".into())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl LogService {
    /// Checks, sequences and (if asked to wait) waits for the receipt.
    pub async fn register(
        &self,
        body: &[u8],
        wait: Option<Duration>,
    ) -> Result<Registered, ServiceError> {
        let accepted = match self.registrar.check(body, now(), &self.metrics) {
            Ok(a) => a,
            Err(e) => {
                self.metrics.submission(&e.kind());
                return Err(e.into());
            }
        };
        let seq = self
            .sequencer
            .submit(
                EntryKey {
                    iat: accepted.statement.iat,
                    digest: accepted.entry,
                },
                Arc::new(accepted.registered),
            )
            .await
            .inspect_err(|_| self.metrics.submission("unavailable"))?;
        self.metrics
            .submission(if seq.existed { "duplicate" } else { "accepted" });
        let id = EntryId::new(seq.index);
        if let Some(wait) = wait.map(|w| w.min(self.max_wait)).filter(|w| !w.is_zero())
            && let Some(p) = self.wait_published(seq.index, wait).await
        {
            let receipt = self.build_receipt(&p, seq.index)?;
            return Ok(Registered::WithReceipt { id, receipt });
        }
        Ok(Registered::Sequenced { id })
    }

    /// Waits until a published checkpoint covers `index`, at most `wait`.
    pub async fn wait_published(&self, index: u64, wait: Duration) -> Option<Arc<Published>> {
        let mut rx = self.published.clone();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(p) = rx.borrow_and_update().clone()
                && p.checkpoint.size > index
            {
                return Some(p);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }

    fn resolve(&self, id: &str) -> Result<u64, ServiceError> {
        let id: EntryId = id
            .parse()
            .map_err(|e: ashlog::entry::EntryIdError| ServiceError::BadRequest(e.to_string()))?;
        let size = self.tree.borrow().size;
        if id.shard != CURRENT_SHARD || id.index >= size {
            return Err(ServiceError::NotFound(format!(
                "Receipt with entry ID {id} not known to this Transparency Service"
            )));
        }
        Ok(id.index)
    }

    fn current(&self) -> Option<Arc<Published>> {
        self.published.borrow().clone()
    }

    fn build_receipt(&self, p: &Published, index: u64) -> Result<Vec<u8>, ServiceError> {
        let path = proofs::inclusion(&*self.storage, index, p.checkpoint.size)?;
        self.metrics.receipts_served.add(1);
        Ok(receipt::build(
            &p.receipt_protected,
            &p.receipt_signature,
            p.checkpoint.size,
            index,
            &path,
            Some(&p.note_text()),
        ))
    }

    /// The receipt of an entry at the latest published size.
    pub fn receipt(&self, id: &str) -> Result<Lookup<Vec<u8>>, ServiceError> {
        let index = self.resolve(id)?;
        match self.current().filter(|p| p.checkpoint.size > index) {
            None => Ok(Lookup::Pending),
            Some(p) => Ok(Lookup::Ready(self.build_receipt(&p, index)?)),
        }
    }

    /// The registered statement of an entry, as stored.
    pub fn statement(&self, index: u64) -> Result<Vec<u8>, ServiceError> {
        self.storage
            .statements(index, 1)?
            .pop()
            .ok_or_else(|| ServiceError::NotFound(format!("no statement at index {index}")))
    }

    /// The Transparent Statement: the statement with its receipt.
    pub fn transparent_statement(&self, id: &str) -> Result<Lookup<Vec<u8>>, ServiceError> {
        let index = self.resolve(id)?;
        let Some(p) = self.current().filter(|p| p.checkpoint.size > index) else {
            return Ok(Lookup::Pending);
        };
        let receipt = self.build_receipt(&p, index)?;
        let stmt = SignedStatement::parse(&self.statement(index)?)
            .map_err(|e| StorageError::Corrupted(format!("stored statement {index}: {e}")))?;
        Ok(Lookup::Ready(stmt.with_receipts(&[receipt])))
    }

    /// The C2SP tlog-proof of an entry.
    pub fn tlog_proof(&self, id: &str) -> Result<Lookup<Vec<u8>>, ServiceError> {
        let index = self.resolve(id)?;
        let Some(p) = self.current().filter(|p| p.checkpoint.size > index) else {
            return Ok(Lookup::Pending);
        };
        let proof = proofs::inclusion(&*self.storage, index, p.checkpoint.size)?;
        Ok(Lookup::Ready(
            TlogProof {
                extra: None,
                index,
                proof,
                checkpoint: p.note.clone(),
            }
            .to_bytes(),
        ))
    }

    /// The latest published checkpoint note.
    pub fn checkpoint(&self) -> Option<Vec<u8>> {
        self.current().map(|p| p.note.clone())
    }

    /// Size of the published tree.
    fn published_size(&self) -> u64 {
        self.current().map(|p| p.checkpoint.size).unwrap_or(0)
    }

    /// A hash tile or entries bundle, as it exists at the published size.
    /// Tiles beyond the published tree are not served: the public log is
    /// the witnessed one. Statement bundles are streamed instead
    /// ([`LogService::statement_bundle`]).
    pub fn tile(&self, path: &TilePath) -> Result<Vec<u8>, ServiceError> {
        match path {
            TilePath::Hash(t) => {
                let avail = tile::tile_width(t.level, t.index, self.published_size())
                    .ok_or_else(no_such_tile)?;
                if t.width > avail {
                    return Err(no_such_tile());
                }
                let bytes = self
                    .storage
                    .tile(t.level, t.index)?
                    .ok_or_else(no_such_tile)?;
                if bytes.len() < t.byte_len() {
                    return Err(no_such_tile());
                }
                Ok(bytes[..t.byte_len()].to_vec())
            }
            TilePath::Entries { index, width } => {
                self.check_bundle(*index, *width)?;
                let count = usize::from(*width);
                let mut out = Vec::with_capacity(count * 34);
                if let Some(digests) = self.storage.entry_digests(*index)?
                    && digests.len() >= count * 32
                {
                    for digest in digests.chunks_exact(32).take(count) {
                        tile::push_entry(&mut out, digest);
                    }
                    return Ok(out);
                }
                // A store without digests for this bundle: hash its statements.
                let stmts = self
                    .storage
                    .statements(index * TILE_WIDTH, u64::from(*width))?;
                if stmts.len() != count {
                    return Err(
                        StorageError::Corrupted("bundle shorter than the tree".into()).into(),
                    );
                }
                for s in &stmts {
                    let digest: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
                        sha2::Sha256::default(),
                        s,
                    ))
                    .into();
                    tile::push_entry(&mut out, &digest);
                }
                Ok(out)
            }
            // Streamed in pieces instead, so that no request holds a whole bundle in memory.
            TilePath::Statements { .. } => Err(ServiceError::BadRequest(
                "statement bundles are served by LogService::statement_bundle".into(),
            )),
        }
    }

    /// Refuses a bundle (entries or statements) that is not in the published tree at that width.
    fn check_bundle(&self, index: u64, width: u16) -> Result<(), ServiceError> {
        let avail = tile::tile_width(0, index, self.published_size()).ok_or_else(no_such_tile)?;
        if width > avail {
            return Err(no_such_tile());
        }
        Ok(())
    }

    /// Statement bundle `index` of `width` statements of the published tree, planned for
    /// streaming in pieces. Takes one of the `max_bundle_streams` slots for as long as the
    /// bundle is being sent; with none free, the log is busy sending bundles (503).
    pub fn statement_bundle(
        &self,
        index: u64,
        width: u16,
    ) -> Result<StatementBundle, ServiceError> {
        self.check_bundle(index, width)?;
        let permit = self.bundle_streams.clone().try_acquire_owned().map_err(|_| {
            self.metrics.bundles_refused.add(1);
            ServiceError::Unavailable(
                "the log is sending as many statement bundles as it allows at once; try again shortly"
                    .into(),
            )
        })?;
        StatementBundle::plan(self.storage.clone(), index, width, permit)?
            .ok_or_else(|| StorageError::Corrupted("bundle shorter than the tree".into()).into())
    }

    /// `/.well-known/scitt-keys`: the COSE_KeySet of the receipt key.
    pub fn scitt_keys(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Ok(k) = receipt::cose_key(self.keys.p256.public_key()) {
            let _ = ciborium::ser::into_writer(&ciborium::Value::Array(vec![k]), &mut out);
        }
        out
    }

    /// One COSE_Key by kid (hex or base64url without padding).
    pub fn scitt_key(&self, kid: &str) -> Result<Vec<u8>, ServiceError> {
        use base64::Engine as _;
        let ours = self.keys.kid();
        let given = hex::decode(kid).ok().or_else(|| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(kid)
                .ok()
        });
        if given.as_deref() != Some(ours.as_slice()) {
            return Err(ServiceError::NotFound(
                "No key could be found for this kid value".into(),
            ));
        }
        let mut out = Vec::new();
        if let Ok(k) = receipt::cose_key(self.keys.p256.public_key()) {
            let _ = ciborium::ser::into_writer(&k, &mut out);
        }
        Ok(out)
    }

    /// Whether storage works (for /healthz).
    pub fn healthy(&self) -> bool {
        self.storage.healthy()
    }

    /// The entry digest of an index (for tests and the audit path).
    pub fn entry_digest(&self, index: u64) -> Result<Hash, ServiceError> {
        let s = self.statement(index)?;
        Ok(Hash(
            sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &s)).into(),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use ashlog::chain::TrustAnchors;
    use ashlog::checkpoint::Checkpoint;
    use ashlog::merkle::leaf_hash;
    use ashlog::pki::{Authority, Name};
    use ashlog::schema::Kind;
    use ashlog::tile::TileId;

    use super::*;
    use crate::checkpointer::{published, sign};
    use crate::registration::RegistrationSettings;
    use crate::sequencer::{self, SequencerSettings};
    use crate::testlog::TestLog;

    /// A service over a test log of `n` entries, with nothing published
    /// yet; the sender publishes.
    fn service(log: &TestLog) -> (LogService, watch::Sender<Option<Arc<Published>>>) {
        let t = now();
        let root = Authority::new_root(
            &Name {
                common_name: "Root".into(),
                organization: String::new(),
                country: "CN".into(),
            },
            t - 86_400,
            t + 86_400,
        )
        .unwrap();
        let metrics = Arc::new(Metrics::default());
        let (sequencer, tree, _join) = sequencer::start(
            log.dyn_storage(),
            SequencerSettings {
                max_batch: 16,
                max_wait: Duration::from_millis(1),
                queue_depth: 64,
            },
            metrics.clone(),
        )
        .unwrap();
        let (tx, published) = watch::channel(None);
        let svc = LogService {
            keys: log.keys.clone(),
            storage: log.dyn_storage(),
            registrar: Registrar::new(
                TrustAnchors::from_pem(&root.cert_pem()).unwrap(),
                RegistrationSettings {
                    accepted: vec![Kind::Destruction],
                    max_skew_secs: 300,
                    issuer_rate: 100.0,
                    issuer_burst: 100.0,
                },
            ),
            sequencer,
            published,
            tree,
            metrics,
            citizen_policy: String::new(),
            configuration_cbor: Vec::new(),
            configuration_json: String::new(),
            max_wait: Duration::from_secs(2),
            bundle_streams: Arc::new(Semaphore::new(4)),
        };
        (svc, tx)
    }

    /// Publishes the log's current head (signed by the log only: the
    /// service serves whatever the checkpointer published).
    fn publish(log: &TestLog, tx: &watch::Sender<Option<Arc<Published>>>) -> Checkpoint {
        let head = log.storage.tree_head().unwrap();
        let cp = Checkpoint {
            origin: log.keys.origin.clone(),
            size: head.size,
            root: head.root,
        };
        let note = sign(&log.keys, &cp).unwrap().to_bytes();
        tx.send_replace(Some(Arc::new(published(&log.keys, cp.clone(), note))));
        cp
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receipt_is_pending_until_a_published_checkpoint_covers_the_entry() {
        let log = TestLog::new(5);
        let (svc, tx) = service(&log);
        // Not an id, an id past the tree, another shard.
        assert!(matches!(svc.receipt("x"), Err(ServiceError::BadRequest(_))));
        assert!(matches!(svc.receipt("1.5"), Err(ServiceError::NotFound(_))));
        assert!(matches!(svc.receipt("2.0"), Err(ServiceError::NotFound(_))));
        // In the tree, not yet published.
        assert!(matches!(svc.receipt("1.3"), Ok(Lookup::Pending)));
        assert!(matches!(svc.tlog_proof("1.3"), Ok(Lookup::Pending)));
        assert!(svc.checkpoint().is_none());
        let cp = publish(&log, &tx);
        let Ok(Lookup::Ready(r)) = svc.receipt("1.3") else {
            panic!("receipt not ready after publication");
        };
        let root = receipt::Receipt::parse(&r)
            .unwrap()
            .verify(&leaf_hash(b"entry 3"), log.keys.p256.public_key())
            .unwrap();
        assert_eq!(root, cp.root);
        assert_eq!(svc.metrics.receipts_served.get(), 1);
        assert!(svc.checkpoint().is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tiles_beyond_the_published_tree_are_not_served() {
        let log = TestLog::new(5);
        let (svc, tx) = service(&log);
        let tile = |width: u16| {
            svc.tile(&TilePath::Hash(TileId {
                level: 0,
                index: 0,
                width,
            }))
        };
        assert!(matches!(tile(5), Err(ServiceError::NotFound(_))));
        publish(&log, &tx);
        let five = tile(5).unwrap();
        assert_eq!(five.len(), 5 * 32);
        assert_eq!(&five[96..128], leaf_hash(b"entry 3").0.as_slice());
        // The log grew; until the new head is published, width 7 is not
        // public, and width 5 stays what it was.
        log.grow(2);
        assert!(matches!(tile(7), Err(ServiceError::NotFound(_))));
        assert_eq!(tile(5).unwrap(), five);
        // A partial bundle of entries matches the tile's leaves.
        let entries = svc.tile(&TilePath::Entries { index: 0, width: 5 }).unwrap();
        assert_eq!(tile::parse_entry_bundle(&entries, 5).unwrap().len(), 5);
        assert!(matches!(
            svc.tile(&TilePath::Entries { index: 0, width: 6 }),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_registration_is_counted_and_appends_nothing() {
        let log = TestLog::new(3);
        let (svc, _tx) = service(&log);
        let e = svc.register(b"not a statement", None).await.unwrap_err();
        assert!(matches!(e, ServiceError::Registration(_)), "{e:?}");
        assert_eq!(log.storage.tree_head().unwrap().size, 3);
        assert!(
            svc.metrics
                .render(0)
                .lines()
                .any(|l| l.contains("statement_") && l.ends_with(" 1")),
            "no submission counted:\n{}",
            svc.metrics.render(0)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_for_publication_ends_at_the_deadline_or_the_checkpoint() {
        let log = TestLog::new(2);
        let (svc, tx) = service(&log);
        assert!(
            svc.wait_published(1, Duration::from_millis(50))
                .await
                .is_none()
        );
        let svc = Arc::new(svc);
        let waiter = {
            let svc = svc.clone();
            tokio::spawn(async move { svc.wait_published(1, Duration::from_secs(10)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        publish(&log, &tx);
        let p = waiter.await.unwrap().expect("published within the wait");
        assert_eq!(p.checkpoint.size, 2);
        // An entry the checkpoint does not cover still waits out its time.
        assert!(
            svc.wait_published(2, Duration::from_millis(50))
                .await
                .is_none()
        );
    }
}
