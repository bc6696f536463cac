//! `correction`: a later entry that amends, supersedes, updates, retracts or disputes an earlier
//! one, withholds its off-log payload, or revokes the key that signed it. The earlier entry stays
//! in the log forever; viewers apply corrections in log order and show the whole history. Fields
//! follow DESIGN.md §9.3.

use super::SchemaError;
use super::check::{
    self, Check, MAX_IDENT, MAX_INTEGER, MAX_ITEMS, MAX_NAME, MAX_TEXT, Path, wire_enum,
};
use super::common::{Attachment, Contact, EntryRef, LText, Org, RefersTo};
use ciborium::Value;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// What the correction does.
    pub enum CorrectionKind {
        /// Field-level fix (give `patch` and `resulting_payload_sha256`).
        Amendment = "amendment",
        /// Replaced in full by another entry (give `replacement_entry_id`).
        Supersession = "supersession",
        /// Progress, e.g. a pending step done (give `patch`).
        StatusUpdate = "status_update",
        /// The claim is withdrawn: do not rely on it. Data does not come back.
        Retraction = "retraction",
        /// A third party contests the entry.
        Dispute = "dispute",
        /// The log operator withholds the entry's payload on legal grounds; the leaf stays.
        PayloadWithheld = "payload_withheld",
        /// The key that signed the entry was compromised (give `compromised_since`).
        KeyRevocation = "key_revocation",
    }
}

wire_enum! {
    /// Why.
    pub enum ReasonCode {
        /// A clerical error.
        ClericalError = "clerical_error",
        /// A factual error.
        FactualError = "factual_error",
        /// The scope changed.
        ScopeChange = "scope_change",
        /// A pending step was completed (kind `status_update`).
        PendingStepCompleted = "pending_step_completed",
        /// The claim is withdrawn.
        ClaimWithdrawn = "claim_withdrawn",
        /// Issued in error.
        IssuedInError = "issued_in_error",
        /// Fraudulent or unauthorised.
        FraudulentOrUnauthorised = "fraudulent_or_unauthorised",
        /// The signing key was compromised.
        KeyCompromise = "key_compromise",
        /// The payload contains personal data.
        PersonalDataInPayload = "personal_data_in_payload",
        /// A legal order.
        LegalOrder = "legal_order",
        /// Something else; explain in `reason`.
        Other = "other",
    }
}

wire_enum! {
    /// What the correction means for endorsements of the target.
    pub enum EffectOnEndorsements {
        /// They still apply (only for a status update closing steps the endorsers excluded).
        RemainValid = "remain_valid",
        /// Endorsers must re-endorse the corrected entry.
        RequireReconfirmation = "require_reconfirmation",
    }
}

wire_enum! {
    /// An RFC 6902 JSON Patch operation.
    pub enum PatchOpKind {
        /// Add a value.
        Add = "add",
        /// Remove the value at `path`.
        Remove = "remove",
        /// Replace the value at `path`.
        Replace = "replace",
        /// Move the value at `from` to `path`.
        Move = "move",
        /// Copy the value at `from` to `path`.
        Copy = "copy",
        /// Test that `path` holds `value`.
        Test = "test",
    }
}

/// A correction statement. Valid means every field is within bounds and well formed, and each
/// kind carries exactly what it needs: `amendment` a patch and `resulting_payload_sha256`,
/// `status_update` a patch, `supersession` a `replacement_entry_id` other than the target,
/// `key_revocation` `compromised_since` and reason `key_compromise`; `remain_valid` only for
/// status updates; patch operations carry `value`/`from` exactly as RFC 6902 requires, and values
/// are JSON-compatible (no floats, nulls, byte strings or tags; text keys; bounded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The signing organisation.
    pub issuer: Org,
    /// Where citizens ask about it.
    pub contact: Contact,
    /// The entry corrected, pinned by leaf hash.
    pub target: EntryRef,
    /// What the correction does.
    pub kind: CorrectionKind,
    /// Why, as a code.
    pub reason_code: ReasonCode,
    /// Why, in words.
    pub reason: LText,
    /// RFC 6902 operations against the target payload (1..=256); required for `amendment` and
    /// `status_update`, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Vec<PatchOp>>,
    /// SHA-256 of the target payload after the patch, so the corrected view is reproducible;
    /// required for `amendment`, allowed for `status_update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resulting_payload_sha256: Option<String>,
    /// The entry that replaces the target; required for `supersession`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_entry_id: Option<String>,
    /// When the problem or progress became known.
    pub discovered_at: String,
    /// When the correction takes effect, if not at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<String>,
    /// Who authorised it.
    pub authorized_by: Authorization,
    /// What it means for endorsements of the target.
    pub effect_on_endorsements: EffectOnEndorsements,
    /// Since when the key was compromised; required for `key_revocation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised_since: Option<String>,
    /// Related entries (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<Vec<RefersTo>>,
    /// Documents by hash (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchOp {
    /// The operation.
    pub op: PatchOpKind,
    /// JSON Pointer to the target location.
    pub path: String,
    /// Source location, for `move` and `copy` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value, for `add`, `replace` and `test` only: any JSON-compatible value (integers,
    /// text, booleans, arrays, maps with text keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Who authorised a correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Role.
    pub title: LText,
    /// Name, as published in that role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<LText>,
    /// The decision's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_ref: Option<String>,
}

