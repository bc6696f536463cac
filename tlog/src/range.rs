//! Range proofs: that leaves `[start, end)` are exactly those positions of
//! the tree of `size` leaves with a given root.
//!
//! RFC 9162 defines proofs for one leaf and for a prefix; a run of
//! consecutive leaves needs the hashes of the subtrees that lie wholly
//! outside the run. Following the RFC's own recursion for the tree hash
//! (`MTH(D[a:b]) = H(MTH(D[a:a+k]), MTH(D[a+k:b]))`, `k` the largest power of
//! two below `b - a`), every subtree that is disjoint from the run
//! contributes its hash, taken from the proof, in left-to-right order; every
//! subtree that overlaps the run is split until it reaches a leaf of the run.
//! The shape fixes the proof's length ([`range_proof_len`]), so a proof with
//! a hash too many or too few is refused, as inclusion proofs are.
//!
//! As with inclusion proofs, the root does not fix the tree's size (the
//! hash of a right-hand subtree stands in for any width with the same
//! shape), so `size` must come from a trusted source.
//!
//! One leaf is the inclusion proof's case (the same hashes, in a different
//! order); the commitment proofs of DESIGN.md §10 use runs of one leaf
//! (membership), two adjacent leaves (non-membership) and a bucket of leaves
//! sharing a prefix.

use std::collections::HashMap;

use crate::merkle::{Hash, ProofError, ProofStep, node_hash, range_nodes};

/// Most hashes in any range proof: two per level below the root.
pub const MAX_RANGE_PROOF_HASHES: usize = 2 * 64;

fn split(n: u64) -> u64 {
    // The largest power of two strictly below n (n > 1).
    1u64 << (63 - (n - 1).leading_zeros())
}

fn check_shape(start: u64, end: u64, size: u64) -> Result<(), ProofError> {
    if start >= end || end > size {
        return Err(ProofError::IndexOutOfRange {
            index: end.max(start),
            size,
        });
    }
    Ok(())
}

/// Visits, left to right, the maximal subtrees `[a, b)` of the tree of
/// `size` leaves that are disjoint from `[start, end)` and whose parent is
/// not: the subtrees whose hashes a range proof carries.
fn for_each_outside(start: u64, end: u64, size: u64, f: &mut impl FnMut(u64, u64)) {
    fn walk(a: u64, b: u64, start: u64, end: u64, f: &mut impl FnMut(u64, u64)) {
        if b <= start || end <= a {
            f(a, b);
            return;
        }
        if b - a == 1 {
            return;
        }
        let k = split(b - a);
        walk(a, a + k, start, end, f);
        walk(a + k, b, start, end, f);
    }
    walk(0, size, start, end, f);
}

/// How many hashes the range proof of `[start, end)` in a tree of `size`
/// has; zero for an empty or out-of-range run.
pub fn range_proof_len(start: u64, end: u64, size: u64) -> usize {
    if check_shape(start, end, size).is_err() {
        return 0;
    }
    let mut n = 0;
    for_each_outside(start, end, size, &mut |_, _| n += 1);
    n
}

/// The nodes a range proof of `[start, end)` needs, in proof order, for a
/// node source such as tiles ([`crate::merkle::assemble_proof`]).
pub fn range_steps(start: u64, end: u64, size: u64) -> Result<Vec<ProofStep>, ProofError> {
    check_shape(start, end, size)?;
    let mut out = Vec::new();
    for_each_outside(start, end, size, &mut |a, b| out.push(range_nodes(a, b)));
    Ok(out)
}

