//! C2SP note verifier keys (`name+hex8+base64`), as policies carry them.
#![no_main]
use ashlog::vkey::VerifierKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(k) = VerifierKey::parse(text) {
        let again = VerifierKey::parse(&k.to_vkey()).expect("to_vkey parses");
        assert_eq!(again, k);
        let _ = k.verify("o\n1\nAAAA\n", &[0u8; 72]);
    }
});
