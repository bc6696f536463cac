//! Types every kind shares: localised text, organisations, legal citations, references to other
//! entries, attachments by hash and the organisational contact point.

use super::SchemaError;
use super::check::{self, Check, MAX_IDENT, MAX_LANGUAGES, MAX_NAME, MAX_TEXT, Path, wire_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Localised text: a map from BCP 47 language tag (`en`, `zh-CN`) to text. Valid means 1..=16
/// languages, each text 1..=4096 characters (512 for names and titles) without control characters
/// other than newline and tab. Encodes as a CBOR map in tag order; a repeated tag is an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct LText(BTreeMap<String, String>);

impl LText {
    /// Text in one language.
    pub fn new(lang: &str, text: &str) -> LText {
        LText(BTreeMap::from([(lang.to_string(), text.to_string())]))
    }

    /// Adds (or replaces) the text in `lang`.
    pub fn with(mut self, lang: &str, text: &str) -> LText {
        self.0.insert(lang.to_string(), text.to_string());
        self
    }

    /// The text in exactly `lang`, if given.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0.get(lang).map(String::as_str)
    }

    /// Every (language tag, text) pair in tag order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The English text if there is one, else the text of the first tag; empty only for an empty
    /// (invalid) LText. Used for plain-words summaries.
    pub fn preferred(&self) -> &str {
        self.get("en")
            .or_else(|| self.0.values().next().map(String::as_str))
            .unwrap_or("")
    }

    /// Checks the LText with each text at most `max` characters.
    pub(crate) fn check_max(&self, path: &Path, max: usize) -> Result<(), SchemaError> {
        if self.0.is_empty() {
            return Err(path.invalid("needs text in at least one language, e.g. { en = \"...\" }"));
        }
        if self.0.len() > MAX_LANGUAGES {
            return Err(path.invalid(format!(
                "has {} languages; at most {MAX_LANGUAGES} allowed",
                self.0.len()
            )));
        }
        for (lang, text) in &self.0 {
            let p = path.field(lang);
            if !language_tag_ok(lang) {
                return Err(p.invalid("is not a BCP 47 language tag such as en or zh-CN"));
            }
            // BCP 47 tags are case-insensitive: `zh-cn` and `zh-CN` would be one language twice.
            if self
                .0
                .keys()
                .take_while(|k| *k != lang)
                .any(|k| k.eq_ignore_ascii_case(lang))
            {
                return Err(p.invalid("repeats a language tag that differs only in letter case"));
            }
            check::text(&p, text, max)?;
        }
        Ok(())
    }
}

impl Check for LText {
    fn check(&self, path: &Path) -> Result<(), SchemaError> {
        self.check_max(path, MAX_TEXT)
    }
}

