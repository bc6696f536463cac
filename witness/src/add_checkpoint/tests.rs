//! Every row of the tlog-witness status table, with Ed25519 (0x01) and
//! RFC 6962 P-256 (0x05) log keys, on trees computed here; persistence,
//! races, forks and storage faults in pairs.

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use ashlog_tlog::keys::Ed25519SigningKey;
use ashlog_tlog::merkle::{Hash, empty_root};
use ashlog_tlog::note::{Note, NoteSignature};
use ashlog_tlog::vkey::VerifierKey;

use super::*;
use crate::evidence::EvidenceKind;
use crate::store::{RedbStore, StoreError, Swap, WitnessStore};
use crate::test_log::{
    KINDS, KeyKind, TestLog, mem_witness, signer, t0, witness, witness_vkey, witness_with_store,
};

const ORIGIN: &str = "log.example.org/ashlog/1";

fn key() -> Ed25519SigningKey {
    Ed25519SigningKey::generate().unwrap()
}

fn ok(w: &WitnessState, body: &[u8]) -> AddOutcome {
    match process_add_checkpoint(w, body, t0()) {
        Ok(o) => o,
        Err(e) => panic!("expected 200, got {e:?}"),
    }
}

fn err(w: &WitnessState, body: &[u8]) -> AddError {
    match process_add_checkpoint(w, body, t0()) {
        Ok(o) => panic!("expected an error, got a cosignature for {}", o.checkpoint),
        Err(e) => e,
    }
}

fn held_size(w: &WitnessState, origin: &str) -> u64 {
    match w.store().latest(origin).unwrap() {
        Some(b) => {
            Checkpoint::parse(Note::parse(&b).unwrap().text())
                .unwrap()
                .size
        }
        None => 0,
    }
}

/// A note over `text` with the given signature lines.
fn note_with(text: &str, sigs: &[NoteSignature]) -> String {
    let mut n = Note::new(text).unwrap();
    for s in sigs {
        n.add_signature(s.clone()).unwrap();
    }
    String::from_utf8(n.to_bytes()).unwrap()
}

/// A line under `key`'s name and id whose signature is garbage.
fn forged_line(key: &VerifierKey) -> NoteSignature {
    NoteSignature {
        name: key.name().to_string(),
        key_id: key.key_id(),
        sig: vec![7u8; 72],
    }
}

#[test]
fn add_checkpoint_cosigns_and_the_cosignature_verifies_with_the_witness_vkey() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let log = TestLog::new(kind, ORIGIN, 10, "a");
        let w = witness(dir.path(), &key(), &[&log]);
        let out = ok(&w, &log.body(0, 5));
        assert_eq!(out.checkpoint.size, 5);
        let line = String::from_utf8(out.response_body()).unwrap();
        assert!(
            line.starts_with("\u{2014} witness.example.org/w1 "),
            "{line}"
        );
        assert_eq!(line.matches('\n').count(), 1);

        // The client recipe: append the response to the note and verify
        // with the witness key.
        let mut n = Note::parse(log.note(5).as_bytes()).unwrap();
        n.add_signature(NoteSignature::parse_line(&line).unwrap())
            .unwrap();
        let v = n.verify(&[witness_vkey(&w)]).unwrap();
        assert_eq!(v[0].timestamp, Some(1_700_000_000));

        // Stored: the text, the log's line and the cosignature, both valid.
        let stored = w.store().latest(ORIGIN).unwrap().unwrap();
        assert_eq!(stored, out.stored_note);
        let sn = Note::parse(&stored).unwrap();
        assert_eq!(sn.text(), log.text(5));
        assert_eq!(sn.signatures().len(), 2);
        sn.verify(&[log.vkey()]).unwrap();
        sn.verify(&[witness_vkey(&w)]).unwrap();
        assert_eq!(
            w.checkpoint_by_origin_hash(&origin_hash(ORIGIN)).unwrap(),
            Some(stored)
        );

        let out = ok(&w, &log.body(5, 10));
        assert_eq!(out.checkpoint.size, 10);
        assert_eq!(held_size(&w, ORIGIN), 10);
        assert_eq!(w.metrics().cosignatures(), 2);
    }
}

