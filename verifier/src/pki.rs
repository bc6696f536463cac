//! Issuing agency certificates: CAs for test deployments, the walkthrough,
//! the demo and the load generator, and certificate signing requests for
//! agencies.
//!
//! A real deployment's agencies get their certificates from their own
//! government PKI; the log only needs its root as a trust anchor. What this
//! module issues follows the profile the log checks (see [`crate::chain`]):
//! CAs with basicConstraints cA=true and keyCertSign; agency leaves with
//! keyUsage digitalSignature, not CAs, a P-256 key and exactly one URI
//! subject alternative name, the agency's `iss`.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use zeroize::Zeroizing;

use crate::keys::P256SigningKey;

/// Why a certificate could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// rcgen refused (bad name, bad key, bad CSR); the message says why.
    #[error("{0}")]
    Rcgen(String),
    /// A time outside the range certificates can express.
    #[error("time {0} is out of range")]
    Time(i64),
    /// A CSR asked for something an agency certificate cannot have.
    #[error("certificate request refused: {0}")]
    Refused(String),
}

fn rc(e: rcgen::Error) -> PkiError {
    PkiError::Rcgen(e.to_string())
}

/// A distinguished name: CN, O, C.
#[derive(Clone, Debug)]
pub struct Name {
    /// Common name, e.g. "Wuxi Big Data Administration".
    pub common_name: String,
    /// Organisation (empty: no O attribute).
    pub organization: String,
    /// Two-letter country code (empty: no C attribute).
    pub country: String,
}

impl Name {
    /// The distinguished name. An empty attribute is left out rather than
    /// encoded empty: `O=` in a subject means nothing and reads as an error.
    fn to_dn(&self) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        for (ty, value) in [
            (DnType::CountryName, &self.country),
            (DnType::OrganizationName, &self.organization),
            (DnType::CommonName, &self.common_name),
        ] {
            if !value.is_empty() {
                dn.push(ty, value.as_str());
            }
        }
        dn
    }
}

fn datetime(unix: i64) -> Result<time::OffsetDateTime, PkiError> {
    time::OffsetDateTime::from_unix_timestamp(unix).map_err(|_| PkiError::Time(unix))
}

fn ca_params(name: &Name, not_before: i64, not_after: i64) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = name.to_dn();
    p.not_before = datetime(not_before)?;
    p.not_after = datetime(not_after)?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

fn leaf_params(
    name: &Name,
    uri_san: &str,
    not_before: i64,
    not_after: i64,
) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::default();
    p.distinguished_name = name.to_dn();
    p.not_before = datetime(not_before)?;
    p.not_after = datetime(not_after)?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.subject_alt_names =
        vec![SanType::URI(uri_san.try_into().map_err(|_| {
            PkiError::Refused(format!("{uri_san:?} is not a valid URI"))
        })?)];
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

/// How an issued leaf deviates from the agency profile (tests only).
#[derive(Clone, Debug)]
pub struct LeafOptions {
    /// keyUsage digitalSignature (true in the profile).
    pub digital_signature: bool,
}

impl Default for LeafOptions {
    fn default() -> Self {
        LeafOptions {
            digital_signature: true,
        }
    }
}

/// A certification authority: certificate and key.
pub struct Authority {
    issuer: rcgen::Issuer<'static, KeyPair>,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Authority({} bytes)", self.cert_der.len())
    }
}

impl Authority {
    /// A new self-signed root CA with a fresh P-256 key.
    pub fn new_root(name: &Name, not_before: i64, not_after: i64) -> Result<Authority, PkiError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rc)?;
        let params = ca_params(name, not_before, not_after)?;
        let cert = params.self_signed(&key).map_err(rc)?;
        Ok(Authority {
            cert_der: cert.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
        })
    }

    /// A new intermediate CA under this one.
    pub fn new_intermediate(
        &self,
        name: &Name,
        not_before: i64,
        not_after: i64,
    ) -> Result<Authority, PkiError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rc)?;
        let params = ca_params(name, not_before, not_after)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(rc)?;
        Ok(Authority {
            cert_der: cert.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
        })
    }

    /// Loads a CA from its certificate and PKCS#8 key (PEM).
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<Authority, PkiError> {
        let key = KeyPair::from_pem(key_pem).map_err(rc)?;
        let cert_der = pem_body(cert_pem, "CERTIFICATE")?;
        let issuer = rcgen::Issuer::from_ca_cert_pem(cert_pem, key).map_err(rc)?;
        Ok(Authority { issuer, cert_der })
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        to_pem("CERTIFICATE", &self.cert_der)
    }

    /// The CA's private key as PKCS#8 PEM (wiped on drop). Write it with
    /// [`crate::keys::write_secret_file`].
    pub fn key_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(self.issuer.key().serialize_pem())
    }

    /// Issues an agency certificate for `key`, naming `uri_san`, DER.
    pub fn issue(
        &self,
        key: &P256SigningKey,
        name: &Name,
        uri_san: &str,
        not_before: i64,
        not_after: i64,
    ) -> Result<Vec<u8>, PkiError> {
        self.issue_with(
            key,
            name,
            uri_san,
            not_before,
            not_after,
            &LeafOptions::default(),
        )
    }

    /// Like [`Authority::issue`], with profile deviations for tests that
    /// check the log refuses them.
    pub fn issue_with(
        &self,
        key: &P256SigningKey,
        name: &Name,
        uri_san: &str,
        not_before: i64,
        not_after: i64,
        options: &LeafOptions,
    ) -> Result<Vec<u8>, PkiError> {
        let spki =
            rcgen::SubjectPublicKeyInfo::from_der(key.public_key().spki_der()).map_err(rc)?;
        let mut params = leaf_params(name, uri_san, not_before, not_after)?;
        if !options.digital_signature {
            params.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
        }
        let cert = params.signed_by(&spki, &self.issuer).map_err(rc)?;
        Ok(cert.der().to_vec())
    }

    /// Issues an agency certificate for a CSR, after checking it: the key
    /// must be P-256 and the CSR must ask for exactly one URI SAN (the
    /// agency's issuer URI). Whatever else it asks for is ignored; the
    /// certificate gets the agency-leaf profile.
    pub fn issue_for_csr(
        &self,
        csr_pem: &str,
        not_before: i64,
        not_after: i64,
    ) -> Result<(Vec<u8>, String), PkiError> {
        let csr = CertificateSigningRequestParams::from_pem(csr_pem).map_err(rc)?;
        let uris: Vec<String> = csr
            .params
            .subject_alt_names
            .iter()
            .filter_map(|s| match s {
                SanType::URI(u) => Some(u.as_str().to_string()),
                _ => None,
            })
            .collect();
        let [uri] = uris.as_slice() else {
            return Err(PkiError::Refused(format!(
                "the request must name exactly one URI subject alternative name (the agency's issuer URI), it names {}",
                uris.len()
            )));
        };
        let mut params = leaf_params(
            &Name {
                common_name: String::new(),
                organization: String::new(),
                country: String::new(),
            },
            uri,
            not_before,
            not_after,
        )?;
        params.distinguished_name = csr.params.distinguished_name.clone();
        let cert = params
            .signed_by(&csr.public_key, &self.issuer)
            .map_err(rc)?;
        Ok((cert.der().to_vec(), uri.clone()))
    }
}