/// The root that leaf hashes `leaves` at `[start, start + leaves.len())`
/// and `proof` lead to in a tree of `size` leaves. Ok does not mean the
/// leaves are in any tree you trust: compare with a root you trust, or use
/// [`verify_range`].
pub fn root_from_range(
    start: u64,
    size: u64,
    leaves: &[Hash],
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    let end = start
        .checked_add(leaves.len() as u64)
        .ok_or(ProofError::IndexOutOfRange { index: start, size })?;
    check_shape(start, end, size)?;
    let want = range_proof_len(start, end, size);
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let mut next = proof.iter();
    fn walk<'p>(
        a: u64,
        b: u64,
        start: u64,
        end: u64,
        leaves: &[Hash],
        next: &mut impl Iterator<Item = &'p Hash>,
    ) -> Hash {
        if b <= start || end <= a {
            // The length check above makes the proof exactly as long as the
            // walk needs.
            return next.next().copied().unwrap_or_default();
        }
        if b - a == 1 {
            // Always inside the run here; a miss would only fail the root.
            return leaves
                .get(a.wrapping_sub(start) as usize)
                .copied()
                .unwrap_or_default();
        }
        let k = split(b - a);
        let l = walk(a, a + k, start, end, leaves, next);
        let r = walk(a + k, b, start, end, leaves, next);
        node_hash(&l, &r)
    }
    Ok(walk(0, size, start, end, leaves, &mut next))
}

