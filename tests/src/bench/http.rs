//! One keep-alive HTTP/1.1 connection per load-generator task, straight on
//! hyper: no pool, no redirects, no per-request allocation beyond the
//! request itself, so the client costs as little CPU as possible and
//! requests on one connection are strictly sequential (what a real agency's
//! client would do).

use std::net::SocketAddr;

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Where a log (or witness) is: socket address, Host header, path prefix.
#[derive(Clone, Debug)]
pub struct Target {
    /// Resolved address.
    pub addr: SocketAddr,
    /// Host header value.
    pub host: String,
    /// Path prefix without a trailing slash ("" for the root).
    pub prefix: String,
}

impl Target {
    /// Parses `http://host:port[/prefix]`. Only plain HTTP: the benchmark
    /// runs on loopback (put TLS termination in front for anything else).
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let u = reqwest::Url::parse(url).with_context(|| format!("bad URL {url}"))?;
        if u.scheme() != "http" {
            bail!("ashlog-bench speaks plain http:// only (got {url})");
        }
        let host = u.host_str().ok_or_else(|| anyhow!("no host in {url}"))?;
        let port = u.port_or_known_default().unwrap_or(80);
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .with_context(|| format!("cannot resolve {host}"))?
            .next()
            .ok_or_else(|| anyhow!("{host} resolves to nothing"))?;
        Ok(Target {
            addr,
            host: format!("{host}:{port}"),
            prefix: u.path().trim_end_matches('/').to_string(),
        })
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    /// Status.
    pub status: StatusCode,
    /// Location header, if any.
    pub location: Option<String>,
    /// Body.
    pub body: Bytes,
}

/// One keep-alive connection.
pub struct Conn {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Reconnections after errors.
    pub reconnects: u64,
}

impl Conn {
    /// A connection to `target` (opened on first use).
    pub fn new(target: &Target) -> Conn {
        Conn {
            target: target.clone(),
            sender: None,
            reconnects: 0,
        }
    }

    async fn sender(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            if self.sender.is_some() {
                self.reconnects += 1;
            }
            let stream = tokio::net::TcpStream::connect(self.target.addr)
                .await
                .with_context(|| format!("connect {}", self.target.addr))?;
            stream.set_nodelay(true)?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP/1.1 handshake")?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        let s = self
            .sender
            .as_mut()
            .ok_or_else(|| anyhow!("no connection"))?;
        s.ready().await.context("connection not ready")?;
        Ok(s)
    }

    /// Sends one request and reads the whole response. On a transport
    /// error the connection is dropped and the next call reconnects.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> anyhow::Result<Response> {
        let uri = format!("{}{}", self.target.prefix, path);
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::HOST, &self.target.host);
        if let Some(ct) = content_type {
            req = req.header(hyper::header::CONTENT_TYPE, ct);
        }
        let req = req.body(Full::new(body))?;
        let result = async {
            let sender = self.sender().await?;
            let resp = sender.send_request(req).await.context("request")?;
            let status = resp.status();
            let location = resp
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = resp
                .into_body()
                .collect()
                .await
                .context("response body")?
                .to_bytes();
            Ok::<_, anyhow::Error>(Response {
                status,
                location,
                body,
            })
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Response> {
        self.send(Method::GET, path, None, Bytes::new()).await
    }

    /// POST `body` to `path` as `content_type`.
    pub async fn post(
        &mut self,
        path: &str,
        content_type: &str,
        body: Bytes,
    ) -> anyhow::Result<Response> {
        self.send(Method::POST, path, Some(content_type), body)
            .await
    }
}
