//! The commitment tree: an RFC 9162 tree over strictly increasing 32-byte
//! leaves, and the proofs a person keeps (DESIGN.md §10.4, §10.5).
//!
//! Entry `i` of the tree is the leaf value `v_i` itself, so its leaf hash is
//! `SHA-256(0x00 || v_i)` and the root is the tlog-tiles root of the leaves
//! file. Every proof is a [`RangeProof`] of consecutive leaves:
//!
//! - membership of `v`: the one leaf equal to `v`;
//! - non-membership: two adjacent leaves with `v` strictly between them, or
//!   leaf 0 alone when `v` is smaller than every leaf, or leaf `N-1` alone
//!   when it is larger;
//! - a bucket: every leaf whose leading `bits` bits are the bucket's number,
//!   plus one neighbour on each side, so the run decides every value of the
//!   bucket.
//!
//! A range proof shows where its leaves sit and that they increase; that the
//! *whole* set increases is what an audit of the leaves file shows once, for
//! everyone (`ashlog commitment audit`), since no single proof can.

use ashlog_tlog::merkle::{Hash, NodeId, ProofError, assemble_proof, leaf_hash};
use ashlog_tlog::range::{narrow_range, range_proof_len, range_steps, root_from_range};

/// A leaf value: a PRF output.
pub type Leaf = [u8; 32];

/// Most leaves one range proof or bucket file may carry (2 MiB of leaves).
pub const MAX_RANGE_LEAVES: usize = 65_536;

/// Largest bucket prefix: 2^20 bucket files.
pub const MAX_BUCKET_BITS: u8 = 20;

/// Leaves a bucket should hold on average: about 32 KB to fetch.
pub const TARGET_BUCKET_LEAVES: u64 = 1000;

/// Why a commitment proof or leaf set was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The Merkle part failed.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Leaves out of order or repeated.
    #[error("leaves {0} and {1} are not strictly increasing")]
    NotIncreasing(u64, u64),
    /// An empty set or run.
    #[error("no leaves")]
    Empty,
    /// A run longer than [`MAX_RANGE_LEAVES`].
    #[error("{0} leaves in one proof, at most {MAX_RANGE_LEAVES} allowed")]
    TooMany(usize),
    /// The encoding is malformed.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// Which encoding.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The proof does not reach far enough to decide this value.
    #[error("the proof's leaves do not bracket the value, so it decides nothing about it")]
    DoesNotBracket,
    /// A bucket file for another bucket, or leaves outside it.
    #[error("bucket file is for bucket {got} of {bits} bits, {want} expected")]
    WrongBucket {
        /// Bucket the file names.
        got: u32,
        /// Bucket asked for.
        want: u32,
        /// Prefix length.
        bits: u8,
    },
    /// A bucket whose leaves do not cover all of it.
    #[error("bucket file does not include the leaves on both sides of its bucket")]
    Incomplete,
    /// A proof for a tree of another size than the commitment's.
    #[error("proof is for a tree of {got} leaves, the commitment has {want}")]
    WrongSize {
        /// Size the proof claims.
        got: u64,
        /// The committed leaf count.
        want: u64,
    },
    /// A prefix length outside 0..=20.
    #[error("bucket prefix of {0} bits, at most {MAX_BUCKET_BITS} allowed")]
    BucketBits(u8),
}

/// Checks that `leaves` strictly increase.
pub fn check_increasing(leaves: &[Leaf]) -> Result<(), TreeError> {
    for (i, w) in leaves.windows(2).enumerate() {
        if w[0] >= w[1] {
            return Err(TreeError::NotIncreasing(i as u64, i as u64 + 1));
        }
    }
    Ok(())
}

/// The root of the commitment tree over `leaves` (not checked for order).
pub fn root(leaves: &[Leaf]) -> Hash {
    let hashes: Vec<Hash> = leaves.iter().map(|v| leaf_hash(v)).collect();
    ashlog_tlog::merkle::root(&hashes)
}

/// What a verified proof says about one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The value is leaf `index`.
    Member {
        /// Its position in the tree.
        index: u64,
    },
    /// The value is in no leaf: it lies strictly between leaf `below` and
    /// leaf `above` (`None` past either end of the tree).
    NotMember {
        /// The leaf just below, if any.
        below: Option<u64>,
        /// The leaf just above, if any.
        above: Option<u64>,
    },
}

