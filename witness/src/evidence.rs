//! Evidence: validly signed checkpoints that contradict what the witness
//! holds.
//!
//! When a log sends a checkpoint that verifies under its key but that the
//! witness cannot reconcile with the checkpoint it last cosigned for that log
//! (a consistency proof that fails, or the same size with another root), the
//! witness refuses it (422) and keeps both signed notes, so anyone can later
//! show the two to the world. Same size with another root is conclusive: the
//! log signed two different trees of one size. A failing proof is strong
//! suspicion (a buggy log could send a bad proof for a good tree) and is kept
//! so a human can check it against the log's tiles.
//!
//! Entries are stored in the witness database before the 422 is sent, at most
//! [`MAX_EVIDENCE_PER_ORIGIN`] per log (the oldest are dropped), and served
//! newest first at `GET /evidence`.

use serde::{Deserialize, Serialize};

/// Evidence entries kept per log origin; older ones are dropped when a new
/// one is recorded. One entry already proves a fork; the bound stops a
/// misbehaving log from filling the witness's disk (each entry is at most
/// two notes and 63 proof hashes, a few KiB).
pub const MAX_EVIDENCE_PER_ORIGIN: usize = 1000;

/// Why a checkpoint became evidence.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The log signed a checkpoint of the size the witness holds but with
    /// another root: two different trees of one size, a fork.
    SameSizeDifferentRoot,
    /// The consistency proof from the witness's checkpoint to the new one
    /// does not verify.
    BadConsistencyProof,
}

/// One refused checkpoint with everything needed to judge it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Sequence number assigned by the store when recorded (increasing).
    pub id: u64,
    /// The log's origin.
    pub origin: String,
    /// When the witness refused it, in seconds since the Unix epoch.
    pub time: u64,
    /// The class of inconsistency.
    pub kind: EvidenceKind,
    /// A sentence saying what failed.
    pub reason: String,
    /// The `old` size of the request.
    pub old_size: u64,
    /// Size of the checkpoint the witness held (and had cosigned).
    pub stored_size: u64,
    /// Root of the checkpoint the witness held, base64.
    pub stored_root: String,
    /// The held checkpoint note: log signatures and this witness's
    /// cosignature.
    pub stored_note: String,
    /// Size of the refused checkpoint.
    pub refused_size: u64,
    /// Root of the refused checkpoint, base64.
    pub refused_root: String,
    /// The refused checkpoint note, exactly as received.
    pub refused_note: String,
    /// The consistency proof sent with it, base64 hashes in order.
    pub proof: Vec<String>,
}

impl Evidence {
    /// JSON encoding, as stored and served.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// Parses the JSON encoding.
    pub fn from_json(bytes: &[u8]) -> Result<Evidence, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn evidence_json_round_trips_with_snake_case_kind() {
        let e = Evidence {
            id: 7,
            origin: "o".into(),
            time: 1,
            kind: EvidenceKind::SameSizeDifferentRoot,
            reason: "r".into(),
            old_size: 2,
            stored_size: 2,
            stored_root: "a".into(),
            stored_note: "n\n".into(),
            refused_size: 2,
            refused_root: "b".into(),
            refused_note: "m\n".into(),
            proof: vec![],
        };
        let j = e.to_json().unwrap();
        assert!(String::from_utf8_lossy(&j).contains("\"same_size_different_root\""));
        assert_eq!(Evidence::from_json(&j).unwrap(), e);
    }
}
