//! `endorsement`: an auditor's, notary's or regulator's own signed statement about one earlier
//! entry, bound to its exact bytes by entry id and leaf hash: the engagement, exactly which parts
//! of the entry it covers and which it does not, the opinion and the findings. Fields follow
//! DESIGN.md §9.3.

use super::SchemaError;
use super::check::{self, Check, MAX_IDENT, MAX_NAME, Path, wire_enum};
use super::common::{Attachment, Contact, EntryRef, LText, Org, RefersTo};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// In what capacity the issuer endorses.
    pub enum EndorserRole {
        /// Third-party auditor.
        Auditor = "auditor",
        /// Notary.
        Notary = "notary",
        /// Regulator.
        Regulator = "regulator",
        /// Data protection officer.
        Dpo = "dpo",
        /// Supervising witness (监销人).
        SupervisingWitness = "supervising_witness",
        /// Independent expert.
        IndependentExpert = "independent_expert",
        /// Citizen panel.
        CitizenPanel = "citizen_panel",
    }
}

wire_enum! {
    /// What kind of engagement the endorsement reports on.
    pub enum EndorsementType {
        /// Watched the destruction being carried out.
        WitnessedExecution = "witnessed_execution",
        /// Notarial preservation of evidence of a process (保全证据公证).
        NotarialPreservationOfProcess = "notarial_preservation_of_process",
        /// Audited the process.
        AuditedProcess = "audited_process",
        /// Verified evidence supplied by the issuer.
        VerifiedEvidence = "verified_evidence",
        /// Verified a sample independently.
        SamplingVerification = "sampling_verification",
        /// Reviewed documents only.
        DocumentReview = "document_review",
        /// A regulator's assessment.
        RegulatorAssessment = "regulator_assessment",
    }
}

wire_enum! {
    /// The endorser's conclusion.
    pub enum Opinion {
        /// Audit: unqualified.
        Unqualified = "unqualified",
        /// Audit: qualified (say how in findings).
        Qualified = "qualified",
        /// Audit: adverse.
        Adverse = "adverse",
        /// Audit: disclaimer of opinion.
        Disclaimer = "disclaimer",
        /// Notary or witness: the process was observed as the entry describes it.
        ObservedAsDescribed = "observed_as_described",
        /// Regulator: complied.
        Complied = "complied",
        /// Regulator: partially complied.
        PartiallyComplied = "partially_complied",
        /// Regulator: did not comply.
        NotComplied = "not_complied",
    }
}

/// An endorsement statement. Valid means every field is within bounds and well formed, and: the
/// target is a well-formed entry id and leaf hash; `covers` holds 1..=256 distinct JSON Pointers
/// and none of them is also excluded; witnessed and notarial endorsements say when and where they
/// observed, in order; observation opinions go with observation types and compliance opinions
/// with regulator assessments; a declined independence declaration states the conflicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endorsement {
    /// The endorsing organisation (it signs with its own key).
    pub issuer: Org,
    /// Where citizens ask about it.
    pub contact: Contact,
    /// The entry endorsed, pinned by leaf hash.
    pub target: EntryRef,
    /// In what capacity.
    pub endorser_role: EndorserRole,
    /// The person who signs for the endorser, in that public role.
    pub signatory: Signatory,
    /// What kind of engagement.
    pub endorsement_type: EndorsementType,
    /// The engagement.
    pub engagement: Engagement,
    /// When and where the endorser observed; required for witnessed and notarial types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observation>,
    /// JSON Pointers into the target payload that the endorsement covers, e.g. `/record_count`
    /// (1..=256; the empty pointer covers the whole payload).
    pub covers: Vec<String>,
    /// What was not checked, and why (0..=256). Always present.
    pub excludes: Vec<Exclusion>,
    /// The conclusion.
    pub opinion: Opinion,
    /// Plain-language findings, including any qualifications.
    pub findings: LText,
    /// The independence declaration.
    pub independence: IndependenceDeclaration,
    /// The report or certificate, by hash (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<Attachment>>,
    /// Related entries (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<Vec<RefersTo>>,
}

