//! Agency commands: `key new`, `statement new`, `sign`, `submit`, and the
//! follow-ups `endorse` and `correct`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::report;
use anyhow::Result;
use ashlog::chain::CertChain;
use ashlog::durable::{write_file_atomic, write_secret_file};
use ashlog::entry::EntryId;
use ashlog::keys::P256SigningKey;
use ashlog::pki::{self, Name};
use ashlog::schema::{Document, Kind, Statement, template};
use ashlog::statement::{SignedStatement, SignerId, StatementHeader};
use ashlog::verify::{ChainTimes, accept_statement, verify_transparent_statement};

use super::Ctx;
use super::args::{
    CaIssueArgs, CaNewArgs, FollowUpArgs, KeyNewArgs, SignArgs, SignerArgs, SubmitArgs,
};
use super::error::{Code, NetError, fail};
use super::http::Log;
use super::output::{note, print};
use super::plan::{self, LogUrl};
use super::trust;

const PLACEHOLDER_LEAF: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) fn key_new(a: KeyNewArgs) -> Result<Code> {
    plan::fresh_output(&a.out)?;
    if let Some(csr) = &a.csr {
        plan::fresh_output(csr)?;
    }
    let key = P256SigningKey::generate().map_err(|e| fail(e, "try again"))?;
    let pem = key.to_pkcs8_pem().map_err(|e| fail(e, "try again"))?;
    write_secret_file(&a.out, pem.as_bytes()).map_err(|e| {
        fail(
            format!("cannot write {}: {e}", a.out.display()),
            "choose another file with -o",
        )
    })?;
    let mut msg = format!(
        "Wrote a new P-256 signing key to {} (readable only by you). Keep it secret and backed up.\n",
        a.out.display()
    );
    if let (Some(csr_path), Some(name), Some(uri)) = (&a.csr, &a.name, &a.uri) {
        let csr = pki::csr(
            &key,
            &Name {
                common_name: name.clone(),
                organization: a.org.clone(),
                country: a.country.clone(),
            },
            uri,
        )
        .map_err(|e| fail(e, "check --name, --country and --uri"))?;
        write_file_atomic(csr_path, csr.as_bytes()).map_err(|e| {
            fail(
                format!("cannot write {}: {e}", csr_path.display()),
                "choose another file with --csr",
            )
        })?;
        msg.push_str(&format!(
            "Wrote a certificate request to {} for {name:?} with issuer URI {uri}.\n\
             Send it to your certificate authority (one the log trusts). Put the certificate it\n\
             returns, then the CA's certificate, into one PEM file, and sign with:\n  \
             ashlog sign --key {} --chain agency-chain.pem statement.toml\n",
            csr_path.display(),
            a.out.display()
        ));
    }
    print(&msg)?;
    Ok(Code::Ok)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn ca_new(a: CaNewArgs) -> Result<Code> {
    plan::fresh_output(&a.key)?;
    plan::fresh_output(&a.cert)?;
    let now = unix_now();
    let ca = pki::Authority::new_root(
        &Name {
            common_name: a.name.clone(),
            organization: a.org.clone(),
            country: a.country.clone(),
        },
        now - 3600,
        now + i64::from(a.days) * 86_400,
    )
    .map_err(|e| fail(e, "check --name and --country"))?;
    write_secret_file(&a.key, ca.key_pem().as_bytes()).map_err(|e| {
        fail(
            format!("cannot write {}: {e}", a.key.display()),
            "choose another --key",
        )
    })?;
    write_file_atomic(&a.cert, ca.cert_pem().as_bytes()).map_err(|e| {
        fail(
            format!("cannot write {}: {e}", a.cert.display()),
            "choose another --cert",
        )
    })?;
    print(&format!(
        "Wrote the CA key to {} (readable only by you) and its certificate to {}.\n\
         Give the certificate to the log operator as a trust anchor\n  \
         (ashlog-server init --anchor {} ..., or ashlog-server add-anchor {}),\n\
         and to citizens as the roots file. Issue agency certificates with:\n  \
         ashlog ca issue --key {} --cert {} agency.csr -o agency-chain.pem\n",
        a.key.display(),
        a.cert.display(),
        a.cert.display(),
        a.cert.display(),
        a.key.display(),
        a.cert.display()
    ))?;
    Ok(Code::Ok)
}

pub(crate) fn ca_issue(a: CaIssueArgs) -> Result<Code> {
    plan::fresh_output(&a.out)?;
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| {
            fail(
                format!("cannot read {}: {e}", p.display()),
                "check the path",
            )
        })
    };
    let key = zeroize::Zeroizing::new(read(&a.key)?);
    let ca = pki::Authority::load(&read(&a.cert)?, &key).map_err(|e| {
        fail(
            e,
            "--key and --cert must be the CA's PKCS#8 key and its certificate",
        )
    })?;
    let now = unix_now();
    let (leaf, uri) = ca
        .issue_for_csr(&read(&a.csr)?, now - 3600, now + i64::from(a.days) * 86_400)
        .map_err(|e| {
            fail(
                e,
                "create the request with: ashlog key new --csr agency.csr --name ... --uri ...",
            )
        })?;
    let chain = format!("{}{}", pki::to_pem("CERTIFICATE", &leaf), ca.cert_pem());
    write_file_atomic(&a.out, chain.as_bytes()).map_err(|e| {
        fail(
            format!("cannot write {}: {e}", a.out.display()),
            "choose another -o",
        )
    })?;
    print(&format!(
        "Issued a certificate for issuer URI {uri}, valid {} days; wrote the chain to {}.\n\
         Sign statements with: ashlog sign --key <agency key> --chain {} statement.toml\n",
        a.days,
        a.out.display(),
        a.out.display()
    ))?;
    Ok(Code::Ok)
}

