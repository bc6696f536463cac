//! `destruction`: an agency's statement that it destroyed (or restricted) a set of personal data:
//! who is accountable, why, exactly what and where (systems and every kind of copy), what was kept,
//! how, when, where, how it was verified, and who was invited to witness. Fields follow
//! research/domain.md §5.1.

use super::SchemaError;
use super::check::{self, Check, MAX_IDENT, MAX_NAME, Path, wire_enum};
use super::common::{
    Attachment, Contact, DataCategoryCode, LText, LegalCitation, Org, RefersTo, Trigger,
};
use serde::{Deserialize, Serialize};

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

wire_enum! {
    /// Where a system runs.
    pub enum Hosting {
        /// The organisation's own premises.
        OnPrem = "on_prem",
        /// A government cloud (政务云).
        GovCloud = "gov_cloud",
        /// A public cloud.
        PublicCloud = "public_cloud",
        /// Software as a service.
        Saas = "saas",
        /// Users' own devices.
        EndUserDevices = "end_user_devices",
        /// Paper records.
        Paper = "paper",
    }
}

wire_enum! {
    /// Whether one kind of copy of a system's data is covered by the statement.
    pub enum CopyScope {
        /// Covered: destroyed by an action in this statement (or pending, listed in pending_steps).
        Included = "included",
        /// Deliberately outside this statement (say why in the system's `scope_note`).
        Excluded = "excluded",
        /// This kind of copy does not exist for the system.
        NotApplicable = "not_applicable",
        /// The issuer does not know (say so in `scope_note`; this is itself information).
        Unknown = "unknown",
    }
}

wire_enum! {
    /// How far the data was destroyed: NIST SP 800-88 clear / purge / destroy, plus the logical
    /// levels that deletion in a database usually is.
    pub enum Level {
        /// Removed from the business systems so it cannot be retrieved there (GB/T 35273 "deletion").
        LogicalDeletion = "logical_deletion",
        /// Transformed so people cannot be identified and the data cannot be restored (PIPL Art. 73).
        Anonymization = "anonymization",
        /// All copies of the encryption keys destroyed (NIST cryptographic erase).
        CryptoErase = "crypto_erase",
        /// NIST Clear: resists simple non-invasive recovery.
        Clear = "clear",
        /// NIST Purge: resists state-of-the-art laboratory recovery.
        Purge = "purge",
        /// NIST Destroy: as Purge and the medium can no longer store data.
        Destroy = "destroy",
    }
}

wire_enum! {
    /// The technique used.
    pub enum Technique {
        /// Database DELETE.
        DbDelete = "db_delete",
        /// DROP TABLE or TRUNCATE.
        DropOrTruncate = "drop_or_truncate",
        /// Deleting objects in object storage.
        ObjectDelete = "object_delete",
        /// Overwriting every addressable location.
        Overwrite = "overwrite",
        /// Device block erase.
        BlockErase = "block_erase",
        /// The device's sanitize crypto-erase command.
        SanitizeCryptoErase = "sanitize_crypto_erase",
        /// Destroying encryption keys (list them in `keys_destroyed`).
        KeyDestruction = "key_destruction",
        /// Degaussing magnetic media.
        Degauss = "degauss",
        /// Shredding.
        Shred = "shred",
        /// Disintegration.
        Disintegrate = "disintegrate",
        /// Pulverizing.
        Pulverize = "pulverize",
        /// Incineration.
        Incinerate = "incinerate",
        /// Melting.
        Melt = "melt",
        /// Something else (describe it in `technique_detail`).
        Other = "other",
    }
}

wire_enum! {
    /// Kind of storage medium.
    pub enum MediaKind {
        /// Hard disk drives.
        Hdd = "hdd",
        /// SATA/SAS solid-state drives.
        Ssd = "ssd",
        /// NVMe drives.
        Nvme = "nvme",
        /// Tapes.
        Tape = "tape",
        /// Optical discs.
        Optical = "optical",
        /// Flash media (USB sticks, cards).
        Flash = "flash",
        /// Cloud block volumes.
        CloudVolume = "cloud_volume",
        /// Virtual disks.
        VirtualDisk = "virtual_disk",
        /// Paper.
        Paper = "paper",
    }
}

