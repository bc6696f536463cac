//! C2SP tlog-tiles: which tile holds which node, tile paths both ways, entry
//! bundles, and computing proofs from tiles.
//!
//! A tile at level `L` and index `N` holds up to 256 hashes: at level 0 the
//! leaf hashes `N*256 ..`, at level `L > 0` the roots of full tiles of level
//! `L-1`. A tile is full when it holds 256 hashes and partial otherwise; a
//! partial tile is a prefix of the full tile it grows into, so it never
//! changes once served.
//!
//! Tiles fetched from a log are suspect until checked against a verified
//! checkpoint: [`TileHashReader`] recomputes the checkpoint's root from the
//! right edge of the tree and ties every other tile to it through its parents
//! before it hands out a single hash (like Go's `tlog.TileHashReader`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::decimal;
use crate::merkle::{self, Hash, NodeId, ProofError};

/// Height of a tile: 8 levels of the tree, so 256 hashes wide.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Bytes in a full hash tile.
pub const FULL_TILE_BYTES: usize = 256 * 32;
/// Highest tile level a path may name: 64 tree levels over 8 per tile leave
/// levels 0..=7 meaningful; tlog-tiles allows up to 63 in the syntax.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Why a tile path, tile or bundle was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TileError {
    /// Not a tile path of tlog-tiles (or of ashlog's statement bundles).
    #[error("malformed tile path")]
    MalformedPath,
    /// A tile's byte length does not match its width.
    #[error("tile {path} has {got} bytes, {want} expected")]
    WrongTileLength {
        /// The tile's path.
        path: String,
        /// Bytes received.
        got: usize,
        /// Bytes its width implies.
        want: usize,
    },
    /// A tile does not hash to the value its parent (or the checkpoint root)
    /// commits to: the log served a tile inconsistent with its checkpoint.
    #[error("tile {path} is inconsistent with the checkpoint")]
    TileMismatch {
        /// The tile's path.
        path: String,
    },
    /// The tiles of the right edge do not reproduce the checkpoint root.
    #[error("tiles do not reproduce the checkpoint root")]
    RootMismatch,
    /// A node outside the tree of the given size.
    #[error("node at level {level}, index {index} is not in a tree of size {size}")]
    NodeOutOfRange {
        /// Node level.
        level: u8,
        /// Node index.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// A bundle's length prefixes do not add up, or it holds the wrong number
    /// of entries.
    #[error("malformed bundle: {0}")]
    MalformedBundle(String),
    /// A proof request the tree shape does not allow.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Fetching a tile failed (network, storage).
    #[error("fetching tiles failed: {0}")]
    Fetch(String),
}

/// A hash tile: level, index and width (1..=256; 256 means full).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Tile level (0 holds leaf hashes).
    pub level: u8,
    /// Tile index within its level.
    pub index: u64,
    /// Number of hashes, 1..=256.
    pub width: u16,
}

impl TileId {
    /// Whether the tile holds all 256 hashes.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The tile's URL path under the log prefix, e.g. `tile/0/x001/234.p/5`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, index_path(self.index, self.width))
    }

    /// Byte length of the tile.
    pub fn byte_len(&self) -> usize {
        usize::from(self.width) * 32
    }

    /// The parent tile that holds this (full) tile's root, as it exists in a
    /// tree of `size` leaves; None when the parent holds no hashes yet.
    pub fn parent(&self, size: u64) -> Option<TileId> {
        let level = self.level + 1;
        let index = self.index / TILE_WIDTH;
        tile_width(level, index, size).map(|width| TileId {
            level,
            index,
            width,
        })
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// A resource of the tiled log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// `tile/<L>/<N>[.p/<W>]`: hashes.
    Hash(TileId),
    /// `tile/entries/<N>[.p/<W>]`: the log entries (for ashlog, 32-byte
    /// digests of the registered statements), u16-length-prefixed.
    Entries {
        /// Bundle index.
        index: u64,
        /// Entries in the bundle, 1..=256.
        width: u16,
    },
    /// `statements/<N>[.p/<W>]` (ashlog): the registered statements
    /// themselves, u32-length-prefixed, so monitors replay the log with one
    /// request per 256 entries.
    Statements {
        /// Bundle index.
        index: u64,
        /// Statements in the bundle, 1..=256.
        width: u16,
    },
}