/// Deepest nesting of a patch value.
const MAX_VALUE_DEPTH: usize = 16;
/// Most nodes (scalars, arrays, maps) in one patch value.
const MAX_VALUE_NODES: usize = 4096;

impl Check for Correction {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        use CorrectionKind::*;
        self.issuer.check(&p.field("issuer"))?;
        self.contact.check(&p.field("contact"))?;
        self.target.check(&p.field("target"))?;
        self.reason.check(&p.field("reason"))?;
        let kind = self.kind.as_str();
        let required = |field: &str| {
            p.field(field)
                .invalid(format!("required for kind `{kind}`"))
        };
        let forbidden = |field: &str| {
            p.field(field)
                .invalid(format!("not allowed for kind `{kind}`"))
        };

        match (&self.patch, matches!(self.kind, Amendment | StatusUpdate)) {
            (None, true) => return Err(required("patch")),
            (Some(_), false) => return Err(forbidden("patch")),
            _ => check::opt_list(&p.field("patch"), &self.patch, 256)?,
        }
        match (&self.resulting_payload_sha256, self.kind) {
            (None, Amendment) => return Err(required("resulting_payload_sha256")),
            (Some(h), Amendment | StatusUpdate) => {
                check::hex(&p.field("resulting_payload_sha256"), h, 64)?
            }
            (Some(_), _) => return Err(forbidden("resulting_payload_sha256")),
            (None, _) => {}
        }
        match (&self.replacement_entry_id, self.kind) {
            (None, Supersession) => return Err(required("replacement_entry_id")),
            (Some(id), Supersession) => {
                let rp = p.field("replacement_entry_id");
                check::entry_id(&rp, id)?;
                if *id == self.target.entry_id {
                    return Err(rp.invalid("is the target itself"));
                }
            }
            (Some(_), _) => return Err(forbidden("replacement_entry_id")),
            (None, _) => {}
        }
        check::datetime(&p.field("discovered_at"), &self.discovered_at)?;
        if let Some(t) = &self.effective_at {
            check::datetime(&p.field("effective_at"), t)?;
        }
        self.authorized_by.check(&p.field("authorized_by"))?;
        match (&self.compromised_since, self.kind) {
            (None, KeyRevocation) => return Err(required("compromised_since")),
            (Some(t), KeyRevocation) => {
                check::datetime(&p.field("compromised_since"), t)?;
            }
            (Some(_), _) => return Err(forbidden("compromised_since")),
            (None, _) => {}
        }
        if self.kind == KeyRevocation && self.reason_code != ReasonCode::KeyCompromise {
            return Err(p
                .field("reason_code")
                .invalid("must be `key_compromise` for kind `key_revocation`"));
        }
        if self.reason_code == ReasonCode::PendingStepCompleted && self.kind != StatusUpdate {
            return Err(p
                .field("reason_code")
                .invalid("`pending_step_completed` needs kind `status_update`"));
        }
        if self.effect_on_endorsements == EffectOnEndorsements::RemainValid
            && self.kind != StatusUpdate
        {
            return Err(p
                .field("effect_on_endorsements")
                .invalid("`remain_valid` is only for kind `status_update`; other corrections change what was endorsed"));
        }
        check::opt_list(&p.field("refers_to"), &self.refers_to, 64)?;
        check::opt_list(&p.field("attachments"), &self.attachments, 64)
    }
}

impl Check for PatchOp {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        use PatchOpKind::*;
        check::json_pointer(&p.field("path"), &self.path)?;
        let op = self.op.as_str();
        let wants_value = matches!(self.op, Add | Replace | Test);
        match (&self.value, wants_value) {
            (None, true) => {
                return Err(p.field("value").invalid(format!(
                    "required for op `{op}` (null is not allowed; use `remove`)"
                )));
            }
            (Some(_), false) => {
                return Err(p
                    .field("value")
                    .invalid(format!("not allowed for op `{op}`")));
            }
            (Some(v), true) => {
                let mut nodes = 0;
                json_value(&p.field("value"), v, 0, &mut nodes)?;
            }
            (None, false) => {}
        }
        let wants_from = matches!(self.op, Move | Copy);
        match (&self.from, wants_from) {
            (None, true) => Err(p.field("from").invalid(format!("required for op `{op}`"))),
            (Some(_), false) => Err(p
                .field("from")
                .invalid(format!("not allowed for op `{op}`"))),
            (Some(f), true) => check::json_pointer(&p.field("from"), f),
            (None, false) => Ok(()),
        }
    }
}

