//! `ashlog show`: one entry, verified, with the endorsements and
//! corrections about it, found by scanning the log's statement bundles and
//! each verified as a Transparent Statement in its own right.

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::{self, time_of};
use anyhow::Result;
use ashlog::entry::EntryId;
use ashlog::schema::{Kind, Statement};
use ashlog::statement::SignedStatement;
use ashlog::tile::{TILE_WIDTH, parse_statement_bundle};
use ashlog::verify::verify_transparent_statement;
use serde_json::{Value, json};

use super::Ctx;
use super::args::ShowArgs;
use super::error::Code;
use super::http::Log;
use super::online;
use super::output::{print, print_json};
use super::plan::{self, LogUrl};
use super::replay::for_each_bundle;
use super::trust::{self, Trust};
use super::verify::{failure_json, verified_json};

/// An endorsement or correction about the shown entry.
struct FollowUp {
    id: EntryId,
    kind: Kind,
    same_version: bool,
    result: std::result::Result<ashlog::verify::Verified, ashlog::verify::VerifyError>,
}

pub(crate) fn run(a: ShowArgs, ctx: &Ctx) -> Result<Code> {
    let url = LogUrl::parse(&a.log)?;
    let id = plan::entry_id(&a.entry)?;
    let policy = plan::load_opt_policy(&a.trust.policy)?;
    let roots = plan::load_opt_roots(&a.trust.roots)?;
    let log = Log::new(url)?;
    let trust = trust::resolve(policy, roots, &log, ctx.quiet || a.json)?;
    let fetch = |id: EntryId| {
        log.poll_ready(
            &format!("/entries/{id}/statement"),
            &format!("entry {id}"),
            Duration::from_secs(30),
        )
    };
    let bytes = fetch(id)?;
    let v = match verify_transparent_statement(&bytes, &trust.policy, &trust.anchors) {
        Ok(v) if v.entry_id == id => v,
        Ok(v) => {
            return failed(
                a.json,
                "log answer",
                &format!("asked for entry {id}, the log served entry {}", v.entry_id),
            );
        }
        Err(e) => return failed(a.json, e.part(), &e.to_string()),
    };
    let (latest, _) = match online::latest(&log, &trust.policy)? {
        Ok(l) => l,
        Err(why) => return failed(a.json, "log checkpoint", &why),
    };
    if let Some(c) = online::check_pair(
        &log,
        &online::Seen {
            source: "in this entry's receipt".into(),
            note: v.checkpoint_note.clone(),
            cp: v.checkpoint.clone(),
        },
        &latest,
    )? {
        if a.json {
            let mut j = failure_json("log consistency", &c.explanation);
            j["conflict"] = c.json();
            print_json(&j)?;
        } else {
            print(&c.render())?;
        }
        return Ok(Code::Failed);
    }
    let leaf = v.leaf_hash.to_hex();
    let follow_ups = scan(&log, id, &leaf, latest.cp.size, &trust, &fetch)?;
    if a.json {
        let item = |f: &FollowUp| -> Value {
            let mut j = match &f.result {
                Ok(v) => {
                    let mut j = verified_json(v);
                    if let Statement::Correction(c) = &v.payload {
                        j["correction_kind"] = json!(c.kind.as_str());
                    }
                    j
                }
                Err(e) => failure_json(e.part(), &e.to_string()),
            };
            j["entry_id"] = json!(f.id.to_string());
            j["kind"] = json!(f.kind.name());
            j["applies_to_this_version"] = json!(f.same_version);
            j
        };
        print_json(&json!({
            "entry": verified_json(&v),
            "endorsements": follow_ups.iter().filter(|f| f.kind == Kind::Endorsement).map(item).collect::<Vec<_>>(),
            "corrections": follow_ups.iter().filter(|f| f.kind == Kind::Correction).map(item).collect::<Vec<_>>(),
            "scanned_to_size": latest.cp.size,
        }))?;
    } else {
        let mut out = report::render(&v);
        for (kind, title) in [
            (Kind::Endorsement, "Endorsements"),
            (Kind::Correction, "Corrections"),
        ] {
            let items: Vec<&FollowUp> = follow_ups.iter().filter(|f| f.kind == kind).collect();
            let _ = writeln!(out, "\n{title} of entry {id} ({}):", items.len());
            if items.is_empty() {
                let _ = writeln!(out, "  none in the log (up to size {})", latest.cp.size);
            }
            for f in items {
                match &f.result {
                    Ok(fv) => {
                        let _ = writeln!(
                            out,
                            "  ✓ {} by {} ({}), signed {}",
                            f.id,
                            fv.chain.leaf_subject(),
                            fv.statement.iss,
                            time_of(fv.statement.iat)
                        );
                        let _ = writeln!(out, "      {}", fv.payload.headline());
                        for (label, value) in fv.payload.summary().into_iter().take(4) {
                            let first = value.lines().next().unwrap_or("");
                            let _ = writeln!(out, "      {label}: {first}");
                        }
                        if !f.same_version {
                            let _ = writeln!(
                                out,
                                "      (applies to a superseded version: it pins another leaf hash than this entry's)"
                            );
                        }
                    }
                    Err(e) => {
                        let _ = writeln!(
                            out,
                            "  ✗ {} {} does NOT verify ({}): {e}",
                            f.id,
                            f.kind,
                            e.part()
                        );
                    }
                }
            }
        }
        print(&out)?;
    }
    Ok(Code::Ok)
}

fn failed(json_out: bool, part: &str, reason: &str) -> Result<Code> {
    if json_out {
        print_json(&failure_json(part, reason))?;
    } else {
        print(&format!("✗ NOT VERIFIED ({part}): {reason}\n"))?;
    }
    Ok(Code::Failed)
}

/// Scans the statement bundles after `id` for endorsements and corrections
/// whose target is `id`, and verifies each.
fn scan(
    log: &Log,
    id: EntryId,
    leaf: &str,
    size: u64,
    trust: &Trust,
    fetch: &dyn Fn(EntryId) -> Result<Vec<u8>>,
) -> Result<Vec<FollowUp>> {
    let mut found: Vec<(u64, Kind, bool)> = Vec::new();
    let want = id.to_string();
    for_each_bundle(
        log,
        size,
        id.index / TILE_WIDTH,
        true,
        false,
        6,
        |b, width, bundle, _| {
            let Ok(entries) = parse_statement_bundle(&bundle, width) else {
                return Ok(true);
            };
            for (i, e) in entries.into_iter().enumerate() {
                let index = b * TILE_WIDTH + i as u64;
                if index <= id.index {
                    continue;
                }
                let Ok(s) = SignedStatement::parse(e) else {
                    continue;
                };
                let Some(kind) = Kind::from_content_type(&s.content_type) else {
                    continue;
                };
                if !matches!(kind, Kind::Endorsement | Kind::Correction) {
                    continue;
                }
                if let Ok(p) = Statement::from_cbor(kind, s.payload())
                    && let Some(t) = p.target()
                    && t.entry_id == want
                {
                    found.push((index, kind, t.leaf_hash == leaf));
                }
            }
            Ok(true)
        },
    )?;
    found
        .into_iter()
        .map(|(index, kind, same_version)| {
            let fid = EntryId::new(index);
            let bytes = fetch(fid)?;
            Ok(FollowUp {
                id: fid,
                kind,
                same_version,
                result: verify_transparent_statement(&bytes, &trust.policy, &trust.anchors),
            })
        })
        .collect()
}