/// The person signing for the endorser, in their public role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Name as published in that role.
    pub name: LText,
    /// Title, e.g. 公证员 / Notary.
    pub title: LText,
    /// Practice licence number, e.g. a notary's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_no: Option<String>,
}

/// The engagement under which the endorser acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engagement {
    /// Audit report or notarial certificate number, e.g. `(2023)苏锡证经字第1234号`.
    pub reference_no: String,
    /// Who engaged the endorser.
    pub engaged_by: Org,
    /// When, YYYY-MM-DD.
    pub engaged_on: String,
    /// Standards or guidelines applied (0..=32).
    pub standards_applied: Vec<String>,
}

/// When and where the endorser observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// From.
    pub from: String,
    /// To (not before `from`).
    pub to: String,
    /// Where.
    pub location: LText,
}

/// A part of the target that was not checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// JSON Pointer into the target payload.
    pub pointer: String,
    /// Why it was not checked.
    pub reason: LText,
}

/// The independence declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndependenceDeclaration {
    /// Whether the endorser declares itself independent of issuer and executors.
    pub declared: bool,
    /// Conflicts of interest; required when `declared` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<LText>,
}

impl Check for Endorsement {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        use EndorsementType::*;
        self.issuer.check(&p.field("issuer"))?;
        self.contact.check(&p.field("contact"))?;
        self.target.check(&p.field("target"))?;
        self.signatory.check(&p.field("signatory"))?;
        self.engagement.check(&p.field("engagement"))?;
        let observing = matches!(
            self.endorsement_type,
            WitnessedExecution | NotarialPreservationOfProcess
        );
        if observing && self.observed.is_none() {
            return Err(p.field("observed").invalid(format!(
                "required for endorsement_type `{}`",
                self.endorsement_type.as_str()
            )));
        }
        check::opt(&p.field("observed"), &self.observed)?;
        let cp = p.field("covers");
        check::count_items(&cp, self.covers.len(), 1, 256)?;
        for (i, pointer) in self.covers.iter().enumerate() {
            check::json_pointer(&cp.index(i), pointer)?;
        }
        check::unique(&cp, &self.covers)?;
        let xp = p.field("excludes");
        check::list(&xp, &self.excludes, 0, 256)?;
        for (i, exclusion) in self.excludes.iter().enumerate() {
            if self.excludes[..i]
                .iter()
                .any(|e| e.pointer == exclusion.pointer)
            {
                return Err(xp.index(i).field("pointer").invalid("is excluded twice"));
            }
            if self.covers.contains(&exclusion.pointer) {
                return Err(xp
                    .index(i)
                    .field("pointer")
                    .invalid("is also listed in covers"));
            }
        }
        let op = p.field("opinion");
        match self.opinion {
            Opinion::ObservedAsDescribed if !observing => {
                return Err(op.invalid("`observed_as_described` needs endorsement_type witnessed_execution or notarial_preservation_of_process"));
            }
            Opinion::Complied | Opinion::PartiallyComplied | Opinion::NotComplied
                if self.endorsement_type != RegulatorAssessment =>
            {
                return Err(op.invalid(format!(
                    "`{}` is a regulator's finding; it needs endorsement_type regulator_assessment",
                    self.opinion.as_str()
                )));
            }
            _ => {}
        }
        self.findings.check(&p.field("findings"))?;
        let ip = p.field("independence");
        if !self.independence.declared && self.independence.conflicts.is_none() {
            return Err(ip
                .field("conflicts")
                .invalid("required when declared is false"));
        }
        check::opt(&ip.field("conflicts"), &self.independence.conflicts)?;
        check::opt_list(&p.field("evidence"), &self.evidence, 64)?;
        check::opt_list(&p.field("refers_to"), &self.refers_to, 64)
    }
}

impl Check for Signatory {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.name.check_max(&p.field("name"), MAX_NAME)?;
        self.title.check_max(&p.field("title"), MAX_NAME)?;
        match &self.licence_no {
            Some(l) => check::ident(&p.field("licence_no"), l, 64),
            None => Ok(()),
        }
    }
}

