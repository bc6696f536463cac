//! Putting the log together: keys, storage, policy entry, sequencer,
//! checkpointer and the HTTP server, and taking it apart again.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use ashlog::chain::TrustAnchors;
use ashlog::entry::EntryId;
use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::policy::Policy;
use ashlog::schema::{Kind, LEAF_RULE, LogPolicy, Statement, TrustAnchor};
use ashlog::statement::{SignedStatement, SignerId, StatementHeader};
use tokio::sync::watch;

use crate::checkpointer::{self, CheckpointerSettings, LogKeys, Published};
use crate::config::Config;
use crate::http;
use crate::metrics::Metrics;
use crate::registration::{Registrar, RegistrationSettings};
use crate::sequencer::{self, SequencerHandle, SequencerSettings};
use crate::service::LogService;
use crate::storage::fault::FaultSwitch;
use crate::storage::redb::RedbStorage;
use crate::storage::{EntryKey, MetaKey, Storage};

/// Reads a private key file, warning if others can read it.
fn read_secret(path: &Path) -> anyhow::Result<String> {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %path.display(), "private key file is readable by group or others; chmod 600 it");
        }
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read key file {}", path.display()))
}

/// Loads the log's two keys.
pub fn load_keys(config: &Config) -> anyhow::Result<LogKeys> {
    let p256 = P256SigningKey::from_pkcs8_pem(&read_secret(&config.p256_key)?)
        .with_context(|| format!("{} is not a PKCS#8 P-256 key", config.p256_key.display()))?;
    let ed25519 = Ed25519SigningKey::from_pkcs8_pem(&read_secret(&config.ed25519_key)?)
        .with_context(|| {
            format!(
                "{} is not a PKCS#8 Ed25519 key",
                config.ed25519_key.display()
            )
        })?;
    Ok(LogKeys {
        origin: config.origin.clone(),
        p256,
        ed25519,
    })
}

/// Loads the trust anchors named in the config.
pub fn load_anchors(config: &Config) -> anyhow::Result<TrustAnchors> {
    let mut anchors = TrustAnchors::new();
    for path in &config.trust_anchors {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read trust anchor {}", path.display()))?;
        let more = TrustAnchors::from_pem(&pem)
            .map_err(|e| anyhow!("trust anchor {}: {e}", path.display()))?;
        for a in more.iter() {
            anchors
                .add_der(a.der().to_vec())
                .map_err(|e| anyhow!("trust anchor {}: {e}", path.display()))?;
        }
    }
    Ok(anchors)
}