/// Checks that a patch value is one JSON could carry, with bounded size: integers within
/// ±(2^53 - 1), text of at most 4,096 characters, arrays and maps of at most 1,024 entries,
/// text keys without repeats, at most 16 levels and 4,096 nodes.
fn json_value(p: &Path, v: &Value, depth: usize, nodes: &mut usize) -> Result<(), SchemaError> {
    *nodes += 1;
    if *nodes > MAX_VALUE_NODES {
        return Err(p.invalid(format!("patch value has more than {MAX_VALUE_NODES} nodes")));
    }
    if depth > MAX_VALUE_DEPTH {
        return Err(p.invalid(format!(
            "patch value nests deeper than {MAX_VALUE_DEPTH} levels"
        )));
    }
    match v {
        Value::Integer(i) => {
            if i128::from(*i).unsigned_abs() > u128::from(MAX_INTEGER) {
                return Err(p.invalid(format!("integer outside ±{MAX_INTEGER} (2^53 - 1)")));
            }
            Ok(())
        }
        Value::Text(s) if s.is_empty() => Ok(()),
        Value::Text(s) => check::text(p, s, MAX_TEXT),
        Value::Bool(_) => Ok(()),
        Value::Array(items) => {
            check::count_items(p, items.len(), 0, MAX_ITEMS)?;
            for (i, item) in items.iter().enumerate() {
                json_value(&p.index(i), item, depth + 1, nodes)?;
            }
            Ok(())
        }
        Value::Map(entries) => {
            check::count_items(p, entries.len(), 0, MAX_ITEMS)?;
            for (i, (key, item)) in entries.iter().enumerate() {
                let Value::Text(k) = key else {
                    return Err(p.invalid("map keys must be text"));
                };
                check::ident(&p.field(k), k, MAX_IDENT)?;
                if entries[..i].iter().any(|(earlier, _)| earlier == key) {
                    return Err(p.field(k).invalid("duplicate key"));
                }
                json_value(&p.field(k), item, depth + 1, nodes)?;
            }
            Ok(())
        }
        Value::Float(_) => Err(p.invalid("floating-point numbers are not allowed; use an integer")),
        Value::Null => {
            Err(p.invalid("null is not allowed; remove the field with op `remove` instead"))
        }
        Value::Bytes(_) => Err(p.invalid("byte strings are not allowed; use hex text")),
        Value::Tag(..) => Err(p.invalid("CBOR tags are not allowed")),
        _ => Err(p.invalid("unsupported value")),
    }
}