/// Consecutive leaves `[start, start + leaves.len())` of a commitment tree of
/// `size` leaves, with the hashes that tie them to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeProof {
    /// Leaves in the tree.
    pub size: u64,
    /// Index of the first leaf carried.
    pub start: u64,
    /// The leaves, increasing.
    pub leaves: Vec<Leaf>,
    /// Hashes of the subtrees outside the run, left to right.
    pub hashes: Vec<Hash>,
}

impl RangeProof {
    /// The proof of leaves `[start, end)` of `all`, computing every subtree
    /// from the leaves: O(size) work, for small sets and tests. The builder
    /// assembles proofs from its tiles with [`RangeProof::assemble`].
    pub fn from_leaves(all: &[Leaf], start: u64, end: u64) -> Result<RangeProof, TreeError> {
        let size = all.len() as u64;
        RangeProof::assemble(all, size, start, end, |ids| {
            Ok::<_, TreeError>(
                ids.iter()
                    .map(|id| {
                        let a = (id.index << id.level) as usize;
                        let b = (a + (1usize << id.level)).min(all.len());
                        root(&all[a..b])
                    })
                    .collect(),
            )
        })
    }

    /// The proof of leaves `[start, end)` (`run` holds at least those, from
    /// index 0 or from `start`: see below) with node hashes from `nodes`, a
    /// tile reader for example.
    ///
    /// `run` is either the whole leaf set or exactly `[start, end)`.
    pub fn assemble<E>(
        run: &[Leaf],
        size: u64,
        start: u64,
        end: u64,
        nodes: impl FnOnce(&[NodeId]) -> Result<Vec<Hash>, E>,
    ) -> Result<RangeProof, TreeError>
    where
        TreeError: From<E>,
    {
        let steps = range_steps(start, end, size)?;
        let hashes = assemble_proof(&steps, nodes)?;
        let leaves = if run.len() as u64 == size {
            run[start as usize..end as usize].to_vec()
        } else if run.len() as u64 == end - start {
            run.to_vec()
        } else {
            return Err(TreeError::Malformed {
                what: "range",
                why: "run is neither the whole set nor the range".into(),
            });
        };
        if leaves.len() > MAX_RANGE_LEAVES {
            return Err(TreeError::TooMany(leaves.len()));
        }
        Ok(RangeProof {
            size,
            start,
            leaves,
            hashes,
        })
    }

    /// One past the last leaf carried.
    pub fn end(&self) -> u64 {
        self.start + self.leaves.len() as u64
    }

    /// Checks the run against the committed `root` and `size` (the
    /// statement's `leaf_count`; a root alone does not fix the size): the
    /// hashes lead there, and the leaves strictly increase.
    pub fn verify(&self, root: &Hash, size: u64) -> Result<(), TreeError> {
        if self.size != size {
            return Err(TreeError::WrongSize {
                got: self.size,
                want: size,
            });
        }
        if self.leaves.is_empty() {
            return Err(TreeError::Empty);
        }
        if self.leaves.len() > MAX_RANGE_LEAVES {
            return Err(TreeError::TooMany(self.leaves.len()));
        }
        check_increasing(&self.leaves).map_err(|e| match e {
            TreeError::NotIncreasing(a, b) => {
                TreeError::NotIncreasing(self.start + a, self.start + b)
            }
            other => other,
        })?;
        let hashes: Vec<Hash> = self.leaves.iter().map(|v| leaf_hash(v)).collect();
        let got = root_from_range(self.start, self.size, &hashes, &self.hashes)?;
        if &got != root {
            return Err(ProofError::RootMismatch.into());
        }
        Ok(())
    }

    /// What the run says about `value`. Call [`RangeProof::verify`] first:
    /// this only reads the leaves.
    pub fn answer(&self, value: &Leaf) -> Result<Answer, TreeError> {
        let (Some(first), Some(last)) = (self.leaves.first(), self.leaves.last()) else {
            return Err(TreeError::Empty);
        };
        match self.leaves.binary_search(value) {
            Ok(j) => Ok(Answer::Member {
                index: self.start + j as u64,
            }),
            Err(0) if value < first => {
                if self.start == 0 {
                    Ok(Answer::NotMember {
                        below: None,
                        above: Some(0),
                    })
                } else {
                    Err(TreeError::DoesNotBracket)
                }
            }
            Err(j) if j == self.leaves.len() && value > last => {
                if self.end() == self.size {
                    Ok(Answer::NotMember {
                        below: Some(self.size - 1),
                        above: None,
                    })
                } else {
                    Err(TreeError::DoesNotBracket)
                }
            }
            Err(j) => Ok(Answer::NotMember {
                below: Some(self.start + j as u64 - 1),
                above: Some(self.start + j as u64),
            }),
        }
    }

