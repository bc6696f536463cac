//! placeholder
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod cbor;
pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod policy;
pub mod receipt;
pub mod statement;
pub mod tile;
pub mod tlog_proof;
