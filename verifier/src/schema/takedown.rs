//! `takedown`: an agency's statement that it took apps, mini-programs or sites offline: which ones
//! (by store and platform identifiers), each stage with its time, whether they can come back, and
//! what became of each category of their data, tied to `destruction` entries. Fields follow
//! DESIGN.md §9.3.

use super::SchemaError;
use super::check::{self, Check, MAX_IDENT, MAX_NAME, Path, wire_enum};
use super::common::{
    Attachment, Contact, DataCategoryCode, LText, LegalCitation, Org, RefersTo, Trigger,
};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// Kind of app identifier.
    pub enum IdentifierKind {
        /// Android application id, e.g. `cn.gov.wuxi.yct`.
        AndroidPackage = "android_package",
        /// SHA-256 of the Android signing certificate, 64 lowercase hex digits.
        AndroidSigningCertSha256 = "android_signing_cert_sha256",
        /// iOS bundle id.
        IosBundleId = "ios_bundle_id",
        /// Numeric App Store id.
        IosAppStoreId = "ios_app_store_id",
        /// Huawei AppGallery id.
        HuaweiAppgalleryId = "huawei_appgallery_id",
        /// HarmonyOS bundle name.
        HarmonyosBundle = "harmonyos_bundle",
        /// WeChat mini-program AppID: `wx` and 16 lowercase hex digits.
        WechatMiniprogramAppid = "wechat_miniprogram_appid",
        /// Alipay mini-program AppID: 16 digits.
        AlipayMiniprogramAppid = "alipay_miniprogram_appid",
        /// Baidu smart-program id.
        BaiduSmartprogramId = "baidu_smartprogram_id",
        /// Douyin mini-program AppID.
        DouyinMiniprogramAppid = "douyin_miniprogram_appid",
        /// Quick-app package name.
        QuickAppPackage = "quick_app_package",
        /// URL of an H5 (mobile web) app.
        H5Url = "h5_url",
        /// A domain name the service used.
        Domain = "domain",
        /// Base URL of its API.
        ApiBaseUrl = "api_base_url",
        /// SMS short code.
        SmsShortcode = "sms_shortcode",
        /// MIIT app filing number (APP备案号).
        CnAppFilingNo = "cn_app_filing_no",
    }
}

wire_enum! {
    /// A stage of taking an app offline.
    pub enum StageKind {
        /// The takedown was announced.
        Announced = "announced",
        /// New registrations stopped.
        NewRegistrationStopped = "new_registration_stopped",
        /// Data collection stopped.
        DataCollectionStopped = "data_collection_stopped",
        /// Functions disabled.
        FunctionsDisabled = "functions_disabled",
        /// Dormant but can be reactivated (sleep mode).
        DormantReactivatable = "dormant_reactivatable",
        /// Removed from stores and platforms.
        RemovedFromDistribution = "removed_from_distribution",
        /// Backend servers shut down.
        BackendDecommissioned = "backend_decommissioned",
        /// App filing cancelled.
        FilingCancelled = "filing_cancelled",
        /// Domain released.
        DomainReleased = "domain_released",
    }
}

wire_enum! {
    /// Where a category of an app's data was.
    pub enum DataLocation {
        /// The operator's servers.
        Server = "server",
        /// Users' devices.
        UserDevice = "user_device",
        /// A third-party SDK's vendor.
        ThirdPartySdk = "third_party_sdk",
        /// A processor.
        Processor = "processor",
        /// A partner agency.
        PartnerAgency = "partner_agency",
    }
}

wire_enum! {
    /// What became of the data.
    pub enum Fate {
        /// Destroyed (give `destruction_entry_id`, or say in `note` why there is none).
        Destroyed = "destroyed",
        /// Destruction scheduled.
        DestructionScheduled = "destruction_scheduled",
        /// Anonymised and kept.
        AnonymizedRetained = "anonymized_retained",
        /// Kept on a legal basis (give `legal_basis`).
        RetainedLegalBasis = "retained_legal_basis",
        /// Transferred (give `recipient`).
        Transferred = "transferred",
        /// Remains on users' devices.
        RemainsOnUserDevices = "remains_on_user_devices",
        /// Not known.
        Unknown = "unknown",
    }
}

