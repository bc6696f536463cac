//! Writing to stdout (results) and stderr (progress, warnings). A closed
//! stdout surfaces as an io::Error the caller propagates; `main` turns a
//! broken pipe into a quiet exit.

use std::io::Write as _;

use anyhow::Result;

pub(crate) fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

pub(crate) fn print_json(v: &serde_json::Value) -> Result<()> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    print(&s)
}

/// A warning or note on stderr, unless quiet.
pub(crate) fn note(quiet: bool, s: &str) {
    if !quiet {
        eprintln!("{s}");
    }
}

/// Thousands separators: 1234567 → "1,234,567".
pub(crate) fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn count_groups_thousands() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(1000), "1,000");
        assert_eq!(super::count(100_000), "100,000");
        assert_eq!(super::count(1_234_567), "1,234,567");
    }
}
