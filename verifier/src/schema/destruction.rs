//! `destruction`: an agency's statement that it destroyed (or restricted) a set of personal data:
//! who is accountable, why, exactly what and where (systems and every kind of copy), what was kept,
//! how, when, where, how it was verified, and who was invited to witness. Fields follow
//! DESIGN.md §9.1.

use super::SchemaError;
use super::check::{self, Check, MAX_IDENT, MAX_NAME, Path, wire_enum};
use super::common::{
    Attachment, Contact, DataCategoryCode, LText, LegalCitation, Org, RefersTo, Trigger,
};
use serde::{Deserialize, Serialize};

mod commitment;
mod method;
mod systems;
mod verification;

pub use commitment::{
    CheckService, Commitment, CommitmentScheme, Granularity, KeyCustody, LeafKind, MIN_LEAVES,
};
pub use method::{
    Action, KeyDestroyed, Level, Media, MediaDestination, MediaKind, Standard, Technique, Tool,
};
pub use systems::{Components, CopyScope, Hosting, Location, PendingStep, RecipientNotice, System};
pub use verification::{
    Independence, ReferenceKind, Sample, Validation, ValidationDecision, Verification,
    VerificationMethod, VerificationResult, Verifier, Witness, WitnessReference, WitnessRole,
};

wire_enum! {
    /// Where the destruction stands.
    pub enum DestructionStatus {
        /// Everything in scope is done.
        Completed = "completed",
        /// Done except the listed `pending_steps` (e.g. backup tapes that expire later).
        CompletedWithPendingSteps = "completed_with_pending_steps",
        /// Not deleted: kept in storage with security measures only, all other processing stopped
        /// (PIPL Art. 47(2): retention period not expired, or deletion technically infeasible).
        RestrictedNotDeleted = "restricted_not_deleted",
    }
}

wire_enum! {
    /// The unit a record count counts.
    pub enum CountUnit {
        /// Logical records.
        Records = "records",
        /// Database rows (条).
        Rows = "rows",
        /// Files.
        Files = "files",
        /// Documents.
        Documents = "documents",
        /// Distinct people.
        Persons = "persons",
        /// Devices.
        Devices = "devices",
        /// Bytes.
        Bytes = "bytes",
    }
}

wire_enum! {
    /// Who physically carried out the destruction.
    pub enum ExecutorRole {
        /// The controller's own staff.
        InHouse = "in_house",
        /// A processor acting on the controller's instructions.
        Processor = "processor",
        /// A contractor (e.g. the system's builder or operator).
        Contractor = "contractor",
        /// The cloud provider hosting the data.
        CloudProvider = "cloud_provider",
    }
}

