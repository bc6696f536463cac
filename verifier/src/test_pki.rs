//! A throwaway agency PKI for tests: a P-256 root CA, an issuing
//! ("agency") CA under it, and statement-signer leaf certificates.
//!
//! Compiled only for this crate's own tests and with the `test-pki` feature,
//! which other crates enable in their `[dev-dependencies]`; production builds
//! never contain it. Being test support, it panics on failure instead of
//! returning errors.
//!
//! ```
//! use ashlog::chain::{CertChain, TrustAnchors};
//! use ashlog::keys::P256SigningKey;
//! use ashlog::test_pki::TestPki;
//!
//! let iat = 1_764_000_000;
//! let pki = TestPki::new();
//! let (key_pem, chain, anchors_pem) = pki.leaf("https://agency.example/", iat - 60, iat + 86_400);
//! let anchors = TrustAnchors::from_pem(&anchors_pem).unwrap();
//! let validated = CertChain::from_der_list(chain).unwrap().validate(&anchors, &[iat]).unwrap();
//! assert!(validated.has_uri_san("https://agency.example/"));
//! let signer = P256SigningKey::from_pkcs8_pem(&key_pem).unwrap();
//! assert_eq!(validated.leaf_key(), signer.public_key());
//! ```
#![allow(clippy::expect_used)]

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SignatureAlgorithm,
};

use crate::chain::TrustAnchors;

/// Subject common name of the test root CA.
pub const ROOT_CN: &str = "Ashlog Test Root CA";
/// Subject common name of the test issuing (agency) CA.
pub const INTERMEDIATE_CN: &str = "Ashlog Test Agency CA";
/// Subject common name of every leaf from [`TestPki::leaf`].
pub const LEAF_CN: &str = "Ashlog Test Signer";
/// The root and intermediate are valid from 2000-01-01T00:00:00Z ...
pub const CA_NOT_BEFORE: i64 = 946_684_800;
/// ... to 2100-01-01T00:00:00Z, so a leaf's own window is what binds.
pub const CA_NOT_AFTER: i64 = 4_102_444_800;

/// An issuing certificate with its key.
pub(crate) type Ca = CertifiedIssuer<'static, KeyPair>;

/// A root CA (P-256, self-signed) and an intermediate CA under it.
pub struct TestPki {
    pub(crate) root: Ca,
    pub(crate) intermediate: Ca,
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// Fresh keys and certificates: `CN=Ashlog Test Root CA` issues
    /// `CN=Ashlog Test Agency CA` (both `O=Ashlog Test PKI, C=CN`, P-256,
    /// basicConstraints cA=true, keyUsage keyCertSign and cRLSign, valid
    /// [`CA_NOT_BEFORE`]..[`CA_NOT_AFTER`]).
    pub fn new() -> TestPki {
        let root = self_signed(
            ca_params(ROOT_CN, CA_NOT_BEFORE, CA_NOT_AFTER),
            key(&rcgen::PKCS_ECDSA_P256_SHA256),
        );
        let intermediate = issue_ca(
            ca_params(INTERMEDIATE_CN, CA_NOT_BEFORE, CA_NOT_AFTER),
            key(&rcgen::PKCS_ECDSA_P256_SHA256),
            &root,
        );
        TestPki { root, intermediate }
    }

    /// A new leaf certificate for a statement signer, issued by the
    /// intermediate: P-256, keyUsage digitalSignature, not a CA, one URI
    /// subject-alternative name `uri_san`, valid from `not_before` to
    /// `not_after` (unix seconds, inclusive).
    ///
    /// Returns (the leaf's PKCS#8 PEM private key, the x5chain DERs leaf
    /// first: `[leaf, intermediate]` without the root, the trust anchors PEM:
    /// the root certificate).
    pub fn leaf(
        &self,
        uri_san: &str,
        not_before: i64,
        not_after: i64,
    ) -> (String, Vec<Vec<u8>>, String) {
        let leaf_key = key(&rcgen::PKCS_ECDSA_P256_SHA256);
        let leaf = issue_leaf(
            &leaf_params(uri_san, not_before, not_after),
            &leaf_key,
            &self.intermediate,
        );
        (
            leaf_key.serialize_pem(),
            vec![leaf, self.intermediate_der()],
            self.anchors_pem(),
        )
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    /// The intermediate certificate, DER.
    pub fn intermediate_der(&self) -> Vec<u8> {
        self.intermediate.der().to_vec()
    }

    /// The trust anchors as PEM: the root certificate only.
    pub fn anchors_pem(&self) -> String {
        self.root.pem()
    }

    /// The trust anchors, parsed: the root certificate only.
    pub fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_pem(&self.anchors_pem()).expect("test root is a valid anchor")
    }
}

/// `CN=<cn>, O=Ashlog Test PKI, C=CN`.
pub(crate) fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "CN");
    dn.push(DnType::OrganizationName, "Ashlog Test PKI");
    dn.push(DnType::CommonName, cn);
    dn
}

fn datetime(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).expect("time in range")
}

/// Parameters of an unconstrained CA with keyUsage keyCertSign and cRLSign.
pub(crate) fn ca_params(cn: &str, not_before: i64, not_after: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.not_before = datetime(not_before);
    p.not_after = datetime(not_after);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    p
}

/// Parameters of a signer leaf: keyUsage digitalSignature, one URI SAN.
pub(crate) fn leaf_params(uri_san: &str, not_before: i64, not_after: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(LEAF_CN);
    p.not_before = datetime(not_before);
    p.not_after = datetime(not_after);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.subject_alt_names = vec![SanType::URI(
        uri_san.try_into().expect("URI SAN is an IA5 string"),
    )];
    p.use_authority_key_identifier_extension = true;
    p
}

/// A fresh key for `alg` (e.g. `rcgen::PKCS_ECDSA_P256_SHA256`).
pub(crate) fn key(alg: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::generate_for(alg).expect("key generation")
}

/// A self-signed CA.
pub(crate) fn self_signed(params: CertificateParams, key: KeyPair) -> Ca {
    CertifiedIssuer::self_signed(params, key).expect("self-signed CA")
}

/// A CA certificate issued by `parent`.
pub(crate) fn issue_ca(params: CertificateParams, key: KeyPair, parent: &Ca) -> Ca {
    CertifiedIssuer::signed_by(params, key, parent).expect("CA certificate")
}

/// An end-entity certificate for `key`, issued by `parent`, DER.
pub(crate) fn issue_leaf(params: &CertificateParams, key: &KeyPair, parent: &Ca) -> Vec<u8> {
    params
        .signed_by(key, parent)
        .expect("leaf certificate")
        .der()
        .to_vec()
}