pub(crate) fn statement_new(kind: &str, out: Option<PathBuf>) -> Result<Code> {
    let k: Kind = kind
        .parse()
        .ok()
        .filter(|k| *k != Kind::Policy)
        .ok_or_else(|| {
            fail(
                format!("unknown statement kind {kind:?}"),
                "use one of destruction, takedown, endorsement, correction",
            )
        })?;
    match out {
        None => print(template(k))?,
        Some(path) => {
            plan::fresh_output(&path)?;
            write_file_atomic(&path, template(k).as_bytes()).map_err(|e| {
                fail(
                    format!("cannot write {}: {e}", path.display()),
                    "choose another file with -o",
                )
            })?;
            print(&format!(
                "Wrote a {k} template to {}. Fill in every REQUIRED field, then:\n  ashlog sign --key agency-key.pem --chain agency-chain.pem {}\n",
                path.display(),
                path.display()
            ))?;
        }
    }
    Ok(Code::Ok)
}

fn load_document(path: &Path) -> Result<Document> {
    let text = plan::read_text(path, "statement")?;
    let parsed = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        Document::from_json(&text)
    } else {
        Document::from_toml(&text)
    };
    parsed.map_err(|e| {
        fail(
            format!("{}: {e}", path.display()),
            "fix that field and try again (`ashlog statement new <kind>` shows every field with comments)",
        )
    })
}

/// The signer's key and chain, checked against each other.
struct Signer {
    key: P256SigningKey,
    chain: Vec<Vec<u8>>,
    uri_sans: Vec<String>,
    not_before: i64,
    not_after: i64,
    subject: String,
}

fn load_signer(a: &SignerArgs) -> Result<Signer> {
    let key_pem = plan::read_text(&a.key, "key file")?;
    let key = P256SigningKey::from_pkcs8_pem(&key_pem).map_err(|e| {
        fail(
            format!("{}: {e}", a.key.display()),
            "give the PKCS#8 PEM key from `ashlog key new`",
        )
    })?;
    let chain_pem = plan::read_text(&a.chain, "certificate chain")?;
    let chain = CertChain::from_pem(&chain_pem).map_err(|e| {
        fail(
            format!("{}: {e}", a.chain.display()),
            "give your certificate and your CA's as PEM, yours first",
        )
    })?;
    let leaf = chain.leaf();
    if leaf.spki_der() != key.public_key().spki_der() {
        return Err(fail(
            format!(
                "the key {} does not belong to the first certificate in {}",
                a.key.display(),
                a.chain.display()
            ),
            "use the key you made the certificate request with, and put your own certificate first",
        ));
    }
    Ok(Signer {
        key,
        uri_sans: leaf.uri_sans().to_vec(),
        not_before: leaf.not_before(),
        not_after: leaf.not_after(),
        subject: leaf.subject(),
        chain: chain.ders().to_vec(),
    })
}