/// The shape of a BCP 47 tag: a 2-3 letter language, then subtags of 1-8 letters or digits.
fn language_tag_ok(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    tag.len() <= 35
        && (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl<'de> Deserialize<'de> for LText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = LText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a map from language tag to text, e.g. { en = \"...\", zh-CN = \"...\" }",
                )
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LText, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(lang) = map.next_key::<String>()? {
                    if out.contains_key(&lang) {
                        // A map with a repeated key has two readings; refuse it rather than pick one.
                        return Err(serde::de::Error::custom(format!("duplicate key `{lang}`")));
                    }
                    let text = map.next_value::<String>()?;
                    out.insert(lang, text);
                }
                Ok(LText(out))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

wire_enum! {
    /// Registry that issued an organisation identifier.
    pub enum OrgIdScheme {
        /// China: 18-character unified social credit code (统一社会信用代码, GB 32100-2015).
        CnUscc = "CN-USCC",
        /// Legal Entity Identifier (ISO 17442), 20 characters.
        Lei = "LEI",
        /// Singapore Unique Entity Number.
        SgUen = "SG-UEN",
        /// Australian Business Number, 11 digits.
        AuAbn = "AU-ABN",
        /// EU VAT identification number with its country prefix.
        EuVat = "EU-VAT",
        /// Any other registry; say which in the value.
        Other = "OTHER",
    }
}

wire_enum! {
    /// What sort of organisation it is.
    pub enum OrgType {
        /// A government department or agency.
        GovernmentAgency = "government_agency",
        /// A state-owned enterprise.
        StateOwnedEnterprise = "state_owned_enterprise",
        /// A private company.
        Company = "company",
        /// An audit or assurance firm.
        AuditFirm = "audit_firm",
        /// A notary office (公证处).
        NotaryOffice = "notary_office",
        /// A regulator or supervisory authority.
        Regulator = "regulator",
        /// A non-governmental organisation.
        Ngo = "ngo",
        /// A university or research institute.
        University = "university",
        /// Anything else.
        Other = "other",
    }
}

/// An organisation, never a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// Registered name, in as many languages as useful (at most 512 characters each).
    pub org_name: LText,
    /// Registry identifier, when the organisation has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    /// What sort of organisation it is.
    pub org_type: OrgType,
    /// Where it is constituted: ISO 3166-1 (`CN`) or ISO 3166-2 (`CN-JS`).
    pub jurisdiction: String,
}

impl Check for Org {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.org_name.check_max(&p.field("org_name"), MAX_NAME)?;
        check::opt(&p.field("org_id"), &self.org_id)?;
        check::jurisdiction(&p.field("jurisdiction"), &self.jurisdiction)
    }
}

/// An organisation's identifier in a public registry. Valid means the value has the registry's
/// shape, and for CN-USCC, LEI and AU-ABN a correct check digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgId {
    /// The registry.
    pub scheme: OrgIdScheme,
    /// The identifier as the registry prints it, without spaces (e.g. `11320200MB1234567X`).
    pub value: String,
}

impl Check for OrgId {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        let p = p.field("value");
        let v = self.value.as_str();
        let upper_alnum = |len: std::ops::RangeInclusive<usize>| {
            len.contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        match self.scheme {
            OrgIdScheme::CnUscc if !uscc_ok(v) => Err(p.invalid(
                "must be an 18-character unified social credit code with a valid check character",
            )),
            OrgIdScheme::Lei if !(upper_alnum(20..=20) && mod97(v) == Some(1)) => {
                Err(p.invalid("must be a 20-character LEI with valid check digits"))
            }
            OrgIdScheme::AuAbn if !abn_ok(v) => {
                Err(p.invalid("must be an 11-digit ABN with a valid checksum"))
            }
            OrgIdScheme::SgUen if !upper_alnum(9..=10) => {
                Err(p.invalid("must be a 9- or 10-character UEN"))
            }
            OrgIdScheme::EuVat
                if !(upper_alnum(4..=15)
                    && v.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)) =>
            {
                Err(p.invalid(
                    "must be an EU VAT number with its two-letter country prefix, e.g. DE123456789",
                ))
            }
            _ => check::ident(&p, v, 64),
        }
    }
}

/// GB 32100-2015: 17 characters weighted by 3^i mod 31, then a check character.
fn uscc_ok(v: &str) -> bool {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let b = v.as_bytes();
    if b.len() != 18 {
        return false;
    }
    let mut sum = 0usize;
    let mut weight = 1usize;
    for &c in &b[..17] {
        let Some(value) = ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        sum += value * weight;
        weight = weight * 3 % 31;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET[check] == b[17]
}

/// ISO 7064 MOD 97-10 over letters-as-numbers (A=10 .. Z=35), as LEI and IBAN use.
fn mod97(v: &str) -> Option<u32> {
    let mut rem = 0u32;
    for c in v.chars() {
        let d = c.to_digit(36)?;
        rem = if d >= 10 {
            (rem * 100 + d) % 97
        } else {
            (rem * 10 + d) % 97
        };
    }
    Some(rem)
}

/// ABN: subtract 1 from the first digit, weight, and the sum must divide by 89.
fn abn_ok(v: &str) -> bool {
    const WEIGHTS: [u32; 11] = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    if v.len() != 11 || !v.bytes().all(|b| b.is_ascii_digit()) || v.starts_with('0') {
        return false;
    }
    let sum: u32 = v
        .bytes()
        .zip(WEIGHTS)
        .enumerate()
        .map(|(i, (b, w))| (u32::from(b - b'0') - u32::from(i == 0)) * w)
        .sum();
    sum.is_multiple_of(89)
}

/// A provision of law: instrument, article, jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalCitation {
    /// The law or regulation, short name or full title (e.g. `PIPL`, `个人信息保护法`).
    pub instrument: String,
    /// The provision (e.g. `Art. 47(1)(1)`).
    pub provision: String,
    /// Where it applies: ISO 3166-1 or 3166-2 code.
    pub jurisdiction: String,
}

