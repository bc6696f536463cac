//! Keys: the P-256 and Ed25519 keys of agencies, logs and witnesses.
//!
//! Private keys live in PKCS#8 PEM files created with mode 0600 (see
//! [`crate::durable::write_secret_file`]); public keys travel as SubjectPublicKeyInfo DER or as
//! C2SP vkey strings (see [`crate::note`]).
//!
//! Verification goes through [`PublicKey`], parsed once and reused. With the
//! `fast-verify` feature ECDSA and Ed25519 signatures are checked by aws-lc-rs
//! (about three times the pure-Rust rate for P-256); without it by RustCrypto.
//! Both backends accept exactly the same signatures: the tests run the same
//! vectors through each.

use std::fmt;

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use zeroize::Zeroizing;

/// Why a key or a signature was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The SubjectPublicKeyInfo is not a P-256 or Ed25519 key we can use.
    #[error("unsupported or malformed public key: {0}")]
    UnsupportedKey(String),
    /// The private key file is not a PKCS#8 PEM key of the expected type.
    #[error("malformed private key: {0}")]
    MalformedPrivateKey(String),
    /// The signature algorithm does not match the key or is not supported.
    #[error("unsupported signature algorithm {0} for this key")]
    UnsupportedAlgorithm(String),
    /// The signature bytes have the wrong length or encoding.
    #[error("malformed signature")]
    MalformedSignature,
    /// The signature is well formed but does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The operating system's random source failed.
    #[error("random number generator failed")]
    Rng,
}

/// A parsed public key, ready to verify signatures.
#[derive(Clone)]
pub struct PublicKey {
    spki: Vec<u8>,
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    P256(P256Verifier),
    Ed25519(ed25519_dalek::VerifyingKey),
}

#[derive(Clone)]
struct P256Verifier {
    key: p256::ecdsa::VerifyingKey,
    #[cfg(feature = "fast-verify")]
    fixed: std::sync::Arc<aws_lc_rs::signature::ParsedPublicKey>,
    #[cfg(feature = "fast-verify")]
    asn1: std::sync::Arc<aws_lc_rs::signature::ParsedPublicKey>,
}

