//! The HTTP surface (actix-web 4), and starting and stopping the server.
//!
//! | request | answer |
//! |---|---|
//! | `POST /add-checkpoint` | tlog-witness: 200 cosignature line(s), or 400/403/404/408/409/413/422/500 |
//! | `GET /<hex sha256(origin)>/checkpoint` | the latest cosigned checkpoint note, 404 if none |
//! | `GET /evidence` | JSON array of [`crate::evidence::Evidence`], newest first |
//! | `GET /healthz` | 200 `ok` |
//! | `GET /metrics` | Prometheus text exposition |
//!
//! Every error of add-checkpoint is an [`AddError`]; its `ResponseError`
//! implementation below is the one place that maps variants to statuses.
//! Bodies are short plain text saying why, except the 409, whose body is
//! exactly `<held size>\n` with `Content-Type: text/x.tlog.size`, as the
//! spec requires.
//!
//! The server runs inside the caller's tokio runtime (actix-web 4 supports
//! that: its workers get their own single-threaded runtimes on their own
//! threads). Protocol work, which blocks on fsync, runs on the blocking pool
//! through `web::block`, never on a worker's event loop. OS signal handling
//! is left to the caller (`main` handles SIGTERM and SIGINT), so several
//! witnesses can share one process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::dev::ServerHandle;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{App, FromRequest, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use ashlog_tlog::add_checkpoint;
use tracing::{error, info, warn};

use crate::add_checkpoint::{
    AddError, MAX_BODY_BYTES, StateError, WitnessState, process_add_checkpoint,
};
use crate::config::{Config, ConfigError, KeyFileError};
use crate::store::{RedbStore, StoreError};

/// Content type of a 409 body (tlog-witness).
pub const TLOG_SIZE_CONTENT_TYPE: &str = add_checkpoint::SIZE_CONTENT_TYPE;
const TEXT: &str = "text/plain; charset=utf-8";

impl ResponseError for AddError {
    fn status_code(&self) -> StatusCode {
        match self {
            AddError::Malformed(_) | AddError::OldLargerThanSize { .. } => StatusCode::BAD_REQUEST,
            AddError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AddError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            AddError::UnknownOrigin(_) => StatusCode::NOT_FOUND,
            AddError::BadLogSignature(_) => StatusCode::FORBIDDEN,
            AddError::StaleOld { .. } => StatusCode::CONFLICT,
            AddError::EmptyTreeWrongRoot
            | AddError::ProofFromEmptyTree
            | AddError::SameSizeDifferentRoot { .. }
            | AddError::BadConsistencyProof { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AddError::Storage(_) | AddError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match self {
            // The spec's machine-readable body, nothing else.
            AddError::StaleOld { held, .. } => {
                return HttpResponse::build(status)
                    .insert_header((CONTENT_TYPE, TLOG_SIZE_CONTENT_TYPE))
                    .body(add_checkpoint::format_size(*held));
            }
            // Internal details stay in the witness's log.
            AddError::Storage(_) | AddError::Internal(_) => {
                "internal error; nothing was cosigned (see the witness log)".to_string()
            }
            e => e.to_string(),
        };
        HttpResponse::build(status)
            .insert_header((CONTENT_TYPE, TEXT))
            .body(format!("{}: {body}\n", status.as_u16()))
    }
}

/// Maps a failure to read the body (from the `Bytes` extractor, which
/// applies the `PayloadConfig` limit, checking Content-Length before reading
/// anything) to the add-checkpoint error.
fn payload_error(e: &actix_web::Error) -> AddError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => AddError::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        },
        _ => AddError::Malformed("the request body could not be read"),
    }
}

/// Longest a client may take to send an add-checkpoint body once its head
/// has arrived (actix's `client_request_timeout` covers only the head). A
/// 128 KiB body needs 26 KB/s to make it; a client slower than that is
/// more likely holding a connection open on purpose (slowloris) than
/// pushing a checkpoint, and gets a 408.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(5);

async fn add_checkpoint(
    state: web::Data<WitnessState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AddError> {
    // The `Bytes` extractor (with the `PayloadConfig` limit, which checks
    // Content-Length before reading anything), under a deadline.
    let mut payload = payload.into_inner();
    let body = tokio::time::timeout(
        BODY_READ_TIMEOUT,
        <web::Bytes as FromRequest>::from_request(&req, &mut payload),
    )
    .await;
    let result = match body {
        Err(_) => Err(AddError::BodyTimeout {
            secs: BODY_READ_TIMEOUT.as_secs(),
        }),
        Ok(Err(e)) => Err(payload_error(&e)),
        Ok(Ok(body)) => {
            let st = state.clone();
            web::block(move || process_add_checkpoint(&st, &body, SystemTime::now()))
                .await
                .unwrap_or_else(|_| Err(AddError::Internal("blocking pool failed".into())))
        }
    };
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(e) => e.status_code(),
    };
    state.metrics().count_add_checkpoint(status.as_u16());
    let outcome = result?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, TEXT))
        .body(outcome.response_body()))
}

