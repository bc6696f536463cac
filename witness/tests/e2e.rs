//! End to end: the real `ashlog-witness` binary in a temporary directory on
//! 127.0.0.1 at a port it picks itself (`--listen 127.0.0.1:0`, address read
//! from its stdout), driven over plain HTTP/1.1. Child logs (stderr) are
//! printed only when a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ashlog_tlog::add_checkpoint::format_request;
use ashlog_tlog::checkpoint::Checkpoint;
use ashlog_tlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog_tlog::merkle::{self, Hash};
use ashlog_tlog::note::{Note, NoteSignature};
use ashlog_tlog::testing::TestTree;
use ashlog_tlog::vkey::{NoteSigner, VerifierKey};
use sha2::{Digest as _, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_ashlog-witness");
const ORIGIN: &str = "log.example.org/ashlog/1";

// ---------------------------------------------------------------------------
// A log: the library's test tree, signed like ashlog signs.

type Tree = TestTree;

/// A log dual-signed like ashlog (0x05 P-256 and 0x01 Ed25519, both named
/// after the origin).
struct Log {
    p256: NoteSigner,
    ed25519: NoteSigner,
}

impl Log {
    fn new() -> Log {
        Log {
            p256: NoteSigner::Rfc6962 {
                name: ORIGIN.into(),
                key: P256SigningKey::generate().unwrap(),
            },
            ed25519: NoteSigner::Ed25519 {
                name: ORIGIN.into(),
                key: Ed25519SigningKey::generate().unwrap(),
            },
        }
    }

    fn vkeys(&self) -> Vec<VerifierKey> {
        vec![
            self.p256.verifier().unwrap(),
            self.ed25519.verifier().unwrap(),
        ]
    }

    fn text(tree: &Tree, size: u64) -> String {
        format!("{ORIGIN}\n{size}\n{}\n", tree.root(size).to_base64())
    }

    fn note(&self, tree: &Tree, size: u64) -> String {
        let mut n = Note::new(&Log::text(tree, size)).unwrap();
        n.sign(&self.p256, now_secs() * 1000).unwrap();
        n.sign(&self.ed25519, 0).unwrap();
        String::from_utf8(n.to_bytes()).unwrap()
    }

    fn body(&self, tree: &Tree, old: u64, new: u64) -> Vec<u8> {
        body_with(
            old,
            &tree.consistency_proof(old, new),
            &self.note(tree, new),
        )
    }
}

fn body_with(old: u64, proof: &[Hash], note: &str) -> Vec<u8> {
    format_request(old, proof, note.as_bytes())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn origin_hash() -> String {
    hex::encode(Sha256::digest(ORIGIN.as_bytes()))
}

// ---------------------------------------------------------------------------
// A tiny HTTP/1.1 client (one request per connection).

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> std::io::Result<Response> {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::other(format!("bad response: {what}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| bad("chunk size"))?;
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
                .map_err(|_| bad("chunk size"))?;
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = out;
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("content-length"))?;
        if body.len() < len {
            return Err(bad("truncated body"));
        }
        body.truncate(len);
    }
    Ok(Response { body, ..resp })
}

fn post(addr: SocketAddr, body: &[u8]) -> Response {
    request(addr, "POST", "/add-checkpoint", body).unwrap()
}

fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, b"").unwrap()
}

// ---------------------------------------------------------------------------
// Running the binary.

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Creates a witness with `log` configured; returns its directory and vkey.
fn setup(root: &Path, log: &Log) -> (PathBuf, VerifierKey) {
    let dir = root.join("witness");
    let d = dir.to_str().unwrap();
    let out = cli(&["init", "--name", "witness.example.org/e2e", "--dir", d]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let vkeys: Vec<String> = log.vkeys().iter().map(VerifierKey::to_vkey).collect();
    let mut args = vec!["add-log", "--dir", d, ORIGIN];
    args.extend(vkeys.iter().map(String::as_str));
    let out = cli(&args);
    assert!(out.status.success(), "{out:?}");
    let out = cli(&["vkey", "--dir", d]);
    assert!(out.status.success(), "{out:?}");
    let vkey = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(stdout.contains(&vkey), "init printed another vkey");
    assert!(stdout.contains(&format!("witness witness.example.org-e2e {vkey} http://")));
    (dir, VerifierKey::parse(&vkey).unwrap())
}

/// A running `ashlog-witness serve`; killed on drop, and its log printed if
/// the test is failing.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, run: usize) -> Server {
        let log = dir.join(format!("serve-{run}.log"));
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--dir",
                dir.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(a) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(a.parse::<SocketAddr>().unwrap());
                }
            }
        });
        let mut server = Server {
            child,
            addr: "127.0.0.1:1".parse().unwrap(),
            log,
        };
        server.addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("witness did not report its address");
        assert!(server.addr.ip().is_loopback());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = request(server.addr, "GET", "/healthz", b"")
                && r.status == 200
            {
                assert_eq!(r.body, b"ok");
                break;
            }
            assert!(Instant::now() < deadline, "witness never became healthy");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// SIGKILL, no warning.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM; the witness must exit 0.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let st = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(st.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "witness exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "witness ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- witness log {} ----\n{}",
                self.log.display(),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

