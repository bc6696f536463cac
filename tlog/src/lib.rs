//! # ashlog-tlog: the log-format core
//!
//! Everything a transparency log, a witness and a verifier must agree on
//! about the *log*, and nothing about what is logged: RFC 6962 / 9162
//! Merkle trees and proofs, C2SP tlog-tiles, signed notes, checkpoints and
//! cosignatures, tlog-policy, tlog-proof and the tlog-witness wire format.
//! A witness operator depends on this crate alone, so the code a notary
//! must audit to trust their witness is this, a few thousand lines; the
//! statement formats (COSE, X.509, the destruction schema) are in the
//! `ashlog` crate on top of it.
//!
//! | concern | module | spec |
//! |---|---|---|
//! | numbers in text formats | [`decimal`] | canonical decimal, as every C2SP text spec requires |
//! | tree | [`merkle`] | RFC 6962 / 9162 hashing, inclusion and consistency proofs |
//! | tiles | [`tile`], [`integrate`] | C2SP tlog-tiles: paths, widths, reading nodes; building tiles |
//! | keys | [`keys`] | P-256 and Ed25519, PKCS#8 PEM, SPKI |
//! | notes | [`note`], [`vkey`] | C2SP signed-note, vkeys; Ed25519 (`0x01`) |
//! | tree heads | [`checkpoint`] | C2SP tlog-checkpoint; RFC 6962 note signatures (`0x05`) |
//! | cosignatures | [`cosignature`] | C2SP tlog-cosignature `cosignature/v1` (`0x04`) |
//! | trust policy | [`policy`] | C2SP tlog-policy |
//! | offline proofs | [`tlog_proof`] | C2SP tlog-proof |
//! | witnessing | [`add_checkpoint`] | C2SP tlog-witness `add-checkpoint` request and responses |
//! | files | [`durable`] | atomic, durable writes; 0600 secrets |
//!
//! In scope: parsing, formatting, signing and verifying these formats;
//! computing proofs from tiles a log serves, and checking those tiles
//! before use. Out of scope: networking, databases, and whom to trust (a
//! [`policy::Policy`] is the reader's choice).

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod add_checkpoint;
pub mod checkpoint;
pub mod cosignature;
pub mod decimal;
pub mod durable;
pub mod integrate;
pub mod keys;
pub mod merkle;
#[cfg(any(test, feature = "testing"))]
pub mod module_graph;
pub mod note;
pub mod policy;
pub mod range;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tile;
pub mod tlog_proof;
pub mod vkey;
