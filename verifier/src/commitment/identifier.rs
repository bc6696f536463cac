//! Canonical personal identifiers (DESIGN.md §10.1).
//!
//! A person's check only finds their leaf if the agency and the citizen
//! turn the same number into the same bytes, so each identifier type has
//! exactly one canonical form and everything else is refused, with a reason
//! that says what to type instead. Nothing here ever puts the identifier in
//! an error, a `Debug` string or a log line: errors carry only the reason,
//! and [`CanonicalId`] is wiped when dropped.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The identifier types a commitment can be built over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierType {
    /// Resident identity number of the People's Republic of China
    /// (GB 11643-1999): 18 characters, the last a MOD 11-2 check character.
    CnRid18,
    /// A telephone number in E.164 form: `+` and 8 to 15 digits.
    E164Phone,
}

impl IdentifierType {
    /// Every type, in the order the docs list them.
    pub const ALL: [IdentifierType; 2] = [IdentifierType::CnRid18, IdentifierType::E164Phone];

    /// The token written in a commitment's `identifier_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierType::CnRid18 => "CN-RID-18",
            IdentifierType::E164Phone => "E164-phone",
        }
    }

    /// The type a commitment's `identifier_type` names, if ashlog knows it.
    pub fn from_token(token: &str) -> Option<IdentifierType> {
        IdentifierType::ALL
            .into_iter()
            .find(|t| t.as_str() == token)
    }

    /// What a person is asked for, in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            IdentifierType::CnRid18 => "18-character resident identity number (居民身份证号码)",
            IdentifierType::E164Phone => {
                "telephone number in international form, e.g. +8613800000000"
            }
        }
    }

    /// Canonicalises `text`; see [`canonicalise`].
    pub fn canonicalise(self, text: &str) -> Result<CanonicalId, IdError> {
        canonicalise(self, text)
    }
}

impl fmt::Display for IdentifierType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identifier in canonical form. Its `Debug` shows only the type; its
/// bytes are wiped on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CanonicalId {
    #[zeroize(skip)]
    kind: IdentifierType,
    text: String,
}

impl CanonicalId {
    /// The identifier type.
    pub fn kind(&self) -> IdentifierType {
        self.kind
    }

    /// The canonical bytes (ASCII). Handle with care: this is the person's
    /// identifier.
    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }
}

impl CanonicalId {
    /// The identifier as one number, for deduplicating a billion rows in a
    /// set of 8-byte keys: a resident number's first 17 digits (the 18th is
    /// determined by them), a phone number's digits (the first is never 0,
    /// so the digits are recovered exactly). [`CanonicalId::from_packed`]
    /// inverts it.
    pub fn packed(&self) -> u64 {
        let digits = match self.kind {
            IdentifierType::CnRid18 => &self.text.as_bytes()[..17],
            IdentifierType::E164Phone => &self.text.as_bytes()[1..],
        };
        digits
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
    }

    /// The identifier [`CanonicalId::packed`] gave `value`, if `value` is one.
    pub fn from_packed(kind: IdentifierType, value: u64) -> Option<CanonicalId> {
        let text = match kind {
            IdentifierType::CnRid18 => {
                if value >= 100_000_000_000_000_000 {
                    return None;
                }
                let first: [u8; 17] = format!("{value:017}").into_bytes().try_into().ok()?;
                let check = resident_check_character(&first)?;
                let mut t = String::from_utf8(first.to_vec()).ok()?;
                t.push(char::from(check));
                t
            }
            IdentifierType::E164Phone => format!("+{value}"),
        };
        canonicalise(kind, &text).ok()
    }
}

impl fmt::Debug for CanonicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CanonicalId({}, redacted)", self.kind)
    }
}

/// Why an identifier was refused. The messages say what to type instead and
/// never repeat the identifier.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum IdError {
    /// Nothing was given.
    #[error("no identifier given")]
    Empty,
    /// Spaces, tabs or other white space, anywhere.
    #[error("contains spaces; type the characters only, with no spaces")]
    Whitespace,
    /// Full-width digits or letters (as typed with a Chinese input method).
    #[error(
        "contains full-width characters (０-９, Ｘ); switch the input method to half-width and type it again"
    )]
    FullWidth,
    /// A first-generation 15-digit resident number.
    #[error(
        "this is a 15-digit first-generation number; type the 18-character number on a current resident identity card"
    )]
    Legacy15,
    /// Neither 18 characters (resident number) nor 8 to 15 digits (phone).
    #[error("has {got} characters; {want}")]
    Length {
        /// Characters given.
        got: usize,
        /// What is expected, in words.
        want: &'static str,
    },
    /// A character that has no place in this identifier.
    #[error("character {position} is not allowed here; {want}")]
    Character {
        /// 1-based position of the first bad character.
        position: usize,
        /// What is allowed, in words.
        want: &'static str,
    },
    /// Characters 7 to 14 of a resident number are not a real date.
    #[error(
        "characters 7 to 14 are not a real date of birth (YYYYMMDD); check the number on the card"
    )]
    BirthDate,
    /// The check character does not match the first 17 digits.
    #[error(
        "the last character does not match the others (MOD 11-2 check); check for a mistyped digit"
    )]
    CheckCharacter,
    /// A phone number without its leading `+`.
    #[error("must start with + and the country code, e.g. +86 for China")]
    MissingPlus,
    /// A country code cannot start with 0.
    #[error("the country code after + cannot start with 0")]
    CountryCodeZero,
}

