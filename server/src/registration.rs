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
