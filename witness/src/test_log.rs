//! A log for tests: a Merkle tree computed in memory, keys of either type,
//! signed checkpoints and RFC 6962 consistency proofs, so the witness is
//! exercised on real trees rather than canned bytes.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ashlog_tlog::add_checkpoint::format_request;
use ashlog_tlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog_tlog::merkle::Hash;
use ashlog_tlog::note::Note;
use ashlog_tlog::testing::TestTree;
use ashlog_tlog::vkey::{NoteSigner, VerifierKey};

use crate::add_checkpoint::WitnessState;
use crate::store::{MemoryStore, RedbStore, WitnessStore};

/// Which kind of log key signs the checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// 0x01.
    Ed25519,
    /// 0x05.
    P256,
}

pub(crate) const KINDS: [KeyKind; 2] = [KeyKind::Ed25519, KeyKind::P256];

/// A fixed test time.
pub(crate) fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub(crate) struct TestLog {
    pub(crate) origin: String,
    pub(crate) signer: NoteSigner,
    pub(crate) tree: TestTree,
}

pub(crate) fn signer(kind: KeyKind, name: &str) -> NoteSigner {
    match kind {
        KeyKind::Ed25519 => NoteSigner::Ed25519 {
            name: name.into(),
            key: Ed25519SigningKey::generate().unwrap(),
        },
        KeyKind::P256 => NoteSigner::Rfc6962 {
            name: name.into(),
            key: P256SigningKey::generate().unwrap(),
        },
    }
}

impl TestLog {
    /// A log of `n` leaves; `salt` makes different trees of the same sizes.
    pub(crate) fn new(kind: KeyKind, origin: &str, n: u64, salt: &str) -> TestLog {
        TestLog {
            origin: origin.into(),
            signer: signer(kind, origin),
            tree: TestTree::salted(n, salt),
        }
    }

    /// The same key, another tree (a fork).
    pub(crate) fn fork(&self, n: u64, salt: &str) -> TestLog {
        TestLog {
            origin: self.origin.clone(),
            signer: self.signer.clone(),
            tree: TestTree::salted(n, salt),
        }
    }

    pub(crate) fn vkey(&self) -> VerifierKey {
        self.signer.verifier().unwrap()
    }

    pub(crate) fn root(&self, size: u64) -> Hash {
        self.tree.root(size)
    }

    pub(crate) fn text(&self, size: u64) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            size,
            self.root(size).to_base64()
        )
    }

    /// The checkpoint note of `size`, signed by the log key.
    pub(crate) fn note(&self, size: u64) -> String {
        let mut n = Note::new(&self.text(size)).unwrap();
        n.sign(&self.signer, 1_700_000_000_000).unwrap();
        String::from_utf8(n.to_bytes()).unwrap()
    }

    /// The consistency proof from `old` to `new` (empty when old is 0 or
    /// equal to new).
    pub(crate) fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        self.tree.consistency_proof(old, new)
    }

    /// An add-checkpoint body with an explicit proof and note.
    pub(crate) fn body_with(old: u64, proof: &[Hash], note: &str) -> Vec<u8> {
        format_request(old, proof, note.as_bytes())
    }

    /// The honest body from `old` to `new`.
    pub(crate) fn body(&self, old: u64, new: u64) -> Vec<u8> {
        Self::body_with(old, &self.proof(old, new), &self.note(new))
    }
}

/// A witness over a redb file in `dir`, configured for `logs`.
pub(crate) fn witness(
    dir: &std::path::Path,
    key: &Ed25519SigningKey,
    logs: &[&TestLog],
) -> WitnessState {
    let store = RedbStore::open(&dir.join("witness.redb")).unwrap();
    witness_with_store(key, logs, Box::new(store))
}

pub(crate) fn witness_with_store(
    key: &Ed25519SigningKey,
    logs: &[&TestLog],
    store: Box<dyn WitnessStore>,
) -> WitnessState {
    let mut map: BTreeMap<String, Vec<VerifierKey>> = BTreeMap::new();
    for l in logs {
        map.entry(l.origin.clone()).or_default().push(l.vkey());
    }
    WitnessState::new("witness.example.org/w1", key.clone(), map, store).unwrap()
}

/// The witness's cosignature verifier.
pub(crate) fn witness_vkey(state: &WitnessState) -> VerifierKey {
    VerifierKey::parse(state.vkey()).unwrap()
}

/// A witness over a [`MemoryStore`], for the exhaustive tests that would
/// otherwise spend their time in fsync.
pub(crate) fn mem_witness(key: &Ed25519SigningKey, logs: &[&TestLog]) -> WitnessState {
    witness_with_store(key, logs, Box::<MemoryStore>::default())
}