impl P256Verifier {
    fn new(key: p256::ecdsa::VerifyingKey) -> Result<Self, KeyError> {
        #[cfg(feature = "fast-verify")]
        {
            use aws_lc_rs::signature::{
                ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_FIXED, ParsedPublicKey,
            };
            let point = key.to_sec1_bytes();
            let fixed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                .map_err(|e| KeyError::UnsupportedKey(e.to_string()))?;
            let asn1 = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point)
                .map_err(|e| KeyError::UnsupportedKey(e.to_string()))?;
            Ok(P256Verifier {
                key,
                fixed: std::sync::Arc::new(fixed),
                asn1: std::sync::Arc::new(asn1),
            })
        }
        #[cfg(not(feature = "fast-verify"))]
        Ok(P256Verifier { key })
    }

    fn verify_fixed(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        if sig.len() != 64 {
            return Err(KeyError::MalformedSignature);
        }
        #[cfg(feature = "fast-verify")]
        {
            self.fixed
                .verify_sig(msg, sig)
                .map_err(|_| KeyError::BadSignature)
        }
        #[cfg(not(feature = "fast-verify"))]
        {
            use p256::ecdsa::signature::Verifier;
            let sig = p256::ecdsa::Signature::from_slice(sig)
                .map_err(|_| KeyError::MalformedSignature)?;
            self.key
                .verify(msg, &sig)
                .map_err(|_| KeyError::BadSignature)
        }
    }

    fn verify_der(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        #[cfg(feature = "fast-verify")]
        {
            self.asn1
                .verify_sig(msg, sig)
                .map_err(|_| KeyError::BadSignature)
        }
        #[cfg(not(feature = "fast-verify"))]
        {
            use p256::ecdsa::signature::Verifier;
            let sig = p256::ecdsa::DerSignature::from_bytes(sig)
                .map_err(|_| KeyError::MalformedSignature)?;
            self.key
                .verify(msg, &sig)
                .map_err(|_| KeyError::BadSignature)
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({}, {})",
            self.algorithm_name(),
            hex::encode(&self.spki)
        )
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}
impl Eq for PublicKey {}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_ED25519: &str = "1.3.101.112";

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo holding a P-256 or Ed25519 key (the
    /// keys of logs, witnesses and agency leaf certificates; certificate
    /// issuers may also use P-384, which only the X.509 code handles).
    ///
    /// Ok means the encoding is strict DER with nothing after it and the key
    /// is a valid point on its curve (or a valid Ed25519 encoding), so it
    /// can verify signatures.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        use p256::pkcs8::der::Decode as _;
        let spki = p256::pkcs8::spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| KeyError::UnsupportedKey(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let key_bytes = spki.subject_public_key.as_bytes().ok_or_else(|| {
            KeyError::UnsupportedKey("public key bit string has unused bits".into())
        })?;
        let inner = match spki.algorithm.oid.to_string().as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters_oid()
                    .map_err(|_| KeyError::UnsupportedKey("EC key without named curve".into()))?
                    .to_string();
                if curve != OID_P256 {
                    return Err(KeyError::UnsupportedKey(format!(
                        "EC curve {curve} (P-256 is supported)"
                    )));
                }
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map_err(|_| KeyError::UnsupportedKey("invalid P-256 point".into()))?;
                Inner::P256(P256Verifier::new(key)?)
            }
            OID_ED25519 => {
                if spki.algorithm.parameters.is_some() {
                    return Err(KeyError::UnsupportedKey(
                        "Ed25519 key with algorithm parameters (RFC 8410 forbids them)".into(),
                    ));
                }
                let bytes: [u8; 32] = key_bytes
                    .try_into()
                    .map_err(|_| KeyError::UnsupportedKey("Ed25519 key is not 32 bytes".into()))?;
                Inner::Ed25519(
                    ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                        .map_err(|_| KeyError::UnsupportedKey("invalid Ed25519 key".into()))?,
                )
            }
            other => {
                return Err(KeyError::UnsupportedKey(format!(
                    "key algorithm {other} (ECDSA P-256 and Ed25519 are supported)"
                )));
            }
        };
        Ok(PublicKey {
            spki: der.to_vec(),
            inner,
        })
    }

    /// Wraps a P-256 verifying key.
    pub fn from_p256(key: &p256::ecdsa::VerifyingKey) -> Result<PublicKey, KeyError> {
        let spki = key
            .to_public_key_der()
            .map_err(|e| KeyError::UnsupportedKey(e.to_string()))?
            .as_bytes()
            .to_vec();
        Ok(PublicKey {
            spki,
            inner: Inner::P256(P256Verifier::new(*key)?),
        })
    }

    /// Wraps an Ed25519 verifying key.
    pub fn from_ed25519(key: &ed25519_dalek::VerifyingKey) -> PublicKey {
        PublicKey {
            spki: ed25519_spki(key.as_bytes()),
            inner: Inner::Ed25519(*key),
        }
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// "P-256" or "Ed25519".
    pub fn algorithm_name(&self) -> &'static str {
        match self.inner {
            Inner::P256(_) => "P-256",
            Inner::Ed25519(_) => "Ed25519",
        }
    }

    /// The P-256 key, if this is one.
    pub fn as_p256(&self) -> Option<&p256::ecdsa::VerifyingKey> {
        match &self.inner {
            Inner::P256(v) => Some(&v.key),
            _ => None,
        }
    }

    /// The Ed25519 key, if this is one.
    pub fn as_ed25519(&self) -> Option<&ed25519_dalek::VerifyingKey> {
        match &self.inner {
            Inner::Ed25519(k) => Some(k),
            _ => None,
        }
    }

    /// Verifies a COSE ES256 signature: ECDSA P-256 with SHA-256 over `msg`,
    /// the signature as the 64-byte big-endian `r || s` of RFC 9053 §2.1.
    pub fn verify_es256(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        match &self.inner {
            Inner::P256(v) => v.verify_fixed(msg, sig),
            _ => Err(KeyError::UnsupportedAlgorithm(format!(
                "ES256 with a {} key",
                self.algorithm_name()
            ))),
        }
    }

    /// Verifies a DER-encoded ECDSA P-256/SHA-256 signature (as in X.509 and
    /// the RFC 6962 tree-head signature of note type 0x05).
    pub fn verify_ecdsa_p256_der(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        match &self.inner {
            Inner::P256(v) => v.verify_der(msg, sig),
            _ => Err(KeyError::UnsupportedAlgorithm(format!(
                "ecdsa-with-SHA256 with a {} key",
                self.algorithm_name()
            ))),
        }
    }

    /// Verifies a 64-byte Ed25519 signature (RFC 8032, strict: rejects
    /// non-canonical encodings and small-order keys as ed25519-dalek's
    /// `verify_strict` does).
    pub fn verify_ed25519(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        match &self.inner {
            Inner::Ed25519(k) => verify_ed25519_with(k, msg, sig),
            _ => Err(KeyError::UnsupportedAlgorithm(format!(
                "Ed25519 with a {} key",
                self.algorithm_name()
            ))),
        }
    }
}

