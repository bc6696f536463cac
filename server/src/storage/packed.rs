//! Append-only byte streams packed into page-sized chunks: the registered
//! statements, the leaf hashes (level-0 tiles) and the entry digests.
//!
//! redb keeps a value that does not fit one page in a run of pages rounded
//! up to a power of two: a 5.9 KB statement stored as its own value took
//! 8 KiB, and a full 8 KiB tile or digest list (plus its header) 16 KiB, so
//! a third of what the log wrote was padding. Concatenated into one byte
//! stream per kind and cut into chunks that each fill a run of leaf pages
//! exactly, they cost their own bytes plus about 1 %. Leaf hashes and
//! digests are 32 bytes per entry, so their offsets are computed;
//! statements vary, so a fourth stream holds, for each index, the offset
//! where its statement ends as 8 bytes big-endian (a statement starts where
//! its predecessor ends). Only a
//! stream's last chunk is ever rewritten (as a batch extends it), inside the
//! batch's transaction like everything else.

use ::redb::{ReadableTable, Table, TableDefinition};

use super::StorageError;

/// Chunk size: four 4,096-byte pages less a leaf's header (4 bytes), the
/// value's length (4) and the u64 key (8), so a chunk fills exactly the
/// four-page run redb allocates for it. One page per chunk would leave a
/// branch-page entry for every 4 KB; four pages cut that overhead by four,
/// while a single statement or tile is still at most two chunks to read.
pub(super) const CHUNK: u64 = 8 * 4_096 - 16;

/// A stream: chunk number → bytes; every chunk but the last is exactly
/// [`CHUNK`] long.
pub(super) type Chunks = TableDefinition<'static, u64, &'static [u8]>;

/// The registered statements, end to end.
pub(super) const STATEMENTS: Chunks = TableDefinition::new("statement_chunks");
/// For statement `i`, at offset 8·i: the statement stream's offset just
/// past its last byte (u64 big-endian).
pub(super) const ENDS: Chunks = TableDefinition::new("statement_end_chunks");
/// Leaf hash `i` at offset 32·i: tile `0/n` is bytes `8192·n..`.
pub(super) const LEAF_HASHES: Chunks = TableDefinition::new("leaf_hash_chunks");
/// Entry digest `i` at offset 32·i: bundle `n`'s digests are bytes `8192·n..`.
pub(super) const DIGESTS: Chunks = TableDefinition::new("entry_digest_chunks");

fn corrupted(what: String) -> StorageError {
    StorageError::Corrupted(format!("packed stream: {what}"))
}

/// Where the stream ends: the offset one past its last byte.
pub(super) fn end(chunks: &impl ReadableTable<u64, &'static [u8]>) -> Result<u64, StorageError> {
    match chunks.last()? {
        Some((k, v)) => k
            .value()
            .checked_mul(CHUNK)
            .and_then(|start| start.checked_add(v.value().len() as u64))
            .ok_or_else(|| corrupted(format!("chunk number {} is absurd", k.value()))),
        None => Ok(0),
    }
}

/// Appends `pieces` at the end of the stream, calling `after` with the new
/// end after each piece. Returns the new end.
pub(super) fn append<'p>(
    chunks: &mut Table<u64, &[u8]>,
    pieces: impl IntoIterator<Item = &'p [u8]>,
    mut after: impl FnMut(u64) -> Result<(), StorageError>,
) -> Result<u64, StorageError> {
    let mut end = end(chunks)?;
    let mut number = end / CHUNK;
    let mut buf = Vec::with_capacity(CHUNK as usize);
    if end % CHUNK > 0 {
        let tail = chunks
            .get(number)?
            .ok_or_else(|| corrupted(format!("chunk {number} is missing")))?;
        buf.extend_from_slice(tail.value());
    }
    let mut dirty = false;
    for piece in pieces {
        let mut rest = piece;
        while !rest.is_empty() {
            let take = (CHUNK as usize - buf.len()).min(rest.len());
            buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            dirty = true;
            if buf.len() == CHUNK as usize {
                chunks.insert(number, buf.as_slice())?;
                number += 1;
                buf.clear();
                dirty = false;
            }
        }
        end += piece.len() as u64;
        after(end)?;
    }
    if dirty {
        chunks.insert(number, buf.as_slice())?;
    }
    Ok(end)
}

/// Bytes `begin..finish` of the stream, which must hold them.
pub(super) fn read(
    chunks: &impl ReadableTable<u64, &'static [u8]>,
    begin: u64,
    finish: u64,
) -> Result<Vec<u8>, StorageError> {
    if finish <= begin {
        return Ok(Vec::new());
    }
    // The bounds may come from disk: the capacity is a hint, bounded.
    let mut bytes = Vec::with_capacity((finish - begin).min(32 << 20) as usize);
    let first = begin / CHUNK;
    let last = (finish - 1) / CHUNK;
    for (expect, item) in (first..).zip(chunks.range(first..=last)?) {
        let (k, v) = item?;
        let v = v.value();
        if k.value() != expect || (expect < last && v.len() as u64 != CHUNK) {
            return Err(corrupted(format!("chunk {expect} is missing or short")));
        }
        // Only the part of the first and last chunk inside the range.
        let lo = if expect == first {
            (begin - first * CHUNK) as usize
        } else {
            0
        };
        let hi = (finish - expect * CHUNK).min(v.len() as u64) as usize;
        let piece = v
            .get(lo..hi)
            .ok_or_else(|| corrupted(format!("chunk {expect} is shorter than expected")))?;
        bytes.extend_from_slice(piece);
    }
    if bytes.len() as u64 != finish - begin {
        return Err(corrupted(format!(
            "chunks {first}..={last} hold {} of the {} bytes wanted",
            bytes.len(),
            finish - begin
        )));
    }
    Ok(bytes)
}

