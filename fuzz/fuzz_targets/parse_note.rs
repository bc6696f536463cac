//! C2SP signed notes, verified with a fixed key set.
#![no_main]
use ashlog::note::Note;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(note) = Note::parse(data) else {
        return;
    };
    let _ = note.verify(ashlog_fuzz::note_keys());
    let again = Note::parse(&note.to_bytes()).expect("to_bytes parses");
    assert_eq!(again, note);
});
