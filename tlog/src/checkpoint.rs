//! C2SP tlog-checkpoint: the body of a signed tree head.
//!
//! ```text
//! <origin>\n
//! <tree size, decimal>\n
//! <base64 root hash>\n
//! ```
//!
//! ashlog's profile allows no extension lines: the `0x05` signature does not
//! cover them and Sunlight-style witnesses refuse them.
//!
//! The `0x05` note signature type lives here too ([`Rfc6962Verifier`],
//! [`Rfc6962Signer`]): it signs a checkpoint's size and root, not the note
//! text, so it only makes sense for a checkpoint.

use std::fmt;

use crate::decimal;
use crate::keys::{P256SigningKey, PublicKey};
use crate::merkle::Hash;
use crate::note::{self, Note, NoteError, SigType, Signer, VerifiedSignature, Verifier};

/// Why a checkpoint was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// Not three lines of origin, canonical decimal size and base64 root.
    #[error("malformed checkpoint")]
    Malformed,
    /// The checkpoint has extension lines, which this profile forbids.
    #[error("checkpoint has extension lines")]
    ExtensionLines,
    /// The origin is not the one expected.
    #[error("checkpoint origin {got:?} is not {want:?}")]
    WrongOrigin {
        /// Origin in the checkpoint.
        got: String,
        /// Origin expected.
        want: String,
    },
    /// The note around it failed.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// A tree head: origin, size and root.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The log's identity, a schema-less URL such as `log.example.org/ashlog/1`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root of those leaves.
    pub root: Hash,
}

impl Checkpoint {
    /// Parses the checkpoint body (the signed text of the note). Ok means
    /// exactly three lines, an origin that is a valid key name, a size in
    /// canonical decimal (no sign, no leading zeros: one tree head, one
    /// spelling) and a canonical base64 root of 32 bytes.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        if !text.ends_with('\n') {
            return Err(CheckpointError::Malformed);
        }
        let lines: Vec<&str> = text[..text.len() - 1].split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::Malformed);
        }
        if lines.len() > 3 {
            return Err(CheckpointError::ExtensionLines);
        }
        let origin = lines[0];
        note::check_key_name(origin).map_err(|_| CheckpointError::Malformed)?;
        let size = decimal::parse(lines[1])
            .filter(|s| i64::try_from(*s).is_ok())
            .ok_or(CheckpointError::Malformed)?;
        let root = Hash::from_base64(lines[2]).map_err(|_| CheckpointError::Malformed)?;
        if root.to_base64() != lines[2] {
            return Err(CheckpointError::Malformed);
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }

    /// The body text.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        )
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} size {} root {}", self.origin, self.size, self.root)
    }
}

/// A checkpoint inside a signed note, with the signatures that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint<V> {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The whole note, with every signature line as received.
    pub note: Note,
    /// Signatures that verified with the keys given to [`open`].
    pub verified: Vec<VerifiedSignature<V>>,
}

/// Parses a signed checkpoint and verifies it with `keys` (log keys, and
/// witness keys if the caller wants their cosignatures checked too). Ok means
/// the body is a valid checkpoint for `origin` and at least one of `keys`
/// signed it; every line by a known key verified.
pub fn open<V: Verifier + Clone + PartialEq>(
    bytes: &[u8],
    origin: &str,
    keys: &[V],
) -> Result<SignedCheckpoint<V>, CheckpointError> {
    let note = Note::parse(bytes)?;
    let checkpoint = Checkpoint::parse(note.text())?;
    if checkpoint.origin != origin {
        return Err(CheckpointError::WrongOrigin {
            got: checkpoint.origin,
            want: origin.to_string(),
        });
    }
    let verified = note.verify(keys)?;
    Ok(SignedCheckpoint {
        checkpoint,
        note,
        verified,
    })
}

/// The 50-byte RFC 6962 §3.5 TreeHeadSignature input: version 0, type
/// tree_hash (1), timestamp in milliseconds, tree size, root.
fn rfc6962_tree_head(timestamp_ms: u64, cp: &Checkpoint) -> [u8; 50] {
    let mut m = [0u8; 50];
    m[0] = 0;
    m[1] = 1;
    m[2..10].copy_from_slice(&timestamp_ms.to_be_bytes());
    m[10..18].copy_from_slice(&cp.size.to_be_bytes());
    m[18..50].copy_from_slice(&cp.root.0);
    m
}

