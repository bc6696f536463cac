//! Signing, witnessing and publishing checkpoints.
//!
//! Commit points, after the sequencer's (see `sequencer`):
//!
//! 3. **Checkpoint signed over committed state and stored before it leaves.**
//!    The checkpointer signs only tree heads the sequencer announced after
//!    their commit, and first proves the new tree consistent with the last
//!    checkpoint it signed, from its own tiles; if that ever failed it would
//!    refuse to sign (and say so at error level) rather than sign a fork.
//!    The signed note is stored durably before any witness sees it. Crash
//!    before storing: nobody saw it; after restart a new one is signed.
//!    Crash after: it is resent to the witnesses after restart.
//! 4. **Quorum met, stored as published, then served.** Cosignatures are
//!    verified with the witness keys before they are merged; once they meet
//!    the quorum, the note with them is stored as published and only then
//!    served at `/checkpoint` and used for receipts. Crash before storing:
//!    the previous published checkpoint stays, and the signed one is
//!    witnessed again after restart.
//!
//! Witnesses are pushed to in parallel, each by its own task that always
//! sends the latest signed checkpoint, so a slow or dead witness delays
//! nobody; while no quorum forms the log keeps sequencing (303s) and
//! publishing waits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ashlog::checkpoint::Checkpoint;
use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle;
use ashlog::note::{Note, NoteSignature};
use ashlog::policy::Policy;
use ashlog::receipt::{self, ReceiptHeader};
use ashlog::vkey::{NoteSigner, VerifierKey};
use tokio::sync::{mpsc, watch};

use crate::metrics::Metrics;
use crate::proofs;
use crate::storage::{MetaKey, Storage, StorageError, TreeHead};
use crate::witness_client::{self, WitnessWorker};
// What the checkpointer hands its witness workers and gets back: defined
// beside the workers so the dependency runs one way.
pub use crate::witness_client::{Cosigned, Signed};

/// The log's keys.
#[derive(Clone)]
pub struct LogKeys {
    /// The origin (key name of both keys).
    pub origin: String,
    /// P-256: checkpoints (0x05) and receipts.
    pub p256: P256SigningKey,
    /// Ed25519: checkpoints (0x01).
    pub ed25519: Ed25519SigningKey,
}

impl LogKeys {
    /// The two note signers.
    pub fn signers(&self) -> [NoteSigner; 2] {
        [
            NoteSigner::Rfc6962 {
                name: self.origin.clone(),
                key: self.p256.clone(),
            },
            NoteSigner::Ed25519 {
                name: self.origin.clone(),
                key: self.ed25519.clone(),
            },
        ]
    }

    /// The two note verifiers (as vkeys go into policies).
    pub fn verifiers(&self) -> Vec<VerifierKey> {
        self.signers()
            .iter()
            .filter_map(|s| s.verifier().ok())
            .collect()
    }

    /// The receipt key id: the RFC 9679 thumbprint of the P-256 key.
    pub fn kid(&self) -> Vec<u8> {
        receipt::key_thumbprint(self.p256.public_key())
            .map(|k| k.to_vec())
            .unwrap_or_default()
    }
}

/// A published checkpoint and what receipts at its size need.
#[derive(Debug)]
pub struct Published {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The note with the log's signatures and the witnesses' cosignatures.
    pub note: Vec<u8>,
    /// Encoded receipt protected header for this size.
    pub receipt_protected: Vec<u8>,
    /// The log's ES256 signature over (protected header, root), shared by
    /// every receipt at this size.
    pub receipt_signature: [u8; 64],
}

impl Published {
    /// The note as text.
    pub fn note_text(&self) -> String {
        String::from_utf8_lossy(&self.note).into_owned()
    }
}

