//! Authoring documents, TOML and JSON (what `ashlog sign` reads).
#![no_main]
use ashlog::schema::{Document, Statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for doc in [Document::from_toml(text), Document::from_json(text)]
        .into_iter()
        .flatten()
    {
        // An accepted document signs into a payload its schema accepts.
        let kind = doc.envelope.kind;
        let _ = Statement::from_cbor(kind, &doc.statement.to_cbor()).expect("payload parses");
        let _ = doc.to_toml();
    }
});
