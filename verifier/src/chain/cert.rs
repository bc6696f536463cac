//! One certificate as validation sees it: the fields validation needs,
//! copied out of x509-parser's borrowed view, and names rendered for people.

use x509_parser::asn1_rs::{Any, Tag};
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
    OID_X509_EXT_SUBJECT_ALT_NAME, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER, Oid,
};
use x509_parser::prelude::{
    FromDer, GeneralName, ParsedExtension, X509Certificate, X509Name, X509Version,
};

use super::error::{CertRole, ChainError, oid_words};
use super::key::{CertKey, SigAlg};
use crate::keys::KeyError;

/// The fields of one certificate that validation needs, copied out of the
/// DER so that nothing borrows it.
#[derive(Clone)]
pub(super) struct Cert {
    pub(super) subject_raw: Vec<u8>,
    pub(super) issuer_raw: Vec<u8>,
    pub(super) spki: Vec<u8>,
    pub(super) tbs: Vec<u8>,
    /// The signature algorithm, or its name when keys.rs does not support it.
    pub(super) sig_alg: Result<SigAlg, String>,
    pub(super) signature: Vec<u8>,
    pub(super) not_before: i64,
    pub(super) not_after: i64,
    /// basicConstraints cA.
    pub(super) ca: bool,
    pub(super) path_len: Option<u32>,
    /// (digitalSignature, keyCertSign) when keyUsage is present.
    pub(super) key_usage: Option<(bool, bool)>,
    pub(super) uri_sans: Vec<String>,
    /// The first critical extension ashlog does not process, dotted.
    pub(super) unsupported_critical: Option<String>,
}

impl Cert {
    pub(super) fn parse(der: &[u8]) -> Result<Cert, String> {
        let (rest, x) = X509Certificate::from_der(der)
            .map_err(|e| format!("not a DER X.509 certificate ({e})"))?;
        if !rest.is_empty() {
            return Err(format!("{} bytes follow the certificate", rest.len()));
        }
        if x.tbs_certificate.signature != x.signature_algorithm {
            return Err("the signature algorithm inside the signed part differs from the outer one (RFC 5280 4.1.1.2)".into());
        }
        if x.signature_value.unused_bits != 0 {
            return Err("the signature BIT STRING has unused bits".into());
        }
        if !x.extensions().is_empty() && x.version() != X509Version::V3 {
            return Err("extensions in a certificate that is not version 3".into());
        }
        let alg_oid = &x.signature_algorithm.algorithm;
        let sig_alg = SigAlg::from_oid(&alg_oid.to_id_string()).ok_or_else(|| oid_words(alg_oid));
        let mut cert = Cert {
            subject_raw: x.subject().as_raw().to_vec(),
            issuer_raw: x.issuer().as_raw().to_vec(),
            spki: x.public_key().raw.to_vec(),
            tbs: x.tbs_certificate.as_ref().to_vec(),
            sig_alg,
            signature: x.signature_value.data.to_vec(),
            not_before: x.validity().not_before.timestamp(),
            not_after: x.validity().not_after.timestamp(),
            ca: false,
            path_len: None,
            key_usage: None,
            uri_sans: Vec::new(),
            unsupported_critical: None,
        };
        let mut seen: Vec<&Oid<'_>> = Vec::new();
        for ext in x.extensions() {
            if seen.contains(&&ext.oid) {
                return Err(format!("extension {} appears twice", oid_words(&ext.oid)));
            }
            seen.push(&ext.oid);
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    cert.ca = bc.ca;
                    cert.path_len = bc.path_len_constraint;
                }
                ParsedExtension::KeyUsage(ku) => {
                    cert.key_usage = Some((ku.digital_signature(), ku.key_cert_sign()));
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        if let GeneralName::URI(uri) = name {
                            cert.uri_sans.push((*uri).to_owned());
                        }
                    }
                }
                ParsedExtension::ExtendedKeyUsage(_)
                | ParsedExtension::SubjectKeyIdentifier(_)
                | ParsedExtension::AuthorityKeyIdentifier(_) => {}
                ParsedExtension::NameConstraints(_) if !ext.critical => {
                    return Err("nameConstraints is not marked critical (RFC 5280 4.2.1.10 requires it); ashlog will not ignore it".into());
                }
                ParsedExtension::ParseError { error } => {
                    // An extension we act on, or one that must not be
                    // ignored, has to parse; others are not our business.
                    if ext.critical || is_processed(&ext.oid) {
                        return Err(format!(
                            "extension {} cannot be parsed ({error:?})",
                            oid_words(&ext.oid)
                        ));
                    }
                }
                _ => {
                    if ext.critical && cert.unsupported_critical.is_none() {
                        cert.unsupported_critical = Some(ext.oid.to_id_string());
                    }
                }
            }
        }
        Ok(cert)
    }

    pub(super) fn subject(&self) -> String {
        dn_string(&self.subject_raw)
    }

    pub(super) fn issuer(&self) -> String {
        dn_string(&self.issuer_raw)
    }

    pub(super) fn self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }

    /// Validity at every time in `at`, reporting the first failure.
    pub(super) fn check_times(
        &self,
        cert_index: usize,
        role: CertRole,
        at: &[i64],
    ) -> Result<(), ChainError> {
        for &t in at {
            if t < self.not_before {
                return Err(ChainError::NotYetValid {
                    cert_index,
                    role,
                    subject: self.subject(),
                    not_before: self.not_before,
                    at: t,
                });
            }
            if t > self.not_after {
                return Err(ChainError::Expired {
                    cert_index,
                    role,
                    subject: self.subject(),
                    not_after: self.not_after,
                    at: t,
                });
            }
        }
        Ok(())
    }

    /// Checks this certificate's signature with `issuer_key`.
    pub(super) fn check_signed_by(
        &self,
        cert_index: usize,
        issuer_key: &CertKey,
        issuer_subject: &[u8],
    ) -> Result<(), ChainError> {
        let role = role_in_chain(cert_index);
        let alg = self
            .sig_alg
            .as_ref()
            .map_err(|alg| ChainError::UnsupportedAlgorithm {
                cert_index,
                role,
                subject: self.subject(),
                alg: format!("signature algorithm {alg}"),
            })?;
        issuer_key
            .verify_x509(*alg, &self.tbs, &self.signature)
            .map_err(|e| match e {
                KeyError::UnsupportedAlgorithm(what) => ChainError::UnsupportedAlgorithm {
                    cert_index,
                    role,
                    subject: self.subject(),
                    alg: format!("signature algorithm {what}"),
                },
                _ => ChainError::BadSignature {
                    cert_index,
                    role,
                    subject: self.subject(),
                    issuer: dn_string(issuer_subject),
                },
            })
    }
}

