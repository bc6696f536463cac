//! The HTTP surface (DESIGN §6): SCRAPI registration and receipts, C2SP
//! tiles and checkpoint, well-known keys and configuration, metrics.
//!
//! Handlers only translate; [`ServiceError`] maps to a status and a concise
//! problem-details title in one match ([`error_response`]).

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use ashlog::chain::ChainError;
use ashlog::statement::{MAX_STATEMENT_BYTES, StatementError};
use ashlog::tile::TilePath;
use futures_util::StreamExt as _;

use crate::registration::RegistrationError;
use crate::service::{LogService, Lookup, Registered, ServiceError};

/// Media type of concise problem details (RFC 9290).
pub const PROBLEM_CBOR: &str = "application/concise-problem-details+cbor";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Longest a client may take to send a statement's body once its head has
/// arrived (actix's `client_request_timeout` covers only the head). A
/// 64 KiB statement needs 13 KB/s to make it; a client slower than that is
/// more likely holding a connection open on purpose (slowloris) than
/// registering, and gets a 408.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A problem-details response: `{-1: title, -2: detail}`.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    let mut body = Vec::new();
    let _ = ciborium::ser::into_writer(
        &ciborium::Value::Map(vec![
            (
                ciborium::Value::from(-1),
                ciborium::Value::Text(title.into()),
            ),
            (
                ciborium::Value::from(-2),
                ciborium::Value::Text(detail.into()),
            ),
        ]),
        &mut body,
    );
    HttpResponse::build(status)
        .content_type(PROBLEM_CBOR)
        .body(body)
}

/// Status, title and Retry-After for an error: the one place they are
/// decided.
pub fn classify(e: &ServiceError) -> (StatusCode, &'static str, Option<u64>) {
    use RegistrationError as R;
    use StatementError as S;
    match e {
        ServiceError::Registration(r) => match r {
            R::Statement(S::TooLarge { .. }) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large", None)
            }
            R::Statement(S::UnsupportedAlgorithm(_)) => {
                (StatusCode::BAD_REQUEST, "Bad Signature Algorithm", None)
            }
            R::Statement(S::PayloadMissing) => (StatusCode::BAD_REQUEST, "Payload Missing", None),
            R::Statement(S::Signature(_)) => (StatusCode::BAD_REQUEST, "Invalid Signature", None),
            R::Statement(_) => (StatusCode::BAD_REQUEST, "Malformed request", None),
            R::KindNotAccepted(_) => (StatusCode::BAD_REQUEST, "Kind Not Accepted", None),
            R::Schema(_) => (StatusCode::BAD_REQUEST, "Schema Violation", None),
            R::FutureIat { .. } => (StatusCode::BAD_REQUEST, "Signing Time In The Future", None),
            R::NoChain => (StatusCode::BAD_REQUEST, "Certificate Chain Missing", None),
            R::Chain(c) => (
                StatusCode::BAD_REQUEST,
                match c {
                    ChainError::Expired { .. } => "Certificate Expired",
                    ChainError::NotYetValid { .. } => "Certificate Not Yet Valid",
                    ChainError::LeafLacksDigitalSignature | ChainError::LeafIsCa => {
                        "Certificate Not Allowed To Sign"
                    }
                    ChainError::Empty
                    | ChainError::TooLong { .. }
                    | ChainError::CertTooLarge { .. }
                    | ChainError::Malformed { .. } => "Malformed Certificate Chain",
                    _ => "Untrusted Certificate Chain",
                },
                None,
            ),
            R::IssuerMismatch(_) => (StatusCode::BAD_REQUEST, "Issuer Mismatch", None),
            R::RateLimited { retry_after, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                Some(*retry_after),
            ),
        },
        ServiceError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            Some(1),
        ),
        ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "Not Found", None),
        ServiceError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Invalid locator", None),
    }
}

/// The response for an error.
pub fn error_response(e: &ServiceError) -> HttpResponse {
    let (status, title, retry) = classify(e);
    let mut resp = problem(status, title, &e.to_string());
    if let Some(r) = retry
        && let Ok(v) = HeaderValue::from_str(&r.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

type Svc = web::Data<Arc<LogService>>;

fn cose(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/cose")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

fn pending(req: &HttpRequest) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, req.path().to_string()))
        .insert_header((header::RETRY_AFTER, "1"))
        .finish()
}