impl TilePath {
    /// Formats the path (no leading slash).
    pub fn to_path(&self) -> String {
        match self {
            TilePath::Hash(t) => t.path(),
            TilePath::Entries { index, width } => {
                format!("tile/entries/{}", index_path(*index, *width))
            }
            TilePath::Statements { index, width } => {
                format!("statements/{}", index_path(*index, *width))
            }
        }
    }

    /// Parses a path (with or without a leading slash) strictly: no leading
    /// zeros in levels or widths, three-digit groups with `x` prefixes in the
    /// index and no superfluous leading groups, width 1..=255 for partial
    /// tiles. Strictness matters because tiles are cached by URL: two
    /// spellings of one tile would let a CDN serve different bytes for each.
    pub fn parse(path: &str) -> Result<TilePath, TileError> {
        let path = path.strip_prefix('/').unwrap_or(path);
        if let Some(rest) = path.strip_prefix("tile/entries/") {
            let (index, width) = parse_index_path(rest)?;
            return Ok(TilePath::Entries { index, width });
        }
        if let Some(rest) = path.strip_prefix("statements/") {
            let (index, width) = parse_index_path(rest)?;
            return Ok(TilePath::Statements { index, width });
        }
        let rest = path.strip_prefix("tile/").ok_or(TileError::MalformedPath)?;
        let (level, rest) = rest.split_once('/').ok_or(TileError::MalformedPath)?;
        let level: u8 = decimal::parse(level)
            .filter(|l| *l <= u64::from(MAX_TILE_LEVEL))
            .and_then(|l| u8::try_from(l).ok())
            .ok_or(TileError::MalformedPath)?;
        let (index, width) = parse_index_path(rest)?;
        Ok(TilePath::Hash(TileId {
            level,
            index,
            width,
        }))
    }
}

/// `1234067` → `x001/x234/067`, plus `.p/<W>` when partial.
fn index_path(index: u64, width: u16) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{g:03}/"));
        } else {
            out.push_str(&format!("{g:03}"));
        }
    }
    if u64::from(width) < TILE_WIDTH {
        out.push_str(&format!(".p/{width}"));
    }
    out
}

fn parse_index_path(text: &str) -> Result<(u64, u16), TileError> {
    let (idx, width) = match text.split_once(".p/") {
        Some((idx, w)) => {
            let w = decimal::parse(w)
                .filter(|w| (1..TILE_WIDTH).contains(w))
                .ok_or(TileError::MalformedPath)?;
            (idx, w as u16)
        }
        None => (text, TILE_WIDTH as u16),
    };
    let parts: Vec<&str> = idx.split('/').collect();
    let mut n: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let digits = if last {
            part
        } else {
            part.strip_prefix('x').ok_or(TileError::MalformedPath)?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::MalformedPath);
        }
        // A leading group of zeros ("x000/...") is a second spelling of a
        // shorter path.
        if i == 0 && !last && digits == "000" {
            return Err(TileError::MalformedPath);
        }
        let g: u64 = digits.parse().map_err(|_| TileError::MalformedPath)?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(g))
            .ok_or(TileError::MalformedPath)?;
    }
    Ok((n, width))
}

/// The width of tile (`level`, `index`) in a tree of `size` leaves, or None
/// if that tile holds no hashes at that size.
pub fn tile_width(level: u8, index: u64, size: u64) -> Option<u16> {
    let shift = u32::from(level) * TILE_HEIGHT;
    if shift >= 64 {
        return None;
    }
    let hashes_at_level = size >> shift;
    let start = index.checked_mul(TILE_WIDTH)?;
    if hashes_at_level <= start {
        return None;
    }
    Some((hashes_at_level - start).min(TILE_WIDTH) as u16)
}

/// Every hash tile of a tree of `size` leaves (full and partial), level by
/// level: what a log must serve for that size and what an auditor fetches.
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    for level in 0..=MAX_TILE_LEVEL {
        let shift = u32::from(level) * TILE_HEIGHT;
        if shift >= 64 || size >> shift == 0 {
            break;
        }
        let n = size >> shift;
        for index in 0..n.div_ceil(TILE_WIDTH) {
            if let Some(width) = tile_width(level, index, size) {
                out.push(TileId {
                    level,
                    index,
                    width,
                });
            }
        }
    }
    out
}

/// The entry-bundle indices and widths of a tree of `size` leaves.
pub fn bundles_for_size(size: u64) -> impl Iterator<Item = (u64, u16)> {
    (0..size.div_ceil(TILE_WIDTH)).map(move |i| (i, (size - i * TILE_WIDTH).min(TILE_WIDTH) as u16))
}