/// The checkpoint a `0x05` signature covers: the note text must be exactly
/// a checkpoint whose origin is the key name (the signature covers neither
/// the origin nor extension lines, so both are pinned this way).
fn rfc6962_checkpoint(name: &str, text: &str) -> Result<Checkpoint, NoteError> {
    let cp = Checkpoint::parse(text).map_err(|_| NoteError::Rfc6962Mismatch)?;
    if cp.origin != name {
        return Err(NoteError::Rfc6962Mismatch);
    }
    Ok(cp)
}

/// A `0x05` verifier: the log's P-256 key, RFC 6962 TreeHeadSignature as
/// in static-ct-api. Its name must be the origin of what it verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rfc6962Verifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl Rfc6962Verifier {
    /// A verifier for `key` under `name` (the log's origin); refuses a key
    /// that is not P-256.
    pub fn new(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        note::check_key(name, SigType::Rfc6962, key, key.as_p256().is_some())?;
        Ok(Rfc6962Verifier {
            name: name.to_string(),
            key_id: note::key_id(name, SigType::Rfc6962, &Self::log_id(key)),
            key: key.clone(),
        })
    }

    /// The RFC 6962 LogID, SHA-256 of the SPKI: what the key id hashes.
    fn log_id(key: &PublicKey) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::digest(key.spki_der()).into()
    }

    /// The SPKI DER: what a vkey carries after the type byte (the
    /// transparency-dev/formats convention).
    pub fn key_material(&self) -> Vec<u8> {
        self.key.spki_der().to_vec()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

impl Verifier for Rfc6962Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        let cp = rfc6962_checkpoint(&self.name, text)?;
        let invalid = || NoteError::InvalidSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        };
        // timestamp(8) hash_alg(1)=4 sig_alg(1)=3 len(2) DER
        if sig.len() < 12 || sig[8] != 4 || sig[9] != 3 {
            return Err(invalid());
        }
        let ts = u64::from_be_bytes(sig[..8].try_into().map_err(|_| invalid())?);
        let len = usize::from(u16::from_be_bytes([sig[10], sig[11]]));
        if sig.len() != 12 + len {
            return Err(invalid());
        }
        self.key
            .verify_ecdsa_p256_der(&rfc6962_tree_head(ts, &cp), &sig[12..])
            .map_err(|_| invalid())?;
        Ok(Some(ts))
    }
}

/// A `0x05` signer: the log's P-256 key under its origin.
#[derive(Clone, Debug)]
pub struct Rfc6962Signer {
    verifier: Rfc6962Verifier,
    key: P256SigningKey,
}

