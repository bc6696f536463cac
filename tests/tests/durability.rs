//! Durability: SIGKILL with submissions in flight, restart, and prove from
//! outside that every acknowledged entry is present at its index and every
//! checkpoint served before the kill is consistent with those after.

use ashlog_tests::crashloop::{CrashLoopOptions, run};

/// The short form of the crash loop (the long form is `ashlog-crashloop
/// --kills 50`): three kills of the log under load from four writers,
/// witnesses killed at random too.
#[test]
fn sigkill_under_load_loses_nothing_and_forks_nothing() {
    let opts = CrashLoopOptions {
        kills: 3,
        ..CrashLoopOptions::default()
    };
    eprintln!("seed {}", opts.seed);
    let r = run(&opts, |l| eprintln!("{l}")).unwrap();
    assert_eq!(r.kills, 3);
    assert_eq!(r.lost, 0);
    assert_eq!(r.forks, 0);
    assert!(r.acked > 20, "too little load to mean anything: {r:?}");
}