/// Checks that `leaves` are the leaf hashes at `[start, start + len)` of the
/// tree of `size` leaves with root `root`.
pub fn verify_range(
    start: u64,
    size: u64,
    leaves: &[Hash],
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if &root_from_range(start, size, leaves, proof)? == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// The range proof of the sub-run `[sub_start, sub_end)` of a run whose own
/// range proof is known: everything a narrower proof needs is either a leaf
/// of the wider run or a hash its proof carries (every subtree the narrow
/// walk asks for has a parent that meets the wider run, so the wider walk
/// visited it too). The result is only as good as the wider proof: verify
/// that first.
pub fn narrow_range(
    start: u64,
    size: u64,
    leaves: &[Hash],
    proof: &[Hash],
    sub_start: u64,
    sub_end: u64,
) -> Result<Vec<Hash>, ProofError> {
    let end = start + leaves.len() as u64;
    check_shape(start, end, size)?;
    if sub_start < start || sub_end > end {
        return Err(ProofError::IndexOutOfRange {
            index: sub_start.min(sub_end),
            size,
        });
    }
    check_shape(sub_start, sub_end, size)?;
    let want = range_proof_len(start, end, size);
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let mut known: HashMap<(u64, u64), Hash> = HashMap::with_capacity(proof.len());
    let mut i = 0;
    for_each_outside(start, end, size, &mut |a, b| {
        known.insert((a, b), proof.get(i).copied().unwrap_or_default());
        i += 1;
    });
    fn hash_of(
        a: u64,
        b: u64,
        start: u64,
        leaves: &[Hash],
        known: &HashMap<(u64, u64), Hash>,
    ) -> Hash {
        if let Some(h) = known.get(&(a, b)) {
            return *h;
        }
        if b - a == 1 {
            // Always inside the run here; a miss would only fail the root.
            return leaves
                .get(a.wrapping_sub(start) as usize)
                .copied()
                .unwrap_or_default();
        }
        let k = split(b - a);
        node_hash(
            &hash_of(a, a + k, start, leaves, known),
            &hash_of(a + k, b, start, leaves, known),
        )
    }
    let mut out = Vec::new();
    for_each_outside(sub_start, sub_end, size, &mut |a, b| {
        out.push(hash_of(a, b, start, leaves, &known))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{inclusion_proof_len, leaf_hash, root};
    use crate::testing::{TestTree, reference_root};

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    /// The proof built from a full tree through the node steps, as a tile
    /// reader would.
    fn prove(tree: &TestTree, start: u64, end: u64) -> Vec<Hash> {
        let steps = range_steps(start, end, tree.size()).unwrap();
        crate::merkle::assemble_proof::<()>(&steps, |ids| {
            Ok(ids.iter().map(|id| tree.node(*id)).collect())
        })
        .unwrap()
    }

    #[test]
    fn every_run_of_trees_up_to_33_leaves_verifies() {
        for n in 1..=33u64 {
            let l = leaves(n);
            let tree = TestTree::new(l.clone());
            let want = reference_root(&l);
            assert_eq!(root(&l), want);
            for s in 0..n {
                for e in s + 1..=n {
                    let proof = prove(&tree, s, e);
                    assert_eq!(proof.len(), range_proof_len(s, e, n));
                    assert!(proof.len() <= MAX_RANGE_PROOF_HASHES);
                    verify_range(s, n, &l[s as usize..e as usize], &proof, &want)
                        .unwrap_or_else(|err| panic!("n {n} [{s},{e}): {err}"));
                }
            }
        }
    }

    #[test]
    fn one_leaf_needs_as_many_hashes_as_its_inclusion_proof() {
        for n in 1..=40u64 {
            for i in 0..n {
                assert_eq!(range_proof_len(i, i + 1, n), inclusion_proof_len(i, n));
            }
        }
    }

    #[test]
    fn whole_tree_needs_no_hashes() {
        let l = leaves(7);
        verify_range(0, 7, &l, &[], &root(&l)).unwrap();
    }

    #[test]
    fn wrong_leaves_positions_sizes_and_lengths_are_refused() {
        let n = 21;
        let l = leaves(n);
        let tree = TestTree::new(l.clone());
        let r = root(&l);
        let proof = prove(&tree, 5, 9);
        let run = &l[5..9];
        verify_range(5, n, run, &proof, &r).unwrap();
        // Shifted by one position.
        assert!(verify_range(6, n, run, &proof, &r).is_err());
        // A root does not fix the tree's size: the hash of [16, 21) stands
        // in for [16, 22) as well, so the same proof "verifies" at size 22.
        // The size must come from something trusted (a checkpoint, the
        // statement's leaf_count), as for inclusion proofs.
        assert!(verify_range(5, n + 1, run, &proof, &r).is_ok());
        // A leaf swapped.
        let mut swapped = run.to_vec();
        swapped.swap(0, 1);
        assert_eq!(
            verify_range(5, n, &swapped, &proof, &r),
            Err(ProofError::RootMismatch)
        );
        // A hash too many or too few.
        let mut long = proof.clone();
        long.push(Hash::default());
        assert!(matches!(
            verify_range(5, n, run, &long, &r),
            Err(ProofError::WrongProofLength { .. })
        ));
        assert!(matches!(
            verify_range(5, n, run, &proof[1..], &r),
            Err(ProofError::WrongProofLength { .. })
        ));
        // Empty runs and runs past the end.
        assert!(verify_range(5, n, &[], &[], &r).is_err());
        assert!(verify_range(n - 1, n, &l[..2], &[], &r).is_err());
        assert!(verify_range(u64::MAX, n, &l[..1], &[], &r).is_err());
        assert_eq!(range_proof_len(3, 3, n), 0);
        assert!(range_steps(4, 3, n).is_err());
    }

    #[test]
    fn every_single_bit_flip_of_a_proof_is_refused() {
        let n = 13;
        let l = leaves(n);
        let tree = TestTree::new(l.clone());
        let r = root(&l);
        let proof = prove(&tree, 3, 5);
        for h in 0..proof.len() {
            for bit in 0..256 {
                let mut bad = proof.clone();
                bad[h].0[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    verify_range(3, n, &l[3..5], &bad, &r),
                    Err(ProofError::RootMismatch)
                );
            }
        }
    }

    #[test]
    fn narrowing_a_run_gives_the_proof_built_from_the_tree() {
        for n in [1u64, 2, 3, 8, 13, 64, 100] {
            let l = leaves(n);
            let tree = TestTree::new(l.clone());
            for (s, e) in [(0, n), (0, n.min(5)), (n / 3, n - n / 4), (n - 1, n)] {
                if s >= e {
                    continue;
                }
                let proof = prove(&tree, s, e);
                for ss in s..e {
                    for se in ss + 1..=(ss + 2).min(e) {
                        let got =
                            narrow_range(s, n, &l[s as usize..e as usize], &proof, ss, se).unwrap();
                        assert_eq!(got, prove(&tree, ss, se), "n {n} [{s},{e}) -> [{ss},{se})");
                    }
                }
                assert!(narrow_range(s, n, &l[s as usize..e as usize], &proof, e, e + 1).is_err());
            }
        }
    }
}