/// Where node (`h`, `k`) lives: the tile (at the width it has in a tree of
/// `size` leaves), the first hash of that tile it covers, and how many tile
/// hashes combine into it (`2^(h mod 8)`).
pub fn node_location(node: NodeId, size: u64) -> Result<(TileId, usize, usize), TileError> {
    let out_of_range = TileError::NodeOutOfRange {
        level: node.level,
        index: node.index,
        size,
    };
    let level = (u32::from(node.level) / TILE_HEIGHT) as u8;
    let row = u32::from(node.level) % TILE_HEIGHT;
    let tile_index = node.index >> (TILE_HEIGHT - row);
    let offset = ((node.index << row) % TILE_WIDTH) as usize;
    let count = 1usize << row;
    let width = tile_width(level, tile_index, size).ok_or(out_of_range.clone())?;
    if offset + count > usize::from(width) {
        return Err(out_of_range);
    }
    Ok((
        TileId {
            level,
            index: tile_index,
            width,
        },
        offset,
        count,
    ))
}

/// The hash at position `i` of a tile's bytes.
fn tile_hash(tile: &[u8], i: usize) -> Hash {
    let mut h = [0u8; 32];
    h.copy_from_slice(&tile[i * 32..i * 32 + 32]);
    Hash(h)
}

/// Root of the perfect subtree over `count` (a power of two) consecutive
/// hashes of a tile starting at `offset`.
fn subtree_of_tile(tile: &[u8], offset: usize, count: usize) -> Hash {
    let mut level: Vec<Hash> = (offset..offset + count)
        .map(|i| tile_hash(tile, i))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| merkle::node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// The root of a full tile: the hash its parent tile stores for it.
pub fn full_tile_root(tile: &[u8]) -> Hash {
    subtree_of_tile(tile, 0, TILE_WIDTH as usize)
}

/// Reads node hashes out of tiles that are already trusted (a log reading its
/// own storage). `fetch` returns the bytes of one tile at the given width.
pub fn read_nodes_from_trusted_tiles<E: fmt::Display>(
    nodes: &[NodeId],
    size: u64,
    mut fetch: impl FnMut(TileId) -> Result<Vec<u8>, E>,
) -> Result<Vec<Hash>, TileError> {
    let mut cache: BTreeMap<TileId, Vec<u8>> = BTreeMap::new();
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let (tile, offset, count) = node_location(*node, size)?;
        let bytes = match cache.entry(tile) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let bytes = fetch(tile).map_err(|e| TileError::Fetch(e.to_string()))?;
                if bytes.len() < tile.byte_len() {
                    return Err(TileError::WrongTileLength {
                        path: tile.path(),
                        got: bytes.len(),
                        want: tile.byte_len(),
                    });
                }
                e.insert(bytes)
            }
        };
        out.push(subtree_of_tile(bytes, offset, count));
    }
    Ok(out)
}

/// Reads node hashes from tiles fetched from an untrusted log, checking every
/// tile against a verified checkpoint (size and root) first.
///
/// Ok from [`TileHashReader::read_nodes`] means every returned hash is the
/// true node hash of the tree the checkpoint commits to.
pub struct TileHashReader {
    size: u64,
    root: Hash,
}

impl TileHashReader {
    /// A reader for the tree of `size` leaves with root `root`, both taken
    /// from a checkpoint whose signatures the caller has verified.
    pub fn new(size: u64, root: Hash) -> Self {
        TileHashReader { size, root }
    }

    /// The tiles whose hashes combine into the root: the right edge.
    fn edge_tiles(&self) -> BTreeSet<TileId> {
        merkle::root_nodes(self.size)
            .into_iter()
            .filter_map(|n| node_location(n, self.size).ok().map(|(t, _, _)| t))
            .collect()
    }

    /// Every tile needed to read `nodes` and to authenticate them.
    pub fn tiles_needed(&self, nodes: &[NodeId]) -> Result<Vec<TileId>, TileError> {
        let edge = self.edge_tiles();
        let mut need: BTreeSet<TileId> = edge.clone();
        for node in nodes {
            let (mut tile, _, _) = node_location(*node, self.size)?;
            // Climb until the tile is on the right edge, whose tiles the
            // root vouches for directly.
            while !edge.contains(&tile) {
                need.insert(tile);
                match tile.parent(self.size) {
                    Some(p) => tile = p,
                    None => break,
                }
            }
        }
        Ok(need.into_iter().collect())
    }

