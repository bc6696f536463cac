//! [`Statement`]: one decoded, typed statement payload of any kind, and its strict CBOR codec.
//!
//! Decoding runs in two passes over the same bytes. The first walks them without building
//! anything and enforces the encoding rules that hold for every kind: one item and nothing after
//! it, strict heads, maps with text keys and no repeated key, no floats, no null, no byte
//! strings, no tags. The second reads the typed struct (serde derive, unknown fields denied)
//! through the borrowing [`Deserializer`] and records the path of any failure. Only then does
//! [`Statement::validate`] run the semantic rules. Encoding writes struct fields in declaration
//! order and leaves out absent options, so `from_cbor` then `to_cbor` reproduces the bytes that
//! `to_cbor` wrote.

use super::check::{Check, MAX_PAYLOAD_BYTES, Path};
use super::deserializer::Deserializer;
use super::error::render_path;
use super::{
    Correction, Destruction, Endorsement, EntryRef, Kind, LogPolicy, SchemaError, Takedown,
};
use crate::cbor;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A statement payload of one of the five kinds.
// Variants stay unboxed so callers match on `Statement::Destruction(d)` directly; statements are
// handled one at a time, so the size difference costs nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `application/vnd.ashlog.destruction+cbor`
    Destruction(Destruction),
    /// `application/vnd.ashlog.takedown+cbor`
    Takedown(Takedown),
    /// `application/vnd.ashlog.endorsement+cbor`
    Endorsement(Endorsement),
    /// `application/vnd.ashlog.correction+cbor`
    Correction(Correction),
    /// `application/vnd.ashlog.policy+cbor`
    Policy(LogPolicy),
}

impl Statement {
    /// The statement's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Statement::Destruction(_) => Kind::Destruction,
            Statement::Takedown(_) => Kind::Takedown,
            Statement::Endorsement(_) => Kind::Endorsement,
            Statement::Correction(_) => Kind::Correction,
            Statement::Policy(_) => Kind::Policy,
        }
    }

    /// Decode a CBOR payload of the given kind and validate it. Rejects unknown fields, duplicate
    /// keys, trailing bytes, floats, nulls, byte strings, tags and non-text map keys, and payloads
    /// over [`MAX_PAYLOAD_BYTES`]. Ok means the payload is exactly one CBOR map of `kind`'s schema
    /// and passes [`Statement::validate`]. Error paths are relative to the payload root
    /// (`actions[0].level`).
    pub fn from_cbor(kind: Kind, payload: &[u8]) -> Result<Statement, SchemaError> {
        let statement = match kind {
            Kind::Destruction => Statement::Destruction(decode(payload)?),
            Kind::Takedown => Statement::Takedown(decode(payload)?),
            Kind::Endorsement => Statement::Endorsement(decode(payload)?),
            Kind::Correction => Statement::Correction(decode(payload)?),
            Kind::Policy => Statement::Policy(decode(payload)?),
        };
        statement.validate()?;
        Ok(statement)
    }

    /// The payload as CBOR: maps with text keys, struct fields in declaration order, absent
    /// options left out. Deterministic: equal statements give equal bytes.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Err(e) = ciborium::into_writer(self, &mut out) {
            // Writing to a Vec cannot fail, and no schema type asks ciborium for anything it
            // cannot encode (no floats, no u128, only text map keys).
            unreachable!("CBOR encoding of a statement failed: {e}");
        }
        out
    }

    /// Checks every field's bounds and format and the rules between fields (see each kind's
    /// type). Ok means the statement may be signed and registered as far as the schema is
    /// concerned; it says nothing about whether its claims are true.
    pub fn validate(&self) -> Result<(), SchemaError> {
        self.validate_at(&Path::root())
    }

    /// [`Statement::validate`] with error paths under `path`.
    pub(crate) fn validate_at(&self, path: &Path) -> Result<(), SchemaError> {
        match self {
            Statement::Destruction(s) => s.check(path),
            Statement::Takedown(s) => s.check(path),
            Statement::Endorsement(s) => s.check(path),
            Statement::Correction(s) => s.check(path),
            Statement::Policy(s) => s.check(path),
        }
    }

    /// For endorsement and correction: the entry they are about.
    pub fn target(&self) -> Option<&EntryRef> {
        match self {
            Statement::Endorsement(s) => Some(&s.target),
            Statement::Correction(s) => Some(&s.target),
            _ => None,
        }
    }
}

