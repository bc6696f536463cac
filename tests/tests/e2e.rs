//! End-to-end tests: the real `ashlog-server`, `ashlog-witness` and `ashlog`
//! binaries on 127.0.0.1, talked to over HTTP, killed and restarted where
//! durability is claimed.
//!
//! Modules:
//! - `server`: registration of every kind, every rejection reason, receipts
//!   verified with the library, tiles recomputed into the checkpoint root,
//!   idempotent registration.
//! - `witnessing`: a log with three witnesses and quorum 2, witnesses
//!   stopped and restarted, receipts that satisfy the policy.
//! - `cli`: the `ashlog` binary as users drive it (assert_cmd).
//! - `durability`: SIGKILL with submissions in flight, restart, nothing
//!   acknowledged lost, checkpoints consistent (the short crash loop).
//! - `faults`: injected disk-full, fsync and read errors: 503, nothing
//!   acknowledged or signed, recovery.
//! - `hostile`: malformed, oversized, truncated, slow and numerous requests
//!   to the log and the witness: 4xx or a cut-off connection within a bound,
//!   nothing appended, memory bounded, everyone else still served.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod commitment;
mod durability;
mod faults;
mod hostile;
mod server;
mod witnessing;
