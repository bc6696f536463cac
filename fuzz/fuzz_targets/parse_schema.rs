//! Statement payloads (CBOR) under every kind's schema.
#![no_main]
use ashlog::schema::{Kind, Statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in Kind::ALL {
        if let Ok(s) = Statement::from_cbor(kind, data) {
            // What we accept, we can write back and read again.
            let again = Statement::from_cbor(kind, &s.to_cbor()).expect("re-encoding parses");
            assert_eq!(again, s);
            // An independent decoder reads the same statement out of the accepted bytes.
            let theirs = match kind {
                Kind::Destruction => ciborium::from_reader(data).map(Statement::Destruction),
                Kind::Takedown => ciborium::from_reader(data).map(Statement::Takedown),
                Kind::Endorsement => ciborium::from_reader(data).map(Statement::Endorsement),
                Kind::Correction => ciborium::from_reader(data).map(Statement::Correction),
                Kind::Policy => ciborium::from_reader(data).map(Statement::Policy),
            };
            assert_eq!(theirs.expect("ciborium reads what we accepted"), s);
        }
    }
});
