//! Checks every [`Storage`] implementation must pass; each backend runs
//! them in a one-line test (like Go's `sumdb/storage/test.go`).

use std::sync::Arc;

use ashlog::merkle::{Hash, empty_root};

use super::{AppendBatch, EntryKey, MetaKey, Storage, TreeHead};

/// The key of test entry `b`, signed `b` seconds after an epoch.
fn key(b: u8) -> EntryKey {
    EntryKey {
        iat: 1_677_715_200 + i64::from(b),
        digest: Hash([b; 32]),
    }
}

/// Runs the suite. `open` must return a handle on the same (initially
/// empty) store each time it is called, so reopening is tested too.
pub(crate) fn run<S: Storage>(open: impl Fn() -> S) {
    let s = open();
    assert_eq!(
        s.tree_head().unwrap(),
        TreeHead {
            size: 0,
            root: empty_root()
        }
    );
    assert_eq!(s.find_entries(&[key(1)]).unwrap(), vec![None]);
    assert!(s.tile(0, 0).unwrap().is_none());

    let batch = AppendBatch {
        first_index: 0,
        statements: vec![
            (key(1), Arc::new(b"one".to_vec())),
            (key(2), Arc::new(b"two".to_vec())),
        ],
        tiles: vec![(0, 0, vec![7; 64])],
        tree: Some(TreeHead {
            size: 2,
            root: Hash([9; 32]),
        }),
    };
    s.append(&batch).unwrap();
    // A batch that does not start at the tree size is refused and changes
    // nothing.
    let bad = AppendBatch {
        first_index: 5,
        statements: vec![(key(3), Arc::new(b"x".to_vec()))],
        tiles: vec![],
        tree: Some(TreeHead {
            size: 6,
            root: Hash([0; 32]),
        }),
    };
    assert!(s.append(&bad).is_err());
    s.put_meta(&MetaKey::WitnessSize("w1".into()), &5u64.to_be_bytes())
        .unwrap();
    drop(s);

    let s = open();
    assert_eq!(s.tree_head().unwrap().size, 2);
    assert_eq!(
        s.find_entries(&[key(2), key(3)]).unwrap(),
        vec![Some(1), None]
    );
    assert_eq!(s.tile(0, 0).unwrap().unwrap(), vec![7; 64]);
    assert_eq!(
        s.statements(0, 10).unwrap(),
        vec![b"one".to_vec(), b"two".to_vec()]
    );
    assert_eq!(s.statements(1, 1).unwrap(), vec![b"two".to_vec()]);
    assert_eq!(
        s.get_meta(&MetaKey::WitnessSize("w1".into())).unwrap(),
        Some(5u64.to_be_bytes().to_vec())
    );
    assert_eq!(s.get_meta(&MetaKey::SignedCheckpoint).unwrap(), None);
    s.recover().unwrap();
    assert_eq!(s.tree_head().unwrap().size, 2);
    assert_eq!(
        s.entry_digests(0).unwrap(),
        Some([[1u8; 32], [2u8; 32]].concat())
    );
    assert_eq!(s.entry_digests(1).unwrap(), None);

    // A batch across a bundle boundary completes bundle 0 and starts bundle 1.
    let digest = |i: u64| {
        let mut d = [0xd0; 32];
        d[..8].copy_from_slice(&i.to_be_bytes());
        Hash(d)
    };
    let across = AppendBatch {
        first_index: 2,
        statements: (2..260)
            .map(|i| {
                let k = EntryKey {
                    iat: 1_677_715_200 + (i / 100) as i64,
                    digest: digest(i),
                };
                (k, Arc::new(i.to_be_bytes().to_vec()))
            })
            .collect(),
        tiles: vec![],
        tree: Some(TreeHead {
            size: 260,
            root: Hash([8; 32]),
        }),
    };
    s.append(&across).unwrap();
    drop(s);
    let s = open();
    let bundle0 = s.entry_digests(0).unwrap().unwrap();
    assert_eq!(bundle0.len(), 256 * 32);
    assert_eq!(&bundle0[..64], [[1u8; 32], [2u8; 32]].concat().as_slice());
    assert_eq!(&bundle0[255 * 32..], digest(255).0.as_slice());
    assert_eq!(
        s.entry_digests(1).unwrap(),
        Some((256..260).flat_map(|i| digest(i).0).collect::<Vec<u8>>())
    );
    assert_eq!(
        s.statements(259, 5).unwrap(),
        vec![259u64.to_be_bytes().to_vec()]
    );
    let lengths: Vec<usize> = s.statements(0, 300).unwrap().iter().map(Vec::len).collect();
    assert_eq!(lengths.len(), 260);
    assert_eq!(s.statement_lengths(0, 300).unwrap(), lengths);
    assert_eq!(s.statement_lengths(259, 5).unwrap(), vec![8]);
    assert_eq!(s.statement_lengths(260, 5).unwrap(), Vec::<usize>::new());
    let late = EntryKey {
        iat: 1_677_715_202,
        digest: digest(259),
    };
    assert_eq!(
        s.find_entries(&[late, key(1), key(3)]).unwrap(),
        vec![Some(259), Some(0), None]
    );
}
