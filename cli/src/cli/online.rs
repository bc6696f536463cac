//! Online checks: the log's latest checkpoint, verified under the user's
//! policy and proven consistent (from tiles, client-side) with every
//! checkpoint already known: the receipt's, and the last one this machine
//! saw. A failure is a fork (two histories) or a rollback (an older head
//! than one already seen), reported with both signed checkpoints as
//! evidence.

use std::cell::RefCell;
use std::fmt::Write as _;

use anyhow::Result;
use ashlog::checkpoint::Checkpoint;
use ashlog::merkle;
use ashlog::policy::{Policy, Verdict};
use ashlog::tile::{TileError, TileHashReader, TileId};
use serde_json::json;

use super::error::{NetError, fail};
use super::http::Log;
use super::state::State;

/// A verified checkpoint and where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// Where it came from, in words.
    pub(crate) source: String,
    /// The signed note, as received.
    pub(crate) note: String,
    pub(crate) cp: Checkpoint,
}

impl Seen {
    pub(crate) fn json(&self) -> serde_json::Value {
        json!({
            "source": self.source,
            "size": self.cp.size,
            "root": self.cp.root.to_hex(),
            "note": self.note,
        })
    }
}

/// Two validly signed checkpoints that cannot both be true.
#[derive(Clone, Debug)]
pub(crate) struct Conflict {
    /// "fork" or "rollback".
    pub(crate) kind: &'static str,
    pub(crate) explanation: String,
    pub(crate) before: Seen,
    pub(crate) now: Seen,
}

fn indent(note: &str) -> String {
    note.lines().map(|l| format!("    {l}\n")).collect()
}

impl Conflict {
    /// The loud human report, ending with the ✗ line.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let head = match self.kind {
            "rollback" => "ROLLBACK: the log now shows an older state than one already seen",
            _ => "FORK: the log has shown two different histories",
        };
        let _ = writeln!(out, "!!! {head}");
        let _ = writeln!(out, "  {}", self.explanation);
        let _ = writeln!(
            out,
            "  Both checkpoints carry the log's valid signature, so together they are evidence that the\n  log misbehaved. Keep this output and report it (to the witnesses, the agency, the press)."
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  Checkpoint A ({}): size {}, root {}",
            self.before.source, self.before.cp.size, self.before.cp.root
        );
        out.push_str(&indent(&self.before.note));
        let _ = writeln!(
            out,
            "  Checkpoint B ({}): size {}, root {}",
            self.now.source, self.now.cp.size, self.now.cp.root
        );
        out.push_str(&indent(&self.now.note));
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "✗ NOT VERIFIED (log consistency): {} between checkpoint A (size {}) and checkpoint B (size {}).",
            self.kind, self.before.cp.size, self.now.cp.size
        );
        out
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        json!({
            "kind": self.kind,
            "explanation": self.explanation,
            "checkpoint_a": self.before.json(),
            "checkpoint_b": self.now.json(),
        })
    }
}

/// Fetches the log's latest checkpoint and verifies it under `policy`
/// (log signature, witness cosignatures, quorum). The inner Err says, in
/// words, why it does not verify.
pub(crate) fn latest(
    log: &Log,
    policy: &Policy,
) -> Result<std::result::Result<(Seen, Verdict), String>> {
    let bytes = log.checkpoint()?;
    let note = String::from_utf8_lossy(&bytes).into_owned();
    match policy.require(&bytes) {
        Ok(v) => Ok(Ok((
            Seen {
                source: format!("served now by {}/checkpoint", log.base()),
                note,
                cp: v.checkpoint.clone(),
            },
            v,
        ))),
        Err(e) => Ok(Err(format!(
            "the log's current checkpoint does not verify under your policy: {e}"
        ))),
    }
}

/// Fetches tiles for a [`TileHashReader`], remembering whether a failure was
/// the network's (exit 3) or the log's answer (evidence).
fn fetch_tiles<'a>(
    log: &'a Log,
    net: &'a RefCell<Option<anyhow::Error>>,
) -> impl Fn(&[TileId]) -> std::result::Result<Vec<Vec<u8>>, String> + 'a {
    move |ids: &[TileId]| {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match log.tile(*id) {
                Ok(b) => out.push(b),
                Err(e) => {
                    let msg = format!("{e:#}");
                    if e.chain().any(|c| c.is::<NetError>()) {
                        *net.borrow_mut() = Some(e);
                    }
                    return Err(msg);
                }
            }
        }
        Ok(out)
    }
}

