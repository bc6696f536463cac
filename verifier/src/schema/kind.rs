//! [`Kind`]: the five statement kinds and their COSE content types.

use super::SchemaError;
use std::fmt;
use std::str::FromStr;

/// A statement kind. Each has a name (`destruction`) and a COSE content type
/// (`application/vnd.ashlog.destruction+cbor`); the content type in the protected header decides
/// how the payload is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An agency destroyed (or restricted) personal data.
    Destruction,
    /// An agency took apps, mini-programs or sites offline.
    Takedown,
    /// An auditor, notary or regulator endorses an earlier entry.
    Endorsement,
    /// A correction, status update, retraction or dispute of an earlier entry.
    Correction,
    /// The log's own registration policy (always entry 0, signed with the log's key).
    Policy,
}

impl Kind {
    /// Every kind, in the order above.
    pub const ALL: [Kind; 5] = [
        Kind::Destruction,
        Kind::Takedown,
        Kind::Endorsement,
        Kind::Correction,
        Kind::Policy,
    ];

    /// The kind's name, e.g. `destruction`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Destruction => "destruction",
            Kind::Takedown => "takedown",
            Kind::Endorsement => "endorsement",
            Kind::Correction => "correction",
            Kind::Policy => "policy",
        }
    }

    /// The COSE content type, e.g. `application/vnd.ashlog.destruction+cbor`.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Destruction => "application/vnd.ashlog.destruction+cbor",
            Kind::Takedown => "application/vnd.ashlog.takedown+cbor",
            Kind::Endorsement => "application/vnd.ashlog.endorsement+cbor",
            Kind::Correction => "application/vnd.ashlog.correction+cbor",
            Kind::Policy => "application/vnd.ashlog.policy+cbor",
        }
    }

    /// The kind whose content type is exactly `ct` (no parameters, case-sensitive), if any.
    pub fn from_content_type(ct: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.content_type() == ct)
    }
}

impl FromStr for Kind {
    type Err = SchemaError;

    /// Parses a kind name (`destruction`, ...); anything else is [`SchemaError::UnknownKind`].
    fn from_str(s: &str) -> Result<Kind, SchemaError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| SchemaError::UnknownKind {
                name: s.to_string(),
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

const NAMES: &[&str] = &[
    "destruction",
    "takedown",
    "endorsement",
    "correction",
    "policy",
];

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "one of: {}", NAMES.join(", "))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Kind, E> {
                v.parse().map_err(|_| E::unknown_variant(v, NAMES))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_and_content_types_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse::<Kind>().ok(), Some(kind));
            assert_eq!(Kind::from_content_type(kind.content_type()), Some(kind));
            assert_eq!(kind.to_string(), kind.name());
            assert_eq!(
                kind.content_type(),
                format!("application/vnd.ashlog.{kind}+cbor")
            );
        }
        assert_eq!(NAMES, Kind::ALL.map(Kind::name));
    }

    #[test]
    fn kind_rejects_unknown_names_and_content_types() {
        assert_eq!(
            "plan".parse::<Kind>(),
            Err(SchemaError::UnknownKind {
                name: "plan".into()
            })
        );
        assert_eq!(
            "Destruction".parse::<Kind>().map_err(|e| e.kind()),
            Err("unknown_kind")
        );
        assert_eq!(
            Kind::from_content_type("application/vnd.ashlog.destruction+cbor; charset=x"),
            None
        );
        assert_eq!(Kind::from_content_type("application/cbor"), None);
    }
}
