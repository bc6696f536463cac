//! Criterion benchmarks of the verification a statement goes through, on
//! the Wuxi destruction statement signed by an agency two certificates
//! below a root:
//!
//! - `statement/parse`: strict CBOR and the COSE profile;
//! - `statement/schema`: the payload against its kind's schema;
//! - `chain/parse` and `chain/validate`: the x5chain parsed, then validated
//!   to the anchor without any cache (what a cache hit saves);
//! - `es256/<backend>`: the statement's signature;
//! - `citizen/verify_transparent_statement/<backend>`: everything a citizen
//!   checks offline (statement, chain, schema, receipt, inclusion proof,
//!   checkpoint signatures and a 2-of-3 witness quorum);
//! - `merkle/verify_inclusion` in a tree of a million entries.
//!
//! `<backend>` is `aws-lc-rs` when the `fast-verify` feature is on (the
//! default through `cli`) and `p256` without it:
//!
//! ```text
//! cargo bench -p ashlog --bench verify
//! cargo bench -p ashlog --bench verify --no-default-features --features pki
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use ashlog::chain::{CertChain, TrustAnchors};
use ashlog::checkpoint::Checkpoint;
use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle::{self, Hash};
use ashlog::note::Note;
use ashlog::pki::{Authority, Name};
use ashlog::policy::Policy;
use ashlog::receipt::{self, ReceiptHeader};
use ashlog::schema::{Document, Kind, Statement, fixtures};
use ashlog::statement::{SignedStatement, SignerId, StatementHeader};
use ashlog::vkey::NoteSigner;
use criterion::{Criterion, criterion_group, criterion_main};

const BACKEND: &str = if cfg!(feature = "fast-verify") {
    "aws-lc-rs"
} else {
    "p256"
};
const ORIGIN: &str = "bench.ashlog.invalid/log";
const ISS: &str = "https://dsj.wuxi.gov.cn";

struct Fixture {
    statement: Vec<u8>,
    anchors: TrustAnchors,
    transparent: Vec<u8>,
    policy: Policy,
}

fn name(cn: &str) -> Name {
    Name {
        common_name: cn.into(),
        organization: "ashlog bench".into(),
        country: "CN".into(),
    }
}

/// All nodes of a tree over `leaves` (`levels[l][i]` is node (l, i)).
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

fn node(levels: &[Vec<Hash>], n: &merkle::NodeId) -> Hash {
    levels[usize::from(n.level)][n.index as usize]
}

fn fixture() -> Fixture {
    let now = 1_780_000_000;
    let root =
        Authority::new_root(&name("Bench Root"), now - 86_400 * 400, now + 86_400 * 3650).unwrap();
    let ca = root
        .new_intermediate(
            &name("Bench Agency CA"),
            now - 86_400 * 400,
            now + 86_400 * 3650,
        )
        .unwrap();
    let key = P256SigningKey::generate().unwrap();
    let leaf = ca
        .issue(
            &key,
            &name("Bench Agency"),
            ISS,
            now - 86_400,
            now + 86_400 * 365,
        )
        .unwrap();
    let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
    let statement = StatementHeader {
        content_type: doc.envelope.kind.content_type().to_string(),
        iss: ISS.into(),
        sub: doc.envelope.subject.clone(),
        iat: now,
        signer: SignerId::X5Chain(vec![leaf, ca.cert_der().to_vec()]),
    }
    .sign(&doc.statement.to_cbor(), &key);
    let anchors = TrustAnchors::from_pem(&root.cert_pem()).unwrap();

    // A log of 1,000 entries with ours at index 700, a checkpoint signed by
    // both log keys and cosigned by three witnesses, and its receipt.
    let parsed = SignedStatement::parse(&statement).unwrap();
    let index = 700u64;
    let size = 1000u64;
    let mut leaves: Vec<Hash> = (0..size)
        .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
        .collect();
    leaves[index as usize] = parsed.leaf_hash();
    let lv = levels(leaves);
    let fold = |nodes: &[merkle::NodeId]| {
        merkle::fold_right(&nodes.iter().map(|n| node(&lv, n)).collect::<Vec<_>>()).unwrap()
    };
    let root_hash = fold(&merkle::root_nodes(size));
    let path = merkle::assemble_proof(&merkle::inclusion_steps(index, size).unwrap(), |ns| {
        Ok::<_, ()>(ns.iter().map(|n| node(&lv, n)).collect())
    })
    .unwrap();
    let p256 = P256SigningKey::generate().unwrap();
    let ed = Ed25519SigningKey::generate().unwrap();
    let log_signers = [
        NoteSigner::Rfc6962 {
            name: ORIGIN.into(),
            key: p256.clone(),
        },
        NoteSigner::Ed25519 {
            name: ORIGIN.into(),
            key: ed,
        },
    ];
    let witnesses: Vec<NoteSigner> = (0..3)
        .map(|i| NoteSigner::Cosignature {
            name: format!("w{i}.bench.ashlog.invalid/witness"),
            key: Ed25519SigningKey::generate().unwrap(),
        })
        .collect();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: root_hash,
    };
    let mut note = Note::new(&cp.to_text()).unwrap();
    for s in &log_signers {
        note.sign(s, now as u64 * 1000).unwrap();
    }
    for w in &witnesses {
        note.sign(w, now as u64).unwrap();
    }
    let protected = ReceiptHeader {
        kid: receipt::key_thumbprint(p256.public_key()).unwrap().to_vec(),
        iss: ORIGIN.into(),
        sub: None,
        iat: now,
    }
    .encode();
    let sig = receipt::sign_root(&protected, &root_hash, &p256);
    let note_text = String::from_utf8(note.to_bytes()).unwrap();
    let r = receipt::build(&protected, &sig, size, index, &path, Some(&note_text));
    let transparent = parsed.with_receipts(&[r]);
    let mut policy = String::new();
    for s in &log_signers {
        policy.push_str(&format!("log {}\n", s.verifier().unwrap().to_vkey()));
    }
    for (i, w) in witnesses.iter().enumerate() {
        policy.push_str(&format!(
            "witness w{i} {}\n",
            w.verifier().unwrap().to_vkey()
        ));
    }
    policy.push_str("group all 2 w0 w1 w2\nquorum all\n");
    let policy = Policy::parse(&policy).unwrap();
    ashlog::verify::verify_transparent_statement(&transparent, &policy, &anchors)
        .expect("the bench's Transparent Statement verifies");
    Fixture {
        statement,
        anchors,
        transparent,
        policy,
    }
}

