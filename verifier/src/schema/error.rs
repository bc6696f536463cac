//! [`SchemaError`]: why a statement payload or authoring document was refused.

/// Why a statement was refused. Every variant that concerns one field names its path: `actions[0].level`
/// relative to the payload root for [`Statement::from_cbor`](super::Statement::from_cbor), and
/// `statement.actions[0].level` or `envelope.subject` for [`Document`](super::Document) parsing.
/// Array indices are zero-based; LText language tags appear as path segments (`title.zh-CN`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A required field is absent. `path` names the absent field itself.
    #[error("{}: missing field", shown(path))]
    MissingField {
        /// Path of the absent field, e.g. `record_count.value`.
        path: String,
    },
    /// A field that the schema does not define is present (every struct denies unknown fields, so a
    /// typo never silently drops information).
    #[error("{}: unknown field", shown(path))]
    UnknownField {
        /// Path of the unexpected field, e.g. `statement.record_cuont`.
        path: String,
    },
    /// A field is present but breaks a rule: a bound (length, item count, integer range), an
    /// enumeration, a format (date, hex, entry id, URL), an encoding rule (no floats, no null, no
    /// duplicate keys) or a rule across fields (`completed_at` before `started_at`).
    #[error("{}: {reason}", shown(path))]
    Invalid {
        /// Path of the offending field.
        path: String,
        /// What is wrong, in words, naming the bound or the allowed values.
        reason: String,
    },
    /// The input is not CBOR, TOML or JSON at all, or carries bytes after the single top-level item.
    #[error("malformed: {reason}")]
    Malformed {
        /// What the parser found.
        reason: String,
    },
    /// The payload exceeds [`MAX_PAYLOAD_BYTES`](super::MAX_PAYLOAD_BYTES) and was not parsed.
    #[error("payload is {size} bytes; at most {limit} allowed")]
    TooLarge {
        /// Size of the refused payload in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A kind name or content type that is not one of the five ashlog kinds.
    #[error(
        "unknown statement kind `{name}`; expected one of destruction, takedown, endorsement, correction, policy"
    )]
    UnknownKind {
        /// The name or content type given.
        name: String,
    },
}

/// Shows the empty (root) path as `(root)` so messages never start with a bare colon.
fn shown(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

impl SchemaError {
    /// The path of the offending field, if the error concerns one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::MissingField { path }
            | Self::UnknownField { path }
            | Self::Invalid { path, .. } => Some(path),
            Self::Malformed { .. } | Self::TooLarge { .. } | Self::UnknownKind { .. } => None,
        }
    }

    /// A short stable label for metrics and problem-details titles.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingField { .. } => "missing_field",
            Self::UnknownField { .. } => "unknown_field",
            Self::Invalid { .. } => "invalid",
            Self::Malformed { .. } => "malformed",
            Self::TooLarge { .. } => "too_large",
            Self::UnknownKind { .. } => "unknown_kind",
        }
    }

    /// Turns a serde deserialization message raised at `path` into the matching variant. serde reports
    /// missing and duplicate fields at the enclosing struct with the field name in backticks; we
    /// move the name into the path so that every error names the field itself.
    pub(crate) fn from_serde(path: String, message: &str) -> Self {
        if let Some(name) = backticked(message, "missing field `") {
            return Self::MissingField {
                path: join_path(&path, name),
            };
        }
        if let Some(name) = backticked(message, "unknown field `") {
            // serde_path_to_error has usually captured the offending key into the path already.
            let named = path == name || path.ends_with(&format!(".{name}"));
            return Self::UnknownField {
                path: if named { path } else { join_path(&path, name) },
            };
        }
        for prefix in ["duplicate field `", "duplicate key `"] {
            if let Some(name) = backticked(message, prefix) {
                return Self::Invalid {
                    path: join_path(&path, name),
                    reason: "duplicate key".into(),
                };
            }
        }
        let reason = if message.contains("floating point") {
            "floating-point numbers are not allowed; use an integer".to_string()
        } else if let Some(rest) = message.strip_prefix("unknown variant ") {
            format!("unknown value {rest}")
        } else {
            message.to_string()
        };
        Self::Invalid { path, reason }
    }
}

/// The name between `prefix` and the next backtick, if `message` starts with `prefix`.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name)
}

/// Joins two dotted paths, leaving out the dot when either side is the root.
pub(crate) fn join_path(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_string(),
        (false, true) => parent.to_string(),
        (false, false) if child.starts_with('[') => format!("{parent}{child}"),
        (false, false) => format!("{parent}.{child}"),
    }
}

/// Renders a serde_path_to_error path in our notation: `actions[0].level`.
pub(crate) fn render_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        let piece = match segment {
            serde_path_to_error::Segment::Seq { index } => format!("[{index}]"),
            serde_path_to_error::Segment::Map { key } => key.clone(),
            serde_path_to_error::Segment::Enum { variant } => variant.clone(),
            serde_path_to_error::Segment::Unknown => "?".to_string(),
        };
        out = join_path(&out, &piece);
    }
    out
}

/// Asserts that `result` is [`SchemaError::Invalid`] at exactly `path` and returns the reason.
#[cfg(test)]
#[track_caller]
pub(crate) fn expect_invalid<T: std::fmt::Debug>(
    result: Result<T, SchemaError>,
    path: &str,
) -> String {
    match result {
        Err(SchemaError::Invalid { path: p, reason }) if p == path => reason,
        other => panic!("expected Invalid at `{path}`, got {other:?}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_path() {
        let e = SchemaError::MissingField {
            path: "statement.record_count.value".into(),
        };
        assert_eq!(e.to_string(), "statement.record_count.value: missing field");
        let e = SchemaError::Invalid {
            path: String::new(),
            reason: "not a map".into(),
        };
        assert_eq!(e.to_string(), "(root): not a map");
        assert_eq!(e.path(), Some(""));
        assert_eq!(SchemaError::Malformed { reason: "x".into() }.path(), None);
    }

    #[test]
    fn from_serde_moves_field_names_into_the_path() {
        let e = SchemaError::from_serde("record_count".into(), "missing field `value`");
        assert_eq!(
            e,
            SchemaError::MissingField {
                path: "record_count.value".into()
            }
        );
        let e =
            SchemaError::from_serde(String::new(), "unknown field `colour`, expected one of `a`");
        assert_eq!(
            e,
            SchemaError::UnknownField {
                path: "colour".into()
            }
        );
        let e = SchemaError::from_serde("title".into(), "duplicate key `en`");
        assert_eq!(e.path(), Some("title.en"));
        assert_eq!(e.kind(), "invalid");
    }

    #[test]
    fn join_path_handles_root_and_indices() {
        assert_eq!(join_path("", "a"), "a");
        assert_eq!(join_path("a", "[0]"), "a[0]");
        assert_eq!(join_path("a[0]", "b"), "a[0].b");
        assert_eq!(join_path("a", ""), "a");
    }
}
