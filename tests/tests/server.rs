//! The log on its own: registration of every kind, every rejection reason,
//! receipts, tiles, idempotency.

use ashlog::merkle::{self, Hash};
use ashlog::schema::{Document, Kind, fixtures};
use ashlog::tile::{self, TilePath};
use ashlog_tests::client;
use ashlog_tests::world::{Agency, PUBLISH_TIMEOUT, World, WorldOptions, now};
use ciborium::Value;

/// Steps:
/// 1. start a log with three witnesses;
/// 2. register one statement of every kind;
/// 3. each gets a witnessed receipt that verifies with the library.
#[test]
fn registers_every_kind_and_receipts_verify() {
    let world = World::start(WorldOptions::default()).unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let mut ids = Vec::new();
    for (_, text) in fixtures::all() {
        let doc = Document::from_toml(text).unwrap();
        let stmt = agency.sign_document(&doc, now());
        ids.push(client::register(&world.url, &stmt).unwrap());
    }
    assert_eq!(ids, vec!["1.1", "1.2", "1.3", "1.4"]);
    let policy = ashlog::policy::Policy::parse(&world.citizen_policy().unwrap()).unwrap();
    let anchors = ashlog::chain::TrustAnchors::from_pem(&world.root.cert_pem()).unwrap();
    for id in &ids {
        let ts = client::poll_ready(
            &world.url,
            &format!("/entries/{id}/statement"),
            PUBLISH_TIMEOUT,
        )
        .unwrap();
        let v = ashlog::verify::verify_transparent_statement(&ts, &policy, &anchors)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(v.entry_id.to_string(), *id);
        assert!(v.cosigners.len() >= 2);
        // The bare receipt at GET /entries/{id} verifies too.
        let receipt =
            client::poll_ready(&world.url, &format!("/entries/{id}"), PUBLISH_TIMEOUT).unwrap();
        let r = ashlog::receipt::Receipt::parse(&receipt).unwrap();
        assert_eq!(r.leaf_index, v.entry_id.index);
        // And the C2SP tlog-proof of the same entry.
        let tp = client::poll_ready(
            &world.url,
            &format!("/entries/{id}/tlog-proof"),
            PUBLISH_TIMEOUT,
        )
        .unwrap();
        ashlog::tlog_proof::TlogProof::parse(&tp)
            .unwrap()
            .verify(&v.leaf_hash, &policy)
            .unwrap();
    }
    // Entry 0 is the log's policy statement.
    let ts = client::poll_ready(&world.url, "/entries/1.0/statement", PUBLISH_TIMEOUT).unwrap();
    let s = ashlog::statement::SignedStatement::parse(&ts).unwrap();
    assert_eq!(s.content_type, Kind::Policy.content_type());
}

/// Registering the same statement twice yields one entry: same id, tree
/// unchanged; `Prefer: wait` gives 201 with the receipt.
#[test]
fn registering_twice_yields_one_entry() {
    let world = World::start(WorldOptions::default()).unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
    let stmt = agency.sign_document(&doc, now());
    let first = client::post_statement(&world.url, &stmt, Some(10)).unwrap();
    assert_eq!(first.status, 201, "{:?}", first.problem());
    assert_eq!(first.header("location").as_deref(), Some("/entries/1.1"));
    ashlog::receipt::Receipt::parse(&first.body).unwrap();
    let size = client::tree_size(&world.url).unwrap();
    for _ in 0..3 {
        assert_eq!(client::register(&world.url, &stmt).unwrap(), "1.1");
    }
    // A Transparent Statement (with receipts) registers as the same entry.
    let ts = client::poll_ready(&world.url, "/entries/1.1/statement", PUBLISH_TIMEOUT).unwrap();
    assert_eq!(client::register(&world.url, &ts).unwrap(), "1.1");
    assert_eq!(client::tree_size(&world.url).unwrap(), size);
}

