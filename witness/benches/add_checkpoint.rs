//! Criterion benchmark of `process_add_checkpoint`: parse the request,
//! verify the log's Ed25519 signature, check a consistency proof from 1,000
//! to 1,037 entries, cosign a re-encoding and commit it by compare-and-swap.
//!
//! - `witness/add_checkpoint/memory`: with an in-memory store, i.e. the CPU
//!   cost of a cosignature;
//! - `witness/add_checkpoint/redb`: with the real redb store, whose commit
//!   fsyncs (`Durability::Immediate`), i.e. what one request costs on this
//!   disk.
//!
//! Before each request the stored checkpoint is put back to size 1,000
//! (untimed), so every timed request is the same valid one.
//!
//! `cargo bench -p ashlog-witness --bench add_checkpoint`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::SystemTime;

use ashlog_tlog::checkpoint::Checkpoint;
use ashlog_tlog::keys::Ed25519SigningKey;
use ashlog_tlog::merkle::{self, Hash};
use ashlog_tlog::note::Note;
use ashlog_tlog::vkey::NoteSigner;
use ashlog_witness::{MemoryStore, RedbStore, WitnessState, WitnessStore};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const ORIGIN: &str = "bench.ashlog.invalid/log";

fn levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut out = vec![leaves];
    while out.last().unwrap().len() >= 2 {
        let up = out
            .last()
            .unwrap()
            .chunks_exact(2)
            .map(|p| merkle::node_hash(&p[0], &p[1]))
            .collect();
        out.push(up);
    }
    out
}

/// (the note stored at size `old`, the request from `old` to `new`).
fn request(signer: &NoteSigner, old: u64, new: u64) -> (Vec<u8>, Vec<u8>) {
    let lv = levels(
        (0..new)
            .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
            .collect(),
    );
    let node = |n: &merkle::NodeId| lv[usize::from(n.level)][n.index as usize];
    let root = |size: u64| {
        merkle::fold_right(
            &merkle::root_nodes(size)
                .iter()
                .map(node)
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    let note_of = |size: u64| {
        let mut n = Note::new(
            &Checkpoint {
                origin: ORIGIN.into(),
                size,
                root: root(size),
            }
            .to_text(),
        )
        .unwrap();
        n.sign(signer, 0).unwrap();
        n.to_bytes()
    };
    let proof = merkle::assemble_proof(&merkle::consistency_steps(old, new).unwrap(), |ns| {
        Ok::<_, ()>(ns.iter().map(node).collect())
    })
    .unwrap();
    let body = ashlog_tlog::add_checkpoint::format_request(old, &proof, &note_of(new));
    (note_of(old), body)
}

fn state(signer: &NoteSigner, store: Box<dyn WitnessStore>) -> WitnessState {
    let mut logs = BTreeMap::new();
    logs.insert(ORIGIN.to_string(), vec![signer.verifier().unwrap()]);
    WitnessState::new(
        "bench.ashlog.invalid/witness",
        Ed25519SigningKey::generate().unwrap(),
        logs,
        store,
    )
    .unwrap()
}

fn add_checkpoint(c: &mut Criterion) {
    let signer = NoteSigner::Ed25519 {
        name: ORIGIN.into(),
        key: Ed25519SigningKey::generate().unwrap(),
    };
    let (held, body) = request(&signer, 1000, 1037);
    let dir = tempfile::tempdir().unwrap();
    let states = [
        ("memory", state(&signer, Box::<MemoryStore>::default())),
        (
            "redb",
            state(
                &signer,
                Box::new(RedbStore::open(&dir.path().join("w.redb")).unwrap()),
            ),
        ),
    ];
    let mut g = c.benchmark_group("witness/add_checkpoint");
    for (name, st) in &states {
        g.bench_function(*name, |b| {
            b.iter_batched(
                || {
                    // Put the held checkpoint back to size 1,000.
                    let current = st.store().latest(ORIGIN).unwrap();
                    st.store()
                        .compare_and_swap(ORIGIN, current.as_deref(), &held)
                        .unwrap();
                },
                |()| {
                    ashlog_witness::process_add_checkpoint(st, black_box(&body), SystemTime::now())
                        .unwrap()
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, add_checkpoint);
criterion_main!(benches);
