//! The `ashlog` CLI driven as a user would (assert_cmd), against the real
//! log and witnesses on 127.0.0.1: an agency signs and submits, a citizen
//! verifies offline and online, a notary endorses, the agency corrects, an
//! auditor replays, a monitor watches. Tampered files, wrong policies and
//! roots, and a forked log must each fail with exit 1 and say what is wrong.

// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ashlog::keys::{Ed25519SigningKey, P256SigningKey};
use ashlog::merkle::{self, Hash};
use ashlog::note::Note;
use ashlog::pki::to_pem;
use ashlog::receipt::Receipt;
use ashlog::schema::{Document, fixtures};
use ashlog::statement::SignedStatement;
use ashlog::vkey::{NoteSigner, VerifierKey};
use ashlog_tests::client;
use ashlog_tests::harness::bin;
use ashlog_tests::world::{Agency, ORIGIN, PUBLISH_TIMEOUT, World, WorldOptions, now};

/// What one run of `ashlog` did.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn expect(self, code: i32, what: &str) -> Out {
        assert_eq!(
            self.code, code,
            "{what}: exit {} (want {code})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// A user's working directory and state directory.
struct User {
    dir: PathBuf,
    state: PathBuf,
}

impl User {
    fn new(world: &World, name: &str) -> User {
        let dir = world.path(name);
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        User { dir, state }
    }

    fn run(&self, args: &[&str]) -> Out {
        let out = assert_cmd::Command::new(bin("ashlog").unwrap())
            .args(args)
            .current_dir(&self.dir)
            .env("ASHLOG_STATE_DIR", &self.state)
            .env_remove("ASHLOG_POLICY")
            .env_remove("ASHLOG_ROOTS")
            .timeout(Duration::from_secs(600))
            .output()
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.dir.join(name), bytes).unwrap();
        self.path(name)
    }
}

/// Writes the citizen's policy.txt and roots.pem into the user's directory.
fn pin(world: &World, user: &User) {
    user.write("policy.txt", world.citizen_policy().unwrap().as_bytes());
    user.write("roots.pem", world.root.cert_pem().as_bytes());
}

/// Registers a document signed by `agency` and returns (entry id, its
/// Transparent Statement).
fn register(world: &World, agency: &Agency, doc: &Document) -> (String, Vec<u8>) {
    let stmt = agency.sign_document(doc, now());
    let id = client::register(&world.url, &stmt).unwrap();
    let ts = client::poll_ready(
        &world.url,
        &format!("/entries/{id}/statement"),
        PUBLISH_TIMEOUT,
    )
    .unwrap();
    (id, ts)
}

fn doc(text: &str) -> Document {
    Document::from_toml(text).unwrap()
}

/// Writes an agency's key and chain (leaf, issuing CA) as PEM files.
fn agency_files(user: &User, agency: &Agency, name: &str) -> (String, String) {
    let key = user.write(
        &format!("{name}-key.pem"),
        agency.key.to_pkcs8_pem().unwrap().as_bytes(),
    );
    let chain: String = agency
        .chain
        .iter()
        .map(|c| to_pem("CERTIFICATE", c))
        .collect();
    let chain = user.write(&format!("{name}-chain.pem"), chain.as_bytes());
    (key, chain)
}

/// The paragraph of cli/CLI.md's "JSON output" section that starts with
/// `**<command>**`.
fn json_doc(command: &str) -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/CLI.md"),
    )
    .unwrap();
    let start = doc
        .find(&format!("**{command}**"))
        .unwrap_or_else(|| panic!("CLI.md documents no --json for {command}"));
    let rest = &doc[start..];
    rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
}

/// Every field `--json` printed (objects at any depth, and the first element
/// of arrays of objects) is named in the command's CLI.md paragraph, so the
/// documentation is tested against what the code emits.
fn assert_json_documented(commands: &[&str], j: &serde_json::Value) {
    fn keys(v: &serde_json::Value, skip: &[&str], out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    // Payloads and maps keyed by data, not field names.
                    if !skip.contains(&k.as_str()) {
                        keys(v, skip, out);
                    }
                }
            }
            serde_json::Value::Array(a) => {
                if let Some(first) = a.first() {
                    keys(first, skip, out);
                }
            }
            _ => {}
        }
    }
    let doc: String = commands.iter().map(|c| json_doc(c)).collect();
    let command = commands[0];
    let mut found = Vec::new();
    keys(j, &["statement", "by_kind", "summary"], &mut found);
    for k in found {
        assert!(
            doc.contains(&format!("`{k}`")),
            "--json of {command} prints `{k}`, which cli/CLI.md does not document:\n{doc}"
        );
    }
}

