//! The citizen's check: a Transparent Statement, end to end, offline.
//!
//! [`verify_transparent_statement`] establishes, in this order (so that the
//! first failure names the part that is wrong):
//!
//! 1. the file is a Transparent Statement of the ashlog profile;
//! 2. the agency's certificate chain leads to one of the trusted roots and
//!    was valid when the statement was signed (`iat`), and the leaf
//!    certificate names the issuer (`iss`);
//! 3. the agency's ES256 signature covers this exact payload and protected
//!    header;
//! 4. the payload is a valid statement of its kind;
//! 5. the receipt is well formed and carries the log's checkpoint;
//! 6. the checkpoint is signed by the log named in the policy, every
//!    cosignature by a known witness verifies, and the witnesses that
//!    cosigned meet the policy's quorum;
//! 7. the receipt's inclusion proof leads from this statement's leaf to the
//!    checkpoint's root, at the checkpoint's size;
//! 8. the log's receipt signature covers that root (with the key the policy
//!    names for the log).
//!
//! Ok means: this agency signed this statement, the log included it at
//! this position in a tree whose head enough independent witnesses saw, and
//! nobody changed a byte since. It does not mean the data was destroyed;
//! that is what the agency claims and the endorsements attest.

use crate::chain::{CertChain, ChainCache, ChainError, Lookup, TrustAnchors, ValidatedChain};
use crate::checkpoint::Checkpoint;
use crate::entry::EntryId;
use crate::merkle::{self, Hash, ProofError};
use crate::note::SigType;
use crate::policy::{Policy, PolicyError, list_or};
use crate::receipt::{self, Receipt, ReceiptError};
use crate::schema::{Kind, SchemaError, Statement};
use crate::statement::{SignedStatement, StatementError};

/// Why a Transparent Statement did not verify. [`VerifyError::part`] names
/// the part of the file that is wrong.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a statement of the ashlog profile.
    #[error("the file is not a valid signed statement: {0}")]
    Statement(StatementError),
    /// The statement carries no receipt.
    #[error(
        "the statement carries no receipt (label 394): it was never logged, or the receipt was removed"
    )]
    NoReceipt,
    /// The content type names no statement kind.
    #[error("unknown statement kind {0:?}")]
    UnknownKind(String),
    /// Signed with a key id, not a certificate chain (only the log's policy
    /// statements are).
    #[error("the statement is not signed with a certificate chain")]
    NoChain,
    /// The certificate chain fails.
    #[error("the agency's certificate chain does not verify: {0}")]
    Chain(ChainError),
    /// The leaf certificate does not name `iss`.
    #[error(
        "the signing certificate does not name the issuer {0:?} (no matching URI subject alternative name)"
    )]
    IssuerMismatch(String),
    /// The agency's signature fails.
    #[error(
        "the agency's signature does not verify: the payload, the protected header or the signature was altered"
    )]
    StatementSignature,
    /// The payload fails its schema.
    #[error("the statement's content is invalid: {0}")]
    Schema(SchemaError),
    /// The receipt is malformed.
    #[error("the receipt is malformed: {0}")]
    Receipt(ReceiptError),
    /// The receipt has no embedded checkpoint.
    #[error(
        "the receipt carries no checkpoint (label -65538); it cannot be checked against witnesses"
    )]
    NoCheckpoint,
    /// The checkpoint fails the policy.
    #[error("the log's checkpoint does not verify: {0}")]
    Checkpoint(PolicyError),
    /// Too few witnesses cosigned.
    #[error(
        "too few witnesses cosigned the checkpoint: the policy requires {required}; cosigned by {}",
        list_or(cosigned, "none of them")
    )]
    QuorumNotMet {
        /// The quorum, in words.
        required: String,
        /// The policy names of the witnesses whose cosignatures verified.
        cosigned: Vec<String>,
    },
    /// Receipt and checkpoint are for different sizes.
    #[error("the receipt is for a tree of {receipt} entries but the checkpoint for {checkpoint}")]
    SizeMismatch {
        /// Receipt tree size.
        receipt: u64,
        /// Checkpoint size.
        checkpoint: u64,
    },
    /// The inclusion proof does not lead to the checkpoint root.
    #[error("the inclusion proof does not lead from this statement to the checkpoint's root: {0}")]
    InclusionProof(ProofError),
    /// The policy names no P-256 key for the log.
    #[error(
        "the policy names no P-256 (0x05) key for log {0}, so its receipt signature cannot be checked"
    )]
    NoReceiptKey(String),
    /// The receipt's kid is not the log's key.
    #[error("the receipt names key id {0}, not the log's receipt key")]
    ReceiptKid(String),
    /// The log's receipt signature fails.
    #[error("the log's receipt signature does not verify")]
    ReceiptSignature,
}

