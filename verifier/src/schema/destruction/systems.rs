//! The systems a destruction covers, each kind of copy they hold, recipients told to delete,
//! pending steps and the place.

use crate::schema::SchemaError;
use crate::schema::check::{self, Check, MAX_NAME, Path, wire_enum};
use crate::schema::common::{LText, Org};
use serde::{Deserialize, Serialize};

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
        check::opt_name(&p.field("site_name"), &self.site_name)
    }
}
