//! A small blocking HTTP client for the log's API.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use ashlog::checkpoint::Checkpoint;
use ashlog::note::Note;

/// A keep-alive client with a sane timeout.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::blocking::Client::new())
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The concise problem details (title, detail), if the body is one.
    pub fn problem(&self) -> Option<(String, String)> {
        let v: ciborium::Value = ciborium::de::from_reader(&self.body[..]).ok()?;
        let ciborium::Value::Map(m) = v else {
            return None;
        };
        let get = |k: i64| {
            m.iter().find_map(|(key, val)| match (key, val) {
                (ciborium::Value::Integer(i), ciborium::Value::Text(t))
                    if i128::from(*i) == i128::from(k) =>
                {
                    Some(t.clone())
                }
                _ => None,
            })
        };
        Some((get(-1)?, get(-2)?))
    }
}

fn read(resp: reqwest::blocking::Response) -> anyhow::Result<Reply> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes()?.to_vec();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// POST /entries.
pub fn post_statement(url: &str, statement: &[u8], wait: Option<u64>) -> anyhow::Result<Reply> {
    let mut req = http()
        .post(format!("{url}/entries"))
        .header("content-type", "application/cose")
        .body(statement.to_vec());
    if let Some(w) = wait {
        req = req.header("prefer", format!("wait={w}"));
    }
    read(req.send().context("POST /entries")?)
}

/// GET a path.
pub fn get(url: &str, path: &str) -> anyhow::Result<Reply> {
    read(
        http()
            .get(format!("{url}{path}"))
            .send()
            .with_context(|| format!("GET {path}"))?,
    )
}

/// The published checkpoint, parsed (signatures not checked).
pub fn checkpoint(url: &str) -> anyhow::Result<Checkpoint> {
    let r = get(url, "/checkpoint")?;
    if r.status != 200 {
        return Err(anyhow!("/checkpoint answered {}", r.status));
    }
    let note = Note::parse(&r.body)?;
    Ok(Checkpoint::parse(note.text())?)
}

/// Registers and returns the entry id from the Location header.
pub fn register(url: &str, statement: &[u8]) -> anyhow::Result<String> {
    let r = post_statement(url, statement, None)?;
    if r.status != 303 && r.status != 201 {
        return Err(anyhow!(
            "POST /entries answered {}: {:?}",
            r.status,
            r.problem()
        ));
    }
    let loc = r.header("location").ok_or_else(|| anyhow!("no Location"))?;
    Ok(loc.trim_start_matches("/entries/").to_string())
}

/// Polls until `path` answers 200 (following nothing), up to `timeout`.
pub fn poll_ready(url: &str, path: &str, timeout: Duration) -> anyhow::Result<Vec<u8>> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let r = get(url, path)?;
        match r.status {
            200 => return Ok(r.body),
            302 => {}
            s => return Err(anyhow!("GET {path} answered {s}: {:?}", r.problem())),
        }
        if std::time::Instant::now() > deadline {
            return Err(anyhow!("GET {path} still pending after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Prometheus gauge or counter without labels from `/metrics`.
pub fn metric(url: &str, name: &str) -> anyhow::Result<f64> {
    let r = get(url, "/metrics")?;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| anyhow!("metric {name} not found"))
}

/// The integrated tree size, from `/metrics`.
pub fn tree_size(url: &str) -> anyhow::Result<u64> {
    Ok(metric(url, "ashlog_tree_size")? as u64)
}