/// Checkpointer settings.
#[derive(Clone, Debug)]
pub struct CheckpointerSettings {
    /// Shortest time between two signed checkpoints.
    pub interval: Duration,
    /// How long a signed checkpoint waits for its quorum before a newer one
    /// may be signed.
    pub round: Duration,
    /// Timeout of one witness request.
    pub witness_timeout: Duration,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Signs `cp` with both log keys.
pub fn sign(keys: &LogKeys, cp: &Checkpoint) -> Result<Note, ashlog::note::NoteError> {
    let mut note = Note::new(&cp.to_text())?;
    let ts = now_ms();
    for s in keys.signers() {
        note.sign(&s, ts)?;
    }
    Ok(note)
}

/// Builds the published state for a cosigned note.
pub fn published(keys: &LogKeys, checkpoint: Checkpoint, note: Vec<u8>) -> Published {
    let protected = ReceiptHeader {
        kid: keys.kid(),
        iss: keys.origin.clone(),
        sub: None,
        iat: (now_ms() / 1000) as i64,
    }
    .encode();
    let receipt_signature = receipt::sign_root(&protected, &checkpoint.root, &keys.p256);
    Published {
        checkpoint,
        note,
        receipt_protected: protected,
        receipt_signature,
    }
}

/// Loads the signed and published checkpoints stored by an earlier run.
pub fn load_state(
    storage: &dyn Storage,
    keys: &LogKeys,
) -> Result<(Option<Signed>, Option<Arc<Published>>), StorageError> {
    let verifiers = keys.verifiers();
    let open = |bytes: Vec<u8>| -> Result<(Checkpoint, Note), StorageError> {
        let note = Note::parse(&bytes).map_err(|e| StorageError::Corrupted(e.to_string()))?;
        note.verify(&verifiers)
            .map_err(|e| StorageError::Corrupted(format!("stored checkpoint: {e}")))?;
        let cp =
            Checkpoint::parse(note.text()).map_err(|e| StorageError::Corrupted(e.to_string()))?;
        Ok((cp, note))
    };
    let signed = match storage.get_meta(&MetaKey::SignedCheckpoint)? {
        Some(b) => {
            let (checkpoint, note) = open(b)?;
            Some(Signed { checkpoint, note })
        }
        None => None,
    };
    let published = match storage.get_meta(&MetaKey::PublishedCheckpoint)? {
        Some(b) => {
            let (cp, _) = open(b.clone())?;
            Some(Arc::new(published(keys, cp, b)))
        }
        None => None,
    };
    Ok((signed, published))
}

/// Runs the checkpointer until `tree` closes. `published_tx` carries what
/// `/checkpoint` and receipts serve.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    storage: Arc<dyn Storage>,
    keys: LogKeys,
    policy: Policy,
    settings: CheckpointerSettings,
    mut tree: watch::Receiver<TreeHead>,
    published_tx: watch::Sender<Option<Arc<Published>>>,
    metrics: Arc<Metrics>,
    mut signed: Option<Signed>,
) {
    let (signed_tx, signed_rx) =
        watch::channel::<Option<Arc<Signed>>>(signed.clone().map(Arc::new));
    let (cosig_tx, mut cosig_rx) = mpsc::channel::<Cosigned>(256);
    let client = witness_client::http_client(settings.witness_timeout);
    let mut workers = Vec::new();
    for w in policy.witnesses() {
        let Some(url) = w.url.clone() else {
            tracing::warn!(witness = %w.name, "witness has no URL in the policy; the log cannot ask it to cosign");
            continue;
        };
        let worker = WitnessWorker {
            name: w.name.clone(),
            url,
            key: w.key.clone(),
            storage: storage.clone(),
            client: client.clone(),
            metrics: metrics.clone(),
        };
        workers.push(tokio::spawn(
            worker.run(signed_rx.clone(), cosig_tx.clone()),
        ));
    }
    drop(cosig_tx);
    let mut signed_at = Instant::now();
    let mut collected: BTreeMap<String, Vec<NoteSignature>> = BTreeMap::new();
    let mut ticker = tokio::time::interval(settings.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    if let Some(s) = &signed {
        metrics.signed_size.set(s.checkpoint.size);
    }
    loop {
        tokio::select! {
            changed = tree.changed() => {
                if changed.is_err() {
                    // The sequencer stopped: sign what it committed last.
                    let head = *tree.borrow();
                    let _ = maybe_sign(&*storage, &keys, &policy, &head, &mut signed, &published_tx, &signed_tx, &metrics, &mut collected, true).await;
                    break;
                }
            }
            _ = ticker.tick() => {
                let head = *tree.borrow();
                let published_size = published_tx.borrow().as_ref().map(|p| p.checkpoint.size).unwrap_or(0);
                let current_done = signed.as_ref().is_none_or(|s| s.checkpoint.size <= published_size);
                if (current_done || signed_at.elapsed() >= settings.round)
                    && maybe_sign(&*storage, &keys, &policy, &head, &mut signed, &published_tx, &signed_tx, &metrics, &mut collected, false).await
                {
                    signed_at = Instant::now();
                }
            }
            Some(c) = cosig_rx.recv() => {
                let Some(s) = &signed else { continue };
                if c.size != s.checkpoint.size || c.root != s.checkpoint.root {
                    continue;
                }
                collected.insert(c.witness, c.lines);
                try_publish(&*storage, &keys, &policy, s, &collected, &published_tx, &metrics);
            }
        }
    }
    drop(signed_tx);
    for w in workers {
        w.abort();
    }
}

/// Signs a checkpoint for `head` if it is newer than the last signed one.
/// Returns whether it signed.
#[allow(clippy::too_many_arguments)]
async fn maybe_sign(
    storage: &dyn Storage,
    keys: &LogKeys,
    policy: &Policy,
    head: &TreeHead,
    signed: &mut Option<Signed>,
    published_tx: &watch::Sender<Option<Arc<Published>>>,
    signed_tx: &watch::Sender<Option<Arc<Signed>>>,
    metrics: &Metrics,
    collected: &mut BTreeMap<String, Vec<NoteSignature>>,
    _final: bool,
) -> bool {
    if head.size == 0 {
        return false;
    }
    if let Some(s) = signed.as_ref() {
        if head.size <= s.checkpoint.size {
            if head.size == s.checkpoint.size && head.root != s.checkpoint.root {
                tracing::error!(
                    size = head.size,
                    "REFUSING TO SIGN: tree root differs from the signed checkpoint of the same size"
                );
            }
            return false;
        }
        // Never sign a fork: prove the new tree extends the signed one.
        let ok = proofs::consistency(storage, s.checkpoint.size, head.size)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                merkle::verify_consistency(
                    s.checkpoint.size,
                    head.size,
                    &p,
                    &s.checkpoint.root,
                    &head.root,
                )
                .map_err(|e| e.to_string())
            });
        if let Err(e) = ok {
            tracing::error!(error = %e, old = s.checkpoint.size, new = head.size, "REFUSING TO SIGN: new tree is not consistent with the last signed checkpoint");
            return false;
        }
    }
    let cp = Checkpoint {
        origin: keys.origin.clone(),
        size: head.size,
        root: head.root,
    };
    let note = match sign(keys, &cp) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "cannot sign checkpoint");
            return false;
        }
    };
    // Stored before it leaves the process.
    if let Err(e) = storage.put_meta(&MetaKey::SignedCheckpoint, &note.to_bytes()) {
        tracing::error!(error = %e, "cannot store signed checkpoint; not sending it");
        return false;
    }
    metrics.checkpoints_signed.add(1);
    metrics.signed_size.set(cp.size);
    tracing::debug!(size = cp.size, "signed checkpoint");
    let s = Signed {
        checkpoint: cp,
        note,
    };
    collected.clear();
    *signed = Some(s.clone());
    signed_tx.send_replace(Some(Arc::new(s.clone())));
    if policy.requires_no_witnesses() {
        try_publish(storage, keys, policy, &s, collected, published_tx, metrics);
    }
    true
}