impl Check for Authorization {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.title.check_max(&p.field("title"), MAX_NAME)?;
        if let Some(n) = &self.name {
            n.check_max(&p.field("name"), MAX_NAME)?;
        }
        match &self.decision_ref {
            Some(d) => check::ident(&p.field("decision_ref"), d, MAX_IDENT),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::error::expect_invalid;
    use crate::schema::fixtures::parsed::status_update;

    fn check(c: &Correction) -> Result<(), SchemaError> {
        c.check(&Path::root())
    }

    #[test]
    fn correction_fixture_is_valid() {
        check(&status_update()).unwrap();
    }

    #[test]
    fn correction_status_update_and_amendment_require_a_patch() {
        let mut c = status_update();
        c.patch = None;
        assert_eq!(
            expect_invalid(check(&c), "patch"),
            "required for kind `status_update`"
        );
        c.kind = CorrectionKind::Amendment;
        c.effect_on_endorsements = EffectOnEndorsements::RequireReconfirmation;
        c.reason_code = ReasonCode::FactualError;
        expect_invalid(check(&c), "patch");
    }

    #[test]
    fn correction_amendment_requires_the_resulting_payload_hash() {
        let mut c = status_update();
        c.kind = CorrectionKind::Amendment;
        c.reason_code = ReasonCode::FactualError;
        c.effect_on_endorsements = EffectOnEndorsements::RequireReconfirmation;
        assert_eq!(
            expect_invalid(check(&c), "resulting_payload_sha256"),
            "required for kind `amendment`"
        );
        c.resulting_payload_sha256 = Some("ab".repeat(32));
        check(&c).unwrap();
    }

    #[test]
    fn correction_supersession_names_a_different_replacement_and_has_no_patch() {
        let mut c = status_update();
        c.kind = CorrectionKind::Supersession;
        c.reason_code = ReasonCode::ScopeChange;
        c.effect_on_endorsements = EffectOnEndorsements::RequireReconfirmation;
        assert_eq!(
            expect_invalid(check(&c), "patch"),
            "not allowed for kind `supersession`"
        );
        c.patch = None;
        expect_invalid(check(&c), "replacement_entry_id");
        c.replacement_entry_id = Some("1.1".into());
        assert_eq!(
            expect_invalid(check(&c), "replacement_entry_id"),
            "is the target itself"
        );
        c.replacement_entry_id = Some("1.9".into());
        check(&c).unwrap();
    }

    #[test]
    fn correction_key_revocation_needs_compromised_since_and_key_compromise() {
        let mut c = status_update();
        c.kind = CorrectionKind::KeyRevocation;
        c.patch = None;
        c.effect_on_endorsements = EffectOnEndorsements::RequireReconfirmation;
        c.reason_code = ReasonCode::KeyCompromise;
        expect_invalid(check(&c), "compromised_since");
        c.compromised_since = Some("2023-05-01T00:00:00+08:00".into());
        check(&c).unwrap();
        c.reason_code = ReasonCode::Other;
        expect_invalid(check(&c), "reason_code");
        let mut c = status_update();
        c.compromised_since = Some("2023-05-01T00:00:00+08:00".into());
        assert_eq!(
            expect_invalid(check(&c), "compromised_since"),
            "not allowed for kind `status_update`"
        );
    }

    #[test]
    fn correction_remain_valid_is_only_for_status_updates() {
        let mut c = status_update();
        c.kind = CorrectionKind::Retraction;
        c.patch = None;
        c.reason_code = ReasonCode::ClaimWithdrawn;
        expect_invalid(check(&c), "effect_on_endorsements");
        c.effect_on_endorsements = EffectOnEndorsements::RequireReconfirmation;
        check(&c).unwrap();
        c.reason_code = ReasonCode::PendingStepCompleted;
        expect_invalid(check(&c), "reason_code");
    }

    #[test]
    fn correction_patch_ops_carry_value_and_from_as_rfc6902_says() {
        let mut c = status_update();
        c.patch.as_mut().unwrap()[2].value = Some(Value::Text("x".into()));
        assert_eq!(
            expect_invalid(check(&c), "patch[2].value"),
            "not allowed for op `remove`"
        );
        let mut c = status_update();
        c.patch.as_mut().unwrap()[1].value = None;
        assert!(
            expect_invalid(check(&c), "patch[1].value").starts_with("required for op `replace`")
        );
        let mut c = status_update();
        c.patch.as_mut().unwrap()[2].op = PatchOpKind::Move;
        assert_eq!(
            expect_invalid(check(&c), "patch[2].from"),
            "required for op `move`"
        );
        let mut c = status_update();
        c.patch.as_mut().unwrap()[0].path = "status".into();
        expect_invalid(check(&c), "patch[0].path");
    }

    #[test]
    fn correction_patch_values_are_json_compatible() {
        let mut c = status_update();
        c.patch.as_mut().unwrap()[1].value = Some(Value::Float(1.5));
        assert!(expect_invalid(check(&c), "patch[1].value").contains("floating-point"));
        c.patch.as_mut().unwrap()[1].value = Some(Value::Null);
        expect_invalid(check(&c), "patch[1].value");
        c.patch.as_mut().unwrap()[1].value = Some(Value::Bytes(vec![1]));
        expect_invalid(check(&c), "patch[1].value");
        c.patch.as_mut().unwrap()[1].value = Some(Value::Integer((1i64 << 53).into()));
        expect_invalid(check(&c), "patch[1].value");
        // Nested: the path goes into the value.
        fn add_value(c: &mut Correction) -> &mut Vec<(Value, Value)> {
            match &mut c.patch.as_mut().unwrap()[3].value {
                Some(Value::Map(entries)) => entries,
                other => panic!("fixture changed: {other:?}"),
            }
        }
        let mut c = status_update();
        add_value(&mut c).push((Value::Text("level".into()), Value::Text("destroy".into())));
        assert_eq!(
            expect_invalid(check(&c), "patch[3].value.level"),
            "duplicate key"
        );
        let mut c = status_update();
        let media = add_value(&mut c)
            .iter_mut()
            .find(|(k, _)| *k == Value::Text("media".into()));
        let Some((_, Value::Map(media))) = media else {
            panic!("fixture changed")
        };
        media[0].1 = Value::Float(120.0);
        expect_invalid(check(&c), "patch[3].value.media.count");
    }
}
