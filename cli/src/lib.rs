//! The `ashlog` command line (the binary is `src/main.rs`): thin glue
//! (after ripgrep's split of a thin binary over libraries) around the `ashlog` library. clap types become a validated
//! plan before any network I/O, the checks themselves live in the library,
//! and [`main`] maps outcomes to exit codes: 0 verified, 1 verification
//! failed or anomaly found, 2 usage or input error, 3 network.
//!
//! [`report`] renders a verification in plain words; the demo prints with
//! it too, so what it shows is what `ashlog verify` prints.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cli;
pub mod report;

pub use cli::main;
