//! Canonical decimal numbers, as every C2SP text format spells sizes and
//! indices: ASCII digits only, no sign, no leading zeros ("0" itself is
//! fine), no spaces, at most `u64::MAX`.
//!
//! Rust's `str::parse::<u64>` accepts `+5`, and other parsers accept `05`,
//! ` 5` or `5 `; each would give one number several spellings, so two
//! parties could disagree about whether a signed text says what they think
//! (one tree head, one spelling). The tlog-checkpoint, tlog-witness
//! (`old N`, the 409 body), tlog-tiles (path elements) and tlog-proof
//! specs all require the canonical form, and so does everything ashlog
//! parses: this function is the only way it reads such a number.

/// The longest canonical `u64`: `18446744073709551615` has 20 digits.
pub const MAX_DIGITS: usize = 20;

/// Parses a canonical decimal `u64`. None for anything else: empty, a sign,
/// a leading zero, any non-digit (spaces, `_`, `0x`), or a value past
/// `u64::MAX`.
pub fn parse(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > MAX_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    // Only digits remain, so the one way this fails is overflow.
    s.parse().ok()
}

/// Spellings every ashlog parser must refuse where a canonical decimal is
/// expected: signs, leading zeros, spaces, other bases, separators, overlong
/// numbers. Tests of each format feed these to its parser (and the witness
/// protocol's to both of its ends).
#[cfg(any(test, feature = "testing"))]
pub const NON_CANONICAL: &[&str] = &[
    "",
    "+5",
    "-5",
    "+0",
    "-0",
    "05",
    "00",
    "007",
    " 5",
    "5 ",
    "5\t",
    " ",
    "5\r",
    "1_000",
    "1,000",
    "1.0",
    "1e3",
    "0x5",
    "٥",
    "５",
    "18446744073709551616",
    "99999999999999999999999",
    "000000000000000000001",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_every_canonical_spelling() {
        for (s, v) in [
            ("0", 0u64),
            ("5", 5),
            ("10", 10),
            ("20852163", 20_852_163),
            ("18446744073709551615", u64::MAX),
        ] {
            assert_eq!(parse(s), Some(v), "{s:?}");
            assert_eq!(v.to_string(), s, "canonical form round-trips");
        }
    }

    #[test]
    fn parse_refuses_every_non_canonical_spelling() {
        for s in NON_CANONICAL {
            assert_eq!(parse(s), None, "{s:?} must be refused");
        }
    }

    #[test]
    fn parse_agrees_with_to_string_on_random_numbers() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for v in [x, x >> 32, x % 1000] {
                assert_eq!(parse(&v.to_string()), Some(v));
                assert_eq!(parse(&format!("0{v}")), None);
                assert_eq!(parse(&format!("+{v}")), None);
            }
        }
    }
}