/// Parses `Prefer: wait=N` (RFC 7240), possibly among other preferences.
fn prefer_wait(req: &HttpRequest) -> Option<Duration> {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix("wait="))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .next()
}

async fn post_entries(req: HttpRequest, mut payload: web::Payload, svc: Svc) -> HttpResponse {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        media.as_str(),
        "application/cose" | "application/scitt-statement+cose" | "application/cbor"
    ) {
        svc.metrics.submission("unsupported_media_type");
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            "send the Signed Statement as application/cose",
        );
    }
    let too_large = || {
        svc.metrics.submission("too_large");
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            &format!("a Signed Statement is at most {MAX_STATEMENT_BYTES} bytes"),
        )
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > MAX_STATEMENT_BYTES as u64
    {
        return too_large();
    }
    let mut body = web::BytesMut::new();
    let read = tokio::time::timeout(BODY_READ_TIMEOUT, async {
        while let Some(chunk) = payload.next().await {
            match chunk {
                Ok(c) => {
                    if body.len() + c.len() > MAX_STATEMENT_BYTES {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&c);
                }
                Err(e) => {
                    return Err(problem(
                        StatusCode::BAD_REQUEST,
                        "Malformed request",
                        &format!("reading the body failed: {e}"),
                    ));
                }
            }
        }
        Ok(())
    })
    .await;
    match read {
        Ok(Ok(())) => {}
        Ok(Err(resp)) => return resp,
        Err(_) => {
            svc.metrics.submission("body_timeout");
            return problem(
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout",
                &format!(
                    "the body did not arrive within {} s",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            );
        }
    }
    match svc.register(&body, prefer_wait(&req)).await {
        Ok(Registered::Sequenced { id }) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/entries/{id}")))
            .insert_header((header::RETRY_AFTER, "1"))
            .finish(),
        Ok(Registered::WithReceipt { id, receipt }) => HttpResponse::Created()
            .content_type("application/cose")
            .insert_header((header::LOCATION, format!("/entries/{id}")))
            .body(receipt),
        Err(e) => error_response(&e),
    }
}

async fn get_entry(req: HttpRequest, id: web::Path<String>, svc: Svc) -> HttpResponse {
    match svc.receipt(&id) {
        Ok(Lookup::Ready(r)) => cose(r),
        Ok(Lookup::Pending) => pending(&req),
        Err(e) => error_response(&e),
    }
}

async fn get_statement(req: HttpRequest, id: web::Path<String>, svc: Svc) -> HttpResponse {
    match svc.transparent_statement(&id) {
        Ok(Lookup::Ready(r)) => cose(r),
        Ok(Lookup::Pending) => pending(&req),
        Err(e) => error_response(&e),
    }
}

async fn get_tlog_proof(req: HttpRequest, id: web::Path<String>, svc: Svc) -> HttpResponse {
    match svc.tlog_proof(&id) {
        Ok(Lookup::Ready(r)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(r),
        Ok(Lookup::Pending) => pending(&req),
        Err(e) => error_response(&e),
    }
}

async fn get_checkpoint(svc: Svc) -> HttpResponse {
    match svc.checkpoint() {
        Some(c) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            // Mutable: never cached beyond a moment.
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(c),
        None => problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            "no checkpoint has been published yet",
        ),
    }
}

async fn get_tile(req: HttpRequest, svc: Svc) -> HttpResponse {
    let path = match TilePath::parse(req.path()) {
        Ok(p) => p,
        Err(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid locator",
                "not a tile path",
            );
        }
    };
    if let TilePath::Statements { index, width } = path {
        return match svc.statement_bundle(index, width) {
            Ok(bundle) => HttpResponse::Ok()
                .content_type("application/octet-stream")
                .insert_header((header::CACHE_CONTROL, IMMUTABLE))
                .body(SizedStream::new(bundle.len(), bundle.into_stream())),
            Err(e) => error_response(&e),
        };
    }
    match svc.tile(&path) {
        Ok(bytes) => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .insert_header((header::CACHE_CONTROL, IMMUTABLE))
            .body(bytes),
        Err(e) => error_response(&e),
    }
}

