//! Replaying a log from its tiles and statement bundles, for `audit` and
//! `monitor`: every leaf recomputed from the statements, every tile
//! compared with the one the log serves, every level above recomputed, the
//! root compared with a verified checkpoint's, and every statement
//! re-verified (signature, certificate chain at its signing time, schema)
//! under the policy in force at its position (the latest `policy` entry
//! before it, signed with the log's own key).
//!
//! Bundles are fetched with many requests in flight and consumed in order; each
//! batch of statements is verified in parallel across cores, with validated
//! certificate chains cached by fingerprint (a chain validated once holds
//! for every signing time inside its validity window, while the anchors stay
//! the same). A policy entry inside a batch makes the entries after it be
//! verified again, in order, under the new anchors.

use std::collections::BTreeMap;

use std::time::{Duration, Instant};

use super::progress::Progress;

use anyhow::Result;
use ashlog::chain::{ChainCache, TrustAnchors};
use ashlog::checkpoint::Checkpoint;
use ashlog::integrate::{Edge, integrate};
use ashlog::keys::PublicKey;
use ashlog::merkle::{self, Hash};
use ashlog::receipt;
use ashlog::schema::{Kind, LogPolicy, Statement};
use ashlog::statement::{SignedStatement, SignerId};
use ashlog::tile::{
    TILE_HEIGHT, TILE_WIDTH, TileId, TilePath, parse_entry_bundle, parse_statement_bundle,
    tile_width,
};
use ashlog::verify::{AcceptedStatement, ChainTimes, VerifyError, accept_statement};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::http::Log;

/// Bundles verified together (one parallel batch): 2,048 statements.
const BATCH_BUNDLES: usize = 8;

/// Where a replay stands: enough to continue from `size` without fetching
/// anything before it (the monitor's saved state).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Position {
    /// Entries replayed.
    pub(crate) size: u64,
    /// For tile levels 1.., the hashes of the partial tile at the right edge
    /// (with `level0`, the tree's edge: what integration continues from).
    pub(crate) upper: Vec<Vec<String>>,
    /// Leaf hashes of the partial bundle at the right edge.
    pub(crate) level0: Vec<String>,
    /// Index of the policy entry in force.
    pub(crate) policy_entry: Option<u64>,
    /// That policy statement (base64 of its registered bytes).
    pub(crate) policy_statement: Option<String>,
}

/// The policy in force while replaying.
#[derive(Clone)]
pub(crate) struct InForce {
    pub(crate) entry: u64,
    pub(crate) bytes: Vec<u8>,
    pub(crate) policy: LogPolicy,
    pub(crate) anchors: TrustAnchors,
}

/// Per-issuer counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct IssuerStats {
    pub(crate) signer: String,
    pub(crate) count: u64,
    pub(crate) by_kind: BTreeMap<String, u64>,
}

/// What a replay found in the entries it replayed.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) entries: u64,
    pub(crate) statements_verified: u64,
    pub(crate) by_kind: BTreeMap<String, u64>,
    pub(crate) by_issuer: BTreeMap<String, IssuerStats>,
    /// Policy entries (index).
    pub(crate) policies: Vec<u64>,
    /// (entry, correction kind, target entry id).
    pub(crate) corrections: Vec<(u64, String, String)>,
    /// (entry, part, reason).
    pub(crate) failures: Vec<(u64, String, String)>,
    /// (entry, iss, signer): chains that do not lead to the user's roots.
    pub(crate) unknown_issuers: Vec<(u64, String, String)>,
    /// The tree or tiles do not match: replay stopped here.
    pub(crate) fatal: Option<String>,
    pub(crate) elapsed: Duration,
}

/// What the replay checks and how.
pub(crate) struct Replay<'a> {
    pub(crate) log: &'a Log,
    pub(crate) target: &'a Checkpoint,
    /// The log's P-256 key (from the user's policy), for policy entries.
    pub(crate) log_key: Option<&'a PublicKey>,
    /// The user's roots: chains ending elsewhere are from unknown issuers.
    pub(crate) user_roots: Option<&'a TrustAnchors>,
    /// False: hashes only (entry bundles and tiles).
    pub(crate) verify: bool,
    pub(crate) parallel: usize,
    pub(crate) quiet: bool,
}

