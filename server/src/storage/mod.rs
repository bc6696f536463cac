//! The log's storage interface.
//!
//! Every method is a short transaction; every write is durable once it
//! returns Ok ("Ok means it survives power loss"). The log logic only ever
//! talks to [`Storage`], so a distributed backend (object storage for the
//! immutable tiles, a replicated database for the sequencer state) can be
//! added without touching it. [`redb::RedbStorage`] is the embedded default;
//! `conformance` holds the checks every implementation must pass.

pub mod fault;
mod packed;
pub mod redb;

#[cfg(test)]
pub(crate) mod conformance;

use std::sync::Arc;

use ashlog::merkle::Hash;

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An I/O error (disk full, device error). The write did not happen, or
    /// its outcome is unknown until [`Storage::recover`] has run; either way
    /// nothing was acknowledged.
    #[error("storage I/O error: {0}")]
    Io(String),
    /// Stored data is not what this program wrote.
    #[error("storage corrupted: {0}")]
    Corrupted(String),
    /// A write would contradict what is stored (a bug, never expected).
    #[error("storage invariant violated: {0}")]
    Invariant(String),
}

/// The integrated tree: size and root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    /// Leaves in the tree.
    pub size: u64,
    /// RFC 6962 root.
    pub root: Hash,
}

/// What the dedup index looks an entry up by: its digest, and the signing
/// time (`iat`) that orders the index. The digest covers the protected
/// header, so a resubmission of the same statement carries the same `iat`;
/// ordering by it keeps the entries of a batch, signed at about the same
/// time, in the same few index pages, where ordering by digest alone put
/// each entry in a random page that the commit then rewrote whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryKey {
    /// The statement's `iat` (unix seconds).
    pub iat: i64,
    /// SHA-256 of the registered statement bytes.
    pub digest: Hash,
}

/// One sequenced, integrated batch, written atomically.
#[derive(Debug, Default)]
pub struct AppendBatch {
    /// Index of the first statement; must equal the stored tree size.
    pub first_index: u64,
    /// (entry key, registered statement bytes), in index order.
    pub statements: Vec<(EntryKey, Arc<Vec<u8>>)>,
    /// Hash tiles to write: (level, index, bytes), full or partial.
    pub tiles: Vec<(u8, u64, Vec<u8>)>,
    /// The tree after this batch.
    pub tree: Option<TreeHead>,
}

/// Small named values the log keeps beside the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaKey {
    /// The latest checkpoint the log signed (note bytes).
    SignedCheckpoint,
    /// The latest checkpoint published with its cosignatures (note bytes).
    PublishedCheckpoint,
    /// The size a witness last cosigned (u64 big-endian), by witness name.
    WitnessSize(String),
    /// Index of the registration policy statement in force (u64 big-endian).
    LatestPolicy,
}

impl MetaKey {
    pub(crate) fn as_key(&self) -> String {
        match self {
            MetaKey::SignedCheckpoint => "checkpoint.signed".into(),
            MetaKey::PublishedCheckpoint => "checkpoint.published".into(),
            MetaKey::WitnessSize(name) => format!("witness.{name}.size"),
            MetaKey::LatestPolicy => "policy.latest".into(),
        }
    }
}

/// The narrow interface between the log and its storage.
pub trait Storage: Send + Sync + 'static {
    /// The integrated tree head (size 0 and the empty root for a new log).
    fn tree_head(&self) -> Result<TreeHead, StorageError>;

    /// For each key, the index of the entry with that digest, if any.
    fn find_entries(&self, keys: &[EntryKey]) -> Result<Vec<Option<u64>>, StorageError>;

    /// Appends one batch: statements at `first_index..`, their digests in the
    /// dedup index and in their bundles' digest lists, the given tiles and the new tree head, all in one
    /// transaction. Ok means the whole batch survives power loss; Err means
    /// none of it is acknowledged (after [`Storage::recover`], it is either
    /// entirely present or entirely absent).
    fn append(&self, batch: &AppendBatch) -> Result<(), StorageError>;

    /// The current bytes of a hash tile (full or the growing partial), or
    /// None if it holds no hashes yet. A partial tile is a prefix of every
    /// later version of it.
    fn tile(&self, level: u8, index: u64) -> Result<Option<Vec<u8>>, StorageError>;

    /// The entry digests of bundle `bundle` (entries `bundle*256..`),
    /// concatenated, 32 bytes each, as many as are integrated; None if the
    /// store has none for it (nothing integrated there, or a bundle written
    /// before the store kept digests). Lets the log serve `tile/entries`
    /// without reading and hashing the statements.
    fn entry_digests(&self, bundle: u64) -> Result<Option<Vec<u8>>, StorageError>;

    /// Registered statements `start..start+count` (fewer if the log is
    /// shorter).
    fn statements(&self, start: u64, count: u64) -> Result<Vec<Vec<u8>>, StorageError>;

    /// The byte lengths of statements `start..start+count` (fewer if the
    /// log is shorter), without copying them out: what a statement bundle's
    /// Content-Length needs before the bundle is streamed in pieces.
    fn statement_lengths(&self, start: u64, count: u64) -> Result<Vec<usize>, StorageError>;

    /// Writes a named value; Ok means durable.
    fn put_meta(&self, key: &MetaKey, value: &[u8]) -> Result<(), StorageError>;

    /// Reads a named value.
    fn get_meta(&self, key: &MetaKey) -> Result<Option<Vec<u8>>, StorageError>;

    /// After an I/O error: reopen and repair, so that the next call sees
    /// exactly what was durably committed. Idempotent.
    fn recover(&self) -> Result<(), StorageError>;

    /// Bytes used on disk, for metrics.
    fn disk_bytes(&self) -> u64;

    /// False after an I/O error, until [`Storage::recover`] succeeds.
    fn healthy(&self) -> bool;
}
