//! `ashlog commitment build`: records in, a published directory and a key
//! file out, and the `commitment` block for the destruction statement.
//!
//! Phases, each with progress on stderr: read and canonicalise the records
//! (refusals counted by reason and line, never shown), deduplicate
//! subjects, derive their leaves with a fresh key on every core, sort
//! (spilling sorted runs past the memory budget), write the leaves and the
//! tiles, write the bucket files. Everything goes to `OUT.partial`, renamed
//! to `OUT` only when complete, so a crash never leaves a directory that
//! looks finished.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result};
use ashlog::commitment::identifier::IdentifierType;
use ashlog::commitment::input::Context;
use ashlog::commitment::keyfile::{KeyFile, LeafKey};
use ashlog::commitment::leaf::HmacLeafKey;
use ashlog::commitment::oprf::OprfKey;
use ashlog::commitment::tree::{MAX_BUCKET_BITS, bucket_bits_for};
use ashlog::schema::{Commitment, CommitmentScheme, Granularity, LeafKind, MIN_LEAVES};

use super::publish::{COMMITMENT, TreeWriter, write_buckets};
use super::records::{self, Records};
use super::sort::{self, derive_sorted};
use crate::cli::Ctx;
use crate::cli::args::{BuildLeafKind, CommitmentBuildArgs};
use crate::cli::error::{Code, fail};

pub(crate) fn run(a: CommitmentBuildArgs, ctx: &Ctx) -> Result<Code> {
    let kind = IdentifierType::from_token(&a.identifier_type).ok_or_else(|| {
        fail(
            format!("unknown identifier type `{}`", a.identifier_type),
            "use CN-RID-18 or E164-phone",
        )
    })?;
    let context = Context::new(&a.context)
        .map_err(|e| fail(format!("--context: {e}"), "e.g. --context wuxi-health-2023"))?;
    if let Some(b) = a.bucket_bits
        && b > MAX_BUCKET_BITS
    {
        return Err(fail(
            format!("--bucket-bits {b} is too large"),
            format!("use 0 to {MAX_BUCKET_BITS}, or leave it out for the default"),
        ));
    }
    if a.out.exists() {
        return Err(fail(
            format!("{} already exists", a.out.display()),
            "choose a new --out directory (a published commitment is never overwritten)",
        ));
    }
    if a.key_out.exists() {
        return Err(fail(
            format!("{} already exists", a.key_out.display()),
            "choose a new --key-out file (a key is never overwritten)",
        ));
    }
    let partial = a.out.with_extension("partial");
    if partial.exists() {
        return Err(fail(
            format!("{} is left from an earlier build", partial.display()),
            "remove it and run the build again",
        ));
    }

    let t0 = Instant::now();
    let records = records::read(&a.input, a.format, a.column.as_deref(), kind, ctx.quiet)?;
    let t_read = t0.elapsed();
    report_records(&records, ctx.quiet);
    let n = records.subjects.len() as u64;
    if n == 0 {
        return Err(fail(
            "no valid identifier in the records",
            "check --type, --format and --column against the file",
        ));
    }

    if n < MIN_LEAVES {
        return Err(fail(
            format!(
                "only {n} distinct subjects; a commitment needs at least {MIN_LEAVES}, or a leaf's \
                 position and bucket single people out"
            ),
            "commit a larger set (every subject of the system, say), or publish no commitment",
        ));
    }

    // The key exists only from here on, and only in its 0600 file.
    let key = match a.leaf_kind {
        BuildLeafKind::OprfP256 => LeafKey::Oprf(OprfKey::generate()?),
        BuildLeafKind::HmacSha256Keyed => LeafKey::Hmac(HmacLeafKey::generate()?),
    };
    let key_file = KeyFile {
        key,
        context,
        identifier_type: kind,
    };
    key_file.create(&a.key_out)?;
    let built = publish(&a, &partial, records, &key_file, ctx);
    if built.is_err() {
        // A key for a commitment that was never published protects
        // nothing; a half-written directory must not be mistaken for one.
        let _ = std::fs::remove_file(&a.key_out);
        let _ = std::fs::remove_dir_all(&partial);
    }
    let (commitment, times) = built?;
    let block = super::block(&commitment)?;
    if !ctx.quiet {
        let bits = commitment.bucket_bits.unwrap_or(0);
        eprintln!(
            "{n} subjects, {} leaves, root {}; {} bucket files of {bits} bits",
            commitment.leaf_count,
            commitment.root,
            1u64 << bits,
        );
        eprintln!(
            "times: read {:.1}s, derive {:.1}s, sort and tree {:.1}s, buckets {:.1}s",
            t_read.as_secs_f64(),
            times[0],
            times[1],
            times[2]
        );
        eprintln!(
            "published directory: {} (serve it as static files); key: {} (mode 0600: \
             keep it with the custody holders, never with the published files)",
            a.out.display(),
            a.key_out.display()
        );
        eprintln!(
            "add this block to the destruction statement, with key_custody (two or more \
             holders) and check_service:"
        );
    }
    crate::cli::output::print(&block)?;
    Ok(Code::Ok)
}

