//! X.509 certificate chains: the `x5chain` (COSE header 33) of a signed
//! statement, checked against the trust anchors the log accepts.
//!
//! A chain arrives leaf first, optionally with its root. [`CertChain`] parses
//! it (bounded by [`MAX_CHAIN_LEN`] and [`MAX_CERT_BYTES`]) and
//! [`CertChain::validate`] walks it from the leaf up to one of the configured
//! [`TrustAnchors`], which is a subset of the RFC 5280 §6 path validation:
//!
//! - every certificate on the path, the anchor included, is valid at every
//!   requested time (`notBefore <= t <= notAfter`, both inclusive);
//! - the issuer of certificate `i` is certificate `i + 1`, or, after the last
//!   certificate sent, a trust anchor whose subject equals its issuer name;
//!   names are compared as raw DER, stricter than RFC 5280's comparison rules;
//! - every issuer in the chain has basicConstraints `cA=true`, keyUsage
//!   `keyCertSign` if it has a keyUsage at all, and its `pathLenConstraint`
//!   (and the anchor's) is respected, not counting self-issued certificates;
//! - every signature verifies, with the algorithms of `chain/key.rs`:
//!   ECDSA P-256/SHA-256, P-384/SHA-384 and Ed25519;
//! - the leaf is not a CA, has keyUsage `digitalSignature`, and holds a P-256
//!   key (statements are ES256);
//! - no certificate on the path has a critical extension ashlog does not
//!   process. Processed: basicConstraints, keyUsage, subjectAltName,
//!   extKeyUsage (read, never restricts: ashlog defines no key purpose of its
//!   own), subjectKeyIdentifier and authorityKeyIdentifier. nameConstraints is
//!   *not* implemented: a critical one is refused, and a non-critical one (which
//!   RFC 5280 forbids) makes the certificate malformed, so a constraint a CA
//!   meant to impose is never silently ignored.
//!
//! The path stops at the first certificate in the chain that is a trust anchor
//! (byte-identical, or the same subject and public key); the configured copy
//! of the anchor is what counts, and certificates after it are not examined.
//! The anchor's own signature is never checked: it is trusted by
//! configuration. Not done: revocation (CRL, OCSP), certificate policies,
//! name constraints, path building over certificates outside the chain.
//!
//! Validation is deterministic: the same chain, anchors and times always give
//! the same answer, so the log caches [`ValidatedChain`]s by
//! [`CertChain::fingerprint`] and re-checks only time on a hit, with
//! [`ValidatedChain::not_before`] and [`ValidatedChain::not_after`].

#![deny(clippy::unwrap_used, clippy::expect_used)]
#![warn(missing_docs)]

mod cache;
mod cert;
mod error;
mod key;
mod pem;

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::keys::PublicKey;
pub use cache::{ChainCache, Lookup};
use cert::{Cert, dn_string, role_in_chain};
use error::ext_name;
pub use error::{CertRole, ChainError};
use key::CertKey;

/// Most certificates accepted in one x5chain (leaf + intermediates [+ root]).
///
/// Agency hierarchies are 2 to 4 certificates deep (root, perhaps a policy
/// CA, the issuing CA, the leaf); 8 is twice that, which leaves room for a
/// bridge or cross-certificate and the root sent along. Every certificate past
/// the leaf costs the log a signature verification for a submitter it has not
/// yet authenticated, so the bound also caps that work; a chain of 100
/// certificates is an attack, not a PKI, and is refused before any parsing.
pub const MAX_CHAIN_LEN: usize = 8;

/// Largest single certificate accepted (bytes).
///
/// A P-256 certificate is 0.5 to 1 KiB, a government one with long policy
/// extensions and an RSA-4096 key about 3 KiB; 16 KiB is several times that.
/// (A whole statement is at most 64 KiB anyway.)
pub const MAX_CERT_BYTES: usize = 16 * 1024;

/// One trust anchor: a CA certificate the log accepts chains ending at.
#[derive(Clone)]
pub struct Anchor {
    der: Vec<u8>,
    cert: Cert,
    key: CertKey,
    sha256: [u8; 32],
}

impl fmt::Debug for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Anchor({}, sha256:{})",
            self.subject(),
            self.sha256_hex()
        )
    }
}

impl Anchor {
    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its subject, RFC 4514 style (`CN=..., O=..., C=...`).
    pub fn subject(&self) -> String {
        self.cert.subject()
    }

    /// Lower-case hex SHA-256 of the DER: the fingerprint operators compare.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The certificate as one PEM `CERTIFICATE` block, 64-column lines.
    pub fn to_pem(&self) -> String {
        pem::encode_certificate(&self.der)
    }
}

/// Trust anchors: root (or intermediate) CA certificates the log accepts.
///
/// Each was checked on the way in ([`TrustAnchors::add_der`]): a parsable
/// certificate with basicConstraints `cA=true`, `keyCertSign` if it has a
/// keyUsage, a key ashlog can verify with, and no critical extension ashlog
/// does not process. Its self-signature is not checked, its validity is
/// checked at each validation.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    anchors: Vec<Anchor>,
    /// SHA-256 chained over every anchor's SHA-256, in order: a cache of
    /// validations keys on it, so a result under one anchor set is never
    /// taken for another.
    fingerprint: [u8; 32],
}

impl TrustAnchors {
    /// No anchors: every chain fails with [`ChainError::UnknownIssuer`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one or more PEM `CERTIFICATE` blocks (text between blocks is
    /// ignored, blocks of any other type are refused). Ok means every block
    /// was accepted by [`TrustAnchors::add_der`].
    pub fn from_pem(pem: &str) -> Result<TrustAnchors, ChainError> {
        let mut anchors = TrustAnchors::new();
        for (i, der) in pem::decode_certificates(pem)?.into_iter().enumerate() {
            anchors.add_der(der).map_err(|e| match e {
                ChainError::BadAnchor(why) => {
                    ChainError::BadAnchor(format!("PEM certificate {}: {why}", i + 1))
                }
                other => other,
            })?;
        }
        Ok(anchors)
    }

    /// Adds one anchor. Ok means the certificate parsed, is a CA
    /// (basicConstraints `cA=true`), allows `keyCertSign` if it has a
    /// keyUsage, holds a P-256, P-384 or Ed25519 key, and has no critical
    /// extension ashlog does not process. Adding the same DER twice keeps one.
    pub fn add_der(&mut self, der: Vec<u8>) -> Result<(), ChainError> {
        if der.len() > MAX_CERT_BYTES {
            return Err(ChainError::BadAnchor(format!(
                "{} bytes, more than the {MAX_CERT_BYTES} accepted",
                der.len()
            )));
        }
        if self.anchors.iter().any(|a| a.der == der) {
            return Ok(());
        }
        let cert = Cert::parse(&der).map_err(ChainError::BadAnchor)?;
        let why = |what: &str| ChainError::BadAnchor(format!("{}: {what}", cert.subject()));
        if !cert.ca {
            return Err(why("not a CA certificate (no basicConstraints cA=true)"));
        }
        if matches!(cert.key_usage, Some((_, false))) {
            return Err(why("its keyUsage does not allow keyCertSign"));
        }
        if let Some(oid) = &cert.unsupported_critical {
            return Err(why(&format!(
                "critical extension ashlog does not process: {}",
                ext_name(oid)
            )));
        }
        let key = CertKey::from_spki_der(&cert.spki).map_err(|e| why(&e.to_string()))?;
        let sha256: [u8; 32] = Sha256::digest(&der).into();
        self.fingerprint = Sha256::new()
            .chain_update(self.fingerprint)
            .chain_update(sha256)
            .finalize()
            .into();
        self.anchors.push(Anchor {
            der,
            cert,
            key,
            sha256,
        });
        Ok(())
    }