wire_enum! {
    /// What became of the media afterwards.
    pub enum MediaDestination {
        /// Reused inside the organisation.
        InternalReuse = "internal_reuse",
        /// Reused outside it.
        ExternalReuse = "external_reuse",
        /// Sent to recycling.
        Recycling = "recycling",
        /// Returned to the manufacturer.
        Manufacturer = "manufacturer",
        /// Physically destroyed.
        Destroyed = "destroyed",
        /// Kept.
        Retained = "retained",
    }
}

wire_enum! {
    /// How completion was verified.
    pub enum VerificationMethod {
        /// Every location read back.
        FullReadback = "full_readback",
        /// A sample of locations read back (give `sample`).
        SamplingReadback = "sampling_readback",
        /// Queries for the data return nothing.
        QueryAbsence = "query_absence",
        /// A recovery attempt with forensic tools failed.
        RecoveryAttempt = "recovery_attempt",
        /// System and job logs reviewed.
        LogReview = "log_review",
        /// Key state checked in the KMS/HSM.
        KeyStateCheck = "key_state_check",
        /// A witness watched the process.
        WitnessObservation = "witness_observation",
        /// Not verified (then the only method, with result `not_performed`).
        None = "none",
    }
}

wire_enum! {
    /// Whether the verifier is independent of whoever did the destruction.
    pub enum Independence {
        /// Part of the issuer or the executor.
        Internal = "internal",
        /// Independent of both.
        Independent = "independent",
    }
}

wire_enum! {
    /// Outcome of verification.
    pub enum VerificationResult {
        /// Passed.
        Passed = "passed",
        /// Passed with exceptions (say which in `description`).
        PassedWithExceptions = "passed_with_exceptions",
        /// Failed.
        Failed = "failed",
        /// No verification was performed.
        NotPerformed = "not_performed",
    }
}

wire_enum! {
    /// The organisation's decision on the verified result (NIST SP 800-88r2 §4.5.2 validation).
    pub enum ValidationDecision {
        /// Accepted.
        Accepted = "accepted",
        /// Rejected.
        Rejected = "rejected",
        /// Escalated for repetition or a stronger method.
        Escalated = "escalated",
    }
}

wire_enum! {
    /// Capacity in which a witness was invited.
    pub enum WitnessRole {
        /// Third-party auditor.
        Auditor = "auditor",
        /// Notary (公证处).
        Notary = "notary",
        /// Regulator.
        Regulator = "regulator",
        /// Data protection officer.
        Dpo = "dpo",
        /// Supervising witness of the destruction (监销人).
        SupervisingWitness = "supervising_witness",
        /// Citizen observer.
        CitizenObserver = "citizen_observer",
        /// Press.
        Media = "media",
    }
}

wire_enum! {
    /// Kind of a witness's reference number.
    pub enum ReferenceKind {
        /// Audit report number.
        AuditReportNo = "audit_report_no",
        /// Notarial certificate number (公证书编号).
        NotarialCertificateNo = "notarial_certificate_no",
        /// Decision number.
        DecisionNo = "decision_no",
    }
}

wire_enum! {
    /// Construction of a subject-level commitment.
    pub enum CommitmentScheme {
        /// RFC 9162 Merkle tree over sorted keyed leaves (research/domain.md §4.2).
        AshlogMerkleV1 = "ashlog-merkle-v1",
    }
}

wire_enum! {
    /// How commitment leaves are derived from identifiers; never a plain hash, which a dictionary
    /// of identity or phone numbers reverses in minutes.
    pub enum LeafKind {
        /// HMAC-SHA256 under a secret key (needs `key_custody`).
        HmacSha256Keyed = "hmac_sha256_keyed",
        /// SHA-256 with a random salt per subject, delivered to the subject.
        SaltedSha256PerSubject = "salted_sha256_per_subject",
        /// OPRF over P-256 (RFC 9497; needs `key_custody`).
        OprfP256 = "oprf_p256",
    }
}

