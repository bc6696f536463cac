//! `ashlog policy fetch`: a starting policy and roots file from the log's
//! own configuration. Pinning them is the user's decision; the output says
//! so, and says what to compare them with.

use std::path::Path;

use anyhow::Result;
use ashlog::durable::write_file_atomic;
use serde_json::json;

use super::Ctx;
use super::error::{Code, fail};
use super::http::Log;
use super::online;
use super::output::{note, print, print_json};
use super::plan::{self, LogUrl};
use super::trust;

pub(crate) fn fetch(
    url: &str,
    policy_out: &Path,
    roots_out: &Path,
    force: bool,
    json_out: bool,
    ctx: &Ctx,
) -> Result<Code> {
    let url = LogUrl::parse(url)?;
    if !force {
        plan::fresh_output(policy_out)?;
        plan::fresh_output(roots_out)?;
    }
    let log = Log::new(url)?;
    let (policy, anchors, origin) = trust::from_log_config(&log)?;
    if policy.log_keys(&origin).is_empty() {
        return Err(fail(
            format!("the log's policy names no key for its own origin {origin}"),
            "report this to the log operator",
        ));
    }
    // The log's current checkpoint should verify under what it publishes.
    let latest = online::latest(&log, &policy)?;
    let checkpoint_line = match &latest {
        Ok((seen, v)) => format!(
            "The log's current checkpoint (size {}) verifies under this policy, cosigned by {}.",
            seen.cp.size,
            if v.cosigners.is_empty() {
                "no witness".to_string()
            } else {
                v.cosigners
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        Err(why) => format!("WARNING: {why}."),
    };
    let header = format!(
        "# tlog-policy for {origin}, fetched from {}/.well-known/transparency-configuration\n\
         # This is the log's own word. Before you rely on it, compare the log keys and the\n\
         # witness keys with sources independent of the log (the witnesses' own sites).\n",
        log.base()
    );
    let roots_pem: String = anchors.iter().map(|a| a.to_pem()).collect();
    let write = |path: &Path, bytes: &[u8]| {
        write_file_atomic(path, bytes).map_err(|e| {
            fail(
                format!("cannot write {}: {e}", path.display()),
                "choose another file",
            )
        })
    };
    write(
        policy_out,
        format!("{header}{}", policy.to_text()).as_bytes(),
    )?;
    write(roots_out, roots_pem.as_bytes())?;
    let witnesses: Vec<_> = policy
        .witnesses()
        .iter()
        .map(|w| json!({"name": w.name, "vkey": w.key.to_vkey(), "url": w.url}))
        .collect();
    let roots: Vec<_> = anchors
        .iter()
        .map(|a| json!({"subject": a.subject(), "sha256": a.sha256_hex()}))
        .collect();
    note(
        ctx.quiet,
        "warning: these files come from the log itself. Pinning them is your decision: a log could \
         name keys and witnesses it controls. Compare them with independent sources before you rely on them.",
    );
    if json_out {
        print_json(&json!({
            "origin": origin,
            "policy_file": policy_out.display().to_string(),
            "roots_file": roots_out.display().to_string(),
            "log_keys": policy.log_keys(&origin).iter().map(|k| k.to_vkey()).collect::<Vec<_>>(),
            "witnesses": witnesses,
            "quorum": policy.describe_quorum(),
            "trust_anchors": roots,
            "checkpoint_verifies": latest.is_ok(),
        }))?;
    } else {
        let mut s = format!(
            "Log {origin}\n  Log keys        {}\n",
            policy
                .log_keys(&origin)
                .iter()
                .map(|k| k.to_vkey())
                .collect::<Vec<_>>()
                .join("\n                  ")
        );
        for w in policy.witnesses() {
            s.push_str(&format!(
                "  Witness         {} {}\n",
                w.name,
                w.key.to_vkey()
            ));
        }
        s.push_str(&format!("  Quorum          {}\n", policy.describe_quorum()));
        for a in anchors.iter() {
            s.push_str(&format!(
                "  Trusted root    {} (sha256 {})\n",
                a.subject(),
                a.sha256_hex()
            ));
        }
        s.push_str(&format!(
            "{checkpoint_line}\nWrote {} and {}.\n",
            policy_out.display(),
            roots_out.display()
        ));
        print(&s)?;
    }
    Ok(Code::Ok)
}