fn verify_ed25519_with(
    k: &ed25519_dalek::VerifyingKey,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), KeyError> {
    let sig: [u8; 64] = sig.try_into().map_err(|_| KeyError::MalformedSignature)?;
    let sig = ed25519_dalek::Signature::from_bytes(&sig);
    k.verify_strict(msg, &sig)
        .map_err(|_| KeyError::BadSignature)
}

/// DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): a fixed 12-byte
/// prefix and the 32-byte key.
pub fn ed25519_spki(key: &[u8; 32]) -> Vec<u8> {
    let mut out = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    out.extend_from_slice(key);
    out
}

fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>, KeyError> {
    let mut buf = Zeroizing::new([0u8; N]);
    getrandom::fill(buf.as_mut()).map_err(|_| KeyError::Rng)?;
    Ok(buf)
}

/// A P-256 private key: agencies sign statements with it, the log signs
/// checkpoints (note type 0x05) and receipts.
#[derive(Clone)]
pub struct P256SigningKey {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl fmt::Debug for P256SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "P256SigningKey({:?})", self.public)
    }
}

impl P256SigningKey {
    /// Generates a fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        loop {
            let seed = random_bytes::<32>()?;
            // A scalar of zero or above the group order is rejected; the
            // chance is about 2^-32, so retrying is the whole remedy.
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                return Self::from_key(key);
            }
        }
    }

    /// Builds a key from a 32-byte big-endian scalar (test vectors only).
    pub fn from_scalar(bytes: &[u8]) -> Result<Self, KeyError> {
        let key = p256::ecdsa::SigningKey::from_slice(bytes)
            .map_err(|_| KeyError::MalformedPrivateKey("invalid P-256 scalar".into()))?;
        Self::from_key(key)
    }

    fn from_key(key: p256::ecdsa::SigningKey) -> Result<Self, KeyError> {
        let public = PublicKey::from_p256(key.verifying_key())?;
        Ok(P256SigningKey { key, public })
    }

    /// Reads a PKCS#8 PEM P-256 private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| KeyError::MalformedPrivateKey("not a PKCS#8 PEM P-256 key".into()))?;
        Self::from_key(key)
    }

    /// Encodes the key as PKCS#8 PEM. The string is wiped when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::MalformedPrivateKey(e.to_string()))
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The underlying RustCrypto key, for libraries that need it (rcgen, CSRs).
    pub fn as_p256(&self) -> &p256::ecdsa::SigningKey {
        &self.key
    }

    /// ES256 signature (RFC 6979 deterministic), as 64-byte `r || s`.
    pub fn sign_es256(&self, msg: &[u8]) -> [u8; 64] {
        use p256::ecdsa::signature::Signer;
        let sig: p256::ecdsa::Signature = self.key.sign(msg);
        let mut out = [0u8; 64];
        out.copy_from_slice(&sig.to_bytes());
        out
    }

    /// ECDSA P-256/SHA-256 signature in ASN.1 DER (RFC 6979 deterministic).
    pub fn sign_der(&self, msg: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        let sig: p256::ecdsa::Signature = self.key.sign(msg);
        sig.to_der().as_bytes().to_vec()
    }
}