/// A destruction statement. Valid (see [`Statement::validate`](super::Statement::validate)) means
/// every field is within bounds and well formed, and: a completed status carries `completed_at`
/// no earlier than `started_at`; `completed` has no pending steps and
/// `completed_with_pending_steps` has some; the collection period is ordered and ends by the
/// start; every `applies_to` and pending step names a listed system; every system with an
/// included copy is acted on; level and technique agree; auditors and notaries carry their
/// reference numbers; keyed commitments say who holds the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destruction {
    /// The signing organisation.
    pub issuer: Org,
    /// Where citizens ask about it.
    pub contact: Contact,
    /// Heading, e.g. 涉疫个人数据销毁（首批）.
    pub title: LText,
    /// Short noun phrase naming the data as a citizen would, e.g. "pandemic personal data"
    /// (at most 512 characters per language); headlines use it.
    pub data_description: LText,
    /// Where the destruction stands.
    pub status: DestructionStatus,
    /// Which batch of a programme this is, if it is one of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<Batch>,
    /// Official notices about it (at most 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement_urls: Option<Vec<String>>,
    /// The controller of the data, when it is not the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<Org>,
    /// The officer accountable, by role (the name is optional).
    pub accountable_officer: Officer,
    /// The decision that approved the destruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// Who physically carried it out (1..=64).
    pub executors: Vec<Executor>,
    /// What set it off (1..=11, no repeats).
    pub trigger: Vec<Trigger>,
    /// The legal basis (1..=64 citations).
    pub legal_citations: Vec<LegalCitation>,
    /// The order, required when `trigger` includes `regulator_order` or `court_order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_ref: Option<OrderRef>,
    /// What was kept and why (0..=256). Always present: an empty list states that nothing was kept.
    pub retention_exceptions: Vec<RetentionException>,
    /// Why the data was collected.
    pub original_purpose: LText,
    /// Whose data it is: residents, travellers, drivers... (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_subject_categories: Option<Vec<LText>>,
    /// What kinds of personal data (1..=64).
    pub data_categories: Vec<DataCategory>,
    /// When the data was collected.
    pub collection_period: Period,
    /// How much was destroyed, and in what unit.
    pub record_count: RecordCount,
    /// How many distinct people (leave out when small enough to single people out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_count: Option<SubjectCount>,
    /// Every system in scope, with each kind of copy marked (1..=256).
    pub systems: Vec<System>,
    /// Copies anywhere else (other agencies, contractors, exports) and what the issuer knows of them.
    pub other_copies_statement: LText,
    /// Recipients told to delete their copies (at most 1,024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients_notified: Option<Vec<RecipientNotice>>,
    /// What was done, per system (1..=256).
    pub actions: Vec<Action>,
    /// When destruction started.
    pub started_at: String,
    /// When it was completed; required unless status is `restricted_not_deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// Steps still to come (0..=256). Always present; each is later closed by a `status_update`
    /// correction.
    pub pending_steps: Vec<PendingStep>,
    /// Where it happened, to city level.
    pub location: Location,
    /// How completion was verified, and by whom.
    pub verification: Verification,
    /// The organisation's acceptance decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Validation>,
    /// Auditors, notaries and others the issuer invited (0..=64). A claim only: a witness counts
    /// once it signs its own endorsement entry.
    pub witnesses_invited: Vec<Witness>,
    /// A commitment over keyed per-person identifiers, so people can check they were in scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Commitment>,
    /// How the public and the people concerned were told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_notice: Option<PublicNotice>,
    /// Related entries (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<Vec<RefersTo>>,
    /// Documents by hash (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

/// One batch of a destruction programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The programme's token, e.g. `wuxi-covid-data-2023` (letters, digits, `.`, `_`, `-`).
    pub program_id: String,
    /// This batch's number, from 1.
    pub sequence: u64,
    /// How many batches are planned, if known (at least `sequence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_total: Option<u64>,
}

/// An officer in a public role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// The role, e.g. Deputy Director.
    pub title: LText,
    /// The name, as published in that role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<LText>,
    /// The unit, e.g. the data resources division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<LText>,
}

/// The approving decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Who approved, by role.
    pub approver_title: LText,
    /// The decision's document number (e.g. a red-header document number).
    pub decision_ref: String,
    /// The decision's date, YYYY-MM-DD.
    pub decision_date: String,
    /// SHA-256 of the decision document, if it is attached or can be produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_sha256: Option<String>,
}

/// An organisation that carried out the destruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Executor {
    /// The organisation.
    pub org: Org,
    /// In what capacity.
    pub role: ExecutorRole,
    /// The contract's reference, for processors and contractors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_ref: Option<String>,
}

/// A regulator's or court's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRef {
    /// Who ordered it.
    pub authority: Org,
    /// The order's reference number.
    pub reference: String,
    /// The order's date, YYYY-MM-DD.
    pub date: String,
}

/// Data kept back, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionException {
    /// What was kept.
    pub description: LText,
    /// The legal ground for keeping it.
    pub legal_basis: String,
    /// Which of the statement's data categories it holds (1..=64, each listed in `data_categories`).
    pub data_categories: Vec<DataCategoryCode>,
    /// Roughly how many records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approx_count: Option<u64>,
    /// Who holds it.
    pub held_by: Org,
    /// When it will be reviewed or expire, YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_or_expiry_date: Option<String>,
}

/// One category of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataCategory {
    /// The category.
    pub code: DataCategoryCode,
    /// A label in words; required for `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<LText>,
    /// Whether it is sensitive personal information (PIPL Art. 28; GDPR Art. 9).
    pub sensitive: bool,
}

/// A span of days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD, not before `from`.
    pub to: String,
}