fn hex32(s: &str) -> Option<Hash> {
    Hash::from_hex(s).ok()
}

/// What checking one entry gave.
#[derive(Clone, Debug)]
enum Outcome {
    Verified(Info),
    /// A `policy` statement: checked in order by the replay itself.
    Policy,
    Failed(&'static str, String),
    /// Hashes-only replay.
    Unchecked,
}

#[derive(Clone, Debug)]
struct Info {
    kind: Kind,
    iss: String,
    signer: String,
    anchor_sha: String,
    target: Option<String>,
    correction: Option<String>,
}

fn failed(e: VerifyError) -> Outcome {
    Outcome::Failed(e.part(), e.to_string())
}

fn verify_entry(bytes: &[u8], policy: Option<&InForce>, cache: &ChainCache) -> Outcome {
    let s = match SignedStatement::parse(bytes) {
        Ok(s) => s,
        Err(e) => return failed(VerifyError::Statement(e)),
    };
    if s.registered_bytes() != bytes {
        return Outcome::Failed(
            "statement",
            "the log serves the statement with a non-empty unprotected header, not in its registered form".into(),
        );
    }
    let Some(kind) = Kind::from_content_type(&s.content_type) else {
        return failed(VerifyError::UnknownKind(s.content_type.clone()));
    };
    if kind == Kind::Policy {
        return Outcome::Policy;
    }
    let Some(policy) = policy else {
        return Outcome::Failed(
            "certificate chain",
            "no valid log policy is in force here (entry 0 must be one), so no root is trusted"
                .into(),
        );
    };
    let AcceptedStatement { payload, chain, .. } =
        match accept_statement(&s, &policy.anchors, ChainTimes::AtSigning, Some(cache)) {
            Ok(a) => a,
            Err(e) => return failed(e),
        };
    if !policy.policy.accepted_kinds.contains(&kind) {
        return Outcome::Failed(
            "statement",
            format!(
                "kind {kind} is not accepted by the policy in force (entry 1.{})",
                policy.entry
            ),
        );
    }
    let correction = match &payload {
        Statement::Correction(c) => Some(c.kind.as_str().to_string()),
        _ => None,
    };
    Outcome::Verified(Info {
        kind,
        iss: s.iss.clone(),
        signer: chain.leaf_subject(),
        anchor_sha: chain.anchor_sha256_hex(),
        target: payload.target().map(|t| t.entry_id.clone()),
        correction,
    })
}

/// Checks a `policy` statement: signed by the log's own P-256 key under its
/// key id, for this origin, valid schema. Returns the policy and its anchors.
fn verify_policy(
    bytes: &[u8],
    log_key: Option<&PublicKey>,
    origin: &str,
) -> std::result::Result<(LogPolicy, TrustAnchors), String> {
    let s = SignedStatement::parse(bytes).map_err(|e| e.to_string())?;
    let key = log_key.ok_or("your policy names no P-256 (0x05) key for this log")?;
    let SignerId::Kid(kid) = &s.signer else {
        return Err("signed with a certificate chain, not the log's key".into());
    };
    let ours = receipt::key_thumbprint(key).map_err(|e| e.to_string())?;
    if kid.as_slice() != ours.as_slice() {
        return Err(format!(
            "names key id {}, not the log's key",
            hex::encode(kid)
        ));
    }
    s.verify_signature(key)
        .map_err(|_| "the log's signature on it does not verify".to_string())?;
    let Statement::Policy(p) =
        Statement::from_cbor(Kind::Policy, s.payload()).map_err(|e| e.to_string())?
    else {
        return Err("not a policy".into());
    };
    if p.origin != origin {
        return Err(format!("it is the policy of {}, not of {origin}", p.origin));
    }
    let mut anchors = TrustAnchors::new();
    for a in &p.trust_anchors {
        let more = TrustAnchors::from_pem(&a.pem).map_err(|e| format!("trust anchor: {e}"))?;
        for x in more.iter() {
            anchors
                .add_der(x.der().to_vec())
                .map_err(|e| format!("trust anchor: {e}"))?;
        }
    }
    Ok((p, anchors))
}

/// A tile's hashes in hex, as positions save them.
fn hex_hashes(tile: &[u8]) -> Vec<String> {
    tile.chunks(32).map(hex::encode).collect()
}

/// Tile levels a tree of `size` leaves has hashes on.
fn levels_of(size: u64) -> usize {
    (0..64 / TILE_HEIGHT)
        .take_while(|l| size >> (l * TILE_HEIGHT) > 0)
        .count()
}

/// The edge of the tree a position describes: its level-0 and upper
/// partial tiles. None when they do not fit its size (a corrupt state file).
fn edge_of(p: &Position) -> Option<Edge> {
    let hex_tile = |hashes: &[String]| -> Option<Vec<u8>> {
        hashes
            .iter()
            .map(|h| hex32(h).map(|h| h.0))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat())
    };
    let mut levels = vec![hex_tile(&p.level0)?];
    for t in &p.upper {
        levels.push(hex_tile(t)?);
    }
    // Positions saved before a level's first tile leave it out: pad with
    // empty tiles up to the levels the size has (from_levels checks the rest).
    while levels.len() < levels_of(p.size) {
        levels.push(Vec::new());
    }
    if p.size == 0 {
        levels.clear();
    }
    Edge::from_levels(p.size, levels)
}

fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

type Fetched = (u64, Result<(Vec<u8>, Option<Vec<u8>>)>);

/// Fetches bundles `first..last` (and, with `with_tile`, their level-0
/// tiles) of a tree of `size` entries with `parallel` requests in flight,
/// and hands them to `each` in order. `each` returning Ok(false) stops early.
pub(crate) fn for_each_bundle(
    log: &Log,
    size: u64,
    first: u64,
    statements: bool,
    with_tile: bool,
    parallel: usize,
    mut each: impl FnMut(u64, u16, Vec<u8>, Option<Vec<u8>>) -> Result<bool>,
) -> Result<()> {
    use futures_util::StreamExt as _;

    let last = size.div_ceil(TILE_WIDTH);
    if first >= last {
        return Ok(());
    }
    let parallel = parallel.clamp(1, 32);
    // The fetches run as one task on the client's runtime, `parallel` in
    // flight and delivered in order; this thread only consumes them.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Fetched>(parallel * 2);
    let http = log.http().clone();
    let fetcher = log.spawn(async move {
        let mut fetched = futures_util::stream::iter(first..last)
            .map(|b| {
                let http = http.clone();
                async move {
                    let width = tile_width(0, b, size).unwrap_or(TILE_WIDTH as u16);
                    let path = if statements {
                        TilePath::Statements { index: b, width }
                    } else {
                        TilePath::Entries { index: b, width }
                    };
                    // The bundle and its tile travel together.
                    let tile = async {
                        if with_tile {
                            let id = TileId {
                                level: 0,
                                index: b,
                                width,
                            };
                            Some(http.tile(id).await)
                        } else {
                            None
                        }
                    };
                    let (bundle, tile) = futures_util::future::join(http.bundle(path), tile).await;
                    let r = match (bundle, tile) {
                        (Ok(bundle), Some(Ok(tile))) => Ok((bundle, Some(tile))),
                        (Ok(bundle), None) => Ok((bundle, None)),
                        (Err(e), _) | (_, Some(Err(e))) => Err(e),
                    };
                    (b, r)
                }
            })
            .buffered(parallel);
        while let Some(item) = fetched.next().await {
            // The consumer hangs up when it stops early.
            if tx.send(item).await.is_err() {
                break;
            }
        }
    });
    let result = (|| {
        for want in first..last {
            let Some((b, r)) = rx.blocking_recv() else {
                anyhow::bail!("the bundle fetcher stopped early");
            };
            if b != want {
                anyhow::bail!("the bundle fetcher delivered bundle {b} where {want} was due");
            }
            let (bundle, tile) = r?;
            let width = tile_width(0, b, size).unwrap_or(TILE_WIDTH as u16);
            if !each(b, width, bundle, tile)? {
                break;
            }
        }
        Ok(())
    })();
    // After an early stop, cancels the fetcher and its requests in flight.
    drop(rx);
    fetcher.abort();
    result
}

/// One fetched bundle: index, width, bundle bytes, level-0 tile bytes.
type Bundle = (u64, u16, Vec<u8>, Vec<u8>);

