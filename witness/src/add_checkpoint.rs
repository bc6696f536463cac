//! C2SP tlog-witness `add-checkpoint`: the checks, the cosignature and the
//! compare-and-swap, with no HTTP in sight.
//!
//! Request body (every line ends in `\n`):
//!
//! ```text
//! old <size of the checkpoint the log believes the witness holds>
//! <base64 consistency-proof hash>      (0 to 63 lines)
//!
//! <checkpoint signed note>
//! ```
//!
//! [`process_add_checkpoint`] runs the checks in the order of Sunlight's
//! `updateCheckpoint`, each failure one [`AddError`] variant (the HTTP layer
//! maps each to its status in one match):
//!
//! 1. parse the body, the note and the checkpoint (400 [`AddError::Malformed`]);
//! 2. the origin is a configured log (404 [`AddError::UnknownOrigin`]);
//! 3. the note verifies under the log's keys: at least one verified, and
//!    every line by a known key valid (403 [`AddError::BadLogSignature`]);
//! 4. `old` ≤ size (400 [`AddError::OldLargerThanSize`]);
//! 5. `old` equals the size the witness holds, 0 if none (409
//!    [`AddError::StaleOld`], the body carries the held size);
//! 6. consistency (422): size 0 needs the empty root, `old` 0 needs an empty
//!    proof, the same size needs the same root, otherwise the RFC 6962 proof
//!    from the held checkpoint must verify. A validly signed checkpoint that
//!    contradicts the held one is recorded as [`crate::evidence::Evidence`]
//!    *before* the error is returned, and logged at ERROR;
//! 7. sign a **re-encoding** of the parsed checkpoint (never the raw text: if
//!    our parser and another disagreed on what the bytes say, the signature
//!    would attest to something we never checked) with cosignature/v1;
//! 8. store the new note (the re-encoded text, the log's *verified* signature
//!    lines, our cosignature; never unverified lines, which could be crafted
//!    to collide with ours) by compare-and-swap against the note read in
//!    step 5, durably (if another request re-cosigned the same size in
//!    the meantime, steps 5 to 8 run again: `old` is still current);
//! 9. only then return the cosignature. A failed or conflicting commit
//!    returns an error and the signature is dropped unseen: a cosignature
//!    that left the process always matches what the witness stored, so a
//!    crash or a concurrent request can never roll the witness back.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use ashlog_tlog::add_checkpoint::{self, AddCheckpointRequest, WireError};
use ashlog_tlog::checkpoint::Checkpoint;
use ashlog_tlog::keys::Ed25519SigningKey;
use ashlog_tlog::merkle::{Hash, ProofError, empty_root, verify_consistency};
use ashlog_tlog::note::{Note, NoteSignature};
use ashlog_tlog::vkey::{NoteSigner, VerifierKey};
use sha2::{Digest as _, Sha256};
use tracing::{debug, error, info, warn};

use crate::evidence::{Evidence, EvidenceKind, MAX_EVIDENCE_PER_ORIGIN};
use crate::metrics::Metrics;
use crate::store::{StoreError, Swap, WitnessStore};

/// Largest add-checkpoint request body, in bytes: the wire format's cap
/// (its doc gives the derivation).
pub const MAX_BODY_BYTES: usize = add_checkpoint::MAX_REQUEST_BYTES;

/// How often one request re-runs its checks and signature when concurrent
/// re-submissions of the size it extends keep winning the compare-and-swap.
/// Each retry means another request was cosigned, so the bound only matters
/// under a flood of identical requests; past it the answer is a 409.
const MAX_SWAP_ATTEMPTS: u32 = 16;

