//! Durability: SIGKILL with submissions in flight, restart, and prove from
//! outside that every acknowledged entry is present at its index and every
//! checkpoint served before the kill is consistent with those after.

use ashlog_tests::crashloop::{CrashLoopOptions, run};

/// The short form of the crash loop (the long form is `ashlog-crashloop
/// --kills 50`): five kills of the log under load from four writers,
/// witnesses killed at random too.
#[test]
fn sigkill_under_load_loses_nothing_and_forks_nothing() {
    let opts = CrashLoopOptions {
        kills: 5,
        ..CrashLoopOptions::default()
    };
    eprintln!("seed {}", opts.seed);
    let r = run(&opts, |l| eprintln!("{l}")).unwrap();
    assert_eq!(r.kills, 5);
    assert_eq!(r.lost, 0);
    assert_eq!(r.forks, 0);
    assert!(r.acked > 20, "too little load to mean anything: {r:?}");
}

/// SIGTERM while registrations are in flight: the log stops accepting,
/// finishes the batch in flight, exits cleanly, and after a restart every
/// acknowledged entry is there and published.
#[test]
fn sigterm_finishes_the_batch_in_flight() {
    use ashlog::merkle::Hash;
    use ashlog::schema::{Document, fixtures};
    use ashlog_tests::check::{Ack, check_log};
    use ashlog_tests::client;
    use ashlog_tests::world::{PUBLISH_TIMEOUT, World, WorldOptions, now};
    use std::sync::{Arc, Mutex};

    let mut world = World::start(WorldOptions::default()).unwrap();
    let policy = ashlog::policy::Policy::parse(&world.citizen_policy().unwrap()).unwrap();
    let agency = Arc::new(world.agency("https://dsj.wuxi.gov.cn").unwrap());
    let doc = Arc::new(Document::from_toml(fixtures::WUXI_TAKEDOWN).unwrap());
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (url, agency, doc, acks) =
                (world.url.clone(), agency.clone(), doc.clone(), acks.clone());
            std::thread::spawn(move || {
                for i in 0..1000i64 {
                    let stmt = agency.sign_document(&doc, now() - 1_000_000 - w * 10_000 - i);
                    let entry = Hash(
                        sha2::Digest::finalize(sha2::Digest::chain_update(
                            sha2::Sha256::default(),
                            &stmt,
                        ))
                        .into(),
                    );
                    match client::post_statement(&url, &stmt, None) {
                        Ok(r) if r.status == 303 => {
                            let index = r
                                .header("location")
                                .unwrap()
                                .rsplit('.')
                                .next()
                                .unwrap()
                                .parse()
                                .unwrap();
                            acks.lock().unwrap().push(Ack { index, entry });
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let mut log = world.log.take().unwrap();
    let started = std::time::Instant::now();
    log.terminate();
    let status = log.process.wait().unwrap();
    assert!(
        status.success(),
        "graceful stop must exit 0, got {status:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    for w in writers {
        w.join().unwrap();
    }
    let text = std::fs::read_to_string(&log.log).unwrap();
    assert!(text.contains("finishing the batch in flight"), "{text}");
    drop(log);
    world.start_log().unwrap();
    let acks = acks.lock().unwrap().clone();
    assert!(acks.len() > 10);
    let want = acks.iter().map(|a| a.index + 1).max().unwrap();
    world.wait_published(want, PUBLISH_TIMEOUT).unwrap();
    check_log(&world.url, &policy, &[], &acks).unwrap();
}
