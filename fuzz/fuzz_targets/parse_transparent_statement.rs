//! Transparent Statements (statement + receipt) verified end to end with the
//! demo's policy and anchors: what `ashlog verify <file>` does.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ashlog::verify::verify_transparent_statement(
        data,
        ashlog_fuzz::policy(),
        ashlog_fuzz::anchors(),
    );
});
