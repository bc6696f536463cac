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

use std::fmt;

use crate::merkle::Hash;
use crate::note::{self, Note, NoteError, VerifiedSignature, VerifierKey};
use crate::tile::parse_canonical;

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
        let size = parse_canonical(lines[1])
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
pub struct SignedCheckpoint {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The whole note, with every signature line as received.
    pub note: Note,
    /// Signatures that verified with the keys given to [`open`].
    pub verified: Vec<VerifiedSignature>,
}

/// Parses a signed checkpoint and verifies it with `keys` (log keys, and
/// witness keys if the caller wants their cosignatures checked too). Ok means
/// the body is a valid checkpoint for `origin` and at least one of `keys`
/// signed it; every line by a known key verified.
pub fn open(
    bytes: &[u8],
    origin: &str,
    keys: &[VerifierKey],
) -> Result<SignedCheckpoint, CheckpointError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Ed25519SigningKey, P256SigningKey};
    use crate::note::NoteSigner;

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

    /// c2sp digest §13.6: the deterministic P-256 0x05 checkpoint, byte for
    /// byte (RFC 6979 test key, timestamp 1700000000000 ms).
    #[test]
    fn p256_rfc6962_signature_matches_vector() {
        let key = P256SigningKey::from_scalar(
            &hex::decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
                .unwrap(),
        )
        .unwrap();
        let signer = NoteSigner::Rfc6962 {
            name: "example.com/p256-test-log".into(),
            key,
        };
        let v = signer.verifier().unwrap();
        assert_eq!(
            v.to_vkey(),
            "example.com/p256-test-log+750f90d2+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGD+1LolWp0xyWHrdMY1bWjASbiSO2H6bOZpYi5g8p+2eQP+EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk="
        );
        let sig = signer.sign(TEXT, 1_700_000_000_000).unwrap();
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
        let signer = NoteSigner::Ed25519 {
            name: "example.com/p256-test-log".into(),
            key: Ed25519SigningKey::from_seed(&seed),
        };
        assert_eq!(
            signer.verifier().unwrap().to_vkey(),
            "example.com/p256-test-log+a7cdb653+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
        );
        assert_eq!(
            signer.sign(TEXT, 0).unwrap().to_line(),
            "\u{2014} example.com/p256-test-log p822U6W9ez7TGlh/Cn+vy64Rhhwlut43WbehJSfFTgNr4nZglxBdlTl2MhOazaPiFORPv3sxjce0RTamKHV77uL9oQM=\n"
        );
    }

    /// c2sp digest §13.9: real 0x05 checkpoints of public CT logs verify, with
    /// their grease lines ignored.
    #[test]
    fn real_ct_log_checkpoints_verify() {
        let rome = VerifierKey::parse("rome.ct.filippo.io/2024h1+78f4abae+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFzPC3fap+uINc1RQ4eRbYMUt84+bKkA8GDLN8KwVdzAgYhYSv4kS8XSheGLAHCWhIJTJbuC3sL88bNMTtrsBM=").unwrap();
        let note = "rome.ct.filippo.io/2024h1\n115474666\n2q1K6aiIJR+F7TyhiWOghoWOjY0/3dVBLsBbAvB4xCw=\n\n\u{2014} rome.ct.filippo.io/2024h1 ePSrrgAAAY5+gVlSBAMARzBFAiEAv8bOMzo3Ed/GbU9fzzJvaStX6i8xTsmEF+NqvpGhIO0CIEn1X+zzVEerdix64GEn97XCXObA2G5JQ8UDDqCKdG5m\n";
        let sc = open(note.as_bytes(), "rome.ct.filippo.io/2024h1", &[rome]).unwrap();
        assert_eq!(sc.verified[0].timestamp, Some(1_711_519_390_034));

        let cf05 = crate::keys::PublicKey::from_spki_der(
            &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAES4yrL7jarwxEdSWrJp35uef789UYLma/F0x7bfBpW2KWnN5yuDE5XgeOAKeWM3RpycCZF2xRGAp2iHFCa4PtqA==").unwrap(),
        )
        .unwrap();
        let origin = "static-ct-dev.cloudflareresearch.com/logs/dev2024h2b";
        let v05 = VerifierKey::rfc6962(origin, &cf05).unwrap();
        assert_eq!(v05.key_id(), 0xdf49e646);
        let v01 = VerifierKey::parse("static-ct-dev.cloudflareresearch.com/logs/dev2024h2b+3fa39c6c+AUTeClyxikK31FBlNc8GxbxDdQHJFWO+neAp7jUXNtLy").unwrap();
        let note = "static-ct-dev.cloudflareresearch.com/logs/dev2024h2b\n5\nYsndMEZccH1fI4kviHLu/Z1Ye3MgKkDwUHluUAOYuoY=\n\n\u{2014} grease.invalid DLzQSDHFSzQAoz8nHm/h+UEP9JGkNhwVb9IP1sW3lvI+zQ==\n\u{2014} static-ct-dev.cloudflareresearch.com/logs/dev2024h2b sFXEux8xfyu4r8oNjISiP7KHW+We4qeOjAtSpKFgGUiD9agTzD81XyNWGMw=\n\u{2014} static-ct-dev.cloudflareresearch.com/logs/dev2024h2b 30nmRgAAAZSU01GqBAMASDBGAiEAps+yrlD9GB9pxdNomlfgABvNTI+NGlMFEsiJTynTkqwCIQDcxRtu9jY1gjLV1S+W55rCrr2yvl1PqSPY2UWh3dZ+eQ==\n\u{2014} static-ct-dev.cloudflareresearch.com/logs/dev2024h2b P6OcbFTzjZ8KFH9Oi3qOwgVdtJI5XiPcCbtLDeB/GrpzhtvSIZKAq8QgmAL5YwW6wFgpcp4PYuAhbQQ87R1S2nVAqAM=\n";
        let sc = open(note.as_bytes(), origin, &[v05, v01]).unwrap();
        assert_eq!(sc.verified.len(), 2);
    }

    #[test]
    fn rfc6962_key_refuses_other_origin() {
        let key = P256SigningKey::generate().unwrap();
        let signer = NoteSigner::Rfc6962 {
            name: "example.com/a".into(),
            key,
        };
        let other = "example.com/b\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
        assert_eq!(signer.sign(other, 1), Err(NoteError::Rfc6962Mismatch));
    }
}
