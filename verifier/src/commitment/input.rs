//! The PRF input: which commitment, which identifier type, which person
//! (DESIGN.md §10.2).
//!
//! `"ashlog-commit-v1" 0x00 context 0x00 identifier_type 0x00 canonical_id`.
//! The three fields are ASCII and contain no 0x00, so the encoding is
//! injective; the context (chosen by the agency, one per commitment) keeps a
//! value computed for one commitment from meaning anything in another even
//! if a key were reused, and the prefix keeps ashlog's inputs apart from any
//! other protocol's.

use zeroize::Zeroizing;

use super::identifier::CanonicalId;

/// The domain-separation prefix of every PRF input.
pub const DOMAIN: &[u8] = b"ashlog-commit-v1";

/// Longest context token.
pub const MAX_CONTEXT: usize = 64;

/// Why a context token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// Empty or longer than [`MAX_CONTEXT`].
    #[error("context must be 1 to {MAX_CONTEXT} characters, got {0}")]
    Length(usize),
    /// A character outside `a-z 0-9 . _ -`.
    #[error("context may hold only a-z, 0-9, '.', '_' and '-' (character {0} is not one)")]
    Character(usize),
}

/// A commitment's context token, e.g. `wuxi-health-2023`: lower-case ASCII
/// letters, digits, `.`, `_` and `-`, 1 to 64 characters, so that it reads
/// the same in every script and cannot smuggle a separator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Context(String);

impl Context {
    /// Checks `token`.
    pub fn new(token: &str) -> Result<Context, ContextError> {
        if token.is_empty() || token.len() > MAX_CONTEXT {
            return Err(ContextError::Length(token.chars().count()));
        }
        if let Some(i) = token
            .bytes()
            .position(|b| !matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
        {
            return Err(ContextError::Character(i + 1));
        }
        Ok(Context(token.to_string()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The PRF input for `id` in the commitment with `context`. It holds the
/// identifier, so it is wiped when dropped.
pub fn prf_input(context: &Context, id: &CanonicalId) -> Zeroizing<Vec<u8>> {
    let kind = id.kind().as_str().as_bytes();
    let mut x = Vec::with_capacity(DOMAIN.len() + 3 + context.0.len() + kind.len() + 18);
    x.extend_from_slice(DOMAIN);
    x.push(0);
    x.extend_from_slice(context.0.as_bytes());
    x.push(0);
    x.extend_from_slice(kind);
    x.push(0);
    x.extend_from_slice(id.as_bytes());
    Zeroizing::new(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitment::identifier::IdentifierType;

    #[test]
    fn the_layout_is_the_documented_one() {
        let ctx = Context::new("wuxi-health-2023").unwrap();
        let id = IdentifierType::CnRid18
            .canonicalise("11010519491231002x")
            .unwrap();
        assert_eq!(
            prf_input(&ctx, &id).as_slice(),
            b"ashlog-commit-v1\0wuxi-health-2023\0CN-RID-18\x0011010519491231002X"
        );
    }

    #[test]
    fn contexts_are_strict_tokens() {
        for ok in ["a", "wuxi-health-2023", "v1.2_x", &"z".repeat(64)] {
            assert!(Context::new(ok).is_ok(), "{ok}");
        }
        assert_eq!(Context::new(""), Err(ContextError::Length(0)));
        assert_eq!(Context::new(&"z".repeat(65)), Err(ContextError::Length(65)));
        assert_eq!(Context::new("Wuxi"), Err(ContextError::Character(1)));
        assert_eq!(Context::new("wu xi"), Err(ContextError::Character(3)));
        assert_eq!(Context::new("wu\0xi"), Err(ContextError::Character(3)));
        assert!(Context::new("无锡").is_err());
    }
}
