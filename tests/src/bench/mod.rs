//! `ashlog-bench`, the load generator, as a library: what it drives and how
//! it measures. The binary (`src/bin/ashlog-bench.rs`) only parses flags
//! and prints.
//!
//! - [`corpus`]: statements signed before any clock starts;
//! - [`http`]: one raw keep-alive HTTP/1.1 connection per task;
//! - [`register`]: `POST /entries` at a fixed concurrency or rate, POST to
//!   303 and POST to receipt available;
//! - [`read`]: `/checkpoint`, tiles and receipts;
//! - [`witness`]: a real witness with many distinct logs;
//! - [`scale`]: growing a log to millions of entries;
//! - [`deploy`]: our own log and witnesses, or a running log;
//! - [`ceiling`]: ES256 and SHA-256 limits measured in the same run;
//! - [`stats`]: percentiles and `/proc` accounting.

pub mod ceiling;
pub mod corpus;
pub mod deploy;
pub mod http;
pub mod read;
pub mod register;
pub mod scale;
pub mod stats;
pub mod witness;