impl IdError {
    /// A short stable label, for counts of refused rows.
    pub fn kind(&self) -> &'static str {
        match self {
            IdError::Empty => "empty",
            IdError::Whitespace => "whitespace",
            IdError::FullWidth => "full_width",
            IdError::Legacy15 => "legacy_15_digit",
            IdError::Length { .. } => "length",
            IdError::Character { .. } => "character",
            IdError::BirthDate => "birth_date",
            IdError::CheckCharacter => "check_character",
            IdError::MissingPlus => "missing_plus",
            IdError::CountryCodeZero => "country_code_zero",
        }
    }
}

/// Turns what a person typed (or a record held) into the canonical form of
/// `kind`, or says why it cannot.
///
/// `CN-RID-18`: exactly 18 characters, 17 ASCII digits then a digit or `X`
/// (`x` becomes `X`); characters 7–14 a calendar date from 1900-01-01 to
/// 2099-12-31; the last the ISO 7064 MOD 11-2 check character of the first
/// 17. `E164-phone`: `+` then 8 to 15 ASCII digits, the first not `0`.
/// Nothing is trimmed or stripped: a stray space or dash is refused rather
/// than guessed at, so the agency's build and the citizen's check cannot
/// disagree about what was meant.
pub fn canonicalise(kind: IdentifierType, text: &str) -> Result<CanonicalId, IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(IdError::Whitespace);
    }
    if text.chars().any(is_full_width) {
        return Err(IdError::FullWidth);
    }
    let text = match kind {
        IdentifierType::CnRid18 => resident_number(text)?,
        IdentifierType::E164Phone => phone_number(text)?,
    };
    Ok(CanonicalId { kind, text })
}

fn is_full_width(c: char) -> bool {
    // Full-width forms of ASCII (U+FF01..U+FF5E) and the ideographic space.
    ('\u{ff01}'..='\u{ff5e}').contains(&c) || c == '\u{3000}'
}

const RID_WANT: &str = "type the 18-character number: 17 digits, then a digit or X";

/// ISO 7064 MOD 11-2 weights of positions 1..=17 (2^(18-i) mod 11).
const RID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RID_CHECK: &[u8; 11] = b"10X98765432";

fn resident_number(text: &str) -> Result<String, IdError> {
    let chars = text.chars().count();
    if chars == 15 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::Legacy15);
    }
    if chars != 18 {
        return Err(IdError::Length {
            got: chars,
            want: RID_WANT,
        });
    }
    // 18 chars and (checked below) all ASCII, so bytes are chars.
    let mut out = Vec::with_capacity(18);
    for (i, c) in text.chars().enumerate() {
        let ok = c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'));
        if !ok {
            return Err(IdError::Character {
                position: i + 1,
                want: RID_WANT,
            });
        }
        out.push(c.to_ascii_uppercase() as u8);
    }
    let digit = |i: usize| u32::from(out[i] - b'0');
    let year = (0..4).fold(0, |acc, i| acc * 10 + digit(6 + i));
    let month = digit(10) * 10 + digit(11);
    let day = digit(12) * 10 + digit(13);
    if !real_date(year, month, day) {
        return Err(IdError::BirthDate);
    }
    let sum: u32 = (0..17).map(|i| digit(i) * RID_WEIGHTS[i]).sum();
    if out[17] != RID_CHECK[(sum % 11) as usize] {
        return Err(IdError::CheckCharacter);
    }
    // Only ASCII was pushed.
    Ok(out.into_iter().map(char::from).collect())
}

fn real_date(year: u32, month: u32, day: u32) -> bool {
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

const PHONE_WANT: &str = "type + and the country code, then the number, 8 to 15 digits in all";

fn phone_number(text: &str) -> Result<String, IdError> {
    let Some(digits) = text.strip_prefix('+') else {
        return Err(IdError::MissingPlus);
    };
    if let Some((i, _)) = digits.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(IdError::Character {
            position: 1 + digits[..i].chars().count() + 1,
            want: PHONE_WANT,
        });
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(IdError::Length {
            got: digits.len(),
            want: PHONE_WANT,
        });
    }
    if digits.starts_with('0') {
        return Err(IdError::CountryCodeZero);
    }
    Ok(text.to_string())
}

