//! `ashlog verify`: a Transparent Statement, end to end, offline from the
//! file; with `--online`, also against the log's latest checkpoint and the
//! last checkpoint this machine saw.

use std::path::Path;
use std::time::Duration;

use crate::report::{self, time_of};
use anyhow::Result;
use ashlog::chain::TrustAnchors;
use ashlog::entry::EntryId;
use ashlog::policy::Policy;
use ashlog::verify::{Verified, VerifyError, verify_transparent_statement};
use serde_json::{Value, json};

use super::Ctx;
use super::args::VerifyArgs;
use super::error::{Code, fail};
use super::http::Log;
use super::online::{self, Conflict, Seen};
use super::output::{print, print_json};
use super::plan::{self, LogUrl};

enum Target {
    File(std::path::PathBuf),
    Entry(EntryId),
}

struct Plan {
    target: Target,
    online: Option<LogUrl>,
    policy: Policy,
    anchors: TrustAnchors,
    json: bool,
}

fn plan(args: VerifyArgs) -> Result<Plan> {
    let online = args.online.as_deref().map(LogUrl::parse).transpose()?;
    // With --online, an existing file wins over an entry id of the same
    // spelling; anything that is not an entry id is read as a file.
    let target = match args.target.parse::<EntryId>() {
        Ok(id) if online.is_some() && !Path::new(&args.target).exists() => Target::Entry(id),
        _ => Target::File(args.target.clone().into()),
    };
    let policy = match &args.trust.policy {
        Some(p) => plan::load_policy(p)?,
        None => {
            return Err(fail(
                "no policy given",
                "pass --policy FILE, the tlog-policy you trust (a starting one: `ashlog policy fetch <log-url>`)",
            ));
        }
    };
    let anchors = match &args.trust.roots {
        Some(p) => plan::load_roots(p)?,
        None => {
            return Err(fail(
                "no roots given",
                "pass --roots FILE, the PEM root certificates you trust for agencies (a starting one: `ashlog policy fetch <log-url>`)",
            ));
        }
    };
    Ok(Plan {
        target,
        online,
        policy,
        anchors,
        json: args.json,
    })
}

/// The --json object of a verified statement.
pub(crate) fn verified_json(v: &Verified) -> Value {
    let witnesses: Vec<Value> = v
        .known_witnesses
        .iter()
        .map(|name| {
            let t = v.cosigners.iter().find(|(n, _)| n == name).map(|(_, t)| *t);
            json!({
                "name": name,
                "cosigned": t.is_some(),
                "time": t.map(|t| time_of(t as i64)),
            })
        })
        .collect();
    let summary: Vec<Value> = v
        .payload
        .summary()
        .into_iter()
        .map(|(l, s)| json!([l, s]))
        .collect();
    json!({
        "verified": true,
        "failed_part": null,
        "reason": null,
        "entry_id": v.entry_id.to_string(),
        "log": v.checkpoint.origin,
        "checkpoint_size": v.checkpoint.size,
        "checkpoint_root": v.checkpoint.root.to_hex(),
        "leaf_hash": v.leaf_hash.to_hex(),
        "issuer": v.statement.iss,
        "subject": v.statement.sub,
        "signed_at": time_of(v.statement.iat),
        "kind": v.kind.name(),
        "headline": v.payload.headline(),
        "summary": summary,
        "statement": serde_json::to_value(&v.payload).unwrap_or(Value::Null),
        "signer": {
            "subject": v.chain.leaf_subject(),
            "issuer": v.chain.leaf_issuer(),
            "root": v.chain.anchor_subject(),
            "root_sha256": v.chain.anchor_sha256_hex(),
        },
        "witnesses": witnesses,
        "quorum": {"rule": v.quorum, "met": true},
    })
}

/// The --json object of a failure.
pub(crate) fn failure_json(part: &str, reason: &str) -> Value {
    json!({
        "verified": false,
        "failed_part": part,
        "reason": reason,
    })
}

fn verify_error_json(e: &VerifyError) -> Value {
    failure_json(e.part(), &e.to_string())
}