/// The 32-byte records of group `group` (256 records each: a tile or a
/// bundle), as many as the stream holds; None if it holds none of them.
pub(super) fn group_of_256(
    chunks: &impl ReadableTable<u64, &'static [u8]>,
    group: u64,
) -> Result<Option<Vec<u8>>, StorageError> {
    const GROUP_BYTES: u64 = 256 * 32;
    let begin = group.saturating_mul(GROUP_BYTES);
    let end = end(chunks)?;
    if end <= begin {
        return Ok(None);
    }
    read(chunks, begin, end.min(begin.saturating_add(GROUP_BYTES))).map(Some)
}

/// Statements recorded in the ends stream.
fn statement_count(ends: &impl ReadableTable<u64, &'static [u8]>) -> Result<u64, StorageError> {
    let bytes = end(ends)?;
    if bytes % 8 != 0 {
        return Err(corrupted(format!("the ends stream is {bytes} bytes long")));
    }
    Ok(bytes / 8)
}

/// Where statement `index` starts: the end of its predecessor.
fn statement_start(
    ends: &impl ReadableTable<u64, &'static [u8]>,
    index: u64,
) -> Result<u64, StorageError> {
    if index == 0 {
        return Ok(0);
    }
    let raw = read(ends, (index - 1) * 8, index * 8)?;
    decode_ends(&raw)
        .first()
        .copied()
        .ok_or_else(|| corrupted(format!("no end recorded for statement {}", index - 1)))
}

/// 8-byte big-endian records to numbers.
fn decode_ends(raw: &[u8]) -> Vec<u64> {
    raw.chunks_exact(8)
        .map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        })
        .collect()
}

/// Appends `statements` as indices `first_index..`.
pub(super) fn append_statements(
    chunks: &mut Table<u64, &[u8]>,
    ends: &mut Table<u64, &[u8]>,
    first_index: u64,
    statements: &[&[u8]],
) -> Result<(), StorageError> {
    let count = statement_count(ends)?;
    if count != first_index {
        return Err(corrupted(format!(
            "statement {first_index} appended after {count} statements"
        )));
    }
    let start = statement_start(ends, first_index)?;
    let stream_end = end(chunks)?;
    if start != stream_end {
        return Err(corrupted(format!(
            "statement {first_index} would start at {start}, the stream ends at {stream_end}"
        )));
    }
    let mut new_ends = Vec::with_capacity(statements.len() * 8);
    append(chunks, statements.iter().copied(), |e| {
        new_ends.extend_from_slice(&e.to_be_bytes());
        Ok(())
    })?;
    append(ends, [new_ends.as_slice()], |_| Ok(()))?;
    Ok(())
}

/// The end offsets of statements `start..start+count` that exist, after the
/// start of the first of them.
fn statement_ends(
    ends: &impl ReadableTable<u64, &'static [u8]>,
    start: u64,
    count: u64,
) -> Result<Option<(u64, Vec<u64>)>, StorageError> {
    let stop = start.saturating_add(count).min(statement_count(ends)?);
    if stop <= start {
        return Ok(None);
    }
    // One read from the predecessor's end, which is where `start` begins
    // (`read` returns every byte asked for, so with start > 0 there are at
    // least two records).
    let from = start.saturating_sub(1);
    let mut out = decode_ends(&read(ends, from * 8, stop * 8)?);
    let begin = if start == 0 { 0 } else { out.remove(0) };
    let mut prev = begin;
    for &e in &out {
        if e < prev {
            return Err(corrupted(format!("ends go backwards ({prev} then {e})")));
        }
        prev = e;
    }
    Ok(Some((begin, out)))
}

/// Lengths of statements `start..start+count` (fewer past the end), from
/// the ends alone.
pub(super) fn statement_lengths(
    ends: &impl ReadableTable<u64, &'static [u8]>,
    start: u64,
    count: u64,
) -> Result<Vec<usize>, StorageError> {
    let Some((mut prev, list)) = statement_ends(ends, start, count)? else {
        return Ok(Vec::new());
    };
    Ok(list
        .into_iter()
        .map(|e| {
            let len = (e - prev) as usize;
            prev = e;
            len
        })
        .collect())
}

/// `f` of each of statements `start..start+count` (fewer past the end),
/// reading their chunks in one range.
pub(super) fn each_statement<T>(
    chunks: &impl ReadableTable<u64, &'static [u8]>,
    ends: &impl ReadableTable<u64, &'static [u8]>,
    start: u64,
    count: u64,
    f: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, StorageError> {
    let Some((begin, list)) = statement_ends(ends, start, count)? else {
        return Ok(Vec::new());
    };
    let finish = list.last().copied().unwrap_or(begin);
    let bytes = read(chunks, begin, finish)?;
    let mut prev = begin;
    // `read` returned exactly finish - begin bytes and the ends rise
    // monotonically from begin to finish, so every slice is in bounds.
    Ok(list
        .into_iter()
        .map(|e| {
            let piece = &bytes[(prev - begin) as usize..(e - begin) as usize];
            prev = e;
            f(piece)
        })
        .collect())
}
