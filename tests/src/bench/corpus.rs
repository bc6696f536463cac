//! The statements a benchmark registers, signed before any clock starts.
//!
//! Payloads are the four worked examples of `ashlog::schema::fixtures`
//! (the Wuxi destruction and takedown, the notary's endorsement, the status
//! update), in rotation, so the log checks realistic statements of every
//! kind against their full schemas. Each statement is distinct: its CWT
//! `sub` carries a per-run random tag and a sequence number, and its `iat`
//! is the signing time. Each is signed by one of M agencies, each with its
//! own P-256 key and a certificate for its own issuer URI under the CA the
//! log trusts.
//!
//! Only the protected header and the signature are kept per statement (the
//! payload of each kind is shared); [`Corpus::body`] assembles the COSE_Sign1
//! bytes, a memcpy, when a request is sent. The signing, the expensive part,
//! is all done before timing starts.

use std::sync::Arc;

use anyhow::anyhow;
use ashlog::pki::{Authority, Name};
use ashlog::schema::{Document, fixtures};
use ashlog::statement::{SignerId, StatementHeader, sig_structure};
use bytes::Bytes;

use crate::world::{Agency, now};

/// One payload kind.
#[derive(Clone, Debug)]
struct Payload {
    content_type: String,
    subject: String,
    cbor: Vec<u8>,
}

#[derive(Clone, Debug)]
struct Item {
    kind: u8,
    protected: Vec<u8>,
    signature: [u8; 64],
}

/// Pre-signed statements.
#[derive(Clone, Debug)]
pub struct Corpus {
    payloads: Arc<Vec<Payload>>,
    items: Arc<Vec<Item>>,
}

/// Issues `m` agency certificates under `ca` (whose own certificate is
/// `ca_chain[0]`, followed by any certificates above it that the log does
/// not hold as anchors), for issuer URIs unique to this run.
pub fn agencies(
    ca: &Authority,
    ca_chain: &[Vec<u8>],
    m: usize,
    run_tag: &str,
) -> anyhow::Result<Vec<Agency>> {
    (0..m)
        .map(|k| {
            let key = ashlog::keys::P256SigningKey::generate()?;
            let iss = format!("https://agency-{k}.bench-{run_tag}.ashlog.invalid");
            let leaf = ca.issue(
                &key,
                &Name {
                    common_name: format!("Bench Agency {k}"),
                    organization: "ashlog bench".into(),
                    country: "CN".into(),
                },
                &iss,
                now() - 86_400,
                now() + 86_400 * 365,
            )?;
            let mut chain = vec![leaf];
            chain.extend(ca_chain.iter().cloned());
            Ok(Agency { key, chain, iss })
        })
        .collect()
}

/// A random tag for this run (so statements never repeat across runs
/// against the same log, which would only measure deduplication).
pub fn run_tag() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    hex::encode(b)
}

fn push_bstr(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len() as u64;
    match n {
        0..=23 => out.push(0x40 | n as u8),
        24..=0xff => out.extend_from_slice(&[0x58, n as u8]),
        0x100..=0xffff => {
            out.push(0x59);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(0x5a);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(b);
}

impl Corpus {
    /// Signs `n` distinct statements, statement `i` by agency `i % m`, on
    /// `threads` threads. `first` numbers them (so chunks of a long run
    /// stay distinct).
    pub fn sign(
        agencies: &[Agency],
        n: usize,
        first: u64,
        run_tag: &str,
        threads: usize,
    ) -> anyhow::Result<Corpus> {
        if agencies.is_empty() {
            return Err(anyhow!("no agencies"));
        }
        let payloads: Vec<Payload> = fixtures::all()
            .iter()
            .map(|(name, text)| {
                let doc = Document::from_toml(text)
                    .map_err(|e| anyhow!("fixture {name} does not parse: {e}"))?;
                Ok(Payload {
                    content_type: doc.envelope.kind.content_type().to_string(),
                    subject: doc.envelope.subject.clone(),
                    cbor: doc.statement.to_cbor(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let threads = threads.max(1);
        let iat = now();
        let mut items: Vec<Item> = Vec::with_capacity(n);
        let per = n.div_ceil(threads);
        let parts: Vec<Vec<Item>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let payloads = &payloads;
                    s.spawn(move || {
                        let lo = (t * per).min(n);
                        let hi = ((t + 1) * per).min(n);
                        (lo..hi)
                            .map(|i| {
                                let seq = first + i as u64;
                                let agency = &agencies[i % agencies.len()];
                                let kind = (seq % payloads.len() as u64) as u8;
                                let p = &payloads[usize::from(kind)];
                                let protected = StatementHeader {
                                    content_type: p.content_type.clone(),
                                    iss: agency.iss.clone(),
                                    sub: format!("{}/bench-{run_tag}-{seq}", p.subject),
                                    iat,
                                    signer: SignerId::X5Chain(agency.chain.clone()),
                                }
                                .encode();
                                let signature =
                                    agency.key.sign_es256(&sig_structure(&protected, &p.cbor));
                                Item {
                                    kind,
                                    protected,
                                    signature,
                                }
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for p in parts {
            items.extend(p);
        }
        if items.len() != n {
            return Err(anyhow!("a signing thread failed"));
        }
        Ok(Corpus {
            payloads: Arc::new(payloads),
            items: Arc::new(items),
        })
    }

    /// How many statements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The COSE_Sign1 bytes of statement `i` (tagged, empty unprotected
    /// header: exactly what `StatementHeader::sign` produces).
    pub fn body(&self, i: usize) -> Bytes {
        let it = &self.items[i];
        let payload = &self.payloads[usize::from(it.kind)].cbor;
        let mut out = Vec::with_capacity(it.protected.len() + payload.len() + 96);
        out.extend_from_slice(&[0xd2, 0x84]);
        push_bstr(&mut out, &it.protected);
        out.push(0xa0);
        push_bstr(&mut out, payload);
        push_bstr(&mut out, &it.signature);
        Bytes::from(out)
    }

    /// Average statement size in bytes.
    pub fn average_bytes(&self) -> f64 {
        if self.items.is_empty() {
            return 0.0;
        }
        let total: usize = self
            .items
            .iter()
            .map(|it| it.protected.len() + self.payloads[usize::from(it.kind)].cbor.len() + 80)
            .sum();
        total as f64 / self.items.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_bodies_are_what_statement_header_signs_and_are_distinct() {
        let root = Authority::new_root(
            &Name {
                common_name: "Bench Root".into(),
                organization: "ashlog bench".into(),
                country: "CN".into(),
            },
            now() - 86_400,
            now() + 86_400,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let tag = run_tag();
        let ag =
            agencies(&root, &[root.cert_der().to_vec()], 2, &tag).unwrap_or_else(|e| panic!("{e}"));
        let c = Corpus::sign(&ag, 8, 0, &tag, 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.len(), 8);
        let mut seen = std::collections::HashSet::new();
        for i in 0..8 {
            let b = c.body(i);
            let s = ashlog::statement::SignedStatement::parse(&b).unwrap_or_else(|e| panic!("{e}"));
            let a = &ag[i % 2];
            let again = StatementHeader {
                content_type: s.content_type.clone(),
                iss: s.iss.clone(),
                sub: s.sub.clone(),
                iat: s.iat,
                signer: SignerId::X5Chain(a.chain.clone()),
            }
            .sign(s.payload(), &a.key);
            assert_eq!(&b[..], &again[..]);
            assert!(seen.insert(b));
        }
        assert!(c.average_bytes() > 1000.0);
    }
}