impl Check for LegalCitation {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("instrument"), &self.instrument, MAX_IDENT)?;
        check::ident(&p.field("provision"), &self.provision, MAX_IDENT)?;
        check::jurisdiction(&p.field("jurisdiction"), &self.jurisdiction)
    }
}

/// A reference to one exact earlier entry: its id and its leaf hash, so the reference pins the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// The ashlog entry id `<shard>.<index>`, e.g. `1.4711`.
    pub entry_id: String,
    /// The entry's Merkle leaf hash, 64 lowercase hex digits.
    pub leaf_hash: String,
}

impl Check for EntryRef {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::entry_id(&p.field("entry_id"), &self.entry_id)?;
        check::hex(&p.field("leaf_hash"), &self.leaf_hash, 64)
    }
}

wire_enum! {
    /// How an entry relates to another one it refers to.
    pub enum Relation {
        /// This entry is one batch of a programme the other entry starts or belongs to.
        BatchOf = "batch_of",
        /// This entry follows up the other one.
        FollowsUp = "follows_up",
        /// This entry completes what the other announced or left pending.
        Completes = "completes",
        /// Related in some other way.
        Related = "related",
    }
}

/// A reference to another entry with the relation between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefersTo {
    /// The ashlog entry id `<shard>.<index>`.
    pub entry_id: String,
    /// The entry's leaf hash, 64 lowercase hex digits.
    pub leaf_hash: String,
    /// How this entry relates to it.
    pub relation: Relation,
}

impl Check for RefersTo {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::entry_id(&p.field("entry_id"), &self.entry_id)?;
        check::hex(&p.field("leaf_hash"), &self.leaf_hash, 64)
    }
}

/// A document kept off the log and bound by its hash: an audit report, a notarial certificate, an
/// approval decision. The log never holds the document itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// What the document is (at most 512 characters per language).
    pub title: LText,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
    /// SHA-256 of the document bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Where it can be fetched, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether the public may read it (false: held for auditors and courts).
    pub public: bool,
}

impl Check for Attachment {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        self.title.check_max(&p.field("title"), MAX_NAME)?;
        check::media_type(&p.field("media_type"), &self.media_type)?;
        check::hex(&p.field("sha256"), &self.sha256, 64)?;
        check::integer(&p.field("size"), self.size)?;
        if let Some(url) = &self.url {
            check::url(&p.field("url"), url)?;
        }
        Ok(())
    }
}

/// Where citizens can ask about the statement: an office's web page, mailbox or telephone line,
/// never a person's own. At least one of the three.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A web page or form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// An office mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An office telephone line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Check for Contact {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        if self.url.is_none() && self.email.is_none() && self.phone.is_none() {
            return Err(p.invalid("needs at least one of url, email, phone"));
        }
        if let Some(v) = &self.url {
            check::url(&p.field("url"), v)?;
        }
        if let Some(v) = &self.email {
            check::email(&p.field("email"), v)?;
        }
        if let Some(v) = &self.phone {
            check::phone(&p.field("phone"), v)?;
        }
        Ok(())
    }
}