wire_enum! {
    /// How users were told.
    pub enum NoticeMethod {
        /// A message in the app.
        InApp = "in_app",
        /// A push notification.
        Push = "push",
        /// SMS.
        Sms = "sms",
        /// A public announcement.
        PublicAnnouncement = "public_announcement",
        /// The press.
        Press = "press",
    }
}

/// A takedown statement. Valid means every field is within bounds and well formed, and: each
/// identifier has its kind's shape; each app's stages are in time order; each data disposition
/// carries what its fate needs (`destroyed` a destruction entry id or a note, `retained_legal_basis`
/// a legal basis, `transferred` a recipient); `app_count` is at least the apps listed and explains
/// any that are not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Takedown {
    /// The signing organisation.
    pub issuer: Org,
    /// Where citizens ask about it.
    pub contact: Contact,
    /// Heading, e.g. 无锡数字防疫服务应用下线.
    pub title: LText,
    /// Why, in words.
    pub reason: LText,
    /// What set it off (1..=11, no repeats).
    pub trigger: Vec<Trigger>,
    /// The legal basis (1..=64 citations).
    pub legal_citations: Vec<LegalCitation>,
    /// How many apps the takedown covers in all, when `apps` does not list every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_count: Option<AppCount>,
    /// The apps (1..=1024).
    pub apps: Vec<App>,
    /// How users were told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_notice: Option<UserNotice>,
    /// What users should do now (uninstall; export a certificate first...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_advice: Option<LText>,
    /// Related entries (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<Vec<RefersTo>>,
    /// Documents by hash (at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

/// The total number of apps covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppCount {
    /// How many (at least the number listed in `apps`).
    pub value: u64,
    /// True for "more than" (40余个).
    pub lower_bound: bool,
    /// Why some are not listed and where the full list is; required when `value` exceeds the
    /// apps listed or `lower_bound` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted_note: Option<LText>,
}

/// One app, mini-program or site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Its name, e.g. 疫查通.
    pub name: LText,
    /// Its legal operator (主办者).
    pub operator: Org,
    /// Who built it, if a contractor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer: Option<Org>,
    /// What it was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<LText>,
    /// Store and platform identifiers (1..=32).
    pub identifiers: Vec<AppIdentifier>,
    /// User numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<AppUsers>,
    /// Stages in time order (1..=64).
    pub stages: Vec<Stage>,
    /// Whether it can be brought back.
    pub reactivatable: bool,
    /// What became of each category of its data (1..=64).
    pub data_disposition: Vec<Disposition>,
}

/// A store or platform identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppIdentifier {
    /// Which kind.
    pub kind: IdentifierKind,
    /// The identifier, in the kind's shape.
    pub value: String,
}

/// User numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppUsers {
    /// Registered users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<u64>,
    /// Active users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<u64>,
    /// As of which day, YYYY-MM-DD.
    pub as_of: String,
}

/// One stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Which stage.
    pub stage: StageKind,
    /// When.
    pub at: String,
    /// Which channel, e.g. `wechat`, `app_store`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// A reference to evidence (a notice number, a store ticket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_ref: Option<String>,
}

/// The fate of one category of data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disposition {
    /// The categories (1..=16, no repeats).
    pub data_categories: Vec<DataCategoryCode>,
    /// Where the data was.
    pub location: DataLocation,
    /// What became of it.
    pub fate: Fate,
    /// The ashlog `destruction` entry recording its destruction, e.g. `1.4711`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destruction_entry_id: Option<String>,
    /// Explanation; required for `destroyed` without a destruction entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LText>,
    /// Kept until, YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_until: Option<String>,
    /// Legal basis for keeping it; required for `retained_legal_basis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// Who received it; required for `transferred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Org>,
}

