//! Integration: adding leaf hashes to a tree, tile by tile (Tessera's
//! `storage/internal/integrate.go`).
//!
//! A pure function of the tree's right edge and the new leaves, so it is
//! tested without storage and gives the same bytes when rerun after a
//! crash. The right edge is the partial tile of every level (a level's full
//! tiles never change again); integrating n leaves costs n leaf-tile appends
//! plus one tile root per completed tile, O(1) amortised and O(log n) at
//! worst per entry. The whole tree is never rehashed.
//!
//! The log's sequencer integrates what it sequenced and stores the tiles;
//! an auditor's replay integrates the leaves it recomputed from the
//! statements and compares the tiles byte for byte with what the log serves.

use crate::merkle::{self, Hash};
use crate::tile::{self, TILE_HEIGHT, TILE_WIDTH};

/// Bytes of one hash in a tile.
const HASH_BYTES: usize = 32;

/// The right edge of the tree: for each level, the hashes of its partial
/// tile (possibly none).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Edge {
    /// Leaves in the tree.
    pub size: u64,
    /// `levels[L]` holds the bytes of the partial tile at level L.
    pub levels: Vec<Vec<u8>>,
}

/// What one integration produced.
#[derive(Debug)]
pub struct Integration {
    /// The edge after integration.
    pub edge: Edge,
    /// The new root.
    pub root: Hash,
    /// Tiles to write: (level, index, bytes), every completed tile and the
    /// new version of every partial tile that changed, in the order they
    /// were produced.
    pub tiles: Vec<(u8, u64, Vec<u8>)>,
}

/// Hashes a level-`level` tile index covers below it: `size` leaves shifted
/// by the tile height per level.
fn hashes_at(size: u64, level: usize) -> u64 {
    let shift = TILE_HEIGHT * level as u32;
    if shift >= 64 { 0 } else { size >> shift }
}

impl Edge {
    /// The edge of a tree of `size` leaves, reading each level's partial
    /// tile with `fetch(level, index, width)`, which must return at least
    /// `width` hashes (longer tiles are cut). Ok means every partial tile
    /// the edge needs was there; the hashes are trusted as they are.
    pub fn from_tiles<E: From<String>>(
        size: u64,
        mut fetch: impl FnMut(u8, u64, u16) -> Result<Vec<u8>, E>,
    ) -> Result<Edge, E> {
        let mut levels = Vec::new();
        let mut level = 0usize;
        while hashes_at(size, level) > 0 {
            let hashes = hashes_at(size, level);
            let width = (hashes % TILE_WIDTH) as usize;
            let index = hashes / TILE_WIDTH;
            let bytes = if width == 0 {
                Vec::new()
            } else {
                let t = fetch(level as u8, index, width as u16)?;
                if t.len() < width * HASH_BYTES {
                    return Err(E::from(format!(
                        "edge tile {level}/{index} has {} bytes, {} expected",
                        t.len(),
                        width * HASH_BYTES
                    )));
                }
                t[..width * HASH_BYTES].to_vec()
            };
            levels.push(bytes);
            level += 1;
        }
        Ok(Edge { size, levels })
    }

    /// The edge of a tree of `size` leaves from its partial tiles, level 0
    /// first (as [`Edge::levels`] holds them). None unless there is exactly
    /// one entry per level the tree has and each holds the width the size
    /// gives it: a saved edge that does not fit its size is corrupt.
    pub fn from_levels(size: u64, levels: Vec<Vec<u8>>) -> Option<Edge> {
        let mut expected = 0usize;
        while hashes_at(size, expected) > 0 {
            expected += 1;
        }
        if levels.len() != expected {
            return None;
        }
        for (level, bytes) in levels.iter().enumerate() {
            let width = (hashes_at(size, level) % TILE_WIDTH) as usize;
            if bytes.len() != width * HASH_BYTES {
                return None;
            }
        }
        Some(Edge { size, levels })
    }

    /// The partial tiles of the edge that hold hashes, with their ids.
    pub fn partial_tiles(&self) -> impl Iterator<Item = (tile::TileId, &[u8])> {
        self.levels
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_empty())
            .map(|(level, b)| {
                (
                    tile::TileId {
                        level: level as u8,
                        index: hashes_at(self.size, level) / TILE_WIDTH,
                        width: (b.len() / HASH_BYTES) as u16,
                    },
                    b.as_slice(),
                )
            })
    }

    /// The root of the tree this edge ends.
    pub fn root(&self) -> Hash {
        let nodes = merkle::root_nodes(self.size);
        let hashes = tile::read_nodes_from_trusted_tiles(&nodes, self.size, |t| {
            self.levels
                .get(usize::from(t.level))
                .cloned()
                .ok_or("edge level missing")
        });
        match hashes {
            Ok(h) => merkle::fold_right(&h).unwrap_or_else(merkle::empty_root),
            // An Edge from `from_tiles` or `integrate` always holds the tiles
            // its root needs; a hand-built one that does not gets the empty
            // root, which no checkpoint of a non-empty tree has.
            Err(_) => merkle::empty_root(),
        }
    }
}

