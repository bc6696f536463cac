//! Criterion benchmarks of the log's hot paths:
//!
//! - `registration/check_cached`: everything an HTTP worker does to a
//!   statement before it is sequenced (COSE parse, schema, chain through the
//!   fingerprint cache, URI SAN, ES256 with aws-lc-rs, rate limit, registered
//!   bytes and their SHA-256), on the Wuxi destruction statement;
//!   `registration/check_uncached` with an empty chain cache;
//! - `integrate/<n>`: appending a batch of n leaves to a tree of a million
//!   (tiles and root out);
//! - `receipt/inclusion+build`: an inclusion proof read from the redb tiles
//!   of a 100,000-entry log, and the receipt assembled around the per-size
//!   signature; `storage/tile`: one tile read;
//! - `checkpoint/sign`: both log signatures on a checkpoint;
//!   `receipt/sign_root`: the one receipt signature per published size.
//!
//! `cargo bench -p ashlog-server --bench server`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use ashlog::chain::TrustAnchors;
use ashlog::checkpoint::Checkpoint;
use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle::{self, Hash};
use ashlog::pki::{Authority, Name};
use ashlog::receipt::{self, ReceiptHeader};
use ashlog::schema::{Document, Kind, fixtures};
use ashlog::statement::{SignerId, StatementHeader};
use ashlog_server::checkpointer::{self, LogKeys};
use ashlog_server::integrate::{Edge, integrate, into_batch};
use ashlog_server::metrics::Metrics;
use ashlog_server::proofs;
use ashlog_server::registration::{Registrar, RegistrationSettings};
use ashlog_server::storage::redb::RedbStorage;
use ashlog_server::storage::{EntryKey, Storage};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn name(cn: &str) -> Name {
    Name {
        common_name: cn.into(),
        organization: "ashlog bench".into(),
        country: "CN".into(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn registrar(anchors: &TrustAnchors) -> Registrar {
    Registrar::new(
        anchors.clone(),
        RegistrationSettings {
            accepted: vec![
                Kind::Destruction,
                Kind::Takedown,
                Kind::Endorsement,
                Kind::Correction,
            ],
            max_skew_secs: 300,
            issuer_rate: 1e12,
            issuer_burst: 1e12,
        },
    )
}

// Out-of-line wrappers: one call per iteration whatever the optimiser does,
// so callgrind counts instructions per call exactly (no hardware counters
// here).
#[inline(never)]
fn check_once(r: &Registrar, body: &[u8], t: i64, m: &Metrics) {
    r.check(body, t, m).unwrap();
}

#[inline(never)]
fn receipt_once(storage: &RedbStorage, p: &checkpointer::Published, note: &str, i: u64) -> Vec<u8> {
    let size = p.checkpoint.size;
    let path = proofs::inclusion(storage, i, size).unwrap();
    receipt::build(
        &p.receipt_protected,
        &p.receipt_signature,
        size,
        i,
        &path,
        Some(note),
    )
}

fn registration(c: &mut Criterion) {
    let t = now();
    let root = Authority::new_root(&name("Bench Root"), t - 86_400, t + 86_400 * 3650).unwrap();
    let ca = root
        .new_intermediate(&name("Bench Agency CA"), t - 86_400, t + 86_400 * 3650)
        .unwrap();
    let key = P256SigningKey::generate().unwrap();
    let iss = "https://dsj.wuxi.gov.cn";
    let leaf = ca
        .issue(
            &key,
            &name("Bench Agency"),
            iss,
            t - 86_400,
            t + 86_400 * 365,
        )
        .unwrap();
    let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
    let body = StatementHeader {
        content_type: doc.envelope.kind.content_type().to_string(),
        iss: iss.into(),
        sub: doc.envelope.subject.clone(),
        iat: t,
        signer: SignerId::X5Chain(vec![leaf, ca.cert_der().to_vec()]),
    }
    .sign(&doc.statement.to_cbor(), &key);
    let anchors = TrustAnchors::from_pem(&root.cert_pem()).unwrap();
    let metrics = Metrics::default();
    let warm = registrar(&anchors);
    warm.check(&body, t, &metrics).unwrap();
    let mut g = c.benchmark_group("registration");
    g.throughput(Throughput::Elements(1));
    g.bench_function("check_cached", |b| {
        b.iter(|| check_once(&warm, black_box(&body), t, &metrics))
    });
    g.bench_function("check_uncached", |b| {
        b.iter_batched(
            || registrar(&anchors),
            |r| check_once(&r, black_box(&body), t, &metrics),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn leaves(from: u64, n: u64) -> Vec<Hash> {
    (from..from + n)
        .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
        .collect()
}

fn integration(c: &mut Criterion) {
    // A tree of 1,000,003 leaves: every level has a partial tile.
    let base = integrate(&Edge::default(), &leaves(0, 1_000_003)).edge;
    let mut g = c.benchmark_group("integrate");
    for n in [1u64, 64, 1024, 4096] {
        let batch = leaves(1_000_003, n);
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::from_parameter(n), &batch, |b, batch| {
            b.iter(|| integrate(black_box(&base), batch))
        });
    }
    g.finish();
}

fn receipts(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("bench.redb")).unwrap();
    let size = 100_000u64;
    let mut edge = Edge::default();
    for start in (0..size).step_by(10_000) {
        let batch = leaves(start, 10_000);
        let statements = batch
            .iter()
            .map(|h| {
                let key = EntryKey {
                    iat: 1_677_715_200,
                    digest: *h,
                };
                (key, Arc::new(h.0.to_vec()))
            })
            .collect();
        let (append, next) = into_batch(integrate(&edge, &batch), start, statements);
        storage.append(&append).unwrap();
        edge = next;
    }
    let root = edge.root();
    let keys = LogKeys {
        origin: "bench.ashlog.invalid/log".into(),
        p256: P256SigningKey::generate().unwrap(),
        ed25519: Ed25519SigningKey::generate().unwrap(),
    };
    let cp = Checkpoint {
        origin: keys.origin.clone(),
        size,
        root,
    };
    let note = checkpointer::sign(&keys, &cp).unwrap();
    let published = checkpointer::published(&keys, cp.clone(), note.to_bytes());
    let note_text = published.note_text();
    let mut g = c.benchmark_group("receipt");
    let mut i = 0u64;
    g.bench_function("inclusion+build", |b| {
        b.iter(|| {
            i = (i + 7_919) % size;
            receipt_once(&storage, &published, &note_text, i)
        })
    });
    let protected = ReceiptHeader {
        kid: keys.kid(),
        iss: keys.origin.clone(),
        sub: None,
        iat: now(),
    }
    .encode();
    g.bench_function("sign_root", |b| {
        b.iter(|| receipt::sign_root(black_box(&protected), &root, &keys.p256))
    });
    g.finish();
    let mut j = 0u64;
    c.bench_function("storage/tile", |b| {
        b.iter(|| {
            j = (j + 1) % (size / 256);
            storage.tile(0, j).unwrap()
        })
    });
    c.bench_function("checkpoint/sign", |b| {
        b.iter(|| checkpointer::sign(&keys, black_box(&cp)).unwrap())
    });
}

criterion_group!(server, registration, integration, receipts);
criterion_main!(server);
