//! Test support (feature `testing`, never in a release build): one
//! in-memory Merkle tree that every crate's tests build proofs from, and
//! the RFC 6962 root by its recursive definition, an oracle independent of
//! [`crate::merkle::root`]'s iterative code.
//!
//! Proofs come from the library's own step planning
//! ([`merkle::inclusion_steps`], [`merkle::consistency_steps`]) filled with
//! node hashes computed here by recursion, so a wrong plan or a wrong
//! verifier shows up as a disagreement with the oracle.

use crate::merkle::{self, Hash, NodeId};

/// MTH(D[0:n]) by the RFC 6962 §2.1 recursion: the root of `leaves`.
pub fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => merkle::empty_root(),
        1 => leaves[0],
        n => {
            // The largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            merkle::node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

/// The standard eight entries of transparency-dev/merkle (c2sp digest
/// §13.1), hex.
pub const STANDARD_ENTRIES_HEX: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// A tree held in memory with the root of every perfect subtree, so nodes
/// cost O(1) and roots and proofs of any size O(log n).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestTree {
    /// `levels[l][i]`: the root of the perfect subtree of `2^l` leaves
    /// starting at leaf `i * 2^l`, by pairwise [`merkle::node_hash`].
    levels: Vec<Vec<Hash>>,
}

impl TestTree {
    /// A tree of these leaf hashes.
    pub fn new(leaves: Vec<Hash>) -> TestTree {
        let mut t = TestTree::default();
        for leaf in leaves {
            t.push(leaf);
        }
        t
    }

    /// A tree of the leaf hashes of `entries`.
    pub fn from_entries<E: AsRef<[u8]>>(entries: &[E]) -> TestTree {
        TestTree::new(
            entries
                .iter()
                .map(|e| merkle::leaf_hash(e.as_ref()))
                .collect(),
        )
    }

    /// A tree of `n` leaves `leaf_hash("<salt><i>")`: different salts give
    /// different trees of the same sizes (forks).
    pub fn salted(n: u64, salt: &str) -> TestTree {
        TestTree::new(
            (0..n)
                .map(|i| merkle::leaf_hash(format!("{salt}{i}").as_bytes()))
                .collect(),
        )
    }

    /// The standard eight-entry tree.
    pub fn standard() -> TestTree {
        let entries: Vec<Vec<u8>> = STANDARD_ENTRIES_HEX
            .iter()
            .map(|h| hex::decode(h).unwrap_or_default())
            .collect();
        TestTree::from_entries(&entries)
    }

    /// Appends a leaf hash, completing every perfect subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(carry);
            let n = self.levels[level].len();
            if n % 2 == 1 {
                break;
            }
            carry = merkle::node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hashes.
    pub fn leaves(&self) -> &[Hash] {
        self.levels.first().map_or(&[], |l| l.as_slice())
    }

    /// The root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Hash {
        let nodes: Vec<Hash> = merkle::root_nodes(size)
            .into_iter()
            .map(|n| self.node(n))
            .collect();
        merkle::fold_right(&nodes).unwrap_or_else(merkle::empty_root)
    }

    /// The hash of a full subtree.
    pub fn node(&self, id: NodeId) -> Hash {
        self.levels[usize::from(id.level)][id.index as usize]
    }
    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Vec<Hash> {
        let steps = merkle::inclusion_steps(index, size).unwrap_or_default();
        self.assemble(&steps)
    }

    /// The consistency proof from `old` to `new` leaves (empty when `old`
    /// is 0 or equal to `new`, as tlog-witness sends it).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Vec<Hash> {
        if old == 0 || old == new {
            return Vec::new();
        }
        let steps = merkle::consistency_steps(old, new).unwrap_or_default();
        self.assemble(&steps)
    }

    fn assemble(&self, steps: &[merkle::ProofStep]) -> Vec<Hash> {
        merkle::assemble_proof(steps, |ids| {
            Ok::<_, ()>(ids.iter().map(|id| self.node(*id)).collect())
        })
        .unwrap_or_default()
    }
}
