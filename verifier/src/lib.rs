//! placeholder
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod chain;
pub mod keys;
#[cfg(any(test, feature = "test-pki"))]
pub mod test_pki;
