//! The demo's story: the whole of ashlog on 127.0.0.1.
//!
//! In March 2023 Wuxi announced it had destroyed more than a billion
//! pandemic-era personal records, with a third-party audit firm and a notary
//! present, and took 40+ pandemic apps offline; nothing anyone could check
//! was published. The demo replays that day as it should have happened:
//! the agency signs its statements, a log records them, a notary's office, an
//! audit firm and a university witness the log, the notary endorses the
//! destruction, a later correction closes a pending step, and a citizen
//! verifies it all offline.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use ashlog::durable::{write_file_atomic, write_secret_file};
use ashlog::keys::P256SigningKey;
use ashlog::pki::{Authority, Name};
use ashlog::policy::Policy;
use ashlog::schema::{Document, Statement, fixtures};
use ashlog::statement::{SignedStatement, SignerId, StatementHeader};
use ashlog::{chain::TrustAnchors, verify};
use ashlog_cli::report;

use ashlog_server::{app, config::Config, init};

const ORIGIN: &str = "demo.ashlog.invalid/wuxi";

struct Witness {
    name: &'static str,
    dir_name: &'static str,
    display: &'static str,
}

const WITNESSES: [Witness; 3] = [
    Witness {
        name: "notary",
        dir_name: "witness-notary",
        display: "Example Notary Office",
    },
    Witness {
        name: "auditor",
        dir_name: "witness-auditor",
        display: "Example Third-Party Audit Firm",
    },
    Witness {
        name: "university",
        dir_name: "witness-university",
        display: "Example University Data Law Lab",
    },
];

fn ts(s: &str) -> anyhow::Result<i64> {
    Ok(
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("bad time {s}"))?
            .unix_timestamp(),
    )
}

struct Signer {
    key: P256SigningKey,
    chain: Vec<Vec<u8>>,
    iss: String,
}

fn agency(
    ca: &Authority,
    cn: &str,
    org: &str,
    iss: &str,
    dir: &Path,
    file: &str,
) -> anyhow::Result<Signer> {
    let key = P256SigningKey::generate()?;
    let cert = ca.issue(
        &key,
        &Name {
            common_name: cn.into(),
            organization: org.into(),
            country: "CN".into(),
        },
        iss,
        ts("2023-01-01T00:00:00Z")?,
        ts("2033-01-01T00:00:00Z")?,
    )?;
    write_secret_file(
        &dir.join(format!("{file}-key.pem")),
        key.to_pkcs8_pem()?.as_bytes(),
    )?;
    let chain_pem = format!(
        "{}{}",
        ashlog::pki::to_pem("CERTIFICATE", &cert),
        ca.cert_pem()
    );
    write_file_atomic(&dir.join(format!("{file}-chain.pem")), chain_pem.as_bytes())?;
    Ok(Signer {
        key,
        chain: vec![cert, ca.cert_der().to_vec()],
        iss: iss.into(),
    })
}

fn sign(doc: &Document, signer: &Signer, iat: i64) -> anyhow::Result<Vec<u8>> {
    let header = StatementHeader {
        content_type: doc.envelope.kind.content_type().to_string(),
        iss: doc
            .envelope
            .issuer
            .clone()
            .unwrap_or_else(|| signer.iss.clone()),
        sub: doc.envelope.subject.clone(),
        iat,
        signer: SignerId::X5Chain(signer.chain.clone()),
    };
    Ok(header.sign(&doc.statement.to_cbor(), &signer.key))
}

/// Sets an endorsement's or correction's target leaf hash to `leaf`.
fn retarget(doc: &mut Document, leaf: &str) {
    match &mut doc.statement {
        Statement::Endorsement(e) => e.target.leaf_hash = leaf.to_string(),
        Statement::Correction(c) => c.target.leaf_hash = leaf.to_string(),
        _ => {}
    }
}

async fn submit(
    client: &reqwest::Client,
    base: &str,
    statement: Vec<u8>,
) -> anyhow::Result<String> {
    let resp = client
        .post(format!("{base}/entries"))
        .header("content-type", "application/cose")
        .header("prefer", "wait=20")
        .body(statement)
        .send()
        .await?;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if status != 201 && status != 303 {
        let body = resp.bytes().await.unwrap_or_default();
        let detail: Option<ciborium::Value> = ciborium::de::from_reader(&body[..]).ok();
        bail!("the log refused a statement ({status}): {detail:?}");
    }
    let location = location.ok_or_else(|| anyhow!("no Location in the answer"))?;
    Ok(location.trim_start_matches("/entries/").to_string())
}

