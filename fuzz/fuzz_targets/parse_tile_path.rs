//! tlog-tiles paths (`tile/<L>/<N>[.p/<W>]`, `tile/entries/...`,
//! `statements/...`).
#![no_main]
use ashlog::tile::TilePath;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = TilePath::parse(text) {
        let path = p.to_path();
        assert_eq!(TilePath::parse(&path), Ok(p));
        // Strict: one tile, one URL.
        assert_eq!(path, text.strip_prefix('/').unwrap_or(text));
    }
});
