//! C2SP tlog-witness `add-checkpoint` on the wire: the request body, the
//! 200 response (cosignature lines) and the 409 body (`text/x.tlog.size`),
//! each a parse/format pair. The witness parses requests and formats
//! responses, the log formats requests and parses responses; both use these
//! functions, so the two ends cannot drift apart.
//!
//! Request (every line ends in `\n`):
//!
//! ```text
//! old <size the log believes the witness holds, canonical decimal>
//! <base64 consistency-proof hash>      (0 to 63 lines)
//!
//! <checkpoint signed note>
//! ```
//!
//! 200 response: one or more note signature lines `— <name> <base64>\n`.
//! 409 response: the size the witness holds, `<size>\n`.
//!
//! Numbers are canonical decimal ([`crate::decimal`]): `old +5`, `old 05`
//! and a 409 body of ` 5\n` are all refused, at both ends.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::decimal;
use crate::merkle::{Hash, MAX_PROOF_HASHES};
use crate::note::{MAX_SIGNATURES, Note, NoteSignature};

/// Largest request body, in bytes (Sunlight's cap). A request is 63 proof
/// lines of 45 bytes (under 3 KiB) plus a checkpoint note: with Ed25519 and
/// P-256 lines of about 100 to 150 bytes, even the 100 signature lines a
/// note may carry fit, and so do about 35 ML-DSA-44 cosignatures (3.3 KB
/// each) should a log forward other witnesses' lines.
pub const MAX_REQUEST_BYTES: usize = 128 * 1024;

/// Largest response body a log accepts from a witness: at most
/// [`MAX_SIGNATURES`] signature lines of a few hundred bytes, or a size.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Content type of the 409 body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why a body was refused. Every refusal of a body's syntax is `Malformed`
/// with the part that is wrong, in words a log operator can act on.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The body is larger than its cap.
    #[error("body is larger than {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The body does not have the shape the spec gives it.
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// A parsed add-checkpoint request: syntax only, nothing verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    /// The size the log believes the witness holds.
    pub old: u64,
    /// Consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note as received (signatures not yet verified).
    pub note: Note,
    /// The note's bytes as received.
    pub note_bytes: Vec<u8>,
    /// The parsed checkpoint body.
    pub checkpoint: Checkpoint,
}

impl AddCheckpointRequest {
    /// Parses a request body. Ok means: at most [`MAX_REQUEST_BYTES`], an
    /// `old` line in canonical decimal, at most [`MAX_PROOF_HASHES`] proof
    /// lines each the canonical base64 of 32 bytes, a blank line, and a
    /// signed note whose text is a checkpoint without extension lines.
    pub fn parse(body: &[u8]) -> Result<AddCheckpointRequest, WireError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(WireError::TooLarge {
                limit: MAX_REQUEST_BYTES,
            });
        }
        let split = body
            .windows(2)
            .position(|w| w == b"\n\n")
            .ok_or(WireError::Malformed(
                "no blank line between the `old` and proof lines and the checkpoint",
            ))?;
        let head = std::str::from_utf8(&body[..split])
            .map_err(|_| WireError::Malformed("the `old` and proof lines are not UTF-8"))?;
        let note_bytes = &body[split + 2..];
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(decimal::parse)
            .ok_or(WireError::Malformed(
                "the first line must be `old <size>` in canonical decimal (no sign, no leading zeros)",
            ))?;
        let proof_lines: Vec<&str> = lines.collect();
        if proof_lines.len() > MAX_PROOF_HASHES {
            return Err(WireError::Malformed(
                "more than 63 proof lines (no tree whose size fits in 64 bits needs more)",
            ));
        }
        let mut proof = Vec::with_capacity(proof_lines.len());
        for line in proof_lines {
            let h = Hash::from_base64(line)
                .ok()
                // One hash, one spelling: refuse non-canonical base64 too.
                .filter(|h| h.to_base64() == line)
                .ok_or(WireError::Malformed(
                    "a proof line is not the standard base64 of 32 bytes",
                ))?;
            proof.push(h);
        }
        let note = Note::parse(note_bytes)
            .map_err(|_| WireError::Malformed("the checkpoint is not a well-formed signed note"))?;
        let checkpoint = Checkpoint::parse(note.text()).map_err(|e| match e {
            CheckpointError::ExtensionLines => WireError::Malformed(
                "the checkpoint has extension lines, which this witness does not cosign",
            ),
            _ => WireError::Malformed(
                "the checkpoint is not three lines of origin, canonical decimal size and base64 root",
            ),
        })?;
        Ok(AddCheckpointRequest {
            old,
            proof,
            note,
            note_bytes: note_bytes.to_vec(),
            checkpoint,
        })
    }
}

/// Formats a request body: `old`, the proof, a blank line, the note.
pub fn format_request(old: u64, proof: &[Hash], note: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + proof.len() * 45 + note.len());
    out.extend_from_slice(format!("old {old}\n").as_bytes());
    for h in proof {
        out.extend_from_slice(h.to_base64().as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(note);
    out
}

/// Formats a 200 response body: the signature lines, each ending in `\n`.
pub fn format_cosignatures(lines: &[NoteSignature]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|s| s.to_line().into_bytes())
        .collect()
}

