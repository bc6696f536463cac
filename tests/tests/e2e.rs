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
//! - `durability`: SIGKILL with submissions in flight, restart, nothing
//!   acknowledged lost, checkpoints consistent.
//! - `hostile`: malformed, oversized, truncated, slow and numerous requests
//!   to the log and the witness: 4xx or a cut-off connection within a bound,
//!   nothing appended, memory bounded, everyone else still served.

mod hostile;
mod server;