    /// Checks fetched tiles (as returned for [`Self::tiles_needed`]) against
    /// the checkpoint and reads `nodes` from them.
    pub fn read_nodes(
        &self,
        nodes: &[NodeId],
        tiles: &BTreeMap<TileId, Vec<u8>>,
    ) -> Result<Vec<Hash>, TileError> {
        for (tile, bytes) in tiles {
            if bytes.len() != tile.byte_len() {
                return Err(TileError::WrongTileLength {
                    path: tile.path(),
                    got: bytes.len(),
                    want: tile.byte_len(),
                });
            }
        }
        let get = |t: &TileId| -> Result<&Vec<u8>, TileError> {
            tiles
                .get(t)
                .ok_or_else(|| TileError::Fetch(format!("tile {t} was not fetched")))
        };
        // 1. The right edge reproduces the root.
        let edge_nodes = merkle::root_nodes(self.size);
        let mut edge_hashes = Vec::with_capacity(edge_nodes.len());
        for n in &edge_nodes {
            let (tile, offset, count) = node_location(*n, self.size)?;
            edge_hashes.push(subtree_of_tile(get(&tile)?, offset, count));
        }
        let got_root = merkle::fold_right(&edge_hashes).unwrap_or_else(merkle::empty_root);
        if got_root != self.root {
            return Err(TileError::RootMismatch);
        }
        // 2. Every other tile hashes to the entry its parent holds for it.
        let edge = self.edge_tiles();
        for (tile, bytes) in tiles {
            if edge.contains(tile) {
                continue;
            }
            let parent = tile
                .parent(self.size)
                .ok_or_else(|| TileError::TileMismatch { path: tile.path() })?;
            if !tile.is_full() {
                // Only the right edge may be partial.
                return Err(TileError::TileMismatch { path: tile.path() });
            }
            let pbytes = get(&parent)?;
            let slot = (tile.index % TILE_WIDTH) as usize;
            if tile_hash(pbytes, slot) != full_tile_root(bytes) {
                return Err(TileError::TileMismatch { path: tile.path() });
            }
        }
        // 3. Read.
        let mut out = Vec::with_capacity(nodes.len());
        for node in nodes {
            let (tile, offset, count) = node_location(*node, self.size)?;
            out.push(subtree_of_tile(get(&tile)?, offset, count));
        }
        Ok(out)
    }

    /// Fetches what is needed with `fetch` (all tiles in one call), checks
    /// it, and returns the inclusion proof of leaf `index`.
    pub fn prove_inclusion<E: fmt::Display>(
        &self,
        index: u64,
        fetch: impl FnOnce(&[TileId]) -> Result<Vec<Vec<u8>>, E>,
    ) -> Result<Vec<Hash>, TileError> {
        let steps = merkle::inclusion_steps(index, self.size)?;
        self.assemble(&steps, fetch)
    }

    /// Like [`Self::prove_inclusion`], for the consistency proof from
    /// `old_size` to this reader's size.
    pub fn prove_consistency<E: fmt::Display>(
        &self,
        old_size: u64,
        fetch: impl FnOnce(&[TileId]) -> Result<Vec<Vec<u8>>, E>,
    ) -> Result<Vec<Hash>, TileError> {
        let steps = merkle::consistency_steps(old_size, self.size)?;
        self.assemble(&steps, fetch)
    }

    fn assemble<E: fmt::Display>(
        &self,
        steps: &[merkle::ProofStep],
        fetch: impl FnOnce(&[TileId]) -> Result<Vec<Vec<u8>>, E>,
    ) -> Result<Vec<Hash>, TileError> {
        let flat: Vec<NodeId> = steps.iter().flatten().copied().collect();
        let need = self.tiles_needed(&flat)?;
        let fetched = fetch(&need).map_err(|e| TileError::Fetch(e.to_string()))?;
        if fetched.len() != need.len() {
            return Err(TileError::Fetch(
                "fetcher returned the wrong number of tiles".into(),
            ));
        }
        let tiles: BTreeMap<TileId, Vec<u8>> = need.into_iter().zip(fetched).collect();
        merkle::assemble_proof(steps, |ids| self.read_nodes(ids, &tiles))
    }
}