/// Serializes as the payload itself, without any kind tag (the kind travels in the COSE content
/// type, or in the authoring document's envelope).
impl Serialize for Statement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Statement::Destruction(s) => s.serialize(serializer),
            Statement::Takedown(s) => s.serialize(serializer),
            Statement::Endorsement(s) => s.serialize(serializer),
            Statement::Correction(s) => s.serialize(serializer),
            Statement::Policy(s) => s.serialize(serializer),
        }
    }
}

/// Decodes one payload of type `T` in the two passes described in the module doc.
fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, SchemaError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(SchemaError::TooLarge {
            size: payload.len(),
            limit: MAX_PAYLOAD_BYTES,
        });
    }
    let mut walk = Walk {
        r: cbor::Reader::new(payload),
        keys: Vec::new(),
    };
    walk.item(&Path::root(), 0)?;
    if walk.r.remaining() > 0 {
        return Err(SchemaError::Malformed {
            reason: format!("{} trailing bytes after the CBOR item", walk.r.remaining()),
        });
    }
    // Almost every payload decodes. serde_path_to_error allocates the name
    // of every map key it passes to remember where a failure happened, so
    // decode without it first and pay for the path only when there is a
    // failure to name: it wraps the same deserializer and changes nothing
    // about what is accepted, so the retry fails exactly where this did.
    if let Ok(t) = T::deserialize(&mut Deserializer::new(payload)) {
        return Ok(t);
    }
    match serde_path_to_error::deserialize::<_, T>(&mut Deserializer::new(payload)) {
        Ok(t) => Ok(t),
        Err(e) => Err(SchemaError::from_serde(
            render_path(e.path()),
            &e.into_inner().0,
        )),
    }
}

/// Maps with at most this many keys look for a repeated key by scanning the keys before it; larger
/// ones (only hostile payloads have them) use a hash set, so the walk stays linear.
const SCAN_KEYS: u64 = 32;

/// The first pass of [`decode`]: one walk over the bytes, allocating nothing on the way to
/// success, that enforces the encoding rules every payload obeys. Heads are read by
/// [`cbor::Reader`] under the strict rules (shortest form, definite lengths, lengths that fit);
/// on top of that, maps have text keys and no repeated key, and there are no floats, nulls, byte
/// strings or tags. Errors name the field where the rule broke.
struct Walk<'a> {
    r: cbor::Reader<'a>,
    /// Keys of the maps being walked, outermost first; one buffer for the whole walk.
    keys: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    fn item(&mut self, p: &Path, depth: usize) -> Result<(), SchemaError> {
        self.r.count_item().map_err(malformed)?;
        let initial = self.r.peek();
        let (major, arg, offset) = self.r.head().map_err(malformed)?;
        if depth == 0 && major != 5 {
            return Err(p.invalid("the payload must be a CBOR map"));
        }
        match major {
            0 | 1 => Ok(()),
            3 => self.text(arg, offset).map(|_| ()),
            4 => {
                self.nest(depth, arg, offset)?;
                (0..arg).try_for_each(|i| self.item(&p.index(i as usize), depth + 1))
            }
            5 => {
                self.nest(depth, arg.saturating_mul(2), offset)?;
                self.map(p, depth, arg)
            }
            2 => Err(p.invalid("byte strings are not allowed")),
            6 => Err(p.invalid("CBOR tags are not allowed")),
            _ => match initial.map(|b| b & 0x1f) {
                Some(20 | 21) => Ok(()),
                Some(22) => Err(p.invalid("null is not allowed; leave an absent field out")),
                Some(25..=27) => {
                    Err(p.invalid("floating-point numbers are not allowed; use an integer"))
                }
                _ => Err(p.invalid("unsupported CBOR item")),
            },
        }
    }

    fn map(&mut self, p: &Path, depth: usize, len: u64) -> Result<(), SchemaError> {
        let base = self.keys.len();
        let mut large = (len > SCAN_KEYS).then(std::collections::HashSet::new);
        for _ in 0..len {
            self.r.count_item().map_err(malformed)?;
            let (major, klen, offset) = self.r.head().map_err(malformed)?;
            if major != 3 {
                return Err(p.invalid("map keys must be text strings"));
            }
            let key = self.text(klen, offset)?;
            let repeated = match &mut large {
                Some(seen) => !seen.insert(key),
                None => {
                    let repeated = self.keys[base..].contains(&key);
                    self.keys.push(key);
                    repeated
                }
            };
            if repeated {
                return Err(p.field(key).invalid("duplicate key"));
            }
            self.item(&p.field(key), depth + 1)?;
        }
        self.keys.truncate(base);
        Ok(())
    }

    fn text(&mut self, len: u64, offset: usize) -> Result<&'a str, SchemaError> {
        let bytes = self.r.take(len).map_err(malformed)?;
        std::str::from_utf8(bytes).map_err(|_| {
            malformed(cbor::CborError::Malformed {
                offset,
                what: "text string is not UTF-8",
            })
        })
    }

    /// Refuses nesting beyond [`cbor::MAX_DEPTH`] and a container whose `min_bytes` (one per
    /// element at least) cannot fit in what is left, before any work on its elements.
    fn nest(&self, depth: usize, min_bytes: u64, offset: usize) -> Result<(), SchemaError> {
        if depth >= cbor::MAX_DEPTH {
            return Err(malformed(cbor::CborError::TooDeep));
        }
        if min_bytes > self.r.remaining() as u64 {
            return Err(malformed(cbor::CborError::Truncated { offset }));
        }
        Ok(())
    }
}

