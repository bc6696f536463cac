//! `ashlog commitment`: the agency builds a per-person commitment from its
//! records before deleting them, and an auditor recomputes it
//! (DESIGN.md §10).

mod audit;
mod build;
mod publish;
mod records;
mod sort;

pub(crate) use audit::run as audit;
pub(crate) use build::run as build;
pub(crate) use records::Format;

use anyhow::{Context as _, Result};
use ashlog::schema::Commitment;

/// The `[statement.commitment]` block as the statement TOML takes it.
pub(crate) fn block(c: &Commitment) -> Result<String> {
    #[derive(serde::Serialize)]
    struct Statement<'a> {
        commitment: &'a Commitment,
    }
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        statement: Statement<'a>,
    }
    toml::to_string(&Doc {
        statement: Statement { commitment: c },
    })
    .context("internal: the commitment block does not serialise")
}

/// Reads a `[statement.commitment]` block (a `commitment.toml`, or a whole
/// statement TOML).
pub(crate) fn parse_block(text: &str) -> Result<Commitment> {
    let table: toml::Table = toml::from_str(text).context("not TOML")?;
    let c = table
        .get("statement")
        .and_then(|s| s.get("commitment"))
        .ok_or_else(|| anyhow::anyhow!("no [statement.commitment] table"))?;
    c.clone()
        .try_into()
        .context("the [statement.commitment] table is not a commitment")
}
