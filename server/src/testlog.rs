//! Fixtures for the server's unit tests: a real redb log whose tiles come
//! from the library's integration, the log's keys, witnesses with their
//! keys, and a policy naming them. Nothing here is mocked: the storage is
//! the embedded default and every signature is real.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle::leaf_hash;
use ashlog::note::NoteSignature;
use ashlog::policy::Policy;
use ashlog::vkey::{NoteSigner, VerifierKey};

use crate::checkpointer::LogKeys;
use crate::integrate::{integrate, into_batch, load_edge};
use crate::storage::redb::RedbStorage;
use crate::storage::{EntryKey, Storage, TreeHead};

/// The test log's origin.
pub(crate) const ORIGIN: &str = "log.example.org/unit";

/// A log on disk in a temporary directory.
pub(crate) struct TestLog {
    _dir: tempfile::TempDir,
    pub(crate) storage: Arc<RedbStorage>,
    pub(crate) keys: LogKeys,
}

impl TestLog {
    /// A log of `n` entries.
    pub(crate) fn new(n: u64) -> TestLog {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(RedbStorage::open(&dir.path().join("log.redb")).unwrap());
        let log = TestLog {
            _dir: dir,
            storage,
            keys: log_keys(),
        };
        log.grow(n);
        log
    }

    /// Appends `n` entries through the library's integration; returns the
    /// new head.
    pub(crate) fn grow(&self, n: u64) -> TreeHead {
        let head = self.storage.tree_head().unwrap();
        if n == 0 {
            return head;
        }
        let edge = load_edge(&*self.storage, head.size).unwrap();
        let statements: Vec<(EntryKey, Arc<Vec<u8>>)> = (head.size..head.size + n)
            .map(|i| {
                let bytes = format!("entry {i}").into_bytes();
                let key = EntryKey {
                    iat: 1_677_715_200 + i as i64,
                    digest: leaf_hash(&bytes),
                };
                (key, Arc::new(bytes))
            })
            .collect();
        let leaves: Vec<_> = statements.iter().map(|(_, b)| leaf_hash(b)).collect();
        let (batch, _) = into_batch(integrate(&edge, &leaves), head.size, statements);
        self.storage.append(&batch).unwrap();
        self.storage.tree_head().unwrap()
    }

    /// The storage as the log's roles take it.
    pub(crate) fn dyn_storage(&self) -> Arc<dyn Storage> {
        self.storage.clone()
    }
}

/// Fresh log keys named [`ORIGIN`].
pub(crate) fn log_keys() -> LogKeys {
    LogKeys {
        origin: ORIGIN.into(),
        p256: P256SigningKey::generate().unwrap(),
        ed25519: Ed25519SigningKey::generate().unwrap(),
    }
}

/// A witness: its policy name and cosignature key.
pub(crate) struct TestWitness {
    pub(crate) name: String,
    key: Ed25519SigningKey,
}

impl TestWitness {
    pub(crate) fn new(name: &str) -> TestWitness {
        TestWitness {
            name: name.into(),
            key: Ed25519SigningKey::generate().unwrap(),
        }
    }

    fn signer(&self) -> NoteSigner {
        NoteSigner::Cosignature {
            name: format!("{}.example.org/witness", self.name),
            key: self.key.clone(),
        }
    }

    /// Its verifier key.
    pub(crate) fn vkey(&self) -> VerifierKey {
        self.signer().verifier().unwrap()
    }

    /// A real cosignature/v1 line over `text`.
    pub(crate) fn cosign(&self, text: &str) -> NoteSignature {
        self.signer().sign(text, 1_764_000_000).unwrap()
    }
}

/// A policy with the log's two keys, these witnesses (at `url` if given)
/// and `quorum`: `none`, or a threshold over all of them.
pub(crate) fn policy(
    keys: &LogKeys,
    witnesses: &[TestWitness],
    threshold: Option<usize>,
) -> Policy {
    let mut text = String::new();
    for v in keys.verifiers() {
        text.push_str(&format!("log {}\n", v.to_vkey()));
    }
    for w in witnesses {
        text.push_str(&format!(
            "witness {} {} http://127.0.0.1:9/{}\n",
            w.name,
            w.vkey().to_vkey(),
            w.name
        ));
    }
    match threshold {
        None => text.push_str("quorum none\n"),
        Some(t) => {
            let names: Vec<&str> = witnesses.iter().map(|w| w.name.as_str()).collect();
            text.push_str(&format!("group all {t} {}\nquorum all\n", names.join(" ")));
        }
    }
    Policy::parse(&text).unwrap()
}