/// Checks a 200 response: one cosignature line by the witness that verifies
/// over `note`. Returns the line.
fn check_cosignature(resp: &Response, note: &str, witness: &VerifierKey) -> NoteSignature {
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let text = resp.text();
    assert_eq!(text.matches('\n').count(), 1, "{text}");
    let line = NoteSignature::parse_line(&text).unwrap();
    let mut n = Note::parse(note.as_bytes()).unwrap();
    n.add_signature(line.clone()).unwrap();
    let v = n.verify(std::slice::from_ref(witness)).unwrap();
    let ts = v[0].timestamp.unwrap();
    assert!(ts > 0 && ts.abs_diff(now_secs()) < 300, "timestamp {ts}");
    line
}

/// The witness's latest checkpoint, verified under the log's and its own
/// keys (size 0 if none).
fn held(addr: SocketAddr, log: &Log, witness: &VerifierKey) -> Checkpoint {
    let r = get(addr, &format!("/{}/checkpoint", origin_hash()));
    if r.status == 404 {
        return Checkpoint {
            origin: ORIGIN.into(),
            size: 0,
            root: merkle::empty_root(),
        };
    }
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let n = Note::parse(&r.body).unwrap();
    assert_eq!(n.verify(&log.vkeys()).unwrap().len(), 2);
    n.verify(std::slice::from_ref(witness)).unwrap();
    Checkpoint::parse(n.text()).unwrap()
}

/// The witness binary, step by step:
///
/// 1. `init`, `add-log` with the log's 0x05 and 0x01 keys, `vkey`; `add-log`
///    with a key named after another origin fails with a message;
/// 2. `serve` on 127.0.0.1:0, healthy;
/// 3. `old 0` → size 5: 200, the cosignature verifies under the vkey;
/// 4. `old 0` again: 409, `text/x.tlog.size`, body `5\n`;
/// 5. 5 → 8 with a proof: 200;
/// 6. a body announced at 200 000 bytes: 413 after a few bytes were sent;
/// 7. unknown origin 404, a checkpoint signed by another key 403, `old`
///    above the size 400;
/// 8. `GET /<hash>/checkpoint`: size 8, the log's two lines and the
///    cosignature;
/// 9. a fork (same size, another root): 422, and `GET /evidence` holds both
///    notes;
/// 10. `/metrics` counts it all; SIGTERM stops the witness with exit 0, and a
///     restart still holds size 8 and the evidence.
#[test]
fn witness_binary_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let log = Log::new();
    let tree = TestTree::salted(16, "main");
    let fork = TestTree::salted(16, "fork");

    // 1.
    let (dir, wkey) = setup(tmp.path(), &log);
    let other = NoteSigner::Ed25519 {
        name: "other.example/log".into(),
        key: Ed25519SigningKey::generate().unwrap(),
    };
    let out = cli(&[
        "add-log",
        "--dir",
        dir.to_str().unwrap(),
        ORIGIN,
        &other.verifier().unwrap().to_vkey(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("named exactly like the origin"), "{err}");

    // 2.
    let server = Server::start(&dir, 0);
    let addr = server.addr;

    // 3.
    let note5 = log.note(&tree, 5);
    let r = post(addr, &body_with(0, &[], &note5));
    check_cosignature(&r, &note5, &wkey);

    // 4.
    let r = post(addr, &log.body(&tree, 0, 8));
    assert_eq!(r.status, 409);
    assert_eq!(r.header("content-type"), Some("text/x.tlog.size"));
    assert_eq!(r.body, b"5\n");

    // 5.
    let note8 = log.note(&tree, 8);
    let r = post(addr, &body_with(5, &tree.consistency_proof(5, 8), &note8));
    check_cosignature(&r, &note8, &wkey);

    // 6. The witness answers from Content-Length, before the body arrives.
    {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(
            b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\nConnection: close\r\n\r\nold 8\n",
        )
        .unwrap();
        let r = read_response(&mut s).unwrap();
        assert_eq!(r.status, 413, "{}", r.text());
    }

    // 7.
    let stranger = Log {
        p256: NoteSigner::Rfc6962 {
            name: "other.example/log".into(),
            key: P256SigningKey::generate().unwrap(),
        },
        ed25519: other,
    };
    let note = {
        let text = format!("other.example/log\n5\n{}\n", tree.root(5).to_base64());
        let mut n = Note::new(&text).unwrap();
        n.sign(&stranger.p256, 1).unwrap();
        String::from_utf8(n.to_bytes()).unwrap()
    };
    assert_eq!(post(addr, &body_with(0, &[], &note)).status, 404);
    assert_eq!(post(addr, &Log::new().body(&tree, 8, 9)).status, 403);
    assert_eq!(
        post(addr, &body_with(9, &[], &log.note(&tree, 8))).status,
        400
    );

    // 8.
    let cp = held(addr, &log, &wkey);
    assert_eq!(cp.size, 8);
    assert_eq!(cp.root, tree.root(8));

    // 9.
    let forked = log.note(&fork, 8);
    let r = post(addr, &body_with(8, &[], &forked));
    assert_eq!(r.status, 422, "{}", r.text());
    let r = get(addr, "/evidence");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let ev: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let ev = ev.as_array().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["origin"], ORIGIN);
    assert_eq!(ev[0]["kind"], "same_size_different_root");
    assert_eq!(ev[0]["refused_note"], forked);
    let stored_note = ev[0]["stored_note"].as_str().unwrap();
    let stored = Note::parse(stored_note.as_bytes()).unwrap();
    stored.verify(std::slice::from_ref(&wkey)).unwrap();
    assert_eq!(Checkpoint::parse(stored.text()).unwrap(), cp);
    Note::parse(forked.as_bytes())
        .unwrap()
        .verify(&log.vkeys())
        .unwrap();

    // 10.
    let m = get(addr, "/metrics").text();
    for want in [
        "ashlog_witness_add_checkpoint_requests_total{code=\"200\"} 2\n",
        "ashlog_witness_add_checkpoint_requests_total{code=\"409\"} 1\n",
        "ashlog_witness_add_checkpoint_requests_total{code=\"413\"} 1\n",
        "ashlog_witness_add_checkpoint_requests_total{code=\"422\"} 1\n",
        "ashlog_witness_cosignatures_total 2\n",
        "ashlog_witness_evidence_stored 1\n",
        "ashlog_witness_log_size{origin=\"log.example.org/ashlog/1\"} 8\n",
    ] {
        assert!(m.contains(want), "missing {want:?} in\n{m}");
    }
    server.terminate();
    let server = Server::start(&dir, 1);
    assert_eq!(held(server.addr, &log, &wkey).size, 8);
    let ev: serde_json::Value =
        serde_json::from_slice(&get(server.addr, "/evidence").body).unwrap();
    assert_eq!(ev.as_array().unwrap().len(), 1);
}

