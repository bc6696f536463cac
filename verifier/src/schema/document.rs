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
    use crate::schema::error::expect_invalid;
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
    #[test]
    fn toml_and_json_forms_give_identical_cbor() {
        let texts = fixtures::all().map(|(_, t)| t);
        for text in texts.into_iter().chain(Kind::ALL.map(template)) {
            let from_toml = Document::from_toml(text).unwrap();
            let json = from_toml.to_json_text();
            let from_json = Document::from_json(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
            assert_eq!(from_json, from_toml);
            assert_eq!(from_json.statement.to_cbor(), from_toml.statement.to_cbor());
        }
    }

    #[test]
    fn to_toml_reads_back_to_the_same_document() {
        let texts = fixtures::all().map(|(_, t)| t);
        for text in texts.into_iter().chain(Kind::ALL.map(template)) {
            let doc = Document::from_toml(text).unwrap();
            let written = doc.to_toml();
            let back = Document::from_toml(&written).unwrap_or_else(|e| panic!("{e}\n{written}"));
            assert_eq!(back, doc);
        }
    }

    /// The Wuxi destruction fixture with `from` replaced by `to` (which must occur exactly once).
    fn wuxi_with(from: &str, to: &str) -> Result<Document, SchemaError> {
        assert_eq!(
            fixtures::WUXI_DESTRUCTION.matches(from).count(),
            1,
            "{from}"
        );
        Document::from_toml(&fixtures::WUXI_DESTRUCTION.replace(from, to))
    }

    #[test]
    fn from_toml_errors_carry_statement_paths() {
        let r = wuxi_with("level = \"purge\"", "level = \"shredded\"");
        let reason = expect_invalid(r, "statement.actions[0].level");
        assert!(
            reason.starts_with("unknown value `shredded`, expected one of"),
            "{reason}"
        );
        let r = wuxi_with("value = 1000000000\n", "");
        assert_eq!(
            r,
            Err(SchemaError::MissingField {
                path: "statement.record_count.value".into()
            })
        );
        let r = wuxi_with(
            "lower_bound = true\n",
            "lower_bound = true\nupper_bound = false\n",
        );
        assert_eq!(
            r,
            Err(SchemaError::UnknownField {
                path: "statement.record_count.upper_bound".into()
            })
        );
        let r = wuxi_with(
            "[statement.location]",
            "[statement.location]\nstreet = \"x\"",
        );
        assert_eq!(
            r,
            Err(SchemaError::UnknownField {
                path: "statement.location.street".into()
            })
        );
        let r = wuxi_with("due_by = \"2023-06-30\"", "due_by = \"2023-06-31\"");
        expect_invalid(r, "statement.pending_steps[0].due_by");
        let r = wuxi_with(
            "completed_at = \"2023-03-02T16:40:00+08:00\"",
            "completed_at = \"2023-03-02T08:40:00+08:00\"",
        );
        assert_eq!(
            expect_invalid(r, "statement.completed_at"),
            "is before started_at"
        );
    }

    #[test]
    fn from_toml_errors_in_the_envelope_carry_envelope_paths() {
        let r = wuxi_with("kind = \"destruction\"", "kind = \"plan\"");
        expect_invalid(r, "envelope.kind");
        let r = wuxi_with(
            "kind = \"destruction\"",
            "kind = \"destruction\"\nsigner = \"me\"",
        );
        assert_eq!(
            r,
            Err(SchemaError::UnknownField {
                path: "envelope.signer".into()
            })
        );
        let r = wuxi_with(
            "subject = \"destruction/2023-03-02/pandemic-personal-data-batch-1\"",
            "subject = \"batch one\"",
        );
        expect_invalid(r, "envelope.subject");
        let r = wuxi_with(
            "issuer = \"https://dsj.wuxi.gov.cn\"",
            "issuer = \"dsj.wuxi.gov.cn\"",
        );
        expect_invalid(r, "envelope.issuer");
        let r = Document::from_toml("[envelope]\nkind = \"destruction\"\nsubject = \"x\"\n");
        assert_eq!(
            r,
            Err(SchemaError::MissingField {
                path: "statement".into()
            })
        );
        let r = Document::from_toml(
            "[envelope]\nkind = \"takedown\"\nsubject = \"x\"\n[statement]\n[extra]\n",
        );
        assert_eq!(
            r,
            Err(SchemaError::UnknownField {
                path: "extra".into()
            })
        );
    }

    #[test]
    fn from_toml_rejects_the_wrong_schema_for_the_envelope_kind() {
        let r = wuxi_with("kind = \"destruction\"", "kind = \"takedown\"");
        // TOML tables are read in key order, so the first field a takedown lacks is reported.
        assert_eq!(
            r,
            Err(SchemaError::UnknownField {
                path: "statement.accountable_officer".into()
            })
        );
    }

    #[test]
    fn from_toml_accepts_bare_datetimes_but_not_local_ones() {
        let quoted = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
        let bare = wuxi_with(
            "started_at = \"2023-03-02T09:30:00+08:00\"",
            "started_at = 2023-03-02T09:30:00+08:00",
        )
        .unwrap();
        assert_eq!(bare, quoted);
        let bare_date = wuxi_with("from = \"2020-01-24\"", "from = 2020-01-24").unwrap();
        assert_eq!(bare_date, quoted);
        let local = wuxi_with(
            "started_at = \"2023-03-02T09:30:00+08:00\"",
            "started_at = 2023-03-02T09:30:00",
        );
        assert!(expect_invalid(local, "statement.started_at").contains("no UTC offset"));
    }

    #[test]
    fn from_toml_rejects_floats() {
        let r = wuxi_with("value = 1000000000", "value = 1.0e9");
        let reason = expect_invalid(r, "statement.record_count.value");
        assert_eq!(
            reason,
            "floating-point numbers are not allowed; use an integer"
        );
        let r = Document::from_toml(
            &fixtures::STATUS_UPDATE_CORRECTION.replace("count = 120", "count = 120.0"),
        );
        assert!(
            expect_invalid(r, "statement.patch[3].value.media.count").contains("floating-point")
        );
    }

    #[test]
    fn from_toml_reports_syntax_errors_as_malformed_with_the_line() {
        let text = fixtures::WUXI_DESTRUCTION.replace(
            "status = \"completed_with_pending_steps\"",
            "status = completed",
        );
        let Err(SchemaError::Malformed { reason }) = Document::from_toml(&text) else {
            panic!("expected Malformed")
        };
        assert!(
            reason.starts_with("TOML: ") && reason.contains("(line 21)"),
            "{reason}"
        );
    }

    #[test]
    fn from_json_rejects_duplicate_keys_and_trailing_text() {
        let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
        let json = doc.to_json_text();
        let dup_field = json.replacen(
            "\"status\": \"completed_with_pending_steps\",",
            "\"status\": \"completed\", \"status\": \"completed\",",
            1,
        );
        assert_eq!(
            expect_invalid(Document::from_json(&dup_field), "statement.status"),
            "duplicate key"
        );
        let dup_lang = json.replacen(
            "\"en\": \"pandemic personal data\"",
            "\"en\": \"a\", \"en\": \"b\"",
            1,
        );
        assert_eq!(
            expect_invalid(
                Document::from_json(&dup_lang),
                "statement.data_description.en"
            ),
            "duplicate key"
        );
        assert_eq!(
            Document::from_json(&format!("{json} {{}}")).map_err(|e| e.kind()),
            Err("malformed")
        );
        assert_eq!(
            Document::from_json("{\"envelope\": ").map_err(|e| e.kind()),
            Err("malformed")
        );
    }

    #[test]
    fn from_json_errors_carry_statement_paths() {
        let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
        let json = doc.to_json_text();
        let bad = json.replacen("\"value\": 1000000000", "\"value\": 1000000000.5", 1);
        expect_invalid(Document::from_json(&bad), "statement.record_count.value");
        let bad = json.replacen("\"unit\": \"rows\",", "", 1);
        assert_eq!(
            Document::from_json(&bad),
            Err(SchemaError::MissingField {
                path: "statement.record_count.unit".into()
            })
        );
        let patch = Document::from_toml(fixtures::STATUS_UPDATE_CORRECTION)
            .unwrap()
            .to_json_text();
        let null = patch.replacen("\"value\": \"completed\"", "\"value\": null", 1);
        let reason = expect_invalid(Document::from_json(&null), "statement.patch[1].value");
        assert!(reason.contains("null is not allowed"), "{reason}");
    }

    #[test]
    fn templates_list_every_allowed_enum_value() {
        use crate::schema::*;
        let checks: [(Kind, &[&[&str]]); 5] = [
            (
                Kind::Destruction,
                &[
                    DestructionStatus::NAMES,
                    Trigger::NAMES,
                    CountUnit::NAMES,
                    ExecutorRole::NAMES,
                    Hosting::NAMES,
                    CopyScope::NAMES,
                    Level::NAMES,
                    Technique::NAMES,
                    MediaKind::NAMES,
                    MediaDestination::NAMES,
                    VerificationMethod::NAMES,
                    Independence::NAMES,
                    VerificationResult::NAMES,
                    ValidationDecision::NAMES,
                    WitnessRole::NAMES,
                    ReferenceKind::NAMES,
                    CommitmentScheme::NAMES,
                    LeafKind::NAMES,
                    Granularity::NAMES,
                    DataCategoryCode::NAMES,
                    OrgType::NAMES,
                    OrgIdScheme::NAMES,
                    Relation::NAMES,
                ],
            ),
            (
                Kind::Takedown,
                &[
                    Trigger::NAMES,
                    IdentifierKind::NAMES,
                    StageKind::NAMES,
                    DataLocation::NAMES,
                    Fate::NAMES,
                    NoticeMethod::NAMES,
                    DataCategoryCode::NAMES,
                    OrgType::NAMES,
                    OrgIdScheme::NAMES,
                    Relation::NAMES,
                ],
            ),
            (
                Kind::Endorsement,
                &[
                    EndorserRole::NAMES,
                    EndorsementType::NAMES,
                    Opinion::NAMES,
                    Relation::NAMES,
                ],
            ),
            (
                Kind::Correction,
                &[
                    CorrectionKind::NAMES,
                    ReasonCode::NAMES,
                    EffectOnEndorsements::NAMES,
                    PatchOpKind::NAMES,
                    Relation::NAMES,
                ],
            ),
            (
                Kind::Policy,
                &[&["destruction", "takedown", "endorsement", "correction"]],
            ),
        ];
        for (kind, enums) in checks {
            let text = template(kind);
            for name in enums.iter().flat_map(|names| names.iter()) {
                assert!(
                    text.contains(name),
                    "the {kind} template does not mention `{name}`"
                );
            }
        }
    }
}
