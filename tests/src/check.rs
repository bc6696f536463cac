//! Checking a log from outside, as a citizen or auditor would (Sunlight's
//! CheckLog): verify the published checkpoint, recompute the tree from its
//! tiles and bundles, find every acknowledged entry at its index, and prove
//! every checkpoint ever observed consistent with the latest.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, anyhow, bail};
use ashlog::checkpoint::Checkpoint;
use ashlog::merkle::{self, Hash};
use ashlog::policy::Policy;
use ashlog::tile::{self, TileHashReader, TileId, TilePath};

use crate::client;

/// An acknowledged registration: the entry id the log answered and the
/// entry digest (SHA-256 of the registered statement) we sent.
#[derive(Clone, Debug)]
pub struct Ack {
    /// Leaf index from the `Location` header.
    pub index: u64,
    /// SHA-256 of the statement as sent (already in registered form).
    pub entry: Hash,
}

/// What a check found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Size of the verified checkpoint.
    pub size: u64,
    /// Acknowledged entries found at their index.
    pub acks_found: usize,
    /// Observed checkpoints proven consistent with the latest.
    pub consistent: usize,
}

fn fetch_tiles(url: &str, ids: &[TileId]) -> anyhow::Result<Vec<Vec<u8>>> {
    ids.iter()
        .map(|t| {
            let r = client::get(url, &format!("/{}", t.path()))?;
            if r.status != 200 {
                bail!("GET {} answered {}", t.path(), r.status);
            }
            Ok(r.body)
        })
        .collect()
}

/// Checks the log at `url` under `policy`. `observed` are checkpoints seen
/// earlier (by clients or witnesses); `acks` registrations it acknowledged.
pub fn check_log(
    url: &str,
    policy: &Policy,
    observed: &[Checkpoint],
    acks: &[Ack],
) -> anyhow::Result<CheckReport> {
    let note = client::get(url, "/checkpoint")?;
    let verdict = policy
        .require(&note.body)
        .context("the published checkpoint fails the policy")?;
    let cp = verdict.checkpoint;
    // Every leaf, from the statement bundles, and the tree root from them.
    let mut leaves: Vec<Hash> = Vec::with_capacity(cp.size as usize);
    for (index, width) in tile::bundles_for_size(cp.size) {
        let path = TilePath::Statements { index, width }.to_path();
        let r = client::get(url, &format!("/{path}"))?;
        if r.status != 200 {
            bail!("GET /{path} answered {}", r.status);
        }
        for s in tile::parse_statement_bundle(&r.body, width)? {
            let d = Hash(
                sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), s))
                    .into(),
            );
            leaves.push(merkle::leaf_hash(&d.0));
        }
    }
    if merkle::root(&leaves) != cp.root {
        bail!(
            "the statements do not hash to the checkpoint root at size {}",
            cp.size
        );
    }
    // The hash tiles agree with the leaves.
    for t in tile::tiles_for_size(cp.size)
        .iter()
        .filter(|t| t.level == 0)
    {
        let body = fetch_tiles(url, std::slice::from_ref(t))?.remove(0);
        let start = (t.index * 256) as usize;
        let want: Vec<u8> = leaves[start..start + usize::from(t.width)]
            .iter()
            .flat_map(|h| h.0)
            .collect();
        if body != want {
            bail!("tile {} disagrees with the statements", t.path());
        }
    }
    // Registration is idempotent: no statement is in the log twice, however
    // the log was killed between a commit and its answer.
    let mut first_at: HashMap<Hash, usize> = HashMap::with_capacity(leaves.len());
    for (i, l) in leaves.iter().enumerate() {
        if let Some(j) = first_at.insert(*l, i) {
            bail!("entries 1.{j} and 1.{i} hold the same statement: DUPLICATED");
        }
    }
    let reader = TileHashReader::new(cp.size, cp.root);
    // Acknowledged entries at their index.
    for a in acks {
        let leaf = merkle::leaf_hash(&a.entry.0);
        match leaves.get(a.index as usize) {
            Some(l) if *l == leaf => {}
            Some(_) => bail!(
                "acknowledged entry 1.{} holds another statement: LOST",
                a.index
            ),
            None => {
                // Acknowledged but beyond the published size: it must be in
                // the integrated tree; the caller waits for publication.
                bail!(
                    "acknowledged entry 1.{} is not in the published tree of size {}",
                    a.index,
                    cp.size
                )
            }
        }
    }
    // Every observed checkpoint is consistent with the latest.
    let mut consistent = 0;
    let mut by_size: BTreeMap<u64, Hash> = BTreeMap::new();
    for o in observed {
        if let Some(prev) = by_size.insert(o.size, o.root)
            && prev != o.root
        {
            bail!(
                "FORK: two checkpoints of size {} with different roots",
                o.size
            );
        }
        if o.size > cp.size {
            bail!(
                "ROLLBACK: observed size {} but the log now publishes {}",
                o.size,
                cp.size
            );
        }
        if o.size == 0 {
            continue;
        }
        if o.size == cp.size {
            if o.root != cp.root {
                bail!("FORK at size {}", o.size);
            }
        } else {
            let proof = reader
                .prove_consistency(o.size, |ids| {
                    fetch_tiles(url, ids).map_err(|e| e.to_string())
                })
                .map_err(|e| anyhow!("consistency proof {} -> {}: {e}", o.size, cp.size))?;
            merkle::verify_consistency(o.size, cp.size, &proof, &o.root, &cp.root).map_err(
                |e| {
                    anyhow!(
                        "FORK: checkpoint {} is not consistent with {}: {e}",
                        o.size,
                        cp.size
                    )
                },
            )?;
        }
        consistent += 1;
    }
    Ok(CheckReport {
        size: cp.size,
        acks_found: acks.len(),
        consistent,
    })
}