/// How much was destroyed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCount {
    /// The count (at most 2^53 - 1).
    pub value: u64,
    /// What is counted.
    pub unit: CountUnit,
    /// True if the real number is at least `value` ("more than 1 billion rows", 10亿余条).
    pub lower_bound: bool,
    /// How the count was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counting_note: Option<LText>,
}

/// How many distinct people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectCount {
    /// The count (at most 2^53 - 1).
    pub value: u64,
    /// True if the real number is at least `value`.
    pub lower_bound: bool,
}

/// How the public was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicNotice {
    /// Notices (1..=16).
    pub urls: Vec<String>,
    /// Whether people were told individually.
    pub individually_notified: bool,
}

impl Check for Destruction {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.issuer.check(&p.field("issuer"))?;
        self.contact.check(&p.field("contact"))?;
        self.title.check_max(&p.field("title"), MAX_NAME)?;
        self.data_description
            .check_max(&p.field("data_description"), MAX_NAME)?;
        check::opt(&p.field("batch"), &self.batch)?;
        if let Some(urls) = &self.announcement_urls {
            let up = p.field("announcement_urls");
            check::count_items(&up, urls.len(), 1, 16)?;
            for (i, u) in urls.iter().enumerate() {
                check::url(&up.index(i), u)?;
            }
        }
        check::opt(&p.field("controller"), &self.controller)?;
        self.accountable_officer
            .check(&p.field("accountable_officer"))?;
        check::opt(&p.field("approval"), &self.approval)?;
        check::list(&p.field("executors"), &self.executors, 1, 64)?;
        check::count_items(
            &p.field("trigger"),
            self.trigger.len(),
            1,
            Trigger::NAMES.len(),
        )?;
        check::unique(&p.field("trigger"), &self.trigger)?;
        check::list(&p.field("legal_citations"), &self.legal_citations, 1, 64)?;
        check::opt(&p.field("order_ref"), &self.order_ref)?;
        let ordered = self
            .trigger
            .iter()
            .any(|t| matches!(t, Trigger::RegulatorOrder | Trigger::CourtOrder));
        if ordered && self.order_ref.is_none() {
            return Err(p
                .field("order_ref")
                .invalid("required when trigger includes regulator_order or court_order"));
        }
        check::list(
            &p.field("retention_exceptions"),
            &self.retention_exceptions,
            0,
            256,
        )?;
        self.original_purpose.check(&p.field("original_purpose"))?;
        check::opt_list(
            &p.field("data_subject_categories"),
            &self.data_subject_categories,
            64,
        )?;
        check::list(&p.field("data_categories"), &self.data_categories, 1, 64)?;
        let codes: Vec<DataCategoryCode> = self.data_categories.iter().map(|c| c.code).collect();
        for (i, code) in codes.iter().enumerate() {
            if *code != DataCategoryCode::Other && codes[..i].contains(code) {
                return Err(p
                    .field("data_categories")
                    .index(i)
                    .field("code")
                    .invalid("listed twice"));
            }
        }
        let exceptions = p.field("retention_exceptions");
        for (i, exception) in self.retention_exceptions.iter().enumerate() {
            let item = exceptions.index(i);
            let ep = item.field("data_categories");
            for (j, code) in exception.data_categories.iter().enumerate() {
                if !codes.contains(code) {
                    return Err(ep.index(j).invalid(format!(
                        "`{}` is not among the statement's data_categories",
                        code.as_str()
                    )));
                }
            }
        }
        self.check_scope(p)?;
        self.check_time(p)?;
        self.location.check(&p.field("location"))?;
        self.verification.check(&p.field("verification"))?;
        check::opt(&p.field("validation"), &self.validation)?;
        check::list(
            &p.field("witnesses_invited"),
            &self.witnesses_invited,
            0,
            64,
        )?;
        check::opt(&p.field("commitment"), &self.commitment)?;
        if let (Some(c), Some(s)) = (&self.commitment, &self.subject_count)
            && c.granularity == Granularity::Subject
            && !s.lower_bound
            && c.leaf_count != s.value
        {
            return Err(p.field("commitment").field("leaf_count").invalid(format!(
                "is {} but subject_count.value is {}; with one leaf per subject they must be equal",
                c.leaf_count, s.value
            )));
        }
        check::opt(&p.field("public_notice"), &self.public_notice)?;
        check::opt_list(&p.field("refers_to"), &self.refers_to, 64)?;
        check::opt_list(&p.field("attachments"), &self.attachments, 64)
    }
}