impl VerifyError {
    /// The part of the Transparent Statement that is wrong, in words.
    pub fn part(&self) -> &'static str {
        match self {
            VerifyError::Statement(_) | VerifyError::UnknownKind(_) | VerifyError::NoChain => {
                "statement"
            }
            VerifyError::Chain(_) | VerifyError::IssuerMismatch(_) => "certificate chain",
            VerifyError::StatementSignature => "statement signature",
            VerifyError::Schema(_) => "payload",
            VerifyError::NoReceipt | VerifyError::Receipt(_) | VerifyError::NoCheckpoint => {
                "receipt"
            }
            VerifyError::Checkpoint(PolicyError::Checkpoint(
                crate::checkpoint::CheckpointError::Note(
                    crate::note::NoteError::InvalidSignature { .. },
                ),
            )) => "checkpoint signature or cosignature",
            VerifyError::Checkpoint(_) => "checkpoint",
            VerifyError::QuorumNotMet { .. } => "witness quorum",
            VerifyError::SizeMismatch { .. } | VerifyError::InclusionProof(_) => "inclusion proof",
            VerifyError::NoReceiptKey(_)
            | VerifyError::ReceiptKid(_)
            | VerifyError::ReceiptSignature => "receipt signature",
        }
    }
}

/// What a successful verification established.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The statement.
    pub statement: SignedStatement,
    /// Its kind.
    pub kind: Kind,
    /// Its content.
    pub payload: Statement,
    /// The agency's validated chain.
    pub chain: ValidatedChain,
    /// Its entry id in the log.
    pub entry_id: EntryId,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// The checkpoint it is included in.
    pub checkpoint: Checkpoint,
    /// The full checkpoint note (with cosignatures).
    pub checkpoint_note: String,
    /// Witnesses (policy names) that cosigned, with their times.
    pub cosigners: Vec<(String, u64)>,
    /// Every witness the policy knows.
    pub known_witnesses: Vec<String>,
    /// The quorum, in words.
    pub quorum: String,
    /// The receipt.
    pub receipt: Receipt,
}

/// When the agency's certificate chain must have been valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainTimes {
    /// At the statement's signing time `iat` only: what a citizen or an
    /// auditor checks, any time later (certificates expire; a statement
    /// signed while its certificate was valid stays valid).
    AtSigning,
    /// At `iat` and at this unix time: what the log checks when it
    /// registers, so it never accepts a statement from an expired or
    /// not-yet-valid certificate today.
    AtSigningAndNow(i64),
}

/// A statement that passed [`accept_statement`].
#[derive(Debug, Clone)]
pub struct AcceptedStatement {
    /// Its kind.
    pub kind: Kind,
    /// Its content, decoded and validated.
    pub payload: Statement,
    /// The agency's validated chain.
    pub chain: ValidatedChain,
    /// Whether the chain came from the cache (None: no cache given).
    pub lookup: Option<Lookup>,
}