fn signing_time(a: &SignerArgs) -> Result<i64> {
    match &a.signed_at {
        None => Ok(time::OffsetDateTime::now_utc().unix_timestamp()),
        Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .map_err(|_| {
                fail(
                    format!("--signed-at {t:?} is not an RFC 3339 time"),
                    "write it like 2023-03-02T12:00:00+08:00",
                )
            }),
    }
}

/// Validates and signs `doc`; writes the statement to `out`. Returns the
/// signed bytes.
fn sign_document(doc: &Document, a: &SignerArgs, out: &Path) -> Result<Vec<u8>> {
    if let Some(t) = doc.statement.target()
        && t.leaf_hash == PLACEHOLDER_LEAF
    {
        return Err(fail(
            "target.leaf_hash is the 64-zero placeholder, so this statement would point at nothing",
            "sign it with `ashlog endorse` or `ashlog correct` and --log/--entry, which fill in the real leaf hash",
        ));
    }
    let signer = load_signer(a)?;
    let iat = signing_time(a)?;
    let iss = match &doc.envelope.issuer {
        Some(i) => {
            if !signer.uri_sans.contains(i) {
                return Err(fail(
                    format!(
                        "envelope.issuer {i:?} is not a URI your certificate names ({})",
                        if signer.uri_sans.is_empty() {
                            "it names none".to_string()
                        } else {
                            signer.uri_sans.join(", ")
                        }
                    ),
                    "set envelope.issuer to your certificate's URI, or remove it",
                ));
            }
            i.clone()
        }
        None => match signer.uri_sans.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(fail(
                    "your certificate names no issuer URI (URI subject alternative name)",
                    "ask your CA for a certificate with your issuer URI, e.g. https://dsj.wuxi.gov.cn",
                ));
            }
            _ => {
                return Err(fail(
                    "your certificate names several URIs",
                    "set envelope.issuer to the one to sign as",
                ));
            }
        },
    };
    if iat < signer.not_before || iat > signer.not_after {
        return Err(fail(
            format!(
                "your certificate ({}) is not valid at the signing time {} (valid {} to {})",
                signer.subject,
                report::time_of(iat),
                report::time_of(signer.not_before),
                report::time_of(signer.not_after)
            ),
            "renew the certificate, or check --signed-at",
        ));
    }
    let header = StatementHeader {
        content_type: doc.envelope.kind.content_type().to_string(),
        iss,
        sub: doc.envelope.subject.clone(),
        iat,
        signer: SignerId::X5Chain(signer.chain.clone()),
    };
    let bytes = header.sign(&doc.statement.to_cbor(), &signer.key);
    // Check our own work as the log will.
    let parsed = SignedStatement::parse(&bytes).map_err(|e| fail(e, "report this bug"))?;
    parsed
        .verify_signature(signer.key.public_key())
        .map_err(|e| fail(e, "report this bug"))?;
    if let Some(roots) = &a.roots {
        let anchors = plan::load_roots(roots)?;
        accept_statement(&parsed, &anchors, ChainTimes::AtSigning, None).map_err(|e| {
            fail(
                format!(
                    "the signed statement does not verify with {}: {e}",
                    roots.display()
                ),
                "check that your certificate chain leads to one of those roots",
            )
        })?;
    }
    plan::fresh_output(out)?;
    write_file_atomic(out, &bytes).map_err(|e| {
        fail(
            format!("cannot write {}: {e}", out.display()),
            "choose another file with -o",
        )
    })?;
    print(&format!(
        "Signed {} statement \"{}\" as {} ({}).\nLeaf hash (once registered): {}\nWrote {} ({} bytes). Next: ashlog submit <log-url> {}\n",
        doc.envelope.kind,
        doc.statement.headline(),
        parsed.iss,
        signer.subject,
        parsed.leaf_hash(),
        out.display(),
        bytes.len(),
        out.display()
    ))?;
    Ok(bytes)
}

