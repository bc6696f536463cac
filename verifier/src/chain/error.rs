//! [`ChainError`]: why a chain or a trust anchor was refused, in words an
//! operator understands, and which certificate it was about.

use std::fmt;

use x509_parser::oid_registry::Oid;

/// Where a certificate sits on the validated path; used in [`ChainError`]
/// messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRole {
    /// Certificate 0, the statement signer.
    Leaf,
    /// A CA certificate sent in the chain, between the leaf and the anchor.
    Intermediate,
    /// The configured trust anchor the path ends at (in the chain or not).
    TrustAnchor,
}

impl fmt::Display for CertRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertRole::Leaf => "leaf",
            CertRole::Intermediate => "intermediate",
            CertRole::TrustAnchor => "trust anchor",
        })
    }
}

/// Why a chain or a trust anchor was refused.
///
/// `cert_index` counts from the leaf (0) up the chain as sent. An error about
/// a trust anchor that was not sent in the chain has `cert_index` equal to
/// the chain length. `subject` is the certificate's subject in RFC 4514 form
/// (`CN=..., O=..., C=...`), control characters escaped.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The chain holds no certificate.
    #[error("the x5chain is empty: it must hold at least the signer's certificate")]
    Empty,
    /// The chain holds more than [`MAX_CHAIN_LEN`](super::MAX_CHAIN_LEN) certificates.
    #[error("the x5chain holds {len} certificates, more than the {max} accepted")]
    TooLong {
        /// Certificates sent.
        len: usize,
        /// [`MAX_CHAIN_LEN`](super::MAX_CHAIN_LEN).
        max: usize,
    },
    /// One certificate is larger than [`MAX_CERT_BYTES`](super::MAX_CERT_BYTES).
    #[error("{} is {len} bytes long, more than the {max} accepted", label(*cert_index))]
    CertTooLarge {
        /// Which certificate.
        cert_index: usize,
        /// Its size in bytes.
        len: usize,
        /// [`MAX_CERT_BYTES`](super::MAX_CERT_BYTES).
        max: usize,
    },
    /// A certificate is not a well-formed X.509 certificate in the profile
    /// ashlog accepts (DER, no trailing bytes, no duplicate or unparsable
    /// extension, matching inner and outer signature algorithms).
    #[error("{} is malformed: {reason}", label(*cert_index))]
    Malformed {
        /// Which certificate.
        cert_index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate on the path is not yet valid at a requested time.
    #[error(
        "certificate {cert_index} ({role}, {subject}) is not valid before {}, but had to be valid at {}",
        rfc3339(*not_before), rfc3339(*at)
    )]
    NotYetValid {
        /// Which certificate.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// Its notBefore (unix seconds).
        not_before: i64,
        /// The requested time it was not valid at (unix seconds).
        at: i64,
    },
    /// A certificate on the path has expired at a requested time.
    #[error(
        "certificate {cert_index} ({role}, {subject}) expired at {}, before {}, when it had to be valid",
        rfc3339(*not_after), rfc3339(*at)
    )]
    Expired {
        /// Which certificate.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// Its notAfter (unix seconds).
        not_after: i64,
        /// The requested time it was not valid at (unix seconds).
        at: i64,
    },
    /// The signature on certificate `cert_index` does not verify with the key
    /// of its issuer (the next certificate, or the trust anchor).
    #[error(
        "the signature on certificate {cert_index} ({role}, {subject}) does not verify with the key of its issuer, {issuer}"
    )]
    BadSignature {
        /// The certificate whose signature failed.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// The subject of the issuer whose key was tried.
        issuer: String,
    },
    /// A certificate is signed with, or holds a key of, an algorithm ashlog
    /// does not accept (or, for the leaf, a key that cannot make ES256
    /// signatures).
    #[error("certificate {cert_index} ({role}, {subject}): {alg} is not supported")]
    UnsupportedAlgorithm {
        /// Which certificate.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// The algorithm, in words.
        alg: String,
    },
    /// An issuer lacks basicConstraints `cA=true`.
    #[error(
        "certificate {cert_index} ({role}, {subject}) issued the certificate below it but is not a CA (no basicConstraints cA=true)"
    )]
    IssuerNotCa {
        /// The issuer.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
    },
    /// An issuer has a keyUsage extension without `keyCertSign`.
    #[error(
        "certificate {cert_index} ({role}, {subject}) issued the certificate below it but its keyUsage does not allow keyCertSign"
    )]
    IssuerLacksKeyCertSign {
        /// The issuer.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
    },
    /// More intermediate CAs sit below a CA than its pathLenConstraint allows.
    #[error(
        "certificate {cert_index} ({role}, {subject}) allows {path_len} intermediate CA certificate(s) below it (pathLenConstraint) but the chain has {below}"
    )]
    PathLenExceeded {
        /// The CA whose constraint is exceeded.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// Its pathLenConstraint.
        path_len: u32,
        /// Non-self-issued intermediates between it and the leaf.
        below: usize,
    },
    /// The leaf has no keyUsage extension, or one without `digitalSignature`.
    /// A missing keyUsage is refused on purpose: a signer's certificate must
    /// say it may sign.
    #[error(
        "certificate 0 (leaf) may not sign statements: it has no keyUsage extension with digitalSignature"
    )]
    LeafLacksDigitalSignature,
    /// The leaf is a CA certificate; statements must be signed by an
    /// end-entity certificate.
    #[error(
        "certificate 0 (leaf) is a CA certificate (basicConstraints cA=true); statements must be signed with an end-entity certificate"
    )]
    LeafIsCa,
    /// The issuer name of certificate `cert_index` is not the subject of the
    /// certificate after it (or of the trust anchor found in the chain).
    #[error(
        "certificate {cert_index} ({role}, {subject}) names its issuer {issuer}, but the next certificate is {next_subject}"
    )]
    NameMismatch {
        /// The certificate whose issuer name does not match.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// Its issuer name.
        issuer: String,
        /// The subject of the next certificate.
        next_subject: String,
    },
    /// The last certificate of the chain was issued by a CA that is neither
    /// in the chain nor a configured trust anchor.
    #[error(
        "the chain ends at {subject}, issued by {issuer}, which is not a trust anchor of this log"
    )]
    UnknownIssuer {
        /// Subject of the last certificate in the chain.
        subject: String,
        /// The issuer name that matched no trust anchor.
        issuer: String,
    },
    /// A certificate on the path has a critical extension ashlog does not
    /// process (see the module documentation for those it does).
    #[error(
        "certificate {cert_index} ({role}, {subject}) has a critical extension ashlog does not process: {}",
        ext_name(oid)
    )]
    UnsupportedCriticalExtension {
        /// Which certificate.
        cert_index: usize,
        /// Its place on the path.
        role: CertRole,
        /// Its subject.
        subject: String,
        /// The extension's OID, dotted.
        oid: String,
    },
    /// A certificate cannot be used as a trust anchor.
    #[error("unusable trust anchor: {0}")]
    BadAnchor(String),
    /// PEM text holds no certificate, or a block that is not one.
    #[error("PEM: {0}")]
    Pem(String),
    /// [`CertChain::validate`](super::CertChain::validate) was given no time to check validity at.
    #[error("no validation time given: a chain is only valid at a time")]
    NoValidationTime,
}

