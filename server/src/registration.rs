//! Registration: the log's own rules around the library's one acceptance
//! check ([`ashlog::verify::accept_statement`], the same check `ashlog
//! verify` and the auditor's replay run), before a statement may be
//! sequenced.
//!
//! 1. strict CBOR and the COSE profile (alg ES256, headers, attached payload);
//! 2. content type names a kind this log accepts (the log's rule);
//! 3. `iat` not in the future beyond the allowed skew (the log's rule);
//! 4. the acceptance check: the x5chain validates to a configured trust
//!    anchor, the leaf valid at `iat` and now (through the library's chain
//!    cache, so the hot path re-checks times, not signatures); the leaf
//!    carries a URI SAN equal to `iss`; the ES256 signature verifies with
//!    the leaf key; the payload validates against its kind's schema;
//! 5. the issuer is within its rate (the log's rule).
//!
//! Nothing here touches storage: a rejection changes nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use ashlog::chain::{ChainCache, ChainError, Lookup, TrustAnchors};
use ashlog::keys::KeyError;
use ashlog::merkle::Hash;
use ashlog::schema::{Kind, SchemaError, Statement};
use ashlog::statement::{SignedStatement, StatementError};
use ashlog::verify::{AcceptedStatement, ChainTimes, VerifyError, accept_statement};

use crate::metrics::Metrics;

/// Most issuers tracked by the rate limiter before stale ones are dropped.
const RATE_TABLE_MAX: usize = 65536;

/// Why a statement was not registered. Every variant is a 4xx.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Not a COSE_Sign1 of this profile.
    #[error(transparent)]
    Statement(#[from] StatementError),
    /// The content type names no kind, or one this log does not accept.
    #[error("content type {0:?} is not a statement kind this log accepts")]
    KindNotAccepted(String),
    /// The payload fails its kind's schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// `iat` is too far in the future.
    #[error("iat {iat} is {ahead} s in the future (at most {skew} s allowed)")]
    FutureIat {
        /// The claimed signing time.
        iat: i64,
        /// How far ahead of the server clock.
        ahead: i64,
        /// The allowed skew.
        skew: i64,
    },
    /// The statement carries a kid instead of a certificate chain.
    #[error("agency statements must carry an x5chain (header 33)")]
    NoChain,
    /// The certificate chain fails.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The leaf certificate does not name `iss`.
    #[error("the signing certificate has no URI subject alternative name equal to iss {0:?}")]
    IssuerMismatch(String),
    /// The issuer exceeded its rate.
    #[error("issuer {iss} exceeded {rate} statements per second")]
    RateLimited {
        /// The issuer.
        iss: String,
        /// Its rate.
        rate: f64,
        /// Seconds until a token is available.
        retry_after: u64,
    },
}

impl RegistrationError {
    /// The registration error for a failed acceptance check: the same
    /// variants (and so the same statuses and titles) as before the check
    /// moved into the library.
    fn from_acceptance(e: VerifyError) -> RegistrationError {
        match e {
            VerifyError::UnknownKind(ct) => RegistrationError::KindNotAccepted(ct),
            VerifyError::NoChain => RegistrationError::NoChain,
            VerifyError::Chain(c) => RegistrationError::Chain(c),
            VerifyError::IssuerMismatch(iss) => RegistrationError::IssuerMismatch(iss),
            VerifyError::Schema(s) => RegistrationError::Schema(s),
            VerifyError::Statement(s) => RegistrationError::Statement(s),
            // The only other failure of the acceptance check.
            _ => RegistrationError::Statement(StatementError::Signature(KeyError::BadSignature)),
        }
    }