/// A small xorshift generator; the seed is printed so a failure can be
/// replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One 200 a client received.
struct Cosigned {
    size: u64,
    root: Hash,
    note: String,
    line: NoteSignature,
}

/// Kill the witness with SIGKILL while three clients stream add-checkpoint
/// requests at it (honest growth, plus forks at the same size and forks with
/// proofs), restart it, and repeat. After every restart the stored size is at
/// least the largest size any client got a cosignature for (never went
/// backwards) and lies on the honest tree; at the end every cosignature ever
/// returned verifies, is for the honest tree, and all cosigned checkpoints
/// are mutually consistent.
#[test]
fn witness_binary_survives_sigkill_mid_stream() {
    const N: usize = 8192;
    const ROUNDS: usize = 4;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}");
    let tmp = tempfile::tempdir().unwrap();
    let log = Arc::new(Log::new());
    let tree = Arc::new(TestTree::salted(N as u64, "main"));
    let fork = Arc::new(TestTree::salted(N as u64, "fork"));
    let (dir, wkey) = setup(tmp.path(), &log);
    let cosigned: Arc<Mutex<Vec<Cosigned>>> = Arc::default();
    let forks_refused = Arc::new(AtomicU64::new(0));
    // Requests cut off by a SIGKILL after they were sent (not merely refused).
    let interrupted = Arc::new(AtomicU64::new(0));
    let mut rng = Rng(seed);
    let mut floor = 0u64;

    for round in 0..ROUNDS {
        let server = Server::start(&dir, round);
        let addr = server.addr;
        let cp = held(addr, &log, &wkey);
        // Never backwards: at least every size a client was told is cosigned.
        assert!(
            cp.size >= floor,
            "round {round}: witness holds {} after a crash, but {floor} was cosigned",
            cp.size
        );
        assert_eq!(
            cp.root,
            tree.root(cp.size),
            "held checkpoint is not on the honest tree"
        );
        let start_size = Arc::new(AtomicU64::new(cp.size));
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..3)
            .map(|c| {
                let (log, tree, fork) = (log.clone(), tree.clone(), fork.clone());
                let (cosigned, refused) = (cosigned.clone(), forks_refused.clone());
                let (stop, start_size) = (stop.clone(), start_size.clone());
                let interrupted = interrupted.clone();
                let mut rng = Rng(seed ^ ((round * 3 + c + 1) as u64).wrapping_mul(0x9e37_79b9));
                std::thread::spawn(move || {
                    let mut old = start_size.load(Ordering::Relaxed);
                    while !stop.load(Ordering::Relaxed) {
                        let forking = old > 0 && rng.below(5) == 0;
                        let (body, note, new) = if forking {
                            if rng.below(2) == 0 {
                                let note = log.note(&fork, old);
                                (body_with(old, &[], &note), note, old)
                            } else {
                                let new = (old + 1 + rng.below(4)).min(N as u64);
                                let note = log.note(&fork, new);
                                (
                                    body_with(old, &fork.consistency_proof(old, new), &note),
                                    note,
                                    new,
                                )
                            }
                        } else {
                            let new = (old + rng.below(9)).min(N as u64);
                            let note = log.note(&tree, new);
                            (
                                body_with(old, &tree.consistency_proof(old, new), &note),
                                note,
                                new,
                            )
                        };
                        let r = match request(addr, "POST", "/add-checkpoint", &body) {
                            Ok(r) => r,
                            Err(e) => {
                                // The witness is gone (killed): this client is done.
                                if e.kind() != std::io::ErrorKind::ConnectionRefused {
                                    interrupted.fetch_add(1, Ordering::Relaxed);
                                }
                                return;
                            }
                        };
                        match r.status {
                            200 => {
                                let line = NoteSignature::parse_line(&r.text()).unwrap();
                                let cp =
                                    Checkpoint::parse(Note::parse(note.as_bytes()).unwrap().text())
                                        .unwrap();
                                cosigned.lock().unwrap().push(Cosigned {
                                    size: cp.size,
                                    root: cp.root,
                                    note,
                                    line,
                                });
                                old = new;
                            }
                            409 => {
                                old = std::str::from_utf8(&r.body)
                                    .unwrap()
                                    .trim_end_matches('\n')
                                    .parse()
                                    .unwrap();
                            }
                            422 if forking => {
                                refused.fetch_add(1, Ordering::Relaxed);
                            }
                            s => panic!("unexpected {s}: {}", r.text()),
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150 + rng.below(250)));
        if round + 1 == ROUNDS {
            // The last round ends quietly, then the witness is killed idle.
            stop.store(true, Ordering::Relaxed);
            for c in clients {
                c.join().unwrap();
            }
            server.kill();
        } else {
            // SIGKILL with requests in flight.
            server.kill();
            for c in clients {
                c.join().unwrap();
            }
        }
        floor = cosigned
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.size)
            .max()
            .unwrap_or(0);
    }
    // After the last kill, one more restart.
    let server = Server::start(&dir, ROUNDS);
    let cp = held(server.addr, &log, &wkey);
    assert!(cp.size >= floor, "holds {} < cosigned {floor}", cp.size);
    assert_eq!(cp.root, tree.root(cp.size));

    let all = cosigned.lock().unwrap();
    assert!(
        all.len() > 10,
        "only {} cosignatures: the test did too little",
        all.len()
    );
    assert!(
        forks_refused.load(Ordering::Relaxed) > 0,
        "no fork was tried"
    );
    assert!(
        interrupted.load(Ordering::Relaxed) > 0,
        "no SIGKILL landed while a request was in flight"
    );
    // Every cosignature verifies, and every cosigned checkpoint lies on the
    // honest tree...
    for c in all.iter() {
        let mut n = Note::parse(c.note.as_bytes()).unwrap();
        n.add_signature(c.line.clone()).unwrap();
        n.verify(std::slice::from_ref(&wkey)).unwrap();
        assert_eq!(
            c.root,
            tree.root(c.size),
            "cosigned a fork at size {}",
            c.size
        );
    }
    // ...so they are mutually consistent: check it as a verifier would,
    // with a consistency proof between each pair of neighbouring sizes.
    let mut sizes: Vec<(u64, Hash)> = all.iter().map(|c| (c.size, c.root)).collect();
    sizes.sort();
    sizes.dedup();
    for w in sizes.windows(2) {
        let ((a, ra), (b, rb)) = (w[0], w[1]);
        assert_ne!(a, b, "two roots cosigned for size {a}");
        if a > 0 {
            merkle::verify_consistency(a, b, &tree.consistency_proof(a, b), &ra, &rb).unwrap();
        }
    }
    eprintln!(
        "{} cosignatures up to size {}, {} forks refused, {} requests cut off by {} SIGKILLs",
        all.len(),
        sizes.last().map(|s| s.0).unwrap_or(0),
        forks_refused.load(Ordering::Relaxed),
        interrupted.load(Ordering::Relaxed),
        ROUNDS - 1
    );
}
