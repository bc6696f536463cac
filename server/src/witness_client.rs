//! The log side of C2SP tlog-witness: one task per witness pushes the latest
//! signed checkpoint with a consistency proof from the size that witness
//! last cosigned, follows 409s to the size the witness reports, verifies
//! every returned cosignature line before handing it on, and backs off when
//! the witness is down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ashlog::add_checkpoint::{self, MAX_RESPONSE_BYTES};
use ashlog::note::NoteSignature;
use ashlog::vkey::VerifierKey;
use tokio::sync::{mpsc, watch};

use crate::checkpointer::{Cosigned, Signed};
use crate::metrics::Metrics;
use crate::proofs;
use crate::storage::{MetaKey, Storage};

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

#[derive(Debug, PartialEq, Eq)]
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
            let bytes = add_checkpoint::format_request(old, &proof, &s.note.to_bytes());
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
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        let outcome = interpret(status.as_u16(), &body, &self.key, s.note.text());
        if status.as_u16() == 422 {
            tracing::error!(witness = %self.name, size = s.checkpoint.size, body = %String::from_utf8_lossy(&body).chars().take(200).collect::<String>(), "witness refused our checkpoint as INCONSISTENT with what it holds");
        }
        outcome
    }
}

/// What a witness's answer to `add-checkpoint` means, decided without the
/// network: 200 with at least one valid cosignature line by `key` over
/// `signed_text` (lines by other keys are ignored, as a note verifier
/// would; an invalid one by `key` fails the answer), 409 with the size the
/// witness holds, anything else an error that quotes the status and the
/// start of the body.
fn interpret(
    status: u16,
    body: &[u8],
    key: &VerifierKey,
    signed_text: &str,
) -> Result<Outcome, String> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(format!("{status}: response too large"));
    }
    match status {
        200 => {
            let all = add_checkpoint::parse_cosignatures(body)
                .map_err(|e| format!("witness returned {e}"))?;
            let mut lines = Vec::new();
            for sig in all.into_iter().filter(|sig| sig.is_by(key)) {
                key.verify(signed_text, &sig.sig)
                    .map_err(|e| format!("witness returned an invalid cosignature: {e}"))?;
                lines.push(sig);
            }
            if lines.is_empty() {
                return Err("witness returned no cosignature by its configured key".into());
            }
            Ok(Outcome::Cosigned(lines))
        }
        409 => add_checkpoint::parse_size(body)
            .map(Outcome::Conflict)
            .map_err(|e| {
                format!(
                    "409 with unparsable size {:?}: {e}",
                    String::from_utf8_lossy(body)
                        .chars()
                        .take(40)
                        .collect::<String>()
                )
            }),
        code => Err(format!(
            "{code}: {}",
            String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(200)
                .collect::<String>()
        )),
    }
}