fn default_out(input: &Path) -> PathBuf {
    input.with_extension("scitt")
}

pub(crate) fn sign(a: SignArgs) -> Result<Code> {
    let doc = load_document(&a.input)?;
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.input));
    sign_document(&doc, &a.signer, &out)?;
    Ok(Code::Ok)
}

pub(crate) fn follow_up(a: FollowUpArgs, kind: Kind, ctx: &Ctx) -> Result<Code> {
    let url = LogUrl::parse(&a.log)?;
    let mut doc = load_document(&a.input)?;
    let verb = if kind == Kind::Endorsement {
        "endorse"
    } else {
        "correct"
    };
    if doc.envelope.kind != kind {
        return Err(fail(
            format!(
                "{} is a {} statement, not a {kind}",
                a.input.display(),
                doc.envelope.kind
            ),
            format!("start from `ashlog statement new {kind}`"),
        ));
    }
    let doc_target = doc.statement.target().cloned();
    let id: EntryId = match (&a.entry, &doc_target) {
        (Some(e), _) => plan::entry_id(e)?,
        (None, Some(t)) => plan::entry_id(&t.entry_id)?,
        (None, None) => unreachable!("endorsements and corrections always have a target"),
    };
    let policy = plan::load_opt_policy(&a.policy)?;
    let roots = plan::load_opt_roots(&a.signer.roots)?;
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.input));
    plan::fresh_output(&out)?;
    let log = Log::new(url)?;
    let trust = trust::resolve(policy, roots, &log, ctx.quiet)?;
    let bytes = log.poll_ready(
        &format!("/entries/{id}/statement"),
        &format!("entry {id}"),
        Duration::from_secs(60),
    )?;
    let v = verify_transparent_statement(&bytes, &trust.policy, &trust.anchors).map_err(|e| {
        fail(
            format!("entry {id} does not verify ({}): {e}", e.part()),
            format!("do not {verb} it until you know why"),
        )
    })?;
    if v.entry_id != id {
        return Err(fail(
            format!("the log served entry {} when asked for {id}", v.entry_id),
            "the log misbehaves; do not rely on it",
        ));
    }
    let leaf = v.leaf_hash.to_hex();
    if let Some(t) = &doc_target
        && t.entry_id == id.to_string()
        && t.leaf_hash != PLACEHOLDER_LEAF
        && t.leaf_hash != leaf
    {
        return Err(fail(
            format!(
                "your document pins entry {id} to leaf hash {}, but the log's entry {id} has leaf hash {leaf}",
                t.leaf_hash
            ),
            "check that you are looking at the version you mean; set target.leaf_hash to the 64-zero placeholder to take the log's",
        ));
    }
    match &mut doc.statement {
        Statement::Endorsement(e) => {
            e.target.entry_id = id.to_string();
            e.target.leaf_hash = leaf.clone();
        }
        Statement::Correction(c) => {
            c.target.entry_id = id.to_string();
            c.target.leaf_hash = leaf.clone();
        }
        _ => {}
    }
    doc.statement.validate().map_err(|e| {
        fail(
            format!("{}: {e}", a.input.display()),
            "fix that field and try again",
        )
    })?;
    note(
        ctx.quiet,
        &format!(
            "Target: entry {id} of {}: {} (signed by {}, leaf {leaf})",
            v.checkpoint.origin,
            v.payload.headline(),
            v.chain.leaf_subject()
        ),
    );
    sign_document(&doc, &a.signer, &out)?;
    Ok(Code::Ok)
}

