//! Every note key type ashlog speaks, as one value: [`VerifierKey`] (what
//! policies list and vkey strings carry) and [`NoteSigner`] (what logs and
//! witnesses sign with).
//!
//! A vkey is `<name>+<hex8 key id>+<base64(type || key material)>`; the key
//! material is the raw Ed25519 key for `0x01` and `0x04`, and the SPKI DER
//! for `0x05` (the transparency-dev/formats convention). Each type's
//! verification and signing lives with what it signs ([`crate::note`],
//! [`crate::cosignature`], [`crate::checkpoint`]); this module only
//! dispatches, so it is the one place a new type is added.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::{Rfc6962Signer, Rfc6962Verifier};
use crate::cosignature::{CosignatureV1Signer, CosignatureV1Verifier};
use crate::keys::{Ed25519SigningKey, P256SigningKey, PublicKey};
use crate::note::{
    self, Ed25519Signer, Ed25519Verifier, NoteError, NoteSignature, SigType, Signer, Verifier,
};

/// A public key that verifies one type of note signature under one name.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifierKey {
    /// `0x01` Ed25519.
    Ed25519(Ed25519Verifier),
    /// `0x04` cosignature/v1.
    CosignatureV1(CosignatureV1Verifier),
    /// `0x05` RFC 6962 ECDSA P-256.
    Rfc6962(Rfc6962Verifier),
}

impl VerifierKey {
    /// An Ed25519 (`0x01`) verifier.
    pub fn ed25519(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        Ok(VerifierKey::Ed25519(Ed25519Verifier::new(name, key)?))
    }

    /// A cosignature/v1 (`0x04`) verifier.
    pub fn cosignature(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        Ok(VerifierKey::CosignatureV1(CosignatureV1Verifier::new(
            name, key,
        )?))
    }

    /// An RFC 6962 (`0x05`) verifier for a P-256 key. `name` must be the
    /// origin of the checkpoints it verifies.
    pub fn rfc6962(name: &str, key: &PublicKey) -> Result<Self, NoteError> {
        Ok(VerifierKey::Rfc6962(Rfc6962Verifier::new(name, key)?))
    }

    /// Parses `<name>+<hex8 key id>+<base64(type || key)>`. The key id must
    /// match the one derived from name and key (a mismatch is a typo or a
    /// forgery, and either way the key would never verify anything).
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::MalformedKey(format!("{why}: {vkey:?}"));
        // base64 may itself contain '+': split on the first two only.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+keyid+key"));
        };
        note::check_key_name(name)?;
        if id.len() != 8
            || !id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(bad("key id must be 8 lowercase hex digits"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad("bad key id"))?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let (&t, material) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        let sig_type =
            SigType::from_byte(t).ok_or_else(|| bad(&format!("unsupported key type 0x{t:02x}")))?;
        let ed25519 = || -> Result<PublicKey, NoteError> {
            let pk: [u8; 32] = material
                .try_into()
                .map_err(|_| bad("Ed25519 key must be 32 bytes"))?;
            Ok(PublicKey::from_spki_der(&crate::keys::ed25519_spki(&pk))?)
        };
        let v = match sig_type {
            SigType::Ed25519 => Self::ed25519(name, &ed25519()?)?,
            SigType::CosignatureV1 => Self::cosignature(name, &ed25519()?)?,
            SigType::Rfc6962 => Self::rfc6962(name, &PublicKey::from_spki_der(material)?)?,
        };
        if v.key_id() != id {
            return Err(bad("key id does not match the key"));
        }
        Ok(v)
    }

    /// The vkey string.
    pub fn to_vkey(&self) -> String {
        let mut material = vec![self.sig_type().byte()];
        material.extend(match self {
            VerifierKey::Ed25519(v) => v.key_material(),
            VerifierKey::CosignatureV1(v) => v.key_material(),
            VerifierKey::Rfc6962(v) => v.key_material(),
        });
        format!(
            "{}+{:08x}+{}",
            self.name(),
            self.key_id(),
            B64.encode(material)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        self.inner().name()
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.inner().key_id()
    }

    /// The signature type.
    pub fn sig_type(&self) -> SigType {
        match self {
            VerifierKey::Ed25519(_) => SigType::Ed25519,
            VerifierKey::CosignatureV1(_) => SigType::CosignatureV1,
            VerifierKey::Rfc6962(_) => SigType::Rfc6962,
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        match self {
            VerifierKey::Ed25519(v) => v.public_key(),
            VerifierKey::CosignatureV1(v) => v.public_key(),
            VerifierKey::Rfc6962(v) => v.public_key(),
        }
    }

    /// Verifies one signature blob (without the key id) over `text`; see
    /// [`Verifier::verify`].
    pub fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        self.inner().verify(text, sig)
    }

    fn inner(&self) -> &dyn Verifier {
        match self {
            VerifierKey::Ed25519(v) => v,
            VerifierKey::CosignatureV1(v) => v,
            VerifierKey::Rfc6962(v) => v,
        }
    }
}

