//! Proofs from the log's own tiles (trusted: they are ours and durable).

use ashlog::merkle::{self, Hash};
use ashlog::tile;

use crate::storage::{Storage, StorageError};

fn read(
    storage: &dyn Storage,
    nodes: &[merkle::NodeId],
    size: u64,
) -> Result<Vec<Hash>, StorageError> {
    tile::read_nodes_from_trusted_tiles(nodes, size, |t| {
        storage
            .tile(t.level, t.index)?
            .ok_or_else(|| StorageError::Corrupted(format!("tile {} missing", t.path())))
    })
    .map_err(|e| match e {
        tile::TileError::Fetch(m) => StorageError::Io(m),
        other => StorageError::Corrupted(other.to_string()),
    })
}

/// The inclusion proof of `index` in the tree of `size` leaves.
pub fn inclusion(storage: &dyn Storage, index: u64, size: u64) -> Result<Vec<Hash>, StorageError> {
    let steps =
        merkle::inclusion_steps(index, size).map_err(|e| StorageError::Invariant(e.to_string()))?;
    merkle::assemble_proof(&steps, |nodes| read(storage, nodes, size))
}

/// The consistency proof from `old` to `new` leaves (empty if equal).
pub fn consistency(storage: &dyn Storage, old: u64, new: u64) -> Result<Vec<Hash>, StorageError> {
    if old == new {
        return Ok(Vec::new());
    }
    let steps =
        merkle::consistency_steps(old, new).map_err(|e| StorageError::Invariant(e.to_string()))?;
    merkle::assemble_proof(&steps, |nodes| read(storage, nodes, new))
}

/// The root of the tree of `size` leaves, recomputed from tiles.
pub fn root(storage: &dyn Storage, size: u64) -> Result<Hash, StorageError> {
    let hashes = read(storage, &merkle::root_nodes(size), size)?;
    Ok(merkle::fold_right(&hashes).unwrap_or_else(merkle::empty_root))
}
