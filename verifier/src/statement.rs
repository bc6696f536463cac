//! SCITT Signed Statements (RFC 9943): tagged COSE_Sign1 with ES256, the
//! statement as attached CBOR payload, and the agency's identity in the
//! protected header.
//!
//! Protected header (ashlog profile): `1` alg = -7 (ES256); `3` content type
//! `application/vnd.ashlog.<kind>+cbor`; `15` CWT claims {`1` iss, `2` sub,
//! `6` iat}; and either `33` x5chain (leaf first, a bstr or an array) for
//! agencies, or `4` kid for the log's own policy statements.
//!
//! The registered form of a statement is the same message with an empty
//! unprotected header; its SHA-256 is the log entry, and
//! `SHA-256(0x00 || entry)` the leaf hash. The signature covers only the
//! protected header and the payload, so receipts can be added under label
//! 394 without touching it. Signatures are always checked over the protected
//! bytes exactly as received.

use ciborium::Value;
use coset::{CoseSign1, TaggedCborSerializable};
use sha2::{Digest, Sha256};

use crate::cbor::{self, Brief, CborError};
use crate::keys::{KeyError, P256SigningKey, PublicKey};
use crate::merkle::{self, Hash};

/// Largest Signed Statement accepted, in bytes (DESIGN §3).
pub const MAX_STATEMENT_BYTES: usize = 64 * 1024;
/// Most receipts read from one Transparent Statement.
pub const MAX_RECEIPTS: usize = 8;

/// COSE header label: CWT claims (RFC 9597).
pub const LABEL_CWT_CLAIMS: i64 = 15;
/// COSE header label: x5chain (RFC 9360).
pub const LABEL_X5CHAIN: i64 = 33;
/// COSE header label: receipts (RFC 9942).
pub const LABEL_RECEIPTS: i64 = 394;
/// CWT claim: issuer.
pub const CWT_ISS: i64 = 1;
/// CWT claim: subject.
pub const CWT_SUB: i64 = 2;
/// CWT claim: issued at.
pub const CWT_IAT: i64 = 6;
/// COSE algorithm ES256.
pub const ALG_ES256: i64 = -7;
/// Longest `iss` or `sub` accepted (RFC 9943 bounds iss to 8192; ashlog is
/// stricter because both are shown to people and indexed).
pub const MAX_CLAIM_LEN: usize = 1024;

/// Why a Signed Statement was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StatementError {
    /// Larger than [`MAX_STATEMENT_BYTES`].
    #[error("statement is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not strict CBOR.
    #[error("statement is not valid CBOR: {0}")]
    Cbor(#[from] CborError),
    /// Valid CBOR but not a tagged COSE_Sign1.
    #[error("not a tagged COSE_Sign1: {0}")]
    NotCoseSign1(String),
    /// The algorithm is not ES256.
    #[error("signature algorithm {0} is not supported (ES256, -7, is required)")]
    UnsupportedAlgorithm(String),
    /// A required protected header is missing.
    #[error("protected header {0} is missing")]
    MissingHeader(&'static str),
    /// A header has the wrong type or value.
    #[error("header {label}: {reason}")]
    BadHeader {
        /// Which header.
        label: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The statement marks headers critical, which this profile does not
    /// define; a verifier must refuse what it does not understand.
    #[error("critical headers are not supported")]
    CriticalHeaders,
    /// The payload is detached (nil).
    #[error("payload is detached; ashlog statements carry their payload")]
    PayloadMissing,
    /// The signature is not 64 bytes or does not verify.
    #[error("statement signature: {0}")]
    Signature(#[from] KeyError),
}

impl StatementError {
    /// A short stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StatementError::TooLarge { .. } => "too_large",
            StatementError::Cbor(_) => "bad_cbor",
            StatementError::NotCoseSign1(_) => "not_cose_sign1",
            StatementError::UnsupportedAlgorithm(_) => "bad_algorithm",
            StatementError::MissingHeader(_) => "missing_header",
            StatementError::BadHeader { .. } => "bad_header",
            StatementError::CriticalHeaders => "critical_headers",
            StatementError::PayloadMissing => "payload_missing",
            StatementError::Signature(_) => "bad_signature",
        }
    }
}

/// Who signed: a certificate chain (agencies) or a key id (the log itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerId {
    /// x5chain, leaf first, DER certificates.
    X5Chain(Vec<Vec<u8>>),
    /// kid.
    Kid(Vec<u8>),
}