    /// A short stable label for metrics.
    pub fn kind(&self) -> String {
        match self {
            RegistrationError::Statement(e) => format!("statement_{}", e.kind()),
            RegistrationError::KindNotAccepted(_) => "kind_not_accepted".into(),
            RegistrationError::Schema(e) => format!("schema_{}", e.kind()),
            RegistrationError::FutureIat { .. } => "future_iat".into(),
            RegistrationError::NoChain => "no_chain".into(),
            RegistrationError::Chain(e) => format!("chain_{}", e.kind()),
            RegistrationError::IssuerMismatch(_) => "issuer_mismatch".into(),
            RegistrationError::RateLimited { .. } => "rate_limited".into(),
        }
    }
}

/// A statement that passed every check.
#[derive(Debug)]
pub struct Accepted {
    /// Parsed statement.
    pub statement: SignedStatement,
    /// Its kind.
    pub kind: Kind,
    /// Its content, decoded and validated.
    pub payload: Statement,
    /// The registered bytes (empty unprotected header).
    pub registered: Vec<u8>,
    /// SHA-256 of the registered bytes: the log entry.
    pub entry: Hash,
}

/// Registration settings.
#[derive(Clone, Debug)]
pub struct RegistrationSettings {
    /// Kinds accepted through POST /entries.
    pub accepted: Vec<Kind>,
    /// Allowed future skew of iat, seconds.
    pub max_skew_secs: i64,
    /// Per-issuer token rate.
    pub issuer_rate: f64,
    /// Per-issuer bucket size.
    pub issuer_burst: f64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The registration policy in force.
pub struct Registrar {
    anchors: TrustAnchors,
    settings: RegistrationSettings,
    cache: ChainCache,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Registrar {
    /// A registrar for these anchors and settings.
    pub fn new(anchors: TrustAnchors, settings: RegistrationSettings) -> Self {
        Registrar {
            anchors,
            settings,
            cache: ChainCache::default(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The trust anchors.
    pub fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// Runs every check on `body` at time `now` (unix seconds). Ok means the
    /// statement may be sequenced.
    pub fn check(
        &self,
        body: &[u8],
        now: i64,
        metrics: &Metrics,
    ) -> Result<Accepted, RegistrationError> {
        let statement = SignedStatement::parse(body)?;
        let kind = Kind::from_content_type(&statement.content_type)
            .filter(|k| self.settings.accepted.contains(k))
            .ok_or_else(|| RegistrationError::KindNotAccepted(statement.content_type.clone()))?;
        let ahead = statement.iat - now;
        if ahead > self.settings.max_skew_secs {
            return Err(RegistrationError::FutureIat {
                iat: statement.iat,
                ahead,
                skew: self.settings.max_skew_secs,
            });
        }
        let accepted = accept_statement(
            &statement,
            &self.anchors,
            ChainTimes::AtSigningAndNow(now),
            Some(&self.cache),
        )
        .map_err(RegistrationError::from_acceptance)?;
        match accepted.lookup {
            Some(Lookup::Hit) => metrics.chain_cache_hits.add(1),
            _ => metrics.chain_cache_misses.add(1),
        }
        self.take_token(&statement.iss, now)?;
        let registered = statement.registered_bytes();
        let entry = Hash(
            sha2::Digest::finalize(sha2::Digest::chain_update(
                sha2::Sha256::default(),
                &registered,
            ))
            .into(),
        );
        let AcceptedStatement { payload, .. } = accepted;
        Ok(Accepted {
            statement,
            kind,
            payload,
            registered,
            entry,
        })
    }

    fn take_token(&self, iss: &str, _now: i64) -> Result<(), RegistrationError> {
        let rate = self.settings.issuer_rate;
        let burst = self.settings.issuer_burst;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= RATE_TABLE_MAX {
            buckets.retain(|_, b| b.at.elapsed().as_secs_f64() * rate < burst);
        }
        let now = Instant::now();
        let b = buckets.entry(iss.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        if b.tokens < 1.0 {
            let retry_after = ((1.0 - b.tokens) / rate).ceil().max(1.0) as u64;
            return Err(RegistrationError::RateLimited {
                iss: iss.to_string(),
                rate,
                retry_after,
            });
        }
        b.tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use ashlog::chain::ChainError;
    use ashlog::keys::P256SigningKey;
    use ashlog::pki::{Authority, LeafOptions, Name};
    use ashlog::schema::{Document, fixtures};
    use ashlog::statement::{SignerId, StatementHeader};

    use super::*;

    /// Signing time of every statement here; the log's clock is `T` too
    /// unless a test moves it.
    const T: i64 = 1_764_000_000;
    const ISS: &str = "https://dsj.wuxi.gov.cn";
    const DAY: i64 = 86_400;

    fn name(cn: &str) -> Name {
        Name {
            common_name: cn.into(),
            organization: "ashlog registration tests".into(),
            country: "CN".into(),
        }
    }

    /// A root, an agency CA under it and a signer whose leaf is valid
    /// `[not_before, not_after]`.
    struct Agency {
        root: Authority,
        ca: Authority,
        key: P256SigningKey,
        leaf: Vec<u8>,
    }

    impl Agency {
        fn new(not_before: i64, not_after: i64) -> Agency {
            Agency::with(ISS, not_before, not_after, &LeafOptions::default())
        }

        fn with(uri_san: &str, not_before: i64, not_after: i64, o: &LeafOptions) -> Agency {
            let root = Authority::new_root(&name("Root"), T - 3650 * DAY, T + 3650 * DAY).unwrap();
            let ca = root
                .new_intermediate(&name("Agency CA"), T - 3650 * DAY, T + 3650 * DAY)
                .unwrap();
            let key = P256SigningKey::generate().unwrap();
            let leaf = ca
                .issue_with(&key, &name("Signer"), uri_san, not_before, not_after, o)
                .unwrap();
            Agency {
                root,
                ca,
                key,
                leaf,
            }
        }

        fn anchors(&self) -> TrustAnchors {
            TrustAnchors::from_pem(&self.root.cert_pem()).unwrap()
        }

        fn header(&self, fixture: &str, iss: &str, iat: i64) -> (StatementHeader, Vec<u8>) {
            let doc = Document::from_toml(fixture).unwrap();
            (
                StatementHeader {
                    content_type: doc.envelope.kind.content_type().to_string(),
                    iss: iss.into(),
                    sub: doc.envelope.subject.clone(),
                    iat,
                    signer: SignerId::X5Chain(vec![self.leaf.clone(), self.ca.cert_der().to_vec()]),
                },
                doc.statement.to_cbor(),
            )
        }

        /// The Wuxi destruction, signed at `iat` as `iss`.
        fn statement(&self, iss: &str, iat: i64) -> Vec<u8> {
            let (h, payload) = self.header(fixtures::WUXI_DESTRUCTION, iss, iat);
            h.sign(&payload, &self.key)
        }
    }

    fn settings() -> RegistrationSettings {
        RegistrationSettings {
            accepted: vec![
                Kind::Destruction,
                Kind::Takedown,
                Kind::Endorsement,
                Kind::Correction,
            ],
            max_skew_secs: 300,
            issuer_rate: 1000.0,
            issuer_burst: 1000.0,
        }
    }

    fn check_with(
        agency: &Agency,
        s: RegistrationSettings,
        body: &[u8],
        now: i64,
    ) -> Result<Accepted, RegistrationError> {
        Registrar::new(agency.anchors(), s).check(body, now, &Metrics::default())
    }

    fn check(agency: &Agency, body: &[u8], now: i64) -> Result<Accepted, RegistrationError> {
        check_with(agency, settings(), body, now)
    }

    #[test]
    fn accepts_a_good_statement_and_names_its_entry() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let body = a.statement(ISS, T);
        let ok = check(&a, &body, T).unwrap();
        assert_eq!(ok.kind, Kind::Destruction);
        assert_eq!(ok.statement.iss, ISS);
        // The entry is SHA-256 of the registered bytes, which are the
        // submitted bytes (already with an empty unprotected header).
        assert_eq!(ok.registered, body);
        let digest: [u8; 32] =
            sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &body))
                .into();
        assert_eq!(ok.entry, Hash(digest));
    }

    #[test]
    fn garbage_and_tampering_are_statement_errors() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        assert!(matches!(
            check(&a, b"not cbor", T),
            Err(RegistrationError::Statement(_))
        ));
        // One flipped bit in the signature (the last bytes of the body).
        let mut body = a.statement(ISS, T);
        let last = body.len() - 1;
        body[last] ^= 1;
        assert!(matches!(
            check(&a, &body, T),
            Err(RegistrationError::Statement(StatementError::Signature(_)))
        ));
    }

    #[test]
    fn a_kind_the_log_does_not_accept_is_refused_before_any_crypto() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let (h, payload) = a.header(fixtures::WUXI_TAKEDOWN, ISS, T);
        let body = h.sign(&payload, &a.key);
        let mut s = settings();
        s.accepted = vec![Kind::Destruction];
        let e = check_with(&a, s, &body, T).unwrap_err();
        assert!(
            matches!(e, RegistrationError::KindNotAccepted(ref ct) if ct == Kind::Takedown.content_type())
        );
        assert_eq!(e.kind(), "kind_not_accepted");
        // An unknown content type is the same refusal.
        let mut h2 = h;
        h2.content_type = "application/x-unknown".into();
        let e = check(&a, &h2.sign(&payload, &a.key), T).unwrap_err();
        assert!(matches!(e, RegistrationError::KindNotAccepted(_)));
    }

    #[test]
    fn iat_may_be_ahead_by_the_skew_and_not_a_second_more() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        assert!(check(&a, &a.statement(ISS, T + 300), T).is_ok());
        match check(&a, &a.statement(ISS, T + 301), T) {
            Err(RegistrationError::FutureIat { iat, ahead, skew }) => {
                assert_eq!((iat, ahead, skew), (T + 301, 301, 300));
            }
            other => panic!("expected FutureIat, got {other:?}"),
        }
    }