    /// How many anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// True when there are no anchors.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The anchors, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Anchor> {
        self.anchors.iter()
    }

    /// A digest of the whole anchor set (every anchor, in order): equal
    /// sets added in the same order have the same fingerprint.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The anchor that chain certificate `cert` (DER `der`) is: the same
    /// bytes, or the same subject and public key (a re-issued root).
    fn find_in_chain(&self, cert: &Cert, der: &[u8]) -> Option<&Anchor> {
        self.anchors.iter().find(|a| {
            a.der == der || (a.cert.subject_raw == cert.subject_raw && a.cert.spki == cert.spki)
        })
    }
}

/// The certificates of one x5chain, leaf first, parsed but not yet validated.
#[derive(Clone)]
pub struct CertChain {
    ders: Vec<Vec<u8>>,
    certs: Vec<Cert>,
    fingerprint: [u8; 32],
}

impl fmt::Debug for CertChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertChain")
            .field(
                "subjects",
                &self.certs.iter().map(Cert::subject).collect::<Vec<_>>(),
            )
            .field("fingerprint", &hex::encode(self.fingerprint))
            .finish()
    }
}

/// The leaf certificate of a parsed [`CertChain`] (see [`CertChain::leaf`]).
#[derive(Clone, Copy)]
pub struct LeafCert<'a>(&'a Cert);

impl LeafCert<'_> {
    /// Its subject, RFC 4514 style, as verification reports it.
    pub fn subject(&self) -> String {
        self.0.subject()
    }

    /// Its SubjectPublicKeyInfo, DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.0.spki
    }

    /// Its URI subject alternative names (an agency's `iss` must be one).
    pub fn uri_sans(&self) -> &[String] {
        &self.0.uri_sans
    }

    /// notBefore, unix seconds.
    pub fn not_before(&self) -> i64 {
        self.0.not_before
    }

    /// notAfter, unix seconds.
    pub fn not_after(&self) -> i64 {
        self.0.not_after
    }
}