impl Destruction {
    /// Counts, systems, actions and pending steps, and the references between them.
    fn check_scope(&self, p: &Path) -> Result<(), SchemaError> {
        self.record_count.check(&p.field("record_count"))?;
        check::opt(&p.field("subject_count"), &self.subject_count)?;
        check::list(&p.field("systems"), &self.systems, 1, 256)?;
        let refs: Vec<&str> = self.systems.iter().map(|s| s.system_ref.as_str()).collect();
        for (i, r) in refs.iter().enumerate() {
            if refs[..i].contains(r) {
                return Err(p
                    .field("systems")
                    .index(i)
                    .field("system_ref")
                    .invalid(format!("`{r}` is used by an earlier system")));
            }
        }
        self.other_copies_statement
            .check(&p.field("other_copies_statement"))?;
        check::opt_list(
            &p.field("recipients_notified"),
            &self.recipients_notified,
            1024,
        )?;
        check::list(&p.field("actions"), &self.actions, 1, 256)?;
        let known = |r: &str| refs.contains(&r);
        let actions = p.field("actions");
        for (i, action) in self.actions.iter().enumerate() {
            let item = actions.index(i);
            let ap = item.field("applies_to");
            for (j, r) in action.applies_to.iter().enumerate() {
                if !known(r) {
                    return Err(ap
                        .index(j)
                        .invalid(format!("`{r}` is not the system_ref of any listed system")));
                }
            }
        }
        for (i, system) in self.systems.iter().enumerate() {
            let included = system
                .components
                .all()
                .iter()
                .any(|(_, c)| *c == CopyScope::Included);
            let acted_on = self
                .actions
                .iter()
                .any(|a| a.applies_to.contains(&system.system_ref));
            if included && !acted_on {
                return Err(p.field("systems").index(i).invalid(format!(
                    "has included copies but no action applies_to `{}`",
                    system.system_ref
                )));
            }
        }
        check::list(&p.field("pending_steps"), &self.pending_steps, 0, 256)?;
        for (i, step) in self.pending_steps.iter().enumerate() {
            if !known(&step.system_ref) {
                return Err(p
                    .field("pending_steps")
                    .index(i)
                    .field("system_ref")
                    .invalid(format!(
                        "`{}` is not the system_ref of any listed system",
                        step.system_ref
                    )));
            }
        }
        Ok(())
    }

