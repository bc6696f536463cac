//! `ashlog audit` (the whole log) and `ashlog monitor` (what is new since
//! the last run): command surface over [`super::replay`].

use std::fmt::Write as _;

use anyhow::Result;
use ashlog::note::SigType;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Ctx;
use super::args::AuditArgs;
use super::error::{Code, fail};
use super::http::Log;
use super::online::{self, Conflict, Seen};
use super::output::{count, print, print_json};
use super::plan::{self, LogUrl};
use super::replay::{Findings, Position, Replay};
use super::trust;

/// The monitor's saved state for one log.
#[derive(Serialize, Deserialize)]
struct MonitorState {
    /// The checkpoint replayed up to (signed note).
    checkpoint: String,
    position: Position,
}

/// One anomaly, for people and for --json.
struct Anomaly {
    kind: &'static str,
    entry: Option<u64>,
    detail: String,
}

fn entry(i: u64) -> String {
    format!("1.{i}")
}

pub(crate) fn run(a: AuditArgs, monitor: bool, ctx: &Ctx) -> Result<Code> {
    let url = LogUrl::parse(&a.log)?;
    let policy = plan::load_opt_policy(&a.policy)?;
    let user_roots = plan::load_opt_roots(&a.roots)?;
    if a.parallel == 0 {
        return Err(fail("--parallel 0 would fetch nothing", "use 1 or more"));
    }
    let what = if monitor { "monitor" } else { "audit" };
    let log = Log::new(url)?;
    let policy = match policy {
        Some(p) => p,
        None => {
            // Roots for statements come from the log's policy entries; only
            // the log's keys and witnesses are at stake here.
            let t = trust::resolve(
                None,
                Some(ashlog::chain::TrustAnchors::new()),
                &log,
                ctx.quiet,
            )?;
            t.policy
        }
    };
    let (latest, verdict) = match online::latest(&log, &policy)? {
        Ok(l) => l,
        Err(why) => {
            return report(
                a.json,
                what,
                None,
                None,
                None,
                &[Anomaly {
                    kind: "checkpoint_invalid",
                    entry: None,
                    detail: why,
                }],
                None,
            );
        }
    };
    let origin = latest.cp.origin.clone();
    let (_, conflict) = online::against_saved(&log, &ctx.state, &policy, &latest)?;
    if let Some(c) = conflict {
        return report(a.json, what, Some(&latest), None, None, &[], Some(&c));
    }
    let monitor_path = ctx.state.monitor_path(&origin);
    let mut pos = Position::default();
    let mut since: Option<Seen> = None;
    if monitor && let Some(bytes) = ctx.state.load(&monitor_path)? {
        let st: MonitorState = serde_json::from_slice(&bytes).map_err(|e| {
            fail(
                format!("monitor state {} is corrupt: {e}", monitor_path.display()),
                "move it away to start over from entry 0",
            )
        })?;
        let v = policy.evaluate(st.checkpoint.as_bytes()).map_err(|e| {
            fail(
                format!(
                    "the checkpoint in monitor state {} does not verify under your policy: {e}",
                    monitor_path.display()
                ),
                "if you changed the policy on purpose, move the state away to start over",
            )
        })?;
        let seen = Seen {
            source: format!(
                "replayed before by this monitor, saved in {}",
                monitor_path.display()
            ),
            note: st.checkpoint.clone(),
            cp: v.checkpoint,
        };
        if let Some(c) = online::check_pair(&log, &seen, &latest)? {
            return report(a.json, what, Some(&latest), None, None, &[], Some(&c));
        }
        if st.position.size != seen.cp.size {
            return Err(fail(
                format!("monitor state {} is inconsistent", monitor_path.display()),
                "move it away to start over from entry 0",
            ));
        }
        pos = st.position;
        since = Some(seen);
    }
    let log_key = policy
        .log_keys(&origin)
        .into_iter()
        .find(|k| k.sig_type() == SigType::Rfc6962);
    let replay = Replay {
        log: &log,
        target: &latest.cp,
        log_key: log_key.as_ref().map(|k| k.public_key()),
        user_roots: user_roots.as_ref(),
        verify: !a.no_verify_signatures,
        parallel: a.parallel,
        quiet: ctx.quiet || a.json,
    };
    let from = pos.size;
    let (f, new_pos) = replay.run(&pos)?;
    let mut anomalies = Vec::new();
    if let Some(fatal) = &f.fatal {
        anomalies.push(Anomaly {
            kind: "tree",
            entry: None,
            detail: fatal.clone(),
        });
    }
    for (i, part, reason) in &f.failures {
        anomalies.push(Anomaly {
            kind: "verification_failed",
            entry: Some(*i),
            detail: format!("{part}: {reason}"),
        });
    }
    for (i, iss, signer) in &f.unknown_issuers {
        anomalies.push(Anomaly {
            kind: "unknown_issuer",
            entry: Some(*i),
            detail: format!("{iss} ({signer}) is certified by a root outside your --roots"),
        });
    }
    if monitor {
        for (i, kind, target) in &f.corrections {
            anomalies.push(Anomaly {
                kind: "correction",
                entry: Some(*i),
                detail: format!("{} of entry {target}", kind.replace('_', " ")),
            });
        }
        for i in f.policies.iter().filter(|i| **i > 0) {
            anomalies.push(Anomaly {
                kind: "policy_change",
                entry: Some(*i),
                detail:
                    "the log changed its registration policy (trusted roots, witnesses or kinds)"
                        .into(),
            });
        }
    }
    if monitor && f.fatal.is_none() && !a.no_verify_signatures {
        let st = MonitorState {
            checkpoint: latest.note.clone(),
            position: new_pos,
        };
        ctx.state
            .save(&monitor_path, serde_json::to_string(&st)?.as_bytes())?;
    }
    let _ = verdict;
    report(
        a.json,
        what,
        Some(&latest),
        Some((from, &f, a.no_verify_signatures)),
        since.as_ref(),
        &anomalies,
        None,
    )
}