/// An Ed25519 private key: the log's `0x01` checkpoint key and witnesses'
/// cosignature keys.
#[derive(Clone)]
pub struct Ed25519SigningKey {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519SigningKey({:?})", self.public)
    }
}

impl Ed25519SigningKey {
    /// Generates a fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let seed = random_bytes::<32>()?;
        Ok(Self::from_seed(&seed))
    }

    /// Builds a key from its 32-byte RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let public = PublicKey::from_ed25519(&key.verifying_key());
        Ed25519SigningKey { key, public }
    }

    /// Reads a PKCS#8 PEM Ed25519 private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey as _;
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| KeyError::MalformedPrivateKey("not a PKCS#8 PEM Ed25519 key".into()))?;
        let public = PublicKey::from_ed25519(&key.verifying_key());
        Ok(Ed25519SigningKey { key, public })
    }

    /// Encodes the key as PKCS#8 PEM. The string is wiped when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        self.key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| KeyError::MalformedPrivateKey(e.to_string()))
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The raw 32-byte public key.
    pub fn public_bytes(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// RFC 8032 signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.key.sign(msg).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC6979_P256: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";

    #[test]
    fn p256_sign_matches_rfc6979_sample() {
        let key = P256SigningKey::from_scalar(&hex::decode(RFC6979_P256).unwrap()).unwrap();
        let sig = key.sign_es256(b"sample");
        assert_eq!(
            hex::encode_upper(sig),
            "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716\
             F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
        );
        key.public_key().verify_es256(b"sample", &sig).unwrap();
        assert_eq!(
            key.public_key().verify_es256(b"sampLe", &sig),
            Err(KeyError::BadSignature)
        );
    }

    #[test]
    fn p256_spki_matches_digest_vector() {
        let key = P256SigningKey::from_scalar(&hex::decode(RFC6979_P256).unwrap()).unwrap();
        assert_eq!(
            hex::encode(key.public_key().spki_der()),
            "3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
        );
        let parsed = PublicKey::from_spki_der(key.public_key().spki_der()).unwrap();
        assert_eq!(&parsed, key.public_key());
    }

    #[test]
    fn der_and_fixed_signatures_both_verify() {
        let key = P256SigningKey::generate().unwrap();
        let der = key.sign_der(b"msg");
        key.public_key()
            .verify_ecdsa_p256_der(b"msg", &der)
            .unwrap();
        assert_eq!(
            key.public_key().verify_es256(b"msg", &der),
            Err(KeyError::MalformedSignature)
        );
    }

    #[test]
    fn ed25519_matches_rfc8032_test1() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = Ed25519SigningKey::from_seed(&seed);
        assert_eq!(
            hex::encode(key.public_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        key.public_key().verify_ed25519(b"", &sig).unwrap();
        let spki = PublicKey::from_spki_der(key.public_key().spki_der()).unwrap();
        spki.verify_ed25519(b"", &sig).unwrap();
        assert!(spki.verify_ed25519(b"x", &sig).is_err());
    }

    #[test]
    fn pem_round_trips() {
        let p = P256SigningKey::generate().unwrap();
        let pem = p.to_pkcs8_pem().unwrap();
        let back = P256SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public_key(), p.public_key());
        assert!(Ed25519SigningKey::from_pkcs8_pem(&pem).is_err());

        let e = Ed25519SigningKey::generate().unwrap();
        let pem = e.to_pkcs8_pem().unwrap();
        let back = Ed25519SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public_bytes(), e.public_bytes());
        assert!(P256SigningKey::from_pkcs8_pem(&pem).is_err());
    }

    #[test]
    fn rejects_unsupported_spki() {
        assert!(matches!(
            PublicKey::from_spki_der(b"\x30\x00"),
            Err(KeyError::UnsupportedKey(_))
        ));
    }
}
