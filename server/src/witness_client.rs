//! The log side of C2SP tlog-witness: one task per witness pushes the latest
//! signed checkpoint with a consistency proof from the size that witness
//! last cosigned, follows 409s to the size the witness reports, verifies
//! every returned cosignature line before handing it on, and backs off when
//! the witness is down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ashlog::add_checkpoint::{self, MAX_RESPONSE_BYTES};
use ashlog::checkpoint::Checkpoint;
use ashlog::merkle::Hash;
use ashlog::note::{Note, NoteSignature};
use ashlog::vkey::VerifierKey;
use tokio::sync::{mpsc, watch};

use crate::metrics::Metrics;
use crate::proofs;
use crate::storage::{MetaKey, Storage};

/// A signed, not necessarily published, checkpoint.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The note with the log's two signatures.
    pub note: Note,
}

/// A verified cosignature from one witness on one checkpoint.
#[derive(Debug)]
pub struct Cosigned {
    /// The witness's policy name.
    pub witness: String,
    /// Size of the checkpoint it cosigned.
    pub size: u64,
    /// Root of that checkpoint.
    pub root: Hash,
    /// The verified signature line(s).
    pub lines: Vec<NoteSignature>,
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Mutex;

    use ashlog::add_checkpoint::{AddCheckpointRequest, format_cosignatures};
    use ashlog::checkpoint::Checkpoint;
    use ashlog::merkle;
    use ashlog_tlog::decimal::NON_CANONICAL;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::checkpointer::sign;
    use crate::testlog::{TestLog, TestWitness};

    /// A peer on 127.0.0.1 that answers each POST with the next canned
    /// (status, body), repeating the last one, and keeps every request body.
    /// `stall` makes it accept and never answer.
    struct Peer {
        url: String,
        requests: Arc<Mutex<Vec<Vec<u8>>>>,
    }

