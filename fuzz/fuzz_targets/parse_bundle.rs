//! Entry and statement bundles (`tile/entries/N`, `statements/N`). Input:
//! width (u16 big-endian; its top bit picks statements), then the bundle.
#![no_main]
use ashlog::tile::{parse_entry_bundle, parse_statement_bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((w, bundle)) = data.split_first_chunk::<2>() else {
        return;
    };
    let w = u16::from_be_bytes(*w);
    let (statements, width) = (w & 0x8000 != 0, w & 0x7fff);
    let parts = if statements {
        parse_statement_bundle(bundle, width)
    } else {
        parse_entry_bundle(bundle, width)
    };
    if let Ok(parts) = parts {
        assert_eq!(parts.len(), usize::from(width));
        if statements {
            for p in parts {
                let _ = ashlog::statement::SignedStatement::parse(p);
            }
        }
    }
});