async fn fetch_transparent(
    client: &reqwest::Client,
    base: &str,
    id: &str,
) -> anyhow::Result<Vec<u8>> {
    for _ in 0..200 {
        let resp = client
            .get(format!("{base}/entries/{id}/statement"))
            .send()
            .await?;
        match resp.status().as_u16() {
            200 => return Ok(resp.bytes().await?.to_vec()),
            302 => tokio::time::sleep(Duration::from_millis(100)).await,
            s => bail!("GET /entries/{id}/statement answered {s}"),
        }
    }
    bail!("entry {id} was not witnessed within 20 s")
}

/// Runs the demo. `dir`: where the files go; `port`: the log's port (0 =
/// any); `exit`: stop after the story.
pub(crate) async fn run(dir: Option<PathBuf>, port: u16, exit: bool) -> anyhow::Result<()> {
    let dir = match dir {
        Some(d) => d,
        None => std::env::current_dir()?.join(format!(
            "ashlog-demo-{}",
            time::OffsetDateTime::now_utc().unix_timestamp()
        )),
    };
    if dir.join("log").exists() {
        bail!("{} already holds a demo; pass another --dir", dir.display());
    }
    std::fs::create_dir_all(&dir)?;
    let say = |s: &str| println!("{s}");
    say("ashlog demo: making the Wuxi claim of 2 March 2023 checkable\n");

    // 1. The PKI: a provincial root and the agencies' certificates.
    let pki_dir = dir.join("pki");
    std::fs::create_dir_all(&pki_dir)?;
    let root = Authority::new_root(
        &Name {
            common_name: "Jiangsu Government Demo Root CA".into(),
            organization: "Jiangsu Provincial Government (demo)".into(),
            country: "CN".into(),
        },
        ts("2020-01-01T00:00:00Z")?,
        ts("2040-01-01T00:00:00Z")?,
    )?;
    write_file_atomic(&dir.join("roots.pem"), root.cert_pem().as_bytes())?;
    write_secret_file(&pki_dir.join("root-ca-key.pem"), root.key_pem().as_bytes())?;
    let wuxi = agency(
        &root,
        "Wuxi Big Data Administration",
        "Wuxi Municipal People's Government",
        "https://dsj.wuxi.gov.cn",
        &pki_dir,
        "wuxi-bigdata",
    )?;
    let notary = agency(
        &root,
        "Example Notary Office",
        "Example Notary Office",
        "https://notary.example.org",
        &pki_dir,
        "notary",
    )?;
    say(
        "  1. A demo provincial root CA certified the Wuxi Big Data Administration and the notary office.",
    );

    // 2. Three witnesses, each with its own key.
    let mut listeners = Vec::new();
    let mut policy = String::from("# Witnesses of the demo log: any two of three must cosign.\n");
    for w in &WITNESSES {
        let wdir = dir.join(w.dir_name);
        let report = ashlog_witness::init(&wdir, &format!("{}.example.org/witness", w.name))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        policy.push_str(&format!("witness {} {} {url}\n", w.name, report.vkey));
        listeners.push((wdir, listener));
    }
    policy.push_str("group two-of-three 2 notary auditor university\nquorum two-of-three\n");
    write_file_atomic(&dir.join("witnesses.policy"), policy.as_bytes())?;

    // 3. The log, with the root as trust anchor and the witness policy.
    let log_listener =
        TcpListener::bind(("127.0.0.1", port)).context("cannot listen on 127.0.0.1")?;
    let base = format!("http://{}", log_listener.local_addr()?);
    let log_dir = dir.join("log");
    let report = init::init(&init::InitOptions {
        dir: log_dir.clone(),
        origin: ORIGIN.into(),
        anchors: vec![dir.join("roots.pem")],
        witness_policy: Some(dir.join("witnesses.policy")),
        listen: Some(log_listener.local_addr()?.to_string()),
        public_url: Some(base.clone()),
    })
    .await?;
    let mut witnesses = Vec::new();
    for (wdir, listener) in listeners {
        ashlog_witness::add_log(&wdir, ORIGIN, &report.vkeys)?;
        let config = ashlog_witness::Config::load(&wdir.join("witness.toml"))?;
        witnesses.push(ashlog_witness::start(config, listener).await?);
    }
    say(&format!(
        "  2. Three witnesses are running: {}.",
        WITNESSES.map(|w| w.display).join("; ")
    ));
    let config = Config::load(&report.config_path)?;
    let log = app::start(&config, log_listener, None).await?;
    say(&format!(
        "  3. The log {ORIGIN} runs at {base}; its entry 0 is its own registration policy."
    ));

    // 4. The agency and the notary sign and submit.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let doc = |text: &str| Document::from_toml(text).map_err(|e| anyhow!("fixture: {e}"));
    let destruction = sign(
        &doc(fixtures::WUXI_DESTRUCTION)?,
        &wuxi,
        ts("2023-03-02T12:00:00+08:00")?,
    )?;
    let destruction_leaf = SignedStatement::parse(&destruction)?.leaf_hash().to_hex();
    let id_destruction = submit(&client, &base, destruction).await?;
    let takedown = sign(
        &doc(fixtures::WUXI_TAKEDOWN)?,
        &wuxi,
        ts("2023-03-02T18:00:00+08:00")?,
    )?;
    let id_takedown = submit(&client, &base, takedown).await?;
    let mut endorsement_doc = doc(fixtures::NOTARY_ENDORSEMENT)?;
    retarget(&mut endorsement_doc, &destruction_leaf);
    let endorsement = sign(&endorsement_doc, &notary, ts("2023-03-03T10:00:00+08:00")?)?;
    let id_endorsement = submit(&client, &base, endorsement).await?;
    let mut correction_doc = doc(fixtures::STATUS_UPDATE_CORRECTION)?;
    retarget(&mut correction_doc, &destruction_leaf);
    let correction = sign(&correction_doc, &wuxi, ts("2023-06-30T16:00:00+08:00")?)?;
    let id_correction = submit(&client, &base, correction).await?;
    say(&format!(
        "  4. Registered: destruction {id_destruction}, app takedown {id_takedown}, notary endorsement {id_endorsement}, status-update correction {id_correction}."
    ));

    // 5. Witnessed receipts, written as Transparent Statements.
    let out = dir.join("statements");
    std::fs::create_dir_all(&out)?;
    let files = [
        (&id_destruction, "wuxi-destruction.scitt"),
        (&id_takedown, "wuxi-takedown.scitt"),
        (&id_endorsement, "notary-endorsement.scitt"),
        (&id_correction, "status-update.scitt"),
    ];
    for (id, name) in files {
        let ts = fetch_transparent(&client, &base, id).await?;
        write_file_atomic(&out.join(name), &ts)?;
    }
    let conf: serde_json::Value = client
        .get(format!("{base}/.well-known/transparency-configuration"))
        .header("accept", "application/json")
        .send()
        .await?
        .json()
        .await?;
    let citizen_policy = conf["policy"]
        .as_str()
        .ok_or_else(|| anyhow!("the log's configuration has no policy"))?
        .to_string();
    write_file_atomic(&dir.join("policy.txt"), citizen_policy.as_bytes())?;
    say(&format!(
        "  5. Each statement came back with a receipt cosigned by the witnesses: {}",
        out.display()
    ));

    // 6. A citizen verifies, offline.
    let policy = Policy::parse(&citizen_policy)?;
    let anchors = TrustAnchors::from_pem(&root.cert_pem())?;
    let bytes = std::fs::read(out.join("wuxi-destruction.scitt"))?;
    let rel = |p: &Path| {
        p.strip_prefix(std::env::current_dir().unwrap_or_default())
            .unwrap_or(p)
            .display()
            .to_string()
    };
    say(&format!(
        "\n  6. A citizen checks the destruction statement offline:\n\n$ ashlog verify {} --policy {} --roots {}\n",
        rel(&out.join("wuxi-destruction.scitt")),
        rel(&dir.join("policy.txt")),
        rel(&dir.join("roots.pem"))
    ));
    let verified = verify::verify_transparent_statement(&bytes, &policy, &anchors);
    match &verified {
        Ok(v) => print!("{}", report::render(v)),
        Err(e) => print!("{}", report::render_failure(e)),
    }
    let verified = verified.map_err(|e| anyhow!("the demo's own statement did not verify: {e}"))?;
    if verified.cosigners.len() < 2 {
        bail!("fewer than two witnesses cosigned");
    }

    let d = rel(&dir);
    println!(
        "\nTry it yourself (the ashlog CLI: cargo build --release -p ashlog, then target/release/ashlog):\n\n  \
         ashlog verify {d}/statements/wuxi-takedown.scitt --policy {d}/policy.txt --roots {d}/roots.pem\n  \
         ashlog verify --online {base} {id_destruction} --policy {d}/policy.txt --roots {d}/roots.pem --state-dir {d}/state\n  \
         ashlog show {base} {id_destruction} --state-dir {d}/state\n  \
         ashlog audit {base} --roots {d}/roots.pem --state-dir {d}/state\n  \
         ashlog verify {d}/statements/wuxi-destruction.scitt --policy {d}/policy.txt --roots {d}/roots.pem --json\n\n\
         The online commands remember the last checkpoint they saw of a log, to catch a rollback.\n\
         Every demo is a new log under the same name with new keys, so --state-dir keeps that memory\n\
         inside this demo's directory; against a real log, leave it out.\n"
    );
    if exit {
        log.stop().await;
        for w in witnesses {
            w.stop().await;
        }
        println!(
            "Demo finished (--exit). Its files stay in {}.",
            dir.display()
        );
        return Ok(());
    }
    println!("The log and its witnesses keep running at {base}; press Ctrl-C to stop.");
    app::wait_for_signal().await;
    log.stop().await;
    for w in witnesses {
        w.stop().await;
    }
    Ok(())
}
