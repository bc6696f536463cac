//! Field checks shared by every kind: the limits, the [`Path`] that names a field in errors, and
//! one function per field format (text, identifier, hex, date, date-time, entry id, URL, ...).
//!
//! Every check returns [`SchemaError::Invalid`] at the path it is given, with a reason that names
//! the bound or the expected shape, so an officer can fix the field without reading this code.

use super::SchemaError;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

/// Largest payload [`Statement::from_cbor`](super::Statement::from_cbor) parses: the whole signed
/// statement is at most 64 KiB (DESIGN §3), so its payload cannot be larger.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Longest free text (one language of an LText), in Unicode scalar values: about three pages,
/// enough for findings or a reason, too short to paste a data extract into.
pub(crate) const MAX_TEXT: usize = 4096;
/// Longest name or title (organisations, systems, apps, officers' roles).
pub(crate) const MAX_NAME: usize = 512;
/// Longest identifier or reference number (decision numbers, report numbers, tool names).
pub(crate) const MAX_IDENT: usize = 256;
/// Longest URL; common browsers and servers accept 2,048 characters.
pub(crate) const MAX_URL: usize = 2048;
/// Most items in any array unless a smaller bound is stated beside the field.
pub(crate) const MAX_ITEMS: usize = 1024;
/// Most languages in one LText.
pub(crate) const MAX_LANGUAGES: usize = 16;
/// Largest integer anywhere: 2^53 - 1, so JSON tools and JavaScript read every count exactly.
pub(crate) const MAX_INTEGER: u64 = (1 << 53) - 1;

/// The path of a field inside a payload, in the notation errors use: `actions[0].level`.
///
/// A chain of borrowed segments, rendered only when an error names it: checking a valid
/// payload walks hundreds of fields and should not build a string for each.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    /// The payload root, or a fixed prefix such as `statement`.
    At(&'a str),
    /// A field of the parent path.
    Field(&'a Path<'a>, &'a str),
    /// An item of the array at the parent path.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The payload root (renders as the empty string).
    pub(crate) fn root() -> Path<'static> {
        Path::At("")
    }

    /// A path that starts with `prefix`, e.g. `statement`.
    pub(crate) fn at(prefix: &'a str) -> Path<'a> {
        Path::At(prefix)
    }

    /// The field `name` of this path.
    pub(crate) fn field<'b>(&'b self, name: &'b str) -> Path<'b> {
        Path::Field(self, name)
    }

    /// Item `index` of the array at this path.
    pub(crate) fn index(&self, index: usize) -> Path<'_> {
        Path::Index(self, index)
    }

    /// The path as errors show it: `actions[0].level`.
    pub(crate) fn render(&self) -> String {
        match self {
            Path::At(prefix) => (*prefix).to_string(),
            Path::Field(parent, name) => super::error::join_path(&parent.render(), name),
            Path::Index(parent, index) => format!("{}[{index}]", parent.render()),
        }
    }

    /// An [`SchemaError::Invalid`] at this path.
    pub(crate) fn invalid(&self, reason: impl Into<String>) -> SchemaError {
        SchemaError::Invalid {
            path: self.render(),
            reason: reason.into(),
        }
    }
}

/// A schema type that checks its own fields (bounds, formats, rules between its own fields).
pub(crate) trait Check {
    /// Ok means every field of `self` is within bounds and well formed; errors name the field
    /// relative to `path`.
    fn check(&self, path: &Path) -> Result<(), SchemaError>;
}

/// Checks that `items` has between `min` and `max` entries, then checks each item.
pub(crate) fn list<T: Check>(
    path: &Path,
    items: &[T],
    min: usize,
    max: usize,
) -> Result<(), SchemaError> {
    count_items(path, items.len(), min, max)?;
    for (i, item) in items.iter().enumerate() {
        item.check(&path.index(i))?;
    }
    Ok(())
}

