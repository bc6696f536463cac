//! `ashlog commitment audit DIR`: recompute a published commitment from
//! its leaves file (sorted, count, digest, root, every tile and every bucket
//! file byte for byte) and, with `--records` and `--key`, from the live
//! records, which is what an auditor does before the records are deleted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use ashlog::commitment::identifier::IdentifierType;
use ashlog::commitment::keyfile::{KeyFile, LeafKey};
use ashlog::commitment::tree::{BucketFile, Leaf};
use ashlog::schema::Commitment;

use super::publish::{COMMITMENT, LEAVES, TreeWriter, for_each_bucket};
use super::records;
use super::sort::{self, derive_sorted};
use crate::cli::Ctx;
use crate::cli::args::CommitmentAuditArgs;
use crate::cli::error::{Code, fail};

struct Findings {
    failed: bool,
}

impl Findings {
    fn check(&mut self, ok: bool, what: &str) {
        let mark = if ok { "✓" } else { "✗" };
        println!("{mark} {what}");
        self.failed |= !ok;
    }
}

pub(crate) fn run(a: CommitmentAuditArgs, ctx: &Ctx) -> Result<Code> {
    let block_path = a
        .commitment
        .clone()
        .unwrap_or_else(|| a.dir.join(COMMITMENT));
    let text = std::fs::read_to_string(&block_path)
        .with_context(|| format!("cannot read {}", block_path.display()))?;
    let c = super::parse_block(&text).map_err(|e| {
        fail(
            format!("{}: {e:#}", block_path.display()),
            "give a commitment.toml or a statement TOML with --commitment",
        )
    })?;
    let bits = c.bucket_bits.unwrap_or(0);
    let mut f = Findings { failed: false };

    let leaves_path = a.dir.join(LEAVES);
    let len = std::fs::metadata(&leaves_path)
        .with_context(|| format!("cannot read {}", leaves_path.display()))?
        .len();
    f.check(
        len % 32 == 0 && len / 32 == c.leaf_count,
        &format!(
            "leaves file holds {} leaves of 32 bytes (commitment says {})",
            len as f64 / 32.0,
            c.leaf_count
        ),
    );
    if f.failed {
        return Ok(Code::Failed);
    }

    // Rebuild everything in a scratch directory from the leaves alone.
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let mut writer = TreeWriter::new(scratch.path())?;
    let mut sorted = true;
    let mut first_bad = None;
    let mut index = 0u64;
    read_leaves(&leaves_path, |l| {
        if let Err(e) = writer.push(l) {
            sorted = false;
            first_bad.get_or_insert((index, e.to_string()));
        }
        index += 1;
        Ok(sorted)
    })?;
    f.check(
        sorted,
        &match &first_bad {
            None => "leaves strictly increase".to_string(),
            Some((i, _)) => format!("leaves strictly increase (leaf {i} does not)"),
        },
    );
    if !sorted {
        return Ok(Code::Failed);
    }
    let tree = writer.finish()?;
    f.check(
        hex::encode(tree.leaves_sha256) == c.leaves_sha256,
        "SHA-256 of the leaves file is leaves_sha256",
    );
    f.check(
        tree.root.to_hex() == c.root,
        "tree root is the committed root",
    );
    f.check(
        same_files(scratch.path(), &a.dir, "tile")?,
        "every tile is the one the leaves give, and no other tile is there",
    );
    let mut buckets_ok = true;
    let mut seen = BTreeSet::new();
    for_each_bucket(
        scratch.path(),
        tree.size,
        bits,
        ctx.quiet,
        |bucket, want| {
            let path = BucketFile::path(bits, bucket);
            seen.insert(PathBuf::from(&path));
            let got = std::fs::read(a.dir.join(&path)).unwrap_or_default();
            buckets_ok &= got == want;
            Ok(())
        },
    )?;
    let extra = list_files(&a.dir.join("bucket"))?
        .into_iter()
        .any(|p| !seen.contains(&Path::new("bucket").join(p)));
    f.check(
        buckets_ok && !extra,
        &format!(
            "all {} bucket files of {bits} bits are the ones the leaves give",
            1u64 << bits
        ),
    );

    if let Some(records_path) = &a.records {
        let Some(key_path) = &a.key else {
            return Err(fail("--records needs --key", "add --key FILE"));
        };
        f.check(
            recompute(&a, records_path, key_path, &c, ctx)?,
            "the records, with the key, give exactly the committed set",
        );
    }
    if f.failed {
        println!("NOT CONSISTENT: the published commitment does not match");
        Ok(Code::Failed)
    } else {
        println!("CONSISTENT: {} leaves, root {}", c.leaf_count, c.root);
        Ok(Code::Ok)
    }
}

fn recompute(
    a: &CommitmentAuditArgs,
    records_path: &Path,
    key_path: &Path,
    c: &Commitment,
    ctx: &Ctx,
) -> Result<bool> {
    let key = KeyFile::read(key_path)?;
    let kind = IdentifierType::from_token(&c.identifier_type)
        .ok_or_else(|| anyhow::anyhow!("unknown identifier type {}", c.identifier_type))?;
    if key.identifier_type != kind
        || Some(key.context.as_str()) != c.context.as_deref()
        || key.key.leaf_kind() != c.leaf_kind.as_str()
    {
        return Err(fail(
            "the key file is for another commitment (context, identifier type or leaf kind differ)",
            "give the key file written by the build of this commitment",
        ));
    }
    if let (LeafKey::Oprf(k), Some(pk)) = (&key.key, &c.oprf_public_key)
        && &hex::encode(k.public_key()) != pk
    {
        return Err(fail(
            "the key file's public key is not the commitment's oprf_public_key",
            "give the key file written by the build of this commitment",
        ));
    }
    let records = records::read(records_path, a.format, a.column.as_deref(), kind, ctx.quiet)?;
    let scratch = tempfile::tempdir()?;
    let tmp = scratch.path().join("runs");
    std::fs::create_dir_all(&tmp)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sorted = derive_sorted(
        records.subjects.into_iter().collect(),
        &key,
        threads,
        512 << 20,
        &tmp,
        ctx.quiet,
    )?;
    let mut writer = TreeWriter::new(scratch.path())?;
    sort::for_each(sorted, |l| writer.push(l))?;
    let t = writer.finish()?;
    Ok(t.size == c.leaf_count
        && t.root.to_hex() == c.root
        && hex::encode(t.leaves_sha256) == c.leaves_sha256)
}

fn read_leaves(path: &Path, mut each: impl FnMut(&Leaf) -> Result<bool>) -> Result<()> {
    use std::io::Read as _;
    let mut r = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut l = [0u8; 32];
    loop {
        match r.read_exact(&mut l) {
            Ok(()) => {
                if !each(&l)? {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e).context("reading the leaves file"),
        }
    }
}

/// Every file under `a/sub` and `b/sub`, relative to `sub`.
fn list_files(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut out = BTreeSet::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.insert(rel.to_path_buf());
            }
        }
    }
    Ok(out)
}

fn same_files(want_root: &Path, got_root: &Path, sub: &str) -> Result<bool> {
    let want = list_files(&want_root.join(sub))?;
    let got = list_files(&got_root.join(sub))?;
    if want != got {
        return Ok(false);
    }
    for p in &want {
        if std::fs::read(want_root.join(sub).join(p))? != std::fs::read(got_root.join(sub).join(p))?
        {
            return Ok(false);
        }
    }
    Ok(true)
}
