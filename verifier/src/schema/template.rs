//! [`template`]: commented TOML starting points, one per kind.

use super::Kind;

/// A commented TOML template with every field of the kind, required and optional, with comments
/// saying which, the allowed enum values, and an example value. Ok guarantee: the template as
/// shipped parses and validates with [`Document::from_toml`](super::Document::from_toml), so an
/// officer who changes only values (and deletes optional fields) keeps a well-formed document.
pub fn template(kind: Kind) -> &'static str {
    match kind {
        Kind::Destruction => include_str!("templates/destruction.toml"),
        Kind::Takedown => include_str!("templates/takedown.toml"),
        Kind::Endorsement => include_str!("templates/endorsement.toml"),
        Kind::Correction => include_str!("templates/correction.toml"),
        Kind::Policy => include_str!("templates/policy.toml"),
    }
}