/// The check character a resident number's first 17 digits call for; for
/// generating valid synthetic numbers (the demo, tests, benchmarks).
pub fn resident_check_character(first17: &[u8; 17]) -> Option<u8> {
    let mut sum = 0u32;
    for (d, w) in first17.iter().zip(RID_WEIGHTS) {
        if !d.is_ascii_digit() {
            return None;
        }
        sum += u32::from(d - b'0') * w;
    }
    Some(RID_CHECK[(sum % 11) as usize])
}

/// The `n`-th synthetic resident number of ashlog's test range, for demos,
/// tests and benchmarks: address code `990000` (no region of GB/T 2260
/// starts with 9, so no person has such a number), birth dates from
/// 2000-01-01 on (1,000 numbers a day), and a valid check character.
/// Covers 36,525,000 numbers (to the end of 2099).
pub fn synthetic_resident(n: u64) -> Option<String> {
    let day = time::Date::from_calendar_date(2000, time::Month::January, 1)
        .ok()?
        .checked_add(time::Duration::days(i64::try_from(n / 1000).ok()?))?;
    if day.year() > 2099 {
        return None;
    }
    let first = format!(
        "990000{:04}{:02}{:02}{:03}",
        day.year(),
        u8::from(day.month()),
        day.day(),
        n % 1000
    );
    let digits: [u8; 17] = first.as_bytes().try_into().ok()?;
    let check = resident_check_character(&digits)?;
    Some(format!("{first}{}", char::from(check)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RID: IdentifierType = IdentifierType::CnRid18;
    const PHONE: IdentifierType = IdentifierType::E164Phone;

    /// A synthetic resident number with a valid check character.
    fn rid(first17: &str) -> String {
        let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
        let c = resident_check_character(&b).unwrap();
        format!("{first17}{}", c as char)
    }

    #[test]
    fn published_example_numbers_pass() {
        // The GB 11643-1999 worked example and a number whose check is X.
        assert_eq!(
            canonicalise(RID, "11010519491231002X").unwrap().as_bytes(),
            b"11010519491231002X"
        );
        assert_eq!(
            canonicalise(RID, "440524188001010014").unwrap_err(),
            IdError::BirthDate
        );
        let n = rid("32020019900307123");
        assert_eq!(canonicalise(RID, &n).unwrap().as_bytes(), n.as_bytes());
    }

    #[test]
    fn lower_case_x_becomes_upper_case() {
        let lower = canonicalise(RID, "11010519491231002x").unwrap();
        let upper = canonicalise(RID, "11010519491231002X").unwrap();
        assert_eq!(lower, upper);
        assert_eq!(lower.as_bytes(), b"11010519491231002X");
    }

    #[test]
    fn every_resident_number_refusal() {
        let good = "11010519491231002X";
        let cases: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            (" 11010519491231002X", IdError::Whitespace),
            ("110105 19491231002X", IdError::Whitespace),
            ("11010519491231002X\n", IdError::Whitespace),
            ("１１０１０５１９４９１２３１００２Ｘ", IdError::FullWidth),
            ("11010519491231002Ｘ", IdError::FullWidth),
            ("110105491231002", IdError::Legacy15),
            (
                "1101051949123100",
                IdError::Length {
                    got: 16,
                    want: RID_WANT,
                },
            ),
            (
                "11010519491231002X1",
                IdError::Length {
                    got: 19,
                    want: RID_WANT,
                },
            ),
            (
                "1101051949123100XX",
                IdError::Character {
                    position: 17,
                    want: RID_WANT,
                },
            ),
            (
                "11010519491231002Y",
                IdError::Character {
                    position: 18,
                    want: RID_WANT,
                },
            ),
            (
                "١١010519491231002X",
                IdError::Character {
                    position: 1,
                    want: RID_WANT,
                },
            ),
            ("110105194912310021", IdError::CheckCharacter),
        ];
        assert!(canonicalise(RID, good).is_ok());
        for (text, want) in cases {
            assert_eq!(canonicalise(RID, text).unwrap_err(), *want, "{text:?}");
        }
    }

    #[test]
    fn birth_dates_must_exist() {
        for (date, ok) in [
            ("19000101", true),
            ("18991231", false),
            ("20991231", true),
            ("21000101", false),
            ("20000229", true),
            ("19000229", false),
            ("20240229", true),
            ("20230229", false),
            ("19900431", false),
            ("19901301", false),
            ("19900001", false),
            ("19900100", false),
        ] {
            let n = rid(&format!("320200{date}123"));
            assert_eq!(
                canonicalise(RID, &n).is_ok(),
                ok,
                "{date}: {:?}",
                canonicalise(RID, &n)
            );
            if !ok {
                assert_eq!(canonicalise(RID, &n).unwrap_err(), IdError::BirthDate);
            }
        }
    }

    #[test]
    fn one_mistyped_digit_is_always_caught() {
        // MOD 11-2 catches every single substitution.
        let n = rid("32020019900307123");
        for pos in 0..17 {
            for d in b'0'..=b'9' {
                let mut b = n.clone().into_bytes();
                if b[pos] == d {
                    continue;
                }
                b[pos] = d;
                let t = String::from_utf8(b).unwrap();
                let e = canonicalise(RID, &t).unwrap_err();
                assert!(
                    matches!(e, IdError::CheckCharacter | IdError::BirthDate),
                    "{t}: {e:?}"
                );
            }
        }
    }

    #[test]
    fn every_phone_number_refusal() {
        assert_eq!(
            canonicalise(PHONE, "+8613800000000").unwrap().as_bytes(),
            b"+8613800000000"
        );
        assert!(canonicalise(PHONE, "+12345678").is_ok());
        assert!(canonicalise(PHONE, "+123456789012345").is_ok());
        let cases: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            ("+86 138 0000 0000", IdError::Whitespace),
            ("＋8613800000000", IdError::FullWidth),
            ("+８613800000000", IdError::FullWidth),
            ("8613800000000", IdError::MissingPlus),
            ("008613800000000", IdError::MissingPlus),
            (
                "+86-13800000000",
                IdError::Character {
                    position: 4,
                    want: PHONE_WANT,
                },
            ),
            (
                "++8613800000000",
                IdError::Character {
                    position: 2,
                    want: PHONE_WANT,
                },
            ),
            (
                "+1234567",
                IdError::Length {
                    got: 7,
                    want: PHONE_WANT,
                },
            ),
            (
                "+1234567890123456",
                IdError::Length {
                    got: 16,
                    want: PHONE_WANT,
                },
            ),
            ("+0861380000000", IdError::CountryCodeZero),
        ];
        for (text, want) in cases {
            assert_eq!(canonicalise(PHONE, text).unwrap_err(), *want, "{text:?}");
        }
    }

    #[test]
    fn errors_and_debug_never_show_the_identifier() {
        let n = "11010519491231002X";
        let id = canonicalise(RID, n).unwrap();
        assert!(!format!("{id:?}").contains("1101"));
        for bad in [
            "110105194912310021",
            "110105 19491231002X",
            "1101051949123100XX",
        ] {
            let e = canonicalise(RID, bad).unwrap_err();
            assert!(!e.to_string().contains("1101"), "{e}");
            assert!(!format!("{e:?}").contains("1101"));
        }
    }

    #[test]
    fn packing_round_trips_and_refuses_what_is_not_an_identifier() {
        for (kind, text) in [
            (RID, "11010519491231002X"),
            (RID, "320200190003071239"),
            (PHONE, "+8613800000000"),
            (PHONE, "+12345678"),
        ] {
            let Ok(id) = canonicalise(kind, text) else {
                continue;
            };
            let back = CanonicalId::from_packed(kind, id.packed()).unwrap();
            assert_eq!(back, id, "{text}");
        }
        let n = rid("32020019900307123");
        let id = canonicalise(RID, &n).unwrap();
        assert_eq!(id.packed(), 32020019900307123);
        assert_eq!(
            CanonicalId::from_packed(RID, 32020019900307123).unwrap(),
            id
        );
        // Not a date, too long, too short a phone number.
        assert!(CanonicalId::from_packed(RID, 32020019901307123).is_none());
        assert!(CanonicalId::from_packed(RID, u64::MAX).is_none());
        assert!(CanonicalId::from_packed(PHONE, 1234).is_none());
    }

    #[test]
    fn synthetic_numbers_are_valid_distinct_and_bounded() {
        let mut seen = std::collections::HashSet::new();
        for n in (0..5000).chain([36_524_999]) {
            let t = synthetic_resident(n).unwrap();
            assert!(t.starts_with("990000"));
            canonicalise(RID, &t).unwrap();
            assert!(seen.insert(t));
        }
        assert_eq!(synthetic_resident(36_525_000), None);
    }

    #[test]
    fn tokens_round_trip() {
        for t in IdentifierType::ALL {
            assert_eq!(IdentifierType::from_token(t.as_str()), Some(t));
        }
        assert_eq!(IdentifierType::from_token("cn-rid-18"), None);
    }
}