async fn scitt_keys(svc: Svc) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/cbor")
        .body(svc.scitt_keys())
}

async fn scitt_key(kid: web::Path<String>, svc: Svc) -> HttpResponse {
    match svc.scitt_key(&kid) {
        Ok(k) => HttpResponse::Ok().content_type("application/cbor").body(k),
        Err(_) => problem(
            StatusCode::NOT_FOUND,
            "No such key",
            "No key could be found for this kid value",
        ),
    }
}

async fn configuration(req: HttpRequest, svc: Svc) -> HttpResponse {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(svc.configuration_json.clone())
    } else {
        HttpResponse::Ok()
            .content_type("application/cbor")
            .body(svc.configuration_cbor.clone())
    }
}

async fn metrics(svc: Svc) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(svc.metrics.render(svc.storage.disk_bytes()))
}

async fn healthz(svc: Svc) -> HttpResponse {
    if svc.healthy() {
        HttpResponse::Ok().content_type("text/plain").body("ok\n")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("storage unavailable\n")
    }
}

async fn index(svc: Svc) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!(
        "ashlog transparency log {}\n\nPOST /entries (application/cose), GET /entries/<id>, /checkpoint, /tile/..., /.well-known/transparency-configuration\nVerify statements with the ashlog CLI: ashlog policy fetch <this url>; ashlog verify <file.scitt>\n",
        svc.keys.origin
    ))
}