impl ChainError {
    /// A short stable label for metrics and problem-details titles.
    pub fn kind(&self) -> &'static str {
        match self {
            ChainError::Empty => "chain_empty",
            ChainError::TooLong { .. } => "chain_too_long",
            ChainError::CertTooLarge { .. } => "cert_too_large",
            ChainError::Malformed { .. } => "cert_malformed",
            ChainError::NotYetValid { .. } => "cert_not_yet_valid",
            ChainError::Expired { .. } => "cert_expired",
            ChainError::BadSignature { .. } => "cert_bad_signature",
            ChainError::UnsupportedAlgorithm { .. } => "cert_unsupported_algorithm",
            ChainError::IssuerNotCa { .. } => "issuer_not_ca",
            ChainError::IssuerLacksKeyCertSign { .. } => "issuer_lacks_key_cert_sign",
            ChainError::PathLenExceeded { .. } => "path_len_exceeded",
            ChainError::LeafLacksDigitalSignature => "leaf_lacks_digital_signature",
            ChainError::LeafIsCa => "leaf_is_ca",
            ChainError::NameMismatch { .. } => "issuer_name_mismatch",
            ChainError::UnknownIssuer { .. } => "unknown_issuer",
            ChainError::UnsupportedCriticalExtension { .. } => "unsupported_critical_extension",
            ChainError::BadAnchor(_) => "bad_trust_anchor",
            ChainError::Pem(_) => "pem",
            ChainError::NoValidationTime => "no_validation_time",
        }
    }
}

fn label(cert_index: usize) -> String {
    if cert_index == 0 {
        "certificate 0 (leaf)".into()
    } else {
        format!("certificate {cert_index}")
    }
}

/// `2024-03-02T00:00:00Z`, or the raw number for times `time` cannot hold.
pub(super) fn rfc3339(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        Err(_) => format!("unix time {t}"),
    }
}

/// An extension OID in words, saying so when it is one ashlog knows it
/// does not implement.
pub(super) fn ext_name(dotted: &str) -> String {
    let words = match dotted.parse::<Oid<'_>>() {
        Ok(oid) => oid_words(&oid),
        Err(_) => format!("OID {dotted}"),
    };
    if dotted == "2.5.29.30" {
        format!("{words}, which ashlog does not implement")
    } else {
        words
    }
}

/// `ecdsa-with-SHA512 (1.2.840.10045.4.3.4)`, or `OID 1.2.3.4` for OIDs
/// x509-parser's registry does not name.
pub(super) fn oid_words(oid: &Oid<'_>) -> String {
    let dotted = oid.to_id_string();
    match x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry()) {
        Ok(name) => format!("{name} ({dotted})"),
        Err(_) => format!("OID {dotted}"),
    }
}
