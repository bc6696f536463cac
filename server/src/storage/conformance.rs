//! Checks every [`Storage`] implementation must pass; each backend runs
//! them in a one-line test (like Go's `sumdb/storage/test.go`).

use std::sync::Arc;

use ashlog::merkle::{Hash, empty_root};

use super::{AppendBatch, MetaKey, Storage, TreeHead};

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
    assert_eq!(s.find_entries(&[Hash([1; 32])]).unwrap(), vec![None]);
    assert!(s.tile(0, 0).unwrap().is_none());

    let batch = AppendBatch {
        first_index: 0,
        statements: vec![
            (Hash([1; 32]), Arc::new(b"one".to_vec())),
            (Hash([2; 32]), Arc::new(b"two".to_vec())),
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
        statements: vec![(Hash([3; 32]), Arc::new(b"x".to_vec()))],
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
        s.find_entries(&[Hash([2; 32]), Hash([3; 32])]).unwrap(),
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
}