#[test]
fn add_checkpoint_accepts_every_consistent_step_and_refuses_every_bit_flip() {
    const N: u64 = 17;
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, N, "t");
        let k = key();
        for old in 1..=N {
            for new in old..=N {
                let w = mem_witness(&k, &[&log]);
                ok(&w, &log.body(0, old));
                let proof = log.proof(old, new);
                for i in 0..proof.len() {
                    for bit in [0u8, 7] {
                        let mut bad = proof.clone();
                        bad[i].0[i % 32] ^= 1 << bit;
                        let e = err(&w, &TestLog::body_with(old, &bad, &log.note(new)));
                        assert!(
                            matches!(e, AddError::BadConsistencyProof { .. }),
                            "{kind:?} {old}->{new}: {e:?}"
                        );
                    }
                }
                if !proof.is_empty() {
                    // Truncated and extended proofs.
                    let short = &proof[..proof.len() - 1];
                    assert!(matches!(
                        err(&w, &TestLog::body_with(old, short, &log.note(new))),
                        AddError::BadConsistencyProof { .. }
                    ));
                }
                let mut long = proof.clone();
                long.push(Hash([1; 32]));
                assert!(matches!(
                    err(&w, &TestLog::body_with(old, &long, &log.note(new))),
                    AddError::BadConsistencyProof { .. }
                ));
                assert_eq!(held_size(&w, ORIGIN), old);
                ok(&w, &log.body(old, new));
                assert_eq!(held_size(&w, ORIGIN), new);
            }
        }
    }
}

#[test]
fn add_checkpoint_rejects_unknown_origin_with_404() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 5, "a");
        let other = TestLog::new(kind, "other.example/log", 5, "a");
        let w = mem_witness(&key(), &[&log]);
        assert!(matches!(
            err(&w, &other.body(0, 5)),
            AddError::UnknownOrigin(o) if o == "other.example/log"
        ));
    }
}

#[test]
fn add_checkpoint_rejects_checkpoint_signed_only_by_unknown_key_with_403() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 5, "a");
        let w = mem_witness(&key(), &[&log]);
        // Same origin, another key of the same type: an unknown (name, id).
        let impostor = TestLog {
            origin: ORIGIN.into(),
            signer: signer(kind, ORIGIN),
            tree: log.tree.clone(),
        };
        let e = err(&w, &impostor.body(0, 5));
        assert!(matches!(e, AddError::BadLogSignature(_)), "{e:?}");
        // Signed under another name entirely.
        let grease = signer(KeyKind::Ed25519, "grease.invalid");
        let text = log.text(5);
        let note = note_with(&text, &[grease.sign(&text, 0).unwrap()]);
        assert!(matches!(
            err(&w, &TestLog::body_with(0, &[], &note)),
            AddError::BadLogSignature(_)
        ));
        assert_eq!(held_size(&w, ORIGIN), 0);
    }
}

#[test]
fn add_checkpoint_rejects_forged_line_by_known_key_with_403() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 5, "a");
        let w = mem_witness(&key(), &[&log]);
        let text = log.text(5);
        let forged = forged_line(&log.vkey());
        // Alone.
        let note = note_with(&text, std::slice::from_ref(&forged));
        assert!(matches!(
            err(&w, &TestLog::body_with(0, &[], &note)),
            AddError::BadLogSignature(_)
        ));
        // Beside a valid line: one bad line by a known key refuses the note.
        let good = log.signer.sign(&text, 1_700_000_000_000).unwrap();
        let note = note_with(&text, &[good, forged]);
        assert!(matches!(
            err(&w, &TestLog::body_with(0, &[], &note)),
            AddError::BadLogSignature(_)
        ));
        // A valid line over other text (another root).
        let other = log.fork(5, "z");
        let stolen = other.signer.sign(&other.text(5), 1).unwrap();
        let note = note_with(&text, &[stolen]);
        assert!(matches!(
            err(&w, &TestLog::body_with(0, &[], &note)),
            AddError::BadLogSignature(_)
        ));
        assert_eq!(held_size(&w, ORIGIN), 0);
    }
}

