//! Sustained registration load for the crash loop and the fault tests:
//! writer threads that sign distinct statements and record what the log
//! answered, and an observer that collects every checkpoint it is shown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ashlog::checkpoint::Checkpoint;
use ashlog::merkle::Hash;
use ashlog::note::Note;
use ashlog::schema::Document;

use crate::check::Ack;
use crate::client;
use crate::world::{Agency, now};

/// What the log answered the writers, across any number of [`Load`]s.
#[derive(Default)]
pub struct Tally {
    acks: Mutex<Vec<Ack>>,
    refused: AtomicU64,
    other: Mutex<Vec<String>>,
    counter: AtomicU64,
}

impl Tally {
    /// Registrations acknowledged with 303 or 201, at the index answered.
    pub fn acks(&self) -> Vec<Ack> {
        self.acks.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Registrations refused with 503 and `Retry-After: 1`.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Every other outcome: another status, a 503 without `Retry-After: 1`,
    /// an acknowledgement without a usable `Location`, or no answer at all.
    pub fn other(&self) -> Vec<String> {
        self.other.lock().map(|o| o.clone()).unwrap_or_default()
    }

    fn record_other(&self, what: String) {
        if let Ok(mut o) = self.other.lock() {
            o.push(what);
        }
    }
}

/// Parses a signed checkpoint note.
pub fn parse_checkpoint(bytes: &[u8]) -> Option<Checkpoint> {
    let n = Note::parse(bytes).ok()?;
    Checkpoint::parse(n.text()).ok()
}

/// Running writer and observer threads; [`Load::stop`] ends them.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts `writers` threads registering statements of `doc` signed by
    /// `agency` at `url`, each with a fresh `iat` (seconds back in time, so
    /// never in the future), tallied in `tally`. After a refusal or a
    /// failure a writer pauses 20 ms.
    pub fn start(
        url: &str,
        agency: &Arc<Agency>,
        doc: &Arc<Document>,
        writers: usize,
        tally: &Arc<Tally>,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..writers)
            .map(|_| {
                let (url, agency, doc, tally, stop) = (
                    url.to_string(),
                    agency.clone(),
                    doc.clone(),
                    tally.clone(),
                    stop.clone(),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if !register_one(&url, &agency, &doc, &tally) {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                })
            })
            .collect();
        Load { stop, threads }
    }

    /// Adds a thread that every 50 ms fetches each `(base URL, path)` and
    /// keeps every checkpoint it can parse in `observed`.
    pub fn observe(
        &mut self,
        sources: Vec<(String, String)>,
        observed: &Arc<Mutex<Vec<Checkpoint>>>,
    ) {
        let (observed, stop) = (observed.clone(), self.stop.clone());
        self.threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for (base, path) in &sources {
                    if let Ok(r) = client::get(base, path)
                        && let Some(cp) = parse_checkpoint(&r.body)
                        && let Ok(mut o) = observed.lock()
                    {
                        o.push(cp);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }));
    }

    /// Stops every thread and waits for them; true if none panicked.
    pub fn stop(self) -> bool {
        self.stop.store(true, Ordering::Relaxed);
        self.threads.into_iter().all(|t| t.join().is_ok())
    }
}

/// One registration; true if it was acknowledged.
fn register_one(url: &str, agency: &Agency, doc: &Document, tally: &Tally) -> bool {
    let n = tally.counter.fetch_add(1, Ordering::Relaxed) as i64;
    let stmt = agency.sign_document(doc, now() - 100_000 - n);
    let entry = Hash(
        sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &stmt)).into(),
    );
    let r = match client::post_statement(url, &stmt, None) {
        Ok(r) => r,
        Err(e) => {
            tally.record_other(format!("no answer: {e}"));
            return false;
        }
    };
    match r.status {
        303 | 201 => {
            let index = r
                .header("location")
                .and_then(|l| l.rsplit('.').next().and_then(|i| i.parse().ok()));
            match (index, tally.acks.lock()) {
                (Some(index), Ok(mut a)) => {
                    a.push(Ack { index, entry });
                    true
                }
                _ => {
                    tally.record_other(format!("{} without a usable Location", r.status));
                    false
                }
            }
        }
        503 if r.header("retry-after").as_deref() == Some("1") => {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            false
        }
        s => {
            tally.record_other(format!("status {s}"));
            false
        }
    }
}
