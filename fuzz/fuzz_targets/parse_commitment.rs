//! The per-person commitment's parsers: bucket files and range proofs (what
//! a citizen's client downloads), identifiers as typed, and key files. The
//! first byte picks the parser. Whatever parses must encode back to the same
//! bytes, and verifying, answering and narrowing must never panic.
#![no_main]
use ashlog::commitment::identifier::IdentifierType;
use ashlog::commitment::keyfile::KeyFile;
use ashlog::commitment::tree::{BucketFile, RangeProof};
use ashlog::merkle::Hash;
use libfuzzer_sys::fuzz_target;

fn exercise(p: &RangeProof) {
    let root = Hash([7; 32]);
    let _ = p.verify(&root, p.size);
    for v in [[0u8; 32], [0xff; 32], p.leaves[0]] {
        let _ = p.answer(&v);
        let _ = p.narrow_to(&v);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((which, body)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            if let Ok(f) = BucketFile::parse(body) {
                assert_eq!(f.to_bytes(), body);
                let _ = f.verify(&Hash([7; 32]), f.proof.size, f.bits, f.bucket);
                exercise(&f.proof);
            }
        }
        1 => {
            if let Ok(p) = RangeProof::parse(body) {
                assert_eq!(p.to_bytes(), body);
                exercise(&p);
            }
        }
        2 => {
            if let Ok(text) = std::str::from_utf8(body) {
                for kind in IdentifierType::ALL {
                    if let Ok(id) = kind.canonicalise(text) {
                        // Canonical forms are fixed points.
                        let again = std::str::from_utf8(id.as_bytes()).unwrap();
                        assert_eq!(kind.canonicalise(again).unwrap(), id);
                        assert_eq!(
                            ashlog::commitment::identifier::CanonicalId::from_packed(
                                kind,
                                id.packed()
                            ),
                            Some(id)
                        );
                    }
                }
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(body)
                && let Ok(k) = KeyFile::parse(text, "fuzz")
            {
                assert_eq!(k.to_text().as_str(), text);
            }
        }
    }
});