impl Check for Engagement {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("reference_no"), &self.reference_no, MAX_IDENT)?;
        self.engaged_by.check(&p.field("engaged_by"))?;
        check::date(&p.field("engaged_on"), &self.engaged_on)?;
        let sp = p.field("standards_applied");
        check::count_items(&sp, self.standards_applied.len(), 0, 32)?;
        for (i, s) in self.standards_applied.iter().enumerate() {
            check::ident(&sp.index(i), s, MAX_IDENT)?;
        }
        Ok(())
    }
}

impl Check for Observation {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        let from = check::datetime(&p.field("from"), &self.from)?;
        if check::datetime(&p.field("to"), &self.to)? < from {
            return Err(p.field("to").invalid("is before from"));
        }
        self.location.check_max(&p.field("location"), MAX_NAME)
    }
}

impl Check for Exclusion {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::json_pointer(&p.field("pointer"), &self.pointer)?;
        self.reason.check(&p.field("reason"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::error::expect_invalid;
    use crate::schema::fixtures::parsed::notary_endorsement;

    fn check(e: &Endorsement) -> Result<(), SchemaError> {
        e.check(&Path::root())
    }

    #[test]
    fn endorsement_fixture_is_valid() {
        check(&notary_endorsement()).unwrap();
    }

    #[test]
    fn endorsement_requires_at_least_one_covered_pointer() {
        let mut e = notary_endorsement();
        e.covers.clear();
        assert_eq!(
            expect_invalid(check(&e), "covers"),
            "has 0 items; at least 1 required (the list is empty)"
        );
    }

    #[test]
    fn endorsement_rejects_bad_pointers() {
        let mut e = notary_endorsement();
        e.covers[1] = "actions/0".into();
        expect_invalid(check(&e), "covers[1]");
        let mut e = notary_endorsement();
        e.excludes[0].pointer = "/systems/0/~2".into();
        expect_invalid(check(&e), "excludes[0].pointer");
        let mut e = notary_endorsement();
        e.covers.push("/record_count".into());
        assert_eq!(expect_invalid(check(&e), "covers[3]"), "repeats item [0]");
    }

    #[test]
    fn endorsement_rejects_a_pointer_both_covered_and_excluded() {
        let mut e = notary_endorsement();
        e.excludes[1].pointer = "/record_count".into();
        assert_eq!(
            expect_invalid(check(&e), "excludes[1].pointer"),
            "is also listed in covers"
        );
    }

    #[test]
    fn endorsement_target_is_an_entry_id_and_leaf_hash() {
        let mut e = notary_endorsement();
        e.target.entry_id = "1.01".into();
        expect_invalid(check(&e), "target.entry_id");
        let mut e = notary_endorsement();
        e.target.leaf_hash = "00".repeat(31);
        assert_eq!(
            expect_invalid(check(&e), "target.leaf_hash"),
            "must be 64 lowercase hexadecimal digits"
        );
    }

    #[test]
    fn endorsement_observation_types_need_observed_and_match_opinion() {
        let mut e = notary_endorsement();
        e.observed = None;
        expect_invalid(check(&e), "observed");
        let mut e = notary_endorsement();
        e.observed.as_mut().unwrap().to = "2023-03-02T09:00:00+08:00".into();
        assert_eq!(expect_invalid(check(&e), "observed.to"), "is before from");
        let mut e = notary_endorsement();
        e.endorsement_type = EndorsementType::DocumentReview;
        assert!(expect_invalid(check(&e), "opinion").contains("observed_as_described"));
        e.opinion = Opinion::Complied;
        assert!(expect_invalid(check(&e), "opinion").contains("regulator_assessment"));
        e.endorsement_type = EndorsementType::RegulatorAssessment;
        check(&e).unwrap();
    }

    #[test]
    fn endorsement_without_independence_states_conflicts() {
        let mut e = notary_endorsement();
        e.independence.declared = false;
        expect_invalid(check(&e), "independence.conflicts");
        e.independence.conflicts =
            Some(LText::new("en", "The notary office is funded by the city."));
        check(&e).unwrap();
    }
}
