//! `ashlog-server init`: a new log in a directory, and `add-anchor`.
//!
//! Files are written through `ashlog::keys` (private keys: O_EXCL, mode
//! 0600, fsync, directory fsync; other files: temporary file, fsync, rename,
//! directory fsync), so a crash during init leaves either no file or a
//! complete one, and never a world-readable key.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use ashlog::chain::TrustAnchors;
use ashlog::durable::{write_file_atomic, write_secret_file};
use ashlog::keys::{Ed25519SigningKey, P256SigningKey};

use crate::app;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::sequencer::{self, SequencerSettings};

/// What `init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Directory of the new log (created if missing).
    pub dir: PathBuf,
    /// The log's origin.
    pub origin: String,
    /// Trust anchor PEM files to copy in.
    pub anchors: Vec<PathBuf>,
    /// A tlog-policy file with the witnesses (copied in).
    pub witness_policy: Option<PathBuf>,
    /// Listen address for `serve`.
    pub listen: Option<String>,
    /// Public URL.
    pub public_url: Option<String>,
}

/// What `init` created.
#[derive(Debug)]
pub struct InitReport {
    /// The config file.
    pub config_path: PathBuf,
    /// The log's vkeys.
    pub vkeys: Vec<String>,
    /// The policy a citizen verifies against.
    pub citizen_policy: String,
}

fn copy_in(src: &Path, dir: &Path, sub: &str) -> anyhow::Result<PathBuf> {
    let name = src
        .file_name()
        .ok_or_else(|| anyhow!("{} has no file name", src.display()))?;
    let target_dir = dir.join(sub);
    std::fs::create_dir_all(&target_dir)?;
    let target = target_dir.join(name);
    let bytes = std::fs::read(src).with_context(|| format!("cannot read {}", src.display()))?;
    write_file_atomic(&target, &bytes)?;
    Ok(PathBuf::from(sub).join(name))
}

fn check_anchor_file(path: &Path) -> anyhow::Result<()> {
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let anchors = TrustAnchors::from_pem(&pem).map_err(|e| {
        anyhow!(
            "{} is not a usable CA certificate: {e} (a trust anchor must be a PEM CA certificate)",
            path.display()
        )
    })?;
    if anchors.is_empty() {
        bail!("{} holds no certificate", path.display());
    }
    Ok(())
}

/// Creates the log: keys, config, anchors, database with entry 0.
pub async fn init(opts: &InitOptions) -> anyhow::Result<InitReport> {
    ashlog::note::check_key_name(&opts.origin).map_err(|_| {
        anyhow!(
            "origin {:?} must look like log.example.org/ashlog/1 (no spaces, no '+')",
            opts.origin
        )
    })?;
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("cannot create {}", opts.dir.display()))?;
    let config_path = opts.dir.join("ashlog.toml");
    if config_path.exists() {
        bail!(
            "{} already exists: this directory holds a log; use `ashlog-server serve --config {}`",
            config_path.display(),
            config_path.display()
        );
    }
    for a in &opts.anchors {
        check_anchor_file(a)?;
    }
    let mut config = Config::new(&opts.origin);
    if let Some(l) = &opts.listen {
        config.listen = l.clone();
    }
    config.public_url = opts.public_url.clone();
    for a in &opts.anchors {
        config.trust_anchors.push(copy_in(a, &opts.dir, "anchors")?);
    }
    if let Some(w) = &opts.witness_policy {
        ashlog::policy::Policy::parse(&std::fs::read_to_string(w)?)
            .map_err(|e| anyhow!("{}: {e}", w.display()))?;
        config.witness_policy = Some(copy_in(w, &opts.dir, ".")?);
    }
    let p256 = P256SigningKey::generate()?;
    let ed = Ed25519SigningKey::generate()?;
    write_secret_file(
        &opts.dir.join(&config.p256_key),
        p256.to_pkcs8_pem()?.as_bytes(),
    )
    .context("cannot write the P-256 key")?;
    write_secret_file(
        &opts.dir.join(&config.ed25519_key),
        ed.to_pkcs8_pem()?.as_bytes(),
    )
    .context("cannot write the Ed25519 key")?;
    write_file_atomic(&config_path, config.to_toml().as_bytes())?;
    // Reload through the normal path so relative paths resolve as `serve`
    // will resolve them.
    let config = Config::load(&config_path)?;
    let keys = app::load_keys(&config)?;
    let anchors = app::load_anchors(&config)?;
    let (_, citizen_policy) = app::load_policies(&config, &keys)?;
    let storage = app::open_storage(&config, None)?;
    let metrics = Arc::new(Metrics::default());
    let (seq, _tree, join) = sequencer::start(
        storage.clone(),
        SequencerSettings {
            max_batch: 16,
            max_wait: Duration::from_millis(0),
            queue_depth: 16,
        },
        metrics,
    )?;
    let id = app::ensure_policy(&*storage, &seq, &config, &keys, &anchors, &citizen_policy).await?;
    drop(seq);
    let _ = tokio::task::spawn_blocking(move || join.join()).await;
    if id.index != 0 {
        bail!("the policy statement should be entry 0 of a new log, got {id}");
    }
    Ok(InitReport {
        config_path,
        vkeys: keys.verifiers().iter().map(|v| v.to_vkey()).collect(),
        citizen_policy,
    })
}

/// Adds trust anchors to an existing log's configuration; the next `serve`
/// appends a new policy statement naming them.
pub fn add_anchors(config_path: &Path, pems: &[PathBuf]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let mut raw: Config =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", config_path.display()))?;
    let dir = config_path.parent().unwrap_or(Path::new("."));
    for pem in pems {
        check_anchor_file(pem)?;
        let rel = copy_in(pem, dir, "anchors")?;
        if !raw.trust_anchors.contains(&rel) {
            raw.trust_anchors.push(rel);
        }
    }
    write_file_atomic(config_path, raw.to_toml().as_bytes())?;
    Ok(())
}