fn malformed(e: cbor::CborError) -> SchemaError {
    SchemaError::Malformed {
        reason: e.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::error::expect_invalid;
    use crate::schema::fixtures::parsed::{notary_endorsement, status_update, wuxi_destruction};
    use ciborium::Value;

    fn wuxi_cbor() -> Vec<u8> {
        Statement::Destruction(wuxi_destruction()).to_cbor()
    }

    fn wuxi_value() -> Value {
        ciborium::from_reader(wuxi_cbor().as_slice()).unwrap()
    }

    fn encode(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(v, &mut out).unwrap();
        out
    }

    /// The entries of the map at `path` (dot-separated keys) inside `v`.
    fn map_at<'a>(v: &'a mut Value, path: &str) -> &'a mut Vec<(Value, Value)> {
        let mut v = v;
        for key in path.split('.').filter(|k| !k.is_empty()) {
            v = match v {
                Value::Map(entries) => {
                    &mut entries
                        .iter_mut()
                        .find(|(k, _)| *k == Value::Text(key.into()))
                        .unwrap()
                        .1
                }
                Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
                other => panic!("cannot descend into {other:?}"),
            };
        }
        match v {
            Value::Map(entries) => entries,
            other => panic!("not a map: {other:?}"),
        }
    }

    fn set(v: &mut Value, path: &str, key: &str, value: Value) {
        let entries = map_at(v, path);
        entries
            .iter_mut()
            .find(|(k, _)| *k == Value::Text(key.into()))
            .unwrap()
            .1 = value;
    }

    fn destruction(payload: &[u8]) -> Result<Statement, SchemaError> {
        Statement::from_cbor(Kind::Destruction, payload)
    }

    #[test]
    fn from_cbor_accepts_what_to_cbor_wrote() {
        let cbor = wuxi_cbor();
        let back = destruction(&cbor).unwrap();
        assert_eq!(back, Statement::Destruction(wuxi_destruction()));
        assert_eq!(back.to_cbor(), cbor);
    }

    #[test]
    fn to_cbor_writes_fields_in_declaration_order_and_omits_absent_options() {
        let v = wuxi_value();
        let Value::Map(entries) = &v else {
            panic!("not a map")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_text().unwrap()).collect();
        assert_eq!(
            &keys[..5],
            ["issuer", "contact", "title", "data_description", "status"]
        );
        assert!(
            !keys.contains(&"commitment"),
            "absent option encoded: {keys:?}"
        );
        assert!(
            keys.contains(&"retention_exceptions"),
            "required empty list left out"
        );
        let text = format!("{v:?}");
        assert!(!text.contains("Null"), "a null was encoded");
    }

    #[test]
    fn from_cbor_rejects_trailing_bytes() {
        let mut cbor = wuxi_cbor();
        cbor.push(0x00);
        assert_eq!(
            destruction(&cbor),
            Err(SchemaError::Malformed {
                reason: "1 trailing bytes after the CBOR item".into()
            })
        );
    }

    #[test]
    fn from_cbor_rejects_non_cbor_truncated_and_oversize_input() {
        let cbor = wuxi_cbor();
        assert_eq!(
            destruction(&cbor[..cbor.len() - 1]).map_err(|e| e.kind()),
            Err("malformed")
        );
        assert_eq!(destruction(&[0xff]).map_err(|e| e.kind()), Err("malformed"));
        assert_eq!(destruction(&[]).map_err(|e| e.kind()), Err("malformed"));
        let big = vec![0u8; MAX_PAYLOAD_BYTES + 1];
        assert_eq!(
            destruction(&big),
            Err(SchemaError::TooLarge {
                size: MAX_PAYLOAD_BYTES + 1,
                limit: MAX_PAYLOAD_BYTES
            })
        );
        expect_invalid(destruction(&encode(&Value::Array(vec![]))), "");
    }

    #[test]
    fn from_cbor_holds_payload_heads_to_the_strict_rules() {
        // The Wuxi payload starts with a two-byte map head (24 to 255 entries).
        let cbor = wuxi_cbor();
        assert_eq!(cbor[0], 0xb8);
        let long_head = [&[0xb9, 0x00, cbor[1]][..], &cbor[2..]].concat();
        assert_eq!(
            destruction(&long_head),
            Err(SchemaError::Malformed {
                reason: "non-shortest CBOR encoding at byte 0".into()
            })
        );
        let indefinite = [&[0xbf][..], &cbor[2..], &[0xff]].concat();
        assert_eq!(
            destruction(&indefinite),
            Err(SchemaError::Malformed {
                reason: "indefinite-length CBOR item at byte 0".into()
            })
        );
        // A map that declares more entries than there are bytes left is refused before its
        // entries are read.
        assert_eq!(
            destruction(&[0xb9, 0xff, 0xff, 0x60, 0x01]).map_err(|e| e.kind()),
            Err("malformed")
        );
    }

    #[test]
    fn from_cbor_finds_a_repeated_key_in_a_large_map() {
        // Over SCAN_KEYS keys, the walk switches to a hash set; the repeat is still named.
        let mut v = wuxi_value();
        let entries = map_at(&mut v, "");
        for i in 0..40 {
            entries.push((Value::Text(format!("x{i}")), Value::Integer(1.into())));
        }
        entries.push((Value::Text("x7".into()), Value::Integer(2.into())));
        expect_invalid(destruction(&encode(&v)), "x7");
    }

    #[test]
    fn from_cbor_rejects_duplicate_ltext_key() {
        let mut v = wuxi_value();
        map_at(&mut v, "title").push((
            Value::Text("en".into()),
            Value::Text("Something else".into()),
        ));
        assert_eq!(
            expect_invalid(destruction(&encode(&v)), "title.en"),
            "duplicate key"
        );
    }

    #[test]
    fn from_cbor_rejects_duplicate_struct_field() {
        let mut v = wuxi_value();
        map_at(&mut v, "").push((
            Value::Text("status".into()),
            Value::Text("completed".into()),
        ));
        assert_eq!(
            expect_invalid(destruction(&encode(&v)), "status"),
            "duplicate key"
        );
    }

    #[test]
    fn from_cbor_rejects_floats_even_when_integral() {
        let mut v = wuxi_value();
        set(&mut v, "record_count", "value", Value::Float(1e9));
        let reason = expect_invalid(destruction(&encode(&v)), "record_count.value");
        assert_eq!(
            reason,
            "floating-point numbers are not allowed; use an integer"
        );
    }

    #[test]
    fn from_cbor_rejects_null_tags_bytes_and_integer_keys() {
        let mut v = wuxi_value();
        map_at(&mut v, "").push((Value::Text("commitment".into()), Value::Null));
        expect_invalid(destruction(&encode(&v)), "commitment");
        let mut v = wuxi_value();
        set(
            &mut v,
            "",
            "started_at",
            Value::Tag(0, Box::new(Value::Text("2023-03-02T09:30:00+08:00".into()))),
        );
        assert_eq!(
            expect_invalid(destruction(&encode(&v)), "started_at"),
            "CBOR tags are not allowed"
        );
        let mut v = wuxi_value();
        set(
            &mut v,
            "issuer.org_id",
            "value",
            Value::Bytes(b"11320200MB1F273132".to_vec()),
        );
        expect_invalid(destruction(&encode(&v)), "issuer.org_id.value");
        let mut v = wuxi_value();
        map_at(&mut v, "contact").push((Value::Integer(0.into()), Value::Text("x".into())));
        assert_eq!(
            expect_invalid(destruction(&encode(&v)), "contact"),
            "map keys must be text strings"
        );
    }

    #[test]
    fn from_cbor_reports_missing_field_by_path() {
        let mut v = wuxi_value();
        map_at(&mut v, "record_count").retain(|(k, _)| *k != Value::Text("value".into()));
        assert_eq!(
            destruction(&encode(&v)),
            Err(SchemaError::MissingField {
                path: "record_count.value".into()
            })
        );
        let mut v = wuxi_value();
        map_at(&mut v, "").retain(|(k, _)| *k != Value::Text("retention_exceptions".into()));
        assert_eq!(
            destruction(&encode(&v)),
            Err(SchemaError::MissingField {
                path: "retention_exceptions".into()
            })
        );
    }

    #[test]
    fn from_cbor_reports_unknown_field_by_path() {
        let mut v = wuxi_value();
        map_at(&mut v, "systems.0.components").push((
            Value::Text("staff_laptops".into()),
            Value::Text("unknown".into()),
        ));
        assert_eq!(
            destruction(&encode(&v)),
            Err(SchemaError::UnknownField {
                path: "systems[0].components.staff_laptops".into()
            })
        );
    }

    #[test]
    fn from_cbor_reports_bad_enum_value_by_path() {
        let mut v = wuxi_value();
        set(&mut v, "actions.0", "level", Value::Text("shredded".into()));
        let reason = expect_invalid(destruction(&encode(&v)), "actions[0].level");
        assert!(
            reason.starts_with("unknown value `shredded`, expected one of `logical_deletion`"),
            "{reason}"
        );
    }

    #[test]
    fn from_cbor_reports_wrong_types_and_negative_counts_by_path() {
        let mut v = wuxi_value();
        set(&mut v, "record_count", "value", Value::Integer((-1).into()));
        expect_invalid(destruction(&encode(&v)), "record_count.value");
        let mut v = wuxi_value();
        set(
            &mut v,
            "record_count",
            "lower_bound",
            Value::Text("yes".into()),
        );
        expect_invalid(destruction(&encode(&v)), "record_count.lower_bound");
    }

    #[test]
    fn from_cbor_runs_semantic_validation_with_payload_relative_paths() {
        let mut v = wuxi_value();
        set(
            &mut v,
            "",
            "completed_at",
            Value::Text("2023-03-01T16:40:00+08:00".into()),
        );
        assert_eq!(
            expect_invalid(destruction(&encode(&v)), "completed_at"),
            "is before started_at"
        );
    }

    #[test]
    fn from_cbor_rejects_payload_of_another_kind() {
        let cbor = wuxi_cbor();
        assert_eq!(
            Statement::from_cbor(Kind::Takedown, &cbor),
            Err(SchemaError::UnknownField {
                path: "data_description".into()
            })
        );
        let endorsement = Statement::Endorsement(notary_endorsement()).to_cbor();
        assert_eq!(
            destruction(&endorsement),
            Err(SchemaError::UnknownField {
                path: "target".into()
            })
        );
    }

    #[test]
    fn target_is_the_entry_an_endorsement_or_correction_is_about() {
        assert_eq!(Statement::Destruction(wuxi_destruction()).target(), None);
        let e = Statement::Endorsement(notary_endorsement());
        assert_eq!(e.target().map(|t| t.entry_id.as_str()), Some("1.1"));
        assert_eq!(e.kind(), Kind::Endorsement);
        let c = Statement::Correction(status_update());
        assert_eq!(c.target().map(|t| t.entry_id.as_str()), Some("1.1"));
    }
}