/// Appends `leaves` to the tree ending in `edge`.
pub fn integrate(edge: &Edge, leaves: &[Hash]) -> Integration {
    let full_tile = TILE_WIDTH as usize * HASH_BYTES;
    let mut levels = edge.levels.clone();
    let mut size = edge.size;
    let mut tiles: Vec<(u8, u64, Vec<u8>)> = Vec::new();
    let mut touched = vec![false; levels.len().max(1)];
    for leaf in leaves {
        let mut carry = *leaf;
        let mut level = 0usize;
        loop {
            if levels.len() <= level {
                levels.push(Vec::new());
                touched.push(false);
            }
            levels[level].extend_from_slice(&carry.0);
            touched[level] = true;
            if levels[level].len() < full_tile {
                break;
            }
            // The tile at this level is full: write it, hash it into the
            // level above, and start the next one empty.
            let index = hashes_at(size + 1, level) / TILE_WIDTH - 1;
            let full = std::mem::take(&mut levels[level]);
            carry = tile::full_tile_root(&full);
            tiles.push((level as u8, index, full));
            touched[level] = false;
            level += 1;
        }
        size += 1;
    }
    for (level, bytes) in levels.iter().enumerate() {
        if touched[level] && !bytes.is_empty() {
            let index = hashes_at(size, level) / TILE_WIDTH;
            tiles.push((level as u8, index, bytes.clone()));
        }
    }
    let edge = Edge { size, levels };
    let root = edge.root();
    Integration { edge, root, tiles }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;
    use std::collections::BTreeMap;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// Integrating in batches of any size gives the RFC 6962 root and the
    /// same tiles as the obvious construction, and reproduces the digest's
    /// 300-entry log.
    #[test]
    fn integrate_matches_reference_in_any_batching() {
        let all = leaves(70_000);
        for batch in [1usize, 7, 255, 256, 1000, 70_000] {
            let mut edge = Edge::default();
            let mut store: BTreeMap<(u8, u64), Vec<u8>> = BTreeMap::new();
            for chunk in all.chunks(batch) {
                let out = integrate(&edge, chunk);
                for (l, i, b) in out.tiles {
                    if let Some(old) = store.get(&(l, i)) {
                        assert!(b.starts_with(old), "tile {l}/{i} rewritten, not extended");
                    }
                    store.insert((l, i), b);
                }
                edge = out.edge;
                if edge.size == 300 {
                    assert_eq!(
                        out.root.to_hex(),
                        "909729a9c6f4a962812a46579f13d2adad03cf7d0016d56243fe4584d0b5e03c"
                    );
                }
            }
            assert_eq!(edge.root(), merkle::root(&all), "batch {batch}");
            let mut want: Vec<String> = tile::tiles_for_size(70_000)
                .iter()
                .map(|t| t.path())
                .collect();
            let mut got: Vec<String> = store
                .iter()
                .map(|((l, i), b)| {
                    tile::TileId {
                        level: *l,
                        index: *i,
                        width: (b.len() / 32) as u16,
                    }
                    .path()
                })
                .collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "batch {batch}");
        }
    }

    #[test]
    fn edge_from_tiles_matches_the_integrated_edge() {
        let all = leaves(70_000);
        let mut edge = Edge::default();
        let mut store: BTreeMap<(u8, u64), Vec<u8>> = BTreeMap::new();
        for chunk in all.chunks(4_321) {
            let out = integrate(&edge, chunk);
            for (l, i, b) in out.tiles {
                store.insert((l, i), b);
            }
            edge = out.edge;
            let loaded = Edge::from_tiles::<String>(edge.size, |l, i, _| {
                store.get(&(l, i)).cloned().ok_or("missing".to_string())
            })
            .unwrap();
            assert_eq!(loaded, edge);
            assert_eq!(loaded.root(), merkle::root(&all[..edge.size as usize]));
        }
        // The saved form round-trips, and a wrong width is refused.
        let back = Edge::from_levels(edge.size, edge.levels.clone()).unwrap();
        assert_eq!(back, edge);
        let mut bad = edge.levels.clone();
        let short = bad[0].len().saturating_sub(32);
        bad[0].truncate(short);
        assert!(Edge::from_levels(edge.size, bad).is_none());
        assert!(Edge::from_levels(edge.size, Vec::new()).is_none());
        assert_eq!(Edge::from_levels(0, Vec::new()), Some(Edge::default()));
        // A short or missing tile is an error, not a wrong edge.
        let short = Edge::from_tiles::<String>(257, |_, _, _| Ok(vec![0; 16]));
        assert!(short.is_err());
    }
}
