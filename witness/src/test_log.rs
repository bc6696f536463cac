//! A log for tests: a Merkle tree computed in memory, keys of either type,
//! signed checkpoints and RFC 6962 consistency proofs, so the witness is
//! exercised on real trees rather than canned bytes.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle::{self, Hash, NodeId};
use ashlog::note::{Note, NoteSigner, VerifierKey};

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
    pub(crate) leaves: Vec<Hash>,
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
        let leaves = (0..n)
            .map(|i| merkle::leaf_hash(format!("{salt}{i}").as_bytes()))
            .collect();
        TestLog {
            origin: origin.into(),
            signer: signer(kind, origin),
            leaves,
        }
    }

    /// The same key, another tree (a fork).
    pub(crate) fn fork(&self, n: u64, salt: &str) -> TestLog {
        TestLog {
            origin: self.origin.clone(),
            signer: self.signer.clone(),
            leaves: (0..n)
                .map(|i| merkle::leaf_hash(format!("{salt}{i}").as_bytes()))
                .collect(),
        }
    }

    pub(crate) fn vkey(&self) -> VerifierKey {
        self.signer.verifier().unwrap()
    }

    pub(crate) fn root(&self, size: u64) -> Hash {
        merkle::root(&self.leaves[..size as usize])
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

    fn node(&self, id: NodeId) -> Hash {
        let start = (id.index << id.level) as usize;
        let end = start + (1usize << id.level);
        merkle::root(&self.leaves[start..end])
    }

    /// The consistency proof from `old` to `new` (empty when old is 0 or
    /// equal to new).
    pub(crate) fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        if old == 0 || old == new {
            return Vec::new();
        }
        let steps = merkle::consistency_steps(old, new).unwrap();
        merkle::assemble_proof(&steps, |nodes| {
            Ok::<_, ()>(nodes.iter().map(|n| self.node(*n)).collect())
        })
        .unwrap()
    }

    /// An add-checkpoint body with an explicit proof and note.
    pub(crate) fn body_with(old: u64, proof: &[Hash], note: &str) -> Vec<u8> {
        let mut s = format!("old {old}\n");
        for h in proof {
            s.push_str(&h.to_base64());
            s.push('\n');
        }
        s.push('\n');
        s.push_str(note);
        s.into_bytes()
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
