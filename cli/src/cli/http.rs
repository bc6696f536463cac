//! Talking to a log: HTTP with retries for transient failures, blocking for
//! the commands and concurrent for replays. Everything fetched here is
//! untrusted until the caller checks it (tiles against a verified checkpoint,
//! statements and receipts with the library).
//!
//! One async client on a one-thread runtime serves both: the blocking calls
//! run their request on it, and a replay keeps many requests in flight on
//! it without a thread per request (reqwest's blocking client hands every
//! request to its own runtime thread and back, and on two cores those
//! hand-offs cost more than the requests).

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use ashlog::tile::{TileId, TilePath};
use serde::Deserialize;

use super::error::{NetError, fail};
use super::plan::LogUrl;

/// Largest response body read (a statements bundle of 256 statements of at
/// most 64 KiB each, plus prefixes).
const MAX_BODY: usize = 256 * (64 * 1024 + 4);
/// Attempts for a GET that fails transiently (connection, 5xx, 429).
const ATTEMPTS: u32 = 4;

/// A whole response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Retry-After in seconds (delta form only), capped at 30.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(30)))
    }

    /// Concise problem details (RFC 9290) as "title: detail".
    pub(crate) fn problem(&self) -> Option<String> {
        let v: ciborium::Value = ciborium::de::from_reader(&self.body[..]).ok()?;
        let ciborium::Value::Map(m) = v else {
            return None;
        };
        let get = |k: i128| {
            m.iter().find_map(|(key, val)| match (key, val) {
                (ciborium::Value::Integer(i), ciborium::Value::Text(t)) if i128::from(*i) == k => {
                    Some(t.clone())
                }
                _ => None,
            })
        };
        match (get(-1), get(-2)) {
            (Some(t), Some(d)) => Some(format!("{t}: {d}")),
            (Some(t), None) => Some(t),
            (None, Some(d)) => Some(d),
            (None, None) => None,
        }
    }
}

/// The log's `/.well-known/transparency-configuration` (JSON form).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct LogConfig {
    pub(crate) origin: String,
    pub(crate) policy: String,
    #[serde(default)]
    pub(crate) trust_anchors: Vec<String>,
}

/// The HTTP side of a [`Log`]: async, and cheap to clone into tasks.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, path: &str, e: &dyn std::fmt::Display) -> anyhow::Error {
        anyhow::Error::new(NetError(format!(
            "cannot reach the log at {}{path}: {e} — check the URL and your connection, and try again",
            self.base()
        )))
    }

    /// Reads the whole body, refusing one over [`MAX_BODY`] as soon as it
    /// passes the limit.
    async fn read(&self, path: &str, mut resp: reqwest::Response) -> Result<Reply> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        // One allocation of the announced size (within the limit) rather than a doubling series:
        // a replay reads thousands of 1.5 MB bundles, and glibc's heap fragments under a churn
        // of large reallocations.
        let announced = resp.content_length().unwrap_or(0).min(MAX_BODY as u64) as usize;
        let mut body = Vec::with_capacity(announced);
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.unreachable(path, &e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(anyhow::Error::new(NetError(format!(
                    "{}{path} sent more than {MAX_BODY} bytes, more than any ashlog resource holds — the log misbehaves",
                    self.base(),
                ))));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// [`Log::get_with`].
    pub(crate) async fn get_with(&self, path: &str, accept: Option<&str>) -> Result<Reply> {
        let mut last: Option<anyhow::Error> = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let mut req = self.client.get(format!("{}{path}", self.base()));
            if let Some(a) = accept {
                req = req.header("accept", a);
            }
            match req.send().await {
                Ok(resp) => {
                    let reply = self.read(path, resp).await?;
                    if reply.status == 429 || reply.status >= 500 {
                        if let Some(d) = reply.retry_after() {
                            tokio::time::sleep(d).await;
                        }
                        last = Some(anyhow::Error::new(NetError(format!(
                            "the log at {} answered {} for {path}{} — try again later",
                            self.base(),
                            reply.status,
                            reply
                                .problem()
                                .map(|p| format!(" ({p})"))
                                .unwrap_or_default()
                        ))));
                        continue;
                    }
                    return Ok(reply);
                }
                Err(e) => last = Some(self.unreachable(path, &e)),
            }
        }
        Err(last.unwrap_or_else(|| anyhow!("GET {path} failed")))
    }

    /// [`Log::get_ok`].
    pub(crate) async fn get_ok(&self, path: &str, what: &str) -> Result<Vec<u8>> {
        let r = self.get_with(path, None).await?;
        if r.status == 200 {
            return Ok(r.body);
        }
        Err(self.status_error(&r, path, what))
    }

    pub(crate) fn status_error(&self, r: &Reply, path: &str, what: &str) -> anyhow::Error {
        let detail = r.problem().map(|p| format!(": {p}")).unwrap_or_default();
        if r.status == 404 {
            fail(
                format!(
                    "the log at {} has no {what} ({path}: 404{detail})",
                    self.base()
                ),
                "check the URL and the entry id",
            )
        } else {
            fail(
                format!(
                    "the log at {} answered {} for {what} ({path}){detail}",
                    self.base(),
                    r.status
                ),
                "check the URL; is this an ashlog log?",
            )
        }
    }

    /// [`Log::tile`].
    pub(crate) async fn tile(&self, id: TileId) -> Result<Vec<u8>> {
        let path = format!("/{}", TilePath::Hash(id).to_path());
        let r = self.get_with(&path, None).await?;
        let mut body = if r.status == 200 {
            r.body
        } else if r.status == 404 && !id.is_full() {
            let full = TileId { width: 256, ..id };
            self.get_ok(&format!("/{}", TilePath::Hash(full).to_path()), "tile")
                .await?
        } else {
            return Err(self.status_error(&r, &path, "tile"));
        };
        if body.len() > id.byte_len() && !id.is_full() {
            body.truncate(id.byte_len());
        }
        Ok(body)
    }

    /// A bundle (statements or entries) at `index` with `width` entries.
    pub(crate) async fn bundle(&self, path: TilePath) -> Result<Vec<u8>> {
        let p = format!("/{}", path.to_path());
        self.get_ok(&p, "bundle").await
    }

    /// [`Log::post_statement`].
    pub(crate) async fn post_statement(&self, bytes: &[u8], wait_secs: u64) -> Result<Reply> {
        let path = "/entries";
        let resp = self
            .client
            .post(format!("{}{path}", self.base()))
            .header("content-type", "application/cose")
            .header(
                "accept",
                "application/cose, application/concise-problem-details+cbor",
            )
            .header("prefer", format!("wait={wait_secs}"))
            .timeout(Duration::from_secs(wait_secs + 30))
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(|e| self.unreachable(path, &e))?;
        self.read(path, resp).await
    }
}