#[test]
fn add_checkpoint_rejects_malformed_bodies_with_400() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let w = mem_witness(&key(), &[&log]);
        let note = log.note(5);
        let hash = log.root(3).to_base64();
        let sixty_four: String = (0..64).map(|_| format!("{hash}\n")).collect();
        // A four-line checkpoint: extension lines are refused before any
        // signature is checked.
        let ext_text = format!("{}ext\n", log.text(5));
        let ext_note = note_with(&ext_text, &[forged_line(&log.vkey())]);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty body", Vec::new()),
            ("no blank line", b"old 0\n".to_vec()),
            ("missing old line", format!("\n{note}").into_bytes()),
            (
                "proof line before old",
                format!("{hash}\nold 0\n\n{note}").into_bytes(),
            ),
            ("other keyword", format!("new 0\n\n{note}").into_bytes()),
            ("upper case", format!("OLD 0\n\n{note}").into_bytes()),
            ("leading zero", format!("old 01\n\n{note}").into_bytes()),
            ("plus sign", format!("old +1\n\n{note}").into_bytes()),
            ("minus sign", format!("old -1\n\n{note}").into_bytes()),
            ("two spaces", format!("old  1\n\n{note}").into_bytes()),
            ("trailing space", format!("old 1 \n\n{note}").into_bytes()),
            ("hex", format!("old 0x1\n\n{note}").into_bytes()),
            (
                "overflow",
                format!("old 99999999999999999999999\n\n{note}").into_bytes(),
            ),
            (
                "64 proof lines",
                format!("old 1\n{sixty_four}\n{note}").into_bytes(),
            ),
            ("bad base64", format!("old 1\n!!!!\n\n{note}").into_bytes()),
            (
                "31-byte hash",
                format!("old 1\n{}\n\n{note}", base64_of(&[1u8; 31])).into_bytes(),
            ),
            (
                "unpadded hash",
                format!("old 1\n{}\n\n{note}", hash.trim_end_matches('=')).into_bytes(),
            ),
            (
                "note without signatures",
                format!("old 0\n\n{}", log.text(5)).into_bytes(),
            ),
            (
                "garbage signature line",
                format!("old 0\n\n{}\n\u{2014} {ORIGIN} ***\n", log.text(5)).into_bytes(),
            ),
            (
                "extension lines",
                TestLog::body_with(0, &[], &ext_note).to_vec(),
            ),
            (
                "non-canonical size",
                TestLog::body_with(0, &[], &note.replacen("\n5\n", "\n05\n", 1)),
            ),
            (
                "header not UTF-8",
                [b"old \xff\n\n".as_slice(), note.as_bytes()].concat(),
            ),
            (
                "note not UTF-8",
                [b"old 0\n\n\xff".as_slice(), note.as_bytes()].concat(),
            ),
        ];
        for (what, body) in cases {
            let e = err(&w, &body);
            assert!(
                matches!(e, AddError::Malformed(_)),
                "{kind:?} {what}: {e:?}"
            );
        }
        // 63 proof lines is syntactically fine (and then a bad proof).
        let sixty_three: String = (0..63).map(|_| format!("{hash}\n")).collect();
        let e = err(&w, format!("old 0\n{sixty_three}\n{note}").as_bytes());
        assert!(matches!(e, AddError::ProofFromEmptyTree), "{e:?}");
        // Too large.
        let big = vec![b'a'; MAX_BODY_BYTES + 1];
        assert!(matches!(err(&w, &big), AddError::BodyTooLarge { .. }));
        assert_eq!(held_size(&w, ORIGIN), 0);
    }
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn add_checkpoint_rejects_old_larger_than_size_with_400() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let w = mem_witness(&key(), &[&log]);
        assert!(matches!(
            err(&w, &TestLog::body_with(6, &[], &log.note(5))),
            AddError::OldLargerThanSize { old: 6, size: 5 }
        ));
        ok(&w, &log.body(0, 7));
        // A rollback sent with the right old size.
        assert!(matches!(
            err(&w, &TestLog::body_with(7, &[], &log.note(5))),
            AddError::OldLargerThanSize { old: 7, size: 5 }
        ));
    }
}

#[test]
fn add_checkpoint_rejects_stale_old_with_409_and_size() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 12, "a");
        let w = mem_witness(&key(), &[&log]);
        // Nothing held: only old 0 is current.
        assert!(matches!(
            err(&w, &log.body(3, 5)),
            AddError::StaleOld { old: 3, held: 0 }
        ));
        ok(&w, &log.body(0, 5));
        // old 0 on a known log: learn the size.
        assert!(matches!(
            err(&w, &log.body(0, 8)),
            AddError::StaleOld { old: 0, held: 5 }
        ));
        assert!(matches!(
            err(&w, &log.body(3, 8)),
            AddError::StaleOld { old: 3, held: 5 }
        ));
        // Rollback to a smaller size.
        assert!(matches!(
            err(&w, &log.body(3, 4)),
            AddError::StaleOld { old: 3, held: 5 }
        ));
        assert!(matches!(
            err(&w, &log.body(0, 0)),
            AddError::StaleOld { old: 0, held: 5 }
        ));
        // Ahead of the witness.
        assert!(matches!(
            err(&w, &log.body(8, 12)),
            AddError::StaleOld { old: 8, held: 5 }
        ));
        assert_eq!(held_size(&w, ORIGIN), 5);
        assert_eq!(w.store().evidence_count().unwrap(), 0);
    }
}

