//! COSE Receipts (RFC 9942) as the log serves them at `/entries/{id}`.
#![no_main]
use ashlog::merkle::Hash;
use ashlog::receipt::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Receipt::parse(data) {
        let _ = r.root_for(&Hash([0x42; 32]));
        if let Some(note) = &r.checkpoint {
            let _ = ashlog_fuzz::policy().evaluate(note.as_bytes());
        }
    }
});
