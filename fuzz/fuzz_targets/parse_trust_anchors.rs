//! PEM files: trust anchors (`--roots`) and agency chains.
#![no_main]
use ashlog::chain::{CertChain, TrustAnchors};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = TrustAnchors::from_pem(text) {
        for anchor in a.iter() {
            let _ = (anchor.subject(), anchor.to_pem());
        }
    }
    if let Ok(c) = CertChain::from_pem(text) {
        let _ = c.validate(ashlog_fuzz::anchors(), &[1_700_000_000]);
    }
});
