//! One cache of validated chains, shared by every caller that validates
//! many statements: the log's registration, `ashlog verify` over several
//! files and the auditor's replay.
//!
//! Validation is deterministic in the chain bytes and the anchors, and a
//! validated chain holds at a time `t` exactly when `t` is inside its
//! validity window ([`ValidatedChain::not_before`] to
//! [`ValidatedChain::not_after`], the intersection of every certificate's
//! on the path). So a hit re-checks the times and nothing else: one SHA-256
//! of the chain bytes instead of parsing certificates and verifying their
//! signatures.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{CertChain, ChainError, TrustAnchors, ValidatedChain, fingerprint_of};

/// Whether a validation came from the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The chain was validated before under the same anchors and its
    /// window covers every time asked for.
    Hit,
    /// It was validated now (and cached if it validated).
    Miss,
}

/// (chain fingerprint, anchor-set fingerprint).
type Key = ([u8; 32], [u8; 32]);

/// Validated chains by (chain fingerprint, anchor-set fingerprint).
#[derive(Debug)]
pub struct ChainCache {
    entries: Mutex<HashMap<Key, ValidatedChain>>,
    capacity: usize,
}

impl Default for ChainCache {
    fn default() -> Self {
        ChainCache::new(ChainCache::DEFAULT_CAPACITY)
    }
}

impl ChainCache {
    /// Chains kept by default. Agencies are few; a flood of distinct chains
    /// only costs full validations, never memory: past the capacity the
    /// cache starts over.
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// An empty cache of at most `capacity` chains.
    pub fn new(capacity: usize) -> ChainCache {
        ChainCache {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// Validates the chain `ders` (leaf first) to `anchors` at every time of
    /// `at`, as [`CertChain::validate`] does, answering from the cache when
    /// it can. Ok and Err are exactly what a full validation would give.
    pub fn validate(
        &self,
        ders: &[Vec<u8>],
        anchors: &TrustAnchors,
        at: &[i64],
    ) -> Result<(ValidatedChain, Lookup), ChainError> {
        // Keyed by the raw DERs: a hit costs one SHA-256, no parsing.
        let key = (fingerprint_of(ders), anchors.fingerprint());
        let cached = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(v) = cached
            && at
                .iter()
                .all(|t| *t >= v.not_before() && *t <= v.not_after())
        {
            return Ok((v, Lookup::Hit));
        }
        // A chain cached but outside its window at some `t` is validated
        // again in full, so the error names the certificate that expired.
        let v = CertChain::from_der_list(ders.to_vec())?.validate(anchors, at)?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, v.clone());
        Ok((v, Lookup::Miss))
    }

    /// How many chains are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pki::TestPki;

    const T: i64 = 1_764_000_000;

    fn chain(pki: &TestPki) -> Vec<Vec<u8>> {
        pki.leaf("https://agency.example/", T - 60, T + 86_400).1
    }

    #[test]
    fn cache_hits_only_inside_the_window_and_under_the_same_anchors() {
        let pki = TestPki::new();
        let ders = chain(&pki);
        let anchors = pki.anchors();
        let cache = ChainCache::new(8);
        let (_, first) = cache.validate(&ders, &anchors, &[T]).unwrap();
        assert_eq!(first, Lookup::Miss);
        let (_, again) = cache.validate(&ders, &anchors, &[T, T + 1]).unwrap();
        assert_eq!(again, Lookup::Hit);
        // Outside the window: the full validation's error, not a stale Ok.
        let expired = cache.validate(&ders, &anchors, &[T + 86_401]);
        assert!(
            matches!(expired, Err(ChainError::Expired { .. })),
            "{expired:?}"
        );
        let early = cache.validate(&ders, &anchors, &[T, T - 61]);
        assert!(early.is_err(), "{early:?}");
        // Another anchor set never sees this entry.
        let other = TestPki::new().anchors();
        assert_ne!(other.fingerprint(), anchors.fingerprint());
        assert!(cache.validate(&ders, &other, &[T]).is_err());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_starts_over_past_its_capacity() {
        let cache = ChainCache::new(1);
        let (a, b) = (TestPki::new(), TestPki::new());
        let (ca, cb) = (chain(&a), chain(&b));
        cache.validate(&ca, &a.anchors(), &[T]).unwrap();
        cache.validate(&cb, &b.anchors(), &[T]).unwrap();
        assert_eq!(cache.len(), 1);
        let (_, l) = cache.validate(&ca, &a.anchors(), &[T]).unwrap();
        assert_eq!(l, Lookup::Miss);
    }
}