    /// Status, times and the collection period.
    fn check_time(&self, p: &Path) -> Result<(), SchemaError> {
        let from = check::date(
            &p.field("collection_period").field("from"),
            &self.collection_period.from,
        )?;
        let to = check::date(
            &p.field("collection_period").field("to"),
            &self.collection_period.to,
        )?;
        if from > to {
            return Err(p
                .field("collection_period")
                .field("to")
                .invalid("is before collection_period.from"));
        }
        let started = check::datetime(&p.field("started_at"), &self.started_at)?;
        if to > started.date() {
            return Err(p
                .field("collection_period")
                .field("to")
                .invalid("is after the day destruction started (started_at)"));
        }
        let status = self.status.as_str();
        match &self.completed_at {
            Some(completed) => {
                let cp = p.field("completed_at");
                if check::datetime(&cp, completed)? < started {
                    return Err(cp.invalid("is before started_at"));
                }
            }
            None if self.status != DestructionStatus::RestrictedNotDeleted => {
                return Err(p
                    .field("completed_at")
                    .invalid(format!("required when status is `{status}`")));
            }
            None => {}
        }
        match (self.status, self.pending_steps.is_empty()) {
            (DestructionStatus::Completed, false) => Err(p.field("pending_steps").invalid(
                "must be empty when status is `completed`; use `completed_with_pending_steps`",
            )),
            (DestructionStatus::CompletedWithPendingSteps, true) => {
                Err(p.field("pending_steps").invalid(
                    "must list the pending steps when status is `completed_with_pending_steps`",
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Check for Batch {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::token(&p.field("program_id"), &self.program_id)?;
        check::integer(&p.field("sequence"), self.sequence)?;
        if self.sequence == 0 {
            return Err(p.field("sequence").invalid("batches are numbered from 1"));
        }
        if let Some(total) = self.planned_total {
            check::integer(&p.field("planned_total"), total)?;
            if total < self.sequence {
                return Err(p.field("planned_total").invalid("is smaller than sequence"));
            }
        }
        Ok(())
    }
}

impl Check for Officer {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.title.check_max(&p.field("title"), MAX_NAME)?;
        check::opt_name(&p.field("name"), &self.name)?;
        check::opt_name(&p.field("unit"), &self.unit)
    }
}

impl Check for Approval {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.approver_title
            .check_max(&p.field("approver_title"), MAX_NAME)?;
        check::ident(&p.field("decision_ref"), &self.decision_ref, MAX_IDENT)?;
        check::date(&p.field("decision_date"), &self.decision_date)?;
        match &self.document_sha256 {
            Some(h) => check::hex(&p.field("document_sha256"), h, 64),
            None => Ok(()),
        }
    }
}

impl Check for Executor {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.org.check(&p.field("org"))?;
        check::opt_ident(&p.field("contract_ref"), &self.contract_ref, MAX_IDENT)
    }
}

impl Check for OrderRef {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.authority.check(&p.field("authority"))?;
        check::ident(&p.field("reference"), &self.reference, MAX_IDENT)?;
        check::date(&p.field("date"), &self.date).map(drop)
    }
}

impl Check for RetentionException {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.description.check(&p.field("description"))?;
        check::ident(&p.field("legal_basis"), &self.legal_basis, MAX_IDENT)?;
        check::count_items(
            &p.field("data_categories"),
            self.data_categories.len(),
            1,
            64,
        )?;
        check::unique(&p.field("data_categories"), &self.data_categories)?;
        if let Some(n) = self.approx_count {
            check::integer(&p.field("approx_count"), n)?;
        }
        self.held_by.check(&p.field("held_by"))?;
        check::opt_date(
            &p.field("review_or_expiry_date"),
            &self.review_or_expiry_date,
        )
    }
}

impl Check for DataCategory {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        if self.code == DataCategoryCode::Other && self.label.is_none() {
            return Err(p.field("label").invalid("required when code is `other`"));
        }
        check::opt_name(&p.field("label"), &self.label)
    }
}

impl Check for RecordCount {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::integer(&p.field("value"), self.value)?;
        check::opt(&p.field("counting_note"), &self.counting_note)
    }
}

impl Check for SubjectCount {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::integer(&p.field("value"), self.value)
    }
}

