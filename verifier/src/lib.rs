//! # ashlog: checking claims that personal data was destroyed
//!
//! A government agency signs a statement ("we destroyed these records, this
//! way, on this date"; "we took these apps offline"), registers it with an
//! ashlog transparency log, and gets back a receipt. Independent witnesses —
//! a notary's office, an audit firm, a university — cosign the log's tree
//! heads, so nobody can be shown a rewritten history. This crate is
//! everything a citizen needs to check such a statement, offline, and it is
//! the only implementation of ashlog's formats: the log, the witnesses and
//! the `ashlog` command-line tool all use it.
//!
//! ## What a verification establishes
//!
//! [`verify::verify_transparent_statement`] takes one file (a Transparent
//! Statement: the signed statement with its receipt), a trust policy
//! ([`policy::Policy`]: the log's keys, the witnesses' keys, the quorum) and
//! the roots the reader trusts for agencies ([`chain::TrustAnchors`]). Ok
//! means:
//!
//! - **who**: the statement is signed (ES256, [`statement`]) by a key whose
//!   X.509 certificate chains to one of the roots and was valid when it was
//!   signed, and the certificate names the issuer ([`chain`]);
//! - **what**: the payload is a valid statement of its kind — destruction,
//!   takedown, endorsement, correction ([`schema`]);
//! - **logged**: the log included exactly these bytes at a position in its
//!   Merkle tree ([`merkle`], [`receipt`]);
//! - **witnessed**: the tree head it was included under is signed by the log
//!   and cosigned by enough witnesses ([`checkpoint`], [`note`],
//!   [`cosignature`], [`policy`]), so a log that shows different histories
//!   to different people would be caught.
//!
//! It does not establish that the data is gone. That is the agency's claim;
//! endorsements by auditors and notaries, themselves statements on the log,
//! say what they checked and what they did not.
//!
//! ## A worked example
//!
//! The 2 March 2023 destruction in Wuxi, written as the agency would have
//! (one of the [`schema::fixtures`]), signed and checked for its signature
//! and content; the full log round trip is in the server's demo.
//!
//! ```
//! use ashlog::keys::P256SigningKey;
//! use ashlog::schema::{Document, Statement, fixtures};
//! use ashlog::statement::{SignedStatement, SignerId, StatementHeader};
//!
//! let doc = Document::from_toml(fixtures::WUXI_DESTRUCTION).unwrap();
//! let key = P256SigningKey::generate().unwrap();
//! let signed = StatementHeader {
//!     content_type: doc.envelope.kind.content_type().into(),
//!     iss: "https://dsj.wuxi.gov.cn".into(),
//!     sub: doc.envelope.subject.clone(),
//!     iat: 1_677_729_600,
//!     signer: SignerId::Kid(b"demo".to_vec()),
//! }
//! .sign(&doc.statement.to_cbor(), &key);
//!
//! let s = SignedStatement::parse(&signed).unwrap();
//! s.verify_signature(key.public_key()).unwrap();
//! let what = Statement::from_cbor(doc.envelope.kind, s.payload()).unwrap();
//! assert!(what.headline().contains("1,000,000,000"));
//! // The log's leaf for this statement:
//! println!("leaf {}", s.leaf_hash());
//! ```
//!
//! ## Formats
//!
//! | concern | module | standard |
//! |---|---|---|
//! | statements | [`statement`] | SCITT Signed Statement (RFC 9943), COSE_Sign1 ES256, x5chain |
//! | statement content | [`schema`] | ashlog kinds, CBOR payload, TOML/JSON authoring form |
//! | certificates | [`chain`] | X.509 path validation to trust anchors (RFC 5280 subset) |
//! | tree | [`merkle`], [`tile`] | RFC 6962 / 9162 hashing and proofs, C2SP tlog-tiles |
//! | tree heads | [`note`], [`checkpoint`], [`cosignature`] | C2SP signed-note, tlog-checkpoint, tlog-cosignature |
//! | trust policy | [`policy`] | C2SP tlog-policy |
//! | receipts | [`receipt`] | COSE Receipts (RFC 9942), RFC9162_SHA256 |
//! | offline proofs | [`tlog_proof`] | C2SP tlog-proof |
//! | per-person commitments | [`commitment`] | RFC 9497 VOPRF (P256-SHA256), RFC 9162 range proofs |
//! | strict CBOR | [`cbor`] | RFC 8949 well-formedness, no duplicate keys or indefinite lengths |
//!
//! ## In scope / out of scope
//!
//! In scope: parsing, formatting, signing and verifying every ashlog format;
//! computing proofs from tiles a log serves and checking those tiles before
//! use. The log-format half (trees, tiles, notes, checkpoints, witnessing)
//! is the `ashlog-tlog` crate, re-exported here. Out of scope: networking
//! (the `ashlog` binary, crate `ashlog-cli`, adds an HTTP client), storage,
//! and deciding whom to trust: the policy and the roots are the reader's
//! choice.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cbor;
pub mod chain;
pub mod commitment;
pub mod entry;
#[cfg(feature = "pki")]
pub mod pki;
pub mod receipt;
pub mod schema;
pub mod statement;
#[cfg(any(test, feature = "test-pki"))]
pub mod test_pki;
pub mod verify;

// The log-format core, re-exported so that `ashlog::merkle` and friends are
// one import away for a verifier; the witness depends on `ashlog_tlog`
// alone.
pub use ashlog_tlog::{
    add_checkpoint, checkpoint, cosignature, decimal, durable, integrate, keys, merkle, note,
    policy, range, tile, tlog_proof, vkey,
};

#[cfg(test)]
mod module_graph {
    /// No two top-level modules of this crate import each other, however
    /// indirectly (`ashlog_tlog::module_graph` reads the sources).
    #[test]
    fn the_module_graph_has_no_cycle() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
        let graph = ashlog_tlog::module_graph::graph(&root).unwrap();
        assert!(graph.len() > 3, "read {graph:?}");
        let cycles = ashlog_tlog::module_graph::cycles(&graph);
        assert!(cycles.is_empty(), "import cycles: {cycles:?}");
    }
}