async fn not_found() -> HttpResponse {
    problem(StatusCode::NOT_FOUND, "Not Found", "no such resource")
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/entries", web::post().to(post_entries))
        .route("/entries/{id}", web::get().to(get_entry))
        .route("/entries/{id}/statement", web::get().to(get_statement))
        .route("/entries/{id}/tlog-proof", web::get().to(get_tlog_proof))
        .route("/checkpoint", web::get().to(get_checkpoint))
        .route("/tile/{tail:.*}", web::get().to(get_tile))
        .route("/statements/{tail:.*}", web::get().to(get_tile))
        .route("/.well-known/scitt-keys", web::get().to(scitt_keys))
        .route("/.well-known/scitt-keys/{kid}", web::get().to(scitt_key))
        .route(
            "/.well-known/transparency-configuration",
            web::get().to(configuration),
        )
        .route("/metrics", web::get().to(metrics))
        .route("/healthz", web::get().to(healthz))
        .default_service(web::to(not_found));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use actix_web::body::MessageBody as _;
    use ashlog::chain::CertRole;
    use ashlog::keys::KeyError;
    use ashlog::schema::SchemaError;

    use super::*;

    fn reg(e: RegistrationError) -> ServiceError {
        ServiceError::Registration(e)
    }

    fn expired() -> ChainError {
        ChainError::Expired {
            cert_index: 0,
            role: CertRole::Leaf,
            subject: "CN=Signer".into(),
            not_after: 10,
            at: 11,
        }
    }

    /// Every refusal with the status, title and Retry-After a client sees:
    /// the table DESIGN §6 promises, one row per way to be refused.
    #[test]
    fn every_error_has_its_status_title_and_retry_after() {
        use RegistrationError as R;
        use StatementError as S;
        let rows: Vec<(ServiceError, u16, &str, Option<u64>)> = vec![
            (
                reg(R::Statement(S::TooLarge {
                    len: 70_000,
                    max: 65_536,
                })),
                413,
                "Payload Too Large",
                None,
            ),
            (
                reg(R::Statement(S::UnsupportedAlgorithm("EdDSA".into()))),
                400,
                "Bad Signature Algorithm",
                None,
            ),
            (
                reg(R::Statement(S::PayloadMissing)),
                400,
                "Payload Missing",
                None,
            ),
            (
                reg(R::Statement(S::Signature(KeyError::BadSignature))),
                400,
                "Invalid Signature",
                None,
            ),
            (
                reg(R::Statement(S::CriticalHeaders)),
                400,
                "Malformed request",
                None,
            ),
            (
                reg(R::Statement(S::NotCoseSign1("tag 17".into()))),
                400,
                "Malformed request",
                None,
            ),
            (
                reg(R::KindNotAccepted("application/x".into())),
                400,
                "Kind Not Accepted",
                None,
            ),
            (
                reg(R::Schema(SchemaError::Malformed { reason: "x".into() })),
                400,
                "Schema Violation",
                None,
            ),
            (
                reg(R::FutureIat {
                    iat: 400,
                    ahead: 400,
                    skew: 300,
                }),
                400,
                "Signing Time In The Future",
                None,
            ),
            (reg(R::NoChain), 400, "Certificate Chain Missing", None),
            (reg(R::Chain(expired())), 400, "Certificate Expired", None),
            (
                reg(R::Chain(ChainError::NotYetValid {
                    cert_index: 0,
                    role: CertRole::Leaf,
                    subject: "CN=Signer".into(),
                    not_before: 10,
                    at: 9,
                })),
                400,
                "Certificate Not Yet Valid",
                None,
            ),
            (
                reg(R::Chain(ChainError::LeafIsCa)),
                400,
                "Certificate Not Allowed To Sign",
                None,
            ),
            (
                reg(R::Chain(ChainError::LeafLacksDigitalSignature)),
                400,
                "Certificate Not Allowed To Sign",
                None,
            ),
            (
                reg(R::Chain(ChainError::Empty)),
                400,
                "Malformed Certificate Chain",
                None,
            ),
            (
                reg(R::Chain(ChainError::TooLong { len: 9, max: 4 })),
                400,
                "Malformed Certificate Chain",
                None,
            ),
            (
                reg(R::Chain(ChainError::BadSignature {
                    cert_index: 1,
                    role: CertRole::Intermediate,
                    subject: "CN=CA".into(),
                    issuer: "CN=Root".into(),
                })),
                400,
                "Untrusted Certificate Chain",
                None,
            ),
            (
                reg(R::IssuerMismatch("https://a".into())),
                400,
                "Issuer Mismatch",
                None,
            ),
            (
                reg(R::RateLimited {
                    iss: "https://a".into(),
                    rate: 1.0,
                    retry_after: 7,
                }),
                429,
                "Too Many Requests",
                Some(7),
            ),
            (
                ServiceError::Unavailable("storage is read-only".into()),
                503,
                "Service Unavailable",
                Some(1),
            ),
            (
                ServiceError::NotFound("no entry".into()),
                404,
                "Not Found",
                None,
            ),
            (
                ServiceError::BadRequest("bad id".into()),
                400,
                "Invalid locator",
                None,
            ),
        ];
        for (e, status, title, retry) in rows {
            let (s, t, r) = classify(&e);
            assert_eq!((s.as_u16(), t, r), (status, title, retry), "{e:?}");
            // The response carries the same status and header, and a
            // problem-details body naming the title and the error's text.
            let resp = error_response(&e);
            assert_eq!(resp.status().as_u16(), status);
            assert_eq!(
                resp.headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                Some(PROBLEM_CBOR)
            );
            assert_eq!(
                resp.headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()),
                retry.map(|r| r.to_string()).as_deref(),
                "{e:?}"
            );
            let body = resp.into_body().try_into_bytes().unwrap();
            let v: ciborium::Value = ciborium::de::from_reader(&body[..]).unwrap();
            let map = v.into_map().unwrap();
            assert_eq!(map.len(), 2);
            assert_eq!(map[0].0, ciborium::Value::from(-1));
            assert_eq!(map[0].1, ciborium::Value::Text(title.into()));
            assert_eq!(map[1].0, ciborium::Value::from(-2));
            assert_eq!(map[1].1, ciborium::Value::Text(e.to_string()));
        }
    }

    #[test]
    fn prefer_wait_reads_the_wait_preference_among_others() {
        use actix_web::test::TestRequest;
        let r = TestRequest::default()
            .insert_header(("prefer", "respond-async, wait=5"))
            .to_http_request();
        assert_eq!(prefer_wait(&r), Some(Duration::from_secs(5)));
        let r = TestRequest::default()
            .insert_header(("prefer", "wait=-1"))
            .to_http_request();
        assert_eq!(prefer_wait(&r), None);
        assert_eq!(prefer_wait(&TestRequest::default().to_http_request()), None);
    }
}
