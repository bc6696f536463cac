//! Structure-aware: statement payloads signed by the demo agency, so that
//! mutations reach the schema through the whole agency-side check
//! (signature, chain at `iat`, issuer) instead of dying at the signature.
//! Input: one byte picking the kind, then the payload CBOR.
#![no_main]
use ashlog::schema::Kind;
use ashlog::statement::SignedStatement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((k, payload)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(*k) % Kind::ALL.len()];
    let bytes = ashlog_fuzz::sign_as_demo_agency(kind, payload);
    let Ok(statement) = SignedStatement::parse(&bytes) else {
        return;
    };
    let _ = ashlog::verify::accept_statement(
        &statement,
        ashlog_fuzz::anchors(),
        ashlog::verify::ChainTimes::AtSigning,
        None,
    );
});
