//! How completion was verified and accepted, and who was invited to witness it.

use crate::schema::SchemaError;
use crate::schema::check::{self, Check, MAX_IDENT, MAX_NAME, Path, wire_enum};
use crate::schema::common::{LText, Org};
use serde::{Deserialize, Serialize};

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
