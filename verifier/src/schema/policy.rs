//! `policy`: the log's own registration policy, always entry 0 of a log and signed with the log's
//! own key. It fixes what the log accepts (kinds, size, clock skew, trust anchors), how leaves
//! are computed, which keys sign checkpoints, and the witness policy citizens verify against.

use super::check::{self, Check, MAX_IDENT, Path};
use super::{Kind, SchemaError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The only accepted `leaf_rule`: DESIGN §4 in words, so that a citizen reading entry 0 learns how
/// to recompute every leaf.
pub const LEAF_RULE: &str = "entry = SHA-256(statement re-encoded with an empty unprotected header); leaf = SHA-256(0x00 || entry)";

/// Longest witness policy text and trust-anchor PEM accepted.
const MAX_BLOB: usize = 16 * 1024;

/// The log's registration policy. Valid means: `origin` is a schema-less URL such as
/// `log.example.org/ashlog/1`; 1..=16 distinct log keys, each a C2SP vkey
/// `name+<8 hex>+<base64>` whose name is the origin; `receipt_key_id` is lowercase hex;
/// `leaf_rule` is exactly [`LEAF_RULE`]; `accepted_kinds` is a non-empty set of agency kinds
/// (never `policy`); each trust anchor's `sha256` is the SHA-256 of the DER certificate in its
/// `pem`; `max_statement_bytes` is 1,024..=65,536 and `max_clock_skew_secs` at most one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogPolicy {
    /// The log's origin: the first line of its checkpoints.
    pub origin: String,
    /// Checkpoint verifier keys as C2SP vkeys (1..=16).
    pub log_keys: Vec<String>,
    /// Key id (`kid`) of the receipt-signing P-256 key, lowercase hex.
    pub receipt_key_id: String,
    /// How leaves are computed; exactly [`LEAF_RULE`].
    pub leaf_rule: String,
    /// Kinds the log registers (1..=4 of destruction, takedown, endorsement, correction).
    pub accepted_kinds: Vec<Kind>,
    /// CAs whose certificate chains the log accepts (1..=64).
    pub trust_anchors: Vec<TrustAnchor>,
    /// The witness policy in C2SP tlog-policy form (not parsed here; at most 16 KiB).
    pub witness_policy: String,
    /// Largest signed statement accepted, in bytes.
    pub max_statement_bytes: u64,
    /// How far in the future `iat` may be, in seconds.
    pub max_clock_skew_secs: u64,
    /// When the policy takes effect.
    pub effective_at: String,
    /// The policy entry this one replaces, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_policy: Option<String>,
}

/// A trusted certification authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustAnchor {
    /// A human name for it.
    pub name: String,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256: String,
    /// The certificate as PEM text (one `CERTIFICATE` block).
    pub pem: String,
}