wire_enum! {
    /// What one commitment leaf stands for.
    pub enum Granularity {
        /// One leaf per person.
        Subject = "subject",
        /// One leaf per person and record type.
        SubjectAndRecordType = "subject_and_record_type",
        /// One leaf per record.
        Record = "record",
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

/// A system holding the data, with every kind of copy marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// A token naming the system inside this statement (unique; `applies_to` uses it).
    pub system_ref: String,
    /// Its name.
    pub name: LText,
    /// Who operates it.
    pub operator: Org,
    /// Where it runs.
    pub hosting: Hosting,
    /// Each kind of copy, marked included, excluded, not applicable or unknown.
    pub components: Components,
    /// Why copies are excluded or unknown; required when any component is `excluded` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_note: Option<LText>,
}

/// Each kind of copy a system may have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Components {
    /// The live database or store.
    pub primary: CopyScope,
    /// Replicas and disaster-recovery copies.
    pub replicas: CopyScope,
    /// Backups.
    pub backups: CopyScope,
    /// Logs that contain the data.
    pub logs: CopyScope,
    /// Analytics and reporting copies.
    pub analytics_copies: CopyScope,
    /// Exports and extracts.
    pub exports: CopyScope,
    /// Test and development environments.
    pub test_envs: CopyScope,
    /// Paper printouts.
    pub paper_printouts: CopyScope,
}

impl Components {
    /// Every component with its name, in declaration order.
    pub fn all(&self) -> [(&'static str, CopyScope); 8] {
        [
            ("primary", self.primary),
            ("replicas", self.replicas),
            ("backups", self.backups),
            ("logs", self.logs),
            ("analytics_copies", self.analytics_copies),
            ("exports", self.exports),
            ("test_envs", self.test_envs),
            ("paper_printouts", self.paper_printouts),
        ]
    }
}

/// A recipient told to delete its copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientNotice {
    /// The recipient.
    pub recipient: Org,
    /// When it was told.
    pub notified_at: String,
    /// The recipient's own destruction entry, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_entry_id: Option<String>,
}

/// What was done to some systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The systems (by `system_ref`, 1..=256, no repeats).
    pub applies_to: Vec<String>,
    /// How far.
    pub level: Level,
    /// By what technique.
    pub technique: Technique,
    /// In words; required for technique `other` and level `anonymization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique_detail: Option<LText>,
    /// The standard followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<Standard>,
    /// The software or machine used, with version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool>,
    /// The media handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// Keys destroyed; required for technique `key_destruction` (at most 1,024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_destroyed: Option<Vec<KeyDestroyed>>,
}

/// A sanitisation standard and clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    /// e.g. `NIST SP 800-88 Rev. 1`, `IEEE 2883-2022`, `GB/T 35273-2020`, or an internal policy id.
    pub name: String,
    /// The clause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
}

/// A tool with its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Product name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

/// Media handled by an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// Kind of medium.
    pub kind: MediaKind,
    /// How many.
    pub count: u64,
    /// SHA-256 of the serial-number inventory (the inventory itself stays private).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_sha256: Option<String>,
    /// DIN 66399 / ISO/IEC 21964 security level, e.g. `H-5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_level: Option<String>,
    /// What became of the media.
    pub destination: MediaDestination,
}

/// A destroyed key, identified by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDestroyed {
    /// SHA-256 of the key's identifier (never the key).
    pub key_ref_sha256: String,
    /// When it was destroyed.
    pub destroyed_at: String,
    /// The KMS or HSM event id that records it.
    pub evidence_ref: String,
}

/// A step still to come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingStep {
    /// What remains.
    pub description: LText,
    /// Which system (a listed `system_ref`).
    pub system_ref: String,
    /// When it will be done by, YYYY-MM-DD.
    pub due_by: String,
}

/// Where, to city level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// City, e.g. `Wuxi`.
    pub city: String,
    /// ISO 3166-2 subdivision of `country`, e.g. `CN-JS`.
    pub region: String,
    /// ISO 3166-1 alpha-2, e.g. `CN`.
    pub country: String,
    /// The site, e.g. the city big-data centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<LText>,
}