    /// The smallest proof that gives the same answer about `value`: one leaf
    /// for a member, two (or one at either end) for a non-member. This is
    /// what a person saves. Verify `self` first.
    pub fn narrow_to(&self, value: &Leaf) -> Result<RangeProof, TreeError> {
        let (a, b) = match self.answer(value)? {
            Answer::Member { index } => (index, index + 1),
            Answer::NotMember { below, above } => (
                below.or(above).unwrap_or(0),
                above.or(below).unwrap_or(0) + 1,
            ),
        };
        let leaf_hashes: Vec<Hash> = self.leaves.iter().map(|v| leaf_hash(v)).collect();
        let hashes = narrow_range(self.start, self.size, &leaf_hashes, &self.hashes, a, b)?;
        Ok(RangeProof {
            size: self.size,
            start: a,
            leaves: self.leaves[(a - self.start) as usize..(b - self.start) as usize].to_vec(),
            hashes,
        })
    }

    /// The encoding of DESIGN.md §10.5: size, start, count, leaves, hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + 32 * (self.leaves.len() + self.hashes.len()));
        out.extend_from_slice(&self.size.to_be_bytes());
        out.extend_from_slice(&self.start.to_be_bytes());
        out.extend_from_slice(&(self.leaves.len() as u32).to_be_bytes());
        for v in &self.leaves {
            out.extend_from_slice(v);
        }
        for h in &self.hashes {
            out.extend_from_slice(&h.0);
        }
        out
    }

    /// Parses [`RangeProof::to_bytes`]; the length must be exactly what the
    /// header calls for.
    pub fn parse(bytes: &[u8]) -> Result<RangeProof, TreeError> {
        let bad = |why: &str| TreeError::Malformed {
            what: "range proof",
            why: why.to_string(),
        };
        if bytes.len() < 20 {
            return Err(bad("shorter than its 20-byte header"));
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let size = u64_at(0);
        let start = u64_at(8);
        let mut c = [0u8; 4];
        c.copy_from_slice(&bytes[16..20]);
        let count = u32::from_be_bytes(c) as usize;
        if count == 0 {
            return Err(TreeError::Empty);
        }
        if count > MAX_RANGE_LEAVES {
            return Err(TreeError::TooMany(count));
        }
        let end = start
            .checked_add(count as u64)
            .filter(|e| *e <= size)
            .ok_or_else(|| bad("leaves past the end of the tree"))?;
        let nhashes = range_proof_len(start, end, size);
        let want = 20 + 32 * (count + nhashes);
        if bytes.len() != want {
            return Err(bad(&format!("{} bytes, {want} expected", bytes.len())));
        }
        let body = &bytes[20..];
        let leaves = body[..32 * count]
            .chunks_exact(32)
            .map(|c| {
                let mut v = [0u8; 32];
                v.copy_from_slice(c);
                v
            })
            .collect();
        let hashes = body[32 * count..]
            .chunks_exact(32)
            .map(|c| {
                let mut v = [0u8; 32];
                v.copy_from_slice(c);
                Hash(v)
            })
            .collect();
        Ok(RangeProof {
            size,
            start,
            leaves,
            hashes,
        })
    }
}

/// The bucket of a leaf: its leading `bits` bits, big-endian.
pub fn bucket_of(leaf: &Leaf, bits: u8) -> u32 {
    if bits == 0 {
        return 0;
    }
    let top = u32::from_be_bytes([leaf[0], leaf[1], leaf[2], leaf[3]]);
    top >> (32 - u32::from(bits))
}

/// The prefix length for `n` leaves: about [`TARGET_BUCKET_LEAVES`] per
/// bucket, `floor(log2(n / 1000))`, 0 to [`MAX_BUCKET_BITS`].
pub fn bucket_bits_for(n: u64) -> u8 {
    let per = n / TARGET_BUCKET_LEAVES;
    if per < 2 {
        return 0;
    }
    ((63 - per.leading_zeros()) as u8).min(MAX_BUCKET_BITS)
}