/// Derives, sorts and writes everything into `partial`, then renames it to
/// the output directory. Returns the commitment and the phases' seconds.
fn publish(
    a: &CommitmentBuildArgs,
    partial: &Path,
    records: Records,
    key_file: &KeyFile,
    ctx: &Ctx,
) -> Result<(Commitment, [f64; 3])> {
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let budget = usize::try_from(a.memory_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    std::fs::create_dir_all(partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let tmp = partial.join(".runs");
    std::fs::create_dir_all(&tmp)?;
    let t1 = Instant::now();
    let keys: Vec<u64> = records.subjects.into_iter().collect();
    let sorted = derive_sorted(keys, key_file, threads, budget, &tmp, ctx.quiet)?;
    let t_derive = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let mut writer = TreeWriter::new(partial)?;
    sort::for_each(sorted, |l| writer.push(l))?;
    let tree = writer.finish()?;
    let _ = std::fs::remove_dir(&tmp);
    let t_tree = t2.elapsed().as_secs_f64();

    let bits = a.bucket_bits.unwrap_or_else(|| bucket_bits_for(tree.size));
    let t3 = Instant::now();
    write_buckets(partial, tree.size, bits, ctx.quiet)?;
    let t_buckets = t3.elapsed().as_secs_f64();

    let commitment = Commitment {
        scheme: CommitmentScheme::AshlogMerkleV1,
        leaf_kind: match a.leaf_kind {
            BuildLeafKind::OprfP256 => LeafKind::OprfP256,
            BuildLeafKind::HmacSha256Keyed => LeafKind::HmacSha256Keyed,
        },
        granularity: Granularity::Subject,
        identifier_type: key_file.identifier_type.as_str().to_string(),
        leaf_count: tree.size,
        root: tree.root.to_hex(),
        leaves_sha256: hex::encode(tree.leaves_sha256),
        leaves_url: a.leaves_url.clone(),
        context: Some(key_file.context.as_str().to_string()),
        oprf_public_key: match &key_file.key {
            LeafKey::Oprf(k) => Some(hex::encode(k.public_key())),
            LeafKey::Hmac(_) => None,
        },
        bucket_bits: Some(bits),
        key_custody: None,
        check_service: None,
    };
    let block = super::block(&commitment)?;
    ashlog::durable::write_file_atomic(&partial.join(COMMITMENT), block.as_bytes())?;
    std::fs::rename(partial, &a.out)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), a.out.display()))?;
    ashlog::durable::sync_parent_dir(&a.out)?;
    Ok((commitment, [t_derive, t_tree, t_buckets]))
}

fn report_records(r: &Records, quiet: bool) {
    if quiet {
        return;
    }
    eprintln!(
        "{} rows read: {} distinct subjects, {} repeated, {} refused",
        r.rows,
        r.subjects.len(),
        r.duplicates,
        r.refused_total()
    );
    for (reason, (message, refused)) in &r.refused {
        let lines: Vec<String> = refused.lines.iter().map(|l| l.to_string()).collect();
        let more = if refused.count > refused.lines.len() as u64 {
            ", ..."
        } else {
            ""
        };
        eprintln!(
            "  refused ({reason}): {} rows, lines {}{more}: {message}",
            refused.count,
            lines.join(", ")
        );
    }
}