/// Why an add-checkpoint request was refused. Each variant is one row of the
/// tlog-witness status table; `crate::http` maps them to statuses.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The body is not `old <n>`, proof lines, a blank line and a checkpoint
    /// note (400). Says which part.
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// The body is larger than [`MAX_BODY_BYTES`] (413).
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// The body did not arrive within the HTTP layer's deadline (408): a
    /// client too slow to be anything but a connection hog.
    #[error("the request body did not arrive within {secs} s")]
    BodyTimeout {
        /// The deadline, in seconds.
        secs: u64,
    },
    /// The checkpoint's origin is not a log this witness is configured for
    /// (404).
    #[error("unknown log origin {0:?}: this witness is not configured for it")]
    UnknownOrigin(String),
    /// No configured key of the log signed the checkpoint, or a line by one
    /// of them does not verify (403).
    #[error("log signature refused: {0}")]
    BadLogSignature(String),
    /// `old` is larger than the checkpoint's size (400).
    #[error("old size {old} is larger than the checkpoint size {size}")]
    OldLargerThanSize {
        /// `old` of the request.
        old: u64,
        /// Size of the checkpoint.
        size: u64,
    },
    /// `old` is not the size of the checkpoint the witness holds (409). The
    /// log should retry with `old` = `held` and a proof from there.
    #[error("witness holds size {held} for this origin, not {old}")]
    StaleOld {
        /// `old` of the request.
        old: u64,
        /// The size the witness holds (0 if none).
        held: u64,
    },
    /// A checkpoint of size 0 whose root is not SHA-256("") (422).
    #[error("a checkpoint of size 0 must have the empty tree's root SHA-256(\"\")")]
    EmptyTreeWrongRoot,
    /// `old` is 0 but the request carries proof lines (422).
    #[error("old size is 0, so the consistency proof must be empty")]
    ProofFromEmptyTree,
    /// The checkpoint has the size the witness holds but another root (422):
    /// the log signed two different trees of one size. Kept as evidence.
    #[error("checkpoint has size {size} like the one the witness holds, but another root")]
    SameSizeDifferentRoot {
        /// The size.
        size: u64,
    },
    /// The consistency proof from the held checkpoint does not verify (422).
    #[error("consistency proof from size {old} to {size} does not verify: {reason}")]
    BadConsistencyProof {
        /// Held size.
        old: u64,
        /// New size.
        size: u64,
        /// What the proof check said.
        reason: ProofError,
    },
    /// The database failed (500); nothing was cosigned. For a commit error
    /// the write may or may not have landed.
    #[error("internal error: storage: {0}")]
    Storage(#[from] StoreError),
    /// Anything else that is the witness's fault (500): signing, the clock,
    /// a stored note that does not parse.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AddError {
    /// A short stable label for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            AddError::Malformed(_) => "malformed",
            AddError::BodyTooLarge { .. } => "body_too_large",
            AddError::BodyTimeout { .. } => "body_timeout",
            AddError::UnknownOrigin(_) => "unknown_origin",
            AddError::BadLogSignature(_) => "bad_log_signature",
            AddError::OldLargerThanSize { .. } => "old_larger_than_size",
            AddError::StaleOld { .. } => "stale_old",
            AddError::EmptyTreeWrongRoot => "empty_tree_wrong_root",
            AddError::ProofFromEmptyTree => "proof_from_empty_tree",
            AddError::SameSizeDifferentRoot { .. } => "same_size_different_root",
            AddError::BadConsistencyProof { .. } => "bad_consistency_proof",
            AddError::Storage(_) => "storage",
            AddError::Internal(_) => "internal",
        }
    }
}

/// A parsed add-checkpoint request (the wire format's).
pub type AddRequest = AddCheckpointRequest;

/// Parses a request body with the wire format's parser. Ok means syntax
/// only: nothing is verified yet.
pub fn parse_request(body: &[u8]) -> Result<AddRequest, AddError> {
    AddCheckpointRequest::parse(body).map_err(|e| match e {
        WireError::TooLarge { limit } => AddError::BodyTooLarge { limit },
        WireError::Malformed(why) => AddError::Malformed(why),
        _ => AddError::Malformed("the request does not parse"),
    })
}

/// What a successful add-checkpoint produced.
#[derive(Clone, Debug)]
pub struct AddOutcome {
    /// The checkpoint cosigned.
    pub checkpoint: Checkpoint,
    /// The cosignature, committed before it was returned.
    pub cosignature: NoteSignature,
    /// The note now stored for the origin: re-encoded text, the log's
    /// verified lines, our cosignature.
    pub stored_note: Vec<u8>,
}

