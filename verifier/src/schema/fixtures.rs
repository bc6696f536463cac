//! The worked example: Wuxi, 2 March 2023, written as authoring documents the way a careful
//! agency officer, notary and the agency again would have written them. Publicly known facts
//! are those of DESIGN.md §9.5; reference numbers, identifiers, times and
//! counts the city never published are illustrative and each file says so at the top.

/// Wuxi Big Data Administration: destruction of the first batch of more than 1,000,000,000 rows of
/// pandemic personal data, 2023-03-02 (entry `1.1` in the examples).
pub const WUXI_DESTRUCTION: &str = include_str!("../../fixtures/wuxi-destruction-2023-03-02.toml");
/// Wuxi Big Data Administration: 40+ digital epidemic apps taken offline the same day.
pub const WUXI_TAKEDOWN: &str = include_str!("../../fixtures/wuxi-takedown-2023-03-02.toml");
/// The notary office's endorsement of entry `1.1` (notarial preservation of the process).
pub const NOTARY_ENDORSEMENT: &str = include_str!("../../fixtures/notary-endorsement.toml");
/// The later status update closing entry `1.1`'s pending backup step.
pub const STATUS_UPDATE_CORRECTION: &str =
    include_str!("../../fixtures/status-update-correction.toml");

/// Every fixture as (file name, text).
pub fn all() -> [(&'static str, &'static str); 4] {
    [
        ("wuxi-destruction-2023-03-02.toml", WUXI_DESTRUCTION),
        ("wuxi-takedown-2023-03-02.toml", WUXI_TAKEDOWN),
        ("notary-endorsement.toml", NOTARY_ENDORSEMENT),
        ("status-update-correction.toml", STATUS_UPDATE_CORRECTION),
    ]
}

/// The fixtures parsed into their typed statements, for tests.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod parsed {
    use crate::schema::{
        Correction, Destruction, Document, Endorsement, Kind, LogPolicy, Statement, Takedown,
    };

    fn statement(text: &str) -> Statement {
        Document::from_toml(text).expect("fixture parses").statement
    }

    pub(crate) fn wuxi_destruction() -> Destruction {
        match statement(super::WUXI_DESTRUCTION) {
            Statement::Destruction(d) => d,
            other => panic!("not a destruction: {other:?}"),
        }
    }

    pub(crate) fn template_destruction() -> Destruction {
        match statement(crate::schema::template(Kind::Destruction)) {
            Statement::Destruction(d) => d,
            other => panic!("not a destruction: {other:?}"),
        }
    }

    pub(crate) fn wuxi_takedown() -> Takedown {
        match statement(super::WUXI_TAKEDOWN) {
            Statement::Takedown(t) => t,
            other => panic!("not a takedown: {other:?}"),
        }
    }

    pub(crate) fn notary_endorsement() -> Endorsement {
        match statement(super::NOTARY_ENDORSEMENT) {
            Statement::Endorsement(e) => e,
            other => panic!("not an endorsement: {other:?}"),
        }
    }

    pub(crate) fn status_update() -> Correction {
        match statement(super::STATUS_UPDATE_CORRECTION) {
            Statement::Correction(c) => c,
            other => panic!("not a correction: {other:?}"),
        }
    }

    pub(crate) fn template_policy() -> LogPolicy {
        match statement(crate::schema::template(Kind::Policy)) {
            Statement::Policy(p) => p,
            other => panic!("not a policy: {other:?}"),
        }
    }
}