#[test]
fn add_checkpoint_checks_in_sunlight_order() {
    let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 12, "a");
    let other = TestLog::new(KeyKind::Ed25519, "other.example/log", 12, "a");
    let w = mem_witness(&key(), &[&log]);
    ok(&w, &log.body(0, 5));
    // Unknown origin beats everything after parsing.
    assert!(matches!(
        err(&w, &TestLog::body_with(9, &[], &other.note(5))),
        AddError::UnknownOrigin(_)
    ));
    // A bad signature beats old > size.
    let forged = note_with(&log.text(5), &[forged_line(&log.vkey())]);
    assert!(matches!(
        err(&w, &TestLog::body_with(9, &[], &forged)),
        AddError::BadLogSignature(_)
    ));
    // old > size beats a stale old.
    assert!(matches!(
        err(&w, &TestLog::body_with(9, &[], &log.note(8))),
        AddError::OldLargerThanSize { .. }
    ));
    // A stale old beats a bad proof, and records no evidence.
    assert!(matches!(
        err(&w, &TestLog::body_with(4, &[Hash([0; 32])], &log.note(8))),
        AddError::StaleOld { held: 5, .. }
    ));
    assert_eq!(w.store().evidence_count().unwrap(), 0);
}

#[test]
fn add_checkpoint_rejects_bad_proof_with_422_and_keeps_evidence() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 12, "a");
        let w = mem_witness(&key(), &[&log]);
        ok(&w, &log.body(0, 5));
        let mut proof = log.proof(5, 11);
        proof[1].0[0] ^= 0x80;
        let body = TestLog::body_with(5, &proof, &log.note(11));
        assert!(matches!(
            err(&w, &body),
            AddError::BadConsistencyProof {
                old: 5,
                size: 11,
                ..
            }
        ));
        let ev = w.store().evidence().unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, EvidenceKind::BadConsistencyProof);
        assert_eq!(ev[0].old_size, 5);
        assert_eq!(ev[0].refused_size, 11);
        assert_eq!(ev[0].refused_note, log.note(11));
        assert_eq!(
            ev[0].proof,
            proof.iter().map(Hash::to_base64).collect::<Vec<_>>()
        );
        assert_eq!(held_size(&w, ORIGIN), 5);
    }
}

#[test]
fn add_checkpoint_rejects_proof_from_old_zero_with_422() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let w = mem_witness(&key(), &[&log]);
        let body = TestLog::body_with(0, &[log.root(4)], &log.note(8));
        assert!(matches!(err(&w, &body), AddError::ProofFromEmptyTree));
        assert_eq!(held_size(&w, ORIGIN), 0);
        assert_eq!(w.store().evidence_count().unwrap(), 0);
    }
}

#[test]
fn add_checkpoint_rejects_size_zero_with_wrong_root_with_422_and_accepts_the_empty_root() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let w = mem_witness(&key(), &[&log]);
        let text = format!("{ORIGIN}\n0\n{}\n", log.root(3).to_base64());
        let note = note_with(&text, &[log.signer.sign(&text, 1).unwrap()]);
        assert!(matches!(
            err(&w, &TestLog::body_with(0, &[], &note)),
            AddError::EmptyTreeWrongRoot
        ));
        // The empty tree itself is cosignable, and then grows.
        let out = ok(&w, &log.body(0, 0));
        assert_eq!(out.checkpoint.root, empty_root());
        assert_eq!(w.store().latest(ORIGIN).unwrap(), Some(out.stored_note));
        ok(&w, &log.body(0, 8));
    }
}