/// Splits an entry bundle (`u16` big-endian length, then the entry, repeated)
/// into its entries, requiring exactly `width` of them and no trailing bytes.
pub fn parse_entry_bundle(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>, TileError> {
    parse_bundle(bytes, width, 2)
}

/// Splits a statements bundle (`u32` big-endian length prefixes).
pub fn parse_statement_bundle(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>, TileError> {
    parse_bundle(bytes, width, 4)
}

fn parse_bundle(bytes: &[u8], width: u16, prefix: usize) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::with_capacity(usize::from(width));
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < prefix {
            return Err(TileError::MalformedBundle("truncated length prefix".into()));
        }
        let len = rest[..prefix]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[prefix..];
        if rest.len() < len {
            return Err(TileError::MalformedBundle(format!(
                "entry {} declares {len} bytes, {} remain",
                out.len(),
                rest.len()
            )));
        }
        out.push(&rest[..len]);
        rest = &rest[len..];
        if out.len() > usize::from(width) {
            break;
        }
    }
    if out.len() != usize::from(width) {
        return Err(TileError::MalformedBundle(format!(
            "{} entries, {width} expected",
            out.len()
        )));
    }
    Ok(out)
}

/// Appends one entry to an entry bundle (`u16` length prefix). Entries of
/// ashlog are 32-byte digests, far below the 65,535-byte limit.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) {
    debug_assert!(entry.len() <= usize::from(u16::MAX));
    bundle.extend_from_slice(&(entry.len() as u16).to_be_bytes());
    bundle.extend_from_slice(entry);
}