/// Checks an optional array: when present it must hold 1..=`max` items (an empty optional array is
/// refused so that "absent" has exactly one encoding: the field left out).
pub(crate) fn opt_list<T: Check>(
    path: &Path,
    items: &Option<Vec<T>>,
    max: usize,
) -> Result<(), SchemaError> {
    match items {
        Some(items) => list(path, items, 1, max),
        None => Ok(()),
    }
}

/// Checks an optional value when present.
pub(crate) fn opt<T: Check>(path: &Path, value: &Option<T>) -> Result<(), SchemaError> {
    match value {
        Some(value) => value.check(path),
        None => Ok(()),
    }
}

/// Checks that an array length lies in `min..=max`.
pub(crate) fn count_items(
    path: &Path,
    len: usize,
    min: usize,
    max: usize,
) -> Result<(), SchemaError> {
    if len < min {
        let hint = if min == 1 && len == 0 {
            " (the list is empty)".to_string()
        } else {
            String::new()
        };
        return Err(path.invalid(format!("has {len} items; at least {min} required{hint}")));
    }
    if len > max {
        return Err(path.invalid(format!("has {len} items; at most {max} allowed")));
    }
    Ok(())
}

/// Refuses duplicate items in a list of plain values.
pub(crate) fn unique<T: PartialEq>(path: &Path, items: &[T]) -> Result<(), SchemaError> {
    for (i, item) in items.iter().enumerate() {
        if let Some(j) = items[..i].iter().position(|earlier| earlier == item) {
            return Err(path.index(i).invalid(format!("repeats item [{j}]")));
        }
    }
    Ok(())
}

/// Free text: 1..=`max` characters, no control characters other than line breaks (LF, CR) and
/// tab, not blank.
pub(crate) fn text(path: &Path, s: &str, max: usize) -> Result<(), SchemaError> {
    length(path, s, max)?;
    if s.trim().is_empty() {
        return Err(path.invalid("is blank"));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(path.invalid(format!("contains control character U+{:04X}", u32::from(c))));
    }
    Ok(())
}

/// A one-line identifier or reference: 1..=`max` characters, no control characters, no leading or
/// trailing spaces.
pub(crate) fn ident(path: &Path, s: &str, max: usize) -> Result<(), SchemaError> {
    length(path, s, max)?;
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(path.invalid(format!("contains control character U+{:04X}", u32::from(c))));
    }
    if s.trim() != s {
        return Err(path.invalid("has leading or trailing spaces"));
    }
    Ok(())
}

/// A machine token: 1..=64 ASCII letters, digits, `.`, `_` or `-` (system_ref, program_id, ...).
pub(crate) fn token(path: &Path, s: &str) -> Result<(), SchemaError> {
    length(path, s, 64)?;
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(path.invalid("may contain only ASCII letters, digits, '.', '_' and '-'"));
    }
    Ok(())
}

fn length(path: &Path, s: &str, max: usize) -> Result<(), SchemaError> {
    if s.is_empty() {
        return Err(path.invalid("is empty"));
    }
    let n = s.chars().count();
    if n > max {
        return Err(path.invalid(format!("is {n} characters; at most {max} allowed")));
    }
    Ok(())
}

/// [`ident`] when present.
pub(crate) fn opt_ident(path: &Path, s: &Option<String>, max: usize) -> Result<(), SchemaError> {
    s.as_ref().map_or(Ok(()), |s| ident(path, s, max))
}

/// [`date`] when present.
pub(crate) fn opt_date(path: &Path, s: &Option<String>) -> Result<(), SchemaError> {
    s.as_ref().map_or(Ok(()), |s| date(path, s).map(drop))
}

/// An optional name or title: an LText of at most [`MAX_NAME`] characters per language.
pub(crate) fn opt_name(path: &Path, s: &Option<super::LText>) -> Result<(), SchemaError> {
    s.as_ref().map_or(Ok(()), |s| s.check_max(path, MAX_NAME))
}

