//! `ashlog commitment build` and `audit` run as an agency and an auditor
//! would, and the published directory checked the way a citizen's client
//! will: blind the identifier, have the key holder evaluate it, finalise
//! under the statement's public key, fetch one bucket file, verify it to the
//! committed root and read the answer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ashlog::commitment::identifier::{IdentifierType, synthetic_resident};
use ashlog::commitment::input::{Context, prf_input};
use ashlog::commitment::keyfile::{KeyFile, LeafKey};
use ashlog::commitment::oprf::{Blinded, OprfPublicKey};
use ashlog::commitment::tree::{Answer, BucketFile, bucket_of};
use ashlog::merkle::Hash;
use ashlog_tests::harness::bin;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn ashlog(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(bin("ashlog").unwrap())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn block_of(dir: &Path) -> ashlog::schema::Commitment {
    let text = std::fs::read_to_string(dir.join("commitment.toml")).unwrap();
    let t: toml::Table = toml::from_str(&text).unwrap();
    t["statement"]["commitment"].clone().try_into().unwrap()
}

/// 3,000 people, each in one to three rows, plus rows a careful officer
/// would want reported: a legacy number, a typo, a blank line.
fn records(dir: &Path) -> (PathBuf, Vec<String>) {
    let people: Vec<String> = (0..3000).map(|n| synthetic_resident(n).unwrap()).collect();
    let mut text = String::new();
    for (i, p) in people.iter().enumerate() {
        for _ in 0..=(i % 3) {
            text.push_str(p);
            text.push('\n');
        }
        if i == 10 {
            text.push_str("110105491231002\n");
        }
        if i == 20 {
            let mut typo = p.clone().into_bytes();
            typo[16] = if typo[16] == b'0' { b'1' } else { b'0' };
            text.push_str(std::str::from_utf8(&typo).unwrap());
            text.push('\n');
        }
        if i == 30 {
            text.push('\n');
        }
    }
    let path = dir.join("records.txt");
    std::fs::write(&path, text).unwrap();
    (path, people)
}

#[test]
fn build_then_audit_then_check_a_member_and_a_stranger() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (rec, people) = records(dir);
    let out = ashlog(
        dir,
        &[
            "commitment",
            "build",
            "records.txt",
            "--context",
            "wuxi-health-2023",
            "--key-out",
            "commitment.key",
            "-o",
            "published",
            "--bucket-bits",
            "3",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Refusals are counted by reason and line; no identifier is shown.
    assert!(
        out.stderr.contains("3000 distinct subjects"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("refused (legacy_15_digit): 1 rows"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("refused (check_character): 1 rows"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("refused (empty): 1 rows"),
        "{}",
        out.stderr
    );
    for p in &people {
        assert!(!out.stdout.contains(&p[..17]) && !out.stderr.contains(&p[..17]));
    }
    let published = dir.join("published");
    for entry in walk(&published) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("990000"),
            "{} holds an identifier",
            entry.display()
        );
    }
    // The printed block is the one in the directory, and it validates.
    let c = block_of(&published);
    assert_eq!(ashlog_cli_block(&out.stdout), c);
    assert_eq!(c.leaf_count, 3000);
    assert_eq!(c.bucket_bits, Some(3));
    assert!(!dir.join("published.partial").exists());
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir.join("commitment.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        !walk(&published)
            .iter()
            .any(|p| p.ends_with("commitment.key"))
    );

    // The auditor: from the published files, then from the live records.
    let a = ashlog(dir, &["commitment", "audit", "published"]);
    assert_eq!(a.code, 0, "{}\n{}", a.stdout, a.stderr);
    assert!(a.stdout.contains("CONSISTENT: 3000 leaves"));
    let a = ashlog(
        dir,
        &[
            "commitment",
            "audit",
            "published",
            "--records",
            "records.txt",
            "--key",
            "commitment.key",
        ],
    );
    assert_eq!(a.code, 0, "{}\n{}", a.stdout, a.stderr);
    // Records with one person fewer do not give the committed set.
    let short: String = std::fs::read_to_string(&rec)
        .unwrap()
        .lines()
        .filter(|l| *l != people[7])
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("short.txt"), short).unwrap();
    let a = ashlog(
        dir,
        &[
            "commitment",
            "audit",
            "published",
            "--records",
            "short.txt",
            "--key",
            "commitment.key",
        ],
    );
    assert_eq!(a.code, 1, "{}\n{}", a.stdout, a.stderr);
    assert!(
        a.stdout
            .contains("✗ the records, with the key, give exactly the committed set")
    );

    // A citizen's check, step by step.
    let key = KeyFile::read(&dir.join("commitment.key")).unwrap();
    let LeafKey::Oprf(oprf) = &key.key else {
        panic!("oprf key expected")
    };
    let pk = OprfPublicKey::from_hex(c.oprf_public_key.as_deref().unwrap()).unwrap();
    let root = Hash::from_hex(&c.root).unwrap();
    let ctx = Context::new(c.context.as_deref().unwrap()).unwrap();
    let check = |id: &str| -> Answer {
        let id = IdentifierType::CnRid18.canonicalise(id).unwrap();
        let x = prf_input(&ctx, &id);
        let b = Blinded::new(&x).unwrap();
        let answer = oprf.blind_evaluate(b.message()).unwrap();
        let leaf = b.finalize(&x, &answer, &pk).unwrap();
        let bucket = bucket_of(&leaf, 3);
        let file = std::fs::read(published.join(BucketFile::path(3, bucket))).unwrap();
        let file = BucketFile::parse(&file).unwrap();
        file.verify(&root, c.leaf_count, 3, bucket).unwrap();
        let saved = file.proof.narrow_to(&leaf).unwrap();
        saved.verify(&root, c.leaf_count).unwrap();
        assert!(saved.to_bytes().len() <= 2048);
        saved.answer(&leaf).unwrap()
    };
    assert!(matches!(check(&people[42]), Answer::Member { .. }));
    assert!(matches!(check(&people[2999]), Answer::Member { .. }));
    let stranger = synthetic_resident(3000).unwrap();
    assert!(matches!(check(&stranger), Answer::NotMember { .. }));

    // Tampering with any published file is caught.
    let bucket = published.join(BucketFile::path(3, 5));
    let mut b = std::fs::read(&bucket).unwrap();
    let last = b.len() - 1;
    b[last] ^= 1;
    std::fs::write(&bucket, &b).unwrap();
    let a = ashlog(dir, &["commitment", "audit", "published"]);
    assert_eq!(a.code, 1, "{}", a.stdout);
    assert!(a.stdout.contains("✗ all 8 bucket files"), "{}", a.stdout);
    b[last] ^= 1;
    std::fs::write(&bucket, &b).unwrap();
    let leaves = published.join("leaves");
    let mut l = std::fs::read(&leaves).unwrap();
    let (a, b) = l.split_at_mut(32 * 101);
    a[32 * 100..].swap_with_slice(&mut b[..32]);
    std::fs::write(&leaves, &l).unwrap();
    let a = ashlog(dir, &["commitment", "audit", "published"]);
    assert_eq!(a.code, 1, "{}", a.stdout);
}

#[test]
fn a_build_that_cannot_finish_leaves_no_key_and_no_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("bad.txt"), "110105491231002\nnot a number\n").unwrap();
    let out = ashlog(
        dir,
        &[
            "commitment",
            "build",
            "bad.txt",
            "--context",
            "c",
            "--key-out",
            "k",
            "-o",
            "out",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no valid identifier"), "{}", out.stderr);
    assert!(!dir.join("k").exists() && !dir.join("out").exists());
    // An existing output directory is never touched.
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::write(dir.join("out/keep"), "x").unwrap();
    std::fs::write(dir.join("ok.txt"), synthetic_resident(1).unwrap()).unwrap();
    let out = ashlog(
        dir,
        &[
            "commitment",
            "build",
            "ok.txt",
            "--context",
            "c",
            "--key-out",
            "k",
            "-o",
            "out",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(dir.join("out/keep")).unwrap(), "x");
    assert!(!dir.join("k").exists());
    // Fewer than 1,000 people: a commitment would single them out.
    let few: String = (0..999)
        .map(|n| synthetic_resident(n).unwrap() + "\n")
        .collect();
    std::fs::write(dir.join("few.txt"), few).unwrap();
    let out = ashlog(
        dir,
        &[
            "commitment",
            "build",
            "few.txt",
            "--context",
            "c",
            "--key-out",
            "k",
            "-o",
            "o3",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("at least 1000"), "{}", out.stderr);
    assert!(!dir.join("k").exists() && !dir.join("o3").exists());
    // A bad context or identifier type is refused before reading anything.
    let out = ashlog(
        dir,
        &[
            "commitment",
            "build",
            "ok.txt",
            "--context",
            "Wu Xi",
            "--key-out",
            "k",
            "-o",
            "o2",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--context"), "{}", out.stderr);
}

#[test]
fn csv_records_and_hmac_leaves() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut csv = String::from("name,phone\n");
    for n in 0..1500u64 {
        csv.push_str(&format!("\"Person, {n}\",+86139{n:08}\n"));
    }
    csv.push_str("Nobody,13900000000\n");
    std::fs::write(dir.join("r.csv"), csv).unwrap();
    let out = ashlog(
        dir,
        &[
            "commitment",
            "build",
            "r.csv",
            "--format",
            "csv",
            "--column",
            "phone",
            "--type",
            "E164-phone",
            "--context",
            "phones",
            "--leaf-kind",
            "hmac_sha256_keyed",
            "--key-out",
            "k",
            "-o",
            "out",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("refused (missing_plus): 1 rows, lines 1502"),
        "{}",
        out.stderr
    );
    let c = block_of(&dir.join("out"));
    assert_eq!(c.leaf_count, 1500);
    assert_eq!(c.oprf_public_key, None);
    let a = ashlog(
        dir,
        &[
            "commitment",
            "audit",
            "out",
            "--records",
            "r.csv",
            "--format",
            "csv",
            "--column",
            "phone",
            "--key",
            "k",
        ],
    );
    assert_eq!(a.code, 0, "{}\n{}", a.stdout, a.stderr);
}

fn ashlog_cli_block(stdout: &str) -> ashlog::schema::Commitment {
    let t: toml::Table = toml::from_str(stdout).unwrap();
    t["statement"]["commitment"].clone().try_into().unwrap()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