/// A parsed Signed Statement (its signature not yet checked: see
/// [`SignedStatement::verify_signature`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedStatement {
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    receipts: Vec<Vec<u8>>,
    /// Content type (header 3).
    pub content_type: String,
    /// CWT iss: the issuer's URI.
    pub iss: String,
    /// CWT sub: the statement's subject.
    pub sub: String,
    /// CWT iat: signing time, seconds since the epoch.
    pub iat: i64,
    /// x5chain or kid.
    pub signer: SignerId,
}

fn bad(label: &'static str, reason: impl Into<String>) -> StatementError {
    StatementError::BadHeader {
        label,
        reason: reason.into(),
    }
}

fn int_of(v: &Value) -> Option<i128> {
    match v {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

impl SignedStatement {
    /// Parses a Signed Statement or a Transparent Statement. Ok means the
    /// bytes are strict CBOR, a tagged COSE_Sign1 of this profile with every
    /// required header well-formed; nothing about the signature or the
    /// signer's authority is established yet.
    pub fn parse(bytes: &[u8]) -> Result<SignedStatement, StatementError> {
        // A Transparent Statement is a statement plus receipts; allow room
        // for them, while the registration path caps the body first.
        let max = MAX_STATEMENT_BYTES * (1 + MAX_RECEIPTS);
        if bytes.len() > max {
            return Err(StatementError::TooLarge {
                len: bytes.len(),
                max,
            });
        }
        cbor::check_strict(bytes)?;
        let msg = CoseSign1::from_tagged_slice(bytes)
            .map_err(|e| StatementError::NotCoseSign1(e.to_string()))?;
        let protected = msg
            .protected
            .original_data
            .clone()
            .ok_or(StatementError::MissingHeader("protected"))?;
        cbor::check_strict(&protected)?;
        let h = &msg.protected.header;
        if !h.crit.is_empty() {
            return Err(StatementError::CriticalHeaders);
        }
        match &h.alg {
            Some(coset::RegisteredLabelWithPrivate::Assigned(coset::iana::Algorithm::ES256)) => {}
            Some(other) => return Err(StatementError::UnsupportedAlgorithm(format!("{other:?}"))),
            None => return Err(StatementError::MissingHeader("1 (alg)")),
        }
        let content_type = match &h.content_type {
            Some(coset::ContentType::Text(t)) => t.clone(),
            Some(other) => {
                return Err(bad(
                    "3 (content type)",
                    format!("{other:?} is not a media type"),
                ));
            }
            None => return Err(StatementError::MissingHeader("3 (content type)")),
        };
        if content_type.len() > 256 {
            return Err(bad("3 (content type)", "too long"));
        }
        let mut claims = None;
        let mut x5chain = None;
        for (label, value) in &h.rest {
            match label {
                coset::Label::Int(LABEL_CWT_CLAIMS) => claims = Some(value),
                coset::Label::Int(LABEL_X5CHAIN) => x5chain = Some(value),
                _ => {}
            }
        }
        let claims = claims.ok_or(StatementError::MissingHeader("15 (CWT claims)"))?;
        let Value::Map(entries) = claims else {
            return Err(bad("15 (CWT claims)", "not a map"));
        };
        let (mut iss, mut sub, mut iat) = (None, None, None);
        for (k, v) in entries {
            match int_of(k) {
                Some(1) => match v {
                    Value::Text(t) => iss = Some(t.clone()),
                    other => {
                        return Err(bad("15.1 (iss)", format!("{} is not text", Brief(other))));
                    }
                },
                Some(2) => match v {
                    Value::Text(t) => sub = Some(t.clone()),
                    other => {
                        return Err(bad("15.2 (sub)", format!("{} is not text", Brief(other))));
                    }
                },
                Some(6) => match int_of(v).and_then(|i| i64::try_from(i).ok()) {
                    Some(t) if t >= 0 => iat = Some(t),
                    _ => return Err(bad("15.6 (iat)", "not a non-negative integer")),
                },
                _ => {}
            }
        }
        let iss = iss.ok_or(StatementError::MissingHeader("15.1 (iss)"))?;
        let sub = sub.ok_or(StatementError::MissingHeader("15.2 (sub)"))?;
        let iat = iat.ok_or(StatementError::MissingHeader("15.6 (iat)"))?;
        for (name, v) in [("15.1 (iss)", &iss), ("15.2 (sub)", &sub)] {
            if v.is_empty() || v.len() > MAX_CLAIM_LEN || v.chars().any(char::is_control) {
                return Err(bad(
                    name,
                    format!("must be 1..={MAX_CLAIM_LEN} printable characters"),
                ));
            }
        }
        let signer = match (x5chain, h.key_id.is_empty()) {
            (Some(chain), _) => SignerId::X5Chain(parse_x5chain(chain)?),
            (None, false) => SignerId::Kid(h.key_id.clone()),
            (None, true) => return Err(StatementError::MissingHeader("33 (x5chain) or 4 (kid)")),
        };
        let payload = msg.payload.clone().ok_or(StatementError::PayloadMissing)?;
        let mut receipts = Vec::new();
        for (label, value) in &msg.unprotected.rest {
            if *label == coset::Label::Int(LABEL_RECEIPTS) {
                let Value::Array(items) = value else {
                    return Err(bad("394 (receipts)", "not an array"));
                };
                if items.is_empty() || items.len() > MAX_RECEIPTS {
                    return Err(bad(
                        "394 (receipts)",
                        format!("must hold 1..={MAX_RECEIPTS} receipts"),
                    ));
                }
                for r in items {
                    match r {
                        Value::Bytes(b) => receipts.push(b.clone()),
                        other => {
                            return Err(bad(
                                "394 (receipts)",
                                format!("{} is not a bstr", Brief(other)),
                            ));
                        }
                    }
                }
            }
        }
        Ok(SignedStatement {
            protected,
            payload,
            signature: msg.signature,
            receipts,
            content_type,
            iss,
            sub,
            iat,
            signer,
        })
    }

    /// The protected header bytes as received.
    pub fn protected_bytes(&self) -> &[u8] {
        &self.protected
    }

    /// The payload as received.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The 64-byte signature as received.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Receipts carried under unprotected label 394 (a Transparent
    /// Statement), each the bytes of a COSE_Sign1.
    pub fn receipts(&self) -> &[Vec<u8>] {
        &self.receipts
    }

    /// The x5chain, if the signer is identified by one.
    pub fn x5chain(&self) -> Option<&[Vec<u8>]> {
        match &self.signer {
            SignerId::X5Chain(c) => Some(c),
            SignerId::Kid(_) => None,
        }
    }

    /// The COSE Sig_structure the signature covers:
    /// `["Signature1", protected, h'', payload]`.
    pub fn to_be_signed(&self) -> Vec<u8> {
        sig_structure(&self.protected, &self.payload)
    }

    /// Checks the ES256 signature with `key`. Ok means `key` signed exactly
    /// these protected headers and this payload.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<(), StatementError> {
        key.verify_es256(&self.to_be_signed(), &self.signature)?;
        Ok(())
    }

    /// The registered form: tag 18, the protected bytes, an empty
    /// unprotected map, the payload and the signature, all as received.
    pub fn registered_bytes(&self) -> Vec<u8> {
        self.encode_with_unprotected(&[0xa0])
    }

    /// The tlog entry: `SHA-256(registered bytes)`.
    pub fn entry(&self) -> Hash {
        Hash(Sha256::digest(self.registered_bytes()).into())
    }

    /// The Merkle leaf hash: `SHA-256(0x00 || entry)`.
    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.entry().0)
    }

    /// This statement as a Transparent Statement carrying `receipts` under
    /// unprotected label 394 (replacing any it had).
    pub fn with_receipts(&self, receipts: &[Vec<u8>]) -> Vec<u8> {
        let mut unprotected = vec![0xa1];
        cbor::push_head(&mut unprotected, 0, LABEL_RECEIPTS as u64);
        cbor::push_head(&mut unprotected, 4, receipts.len() as u64);
        for r in receipts {
            cbor::push_bstr(&mut unprotected, r);
        }
        self.encode_with_unprotected(&unprotected)
    }

    fn encode_with_unprotected(&self, unprotected: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.protected.len()
                + self.payload.len()
                + self.signature.len()
                + unprotected.len()
                + 16,
        );
        out.extend_from_slice(&[0xd2, 0x84]);
        cbor::push_bstr(&mut out, &self.protected);
        out.extend_from_slice(unprotected);
        cbor::push_bstr(&mut out, &self.payload);
        cbor::push_bstr(&mut out, &self.signature);
        out
    }
}