/// Lowercase hexadecimal of exactly `len` digits (64 for SHA-256).
pub(crate) fn hex(path: &Path, s: &str, len: usize) -> Result<(), SchemaError> {
    if s.len() != len || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(path.invalid(format!("must be {len} lowercase hexadecimal digits")));
    }
    Ok(())
}

/// An integer no larger than [`MAX_INTEGER`].
pub(crate) fn integer(path: &Path, n: u64) -> Result<(), SchemaError> {
    if n > MAX_INTEGER {
        return Err(path.invalid(format!("is {n}; at most {MAX_INTEGER} (2^53 - 1) allowed")));
    }
    Ok(())
}

/// An ashlog entry id `<shard>.<index>`: shard from 1, index from 0, decimal without leading zeros
/// or signs (so every entry has exactly one spelling), each part fitting in 64 bits.
pub(crate) fn entry_id(path: &Path, s: &str) -> Result<(), SchemaError> {
    let bad = || path.invalid("must be an ashlog entry id `<shard>.<index>` such as `1.4711`");
    let (shard, index) = s.split_once('.').ok_or_else(bad)?;
    let canonical = |part: &str, allow_zero: bool| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" && allow_zero || !part.starts_with('0'))
            && part.parse::<u64>().is_ok()
    };
    if canonical(shard, false) && canonical(index, true) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A calendar date `YYYY-MM-DD` (exactly that shape, years 1900..=9999, a real day).
pub(crate) fn date(path: &Path, s: &str) -> Result<Date, SchemaError> {
    parse_date(s).ok_or_else(|| path.invalid("must be a date YYYY-MM-DD, e.g. 2023-03-02"))
}

fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|_| &s[r])
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i32 = digits(0..4)?.parse().ok()?;
    let month: u8 = digits(5..7)?.parse().ok()?;
    let day: u8 = digits(8..10)?.parse().ok()?;
    if year < 1900 {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// An RFC 3339 date-time with a UTC offset (`2023-03-02T09:30:00+08:00` or `...Z`). The text is
/// kept as written; this only checks it.
pub(crate) fn datetime(path: &Path, s: &str) -> Result<OffsetDateTime, SchemaError> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339)
        && s.len() <= 40
        && t.year() >= 1900
    {
        return Ok(t);
    }
    // Name the most common mistake precisely: a local time with no offset.
    let no_offset = s.get(..10).and_then(parse_date).is_some()
        && matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' '))
        && s.get(19..)
            .is_some_and(|tail| !tail.contains(['+', '-', 'Z', 'z']));
    if no_offset {
        return Err(path
            .invalid("date-time has no UTC offset; write e.g. 2023-03-02T09:30:00+08:00 or ...Z"));
    }
    Err(path.invalid("must be an RFC 3339 date-time with offset, e.g. 2023-03-02T09:30:00+08:00"))
}

/// The calendar date part of an RFC 3339 date-time, in its own offset (`2023-03-02`).
pub(crate) fn date_part(datetime: &str) -> &str {
    datetime.get(..10).unwrap_or(datetime)
}

/// An `http://` or `https://` URL with a host, no spaces, at most [`MAX_URL`] characters.
pub(crate) fn url(path: &Path, s: &str) -> Result<(), SchemaError> {
    length(path, s, MAX_URL)?;
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()) => Ok(()),
        _ => Err(path.invalid("must be an http:// or https:// URL with a host and no spaces")),
    }
}

/// A DNS name: lowercase labels of letters, digits and `-`, at least two labels, no scheme.
pub(crate) fn domain(path: &Path, s: &str) -> Result<(), SchemaError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if s.len() > 253 || !s.contains('.') || !s.split('.').all(label_ok) {
        return Err(path.invalid(
            "must be a lowercase domain name such as ykm.wuxi.gov.cn (no scheme, no path)",
        ));
    }
    Ok(())
}

