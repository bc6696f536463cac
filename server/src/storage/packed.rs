//! Registered statements packed end to end into page-sized chunks.
//!
//! redb keeps a value that does not fit one page in a run of pages rounded
//! up to a power of two, so a 5.9 KB statement stored as its own value
//! takes 8 KiB: 2.3 KB of every entry was padding. Concatenated into one
//! byte stream and cut into chunks that each fill a run of leaf pages, the
//! statements cost their own bytes plus about 1 %. `statement_ends` maps each
//! index to the stream offset where its statement ends; a statement starts
//! where its predecessor ends. Only the last chunk is ever rewritten (as a
//! batch extends it), inside the batch's transaction like everything else.

use ::redb::{ReadableTable, Table, TableDefinition};
use ashlog::merkle::Hash;

use super::StorageError;

/// Chunk size: four 4,096-byte pages less a leaf's header (4 bytes), the
/// value's length (4) and the u64 key (8), so a chunk fills exactly the
/// four-page run redb allocates for it. One page per chunk would leave a
/// branch-page entry for every 4 KB; four pages cut that overhead by four,
/// while a single statement is still at most two chunks to read.
pub(super) const CHUNK: u64 = 4 * 4_096 - 16;

/// Chunk number → bytes; every chunk but the last is exactly [`CHUNK`] long.
pub(super) const CHUNKS: TableDefinition<u64, &[u8]> = TableDefinition::new("statement_chunks");
/// Statement index → stream offset just past its last byte.
pub(super) const ENDS: TableDefinition<u64, u64> = TableDefinition::new("statement_ends");

fn corrupted(what: String) -> StorageError {
    StorageError::Corrupted(format!("statement stream: {what}"))
}

/// Where statement `index` starts: the end of its predecessor.
fn start_of(ends: &impl ReadableTable<u64, u64>, index: u64) -> Result<u64, StorageError> {
    if index == 0 {
        return Ok(0);
    }
    ends.get(index - 1)?
        .map(|v| v.value())
        .ok_or_else(|| corrupted(format!("no end recorded for statement {}", index - 1)))
}

/// Appends `statements` as indices `first_index..`.
pub(super) fn append(
    chunks: &mut Table<u64, &[u8]>,
    ends: &mut Table<u64, u64>,
    first_index: u64,
    statements: &[(Hash, std::sync::Arc<Vec<u8>>)],
) -> Result<(), StorageError> {
    let mut end = start_of(ends, first_index)?;
    let mut number = end / CHUNK;
    let tail_len = (end % CHUNK) as usize;
    let mut buf = Vec::with_capacity(CHUNK as usize);
    if tail_len > 0 {
        let tail = chunks
            .get(number)?
            .ok_or_else(|| corrupted(format!("chunk {number} is missing")))?;
        let tail = tail.value();
        if tail.len() != tail_len {
            return Err(corrupted(format!(
                "chunk {number} holds {} bytes, the ends say {tail_len}",
                tail.len()
            )));
        }
        buf.extend_from_slice(tail);
    }
    for (i, (_, bytes)) in statements.iter().enumerate() {
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let take = (CHUNK as usize - buf.len()).min(rest.len());
            buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if buf.len() == CHUNK as usize {
                chunks.insert(number, buf.as_slice())?;
                number += 1;
                buf.clear();
            }
        }
        end += bytes.len() as u64;
        ends.insert(first_index + i as u64, end)?;
    }
    if !buf.is_empty() {
        chunks.insert(number, buf.as_slice())?;
    }
    Ok(())
}

/// The end offsets of statements `start..start+count` that exist, after the
/// start of the first of them.
fn ends_of(
    ends: &impl ReadableTable<u64, u64>,
    start: u64,
    count: u64,
) -> Result<Option<(u64, Vec<u64>)>, StorageError> {
    let mut out = Vec::with_capacity(count.min(256) as usize);
    for item in ends.range(start..start.saturating_add(count))? {
        out.push(item?.1.value());
    }
    if out.is_empty() {
        return Ok(None);
    }
    let begin = start_of(ends, start)?;
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
pub(super) fn lengths(
    ends: &impl ReadableTable<u64, u64>,
    start: u64,
    count: u64,
) -> Result<Vec<usize>, StorageError> {
    let Some((mut prev, list)) = ends_of(ends, start, count)? else {
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
pub(super) fn each<T>(
    chunks: &impl ReadableTable<u64, &'static [u8]>,
    ends: &impl ReadableTable<u64, u64>,
    start: u64,
    count: u64,
    f: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, StorageError> {
    let Some((begin, list)) = ends_of(ends, start, count)? else {
        return Ok(Vec::new());
    };
    let finish = list.last().copied().unwrap_or(begin);
    let first = begin / CHUNK;
    // The ends come from disk: the capacity is a hint, bounded.
    let mut bytes = Vec::with_capacity((finish - begin).min(32 << 20) as usize);
    if finish > begin {
        let last = (finish - 1) / CHUNK;
        for (expect, item) in (first..).zip(chunks.range(first..=last)?) {
            let (k, v) = item?;
            let v = v.value();
            if k.value() != expect || (k.value() < last && v.len() as u64 != CHUNK) {
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
                .ok_or_else(|| corrupted(format!("chunk {expect} is shorter than the ends say")))?;
            bytes.extend_from_slice(piece);
        }
        if bytes.len() as u64 != finish - begin {
            return Err(corrupted(format!(
                "chunks {first}..={last} hold {} of the {} bytes the ends say",
                bytes.len(),
                finish - begin
            )));
        }
    }
    let mut prev = begin;
    Ok(list
        .into_iter()
        .map(|e| {
            let piece = &bytes[(prev - begin) as usize..(e - begin) as usize];
            prev = e;
            f(piece)
        })
        .collect())
}