impl Rfc6962Signer {
    /// A signer for `key` under `name` (the log's origin).
    pub fn new(name: &str, key: &P256SigningKey) -> Result<Self, NoteError> {
        Ok(Rfc6962Signer {
            verifier: Rfc6962Verifier::new(name, key.public_key())?,
            key: key.clone(),
        })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &Rfc6962Verifier {
        &self.verifier
    }
}

impl Signer for Rfc6962Signer {
    fn name(&self) -> &str {
        &self.verifier.name
    }
    fn key_id(&self) -> u32 {
        self.verifier.key_id
    }
    /// `timestamp` is in milliseconds.
    fn sign(&self, text: &str, timestamp: u64) -> Result<Vec<u8>, NoteError> {
        let cp = rfc6962_checkpoint(&self.verifier.name, text)?;
        let der = self.key.sign_der(&rfc6962_tree_head(timestamp, &cp));
        let len = u16::try_from(der.len()).map_err(|_| NoteError::Rfc6962Mismatch)?;
        let mut out = Vec::with_capacity(12 + der.len());
        out.extend_from_slice(&timestamp.to_be_bytes());
        out.extend_from_slice(&[4, 3]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&der);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Ed25519SigningKey;
    use crate::note::{Ed25519Signer, NoteSignature};

    const TEXT: &str =
        "example.com/p256-test-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";

    #[test]
    fn checkpoint_round_trips() {
        let cp = Checkpoint::parse(TEXT).unwrap();
        assert_eq!(cp.size, 8);
        assert_eq!(
            cp.root.to_hex(),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(cp.to_text(), TEXT);
    }

    #[test]
    fn checkpoint_rejects_noncanonical_and_extensions() {
        let root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
        for bad in [
            format!("o\n08\n{root}\n"),
            format!("o\n+8\n{root}\n"),
            format!("o\n-8\n{root}\n"),
            format!("o\n8\n{root}"),
            format!("o\n8\n{}\n", &root[..40]),
            format!("o\n8\n{}\n", root.replace('=', "")),
            format!("o o\n8\n{root}\n"),
            format!("\n8\n{root}\n"),
            format!("o\n99999999999999999999\n{root}\n"),
            "o\n8\n".to_string(),
        ] {
            assert_eq!(
                Checkpoint::parse(&bad),
                Err(CheckpointError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n8\n{root}\next\n")),
            Err(CheckpointError::ExtensionLines)
        );
    }

    fn spki_of_vkey_material(b64: &str, sig_type: u8) -> PublicKey {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(raw[0], sig_type);
        PublicKey::from_spki_der(&raw[1..]).unwrap()
    }

    /// c2sp digest §13.6: the deterministic P-256 0x05 checkpoint, byte for
    /// byte (RFC 6979 test key, timestamp 1700000000000 ms).
    #[test]
    fn p256_rfc6962_signature_matches_vector() {
        let key = P256SigningKey::from_scalar(
            &hex::decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
                .unwrap(),
        )
        .unwrap();
        let signer = Rfc6962Signer::new("example.com/p256-test-log", &key).unwrap();
        let v = signer.verifier().clone();
        assert_eq!(v.key_id(), 0x750f90d2);
        let sig = NoteSignature::new(&signer, TEXT, 1_700_000_000_000).unwrap();
        assert_eq!(
            sig.to_line(),
            "\u{2014} example.com/p256-test-log dQ+Q0gAAAYvP5WgABAMARzBFAiB9Tk6tQYh93HLGPV2bj7Rchamx442/BKoOjjheAfXw7wIhAOsJfDEHjaNIn/T2tZB9KfZTt5qCJPAA2alhz0EH92k0\n"
        );
        // The note of the vector, with its 0x02 line, which we do not speak
        // and therefore ignore.
        let note = format!(
            "{TEXT}\n{}\u{2014} example.com/p256-test-log Wnp4zDBEAiB/riiN3aAAKGmGuSlWvAsQX/lntVvuWoevULs0F2uOzAIgf6TxnzihmkOqw3xjmKrEw0GzahfJYDkIbh6rM1QETgw=\n",
            sig.to_line()
        );
        let sc = open(note.as_bytes(), "example.com/p256-test-log", &[v]).unwrap();
        assert_eq!(sc.verified.len(), 1);
        assert_eq!(sc.verified[0].timestamp, Some(1_700_000_000_000));
        assert_eq!(sc.note.to_bytes(), note.as_bytes());
    }

    /// c2sp digest §13.7: the log's Ed25519 line over the same text.
    #[test]
    fn ed25519_log_signature_matches_vector() {
        let seed: [u8; 32] =
            hex::decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
                .unwrap()
                .try_into()
                .unwrap();
        let signer = Ed25519Signer::new(
            "example.com/p256-test-log",
            &Ed25519SigningKey::from_seed(&seed),
        )
        .unwrap();
        assert_eq!(signer.key_id(), 0xa7cdb653);
        assert_eq!(
            NoteSignature::new(&signer, TEXT, 0).unwrap().to_line(),
            "\u{2014} example.com/p256-test-log p822U6W9ez7TGlh/Cn+vy64Rhhwlut43WbehJSfFTgNr4nZglxBdlTl2MhOazaPiFORPv3sxjce0RTamKHV77uL9oQM=\n"
        );
    }

    /// c2sp digest §13.9: real 0x05 checkpoints of public CT logs verify, with
    /// their grease lines ignored.
    #[test]
    fn real_ct_log_checkpoints_verify() {
        let rome = Rfc6962Verifier::new(
            "rome.ct.filippo.io/2024h1",
            &spki_of_vkey_material("BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFzPC3fap+uINc1RQ4eRbYMUt84+bKkA8GDLN8KwVdzAgYhYSv4kS8XSheGLAHCWhIJTJbuC3sL88bNMTtrsBM=", 0x05),
        )
        .unwrap();
        assert_eq!(rome.key_id(), 0x78f4abae);
        let note = "rome.ct.filippo.io/2024h1\n115474666\n2q1K6aiIJR+F7TyhiWOghoWOjY0/3dVBLsBbAvB4xCw=\n\n\u{2014} rome.ct.filippo.io/2024h1 ePSrrgAAAY5+gVlSBAMARzBFAiEAv8bOMzo3Ed/GbU9fzzJvaStX6i8xTsmEF+NqvpGhIO0CIEn1X+zzVEerdix64GEn97XCXObA2G5JQ8UDDqCKdG5m\n";
        let sc = open(note.as_bytes(), "rome.ct.filippo.io/2024h1", &[rome]).unwrap();
        assert_eq!(sc.verified[0].timestamp, Some(1_711_519_390_034));

        let cf05 = PublicKey::from_spki_der(
            &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAES4yrL7jarwxEdSWrJp35uef789UYLma/F0x7bfBpW2KWnN5yuDE5XgeOAKeWM3RpycCZF2xRGAp2iHFCa4PtqA==").unwrap(),
        )
        .unwrap();
        let origin = "static-ct-dev.cloudflareresearch.com/logs/dev2024h2b";
        let v05 = Rfc6962Verifier::new(origin, &cf05).unwrap();
        assert_eq!(v05.key_id(), 0xdf49e646);
        let note = "static-ct-dev.cloudflareresearch.com/logs/dev2024h2b\n5\nYsndMEZccH1fI4kviHLu/Z1Ye3MgKkDwUHluUAOYuoY=\n\n\u{2014} grease.invalid DLzQSDHFSzQAoz8nHm/h+UEP9JGkNhwVb9IP1sW3lvI+zQ==\n\u{2014} static-ct-dev.cloudflareresearch.com/logs/dev2024h2b sFXEux8xfyu4r8oNjISiP7KHW+We4qeOjAtSpKFgGUiD9agTzD81XyNWGMw=\n\u{2014} static-ct-dev.cloudflareresearch.com/logs/dev2024h2b 30nmRgAAAZSU01GqBAMASDBGAiEAps+yrlD9GB9pxdNomlfgABvNTI+NGlMFEsiJTynTkqwCIQDcxRtu9jY1gjLV1S+W55rCrr2yvl1PqSPY2UWh3dZ+eQ==\n\u{2014} static-ct-dev.cloudflareresearch.com/logs/dev2024h2b P6OcbFTzjZ8KFH9Oi3qOwgVdtJI5XiPcCbtLDeB/GrpzhtvSIZKAq8QgmAL5YwW6wFgpcp4PYuAhbQQ87R1S2nVAqAM=\n";
        let sc = open(note.as_bytes(), origin, &[v05]).unwrap();
        assert_eq!(sc.verified.len(), 1);
        let v01 = crate::note::Ed25519Verifier::new(
            origin,
            &spki_ed25519("AUTeClyxikK31FBlNc8GxbxDdQHJFWO+neAp7jUXNtLy"),
        )
        .unwrap();
        assert_eq!(v01.key_id(), 0x3fa39c6c);
        assert_eq!(
            open(note.as_bytes(), origin, &[v01])
                .unwrap()
                .verified
                .len(),
            1
        );
    }

    fn spki_ed25519(b64: &str) -> PublicKey {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(raw[0], 0x01);
        let pk: [u8; 32] = raw[1..].try_into().unwrap();
        PublicKey::from_spki_der(&crate::keys::ed25519_spki(&pk)).unwrap()
    }

    #[test]
    fn rfc6962_key_refuses_other_origin_and_non_p256_keys() {
        let key = P256SigningKey::generate().unwrap();
        let signer = Rfc6962Signer::new("example.com/a", &key).unwrap();
        let other = "example.com/b\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
        assert_eq!(signer.sign(other, 1), Err(NoteError::Rfc6962Mismatch));
        assert_eq!(
            signer.verifier().verify(other, &[0; 80]),
            Err(NoteError::Rfc6962Mismatch)
        );
        let ed = Ed25519SigningKey::from_seed(&[3; 32]);
        assert!(Rfc6962Verifier::new("example.com/a", ed.public_key()).is_err());
    }
}
