//! tlog-checkpoint bodies, and signed checkpoints opened with fixed keys.
#![no_main]
use ashlog::checkpoint::{self, Checkpoint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(cp) = Checkpoint::parse(text)
    {
        // One checkpoint, one spelling.
        assert_eq!(cp.to_text(), text);
    }
    let _ = checkpoint::open(data, ashlog_fuzz::DEMO_ORIGIN, ashlog_fuzz::note_keys());
});
