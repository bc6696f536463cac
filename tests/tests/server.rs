//! The log on its own: registration, rejections, receipts, tiles.

use std::time::Duration;

use ashlog::schema::{Document, fixtures};
use ashlog_tests::client;
use ashlog_tests::world::{World, WorldOptions, now};

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
            Duration::from_secs(20),
        )
        .unwrap();
        let v = ashlog::verify::verify_transparent_statement(&ts, &policy, &anchors)
            .unwrap_or_else(|e| {
                world.dump_logs();
                panic!("{id}: {e}")
            });
        assert_eq!(v.entry_id.to_string(), *id);
        assert!(v.cosigners.len() >= 2);
    }
}
