//! COSE Receipts (RFC 9942) for the RFC9162_SHA256 verifiable data
//! structure (vds = 1), as ashlog mints them.
//!
//! ```text
//! 18([ protected:   {1: -7, 4: kid, 15: {1: iss, 6: iat}, 395: 1},
//!      unprotected: {396: {-1: [ bstr(cbor([tree_size, leaf_index, [path...]])) ]},
//!                    -65538: "<cosigned checkpoint note>"},
//!      payload:     nil,                 ; detached: the tree root
//!      signature:   ES256(root) ])
//! ```
//!
//! RFC 9942 signs the root but not `tree_size` or `leaf_index`, so a verifier
//! must tie the size to something signed: ashlog carries the published,
//! witness-cosigned checkpoint of that size under the private label -65538,
//! and [`crate::verify`] requires its size and root to be the receipt's.
//! Because the signature covers only the protected header and the root, one
//! signature per published tree size serves every receipt at that size.

use ciborium::Value;
use coset::{CoseSign1, TaggedCborSerializable};
use sha2::{Digest, Sha256};

use crate::cbor::{self, CborError};
use crate::keys::{KeyError, P256SigningKey, PublicKey};
use crate::merkle::{self, Hash, MAX_PROOF_HASHES, ProofError};
use crate::statement::{ALG_ES256, LABEL_CWT_CLAIMS, sig_structure};

/// COSE header: verifiable data structure (RFC 9942).
pub const LABEL_VDS: i64 = 395;
/// COSE header: verifiable data proofs (RFC 9942).
pub const LABEL_VDP: i64 = 396;
/// vds value for RFC 9162 SHA-256 trees.
pub const VDS_RFC9162_SHA256: i64 = 1;
/// Private-use unprotected label carrying the cosigned checkpoint note.
pub const LABEL_CHECKPOINT: i64 = -65538;
/// Largest receipt accepted.
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024;