/// How completion was verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// Methods (1..=8, no repeats; `none` only alone).
    pub methods: Vec<VerificationMethod>,
    /// In words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LText>,
    /// The sample; required for `sampling_readback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// Who verified.
    pub performed_by: Verifier,
    /// The outcome (`not_performed` exactly when the method is `none`).
    pub result: VerificationResult,
}

/// A verification sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// Size of the population sampled.
    pub population: u64,
    /// Size of the sample (1..=population).
    pub sample_size: u64,
    /// How the sample was chosen.
    pub selection: LText,
}

/// Who verified, and whether independently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verifier {
    /// The organisation.
    pub org: Org,
    /// Independent of issuer and executors, or not.
    pub independence: Independence,
}

/// The acceptance decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// The decision.
    pub decision: ValidationDecision,
    /// Who decided, by role.
    pub by_title: LText,
    /// When.
    pub at: String,
}

/// A party invited to witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// In what capacity.
    pub role: WitnessRole,
    /// The organisation.
    pub org: Org,
    /// Its report or certificate number; required for auditors and notaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<WitnessReference>,
}

/// A witness's reference number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessReference {
    /// What kind of number.
    pub kind: ReferenceKind,
    /// The number, e.g. `(2023)苏锡证经字第1234号`.
    pub value: String,
}

/// A commitment over keyed per-person identifiers (research/domain.md §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// The construction.
    pub scheme: CommitmentScheme,
    /// How leaves are derived from identifiers.
    pub leaf_kind: LeafKind,
    /// What a leaf stands for.
    pub granularity: Granularity,
    /// The identifier committed to, e.g. `CN-RID-18`, `E164-phone` (a token).
    pub identifier_type: String,
    /// Number of leaves; equals `subject_count.value` for per-subject leaves with an exact count.
    pub leaf_count: u64,
    /// Merkle root, 64 lowercase hex digits.
    pub root: String,
    /// SHA-256 of the published leaves file.
    pub leaves_sha256: String,
    /// Where the leaves file is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaves_url: Option<String>,
    /// Who holds the key; required for keyed leaf kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_custody: Option<KeyCustody>,
    /// Where people can check, and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_service: Option<CheckService>,
}

/// Custody of a commitment key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCustody {
    /// The organisations holding it jointly (1..=16).
    pub holders: Vec<Org>,
    /// Whether it is held in an HSM.
    pub hsm: bool,
    /// When it will be destroyed, YYYY-MM-DD (that destruction is logged as a status update).
    pub destroy_by: String,
}

/// A membership-check service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckService {
    /// Where it is.
    pub url: String,
    /// Last day it answers, YYYY-MM-DD.
    pub available_until: String,
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

/// Techniques that can achieve `level`, or None when any non-physical technique can.
fn techniques_for(level: Level) -> Option<&'static [Technique]> {
    use Technique::*;
    match level {
        Level::LogicalDeletion => Some(&[DbDelete, DropOrTruncate, ObjectDelete, Other]),
        Level::Anonymization => None,
        Level::CryptoErase => Some(&[SanitizeCryptoErase, KeyDestruction]),
        Level::Clear => Some(&[Overwrite, Other]),
        Level::Purge => Some(&[Overwrite, BlockErase, SanitizeCryptoErase, Degauss, Other]),
        Level::Destroy => Some(&[
            Shred,
            Disintegrate,
            Pulverize,
            Incinerate,
            Melt,
            Degauss,
            Other,
        ]),
    }
}

fn physical(t: Technique) -> bool {
    use Technique::*;
    matches!(t, Shred | Disintegrate | Pulverize | Incinerate | Melt)
}

fn opt_ident(p: &Path, v: &Option<String>, max: usize) -> Result<(), SchemaError> {
    v.as_ref().map_or(Ok(()), |v| check::ident(p, v, max))
}

fn opt_date(p: &Path, v: &Option<String>) -> Result<(), SchemaError> {
    v.as_ref().map_or(Ok(()), |v| check::date(p, v).map(drop))
}