/// Proves `a` and `b` (both verified, same origin) consistent from the
/// log's tiles. Ok(None): consistent, and `b` is not older than `a`.
/// Ok(Some): a fork or rollback. Err: the network failed.
pub(crate) fn check_pair(log: &Log, a: &Seen, b: &Seen) -> Result<Option<Conflict>> {
    let conflict = |kind: &'static str, explanation: String| {
        Some(Conflict {
            kind,
            explanation,
            before: a.clone(),
            now: b.clone(),
        })
    };
    if a.cp.size == b.cp.size {
        if a.cp.root == b.cp.root {
            return Ok(None);
        }
        return Ok(conflict(
            "fork",
            format!(
                "both checkpoints are for {} entries but their roots differ, so the log signed two different trees of the same size.",
                a.cp.size
            ),
        ));
    }
    let (small, big) = if a.cp.size < b.cp.size {
        (a, b)
    } else {
        (b, a)
    };
    let rollback = b.cp.size < a.cp.size;
    let net = RefCell::new(None);
    let proof = if small.cp.size == 0 {
        Ok(Vec::new())
    } else {
        TileHashReader::new(big.cp.size, big.cp.root)
            .prove_consistency(small.cp.size, fetch_tiles(log, &net))
    };
    if let Some(e) = net.borrow_mut().take() {
        return Err(e);
    }
    let failure = match proof {
        Ok(p) if small.cp.size == 0 => {
            let _ = p;
            None
        }
        Ok(p) => {
            merkle::verify_consistency(small.cp.size, big.cp.size, &p, &small.cp.root, &big.cp.root)
                .err()
                .map(|e| format!("the consistency proof computed from the log's tiles fails ({e})"))
        }
        Err(TileError::RootMismatch) | Err(TileError::TileMismatch { .. }) => Some(format!(
            "the log's tiles do not reproduce the root of its checkpoint of size {}",
            big.cp.size
        )),
        Err(e) => Some(format!(
            "no consistency proof can be computed from the log's tiles ({e})"
        )),
    };
    match (failure, rollback) {
        (None, false) => Ok(None),
        (None, true) => Ok(conflict(
            "rollback",
            format!(
                "the log now publishes a checkpoint of {} entries, but a checkpoint of {} entries was seen before; a log never shrinks, so someone is being shown a stale or different view.",
                b.cp.size, a.cp.size
            ),
        )),
        (Some(why), _) => Ok(conflict(
            "fork",
            format!(
                "the checkpoint of {} entries is not an extension of the checkpoint of {} entries: {why}.",
                big.cp.size, small.cp.size
            ),
        )),
    }
}

/// The last checkpoint this machine saw of `origin`, if any, verified under
/// `policy` (log signature only: it met the quorum when it was saved).
pub(crate) fn saved(state: &State, policy: &Policy, origin: &str) -> Result<Option<Seen>> {
    let path = state.checkpoint_path(origin);
    let Some(bytes) = state.load(&path)? else {
        return Ok(None);
    };
    let v = policy.evaluate(&bytes).map_err(|e| {
        fail(
            format!(
                "the saved checkpoint {} does not verify under your policy: {e}",
                path.display()
            ),
            "if you changed the log's policy on purpose, move the file away; otherwise keep it as evidence",
        )
    })?;
    if v.checkpoint.origin != origin {
        return Err(fail(
            format!("the saved checkpoint {} is for another log", path.display()),
            "move the file away",
        ));
    }
    Ok(Some(Seen {
        source: format!("seen before by this machine, saved in {}", path.display()),
        note: String::from_utf8_lossy(&bytes).into_owned(),
        cp: v.checkpoint,
    }))
}

/// Checks `latest` against the saved checkpoint and saves it when it is
/// larger and consistent. Returns the saved one (before) and any conflict.
pub(crate) fn against_saved(
    log: &Log,
    state: &State,
    policy: &Policy,
    latest: &Seen,
) -> Result<(Option<Seen>, Option<Conflict>)> {
    let before = saved(state, policy, &latest.cp.origin)?;
    if let Some(b) = &before {
        if let Some(c) = check_pair(log, b, latest)? {
            return Ok((before, Some(c)));
        }
        if b.cp.size >= latest.cp.size {
            return Ok((before, None));
        }
    }
    state.save(
        &state.checkpoint_path(&latest.cp.origin),
        latest.note.as_bytes(),
    )?;
    Ok((before, None))
}