impl CertChain {
    /// Parses the chain. Ok means it holds 1 to [`MAX_CHAIN_LEN`]
    /// certificates, each at most [`MAX_CERT_BYTES`] and a well-formed X.509
    /// certificate; nothing about trust. The length is checked before any
    /// certificate is parsed.
    pub fn from_der_list(certs: Vec<Vec<u8>>) -> Result<CertChain, ChainError> {
        if certs.is_empty() {
            return Err(ChainError::Empty);
        }
        if certs.len() > MAX_CHAIN_LEN {
            return Err(ChainError::TooLong {
                len: certs.len(),
                max: MAX_CHAIN_LEN,
            });
        }
        if let Some((cert_index, der)) = certs
            .iter()
            .enumerate()
            .find(|(_, d)| d.len() > MAX_CERT_BYTES)
        {
            return Err(ChainError::CertTooLarge {
                cert_index,
                len: der.len(),
                max: MAX_CERT_BYTES,
            });
        }
        let parsed = certs
            .iter()
            .enumerate()
            .map(|(cert_index, der)| {
                Cert::parse(der).map_err(|reason| ChainError::Malformed { cert_index, reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let fingerprint = fingerprint_of(&certs);
        Ok(CertChain {
            ders: certs,
            certs: parsed,
            fingerprint,
        })
    }

    /// Reads a chain from PEM `CERTIFICATE` blocks, leaf first (the CLI's
    /// `--chain` file); then as [`CertChain::from_der_list`].
    pub fn from_pem(pem: &str) -> Result<CertChain, ChainError> {
        let blocks = pem.matches("-----BEGIN ").count();
        if blocks > MAX_CHAIN_LEN {
            return Err(ChainError::TooLong {
                len: blocks,
                max: MAX_CHAIN_LEN,
            });
        }
        CertChain::from_der_list(pem::decode_certificates(pem)?)
    }

    /// The certificates, DER, leaf first, exactly as given.
    pub fn ders(&self) -> &[Vec<u8>] {
        &self.ders
    }

    /// The leaf certificate, as parsed (nothing validated): what an agency
    /// checks before it signs with the chain.
    pub fn leaf(&self) -> LeafCert<'_> {
        // from_der_list refuses an empty chain.
        LeafCert(&self.certs[0])
    }

    /// SHA-256 over the concatenation of (u32 BE length || DER) of every
    /// certificate: the cache key. It depends on every byte and on the order
    /// of the certificates, and on nothing else.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// Validates the chain against `anchors` at every time in `at` (unix
    /// seconds; for a statement, `[iat, now]`).
    ///
    /// Ok means: the path from the leaf through the chain ends at one of
    /// `anchors`; every signature on it verifies; every certificate on it,
    /// the anchor included, was valid at every time in `at`; every issuer is
    /// a CA allowed to sign certificates, within its pathLenConstraint (and
    /// the anchor's); the leaf is an end-entity certificate with keyUsage
    /// digitalSignature and a P-256 key; no certificate on the path has a
    /// critical extension ashlog does not process. The first failure is
    /// returned, checking from the leaf up.
    pub fn validate(
        &self,
        anchors: &TrustAnchors,
        at: &[i64],
    ) -> Result<ValidatedChain, ChainError> {
        if at.is_empty() {
            return Err(ChainError::NoValidationTime);
        }
        let leaf = &self.certs[0];
        if leaf.ca {
            return Err(ChainError::LeafIsCa);
        }
        if !matches!(leaf.key_usage, Some((true, _))) {
            return Err(ChainError::LeafLacksDigitalSignature);
        }
        let leaf_key = leaf_key(leaf)?;

        // The path is the chain up to the first certificate that is an
        // anchor (the configured copy replaces it), else the whole chain.
        let in_chain = (1..self.certs.len()).find_map(|k| {
            anchors
                .find_in_chain(&self.certs[k], &self.ders[k])
                .map(|a| (k, a))
        });
        let path_end = in_chain.map_or(self.certs.len(), |(k, _)| k);

        let mut not_before = i64::MIN;
        let mut not_after = i64::MAX;
        // Non-self-issued intermediates between the leaf and the current
        // certificate, for pathLenConstraint (RFC 5280 6.1.4 (l)).
        let mut below = 0usize;
        for i in 0..path_end {
            let cert = &self.certs[i];
            let role = role_in_chain(i);
            if let Some(oid) = &cert.unsupported_critical {
                return Err(ChainError::UnsupportedCriticalExtension {
                    cert_index: i,
                    role,
                    subject: cert.subject(),
                    oid: oid.clone(),
                });
            }
            cert.check_times(i, role, at)?;
            not_before = not_before.max(cert.not_before);
            not_after = not_after.min(cert.not_after);
            if i > 0 {
                check_issuer(cert, i, role, below)?;
                if !cert.self_issued() {
                    below += 1;
                }
            }
            if i + 1 < path_end {
                let issuer = &self.certs[i + 1];
                check_names(cert, i, &issuer.subject_raw)?;
                let key = CertKey::from_spki_der(&issuer.spki).map_err(|e| {
                    ChainError::UnsupportedAlgorithm {
                        cert_index: i + 1,
                        role: CertRole::Intermediate,
                        subject: issuer.subject(),
                        alg: format!("its public key ({e})"),
                    }
                })?;
                cert.check_signed_by(i, &key, &issuer.subject_raw)?;
            }
        }

        let last_index = path_end - 1;
        let last = &self.certs[last_index];
        let anchor = match in_chain {
            Some((_, anchor)) => {
                check_names(last, last_index, &anchor.cert.subject_raw)?;
                last.check_signed_by(last_index, &anchor.key, &anchor.cert.subject_raw)?;
                anchor
            }
            None => find_issuing_anchor(anchors, last, last_index)?,
        };
        let anchor_index = path_end;
        anchor
            .cert
            .check_times(anchor_index, CertRole::TrustAnchor, at)?;
        check_issuer(&anchor.cert, anchor_index, CertRole::TrustAnchor, below)?;
        not_before = not_before.max(anchor.cert.not_before);
        not_after = not_after.min(anchor.cert.not_after);

        Ok(ValidatedChain {
            inner: Arc::new(Validated {
                leaf_key,
                leaf_subject: leaf.subject(),
                leaf_issuer: leaf.issuer(),
                leaf_uri_sans: leaf.uri_sans.clone(),
                anchor_subject: anchor.subject(),
                anchor_sha256_hex: anchor.sha256_hex(),
                not_before,
                not_after,
            }),
        })
    }
}

fn leaf_key(leaf: &Cert) -> Result<PublicKey, ChainError> {
    let unsupported = |alg: String| ChainError::UnsupportedAlgorithm {
        cert_index: 0,
        role: CertRole::Leaf,
        subject: leaf.subject(),
        alg,
    };
    let key = CertKey::from_spki_der(&leaf.spki)
        .map_err(|e| unsupported(format!("its public key ({e})")))?;
    match key {
        CertKey::Core(k) if k.as_p256().is_some() => Ok(k),
        other => Err(unsupported(format!(
            "a {} key for signing statements (they are ES256, which needs P-256)",
            other.algorithm_name()
        ))),
    }
}

/// The constraints on a certificate acting as an issuer, `below`
/// intermediates above the leaf.
fn check_issuer(
    cert: &Cert,
    cert_index: usize,
    role: CertRole,
    below: usize,
) -> Result<(), ChainError> {
    if !cert.ca {
        return Err(ChainError::IssuerNotCa {
            cert_index,
            role,
            subject: cert.subject(),
        });
    }
    if matches!(cert.key_usage, Some((_, false))) {
        return Err(ChainError::IssuerLacksKeyCertSign {
            cert_index,
            role,
            subject: cert.subject(),
        });
    }
    if let Some(path_len) = cert.path_len
        && below > path_len as usize
    {
        return Err(ChainError::PathLenExceeded {
            cert_index,
            role,
            subject: cert.subject(),
            path_len,
            below,
        });
    }
    Ok(())
}

fn check_names(cert: &Cert, cert_index: usize, issuer_subject: &[u8]) -> Result<(), ChainError> {
    if cert.issuer_raw == issuer_subject {
        return Ok(());
    }
    Err(ChainError::NameMismatch {
        cert_index,
        role: role_in_chain(cert_index),
        subject: cert.subject(),
        issuer: cert.issuer(),
        next_subject: dn_string(issuer_subject),
    })
}

/// The anchor that issued the last certificate of the chain: among those
/// whose subject is its issuer name, the first whose key verifies it.
fn find_issuing_anchor<'a>(
    anchors: &'a TrustAnchors,
    last: &Cert,
    last_index: usize,
) -> Result<&'a Anchor, ChainError> {
    let mut first_error = None;
    for anchor in anchors
        .anchors
        .iter()
        .filter(|a| a.cert.subject_raw == last.issuer_raw)
    {
        match last.check_signed_by(last_index, &anchor.key, &anchor.cert.subject_raw) {
            Ok(()) => return Ok(anchor),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| ChainError::UnknownIssuer {
        subject: last.subject(),
        issuer: last.issuer(),
    }))
}

/// SHA-256 over (u32 BE length || DER) of each certificate.
/// The fingerprint [`CertChain::fingerprint`] would give for these DERs,
/// without parsing them: a cache can answer before any parsing work.
pub fn fingerprint_of(ders: &[Vec<u8>]) -> [u8; 32] {
    let mut h = Sha256::new();
    for der in ders {
        // Lengths are at most MAX_CERT_BYTES, far below u32::MAX.
        h.update((der.len() as u32).to_be_bytes());
        h.update(der);
    }
    h.finalize().into()
}

/// Ok from [`CertChain::validate`]: the chain ends at one of the anchors, and
/// every certificate on the path (anchor included) was valid at every
/// requested time. Cheap to clone (one reference count), so the log can
/// cache it by [`CertChain::fingerprint`].
///
/// Everything except time is a function of the chain bytes and the anchors:
/// a cached result stays right while the anchors stay the same (flush the
/// cache when they change), and it holds at another time `t` exactly when
/// `not_before() <= t <= not_after()`.
#[derive(Clone, Debug)]
pub struct ValidatedChain {
    inner: Arc<Validated>,
}

#[derive(Debug)]
struct Validated {
    leaf_key: PublicKey,
    leaf_subject: String,
    leaf_issuer: String,
    leaf_uri_sans: Vec<String>,
    anchor_subject: String,
    anchor_sha256_hex: String,
    not_before: i64,
    not_after: i64,
}

impl ValidatedChain {
    /// The leaf's public key, always P-256: the key statements verify with.
    pub fn leaf_key(&self) -> &PublicKey {
        &self.inner.leaf_key
    }

    /// The leaf's subject, RFC 4514 style, e.g.
    /// `CN=Wuxi Big Data Administration, O=..., C=CN`.
    pub fn leaf_subject(&self) -> String {
        self.inner.leaf_subject.clone()
    }

    /// The leaf's issuer name, RFC 4514 style.
    pub fn leaf_issuer(&self) -> String {
        self.inner.leaf_issuer.clone()
    }

    /// The leaf's URI subject-alternative names, in certificate order.
    pub fn leaf_uri_sans(&self) -> &[String] {
        &self.inner.leaf_uri_sans
    }

    /// True when the leaf has a URI subject-alternative name byte-for-byte
    /// equal to `uri` (no case folding or normalisation: the statement's
    /// `iss` must be spelled exactly as the certificate spells it).
    pub fn has_uri_san(&self, uri: &str) -> bool {
        self.inner.leaf_uri_sans.iter().any(|s| s == uri)
    }

    /// The subject of the trust anchor the chain ends at.
    pub fn anchor_subject(&self) -> String {
        self.inner.anchor_subject.clone()
    }

    /// Hex SHA-256 of the trust anchor's DER (as [`Anchor::sha256_hex`]).
    pub fn anchor_sha256_hex(&self) -> String {
        self.inner.anchor_sha256_hex.clone()
    }

    /// The latest notBefore on the path (unix seconds): together with
    /// [`ValidatedChain::not_after`], the window in which every certificate
    /// of the path, anchor included, is valid.
    pub fn not_before(&self) -> i64 {
        self.inner.not_before
    }