/// Mutable replay state across batches.
struct Run<'r> {
    edge: Edge,
    findings: Findings,
    in_force: Option<InForce>,
    /// Leaves of the last bundle processed (the partial one at the end).
    progress: Progress,
    cache: ChainCache,
    user_roots: Option<Vec<String>>,
    saved_level0: Vec<Hash>,
    start: u64,
    threads: usize,
    replay: &'r Replay<'r>,
}

impl Run<'_> {
    fn leaf_of(&self, e: &[u8]) -> std::result::Result<Hash, String> {
        if self.replay.verify {
            Ok(merkle::leaf_hash(&Sha256::digest(e)))
        } else if e.len() == 32 {
            Ok(merkle::leaf_hash(e))
        } else {
            Err(format!(
                "an entry of {} bytes, not a 32-byte digest",
                e.len()
            ))
        }
    }

    /// Processes a batch of consecutive bundles. Ok(false): a fatal finding
    /// stopped the replay.
    fn batch(&mut self, batch: &[Bundle]) -> Result<bool> {
        let Some(first) = batch.first().map(|b| b.0) else {
            return Ok(true);
        };
        let mut per_bundle: Vec<Vec<Hash>> = vec![Vec::new(); batch.len()];
        let mut items: Vec<(u64, &[u8])> = Vec::new();
        for (b, width, bundle, _) in batch {
            let entries = if self.replay.verify {
                parse_statement_bundle(bundle, *width)
            } else {
                parse_entry_bundle(bundle, *width)
            };
            let entries = match entries {
                Ok(e) => e,
                Err(e) => {
                    self.findings.fatal = Some(format!("bundle {b} of the log is malformed: {e}"));
                    return Ok(false);
                }
            };
            for (i, e) in entries.into_iter().enumerate() {
                let index = b * TILE_WIDTH + i as u64;
                if index < self.start {
                    // Already replayed: it must not have changed.
                    let leaf = self.leaf_of(e).ok();
                    if leaf.is_none() || leaf != self.saved_level0.get(i).copied() {
                        self.findings.fatal = Some(format!(
                            "entry 1.{index} changed since it was replayed: the log rewrote its history"
                        ));
                        return Ok(false);
                    }
                    if let Some(l) = leaf {
                        per_bundle[0].push(l);
                    }
                } else {
                    items.push((index, e));
                }
            }
        }
        // Entry 0 is the first policy: put it in force before verifying the
        // rest of the first batch in parallel under it.
        let mut pre_recorded = false;
        if self.in_force.is_none()
            && self.replay.verify
            && let Some((0, bytes)) = items.first().copied()
            && matches!(verify_entry(bytes, None, &self.cache), Outcome::Policy)
        {
            self.record(0, bytes, Outcome::Policy);
            pre_recorded = true;
        }
        let snapshot = self.in_force.clone();
        let chunk = items.len().div_ceil(self.threads).max(1);
        let this = &*self;
        let results: Vec<(std::result::Result<Hash, String>, Outcome)> = std::thread::scope(|s| {
            let handles: Vec<_> = items
                .chunks(chunk)
                .map(|part| {
                    let snapshot = snapshot.as_ref();
                    s.spawn(move || {
                        part.iter()
                            .map(|(_, e)| {
                                let outcome = if this.replay.verify {
                                    verify_entry(e, snapshot, &this.cache)
                                } else {
                                    Outcome::Unchecked
                                };
                                (this.leaf_of(e), outcome)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        if results.len() != items.len() {
            anyhow::bail!("a verification thread failed");
        }
        let mut new_leaves = Vec::with_capacity(items.len());
        let mut policy_changed = false;
        for ((index, bytes), (leaf, mut outcome)) in items.iter().zip(results) {
            let leaf = match leaf {
                Ok(l) => l,
                Err(why) => {
                    self.findings.fatal = Some(format!("entry 1.{index}: {why}"));
                    return Ok(false);
                }
            };
            if policy_changed && !matches!(outcome, Outcome::Policy) {
                outcome = verify_entry(bytes, self.in_force.as_ref(), &self.cache);
            }
            new_leaves.push(leaf);
            per_bundle[(index / TILE_WIDTH - first) as usize].push(leaf);
            self.findings.entries += 1;
            if *index == 0 && !matches!(outcome, Outcome::Policy | Outcome::Unchecked) {
                self.findings.failures.push((
                    0,
                    "policy".into(),
                    "entry 1.0 is not the log's policy statement".into(),
                ));
            }
            if pre_recorded && *index == 0 {
                continue;
            }
            policy_changed |= self.record(*index, bytes, outcome);
        }
        self.progress.inc(items.len() as u64);
        for ((b, width, _, tile), leaves) in batch.iter().zip(&per_bundle) {
            if tile != &tile_bytes(leaves) {
                let id = TileId {
                    level: 0,
                    index: *b,
                    width: *width,
                };
                self.findings.fatal = Some(format!(
                    "tile {} served by the log does not match the entries it serves",
                    id.path()
                ));
                return Ok(false);
            }
        }
        // The library's integration, the same the log runs: every tile it
        // completes above level 0 must be what the log serves (level 0 was
        // compared with the bundles above; partial tiles are compared once,
        // at the target size).
        let out = integrate(&self.edge, &new_leaves);
        self.edge = out.edge;
        for (level, index, bytes) in out.tiles {
            if level == 0 || bytes.len() != TILE_WIDTH as usize * 32 {
                continue;
            }
            let id = TileId {
                level,
                index,
                width: TILE_WIDTH as u16,
            };
            if !self.tile_matches(id, &bytes)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn tile_matches(&mut self, id: TileId, bytes: &[u8]) -> Result<bool> {
        let served = self.replay.log.tile(id)?;
        if served != bytes {
            self.findings.fatal = Some(format!(
                "tile {} served by the log does not match the tree recomputed from its entries",
                id.path()
            ));
            return Ok(false);
        }
        Ok(true)
    }

    /// Records one entry's outcome; true when it put a new policy in force.
    fn record(&mut self, index: u64, bytes: &[u8], outcome: Outcome) -> bool {
        let f = &mut self.findings;
        match outcome {
            Outcome::Unchecked => {}
            Outcome::Policy => {
                match verify_policy(bytes, self.replay.log_key, &self.replay.target.origin) {
                    Ok((policy, anchors)) => {
                        self.in_force = Some(InForce {
                            entry: index,
                            bytes: bytes.to_vec(),
                            policy,
                            anchors,
                        });
                        f.policies.push(index);
                        *f.by_kind.entry("policy".into()).or_default() += 1;
                        return true;
                    }
                    Err(why) => f.failures.push((
                        index,
                        "policy".into(),
                        format!("policy statement does not verify: {why}"),
                    )),
                }
            }
            Outcome::Failed(part, reason) => f.failures.push((index, part.to_string(), reason)),
            Outcome::Verified(info) => {
                f.statements_verified += 1;
                let kind = info.kind.name().to_string();
                *f.by_kind.entry(kind.clone()).or_default() += 1;
                let st = f.by_issuer.entry(info.iss.clone()).or_default();
                st.count += 1;
                st.signer = info.signer.clone();
                *st.by_kind.entry(kind).or_default() += 1;
                if let Some(ck) = info.correction {
                    f.corrections
                        .push((index, ck, info.target.clone().unwrap_or_default()));
                }
                if let Some(roots) = &self.user_roots
                    && !roots.contains(&info.anchor_sha)
                {
                    f.unknown_issuers.push((index, info.iss, info.signer));
                }
            }
        }
        false
    }
}

impl Replay<'_> {
    /// Replays `[pos.size, target.size)` on top of `pos`. Returns what it
    /// found and the new position (meaningful when `fatal` is None).
    pub(crate) fn run(&self, pos: &Position) -> Result<(Findings, Position)> {
        let started = Instant::now();
        let size = self.target.size;
        let Some(edge) = edge_of(pos) else {
            anyhow::bail!("the saved replay position is corrupt");
        };
        let in_force: Option<InForce> = match (&pos.policy_entry, &pos.policy_statement) {
            (Some(e), Some(b)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|_| anyhow::anyhow!("the saved replay position is corrupt"))?;
                let (policy, anchors) = verify_policy(&bytes, self.log_key, &self.target.origin)
                    .map_err(|e| anyhow::anyhow!("the saved policy entry does not verify: {e}"))?;
                Some(InForce {
                    entry: *e,
                    bytes,
                    policy,
                    anchors,
                })
            }
            _ => None,
        };
        let saved_level0: Vec<Hash> = pos.level0.iter().filter_map(|h| hex32(h)).collect();
        let mut run = Run {
            edge,
            findings: Findings::default(),
            in_force,
            progress: Progress::new(
                size.saturating_sub(pos.size),
                if self.verify { "replaying" } else { "hashing" },
                "entries",
                self.quiet,
            ),
            cache: ChainCache::default(),
            user_roots: self
                .user_roots
                .map(|r| r.iter().map(|a| a.sha256_hex()).collect()),
            saved_level0,
            start: pos.size,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 16),
            replay: self,
        };
        let mut batch: Vec<Bundle> = Vec::new();
        let mut stopped = false;
        let last_bundle = size.div_ceil(TILE_WIDTH);
        if pos.size < size {
            for_each_bundle(
                self.log,
                size,
                pos.size / TILE_WIDTH,
                self.verify,
                true,
                self.parallel,
                |b, width, bundle, tile| {
                    batch.push((b, width, bundle, tile.unwrap_or_default()));
                    if batch.len() >= BATCH_BUNDLES || b + 1 == last_bundle {
                        let go = run.batch(&batch)?;
                        batch.clear();
                        if !go {
                            stopped = true;
                            return Ok(false);
                        }
                    }
                    Ok(true)
                },
            )?;
        }
        run.progress.finish();
        if !stopped && run.findings.fatal.is_none() {
            let root = run.edge.root();
            if run.edge.size != size {
                run.findings.fatal = Some(format!(
                    "replayed {} entries but the checkpoint is for {size}",
                    run.edge.size
                ));
            } else if root != self.target.root {
                run.findings.fatal = Some(format!(
                    "the root recomputed from every entry ({root}) is not the checkpoint's root ({})",
                    self.target.root
                ));
            } else if pos.size < size {
                let partials: Vec<(TileId, Vec<u8>)> = run
                    .edge
                    .partial_tiles()
                    .filter(|(id, _)| id.level > 0)
                    .map(|(id, b)| (id, b.to_vec()))
                    .collect();
                for (id, bytes) in partials {
                    if !run.tile_matches(id, &bytes)? {
                        break;
                    }
                }
            }
        }
        run.findings.elapsed = started.elapsed();
        let new_pos = Position {
            size: run.edge.size,
            upper: run
                .edge
                .levels
                .iter()
                .skip(1)
                .map(|t| hex_hashes(t))
                .collect(),
            level0: run
                .edge
                .levels
                .first()
                .map(|t| hex_hashes(t))
                .unwrap_or_default(),
            policy_entry: run.in_force.as_ref().map(|p| p.entry),
            policy_statement: run
                .in_force
                .as_ref()
                .map(|p| base64::engine::general_purpose::STANDARD.encode(&p.bytes)),
        };
        Ok((run.findings, new_pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ashlog::keys::P256SigningKey;
    use ashlog::pki::{Authority, Name};
    use ashlog::schema::{Document, fixtures};
    use ashlog::statement::StatementHeader;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
            .collect()
    }

    fn position_of(edge: &Edge) -> Position {
        Position {
            size: edge.size,
            level0: edge
                .levels
                .first()
                .map(|t| hex_hashes(t))
                .unwrap_or_default(),
            upper: edge.levels.iter().skip(1).map(|t| hex_hashes(t)).collect(),
            ..Position::default()
        }
    }

    /// A saved position gives back the edge it was saved from, at every
    /// tile boundary, and the replay resumes from it to the library's root.
    #[test]
    fn saved_position_resumes_at_every_edge() {
        let all = leaves(66_136);
        for size in [
            0u64, 1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 66_136,
        ] {
            let edge = integrate(&Edge::default(), &all[..size as usize]).edge;
            let json = serde_json::to_string(&position_of(&edge)).unwrap();
            let back: Position = serde_json::from_str(&json).unwrap();
            let resumed = edge_of(&back).unwrap();
            assert_eq!(resumed, edge, "{size}");
            let rest = integrate(&resumed, &all[size as usize..]);
            assert_eq!(rest.root, merkle::root(&all), "{size}");
        }
    }

    /// State files written before the replay used the library's edge carry
    /// a frontier and leave out upper levels with no hashes yet: they still
    /// resume; a position whose tiles do not fit its size is refused.
    #[test]
    fn older_and_corrupt_positions() {
        let all = leaves(65_536);
        let edge = integrate(&Edge::default(), &all).edge;
        let root = merkle::root(&all).to_hex();
        let old = format!(
            r#"{{"size":65536,"frontier":[[16,"{root}"]],"upper":[[],["{root}"]],"level0":[],"policy_entry":null,"policy_statement":null}}"#
        );
        let back: Position = serde_json::from_str(&old).unwrap();
        assert_eq!(edge_of(&back).unwrap(), edge);
        let mut bad = position_of(&edge);
        bad.level0.push(root.clone());
        assert!(edge_of(&bad).is_none());
        bad = position_of(&edge);
        bad.size += 1;
        assert!(edge_of(&bad).is_none());
    }

    /// Where the time of re-verifying one statement goes (parse, ES256,
    /// schema, hashing, the whole check with a warm chain cache). Run with
    /// `cargo test -p ashlog-cli --lib verify_entry_cost -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn verify_entry_cost_breakdown() {
        let name = |cn: &str| Name {
            common_name: cn.into(),
            organization: "x".into(),
            country: "CN".into(),
        };
        let root = Authority::new_root(&name("root"), 0, 4_000_000_000).unwrap();
        let key = P256SigningKey::generate().unwrap();
        let leaf = root
            .issue(&key, &name("a"), "https://a.example", 0, 4_000_000_000)
            .unwrap();
        let doc = Document::from_toml(fixtures::STATUS_UPDATE_CORRECTION).unwrap();
        let payload = doc.statement.to_cbor();
        let stmts: Vec<Vec<u8>> = (0..2000)
            .map(|i| {
                StatementHeader {
                    content_type: Kind::Correction.content_type().into(),
                    iss: "https://a.example".into(),
                    sub: format!("x/{i}"),
                    iat: 1_700_000_000,
                    signer: SignerId::X5Chain(vec![leaf.clone(), root.cert_der().to_vec()]),
                }
                .sign(&payload, &key)
            })
            .collect();
        let t = Instant::now();
        let parsed: Vec<SignedStatement> = stmts
            .iter()
            .map(|s| SignedStatement::parse(s).unwrap())
            .collect();
        eprintln!("parse: {:?}/stmt", t.elapsed() / 2000);
        let t = Instant::now();
        for s in &parsed {
            s.verify_signature(key.public_key()).unwrap();
        }
        eprintln!("verify sig: {:?}/stmt", t.elapsed() / 2000);
        let t = Instant::now();
        for s in &parsed {
            Statement::from_cbor(Kind::Correction, s.payload()).unwrap();
        }
        eprintln!("schema: {:?}/stmt", t.elapsed() / 2000);
        let t = Instant::now();
        for s in &stmts {
            let _ = merkle::leaf_hash(&Sha256::digest(s));
        }
        eprintln!("hash: {:?}/stmt", t.elapsed() / 2000);
        let anchors = TrustAnchors::from_pem(&root.cert_pem()).unwrap();
        let inf = InForce {
            entry: 0,
            bytes: vec![],
            policy: LogPolicy {
                origin: "o".into(),
                log_keys: vec![],
                receipt_key_id: "00".into(),
                leaf_rule: String::new(),
                accepted_kinds: vec![Kind::Correction],
                trust_anchors: vec![],
                witness_policy: String::new(),
                max_statement_bytes: 0,
                max_clock_skew_secs: 0,
                effective_at: String::new(),
                previous_policy: None,
            },
            anchors,
        };
        let cache = ChainCache::default();
        let t = Instant::now();
        for s in &stmts {
            assert!(matches!(
                verify_entry(s, Some(&inf), &cache),
                Outcome::Verified(_)
            ));
        }
        eprintln!("verify_entry: {:?}/stmt", t.elapsed() / 2000);
    }
}