/// How users were told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserNotice {
    /// Methods (1..=5, no repeats).
    pub methods: Vec<NoticeMethod>,
    /// When.
    pub at: String,
    /// The notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Check for Takedown {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.issuer.check(&p.field("issuer"))?;
        self.contact.check(&p.field("contact"))?;
        self.title.check_max(&p.field("title"), MAX_NAME)?;
        self.reason.check(&p.field("reason"))?;
        check::count_items(
            &p.field("trigger"),
            self.trigger.len(),
            1,
            Trigger::NAMES.len(),
        )?;
        check::unique(&p.field("trigger"), &self.trigger)?;
        check::list(&p.field("legal_citations"), &self.legal_citations, 1, 64)?;
        check::list(&p.field("apps"), &self.apps, 1, 1024)?;
        if let Some(count) = &self.app_count {
            let cp = p.field("app_count");
            check::integer(&cp.field("value"), count.value)?;
            let listed = self.apps.len() as u64;
            if count.value < listed {
                return Err(cp
                    .field("value")
                    .invalid(format!("is {} but {listed} apps are listed", count.value)));
            }
            if (count.value > listed || count.lower_bound) && count.unlisted_note.is_none() {
                return Err(cp.field("unlisted_note").invalid(
                    "required when not every app is listed: say why and where the full list is",
                ));
            }
            check::opt(&cp.field("unlisted_note"), &count.unlisted_note)?;
        }
        check::opt(&p.field("user_notice"), &self.user_notice)?;
        check::opt(&p.field("user_advice"), &self.user_advice)?;
        check::opt_list(&p.field("refers_to"), &self.refers_to, 64)?;
        check::opt_list(&p.field("attachments"), &self.attachments, 64)
    }
}

impl Check for App {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.name.check_max(&p.field("name"), MAX_NAME)?;
        self.operator.check(&p.field("operator"))?;
        check::opt(&p.field("developer"), &self.developer)?;
        check::opt(&p.field("purpose"), &self.purpose)?;
        check::list(&p.field("identifiers"), &self.identifiers, 1, 32)?;
        check::unique(&p.field("identifiers"), &self.identifiers)?;
        check::opt(&p.field("users"), &self.users)?;
        check::list(&p.field("stages"), &self.stages, 1, 64)?;
        let mut previous = None;
        for (i, stage) in self.stages.iter().enumerate() {
            let at = check::datetime(&p.field("stages").index(i).field("at"), &stage.at)?;
            if previous.is_some_and(|prev| at < prev) {
                return Err(p
                    .field("stages")
                    .index(i)
                    .field("at")
                    .invalid("is earlier than the stage before it; list stages in time order"));
            }
            previous = Some(at);
        }
        check::list(&p.field("data_disposition"), &self.data_disposition, 1, 64)
    }
}

impl Check for AppIdentifier {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        use IdentifierKind::*;
        let p = p.field("value");
        let v = self.value.as_str();
        let dotted = |v: &str| {
            v.split('.').count() >= 2
                && v.split('.').all(|seg| {
                    seg.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                        && seg
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                })
        };
        let digits = |v: &str, len: std::ops::RangeInclusive<usize>| {
            len.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
        };
        let shape = match self.kind {
            AndroidPackage | HarmonyosBundle | QuickAppPackage => (
                dotted(v) && v.len() <= 255 && !v.contains('-'),
                "a dotted package name such as cn.gov.wuxi.yct",
            ),
            IosBundleId => (
                dotted(v) && v.len() <= 255,
                "a dotted bundle id such as cn.gov.wuxi.yct",
            ),
            AndroidSigningCertSha256 => return check::hex(&p, v, 64),
            IosAppStoreId => (
                digits(v, 6..=12),
                "the numeric App Store id (6 to 12 digits)",
            ),
            WechatMiniprogramAppid => (
                v.len() == 18
                    && v.starts_with("wx")
                    && v[2..]
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "`wx` followed by 16 lowercase hex digits",
            ),
            AlipayMiniprogramAppid => (digits(v, 16..=16), "16 digits"),
            SmsShortcode => (digits(v, 3..=20), "3 to 20 digits"),
            H5Url | ApiBaseUrl => return check::url(&p, v),
            Domain => return check::domain(&p, v),
            HuaweiAppgalleryId | BaiduSmartprogramId | DouyinMiniprogramAppid | CnAppFilingNo => {
                return check::ident(&p, v, 64);
            }
        };
        match shape {
            (true, _) => Ok(()),
            (false, expected) => {
                Err(p.invalid(format!("a {} must be {expected}", self.kind.as_str())))
            }
        }
    }
}