/// The agency side of a statement, the one check that the log's
/// registration, `ashlog verify` and the auditor's replay all run: the
/// content type names a kind; the x5chain validates to one of `anchors` at
/// `times` (through `cache` when given); the leaf certificate names `iss`;
/// the ES256 signature verifies with the leaf key; the payload is a valid
/// statement of its kind. In that order, so the first failure names the
/// part a citizen would look at first.
///
/// Ok means this agency, certified by one of these roots, signed exactly
/// this payload and header, and the payload says something well formed.
/// What the log adds around it (accepted kinds, clock skew, rate limits)
/// is the log's business, not the statement's.
pub fn accept_statement(
    statement: &SignedStatement,
    anchors: &TrustAnchors,
    times: ChainTimes,
    cache: Option<&ChainCache>,
) -> Result<AcceptedStatement, VerifyError> {
    let kind = Kind::from_content_type(&statement.content_type)
        .ok_or_else(|| VerifyError::UnknownKind(statement.content_type.clone()))?;
    let ders = statement.x5chain().ok_or(VerifyError::NoChain)?;
    let at: &[i64] = match &times {
        ChainTimes::AtSigning => &[statement.iat],
        ChainTimes::AtSigningAndNow(now) => &[statement.iat, *now],
    };
    let (chain, lookup) = match cache {
        Some(c) => c.validate(ders, anchors, at).map(|(v, l)| (v, Some(l))),
        None => CertChain::from_der_list(ders.to_vec())
            .and_then(|c| c.validate(anchors, at))
            .map(|v| (v, None)),
    }
    .map_err(VerifyError::Chain)?;
    if !chain.has_uri_san(&statement.iss) {
        return Err(VerifyError::IssuerMismatch(statement.iss.clone()));
    }
    statement
        .verify_signature(chain.leaf_key())
        .map_err(|_| VerifyError::StatementSignature)?;
    let payload = Statement::from_cbor(kind, statement.payload()).map_err(VerifyError::Schema)?;
    Ok(AcceptedStatement {
        kind,
        payload,
        chain,
        lookup,
    })
}

/// Verifies a Transparent Statement under `policy` (log and witness keys,
/// quorum) and `anchors` (the roots the reader trusts for agencies). See
/// the module doc for what Ok establishes.
pub fn verify_transparent_statement(
    bytes: &[u8],
    policy: &Policy,
    anchors: &TrustAnchors,
) -> Result<Verified, VerifyError> {
    let statement = SignedStatement::parse(bytes).map_err(VerifyError::Statement)?;
    let receipt_bytes = statement
        .receipts()
        .first()
        .ok_or(VerifyError::NoReceipt)?
        .clone();
    let AcceptedStatement {
        kind,
        payload,
        chain,
        ..
    } = accept_statement(&statement, anchors, ChainTimes::AtSigning, None)?;
    let receipt = Receipt::parse(&receipt_bytes).map_err(VerifyError::Receipt)?;
    let note = receipt
        .checkpoint
        .clone()
        .ok_or(VerifyError::NoCheckpoint)?;
    let verdict = policy.require(note.as_bytes()).map_err(|e| match e {
        PolicyError::QuorumNotMet { required, cosigned } => {
            VerifyError::QuorumNotMet { required, cosigned }
        }
        other => VerifyError::Checkpoint(other),
    })?;
    let quorum = policy.describe_quorum();
    let cp = verdict.checkpoint.clone();
    if receipt.tree_size != cp.size {
        return Err(VerifyError::SizeMismatch {
            receipt: receipt.tree_size,
            checkpoint: cp.size,
        });
    }
    let leaf = statement.leaf_hash();
    merkle::verify_inclusion(receipt.leaf_index, cp.size, &leaf, &receipt.path, &cp.root)
        .map_err(VerifyError::InclusionProof)?;
    let log_key = policy
        .log_keys(&cp.origin)
        .into_iter()
        .find(|k| k.sig_type() == SigType::Rfc6962)
        .ok_or_else(|| VerifyError::NoReceiptKey(cp.origin.clone()))?;
    if let Some(kid) = &receipt.kid {
        let ours = receipt::key_thumbprint(log_key.public_key())
            .map_err(|_| VerifyError::ReceiptSignature)?;
        if kid.as_slice() != ours.as_slice() {
            return Err(VerifyError::ReceiptKid(hex::encode(kid)));
        }
    }
    // The proof led to the checkpoint's root above: the log's signature
    // must be over that root, and nothing is folded twice.
    receipt
        .verify_signature(&cp.root, log_key.public_key())
        .map_err(|_| VerifyError::ReceiptSignature)?;
    Ok(Verified {
        kind,
        payload,
        chain,
        entry_id: EntryId::new(receipt.leaf_index),
        leaf_hash: leaf,
        checkpoint: cp,
        checkpoint_note: note,
        cosigners: verdict.cosigners,
        known_witnesses: policy.witnesses().iter().map(|w| w.name.clone()).collect(),
        quorum,
        receipt,
        statement,
    })
}
