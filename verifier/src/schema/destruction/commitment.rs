//! The optional commitment over keyed per-person identifiers (DESIGN.md §9.4).

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

impl Check for Commitment {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::token(&p.field("identifier_type"), &self.identifier_type)?;
        check::integer(&p.field("leaf_count"), self.leaf_count)?;
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
        if let Some(k) = &self.key_custody {
            let kp = p.field("key_custody");
            check::list(&kp.field("holders"), &k.holders, 1, 16)?;
            check::date(&kp.field("destroy_by"), &k.destroy_by)?;
        }
        if let Some(s) = &self.check_service {
            let sp = p.field("check_service");
            check::url(&sp.field("url"), &s.url)?;
            check::date(&sp.field("available_until"), &s.available_until)?;
        }
        Ok(())
    }
}