/// The tiles and statement bundles the log serves recompute the published
/// checkpoint's root, and the entry bundles match the leaves.
#[test]
fn tiles_recompute_the_checkpoint_root() {
    let world = World::start(WorldOptions::default()).unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let doc = Document::from_toml(fixtures::WUXI_TAKEDOWN).unwrap();
    // 300 distinct statements: more than one tile. One base time: with
    // now() read per statement, a second boundary crossed while signing
    // gave two of them the same iat, hence the same bytes, and the log
    // rightly kept one entry for both (the checkpoint stayed at 300).
    let base = now();
    let bodies: Vec<Vec<u8>> = (0..300)
        .map(|i| agency.sign_document(&doc, base - i))
        .collect();
    std::thread::scope(|s| {
        for chunk in bodies.chunks(75) {
            let url = world.url.clone();
            s.spawn(move || {
                for b in chunk {
                    client::register(&url, b).unwrap();
                }
            });
        }
    });
    let cp = world.wait_published(301, PUBLISH_TIMEOUT).unwrap();
    assert_eq!(cp.size, 301);
    let mut leaves = Vec::new();
    for (index, width) in tile::bundles_for_size(cp.size) {
        let path = TilePath::Statements { index, width }.to_path();
        let r = client::get(&world.url, &format!("/{path}")).unwrap();
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("cache-control").unwrap().contains("immutable"));
        let stmts = tile::parse_statement_bundle(&r.body, width).unwrap();
        let entries_path = TilePath::Entries { index, width }.to_path();
        let e = client::get(&world.url, &format!("/{entries_path}")).unwrap();
        let entries = tile::parse_entry_bundle(&e.body, width).unwrap();
        for (s, e) in stmts.iter().zip(entries) {
            let digest = Hash(
                sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), s))
                    .into(),
            );
            assert_eq!(digest.0.as_slice(), e);
            leaves.push(merkle::leaf_hash(&digest.0));
        }
    }
    assert_eq!(merkle::root(&leaves), cp.root);
    for t in tile::tiles_for_size(cp.size) {
        let r = client::get(&world.url, &format!("/{}", t.path())).unwrap();
        assert_eq!(r.status, 200, "{}", t.path());
        if t.level == 0 {
            let start = (t.index * 256) as usize;
            let want: Vec<u8> = leaves[start..start + usize::from(t.width)]
                .iter()
                .flat_map(|h| h.0)
                .collect();
            assert_eq!(r.body, want, "{}", t.path());
        }
    }
    // Tiles beyond the published tree are not served; nonsense paths are 400.
    assert_eq!(client::get(&world.url, "/tile/0/001").unwrap().status, 404);
    assert_eq!(
        client::get(&world.url, "/tile/0/..%2f..%2fetc%2fpasswd")
            .unwrap()
            .status,
        400
    );
    assert_eq!(
        client::get(&world.url, "/tile/0/000.p/0").unwrap().status,
        400
    );
    assert_eq!(
        client::get(&world.url, "/checkpoint")
            .unwrap()
            .header("cache-control")
            .as_deref(),
        Some("no-cache")
    );
}

fn signed_with_protected(agency: &Agency, protected: Value, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    ciborium::ser::into_writer(&protected, &mut p).unwrap();
    let sig = agency
        .key
        .sign_es256(&ashlog::statement::sig_structure(&p, payload));
    let msg = Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(p),
            Value::Map(vec![]),
            Value::Bytes(payload.to_vec()),
            Value::Bytes(sig.to_vec()),
        ])),
    );
    let mut out = Vec::new();
    ciborium::ser::into_writer(&msg, &mut out).unwrap();
    out
}

fn protected(agency: &Agency, alg: i64, ct: &str, iat: i64) -> Value {
    let chain: Vec<Value> = agency
        .chain
        .iter()
        .map(|c| Value::Bytes(c.clone()))
        .collect();
    Value::Map(vec![
        (Value::from(1), Value::from(alg)),
        (Value::from(3), Value::from(ct)),
        (
            Value::from(15),
            Value::Map(vec![
                (Value::from(1), Value::from(agency.iss.clone())),
                (Value::from(2), Value::from("s")),
                (Value::from(6), Value::from(iat)),
            ]),
        ),
        (Value::from(33), Value::Array(chain)),
    ])
}