impl Check for LogPolicy {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        origin(&p.field("origin"), &self.origin)?;
        let kp = p.field("log_keys");
        check::count_items(&kp, self.log_keys.len(), 1, 16)?;
        for (i, key) in self.log_keys.iter().enumerate() {
            vkey(&kp.index(i), key, &self.origin)?;
        }
        check::unique(&kp, &self.log_keys)?;
        let rp = p.field("receipt_key_id");
        let hex_ok = self.receipt_key_id.len().is_multiple_of(2)
            && (2..=128).contains(&self.receipt_key_id.len());
        if !hex_ok {
            return Err(rp.invalid("must be 2..=128 lowercase hexadecimal digits, an even number"));
        }
        check::hex(&rp, &self.receipt_key_id, self.receipt_key_id.len())?;
        if self.leaf_rule != LEAF_RULE {
            return Err(p
                .field("leaf_rule")
                .invalid(format!("must be exactly \"{LEAF_RULE}\"")));
        }
        let ap = p.field("accepted_kinds");
        check::count_items(&ap, self.accepted_kinds.len(), 1, 4)?;
        check::unique(&ap, &self.accepted_kinds)?;
        if let Some(i) = self.accepted_kinds.iter().position(|k| *k == Kind::Policy) {
            return Err(ap
                .index(i)
                .invalid("`policy` is written by the log itself at init, never registered"));
        }
        check::list(&p.field("trust_anchors"), &self.trust_anchors, 1, 64)?;
        let sp = p.field("trust_anchors");
        for (i, anchor) in self.trust_anchors.iter().enumerate() {
            if self.trust_anchors[..i]
                .iter()
                .any(|a| a.sha256 == anchor.sha256)
            {
                return Err(sp
                    .index(i)
                    .field("sha256")
                    .invalid("the same certificate is listed twice"));
            }
        }
        check::text(&p.field("witness_policy"), &self.witness_policy, MAX_BLOB)?;
        let mp = p.field("max_statement_bytes");
        if !(1024..=65536).contains(&self.max_statement_bytes) {
            return Err(mp.invalid("must be between 1024 and 65536 (DESIGN §3: at most 64 KiB)"));
        }
        if self.max_clock_skew_secs > 86_400 {
            return Err(p
                .field("max_clock_skew_secs")
                .invalid("must be at most 86400 (one day)"));
        }
        check::datetime(&p.field("effective_at"), &self.effective_at)?;
        match &self.previous_policy {
            Some(id) => check::entry_id(&p.field("previous_policy"), id),
            None => Ok(()),
        }
    }
}

/// A C2SP origin: a schema-less URL of printable ASCII without spaces or `+`.
fn origin(p: &Path, s: &str) -> Result<(), SchemaError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_IDENT
        && s.bytes().all(|b| b.is_ascii_graphic() && b != b'+')
        && !s.contains("://");
    if ok {
        Ok(())
    } else {
        Err(p.invalid(
            "must be a schema-less URL such as log.example.org/ashlog/1 (no spaces, no '+')",
        ))
    }
}

/// A C2SP vkey `name+<8 lowercase hex key id>+<base64(type || key)>` whose name is the origin.
/// Only the shape is checked; key ids are checked where keys are used.
fn vkey(p: &Path, s: &str, origin: &str) -> Result<(), SchemaError> {
    check::ident(p, s, 4096)?;
    let bad = |why: &str| {
        p.invalid(format!(
            "must be a C2SP vkey `<name>+<8 hex>+<base64>`: {why}"
        ))
    };
    // The name cannot contain '+', the key id is hex, and standard base64 may contain '+'.
    let Some((name, id, key)) = s
        .split_once('+')
        .and_then(|(n, rest)| rest.split_once('+').map(|(i, k)| (n, i, k)))
    else {
        return Err(bad("expected three parts separated by '+'"));
    };
    if id.len() != 8 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad("the key id is not 8 lowercase hex digits"));
    }
    let material = STANDARD
        .decode(key)
        .map_err(|_| bad("the key is not standard padded base64"))?;
    let fixed_len = match material.first() {
        Some(0x01 | 0x04) => Some(33),
        Some(0x02 | 0x03 | 0x05 | 0x06) => None,
        _ => return Err(bad("unknown signature type byte")),
    };
    if fixed_len.is_some_and(|n| material.len() != n) || material.len() < 2 {
        return Err(bad("the key has the wrong length for its type"));
    }
    if name != origin {
        return Err(p.invalid(format!(
            "key name `{name}` must equal the origin `{origin}`"
        )));
    }
    Ok(())
}

impl Check for TrustAnchor {
    fn check(&self, p: &Path) -> Result<(), SchemaError> {
        check::ident(&p.field("name"), &self.name, MAX_IDENT)?;
        check::hex(&p.field("sha256"), &self.sha256, 64)?;
        let pp = p.field("pem");
        check::text(&pp, &self.pem, MAX_BLOB)?;
        let der = pem_certificate(&self.pem)
            .ok_or_else(|| pp.invalid("must hold exactly one PEM CERTIFICATE block"))?;
        if hex::encode(Sha256::digest(&der)) != self.sha256 {
            return Err(p
                .field("sha256")
                .invalid("is not the SHA-256 of the certificate in pem"));
        }
        Ok(())
    }
}