#[test]
fn add_checkpoint_rejects_same_size_different_root_with_422_and_keeps_evidence() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let fork = log.fork(8, "b");
        let w = mem_witness(&key(), &[&log]);
        ok(&w, &log.body(0, 5));
        let stored = w.store().latest(ORIGIN).unwrap().unwrap();
        assert!(matches!(
            err(&w, &fork.body(5, 5)),
            AddError::SameSizeDifferentRoot { size: 5 }
        ));
        let ev = w.store().evidence().unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, EvidenceKind::SameSizeDifferentRoot);
        assert_eq!(ev[0].stored_note.as_bytes(), stored.as_slice());
        assert_eq!(ev[0].refused_note, fork.note(5));
        assert_eq!(ev[0].stored_root, log.root(5).to_base64());
        assert_eq!(ev[0].refused_root, fork.root(5).to_base64());
        assert_eq!(w.store().latest(ORIGIN).unwrap(), Some(stored));
    }
}

#[test]
fn add_checkpoint_accepts_same_size_same_root_with_fresh_cosignature() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let w = mem_witness(&key(), &[&log]);
        ok(&w, &log.body(0, 5));
        let later = t0() + Duration::from_secs(60);
        let out = process_add_checkpoint(&w, &log.body(5, 5), later).unwrap();
        let mut n = Note::parse(log.note(5).as_bytes()).unwrap();
        n.add_signature(out.cosignature.clone()).unwrap();
        assert_eq!(
            n.verify(&[witness_vkey(&w)]).unwrap()[0].timestamp,
            Some(1_700_000_060)
        );
        assert_eq!(w.store().latest(ORIGIN).unwrap(), Some(out.stored_note));
        // The same tree with a non-empty proof: refused, but no evidence.
        assert!(matches!(
            err(&w, &TestLog::body_with(5, &[log.root(4)], &log.note(5))),
            AddError::BadConsistencyProof { .. }
        ));
        assert_eq!(w.store().evidence_count().unwrap(), 0);
    }
}

#[test]
fn add_checkpoint_forged_witness_line_does_not_poison_state() {
    for kind in KINDS {
        let log = TestLog::new(kind, ORIGIN, 8, "a");
        let w = mem_witness(&key(), &[&log]);
        let wv = witness_vkey(&w);
        let text = log.text(5);
        let grease = signer(KeyKind::Ed25519, "grease.invalid")
            .sign(&text, 0)
            .unwrap();
        let note = note_with(
            &text,
            &[
                grease,
                forged_line(&wv),
                log.signer.sign(&text, 1_700_000_000_000).unwrap(),
            ],
        );
        let out = ok(&w, &TestLog::body_with(0, &[], &note));
        let stored = Note::parse(&out.stored_note).unwrap();
        // Only the log's verified line and our cosignature were kept.
        assert_eq!(stored.signatures().len(), 2);
        assert_eq!(stored.signatures()[0].name, ORIGIN);
        assert_eq!(stored.signatures()[1], out.cosignature);
        stored.verify(std::slice::from_ref(&wv)).unwrap();
        // And the next checkpoint is still accepted.
        ok(&w, &log.body(5, 8));
    }
}

#[test]
fn add_checkpoint_keeps_both_lines_of_a_dual_signed_log() {
    let ed = signer(KeyKind::Ed25519, ORIGIN);
    let p = signer(KeyKind::P256, ORIGIN);
    let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 4, "a");
    let mut logs = std::collections::BTreeMap::new();
    logs.insert(
        ORIGIN.to_string(),
        vec![ed.verifier().unwrap(), p.verifier().unwrap()],
    );
    let w = WitnessState::new(
        "witness.example.org/w1",
        key(),
        logs,
        Box::<crate::store::MemoryStore>::default(),
    )
    .unwrap();
    let text = log.text(4);
    let note = note_with(
        &text,
        &[
            p.sign(&text, 1_700_000_000_000).unwrap(),
            ed.sign(&text, 0).unwrap(),
        ],
    );
    let out = ok(&w, &TestLog::body_with(0, &[], &note));
    let stored = Note::parse(&out.stored_note).unwrap();
    assert_eq!(stored.signatures().len(), 3);
    assert_eq!(
        stored
            .verify(&[ed.verifier().unwrap(), p.verifier().unwrap()])
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn add_checkpoint_state_survives_reopen() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let log = TestLog::new(kind, ORIGIN, 9, "a");
        let k = key();
        let stored = {
            let w = witness(dir.path(), &k, &[&log]);
            ok(&w, &log.body(0, 5)).stored_note
        };
        let w = witness(dir.path(), &k, &[&log]);
        assert!(matches!(
            err(&w, &log.body(0, 9)),
            AddError::StaleOld { held: 5, .. }
        ));
        assert_eq!(
            w.checkpoint_by_origin_hash(&origin_hash(ORIGIN)).unwrap(),
            Some(stored)
        );
        assert!(
            w.metrics()
                .render(None)
                .contains(&format!("ashlog_witness_log_size{{origin=\"{ORIGIN}\"}} 5"))
        );
        ok(&w, &log.body(5, 9));
    }
}

