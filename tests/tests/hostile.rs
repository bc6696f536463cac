//! Hostile requests against the live log and witness (issue 8): malformed,
//! oversized, truncated, slow and numerous. Every case must end in a 4xx (or
//! a closed connection, for clients too slow to deserve an answer) within
//! [`BOUND`], append nothing, and leave the server serving everyone else;
//! at the end the processes' resident memory stays under [`MAX_RSS_KIB`].
//!
//! Each case prints one row (`HOSTILE | target | case | outcome | time`);
//! `cargo test -p ashlog-tests hostile -- --nocapture` gives the table in
//! RELIABILITY.md.
//!
//! Requests go to 127.0.0.1 only, through reqwest where it can say what we
//! mean, and through a raw `TcpStream` where it cannot (half-sent bodies,
//! lying Content-Length, unnormalised paths, bytes that are not UTF-8).

// Helpers of a test module: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ashlog::schema::{Document, fixtures};
use ashlog_tests::client;
use ashlog_tests::world::{Agency, PUBLISH_TIMEOUT, World, WorldOptions, now};
use sha2::Digest as _;

/// Longest a hostile request may take to be answered or cut off.
const BOUND: Duration = Duration::from_secs(10);
/// Largest resident set a server may have after the suite.
const MAX_RSS_KIB: u64 = 512 * 1024;
/// Idle connections opened at once. Each costs one descriptor here and one
/// in the server; `ulimit -n` is 20,000 on our machines and CI (the server
/// accepts up to 25,000 per worker), so 2,000 fits both with room to spare.
const IDLE_CONNECTIONS: usize = 2_000;

/// How a raw exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// The server closed (or reset) the connection without an answer.
    Closed,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Status(s) => write!(f, "{s}"),
            Outcome::Closed => f.write_str("closed"),
        }
    }
}

fn row(target: &str, case: &str, outcome: Outcome, took: Duration) {
    eprintln!(
        "HOSTILE | {target} | {case} | {outcome} | {:.2} s",
        took.as_secs_f64()
    );
}

/// Reads until the end of a response head, EOF or reset; panics past
/// `BOUND` (a hang is a failure).
fn read_outcome(stream: &mut TcpStream, started: Instant) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = BOUND.saturating_sub(started.elapsed());
        assert!(!left.is_zero(), "no answer within {BOUND:?}");
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("no answer within {BOUND:?}")
            }
            Err(_) => break, // reset: closed
        }
    }
    let head = String::from_utf8_lossy(&buf);
    match head
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| head.strip_prefix("HTTP/1.0 "))
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
    {
        Some(s) => Outcome::Status(s),
        None => Outcome::Closed,
    }
}

/// Sends `request` as is (write errors ignored: a server may answer and
/// close before reading it all), optionally half-closes, and reads the
/// outcome.
fn raw(addr: SocketAddr, request: &[u8], half_close: bool) -> (Outcome, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect_timeout(&addr, BOUND).unwrap();
    let _ = s.write_all(request);
    if half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    (read_outcome(&mut s, started), started.elapsed())
}

