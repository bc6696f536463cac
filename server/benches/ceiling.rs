//! The hardware's limits on one core, the denominators of every ashlog
//! figure: ES256 verifications (aws-lc-rs, which the server uses, and
//! pure-Rust p256), Ed25519 signatures and verifications (checkpoints and
//! cosignatures), and RFC 6962 node hashes (SHA-256 of 65 bytes; sha2 uses
//! SHA-NI when the CPU has it).
//!
//! `cargo bench -p ashlog-server --bench ceiling`. `ashlog-bench` measures
//! the same figures on every core at the start of each run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle::{self, Hash};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn ceiling(c: &mut Criterion) {
    let key = P256SigningKey::generate().unwrap();
    let msg = [0x5au8; 64];
    let sig = key.sign_es256(&msg);
    let point = key.as_p256().verifying_key().to_sec1_bytes();
    let aws = aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .unwrap();
    let vk = *key.as_p256().verifying_key();
    let psig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
    let ed = Ed25519SigningKey::generate().unwrap();
    let edsig = ed.sign(&msg);
    let edpub = ed.public_key().clone();

    let mut g = c.benchmark_group("ceiling");
    g.throughput(Throughput::Elements(1));
    g.bench_function("es256_verify/aws-lc-rs", |b| {
        b.iter(|| aws.verify_sig(black_box(&msg), &sig).unwrap())
    });
    g.bench_function("es256_verify/p256", |b| {
        use p256::ecdsa::signature::Verifier as _;
        b.iter(|| vk.verify(black_box(&msg), &psig).unwrap())
    });
    g.bench_function("es256_sign/p256", |b| {
        b.iter(|| key.sign_es256(black_box(&msg)))
    });
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| edpub.verify_ed25519(black_box(&msg), &edsig).unwrap())
    });
    g.bench_function("ed25519_sign", |b| b.iter(|| ed.sign(black_box(&msg))));
    let l = Hash([1; 32]);
    let r = Hash([2; 32]);
    g.bench_function("sha256_node_hash", |b| {
        b.iter(|| merkle::node_hash(black_box(&l), black_box(&r)))
    });
    g.finish();
}

criterion_group!(benches, ceiling);
criterion_main!(benches);