wire_enum! {
    /// What set off the destruction or takedown.
    pub enum Trigger {
        /// The purpose of processing has been achieved (PIPL Art. 47(1)(1)).
        PurposeAchieved = "purpose_achieved",
        /// The purpose can no longer be achieved.
        PurposeUnachievable = "purpose_unachievable",
        /// The data is no longer necessary for the purpose.
        NoLongerNecessary = "no_longer_necessary",
        /// The product or service was discontinued.
        ServiceDiscontinued = "service_discontinued",
        /// The retention period expired.
        RetentionExpired = "retention_expired",
        /// Consent was withdrawn.
        ConsentWithdrawn = "consent_withdrawn",
        /// Processing was unlawful.
        UnlawfulProcessing = "unlawful_processing",
        /// A regulator ordered it (needs `order_ref` where the kind has one).
        RegulatorOrder = "regulator_order",
        /// A court ordered it (needs `order_ref` where the kind has one).
        CourtOrder = "court_order",
        /// A statute's sunset clause took effect.
        StatutorySunset = "statutory_sunset",
        /// Something else; explain in free text.
        Other = "other",
    }
}

wire_enum! {
    /// Category of personal data.
    pub enum DataCategoryCode {
        /// Names, identity document numbers.
        Identity = "identity",
        /// Telephone numbers, addresses.
        Contact = "contact",
        /// Location traces.
        LocationTrace = "location_trace",
        /// Travel history.
        TravelHistory = "travel_history",
        /// Test results (e.g. PCR).
        HealthTestResult = "health_test_result",
        /// Vaccination records.
        Vaccination = "vaccination",
        /// Health declarations.
        HealthDeclaration = "health_declaration",
        /// Biometrics (face images, fingerprints).
        Biometric = "biometric",
        /// Device identifiers.
        DeviceId = "device_id",
        /// Vehicle and freight data.
        Vehicle = "vehicle",
        /// Employment data.
        Employment = "employment",
        /// Anything else; describe it in the label.
        Other = "other",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn uscc_check_character_is_verified() {
        // Published example code from GB 32100-2015 guidance material.
        assert!(uscc_ok("91350100M000100Y43"));
        assert!(!uscc_ok("91350100M000100Y44"));
        assert!(!uscc_ok("91350100M000100Y4"));
        assert!(!uscc_ok("91350100I000100Y43")); // I is not in the alphabet
    }

    #[test]
    fn lei_and_abn_checksums_are_verified() {
        assert_eq!(mod97("5493001KJTIIGC8Y1R12"), Some(1));
        assert_ne!(mod97("5493001KJTIIGC8Y1R13"), Some(1));
        assert!(abn_ok("51824753556"));
        assert!(!abn_ok("51824753557"));
    }

    #[test]
    fn language_tags_have_bcp47_shape() {
        for good in ["en", "zh-CN", "zh-Hans-CN", "yue"] {
            assert!(language_tag_ok(good), "{good}");
        }
        for bad in ["", "e", "english", "zh_CN", "zh-", "1a"] {
            assert!(!language_tag_ok(bad), "{bad}");
        }
    }

    #[test]
    fn ltext_rejects_empty_and_bad_tags() {
        let p = Path::at("title");
        assert!(LText::default().check(&p).is_err());
        let e = LText::new("zh_CN", "x").check(&p).unwrap_err();
        assert_eq!(e.path(), Some("title.zh_CN"));
        assert_eq!(
            LText::new("zh-CN", "无锡").with("en", "Wuxi").preferred(),
            "Wuxi"
        );
        assert_eq!(LText::new("zh-CN", "无锡").preferred(), "无锡");
        let twice = LText::new("zh-CN", "无锡").with("zh-cn", "无锡");
        assert_eq!(twice.check(&p).unwrap_err().path(), Some("title.zh-cn"));
    }

    #[test]
    fn contact_needs_one_channel() {
        let c = Contact {
            url: None,
            email: None,
            phone: None,
        };
        assert_eq!(
            c.check(&Path::at("contact")).unwrap_err().path(),
            Some("contact")
        );
    }
}
