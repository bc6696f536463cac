//! [`Document`]: the authoring form an agency officer writes in TOML (or JSON): an `[envelope]`
//! with what goes into the COSE headers, and a `[statement]` that is the payload exactly as it
//! will be encoded in CBOR, field for field.
//!
//! ```toml
//! [envelope]
//! kind = "destruction"
//! subject = "destruction/2023-03-02/health-code-data"   # CWT sub: stable subject
//! issuer = "https://dsj.wuxi.gov.cn"                     # optional: CWT iss
//!
//! [statement]
//! # ...the payload fields...
//! ```
//!
//! TOML date-times may be written bare (`started_at = 2023-03-02T09:30:00+08:00`) or quoted; both
//! become the same text. Integers stay integers; a float anywhere is refused.

use super::check::{self, Check, Path};
use super::error::render_path;
use super::{
    Correction, Destruction, Endorsement, Kind, LogPolicy, SchemaError, Statement, Takedown,
};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

/// The authoring form: what an agency officer writes in TOML or JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What goes into the COSE protected header.
    pub envelope: Envelope,
    /// The payload.
    pub statement: Statement,
}

/// The parts of an authoring document that become COSE header values rather than payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The statement kind (decides the content type and which schema `[statement]` follows).
    pub kind: Kind,
    /// CWT `sub`: a stable subject such as `destruction/2023-03-02/health-code-data`; printable,
    /// no spaces, at most 256 characters.
    pub subject: String,
    /// CWT `iss`: the agency's URI; optional, defaulting to the certificate's URI SAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl Check for Envelope {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        let sp = p.field("subject");
        check::ident(&sp, &self.subject, 256)?;
        if self.subject.chars().any(char::is_whitespace) {
            return Err(sp.invalid("must not contain spaces; use '-' or '/' as in destruction/2023-03-02/health-code-data"));
        }
        match &self.issuer {
            Some(iss) => check::url(&p.field("issuer"), iss),
            None => Ok(()),
        }
    }
}

/// First pass: the envelope alone, so we know which schema the statement follows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    envelope: Envelope,
    #[allow(dead_code)]
    statement: IgnoredAny,
}

/// Second pass: the statement as the kind's type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body<T> {
    #[allow(dead_code)]
    envelope: IgnoredAny,
    statement: T,
}

/// What `to_toml` writes.
#[derive(Serialize)]
struct Out<'a> {
    envelope: &'a Envelope,
    statement: &'a Statement,
}