pub(crate) fn submit(a: SubmitArgs, ctx: &Ctx) -> Result<Code> {
    let url = LogUrl::parse(&a.log)?;
    let raw = plan::read_file(&a.input, "statement")?;
    let statement = SignedStatement::parse(&raw).map_err(|e| {
        fail(
            format!("{} is not a signed statement: {e}", a.input.display()),
            "sign it first with `ashlog sign`",
        )
    })?;
    let policy = plan::load_opt_policy(&a.trust.policy)?;
    let roots = plan::load_opt_roots(&a.trust.roots)?;
    let out = a.out.clone().unwrap_or_else(|| {
        let mut s = a.input.clone().into_os_string();
        s.push(".transparent.scitt");
        PathBuf::from(s)
    });
    plan::fresh_output(&out)?;
    let timeout = Duration::from_secs(a.timeout.max(1));
    let deadline = Instant::now() + timeout;
    let log = Log::new(url)?;
    let body = statement.registered_bytes();
    let location = loop {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .as_secs()
            .clamp(1, 10);
        let r = log.post_statement(&body, wait)?;
        match r.status {
            201 | 303 => {
                break r.header("location").ok_or_else(|| {
                    fail(
                        format!("the log answered {} without a Location", r.status),
                        "is this an ashlog log?",
                    )
                })?;
            }
            429 | 503 | 500..=599 => {
                let pause = r.retry_after().unwrap_or(Duration::from_secs(1));
                if Instant::now() + pause > deadline {
                    return Err(anyhow::Error::new(NetError(format!(
                        "the log is busy ({}{}) and did not accept the statement within {}s — try again later",
                        r.status,
                        r.problem().map(|p| format!(": {p}")).unwrap_or_default(),
                        timeout.as_secs()
                    ))));
                }
                note(
                    ctx.quiet,
                    &format!(
                        "The log is busy ({}); retrying in {}s.",
                        r.status,
                        pause.as_secs()
                    ),
                );
                std::thread::sleep(pause);
            }
            s => {
                return Err(fail(
                    format!(
                        "the log refused the statement ({s}): {}",
                        r.problem().unwrap_or_else(|| "no reason given".into())
                    ),
                    "fix what it names, sign again and resubmit",
                ));
            }
        }
    };
    let id_text = location
        .rsplit_once("/entries/")
        .map(|(_, id)| id.to_string())
        .unwrap_or(location.clone());
    let id = plan::entry_id(&id_text)?;
    note(
        ctx.quiet,
        &format!("Registered as entry {id}; waiting for the witnessed receipt..."),
    );
    let remaining = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    let transparent = log.poll_ready(
        &format!("/entries/{id}/statement"),
        &format!("entry {id}"),
        remaining,
    )?;
    let trust = trust::resolve(policy, roots, &log, ctx.quiet)?;
    let v = match verify_transparent_statement(&transparent, &trust.policy, &trust.anchors) {
        Ok(v) => v,
        Err(e) => {
            print(&format!(
                "Registered as entry {id}, but the Transparent Statement the log returned does not verify:\n{}",
                report::render_failure(&e)
            ))?;
            return Ok(Code::Failed);
        }
    };
    if v.statement.leaf_hash() != statement.leaf_hash() || v.entry_id != id {
        print(&format!(
            "✗ NOT VERIFIED (log answer): the log returned another statement for entry {id}\n"
        ))?;
        return Ok(Code::Failed);
    }
    write_file_atomic(&out, &transparent).map_err(|e| {
        fail(
            format!("cannot write {}: {e}", out.display()),
            "choose another file with -o",
        )
    })?;
    let cosigned: Vec<&str> = v.cosigners.iter().map(|(n, _)| n.as_str()).collect();
    print(&format!(
        "✓ Registered as entry {id} of {}: receipt verified at checkpoint size {}, cosigned by {} ({}).\nSaved the Transparent Statement to {}\n{id}\n",
        v.checkpoint.origin,
        v.checkpoint.size,
        if cosigned.is_empty() {
            "no witness".to_string()
        } else {
            cosigned.join(", ")
        },
        v.quorum,
        out.display()
    ))?;
    Ok(Code::Ok)
}
