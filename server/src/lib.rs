//! ashlog-server: the transparency service for data-destruction
//! attestations.
//!
//! An agency posts a SCITT Signed Statement; [`registration`] checks it
//! against the log's policy; the [`sequencer`] batches, integrates
//! ([`integrate`]) and durably commits it ([`storage`]); the
//! [`checkpointer`] signs checkpoints, has witnesses cosign them
//! ([`witness_client`]) and publishes them; [`service`] and [`http`] serve
//! receipts, tiles and statements. The formats all come from the `ashlog`
//! library, the same code citizens verify with.

#![forbid(unsafe_code)]

pub mod app;
pub mod bundle;
pub mod checkpointer;
pub mod config;
pub mod http;
pub mod init;
pub mod integrate;
pub mod metrics;
pub mod proofs;
pub mod registration;
pub mod sequencer;
pub mod service;
pub mod storage;
pub mod witness_client;

#[cfg(test)]
mod testlog;