impl Check for PublicNotice {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        let up = p.field("urls");
        check::count_items(&up, self.urls.len(), 1, 16)?;
        for (i, u) in self.urls.iter().enumerate() {
            check::url(&up.index(i), u)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::error::expect_invalid;
    use crate::schema::fixtures::parsed::{template_destruction, wuxi_destruction};

    fn check(d: &Destruction) -> Result<(), SchemaError> {
        d.check(&Path::root())
    }

    #[test]
    fn destruction_fixture_and_template_are_valid() {
        check(&wuxi_destruction()).unwrap();
        check(&template_destruction()).unwrap();
    }

    #[test]
    fn destruction_rejects_completed_before_started() {
        let mut d = wuxi_destruction();
        d.completed_at = Some("2023-03-02T09:29:59+08:00".into());
        assert_eq!(
            expect_invalid(check(&d), "completed_at"),
            "is before started_at"
        );
        // The same instant in another offset is not "before".
        d.completed_at = Some("2023-03-02T01:30:00Z".into());
        check(&d).unwrap();
    }

    #[test]
    fn destruction_requires_completed_at_unless_restricted() {
        let mut d = wuxi_destruction();
        d.completed_at = None;
        let reason = expect_invalid(check(&d), "completed_at");
        assert_eq!(
            reason,
            "required when status is `completed_with_pending_steps`"
        );
        d.status = DestructionStatus::RestrictedNotDeleted;
        check(&d).unwrap();
    }

    #[test]
    fn destruction_status_and_pending_steps_must_agree() {
        let mut d = wuxi_destruction();
        d.status = DestructionStatus::Completed;
        assert!(expect_invalid(check(&d), "pending_steps").contains("must be empty"));
        let mut d = template_destruction();
        d.status = DestructionStatus::CompletedWithPendingSteps;
        assert!(expect_invalid(check(&d), "pending_steps").contains("must list"));
    }

    #[test]
    fn destruction_rejects_collection_period_out_of_order() {
        let mut d = wuxi_destruction();
        d.collection_period.from = "2023-01-08".into();
        assert_eq!(
            expect_invalid(check(&d), "collection_period.to"),
            "is before collection_period.from"
        );
        let mut d = wuxi_destruction();
        d.collection_period.to = "2023-03-03".into();
        assert!(
            expect_invalid(check(&d), "collection_period.to")
                .contains("after the day destruction started")
        );
    }

    #[test]
    fn destruction_rejects_action_on_unlisted_system() {
        let mut d = wuxi_destruction();
        d.actions[0].applies_to = vec!["wuxi-bdc".into(), "wuxi-dr".into()];
        let reason = expect_invalid(check(&d), "actions[0].applies_to[1]");
        assert_eq!(
            reason,
            "`wuxi-dr` is not the system_ref of any listed system"
        );
        let mut d = wuxi_destruction();
        d.pending_steps[0].system_ref = "tapes".into();
        expect_invalid(check(&d), "pending_steps[0].system_ref");
    }

    #[test]
    fn destruction_rejects_included_copies_without_action() {
        let mut d = wuxi_destruction();
        let mut second = d.systems[0].clone();
        second.system_ref = "district-db".into();
        d.systems.push(second);
        assert!(
            expect_invalid(check(&d), "systems[1]").contains("no action applies_to `district-db`")
        );
        let mut d = wuxi_destruction();
        d.systems.push(d.systems[0].clone());
        expect_invalid(check(&d), "systems[1].system_ref");
    }

    #[test]
    fn destruction_requires_systems_actions_and_citations() {
        for (field, clear) in [
            (
                "systems",
                (|d: &mut Destruction| d.systems.clear()) as fn(&mut Destruction),
            ),
            ("actions", |d| d.actions.clear()),
            ("legal_citations", |d| d.legal_citations.clear()),
            ("executors", |d| d.executors.clear()),
            ("data_categories", |d| d.data_categories.clear()),
            ("trigger", |d| d.trigger.clear()),
        ] {
            let mut d = wuxi_destruction();
            clear(&mut d);
            assert_eq!(
                expect_invalid(check(&d), field),
                "has 0 items; at least 1 required (the list is empty)"
            );
        }
    }

    #[test]
    fn destruction_rejects_technique_that_does_not_reach_level() {
        let mut d = wuxi_destruction();
        d.actions[0].level = Level::Clear;
        d.actions[0].technique = Technique::Shred;
        let reason = expect_invalid(check(&d), "actions[0].technique");
        assert_eq!(
            reason,
            "`shred` does not achieve level `clear`; with that level use: overwrite, other"
        );
        d.actions[0].level = Level::Anonymization;
        expect_invalid(check(&d), "actions[0].technique");
        d.actions[0].technique = Technique::Other;
        check(&d).unwrap();
        d.actions[0].technique_detail = None;
        expect_invalid(check(&d), "actions[0].technique_detail");
    }

    #[test]
    fn destruction_key_destruction_lists_keys() {
        let mut d = template_destruction();
        d.actions[0].keys_destroyed = None;
        expect_invalid(check(&d), "actions[0].keys_destroyed");
        d.actions[0].keys_destroyed = Some(vec![]);
        assert_eq!(
            expect_invalid(check(&d), "actions[0].keys_destroyed"),
            "has 0 items; at least 1 required (the list is empty)"
        );
    }

    #[test]
    fn destruction_requires_reference_numbers_for_auditors_and_notaries() {
        let mut d = wuxi_destruction();
        d.witnesses_invited[1].reference = None;
        let reason = expect_invalid(check(&d), "witnesses_invited[1].reference");
        assert_eq!(
            reason,
            "required for a `notary`: name the report or certificate number"
        );
        d.witnesses_invited[1].role = WitnessRole::Media;
        check(&d).unwrap();
    }

    #[test]
    fn destruction_rejects_oversize_text_and_says_the_bound() {
        let mut d = wuxi_destruction();
        d.original_purpose = LText::new("en", &"x".repeat(4097));
        assert_eq!(
            expect_invalid(check(&d), "original_purpose.en"),
            "is 4097 characters; at most 4096 allowed"
        );
        let mut d = wuxi_destruction();
        d.title = LText::new("zh-CN", &"销".repeat(513));
        assert_eq!(
            expect_invalid(check(&d), "title.zh-CN"),
            "is 513 characters; at most 512 allowed"
        );
    }

    #[test]
    fn destruction_rejects_too_many_items_and_says_the_bound() {
        let mut d = wuxi_destruction();
        d.announcement_urls = Some(vec!["https://dsj.wuxi.gov.cn/".into(); 17]);
        assert_eq!(
            expect_invalid(check(&d), "announcement_urls"),
            "has 17 items; at most 16 allowed"
        );
        let mut d = wuxi_destruction();
        d.witnesses_invited = vec![d.witnesses_invited[0].clone(); 65];
        assert_eq!(
            expect_invalid(check(&d), "witnesses_invited"),
            "has 65 items; at most 64 allowed"
        );
        let mut d = wuxi_destruction();
        d.announcement_urls = Some(vec![]);
        expect_invalid(check(&d), "announcement_urls");
    }

    #[test]
    fn destruction_rejects_repeated_triggers() {
        let mut d = wuxi_destruction();
        d.trigger = vec![Trigger::PurposeAchieved, Trigger::PurposeAchieved];
        assert_eq!(expect_invalid(check(&d), "trigger[1]"), "repeats item [0]");
    }

    #[test]
    fn destruction_rejects_bad_formats_at_their_paths() {
        let mut d = wuxi_destruction();
        d.approval.as_mut().unwrap().document_sha256 =
            Some("041A63CDD0E75E867B367164EF5C986C09E67E4A322CFF914E354F73B54B0FCB".into());
        assert_eq!(
            expect_invalid(check(&d), "approval.document_sha256"),
            "must be 64 lowercase hexadecimal digits"
        );
        let mut d = wuxi_destruction();
        d.approval.as_mut().unwrap().decision_date = "2023-02-30".into();
        expect_invalid(check(&d), "approval.decision_date");
        let mut d = wuxi_destruction();
        d.started_at = "2023-03-02T09:30:00".into();
        assert!(expect_invalid(check(&d), "started_at").contains("no UTC offset"));
        let mut d = wuxi_destruction();
        d.issuer.org_id.as_mut().unwrap().value = "11320200MB1F273133".into();
        expect_invalid(check(&d), "issuer.org_id.value");
        let mut d = wuxi_destruction();
        d.location.region = "CN".into();
        expect_invalid(check(&d), "location.region");
        let mut d = wuxi_destruction();
        d.systems[0].system_ref = "wuxi bdc".into();
        expect_invalid(check(&d), "systems[0].system_ref");
    }

    #[test]
    fn destruction_requires_order_ref_for_orders() {
        let mut d = template_destruction();
        d.order_ref = None;
        assert!(expect_invalid(check(&d), "order_ref").contains("regulator_order"));
    }

    #[test]
    fn destruction_requires_scope_note_for_excluded_or_unknown_copies() {
        let mut d = wuxi_destruction();
        d.systems[0].scope_note = None;
        let reason = expect_invalid(check(&d), "systems[0].scope_note");
        assert_eq!(
            reason,
            "required to explain why components.exports is `excluded`"
        );
    }

    #[test]
    fn destruction_verification_rules() {
        let mut d = wuxi_destruction();
        d.verification.sample = None;
        expect_invalid(check(&d), "verification.sample");
        let mut d = wuxi_destruction();
        d.verification.methods = vec![VerificationMethod::None];
        expect_invalid(check(&d), "verification.result");
        d.verification.result = VerificationResult::NotPerformed;
        d.verification.sample = None;
        check(&d).unwrap();
        d.verification.methods.push(VerificationMethod::LogReview);
        expect_invalid(check(&d), "verification.methods");
        let mut d = wuxi_destruction();
        d.verification.sample.as_mut().unwrap().sample_size = 65;
        expect_invalid(check(&d), "verification.sample.sample_size");
    }

    #[test]
    fn destruction_retention_exceptions_use_declared_categories() {
        let mut d = template_destruction();
        d.retention_exceptions[0]
            .data_categories
            .push(DataCategoryCode::Biometric);
        let reason = expect_invalid(check(&d), "retention_exceptions[0].data_categories[2]");
        assert_eq!(
            reason,
            "`biometric` is not among the statement's data_categories"
        );
    }

    #[test]
    fn destruction_commitment_rules() {
        let mut d = template_destruction();
        d.commitment.as_mut().unwrap().leaf_count += 1;
        assert!(expect_invalid(check(&d), "commitment.leaf_count").contains("must be equal"));
        let mut d = template_destruction();
        d.commitment.as_mut().unwrap().key_custody = None;
        expect_invalid(check(&d), "commitment.key_custody");
        d.commitment.as_mut().unwrap().leaf_kind = LeafKind::SaltedSha256PerSubject;
        check(&d).unwrap();
        let mut d = template_destruction();
        d.commitment.as_mut().unwrap().root.pop();
        expect_invalid(check(&d), "commitment.root");
    }

    #[test]
    fn commitment_rules_of_the_per_person_check() {
        fn with(f: impl FnOnce(&mut Commitment)) -> Destruction {
            let mut d = template_destruction();
            f(d.commitment.as_mut().unwrap());
            d
        }
        fn oprf(c: &mut Commitment) {
            c.leaf_kind = LeafKind::OprfP256;
            c.oprf_public_key =
                Some("03e17e70604bcabe198882c0a1f27a92441e774224ed9c702e51dd17038b102462".into());
            c.bucket_bits = Some(12);
        }
        check(&template_destruction()).unwrap();
        check(&with(oprf)).unwrap();
        // Too few leaves (with the subject count kept equal).
        let mut d = with(|c| c.leaf_count = 999);
        d.subject_count.as_mut().unwrap().value = 999;
        assert!(expect_invalid(check(&d), "commitment.leaf_count").contains("at least 1000"));
        expect_invalid(check(&with(|c| c.context = None)), "commitment.context");
        expect_invalid(
            check(&with(|c| c.context = Some("Wuxi 2023".into()))),
            "commitment.context",
        );
        // One custody holder for a keyed kind.
        let one = with(|c| c.key_custody.as_mut().unwrap().holders.truncate(1));
        assert!(expect_invalid(check(&one), "commitment.key_custody.holders").contains("two"));
        // The service outlives the key.
        let late = with(|c| {
            c.check_service.as_mut().unwrap().available_until = "2023-08-16".into();
        });
        assert!(
            expect_invalid(check(&late), "commitment.check_service.available_until")
                .contains("destroy_by")
        );
        // The OPRF key: required, only for oprf_p256, a valid point.
        expect_invalid(
            check(&with(|c| {
                oprf(c);
                c.oprf_public_key = None;
            })),
            "commitment.oprf_public_key",
        );
        expect_invalid(
            check(&with(|c| {
                c.oprf_public_key = Some("03".repeat(33));
            })),
            "commitment.oprf_public_key",
        );
        let mut off_curve = "02".to_string();
        off_curve.push_str(&"ff".repeat(32));
        expect_invalid(
            check(&with(|c| {
                oprf(c);
                c.oprf_public_key = Some(off_curve);
            })),
            "commitment.oprf_public_key",
        );
        expect_invalid(
            check(&with(|c| {
                oprf(c);
                c.bucket_bits = None;
            })),
            "commitment.bucket_bits",
        );
        expect_invalid(
            check(&with(|c| {
                oprf(c);
                c.bucket_bits = Some(21);
            })),
            "commitment.bucket_bits",
        );
    }

    #[test]
    fn destruction_rejects_counts_beyond_2_pow_53() {
        let mut d = wuxi_destruction();
        d.record_count.value = 1 << 53;
        assert!(expect_invalid(check(&d), "record_count.value").contains("2^53 - 1"));
    }

    #[test]
    fn destruction_checks_entry_ids_of_recipients() {
        let mut d = template_destruction();
        d.recipients_notified.as_mut().unwrap()[0].confirmation_entry_id = Some("1.057".into());
        expect_invalid(check(&d), "recipients_notified[0].confirmation_entry_id");
    }
}