/// A log at a URL.
pub(crate) struct Log {
    http: Http,
    rt: tokio::runtime::Runtime,
}

impl Log {
    pub(crate) fn new(url: LogUrl) -> Result<Log> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ashlog-http")
            .enable_all()
            .build()
            .map_err(|e| anyhow!("cannot start the HTTP client: {e}"))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ashlog/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow!("cannot set up the HTTP client: {e}"))?;
        let http = Http {
            client,
            base: url.0,
        };
        Ok(Log { http, rt })
    }

    pub(crate) fn base(&self) -> &str {
        self.http.base()
    }

    /// The async client, for work that keeps many requests in flight.
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// Spawns `f` on the client's runtime, whose thread also drives the
    /// sockets, so its requests need no thread hand-offs.
    pub(crate) fn spawn<F>(&self, f: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.rt.spawn(f)
    }

    /// GET with retries on connection errors, 5xx and 429 (honouring
    /// Retry-After). Any other status is returned to the caller.
    pub(crate) fn get_with(&self, path: &str, accept: Option<&str>) -> Result<Reply> {
        self.rt.block_on(self.http.get_with(path, accept))
    }

    pub(crate) fn get(&self, path: &str) -> Result<Reply> {
        self.get_with(path, None)
    }

    /// GET that must answer 200; `what` names the resource in errors.
    pub(crate) fn get_ok(&self, path: &str, what: &str) -> Result<Vec<u8>> {
        self.rt.block_on(self.http.get_ok(path, what))
    }

    pub(crate) fn status_error(&self, r: &Reply, path: &str, what: &str) -> anyhow::Error {
        self.http.status_error(r, path, what)
    }

    /// The published checkpoint note (unverified).
    pub(crate) fn checkpoint(&self) -> Result<Vec<u8>> {
        self.get_ok("/checkpoint", "published checkpoint")
    }

    /// The log's configuration (unverified: the log's own word).
    pub(crate) fn config(&self) -> Result<LogConfig> {
        let path = "/.well-known/transparency-configuration";
        let r = self.get_with(path, Some("application/json"))?;
        if r.status != 200 {
            return Err(self.status_error(&r, path, "transparency configuration"));
        }
        serde_json::from_slice(&r.body).map_err(|e| {
            fail(
                format!("the log's transparency configuration is not what ashlog expects: {e}"),
                "is this an ashlog log?",
            )
        })
    }

    /// A hash tile, exactly `id.byte_len()` bytes or an error. Falls back to
    /// the full tile (and keeps its prefix) if a partial one is gone.
    pub(crate) fn tile(&self, id: TileId) -> Result<Vec<u8>> {
        self.rt.block_on(self.http.tile(id))
    }

    /// POST a statement; no retries (the caller decides).
    pub(crate) fn post_statement(&self, bytes: &[u8], wait_secs: u64) -> Result<Reply> {
        self.rt.block_on(self.http.post_statement(bytes, wait_secs))
    }

    /// Fetches `path` until it answers 200, honouring 302 + Retry-After, for
    /// at most `timeout`.
    pub(crate) fn poll_ready(&self, path: &str, what: &str, timeout: Duration) -> Result<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.get(path)?;
            match r.status {
                200 => return Ok(r.body),
                302 | 202 => {
                    let wait = r
                        .retry_after()
                        .unwrap_or(Duration::from_millis(500))
                        .max(Duration::from_millis(100));
                    if Instant::now() + wait > deadline {
                        return Err(anyhow::Error::new(NetError(format!(
                            "{what} is still not published after {}s (the log is waiting for its witnesses) — try again later",
                            timeout.as_secs()
                        ))));
                    }
                    std::thread::sleep(wait);
                }
                _ => return Err(self.status_error(&r, path, what)),
            }
        }
    }
}
