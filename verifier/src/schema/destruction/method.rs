//! How data was destroyed: the level (NIST SP 800-88 clear / purge / destroy, plus logical
//! deletion, anonymisation and cryptographic erase), the technique, standard, tool, media and keys.

use crate::schema::SchemaError;
use crate::schema::check::{self, Check, MAX_IDENT, Path, wire_enum};
use crate::schema::common::LText;
use serde::{Deserialize, Serialize};

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
        check::opt_ident(&p.field("clause"), &self.clause, MAX_IDENT)
    }
}

impl Check for Tool {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("name"), &self.name, MAX_IDENT)?;
        check::ident(&p.field("version"), &self.version, 64)?;
        check::opt_ident(&p.field("vendor"), &self.vendor, MAX_IDENT)
    }
}

impl Check for Media {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::integer(&p.field("count"), self.count)?;
        if let Some(h) = &self.inventory_sha256 {
            check::hex(&p.field("inventory_sha256"), h, 64)?;
        }
        check::opt_ident(&p.field("security_level"), &self.security_level, 16)
    }
}

impl Check for KeyDestroyed {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::hex(&p.field("key_ref_sha256"), &self.key_ref_sha256, 64)?;
        check::datetime(&p.field("destroyed_at"), &self.destroyed_at)?;
        check::ident(&p.field("evidence_ref"), &self.evidence_ref, MAX_IDENT)
    }
}
