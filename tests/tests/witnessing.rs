//! A log with three witnesses and quorum 2: it publishes cosigned
//! checkpoints, keeps publishing with one witness down, stops publishing
//! (but keeps registering) with two down, and resumes when one returns.

use std::time::{Duration, Instant};

use ashlog::policy::Policy;
use ashlog::schema::{Document, fixtures};
use ashlog_tests::client;
use ashlog_tests::world::{PUBLISH_TIMEOUT, World, WorldOptions, now};

fn published_verdict(world: &World, policy: &Policy) -> ashlog::policy::Verdict {
    let r = client::get(&world.url, "/checkpoint").unwrap();
    policy
        .require(&r.body)
        .unwrap_or_else(|e| panic!("published checkpoint fails the policy: {e}"))
}

/// Steps:
/// 1. three witnesses, quorum 2: statements get receipts whose checkpoints
///    satisfy the policy;
/// 2. witness 0 stopped: still published, by the other two;
/// 3. witness 1 stopped too: registrations still get 303, nothing new is
///    published, the published checkpoint stays put;
/// 4. witness 1 back: the pending entries are published;
/// 5. witness 0 back: it catches up (its metrics show the latest size).
#[test]
fn quorum_two_of_three_survives_one_and_waits_for_two() {
    let mut world = World::start(WorldOptions::default()).unwrap();
    let policy = Policy::parse(&world.citizen_policy().unwrap()).unwrap();
    let anchors = ashlog::chain::TrustAnchors::from_pem(&world.root.cert_pem()).unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
    let mut iat = now() - 1000;
    let mut next = || {
        iat += 1;
        agency.sign_document(&doc, iat)
    };

    // 1.
    let id = client::register(&world.url, &next()).unwrap();
    let ts = client::poll_ready(
        &world.url,
        &format!("/entries/{id}/statement"),
        PUBLISH_TIMEOUT,
    )
    .unwrap();
    let v = ashlog::verify::verify_transparent_statement(&ts, &policy, &anchors).unwrap();
    assert!(v.cosigners.len() >= 2);
    assert!(published_verdict(&world, &policy).cosigners.len() >= 2);

    // 2.
    world.kill_witness(0);
    let id = client::register(&world.url, &next()).unwrap();
    let ts = client::poll_ready(
        &world.url,
        &format!("/entries/{id}/statement"),
        PUBLISH_TIMEOUT,
    )
    .unwrap();
    let v = ashlog::verify::verify_transparent_statement(&ts, &policy, &anchors).unwrap();
    let names: Vec<&str> = v.cosigners.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(!names.contains(&"w0"));

    // 3.
    world.kill_witness(1);
    let stuck = client::checkpoint(&world.url).unwrap();
    let mut pending = Vec::new();
    for _ in 0..5 {
        let r = client::post_statement(&world.url, &next(), None).unwrap();
        assert_eq!(r.status, 303, "registration must go on without witnesses");
        pending.push(r.header("location").unwrap());
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        client::checkpoint(&world.url).unwrap(),
        stuck,
        "published without a quorum"
    );
    let r = client::get(&world.url, &pending[4]).unwrap();
    assert_eq!(r.status, 302);
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    assert!(client::tree_size(&world.url).unwrap() > stuck.size);

    // 4.
    world.start_witness(1).unwrap();
    let started = Instant::now();
    let cp = world
        .wait_published(stuck.size + 5, PUBLISH_TIMEOUT)
        .unwrap();
    eprintln!(
        "published {} {:?} after witness 1 returned",
        cp.size,
        started.elapsed()
    );
    for loc in &pending {
        let id = loc.trim_start_matches("/entries/");
        let ts = client::poll_ready(
            &world.url,
            &format!("/entries/{id}/statement"),
            PUBLISH_TIMEOUT,
        )
        .unwrap();
        ashlog::verify::verify_transparent_statement(&ts, &policy, &anchors).unwrap();
    }
    let verdict = published_verdict(&world, &policy);
    assert!(verdict.cosigners.iter().any(|(n, _)| n == "w1"));

    // 5.
    world.start_witness(0).unwrap();
    let id = client::register(&world.url, &next()).unwrap();
    client::poll_ready(&world.url, &format!("/entries/{id}"), PUBLISH_TIMEOUT).unwrap();
    let deadline = Instant::now() + PUBLISH_TIMEOUT;
    loop {
        let m = client::get(&world.url, "/metrics").unwrap();
        let text = String::from_utf8_lossy(&m.body).into_owned();
        let size = client::checkpoint(&world.url).unwrap().size;
        if text.contains(&format!(
            "ashlog_witness_cosigned_size{{witness=\"w0\"}} {size}"
        )) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "witness 0 never caught up:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// With quorum none (development) checkpoints publish without witnesses.
#[test]
fn quorum_none_publishes_at_once() {
    let world = World::start(WorldOptions {
        witnesses: 0,
        quorum: 0,
        ..WorldOptions::default()
    })
    .unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let doc = Document::from_toml(fixtures::WUXI_TAKEDOWN).unwrap();
    let r =
        client::post_statement(&world.url, &agency.sign_document(&doc, now()), Some(10)).unwrap();
    assert_eq!(r.status, 201);
    let policy = Policy::parse(&world.citizen_policy().unwrap()).unwrap();
    assert!(policy.requires_no_witnesses());
    policy
        .require(&client::get(&world.url, "/checkpoint").unwrap().body)
        .unwrap();
}
