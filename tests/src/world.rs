//! A whole ashlog deployment on 127.0.0.1 for tests: an agency PKI, a log
//! (the real `ashlog-server` binary) and witnesses (the real
//! `ashlog-witness` binary), each in its own directory under one temp dir.
//!
//! Keys and configs are made with the same library calls `init` uses; the
//! servers run as child processes so they can be killed and restarted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use ashlog::keys::P256SigningKey;
use ashlog::pki::{Authority, Name};
use ashlog::schema::Document;
use ashlog::statement::{SignerId, StatementHeader};

use crate::harness::{Child, bin, free_port, wait_healthy};

/// Origin of every test log.
pub const ORIGIN: &str = "test.ashlog.invalid/log";

/// What to build.
#[derive(Clone, Debug)]
pub struct WorldOptions {
    /// Number of witnesses.
    pub witnesses: usize,
    /// How many must cosign (0 = `quorum none`).
    pub quorum: usize,
    /// Extra lines appended to ashlog.toml's [sequencer] table.
    pub sequencer: Vec<String>,
    /// Extra lines appended to ashlog.toml's [registration] table.
    pub registration: Vec<String>,
    /// Extra lines appended to ashlog.toml's [http] table.
    pub http: Vec<String>,
    /// Extra top-level config lines (before any table).
    pub top: Vec<String>,
    /// Pass `--danger-fault-file <dir>/fault` to the log.
    pub fault_file: bool,
}

/// How long a test waits for a checkpoint to be published. Locally it
/// takes well under a second; the bound only has to outlast a slow CI
/// machine's fsync stalls, since these tests assert what is published, not
/// how fast (speed is measured in benchmarks).
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(120);

impl Default for WorldOptions {
    fn default() -> Self {
        WorldOptions {
            witnesses: 3,
            quorum: 2,
            sequencer: vec!["checkpoint_interval_ms = 100".into()],
            registration: Vec::new(),
            http: Vec::new(),
            top: Vec::new(),
            fault_file: false,
        }
    }
}

/// One witness.
pub struct TestWitness {
    /// Policy name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its URL.
    pub url: String,
    /// Its port.
    pub port: u16,
    /// Its cosignature vkey.
    pub vkey: String,
    /// The running process, if running.
    pub child: Option<Child>,
}

/// An agency with a certificate from the test PKI.
pub struct Agency {
    /// Its key.
    pub key: P256SigningKey,
    /// x5chain, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// Its issuer URI (the certificate's URI SAN).
    pub iss: String,
}

impl Agency {
    /// Signs an authoring document (issuer from the envelope, or ours).
    pub fn sign_document(&self, doc: &Document, iat: i64) -> Vec<u8> {
        StatementHeader {
            content_type: doc.envelope.kind.content_type().to_string(),
            iss: self.iss.clone(),
            sub: doc.envelope.subject.clone(),
            iat,
            signer: SignerId::X5Chain(self.chain.clone()),
        }
        .sign(&doc.statement.to_cbor(), &self.key)
    }

    /// Signs any payload under a given content type.
    pub fn sign_raw(&self, content_type: &str, sub: &str, payload: &[u8], iat: i64) -> Vec<u8> {
        StatementHeader {
            content_type: content_type.to_string(),
            iss: self.iss.clone(),
            sub: sub.to_string(),
            iat,
            signer: SignerId::X5Chain(self.chain.clone()),
        }
        .sign(payload, &self.key)
    }
}

/// One deployment at a time per test process: each runs a log and three
/// witnesses, and on two cores several at once would make timing-based
/// assertions (a witness quorum within seconds) flaky. Tests that build a
/// World therefore run one after another, whatever the test harness's
/// thread count.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The deployment.
pub struct World {
    /// Root of everything (deleted on drop).
    pub dir: tempfile::TempDir,
    /// The agency root CA (the log's trust anchor).
    pub root: Authority,
    /// An intermediate "agency CA" under it.
    pub agency_ca: Authority,
    /// The log's directory.
    pub log_dir: PathBuf,
    /// The log's port.
    pub log_port: u16,
    /// The log's URL.
    pub url: String,
    /// The log process, if running.
    pub log: Option<Child>,
    /// Witnesses.
    pub witnesses: Vec<TestWitness>,
    /// The log's vkeys.
    pub log_vkeys: Vec<String>,
    /// Options it was built with.
    pub options: WorldOptions,
    _serial: std::sync::MutexGuard<'static, ()>,
}