pub(crate) fn run(args: VerifyArgs, ctx: &Ctx) -> Result<Code> {
    let p = plan(args)?;
    let log = p.online.clone().map(Log::new).transpose()?;
    let bytes = match (&p.target, &log) {
        (Target::File(f), _) => plan::read_file(f, "statement file")?,
        (Target::Entry(id), Some(log)) => log.poll_ready(
            &format!("/entries/{id}/statement"),
            &format!("entry {id}"),
            Duration::from_secs(60),
        )?,
        (Target::Entry(_), None) => unreachable!("entry ids are only planned with --online"),
    };
    let v = match verify_transparent_statement(&bytes, &p.policy, &p.anchors) {
        Ok(v) => v,
        Err(e) => {
            if p.json {
                print_json(&verify_error_json(&e))?;
            } else {
                print(&report::render_failure(&e))?;
            }
            return Ok(Code::Failed);
        }
    };
    let Some(log) = log else {
        if p.json {
            print_json(&verified_json(&v))?;
        } else {
            print(&report::render(&v))?;
        }
        return Ok(Code::Ok);
    };
    online_checks(&p, &log, v, ctx)
}

fn fail_out(p: &Plan, part: &str, reason: &str, conflict: Option<&Conflict>) -> Result<Code> {
    if p.json {
        let mut j = failure_json(part, reason);
        if let Some(c) = conflict {
            j["conflict"] = c.json();
        }
        print_json(&j)?;
    } else if let Some(c) = conflict {
        print(&c.render())?;
    } else {
        print(&format!("✗ NOT VERIFIED ({part}): {reason}\n"))?;
    }
    Ok(Code::Failed)
}

fn online_checks(p: &Plan, log: &Log, v: Verified, ctx: &Ctx) -> Result<Code> {
    if let Target::Entry(id) = &p.target
        && *id != v.entry_id
    {
        return fail_out(
            p,
            "log answer",
            &format!(
                "asked the log for entry {id} but it served entry {}",
                v.entry_id
            ),
            None,
        );
    }
    let (latest, verdict) = match online::latest(log, &p.policy)? {
        Ok(l) => l,
        Err(why) => return fail_out(p, "log checkpoint", &why, None),
    };
    if latest.cp.origin != v.checkpoint.origin {
        return Err(fail(
            format!(
                "the log at {} is {}, but this statement's receipt is from {}",
                log.base(),
                latest.cp.origin,
                v.checkpoint.origin
            ),
            "give the URL of the log that issued the receipt",
        ));
    }
    let receipt = Seen {
        source: "in this statement's receipt".into(),
        note: v.checkpoint_note.clone(),
        cp: v.checkpoint.clone(),
    };
    if let Some(c) = online::check_pair(log, &receipt, &latest)? {
        return fail_out(p, "log consistency", &c.explanation, Some(&c));
    }
    let (saved, conflict) = online::against_saved(log, &ctx.state, &p.policy, &latest)?;
    if let Some(c) = conflict {
        return fail_out(p, "log consistency", &c.explanation, Some(&c));
    }
    let cosigned: Vec<&str> = verdict.cosigners.iter().map(|(n, _)| n.as_str()).collect();
    let saved_line = match &saved {
        Some(s) => format!(
            "✓ consistent with the checkpoint this machine saw before (size {})",
            s.cp.size
        ),
        None => format!(
            "· first visit to this log from this machine; its checkpoint is saved in {}",
            ctx.state.checkpoint_path(&latest.cp.origin).display()
        ),
    };
    if p.json {
        let mut j = verified_json(&v);
        j["online"] = json!({
            "log_url": log.base(),
            "latest_size": latest.cp.size,
            "latest_root": latest.cp.root.to_hex(),
            "latest_cosigned_by": cosigned,
            "receipt_consistent": true,
            "saved_size": saved.as_ref().map(|s| s.cp.size),
            "saved_consistent": saved.as_ref().map(|_| true),
            "conflict": null,
        });
        print_json(&j)?;
    } else {
        let extra = [
            (
                "Online",
                format!(
                    "latest checkpoint of {}: size {}, cosigned by {}",
                    log.base(),
                    latest.cp.size,
                    if cosigned.is_empty() {
                        "no witness".to_string()
                    } else {
                        cosigned.join(", ")
                    }
                ),
            ),
            (
                "",
                format!(
                    "✓ consistent with this receipt's checkpoint (size {})",
                    v.checkpoint.size
                ),
            ),
            ("", saved_line),
        ];
        print(&report::render_with(&v, &extra))?;
    }
    Ok(Code::Ok)
}