impl Verifier for VerifierKey {
    fn name(&self) -> &str {
        VerifierKey::name(self)
    }
    fn key_id(&self) -> u32 {
        VerifierKey::key_id(self)
    }
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        VerifierKey::verify(self, text, sig)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// A private key that signs notes of one signature type under one name.
#[derive(Clone, Debug)]
pub enum NoteSigner {
    /// `0x01` Ed25519.
    Ed25519 {
        /// Key name (for a log: its origin).
        name: String,
        /// The key.
        key: Ed25519SigningKey,
    },
    /// `0x05` RFC 6962 ECDSA P-256; the name must be the checkpoint origin.
    Rfc6962 {
        /// Key name (the origin).
        name: String,
        /// The key.
        key: P256SigningKey,
    },
    /// `0x04` cosignature/v1.
    Cosignature {
        /// Witness name.
        name: String,
        /// The key.
        key: Ed25519SigningKey,
    },
}

impl NoteSigner {
    /// The matching verifier.
    pub fn verifier(&self) -> Result<VerifierKey, NoteError> {
        match self {
            NoteSigner::Ed25519 { name, key } => VerifierKey::ed25519(name, key.public_key()),
            NoteSigner::Rfc6962 { name, key } => VerifierKey::rfc6962(name, key.public_key()),
            NoteSigner::Cosignature { name, key } => {
                VerifierKey::cosignature(name, key.public_key())
            }
        }
    }

    /// Signs `text` (the signed part of a note). `timestamp` is milliseconds
    /// for 0x05, seconds for 0x04, ignored for 0x01.
    pub fn sign(&self, text: &str, timestamp: u64) -> Result<NoteSignature, NoteError> {
        match self {
            NoteSigner::Ed25519 { name, key } => {
                NoteSignature::new(&Ed25519Signer::new(name, key)?, text, timestamp)
            }
            NoteSigner::Rfc6962 { name, key } => {
                NoteSignature::new(&Rfc6962Signer::new(name, key)?, text, timestamp)
            }
            NoteSigner::Cosignature { name, key } => {
                NoteSignature::new(&CosignatureV1Signer::new(name, key)?, text, timestamp)
            }
        }
    }
}

impl Signer for NoteSigner {
    fn name(&self) -> &str {
        match self {
            NoteSigner::Ed25519 { name, .. }
            | NoteSigner::Rfc6962 { name, .. }
            | NoteSigner::Cosignature { name, .. } => name,
        }
    }
    fn key_id(&self) -> u32 {
        self.verifier().map(|v| v.key_id()).unwrap_or(0)
    }
    fn sign(&self, text: &str, timestamp: u64) -> Result<Vec<u8>, NoteError> {
        NoteSigner::sign(self, text, timestamp).map(|s| s.sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Note;

    #[test]
    fn go_example_vkeys_parse_and_print() {
        for vkey in [
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        ] {
            let v = VerifierKey::parse(vkey).unwrap();
            assert_eq!(v.sig_type(), SigType::Ed25519);
            assert_eq!(v.to_vkey(), vkey);
        }
        let v = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert_eq!(
            Note::parse(note.as_bytes())
                .unwrap()
                .verify(&[v])
                .unwrap()
                .len(),
            1
        );
    }

    /// The vkeys of the c2sp digest §13 vectors (the signatures themselves
    /// are checked in `checkpoint` and `cosignature`).
    #[test]
    fn digest_vector_vkeys_match() {
        let p256 = P256SigningKey::from_scalar(
            &hex::decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
                .unwrap(),
        )
        .unwrap();
        let seed = |h: &str| -> [u8; 32] { hex::decode(h).unwrap().try_into().unwrap() };
        let cases = [
            (
                NoteSigner::Rfc6962 {
                    name: "example.com/p256-test-log".into(),
                    key: p256,
                },
                "example.com/p256-test-log+750f90d2+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGD+1LolWp0xyWHrdMY1bWjASbiSO2H6bOZpYi5g8p+2eQP+EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk=",
            ),
            (
                NoteSigner::Ed25519 {
                    name: "example.com/p256-test-log".into(),
                    key: Ed25519SigningKey::from_seed(&seed(
                        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                    )),
                },
                "example.com/p256-test-log+a7cdb653+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM",
            ),
            (
                NoteSigner::Cosignature {
                    name: "witness.example.com/w1".into(),
                    key: Ed25519SigningKey::from_seed(&seed(
                        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                    )),
                },
                "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
            ),
        ];
        let text = "example.com/p256-test-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
        for (signer, vkey) in cases {
            let v = signer.verifier().unwrap();
            assert_eq!(v.to_vkey(), vkey);
            assert_eq!(VerifierKey::parse(vkey).unwrap(), v);
            let mut n = Note::new(text).unwrap();
            n.sign(&signer, 1_700_000_000).unwrap();
            n.verify(&[v]).unwrap();
        }
    }

    #[test]
    fn real_ct_log_vkeys_parse() {
        let v = VerifierKey::parse("rome.ct.filippo.io/2024h1+78f4abae+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFzPC3fap+uINc1RQ4eRbYMUt84+bKkA8GDLN8KwVdzAgYhYSv4kS8XSheGLAHCWhIJTJbuC3sL88bNMTtrsBM=").unwrap();
        assert_eq!(v.sig_type(), SigType::Rfc6962);
        let v = VerifierKey::parse("static-ct-dev.cloudflareresearch.com/logs/dev2024h2b+3fa39c6c+AUTeClyxikK31FBlNc8GxbxDdQHJFWO+neAp7jUXNtLy").unwrap();
        assert_eq!(v.sig_type(), SigType::Ed25519);
    }

    #[test]
    fn vkey_rejects_wrong_key_id_and_names() {
        for bad in [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
            "a b+c74f20a3+ARpc",
            "name+c74f20a3",
            "",
        ] {
            assert!(VerifierKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signer_refuses_a_key_of_the_wrong_type_for_its_name() {
        let s = NoteSigner::Rfc6962 {
            name: "a b".into(),
            key: P256SigningKey::generate().unwrap(),
        };
        assert!(s.verifier().is_err());
        assert!(
            s.sign("a b\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", 0)
                .is_err()
        );
    }
}
