//! Entry ids (`<shard>.<index>`) from `/entries/{id}` URLs.
#![no_main]
use ashlog::entry::EntryId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = text.parse::<EntryId>() {
        assert_eq!(id.to_string(), text);
        assert_eq!(id.to_string().parse::<EntryId>(), Ok(id));
    }
});
