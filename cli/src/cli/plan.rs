//! The validated plan (the "high" stage): arguments checked and input files
//! read and parsed before any network I/O, so that a typo costs no request
//! and every input error exits 2 with the file and field named.

use std::path::{Path, PathBuf};

use anyhow::Result;
use ashlog::chain::TrustAnchors;
use ashlog::entry::EntryId;
use ashlog::policy::Policy;

use super::error::fail;

/// A log's base URL: `http(s)://host[:port][/prefix]`, without a trailing
/// slash, query or fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogUrl(pub(crate) String);

impl LogUrl {
    pub(crate) fn parse(s: &str) -> Result<LogUrl> {
        let t = s.trim().trim_end_matches('/');
        let rest = t
            .strip_prefix("https://")
            .or_else(|| t.strip_prefix("http://"))
            .ok_or_else(|| {
                fail(
                    format!("{s:?} is not a log URL"),
                    "give the log's address starting with https:// (or http:// for a local test log)",
                )
            })?;
        if rest.is_empty() || rest.contains(['?', '#', ' ']) {
            return Err(fail(
                format!("{s:?} is not a log URL"),
                "give only the log's address, e.g. https://log.example.org",
            ));
        }
        Ok(LogUrl(t.to_string()))
    }
}

/// Parses an entry id such as `1.42`.
pub(crate) fn entry_id(s: &str) -> Result<EntryId> {
    s.parse::<EntryId>().map_err(|e| {
        fail(
            e,
            "entry ids look like 1.42 (shard 1, entry 42); copy it from the receipt or `ashlog show`",
        )
    })
}

pub(crate) fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        fail(
            format!("cannot read {what} {}: {e}", path.display()),
            "check the path",
        )
    })
}

pub(crate) fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = read_file(path, what)?;
    String::from_utf8(bytes).map_err(|_| {
        fail(
            format!("{what} {} is not UTF-8 text", path.display()),
            "give the text file itself",
        )
    })
}

/// Reads and parses a tlog-policy file.
pub(crate) fn load_policy(path: &Path) -> Result<Policy> {
    let text = read_text(path, "policy file")?;
    Policy::parse(&text).map_err(|e| {
        fail(
            format!("policy file {}: {e}", path.display()),
            "fix the line, or fetch a fresh starting policy with `ashlog policy fetch <log-url>`",
        )
    })
}

/// Reads and parses a roots file (PEM certificates).
pub(crate) fn load_roots(path: &Path) -> Result<TrustAnchors> {
    let text = read_text(path, "roots file")?;
    let anchors = TrustAnchors::from_pem(&text).map_err(|e| {
        fail(
            format!("roots file {}: {e}", path.display()),
            "give a PEM file of CA certificates, e.g. from `ashlog policy fetch`",
        )
    })?;
    if anchors.is_empty() {
        return Err(fail(
            format!("roots file {} holds no certificate", path.display()),
            "give a PEM file of CA certificates",
        ));
    }
    Ok(anchors)
}

pub(crate) fn load_opt_policy(p: &Option<PathBuf>) -> Result<Option<Policy>> {
    p.as_deref().map(load_policy).transpose()
}

pub(crate) fn load_opt_roots(p: &Option<PathBuf>) -> Result<Option<TrustAnchors>> {
    p.as_deref().map(load_roots).transpose()
}

/// Refuses to overwrite an existing file.
pub(crate) fn fresh_output(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(fail(
            format!("{} already exists", path.display()),
            "choose another file with -o, or move the old one away",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_url_accepts_http_and_strips_slash() {
        assert_eq!(
            LogUrl::parse("https://log.example.org/").unwrap().0,
            "https://log.example.org"
        );
        assert_eq!(
            LogUrl::parse("http://127.0.0.1:8080/ashlog").unwrap().0,
            "http://127.0.0.1:8080/ashlog"
        );
    }

    #[test]
    fn log_url_rejects_other_schemes_and_queries() {
        for bad in ["log.example.org", "ftp://x", "https://", "https://x/?a=b"] {
            assert!(LogUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