#[test]
fn add_checkpoint_race_on_same_old_has_exactly_one_winner() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let log = TestLog::new(kind, ORIGIN, 20, "a");
        let w = Arc::new(witness(dir.path(), &key(), &[&log]));
        ok(&w, &log.body(0, 5));
        let bodies: Vec<Vec<u8>> = (0..8).map(|i| log.body(5, 6 + i)).collect();
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let w = Arc::clone(&w);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    process_add_checkpoint(&w, &body, t0())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<&AddOutcome> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        let summary: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(o) => format!("200 size {}", o.checkpoint.size),
                Err(e) => e.to_string(),
            })
            .collect();
        assert_eq!(winners.len(), 1, "{summary:?}");
        let won = winners[0].checkpoint.size;
        for r in &results {
            match r {
                Ok(_) => {}
                Err(AddError::StaleOld { old: 5, held }) => assert_eq!(*held, won),
                Err(e) => panic!("expected 409, got {e:?}"),
            }
        }
        assert_eq!(held_size(&w, ORIGIN), won);
        assert_eq!(w.metrics().cosignatures(), 2);
    }
}

#[test]
fn add_checkpoint_race_of_same_size_resubmissions_cosigns_them_all() {
    // old = size = held: every request is current, so none may get a 409,
    // even though each commit changes the stored note (a fresh timestamp).
    let dir = tempfile::tempdir().unwrap();
    let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 8, "a");
    let w = Arc::new(witness(dir.path(), &key(), &[&log]));
    ok(&w, &log.body(0, 5));
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8u64)
        .map(|i| {
            let (w, barrier, body) = (Arc::clone(&w), Arc::clone(&barrier), log.body(5, 5));
            std::thread::spawn(move || {
                barrier.wait();
                process_add_checkpoint(&w, &body, t0() + Duration::from_secs(i))
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap().unwrap();
        assert_eq!(out.checkpoint.size, 5);
    }
    assert_eq!(w.metrics().cosignatures(), 9);
    let stored = Note::parse(&w.store().latest(ORIGIN).unwrap().unwrap()).unwrap();
    stored.verify(&[witness_vkey(&w)]).unwrap();
}

#[test]
fn add_checkpoint_forking_log_is_refused_and_evidence_holds_both_notes() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let log = TestLog::new(kind, ORIGIN, 16, "a");
        let fork = log.fork(16, "b");
        let w = witness(dir.path(), &key(), &[&log]);
        ok(&w, &log.body(0, 5));
        let stored = w.store().latest(ORIGIN).unwrap().unwrap();
        // The fork's own proof is internally consistent but not with the
        // tree the witness cosigned.
        let e = err(&w, &fork.body(5, 12));
        assert!(matches!(e, AddError::BadConsistencyProof { .. }), "{e:?}");
        assert!(matches!(
            err(&w, &fork.body(5, 5)),
            AddError::SameSizeDifferentRoot { .. }
        ));
        let ev = w.store().evidence().unwrap();
        assert_eq!(ev.len(), 2);
        // Newest first.
        assert_eq!(ev[0].kind, EvidenceKind::SameSizeDifferentRoot);
        assert_eq!(ev[1].kind, EvidenceKind::BadConsistencyProof);
        for e in &ev {
            assert_eq!(e.origin, ORIGIN);
            assert_eq!(e.stored_note.as_bytes(), stored.as_slice());
            // Both notes verify under the log's key: proof of a lie.
            Note::parse(e.stored_note.as_bytes())
                .unwrap()
                .verify(&[log.vkey()])
                .unwrap();
            Note::parse(e.refused_note.as_bytes())
                .unwrap()
                .verify(&[log.vkey()])
                .unwrap();
        }
        assert_eq!(ev[1].refused_note, fork.note(12));
        assert_eq!(ev[1].proof.len(), fork.proof(5, 12).len());
        // The witness still holds the first tree, and the honest log goes on.
        assert_eq!(w.store().latest(ORIGIN).unwrap(), Some(stored));
        ok(&w, &log.body(5, 16));
        // Evidence survives a restart.
        drop(w);
        let w = witness(dir.path(), &key(), &[&log]);
        assert_eq!(w.store().evidence().unwrap(), ev);
    }
}