fn opt_name(p: &Path, v: &Option<LText>) -> Result<(), SchemaError> {
    v.as_ref().map_or(Ok(()), |v| v.check_max(p, MAX_NAME))
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
        for (i, exception) in self.retention_exceptions.iter().enumerate() {
            let ep = p
                .field("retention_exceptions")
                .index(i)
                .field("data_categories");
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
        for (i, action) in self.actions.iter().enumerate() {
            let ap = p.field("actions").index(i).field("applies_to");
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
        opt_name(&p.field("name"), &self.name)?;
        opt_name(&p.field("unit"), &self.unit)
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
        opt_ident(&p.field("contract_ref"), &self.contract_ref, MAX_IDENT)
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
        opt_date(
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
        opt_name(&p.field("label"), &self.label)
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

impl Check for System {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::token(&p.field("system_ref"), &self.system_ref)?;
        self.name.check_max(&p.field("name"), MAX_NAME)?;
        self.operator.check(&p.field("operator"))?;
        check::opt(&p.field("scope_note"), &self.scope_note)?;
        let unclear = self
            .components
            .all()
            .into_iter()
            .find(|(_, c)| matches!(c, CopyScope::Excluded | CopyScope::Unknown));
        if let (Some((name, scope)), None) = (unclear, &self.scope_note) {
            return Err(p.field("scope_note").invalid(format!(
                "required to explain why components.{name} is `{}`",
                scope.as_str()
            )));
        }
        Ok(())
    }
}

impl Check for RecipientNotice {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.recipient.check(&p.field("recipient"))?;
        check::datetime(&p.field("notified_at"), &self.notified_at)?;
        match &self.confirmation_entry_id {
            Some(id) => check::entry_id(&p.field("confirmation_entry_id"), id),
            None => Ok(()),
        }
    }
}

impl Check for Action {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        let ap = p.field("applies_to");
        check::count_items(&ap, self.applies_to.len(), 1, 256)?;
        for (i, r) in self.applies_to.iter().enumerate() {
            check::token(&ap.index(i), r)?;
        }
        check::unique(&ap, &self.applies_to)?;
        let allowed = techniques_for(self.level);
        let fits = allowed.map_or(!physical(self.technique), |a| a.contains(&self.technique));
        if !fits {
            let list = match allowed {
                Some(a) => a.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
                None => "any non-physical technique".to_string(),
            };
            return Err(p.field("technique").invalid(format!(
                "`{}` does not achieve level `{}`; with that level use: {list}",
                self.technique.as_str(),
                self.level.as_str()
            )));
        }
        let needs_detail = self.technique == Technique::Other || self.level == Level::Anonymization;
        if needs_detail && self.technique_detail.is_none() {
            return Err(p
                .field("technique_detail")
                .invalid("required for technique `other` and level `anonymization`"));
        }
        check::opt(&p.field("technique_detail"), &self.technique_detail)?;
        check::opt(&p.field("standard"), &self.standard)?;
        check::opt(&p.field("tool"), &self.tool)?;
        check::opt(&p.field("media"), &self.media)?;
        if self.technique == Technique::KeyDestruction && self.keys_destroyed.is_none() {
            return Err(p
                .field("keys_destroyed")
                .invalid("required for technique `key_destruction`"));
        }
        check::opt_list(&p.field("keys_destroyed"), &self.keys_destroyed, 1024)
    }
}

impl Check for Standard {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("name"), &self.name, MAX_IDENT)?;
        opt_ident(&p.field("clause"), &self.clause, MAX_IDENT)
    }
}

impl Check for Tool {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("name"), &self.name, MAX_IDENT)?;
        check::ident(&p.field("version"), &self.version, 64)?;
        opt_ident(&p.field("vendor"), &self.vendor, MAX_IDENT)
    }
}

impl Check for Media {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::integer(&p.field("count"), self.count)?;
        if let Some(h) = &self.inventory_sha256 {
            check::hex(&p.field("inventory_sha256"), h, 64)?;
        }
        opt_ident(&p.field("security_level"), &self.security_level, 16)
    }
}