    /// The earliest notAfter on the path (unix seconds).
    pub fn not_after(&self) -> i64 {
        self.inner.not_after
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::cert::escape_dn_value;
    use super::error::rfc3339;
    use super::*;
    use crate::keys::P256SigningKey;
    use crate::test_pki::{
        Ca, INTERMEDIATE_CN, LEAF_CN, ROOT_CN, TestPki, ca_params, issue_ca, issue_leaf, key,
        leaf_params, self_signed,
    };
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use rcgen::{
        BasicConstraints as Bc, CertificateParams, CustomExtension, GeneralSubtree, IsCa,
        KeyUsagePurpose as Ku, NameConstraints, PKCS_ECDSA_P256_SHA256 as P256,
        PKCS_ECDSA_P384_SHA384 as P384, PKCS_ECDSA_P521_SHA512 as P521, PKCS_ED25519 as ED25519,
    };

    const DAY: i64 = 86_400;
    /// 2025-11-24T16:00:00Z.
    const NOW: i64 = 1_764_000_000;
    const IAT: i64 = NOW - 30 * DAY;
    const URI: &str = "https://data.wuxi.gov.cn/ashlog";
    const LEAF_DN: &str = "CN=Ashlog Test Signer, O=Ashlog Test PKI, C=CN";
    const INT_DN: &str = "CN=Ashlog Test Agency CA, O=Ashlog Test PKI, C=CN";
    const ROOT_DN: &str = "CN=Ashlog Test Root CA, O=Ashlog Test PKI, C=CN";

    fn der(ca: &Ca) -> Vec<u8> {
        ca.der().to_vec()
    }

    fn anchors(cas: &[&Ca]) -> TrustAnchors {
        let mut a = TrustAnchors::new();
        for ca in cas {
            a.add_der(der(ca)).unwrap();
        }
        a
    }

    fn validate(chain: Vec<Vec<u8>>, anchors: &TrustAnchors) -> Result<ValidatedChain, ChainError> {
        CertChain::from_der_list(chain)?.validate(anchors, &[IAT, NOW])
    }

    fn root_with(
        alg: &'static rcgen::SignatureAlgorithm,
        f: impl FnOnce(&mut CertificateParams),
    ) -> Ca {
        let mut p = ca_params(ROOT_CN, IAT - 365 * DAY, NOW + 365 * DAY);
        f(&mut p);
        self_signed(p, key(alg))
    }

    fn ca_with(
        cn: &str,
        alg: &'static rcgen::SignatureAlgorithm,
        parent: &Ca,
        f: impl FnOnce(&mut CertificateParams),
    ) -> Ca {
        let mut p = ca_params(cn, IAT - 365 * DAY, NOW + 365 * DAY);
        f(&mut p);
        issue_ca(p, key(alg), parent)
    }

    fn leaf_with(parent: &Ca, f: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
        let mut p = leaf_params(URI, IAT - DAY, NOW + DAY);
        f(&mut p);
        issue_leaf(&p, &key(&P256), parent)
    }

    /// Root → intermediate, with hooks to vary either.
    struct Pki {
        root: Ca,
        int: Ca,
    }

    impl Pki {
        fn new() -> Pki {
            Pki::custom(|_| {}, |_| {})
        }

        fn custom(
            root: impl FnOnce(&mut CertificateParams),
            int: impl FnOnce(&mut CertificateParams),
        ) -> Pki {
            let root = root_with(&P256, root);
            let int = ca_with(INTERMEDIATE_CN, &P256, &root, int);
            Pki { root, int }
        }

        fn leaf(&self) -> Vec<u8> {
            leaf_with(&self.int, |_| {})
        }

        fn anchors(&self) -> TrustAnchors {
            anchors(&[&self.root])
        }

        fn chain(&self, leaf: Vec<u8>) -> Vec<Vec<u8>> {
            vec![leaf, der(&self.int)]
        }

        fn validate_leaf(&self, leaf: Vec<u8>) -> Result<ValidatedChain, ChainError> {
            validate(self.chain(leaf), &self.anchors())
        }
    }

    /// Flips one bit of the first serial-number byte: inside the signed
    /// part, so the certificate still parses but its signature fails.
    fn tamper_tbs(mut der: Vec<u8>) -> Vec<u8> {
        // 30 82 LL LL | 30 82 LL LL | a0 03 02 01 02 | 02 LEN <serial>
        assert_eq!(&der[8..13], &[0xa0, 0x03, 0x02, 0x01, 0x02]);
        assert_eq!(der[13], 0x02);
        der[15] ^= 0x01;
        der
    }

    #[test]
    fn chain_accepts_leaf_and_intermediate_without_root() {
        let pki = TestPki::new();
        let (key_pem, chain, anchors_pem) = pki.leaf(URI, IAT - DAY, NOW + DAY);
        assert_eq!(chain.len(), 2);
        let anchors = TrustAnchors::from_pem(&anchors_pem).unwrap();
        let v = validate(chain, &anchors).unwrap();

        let signer = P256SigningKey::from_pkcs8_pem(&key_pem).unwrap();
        assert_eq!(v.leaf_key(), signer.public_key());
        assert_eq!(v.leaf_subject(), LEAF_DN);
        assert_eq!(v.leaf_issuer(), INT_DN);
        assert_eq!(v.anchor_subject(), ROOT_DN);
        assert_eq!(
            v.anchor_sha256_hex(),
            hex::encode(Sha256::digest(pki.root_der()))
        );
        assert_eq!(v.leaf_uri_sans(), [URI.to_string()]);
        assert!(v.has_uri_san(URI));
        assert!(!v.has_uri_san("https://DATA.wuxi.gov.cn/ashlog"));
        assert!(!v.has_uri_san("https://data.wuxi.gov.cn/ashlog/"));
        assert!(!v.has_uri_san("https://data.wuxi.gov.cn"));
        assert_eq!(v.not_before(), IAT - DAY);
        assert_eq!(v.not_after(), NOW + DAY);
    }

    #[test]
    fn chain_accepts_chain_with_root_included() {
        let pki = Pki::new();
        let mut chain = pki.chain(pki.leaf());
        chain.push(der(&pki.root));
        let v = validate(chain, &pki.anchors()).unwrap();
        assert_eq!(v.anchor_subject(), ROOT_DN);
        assert_eq!(
            v.anchor_sha256_hex(),
            hex::encode(Sha256::digest(der(&pki.root)))
        );
    }

    #[test]
    fn chain_accepts_intermediate_as_anchor() {
        let pki = Pki::new();
        let only_int = anchors(&[&pki.int]);
        let leaf = pki.leaf();
        for chain in [
            vec![leaf.clone()],
            vec![leaf.clone(), der(&pki.int)],
            // Certificates after the anchor are not examined.
            vec![leaf.clone(), der(&pki.int), der(&pki.root)],
        ] {
            let v = validate(chain, &only_int).unwrap();
            assert_eq!(v.anchor_subject(), INT_DN);
            assert_eq!(
                v.anchor_sha256_hex(),
                hex::encode(Sha256::digest(der(&pki.int)))
            );
        }
        // Both configured: the first anchor met going up wins.
        let both = anchors(&[&pki.root, &pki.int]);
        let v = validate(vec![leaf, der(&pki.int), der(&pki.root)], &both).unwrap();
        assert_eq!(v.anchor_subject(), INT_DN);
    }

    #[test]
    fn chain_uses_configured_copy_of_reissued_anchor() {
        // The chain carries a re-issued root (same subject and key, other
        // validity, other bytes): it is recognised as the anchor, and the
        // configured copy's validity is what counts.
        let pki = Pki::new();
        let root_key = rcgen::KeyPair::from_pem(&pki.root.key().serialize_pem()).unwrap();
        let reissued = self_signed(
            ca_params(ROOT_CN, IAT - 900 * DAY, IAT - 800 * DAY),
            root_key,
        );
        assert_ne!(der(&reissued), der(&pki.root));
        let chain = vec![pki.leaf(), der(&pki.int), der(&reissued)];
        let v = validate(chain, &pki.anchors()).unwrap();
        assert_eq!(
            v.anchor_sha256_hex(),
            hex::encode(Sha256::digest(der(&pki.root)))
        );
    }

    #[test]
    fn chain_tries_each_anchor_with_same_subject() {
        let impostor = root_with(&P256, |_| {});
        let pki = Pki::new();
        for order in [[&impostor, &pki.root], [&pki.root, &impostor]] {
            let v = validate(pki.chain(pki.leaf()), &anchors(&order)).unwrap();
            assert_eq!(
                v.anchor_sha256_hex(),
                hex::encode(Sha256::digest(der(&pki.root)))
            );
        }
        // Only the impostor: the name matches, the key does not.
        let err = validate(pki.chain(pki.leaf()), &anchors(&[&impostor])).unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::BadSignature {
                    cert_index: 1,
                    role: CertRole::Intermediate,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn chain_accepts_p384_and_ed25519_issuers() {
        for (root_alg, int_alg) in [
            (&P384, &P256),
            (&ED25519, &P256),
            (&P256, &P384),
            (&ED25519, &ED25519),
        ] {
            let root = root_with(root_alg, |_| {});
            let int = ca_with(INTERMEDIATE_CN, int_alg, &root, |_| {});
            let v = validate(vec![leaf_with(&int, |_| {}), der(&int)], &anchors(&[&root])).unwrap();
            assert_eq!(v.leaf_key().algorithm_name(), "P-256");
        }
    }

    #[test]
    fn chain_rejects_empty_chain() {
        assert_eq!(
            CertChain::from_der_list(vec![]).unwrap_err(),
            ChainError::Empty
        );
    }

    #[test]
    fn chain_rejects_100_certificates_without_parsing_them() {
        // Garbage that would fail to parse: TooLong proves nothing was parsed.
        let err = CertChain::from_der_list(vec![vec![0xff; 3]; 100]).unwrap_err();
        assert_eq!(
            err,
            ChainError::TooLong {
                len: 100,
                max: MAX_CHAIN_LEN
            }
        );
        let pki = Pki::new();
        let pem: String = (0..100).map(|_| pki.root.pem()).collect();
        assert!(matches!(
            CertChain::from_pem(&pem),
            Err(ChainError::TooLong { len: 100, .. })
        ));
        // MAX_CHAIN_LEN itself is fine as far as length goes.
        let mut chain = pki.chain(pki.leaf());
        chain.extend(std::iter::repeat_n(der(&pki.root), MAX_CHAIN_LEN - 2));
        validate(chain.clone(), &pki.anchors()).unwrap();
        chain.push(der(&pki.root));
        assert_eq!(
            CertChain::from_der_list(chain).unwrap_err(),
            ChainError::TooLong {
                len: MAX_CHAIN_LEN + 1,
                max: MAX_CHAIN_LEN
            }
        );
    }

    #[test]
    fn chain_rejects_oversized_certificate() {
        let pki = Pki::new();
        let err =
            CertChain::from_der_list(vec![pki.leaf(), vec![0x30; MAX_CERT_BYTES + 1]]).unwrap_err();
        assert_eq!(
            err,
            ChainError::CertTooLarge {
                cert_index: 1,
                len: MAX_CERT_BYTES + 1,
                max: MAX_CERT_BYTES
            }
        );
    }

    #[test]
    fn chain_rejects_garbage_der() {
        let pki = Pki::new();
        for (chain, index) in [
            (vec![pki.leaf(), b"not a certificate".to_vec()], 1),
            (vec![vec![], der(&pki.int)], 0),
            (vec![pki.leaf()[..100].to_vec(), der(&pki.int)], 0),
            (vec![[pki.leaf(), vec![0]].concat(), der(&pki.int)], 0),
        ] {
            match CertChain::from_der_list(chain) {
                Err(ChainError::Malformed { cert_index, reason }) => {
                    assert_eq!(cert_index, index, "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn chain_rejects_leaf_valid_at_iat_but_expired_now() {
        let pki = Pki::new();
        let leaf = issue_leaf(
            &leaf_params(URI, IAT - DAY, IAT + DAY),
            &key(&P256),
            &pki.int,
        );
        let chain = CertChain::from_der_list(pki.chain(leaf)).unwrap();
        chain.validate(&pki.anchors(), &[IAT]).unwrap();
        let err = chain.validate(&pki.anchors(), &[IAT, NOW]).unwrap_err();
        assert_eq!(
            err,
            ChainError::Expired {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: LEAF_DN.into(),
                not_after: IAT + DAY,
                at: NOW,
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "certificate 0 (leaf, {LEAF_DN}) expired at 2025-10-26T16:00:00Z, before 2025-11-24T16:00:00Z, when it had to be valid"
            )
        );
        assert_eq!(err.kind(), "cert_expired");
    }

    #[test]
    fn chain_rejects_not_yet_valid_leaf() {
        let pki = Pki::new();
        let leaf = issue_leaf(&leaf_params(URI, IAT + 1, NOW + DAY), &key(&P256), &pki.int);
        let err = pki.validate_leaf(leaf).unwrap_err();
        assert!(
            matches!(err, ChainError::NotYetValid { cert_index: 0, not_before, at: IAT, .. } if not_before == IAT + 1),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("is not valid before 2025-10-25T16:00:01Z, but had to be valid at 2025-10-25T16:00:00Z"),
            "{err}"
        );
    }

    #[test]
    fn chain_rejects_expired_intermediate() {
        let pki = Pki::custom(
            |_| {},
            |p| p.not_after = p.not_before + time::Duration::days(30),
        );
        let err = pki.validate_leaf(pki.leaf()).unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::Expired {
                    cert_index: 1,
                    role: CertRole::Intermediate,
                    at: IAT,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("certificate 1 (intermediate, {INT_DN}) expired"))
        );
    }

    #[test]
    fn chain_rejects_expired_anchor() {
        let pki = Pki::custom(
            |p| p.not_after = time::OffsetDateTime::from_unix_timestamp(NOW - 1).unwrap(),
            |_| {},
        );
        let expect = |err: ChainError| {
            assert!(
                matches!(
                    err,
                    ChainError::Expired {
                        cert_index: 2,
                        role: CertRole::TrustAnchor,
                        at: NOW,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with(&format!("certificate 2 (trust anchor, {ROOT_DN}) expired"))
            );
        };
        expect(pki.validate_leaf(pki.leaf()).unwrap_err());
        let mut chain = pki.chain(pki.leaf());
        chain.push(der(&pki.root));
        expect(validate(chain, &pki.anchors()).unwrap_err());
    }

    #[test]
    fn chain_rejects_tampered_signatures() {
        let pki = Pki::new();
        let err = pki.validate_leaf(tamper_tbs(pki.leaf())).unwrap_err();
        assert!(
            matches!(err, ChainError::BadSignature { cert_index: 0, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "the signature on certificate 0 (leaf, {LEAF_DN}) does not verify with the key of its issuer, {INT_DN}"
            )
        );
        let err =
            validate(vec![pki.leaf(), tamper_tbs(der(&pki.int))], &pki.anchors()).unwrap_err();
        assert!(
            matches!(err, ChainError::BadSignature { cert_index: 1, .. }),
            "{err:?}"
        );
        // A leaf signed by a stranger with the right issuer name.
        let stranger = ca_with(INTERMEDIATE_CN, &P256, &pki.root, |_| {});
        let err = pki.validate_leaf(leaf_with(&stranger, |_| {})).unwrap_err();
        assert!(
            matches!(err, ChainError::BadSignature { cert_index: 0, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn chain_rejects_unsupported_algorithms() {
        // Intermediate with a P-521 key: its signature on the leaf cannot be checked.
        let root = root_with(&P256, |_| {});
        let int521 = ca_with(INTERMEDIATE_CN, &P521, &root, |_| {});
        let err = validate(
            vec![leaf_with(&int521, |_| {}), der(&int521)],
            &anchors(&[&root]),
        )
        .unwrap_err();
        assert!(
            matches!(err, ChainError::UnsupportedAlgorithm { cert_index: 1, .. }),
            "{err:?}"
        );

        // Leaf keys other than P-256 cannot make ES256 signatures.
        let pki = Pki::new();
        for alg in [&P384, &ED25519] {
            let leaf = issue_leaf(&leaf_params(URI, IAT - DAY, NOW + DAY), &key(alg), &pki.int);
            let err = pki.validate_leaf(leaf).unwrap_err();
            assert!(
                matches!(&err, ChainError::UnsupportedAlgorithm { cert_index: 0, role: CertRole::Leaf, alg, .. } if alg.contains("P-256")),
                "{err:?}"
            );
        }

        // A signature algorithm keys.rs does not know: ecdsa-with-SHA256
        // rewritten to ecdsa-with-SHA512 (same length) in both places.
        let leaf = pki.leaf();
        let sha256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
        let mut patched = leaf.clone();
        let mut hits = 0;
        for i in 0..patched.len() - sha256.len() {
            if patched[i..i + sha256.len()] == sha256 {
                patched[i + 7] = 0x04;
                hits += 1;
            }
        }
        assert_eq!(hits, 2);
        let err = pki.validate_leaf(patched).unwrap_err();
        assert!(
            matches!(&err, ChainError::UnsupportedAlgorithm { cert_index: 0, alg, .. } if alg.contains("1.2.840.10045.4.3.4")),
            "{err:?}"
        );
        assert_eq!(err.kind(), "cert_unsupported_algorithm");
    }

    #[test]
    fn chain_rejects_issuer_that_is_not_ca() {
        for is_ca in [IsCa::ExplicitNoCa, IsCa::NoCa] {
            let pki = Pki::custom(|_| {}, |p| p.is_ca = is_ca);
            let err = pki.validate_leaf(pki.leaf()).unwrap_err();
            assert!(
                matches!(err, ChainError::IssuerNotCa { cert_index: 1, .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn chain_rejects_issuer_without_key_cert_sign() {
        let pki = Pki::custom(
            |_| {},
            |p| p.key_usages = vec![Ku::DigitalSignature, Ku::CrlSign],
        );
        let err = pki.validate_leaf(pki.leaf()).unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::IssuerLacksKeyCertSign { cert_index: 1, .. }
            ),
            "{err:?}"
        );
        // No keyUsage at all on a CA is allowed (RFC 5280 only says SHOULD).
        let pki = Pki::custom(|_| {}, |p| p.key_usages = vec![]);
        pki.validate_leaf(pki.leaf()).unwrap();
    }

    #[test]
    fn chain_enforces_path_len_constraint() {
        // Anchor allows no intermediate below it.
        let pki = Pki::custom(|p| p.is_ca = IsCa::Ca(Bc::Constrained(0)), |_| {});
        let err = pki.validate_leaf(pki.leaf()).unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::PathLenExceeded {
                    cert_index: 2,
                    role: CertRole::TrustAnchor,
                    path_len: 0,
                    below: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        let mut chain = pki.chain(pki.leaf());
        chain.push(der(&pki.root));
        let err = validate(chain, &pki.anchors()).unwrap_err();
        assert!(
            matches!(err, ChainError::PathLenExceeded { cert_index: 2, .. }),
            "{err:?}"
        );

        // One allowed, one present; an intermediate with 0 right above the leaf.
        let pki = Pki::custom(
            |p| p.is_ca = IsCa::Ca(Bc::Constrained(1)),
            |p| p.is_ca = IsCa::Ca(Bc::Constrained(0)),
        );
        pki.validate_leaf(pki.leaf()).unwrap();

        // root → int1 (pathLen 0) → int2 → leaf.
        let root = root_with(&P256, |_| {});
        let int1 = ca_with("Int 1", &P256, &root, |p| {
            p.is_ca = IsCa::Ca(Bc::Constrained(0))
        });
        let int2 = ca_with("Int 2", &P256, &int1, |_| {});
        let err = validate(
            vec![leaf_with(&int2, |_| {}), der(&int2), der(&int1)],
            &anchors(&[&root]),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::PathLenExceeded {
                    cert_index: 2,
                    role: CertRole::Intermediate,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn chain_path_len_ignores_self_issued_intermediates() {
        // root (pathLen 1) → A → A' (self-issued key rollover) → leaf.
        for (root_len, ok) in [(1, true), (0, false)] {
            let root = root_with(&P256, |p| p.is_ca = IsCa::Ca(Bc::Constrained(root_len)));
            let a = ca_with(INTERMEDIATE_CN, &P256, &root, |_| {});
            let a2 = ca_with(INTERMEDIATE_CN, &P256, &a, |_| {});
            let chain = vec![leaf_with(&a2, |_| {}), der(&a2), der(&a)];
            match validate(chain, &anchors(&[&root])) {
                Ok(_) => assert!(ok),
                Err(e) => {
                    assert!(!ok);
                    assert!(
                        matches!(
                            e,
                            ChainError::PathLenExceeded {
                                cert_index: 3,
                                below: 1,
                                ..
                            }
                        ),
                        "{e:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn chain_rejects_leaf_without_digital_signature() {
        let pki = Pki::new();
        for usages in [vec![Ku::KeyEncipherment, Ku::ContentCommitment], vec![]] {
            let err = pki
                .validate_leaf(leaf_with(&pki.int, |p| p.key_usages = usages))
                .unwrap_err();
            assert_eq!(err, ChainError::LeafLacksDigitalSignature);
        }
    }

    #[test]
    fn chain_rejects_ca_as_leaf() {
        let pki = Pki::new();
        let err = pki
            .validate_leaf(leaf_with(&pki.int, |p| {
                p.is_ca = IsCa::Ca(Bc::Unconstrained)
            }))
            .unwrap_err();
        assert_eq!(err, ChainError::LeafIsCa);
        let err = validate(vec![der(&pki.int), der(&pki.root)], &pki.anchors()).unwrap_err();
        assert_eq!(err, ChainError::LeafIsCa);
    }

    #[test]
    fn chain_rejects_issuer_name_mismatch() {
        let pki = Pki::new();
        let other = ca_with("Another Agency CA", &P256, &pki.root, |_| {});
        let err = validate(vec![pki.leaf(), der(&other)], &pki.anchors()).unwrap_err();
        assert!(
            matches!(err, ChainError::NameMismatch { cert_index: 0, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains(&format!(
                "names its issuer {INT_DN}, but the next certificate is CN=Another Agency CA"
            )),
            "{err}"
        );
    }

    #[test]
    fn chain_rejects_unknown_issuer() {
        let pki = Pki::new();
        let stranger = root_with(&P256, |p| {
            p.distinguished_name = crate::test_pki::name("Stranger Root")
        });
        for anchors in [anchors(&[&stranger]), TrustAnchors::new()] {
            let err = validate(pki.chain(pki.leaf()), &anchors).unwrap_err();
            assert_eq!(
                err,
                ChainError::UnknownIssuer {
                    subject: INT_DN.into(),
                    issuer: ROOT_DN.into()
                }
            );
            assert!(err.to_string().contains("not a trust anchor of this log"));
        }
        // A self-signed root that is not an anchor.
        let mut chain = pki.chain(pki.leaf());
        chain.push(der(&pki.root));
        let err = validate(chain, &anchors(&[&stranger])).unwrap_err();
        assert_eq!(
            err,
            ChainError::UnknownIssuer {
                subject: ROOT_DN.into(),
                issuer: ROOT_DN.into()
            }
        );
    }

    fn critical_ext(oid: &[u64], content: Vec<u8>, critical: bool) -> CustomExtension {
        let mut ext = CustomExtension::from_oid_content(oid, content);
        ext.set_criticality(critical);
        ext
    }

    #[test]
    fn chain_rejects_unsupported_critical_extensions() {
        let nc = NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName("example".into())],
            excluded_subtrees: vec![],
        };
        let pki = Pki::custom(|_| {}, |p| p.name_constraints = Some(nc));
        let err = pki.validate_leaf(pki.leaf()).unwrap_err();
        assert_eq!(
            err,
            ChainError::UnsupportedCriticalExtension {
                cert_index: 1,
                role: CertRole::Intermediate,
                subject: INT_DN.into(),
                oid: "2.5.29.30".into(),
            }
        );
        assert!(
            err.to_string()
                .contains("nameConstraints (2.5.29.30), which ashlog does not implement")
        );

        let private = [1, 3, 6, 1, 4, 1, 99999, 1];
        let pki = Pki::new();
        let leaf = leaf_with(&pki.int, |p| {
            p.custom_extensions = vec![critical_ext(&private, vec![5, 0], true)]
        });
        let err = pki.validate_leaf(leaf).unwrap_err();
        assert!(
            matches!(&err, ChainError::UnsupportedCriticalExtension { cert_index: 0, oid, .. } if oid == "1.3.6.1.4.1.99999.1"),
            "{err:?}"
        );
        // The same extension, not critical, is ignored.
        let leaf = leaf_with(&pki.int, |p| {
            p.custom_extensions = vec![critical_ext(&private, vec![5, 0], false)]
        });
        pki.validate_leaf(leaf).unwrap();
    }

    #[test]
    fn chain_rejects_non_critical_name_constraints_as_malformed() {
        // SEQUENCE { [0] { SEQUENCE { [2] "example" } } }
        let nc = [
            &[0x30, 0x0d, 0xa0, 0x0b, 0x30, 0x09, 0x82, 0x07][..],
            b"example",
        ]
        .concat();
        let pki = Pki::custom(
            |_| {},
            |p| p.custom_extensions = vec![critical_ext(&[2, 5, 29, 30], nc, false)],
        );
        let err = CertChain::from_der_list(pki.chain(pki.leaf())).unwrap_err();
        assert!(
            matches!(err, ChainError::Malformed { cert_index: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn chain_rejects_duplicate_extensions() {
        let pki = Pki::new();
        // A second keyUsage (digitalSignature) beside rcgen's own.
        let leaf = leaf_with(&pki.int, |p| {
            p.custom_extensions = vec![critical_ext(
                &[2, 5, 29, 15],
                vec![0x03, 0x02, 0x07, 0x80],
                true,
            )]
        });
        let err = CertChain::from_der_list(pki.chain(leaf)).unwrap_err();
        assert!(
            matches!(&err, ChainError::Malformed { cert_index: 0, reason } if reason.contains("appears twice")),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with(
                "certificate 0 (leaf) is malformed: extension keyUsage (2.5.29.15) appears twice"
            ),
            "{err}"
        );
    }

    #[test]
    fn chain_requires_a_validation_time() {
        let pki = Pki::new();
        let chain = CertChain::from_der_list(pki.chain(pki.leaf())).unwrap();
        assert_eq!(
            chain.validate(&pki.anchors(), &[]).unwrap_err(),
            ChainError::NoValidationTime
        );
    }

    #[test]
    fn chain_window_is_the_intersection_over_the_path() {
        let root = root_with(&P256, |p| {
            p.not_before = time::OffsetDateTime::from_unix_timestamp(IAT - 3 * DAY).unwrap();
            p.not_after = time::OffsetDateTime::from_unix_timestamp(NOW + 3 * DAY).unwrap();
        });
        let int = ca_with(INTERMEDIATE_CN, &P256, &root, |p| {
            p.not_before = time::OffsetDateTime::from_unix_timestamp(IAT - 5 * DAY).unwrap();
            p.not_after = time::OffsetDateTime::from_unix_timestamp(NOW + 20 * DAY).unwrap();
        });
        let leaf = issue_leaf(
            &leaf_params(URI, IAT - 10 * DAY, NOW + 10 * DAY),
            &key(&P256),
            &int,
        );
        let v = validate(vec![leaf, der(&int)], &anchors(&[&root])).unwrap();
        assert_eq!(
            (v.not_before(), v.not_after()),
            (IAT - 3 * DAY, NOW + 3 * DAY)
        );
        // Validity bounds are inclusive.
        let chain = CertChain::from_der_list(vec![
            issue_leaf(&leaf_params(URI, IAT, NOW), &key(&P256), &int),
            der(&int),
        ])
        .unwrap();
        chain.validate(&anchors(&[&root]), &[IAT, NOW]).unwrap();
        assert!(chain.validate(&anchors(&[&root]), &[IAT - 1]).is_err());
        assert!(chain.validate(&anchors(&[&root]), &[NOW + 1]).is_err());
    }

    #[test]
    fn chain_fingerprint_is_stable_and_covers_every_certificate() {
        let pki = Pki::new();
        let ders = pki.chain(pki.leaf());
        let fp = CertChain::from_der_list(ders.clone())
            .unwrap()
            .fingerprint();
        assert_eq!(
            fp,
            CertChain::from_der_list(ders.clone())
                .unwrap()
                .fingerprint()
        );
        let mut h = Sha256::new();
        for d in &ders {
            h.update(u32::try_from(d.len()).unwrap().to_be_bytes());
            h.update(d);
        }
        assert_eq!(fp, <[u8; 32]>::from(h.finalize()));

        let mut seen = std::collections::HashSet::from([fp]);
        for i in 0..ders.len() {
            // The last byte is inside the signature: still parses.
            let mut changed = ders.clone();
            *changed[i].last_mut().unwrap() ^= 1;
            assert!(seen.insert(CertChain::from_der_list(changed).unwrap().fingerprint()));
        }
        let mut with_root = ders.clone();
        with_root.push(der(&pki.root));
        assert!(seen.insert(CertChain::from_der_list(with_root).unwrap().fingerprint()));
        let reversed: Vec<_> = ders.iter().rev().cloned().collect();
        assert!(seen.insert(CertChain::from_der_list(reversed).unwrap().fingerprint()));
        assert_eq!(
            CertChain::from_der_list(ders.clone()).unwrap().ders(),
            &ders[..]
        );
    }

    #[test]
    fn chain_from_pem_reads_blocks_in_order() {
        let pki = Pki::new();
        let ders = pki.chain(pki.leaf());
        let anchors = pki.anchors();
        let pem = format!(
            "subject=leaf\r\n{}\nexplanatory text\n{}",
            pem_block(&ders[0]),
            pem_block(&ders[1])
        );
        let chain = CertChain::from_pem(&pem).unwrap();
        assert_eq!(chain.ders(), &ders[..]);
        chain.validate(&anchors, &[NOW]).unwrap();
    }

    fn pem_block(der: &[u8]) -> String {
        let b64 = BASE64.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn pem_rejects_other_blocks_and_bad_text() {
        let pki = Pki::new();
        let cert = pem_block(&der(&pki.root));
        let key = pki.root.key().serialize_pem();
        for bad in [
            String::new(),
            "no blocks here".to_string(),
            format!("{cert}{key}"),
            cert.replace("-----END CERTIFICATE-----\n", ""),
            cert.replacen('M', "*", 1),
            cert.replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----"),
        ] {
            assert!(
                matches!(CertChain::from_pem(&bad), Err(ChainError::Pem(_))),
                "{bad}"
            );
            assert!(
                matches!(TrustAnchors::from_pem(&bad), Err(ChainError::Pem(_))),
                "{bad}"
            );
        }
        // The error names the block type but never echoes key material.
        let err = TrustAnchors::from_pem(&format!("{cert}{key}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PEM: block 2 is a \"PRIVATE KEY\", only CERTIFICATE blocks are accepted"
        );
    }

    #[test]
    fn anchors_from_pem_reads_every_block() {
        let pki = Pki::new();
        let pem = format!(
            "# roots\n{}\n{}{}",
            pki.root.pem(),
            pki.int.pem(),
            pki.root.pem()
        );
        let anchors = TrustAnchors::from_pem(&pem).unwrap();
        assert_eq!(anchors.len(), 2, "the repeated root is kept once");
        assert!(!anchors.is_empty() && TrustAnchors::new().is_empty());
        let subjects: Vec<String> = anchors.iter().map(Anchor::subject).collect();
        assert_eq!(subjects, [ROOT_DN, INT_DN]);
        for a in anchors.iter() {
            let again = TrustAnchors::from_pem(&a.to_pem()).unwrap();
            let b = again.iter().next().unwrap();
            assert_eq!(b.der(), a.der());
            assert_eq!(b.sha256_hex(), hex::encode(Sha256::digest(a.der())));
            assert!(a.to_pem().lines().all(|l| l.len() <= 64));
        }
    }

    #[test]
    fn anchors_reject_unusable_certificates() {
        let pki = Pki::new();
        let mut a = TrustAnchors::new();
        let bad = |r: Result<(), ChainError>| matches!(r, Err(ChainError::BadAnchor(_)));
        assert!(bad(a.add_der(pki.leaf())), "a leaf is not a CA");
        assert!(bad(a.add_der(b"junk".to_vec())));
        assert!(bad(a.add_der(vec![0x30; MAX_CERT_BYTES + 1])));
        let no_sign = root_with(&P256, |p| p.key_usages = vec![Ku::DigitalSignature]);
        assert!(bad(a.add_der(der(&no_sign))));
        let p521 = root_with(&P521, |_| {});
        assert!(bad(a.add_der(der(&p521))));
        let critical = root_with(&P256, |p| {
            p.custom_extensions = vec![critical_ext(&[1, 2, 3, 4], vec![5, 0], true)]
        });
        let err = a.add_der(der(&critical)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "unusable trust anchor: {ROOT_DN}: critical extension ashlog does not process: OID 1.2.3.4"
            )
        );
        assert!(a.is_empty());
        let err =
            TrustAnchors::from_pem(&format!("{}{}", pki.root.pem(), no_sign.pem())).unwrap_err();
        assert!(err.to_string().contains("PEM certificate 2: "), "{err}");
    }

    #[test]
    fn subject_strings_are_rfc4514_and_escaped() {
        let pki = Pki::new();
        let leaf = leaf_with(&pki.int, |p| {
            p.distinguished_name =
                crate::test_pki::name("无锡市大数据管理局, \"Data\"+\n\u{202e}x ");
        });
        let v = pki.validate_leaf(leaf).unwrap();
        assert_eq!(
            v.leaf_subject(),
            "CN=无锡市大数据管理局\\, \\\"Data\\\"\\+\\0A\\E2\\80\\AEx\\ , O=Ashlog Test PKI, C=CN"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(escape_dn_value("#a b "), "\\#a b\\ ");
    }

    #[test]
    fn validated_chain_is_cheap_to_clone_and_shareable() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<ValidatedChain>();
        shareable::<TrustAnchors>();
        shareable::<CertChain>();
        let pki = Pki::new();
        let v = pki.validate_leaf(pki.leaf()).unwrap();
        let w = v.clone();
        assert!(Arc::ptr_eq(&v.inner, &w.inner));
    }

    #[test]
    fn chain_error_kinds_are_distinct() {
        let errors = [
            ChainError::Empty,
            ChainError::TooLong { len: 9, max: 8 },
            ChainError::CertTooLarge {
                cert_index: 0,
                len: 1,
                max: 0,
            },
            ChainError::Malformed {
                cert_index: 0,
                reason: String::new(),
            },
            ChainError::NotYetValid {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: String::new(),
                not_before: 0,
                at: 0,
            },
            ChainError::Expired {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: String::new(),
                not_after: 0,
                at: 0,
            },
            ChainError::BadSignature {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: String::new(),
                issuer: String::new(),
            },
            ChainError::UnsupportedAlgorithm {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: String::new(),
                alg: String::new(),
            },
            ChainError::IssuerNotCa {
                cert_index: 1,
                role: CertRole::Intermediate,
                subject: String::new(),
            },
            ChainError::IssuerLacksKeyCertSign {
                cert_index: 1,
                role: CertRole::Intermediate,
                subject: String::new(),
            },
            ChainError::PathLenExceeded {
                cert_index: 1,
                role: CertRole::Intermediate,
                subject: String::new(),
                path_len: 0,
                below: 1,
            },
            ChainError::LeafLacksDigitalSignature,
            ChainError::LeafIsCa,
            ChainError::NameMismatch {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: String::new(),
                issuer: String::new(),
                next_subject: String::new(),
            },
            ChainError::UnknownIssuer {
                subject: String::new(),
                issuer: String::new(),
            },
            ChainError::UnsupportedCriticalExtension {
                cert_index: 0,
                role: CertRole::Leaf,
                subject: String::new(),
                oid: String::new(),
            },
            ChainError::BadAnchor(String::new()),
            ChainError::Pem(String::new()),
            ChainError::NoValidationTime,
        ];
        let kinds: std::collections::HashSet<_> = errors.iter().map(ChainError::kind).collect();
        assert_eq!(kinds.len(), errors.len());
        assert!(
            kinds
                .iter()
                .all(|k| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
    }

    #[test]
    fn test_pki_leaf_matches_its_documentation() {
        let pki = TestPki::new();
        let (key_pem, chain, anchors_pem) = pki.leaf(URI, IAT, NOW);
        assert_eq!(chain, vec![chain[0].clone(), pki.intermediate_der()]);
        assert_eq!(anchors_pem, pki.anchors_pem());
        assert_eq!(pki.anchors().iter().next().unwrap().der(), pki.root_der());
        let v = validate(chain, &pki.anchors()).unwrap();
        assert_eq!(
            v.leaf_subject(),
            format!("CN={LEAF_CN}, O=Ashlog Test PKI, C=CN")
        );
        let signer = P256SigningKey::from_pkcs8_pem(&key_pem).unwrap();
        let sig = signer.sign_es256(b"statement");
        v.leaf_key().verify_es256(b"statement", &sig).unwrap();
    }
}