/// The witness policy from the config (witnesses with URLs, groups,
/// quorum) and the policy a citizen verifies against (the same plus this
/// log's two keys).
pub fn load_policies(config: &Config, keys: &LogKeys) -> anyhow::Result<(Policy, String)> {
    let witness_text = match &config.witness_policy {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read witness policy {}", p.display()))?,
        None => "quorum none\n".to_string(),
    };
    // Log lines come from the keys themselves; any in the file are ignored
    // so that the two can never disagree.
    let url = config.public_url.clone().unwrap_or_default();
    let mut text = String::new();
    for v in keys.verifiers() {
        text.push_str(&format!("log {}", v.to_vkey()));
        if !url.is_empty() {
            text.push_str(&format!(" {url}"));
        }
        text.push('\n');
    }
    for line in witness_text.lines() {
        if line.trim_start().starts_with("log ") || line.trim_start().starts_with("log\t") {
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    let policy = Policy::parse(&text).map_err(|e| anyhow!("witness policy: {e}"))?;
    let citizen = policy.to_text();
    Ok((policy, citizen))
}

fn rfc3339_now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

fn accepted_kinds(config: &Config) -> anyhow::Result<Vec<Kind>> {
    config
        .registration
        .accepted_kinds
        .iter()
        .map(|k| k.parse::<Kind>().map_err(|_| anyhow!("unknown kind {k}")))
        .collect()
}

/// The registration policy statement this configuration implies.
pub fn policy_payload(
    config: &Config,
    keys: &LogKeys,
    anchors: &TrustAnchors,
    citizen_policy: &str,
    previous: Option<EntryId>,
) -> anyhow::Result<LogPolicy> {
    Ok(LogPolicy {
        origin: config.origin.clone(),
        log_keys: keys.verifiers().iter().map(|v| v.to_vkey()).collect(),
        receipt_key_id: hex::encode(keys.kid()),
        leaf_rule: LEAF_RULE.to_string(),
        accepted_kinds: accepted_kinds(config)?,
        trust_anchors: anchors
            .iter()
            .map(|a| TrustAnchor {
                name: a.subject(),
                sha256: a.sha256_hex(),
                pem: a.to_pem(),
            })
            .collect(),
        witness_policy: citizen_policy.to_string(),
        max_statement_bytes: ashlog::statement::MAX_STATEMENT_BYTES as u64,
        max_clock_skew_secs: config.registration.max_clock_skew_secs,
        effective_at: rfc3339_now(),
        previous_policy: previous.map(|p| p.to_string()),
    })
}

/// Signs a policy statement with the log's P-256 key (kid, not x5chain).
pub fn sign_policy(keys: &LogKeys, policy: &LogPolicy) -> anyhow::Result<Vec<u8>> {
    let statement = Statement::Policy(policy.clone());
    statement
        .validate()
        .map_err(|e| anyhow!("the configured policy is invalid: {e}"))?;
    let header = StatementHeader {
        content_type: Kind::Policy.content_type().to_string(),
        iss: keys.origin.clone(),
        sub: "policy".into(),
        iat: time::OffsetDateTime::now_utc().unix_timestamp(),
        signer: SignerId::Kid(keys.kid()),
    };
    Ok(header.sign(&statement.to_cbor(), &keys.p256))
}

fn same_policy(a: &LogPolicy, b: &LogPolicy) -> bool {
    let strip = |p: &LogPolicy| {
        let mut p = p.clone();
        p.effective_at = String::new();
        p.previous_policy = None;
        p
    };
    strip(a) == strip(b)
}

fn latest_policy(storage: &dyn Storage) -> anyhow::Result<Option<(EntryId, LogPolicy)>> {
    let Some(b) = storage.get_meta(&MetaKey::LatestPolicy)? else {
        return Ok(None);
    };
    let index = u64::from_be_bytes(
        b.as_slice()
            .try_into()
            .map_err(|_| anyhow!("stored latest policy index is corrupt"))?,
    );
    let bytes = storage
        .statements(index, 1)?
        .pop()
        .ok_or_else(|| anyhow!("policy entry {index} is missing"))?;
    let s = SignedStatement::parse(&bytes)?;
    match Statement::from_cbor(Kind::Policy, s.payload())? {
        Statement::Policy(p) => Ok(Some((EntryId::new(index), p))),
        _ => bail!("entry {index} is not a policy statement"),
    }
}

/// Appends a policy statement if the configuration differs from the latest
/// one in the log (always the case for a new log: entry 0). Returns the id
/// of the policy in force.
pub async fn ensure_policy(
    storage: &dyn Storage,
    sequencer: &SequencerHandle,
    config: &Config,
    keys: &LogKeys,
    anchors: &TrustAnchors,
    citizen_policy: &str,
) -> anyhow::Result<EntryId> {
    let latest = latest_policy(storage)?;
    let wanted = policy_payload(
        config,
        keys,
        anchors,
        citizen_policy,
        latest.as_ref().map(|l| l.0),
    )?;
    if let Some((id, current)) = &latest
        && same_policy(current, &wanted)
    {
        return Ok(*id);
    }
    let signed = sign_policy(keys, &wanted)?;
    let parsed = SignedStatement::parse(&signed)?;
    let seq = sequencer
        .submit(
            EntryKey {
                iat: parsed.iat,
                digest: parsed.entry(),
            },
            Arc::new(signed),
        )
        .await
        .map_err(|e| anyhow!("cannot append the policy statement: {e}"))?;
    storage.put_meta(&MetaKey::LatestPolicy, &seq.index.to_be_bytes())?;
    let id = EntryId::new(seq.index);
    tracing::info!(%id, "registration policy entry appended");
    Ok(id)
}

/// A running log.
pub struct RunningLog {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its service (for in-process use).
    pub service: Arc<LogService>,
    server: actix_web::dev::ServerHandle,
    server_task: tokio::task::JoinHandle<std::io::Result<()>>,
    checkpointer: tokio::task::JoinHandle<()>,
    sequencer: Option<std::thread::JoinHandle<()>>,
}

impl RunningLog {
    /// Graceful stop: stop accepting, finish requests in flight, let the
    /// sequencer commit what is queued, sign a final checkpoint.
    pub async fn stop(mut self) {
        self.server.stop(true).await;
        let _ = self.server_task.await;
        // The HTTP workers held the last sequencer handles; the service holds
        // one more.
        let service = self.service;
        drop(service);
        if let Some(j) = self.sequencer.take() {
            let _ = tokio::task::spawn_blocking(move || j.join()).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.checkpointer).await;
    }

    /// Runs until SIGTERM or Ctrl-C, then stops gracefully.
    pub async fn serve_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing the batch in flight");
        self.stop().await;
    }
}

/// Waits for SIGTERM or SIGINT.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Watches storage health: after an I/O error (a full disk, a failing
/// device) storage refuses all work until reopened; this reopens it every
/// 200 ms until that works, so reads recover even when no write comes to
/// trigger it. The sequencer reloads its tree state itself after a failed
/// commit.
fn spawn_storage_doctor(storage: Arc<dyn Storage>, metrics: Arc<Metrics>) {
    let weak = Arc::downgrade(&storage);
    drop(storage);
    let spawned = std::thread::Builder::new()
        .name("storage-doctor".into())
        .spawn(move || {
            while let Some(storage) = weak.upgrade() {
                if storage.healthy() {
                    metrics.storage_healthy.set(1);
                } else {
                    metrics.storage_healthy.set(0);
                    match storage.recover() {
                        Ok(()) => tracing::info!("storage reopened after an I/O error"),
                        Err(e) => tracing::warn!(error = %e, "storage still failing"),
                    }
                }
                drop(storage);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the storage doctor: {e}");
    }
}

/// Opens the log's storage.
pub fn open_storage(
    config: &Config,
    faults: Option<Arc<FaultSwitch>>,
) -> anyhow::Result<Arc<dyn Storage>> {
    let s = RedbStorage::open_with(&config.database, faults)
        .with_context(|| format!("cannot open database {}", config.database.display()))?
        .with_dedup_merge_every(config.sequencer.dedup_merge_every);
    Ok(Arc::new(s))
}

fn configuration(
    keys: &LogKeys,
    config: &Config,
    anchors: &TrustAnchors,
    citizen_policy: &str,
) -> (Vec<u8>, String) {
    use ciborium::Value as V;
    let kinds: Vec<String> = config.registration.accepted_kinds.clone();
    let vkeys: Vec<String> = keys.verifiers().iter().map(|v| v.to_vkey()).collect();
    let pems: Vec<String> = anchors.iter().map(|a| a.to_pem()).collect();
    let kid = hex::encode(keys.kid());
    let cbor = V::Map(vec![
        (V::from("issuer"), V::from(keys.origin.clone())),
        (V::from("origin"), V::from(keys.origin.clone())),
        (
            V::from("log_keys"),
            V::Array(vkeys.iter().map(|v| V::from(v.clone())).collect()),
        ),
        (V::from("receipt_kid"), V::from(kid.clone())),
        (V::from("policy"), V::from(citizen_policy.to_string())),
        (
            V::from("trust_anchors"),
            V::Array(pems.iter().map(|p| V::from(p.clone())).collect()),
        ),
        (
            V::from("accepted_kinds"),
            V::Array(kinds.iter().map(|k| V::from(k.clone())).collect()),
        ),
        (V::from("leaf_rule"), V::from(LEAF_RULE)),
    ]);
    let mut bytes = Vec::new();
    let _ = ciborium::ser::into_writer(&cbor, &mut bytes);
    let json = serde_json::json!({
        "issuer": keys.origin,
        "origin": keys.origin,
        "log_keys": vkeys,
        "receipt_kid": kid,
        "policy": citizen_policy,
        "trust_anchors": pems,
        "accepted_kinds": kinds,
        "leaf_rule": LEAF_RULE,
    });
    (
        bytes,
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )
}

/// Starts the log on `listener` inside the current tokio runtime.
pub async fn start(
    config: &Config,
    listener: TcpListener,
    faults: Option<Arc<FaultSwitch>>,
) -> anyhow::Result<RunningLog> {
    let keys = load_keys(config)?;
    let anchors = load_anchors(config)?;
    let (policy, citizen_policy) = load_policies(config, &keys)?;
    let storage = open_storage(config, faults)?;
    let metrics = Arc::new(Metrics::default());
    let (sequencer, tree, seq_join) = sequencer::start(
        storage.clone(),
        SequencerSettings {
            max_batch: config.sequencer.max_batch,
            max_wait: Duration::from_millis(config.sequencer.max_wait_ms),
            queue_depth: config.sequencer.queue_depth,
        },
        metrics.clone(),
    )?;
    ensure_policy(
        &*storage,
        &sequencer,
        config,
        &keys,
        &anchors,
        &citizen_policy,
    )
    .await?;
    let (signed, published) = checkpointer::load_state(&*storage, &keys)?;
    let head = *tree.borrow();
    if let Some(s) = &signed
        && s.checkpoint.size > head.size
    {
        bail!(
            "the log signed a checkpoint of size {} but storage holds only {} entries: storage lost data; refusing to run (it would sign a fork)",
            s.checkpoint.size,
            head.size
        );
    }
    if let Some(p) = &published {
        metrics.published_size.set(p.checkpoint.size);
    }
    let (published_tx, published_rx) = watch::channel::<Option<Arc<Published>>>(published);
    let checkpointer = tokio::spawn(checkpointer::run(
        storage.clone(),
        keys.clone(),
        policy,
        CheckpointerSettings {
            interval: Duration::from_millis(config.sequencer.checkpoint_interval_ms),
            round: Duration::from_millis(config.sequencer.witness_round_ms),
            witness_timeout: Duration::from_millis(config.sequencer.witness_timeout_ms),
        },
        tree.clone(),
        published_tx,
        metrics.clone(),
        signed,
    ));
    let (configuration_cbor, configuration_json) =
        configuration(&keys, config, &anchors, &citizen_policy);
    let service = Arc::new(LogService {
        keys,
        storage,
        registrar: Registrar::new(
            anchors,
            RegistrationSettings {
                accepted: accepted_kinds(config)?,
                max_skew_secs: config.registration.max_clock_skew_secs as i64,
                issuer_rate: config.registration.issuer_rate_per_sec,
                issuer_burst: config.registration.issuer_burst,
            },
        ),
        sequencer,
        published: published_rx,
        tree,
        metrics,
        citizen_policy,
        configuration_cbor,
        configuration_json,
        max_wait: Duration::from_secs(config.http.max_prefer_wait_secs),
        bundle_streams: Arc::new(tokio::sync::Semaphore::new(
            config.http.max_bundle_streams.max(1),
        )),
    });
    spawn_storage_doctor(service.storage.clone(), service.metrics.clone());
    let addr = listener.local_addr()?;
    let data = actix_web::web::Data::new(service.clone());
    let workers = config.http.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .configure(http::routes)
    })
    .workers(workers.max(1))
    .max_connections(config.http.max_connections)
    .client_request_timeout(Duration::from_millis(config.http.client_request_timeout_ms))
    .client_disconnect_timeout(Duration::from_secs(1))
    .keep_alive(Duration::from_secs(config.http.keep_alive_secs))
    .shutdown_timeout(10)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);
    tracing::info!(%addr, origin = %config.origin, "ashlog-server listening");
    Ok(RunningLog {
        addr,
        service,
        server: handle,
        server_task,
        checkpointer,
        sequencer: Some(seq_join),
    })
}
