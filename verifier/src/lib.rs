//! placeholder
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cbor;
pub mod chain;
pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod keys;
pub mod merkle;
pub mod note;
#[cfg(feature = "pki")]
pub mod pki;
pub mod policy;
pub mod receipt;
pub mod report;
pub mod schema;
pub mod statement;
#[cfg(any(test, feature = "test-pki"))]
pub mod test_pki;
pub mod tile;
pub mod tlog_proof;
pub mod verify;