/// Where a [`FaultyStore`] fails, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// The swap fails and nothing is written.
    SwapFailsUnwritten,
    /// The swap is committed, then the caller sees an error.
    SwapFailsAfterCommit,
    /// Recording evidence fails and nothing is written.
    EvidenceFailsUnwritten,
    /// The evidence is committed, then the caller sees an error.
    EvidenceFailsAfterCommit,
}

/// Wraps the redb store and injects one [`Fault`].
struct FaultyStore {
    inner: RedbStore,
    fault: Mutex<Option<Fault>>,
}

impl FaultyStore {
    fn take(&self, which: &[Fault]) -> Option<Fault> {
        let mut f = self.fault.lock().unwrap();
        match *f {
            Some(x) if which.contains(&x) => f.take(),
            _ => None,
        }
    }
}

impl WitnessStore for FaultyStore {
    fn latest(&self, origin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.latest(origin)
    }
    fn origins(&self) -> Result<Vec<String>, StoreError> {
        self.inner.origins()
    }
    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<Swap, StoreError> {
        match self.take(&[Fault::SwapFailsUnwritten, Fault::SwapFailsAfterCommit]) {
            Some(Fault::SwapFailsUnwritten) => Err(StoreError::Injected("swap, not persisted")),
            Some(_) => {
                assert_eq!(
                    self.inner.compare_and_swap(origin, expected, new)?,
                    Swap::Swapped
                );
                Err(StoreError::Injected("swap, persisted"))
            }
            None => self.inner.compare_and_swap(origin, expected, new),
        }
    }
    fn record_evidence(
        &self,
        evidence: &crate::evidence::Evidence,
        keep: usize,
    ) -> Result<u64, StoreError> {
        match self.take(&[
            Fault::EvidenceFailsUnwritten,
            Fault::EvidenceFailsAfterCommit,
        ]) {
            Some(Fault::EvidenceFailsUnwritten) => {
                Err(StoreError::Injected("evidence, not persisted"))
            }
            Some(_) => {
                self.inner.record_evidence(evidence, keep)?;
                Err(StoreError::Injected("evidence, persisted"))
            }
            None => self.inner.record_evidence(evidence, keep),
        }
    }
    fn evidence(&self) -> Result<Vec<crate::evidence::Evidence>, StoreError> {
        self.inner.evidence()
    }
    fn evidence_count(&self) -> Result<u64, StoreError> {
        self.inner.evidence_count()
    }
}