fn text(status: StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, TEXT))
        .body(format!("{}: {body}\n", status.as_u16()))
}

fn internal(e: &dyn std::fmt::Display) -> HttpResponse {
    error!(error = %e, "request failed");
    text(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

async fn checkpoint(state: web::Data<WitnessState>, path: web::Path<String>) -> HttpResponse {
    let hash = path.into_inner();
    if hash.len() != 64
        || !hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return text(
            StatusCode::NOT_FOUND,
            "not a lowercase hex SHA-256 of a log origin",
        );
    }
    let st = state.clone();
    match web::block(move || st.checkpoint_by_origin_hash(&hash)).await {
        Ok(Ok(Some(note))) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, TEXT))
            .insert_header((CACHE_CONTROL, "no-cache"))
            .body(note),
        Ok(Ok(None)) => text(
            StatusCode::NOT_FOUND,
            "this witness has cosigned no checkpoint for that log",
        ),
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e),
    }
}

async fn evidence(state: web::Data<WitnessState>) -> HttpResponse {
    let st = state.clone();
    let list = web::block(move || st.store().evidence()).await;
    match list {
        Ok(Ok(list)) => match serde_json::to_vec_pretty(&list) {
            Ok(json) => HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, "application/json"))
                .insert_header((CACHE_CONTROL, "no-cache"))
                .body(json),
            Err(e) => internal(&e),
        },
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, TEXT))
        .body("ok")
}

async fn metrics(state: web::Data<WitnessState>) -> HttpResponse {
    let st = state.clone();
    let stored = web::block(move || st.store().evidence_count())
        .await
        .ok()
        .and_then(Result::ok);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(state.metrics().render(stored))
}

async fn not_found() -> HttpResponse {
    text(StatusCode::NOT_FOUND, "no such endpoint")
}

/// Registers the routes and their shared state on an actix `App`.
pub fn routes(state: web::Data<WitnessState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(state)
            .service(
                web::resource("/add-checkpoint")
                    .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                    .route(web::post().to(add_checkpoint)),
            )
            .route("/healthz", web::get().to(healthz))
            .route("/metrics", web::get().to(metrics))
            .route("/evidence", web::get().to(evidence))
            .route("/{origin_hash}/checkpoint", web::get().to(checkpoint))
            .default_service(web::to(not_found));
    }
}

/// Why [`start`] failed. Each message says what to fix.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key file is missing or unreadable.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The database could not be opened.
    #[error(
        "cannot open the witness database: {0} (is another ashlog-witness using it? is the disk full or read-only?)"
    )]
    Store(#[from] StoreError),
    /// The witness state could not be built.
    #[error(transparent)]
    State(#[from] StateError),
    /// The listener could not be used.
    #[error("cannot serve on the listener: {0}")]
    Listen(#[from] std::io::Error),
}

/// A witness serving in the current tokio runtime. Stop it with
/// [`RunningWitness::stop`]; dropping it stops the server forcibly.
pub struct RunningWitness {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its cosignature vkey.
    pub vkey: String,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    closed: tokio::sync::oneshot::Receiver<()>,
}

impl std::fmt::Debug for RunningWitness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningWitness")
            .field("addr", &self.addr)
            .field("vkey", &self.vkey)
            .finish_non_exhaustive()
    }
}

/// Starts serving on an already-bound listener inside the current tokio
/// runtime; returns once the listener is handed to the server (connections
/// queue in the kernel until the acceptor picks them up). Opens the
/// database; fails if it is in use by another witness.
pub async fn start(
    config: Config,
    listener: std::net::TcpListener,
) -> Result<RunningWitness, StartError> {
    config.check()?;
    let logs = config.log_keys()?;
    let key_path = config.key_path();
    warn_if_key_readable_by_others(&key_path);
    let key = config.load_key()?;
    let db_path = config.database_path();
    let store = tokio::task::spawn_blocking(move || RedbStore::open(&db_path))
        .await
        .map_err(|e| StartError::Listen(std::io::Error::other(e)))??;
    // The sender drops when the database has closed, which tells `stop`
    // that the file can be opened again. Watching the state's `Arc` is not
    // enough: its strong count reaches zero before the last owner has
    // finished dropping the state and closing the file, and a reopen in that
    // window fails with "database already open".
    let (closed_tx, closed) = tokio::sync::oneshot::channel::<()>();
    let store = store.drop_after_close(closed_tx);
    let state = Arc::new(WitnessState::new(&config.name, key, logs, Box::new(store))?);
    let addr = listener.local_addr()?;
    let vkey = state.vkey().to_string();
    let data = web::Data::from(Arc::clone(&state));
    let server = HttpServer::new(move || App::new().configure(routes(data.clone())))
        .workers(config.workers)
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    info!(
        %addr,
        name = %config.name,
        vkey = %vkey,
        logs = state.origins().count(),
        "witness serving"
    );
    Ok(RunningWitness {
        addr,
        vkey,
        handle,
        task,
        closed,
    })
}