/// Now, unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn name(cn: &str) -> Name {
    Name {
        common_name: cn.into(),
        organization: "ashlog test".into(),
        country: "CN".into(),
    }
}

impl World {
    /// Builds and starts everything; returns once the log is healthy and
    /// its policy entry (entry 0) is published.
    pub fn start(options: WorldOptions) -> anyhow::Result<World> {
        // A test that panicked while holding the lock poisoned it; the next
        // one may still run.
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::Builder::new().prefix("ashlog-e2e-").tempdir()?;
        let root = Authority::new_root(
            &name("Test Agency Root CA"),
            now() - 86_400 * 400,
            now() + 86_400 * 3650,
        )?;
        let agency_ca = root.new_intermediate(
            &name("Test Agency Issuing CA"),
            now() - 86_400 * 400,
            now() + 86_400 * 3650,
        )?;
        std::fs::write(dir.path().join("roots.pem"), root.cert_pem())?;
        let mut witnesses = Vec::new();
        let mut policy = String::new();
        for i in 0..options.witnesses {
            let wname = format!("w{i}");
            let wdir = dir.path().join(format!("witness-{i}"));
            let report = ashlog_witness::init(&wdir, &format!("{wname}.test.invalid/witness"))
                .map_err(|e| anyhow!("witness init: {e}"))?;
            let port = free_port();
            let url = format!("http://127.0.0.1:{port}");
            policy.push_str(&format!("witness {wname} {} {url}\n", report.vkey));
            witnesses.push(TestWitness {
                name: wname,
                dir: wdir,
                url,
                port,
                vkey: report.vkey,
                child: None,
            });
        }
        if options.quorum == 0 {
            policy.push_str("quorum none\n");
        } else {
            let names: Vec<String> = witnesses.iter().map(|w| w.name.clone()).collect();
            policy.push_str(&format!(
                "group all {} {}\nquorum all\n",
                options.quorum,
                names.join(" ")
            ));
        }
        std::fs::write(dir.path().join("witnesses.policy"), &policy)?;
        let log_port = free_port();
        let url = format!("http://127.0.0.1:{log_port}");
        let log_dir = dir.path().join("log");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let report = rt.block_on(ashlog_server::init::init(
            &ashlog_server::init::InitOptions {
                dir: log_dir.clone(),
                origin: ORIGIN.into(),
                anchors: vec![dir.path().join("roots.pem")],
                witness_policy: Some(dir.path().join("witnesses.policy")),
                listen: Some(format!("127.0.0.1:{log_port}")),
                public_url: Some(url.clone()),
            },
        ))?;
        // Extra config lines.
        let cfg_path = log_dir.join("ashlog.toml");
        let mut cfg = std::fs::read_to_string(&cfg_path)?;
        if !options.top.is_empty() {
            cfg = format!("{}\n{cfg}", options.top.join("\n"));
        }
        for (table, lines) in [
            ("[sequencer]", &options.sequencer),
            ("[registration]", &options.registration),
            ("[http]", &options.http),
        ] {
            if lines.is_empty() {
                continue;
            }
            let mut doc: toml::Table = toml::from_str(&cfg)?;
            let key = table.trim_matches(['[', ']']);
            let extra: toml::Table = toml::from_str(&lines.join("\n"))?;
            let t = doc
                .entry(key.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = t {
                t.extend(extra);
            }
            cfg = toml::to_string(&doc)?;
        }
        std::fs::write(&cfg_path, cfg)?;
        for w in &witnesses {
            ashlog_witness::add_log(&w.dir, ORIGIN, &report.vkeys)
                .map_err(|e| anyhow!("add-log: {e}"))?;
        }
        let mut world = World {
            dir,
            root,
            agency_ca,
            log_dir,
            log_port,
            url,
            log: None,
            witnesses,
            log_vkeys: report.vkeys,
            options,
            _serial: serial,
        };
        for i in 0..world.witnesses.len() {
            world.start_witness(i)?;
        }
        world.start_log()?;
        world.wait_published(1, PUBLISH_TIMEOUT)?;
        Ok(world)
    }

    /// Starts witness `i`.
    pub fn start_witness(&mut self, i: usize) -> anyhow::Result<()> {
        let w = &mut self.witnesses[i];
        let port = w.port.to_string();
        let dir = w.dir.to_string_lossy().to_string();
        let mut child = Child::spawn(
            &format!("witness-{i}"),
            &bin("ashlog-witness")?,
            &[
                "serve",
                "--dir",
                &dir,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ],
            &w.dir,
        )?;
        wait_healthy(
            &format!("{}/healthz", w.url),
            Duration::from_secs(20),
            &mut child,
        )?;
        w.child = Some(child);
        Ok(())
    }

    /// Kills witness `i` (SIGKILL).
    pub fn kill_witness(&mut self, i: usize) {
        if let Some(mut c) = self.witnesses[i].child.take() {
            c.kill9();
        }
    }

    /// Starts the log.
    pub fn start_log(&mut self) -> anyhow::Result<()> {
        let cfg = self
            .log_dir
            .join("ashlog.toml")
            .to_string_lossy()
            .to_string();
        let fault = self.dir.path().join("fault").to_string_lossy().to_string();
        let mut args = vec!["serve", "--config", &cfg];
        if self.options.fault_file {
            args.extend(["--danger-fault-file", &fault]);
        }
        let mut child = Child::spawn("log", &bin("ashlog-server")?, &args, &self.log_dir)?;
        wait_healthy(
            &format!("{}/healthz", self.url),
            Duration::from_secs(30),
            &mut child,
        )?;
        self.log = Some(child);
        Ok(())
    }

    /// SIGKILLs the log.
    pub fn kill_log(&mut self) {
        if let Some(mut c) = self.log.take() {
            c.kill9();
        }
    }

    /// SIGTERMs the log and waits for it.
    pub fn stop_log(&mut self) {
        if let Some(mut c) = self.log.take() {
            c.terminate();
        }
    }

    /// Prints every child's log (call when a test fails).
    pub fn dump_logs(&self) {
        if let Some(c) = &self.log {
            c.dump_log();
        } else if let Ok(s) = std::fs::read_to_string(self.log_dir.join("log.log")) {
            eprintln!("----- log -----\n{s}");
        }
        for w in &self.witnesses {
            if let Some(c) = &w.child {
                c.dump_log();
            }
        }
    }

    /// An agency certified by the test PKI for `iss`, valid from
    /// `not_before` to `not_after`.
    pub fn agency_valid(
        &self,
        iss: &str,
        not_before: i64,
        not_after: i64,
    ) -> anyhow::Result<Agency> {
        let key = P256SigningKey::generate()?;
        let leaf = self
            .agency_ca
            .issue(&key, &name("Test Agency"), iss, not_before, not_after)?;
        Ok(Agency {
            key,
            chain: vec![leaf, self.agency_ca.cert_der().to_vec()],
            iss: iss.to_string(),
        })
    }

    /// An agency valid from a year ago for ten years.
    pub fn agency(&self, iss: &str) -> anyhow::Result<Agency> {
        self.agency_valid(iss, now() - 86_400 * 365, now() + 86_400 * 3650)
    }

    /// The roots PEM file.
    pub fn roots_path(&self) -> PathBuf {
        self.dir.path().join("roots.pem")
    }

    /// The citizen policy, as the log publishes it.
    pub fn citizen_policy(&self) -> anyhow::Result<String> {
        let v: serde_json::Value = crate::client::http()
            .get(format!(
                "{}/.well-known/transparency-configuration",
                self.url
            ))
            .header("accept", "application/json")
            .send()?
            .json()?;
        v["policy"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no policy in the configuration"))
    }

    /// Waits until the published checkpoint has at least `size` entries.
    pub fn wait_published(
        &self,
        size: u64,
        timeout: Duration,
    ) -> anyhow::Result<ashlog::checkpoint::Checkpoint> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let last = match crate::client::checkpoint(&self.url) {
                Ok(cp) if cp.size >= size => return Ok(cp),
                Ok(cp) => format!("size {}", cp.size),
                Err(e) => format!("error {e:#}"),
            };
            if std::time::Instant::now() > deadline {
                let signed = crate::client::metric(&self.url, "ashlog_signed_checkpoint_size")
                    .map_or_else(|e| e.to_string(), |v| v.to_string());
                return Err(anyhow!(
                    "no published checkpoint of size {size} within {timeout:?} \
                     (last /checkpoint: {last}; signed size: {signed})"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The path of a file in the world's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).with_context(|| format!("write {}", p.display()))?;
    Ok(p)
}

impl Drop for World {
    fn drop(&mut self) {
        // A failing test's assertion message alone rarely says why the log
        // or a witness misbehaved: their logs go with it.
        if std::thread::panicking() {
            self.dump_logs();
        }
        // Stop the servers before their directory goes away; the serial lock
        // (the last field) is released after everything else.
        self.kill_log();
        for i in 0..self.witnesses.len() {
            self.kill_witness(i);
        }
    }
}