impl Check for KeyDestroyed {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::hex(&p.field("key_ref_sha256"), &self.key_ref_sha256, 64)?;
        check::datetime(&p.field("destroyed_at"), &self.destroyed_at)?;
        check::ident(&p.field("evidence_ref"), &self.evidence_ref, MAX_IDENT)
    }
}

impl Check for PendingStep {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.description.check(&p.field("description"))?;
        check::token(&p.field("system_ref"), &self.system_ref)?;
        check::date(&p.field("due_by"), &self.due_by).map(drop)
    }
}

impl Check for Location {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("city"), &self.city, 128)?;
        check::country(&p.field("country"), &self.country)?;
        check::jurisdiction(&p.field("region"), &self.region)?;
        if !self.region.starts_with(&format!("{}-", self.country)) {
            return Err(p.field("region").invalid(format!(
                "must be an ISO 3166-2 subdivision of {}, e.g. {}-JS",
                self.country, self.country
            )));
        }
        opt_name(&p.field("site_name"), &self.site_name)
    }
}

impl Check for Verification {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        let mp = p.field("methods");
        check::count_items(&mp, self.methods.len(), 1, VerificationMethod::NAMES.len())?;
        check::unique(&mp, &self.methods)?;
        let none = self.methods.contains(&VerificationMethod::None);
        if none && self.methods.len() > 1 {
            return Err(mp.invalid("`none` cannot be combined with other methods"));
        }
        if none != (self.result == VerificationResult::NotPerformed) {
            return Err(p
                .field("result")
                .invalid("must be `not_performed` exactly when the method is `none`"));
        }
        check::opt(&p.field("description"), &self.description)?;
        if self.methods.contains(&VerificationMethod::SamplingReadback) && self.sample.is_none() {
            return Err(p
                .field("sample")
                .invalid("required for method `sampling_readback`"));
        }
        check::opt(&p.field("sample"), &self.sample)?;
        self.performed_by
            .org
            .check(&p.field("performed_by").field("org"))
    }
}

impl Check for Sample {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::integer(&p.field("population"), self.population)?;
        if self.sample_size == 0 || self.sample_size > self.population {
            return Err(p
                .field("sample_size")
                .invalid("must be between 1 and population"));
        }
        self.selection.check(&p.field("selection"))
    }
}

impl Check for Validation {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.by_title.check_max(&p.field("by_title"), MAX_NAME)?;
        check::datetime(&p.field("at"), &self.at).map(drop)
    }
}

impl Check for Witness {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.org.check(&p.field("org"))?;
        match &self.reference {
            Some(r) => check::ident(&p.field("reference").field("value"), &r.value, MAX_IDENT),
            None if matches!(self.role, WitnessRole::Auditor | WitnessRole::Notary) => {
                Err(p.field("reference").invalid(format!(
                    "required for a `{}`: name the report or certificate number",
                    self.role.as_str()
                )))
            }
            None => Ok(()),
        }
    }
}

impl Check for Commitment {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::token(&p.field("identifier_type"), &self.identifier_type)?;
        check::integer(&p.field("leaf_count"), self.leaf_count)?;
        check::hex(&p.field("root"), &self.root, 64)?;
        check::hex(&p.field("leaves_sha256"), &self.leaves_sha256, 64)?;
        if let Some(u) = &self.leaves_url {
            check::url(&p.field("leaves_url"), u)?;
        }
        let keyed = matches!(
            self.leaf_kind,
            LeafKind::HmacSha256Keyed | LeafKind::OprfP256
        );
        if keyed && self.key_custody.is_none() {
            return Err(p.field("key_custody").invalid(format!(
                "required for leaf_kind `{}`",
                self.leaf_kind.as_str()
            )));
        }
        if let Some(k) = &self.key_custody {
            let kp = p.field("key_custody");
            check::list(&kp.field("holders"), &k.holders, 1, 16)?;
            check::date(&kp.field("destroy_by"), &k.destroy_by)?;
        }
        if let Some(s) = &self.check_service {
            let sp = p.field("check_service");
            check::url(&sp.field("url"), &s.url)?;
            check::date(&sp.field("available_until"), &s.available_until)?;
        }
        Ok(())
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