    async fn peer(answers: Vec<(u16, Vec<u8>)>, stall: bool) -> Peer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/w", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let Ok(k) = conn.read(&mut chunk).await else {
                        break (0, 0);
                    };
                    if k == 0 {
                        break (0, 0);
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => buf.extend_from_slice(&chunk[..k]),
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(buf[head_end.min(buf.len())..].to_vec());
                if stall {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                let (status, body) = answers[n.min(answers.len() - 1)].clone();
                n += 1;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(&body).await;
                let _ = conn.shutdown().await;
            }
        });
        Peer { url, requests }
    }

    struct Setup {
        log: TestLog,
        witness: TestWitness,
        signed: Signed,
    }

    fn setup(size: u64) -> Setup {
        let log = TestLog::new(size);
        let head = log.storage.tree_head().unwrap();
        let checkpoint = Checkpoint {
            origin: log.keys.origin.clone(),
            size: head.size,
            root: head.root,
        };
        let note = sign(&log.keys, &checkpoint).unwrap();
        Setup {
            log,
            witness: TestWitness::new("notary"),
            signed: Signed { checkpoint, note },
        }
    }

    fn worker(s: &Setup, url: &str, timeout: Duration) -> WitnessWorker {
        WitnessWorker {
            name: s.witness.name.clone(),
            url: url.into(),
            key: s.witness.vkey(),
            storage: s.log.dyn_storage(),
            client: http_client(timeout),
            metrics: Arc::new(Metrics::default()),
        }
    }

    fn cosignature_body(s: &Setup) -> Vec<u8> {
        format_cosignatures(&[s.witness.cosign(s.signed.note.text())])
    }

    #[test]
    fn interpret_takes_a_valid_cosignature_by_the_configured_key() {
        let s = setup(3);
        let text = s.signed.note.text();
        let key = s.witness.vkey();
        let other = TestWitness::new("stranger");
        // Lines by other keys are ignored; ours must be there and valid.
        let body = format_cosignatures(&[other.cosign(text), s.witness.cosign(text)]);
        match interpret(200, &body, &key, text).unwrap() {
            Outcome::Cosigned(lines) => {
                assert_eq!(lines, vec![s.witness.cosign(text)]);
            }
            other => panic!("expected a cosignature, got {other:?}"),
        }
        let e =
            interpret(200, &format_cosignatures(&[other.cosign(text)]), &key, text).unwrap_err();
        assert!(e.contains("no cosignature by its configured key"), "{e}");
        // Our key's line over another text is a lie, not a missing line.
        let lie = format_cosignatures(&[s.witness.cosign("other.example/log\n1\nAAAA\n")]);
        let e = interpret(200, &lie, &key, text).unwrap_err();
        assert!(e.contains("invalid cosignature"), "{e}");
        for junk in [
            &b""[..],
            b"hello\n",
            b"\xe2\x80\x94 notary\n",
            b"\xff\xfe\n",
        ] {
            assert!(interpret(200, junk, &key, text).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn interpret_reads_a_409_size_only_in_canonical_decimal() {
        let s = setup(3);
        let key = s.witness.vkey();
        let text = s.signed.note.text();
        assert_eq!(interpret(409, b"5\n", &key, text), Ok(Outcome::Conflict(5)));
        assert_eq!(interpret(409, b"0\n", &key, text), Ok(Outcome::Conflict(0)));
        for bad in NON_CANONICAL {
            let body = format!("{bad}\n");
            let e = interpret(409, body.as_bytes(), &key, text).unwrap_err();
            assert!(e.starts_with("409 with unparsable size"), "{bad:?}: {e}");
        }
        for bad in [&b""[..], b"5", b"5\n\n", b"5\r\n", b"size 5\n"] {
            assert!(interpret(409, bad, &key, text).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn interpret_quotes_other_statuses_and_refuses_oversized_bodies() {
        let s = setup(3);
        let key = s.witness.vkey();
        let text = s.signed.note.text();
        let e = interpret(422, b"old size is not consistent\n", &key, text).unwrap_err();
        assert_eq!(e, "422: old size is not consistent");
        let e = interpret(503, &vec![b'x'; 1000], &key, text).unwrap_err();
        assert_eq!(e.len(), "503: ".len() + 200, "quotes only the start");
        let big = vec![b'a'; MAX_RESPONSE_BYTES + 1];
        for status in [200, 409, 500] {
            let e = interpret(status, &big, &key, text).unwrap_err();
            assert!(e.ends_with("response too large"), "{e}");
        }
    }

    #[tokio::test]
    async fn push_follows_a_409_to_the_witness_size_with_a_proof_from_it() {
        let s = setup(10);
        let p = peer(
            vec![(409, b"4\n".to_vec()), (200, cosignature_body(&s))],
            false,
        )
        .await;
        let w = worker(&s, &p.url, Duration::from_secs(5));
        let mut known = 0;
        let lines = w.push(&s.signed, &mut known).await.unwrap();
        assert_eq!(lines, vec![s.witness.cosign(s.signed.note.text())]);
        assert_eq!(known, 10);
        // Remembered durably for the next run, and reported.
        assert_eq!(w.known_size(), 10);
        assert_eq!(
            w.metrics.witnesses.lock().unwrap()["notary"].cosigned_size,
            10
        );

        let requests = p.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 2);
        let first = AddCheckpointRequest::parse(&requests[0]).unwrap();
        assert_eq!((first.old, first.proof.len()), (0, 0));
        assert_eq!(first.note_bytes, s.signed.note.to_bytes());
        // The retry starts from the size the witness named, with a proof
        // that holds from that size's root to ours.
        let second = AddCheckpointRequest::parse(&requests[1]).unwrap();
        assert_eq!(second.old, 4);
        let old_root = proofs::root(&*s.log.storage, 4).unwrap();
        merkle::verify_consistency(4, 10, &second.proof, &old_root, &s.signed.checkpoint.root)
            .unwrap();
    }

    #[tokio::test]
    async fn push_gives_up_after_repeated_409s() {
        let s = setup(10);
        let p = peer(vec![(409, b"4\n".to_vec())], false).await;
        let w = worker(&s, &p.url, Duration::from_secs(5));
        let mut known = 0;
        let e = w.push(&s.signed, &mut known).await.unwrap_err();
        assert!(e.contains("kept answering 409"), "{e}");
        assert_eq!(p.requests.lock().unwrap().len(), MAX_CONFLICTS);
        assert_eq!(w.known_size(), 0, "nothing cosigned, nothing stored");
    }

    #[tokio::test]
    async fn push_refuses_a_witness_ahead_of_the_log_or_a_non_canonical_409() {
        let s = setup(10);
        let p = peer(vec![(409, b"50\n".to_vec())], false).await;
        let w = worker(&s, &p.url, Duration::from_secs(5));
        let mut known = 0;
        let e = w.push(&s.signed, &mut known).await.unwrap_err();
        assert!(e.contains("witness holds size 50"), "{e}");
        assert_eq!(p.requests.lock().unwrap().len(), 1);

        let p = peer(vec![(409, b"+4\n".to_vec())], false).await;
        let w = worker(&s, &p.url, Duration::from_secs(5));
        let mut known = 0;
        let e = w.push(&s.signed, &mut known).await.unwrap_err();
        assert!(e.contains("unparsable size"), "{e}");
        assert_eq!(known, 0);
    }

    #[tokio::test]
    async fn push_times_out_on_a_witness_that_never_answers() {
        let s = setup(10);
        let p = peer(vec![(200, Vec::new())], true).await;
        let w = worker(&s, &p.url, Duration::from_millis(300));
        let mut known = 0;
        let started = Instant::now();
        let e = w.push(&s.signed, &mut known).await.unwrap_err();
        assert!(e.starts_with("POST "), "{e}");
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!((known, w.known_size()), (0, 0));
    }

    #[tokio::test]
    async fn push_refuses_a_200_without_our_witness_cosignature() {
        let s = setup(10);
        let stranger = TestWitness::new("stranger");
        let body = format_cosignatures(&[stranger.cosign(s.signed.note.text())]);
        let p = peer(vec![(200, body)], false).await;
        let w = worker(&s, &p.url, Duration::from_secs(5));
        let mut known = 0;
        let e = w.push(&s.signed, &mut known).await.unwrap_err();
        assert!(e.contains("no cosignature by its configured key"), "{e}");
        assert_eq!((known, w.known_size()), (0, 0));
    }
}