impl Document {
    /// Parses and validates a TOML authoring document. Ok means the envelope and the statement are
    /// valid (as [`Statement::validate`]) and the statement encodes to the payload to sign. Errors
    /// carry the field path, e.g. `statement.actions[0].level`; TOML syntax errors are
    /// [`SchemaError::Malformed`] with the line number.
    pub fn from_toml(text: &str) -> Result<Document, SchemaError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() + 1);
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            SchemaError::Malformed {
                reason: format!("TOML: {}{at}", e.message().trim_end()),
            }
        })?;
        let value = toml::Value::Table(table);
        let head: Head = from_toml_value(value.clone())?;
        let statement = match head.envelope.kind {
            Kind::Destruction => {
                Statement::Destruction(from_toml_value::<Body<Destruction>>(value)?.statement)
            }
            Kind::Takedown => {
                Statement::Takedown(from_toml_value::<Body<Takedown>>(value)?.statement)
            }
            Kind::Endorsement => {
                Statement::Endorsement(from_toml_value::<Body<Endorsement>>(value)?.statement)
            }
            Kind::Correction => {
                Statement::Correction(from_toml_value::<Body<Correction>>(value)?.statement)
            }
            Kind::Policy => Statement::Policy(from_toml_value::<Body<LogPolicy>>(value)?.statement),
        };
        Document::checked(head.envelope, statement)
    }

    /// Parses and validates a JSON authoring document (`{"envelope": {...}, "statement": {...}}`);
    /// otherwise exactly as [`Document::from_toml`]. A repeated key anywhere is an error.
    pub fn from_json(text: &str) -> Result<Document, SchemaError> {
        let head: Head = from_json_text(text)?;
        let statement = match head.envelope.kind {
            Kind::Destruction => {
                Statement::Destruction(from_json_text::<Body<Destruction>>(text)?.statement)
            }
            Kind::Takedown => {
                Statement::Takedown(from_json_text::<Body<Takedown>>(text)?.statement)
            }
            Kind::Endorsement => {
                Statement::Endorsement(from_json_text::<Body<Endorsement>>(text)?.statement)
            }
            Kind::Correction => {
                Statement::Correction(from_json_text::<Body<Correction>>(text)?.statement)
            }
            Kind::Policy => Statement::Policy(from_json_text::<Body<LogPolicy>>(text)?.statement),
        };
        Document::checked(head.envelope, statement)
    }

    /// The document as TOML that [`Document::from_toml`] reads back to an equal document. A
    /// document that passed validation always converts; for one built by hand that TOML cannot
    /// express (an integer above 2^63 - 1, a null patch value), the result is a single comment
    /// line naming the problem.
    pub fn to_toml(&self) -> String {
        let out = Out {
            envelope: &self.envelope,
            statement: &self.statement,
        };
        toml::to_string(&out)
            .unwrap_or_else(|e| format!("# this document cannot be written as TOML: {e}\n"))
    }

    /// The document as JSON with the same shape as the TOML form (tests compare the two forms).
    #[cfg(test)]
    pub(crate) fn to_json_text(&self) -> String {
        let out = Out {
            envelope: &self.envelope,
            statement: &self.statement,
        };
        serde_json::to_string_pretty(&out)
            .unwrap_or_else(|e| format!("\"cannot be written as JSON: {e}\""))
    }

    fn checked(envelope: Envelope, statement: Statement) -> Result<Document, SchemaError> {
        envelope.check(&Path::at("envelope"))?;
        if envelope.kind != statement.kind() {
            return Err(Path::at("envelope.kind").invalid("does not match the statement"));
        }
        statement.validate_at(&Path::at("statement"))?;
        Ok(Document {
            envelope,
            statement,
        })
    }
}

fn from_toml_value<T: DeserializeOwned>(value: toml::Value) -> Result<T, SchemaError> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| SchemaError::from_serde(render_path(e.path()), e.inner().message()))
}

fn from_json_text<T: DeserializeOwned>(text: &str) -> Result<T, SchemaError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = render_path(e.path());
        let inner = e.into_inner();
        json_error(path, &inner)
    })?;
    de.end().map_err(|e| SchemaError::Malformed {
        reason: format!("JSON: {e}"),
    })?;
    Ok(value)
}

fn json_error(path: String, e: &serde_json::Error) -> SchemaError {
    match e.classify() {
        serde_json::error::Category::Data => {
            // serde_json appends the position to every message; the path says more.
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            SchemaError::from_serde(path, full.strip_suffix(&suffix).unwrap_or(&full))
        }
        _ => SchemaError::Malformed {
            reason: format!("JSON: {e}"),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::{fixtures, template};

    fn parse(name: &str, text: &str) -> Document {
        Document::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn fixtures_parse_validate_and_round_trip_through_cbor() {
        for (name, text) in fixtures::all() {
            let doc = parse(name, text);
            let cbor = doc.statement.to_cbor();
            let back = Statement::from_cbor(doc.envelope.kind, &cbor)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(back, doc.statement, "{name}");
            assert_eq!(back.to_cbor(), cbor, "{name}");
        }
    }

    #[test]
    fn templates_parse_validate_and_round_trip_through_cbor() {
        for kind in Kind::ALL {
            let doc = parse(kind.name(), template(kind));
            assert_eq!(doc.envelope.kind, kind);
            let cbor = doc.statement.to_cbor();
            let back = Statement::from_cbor(kind, &cbor).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(back, doc.statement, "{kind}");
            assert_eq!(back.to_cbor(), cbor, "{kind}");
        }
    }
}
