//! Integration against storage: the pure step is the library's
//! ([`ashlog::integrate`], shared with the auditor's replay, so the tiles
//! the log writes and the tiles an auditor rebuilds come from one
//! function); here the edge is loaded from storage and an integration
//! becomes the batch that commits it.

use std::sync::Arc;

pub use ashlog::integrate::{Edge, Integration, integrate};

use crate::storage::{AppendBatch, EntryKey, Storage, StorageError, TreeHead};

/// The library reports a short edge tile as a message; in storage terms
/// that is corruption.
impl From<String> for StorageError {
    fn from(why: String) -> Self {
        StorageError::Corrupted(why)
    }
}

/// Loads the edge of a tree of `size` leaves from storage.
pub fn load_edge(storage: &dyn Storage, size: u64) -> Result<Edge, StorageError> {
    Edge::from_tiles(size, |level, index, _width| {
        storage
            .tile(level, index)?
            .ok_or_else(|| StorageError::Corrupted(format!("missing edge tile {level}/{index}")))
    })
}

/// The storage batch that records `integration` of `statements` (whose
/// leaves it integrated, the first at index `first_index`), and the edge
/// after it.
pub fn into_batch(
    integration: Integration,
    first_index: u64,
    statements: Vec<(EntryKey, Arc<Vec<u8>>)>,
) -> (AppendBatch, Edge) {
    let batch = AppendBatch {
        first_index,
        statements,
        tiles: integration.tiles,
        tree: Some(TreeHead {
            size: integration.edge.size,
            root: integration.root,
        }),
    };
    (batch, integration.edge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ashlog::merkle::{self, Hash, leaf_hash};

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
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
            let loaded = load_edge(&s, edge.size).unwrap();
            assert_eq!(loaded, edge);
        }
        assert_eq!(load_edge(&s, 1000).unwrap().root(), merkle::root(&all));
    }
}