// Out-of-line wrappers: each is one call per iteration whatever the
// optimiser does, so `valgrind --tool=callgrind` can count instructions per
// call exactly (this machine has no hardware counters), e.g. for
// before/after comparisons on a busy machine.
#[inline(never)]
fn schema_once(payload: &[u8]) -> Statement {
    Statement::from_cbor(Kind::Destruction, payload).unwrap()
}

#[inline(never)]
fn citizen_once(f: &Fixture) -> ashlog::verify::Verified {
    ashlog::verify::verify_transparent_statement(black_box(&f.transparent), &f.policy, &f.anchors)
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let parsed = SignedStatement::parse(&f.statement).unwrap();
    let ders = parsed.x5chain().unwrap().to_vec();
    let validated = CertChain::from_der_list(ders.clone())
        .unwrap()
        .validate(&f.anchors, &[parsed.iat])
        .unwrap();

    c.bench_function("statement/parse", |b| {
        b.iter(|| SignedStatement::parse(black_box(&f.statement)).unwrap())
    });
    c.bench_function("statement/schema", |b| {
        b.iter(|| schema_once(black_box(parsed.payload())))
    });
    c.bench_function("statement/registered_bytes+sha256", |b| {
        b.iter(|| black_box(&parsed).entry())
    });
    c.bench_function("chain/parse", |b| {
        b.iter(|| CertChain::from_der_list(black_box(ders.clone())).unwrap())
    });
    c.bench_function(&format!("chain/validate/{BACKEND}"), |b| {
        b.iter(|| {
            CertChain::from_der_list(black_box(ders.clone()))
                .unwrap()
                .validate(&f.anchors, &[parsed.iat])
                .unwrap()
        })
    });
    c.bench_function(&format!("es256/statement_signature/{BACKEND}"), |b| {
        b.iter(|| {
            black_box(&parsed)
                .verify_signature(validated.leaf_key())
                .unwrap()
        })
    });
    c.bench_function(
        &format!("citizen/verify_transparent_statement/{BACKEND}"),
        |b| b.iter(|| citizen_once(&f)),
    );

    // Inclusion proof check in a tree of 2^20 entries (20 hashes).
    let size = 1u64 << 20;
    let leaf = merkle::leaf_hash(b"bench");
    let path: Vec<Hash> = (0..20u8).map(|i| Hash([i; 32])).collect();
    let root = merkle::root_from_inclusion(12_345, size, &leaf, &path).unwrap();
    c.bench_function("merkle/verify_inclusion_2^20", |b| {
        b.iter(|| merkle::verify_inclusion(12_345, size, black_box(&leaf), &path, &root).unwrap())
    });
}

criterion_group!(verify, benches);
criterion_main!(verify);
