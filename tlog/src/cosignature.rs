//! C2SP tlog-cosignature `cosignature/v1` (signature type `0x04`): a
//! witness's timestamped Ed25519 signature over a checkpoint.
//!
//! The signed message is
//!
//! ```text
//! cosignature/v1\n
//! time <seconds since the epoch>\n
//! <the whole checkpoint text>
//! ```
//!
//! and the signature blob is the 8-byte big-endian timestamp followed by the
//! 64-byte Ed25519 signature. It means: at that time, this was the largest
//! tree the witness had seen for that origin, consistent with all before.
//! The message does not name the witness, so one key is one witness.

use crate::keys::{Ed25519SigningKey, KeyError, PublicKey};
use crate::note::{self, NoteError, SigType, Signer, Verifier};

/// Length of a cosignature/v1 blob after the key id.
pub const COSIGNATURE_V1_LEN: usize = 72;

fn message(text: &str, timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(text.as_bytes());
    m
}

/// Signs `text` (a checkpoint body) at `timestamp` seconds; returns the
/// 72-byte blob.
pub fn sign_v1(key: &Ed25519SigningKey, text: &str, timestamp: u64) -> Vec<u8> {
    let mut out = timestamp.to_be_bytes().to_vec();
    out.extend_from_slice(&key.sign(&message(text, timestamp)));
    out
}

/// Verifies a 72-byte cosignature/v1 blob over `text`; Ok gives its
/// timestamp in seconds. Timestamps above 2^63-1 are refused, as the spec
/// requires.
pub fn verify_v1(key: &PublicKey, text: &str, blob: &[u8]) -> Result<u64, KeyError> {
    if blob.len() != COSIGNATURE_V1_LEN {
        return Err(KeyError::MalformedSignature);
    }
    let ts = u64::from_be_bytes(
        blob[..8]
            .try_into()
            .map_err(|_| KeyError::MalformedSignature)?,
    );
    if ts > i64::MAX as u64 {
        return Err(KeyError::MalformedSignature);
    }
    key.verify_ed25519(&message(text, ts), &blob[8..])?;
    Ok(ts)
}

/// A `0x04` cosignature/v1 verifier: a witness's Ed25519 key under its
/// name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureV1Verifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl CosignatureV1Verifier {
    /// A verifier for `key` under `name`; refuses a key that is not Ed25519.
    pub fn new(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        let raw = key.as_ed25519().map(|k| k.to_bytes());
        note::check_key(name, SigType::CosignatureV1, key, raw.is_some())?;
        Ok(CosignatureV1Verifier {
            name: name.to_string(),
            key_id: note::key_id(name, SigType::CosignatureV1, &raw.unwrap_or_default()),
            key: key.clone(),
        })
    }

    /// The raw 32-byte key: what the key id hashes and the vkey carries.
    pub fn key_material(&self) -> Vec<u8> {
        self.key
            .as_ed25519()
            .map(|k| k.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

impl Verifier for CosignatureV1Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        let ts = verify_v1(&self.key, text, sig).map_err(|_| NoteError::InvalidSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        })?;
        Ok(Some(ts))
    }
}

/// A `0x04` cosignature/v1 signer: a witness's Ed25519 key.
#[derive(Clone, Debug)]
pub struct CosignatureV1Signer {
    verifier: CosignatureV1Verifier,
    key: Ed25519SigningKey,
}

impl CosignatureV1Signer {
    /// A signer for `key` under `name`.
    pub fn new(name: &str, key: &Ed25519SigningKey) -> Result<Self, NoteError> {
        Ok(CosignatureV1Signer {
            verifier: CosignatureV1Verifier::new(name, key.public_key())?,
            key: key.clone(),
        })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &CosignatureV1Verifier {
        &self.verifier
    }
}

impl Signer for CosignatureV1Signer {
    fn name(&self) -> &str {
        &self.verifier.name
    }
    fn key_id(&self) -> u32 {
        self.verifier.key_id
    }
    /// `timestamp` is in seconds.
    fn sign(&self, text: &str, timestamp: u64) -> Result<Vec<u8>, NoteError> {
        Ok(sign_v1(&self.key, text, timestamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{Note, NoteSignature};

    /// c2sp digest §13.7: witness `witness.example.com/w1` (RFC 8032 TEST 1
    /// key) cosigning the size-8 checkpoint at time 1700000000.
    #[test]
    fn cosignature_matches_vector() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let signer = CosignatureV1Signer::new(
            "witness.example.com/w1",
            &Ed25519SigningKey::from_seed(&seed),
        )
        .unwrap();
        let v = signer.verifier().clone();
        assert_eq!(v.key_id(), 0x7e6f4aaa);
        let text = "example.com/p256-test-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
        let sig = NoteSignature::new(&signer, text, 1_700_000_000).unwrap();
        assert_eq!(
            sig.to_line(),
            "\u{2014} witness.example.com/w1 fm9KqgAAAABlU/EAcUN6L9yvENRn4FrVSEUw0wDgtTu1+iT9cx6FJD9rz7aeSHm8RG4RLQvQyyzqtX1pN0Xt/YrFw41WD0xMPnbaDw==\n"
        );
        let mut n = Note::new(text).unwrap();
        n.add_signature(sig).unwrap();
        let got = n.verify(&[v]).unwrap();
        assert_eq!(got[0].timestamp, Some(1_700_000_000));
    }

    #[test]
    fn cosignature_rejects_tampering() {
        let key = Ed25519SigningKey::generate().unwrap();
        let blob = sign_v1(&key, "o\n1\nAAAA\n", 5);
        assert_eq!(verify_v1(key.public_key(), "o\n1\nAAAA\n", &blob), Ok(5));
        let mut bad = blob.clone();
        bad[7] ^= 1;
        assert!(verify_v1(key.public_key(), "o\n1\nAAAA\n", &bad).is_err());
        assert!(verify_v1(key.public_key(), "o\n2\nAAAA\n", &blob).is_err());
        assert!(verify_v1(key.public_key(), "o\n1\nAAAA\n", &blob[..71]).is_err());
        let v = CosignatureV1Verifier::new("w", key.public_key()).unwrap();
        assert_eq!(v.verify("o\n1\nAAAA\n", &blob), Ok(Some(5)));
        assert!(v.verify("o\n1\nAAAA\n", &bad).is_err());
    }
}