/// Appends one statement to a statements bundle (`u32` length prefix).
pub fn push_statement(bundle: &mut Vec<u8>, statement: &[u8]) {
    bundle.extend_from_slice(&(statement.len() as u32).to_be_bytes());
    bundle.extend_from_slice(statement);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, root};
    use sha2::{Digest, Sha256};

    /// Builds every tile of a tree from its leaf hashes, the slow obvious way.
    fn build_tiles(leaves: &[Hash]) -> BTreeMap<TileId, Vec<u8>> {
        let size = leaves.len() as u64;
        let mut out = BTreeMap::new();
        let mut level_hashes: Vec<Hash> = leaves.to_vec();
        let mut level = 0u8;
        while !level_hashes.is_empty() {
            let mut next = Vec::new();
            for (i, chunk) in level_hashes.chunks(256).enumerate() {
                let bytes: Vec<u8> = chunk.iter().flat_map(|h| h.0).collect();
                let id = TileId {
                    level,
                    index: i as u64,
                    width: chunk.len() as u16,
                };
                assert_eq!(tile_width(level, i as u64, size), Some(id.width));
                if chunk.len() == 256 {
                    next.push(full_tile_root(&bytes));
                }
                out.insert(id, bytes);
            }
            level_hashes = next;
            level += 1;
        }
        out
    }

    fn entries300() -> Vec<Hash> {
        (0u64..300).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn tiled_log_of_300_matches_digest_vectors() {
        let leaves = entries300();
        assert_eq!(
            leaves[0].to_hex(),
            "3e7077fd2f66d689e0cee6a7cf5b37bf2dca7c979af356d0a31cbc5c85605c7d"
        );
        let tiles = build_tiles(&leaves);
        let sha = |t: &TileId| hex::encode(Sha256::digest(&tiles[t]));
        let t = |level, index, width| TileId {
            level,
            index,
            width,
        };
        assert_eq!(
            sha(&t(0, 0, 256)),
            "20cd0859c7fb4ae9eeac1d244887e6f9342d86ce0b1a1c7bb244915d3d0dc971"
        );
        assert_eq!(
            sha(&t(0, 1, 44)),
            "d3781c6000ceacc7388e80ad489e8ea2915d51e61cb1a13d5aec0aa287800ec1"
        );
        assert_eq!(
            hex::encode(&tiles[&t(1, 0, 1)]),
            "15e2dd4973ae44de8c8cf3048fd98d17adaaea6287f4e0606a55a643617408c0"
        );
        let rt = root(&leaves);
        assert_eq!(
            rt.to_hex(),
            "909729a9c6f4a962812a46579f13d2adad03cf7d0016d56243fe4584d0b5e03c"
        );
        let reader = TileHashReader::new(300, rt);
        // Inclusion of 260 needs only tile/1/000.p/1 and tile/0/001.p/44.
        let steps = merkle::inclusion_steps(260, 300).unwrap();
        let flat: Vec<NodeId> = steps.iter().flatten().copied().collect();
        let need = reader.tiles_needed(&flat).unwrap();
        assert_eq!(
            need.iter().map(TileId::path).collect::<Vec<_>>(),
            vec!["tile/0/001.p/44", "tile/1/000.p/1"]
        );
        let proof = reader
            .prove_inclusion(260, |ids| {
                Ok::<_, String>(ids.iter().map(|i| tiles[i].clone()).collect())
            })
            .unwrap();
        assert_eq!(
            proof.iter().map(Hash::to_hex).collect::<Vec<_>>(),
            vec![
                "3314dcb12687aeca2ac27babeef7470523d9d36fdaa2d2169ecbede5f94abd53",
                "a85ddf731b34489708881e2d3cd497eba9939bfa7a1a8ceff41cdfa0dfa9c55c",
                "225ee3a17bb010e92b7e548c97a46f77e1bf8275650f3050bcacb9428b0388a0",
                "b35374587f0e9cc63699a7b1f7b0379832649c8d4dba03169c6562256b8c3c06",
                "37b55536ac130eab8b805903d607ec59e3ac8ae5fc1412647a611d3e544eb72c",
                "a689118318f222c3bfcd3b56875870ab29ae837a416d95829965c5c977c17532",
                "15e2dd4973ae44de8c8cf3048fd98d17adaaea6287f4e0606a55a643617408c0",
            ]
        );
        let cons = reader
            .prove_consistency(100, |ids| {
                Ok::<_, String>(ids.iter().map(|i| tiles[i].clone()).collect())
            })
            .unwrap();
        assert_eq!(cons.len(), 8);
        assert_eq!(
            cons[0].to_hex(),
            "ed850fb51596aef8e7c9566bc22c45e2a88bf1707eacd883c012395355391c68"
        );
        let old = root(&leaves[..100]);
        assert_eq!(
            old.to_hex(),
            "2891e78a4dc1677f965bd3e91dea9b59088e219becee08c6ee5d15414b446a7d"
        );
        merkle::verify_consistency(100, 300, &cons, &old, &rt).unwrap();
        let cons256 = reader
            .prove_consistency(256, |ids| {
                Ok::<_, String>(ids.iter().map(|i| tiles[i].clone()).collect())
            })
            .unwrap();
        assert_eq!(
            cons256.iter().map(Hash::to_hex).collect::<Vec<_>>(),
            vec!["e333665e135ffec264f8b5868e3fbe6ddd5e1a29ca12b1856e979a2b5047fdfd"]
        );
    }

    #[test]
    fn tile_paths_match_digest_vectors() {
        let cases = [
            (0u8, 1234067u64, 256u16, "tile/0/x001/x234/067"),
            (0, 273, 112, "tile/0/273.p/112"),
            (1, 1, 17, "tile/1/001.p/17"),
            (2, 0, 1, "tile/2/000.p/1"),
            (0, 999, 256, "tile/0/999"),
        ];
        for (level, index, width, path) in cases {
            let id = TileId {
                level,
                index,
                width,
            };
            assert_eq!(id.path(), path);
            assert_eq!(TilePath::parse(path).unwrap(), TilePath::Hash(id));
        }
        let e = TilePath::Entries {
            index: 1000,
            width: 256,
        };
        assert_eq!(e.to_path(), "tile/entries/x001/000");
        assert_eq!(TilePath::parse("/tile/entries/x001/000").unwrap(), e);
        let s = TilePath::Statements { index: 3, width: 7 };
        assert_eq!(s.to_path(), "statements/003.p/7");
        assert_eq!(TilePath::parse("statements/003.p/7").unwrap(), s);
    }

    #[test]
    fn tile_path_rejects_noncanonical_spellings() {
        for bad in [
            "tile/00/000",
            "tile/0/00",
            "tile/0/0000",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/0/x1/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/01",
            "tile/64/000",
            "tile/0/000.p/",
            "tile/0/-01",
            "tile/0/+01",
            "tile/entries/../000",
            "tile/0/../../etc/passwd",
            "tile/0/%30%30%30",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
            "tile/",
            "",
            "checkpoint",
        ] {
            assert_eq!(TilePath::parse(bad), Err(TileError::MalformedPath), "{bad}");
        }
    }

    #[test]
    fn tiles_for_70000_match_spec_example() {
        let tiles = tiles_for_size(70000);
        let paths: Vec<String> = tiles.iter().map(TileId::path).collect();
        assert_eq!(paths.len(), 273 + 1 + 1 + 1 + 1);
        assert!(paths.contains(&"tile/0/272".to_string()));
        assert!(paths.contains(&"tile/0/273.p/112".to_string()));
        assert!(paths.contains(&"tile/1/000".to_string()));
        assert!(paths.contains(&"tile/1/001.p/17".to_string()));
        assert!(paths.contains(&"tile/2/000.p/1".to_string()));
        assert_eq!(bundles_for_size(70000).last(), Some((273, 112)));
    }

    #[test]
    fn proofs_from_tiles_match_direct_proofs_across_sizes() {
        let all: Vec<Hash> = (0u64..1300).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        for size in [1u64, 2, 255, 256, 257, 511, 512, 513, 1024, 1299, 1300] {
            let leaves = &all[..size as usize];
            let tiles = build_tiles(leaves);
            let rt = root(leaves);
            let reader = TileHashReader::new(size, rt);
            let fetch =
                |ids: &[TileId]| Ok::<_, String>(ids.iter().map(|i| tiles[i].clone()).collect());
            for index in [0, size / 3, size / 2, size - 1] {
                let p = reader.prove_inclusion(index, fetch).unwrap();
                merkle::verify_inclusion(index, size, &leaves[index as usize], &p, &rt).unwrap();
                let trusted =
                    merkle::assemble_proof(&merkle::inclusion_steps(index, size).unwrap(), |ids| {
                        read_nodes_from_trusted_tiles(ids, size, |t| {
                            Ok::<_, String>(tiles[&t].clone())
                        })
                    })
                    .unwrap();
                assert_eq!(p, trusted);
            }
            for old in [1, size / 2 + 1, size] {
                let p = reader.prove_consistency(old, fetch).unwrap();
                merkle::verify_consistency(old, size, &p, &root(&leaves[..old as usize]), &rt)
                    .unwrap();
            }
        }
    }

    #[test]
    fn tampered_tile_is_caught_before_use() {
        let leaves: Vec<Hash> = (0u64..1000).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let tiles = build_tiles(&leaves);
        let rt = root(&leaves);
        let reader = TileHashReader::new(1000, rt);
        // A full level-0 tile that is not on the right edge.
        let victim = TileId {
            level: 0,
            index: 1,
            width: 256,
        };
        let mut bad = tiles.clone();
        bad.get_mut(&victim).unwrap()[5] ^= 1;
        let r = reader.prove_inclusion(300, |ids| {
            Ok::<_, String>(ids.iter().map(|i| bad[i].clone()).collect())
        });
        assert_eq!(
            r,
            Err(TileError::TileMismatch {
                path: "tile/0/001".into()
            })
        );
        // A right-edge tile.
        let edge = TileId {
            level: 0,
            index: 3,
            width: 232,
        };
        let mut bad = tiles.clone();
        bad.get_mut(&edge).unwrap()[0] ^= 1;
        let r = reader.prove_inclusion(999, |ids| {
            Ok::<_, String>(ids.iter().map(|i| bad[i].clone()).collect())
        });
        assert_eq!(r, Err(TileError::RootMismatch));
        // A short tile.
        let mut bad = tiles.clone();
        bad.get_mut(&edge).unwrap().pop();
        assert!(matches!(
            reader.prove_inclusion(999, |ids| {
                Ok::<_, String>(ids.iter().map(|i| bad[i].clone()).collect())
            }),
            Err(TileError::WrongTileLength { .. })
        ));
    }

    #[test]
    fn bundles_round_trip_and_reject_garbage() {
        let mut b = Vec::new();
        push_entry(&mut b, b"abc");
        push_entry(&mut b, b"");
        assert_eq!(
            parse_entry_bundle(&b, 2).unwrap(),
            vec![&b"abc"[..], &b""[..]]
        );
        assert!(parse_entry_bundle(&b, 3).is_err());
        assert!(parse_entry_bundle(&b[..4], 2).is_err());
        assert!(parse_entry_bundle(&[0xff, 0xff, 1], 1).is_err());
        let mut s = Vec::new();
        push_statement(&mut s, &[7u8; 300]);
        assert_eq!(parse_statement_bundle(&s, 1).unwrap()[0].len(), 300);
        assert!(parse_statement_bundle(&s, 2).is_err());
    }
}