#[cfg(unix)]
fn warn_if_key_readable_by_others(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        warn!(path = %path.display(), "witness key is readable by other users; run chmod 600 on it");
    }
}

#[cfg(not(unix))]
fn warn_if_key_readable_by_others(_path: &std::path::Path) {}

impl RunningWitness {
    /// Stops accepting, lets requests in flight finish (at most 10 s), and
    /// returns once the server and its database are closed, so the same
    /// database can be opened again.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        Self::finish(self.task, self.closed).await;
    }

    /// Serves until `shutdown` completes (then stops gracefully) or the
    /// server fails on its own (then returns its error).
    pub async fn serve_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        tokio::select! {
            () = shutdown => {
                info!("shutting down");
                self.stop().await;
                Ok(())
            }
            res = &mut self.task => {
                match res {
                    Ok(Ok(())) => Err(std::io::Error::other("server stopped unexpectedly")),
                    Ok(Err(e)) => Err(e),
                    Err(e) => Err(std::io::Error::other(e)),
                }
            }
        }
    }

    async fn finish(
        task: tokio::task::JoinHandle<std::io::Result<()>>,
        closed: tokio::sync::oneshot::Receiver<()>,
    ) {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "server ended with an error"),
            Err(e) => warn!(error = %e, "server task failed"),
        }
        // Worker threads drop their copies of the state as they exit; the
        // last one closes the database and with it the sender.
        if tokio::time::timeout(Duration::from_secs(5), closed)
            .await
            .is_err()
        {
            warn!("witness state still referenced after shutdown; database may still be open");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::test_log::{KeyKind, TestLog, witness_with_store};
    use actix_web::body::to_bytes;
    use actix_web::test::{TestRequest, call_service, init_service};
    use ashlog_tlog::keys::Ed25519SigningKey;
    use ashlog_tlog::note::{Note, NoteSignature};
    use ashlog_tlog::vkey::VerifierKey;

    const ORIGIN: &str = "log.example.org/ashlog/1";

    fn state(log: &TestLog) -> web::Data<WitnessState> {
        let key = Ed25519SigningKey::generate().unwrap();
        web::Data::new(witness_with_store(
            &key,
            &[log],
            Box::<MemoryStore>::default(),
        ))
    }

    #[actix_web::test]
    async fn http_maps_each_outcome_to_its_status_and_body() {
        let log = TestLog::new(KeyKind::P256, ORIGIN, 10, "a");
        let st = state(&log);
        let app = init_service(App::new().configure(routes(st.clone()))).await;
        let post = |body: Vec<u8>| {
            TestRequest::post()
                .uri("/add-checkpoint")
                .set_payload(body)
                .to_request()
        };

        let resp = call_service(&app, post(log.body(0, 5))).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers().get(CONTENT_TYPE).unwrap(), TEXT);
        let line = String::from_utf8(to_bytes(resp.into_body()).await.unwrap().to_vec()).unwrap();
        let mut n = Note::parse(log.note(5).as_bytes()).unwrap();
        n.add_signature(NoteSignature::parse_line(&line).unwrap())
            .unwrap();
        n.verify(&[VerifierKey::parse(st.vkey()).unwrap()]).unwrap();

        let resp = call_service(&app, post(log.body(0, 8))).await;
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(
            resp.headers().get(CONTENT_TYPE).unwrap(),
            TLOG_SIZE_CONTENT_TYPE
        );
        assert_eq!(to_bytes(resp.into_body()).await.unwrap(), "5\n");

        let other = TestLog::new(KeyKind::P256, "other.example/log", 5, "a");
        let fork = log.fork(10, "b");
        let mut bad = log.proof(5, 9);
        bad[0].0[0] ^= 1;
        for (body, status) in [
            (other.body(0, 5), StatusCode::NOT_FOUND),
            (b"old 1\n".to_vec(), StatusCode::BAD_REQUEST),
            (
                TestLog::body_with(6, &[], &log.note(5)),
                StatusCode::BAD_REQUEST,
            ),
            (
                TestLog {
                    origin: ORIGIN.into(),
                    signer: crate::test_log::signer(KeyKind::P256, ORIGIN),
                    tree: log.tree.clone(),
                }
                .body(5, 9),
                StatusCode::FORBIDDEN,
            ),
            (
                TestLog::body_with(5, &bad, &log.note(9)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (fork.body(5, 5), StatusCode::UNPROCESSABLE_ENTITY),
            (
                vec![b'x'; MAX_BODY_BYTES + 1],
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ] {
            let resp = call_service(&app, post(body)).await;
            assert_eq!(resp.status(), status);
            assert_eq!(resp.headers().get(CONTENT_TYPE).unwrap(), TEXT);
            let body = to_bytes(resp.into_body()).await.unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            assert!(
                body.starts_with(&format!("{}: ", status.as_u16())),
                "{body}"
            );
            assert!(body.ends_with('\n'));
        }

        let metrics = call_service(&app, TestRequest::get().uri("/metrics").to_request()).await;
        let text =
            String::from_utf8(to_bytes(metrics.into_body()).await.unwrap().to_vec()).unwrap();
        for (code, n) in [
            (200, 1),
            (409, 1),
            (404, 1),
            (400, 2),
            (403, 1),
            (422, 2),
            (413, 1),
        ] {
            assert!(
                text.contains(&format!(
                    "ashlog_witness_add_checkpoint_requests_total{{code=\"{code}\"}} {n}\n"
                )),
                "{code}: {text}"
            );
        }
        assert!(
            text.contains("ashlog_witness_evidence_stored 2\n"),
            "{text}"
        );
        assert!(text.contains(&format!(
            "ashlog_witness_log_size{{origin=\"{ORIGIN}\"}} 5\n"
        )));
    }

    #[actix_web::test]
    async fn http_serves_checkpoint_evidence_and_health() {
        let log = TestLog::new(KeyKind::Ed25519, ORIGIN, 10, "a");
        let st = state(&log);
        let app = init_service(App::new().configure(routes(st.clone()))).await;
        let hash = crate::add_checkpoint::origin_hash(ORIGIN);
        let get = |uri: String| TestRequest::get().uri(&uri).to_request();

        let resp = call_service(&app, get(format!("/{hash}/checkpoint"))).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let resp = call_service(&app, get("/evidence".into())).await;
        assert_eq!(to_bytes(resp.into_body()).await.unwrap(), "[]");

        let resp = call_service(
            &app,
            TestRequest::post()
                .uri("/add-checkpoint")
                .set_payload(log.body(0, 5))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let resp = call_service(
            &app,
            TestRequest::post()
                .uri("/add-checkpoint")
                .set_payload(log.fork(5, "b").body(5, 5))
                .to_request(),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let resp = call_service(&app, get(format!("/{hash}/checkpoint"))).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers().get(CACHE_CONTROL).unwrap(), "no-cache");
        let note = to_bytes(resp.into_body()).await.unwrap();
        assert_eq!(Some(note.to_vec()), st.store().latest(ORIGIN).unwrap());
        let resp = call_service(&app, get(format!("/{}/checkpoint", hash.to_uppercase()))).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);

        let resp = call_service(&app, get("/evidence".into())).await;
        assert_eq!(
            resp.headers().get(CONTENT_TYPE).unwrap(),
            "application/json"
        );
        let list: Vec<crate::evidence::Evidence> =
            serde_json::from_slice(&to_bytes(resp.into_body()).await.unwrap()).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].stored_note.as_bytes(), &note[..]);

        let resp = call_service(&app, get("/healthz".into())).await;
        assert_eq!(to_bytes(resp.into_body()).await.unwrap(), "ok");
        let resp = call_service(&app, get("/nope".into())).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn http_start_serves_in_tokio_and_stop_closes_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let report = crate::config::init(dir.path(), "witness.example.org/w1").unwrap();
        let config = Config::load(&report.config_path).unwrap();
        for _ in 0..2 {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let running = start(config.clone(), listener).await.unwrap();
            assert_eq!(running.vkey, report.vkey);
            let addr = running.addr;
            let resp = tokio::task::spawn_blocking(move || {
                use std::io::{Read, Write};
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .unwrap();
                let mut out = String::new();
                s.read_to_string(&mut out).unwrap();
                out
            })
            .await
            .unwrap();
            assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
            assert!(resp.ends_with("ok"), "{resp}");
            // The second round reopens the same database in this process.
            running.stop().await;
        }
    }
}
