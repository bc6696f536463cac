//! Storage faults injected into the running log (its redb backend fails
//! writes as a full disk would, fails fsync, or fails reads, following a
//! control file): the log answers 503 with Retry-After, acknowledges nothing
//! it did not persist, signs nothing new, and recovers when the fault clears.

use std::time::{Duration, Instant};

use ashlog::merkle::Hash;
use ashlog::policy::Policy;
use ashlog::schema::{Document, fixtures};
use ashlog_tests::check::{Ack, check_log};
use ashlog_tests::client;
use ashlog_tests::world::{PUBLISH_TIMEOUT, World, WorldOptions, now};

fn ack(url: &str, stmt: &[u8]) -> Ack {
    let id = client::register(url, stmt).unwrap();
    Ack {
        index: id.rsplit('.').next().unwrap().parse().unwrap(),
        entry: Hash(
            sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), stmt))
                .into(),
        ),
    }
}

fn wait_health(url: &str, want: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while client::get(url, "/healthz").map(|r| r.status).unwrap_or(0) != want {
        assert!(Instant::now() < deadline, "/healthz never answered {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// For each fault (disk full, fsync error, read error): 503 + Retry-After
/// while it lasts, nothing acknowledged or signed, then full recovery and an
/// outside check of the whole log.
#[test]
fn storage_faults_answer_503_and_recover() {
    let world = World::start(WorldOptions {
        fault_file: true,
        ..WorldOptions::default()
    })
    .unwrap();
    let url = world.url.clone();
    let policy = Policy::parse(&world.citizen_policy().unwrap()).unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
    let mut iat = now() - 10_000;
    let mut sign = || {
        iat += 1;
        agency.sign_document(&doc, iat)
    };
    let mut acks = vec![ack(&url, &sign())];
    let fault = world.path("fault");
    let mut injected = 0;
    for mode in ["disk-full", "sync-error"] {
        world
            .wait_published(acks.last().unwrap().index + 1, PUBLISH_TIMEOUT)
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let signed_before = client::metric(&url, "ashlog_checkpoints_signed_total").unwrap();
        let size_before = client::checkpoint(&url).unwrap().size;
        std::fs::write(&fault, mode).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let pending = sign();
        for _ in 0..3 {
            let r = client::post_statement(&url, &pending, None).unwrap();
            assert_eq!(r.status, 503, "{mode}: {:?}", r.problem());
            assert_eq!(r.problem().unwrap().0, "Service Unavailable");
            assert_eq!(r.header("retry-after").as_deref(), Some("1"));
            injected += 1;
        }
        wait_health(&url, 503);
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            client::metric(&url, "ashlog_checkpoints_signed_total").unwrap(),
            signed_before,
            "{mode}: signed a checkpoint while storage was failing"
        );
        std::fs::remove_file(&fault).unwrap();
        wait_health(&url, 200);
        // The statement refused during the fault now registers once; if the
        // failed commit had in fact reached the disk it is found, not added
        // twice.
        let a = ack(&url, &pending);
        assert!(a.index >= size_before, "{mode}");
        acks.push(a);
        acks.push(ack(&url, &sign()));
        world
            .wait_published(acks.last().unwrap().index + 1, PUBLISH_TIMEOUT)
            .unwrap();
        let observed = vec![client::checkpoint(&url).unwrap()];
        check_log(&url, &policy, &observed, &acks).unwrap_or_else(|e| panic!("{mode}: {e}"));
    }
    // Read errors: redb serves hot pages from its cache, so reads may well
    // succeed; whatever happens, every answer is a success or a 503, and the
    // log is whole afterwards.
    std::fs::write(&fault, "read-error").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let pending = sign();
    for path in [
        "/checkpoint",
        "/entries/1.1",
        "/tile/0/000.p/1",
        "/statements/000.p/1",
    ] {
        let r = client::get(&url, path).unwrap();
        assert!(r.status == 200 || r.status == 503, "{path}: {}", r.status);
    }
    let r = client::post_statement(&url, &pending, None).unwrap();
    assert!(
        r.status == 303 || r.status == 503,
        "POST under read errors: {}",
        r.status
    );
    std::fs::remove_file(&fault).unwrap();
    wait_health(&url, 200);
    acks.push(ack(&url, &pending));
    world
        .wait_published(acks.last().unwrap().index + 1, PUBLISH_TIMEOUT)
        .unwrap();
    check_log(&url, &policy, &[], &acks).unwrap();
    eprintln!(
        "faults injected and recovered: {injected} requests refused with 503 over 2 write-fault kinds, then read errors"
    );
}

/// Faults that strike while registrations are in flight, so they land in
/// the middle of batch commits and of integration: disk-full and fsync
/// errors switched on and off six times under load from four writers. Every
/// answer is a 303 or a 503 (never another status), no checkpoint is signed
/// while a fault lasts, every 303 is in the log afterwards at its index, and
/// every checkpoint observed during the run is consistent with the last.
#[test]
fn storage_faults_under_load_lose_nothing() {
    use ashlog_tests::load::{Load, Tally};
    use std::sync::{Arc, Mutex};

    let world = World::start(WorldOptions {
        fault_file: true,
        ..WorldOptions::default()
    })
    .unwrap();
    let url = world.url.clone();
    let policy = Policy::parse(&world.citizen_policy().unwrap()).unwrap();
    let agency = Arc::new(world.agency("https://dsj.wuxi.gov.cn").unwrap());
    let doc = Arc::new(Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap());
    let tally: Arc<Tally> = Arc::default();
    let observed: Arc<Mutex<Vec<ashlog::checkpoint::Checkpoint>>> = Arc::default();
    let mut load = Load::start(&url, &agency, &doc, 4, &tally);
    load.observe(vec![(url.clone(), "/checkpoint".into())], &observed);

    let fault = world.path("fault");
    let mut signed_during_faults = 0.0;
    for cycle in 0..6 {
        let mode = if cycle % 2 == 0 {
            "disk-full"
        } else {
            "sync-error"
        };
        std::thread::sleep(Duration::from_millis(700));
        std::fs::write(&fault, mode).unwrap();
        // A checkpoint whose tree was durable before the fault may still be
        // finishing; after this the log must sign nothing until it clears.
        std::thread::sleep(Duration::from_millis(300));
        let before = client::metric(&url, "ashlog_checkpoints_signed_total").unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let after = client::metric(&url, "ashlog_checkpoints_signed_total").unwrap();
        signed_during_faults += after - before;
        std::fs::remove_file(&fault).unwrap();
        wait_health(&url, 200);
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(load.stop(), "a load thread panicked");

    // A 503 without Retry-After: 1, another status or no answer at all.
    let unexpected = tally.other();
    assert!(
        unexpected.is_empty(),
        "answers other than 303/503: {unexpected:?}"
    );
    assert_eq!(signed_during_faults, 0.0, "signed while storage failed");
    let acks = tally.acks();
    let refused = tally.refused();
    assert!(refused > 0, "no fault reached a registration");
    assert!(acks.len() > 20, "too little load to mean anything");
    let want = acks.iter().map(|a| a.index + 1).max().unwrap();
    world.wait_published(want, PUBLISH_TIMEOUT).unwrap();
    let observed = observed.lock().unwrap().clone();
    let r = check_log(&url, &policy, &observed, &acks).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "FAULT | 6 disk-full/fsync faults under load | {} acknowledged, all present | {refused} refused with 503 | 0 signed during faults | {} observed checkpoints consistent | tree size {}",
        acks.len(),
        r.consistent,
        r.size
    );
}