/// An e-mail address of the form `local@domain.tld`, at most 254 characters.
pub(crate) fn email(path: &Path, s: &str) -> Result<(), SchemaError> {
    let ok = s.len() <= 254
        && s.bytes().all(|b| b.is_ascii_graphic())
        && matches!(s.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@') && !d.starts_with('.') && !d.ends_with('.'));
    if ok {
        Ok(())
    } else {
        Err(path.invalid("must be an e-mail address such as dpo@example.gov.cn"))
    }
}

/// A telephone number: digits with optional leading `+`, spaces, `-` and parentheses; 3..=32 characters.
pub(crate) fn phone(path: &Path, s: &str) -> Result<(), SchemaError> {
    let body = s.strip_prefix('+').unwrap_or(s);
    let ok = (3..=32).contains(&s.len())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'(' | b')'))
        && body.bytes().filter(u8::is_ascii_digit).count() >= 3;
    if ok {
        Ok(())
    } else {
        Err(path.invalid("must be a telephone number such as +86 510 12345"))
    }
}

/// An ISO 3166-1 alpha-2 country code (`CN`).
pub(crate) fn country(path: &Path, s: &str) -> Result<(), SchemaError> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(path.invalid("must be an ISO 3166-1 alpha-2 country code such as CN"))
    }
}

/// An ISO 3166-1 country (`CN`) or ISO 3166-2 subdivision (`CN-JS`) code.
pub(crate) fn jurisdiction(path: &Path, s: &str) -> Result<(), SchemaError> {
    let (cc, sub) = s.split_once('-').unwrap_or((s, ""));
    let sub_ok = s.len() == 2
        || (1..=3).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()) && sub_ok {
        Ok(())
    } else {
        Err(path
            .invalid("must be an ISO 3166-1 code such as CN or an ISO 3166-2 code such as CN-JS"))
    }
}

/// A JSON Pointer (RFC 6901): empty (the whole payload) or `/`-separated tokens where `~` is only
/// followed by `0` or `1`; at most [`MAX_IDENT`] characters.
pub(crate) fn json_pointer(path: &Path, s: &str) -> Result<(), SchemaError> {
    let bad = || path.invalid("must be a JSON Pointer (RFC 6901) such as /actions/0/level");
    if s.chars().count() > MAX_IDENT || s.chars().any(char::is_control) {
        return Err(bad());
    }
    if !s.is_empty() && !s.starts_with('/') {
        return Err(bad());
    }
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(bad());
        }
    }
    Ok(())
}