/// Why a receipt was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReceiptError {
    /// Not strict CBOR.
    #[error("receipt is not valid CBOR: {0}")]
    Cbor(#[from] CborError),
    /// Not a receipt of this profile; says what is wrong.
    #[error("malformed receipt: {0}")]
    Malformed(String),
    /// vds is not RFC9162_SHA256.
    #[error("receipt uses verifiable data structure {0}, only 1 (RFC9162_SHA256) is supported")]
    UnsupportedVds(i128),
    /// The inclusion proof does not fit the tree.
    #[error("receipt inclusion proof: {0}")]
    Proof(#[from] ProofError),
    /// The log's signature over the root fails.
    #[error("receipt signature: {0}")]
    Signature(#[from] KeyError),
}

/// A parsed receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    protected: Vec<u8>,
    signature: Vec<u8>,
    /// Key id of the log key (RFC 9679 thumbprint for ashlog).
    pub kid: Option<Vec<u8>>,
    /// The service's issuer name.
    pub iss: Option<String>,
    /// When the receipt was minted, seconds.
    pub iat: Option<i64>,
    /// Tree size the proof is for (not signed by RFC 9942 itself).
    pub tree_size: u64,
    /// Leaf index (not signed by RFC 9942 itself).
    pub leaf_index: u64,
    /// Inclusion path, leaf's sibling first.
    pub path: Vec<Hash>,
    /// The cosigned checkpoint note under label -65538, if present.
    pub checkpoint: Option<String>,
}

fn malformed(s: impl Into<String>) -> ReceiptError {
    ReceiptError::Malformed(s.into())
}

fn int(v: &Value) -> Option<i128> {
    match v {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

impl Receipt {
    /// Parses a receipt. Ok means strict CBOR, a tagged COSE_Sign1 with a
    /// nil payload, ES256, vds 1, exactly one inclusion proof of the right
    /// shape; the signature is not checked yet.
    pub fn parse(bytes: &[u8]) -> Result<Receipt, ReceiptError> {
        if bytes.len() > MAX_RECEIPT_BYTES {
            return Err(malformed("too large"));
        }
        cbor::check_strict(bytes)?;
        let msg = CoseSign1::from_tagged_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if msg.payload.is_some() {
            return Err(malformed("payload must be nil (detached root)"));
        }
        let protected = msg
            .protected
            .original_data
            .clone()
            .ok_or_else(|| malformed("no protected header"))?;
        cbor::check_strict(&protected)?;
        let h = &msg.protected.header;
        if !h.crit.is_empty() {
            return Err(malformed("critical headers are not supported"));
        }
        if h.alg
            != Some(coset::RegisteredLabelWithPrivate::Assigned(
                coset::iana::Algorithm::ES256,
            ))
        {
            return Err(malformed("algorithm must be ES256"));
        }
        let mut vds = None;
        let (mut iss, mut iat) = (None, None);
        for (label, value) in &h.rest {
            match label {
                coset::Label::Int(LABEL_VDS) => vds = int(value),
                coset::Label::Int(LABEL_CWT_CLAIMS) => {
                    let Value::Map(m) = value else {
                        return Err(malformed("CWT claims are not a map"));
                    };
                    for (k, v) in m {
                        match (int(k), v) {
                            (Some(1), Value::Text(t)) => iss = Some(t.clone()),
                            (Some(6), v) => iat = int(v).and_then(|i| i64::try_from(i).ok()),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        match vds {
            Some(1) => {}
            Some(other) => return Err(ReceiptError::UnsupportedVds(other)),
            None => return Err(malformed("no vds (395) in the protected header")),
        }
        let kid = (!h.key_id.is_empty()).then(|| h.key_id.clone());
        let mut proofs = None;
        let mut checkpoint = None;
        for (label, value) in &msg.unprotected.rest {
            match label {
                coset::Label::Int(LABEL_VDP) => proofs = Some(value),
                coset::Label::Int(LABEL_CHECKPOINT) => match value {
                    Value::Text(t) => checkpoint = Some(t.clone()),
                    _ => return Err(malformed("checkpoint (-65538) is not text")),
                },
                _ => {}
            }
        }
        let Some(Value::Map(vdp)) = proofs else {
            return Err(malformed("no proofs map (396) in the unprotected header"));
        };
        let inclusion = vdp
            .iter()
            .find(|(k, _)| int(k) == Some(-1))
            .map(|(_, v)| v)
            .ok_or_else(|| malformed("no inclusion proofs (-1)"))?;
        let Value::Array(list) = inclusion else {
            return Err(malformed("inclusion proofs are not an array"));
        };
        // ashlog mints exactly one; several would leave open which one the
        // signature vouches for.
        let [Value::Bytes(proof)] = list.as_slice() else {
            return Err(malformed("expected exactly one inclusion proof bstr"));
        };
        cbor::check_strict(proof)?;
        let proof: Value =
            ciborium::de::from_reader(&proof[..]).map_err(|e| malformed(e.to_string()))?;
        let Value::Array(parts) = proof else {
            return Err(malformed("inclusion proof is not an array"));
        };
        let [size, index, Value::Array(path)] = parts.as_slice() else {
            return Err(malformed(
                "inclusion proof is not [tree_size, leaf_index, path]",
            ));
        };
        let tree_size = int(size)
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| malformed("tree_size is not a uint"))?;
        let leaf_index = int(index)
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| malformed("leaf_index is not a uint"))?;
        if path.len() > MAX_PROOF_HASHES {
            return Err(malformed("inclusion path too long"));
        }
        let path = path
            .iter()
            .map(|h| match h {
                Value::Bytes(b) => Hash::from_slice(b).map_err(ReceiptError::from),
                _ => Err(malformed("path element is not a bstr")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if msg.signature.len() != 64 {
            return Err(malformed("signature is not 64 bytes"));
        }
        Ok(Receipt {
            protected,
            signature: msg.signature,
            kid,
            iss,
            iat,
            tree_size,
            leaf_index,
            path,
            checkpoint,
        })
    }

    /// The root the inclusion proof leads to from `leaf`.
    pub fn root_for(&self, leaf: &Hash) -> Result<Hash, ReceiptError> {
        Ok(merkle::root_from_inclusion(
            self.leaf_index,
            self.tree_size,
            leaf,
            &self.path,
        )?)
    }

    /// Computes the root from `leaf` and checks the log's signature over it
    /// with `key`. Ok returns the root: `key` vouches that `leaf` is at
    /// `leaf_index` in a tree with that root. The tree size is NOT vouched
    /// for; compare it with a signed checkpoint.
    pub fn verify(&self, leaf: &Hash, key: &PublicKey) -> Result<Hash, ReceiptError> {
        let root = self.root_for(leaf)?;
        self.verify_signature(&root, key)?;
        Ok(root)
    }

    /// Checks the log's signature over `root` (the detached payload) with
    /// `key`, for a caller that already folded the proof to `root`. Ok
    /// means `key` signed this receipt's protected header with that root.
    pub fn verify_signature(&self, root: &Hash, key: &PublicKey) -> Result<(), ReceiptError> {
        key.verify_es256(&sig_structure(&self.protected, &root.0), &self.signature)?;
        Ok(())
    }
}

/// What the log puts in a receipt's protected header.
#[derive(Clone, Debug)]
pub struct ReceiptHeader {
    /// Key id (the log key's RFC 9679 thumbprint).
    pub kid: Vec<u8>,
    /// The service's issuer name (its origin).
    pub iss: String,
    /// Optional subject; ashlog leaves it out so that one signature serves
    /// every receipt at a tree size.
    pub sub: Option<String>,
    /// Minting time, seconds.
    pub iat: i64,
}

impl ReceiptHeader {
    /// Encodes the protected header in core deterministic key order.
    pub fn encode(&self) -> Vec<u8> {
        let mut claims = vec![(Value::from(1), Value::Text(self.iss.clone()))];
        if let Some(sub) = &self.sub {
            claims.push((Value::from(2), Value::Text(sub.clone())));
        }
        claims.push((Value::from(6), Value::from(self.iat)));
        cbor::to_vec(&Value::Map(vec![
            (Value::from(1), Value::from(ALG_ES256)),
            (Value::from(4), Value::Bytes(self.kid.clone())),
            (Value::from(LABEL_CWT_CLAIMS), Value::Map(claims)),
            (Value::from(LABEL_VDS), Value::from(VDS_RFC9162_SHA256)),
        ]))
    }
}

/// A receipt signature over `root` under the encoded protected header.
pub fn sign_root(protected: &[u8], root: &Hash, key: &P256SigningKey) -> [u8; 64] {
    key.sign_es256(&sig_structure(protected, &root.0))
}

/// Assembles a receipt from a signed header (see [`sign_root`]) and an
/// inclusion proof; `checkpoint` is the cosigned note of `tree_size`.
pub fn build(
    protected: &[u8],
    signature: &[u8; 64],
    tree_size: u64,
    leaf_index: u64,
    path: &[Hash],
    checkpoint: Option<&str>,
) -> Vec<u8> {
    let proof = cbor::to_vec(&Value::Array(vec![
        Value::from(tree_size),
        Value::from(leaf_index),
        Value::Array(path.iter().map(|h| Value::Bytes(h.0.to_vec())).collect()),
    ]));
    let mut unprotected = vec![(
        Value::from(LABEL_VDP),
        Value::Map(vec![(
            Value::from(-1),
            Value::Array(vec![Value::Bytes(proof)]),
        )]),
    )];
    if let Some(c) = checkpoint {
        unprotected.push((Value::from(LABEL_CHECKPOINT), Value::Text(c.to_string())));
    }
    let mut out = vec![0xd2, 0x84];
    cbor::push_bstr(&mut out, protected);
    out.extend(cbor::to_vec(&Value::Map(unprotected)));
    out.push(0xf6);
    cbor::push_bstr(&mut out, signature);
    out
}

/// The COSE_Key of a P-256 key without kid or alg, `{1: 2, -1: 1, -2: x,
/// -3: y}`, in the deterministic encoding RFC 9679 hashes.
fn ec2_thumbprint_input(key: &PublicKey) -> Result<Vec<u8>, KeyError> {
    let (x, y) = ec2_coordinates(key)?;
    let mut out = vec![0xa4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20];
    out.extend_from_slice(&x);
    out.extend_from_slice(&[0x22, 0x58, 0x20]);
    out.extend_from_slice(&y);
    Ok(out)
}

fn ec2_coordinates(key: &PublicKey) -> Result<([u8; 32], [u8; 32]), KeyError> {
    let p = key
        .as_p256()
        .ok_or_else(|| KeyError::UnsupportedKey("a receipt key must be P-256".into()))?;
    let point = p.to_sec1_bytes();
    if point.len() != 65 || point[0] != 4 {
        return Err(KeyError::UnsupportedKey("unexpected point encoding".into()));
    }
    let mut x = [0u8; 32];
    let mut y = [0u8; 32];
    x.copy_from_slice(&point[1..33]);
    y.copy_from_slice(&point[33..65]);
    Ok((x, y))
}

/// The RFC 9679 COSE Key Thumbprint of a P-256 key: ashlog's receipt kid.
pub fn key_thumbprint(key: &PublicKey) -> Result<[u8; 32], KeyError> {
    Ok(Sha256::digest(ec2_thumbprint_input(key)?).into())
}

/// The COSE_Key served at `/.well-known/scitt-keys`:
/// `{1: 2, 2: kid, 3: -7, -1: 1, -2: x, -3: y}`.
pub fn cose_key(key: &PublicKey) -> Result<Value, KeyError> {
    let (x, y) = ec2_coordinates(key)?;
    Ok(Value::Map(vec![
        (Value::from(1), Value::from(2)),
        (Value::from(2), Value::Bytes(key_thumbprint(key)?.to_vec())),
        (Value::from(3), Value::from(ALG_ES256)),
        (Value::from(-1), Value::from(1)),
        (Value::from(-2), Value::Bytes(x.to_vec())),
        (Value::from(-3), Value::Bytes(y.to_vec())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::SignedStatement;

    fn log_key() -> P256SigningKey {
        P256SigningKey::from_scalar(
            &hex::decode("57c92077664146e876760c9520d054aa93c3afb04e306705db6090308507b4d3")
                .unwrap(),
        )
        .unwrap()
    }

    const STATEMENT: &str = "d2845870a4012603706170706c69636174696f6e2f6a736f6e045820750ca40795ab23e51a75dc76fa12c052f6f6c57ba8a732337b91f096592b6ef60fa3017668747470733a2f2f6167656e63792e6578616d706c65027675726e3a6578616d706c653a646174617365743a3432061a6968baa0a058857b2273746174656d656e74223a22646174612d6465737472756374696f6e222c226f626a656374223a2275726e3a6578616d706c653a646174617365743a3432222c226d6574686f64223a224e495354205350203830302d3838205075726765222c22636f6d706c65746564223a22323032362d30312d31355431303a30303a30305a227d5840b5bf9be30a53d41cc9e9c533b0bdf2c9dc690450b5384c6e86a90934d89601cdfb168e58aa558282ffa541ed909d66333ce1395a172b2b9e46bdb566ecf62867";
    const RECEIPT: &str = "d284585ea40126045820b71d9fc27ee9ce61a60560b2eeeef7f6934a6b9d57ce122b2b12e932cacbf1d90fa3017268747470733a2f2f74732e6578616d706c65027675726e3a6578616d706c653a646174617365743a3432061a6968badc19018b01a119018ca12081586a83050383582081ceb8eed6adbb10a828225e46b76319519246c76e86b32c42d8478cad26fc6c5820af88ed97b0045c6f83c1f18e81a759433f9d2ac71f472d1701ff8cb9c922a2c35820607d9d7304260cd016eb6f5fe01dd09f5b7116f2233bbf45b6a7ddd78e1d443af65840518afd0d05aaa5b60f7bb5c7443fa54ecd666afaf311710324395a1215e7571a01e0809890de2667f80aff4237b3d420cc40f09c7d2ab6221207a57d249063fa";

    /// scitt digest §5.3: thumbprint, receipt and Transparent Statement of
    /// the deterministic project vector, byte for byte.
    #[test]
    fn digest_receipt_vector_reproduces() {
        let key = log_key();
        let kid = key_thumbprint(key.public_key()).unwrap();
        assert_eq!(
            hex::encode(kid),
            "b71d9fc27ee9ce61a60560b2eeeef7f6934a6b9d57ce122b2b12e932cacbf1d9"
        );
        let header = ReceiptHeader {
            kid: kid.to_vec(),
            iss: "https://ts.example".into(),
            sub: Some("urn:example:dataset:42".into()),
            iat: 1768471260,
        };
        let protected = header.encode();
        let root =
            Hash::from_hex("abce5c35813e8ae25e395d72780ac40b096cc0908925f4564eefab04c1e7caf6")
                .unwrap();
        let sig = sign_root(&protected, &root, &key);
        let path: Vec<Hash> = [
            "81ceb8eed6adbb10a828225e46b76319519246c76e86b32c42d8478cad26fc6c",
            "af88ed97b0045c6f83c1f18e81a759433f9d2ac71f472d1701ff8cb9c922a2c3",
            "607d9d7304260cd016eb6f5fe01dd09f5b7116f2233bbf45b6a7ddd78e1d443a",
        ]
        .iter()
        .map(|h| Hash::from_hex(h).unwrap())
        .collect();
        let receipt = build(&protected, &sig, 5, 3, &path, None);
        assert_eq!(hex::encode(&receipt), RECEIPT);

        let stmt = SignedStatement::parse(&hex::decode(STATEMENT).unwrap()).unwrap();
        let ts = stmt.with_receipts(std::slice::from_ref(&receipt));
        assert_eq!(ts.len(), 605);
        let r = Receipt::parse(&receipt).unwrap();
        assert_eq!((r.tree_size, r.leaf_index), (5, 3));
        assert_eq!(r.verify(&stmt.leaf_hash(), key.public_key()).unwrap(), root);
    }

    /// scitt-cose test-vectors/v1/valid-es256: their receipt verifies with our
    /// code (statement at index 2 of 8, leaf entry = SHA-256(statement)).
    #[test]
    fn scitt_cose_valid_es256_vector_verifies() {
        use base64::Engine as _;
        let log_spki = base64::engine::general_purpose::STANDARD.decode("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECXO+L07CGYkevyv7wRk6HYgB19x0io6ai8tdRrFwtfWmIwQJD1+q955010DQRYBgrWROFaLRok0fziyP+82aVA==").unwrap();
        let log = PublicKey::from_spki_der(&log_spki).unwrap();
        let receipt = hex::decode("d28447a219018b010126a119018ca12081586a830802835820ab76fae876146e6972f525923510e61f1b5f419061da443f3fc47da71d44997e5820d8c99f69cd3e0d89d584dc860de6fd226fda244899ad1a9ca12ded9c6e62855b58207c0f09411a02969993feaad44b1e7414f8a30cee1a9583e6a31a2eea1122d11bf658409ff8ab0f61b2aa904469f5860bbe718d7e376646339cdbf9448ea2c281a3ddffa63358712f80a3cb98b9cc22f3fbb3e52b76d6c60f7bd222daba964371b8796a").unwrap();
        let r = Receipt::parse(&receipt).unwrap();
        let entry = hex::decode("3ffa392b06d19b1532464da32e36aa7e2c8b555e0dda3e18154a481bfa2679c7")
            .unwrap();
        let root = r.verify(&merkle::leaf_hash(&entry), &log).unwrap();
        assert_eq!(
            root.to_hex(),
            "e1dba63622c67f39bc40bbbcfd62c22a4f3355aa72dff1044d6c5dba52448e61"
        );
        // fail-tampered-path style: one path bit flipped.
        let mut bad = r.clone();
        bad.path[1].0[0] ^= 1;
        assert!(bad.verify(&merkle::leaf_hash(&entry), &log).is_err());
    }

    #[test]
    fn receipt_with_checkpoint_round_trips() {
        let key = log_key();
        let header = ReceiptHeader {
            kid: key_thumbprint(key.public_key()).unwrap().to_vec(),
            iss: "log.example/ashlog/1".into(),
            sub: None,
            iat: 1,
        };
        let p = header.encode();
        let leaf = merkle::leaf_hash(b"x");
        let sig = sign_root(&p, &leaf, &key);
        let bytes = build(&p, &sig, 1, 0, &[], Some("log.example/ashlog/1\n1\nAAAA\n"));
        let r = Receipt::parse(&bytes).unwrap();
        assert_eq!(
            r.checkpoint.as_deref(),
            Some("log.example/ashlog/1\n1\nAAAA\n")
        );
        assert_eq!(r.iss.as_deref(), Some("log.example/ashlog/1"));
        r.verify(&leaf, key.public_key()).unwrap();
        assert!(
            r.verify(&merkle::leaf_hash(b"y"), key.public_key())
                .is_err()
        );
    }

    #[test]
    fn receipt_rejects_wrong_vds_and_attached_payload() {
        let key = log_key();
        let mut p = ReceiptHeader {
            kid: vec![1],
            iss: "i".into(),
            sub: None,
            iat: 1,
        }
        .encode();
        // 395: 1 is the last two bytes (19 018b 01); make it 2.
        let n = p.len();
        p[n - 1] = 0x02;
        let sig = sign_root(&p, &Hash([0; 32]), &key);
        let bytes = build(&p, &sig, 1, 0, &[], None);
        assert_eq!(Receipt::parse(&bytes), Err(ReceiptError::UnsupportedVds(2)));
        let good = build(
            &ReceiptHeader {
                kid: vec![1],
                iss: "i".into(),
                sub: None,
                iat: 1,
            }
            .encode(),
            &sig,
            1,
            0,
            &[],
            None,
        );
        let mut attached = good.clone();
        let at = attached.len() - 67;
        assert_eq!(attached[at], 0xf6);
        attached[at] = 0x40;
        assert!(matches!(
            Receipt::parse(&attached),
            Err(ReceiptError::Malformed(_))
        ));
    }
}
