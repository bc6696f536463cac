//! C2SP tlog-proof files, verified under the demo policy.
#![no_main]
use ashlog::merkle::Hash;
use ashlog::tlog_proof::TlogProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = TlogProof::parse(data) else {
        return;
    };
    let bytes = p.to_bytes();
    assert_eq!(TlogProof::parse(&bytes).as_ref(), Ok(&p));
    assert_eq!(bytes, data);
    let _ = p.verify(&Hash([0x42; 32]), ashlog_fuzz::policy());
});
