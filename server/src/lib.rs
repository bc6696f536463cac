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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod module_graph {
    /// No two top-level modules of this crate import each other, however
    /// indirectly (`ashlog_tlog::module_graph` reads the sources).
    #[test]
    fn the_module_graph_has_no_cycle() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
        let graph = ashlog_tlog::module_graph::graph(&root).unwrap();
        assert!(graph.len() > 3, "read {graph:?}");
        let cycles = ashlog_tlog::module_graph::cycles(&graph);
        assert!(cycles.is_empty(), "import cycles: {cycles:?}");
    }
}
