//! tlog-policy text, evaluated on a checkpoint note. Input: policy, then
//! optionally a NUL byte and the note (the demo checkpoint otherwise).
#![no_main]
use ashlog::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (policy, note) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, ashlog_fuzz::DEMO_CHECKPOINT),
    };
    let Ok(text) = std::str::from_utf8(policy) else {
        return;
    };
    let Ok(p) = Policy::parse(text) else {
        return;
    };
    let again = Policy::parse(&p.to_text()).expect("to_text parses");
    assert_eq!(again.to_text(), p.to_text());
    let _ = p.describe_quorum();
    let _ = p.evaluate(note);
    let _ = p.require(note);
});