impl Check for AppUsers {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        if self.registered.is_none() && self.active.is_none() {
            return Err(p.invalid("needs registered or active (or both)"));
        }
        for (name, n) in [("registered", self.registered), ("active", self.active)] {
            if let Some(n) = n {
                check::integer(&p.field(name), n)?;
            }
        }
        check::date(&p.field("as_of"), &self.as_of).map(drop)
    }
}

impl Check for Stage {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::datetime(&p.field("at"), &self.at)?;
        if let Some(c) = &self.channel {
            check::token(&p.field("channel"), c)?;
        }
        match &self.evidence_ref {
            Some(e) => check::ident(&p.field("evidence_ref"), e, MAX_IDENT),
            None => Ok(()),
        }
    }
}

impl Check for Disposition {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::count_items(
            &p.field("data_categories"),
            self.data_categories.len(),
            1,
            16,
        )?;
        check::unique(&p.field("data_categories"), &self.data_categories)?;
        if let Some(id) = &self.destruction_entry_id {
            check::entry_id(&p.field("destruction_entry_id"), id)?;
        }
        check::opt(&p.field("note"), &self.note)?;
        if let Some(d) = &self.retained_until {
            check::date(&p.field("retained_until"), d)?;
        }
        if let Some(b) = &self.legal_basis {
            check::ident(&p.field("legal_basis"), b, MAX_IDENT)?;
        }
        check::opt(&p.field("recipient"), &self.recipient)?;
        match self.fate {
            Fate::Destroyed if self.destruction_entry_id.is_none() && self.note.is_none() => Err(p
                .field("destruction_entry_id")
                .invalid("required for fate `destroyed` (or say in `note` why there is no destruction entry)")),
            Fate::RetainedLegalBasis if self.legal_basis.is_none() => {
                Err(p.field("legal_basis").invalid("required for fate `retained_legal_basis`"))
            }
            Fate::Transferred if self.recipient.is_none() => Err(p.field("recipient").invalid("required for fate `transferred`")),
            Fate::RemainsOnUserDevices if self.location != DataLocation::UserDevice => {
                Err(p.field("location").invalid("must be `user_device` for fate `remains_on_user_devices`"))
            }
            _ => Ok(()),
        }
    }
}

