//! Fixed material shared by the fuzz targets: the demo deployment's trust
//! anchors and citizen policy (so seeds taken from the demo verify all the
//! way through), a set of note verifier keys, a framing helper, and an
//! in-memory witness store.
//!
//! Everything here is deterministic: a target must behave the same on the
//! same input, or libFuzzer's crash reproduction is worthless.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ashlog::chain::TrustAnchors;
use ashlog::keys::Ed25519SigningKey;
use ashlog::vkey::VerifierKey;
use ashlog::policy::Policy;
use ashlog_witness::{MemoryStore, WitnessState, WitnessStore};

/// Roots of the demo (`ashlog-demo`): the agency PKI of the seeds.
pub const DEMO_ROOTS: &str = include_str!("../data/demo-roots.pem");
/// The demo's citizen policy (log keys, three witnesses, 2 of 3).
pub const DEMO_POLICY: &str = include_str!("../data/demo-policy.txt");
/// A published checkpoint of the demo log (size 5), with cosignatures.
pub const DEMO_CHECKPOINT: &[u8] = include_bytes!("../data/demo-checkpoint.note");
/// Level-0 tile of the demo log at size 5: its five leaf hashes.
pub const DEMO_TILE0: &[u8] = include_bytes!("../data/demo-tile0.p5");
/// The demo agency's certificate chain (leaf, intermediate) and its key:
/// throwaway material made by `ashlog-demo`, committed so that the
/// structure-aware target can sign what it mutates.
pub const DEMO_AGENCY_CHAIN: &str = include_str!("../data/demo-agency-chain.pem");
/// See [`DEMO_AGENCY_CHAIN`].
pub const DEMO_AGENCY_KEY: &str = include_str!("../data/demo-agency-key.pem");
/// The demo agency's issuer URI (its certificate's URI SAN).
pub const DEMO_ISS: &str = "https://dsj.wuxi.gov.cn";
/// Signing time of the demo statements (2023-03-02T04:00:00Z).
pub const DEMO_IAT: i64 = 1_677_729_600;
/// The demo log's origin.
pub const DEMO_ORIGIN: &str = "demo.ashlog.invalid/wuxi";

/// Public vkeys from the C2SP digest's vectors and real logs (see
/// `verifier/src/checkpoint.rs` tests), used beside the demo's keys.
const VECTOR_VKEYS: &[&str] = &[
    "example.com/p256-test-log+750f90d2+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGD+1LolWp0xyWHrdMY1bWjASbiSO2H6bOZpYi5g8p+2eQP+EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk=",
    "example.com/p256-test-log+a7cdb653+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM",
    "rome.ct.filippo.io/2024h1+78f4abae+BTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAFzPC3fap+uINc1RQ4eRbYMUt84+bKkA8GDLN8KwVdzAgYhYSv4kS8XSheGLAHCWhIJTJbuC3sL88bNMTtrsBM=",
    "static-ct-dev.cloudflareresearch.com/logs/dev2024h2b+3fa39c6c+AUTeClyxikK31FBlNc8GxbxDdQHJFWO+neAp7jUXNtLy",
];

/// The demo's trust anchors.
pub fn anchors() -> &'static TrustAnchors {
    static A: OnceLock<TrustAnchors> = OnceLock::new();
    A.get_or_init(|| TrustAnchors::from_pem(DEMO_ROOTS).expect("demo roots parse"))
}

/// The demo's citizen policy.
pub fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::parse(DEMO_POLICY).expect("demo policy parses"))
}

/// Every key the targets verify notes with: the demo log's two keys, its
/// three witnesses, and the vector keys.
pub fn note_keys() -> &'static [VerifierKey] {
    static K: OnceLock<Vec<VerifierKey>> = OnceLock::new();
    K.get_or_init(|| {
        let p = policy();
        let mut keys = p.log_keys(DEMO_ORIGIN);
        keys.extend(p.witness_keys());
        keys.extend(
            VECTOR_VKEYS
                .iter()
                .map(|v| VerifierKey::parse(v).expect("vector vkey parses")),
        );
        keys
    })
}

/// Signs `payload` as a statement of `kind` by the demo agency, so that
/// mutated payloads get past the signature and chain checks to the schema.
pub fn sign_as_demo_agency(kind: ashlog::schema::Kind, payload: &[u8]) -> Vec<u8> {
    use ashlog::keys::P256SigningKey;
    use ashlog::statement::{SignerId, StatementHeader};
    static K: OnceLock<(P256SigningKey, Vec<Vec<u8>>)> = OnceLock::new();
    let (key, chain) = K.get_or_init(|| {
        let key = P256SigningKey::from_pkcs8_pem(DEMO_AGENCY_KEY).expect("demo key");
        let chain = ashlog::chain::CertChain::from_pem(DEMO_AGENCY_CHAIN)
            .expect("demo chain")
            .ders()
            .to_vec();
        (key, chain)
    });
    StatementHeader {
        content_type: kind.content_type().to_string(),
        iss: DEMO_ISS.to_string(),
        sub: "fuzz".to_string(),
        iat: DEMO_IAT,
        signer: SignerId::X5Chain(chain.clone()),
    }
    .sign(payload, key)
}

/// Splits `data` into frames of `u16` big-endian length then bytes; a short
/// last frame takes what is left. How targets that need several byte
/// strings (a certificate list) read them from one input.
pub fn frames(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        data = &data[2..];
        let n = len.min(data.len());
        out.push(&data[..n]);
        data = &data[n..];
    }
    out
}

/// The inverse of [`frames`], for writing seeds.
pub fn to_frames(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// A fresh witness for the demo log (its two keys), holding, by `held`:
/// nothing (0), the demo tree at size 1 (1), or the demo checkpoint at size
/// 5 (2). Stored notes carry a dummy signature line: the witness parses what
/// it stored but does not re-verify it.
pub fn witness(held: u8) -> WitnessState {
    let store = MemoryStore::default();
    let stored = match held % 3 {
        1 => {
            let root = ashlog::merkle::Hash(DEMO_TILE0[..32].try_into().expect("32 bytes"));
            Some(format!(
                "{DEMO_ORIGIN}\n1\n{}\n\n\u{2014} {DEMO_ORIGIN} AAAAAAAA\n",
                root.to_base64()
            ))
        }
        2 => {
            let note = ashlog::note::Note::parse(DEMO_CHECKPOINT).expect("demo checkpoint");
            Some(format!(
                "{}\n\u{2014} {DEMO_ORIGIN} AAAAAAAA\n",
                note.text()
            ))
        }
        _ => None,
    };
    if let Some(s) = stored {
        let _ = store.compare_and_swap(DEMO_ORIGIN, None, s.as_bytes());
    }
    let mut logs = BTreeMap::new();
    logs.insert(DEMO_ORIGIN.to_string(), policy().log_keys(DEMO_ORIGIN));
    let key = Ed25519SigningKey::from_seed(&[7u8; 32]);
    WitnessState::new("fuzz.example.org/witness", key, logs, Box::new(store))
        .expect("witness state")
}