fn parse_x5chain(v: &Value) -> Result<Vec<Vec<u8>>, StatementError> {
    match v {
        Value::Bytes(b) => Ok(vec![b.clone()]),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(bad("33 (x5chain)", "empty array"));
            }
            items
                .iter()
                .map(|i| match i {
                    Value::Bytes(b) => Ok(b.clone()),
                    other => Err(bad(
                        "33 (x5chain)",
                        format!("{} is not a certificate", Brief(other)),
                    )),
                })
                .collect()
        }
        other => Err(bad(
            "33 (x5chain)",
            format!("{} is neither a bstr nor an array", Brief(other)),
        )),
    }
}

/// `["Signature1", protected, h'', payload]`, the bytes a COSE_Sign1
/// signature covers (RFC 9052 §4.4).
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + payload.len() + 24);
    out.push(0x84);
    out.push(0x6a);
    out.extend_from_slice(b"Signature1");
    cbor::push_bstr(&mut out, protected);
    out.push(0x40);
    cbor::push_bstr(&mut out, payload);
    out
}

/// What an agency (or the log) puts in the protected header when signing.
#[derive(Clone, Debug)]
pub struct StatementHeader {
    /// Media type of the payload.
    pub content_type: String,
    /// Issuer URI (the leaf certificate's URI SAN).
    pub iss: String,
    /// Subject.
    pub sub: String,
    /// Signing time, seconds.
    pub iat: i64,
    /// Certificate chain or key id.
    pub signer: SignerId,
}