fn try_publish(
    storage: &dyn Storage,
    keys: &LogKeys,
    policy: &Policy,
    s: &Signed,
    collected: &BTreeMap<String, Vec<NoteSignature>>,
    published_tx: &watch::Sender<Option<Arc<Published>>>,
    metrics: &Metrics,
) {
    let names: Vec<&str> = collected.keys().map(String::as_str).collect();
    if !policy.quorum_met(&names) {
        return;
    }
    let current = published_tx
        .borrow()
        .as_ref()
        .map(|p| p.checkpoint.size)
        .unwrap_or(0);
    if s.checkpoint.size <= current {
        return;
    }
    let mut note = s.note.clone();
    for lines in collected.values() {
        for l in lines {
            if note.add_signature(l.clone()).is_err() {
                break;
            }
        }
    }
    let bytes = note.to_bytes();
    // Stored as published before it is served.
    if let Err(e) = storage.put_meta(&MetaKey::PublishedCheckpoint, &bytes) {
        tracing::error!(error = %e, "cannot store published checkpoint; keeping the previous one");
        return;
    }
    metrics.checkpoints_published.add(1);
    metrics.published_size.set(s.checkpoint.size);
    tracing::info!(size = s.checkpoint.size, witnesses = ?names, "published checkpoint");
    published_tx.send_replace(Some(Arc::new(published(keys, s.checkpoint.clone(), bytes))));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::testlog::{TestLog, TestWitness, policy};

    struct Channels {
        published: watch::Sender<Option<Arc<Published>>>,
        signed: watch::Sender<Option<Arc<Signed>>>,
        metrics: Metrics,
        collected: BTreeMap<String, Vec<NoteSignature>>,
    }

    fn channels() -> Channels {
        Channels {
            published: watch::channel(None).0,
            signed: watch::channel(None).0,
            metrics: Metrics::default(),
            collected: BTreeMap::new(),
        }
    }

    async fn sign_head(
        log: &TestLog,
        policy: &Policy,
        head: &TreeHead,
        signed: &mut Option<Signed>,
        c: &mut Channels,
    ) -> bool {
        maybe_sign(
            &*log.storage,
            &log.keys,
            policy,
            head,
            signed,
            &c.published,
            &c.signed,
            &c.metrics,
            &mut c.collected,
            false,
        )
        .await
    }

    fn stored(log: &TestLog, key: &MetaKey) -> Option<Checkpoint> {
        let bytes = log.storage.get_meta(key).unwrap()?;
        let note = Note::parse(&bytes).unwrap();
        note.verify(&log.keys.verifiers()).unwrap();
        Some(Checkpoint::parse(note.text()).unwrap())
    }

    #[tokio::test]
    async fn signs_a_newer_head_stores_it_before_sending_and_not_twice() {
        let log = TestLog::new(5);
        let witnesses = [TestWitness::new("notary")];
        let p = policy(&log.keys, &witnesses, Some(1));
        let mut c = channels();
        let mut signed = None;
        let head = log.storage.tree_head().unwrap();
        assert!(sign_head(&log, &p, &head, &mut signed, &mut c).await);
        let s = signed.clone().unwrap();
        assert_eq!((s.checkpoint.size, s.checkpoint.root), (5, head.root));
        assert_eq!(
            stored(&log, &MetaKey::SignedCheckpoint),
            Some(s.checkpoint.clone())
        );
        let sent = c.signed.borrow().clone().unwrap();
        assert_eq!(sent.checkpoint, s.checkpoint);
        // Both log signatures, verifiable with the policy's log keys.
        assert_eq!(sent.note.signatures().len(), 2);
        // A witness quorum is required: signing is not publishing.
        assert!(c.published.borrow().is_none());
        assert!(stored(&log, &MetaKey::PublishedCheckpoint).is_none());

        // The same head again is not signed again.
        assert!(!sign_head(&log, &p, &head, &mut signed, &mut c).await);
        // A grown log is, after a consistency check from its own tiles.
        let grown = log.grow(300);
        assert!(sign_head(&log, &p, &grown, &mut signed, &mut c).await);
        assert_eq!(signed.as_ref().unwrap().checkpoint.size, 305);
        assert_eq!(c.metrics.checkpoints_signed.get(), 2);
    }

    #[tokio::test]
    async fn refuses_to_sign_a_fork_of_the_signed_checkpoint() {
        let log = TestLog::new(5);
        let p = policy(&log.keys, &[TestWitness::new("notary")], Some(1));
        let mut c = channels();
        // What the log signed earlier claims another history at size 5.
        let forked = Checkpoint {
            origin: log.keys.origin.clone(),
            size: 5,
            root: merkle::Hash([7; 32]),
        };
        let note = sign(&log.keys, &forked).unwrap();
        log.storage
            .put_meta(&MetaKey::SignedCheckpoint, &note.to_bytes())
            .unwrap();
        let mut signed = Some(Signed {
            checkpoint: forked.clone(),
            note,
        });
        // Same size, other root: refused.
        let head = log.storage.tree_head().unwrap();
        assert!(!sign_head(&log, &p, &head, &mut signed, &mut c).await);
        // Larger, but not an extension of the signed root: refused.
        let grown = log.grow(20);
        assert!(!sign_head(&log, &p, &grown, &mut signed, &mut c).await);
        // Nothing was signed, stored or sent.
        assert_eq!(signed.unwrap().checkpoint, forked);
        assert_eq!(stored(&log, &MetaKey::SignedCheckpoint), Some(forked));
        assert!(c.signed.borrow().is_none());
        assert_eq!(c.metrics.checkpoints_signed.get(), 0);
    }

    #[tokio::test]
    async fn an_empty_log_is_not_signed() {
        let log = TestLog::new(0);
        let p = policy(&log.keys, &[], None);
        let mut c = channels();
        let mut signed = None;
        let head = log.storage.tree_head().unwrap();
        assert!(!sign_head(&log, &p, &head, &mut signed, &mut c).await);
        assert!(signed.is_none());
    }

    #[tokio::test]
    async fn quorum_none_publishes_at_signing() {
        let log = TestLog::new(3);
        let p = policy(&log.keys, &[], None);
        let mut c = channels();
        let mut signed = None;
        let head = log.storage.tree_head().unwrap();
        assert!(sign_head(&log, &p, &head, &mut signed, &mut c).await);
        let published = c.published.borrow().clone().unwrap();
        assert_eq!(published.checkpoint.size, 3);
        assert_eq!(stored(&log, &MetaKey::PublishedCheckpoint).unwrap().size, 3);
    }

    #[tokio::test]
    async fn publishes_only_once_the_quorum_is_met_with_every_cosignature() {
        let log = TestLog::new(9);
        let witnesses = [
            TestWitness::new("notary"),
            TestWitness::new("auditor"),
            TestWitness::new("university"),
        ];
        let p = policy(&log.keys, &witnesses, Some(2));
        let mut c = channels();
        let mut signed = None;
        let head = log.storage.tree_head().unwrap();
        assert!(sign_head(&log, &p, &head, &mut signed, &mut c).await);
        let s = signed.clone().unwrap();
        let text = s.note.text().to_string();
        let publish = |c: &Channels| {
            try_publish(
                &*log.storage,
                &log.keys,
                &p,
                &s,
                &c.collected,
                &c.published,
                &c.metrics,
            )
        };

        c.collected
            .insert("notary".into(), vec![witnesses[0].cosign(&text)]);
        publish(&c);
        assert!(
            c.published.borrow().is_none(),
            "1 of 3 is not a quorum of 2"
        );
        assert!(stored(&log, &MetaKey::PublishedCheckpoint).is_none());

        c.collected
            .insert("university".into(), vec![witnesses[2].cosign(&text)]);
        publish(&c);
        let published = c.published.borrow().clone().unwrap();
        assert_eq!(published.checkpoint, s.checkpoint);
        // The note served carries the log's two signatures and both
        // cosignatures, and the policy finds its quorum in it.
        let note = Note::parse(&published.note).unwrap();
        assert_eq!(note.signatures().len(), 4);
        let verdict = p.require(&published.note).unwrap();
        assert!(verdict.quorum_met);
        let mut cosigners: Vec<_> = verdict.cosigners.iter().map(|(n, _)| n.clone()).collect();
        cosigners.sort();
        assert_eq!(cosigners, ["notary", "university"]);
        assert_eq!(
            log.storage
                .get_meta(&MetaKey::PublishedCheckpoint)
                .unwrap()
                .unwrap(),
            published.note
        );
        // The receipt signature shared by this size verifies with the log key.
        let path = proofs::inclusion(&*log.storage, 3, 9).unwrap();
        let r = receipt::build(
            &published.receipt_protected,
            &published.receipt_signature,
            9,
            3,
            &path,
            None,
        );
        let leaf = merkle::leaf_hash(b"entry 3");
        let root = receipt::Receipt::parse(&r)
            .unwrap()
            .verify(&leaf, log.keys.p256.public_key())
            .unwrap();
        assert_eq!(root, head.root);

        // A third cosignature on the same size publishes nothing new.
        c.collected
            .insert("auditor".into(), vec![witnesses[1].cosign(&text)]);
        publish(&c);
        assert_eq!(c.metrics.checkpoints_published.get(), 1);
    }

    #[tokio::test]
    async fn load_state_reads_back_what_was_stored_and_refuses_a_forged_note() {
        let log = TestLog::new(4);
        let p = policy(&log.keys, &[], None);
        let mut c = channels();
        let mut signed = None;
        let head = log.storage.tree_head().unwrap();
        assert!(sign_head(&log, &p, &head, &mut signed, &mut c).await);
        let (s, published) = load_state(&*log.storage, &log.keys).unwrap();
        assert_eq!(s.unwrap().checkpoint.size, 4);
        assert_eq!(published.unwrap().checkpoint.size, 4);

        // A note signed by other keys under our name is corruption.
        let other = crate::testlog::log_keys();
        let cp = Checkpoint {
            origin: log.keys.origin.clone(),
            size: 4,
            root: head.root,
        };
        let forged = sign(&other, &cp).unwrap();
        log.storage
            .put_meta(&MetaKey::SignedCheckpoint, &forged.to_bytes())
            .unwrap();
        assert!(matches!(
            load_state(&*log.storage, &log.keys),
            Err(StorageError::Corrupted(_))
        ));
    }
}
