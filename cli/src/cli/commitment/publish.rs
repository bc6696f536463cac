//! The published directory of a commitment (DESIGN.md §10.8): the leaves
//! file, the tree's tiles in the tlog-tiles layout, and the bucket files,
//! all static and cacheable.
//!
//! ```text
//! leaves                  N × 32 bytes, increasing; SHA-256 = leaves_sha256
//! tile/<L>/<N>[.p/<W>]    hash tiles of the tree over the leaves (tlog-tiles)
//! bucket/<bits>/<hex>     one bucket file per bucket (DESIGN.md §10.5)
//! commitment.toml         the statement's [statement.commitment] block
//! ```

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use ashlog::commitment::tree::{BucketFile, Leaf, RangeProof, TreeError, bucket_of};
use ashlog::integrate::{Edge, integrate};
use ashlog::merkle::{Hash, leaf_hash};
use ashlog::tile::{self, TileId};
use sha2::{Digest, Sha256};

use crate::cli::progress::Progress;

/// The leaves file's name in the directory.
pub(crate) const LEAVES: &str = "leaves";
/// The commitment block's file name.
pub(crate) const COMMITMENT: &str = "commitment.toml";

/// Leaves integrated per batch.
const BATCH: usize = 1 << 16;

/// What writing the tree produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeSummary {
    pub(crate) size: u64,
    pub(crate) root: Hash,
    pub(crate) leaves_sha256: [u8; 32],
}

/// Writes the leaves file and the tiles from strictly increasing `leaves`;
/// refuses a repeated or decreasing leaf.
pub(crate) struct TreeWriter {
    dir: PathBuf,
    leaves: BufWriter<File>,
    digest: Sha256,
    edge: Edge,
    batch: Vec<Hash>,
    last: Option<Leaf>,
    root: Hash,
}

impl TreeWriter {
    pub(crate) fn new(dir: &Path) -> Result<TreeWriter> {
        let f = File::create(dir.join(LEAVES)).context("cannot create the leaves file")?;
        Ok(TreeWriter {
            dir: dir.to_path_buf(),
            leaves: BufWriter::with_capacity(1 << 20, f),
            digest: Sha256::new(),
            edge: Edge::default(),
            batch: Vec::with_capacity(BATCH),
            last: None,
            root: ashlog::merkle::empty_root(),
        })
    }

    pub(crate) fn push(&mut self, leaf: &Leaf) -> Result<()> {
        if let Some(last) = &self.last
            && leaf <= last
        {
            anyhow::bail!(
                "two subjects have the same leaf (a PRF collision, or a bug): refusing to publish"
            );
        }
        self.last = Some(*leaf);
        self.leaves
            .write_all(leaf)
            .context("writing the leaves file")?;
        self.digest.update(leaf);
        self.batch.push(leaf_hash(leaf));
        if self.batch.len() == BATCH {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        let out = integrate(&self.edge, &self.batch);
        self.batch.clear();
        // Only full tiles are final; the partial ones are written once, at
        // the end, at the width the finished tree gives them.
        for (level, index, bytes) in &out.tiles {
            if bytes.len() == tile::FULL_TILE_BYTES {
                let id = TileId {
                    level: *level,
                    index: *index,
                    width: tile::TILE_WIDTH as u16,
                };
                write_new(&self.dir.join(id.path()), bytes)?;
            }
        }
        self.edge = out.edge;
        self.root = out.root;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<TreeSummary> {
        if !self.batch.is_empty() {
            self.flush_batch()?;
        }
        for (id, bytes) in self.edge.partial_tiles() {
            write_new(&self.dir.join(id.path()), bytes)?;
        }
        let f = self
            .leaves
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing the leaves file: {}", e.error()))?;
        f.sync_all().context("syncing the leaves file")?;
        Ok(TreeSummary {
            size: self.edge.size,
            root: self.root,
            leaves_sha256: self.digest.finalize().into(),
        })
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Reads tiles of a finished directory, as a trusted source (we wrote it,
/// or the audit checks them first).
pub(crate) fn read_tile(dir: &Path, id: TileId) -> std::io::Result<Vec<u8>> {
    std::fs::read(dir.join(id.path()))
}

/// Counts of leaves per bucket, from one pass over the leaves file.
pub(crate) fn bucket_counts(dir: &Path, bits: u8) -> Result<Vec<u64>> {
    let mut counts = vec![0u64; 1usize << bits];
    let mut r = BufReader::with_capacity(1 << 20, File::open(dir.join(LEAVES))?);
    let mut leaf = [0u8; 32];
    loop {
        match r.read_exact(&mut leaf) {
            Ok(()) => counts[bucket_of(&leaf, bits) as usize] += 1,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(counts),
            Err(e) => return Err(e).context("reading the leaves file"),
        }
    }
}

/// The bucket files of a finished tree of `size` leaves, in bucket order,
/// handed to `each` (which writes or compares them).
pub(crate) fn for_each_bucket(
    dir: &Path,
    size: u64,
    bits: u8,
    quiet: bool,
    mut each: impl FnMut(u32, Vec<u8>) -> Result<()>,
) -> Result<()> {
    use std::os::unix::fs::FileExt as _;
    let counts = bucket_counts(dir, bits)?;
    let leaves = File::open(dir.join(LEAVES)).context("opening the leaves file")?;
    let mut progress = Progress::new(counts.len() as u64, "writing buckets", "buckets", quiet);
    let mut lo = 0u64;
    for (bucket, count) in counts.iter().enumerate() {
        let hi = lo + count;
        let start = lo.saturating_sub(1);
        let end = (hi + 1).min(size);
        let mut bytes = vec![0u8; ((end - start) * 32) as usize];
        leaves
            .read_exact_at(&mut bytes, start * 32)
            .context("reading the leaves file")?;
        let run: Vec<Leaf> = bytes
            .chunks_exact(32)
            .map(|c| {
                let mut v = [0u8; 32];
                v.copy_from_slice(c);
                v
            })
            .collect();
        let proof = RangeProof::assemble(&run, size, start, end, |ids| {
            tile::read_nodes_from_trusted_tiles(ids, size, |t| read_tile(dir, t)).map_err(|e| {
                TreeError::Malformed {
                    what: "tiles",
                    why: e.to_string(),
                }
            })
        })?;
        let file = BucketFile {
            bits,
            bucket: bucket as u32,
            proof,
        };
        each(bucket as u32, file.to_bytes())?;
        progress.inc(1);
        lo = hi;
    }
    progress.finish();
    Ok(())
}

/// Writes every bucket file of the finished tree in `dir`.
pub(crate) fn write_buckets(dir: &Path, size: u64, bits: u8, quiet: bool) -> Result<()> {
    for_each_bucket(dir, size, bits, quiet, |bucket, bytes| {
        write_new(&dir.join(BucketFile::path(bits, bucket)), &bytes)
    })
}
