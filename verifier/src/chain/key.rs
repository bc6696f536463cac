//! Certificate keys and signature algorithms: what an X.509 issuer may sign
//! with (ECDSA P-256/SHA-256, P-384/SHA-384, Ed25519), a superset of the
//! log-format keys of `ashlog_tlog::keys`, which only know P-256 and Ed25519.

use std::fmt;

use crate::keys::{KeyError, PublicKey};

/// A signature algorithm as used in X.509 certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigAlg {
    /// ecdsa-with-SHA256 (1.2.840.10045.4.3.2), DER-encoded signature.
    EcdsaSha256,
    /// ecdsa-with-SHA384 (1.2.840.10045.4.3.3), DER-encoded signature.
    EcdsaSha384,
    /// Ed25519 (1.3.101.112), 64-byte signature.
    Ed25519,
}

impl SigAlg {
    /// Maps an X.509 signature algorithm OID (dotted) to a supported algorithm.
    pub(crate) fn from_oid(oid: &str) -> Option<SigAlg> {
        match oid {
            "1.2.840.10045.4.3.2" => Some(SigAlg::EcdsaSha256),
            "1.2.840.10045.4.3.3" => Some(SigAlg::EcdsaSha384),
            "1.3.101.112" => Some(SigAlg::Ed25519),
            _ => None,
        }
    }
}

impl fmt::Display for SigAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SigAlg::EcdsaSha256 => "ecdsa-with-SHA256",
            SigAlg::EcdsaSha384 => "ecdsa-with-SHA384",
            SigAlg::Ed25519 => "Ed25519",
        })
    }
}

/// The public key of a certificate.
#[derive(Clone)]
pub(crate) enum CertKey {
    /// P-256 or Ed25519: the log-format key, with its fast verifier.
    Core(PublicKey),
    /// P-384, which only certificate issuers use.
    P384(p384::ecdsa::VerifyingKey),
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";

impl CertKey {
    /// Parses a certificate's SubjectPublicKeyInfo (as x509-parser reads
    /// it). Ok means a valid P-256, P-384 or Ed25519 key.
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<CertKey, KeyError> {
        use x509_parser::prelude::FromDer;
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| KeyError::UnsupportedKey(format!("not a SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(KeyError::UnsupportedKey(
                "trailing bytes after SubjectPublicKeyInfo".into(),
            ));
        }
        let alg = spki.algorithm.algorithm.to_id_string();
        let key_bytes: &[u8] = &spki.subject_public_key.data;
        match alg.as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .ok_or_else(|| KeyError::UnsupportedKey("EC key without named curve".into()))?;
                match curve.as_str() {
                    OID_P256 => {
                        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                            .map_err(|_| KeyError::UnsupportedKey("invalid P-256 point".into()))?;
                        Ok(CertKey::Core(PublicKey::from_p256(&key)?))
                    }
                    OID_P384 => Ok(CertKey::P384(
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                            .map_err(|_| KeyError::UnsupportedKey("invalid P-384 point".into()))?,
                    )),
                    other => Err(KeyError::UnsupportedKey(format!(
                        "EC curve {other} (P-256 and P-384 are supported)"
                    ))),
                }
            }
            OID_ED25519 => {
                let bytes: [u8; 32] = key_bytes
                    .try_into()
                    .map_err(|_| KeyError::UnsupportedKey("Ed25519 key is not 32 bytes".into()))?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| KeyError::UnsupportedKey("invalid Ed25519 key".into()))?;
                Ok(CertKey::Core(PublicKey::from_ed25519(&key)))
            }
            other => Err(KeyError::UnsupportedKey(format!(
                "key algorithm {other} (ECDSA P-256/P-384 and Ed25519 are supported)"
            ))),
        }
    }

    /// "P-256", "P-384" or "Ed25519".
    pub(crate) fn algorithm_name(&self) -> &'static str {
        match self {
            CertKey::Core(k) => k.algorithm_name(),
            CertKey::P384(_) => "P-384",
        }
    }

    /// Verifies a certificate signature made with `alg`. Only the curve and
    /// hash pairs of RFC 5758 (P-256 with SHA-256, P-384 with SHA-384) and
    /// Ed25519 are accepted.
    pub(crate) fn verify_x509(&self, alg: SigAlg, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        match (self, alg) {
            (CertKey::Core(k), SigAlg::EcdsaSha256) if k.as_p256().is_some() => {
                k.verify_ecdsa_p256_der(msg, sig)
            }
            (CertKey::Core(k), SigAlg::Ed25519) if k.as_ed25519().is_some() => {
                k.verify_ed25519(msg, sig)
            }
            (CertKey::P384(k), SigAlg::EcdsaSha384) => verify_p384(k, msg, sig),
            _ => Err(KeyError::UnsupportedAlgorithm(format!(
                "{alg} with a {} key",
                self.algorithm_name()
            ))),
        }
    }
}

#[cfg(feature = "fast-verify")]
fn verify_p384(k: &p384::ecdsa::VerifyingKey, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
    use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1, UnparsedPublicKey};
    let point = k.to_sec1_bytes();
    UnparsedPublicKey::new(&ECDSA_P384_SHA384_ASN1, &point)
        .verify(msg, sig)
        .map_err(|_| KeyError::BadSignature)
}

#[cfg(not(feature = "fast-verify"))]
fn verify_p384(k: &p384::ecdsa::VerifyingKey, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
    use p384::ecdsa::signature::Verifier;
    let sig =
        p384::ecdsa::DerSignature::from_bytes(sig).map_err(|_| KeyError::MalformedSignature)?;
    k.verify(msg, &sig).map_err(|_| KeyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::P256SigningKey;

    #[test]
    fn der_signatures_verify_only_with_their_algorithm() {
        let key = P256SigningKey::generate().unwrap();
        let der = key.sign_der(b"msg");
        let k = CertKey::from_spki_der(key.public_key().spki_der()).unwrap();
        k.verify_x509(SigAlg::EcdsaSha256, b"msg", &der).unwrap();
        assert!(k.verify_x509(SigAlg::EcdsaSha256, b"msG", &der).is_err());
        assert!(matches!(
            k.verify_x509(SigAlg::EcdsaSha384, b"msg", &der),
            Err(KeyError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            k.verify_x509(SigAlg::Ed25519, b"msg", &der),
            Err(KeyError::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn rejects_unsupported_spki() {
        assert!(matches!(
            CertKey::from_spki_der(b"\x30\x00"),
            Err(KeyError::UnsupportedKey(_))
        ));
    }
}
