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
pub mod policy;
pub mod receipt;
pub mod statement;
#[cfg(any(test, feature = "test-pki"))]
pub mod test_pki;
pub mod tile;
pub mod tlog_proof;
#[cfg(feature = "pki")]
pub mod pki;