/// A media type `type/subtype` (RFC 6838 token characters, no parameters), e.g. `application/pdf`.
pub(crate) fn media_type(path: &Path, s: &str) -> Result<(), SchemaError> {
    let token = |t: &str| {
        !t.is_empty()
            && t.len() <= 63
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match s.split_once('/') {
        Some((t, st)) if token(t) && token(st) => Ok(()),
        _ => Err(path.invalid("must be a media type such as application/pdf")),
    }
}

/// Declares an enumeration whose values travel as text, with its wire names written once: serde
/// (de)serialization, `as_str` and the list of allowed values in errors all come from it.
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value as written on the wire, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The value as written on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }

            /// The value as plain words for citizens: the wire name with spaces for underscores.
            pub fn words(self) -> String {
                self.as_str().replace('_', " ")
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "one of: {}", $name::NAMES.join(", "))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        match v {
                            $($wire => Ok($name::$variant),)+
                            _ => Err(E::unknown_variant(v, $name::NAMES)),
                        }
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn reason(r: Result<impl Sized, SchemaError>) -> String {
        match r {
            Err(SchemaError::Invalid { reason, .. }) => reason,
            other => panic!("expected Invalid, got {:?}", other.err()),
        }
    }

    #[test]
    fn entry_id_accepts_only_canonical_shard_and_index() {
        let p = Path::root();
        for good in ["1.0", "1.1", "1.4711", "12.18446744073709551615"] {
            assert!(entry_id(&p, good).is_ok(), "{good}");
        }
        for bad in [
            "0.1",
            "01.1",
            "1.01",
            "1.",
            ".1",
            "1",
            "1.1.1",
            "+1.1",
            "1.-1",
            "1.18446744073709551616",
            "a.b",
            " 1.1",
        ] {
            assert!(entry_id(&p, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetime_requires_offset_and_names_the_mistake() {
        let p = Path::at("started_at");
        assert!(datetime(&p, "2023-03-02T09:30:00+08:00").is_ok());
        assert!(datetime(&p, "2023-03-02T01:30:00Z").is_ok());
        assert!(datetime(&p, "2023-03-02T01:30:00.250Z").is_ok());
        assert!(reason(datetime(&p, "2023-03-02T09:30:00")).contains("no UTC offset"));
        assert!(reason(datetime(&p, "2023-03-02")).contains("RFC 3339"));
        assert!(datetime(&p, "2023-02-30T09:30:00+08:00").is_err());
    }

    #[test]
    fn date_accepts_only_real_days_in_exact_shape() {
        let p = Path::root();
        assert!(date(&p, "2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2023-3-02",
            "20230302",
            "2023-03-02T00:00:00Z",
            "+2023-03-02",
            "0999-01-01",
        ] {
            assert!(date(&p, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_bounds_are_stated_in_the_error() {
        let p = Path::at("findings");
        let long = "字".repeat(MAX_TEXT + 1);
        assert_eq!(
            reason(text(&p, &long, MAX_TEXT)),
            "is 4097 characters; at most 4096 allowed"
        );
        assert!(text(&p, &"字".repeat(MAX_TEXT), MAX_TEXT).is_ok());
        assert!(reason(text(&p, "a\u{7}b", MAX_TEXT)).contains("U+0007"));
        assert!(text(&p, "line one\nline two", MAX_TEXT).is_ok());
        assert!(text(&p, "written on Windows\r\n", MAX_TEXT).is_ok());
        assert!(ident(&p, "line one\nline two", MAX_IDENT).is_err());
        assert!(ident(&p, " padded", MAX_IDENT).is_err());
    }

    #[test]
    fn hex_requires_lowercase_and_exact_length() {
        let p = Path::root();
        assert!(hex(&p, &"ab".repeat(32), 64).is_ok());
        assert!(hex(&p, &"AB".repeat(32), 64).is_err());
        assert!(hex(&p, &"ab".repeat(31), 64).is_err());
    }

    #[test]
    fn formats_accept_realistic_values() {
        let p = Path::root();
        assert!(url(&p, "https://dsj.wuxi.gov.cn/notice/1.html").is_ok());
        assert!(url(&p, "ftp://x").is_err());
        assert!(url(&p, "https://").is_err());
        assert!(domain(&p, "ykm.wuxi.gov.cn").is_ok());
        assert!(domain(&p, "https://ykm.wuxi.gov.cn").is_err());
        assert!(email(&p, "dsj@wuxi.gov.cn").is_ok());
        assert!(email(&p, "not-an-address").is_err());
        assert!(phone(&p, "+86 510 8182 0000").is_ok());
        assert!(phone(&p, "call me").is_err());
        assert!(jurisdiction(&p, "CN-JS").is_ok());
        assert!(jurisdiction(&p, "CN").is_ok());
        assert!(jurisdiction(&p, "cn").is_err());
        assert!(json_pointer(&p, "/systems/0/components/primary").is_ok());
        assert!(json_pointer(&p, "").is_ok());
        assert!(json_pointer(&p, "record_count").is_err());
        assert!(json_pointer(&p, "/a~2b").is_err());
        assert!(media_type(&p, "application/pdf").is_ok());
        assert!(media_type(&p, "pdf").is_err());
    }

    #[test]
    fn count_items_states_both_bounds() {
        let p = Path::at("actions");
        assert_eq!(
            reason(count_items(&p, 0, 1, 256)),
            "has 0 items; at least 1 required (the list is empty)"
        );
        assert_eq!(
            reason(count_items(&p, 257, 1, 256)),
            "has 257 items; at most 256 allowed"
        );
    }
}
