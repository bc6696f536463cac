//! Statement bundles (`/statements/<N>`), streamed in pieces.
//!
//! A full bundle is 256 statements, about 1.5 MB. Built whole per request, every response a
//! client was slow to read held its bundle in the log's memory until the last byte left: 2,000
//! connections that asked for a bundle and never read took a log from 92 MB to 1.7 GB. A bundle
//! is now read from storage [`PIECE`] statements at a time, only when the connection can take
//! more, so a reader that stalls holds one piece. Its length is known before the first byte
//! (from the stored lengths), so the response still carries a Content-Length. And at most
//! `[http] max_bundle_streams` bundles are in flight at once, so stalled readers cannot add up
//! either: beyond that the log answers 503 with Retry-After, and every other endpoint goes on.

use std::sync::Arc;

use actix_web::web::Bytes;
use ashlog::tile::{self, TILE_WIDTH};
use futures_util::Stream;
use tokio::sync::OwnedSemaphorePermit;

use crate::storage::{Storage, StorageError};

/// Statements read from storage per piece of a streamed bundle (about 48 KB).
pub const PIECE: u64 = 8;

/// A statement bundle ready to stream: its exact length and what it is read from.
pub struct StatementBundle {
    storage: Arc<dyn Storage>,
    start: u64,
    lengths: Vec<usize>,
    permit: OwnedSemaphorePermit,
}

/// Why a bundle stopped part-way (the connection is then closed, so the client sees a short
/// body and not a wrong one).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Storage failed while the bundle was being sent.
    #[error("storage failed while sending a statement bundle: {0}")]
    Storage(#[from] StorageError),
    /// A statement is missing or not the length the bundle announced (storage corrupted).
    #[error("statement {0} is missing or not the length its bundle announced")]
    Mismatch(u64),
}

impl StatementBundle {
    /// Plans bundle `index` of `width` statements; `permit` is one of the log's bundle slots,
    /// held until the stream is dropped (sent, or the connection gone).
    pub fn plan(
        storage: Arc<dyn Storage>,
        index: u64,
        width: u16,
        permit: OwnedSemaphorePermit,
    ) -> Result<Option<StatementBundle>, StorageError> {
        let start = index * TILE_WIDTH;
        let lengths = storage.statement_lengths(start, u64::from(width))?;
        if lengths.len() != usize::from(width) {
            return Ok(None);
        }
        Ok(Some(StatementBundle {
            storage,
            start,
            lengths,
            permit,
        }))
    }

    /// The bundle's length in bytes: each statement goes out as a 4-byte length and its bytes
    /// (tlog-tiles entry bundles).
    pub fn len(&self) -> u64 {
        self.lengths.iter().map(|l| 4 + *l as u64).sum()
    }

    /// Never true: a planned bundle holds at least one statement.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The bundle's bytes, one piece per poll.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, BundleError>> {
        let StatementBundle {
            storage,
            start,
            lengths,
            permit,
        } = self;
        futures_util::stream::unfold(
            (0usize, lengths, storage, permit),
            move |(done, lengths, storage, permit)| async move {
                if done >= lengths.len() {
                    return None;
                }
                let n = lengths.len().min(done + PIECE as usize) - done;
                let piece =
                    read_piece(storage.as_ref(), start + done as u64, &lengths[done..][..n]);
                let next = (done + n, lengths, storage, permit);
                Some((piece, next))
            },
        )
    }
}

fn read_piece(storage: &dyn Storage, first: u64, lengths: &[usize]) -> Result<Bytes, BundleError> {
    let statements = storage.statements(first, lengths.len() as u64)?;
    let mut out = Vec::with_capacity(lengths.iter().map(|l| 4 + l).sum());
    for (i, expected) in lengths.iter().enumerate() {
        let index = first + i as u64;
        match statements.get(i) {
            Some(s) if s.len() == *expected => tile::push_statement(&mut out, s),
            _ => return Err(BundleError::Mismatch(index)),
        }
    }
    Ok(Bytes::from(out))
}
