//! placeholder
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod chain;
pub mod keys;
#[cfg(test)]
pub(crate) mod test_pki;
