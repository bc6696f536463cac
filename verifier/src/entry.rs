//! Entry ids: `<shard>.<index>`, e.g. `1.4711`.
//!
//! The shard is 1 until temporal sharding exists; the index is the leaf
//! index in that shard's tree. Ids are written in canonical decimal (no
//! leading zeros, no sign) so that each entry has exactly one id, which also
//! makes them match SCRAPI clients' `^\d+\.\d+$`.

use std::fmt;
use std::str::FromStr;

use crate::decimal::parse as parse_canonical;

/// The only shard that exists today.
pub const CURRENT_SHARD: u32 = 1;

/// A malformed entry id.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("malformed entry id {0:?}: expected <shard>.<index> such as 1.42")]
pub struct EntryIdError(pub String);

/// An entry of an ashlog log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId {
    /// Shard number, 1 or more.
    pub shard: u32,
    /// Leaf index in the shard's tree.
    pub index: u64,
}

impl EntryId {
    /// The entry at `index` of the current shard.
    pub fn new(index: u64) -> Self {
        EntryId {
            shard: CURRENT_SHARD,
            index,
        }
    }
}

impl FromStr for EntryId {
    type Err = EntryIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || EntryIdError(s.chars().take(64).collect());
        let (shard, index) = s.split_once('.').ok_or_else(err)?;
        let shard = parse_canonical(shard)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v >= 1)
            .ok_or_else(err)?;
        let index = parse_canonical(index).ok_or_else(err)?;
        Ok(EntryId { shard, index })
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.shard, self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_id_round_trips() {
        let id: EntryId = "1.4711".parse().unwrap();
        assert_eq!(id, EntryId::new(4711));
        assert_eq!(id.to_string(), "1.4711");
        assert_eq!("1.0".parse::<EntryId>().unwrap().index, 0);
    }

    #[test]
    fn entry_id_rejects_noncanonical() {
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "0.1",
            "01.1",
            "1.01",
            "1.-1",
            "1.+1",
            "1.1.1",
            "a.b",
            "1. 1",
            "1.99999999999999999999",
        ] {
            assert!(bad.parse::<EntryId>().is_err(), "{bad}");
        }
    }
}