/// The DER bytes of the single CERTIFICATE block in `pem`, if that is all it holds.
fn pem_certificate(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = pem.trim().strip_prefix(BEGIN)?.strip_suffix(END)?;
    if body.contains("-----") {
        return None;
    }
    let b64: String = body.split_whitespace().collect();
    STANDARD.decode(b64).ok().filter(|der| !der.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::error::expect_invalid;
    use crate::schema::fixtures::parsed::template_policy;

    fn check(p: &LogPolicy) -> Result<(), SchemaError> {
        p.check(&Path::root())
    }

    #[test]
    fn policy_template_is_valid() {
        check(&template_policy()).unwrap();
    }

    #[test]
    fn policy_trust_anchor_hash_must_match_its_pem() {
        let mut p = template_policy();
        p.trust_anchors[0].sha256 = "ab".repeat(32);
        assert_eq!(
            expect_invalid(check(&p), "trust_anchors[0].sha256"),
            "is not the SHA-256 of the certificate in pem"
        );
        let mut p = template_policy();
        p.trust_anchors[0].pem = p.trust_anchors[0].pem.replace("CERTIFICATE", "PRIVATE KEY");
        expect_invalid(check(&p), "trust_anchors[0].pem");
        let mut p = template_policy();
        p.trust_anchors.push(p.trust_anchors[0].clone());
        expect_invalid(check(&p), "trust_anchors[1].sha256");
    }

    #[test]
    fn policy_log_keys_are_vkeys_named_after_the_origin() {
        let mut p = template_policy();
        p.log_keys[1] = p.log_keys[1].replace("log.example.org/ashlog/1", "other.example.org/log");
        assert!(expect_invalid(check(&p), "log_keys[1]").contains("must equal the origin"));
        for bad in [
            "log.example.org/ashlog/1+343bd16+AY+suenKJSkyTqEK4Lb4R10/PVZfCP62VK2+8Ywqz6Fb",
            "log.example.org/ashlog/1+343BD169+AY+suenKJSkyTqEK4Lb4R10/PVZfCP62VK2+8Ywqz6Fb",
            "log.example.org/ashlog/1+343bd169+AY+suenKJSkyTqEK4Lb4R10/PVZfCP62VK2+8Ywqz6F",
            "log.example.org/ashlog/1+343bd169+AY+suenKJSkyTqEK4Lb4R10/PVZfCP62VK2+8Ywq",
            "log.example.org/ashlog/1 343bd169 AY+suenKJSkyTqEK4Lb4R10/PVZfCP62VK2+8Ywqz6Fb",
        ] {
            let mut p = template_policy();
            p.log_keys[1] = bad.into();
            assert!(
                expect_invalid(check(&p), "log_keys[1]").contains("C2SP vkey"),
                "{bad}"
            );
        }
    }

    #[test]
    fn policy_never_accepts_policy_statements_through_registration() {
        let mut p = template_policy();
        p.accepted_kinds = vec![Kind::Destruction, Kind::Policy];
        expect_invalid(check(&p), "accepted_kinds[1]");
        p.accepted_kinds = vec![Kind::Destruction, Kind::Destruction];
        assert_eq!(
            expect_invalid(check(&p), "accepted_kinds[1]"),
            "repeats item [0]"
        );
    }

    #[test]
    fn policy_fixes_the_leaf_rule_and_bounds_limits() {
        let mut p = template_policy();
        p.leaf_rule = "leaf = SHA-256(statement)".into();
        expect_invalid(check(&p), "leaf_rule");
        let mut p = template_policy();
        p.max_statement_bytes = 65537;
        expect_invalid(check(&p), "max_statement_bytes");
        let mut p = template_policy();
        p.max_clock_skew_secs = 86401;
        expect_invalid(check(&p), "max_clock_skew_secs");
        let mut p = template_policy();
        p.origin = "https://log.example.org/ashlog/1".into();
        expect_invalid(check(&p), "origin");
        let mut p = template_policy();
        p.receipt_key_id = "abc".into();
        expect_invalid(check(&p), "receipt_key_id");
    }
}