    #[test]
    fn the_leaf_must_be_valid_at_signing_and_now() {
        // Valid when signed, expired by the time it reaches the log.
        let a = Agency::new(T - DAY, T + DAY);
        let body = a.statement(ISS, T);
        assert!(check(&a, &body, T + DAY).is_ok());
        let e = check(&a, &body, T + DAY + 1).unwrap_err();
        assert!(
            matches!(e, RegistrationError::Chain(ChainError::Expired { .. })),
            "{e:?}"
        );
        assert_eq!(e.kind(), "chain_cert_expired");
        // Signed before the leaf's window opened.
        let b = Agency::new(T + 10, T + DAY);
        let e = check(&b, &b.statement(ISS, T), T + 20).unwrap_err();
        assert!(
            matches!(e, RegistrationError::Chain(ChainError::NotYetValid { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn a_chain_to_another_root_is_untrusted() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let other = Agency::new(T - DAY, T + 365 * DAY);
        let e = Registrar::new(other.anchors(), settings())
            .check(&a.statement(ISS, T), T, &Metrics::default())
            .unwrap_err();
        assert!(matches!(e, RegistrationError::Chain(_)), "{e:?}");
        assert!(!matches!(
            e,
            RegistrationError::Chain(ChainError::Expired { .. } | ChainError::Malformed { .. })
        ));
    }

    #[test]
    fn iss_must_be_the_leafs_uri_san() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let e = check(&a, &a.statement("https://other.gov.cn", T), T).unwrap_err();
        assert!(
            matches!(e, RegistrationError::IssuerMismatch(ref i) if i == "https://other.gov.cn")
        );
        assert_eq!(e.kind(), "issuer_mismatch");
    }

    #[test]
    fn a_leaf_without_digital_signature_may_not_sign() {
        let a = Agency::with(
            ISS,
            T - DAY,
            T + 365 * DAY,
            &LeafOptions {
                digital_signature: false,
            },
        );
        let e = check(&a, &a.statement(ISS, T), T).unwrap_err();
        assert!(
            matches!(
                e,
                RegistrationError::Chain(ChainError::LeafLacksDigitalSignature)
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_kid_instead_of_a_chain_is_refused() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let (mut h, payload) = a.header(fixtures::WUXI_DESTRUCTION, ISS, T);
        h.signer = SignerId::Kid(b"agency-key-1".to_vec());
        let e = check(&a, &h.sign(&payload, &a.key), T).unwrap_err();
        assert!(matches!(e, RegistrationError::NoChain), "{e:?}");
    }

    #[test]
    fn a_signed_payload_that_fails_its_schema_is_refused() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let (h, _) = a.header(fixtures::WUXI_DESTRUCTION, ISS, T);
        // Well-signed, well-formed CBOR, not a destruction statement.
        let e = check(&a, &h.sign(&[0xa1, 0x01, 0x02], &a.key), T).unwrap_err();
        assert!(matches!(e, RegistrationError::Schema(_)), "{e:?}");
        assert!(e.kind().starts_with("schema_"));
    }

    #[test]
    fn each_issuer_has_its_own_bucket_and_the_refusal_says_when_to_retry() {
        let a = Agency::new(T - DAY, T + 365 * DAY);
        let mut s = settings();
        s.issuer_rate = 0.01;
        s.issuer_burst = 2.0;
        let r = Registrar::new(a.anchors(), s);
        let m = Metrics::default();
        let body = a.statement(ISS, T);
        r.check(&body, T, &m).unwrap();
        r.check(&body, T, &m).unwrap();
        match r.check(&body, T, &m) {
            Err(RegistrationError::RateLimited {
                iss, retry_after, ..
            }) => {
                assert_eq!(iss, ISS);
                // One token at 0.01/s: about 100 s away.
                assert!((90..=100).contains(&retry_after), "{retry_after}");
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        // Another issuer is not held back by the first one's burst.
        let b = Agency::with(
            "https://wjw.wuxi.gov.cn",
            T - DAY,
            T + 365 * DAY,
            &LeafOptions::default(),
        );
        let r2 = Registrar::new(b.anchors(), r.settings.clone());
        r2.check(&b.statement("https://wjw.wuxi.gov.cn", T), T, &m)
            .unwrap();
    }

    #[test]
    fn the_chain_cache_serves_repeat_signers_and_still_checks_time() {
        let a = Agency::new(T - DAY, T + DAY);
        let r = Registrar::new(a.anchors(), settings());
        let m = Metrics::default();
        let body = a.statement(ISS, T);
        r.check(&body, T, &m).unwrap();
        assert_eq!(
            (m.chain_cache_hits.get(), m.chain_cache_misses.get()),
            (0, 1)
        );
        r.check(&body, T + 10, &m).unwrap();
        assert_eq!(
            (m.chain_cache_hits.get(), m.chain_cache_misses.get()),
            (1, 1)
        );
        // A cached chain is not a licence: past the leaf's notAfter it fails.
        let e = r.check(&body, T + DAY + 1, &m).unwrap_err();
        assert!(matches!(
            e,
            RegistrationError::Chain(ChainError::Expired { .. })
        ));
    }

    #[test]
    fn every_acceptance_failure_keeps_its_registration_variant() {
        use RegistrationError as R;
        assert!(matches!(
            R::from_acceptance(VerifyError::NoChain),
            R::NoChain
        ));
        assert!(matches!(
            R::from_acceptance(VerifyError::UnknownKind("x".into())),
            R::KindNotAccepted(_)
        ));
        assert!(matches!(
            R::from_acceptance(VerifyError::IssuerMismatch("x".into())),
            R::IssuerMismatch(_)
        ));
        assert!(matches!(
            R::from_acceptance(VerifyError::Chain(ChainError::Empty)),
            R::Chain(ChainError::Empty)
        ));
    }
}