/// The run a bucket file carries, `[start, end)` of `all`: the bucket's
/// leaves and one neighbour on each side where there is one.
pub fn bucket_run(all: &[Leaf], bits: u8, bucket: u32) -> (u64, u64) {
    let lo = all.partition_point(|v| bucket_of(v, bits) < bucket);
    let hi = all.partition_point(|v| bucket_of(v, bits) <= bucket);
    let start = lo.saturating_sub(1);
    let end = (hi + 1).min(all.len());
    (start as u64, end as u64)
}

/// The magic that opens a bucket file.
pub const BUCKET_MAGIC: &[u8; 16] = b"ashlog-bucket-v1";

/// One bucket file: which bucket, and the range proof of its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketFile {
    /// Prefix length.
    pub bits: u8,
    /// The bucket.
    pub bucket: u32,
    /// Its leaves and neighbours.
    pub proof: RangeProof,
}

impl BucketFile {
    /// `magic || bits || bucket (u32) || range proof` (DESIGN.md §10.5).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = BUCKET_MAGIC.to_vec();
        out.push(self.bits);
        out.extend_from_slice(&self.bucket.to_be_bytes());
        out.extend_from_slice(&self.proof.to_bytes());
        out
    }

    /// Parses a bucket file, strictly.
    pub fn parse(bytes: &[u8]) -> Result<BucketFile, TreeError> {
        let bad = |why: &str| TreeError::Malformed {
            what: "bucket file",
            why: why.to_string(),
        };
        let rest = bytes
            .strip_prefix(BUCKET_MAGIC.as_slice())
            .ok_or_else(|| bad("does not start with ashlog-bucket-v1"))?;
        if rest.len() < 5 {
            return Err(bad("truncated header"));
        }
        let bits = rest[0];
        if bits > MAX_BUCKET_BITS {
            return Err(TreeError::BucketBits(bits));
        }
        let bucket = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
        if u64::from(bucket) >= 1u64 << bits {
            return Err(bad("bucket number does not fit its prefix length"));
        }
        let proof = RangeProof::parse(&rest[5..])?;
        Ok(BucketFile {
            bits,
            bucket,
            proof,
        })
    }

    /// Checks the file against the committed `root` and `size`, and that it
    /// decides every value of bucket `want`: verified run, the right bucket,
    /// and leaves reaching past the bucket on both sides (or to the ends of
    /// the tree).
    pub fn verify(&self, root: &Hash, size: u64, bits: u8, want: u32) -> Result<(), TreeError> {
        if self.bits != bits || self.bucket != want {
            return Err(TreeError::WrongBucket {
                got: self.bucket,
                want,
                bits,
            });
        }
        self.proof.verify(root, size)?;
        let (Some(first), Some(last)) = (self.proof.leaves.first(), self.proof.leaves.last())
        else {
            return Err(TreeError::Empty);
        };
        let left_closed = self.proof.start == 0 || bucket_of(first, bits) < want;
        let right_closed = self.proof.end() == size || bucket_of(last, bits) > want;
        if !(left_closed && right_closed) {
            return Err(TreeError::Incomplete);
        }
        Ok(())
    }

    /// Its path under the published directory: `bucket/<bits>/<hex>`, the
    /// bucket in lower-case hex of `ceil(bits / 4)` digits (at least one).
    pub fn path(bits: u8, bucket: u32) -> String {
        let digits = usize::from(bits.div_ceil(4)).max(1);
        format!("bucket/{bits}/{bucket:0digits$x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn set(n: u64) -> Vec<Leaf> {
        let mut v: Vec<Leaf> = (0..n)
            .map(|i| Sha256::digest(i.to_be_bytes()).into())
            .collect();
        v.sort();
        v
    }

    fn between(a: &Leaf, b: &Leaf) -> Option<Leaf> {
        // A value strictly between a and b, if one exists: a + 1.
        let mut x = *a;
        for i in (0..32).rev() {
            if x[i] == 0xff {
                x[i] = 0;
            } else {
                x[i] += 1;
                break;
            }
        }
        (x < *b).then_some(x)
    }

    #[test]
    fn trees_of_one_two_and_three_leaves_answer_everything() {
        for n in 1..=3u64 {
            let all = set(n);
            let r = root(&all);
            // Members.
            for (i, v) in all.iter().enumerate() {
                let p = RangeProof::from_leaves(&all, i as u64, i as u64 + 1).unwrap();
                p.verify(&r, n).unwrap();
                assert_eq!(p.answer(v).unwrap(), Answer::Member { index: i as u64 });
            }
            // Below the first, above the last, and between each pair.
            let below = [0u8; 32];
            let above = [0xffu8; 32];
            let p0 = RangeProof::from_leaves(&all, 0, 1).unwrap();
            p0.verify(&r, n).unwrap();
            assert_eq!(
                p0.answer(&below).unwrap(),
                Answer::NotMember {
                    below: None,
                    above: Some(0)
                }
            );
            let pl = RangeProof::from_leaves(&all, n - 1, n).unwrap();
            assert_eq!(
                pl.answer(&above).unwrap(),
                Answer::NotMember {
                    below: Some(n - 1),
                    above: None
                }
            );
            for i in 0..n.saturating_sub(1) {
                let p = RangeProof::from_leaves(&all, i, i + 2).unwrap();
                p.verify(&r, n).unwrap();
                let x = between(&all[i as usize], &all[i as usize + 1]).unwrap();
                assert_eq!(
                    p.answer(&x).unwrap(),
                    Answer::NotMember {
                        below: Some(i),
                        above: Some(i + 1)
                    }
                );
            }
        }
    }

    #[test]
    fn a_run_in_the_middle_cannot_speak_for_values_outside_it() {
        let all = set(50);
        let p = RangeProof::from_leaves(&all, 10, 12).unwrap();
        assert_eq!(p.answer(&all[5]), Err(TreeError::DoesNotBracket));
        assert_eq!(p.answer(&all[20]), Err(TreeError::DoesNotBracket));
        assert_eq!(p.answer(&[0u8; 32]), Err(TreeError::DoesNotBracket));
    }

    #[test]
    fn every_single_bit_flip_of_an_encoded_proof_is_refused() {
        let all = set(300);
        let r = root(&all);
        for (s, e) in [(0, 1), (17, 19), (299, 300), (120, 123)] {
            let p = RangeProof::from_leaves(&all, s, e).unwrap();
            p.verify(&r, 300).unwrap();
            let bytes = p.to_bytes();
            assert_eq!(RangeProof::parse(&bytes).unwrap(), p);
            for bit in 0..bytes.len() * 8 {
                let mut bad = bytes.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                let refused = match RangeProof::parse(&bad) {
                    Err(_) => true,
                    Ok(q) => q.verify(&r, 300).is_err(),
                };
                assert!(refused, "[{s},{e}) bit {bit} accepted");
            }
            // Truncated or extended by a byte.
            assert!(RangeProof::parse(&bytes[..bytes.len() - 1]).is_err());
            let mut long = bytes.clone();
            long.push(0);
            assert!(RangeProof::parse(&long).is_err());
        }
    }

    #[test]
    fn unsorted_or_repeated_leaves_are_refused_even_with_a_right_root() {
        let mut all = set(8);
        all.swap(2, 3);
        let r = root(&all);
        let p = RangeProof::from_leaves(&all, 1, 5).unwrap();
        assert_eq!(p.verify(&r, 8), Err(TreeError::NotIncreasing(2, 3)));
        let mut dup = set(8);
        dup[4] = dup[3];
        let p = RangeProof::from_leaves(&dup, 3, 5).unwrap();
        assert_eq!(
            p.verify(&root(&dup), 8),
            Err(TreeError::NotIncreasing(3, 4))
        );
        assert_eq!(check_increasing(&dup), Err(TreeError::NotIncreasing(3, 4)));
    }

    #[test]
    fn buckets_decide_every_value_of_their_prefix() {
        let all = set(5000);
        let r = root(&all);
        let n = all.len() as u64;
        let bits = 6;
        for bucket in 0..(1u32 << bits) {
            let (s, e) = bucket_run(&all, bits, bucket);
            let file = BucketFile {
                bits,
                bucket,
                proof: RangeProof::from_leaves(&all, s, e).unwrap(),
            };
            let parsed = BucketFile::parse(&file.to_bytes()).unwrap();
            parsed.verify(&r, n, bits, bucket).unwrap();
            // Members of the bucket, and a value just above each of them.
            for (i, v) in all.iter().enumerate() {
                if bucket_of(v, bits) != bucket {
                    continue;
                }
                assert_eq!(
                    parsed.proof.answer(v).unwrap(),
                    Answer::Member { index: i as u64 }
                );
                if let Some(x) = all.get(i + 1).and_then(|next| between(v, next)) {
                    assert!(matches!(
                        parsed.proof.answer(&x).unwrap(),
                        Answer::NotMember { .. }
                    ));
                }
                // The saved proof is tiny and gives the same answer.
                let saved = parsed.proof.narrow_to(v).unwrap();
                saved.verify(&r, n).unwrap();
                assert_eq!(saved.leaves.len(), 1);
                assert_eq!(
                    saved,
                    RangeProof::from_leaves(&all, i as u64, i as u64 + 1).unwrap()
                );
            }
            // The wrong bucket, or a run cut short, is refused.
            assert!(matches!(
                parsed.verify(&r, n, bits, bucket ^ 1),
                Err(TreeError::WrongBucket { .. })
            ));
            if e - s > 2 && s > 0 {
                let short = BucketFile {
                    bits,
                    bucket,
                    proof: RangeProof::from_leaves(&all, s + 1, e).unwrap(),
                };
                assert_eq!(
                    short.verify(&r, n, bits, bucket),
                    Err(TreeError::Incomplete)
                );
            }
        }
    }

    #[test]
    fn narrowed_non_member_proofs_are_the_adjacent_pair() {
        let all = set(777);
        let r = root(&all);
        let big = RangeProof::from_leaves(&all, 100, 200).unwrap();
        big.verify(&r, 777).unwrap();
        let x = between(&all[150], &all[151]).unwrap();
        let saved = big.narrow_to(&x).unwrap();
        saved.verify(&r, 777).unwrap();
        assert_eq!(saved.start, 150);
        assert_eq!(saved.leaves.len(), 2);
        assert!(matches!(
            saved.answer(&x).unwrap(),
            Answer::NotMember { .. }
        ));
        // Ends of the tree narrow to one leaf.
        let first = RangeProof::from_leaves(&all, 0, 10).unwrap();
        let s = first.narrow_to(&[0u8; 32]).unwrap();
        assert_eq!((s.start, s.leaves.len()), (0, 1));
        s.verify(&r, 777).unwrap();
        let last = RangeProof::from_leaves(&all, 770, 777).unwrap();
        let s = last.narrow_to(&[0xff; 32]).unwrap();
        assert_eq!((s.start, s.leaves.len()), (776, 1));
        s.verify(&r, 777).unwrap();
    }

    #[test]
    fn bucket_bits_follow_the_set_size() {
        assert_eq!(bucket_bits_for(0), 0);
        assert_eq!(bucket_bits_for(1999), 0);
        assert_eq!(bucket_bits_for(2000), 1);
        assert_eq!(bucket_bits_for(7_500_000), 12);
        assert_eq!(bucket_bits_for(10_000_000), 13);
        assert_eq!(bucket_bits_for(1_000_000_000), 19);
        assert_eq!(bucket_bits_for(u64::MAX), MAX_BUCKET_BITS);
        assert_eq!(bucket_of(&[0xff; 32], 20), (1 << 20) - 1);
        assert_eq!(bucket_of(&[0x80; 32], 1), 1);
        assert_eq!(bucket_of(&[0xff; 32], 0), 0);
        assert_eq!(BucketFile::path(13, 0x1a2), "bucket/13/01a2");
        assert_eq!(BucketFile::path(0, 0), "bucket/0/0");
        assert_eq!(BucketFile::path(20, 0xfffff), "bucket/20/fffff");
    }

    #[test]
    fn malformed_bucket_files_are_refused() {
        let all = set(100);
        let file = BucketFile {
            bits: 2,
            bucket: 1,
            proof: RangeProof::from_leaves(&all, 0, 30).unwrap(),
        };
        let bytes = file.to_bytes();
        assert!(BucketFile::parse(&bytes[1..]).is_err());
        let mut b = bytes.clone();
        b[16] = 21;
        assert_eq!(BucketFile::parse(&b), Err(TreeError::BucketBits(21)));
        let mut b = bytes.clone();
        b[20] = 4;
        assert!(BucketFile::parse(&b).is_err(), "bucket 4 of 2 bits");
        assert!(BucketFile::parse(&bytes[..20]).is_err());
        // A run of zero leaves, or more than the limit.
        let mut empty = bytes[..21].to_vec();
        empty.extend_from_slice(&100u64.to_be_bytes());
        empty.extend_from_slice(&0u64.to_be_bytes());
        empty.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(BucketFile::parse(&empty), Err(TreeError::Empty));
        let mut huge = bytes[..21].to_vec();
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        huge.extend_from_slice(&0u64.to_be_bytes());
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            BucketFile::parse(&huge),
            Err(TreeError::TooMany(_))
        ));
    }
}
