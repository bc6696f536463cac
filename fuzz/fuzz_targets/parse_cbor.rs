//! The strict CBOR gate every CBOR input passes first.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ashlog::cbor::check_strict(data);
});