impl StatementHeader {
    /// The protected header, encoded with keys in RFC 8949 core
    /// deterministic order (1, 3, 4, 15, 33); a single certificate is a bstr
    /// as RFC 9360 asks.
    pub fn encode(&self) -> Vec<u8> {
        let mut fields: Vec<(Value, Value)> = vec![
            (Value::from(1), Value::from(ALG_ES256)),
            (Value::from(3), Value::Text(self.content_type.clone())),
        ];
        if let SignerId::Kid(k) = &self.signer {
            fields.push((Value::from(4), Value::Bytes(k.clone())));
        }
        fields.push((
            Value::from(LABEL_CWT_CLAIMS),
            Value::Map(vec![
                (Value::from(CWT_ISS), Value::Text(self.iss.clone())),
                (Value::from(CWT_SUB), Value::Text(self.sub.clone())),
                (Value::from(CWT_IAT), Value::from(self.iat)),
            ]),
        ));
        if let SignerId::X5Chain(chain) = &self.signer {
            let v = if chain.len() == 1 {
                Value::Bytes(chain[0].clone())
            } else {
                Value::Array(chain.iter().map(|c| Value::Bytes(c.clone())).collect())
            };
            fields.push((Value::from(LABEL_X5CHAIN), v));
        }
        cbor::to_vec(&Value::Map(fields))
    }

