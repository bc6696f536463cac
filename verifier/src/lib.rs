//! placeholder
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod keys;
pub mod merkle;
pub mod tile;
pub mod checkpoint;
pub mod cosignature;
pub mod note;
pub mod policy;
pub mod tlog_proof;