/// A POST with an exact body and Content-Length.
fn post_raw(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Sends `bytes` one at a time, `gap` apart, until the server answers or
/// closes; returns how that ended and when.
fn trickle(addr: SocketAddr, bytes: &[u8], gap: Duration) -> (Outcome, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect_timeout(&addr, BOUND).unwrap();
    s.set_nonblocking(true).unwrap();
    for b in bytes.iter().cycle() {
        assert!(
            started.elapsed() < BOUND,
            "a slow client was still connected after {BOUND:?}"
        );
        if s.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(gap);
        let mut probe = [0u8; 1];
        match s.peek(&mut probe) {
            Ok(_) => break, // an answer or EOF
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    s.set_nonblocking(false).unwrap();
    (read_outcome(&mut s, started), started.elapsed())
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

// --- CBOR by hand: hostile encodings no encoder would produce. ---

fn head(major: u8, arg: u64) -> Vec<u8> {
    let m = major << 5;
    match arg {
        0..=23 => vec![m | arg as u8],
        24..=0xff => vec![m | 24, arg as u8],
        0x100..=0xffff => [vec![m | 25], (arg as u16).to_be_bytes().to_vec()].concat(),
        0x1_0000..=0xffff_ffff => [vec![m | 26], (arg as u32).to_be_bytes().to_vec()].concat(),
        _ => [vec![m | 27], arg.to_be_bytes().to_vec()].concat(),
    }
}

fn bstr(b: &[u8]) -> Vec<u8> {
    [head(2, b.len() as u64), b.to_vec()].concat()
}

fn tstr(s: &str) -> Vec<u8> {
    [head(3, s.len() as u64), s.as_bytes().to_vec()].concat()
}

fn int(i: i64) -> Vec<u8> {
    if i >= 0 {
        head(0, i as u64)
    } else {
        head(1, (-1 - i) as u64)
    }
}

/// A COSE_Sign1 (tag 18) from its encoded parts; the signature is junk, so
/// only parsing is exercised.
fn sign1(protected: &[u8], unprotected: &[u8], payload: &[u8]) -> Vec<u8> {
    [
        vec![0xd2, 0x84],
        bstr(protected),
        unprotected.to_vec(),
        bstr(payload),
        bstr(&[0x11; 64]),
    ]
    .concat()
}

/// A protected header whose map has the given encoded entries.
fn protected(entries: &[Vec<u8>]) -> Vec<u8> {
    [head(5, entries.len() as u64 / 2), entries.concat()].concat()
}

fn good_protected(chain: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let x5: Vec<u8> = [
        head(4, chain.len() as u64),
        chain.iter().flat_map(|c| bstr(c)).collect(),
    ]
    .concat();
    vec![
        int(1),
        int(-7),
        int(3),
        tstr("application/vnd.ashlog.destruction+cbor"),
        int(15),
        [
            head(5, 3),
            int(1),
            tstr("https://dsj.wuxi.gov.cn"),
            int(2),
            tstr("s"),
            int(6),
            int(now()),
        ]
        .concat(),
        int(33),
        x5,
    ]
}

/// A valid statement, different for every `n` (the log answers a
/// statement it already holds with its existing entry).
fn valid_statement(agency: &Agency, n: i64) -> Vec<u8> {
    let mut doc = Document::from_toml(fixtures::all()[0].1).unwrap();
    doc.envelope.subject = format!("destruction/hostile/{n}");
    agency.sign_document(&doc, now() - 60)
}

/// A started log, its URL and socket address, and the Wuxi agency that registers on it.
fn log_world(options: WorldOptions) -> (World, String, SocketAddr, Agency) {
    let world = World::start(options).unwrap();
    let url = world.url.clone();
    let addr: SocketAddr = format!("127.0.0.1:{}", world.log_port).parse().unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    (world, url, addr, agency)
}

/// The next valid registration must be entry `expected`: nothing hostile
/// was appended in between.
fn register_next(world: &World, agency: &Agency, expected: &mut u64) {
    let started = Instant::now();
    let id = client::register(&world.url, &valid_statement(agency, *expected as i64))
        .unwrap_or_else(|e| panic!("valid registration refused after hostile requests: {e}"));
    assert!(
        started.elapsed() < BOUND,
        "valid registration took too long"
    );
    assert_eq!(
        id,
        format!("1.{expected}"),
        "the tree grew by a rejected request"
    );
    *expected += 1;
}

fn healthy(url: &str) {
    let started = Instant::now();
    let r = client::get(url, "/healthz").unwrap();
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < BOUND,
        "/healthz took {:?}",
        started.elapsed()
    );
}

fn assert_4xx(target: &str, case: &str, outcome: Outcome, took: Duration, url: &str) {
    row(target, case, outcome, took);
    match outcome {
        Outcome::Status(s) => assert!((400..500).contains(&s), "{case}: answered {s}"),
        Outcome::Closed => panic!("{case}: connection closed without an answer"),
    }
    assert!(took < BOUND, "{case}: took {took:?}");
    healthy(url);
}

fn assert_4xx_or_closed(target: &str, case: &str, outcome: Outcome, took: Duration, url: &str) {
    row(target, case, outcome, took);
    if let Outcome::Status(s) = outcome {
        assert!((400..500).contains(&s), "{case}: answered {s}");
    }
    assert!(took < BOUND, "{case}: took {took:?}");
    healthy(url);
}

/// Steps:
/// 1. start a log with one witness (quorum 1);
/// 2. POST /entries with every hostile body: truncated, oversized (declared
///    and streamed), huge declared lengths, deep nesting, duplicate keys,
///    indefinite lengths, non-UTF-8, a 100-certificate chain, garbage;
///    each is a 4xx within the bound, and /healthz still answers;
/// 3. hostile tile paths (traversal, non-canonical, huge numbers) and entry
///    ids: 4xx;
/// 4. slow clients (headers and bodies trickled): cut off within the bound;
/// 5. 2,000 idle connections held open while a healthz and a valid
///    registration are served promptly;
/// 6. after each group a valid registration gets the next entry id (the
///    tree grew only by them), and the log's RSS stays bounded.
#[test]
fn hostile_requests_to_the_log_get_4xx_and_it_keeps_serving() {
    let (world, url, addr, agency) = log_world(WorldOptions {
        witnesses: 1,
        quorum: 1,
        ..WorldOptions::default()
    });
    let mut next = 1u64;
    register_next(&world, &agency, &mut next);
    let log = "log";
    let good = valid_statement(&agency, 1_000);

    // 2. Bodies.
    let post = |case: &str, body: &[u8]| {
        let started = Instant::now();
        let r = client::post_statement(&url, body, None).unwrap();
        assert_4xx(
            log,
            case,
            Outcome::Status(r.status),
            started.elapsed(),
            &url,
        );
    };
    post("empty body", b"");
    post("truncated statement (half)", &good[..good.len() / 2]);
    post("truncated statement (last byte)", &good[..good.len() - 1]);
    post(
        "statement + trailing byte",
        &[good.clone(), vec![0]].concat(),
    );
    post("oversized body (64 KiB + 1)", &vec![0xa0; 64 * 1024 + 1]);
    post(
        "random bytes",
        &(0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    );
    post(
        "deeply nested arrays (60,000)",
        &[vec![0x81; 60_000], vec![0]].concat(),
    );
    post(
        "deeply nested maps (30,000)",
        &[[0xa1, 0x00].repeat(30_000), vec![0]].concat(),
    );
    post(
        "deeply nested tags (50,000)",
        &[vec![0xc6; 50_000], vec![0]].concat(),
    );
    post(
        "declared bstr length 2^63",
        &[vec![0x5b], (1u64 << 63).to_be_bytes().to_vec()].concat(),
    );
    post(
        "declared array length 2^32",
        &[vec![0x9b], (1u64 << 32).to_be_bytes().to_vec()].concat(),
    );
    post(
        "declared map length 2^64-1",
        &[vec![0xbb], u64::MAX.to_be_bytes().to_vec()].concat(),
    );
    post(
        "COSE payload declared 2^62 bytes",
        &[
            vec![0xd2, 0x84],
            bstr(&protected(&good_protected(&agency.chain))),
            vec![0xa0, 0x5b],
            (1u64 << 62).to_be_bytes().to_vec(),
        ]
        .concat(),
    );
    post(
        "indefinite-length array",
        &[
            vec![0xd2, 0x9f],
            bstr(&[0xa0]),
            vec![0xa0, 0xf6],
            bstr(&[0; 64]),
            vec![0xff],
        ]
        .concat(),
    );
    post(
        "indefinite-length payload bstr",
        &[
            vec![0xd2, 0x84],
            bstr(&protected(&good_protected(&agency.chain))),
            vec![0xa0, 0x5f],
            bstr(b"ab"),
            vec![0xff],
            bstr(&[0; 64]),
        ]
        .concat(),
    );
    post(
        "indefinite-length map in payload",
        &agency.sign_raw(
            "application/vnd.ashlog.destruction+cbor",
            "s",
            &[vec![0xbf], tstr("a"), int(1), vec![0xff]].concat(),
            now(),
        ),
    );
    let mut dup = good_protected(&agency.chain);
    dup.extend([int(1), int(-7)]);
    post(
        "duplicate key in protected header",
        &sign1(&protected(&dup), &[0xa0], &[0xa0]),
    );
    post(
        "duplicate key in signed payload",
        &agency.sign_raw(
            "application/vnd.ashlog.destruction+cbor",
            "s",
            &[head(5, 2), tstr("a"), int(1), tstr("a"), int(2)].concat(),
            now(),
        ),
    );
    post(
        "duplicate key in unprotected header",
        &sign1(
            &protected(&good_protected(&agency.chain)),
            &[vec![0xa2], int(4), bstr(b"k"), int(4), bstr(b"k")].concat(),
            &[0xa0],
        ),
    );
    let mut bad_utf8 = good_protected(&agency.chain);
    bad_utf8[3] = [head(3, 4), vec![0xff, 0xfe, 0xfd, 0xfc]].concat();
    post(
        "non-UTF-8 content type",
        &sign1(&protected(&bad_utf8), &[0xa0], &[0xa0]),
    );
    post(
        "non-UTF-8 text in signed payload",
        &agency.sign_raw(
            "application/vnd.ashlog.destruction+cbor",
            "s",
            &[head(5, 1), head(3, 2), vec![0xc3, 0x28], int(1)].concat(),
            now(),
        ),
    );
    // A real chain of 100 certificates: 98 intermediates under the root,
    // then the leaf, each signed by the one above.
    let mut cas = vec![
        world
            .root
            .new_intermediate(&name("CA 1"), now() - 86_400, now() + 86_400)
            .unwrap(),
    ];
    for i in 2..=98 {
        let ca = cas
            .last()
            .unwrap()
            .new_intermediate(&name(&format!("CA {i}")), now() - 86_400, now() + 86_400)
            .unwrap();
        cas.push(ca);
    }
    let key = ashlog::keys::P256SigningKey::generate().unwrap();
    let leaf = cas
        .last()
        .unwrap()
        .issue(
            &key,
            &name("Deep Agency"),
            "https://deep.example",
            now() - 86_400,
            now() + 86_400,
        )
        .unwrap();
    let mut chain = vec![leaf];
    chain.extend(cas.iter().rev().map(|c| c.cert_der().to_vec()));
    chain.push(world.root.cert_der().to_vec());
    assert_eq!(chain.len(), 100);
    let deep = Agency {
        key,
        chain,
        iss: "https://deep.example".into(),
    };
    let doc = Document::from_toml(fixtures::all()[0].1).unwrap();
    let deep_stmt = deep.sign_document(&doc, now() - 10);
    eprintln!("(100-certificate statement: {} bytes)", deep_stmt.len());
    post("x5chain of 100 certificates", &deep_stmt);
    let wrong_ct = {
        let started = Instant::now();
        let r = client::http()
            .post(format!("{url}/entries"))
            .header("content-type", "text/plain")
            .body(good.clone())
            .send()
            .unwrap();
        (r.status().as_u16(), started.elapsed())
    };
    assert_4xx(
        log,
        "wrong content type",
        Outcome::Status(wrong_ct.0),
        wrong_ct.1,
        &url,
    );
    register_next(&world, &agency, &mut next);

    // Transport-level lies, over raw TCP.
    let (o, t) = raw(addr, b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nContent-Length: 1000000000000\r\n\r\n", false);
    assert_4xx(log, "declared Content-Length 10^12", o, t, &url);
    let (o, t) = raw(addr, b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nContent-Length: 99999999999999999999999\r\n\r\n", false);
    assert_4xx(log, "Content-Length beyond u64", o, t, &url);
    let (o, t) = raw(addr, b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", false);
    assert_4xx(log, "two Content-Lengths", o, t, &url);
    let mut half = b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nContent-Length: 5000\r\n\r\n".to_vec();
    half.extend_from_slice(&good[..100]);
    let (o, t) = raw(addr, &half, true);
    assert_4xx_or_closed(
        log,
        "body shorter than Content-Length, then EOF",
        o,
        t,
        &url,
    );
    let mut chunked = b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..200 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend_from_slice(&[0xa0; 0x1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (o, t) = raw(addr, &chunked, false);
    assert_4xx(
        log,
        "chunked body of 800 KiB (no Content-Length)",
        o,
        t,
        &url,
    );
    let (o, t) = raw(addr, b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab", true);
    assert_4xx_or_closed(log, "chunk declared 2^64-1 bytes", o, t, &url);
    let big_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\n\r\n",
        "a".repeat(128 * 1024)
    );
    let (o, t) = raw(addr, big_header.as_bytes(), false);
    assert_4xx_or_closed(log, "128 KiB header", o, t, &url);
    let many_headers = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-A: b\r\n".repeat(10_000)
    );
    let (o, t) = raw(addr, many_headers.as_bytes(), false);
    assert_4xx_or_closed(log, "10,000 headers", o, t, &url);
    let (o, t) = raw(
        addr,
        b"GET /entries/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        false,
    );
    assert_4xx(log, "non-UTF-8 bytes in the request path", o, t, &url);
    let (o, t) = raw(
        addr,
        &post_raw("/entries", "application/cose\u{1}\u{7f}", &good),
        false,
    );
    assert_4xx_or_closed(log, "control bytes in Content-Type", o, t, &url);
    let (o, t) = raw(
        addr,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-not-http\r\n\r\n",
        false,
    );
    assert_4xx_or_closed(log, "TLS ClientHello / garbage request line", o, t, &url);
    register_next(&world, &agency, &mut next);

    // 3. Tile paths and entry ids, raw so that nothing normalises them.
    for path in [
        "/tile/../../etc/passwd",
        "/tile/0/../../../log.redb",
        "/tile/%2e%2e/%2e%2e/etc/passwd",
        "/tile/0/..%2f..%2flog.redb",
        "/tile/entries/../../ashlog.toml",
        "/statements/..%2F..%2Flog-p256.pem",
        "/tile/0/x001/x002/../003",
        "//tile/0/000",
        "/tile/0/000%00",
        "/tile/0/0000",
        "/tile/00/000",
        "/tile/64/000",
        "/tile/255/000",
        "/tile/0/x999/x999/x999/x999/x999/x999/x999/x999/x999/999",
        "/tile/0/000.p/0",
        "/tile/0/000.p/256",
        "/tile/0/000.p/99999999999999999999",
        "/tile/entries/x999/x999/x999/x999/x999/x999/999",
        "/statements/000.p/-1",
        "/tile/0/999",
        "/statements/999",
    ] {
        let (o, t) = raw(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            false,
        );
        assert_4xx(log, &format!("GET {path}"), o, t, &url);
    }
    let long_tile = format!("/tile/0/{}000", "x999/".repeat(2_000));
    let (o, t) = raw(
        addr,
        format!("GET {long_tile} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        false,
    );
    assert_4xx(
        log,
        "GET /tile/0/ with 2,000 index groups (10 KB)",
        o,
        t,
        &url,
    );
    for id in [
        "abc",
        "1",
        "1.",
        ".1",
        "0.1",
        "1.-1",
        "1.+1",
        "1.01",
        "1.1.1",
        "1.99999999999999999999",
        "4294967296.1",
        "1.18446744073709551615",
        "1.999999",
        "1.1%00",
        "..%2F..%2Flog.redb",
    ] {
        for suffix in ["", "/statement", "/tlog-proof"] {
            let p = format!("/entries/{id}{suffix}");
            let (o, t) = raw(
                addr,
                format!("GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
                false,
            );
            assert_4xx(log, &format!("GET {p}"), o, t, &url);
        }
    }
    let long_id = format!("/entries/1.{}", "9".repeat(10_000));
    let (o, t) = raw(
        addr,
        format!("GET {long_id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        false,
    );
    assert_4xx(log, "GET /entries/1.<10,000 nines>", o, t, &url);
    register_next(&world, &agency, &mut next);

    // 4. Slow clients.
    let (o, t) = trickle(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        Duration::from_millis(250),
    );
    assert_4xx_or_closed(log, "slowloris: request head at 4 bytes/s", o, t, &url);
    let slow_body = [
        b"POST /entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/cose\r\nContent-Length: 4000\r\n\r\n".to_vec(),
    ]
    .concat();
    let (o, t) = {
        let started = Instant::now();
        let mut s = TcpStream::connect_timeout(&addr, BOUND).unwrap();
        s.write_all(&slow_body).unwrap();
        s.set_nonblocking(true).unwrap();
        loop {
            assert!(
                started.elapsed() < BOUND,
                "a slow body was still being read after {BOUND:?}"
            );
            if s.write_all(&good[..1]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
            let mut probe = [0u8; 1];
            match s.peek(&mut probe) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        s.set_nonblocking(false).unwrap();
        (read_outcome(&mut s, started), started.elapsed())
    };
    assert_4xx_or_closed(log, "slow body: 4 bytes/s of a 4,000-byte body", o, t, &url);
    let (o, t) = {
        let started = Instant::now();
        let mut s = TcpStream::connect_timeout(&addr, BOUND).unwrap();
        (read_outcome(&mut s, started), started.elapsed())
    };
    assert_4xx_or_closed(log, "connection that never sends a byte", o, t, &url);
    register_next(&world, &agency, &mut next);

    // 5. Thousands of idle connections, then a normal client. Each idle
    // connection makes one request and then sits in keep-alive (30 s), so
    // all of them are open at once even on a loaded machine (a connection
    // that never sends a byte is cut after 5 s, as checked above).
    let started = Instant::now();
    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        let mut s = TcpStream::connect_timeout(&addr, BOUND).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        idle.push(s);
    }
    let opened = started.elapsed();
    let served = Instant::now();
    healthy(&url);
    register_next(&world, &agency, &mut next);
    let took = served.elapsed();
    eprintln!(
        "HOSTILE | {log} | {IDLE_CONNECTIONS} idle connections held open ({:.2} s to open) | healthz + registration served | {:.2} s",
        opened.as_secs_f64(),
        took.as_secs_f64()
    );
    assert!(took < BOUND);
    let pid = world.log.as_ref().unwrap().process.id();
    let rss = rss_kib(pid);
    eprintln!(
        "HOSTILE | {log} | resident memory with {IDLE_CONNECTIONS} connections open | {rss} KiB | -"
    );
    assert!(rss < MAX_RSS_KIB, "log RSS {rss} KiB");
    drop(idle);
    healthy(&url);

    // 6. Memory, and the log still publishes what it accepted.
    let rss = rss_kib(pid);
    eprintln!("HOSTILE | {log} | resident memory after the suite | {rss} KiB | -");
    assert!(rss < MAX_RSS_KIB, "log RSS {rss} KiB");
    let cp = world.wait_published(next, PUBLISH_TIMEOUT).unwrap();
    assert_eq!(
        cp.size, next,
        "published tree holds exactly the valid entries"
    );
}

/// Statement bundles are streamed, and at most `max_bundle_streams` go out at once. A client
/// that pipelines bundle requests and never reads stalls its stream once the kernel's socket
/// buffers are full (about 4 MB here, so after two or three 1.5 MB bundles): it then holds
/// one slot and one piece, not its bundles. With the slots (here one) taken, a bundle request is
/// a 503 with Retry-After while checkpoints and tiles are served as usual; when the client
/// goes, bundles are served again, byte for byte what the entries bundle commits to.
#[test]
fn a_stalled_bundle_reader_holds_one_slot_and_the_log_serves_on() {
    let (world, url, addr, agency) = log_world(WorldOptions {
        witnesses: 0,
        quorum: 0,
        http: vec!["max_bundle_streams = 1".into()],
        ..WorldOptions::default()
    });
    let mut next = 1u64;
    while next <= 256 {
        register_next(&world, &agency, &mut next);
    }
    world.wait_published(257, PUBLISH_TIMEOUT).unwrap();

    // The full bundle, streamed: Content-Length announced, every statement hashing to its
    // entry in the entries bundle.
    let full = client::get(&url, "/statements/000").unwrap();
    assert_eq!(full.status, 200);
    assert_eq!(
        full.header("content-length"),
        Some(full.body.len().to_string())
    );
    let entries = client::get(&url, "/tile/entries/000").unwrap();
    assert_eq!(entries.status, 200);
    let digests = ashlog::tile::parse_entry_bundle(&entries.body, 256).unwrap();
    let statements = ashlog::tile::parse_statement_bundle(&full.body, 256).unwrap();
    for (s, d) in statements.iter().zip(&digests) {
        assert_eq!(sha2::Sha256::digest(s).as_slice(), *d);
    }

    // A reader that asks for twenty bundles at once and reads none of them.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(&b"GET /statements/000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(20))
        .unwrap();
    let started = Instant::now();
    let refused = loop {
        let r = client::get(&url, "/statements/000").unwrap();
        if r.status == 503 {
            break r;
        }
        assert_eq!(r.status, 200, "bundle answered {}", r.status);
        assert!(
            started.elapsed() < BOUND,
            "the stalled reader never held the bundle slot"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!(
        "HOSTILE | log | pipelined bundle requests never read, max_bundle_streams = 1 | next bundle request 503 after {:.2} s, checkpoint and tiles served | -",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
    // Not a moment's overlap: the reader stays stalled, and so does its slot.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(client::get(&url, "/statements/000").unwrap().status, 503);
    let (title, _) = refused.problem().expect("problem details");
    assert!(!title.is_empty());
    assert_eq!(client::get(&url, "/checkpoint").unwrap().status, 200);
    assert_eq!(client::get(&url, "/tile/entries/000").unwrap().status, 200);
    assert_eq!(client::get(&url, "/tile/0/000").unwrap().status, 200);
    assert!(client::metric(&url, "ashlog_bundles_refused_total").unwrap() >= 1.0);

    // The reader goes; its slot comes back.
    drop(stalled);
    let started = Instant::now();
    loop {
        let r = client::get(&url, "/statements/000").unwrap();
        if r.status == 200 {
            assert_eq!(r.body, full.body);
            break;
        }
        assert_eq!(r.status, 503);
        assert!(
            started.elapsed() < BOUND,
            "the slot did not come back after the reader went"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn name(cn: &str) -> ashlog::pki::Name {
    ashlog::pki::Name {
        common_name: cn.into(),
        organization: "ashlog hostile test".into(),
        country: "CN".into(),
    }
}

/// Steps:
/// 1. start a log with one witness (quorum 1) and register one statement;
/// 2. POST /add-checkpoint to the witness with hostile bodies: oversized
///    (declared and sent), truncated, non-UTF-8, 10,000 proof lines,
///    garbage notes, lying Content-Length, a slow client; each is a 4xx
///    (or a cut-off connection) within the bound;
/// 3. the witness still cosigns: the log publishes a new statement, and its
///    RSS stays bounded.
#[test]
fn hostile_requests_to_the_witness_get_4xx_and_it_keeps_cosigning() {
    let world = World::start(WorldOptions {
        witnesses: 1,
        quorum: 1,
        ..WorldOptions::default()
    })
    .unwrap();
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let mut next = 1u64;
    register_next(&world, &agency, &mut next);
    world.wait_published(next, PUBLISH_TIMEOUT).unwrap();
    let w = &world.witnesses[0];
    let wurl = w.url.clone();
    let addr: SocketAddr = format!("127.0.0.1:{}", w.port).parse().unwrap();
    let note = client::get(&world.url, "/checkpoint").unwrap().body;
    let valid = [format!("old {}\n\n", next).into_bytes(), note.clone()].concat();
    let target = "witness";

    let post = |case: &str, body: &[u8]| {
        let started = Instant::now();
        let r = client::http()
            .post(format!("{wurl}/add-checkpoint"))
            .body(body.to_vec())
            .send()
            .unwrap();
        assert_4xx(
            target,
            case,
            Outcome::Status(r.status().as_u16()),
            started.elapsed(),
            &wurl,
        );
    };
    post("empty body", b"");
    post("oversized body (128 KiB + 1)", &vec![b'a'; 128 * 1024 + 1]);
    post("oversized body (4 MiB)", &vec![b'a'; 4 << 20]);
    post("truncated body (half)", &valid[..valid.len() / 2]);
    post("truncated body (last newline)", &valid[..valid.len() - 1]);
    post("no blank line", &valid[..6]);
    post(
        "non-UTF-8 old line",
        &[b"old \xff\xfe\n\n".to_vec(), note.clone()].concat(),
    );
    post(
        "non-UTF-8 note",
        &[
            b"old 0\n\n".to_vec(),
            b"\xff\xfe\xfd\n\n\xe2\x80\x94 x AAAA\n".to_vec(),
        ]
        .concat(),
    );
    post(
        "old with leading zero",
        &[b"old 01\n\n".to_vec(), note.clone()].concat(),
    );
    post(
        "old beyond u64",
        &[b"old 99999999999999999999999\n\n".to_vec(), note.clone()].concat(),
    );
    let line = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
    post(
        "10,000 proof lines",
        &[
            b"old 1\n".to_vec(),
            line.repeat(10_000).into_bytes(),
            b"\n".to_vec(),
            note.clone(),
        ]
        .concat(),
    );
    post(
        "2,000 proof lines (90 KB)",
        &[
            b"old 1\n".to_vec(),
            line.repeat(2_000).into_bytes(),
            b"\n".to_vec(),
            note.clone(),
        ]
        .concat(),
    );
    post(
        "64 proof lines",
        &[
            b"old 1\n".to_vec(),
            line.repeat(64).into_bytes(),
            b"\n".to_vec(),
            note.clone(),
        ]
        .concat(),
    );
    post(
        "proof line not base64",
        &[b"old 1\n!!!!\n\n".to_vec(), note.clone()].concat(),
    );
    post(
        "garbage note",
        &[
            b"old 0\n\n".to_vec(),
            (0..2000u32)
                .map(|i| (i * 31 % 256) as u8)
                .collect::<Vec<_>>(),
        ]
        .concat(),
    );
    post(
        "note without signatures",
        b"old 0\n\ntest.ashlog.invalid/log\n1\nAAAA\n\n",
    );
    post("note with 101 signature lines", &[b"old 0\n\ntest.ashlog.invalid/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n".to_vec(), "\u{2014} x AAAAAAAA\n".repeat(101).into_bytes()].concat());
    post("unknown origin", b"old 0\n\nevil.example/log\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\xe2\x80\x94 evil.example/log AAAAAAAA\n");
    let forged: Vec<u8> = String::from_utf8(note.clone())
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with('\u{2014}') {
                format!("{}AAAA", &l[..l.len() - 4])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    post(
        "forged log signatures",
        &[
            format!("old {next}\n\n").into_bytes(),
            forged,
            b"\n".to_vec(),
        ]
        .concat(),
    );
    post(
        "old larger than size",
        &[b"old 999\n\n".to_vec(), note.clone()].concat(),
    );

    let (o, t) = raw(
        addr,
        b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n",
        false,
    );
    assert_4xx(target, "declared Content-Length 10^12", o, t, &wurl);
    let mut half =
        b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n".to_vec();
    half.extend_from_slice(&valid[..50]);
    let (o, t) = raw(addr, &half, true);
    assert_4xx_or_closed(
        target,
        "body shorter than Content-Length, then EOF",
        o,
        t,
        &wurl,
    );
    let (o, t) = trickle(
        addr,
        b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        Duration::from_millis(250),
    );
    assert_4xx_or_closed(target, "slowloris: request head at 4 bytes/s", o, t, &wurl);
    let (o, t) = {
        let started = Instant::now();
        let mut s = TcpStream::connect_timeout(&addr, BOUND).unwrap();
        s.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n")
            .unwrap();
        s.set_nonblocking(true).unwrap();
        loop {
            assert!(
                started.elapsed() < BOUND,
                "a slow body was still being read after {BOUND:?}"
            );
            if s.write_all(b"o").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
            let mut probe = [0u8; 1];
            match s.peek(&mut probe) {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        s.set_nonblocking(false).unwrap();
        (read_outcome(&mut s, started), started.elapsed())
    };
    assert_4xx_or_closed(
        target,
        "slow body: 4 bytes/s of a 4,000-byte body",
        o,
        t,
        &wurl,
    );
    for path in [
        "/../../etc/passwd",
        "/%2e%2e/checkpoint",
        "/ZZZ/checkpoint",
        "/0000000000000000000000000000000000000000000000000000000000000000/checkpoint",
    ] {
        let (o, t) = raw(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            false,
        );
        assert_4xx(target, &format!("GET {path}"), o, t, &wurl);
    }

    // 3. Still cosigning, memory bounded.
    register_next(&world, &agency, &mut next);
    world
        .wait_published(next, PUBLISH_TIMEOUT)
        .unwrap_or_else(|e| panic!("the witness stopped cosigning: {e}"));
    let pid = w.child.as_ref().unwrap().process.id();
    let rss = rss_kib(pid);
    eprintln!("HOSTILE | {target} | resident memory after the suite | {rss} KiB | -");
    assert!(rss < MAX_RSS_KIB, "witness RSS {rss} KiB");
}