/// Parses a 200 response body. Ok means at most [`MAX_RESPONSE_BYTES`], one
/// to [`MAX_SIGNATURES`] lines, each a well-formed note signature line
/// ending in `\n`, nothing else (no blank lines). The signatures are not
/// verified: that takes the witness's key and the checkpoint.
pub fn parse_cosignatures(body: &[u8]) -> Result<Vec<NoteSignature>, WireError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(WireError::TooLarge {
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| WireError::Malformed("the cosignature lines are not UTF-8"))?;
    let Some(text) = text.strip_suffix('\n') else {
        return Err(WireError::Malformed(
            "the response must be one or more signature lines, each ending in a newline",
        ));
    };
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(WireError::Malformed(
            "more signature lines than a note may carry",
        ));
    }
    lines
        .into_iter()
        .map(|l| {
            NoteSignature::parse_line(l).map_err(|_| {
                WireError::Malformed("a line is not a note signature line `— <name> <base64>`")
            })
        })
        .collect()
}

/// Formats a 409 body: the size the witness holds and a newline.
pub fn format_size(size: u64) -> String {
    format!("{size}\n")
}

/// Parses a 409 body. Ok means exactly a canonical decimal size and one
/// newline.
pub fn parse_size(body: &[u8]) -> Result<u64, WireError> {
    // The longest canonical size and its newline.
    if body.len() > decimal::MAX_DIGITS + 1 {
        return Err(WireError::Malformed(
            "the 409 body is longer than a size and a newline",
        ));
    }
    std::str::from_utf8(body)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .and_then(decimal::parse)
        .ok_or(WireError::Malformed(
            "the 409 body must be the witness's size in canonical decimal and a newline",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Ed25519SigningKey;
    use crate::merkle::{empty_root, leaf_hash};
    use crate::vkey::NoteSigner;

    fn signed_note(size: u64) -> Vec<u8> {
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size,
            root: leaf_hash(b"x"),
        };
        let mut note = Note::new(&cp.to_text()).unwrap();
        let signer = NoteSigner::Ed25519 {
            name: "example.com/log".into(),
            key: Ed25519SigningKey::from_seed(&[7; 32]),
        };
        note.sign(&signer, 0).unwrap();
        note.to_bytes()
    }

    #[test]
    fn request_round_trips() {
        let note = signed_note(5);
        let proof = vec![leaf_hash(b"a"), empty_root()];
        let body = format_request(3, &proof, &note);
        let r = AddCheckpointRequest::parse(&body).unwrap();
        assert_eq!(r.old, 3);
        assert_eq!(r.proof, proof);
        assert_eq!(r.note_bytes, note);
        assert_eq!(r.checkpoint.size, 5);
        assert_eq!(format_request(r.old, &r.proof, &r.note_bytes), body);
    }

    #[test]
    fn request_rejects_every_non_canonical_old() {
        let note = signed_note(5);
        for s in decimal::NON_CANONICAL {
            let mut body = format!("old {s}\n\n").into_bytes();
            body.extend_from_slice(&note);
            assert!(
                matches!(
                    AddCheckpointRequest::parse(&body),
                    Err(WireError::Malformed(_))
                ),
                "old {s:?}"
            );
        }
    }

    #[test]
    fn request_rejects_oversized_body() {
        let big = vec![b'a'; MAX_REQUEST_BYTES + 1];
        assert_eq!(
            AddCheckpointRequest::parse(&big),
            Err(WireError::TooLarge {
                limit: MAX_REQUEST_BYTES
            })
        );
    }

    #[test]
    fn size_round_trips_and_rejects_every_non_canonical_spelling() {
        for v in [0u64, 1, 5, 20_852_163, u64::MAX] {
            assert_eq!(parse_size(format_size(v).as_bytes()), Ok(v));
        }
        for s in decimal::NON_CANONICAL {
            assert!(parse_size(format!("{s}\n").as_bytes()).is_err(), "{s:?}");
        }
        for body in [&b"5"[..], b"5\n\n", b"\n5\n", b"5\r\n", b"", b"\n"] {
            assert!(parse_size(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn cosignatures_round_trip_and_reject_stray_lines() {
        let note = Note::parse(&signed_note(5)).unwrap();
        let sigs = note.signatures().to_vec();
        let body = format_cosignatures(&sigs);
        assert_eq!(parse_cosignatures(&body).unwrap(), sigs);
        let line = String::from_utf8(body.clone()).unwrap();
        for bad in [
            String::new(),
            "\n".to_string(),
            line.trim_end().to_string(),
            format!("{line}\n"),
            format!("\n{line}"),
            format!("{line}garbage\n"),
            line.replacen('\u{2014}', "-", 1),
        ] {
            assert!(parse_cosignatures(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let many = line.repeat(MAX_SIGNATURES + 1);
        assert!(parse_cosignatures(many.as_bytes()).is_err());
    }
}