/// The whole story as the three kinds of user live it:
/// 1. the agency makes a key and a CSR; the test CA certifies it;
/// 2. it writes a statement from the template, signs it, submits it;
/// 3. a citizen verifies the saved file offline (human and --json);
/// 4. and online, twice (the second time against the saved checkpoint);
/// 5. a notary endorses the entry, the agency corrects it (both via the CLI);
/// 6. `show` lists both, verified;
/// 7. `audit` replays everything and counts by issuer and kind;
/// 8. `monitor` flags the correction on its first run, then passes when
///    only an ordinary statement is new.
#[test]
fn agency_signs_and_submits_citizen_verifies_auditor_replays() {
    let world = World::start(WorldOptions::default()).unwrap();
    let user = User::new(&world, "agency");
    pin(&world, &user);
    let url = world.url.as_str();

    // 1. Key and CSR.
    user.run(&[
        "key",
        "new",
        "-o",
        "agency-key.pem",
        "--csr",
        "agency.csr",
        "--name",
        "Wuxi Big Data Administration",
        "--uri",
        "https://dsj.wuxi.gov.cn",
    ])
    .expect(0, "key new");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(user.dir.join("agency-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let csr = std::fs::read_to_string(user.dir.join("agency.csr")).unwrap();
    let (cert, _) = world
        .agency_ca
        .issue_for_csr(&csr, now() - 86_400, now() + 86_400 * 365)
        .unwrap();
    user.write(
        "agency-chain.pem",
        format!(
            "{}{}",
            to_pem("CERTIFICATE", &cert),
            world.agency_ca.cert_pem()
        )
        .as_bytes(),
    );

    // 2. Template, sign, submit.
    user.run(&["statement", "new", "destruction", "-o", "destruction.toml"])
        .expect(0, "statement new");
    let template = std::fs::read_to_string(user.dir.join("destruction.toml")).unwrap();
    assert!(template.contains("REQUIRED"));
    let filled: String = template
        .lines()
        .map(|l| {
            if l.starts_with("issuer = ") {
                "issuer = \"https://dsj.wuxi.gov.cn\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    user.write("destruction.toml", filled.as_bytes());
    // A schema error names the field and exits 2.
    user.write(
        "bad.toml",
        filled
            .replacen("level = \"crypto_erase\"", "level = \"shredded\"", 1)
            .as_bytes(),
    );
    let bad = user
        .run(&[
            "sign",
            "--key",
            "agency-key.pem",
            "--chain",
            "agency-chain.pem",
            "bad.toml",
        ])
        .expect(2, "sign a bad statement");
    assert!(
        bad.stderr.contains("statement.actions[0].level"),
        "{}",
        bad.stderr
    );
    user.run(&[
        "sign",
        "--key",
        "agency-key.pem",
        "--chain",
        "agency-chain.pem",
        "--roots",
        "roots.pem",
        "destruction.toml",
        "-o",
        "destruction.scitt",
    ])
    .expect(0, "sign");
    let submitted = user
        .run(&[
            "submit",
            url,
            "destruction.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "submit");
    let id = submitted.stdout.lines().last().unwrap().trim().to_string();
    assert_eq!(id, "1.1", "{}", submitted.stdout);
    assert!(
        user.dir
            .join("destruction.scitt.transparent.scitt")
            .exists()
    );

    // 3. Offline verification.
    let citizen = User::new(&world, "citizen");
    pin(&world, &citizen);
    std::fs::copy(
        user.dir.join("destruction.scitt.transparent.scitt"),
        citizen.dir.join("statement.scitt"),
    )
    .unwrap();
    let v = citizen
        .run(&[
            "verify",
            "statement.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "verify offline");
    for want in [
        "Destruction of",
        "Signed by       CN=Wuxi Big Data Administration",
        "Certified by    CN=Test Agency Issuing CA",
        "Entry           1.1",
        "Quorum          2 of w0, w1, w2: met",
        "✓ VERIFIED",
    ] {
        assert!(v.stdout.contains(want), "missing {want:?} in\n{}", v.stdout);
    }
    let j = citizen
        .run(&[
            "verify",
            "statement.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
            "--json",
        ])
        .expect(0, "verify --json")
        .json();
    assert_eq!(j["verified"], true);
    assert_eq!(j["entry_id"], "1.1");
    assert_eq!(j["log"], ORIGIN);
    assert_eq!(j["kind"], "destruction");
    assert_eq!(j["issuer"], "https://dsj.wuxi.gov.cn");
    assert_eq!(j["quorum"]["met"], true);
    assert!(j["checkpoint_size"].as_u64().unwrap() >= 2);
    assert!(j["statement"]["record_count"]["value"].as_u64().is_some());
    assert!(
        j["witnesses"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["cosigned"] == true)
            .count()
            >= 2
    );
    assert!(j["signer"]["subject"].as_str().unwrap().contains("Wuxi"));
    assert_json_documented(&["verify"], &j);

    // 4. Online, by entry id and by file; the second run finds the saved checkpoint.
    let on = citizen
        .run(&[
            "verify",
            "--online",
            url,
            "1.1",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "verify --online (first)");
    assert!(on.stdout.contains("first visit"), "{}", on.stdout);
    let on = citizen
        .run(&[
            "verify",
            "--online",
            url,
            "statement.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
            "--json",
        ])
        .expect(0, "verify --online (second)")
        .json();
    assert_eq!(on["online"]["receipt_consistent"], true);
    assert_eq!(on["online"]["saved_consistent"], true);
    assert_json_documented(&["verify"], &on);

    // 5. A notary endorses, the agency corrects, through the CLI.
    let notary = world.agency("https://notary.example.org").unwrap();
    let (nkey, nchain) = agency_files(&user, &notary, "notary");
    user.write("endorsement.toml", fixtures::NOTARY_ENDORSEMENT.as_bytes());
    user.run(&[
        "endorse",
        "--log",
        url,
        "--entry",
        "1.1",
        "--key",
        &nkey,
        "--chain",
        &nchain,
        "--policy",
        "policy.txt",
        "--roots",
        "roots.pem",
        "endorsement.toml",
    ])
    .expect(0, "endorse");
    let signed =
        SignedStatement::parse(&std::fs::read(user.dir.join("endorsement.scitt")).unwrap())
            .unwrap();
    let leaf11 = j["leaf_hash"].as_str().unwrap().to_string();
    assert!(
        String::from_utf8_lossy(signed.payload()).contains(&leaf11),
        "the endorsement pins entry 1.1's leaf hash"
    );
    user.run(&[
        "submit",
        url,
        "endorsement.scitt",
        "--policy",
        "policy.txt",
        "--roots",
        "roots.pem",
    ])
    .expect(0, "submit endorsement");
    user.write(
        "correction.toml",
        fixtures::STATUS_UPDATE_CORRECTION.as_bytes(),
    );
    // Signing a follow-up with the placeholder leaf hash is refused.
    let refused = user
        .run(&[
            "sign",
            "--key",
            "agency-key.pem",
            "--chain",
            "agency-chain.pem",
            "correction.toml",
        ])
        .expect(2, "sign with placeholder");
    assert!(refused.stderr.contains("placeholder"), "{}", refused.stderr);
    user.run(&[
        "correct",
        "--log",
        url,
        "--entry",
        "1.1",
        "--key",
        "agency-key.pem",
        "--chain",
        "agency-chain.pem",
        "--policy",
        "policy.txt",
        "--roots",
        "roots.pem",
        "correction.toml",
    ])
    .expect(0, "correct");
    user.run(&[
        "submit",
        url,
        "correction.scitt",
        "--policy",
        "policy.txt",
        "--roots",
        "roots.pem",
    ])
    .expect(0, "submit correction");

    // 6. show lists both.
    let show = citizen
        .run(&[
            "show",
            url,
            "1.1",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "show");
    assert!(
        show.stdout.contains("Endorsements of entry 1.1 (1)"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("✓ 1.2 by"), "{}", show.stdout);
    assert!(
        show.stdout.contains("Corrections of entry 1.1 (1)"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("✓ 1.3 by"), "{}", show.stdout);
    let sj = citizen
        .run(&[
            "show",
            url,
            "1.1",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
            "--json",
        ])
        .expect(0, "show --json")
        .json();
    assert_eq!(sj["endorsements"][0]["entry_id"], "1.2");
    assert_eq!(sj["endorsements"][0]["applies_to_this_version"], true);
    assert_eq!(sj["corrections"][0]["correction_kind"], "status_update");
    assert_json_documented(&["show", "verify"], &sj);

    // 7. audit.
    let auditor = User::new(&world, "auditor");
    pin(&world, &auditor);
    let a = auditor
        .run(&[
            "audit",
            url,
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
            "--json",
        ])
        .expect(0, "audit")
        .json();
    assert_eq!(a["ok"], true);
    assert_eq!(a["entries_replayed"], 4);
    assert_eq!(a["statements_verified"], 3);
    assert_eq!(a["by_kind"]["destruction"], 1);
    assert_eq!(a["by_kind"]["endorsement"], 1);
    assert_eq!(a["by_kind"]["correction"], 1);
    assert_eq!(a["by_kind"]["policy"], 1);
    assert_eq!(a["policies"][0], "1.0");
    assert_eq!(a["corrections"][0]["target"], "1.1");
    assert_eq!(a["by_issuer"].as_array().unwrap().len(), 2);
    assert_json_documented(&["audit / monitor"], &a);
    let human = auditor
        .run(&[
            "audit",
            url,
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "audit (human)");
    assert!(human.stdout.contains("✓ AUDIT PASSED"), "{}", human.stdout);
    // Roots that do not include the agencies' CA: unknown issuers.
    let other = ashlog::pki::Authority::new_root(
        &ashlog::pki::Name {
            common_name: "Other Root".into(),
            organization: "x".into(),
            country: "CN".into(),
        },
        now() - 86_400,
        now() + 86_400,
    )
    .unwrap();
    auditor.write("other-roots.pem", other.cert_pem().as_bytes());
    let unknown = auditor
        .run(&[
            "audit",
            url,
            "--policy",
            "policy.txt",
            "--roots",
            "other-roots.pem",
        ])
        .expect(1, "audit with foreign roots");
    assert!(
        unknown.stdout.contains("[unknown_issuer]"),
        "{}",
        unknown.stdout
    );

    // 8. monitor: the correction is an anomaly; afterwards only new entries count.
    let m = auditor
        .run(&[
            "monitor",
            url,
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(1, "monitor (first run)");
    assert!(m.stdout.contains("[correction]"), "{}", m.stdout);
    let takedown = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let (id5, _) = register(&world, &takedown, &doc(fixtures::WUXI_TAKEDOWN));
    assert_eq!(id5, "1.4");
    world.wait_published(5, PUBLISH_TIMEOUT).unwrap();
    let m = auditor
        .run(&[
            "monitor",
            url,
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
            "--json",
        ])
        .expect(0, "monitor (second run)")
        .json();
    assert_eq!(m["from_size"], 4);
    assert_eq!(m["entries_replayed"], 1);
    assert_eq!(m["by_kind"]["takedown"], 1);
}

/// Flips the byte at `at` of `bytes`.
fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= 0x01;
    b
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("needle not found"))
}

/// Replaces one base64 character in the middle of `line` (keeping the
/// encoding valid) inside `bytes`.
fn swap_b64_char(bytes: &[u8], line_start: usize, offset: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let at = line_start + offset;
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    b
}

/// One byte changed in each part of a Transparent Statement: verify fails
/// with exit 1 and names the part.
#[test]
fn tampering_with_any_part_fails_verification_naming_it() {
    let world = World::start(WorldOptions::default()).unwrap();
    let citizen = User::new(&world, "citizen");
    pin(&world, &citizen);
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let (_, ts) = register(&world, &agency, &doc(fixtures::WUXI_DESTRUCTION));
    let s = SignedStatement::parse(&ts).unwrap();
    let receipt_bytes = s.receipts()[0].clone();
    let r_at = find(&ts, &receipt_bytes);
    let receipt = Receipt::parse(&receipt_bytes).unwrap();
    let note = receipt.checkpoint.clone().unwrap();
    let note_at = r_at + find(&receipt_bytes, note.as_bytes());
    // The root line of the checkpoint, and the last signature line (a witness's).
    let root_line = note.find('\n').unwrap() + 1;
    let root_line = root_line + note[root_line..].find('\n').unwrap() + 1;
    let cosig_line = note.trim_end().rfind('\n').unwrap() + 1;
    let cosig_name_end = cosig_line + note[cosig_line..].find(' ').unwrap() + 1;
    let cosig_b64 = cosig_name_end + note[cosig_name_end..].find(' ').unwrap() + 1;
    assert!(
        note[cosig_line..].contains(".test.invalid/witness"),
        "{note}"
    );
    let proof_at = r_at + find(&receipt_bytes, &receipt.path[0].0);
    let payload_at = find(&ts, s.payload()) + s.payload().len() / 2;
    let protected_at = find(&ts, s.protected_bytes()) + find(s.protected_bytes(), s.sub.as_bytes());
    let signature_at = find(&ts, s.signature()) + 10;
    let receipt_sig_at = r_at + receipt_bytes.len() - 10;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("payload", flipped(&ts, payload_at), "statement signature"),
        (
            "protected header",
            flipped(&ts, protected_at),
            "statement signature",
        ),
        (
            "signature",
            flipped(&ts, signature_at),
            "statement signature",
        ),
        ("proof hash", flipped(&ts, proof_at), "inclusion proof"),
        (
            "receipt signature",
            flipped(&ts, receipt_sig_at),
            "receipt signature",
        ),
        (
            "checkpoint",
            swap_b64_char(&ts, note_at + root_line, 10),
            "checkpoint signature or cosignature",
        ),
        (
            "cosignature",
            swap_b64_char(&ts, note_at + cosig_b64, 60),
            "checkpoint signature or cosignature",
        ),
    ];
    // The untouched file verifies.
    citizen.write("good.scitt", &ts);
    citizen
        .run(&[
            "verify",
            "good.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "untouched");
    for (what, bytes, part) in cases {
        citizen.write("tampered.scitt", &bytes);
        let out = citizen
            .run(&[
                "verify",
                "tampered.scitt",
                "--policy",
                "policy.txt",
                "--roots",
                "roots.pem",
            ])
            .expect(1, what);
        assert!(
            out.stdout.contains(&format!("✗ NOT VERIFIED ({part})")),
            "{what}: want part {part:?}, got\n{}",
            out.stdout
        );
        let j = citizen
            .run(&[
                "verify",
                "tampered.scitt",
                "--policy",
                "policy.txt",
                "--roots",
                "roots.pem",
                "--json",
            ])
            .expect(1, what)
            .json();
        assert_eq!(j["verified"], false, "{what}");
        assert_eq!(j["failed_part"], part, "{what}");
    }
}

/// A policy whose quorum the witnesses do not meet, and a roots file
/// without the agency's CA, both fail with exit 1 and say why; input
/// errors exit 2 and a dead log exits 3.
#[test]
fn wrong_quorum_wrong_roots_bad_input_and_dead_log() {
    let mut world = World::start(WorldOptions::default()).unwrap();
    let citizen = User::new(&world, "citizen");
    pin(&world, &citizen);
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let (_, ts) = register(&world, &agency, &doc(fixtures::WUXI_DESTRUCTION));
    citizen.write("s.scitt", &ts);

    // A fourth witness that never cosigned, and a quorum of all four.
    let w3 = Ed25519SigningKey::generate().unwrap();
    let vkey = VerifierKey::cosignature("w3.test.invalid/witness", w3.public_key())
        .unwrap()
        .to_vkey();
    let policy = world.citizen_policy().unwrap();
    let strict: String = policy
        .lines()
        .filter(|l| !l.starts_with("group") && !l.starts_with("quorum"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &format!("witness w3 {vkey}\ngroup every all w0 w1 w2 w3\nquorum every\n");
    citizen.write("strict.txt", strict.as_bytes());
    let out = citizen
        .run(&[
            "verify",
            "s.scitt",
            "--policy",
            "strict.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(1, "unmet quorum");
    assert!(
        out.stdout.contains("✗ NOT VERIFIED (witness quorum)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("all of w0, w1, w2, w3"),
        "{}",
        out.stdout
    );

    // Roots without the agency's CA.
    let other = ashlog::pki::Authority::new_root(
        &ashlog::pki::Name {
            common_name: "Some Other Root".into(),
            organization: "x".into(),
            country: "CN".into(),
        },
        now() - 86_400,
        now() + 86_400,
    )
    .unwrap();
    citizen.write("other.pem", other.cert_pem().as_bytes());
    let out = citizen
        .run(&[
            "verify",
            "s.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "other.pem",
        ])
        .expect(1, "foreign roots");
    assert!(
        out.stdout.contains("✗ NOT VERIFIED (certificate chain)"),
        "{}",
        out.stdout
    );

    // Input errors: exit 2 with `ashlog: ... — ...`.
    let out = citizen
        .run(&[
            "verify",
            "missing.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(2, "missing file");
    assert!(
        out.stderr.starts_with("ashlog: cannot read"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(" — "), "{}", out.stderr);
    citizen.write("broken.txt", b"log nonsense\nquorum none\n");
    let out = citizen
        .run(&[
            "verify",
            "s.scitt",
            "--policy",
            "broken.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(2, "broken policy");
    assert!(out.stderr.contains("policy line 1"), "{}", out.stderr);
    citizen.run(&["verify", "s.scitt"]).expect(2, "no policy");
    citizen.run(&["verify"]).expect(2, "no arguments");

    // Help has examples; completions work.
    let help = citizen.run(&["audit", "--help"]).expect(0, "help");
    assert!(help.stdout.contains("Example"), "{}", help.stdout);
    let comp = citizen
        .run(&["completions", "bash"])
        .expect(0, "completions");
    assert!(comp.stdout.contains("ashlog"));

    // policy fetch writes a starting policy and roots that verify the file.
    let fresh = User::new(&world, "fresh");
    fresh.write("s.scitt", &ts);
    let pf = fresh
        .run(&["policy", "fetch", &world.url])
        .expect(0, "policy fetch");
    assert!(
        pf.stderr.contains("Pinning them is your decision"),
        "{}",
        pf.stderr
    );
    fresh
        .run(&[
            "verify",
            "s.scitt",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(0, "verify with fetched policy");
    fresh
        .run(&["policy", "fetch", &world.url])
        .expect(2, "policy fetch refuses to overwrite");

    // The log is gone: network error, exit 3.
    world.kill_log();
    let out = citizen
        .run(&[
            "verify",
            "--online",
            &world.url,
            "1.1",
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
        ])
        .expect(3, "dead log");
    assert!(
        out.stderr.contains("cannot reach the log"),
        "{}",
        out.stderr
    );
}

/// Signs a checkpoint note for `(size, root)` with the log's own keys and
/// two witnesses' keys, read from their directories: what a log that forked
/// (and corrupted witnesses) would show someone.
fn forged_checkpoint(world: &World, size: u64, root: &Hash) -> String {
    let p256 = P256SigningKey::from_pkcs8_pem(
        &std::fs::read_to_string(world.log_dir.join("log-p256.pem")).unwrap(),
    )
    .unwrap();
    let ed = Ed25519SigningKey::from_pkcs8_pem(
        &std::fs::read_to_string(world.log_dir.join("log-ed25519.pem")).unwrap(),
    )
    .unwrap();
    let text = format!("{ORIGIN}\n{size}\n{}\n", root.to_base64());
    let mut note = Note::new(&text).unwrap();
    let ms = (now() as u64) * 1000;
    note.sign(
        &NoteSigner::Rfc6962 {
            name: ORIGIN.into(),
            key: p256,
        },
        ms,
    )
    .unwrap();
    note.sign(
        &NoteSigner::Ed25519 {
            name: ORIGIN.into(),
            key: ed,
        },
        0,
    )
    .unwrap();
    for w in &world.witnesses[..2] {
        let key = Ed25519SigningKey::from_pkcs8_pem(
            &std::fs::read_to_string(w.dir.join("witness-key.pem")).unwrap(),
        )
        .unwrap();
        note.sign(
            &NoteSigner::Cosignature {
                name: format!("{}.test.invalid/witness", w.name),
                key,
            },
            now() as u64,
        )
        .unwrap();
    }
    String::from_utf8(note.to_bytes()).unwrap()
}

/// The one file in `dir` ending in `suffix`.
fn state_file(dir: &Path, suffix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// A state file holding a validly signed checkpoint of a forked history
/// (same first entries, then others) makes `verify --online` and `monitor`
/// fail with exit 1 and print both checkpoints.
#[test]
fn forked_checkpoint_in_state_makes_verify_online_and_monitor_fail() {
    let world = World::start(WorldOptions::default()).unwrap();
    let citizen = User::new(&world, "citizen");
    pin(&world, &citizen);
    let agency = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    register(&world, &agency, &doc(fixtures::WUXI_DESTRUCTION));
    let cp = world.wait_published(2, PUBLISH_TIMEOUT).unwrap();
    let args = [
        "verify",
        "--online",
        &world.url,
        "1.1",
        "--policy",
        "policy.txt",
        "--roots",
        "roots.pem",
    ];
    citizen.run(&args).expect(0, "first online verification");
    let monitor = [
        "monitor",
        &world.url,
        "--policy",
        "policy.txt",
        "--roots",
        "roots.pem",
    ];
    citizen.run(&monitor).expect(0, "first monitor run");

    // The fork: the log's real leaves, then three of someone else's.
    let tile = client::get(&world.url, &format!("/tile/0/000.p/{}", cp.size)).unwrap();
    assert_eq!(tile.status, 200);
    let real: Vec<Hash> = tile
        .body
        .chunks(32)
        .map(|c| Hash::from_slice(c).unwrap())
        .collect();
    let mut forked = real.clone();
    for i in 0..3u8 {
        forked.push(merkle::leaf_hash(&[0xf0, i]));
    }
    let fork_note = forged_checkpoint(&world, forked.len() as u64, &merkle::root(&forked));
    let path = state_file(&citizen.state, ".checkpoint");
    std::fs::write(&path, &fork_note).unwrap();

    let out = citizen
        .run(&args)
        .expect(1, "verify --online against a fork");
    assert!(out.stdout.contains("FORK"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&merkle::root(&forked).to_base64()),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&cp.root.to_base64()), "{}", out.stdout);
    assert!(
        out.stdout.contains("✗ NOT VERIFIED (log consistency)"),
        "{}",
        out.stdout
    );
    let j = citizen
        .run(&[&args[..], &["--json"]].concat())
        .expect(1, "verify --online --json against a fork")
        .json();
    assert_eq!(j["failed_part"], "log consistency");
    assert_eq!(j["conflict"]["kind"], "fork");

    let out = citizen.run(&monitor).expect(1, "monitor against a fork");
    assert!(out.stdout.contains("FORK"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&merkle::root(&forked).to_base64()),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&cp.root.to_base64()), "{}", out.stdout);

    // A fork of the same size: also caught.
    let mut other = real.clone();
    other[cp.size as usize - 1] = merkle::leaf_hash(b"another statement");
    let same = forged_checkpoint(&world, cp.size, &merkle::root(&other));
    std::fs::write(&path, &same).unwrap();
    let out = citizen.run(&args).expect(1, "same-size fork");
    assert!(out.stdout.contains("roots differ"), "{}", out.stdout);
}

/// Registers `n` statements of `doc` signed by `agency` (subjects
/// `<prefix>/<i>`) with `threads` parallel clients.
fn register_bulk(
    world: &World,
    agency: &Agency,
    doc: &Document,
    prefix: &str,
    n: usize,
    threads: usize,
) {
    let payload = doc.statement.to_cbor();
    let ct = doc.envelope.kind.content_type();
    let iat = now() - 60;
    std::thread::scope(|s| {
        for t in 0..threads {
            let payload = &payload;
            s.spawn(move || {
                let http = client::http();
                for i in (t..n).step_by(threads) {
                    let stmt = agency.sign_raw(ct, &format!("{prefix}/{i}"), payload, iat);
                    let mut tries = 0;
                    loop {
                        let r = http
                            .post(format!("{}/entries", world.url))
                            .header("content-type", "application/cose")
                            .body(stmt.clone())
                            .send()
                            .unwrap();
                        let status = r.status().as_u16();
                        if status == 303 || status == 201 {
                            break;
                        }
                        tries += 1;
                        assert!(
                            tries < 50 && (status == 429 || status == 503),
                            "POST answered {status}"
                        );
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            });
        }
    });
}

/// `ashlog audit` of a log of 100,000 statements (plus its policy entry)
/// built here through the real HTTP API: it replays every hash and
/// verifies every statement, reports the right counts by issuer and kind,
/// and the hashes-only replay agrees.
#[test]
fn audit_of_a_100000_entry_log_reports_the_right_counts() {
    let world = World::start(WorldOptions {
        registration: vec!["issuer_rate_per_sec = 1000000.0".into()],
        ..WorldOptions::default()
    })
    .unwrap();
    let auditor = User::new(&world, "auditor");
    pin(&world, &auditor);
    let wuxi = world.agency("https://dsj.wuxi.gov.cn").unwrap();
    let notary = world.agency("https://notary.example.org").unwrap();
    let mut correction = doc(fixtures::STATUS_UPDATE_CORRECTION);
    if let ashlog::schema::Statement::Correction(c) = &mut correction.statement {
        c.target.leaf_hash = "ab".repeat(32);
    }
    let mut endorsement = doc(fixtures::NOTARY_ENDORSEMENT);
    if let ashlog::schema::Statement::Endorsement(e) = &mut endorsement.statement {
        e.target.leaf_hash = "ab".repeat(32);
    }
    let started = std::time::Instant::now();
    register_bulk(&world, &wuxi, &correction, "bulk/correction", 70_000, 8);
    register_bulk(&world, &notary, &endorsement, "bulk/endorsement", 30_000, 8);
    world
        .wait_published(100_001, Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("built a 100,001-entry log in {:.1?}", started.elapsed());

    let a = auditor
        .run(&[
            "audit",
            &world.url,
            "--policy",
            "policy.txt",
            "--roots",
            "roots.pem",
            "--json",
        ])
        .expect(0, "audit of 100,001 entries")
        .json();
    eprintln!(
        "audit: {} entries in {:.2} s ({:.0} entries/s, signatures verified)",
        a["entries_replayed"],
        a["elapsed_secs"].as_f64().unwrap(),
        a["entries_per_sec"].as_f64().unwrap()
    );
    assert_eq!(a["ok"], true);
    assert_eq!(a["checkpoint"]["size"], 100_001);
    assert_eq!(a["entries_replayed"], 100_001);
    assert_eq!(a["statements_verified"], 100_000);
    assert_eq!(a["by_kind"]["correction"], 70_000);
    assert_eq!(a["by_kind"]["endorsement"], 30_000);
    assert_eq!(a["by_kind"]["policy"], 1);
    assert_eq!(a["corrections"].as_array().unwrap().len(), 70_000);
    let issuers = a["by_issuer"].as_array().unwrap();
    assert_eq!(issuers.len(), 2);
    assert_eq!(issuers[0]["issuer"], "https://dsj.wuxi.gov.cn");
    assert_eq!(issuers[0]["count"], 70_000);
    assert_eq!(issuers[1]["issuer"], "https://notary.example.org");
    assert_eq!(issuers[1]["count"], 30_000);

    let h = auditor
        .run(&[
            "audit",
            &world.url,
            "--policy",
            "policy.txt",
            "--no-verify-signatures",
            "--json",
        ])
        .expect(0, "hashes-only audit")
        .json();
    eprintln!(
        "hashes-only replay: {} entries in {:.2} s ({:.0} entries/s)",
        h["entries_replayed"],
        h["elapsed_secs"].as_f64().unwrap(),
        h["entries_per_sec"].as_f64().unwrap()
    );
    assert_eq!(h["ok"], true);
    assert_eq!(h["entries_replayed"], 100_001);
    assert_eq!(h["hashes_only"], true);
}