/// A certificate signing request for an agency key, PEM: the name and the
/// agency's issuer URI as its only SAN.
pub fn csr(key: &P256SigningKey, name: &Name, uri_san: &str) -> Result<String, PkiError> {
    let pem = key
        .to_pkcs8_pem()
        .map_err(|e| PkiError::Rcgen(e.to_string()))?;
    let kp = KeyPair::from_pem(&pem).map_err(rc)?;
    // A CSR carries only what the agency asserts: its name and issuer URI.
    let mut params = CertificateParams::default();
    params.distinguished_name = name.to_dn();
    params.subject_alt_names =
        vec![SanType::URI(uri_san.try_into().map_err(|_| {
            PkiError::Refused(format!("{uri_san:?} is not a valid URI"))
        })?)];
    let req = params.serialize_request(&kp).map_err(rc)?;
    req.pem().map_err(rc)
}

/// PEM armour.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, PkiError> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| PkiError::Refused(format!("no {label} block")))?
        + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or_else(|| PkiError::Refused(format!("unterminated {label} block")))?
        + start;
    let b64: String = pem[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| PkiError::Refused(format!("{label} is not base64")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{CertChain, TrustAnchors};

    fn name(cn: &str) -> Name {
        Name {
            common_name: cn.into(),
            organization: "Test".into(),
            country: "CN".into(),
        }
    }

    /// `ashlog key new` without `--org`: the subject has no `O=` at all.
    #[test]
    fn empty_name_attributes_are_left_out() {
        let now = 1_800_000_000;
        let root = Authority::new_root(&name("Root"), now - 1000, now + 100_000).unwrap();
        let key = P256SigningKey::generate().unwrap();
        let bare = Name {
            common_name: "Agency".into(),
            organization: String::new(),
            country: "CN".into(),
        };
        let (leaf, _) = root
            .issue_for_csr(
                &csr(&key, &bare, "https://agency.example").unwrap(),
                now,
                now + 10,
            )
            .unwrap();
        let anchors = TrustAnchors::from_pem(&root.cert_pem()).unwrap();
        let v = CertChain::from_der_list(vec![leaf])
            .unwrap()
            .validate(&anchors, &[now])
            .unwrap();
        assert_eq!(v.leaf_subject(), "CN=Agency, C=CN");
    }

    #[test]
    fn issued_chain_validates_and_reloads() {
        let now = 1_800_000_000;
        let root = Authority::new_root(&name("Root"), now - 1000, now + 100_000).unwrap();
        let inter = root
            .new_intermediate(&name("Agency CA"), now - 1000, now + 100_000)
            .unwrap();
        let key = P256SigningKey::generate().unwrap();
        let leaf = inter
            .issue(
                &key,
                &name("Agency"),
                "https://agency.example",
                now - 10,
                now + 1000,
            )
            .unwrap();
        let anchors = TrustAnchors::from_pem(&root.cert_pem()).unwrap();
        let v = CertChain::from_der_list(vec![leaf, inter.cert_der().to_vec()])
            .unwrap()
            .validate(&anchors, &[now])
            .unwrap();
        assert!(v.has_uri_san("https://agency.example"));
        assert_eq!(v.leaf_key(), key.public_key());
        // A reloaded CA issues certificates that chain the same way.
        let again = Authority::load(&inter.cert_pem(), &inter.key_pem()).unwrap();
        let csr = csr(&key, &name("Agency 2"), "https://agency2.example").unwrap();
        let (leaf2, uri) = again.issue_for_csr(&csr, now - 10, now + 1000).unwrap();
        assert_eq!(uri, "https://agency2.example");
        let v2 = CertChain::from_der_list(vec![leaf2, inter.cert_der().to_vec()])
            .unwrap()
            .validate(&anchors, &[now])
            .unwrap();
        assert!(v2.leaf_subject().contains("Agency 2"));
    }
}