pub(super) fn role_in_chain(cert_index: usize) -> CertRole {
    if cert_index == 0 {
        CertRole::Leaf
    } else {
        CertRole::Intermediate
    }
}

fn is_processed(oid: &Oid<'_>) -> bool {
    [
        &OID_X509_EXT_BASIC_CONSTRAINTS,
        &OID_X509_EXT_KEY_USAGE,
        &OID_X509_EXT_SUBJECT_ALT_NAME,
        &OID_X509_EXT_EXTENDED_KEY_USAGE,
        &OID_X509_EXT_NAME_CONSTRAINTS,
        &OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
        &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
    ]
    .contains(&oid)
}

/// A distinguished name in RFC 4514 order and syntax (most specific first:
/// `CN=..., O=..., C=...`). Values that are not strings become `#hex`;
/// RFC 4514 specials are backslash-escaped, and so are control and
/// bidirectional-override characters, so a name cannot forge a log line.
pub(super) fn dn_string(raw: &[u8]) -> String {
    let Ok((_, name)) = X509Name::from_der(raw) else {
        return "<unparsable name>".into();
    };
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let key = match oid.as_str() {
                        "2.5.4.3" => "CN",
                        "2.5.4.6" => "C",
                        "2.5.4.7" => "L",
                        "2.5.4.8" => "ST",
                        "2.5.4.9" => "STREET",
                        "2.5.4.10" => "O",
                        "2.5.4.11" => "OU",
                        "2.5.4.5" => "serialNumber",
                        "2.5.4.97" => "organizationIdentifier",
                        "0.9.2342.19200300.100.1.25" => "DC",
                        "0.9.2342.19200300.100.1.1" => "UID",
                        "1.2.840.113549.1.9.1" => "emailAddress",
                        _ => oid.as_str(),
                    };
                    let value = match atv.as_str() {
                        Ok(s) => escape_dn_value(s),
                        Err(_) => match other_string(atv.attr_value()) {
                            Some(s) => escape_dn_value(&s),
                            None => format!("#{}", hex::encode(atv.as_slice())),
                        },
                    };
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    if rdns.is_empty() {
        return "<empty name>".into();
    }
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// Directory strings `as_str` does not cover: BMPString (UTF-16BE), and
/// TeletexString or VisibleString when their bytes are UTF-8.
fn other_string(any: &Any<'_>) -> Option<String> {
    match any.tag() {
        Tag::BmpString if any.data.len().is_multiple_of(2) => {
            let units: Vec<u16> = any
                .data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::T61String | Tag::VisibleString => {
            std::str::from_utf8(any.data).ok().map(str::to_owned)
        }
        _ => None,
    }
}

pub(super) fn escape_dn_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else if c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}