/// Sunlight-style fault pairs: each write step fails without persisting and
/// fails after persisting. Either way no cosignature and no 422 leave; after
/// a reopen the witness holds either the old or the new checkpoint (never
/// anything else), every stored note verifies, and the log makes progress by
/// the ordinary protocol.
#[test]
fn add_checkpoint_storage_faults_in_pairs_never_release_or_lose_state() {
    struct Case {
        fault: Fault,
        /// Size held after reopening.
        held_after: u64,
        /// Evidence entries after reopening.
        evidence_after: u64,
    }
    let cases = [
        Case {
            fault: Fault::SwapFailsUnwritten,
            held_after: 5,
            evidence_after: 0,
        },
        Case {
            fault: Fault::SwapFailsAfterCommit,
            held_after: 9,
            evidence_after: 0,
        },
        Case {
            fault: Fault::EvidenceFailsUnwritten,
            held_after: 5,
            evidence_after: 0,
        },
        Case {
            fault: Fault::EvidenceFailsAfterCommit,
            held_after: 5,
            evidence_after: 1,
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("witness.redb");
        let log = TestLog::new(KeyKind::P256, ORIGIN, 12, "a");
        let fork = log.fork(12, "b");
        let k = key();
        {
            let store = FaultyStore {
                inner: RedbStore::open(&path).unwrap(),
                fault: Mutex::new(None),
            };
            let w = witness_with_store(&k, &[&log], Box::new(store));
            ok(&w, &log.body(0, 5));
        }
        {
            let store = FaultyStore {
                inner: RedbStore::open(&path).unwrap(),
                fault: Mutex::new(Some(case.fault)),
            };
            let w = witness_with_store(&k, &[&log], Box::new(store));
            let body = match case.fault {
                Fault::SwapFailsUnwritten | Fault::SwapFailsAfterCommit => log.body(5, 9),
                Fault::EvidenceFailsUnwritten | Fault::EvidenceFailsAfterCommit => fork.body(5, 5),
            };
            let e = err(&w, &body);
            assert!(
                matches!(e, AddError::Storage(StoreError::Injected(_))),
                "{:?}: {e:?}",
                case.fault
            );
            assert_eq!(w.metrics().cosignatures(), 0);
        }
        // Reopen: the witness holds the old or the new state, never a mix.
        let w = witness(dir.path(), &k, &[&log]);
        assert_eq!(held_size(&w, ORIGIN), case.held_after, "{:?}", case.fault);
        assert_eq!(
            w.store().evidence_count().unwrap(),
            case.evidence_after,
            "{:?}",
            case.fault
        );
        let stored = Note::parse(&w.store().latest(ORIGIN).unwrap().unwrap()).unwrap();
        stored.verify(&[log.vkey()]).unwrap();
        stored.verify(&[witness_vkey(&w)]).unwrap();
        // Progress through the protocol: a stale old learns the size, then
        // the log continues from there.
        let held = case.held_after;
        if held != 5 {
            assert!(matches!(
                err(&w, &log.body(5, 9)),
                AddError::StaleOld { held: 9, .. }
            ));
        }
        ok(&w, &log.body(held, 12));
        if matches!(case.fault, Fault::EvidenceFailsUnwritten) {
            // Shown the fork again, the witness records it this time.
            assert!(matches!(
                err(&w, &fork.body(12, 12)),
                AddError::SameSizeDifferentRoot { .. }
            ));
            assert_eq!(w.store().evidence_count().unwrap(), 1);
        }
    }
}

#[test]
fn add_checkpoint_refuses_a_clock_at_the_epoch() {
    let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 4, "a");
    let w = mem_witness(&key(), &[&log]);
    assert!(matches!(
        process_add_checkpoint(&w, &log.body(0, 4), std::time::UNIX_EPOCH),
        Err(AddError::Internal(_))
    ));
    assert_eq!(held_size(&w, ORIGIN), 0);
}

#[test]
fn add_checkpoint_witness_of_other_name_ignores_our_lines_and_vice_versa() {
    // Two witnesses cosign the same note; each keeps only the log's line and
    // its own, and each cosignature verifies only under its own key.
    let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 4, "a");
    let w1 = mem_witness(&key(), &[&log]);
    let w2 = witness_with_store(&key(), &[&log], Box::<crate::store::MemoryStore>::default());
    let c1 = ok(&w1, &log.body(0, 4)).cosignature;
    let mut n = Note::parse(log.note(4).as_bytes()).unwrap();
    n.add_signature(c1).unwrap();
    let out2 = ok(
        &w2,
        &TestLog::body_with(0, &[], std::str::from_utf8(&n.to_bytes()).unwrap()),
    );
    assert_eq!(
        Note::parse(&out2.stored_note).unwrap().signatures().len(),
        2
    );
}

/// The strict decimal rule of `ashlog_tlog::decimal`, seen from the
/// witness's end: every non-canonical spelling of `old` (the same list the
/// log's 409 parser and the library's format tests refuse) is a 400 that
/// leaves the stored state alone.
#[test]
fn add_checkpoint_refuses_every_non_canonical_old_and_keeps_state() {
    let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 8, "a");
    let w = mem_witness(&key(), &[&log]);
    ok(&w, &log.body(0, 3));
    let note = log.note(5);
    for old in ashlog_tlog::decimal::NON_CANONICAL {
        let body = format!("old {old}\n\n{note}");
        let e = err(&w, body.as_bytes());
        assert!(matches!(e, AddError::Malformed(_)), "old {old:?}: {e:?}");
        assert_eq!(held_size(&w, ORIGIN), 3, "old {old:?} moved the state");
    }
    // The canonical spelling of the same request goes through.
    ok(&w, &log.body(3, 5));
    assert_eq!(held_size(&w, ORIGIN), 5);
}