    /// Signs `payload` under this header with `key`: a tagged COSE_Sign1 with
    /// an empty unprotected header, i.e. already in registered form.
    pub fn sign(&self, payload: &[u8], key: &P256SigningKey) -> Vec<u8> {
        let protected = self.encode();
        let sig = key.sign_es256(&sig_structure(&protected, payload));
        let mut out = vec![0xd2, 0x84];
        cbor::push_bstr(&mut out, &protected);
        out.push(0xa0);
        cbor::push_bstr(&mut out, payload);
        cbor::push_bstr(&mut out, &sig);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scitt digest §5.3: the deterministic statement (kid variant, JSON
    /// payload) reproduces byte for byte.
    const VECTOR_STATEMENT: &str = "d2845870a4012603706170706c69636174696f6e2f6a736f6e045820750ca40795ab23e51a75dc76fa12c052f6f6c57ba8a732337b91f096592b6ef60fa3017668747470733a2f2f6167656e63792e6578616d706c65027675726e3a6578616d706c653a646174617365743a3432061a6968baa0a058857b2273746174656d656e74223a22646174612d6465737472756374696f6e222c226f626a656374223a2275726e3a6578616d706c653a646174617365743a3432222c226d6574686f64223a224e495354205350203830302d3838205075726765222c22636f6d706c65746564223a22323032362d30312d31355431303a30303a30305a227d5840b5bf9be30a53d41cc9e9c533b0bdf2c9dc690450b5384c6e86a90934d89601cdfb168e58aa558282ffa541ed909d66333ce1395a172b2b9e46bdb566ecf62867";
    const PAYLOAD: &str = r#"{"statement":"data-destruction","object":"urn:example:dataset:42","method":"NIST SP 800-88 Purge","completed":"2026-01-15T10:00:00Z"}"#;

    fn issuer_key() -> P256SigningKey {
        P256SigningKey::from_scalar(
            &hex::decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn digest_vector_reproduces_and_verifies() {
        let key = issuer_key();
        let header = StatementHeader {
            content_type: "application/json".into(),
            iss: "https://agency.example".into(),
            sub: "urn:example:dataset:42".into(),
            iat: 1768471200,
            signer: SignerId::Kid(
                hex::decode("750ca40795ab23e51a75dc76fa12c052f6f6c57ba8a732337b91f096592b6ef6")
                    .unwrap(),
            ),
        };
        let signed = header.sign(PAYLOAD.as_bytes(), &key);
        assert_eq!(hex::encode(&signed), VECTOR_STATEMENT);
        let s = SignedStatement::parse(&signed).unwrap();
        s.verify_signature(key.public_key()).unwrap();
        assert_eq!(s.registered_bytes(), signed);
        assert_eq!(
            s.entry().to_hex(),
            "476558a2a8639c352150f57d6c38777c5c4a595a36d2c7e089e600d4bf3ef57f"
        );
        assert_eq!(
            s.leaf_hash().to_hex(),
            "3817b374786f35fdf00af02f7cc06b46d60777b879985a3e5e0e35e13b1a1575"
        );
        assert_eq!(s.iat, 1768471200);
        assert_eq!(s.iss, "https://agency.example");
    }

    #[test]
    fn transparent_statement_strips_back_to_registered() {
        let s = SignedStatement::parse(&hex::decode(VECTOR_STATEMENT).unwrap()).unwrap();
        let ts = s.with_receipts(&[vec![1, 2, 3]]);
        let back = SignedStatement::parse(&ts).unwrap();
        assert_eq!(back.receipts(), &[vec![1u8, 2, 3]]);
        assert_eq!(back.registered_bytes(), s.registered_bytes());
        assert_eq!(back.entry(), s.entry());
        back.verify_signature(issuer_key().public_key()).unwrap();
    }

    #[test]
    fn x5chain_array_and_bstr_both_parse() {
        let key = issuer_key();
        for chain in [
            vec![vec![0x30, 0x00]],
            vec![vec![0x30, 0x00], vec![0x30, 0x01]],
        ] {
            let h = StatementHeader {
                content_type: "application/vnd.ashlog.destruction+cbor".into(),
                iss: "https://a.example".into(),
                sub: "s".into(),
                iat: 1,
                signer: SignerId::X5Chain(chain.clone()),
            };
            let s = SignedStatement::parse(&h.sign(b"\xa0", &key)).unwrap();
            assert_eq!(s.x5chain().unwrap(), &chain[..]);
        }
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let bytes = hex::decode(VECTOR_STATEMENT).unwrap();
        let key = issuer_key();
        // Flip one byte of the payload text and of the signature.
        for pos in [200usize, bytes.len() - 5] {
            let mut b = bytes.clone();
            b[pos] ^= 0x01;
            let s = SignedStatement::parse(&b).unwrap();
            assert!(s.verify_signature(key.public_key()).is_err(), "byte {pos}");
        }
    }

    #[test]
    fn rejects_profile_violations() {
        let key = issuer_key();
        let base = StatementHeader {
            content_type: "application/vnd.ashlog.destruction+cbor".into(),
            iss: "https://a.example".into(),
            sub: "s".into(),
            iat: 1,
            signer: SignerId::X5Chain(vec![vec![0x30, 0x00]]),
        };
        let sign_with = |protected: Value| {
            let p = cbor::to_vec(&protected);
            let sig = key.sign_es256(&sig_structure(&p, b"\xa0"));
            let mut out = vec![0xd2, 0x84];
            cbor::push_bstr(&mut out, &p);
            out.push(0xa0);
            cbor::push_bstr(&mut out, b"\xa0");
            cbor::push_bstr(&mut out, &sig);
            out
        };
        let good: Value = ciborium::de::from_reader(&base.encode()[..]).unwrap();
        let Value::Map(fields) = good else { panic!() };
        let with = |label: i64, v: Option<Value>| {
            let mut f: Vec<(Value, Value)> = fields
                .iter()
                .filter(|(k, _)| *k != Value::from(label))
                .cloned()
                .collect();
            if let Some(v) = v {
                f.push((Value::from(label), v));
            }
            sign_with(Value::Map(f))
        };
        assert!(matches!(
            SignedStatement::parse(&with(1, Some(Value::from(-35)))),
            Err(StatementError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            SignedStatement::parse(&with(1, None)),
            Err(StatementError::MissingHeader(_))
        ));
        assert!(matches!(
            SignedStatement::parse(&with(15, None)),
            Err(StatementError::MissingHeader(_))
        ));
        assert!(matches!(
            SignedStatement::parse(&with(33, None)),
            Err(StatementError::MissingHeader(_))
        ));
        assert!(matches!(
            SignedStatement::parse(&with(33, Some(Value::from(5)))),
            Err(StatementError::BadHeader { .. })
        ));
        let r = SignedStatement::parse(&with(2, Some(Value::Array(vec![Value::from(33)]))));
        assert!(matches!(r, Err(StatementError::CriticalHeaders)), "{r:?}");
        assert!(matches!(
            SignedStatement::parse(&with(
                15,
                Some(Value::Map(vec![(Value::from(1), Value::from("i"))]))
            )),
            Err(StatementError::MissingHeader(_))
        ));
        // Untagged, detached payload, trailing bytes, oversize.
        let ok = base.sign(b"\xa0", &key);
        assert!(SignedStatement::parse(&ok[1..]).is_err());
        let mut detached = ok.clone();
        let plen = ok.len();
        detached.truncate(plen - 66 - 2);
        detached.push(0xf6);
        detached.extend_from_slice(&ok[plen - 66..]);
        assert_eq!(
            SignedStatement::parse(&detached),
            Err(StatementError::PayloadMissing)
        );
        let mut trailing = ok.clone();
        trailing.push(0);
        assert!(matches!(
            SignedStatement::parse(&trailing),
            Err(StatementError::Cbor(_))
        ));
        assert!(matches!(
            SignedStatement::parse(&vec![0u8; MAX_STATEMENT_BYTES * 10]),
            Err(StatementError::TooLarge { .. })
        ));
    }
}