impl AddOutcome {
    /// The response body: the cosignature line(s).
    pub fn response_body(&self) -> Vec<u8> {
        add_checkpoint::format_cosignatures(std::slice::from_ref(&self.cosignature))
    }
}

/// What the witness holds for one origin.
struct Held {
    /// The stored note, as stored (None: never cosigned).
    bytes: Option<Vec<u8>>,
    size: u64,
    root: Hash,
}

/// Why [`WitnessState::new`] failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The witness name is not a valid key name.
    #[error("witness name {0:?} is not a valid key name")]
    InvalidName(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything add-checkpoint needs: the witness key, the logs, the store,
/// the counters. Shared by all HTTP workers.
pub struct WitnessState {
    signer: NoteSigner,
    vkey: String,
    logs: BTreeMap<String, Vec<VerifierKey>>,
    origin_hashes: BTreeMap<String, String>,
    store: Box<dyn WitnessStore>,
    metrics: Metrics,
}

impl std::fmt::Debug for WitnessState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessState")
            .field("vkey", &self.vkey)
            .field("logs", &self.logs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Lowercase hex SHA-256 of an origin: the log's directory under the
/// monitoring prefix (`GET /<hash>/checkpoint`).
pub fn origin_hash(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

impl WitnessState {
    /// A witness named `name` with `key`, cosigning for `logs` (origin →
    /// log keys), keeping its state in `store`.
    pub fn new(
        name: &str,
        key: Ed25519SigningKey,
        logs: BTreeMap<String, Vec<VerifierKey>>,
        store: Box<dyn WitnessStore>,
    ) -> Result<WitnessState, StateError> {
        let signer = NoteSigner::Cosignature {
            name: name.to_string(),
            key,
        };
        let vkey = signer
            .verifier()
            .map_err(|_| StateError::InvalidName(name.to_string()))?
            .to_vkey();
        let metrics = Metrics::default();
        let mut origin_hashes = BTreeMap::new();
        // Serve what we cosigned even for logs no longer configured.
        for origin in store.origins()?.into_iter().chain(logs.keys().cloned()) {
            origin_hashes.insert(origin_hash(&origin), origin);
        }
        let state = WitnessState {
            signer,
            vkey,
            logs,
            origin_hashes,
            store,
            metrics,
        };
        for origin in state.origin_hashes.values() {
            match state.held(origin) {
                Ok(h) if h.bytes.is_some() => state.metrics.set_size(origin, h.size),
                Ok(_) => {}
                Err(e) => warn!(%origin, error = %e, "stored checkpoint unreadable"),
            }
        }
        Ok(state)
    }

    /// This witness's cosignature vkey.
    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    /// This witness's name.
    pub fn name(&self) -> &str {
        match &self.signer {
            NoteSigner::Cosignature { name, .. }
            | NoteSigner::Ed25519 { name, .. }
            | NoteSigner::Rfc6962 { name, .. } => name,
        }
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &dyn WitnessStore {
        self.store.as_ref()
    }

    /// The configured log origins.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.logs.keys().map(String::as_str)
    }

    /// The latest cosigned checkpoint note of the log whose origin hashes to
    /// `hash` (lowercase hex SHA-256), if any.
    pub fn checkpoint_by_origin_hash(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.origin_hashes.get(hash) {
            Some(origin) => self.store.latest(origin),
            None => Ok(None),
        }
    }

    fn held(&self, origin: &str) -> Result<Held, AddError> {
        let Some(bytes) = self.store.latest(origin)? else {
            return Ok(Held {
                bytes: None,
                size: 0,
                root: empty_root(),
            });
        };
        let cp = parse_stored(origin, &bytes)?;
        Ok(Held {
            bytes: Some(bytes),
            size: cp.size,
            root: cp.root,
        })
    }

    fn record_evidence(
        &self,
        req: &AddRequest,
        held: &Held,
        kind: EvidenceKind,
        reason: String,
        now: u64,
    ) -> Result<(), AddError> {
        let cp = &req.checkpoint;
        let evidence = Evidence {
            id: 0,
            origin: cp.origin.clone(),
            time: now,
            kind,
            reason,
            old_size: req.old,
            stored_size: held.size,
            stored_root: held.root.to_base64(),
            stored_note: String::from_utf8_lossy(held.bytes.as_deref().unwrap_or_default())
                .into_owned(),
            refused_size: cp.size,
            refused_root: cp.root.to_base64(),
            refused_note: String::from_utf8_lossy(&req.note_bytes).into_owned(),
            proof: req.proof.iter().map(Hash::to_base64).collect(),
        };
        let id = self
            .store
            .record_evidence(&evidence, MAX_EVIDENCE_PER_ORIGIN)
            .inspect_err(|e| {
                error!(origin = %cp.origin, error = %e, "could not record evidence; refusing with 500")
            })?;
        self.metrics.count_evidence();
        error!(
            origin = %cp.origin,
            evidence_id = id,
            kind = ?kind,
            held_size = held.size,
            held_root = %held.root.to_base64(),
            new_size = cp.size,
            new_root = %cp.root.to_base64(),
            "log caught lying: validly signed checkpoint inconsistent with the one this witness cosigned; kept as evidence"
        );
        Ok(())
    }
}

/// Parses a stored note (ours) into its checkpoint.
fn parse_stored(origin: &str, bytes: &[u8]) -> Result<Checkpoint, AddError> {
    let corrupt = || AddError::Internal(format!("stored checkpoint for {origin:?} is corrupt"));
    let note = Note::parse(bytes).map_err(|_| corrupt())?;
    let cp = Checkpoint::parse(note.text()).map_err(|_| corrupt())?;
    if cp.origin != origin {
        return Err(corrupt());
    }
    Ok(cp)
}

/// Runs one add-checkpoint request (see the module doc for the steps). `now`
/// is the cosignature's time. Blocks on the store: call it off the async
/// executor.
pub fn process_add_checkpoint(
    state: &WitnessState,
    body: &[u8],
    now: SystemTime,
) -> Result<AddOutcome, AddError> {
    let result = add_checkpoint(state, body, now);
    match &result {
        Ok(o) => info!(
            origin = %o.checkpoint.origin,
            size = o.checkpoint.size,
            "cosigned"
        ),
        Err(e @ (AddError::Storage(_) | AddError::Internal(_))) => {
            error!(error = %e, "add-checkpoint failed; nothing cosigned")
        }
        Err(e) => debug!(kind = e.kind(), error = %e, "add-checkpoint refused"),
    }
    result
}

fn add_checkpoint(
    state: &WitnessState,
    body: &[u8],
    now: SystemTime,
) -> Result<AddOutcome, AddError> {
    // 1. Syntax.
    let req = parse_request(body)?;
    let cp = &req.checkpoint;
    // 2. A log we witness.
    let keys = state
        .logs
        .get(&cp.origin)
        .ok_or_else(|| AddError::UnknownOrigin(cp.origin.clone()))?;
    // 3. Signed by it.
    let verified = req
        .note
        .verify(keys)
        .map_err(|e| AddError::BadLogSignature(e.to_string()))?;
    // 4. old <= size.
    if req.old > cp.size {
        return Err(AddError::OldLargerThanSize {
            old: req.old,
            size: cp.size,
        });
    }
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .ok()
        // cosignature/v1 timestamps must be non-zero and fit in an i64.
        .filter(|t| *t > 0 && i64::try_from(*t).is_ok())
        .ok_or_else(|| AddError::Internal("the system clock is not after 1970".into()))?;
    // What we will sign: a re-encoding of what we parsed and checked, with
    // the log's verified lines (one per key) and never an unverified one.
    let text = cp.to_text();
    if text != req.note.text() {
        // Unreachable with the strict parser; fail safe if it ever loosens:
        // the log's signatures would not cover the text we sign.
        return Err(AddError::Malformed(
            "the checkpoint is not in canonical form",
        ));
    }
    let internal = |e: ashlog_tlog::note::NoteError| AddError::Internal(format!("signing: {e}"));
    let mut base = Note::new(&text).map_err(internal)?;
    let mut kept: Vec<(&str, u32)> = Vec::new();
    for sig in req.note.signatures() {
        let pair = (sig.name.as_str(), sig.key_id);
        let is_verified = verified
            .iter()
            .any(|v| v.key.name() == sig.name && v.key.key_id() == sig.key_id);
        if is_verified && !kept.contains(&pair) {
            base.add_signature(sig.clone()).map_err(internal)?;
            kept.push(pair);
        }
    }
    // Steps 5 to 8 run again when the compare-and-swap finds that another
    // request re-cosigned the same size in the meantime: the held size still
    // equals `old`, so a 409 would be wrong. A real move on answers 409.
    let mut attempt = 0;
    loop {
        attempt += 1;
        // 5. old is what we hold.
        let held = state.held(&cp.origin)?;
        if req.old != held.size {
            return Err(AddError::StaleOld {
                old: req.old,
                held: held.size,
            });
        }
        // 6. Consistency with what we hold.
        check_consistency(state, &req, &held, now_secs)?;
        // 7. Sign.
        let cosignature = state.signer.sign(&text, now_secs).map_err(internal)?;
        let mut note = base.clone();
        note.add_signature(cosignature.clone()).map_err(internal)?;
        let stored_note = note.to_bytes();
        // 8. Commit by compare-and-swap against what step 5 read.
        match state
            .store
            .compare_and_swap(&cp.origin, held.bytes.as_deref(), &stored_note)?
        {
            Swap::Swapped => {
                // 9. Committed: the cosignature may leave.
                state.metrics.set_size(&cp.origin, cp.size);
                state.metrics.count_cosignature();
                return Ok(AddOutcome {
                    checkpoint: cp.clone(),
                    cosignature,
                    stored_note,
                });
            }
            Swap::Conflict { current } => {
                // Another request committed since step 5; our signature is
                // dropped unseen.
                let now_held = match current {
                    Some(bytes) => parse_stored(&cp.origin, &bytes)?.size,
                    None => 0,
                };
                if now_held == req.old && attempt < MAX_SWAP_ATTEMPTS {
                    continue;
                }
                return Err(AddError::StaleOld {
                    old: req.old,
                    held: now_held,
                });
            }
        }
    }
}

/// Step 6: the checkpoint is consistent with the held one. A validly signed
/// contradiction is recorded as evidence before the error is returned.
fn check_consistency(
    state: &WitnessState,
    req: &AddRequest,
    held: &Held,
    now_secs: u64,
) -> Result<(), AddError> {
    let cp = &req.checkpoint;
    if cp.size == 0 && cp.root != empty_root() {
        return Err(AddError::EmptyTreeWrongRoot);
    }
    if req.old == 0 {
        // Any tree extends the empty one; a proof from it means nothing.
        if !req.proof.is_empty() {
            return Err(AddError::ProofFromEmptyTree);
        }
        return Ok(());
    }
    let Err(reason) = verify_consistency(req.old, cp.size, &req.proof, &held.root, &cp.root) else {
        return Ok(());
    };
    let same_tree = cp.size == held.size && cp.root == held.root;
    if cp.size == held.size && !same_tree {
        let err = AddError::SameSizeDifferentRoot { size: cp.size };
        state.record_evidence(
            req,
            held,
            EvidenceKind::SameSizeDifferentRoot,
            err.to_string(),
            now_secs,
        )?;
        return Err(err);
    }
    let err = AddError::BadConsistencyProof {
        old: req.old,
        size: cp.size,
        reason,
    };
    // The checkpoint we hold plus a proof that is merely not empty is no
    // contradiction; everything else is.
    if !same_tree {
        state.record_evidence(
            req,
            held,
            EvidenceKind::BadConsistencyProof,
            err.to_string(),
            now_secs,
        )?;
    }
    Err(err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
