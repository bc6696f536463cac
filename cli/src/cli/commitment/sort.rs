//! Deriving leaves and sorting them within a memory budget: leaves are
//! derived in batches that fit the budget, each batch sorted in memory; one
//! batch stays in memory, more are written as sorted runs and merged.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use ashlog::commitment::identifier::IdentifierType;
use ashlog::commitment::input::{Context, prf_input};
use ashlog::commitment::keyfile::{KeyFile, LeafKey};
use ashlog::commitment::tree::Leaf;

use super::records::unpack;
use crate::cli::progress::Progress;

/// Sorted leaves, in memory or in run files to merge.
pub(crate) enum Sorted {
    Memory(Vec<Leaf>),
    Runs(Vec<PathBuf>),
}

/// Derives the leaf of every subject key in `keys` under `key` with `threads` threads,
/// `budget` bytes of leaves at a time, spilling sorted runs into `tmp`.
pub(crate) fn derive_sorted(
    keys: Vec<u64>,
    key: &KeyFile,
    threads: usize,
    budget: usize,
    tmp: &Path,
    quiet: bool,
) -> Result<Sorted> {
    let per_batch = (budget / 32).max(1024);
    let mut progress = Progress::new(keys.len() as u64, "deriving leaves", "subjects", quiet);
    let mut runs = Vec::new();
    let mut memory = None;
    let batches = keys.len().div_ceil(per_batch).max(1);
    for (n, chunk) in keys.chunks(per_batch).enumerate() {
        let mut leaves = derive(
            chunk,
            key.identifier_type,
            &key.context,
            &key.key,
            threads,
            &mut progress,
        )?;
        leaves.sort_unstable();
        if batches == 1 {
            memory = Some(leaves);
        } else {
            let path = tmp.join(format!("run-{n:05}"));
            let mut w = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            for l in &leaves {
                w.write_all(l)?;
            }
            w.flush().context("writing a sort run")?;
            runs.push(path);
        }
    }
    progress.finish();
    Ok(match memory {
        Some(m) => Sorted::Memory(m),
        None if runs.is_empty() => Sorted::Memory(Vec::new()),
        None => Sorted::Runs(runs),
    })
}

fn derive(
    keys: &[u64],
    kind: IdentifierType,
    context: &Context,
    key: &LeafKey,
    threads: usize,
    progress: &mut Progress,
) -> Result<Vec<Leaf>> {
    let threads = threads.clamp(1, 64);
    let share = keys.len().div_ceil(threads).max(1);
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let parts: Vec<Result<Vec<Leaf>>> = std::thread::scope(|s| {
        let handles: Vec<_> = keys
            .chunks(share)
            .map(|part| {
                let tx = tx.clone();
                s.spawn(move || -> Result<Vec<Leaf>> {
                    let mut out = Vec::with_capacity(part.len());
                    for (i, k) in part.iter().enumerate() {
                        let id = unpack(kind, *k).ok_or_else(|| {
                            anyhow::anyhow!("internal: a subject key does not unpack")
                        })?;
                        let x = prf_input(context, &id);
                        out.push(key.leaf(&x)?);
                        if i % 4096 == 4095 {
                            let _ = tx.send(4096);
                        }
                    }
                    let _ = tx.send((part.len() % 4096) as u64);
                    Ok(out)
                })
            })
            .collect();
        drop(tx);
        for n in rx.iter() {
            progress.inc(n);
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a derivation thread panicked")))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(keys.len());
    for p in parts {
        all.extend(p?);
    }
    Ok(all)
}

/// Calls `each` on every leaf in increasing order.
pub(crate) fn for_each(sorted: Sorted, mut each: impl FnMut(&Leaf) -> Result<()>) -> Result<()> {
    match sorted {
        Sorted::Memory(v) => v.iter().try_for_each(each),
        Sorted::Runs(paths) => {
            let mut readers = Vec::with_capacity(paths.len());
            for p in &paths {
                readers.push(BufReader::with_capacity(
                    1 << 16,
                    File::open(p).context("opening a sort run")?,
                ));
            }
            // Min-heap of (leaf, run).
            let mut heap = BinaryHeap::new();
            for (i, r) in readers.iter_mut().enumerate() {
                if let Some(l) = next(r)? {
                    heap.push(std::cmp::Reverse((l, i)));
                }
            }
            while let Some(std::cmp::Reverse((l, i))) = heap.pop() {
                each(&l)?;
                if let Some(n) = next(&mut readers[i])? {
                    heap.push(std::cmp::Reverse((n, i)));
                }
            }
            for p in &paths {
                let _ = std::fs::remove_file(p);
            }
            Ok(())
        }
    }
}

fn next(r: &mut impl Read) -> Result<Option<Leaf>> {
    let mut l = [0u8; 32];
    match r.read_exact(&mut l) {
        Ok(()) => Ok(Some(l)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e).context("reading a sort run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ashlog::commitment::leaf::HmacLeafKey;

    #[test]
    fn spilled_runs_merge_to_the_in_memory_order() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<u64> = (0..5000u64).map(|i| 32020019900101000 + i).collect();
        let key = KeyFile {
            key: LeafKey::Hmac(HmacLeafKey::generate().unwrap()),
            context: Context::new("t").unwrap(),
            identifier_type: IdentifierType::CnRid18,
        };
        let collect = |s: Sorted| {
            let mut v = Vec::new();
            for_each(s, |l| {
                v.push(*l);
                Ok(())
            })
            .unwrap();
            v
        };
        let one = derive_sorted(keys.clone(), &key, 2, 1 << 30, dir.path(), true).unwrap();
        assert!(matches!(one, Sorted::Memory(_)));
        let spilled = derive_sorted(keys, &key, 2, 1024 * 32, dir.path(), true).unwrap();
        let Sorted::Runs(runs) = &spilled else {
            panic!("expected runs")
        };
        assert_eq!(runs.len(), 5);
        let a = collect(one);
        let b = collect(spilled);
        assert_eq!(a.len(), 5000);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
    }
}
