//! The log side of C2SP tlog-witness: one task per witness pushes the latest
//! signed checkpoint with a consistency proof from the size that witness
//! last cosigned, follows 409s to the size the witness reports, verifies
//! every returned cosignature line before handing it on, and backs off when
//! the witness is down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ashlog::note::{NoteSignature, VerifierKey};
use tokio::sync::{mpsc, watch};

use crate::checkpointer::{Cosigned, Signed};
use crate::metrics::Metrics;
use crate::proofs;
use crate::storage::{MetaKey, Storage};

/// Largest response accepted from a witness: a few signature lines.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// 409 round trips tolerated for one checkpoint before backing off.
const MAX_CONFLICTS: usize = 3;

/// An HTTP client for witnesses (keep-alive, bounded time).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(2)))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// One witness, as the log talks to it.
pub struct WitnessWorker {
    /// Policy name.
    pub name: String,
    /// Submission prefix URL.
    pub url: String,
    /// Its cosignature key.
    pub key: VerifierKey,
    /// The log's storage (for proofs and the witness's last size).
    pub storage: Arc<dyn Storage>,
    /// Shared HTTP client.
    pub client: reqwest::Client,
    /// Metrics.
    pub metrics: Arc<Metrics>,
}

enum Outcome {
    Cosigned(Vec<NoteSignature>),
    Conflict(u64),
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl WitnessWorker {
    fn known_size(&self) -> u64 {
        self.storage
            .get_meta(&MetaKey::WitnessSize(self.name.clone()))
            .ok()
            .flatten()
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0)
    }

    fn set_known_size(&self, size: u64) {
        if let Err(e) = self.storage.put_meta(
            &MetaKey::WitnessSize(self.name.clone()),
            &size.to_be_bytes(),
        ) {
            tracing::warn!(witness = %self.name, error = %e, "cannot store witness size");
        }
    }

    fn fail(&self, error: String) {
        tracing::warn!(witness = %self.name, %error, "witness request failed");
        self.metrics.witness(&self.name, |h| {
            h.errors += 1;
            h.last_error = Some(error);
            h.last_error_at = unix_now();
        });
    }

    /// Runs until `signed` closes.
    pub async fn run(
        self,
        mut signed: watch::Receiver<Option<Arc<Signed>>>,
        out: mpsc::Sender<Cosigned>,
    ) {
        let mut known = self.known_size();
        let mut backoff = Duration::from_millis(250);
        let mut done_size = 0u64;
        self.metrics.witness(&self.name, |_| {});
        loop {
            let current = signed.borrow_and_update().clone();
            let Some(s) = current.filter(|s| s.checkpoint.size > done_size || done_size == 0)
            else {
                if signed.changed().await.is_err() {
                    return;
                }
                continue;
            };
            match self.push(&s, &mut known).await {
                Ok(lines) => {
                    backoff = Duration::from_millis(250);
                    done_size = s.checkpoint.size;
                    let _ = out
                        .send(Cosigned {
                            witness: self.name.clone(),
                            size: s.checkpoint.size,
                            root: s.checkpoint.root,
                            lines,
                        })
                        .await;
                }
                Err(e) => {
                    self.fail(e);
                    // Wait out the backoff, but no longer than it takes
                    // for the log to close.
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        r = signed.changed() => if r.is_err() { return; },
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Pushes one checkpoint, following 409s. Ok carries the verified
    /// cosignature lines.
    async fn push(&self, s: &Signed, known: &mut u64) -> Result<Vec<NoteSignature>, String> {
        for _ in 0..MAX_CONFLICTS {
            let old = *known;
            if old > s.checkpoint.size {
                return Err(format!(
                    "witness holds size {old}, larger than our latest checkpoint {}",
                    s.checkpoint.size
                ));
            }
            let storage = self.storage.clone();
            let size = s.checkpoint.size;
            let proof = if old == 0 {
                Vec::new()
            } else {
                tokio::task::spawn_blocking(move || proofs::consistency(&*storage, old, size))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("cannot build consistency proof: {e}"))?
            };
            let mut body = format!("old {old}\n");
            for h in &proof {
                body.push_str(&h.to_base64());
                body.push('\n');
            }
            body.push('\n');
            let mut bytes = body.into_bytes();
            bytes.extend_from_slice(&s.note.to_bytes());
            let started = Instant::now();
            match self.send(bytes, s).await? {
                Outcome::Cosigned(lines) => {
                    *known = s.checkpoint.size;
                    self.set_known_size(*known);
                    let latency = started.elapsed().as_secs_f64();
                    self.metrics.witness(&self.name, |h| {
                        h.cosigned_size = s.checkpoint.size;
                        h.latency_secs = latency;
                        h.last_error = None;
                        h.cosignatures += 1;
                    });
                    return Ok(lines);
                }
                Outcome::Conflict(size) => {
                    tracing::info!(witness = %self.name, had = old, witness_size = size, "witness reported another size; retrying from it");
                    *known = size;
                }
            }
        }
        Err("witness kept answering 409".into())
    }

    async fn send(&self, body: Vec<u8>, s: &Signed) -> Result<Outcome, String> {
        let url = format!("{}/add-checkpoint", self.url.trim_end_matches('/'));
        let resp = self
            .client
            .post(&url)
            .header("content-type", "text/plain; charset=utf-8")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = resp.status();
        if resp.content_length().unwrap_or(0) > MAX_RESPONSE_BYTES as u64 {
            return Err(format!("{status}: response too large"));
        }
        let text = resp.text().await.map_err(|e| e.to_string())?;
        if text.len() > MAX_RESPONSE_BYTES {
            return Err(format!("{status}: response too large"));
        }
        match status.as_u16() {
            200 => {
                let text_signed = s.note.text();
                let mut lines = Vec::new();
                for line in text.lines().filter(|l| !l.is_empty()) {
                    let Ok(sig) = NoteSignature::parse_line(line) else {
                        return Err("witness returned a malformed signature line".into());
                    };
                    // Lines by other keys (e.g. a witness's second key type)
                    // are ignored, as a note verifier would.
                    if sig.name != self.key.name() || sig.key_id != self.key.key_id() {
                        continue;
                    }
                    self.key
                        .verify(text_signed, &sig.sig)
                        .map_err(|e| format!("witness returned an invalid cosignature: {e}"))?;
                    lines.push(sig);
                }
                if lines.is_empty() {
                    return Err("witness returned no cosignature by its configured key".into());
                }
                Ok(Outcome::Cosigned(lines))
            }
            409 => {
                let size = text.trim_end_matches('\n').parse::<u64>().map_err(|_| {
                    format!(
                        "409 with unparsable size {:?}",
                        text.chars().take(40).collect::<String>()
                    )
                })?;
                Ok(Outcome::Conflict(size))
            }
            422 => {
                tracing::error!(witness = %self.name, size = s.checkpoint.size, body = %text.chars().take(200).collect::<String>(), "witness refused our checkpoint as INCONSISTENT with what it holds");
                Err(format!("422: {}", text.trim()))
            }
            code => Err(format!(
                "{code}: {}",
                text.trim().chars().take(200).collect::<String>()
            )),
        }
    }
}
