//! Integration: adding leaf hashes to the tree, tile by tile.
//!
//! A pure function of the tree's right edge and the new leaves, so it is
//! tested without storage and gives the same bytes when rerun. The right
//! edge is the partial tile of every level (a level's full tiles never
//! change again); integrating n leaves costs n leaf-tile appends plus one
//! 255-hash tile root per completed tile, i.e. O(1) amortised and O(log n) at
//! worst per entry. The whole tree is never rehashed.

use ashlog::merkle::{self, Hash};
use ashlog::tile::{self, TILE_WIDTH};

use std::sync::Arc;

use crate::storage::{AppendBatch, EntryKey, Storage, StorageError, TreeHead};

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
    /// new version of every partial tile that changed.
    pub tiles: Vec<(u8, u64, Vec<u8>)>,
}

impl Integration {
    /// The storage batch that records this integration of `statements`
    /// (whose leaves it integrated, the first at index `first_index`), and
    /// the edge after it.
    pub fn into_batch(
        self,
        first_index: u64,
        statements: Vec<(EntryKey, Arc<Vec<u8>>)>,
    ) -> (AppendBatch, Edge) {
        let batch = AppendBatch {
            first_index,
            statements,
            tiles: self.tiles,
            tree: Some(TreeHead {
                size: self.edge.size,
                root: self.root,
            }),
        };
        (batch, self.edge)
    }
}

impl Edge {
    /// Loads the edge of a tree of `size` leaves from storage.
    pub fn load(storage: &dyn Storage, size: u64) -> Result<Edge, StorageError> {
        let mut levels = Vec::new();
        let mut level = 0u8;
        while u32::from(level) * 8 < 64 && size >> (u32::from(level) * 8) > 0 {
            let hashes = size >> (u32::from(level) * 8);
            let width = (hashes % TILE_WIDTH) as usize;
            let index = hashes / TILE_WIDTH;
            let bytes = if width == 0 {
                Vec::new()
            } else {
                let t = storage.tile(level, index)?.ok_or_else(|| {
                    StorageError::Corrupted(format!("missing edge tile {level}/{index}"))
                })?;
                if t.len() < width * 32 {
                    return Err(StorageError::Corrupted(format!(
                        "edge tile {level}/{index} has {} bytes, {} expected",
                        t.len(),
                        width * 32
                    )));
                }
                t[..width * 32].to_vec()
            };
            levels.push(bytes);
            level += 1;
        }
        Ok(Edge { size, levels })
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
            // The edge always holds the tiles the root needs; reaching this
            // means the Edge was built by hand wrongly.
            Err(e) => unreachable!("edge cannot produce its root: {e}"),
        }
    }
}

/// Appends `leaves` to the tree ending in `edge`.
pub fn integrate(edge: &Edge, leaves: &[Hash]) -> Integration {
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
            if levels[level].len() < TILE_WIDTH as usize * 32 {
                break;
            }
            // The tile at this level is full: write it, hash it into the
            // level above, and start the next one empty.
            let hashes_below = (size + 1) >> (8 * level as u32);
            let index = hashes_below / TILE_WIDTH - 1;
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
            let index = (size >> (8 * level as u32)) / TILE_WIDTH;
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
    use ashlog::merkle::leaf_hash;
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
            let want: Vec<String> = tile::tiles_for_size(70_000)
                .iter()
                .map(|t| t.path())
                .collect();
            let got: Vec<String> = store
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
            let mut want_sorted = want.clone();
            want_sorted.sort();
            let mut got_sorted = got.clone();
            got_sorted.sort();
            assert_eq!(got_sorted, want_sorted, "batch {batch}");
        }
    }

    #[test]
    fn edge_reload_matches_in_memory_edge() {
        let dir = tempfile::tempdir().unwrap();
        let s = crate::storage::redb::RedbStorage::open(&dir.path().join("t.redb")).unwrap();
        let all = leaves(1000);
        let mut edge = Edge::default();
        for chunk in all.chunks(333) {
            let out = integrate(&edge, chunk);
            let batch = crate::storage::AppendBatch {
                first_index: edge.size,
                statements: chunk
                    .iter()
                    .map(|h| {
                        let key = EntryKey { iat: 0, digest: *h };
                        (key, std::sync::Arc::new(h.0.to_vec()))
                    })
                    .collect(),
                tiles: out.tiles,
                tree: Some(crate::storage::TreeHead {
                    size: out.edge.size,
                    root: out.root,
                }),
            };
            s.append(&batch).unwrap();
            edge = out.edge;
            let loaded = Edge::load(&s, edge.size).unwrap();
            assert_eq!(loaded, edge);
        }
        assert_eq!(Edge::load(&s, 1000).unwrap().root(), merkle::root(&all));
    }
}
