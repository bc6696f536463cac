//! The optional commitment over keyed per-person identifiers (DESIGN.md §9.4).

use crate::commitment::input::Context;
use crate::commitment::oprf::OprfPublicKey;
use crate::commitment::tree::MAX_BUCKET_BITS;
use crate::schema::SchemaError;
use crate::schema::check::{self, Check, Path, wire_enum};
use crate::schema::common::Org;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// Construction of a subject-level commitment.
    pub enum CommitmentScheme {
        /// RFC 9162 Merkle tree over sorted keyed leaves (DESIGN.md §9.4).
        AshlogMerkleV1 = "ashlog-merkle-v1",
    }
}

wire_enum! {
    /// How commitment leaves are derived from identifiers; never a plain hash, which a dictionary
    /// of identity or phone numbers reverses in minutes.
    pub enum LeafKind {
        /// HMAC-SHA256 under a secret key (needs `key_custody`).
        HmacSha256Keyed = "hmac_sha256_keyed",
        /// SHA-256 with a random salt per subject, delivered to the subject.
        SaltedSha256PerSubject = "salted_sha256_per_subject",
        /// OPRF over P-256 (RFC 9497; needs `key_custody`).
        OprfP256 = "oprf_p256",
    }
}

wire_enum! {
    /// What one commitment leaf stands for.
    pub enum Granularity {
        /// One leaf per person.
        Subject = "subject",
        /// One leaf per person and record type.
        SubjectAndRecordType = "subject_and_record_type",
        /// One leaf per record.
        Record = "record",
    }
}

/// A commitment over keyed per-person identifiers (DESIGN.md §9.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// The construction.
    pub scheme: CommitmentScheme,
    /// How leaves are derived from identifiers.
    pub leaf_kind: LeafKind,
    /// What a leaf stands for.
    pub granularity: Granularity,
    /// The identifier committed to, e.g. `CN-RID-18`, `E164-phone` (a token).
    pub identifier_type: String,
    /// Number of leaves; equals `subject_count.value` for per-subject leaves with an exact count.
    pub leaf_count: u64,
    /// Merkle root, 64 lowercase hex digits.
    pub root: String,
    /// SHA-256 of the published leaves file.
    pub leaves_sha256: String,
    /// Where the leaves file is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaves_url: Option<String>,
    /// The agency's token for this commitment, bound into every PRF input
    /// (DESIGN.md §10.2), e.g. `wuxi-health-2023`. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The VOPRF public key, 66 hex digits of SEC1 compressed P-256 point;
    /// required for `oprf_p256`, and only there. A citizen's check accepts
    /// the service's answers only under this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oprf_public_key: Option<String>,
    /// Leading bits of a leaf that name its bucket file (0 to 20); required
    /// for `oprf_p256`, whose citizens fetch one bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_bits: Option<u8>,
    /// Who holds the key; required for keyed leaf kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_custody: Option<KeyCustody>,
    /// Where people can check, and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_service: Option<CheckService>,
}

/// Custody of a commitment key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCustody {
    /// The organisations holding it jointly (1..=16).
    pub holders: Vec<Org>,
    /// Whether it is held in an HSM.
    pub hsm: bool,
    /// When it will be destroyed, YYYY-MM-DD (that destruction is logged as a status update).
    pub destroy_by: String,
}

/// A membership-check service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckService {
    /// Where it is.
    pub url: String,
    /// Last day it answers, YYYY-MM-DD.
    pub available_until: String,
}

/// Fewest leaves a commitment may have: below that, a bucket or a leaf
/// index says too much about who is in the set.
pub const MIN_LEAVES: u64 = 1000;

impl Check for Commitment {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::token(&p.field("identifier_type"), &self.identifier_type)?;
        check::integer(&p.field("leaf_count"), self.leaf_count)?;
        if self.leaf_count < MIN_LEAVES {
            return Err(p.field("leaf_count").invalid(format!(
                "is {}; a commitment needs at least {MIN_LEAVES} leaves, or its proofs single people out",
                self.leaf_count
            )));
        }
        match &self.context {
            None => {
                return Err(p.field("context").invalid(
                    "required: the token bound into every leaf, e.g. `wuxi-health-2023`",
                ));
            }
            Some(c) => {
                Context::new(c).map_err(|e| p.field("context").invalid(e.to_string()))?;
            }
        }
        let oprf = self.leaf_kind == LeafKind::OprfP256;
        match (&self.oprf_public_key, oprf) {
            (None, true) => {
                return Err(p
                    .field("oprf_public_key")
                    .invalid("required for leaf_kind `oprf_p256`"));
            }
            (Some(_), false) => {
                return Err(p
                    .field("oprf_public_key")
                    .invalid("only for leaf_kind `oprf_p256`"));
            }
            (Some(k), true) => {
                check::hex(&p.field("oprf_public_key"), k, 66)?;
                OprfPublicKey::from_hex(k)
                    .map_err(|e| p.field("oprf_public_key").invalid(e.to_string()))?;
            }
            (None, false) => {}
        }
        match (self.bucket_bits, oprf) {
            (None, true) => {
                return Err(p
                    .field("bucket_bits")
                    .invalid("required for leaf_kind `oprf_p256`"));
            }
            (Some(b), _) if b > MAX_BUCKET_BITS => {
                return Err(p
                    .field("bucket_bits")
                    .invalid(format!("is {b}; at most {MAX_BUCKET_BITS}")));
            }
            _ => {}
        }
        check::hex(&p.field("root"), &self.root, 64)?;
        check::hex(&p.field("leaves_sha256"), &self.leaves_sha256, 64)?;
        if let Some(u) = &self.leaves_url {
            check::url(&p.field("leaves_url"), u)?;
        }
        let keyed = matches!(
            self.leaf_kind,
            LeafKind::HmacSha256Keyed | LeafKind::OprfP256
        );
        if keyed && self.key_custody.is_none() {
            return Err(p.field("key_custody").invalid(format!(
                "required for leaf_kind `{}`",
                self.leaf_kind.as_str()
            )));
        }
        let mut destroy_by = None;
        if let Some(k) = &self.key_custody {
            let kp = p.field("key_custody");
            // One holder alone could test any identifier against the set.
            if keyed && k.holders.len() < 2 {
                return Err(kp.field("holders").invalid(
                    "a keyed commitment needs at least two custody holders, so no one can use the key alone",
                ));
            }
            check::list(&kp.field("holders"), &k.holders, 1, 16)?;
            destroy_by = Some(check::date(&kp.field("destroy_by"), &k.destroy_by)?);
        }
        if let Some(s) = &self.check_service {
            let sp = p.field("check_service");
            check::url(&sp.field("url"), &s.url)?;
            let until = check::date(&sp.field("available_until"), &s.available_until)?;
            if let Some(d) = destroy_by
                && until > d
            {
                return Err(sp.field("available_until").invalid(format!(
                    "is after key_custody.destroy_by ({}); the service cannot answer once the key is destroyed",
                    self.key_custody.as_ref().map(|k| k.destroy_by.as_str()).unwrap_or("")
                )));
            }
        }
        Ok(())
    }
}