impl Check for UserNotice {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::count_items(
            &p.field("methods"),
            self.methods.len(),
            1,
            NoticeMethod::NAMES.len(),
        )?;
        check::unique(&p.field("methods"), &self.methods)?;
        check::datetime(&p.field("at"), &self.at)?;
        match &self.url {
            Some(u) => check::url(&p.field("url"), u),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::error::expect_invalid;
    use crate::schema::fixtures::parsed::wuxi_takedown;

    fn check(t: &Takedown) -> Result<(), SchemaError> {
        t.check(&Path::root())
    }

    #[test]
    fn takedown_fixture_is_valid() {
        check(&wuxi_takedown()).unwrap();
    }

    #[test]
    fn takedown_checks_identifier_shapes_by_kind() {
        let cases = [
            (
                IdentifierKind::WechatMiniprogramAppid,
                "wx3f9a2c1e7b5d406",
                false,
            ),
            (
                IdentifierKind::WechatMiniprogramAppid,
                "wx3F9A2C1E7B5D4068",
                false,
            ),
            (
                IdentifierKind::WechatMiniprogramAppid,
                "wx3f9a2c1e7b5d4068",
                true,
            ),
            (
                IdentifierKind::AlipayMiniprogramAppid,
                "202100215362987",
                false,
            ),
            (IdentifierKind::AndroidPackage, "cn.gov.wuxi.yct", true),
            (IdentifierKind::AndroidPackage, "yct", false),
            (IdentifierKind::AndroidPackage, "cn.gov.9wuxi", false),
            (IdentifierKind::Domain, "https://yct.wuxi.gov.cn", false),
            (IdentifierKind::H5Url, "yct.wuxi.gov.cn", false),
            (IdentifierKind::IosAppStoreId, "id1502345678", false),
            (
                IdentifierKind::AndroidSigningCertSha256,
                &"ab".repeat(32),
                true,
            ),
        ];
        for (kind, value, ok) in cases {
            let mut t = wuxi_takedown();
            t.apps[0].identifiers[0] = AppIdentifier {
                kind,
                value: value.to_string(),
            };
            let result = check(&t);
            if ok {
                result.unwrap();
            } else {
                expect_invalid(result, "apps[0].identifiers[0].value");
            }
        }
    }

    #[test]
    fn takedown_rejects_repeated_identifiers() {
        let mut t = wuxi_takedown();
        let first = t.apps[0].identifiers[0].clone();
        t.apps[0].identifiers.push(first);
        assert_eq!(
            expect_invalid(check(&t), "apps[0].identifiers[3]"),
            "repeats item [0]"
        );
    }

    #[test]
    fn takedown_rejects_stages_out_of_time_order() {
        let mut t = wuxi_takedown();
        t.apps[0].stages[1].at = "2023-03-01T23:59:59+08:00".into();
        assert!(expect_invalid(check(&t), "apps[0].stages[1].at").contains("time order"));
        let mut t = wuxi_takedown();
        t.apps[2].stages[0].at = "2023-03-02 00:00:00".into();
        assert!(expect_invalid(check(&t), "apps[2].stages[0].at").contains("no UTC offset"));
    }

    #[test]
    fn takedown_destroyed_data_names_its_destruction_entry_or_says_why_not() {
        let mut t = wuxi_takedown();
        t.apps[0].data_disposition[0].destruction_entry_id = None;
        expect_invalid(
            check(&t),
            "apps[0].data_disposition[0].destruction_entry_id",
        );
        t.apps[0].data_disposition[0].note = Some(LText::new(
            "en",
            "Destroyed by the provincial platform; see its notice.",
        ));
        check(&t).unwrap();
        for bad in ["1.01", "0.1", "1", "1.4711.2", "entry-1"] {
            let mut t = wuxi_takedown();
            t.apps[0].data_disposition[0].destruction_entry_id = Some(bad.into());
            let reason = expect_invalid(
                check(&t),
                "apps[0].data_disposition[0].destruction_entry_id",
            );
            assert!(reason.contains("`<shard>.<index>`"), "{bad}: {reason}");
        }
    }

    #[test]
    fn takedown_dispositions_carry_what_their_fate_needs() {
        let mut t = wuxi_takedown();
        t.apps[0].data_disposition[0].fate = Fate::Transferred;
        expect_invalid(check(&t), "apps[0].data_disposition[0].recipient");
        t.apps[0].data_disposition[0].fate = Fate::RetainedLegalBasis;
        expect_invalid(check(&t), "apps[0].data_disposition[0].legal_basis");
        t.apps[0].data_disposition[0].fate = Fate::RemainsOnUserDevices;
        expect_invalid(check(&t), "apps[0].data_disposition[0].location");
    }

    #[test]
    fn takedown_app_count_covers_the_listed_apps_and_explains_the_rest() {
        let mut t = wuxi_takedown();
        t.app_count.as_mut().unwrap().value = 7;
        assert_eq!(
            expect_invalid(check(&t), "app_count.value"),
            "is 7 but 8 apps are listed"
        );
        let mut t = wuxi_takedown();
        t.app_count.as_mut().unwrap().unlisted_note = None;
        expect_invalid(check(&t), "app_count.unlisted_note");
        let count = t.app_count.as_mut().unwrap();
        count.value = 8;
        count.lower_bound = false;
        check(&t).unwrap();
    }

    #[test]
    fn takedown_requires_apps_stages_and_dispositions() {
        let mut t = wuxi_takedown();
        t.apps[3].stages.clear();
        expect_invalid(check(&t), "apps[3].stages");
        let mut t = wuxi_takedown();
        t.apps[3].data_disposition.clear();
        expect_invalid(check(&t), "apps[3].data_disposition");
        let mut t = wuxi_takedown();
        t.apps.clear();
        t.app_count = None;
        expect_invalid(check(&t), "apps");
    }
}
