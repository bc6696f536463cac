//! Plain-words reports of a verification, for people: what the statement
//! says, who signed it, where it is logged, who witnessed it, and a final
//! ✓ or ✗ line. The CLI and the server's demo print exactly this.

use std::fmt::Write as _;

use ashlog::verify::{Verified, VerifyError};

/// A unix time as RFC 3339 (UTC), or the number if out of range.
pub fn time_of(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn field(out: &mut String, label: &str, value: &str) {
    let mut lines = value.lines();
    let first = lines.next().unwrap_or("");
    let _ = writeln!(out, "  {label:<16}{first}");
    for l in lines {
        let _ = writeln!(out, "  {:<16}{l}", "");
    }
}

/// The human report of a successful verification.
pub fn render(v: &Verified) -> String {
    render_with(v, &[])
}

/// [`render`] with more labelled lines (e.g. the CLI's online checks)
/// after the witness lines, before the final ✓ line.
pub fn render_with(v: &Verified, extra: &[(&str, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", v.payload.headline());
    let _ = writeln!(out);
    field(&mut out, "Kind", v.kind.name());
    for (label, value) in v.payload.summary() {
        field(&mut out, label, &value);
    }
    let _ = writeln!(out);
    field(&mut out, "Signed by", &v.chain.leaf_subject());
    field(&mut out, "Certified by", &v.chain.leaf_issuer());
    field(&mut out, "Trusted root", &v.chain.anchor_subject());
    field(&mut out, "Issuer (iss)", &v.statement.iss);
    field(&mut out, "Subject (sub)", &v.statement.sub);
    field(&mut out, "Signed at", &time_of(v.statement.iat));
    let _ = writeln!(out);
    field(&mut out, "Log", &v.checkpoint.origin);
    field(
        &mut out,
        "Entry",
        &format!("{} (leaf {})", v.entry_id, v.leaf_hash),
    );
    field(
        &mut out,
        "Checkpoint",
        &format!("size {}, root {}", v.checkpoint.size, v.checkpoint.root),
    );
    let mut wit = String::new();
    for name in &v.known_witnesses {
        match v.cosigners.iter().find(|(n, _)| n == name) {
            Some((_, ts)) => {
                let _ = writeln!(wit, "✓ {name} cosigned at {}", time_of(*ts as i64));
            }
            None => {
                let _ = writeln!(wit, "· {name} did not cosign this checkpoint");
            }
        }
    }
    if v.known_witnesses.is_empty() {
        wit.push_str("none (the policy requires no witnesses)\n");
    }
    field(&mut out, "Witnesses", wit.trim_end());
    field(&mut out, "Quorum", &format!("{}: met", v.quorum));
    for (label, value) in extra {
        field(&mut out, label, value);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "✓ VERIFIED: signed by {}, logged as entry {} of {}, and cosigned by {} of {} witnesses ({}).",
        v.chain.leaf_subject(),
        v.entry_id,
        v.checkpoint.origin,
        v.cosigners.len(),
        v.known_witnesses.len(),
        v.quorum
    );
    out
}

/// The human report of a failed verification.
pub fn render_failure(e: &VerifyError) -> String {
    format!("✗ NOT VERIFIED ({}): {e}\n", e.part())
}
