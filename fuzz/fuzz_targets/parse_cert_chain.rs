//! X.509 chains (x5chain): DER certificates validated against the demo's
//! anchors. Input: validation time (i64 big-endian), then certificates
//! framed by `ashlog_fuzz::frames`.
#![no_main]
use ashlog::chain::CertChain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((t, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let t = i64::from_be_bytes(*t);
    let ders = ashlog_fuzz::frames(rest)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    if let Ok(chain) = CertChain::from_der_list(ders) {
        let _ = chain.fingerprint();
        if let Ok(v) = chain.validate(ashlog_fuzz::anchors(), &[t]) {
            let _ = (
                v.leaf_subject(),
                v.leaf_issuer(),
                v.has_uri_san("https://x"),
            );
        }
    }
});
