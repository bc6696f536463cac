//! COSE Signed Statements (`POST /entries` bodies), their registered form,
//! the payload under every kind's schema, and the receipts they carry.
#![no_main]
use ashlog::receipt::Receipt;
use ashlog::schema::{Kind, Statement};
use ashlog::statement::SignedStatement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = SignedStatement::parse(data) else {
        return;
    };
    let registered = s.registered_bytes();
    let leaf = s.leaf_hash();
    let _ = s.to_be_signed();
    // What the log stores must parse again, as the same leaf.
    let again = SignedStatement::parse(&registered).expect("registered form parses");
    assert_eq!(again.leaf_hash(), leaf);
    assert_eq!(again.registered_bytes(), registered);
    let _ = SignedStatement::parse(&s.with_receipts(s.receipts()));
    for kind in Kind::ALL {
        let _ = Statement::from_cbor(kind, s.payload());
    }
    for r in s.receipts() {
        let _ = Receipt::parse(r);
    }
});
