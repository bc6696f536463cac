//! The witness's add-checkpoint bodies, parsed and processed against an
//! in-memory witness of the demo log. Input: one byte picking what the
//! witness holds (see `ashlog_fuzz::witness`), then the body.
#![no_main]
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((held, body)) = data.split_first() else {
        return;
    };
    let _ = ashlog_witness::parse_request(body);
    let witness = ashlog_fuzz::witness(*held);
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    if let Ok(out) = ashlog_witness::process_add_checkpoint(&witness, body, now) {
        // What it stored is what it will read back next time.
        let again =
            witness.checkpoint_by_origin_hash(&ashlog_witness::origin_hash(&out.checkpoint.origin));
        assert_eq!(again.ok().flatten(), Some(out.stored_note));
    }
});