/// Every rejection reason: the status, the problem-details title, and the
/// tree did not change.
#[test]
fn every_rejection_has_its_status_and_title_and_changes_nothing() {
    let world = World::start(WorldOptions {
        registration: vec![
            "issuer_rate_per_sec = 0.01".into(),
            "issuer_burst = 3".into(),
        ],
        ..WorldOptions::default()
    })
    .unwrap();
    let url = world.url.clone();
    let iss = "https://dsj.wuxi.gov.cn";
    let agency = world.agency(iss).unwrap();
    let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
    let payload = doc.statement.to_cbor();
    let ct = Kind::Destruction.content_type();
    let t = now();
    let day = 86_400;

    let other_root = ashlog::pki::Authority::new_root(
        &ashlog::pki::Name {
            common_name: "Rogue CA".into(),
            organization: "x".into(),
            country: "CN".into(),
        },
        t - day,
        t + day,
    )
    .unwrap();
    let rogue_key = ashlog::keys::P256SigningKey::generate().unwrap();
    let rogue = Agency {
        chain: vec![
            other_root
                .issue(
                    &rogue_key,
                    &ashlog::pki::Name {
                        common_name: "Rogue".into(),
                        organization: "x".into(),
                        country: "CN".into(),
                    },
                    iss,
                    t - day,
                    t + day,
                )
                .unwrap(),
        ],
        key: rogue_key,
        iss: iss.into(),
    };
    let expired = world.agency_valid(iss, t - 10 * day, t - day).unwrap();
    let not_yet = world.agency_valid(iss, t + day, t + 10 * day).unwrap();
    let no_ds = {
        let key = ashlog::keys::P256SigningKey::generate().unwrap();
        let leaf = world
            .agency_ca
            .issue_with(
                &key,
                &ashlog::pki::Name {
                    common_name: "No DS".into(),
                    organization: "x".into(),
                    country: "CN".into(),
                },
                iss,
                t - day,
                t + day,
                &ashlog::pki::LeafOptions {
                    digital_signature: false,
                },
            )
            .unwrap();
        Agency {
            key,
            chain: vec![leaf, world.agency_ca.cert_der().to_vec()],
            iss: iss.into(),
        }
    };
    let missing_field = {
        let mut v: Value = ciborium::de::from_reader(&payload[..]).unwrap();
        if let Value::Map(m) = &mut v {
            m.retain(|(k, _)| k.as_text() != Some("record_count"));
        }
        let mut out = Vec::new();
        ciborium::ser::into_writer(&v, &mut out).unwrap();
        out
    };
    let mut bad_sig = agency.sign_document(&doc, t);
    let n = bad_sig.len();
    bad_sig[n - 3] ^= 1;
    let mismatched = Agency {
        key: agency.key.clone(),
        chain: agency.chain.clone(),
        iss: "https://other-agency.example".into(),
    };

    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        (
            "garbage",
            b"not cbor at all".to_vec(),
            400,
            "Malformed request",
            "",
        ),
        (
            "untagged",
            agency.sign_document(&doc, t)[1..].to_vec(),
            400,
            "Malformed request",
            "",
        ),
        (
            "wrong alg",
            signed_with_protected(&agency, protected(&agency, -35, ct, t), &payload),
            400,
            "Bad Signature Algorithm",
            "",
        ),
        ("bad signature", bad_sig, 400, "Invalid Signature", ""),
        (
            "unknown CA",
            rogue.sign_document(&doc, t),
            400,
            "Untrusted Certificate Chain",
            "Rogue CA",
        ),
        (
            "expired",
            expired.sign_document(&doc, t - 2 * day),
            400,
            "Certificate Expired",
            "expired",
        ),
        (
            "not yet valid",
            not_yet.sign_document(&doc, t),
            400,
            "Certificate Not Yet Valid",
            "",
        ),
        (
            "no digitalSignature",
            no_ds.sign_document(&doc, t),
            400,
            "Certificate Not Allowed To Sign",
            "digitalSignature",
        ),
        (
            "schema",
            agency.sign_raw(ct, "s", &missing_field, t),
            400,
            "Schema Violation",
            "record_count",
        ),
        (
            "future iat",
            agency.sign_document(&doc, t + 3600),
            400,
            "Signing Time In The Future",
            "",
        ),
        (
            "issuer mismatch",
            mismatched.sign_document(&doc, t),
            400,
            "Issuer Mismatch",
            "other-agency",
        ),
        (
            "unknown kind",
            agency.sign_raw("application/json", "s", b"{}", t),
            400,
            "Kind Not Accepted",
            "",
        ),
        (
            "policy kind",
            agency.sign_raw(Kind::Policy.content_type(), "s", &payload, t),
            400,
            "Kind Not Accepted",
            "",
        ),
        (
            "oversize",
            vec![0u8; 70 * 1024],
            413,
            "Payload Too Large",
            "",
        ),
    ];
    let before = client::tree_size(&url).unwrap();
    for (name, body, status, title, detail) in &cases {
        let r = client::post_statement(&url, body, None).unwrap();
        let (got_title, got_detail) = r
            .problem()
            .unwrap_or_else(|| panic!("{name}: no problem details, status {}", r.status));
        assert_eq!(r.status, *status, "{name}: {got_title}: {got_detail}");
        assert_eq!(&got_title, title, "{name}: {got_detail}");
        assert!(
            got_detail.contains(detail),
            "{name}: {got_detail:?} should mention {detail:?}"
        );
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/concise-problem-details+cbor")
        );
    }
    // Wrong media type.
    let r = client::http()
        .post(format!("{url}/entries"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    assert_eq!(
        client::tree_size(&url).unwrap(),
        before,
        "a rejection changed the tree"
    );

    // Rate limit: burst 3, then 429 with Retry-After; nothing written.
    for i in 0..3 {
        client::register(&url, &agency.sign_document(&doc, t - i)).unwrap();
    }
    let after_burst = client::tree_size(&url).unwrap();
    let r = client::post_statement(&url, &agency.sign_document(&doc, t - 10), None).unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.problem().unwrap().0, "Too Many Requests");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(client::tree_size(&url).unwrap(), after_burst);
    // Another issuer is not affected.
    let other = world.agency("https://notary.example.org").unwrap();
    let edoc = Document::from_toml(fixtures::NOTARY_ENDORSEMENT).unwrap();
    client::register(&url, &other.sign_document(&edoc, t)).unwrap();
    // Unknown entries and bad locators.
    assert_eq!(client::get(&url, "/entries/1.999999").unwrap().status, 404);
    assert_eq!(client::get(&url, "/entries/01.1").unwrap().status, 400);
    assert_eq!(client::get(&url, "/entries/2.1").unwrap().status, 404);
}