#[allow(clippy::too_many_arguments)]
fn report(
    json_out: bool,
    what: &str,
    latest: Option<&Seen>,
    replay: Option<(u64, &Findings, bool)>,
    since: Option<&Seen>,
    anomalies: &[Anomaly],
    conflict: Option<&Conflict>,
) -> Result<Code> {
    let ok = anomalies.is_empty() && conflict.is_none();
    let code = if ok { Code::Ok } else { Code::Failed };
    if json_out {
        let mut j = json!({
            "ok": ok,
            "command": what,
            "log": latest.map(|l| l.cp.origin.clone()),
            "checkpoint": latest.map(|l| json!({"size": l.cp.size, "root": l.cp.root.to_hex(), "note": l.note})),
            "since_size": since.map(|s| s.cp.size),
            "anomalies": anomalies.iter().map(|a| json!({
                "kind": a.kind,
                "entry_id": a.entry.map(entry),
                "detail": a.detail,
            })).collect::<Vec<_>>(),
            "conflict": conflict.map(Conflict::json),
        });
        if let Some((from, f, hashes_only)) = replay {
            let secs = f.elapsed.as_secs_f64();
            let fields = json!({
                "from_size": from,
                "entries_replayed": f.entries,
                "statements_verified": f.statements_verified,
                "hashes_only": hashes_only,
                "by_kind": f.by_kind,
                "by_issuer": f.by_issuer.iter().map(|(iss, s)| json!({
                    "issuer": iss, "signer": s.signer, "count": s.count, "by_kind": s.by_kind,
                })).collect::<Vec<_>>(),
                "policies": f.policies.iter().map(|i| entry(*i)).collect::<Vec<_>>(),
                "corrections": f.corrections.iter().map(|(i, k, t)| json!({
                    "entry_id": entry(*i), "kind": k, "target": t,
                })).collect::<Vec<_>>(),
                "failures": f.failures.iter().map(|(i, p, r)| json!({
                    "entry_id": entry(*i), "part": p, "reason": r,
                })).collect::<Vec<_>>(),
                "elapsed_secs": secs,
                "entries_per_sec": if secs > 0.0 { f.entries as f64 / secs } else { 0.0 },
            });
            if let (Value::Object(m), Value::Object(extra)) = (&mut j, fields) {
                m.extend(extra);
            }
        }
        print_json(&j)?;
        return Ok(code);
    }
    let mut out = String::new();
    if let Some(c) = conflict {
        out.push_str(&c.render());
        print(&out)?;
        return Ok(code);
    }
    let title = if what == "monitor" {
        "Monitor"
    } else {
        "Audit"
    };
    if let Some(l) = latest {
        let _ = writeln!(
            out,
            "{title} of {} at checkpoint size {}, root {}",
            l.cp.origin, l.cp.size, l.cp.root
        );
    }
    let field = |out: &mut String, label: &str, value: &str| {
        let mut lines = value.lines();
        let _ = writeln!(out, "  {label:<16}{}", lines.next().unwrap_or(""));
        for l in lines {
            let _ = writeln!(out, "  {:<16}{l}", "");
        }
    };
    if let Some(s) = since {
        field(
            &mut out,
            "Since",
            &format!(
                "checkpoint size {} (consistent with the new one)",
                s.cp.size
            ),
        );
    }
    if let Some((from, f, hashes_only)) = replay {
        let range = if from == 0 {
            format!("{} entries", count(f.entries))
        } else {
            format!("{} new entries (1.{from} onwards)", count(f.entries))
        };
        field(
            &mut out,
            "Replayed",
            &format!(
                "{range}: every leaf and tile hash recomputed{}",
                if f.fatal.is_none() {
                    "; the root matches the checkpoint"
                } else {
                    ""
                }
            ),
        );
        if hashes_only {
            field(
                &mut out,
                "Statements",
                "not checked (--no-verify-signatures: hashes only)",
            );
        } else {
            field(
                &mut out,
                "Verified",
                &format!(
                    "{} statements (signature, certificate chain at signing time, schema)",
                    count(f.statements_verified)
                ),
            );
            if !f.policies.is_empty() {
                field(
                    &mut out,
                    "Policy entries",
                    &f.policies
                        .iter()
                        .map(|i| entry(*i))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            let kinds: Vec<String> = f
                .by_kind
                .iter()
                .map(|(k, n)| format!("{k} {}", count(*n)))
                .collect();
            field(
                &mut out,
                "By kind",
                &if kinds.is_empty() {
                    "none".to_string()
                } else {
                    kinds.join(", ")
                },
            );
            let issuers: Vec<String> = f
                .by_issuer
                .iter()
                .map(|(iss, s)| {
                    format!(
                        "{iss} ({}): {} ({})",
                        s.signer,
                        count(s.count),
                        s.by_kind
                            .iter()
                            .map(|(k, n)| format!("{k} {}", count(*n)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect();
            if !issuers.is_empty() {
                field(&mut out, "By issuer", &issuers.join("\n"));
            }
            if !f.corrections.is_empty() {
                let c: Vec<String> = f
                    .corrections
                    .iter()
                    .map(|(i, k, t)| format!("{} {} of {t}", entry(*i), k.replace('_', " ")))
                    .collect();
                field(&mut out, "Corrections", &c.join("\n"));
            }
        }
        let secs = f.elapsed.as_secs_f64();
        field(
            &mut out,
            "Speed",
            &format!(
                "{} entries in {secs:.1} s ({} entries/s)",
                count(f.entries),
                count(if secs > 0.0 {
                    (f.entries as f64 / secs) as u64
                } else {
                    f.entries
                })
            ),
        );
    }
    if anomalies.is_empty() {
        field(&mut out, "Problems", "none");
    } else {
        let list: Vec<String> = anomalies
            .iter()
            .map(|a| match a.entry {
                Some(i) => format!("{} [{}] {}", entry(i), a.kind, a.detail),
                None => format!("[{}] {}", a.kind, a.detail),
            })
            .collect();
        field(&mut out, "Problems", &list.join("\n"));
    }
    let _ = writeln!(out);
    let origin = latest.map(|l| l.cp.origin.clone()).unwrap_or_default();
    if ok {
        let _ = writeln!(
            out,
            "✓ {} PASSED: every entry of {origin} replays to the checkpoint root{}.",
            title.to_uppercase(),
            if replay.is_some_and(|r| !r.2) {
                " and every statement verifies"
            } else {
                ""
            }
        );
    } else {
        let first = &anomalies[0];
        let _ = writeln!(
            out,
            "✗ {} FAILED: {} problem{} (first: {}{}).",
            title.to_uppercase(),
            anomalies.len(),
            if anomalies.len() == 1 { "" } else { "s" },
            first
                .entry
                .map(|i| format!("entry {}: ", entry(i)))
                .unwrap_or_default(),
            first.detail
        );
    }
    print(&out)?;
    Ok(code)
}
