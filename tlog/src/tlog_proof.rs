//! C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an offline proof that an entry
//! is in a log, as text: optional extra data, the entry's index, its
//! inclusion proof, and the checkpoint (with cosignatures) verbatim.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]
//! index <decimal>
//! <base64 hash>          (leaf's sibling first, zero or more lines)
//!
//! <signed checkpoint note>
//! ```
//!
//! For ashlog the entry is `SHA-256` of the registered statement (see
//! [`crate::statement`]), so `leaf = SHA-256(0x00 || SHA-256(statement))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::decimal;
use crate::merkle::{self, Hash, MAX_PROOF_HASHES, ProofError};
use crate::policy::{Policy, PolicyError, Verdict};

/// The first line.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Largest tlog-proof accepted: a checkpoint note with many cosignatures plus
/// 63 proof lines fits easily.
pub const MAX_TLOG_PROOF_BYTES: usize = 256 * 1024;

/// Why a tlog-proof was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TlogProofError {
    /// Not a tlog-proof (syntax).
    #[error("malformed tlog-proof: {0}")]
    Malformed(&'static str),
    /// The checkpoint fails the policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The inclusion proof does not lead to the checkpoint's root.
    #[error("inclusion proof: {0}")]
    Proof(#[from] ProofError),
}

/// A parsed tlog-proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Unauthenticated application data.
    pub extra: Option<Vec<u8>>,
    /// The entry's index.
    pub index: u64,
    /// The inclusion proof.
    pub proof: Vec<Hash>,
    /// The checkpoint note, verbatim.
    pub checkpoint: Vec<u8>,
}

impl TlogProof {
    /// Parses the text form strictly.
    pub fn parse(bytes: &[u8]) -> Result<TlogProof, TlogProofError> {
        use TlogProofError::Malformed;
        if bytes.len() > MAX_TLOG_PROOF_BYTES {
            return Err(Malformed("too large"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| Malformed("not UTF-8"))?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or(Malformed("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(Malformed("first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut line = lines.next().ok_or(Malformed("missing index line"))?;
        let mut extra = None;
        if let Some(e) = line.strip_prefix("extra ") {
            extra = Some(
                B64.decode(e)
                    .map_err(|_| Malformed("extra is not base64"))?,
            );
            line = lines.next().ok_or(Malformed("missing index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(decimal::parse)
            .ok_or(Malformed("bad index line"))?;
        let mut proof = Vec::new();
        for l in lines {
            if proof.len() == MAX_PROOF_HASHES {
                return Err(Malformed("more than 63 proof hashes"));
            }
            let h = Hash::from_base64(l).map_err(|_| Malformed("bad proof hash"))?;
            if h.to_base64() != l {
                return Err(Malformed("non-canonical base64"));
            }
            proof.push(h);
        }
        Ok(TlogProof {
            extra,
            index,
            proof,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }

    /// The text form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(e) = &self.extra {
            out.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&h.to_base64());
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }

    /// Verifies that the entry with leaf hash `leaf` is at `self.index` in
    /// the checkpoint, and that the checkpoint satisfies `policy` (log
    /// signature and witness quorum). The tree size is the checkpoint's, so
    /// it is authenticated by the log's signature.
    pub fn verify(&self, leaf: &Hash, policy: &Policy) -> Result<Verdict, TlogProofError> {
        let verdict = policy.require(&self.checkpoint)?;
        merkle::verify_inclusion(
            self.index,
            verdict.checkpoint.size,
            leaf,
            &self.proof,
            &verdict.checkpoint.root,
        )?;
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;
    use crate::keys::Ed25519SigningKey;
    use crate::merkle::{leaf_hash, root};
    use crate::note::Note;
    use crate::vkey::NoteSigner;

    fn setup() -> (TlogProof, Hash, Policy) {
        let leaves: Vec<Hash> = (0u8..10).map(|i| leaf_hash(&[i])).collect();
        let log = NoteSigner::Ed25519 {
            name: "example.com/log".into(),
            key: Ed25519SigningKey::generate().unwrap(),
        };
        let wit = NoteSigner::Cosignature {
            name: "w.example".into(),
            key: Ed25519SigningKey::generate().unwrap(),
        };
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 10,
            root: root(&leaves),
        };
        let mut n = Note::new(&cp.to_text()).unwrap();
        n.sign(&log, 0).unwrap();
        n.sign(&wit, 1234).unwrap();
        let policy = Policy::parse(&format!(
            "log {}\nwitness w {}\nquorum w\n",
            log.verifier().unwrap(),
            wit.verifier().unwrap()
        ))
        .unwrap();
        let steps = merkle::inclusion_steps(7, 10).unwrap();
        let proof = merkle::assemble_proof(&steps, |ids| {
            Ok::<_, ()>(
                ids.iter()
                    .map(|id| {
                        let s = (id.index << id.level) as usize;
                        root(&leaves[s..s + (1 << id.level)])
                    })
                    .collect(),
            )
        })
        .unwrap();
        (
            TlogProof {
                extra: Some(b"hi".to_vec()),
                index: 7,
                proof,
                checkpoint: n.to_bytes(),
            },
            leaves[7],
            policy,
        )
    }

    #[test]
    fn tlog_proof_round_trips_and_verifies() {
        let (p, leaf, policy) = setup();
        let bytes = p.to_bytes();
        assert!(bytes.starts_with(b"c2sp.org/tlog-proof@v1\nextra aGk=\nindex 7\n"));
        let back = TlogProof::parse(&bytes).unwrap();
        assert_eq!(back, p);
        back.verify(&leaf, &policy).unwrap();
    }

    #[test]
    fn tlog_proof_rejects_wrong_leaf_index_and_tampering() {
        let (p, leaf, policy) = setup();
        assert!(p.verify(&leaf_hash(b"other"), &policy).is_err());
        let mut q = p.clone();
        q.index = 6;
        assert!(q.verify(&leaf, &policy).is_err());
        let mut q = p.clone();
        q.proof[1].0[3] ^= 4;
        assert!(q.verify(&leaf, &policy).is_err());
        let mut q = p.clone();
        q.proof.push(leaf);
        assert!(q.verify(&leaf, &policy).is_err());
        // The size lives in the signed checkpoint: changing it breaks the
        // log's signature.
        let text = String::from_utf8(p.checkpoint.clone()).unwrap();
        let mut q = p.clone();
        q.checkpoint = text.replacen("\n10\n", "\n11\n", 1).into_bytes();
        assert!(matches!(
            q.verify(&leaf, &policy),
            Err(TlogProofError::Policy(_))
        ));
    }

    #[test]
    fn tlog_proof_parse_rejects_garbage() {
        let (p, _, _) = setup();
        let good = String::from_utf8(p.to_bytes()).unwrap();
        for bad in [
            good.replace("tlog-proof@v1", "tlog-proof@v2"),
            good.replace("index 7", "index 07"),
            good.replace("index 7", "index -7"),
            good.replace("index 7\n", ""),
            good.replace("extra aGk=", "extra !!"),
            good.replacen("\n\n", "\n", 1),
            "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx".to_string(),
        ] {
            assert!(TlogProof::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }
}
