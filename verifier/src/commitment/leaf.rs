//! The keyed leaf kinds other than the OPRF (DESIGN.md §10.3).
//!
//! `hmac_sha256_keyed`: `HMAC-SHA256(k, x)` with a 32-byte key, for sets
//! only auditors check (whoever checks must hold the key, and so sees the
//! identifier). `salted_sha256_per_subject`: `SHA-256(I2OSP(len(salt), 2) ||
//! salt || x)` with a random salt of 16 to 64 bytes per subject, delivered
//! to that subject; the length prefix keeps salt and input apart.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// HMAC key length.
pub const HMAC_KEY_LEN: usize = 32;
/// Shortest per-subject salt.
pub const MIN_SALT: usize = 16;
/// Longest per-subject salt.
pub const MAX_SALT: usize = 64;

/// Why a key or salt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafKeyError {
    /// An HMAC key that is not 32 bytes.
    #[error("HMAC key of {0} bytes, {HMAC_KEY_LEN} expected")]
    HmacKeyLength(usize),
    /// A salt outside 16..=64 bytes.
    #[error("salt of {0} bytes, {MIN_SALT} to {MAX_SALT} expected")]
    SaltLength(usize),
    /// The system's random generator failed.
    #[error("no randomness available from the operating system")]
    Random,
}

/// An HMAC-SHA256 leaf key, keyed once so each leaf costs two compressions.
#[derive(Clone)]
pub struct HmacLeafKey {
    mac: Hmac<Sha256>,
    key: Zeroizing<[u8; HMAC_KEY_LEN]>,
}

impl std::fmt::Debug for HmacLeafKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacLeafKey(redacted)")
    }
}

impl HmacLeafKey {
    /// A fresh key from the operating system's generator.
    pub fn generate() -> Result<HmacLeafKey, LeafKeyError> {
        let mut key = Zeroizing::new([0u8; HMAC_KEY_LEN]);
        getrandom::fill(&mut key[..]).map_err(|_| LeafKeyError::Random)?;
        HmacLeafKey::from_bytes(&key[..])
    }

    /// The key `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<HmacLeafKey, LeafKeyError> {
        let key: [u8; HMAC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| LeafKeyError::HmacKeyLength(bytes.len()))?;
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
            .map_err(|_| LeafKeyError::HmacKeyLength(bytes.len()))?;
        Ok(HmacLeafKey {
            mac,
            key: Zeroizing::new(key),
        })
    }

    /// The key, for the key file.
    pub fn as_bytes(&self) -> &[u8; HMAC_KEY_LEN] {
        &self.key
    }

    /// The leaf of PRF input `x`.
    pub fn leaf(&self, x: &[u8]) -> [u8; 32] {
        let mut m = self.mac.clone();
        m.update(x);
        m.finalize().into_bytes().into()
    }
}

/// The `salted_sha256_per_subject` leaf of PRF input `x` under `salt`.
pub fn salted_leaf(salt: &[u8], x: &[u8]) -> Result<[u8; 32], LeafKeyError> {
    if !(MIN_SALT..=MAX_SALT).contains(&salt.len()) {
        return Err(LeafKeyError::SaltLength(salt.len()));
    }
    let mut h = Sha256::new();
    h.update((salt.len() as u16).to_be_bytes());
    h.update(salt);
    h.update(x);
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyed_clone_equals_a_fresh_hmac() {
        let key = [7u8; 32];
        let k = HmacLeafKey::from_bytes(&key).unwrap();
        let mut direct = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        direct.update(b"what do ya want for nothing?");
        let want: [u8; 32] = direct.finalize().into_bytes().into();
        assert_eq!(k.leaf(b"what do ya want for nothing?"), want);
        assert_ne!(k.leaf(b"a"), k.leaf(b"b"));
        assert_eq!(
            HmacLeafKey::from_bytes(&[0u8; 31]).unwrap_err(),
            LeafKeyError::HmacKeyLength(31)
        );
        assert_eq!(format!("{k:?}"), "HmacLeafKey(redacted)");
    }

    #[test]
    fn the_hmac_is_rfc4231s() {
        // RFC 4231 §4.2: key = 0x0b * 20, "Hi There".
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 20]).unwrap();
        m.update(b"Hi There");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn salts_are_length_prefixed_and_bounded() {
        let x = b"ashlog-commit-v1\0c\0E164-phone\0+8613800000000";
        let s = [1u8; 16];
        let mut h = Sha256::new();
        h.update([0u8, 16]);
        h.update(s);
        h.update(x);
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(salted_leaf(&s, x).unwrap(), want);
        assert_eq!(
            salted_leaf(&[1u8; 15], x),
            Err(LeafKeyError::SaltLength(15))
        );
        assert_eq!(
            salted_leaf(&[1u8; 65], x),
            Err(LeafKeyError::SaltLength(65))
        );
        assert!(salted_leaf(&[1u8; 64], x).is_ok());
    }
}
