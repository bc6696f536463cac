//! Plain-words summaries and one-line headlines for citizens. They restate what the statement
//! claims; they never say that anything was verified deleted, because a statement proves only
//! that its issuer said it (DESIGN.md §9.2, pitfall 1).

mod destruction;
mod follow_up;
mod takedown;

use super::check::date_part;
use super::{
    Contact, CorrectionKind, CountUnit, DestructionStatus, LegalCitation, LogPolicy, Org,
    Statement, Takedown, Trigger,
};

impl Statement {
    /// Plain-words lines for citizens: ("What", "..."), ("When", "..."), ("How", "..."),
    /// ("Where", ...), ("Legal basis", ...), ("Verified", ...), ("Witnesses named", ...) etc.
    /// depending on kind. Labels may repeat (one "System" line per system, one "App" line per
    /// app). Text is taken in English where the statement has it, else in its first language.
    pub fn summary(&self) -> Vec<(&'static str, String)> {
        match self {
            Statement::Destruction(d) => destruction::lines(d),
            Statement::Takedown(t) => takedown::lines(t),
            Statement::Endorsement(e) => follow_up::endorsement(e),
            Statement::Correction(c) => follow_up::correction(c),
            Statement::Policy(p) => policy(p),
        }
    }

    /// One line, e.g. "Destruction of at least 1,000,000,000 rows of pandemic personal data
    /// (Wuxi, 2023-03-02)".
    pub fn headline(&self) -> String {
        match self {
            Statement::Destruction(d) => {
                let verb = match d.status {
                    DestructionStatus::RestrictedNotDeleted => "Restriction (not deletion)",
                    _ => "Destruction",
                };
                let day = date_part(d.completed_at.as_deref().unwrap_or(&d.started_at));
                format!(
                    "{verb} of {} of {} ({}, {day})",
                    count_phrase(
                        d.record_count.value,
                        d.record_count.lower_bound,
                        d.record_count.unit
                    ),
                    d.data_description.preferred(),
                    d.location.city
                )
            }
            Statement::Takedown(t) => {
                format!(
                    "Takedown of {} by {} ({})",
                    apps_phrase(t),
                    org_name(&t.issuer),
                    stage_days(t)
                )
            }
            Statement::Endorsement(e) => {
                let day = e
                    .observed
                    .as_ref()
                    .map_or(e.engagement.engaged_on.as_str(), |o| date_part(&o.to));
                format!(
                    "{} endorsement of entry {}: {} ({}, {day})",
                    capitalised(&e.endorser_role.words()),
                    e.target.entry_id,
                    e.opinion.words(),
                    org_name(&e.issuer)
                )
            }
            Statement::Correction(c) => {
                let day = date_part(c.effective_at.as_deref().unwrap_or(&c.discovered_at));
                format!(
                    "{} entry {}: {} ({}, {day})",
                    correction_verb(c.kind),
                    c.target.entry_id,
                    c.reason_code.words(),
                    org_name(&c.issuer)
                )
            }
            Statement::Policy(p) => {
                format!(
                    "Registration policy of {} (effective {})",
                    p.origin,
                    date_part(&p.effective_at)
                )
            }
        }
    }
}

fn policy(p: &LogPolicy) -> Vec<(&'static str, String)> {
    let kinds: Vec<&str> = p.accepted_kinds.iter().map(|k| k.name()).collect();
    let anchors: Vec<String> = p
        .trust_anchors
        .iter()
        .map(|a| format!("{} (SHA-256 {})", a.name, a.sha256))
        .collect();
    let witness: Vec<&str> = p
        .witness_policy
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = vec![
        (
            "What",
            format!("Registration policy of the log {}", p.origin),
        ),
        (
            "Accepts",
            format!(
                "{} statements of at most {} bytes",
                kinds.join(", "),
                thousands(p.max_statement_bytes)
            ),
        ),
        ("Trust anchors", anchors.join("; ")),
        ("Log keys", p.log_keys.join("; ")),
        ("Receipt key", p.receipt_key_id.clone()),
        ("Leaf rule", p.leaf_rule.clone()),
        ("Witness policy", witness.join("; ")),
        ("Clock skew", format!("{} seconds", p.max_clock_skew_secs)),
        ("Effective", p.effective_at.clone()),
    ];
    if let Some(prev) = &p.previous_policy {
        out.push(("Replaces", format!("entry {prev}")));
    }
    out
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "at least 1,000,000,000 rows", "1 person".
pub(crate) fn count_phrase(value: u64, lower_bound: bool, unit: CountUnit) -> String {
    let (one, many) = match unit {
        CountUnit::Records => ("record", "records"),
        CountUnit::Rows => ("row", "rows"),
        CountUnit::Files => ("file", "files"),
        CountUnit::Documents => ("document", "documents"),
        CountUnit::Persons => ("person", "people"),
        CountUnit::Devices => ("device", "devices"),
        CountUnit::Bytes => ("byte", "bytes"),
    };
    let noun = if value == 1 && !lower_bound {
        one
    } else {
        many
    };
    let bound = if lower_bound { "at least " } else { "" };
    format!("{bound}{} {noun}", thousands(value))
}

pub(crate) fn apps_phrase(t: &Takedown) -> String {
    let listed = t.apps.len() as u64;
    match &t.app_count {
        Some(c) if c.value > listed || c.lower_bound => {
            let bound = if c.lower_bound { "at least " } else { "" };
            format!("{bound}{} apps ({listed} listed)", thousands(c.value))
        }
        _ if listed == 1 => t
            .apps
            .first()
            .map_or_else(String::new, |a| a.name.preferred().to_string()),
        _ => format!("{listed} apps"),
    }
}

/// The first and last day of all stages: `2023-03-02` or `2023-05-08 to 2023-05-20`.
pub(crate) fn stage_days(t: &Takedown) -> String {
    let mut days: Vec<&str> = t
        .apps
        .iter()
        .flat_map(|a| a.stages.iter().map(|s| date_part(&s.at)))
        .collect();
    days.sort_unstable();
    match (days.first(), days.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(first), _) => (*first).to_string(),
        _ => String::new(),
    }
}

pub(crate) fn correction_verb(kind: CorrectionKind) -> &'static str {
    match kind {
        CorrectionKind::Amendment => "Amendment of",
        CorrectionKind::Supersession => "Supersession of",
        CorrectionKind::StatusUpdate => "Status update of",
        CorrectionKind::Retraction => "Retraction of",
        CorrectionKind::Dispute => "Dispute of",
        CorrectionKind::PayloadWithheld => "Payload withheld for",
        CorrectionKind::KeyRevocation => "Key revocation affecting",
    }
}

pub(crate) fn org_name(org: &Org) -> &str {
    org.org_name.preferred()
}

/// "Wuxi Big Data Administration (government agency, CN-JS)".
pub(crate) fn org_line(org: &Org) -> String {
    format!(
        "{} ({}, {})",
        org_name(org),
        org.org_type.words(),
        org.jurisdiction
    )
}

pub(crate) fn triggers(t: &[Trigger]) -> String {
    t.iter().map(|t| t.words()).collect::<Vec<_>>().join(", ")
}

pub(crate) fn citations(c: &[LegalCitation]) -> String {
    c.iter()
        .map(|c| format!("{} {} [{}]", c.instrument, c.provision, c.jurisdiction))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn contact(c: &Contact) -> String {
    [&c.url, &c.email, &c.phone]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schema::{Document, fixtures};

    fn statement(text: &str) -> Statement {
        Document::from_toml(text).unwrap().statement
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000_000), "1,000,000,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn wuxi_destruction_headline_reads_plainly() {
        let s = statement(fixtures::WUXI_DESTRUCTION);
        assert_eq!(
            s.headline(),
            "Destruction of at least 1,000,000,000 rows of pandemic personal data (Wuxi, 2023-03-02)"
        );
    }

    #[test]
    fn wuxi_destruction_summary_names_count_place_method_and_dates() {
        let s = statement(fixtures::WUXI_DESTRUCTION);
        let lines = s.summary();
        let line = |label: &str| {
            lines
                .iter()
                .find(|(l, _)| *l == label)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {label} line"))
        };
        assert_eq!(
            line("What"),
            "At least 1,000,000,000 rows of pandemic personal data (batch 1 of programme wuxi-covid-data-2023)"
        );
        assert!(line("Where").starts_with("Wuxi, CN-JS, CN"));
        assert!(
            line("How").starts_with("purge by overwrite on wuxi-bdc"),
            "{}",
            line("How")
        );
        assert_eq!(
            line("When"),
            "started 2023-03-02T09:30:00+08:00, completed 2023-03-02T16:40:00+08:00"
        );
        assert!(line("Status").contains("due by 2023-06-30"));
        assert!(line("Legal basis").contains("Art. 47(1)(1)"));
        assert!(line("Verified").contains("Example Third-Party Audit Firm (independent): passed"));
        assert!(
            line("Witnesses named").contains("notarial certificate no (2023)苏锡证经字第1234号")
        );
        assert_eq!(line("Kept"), "nothing (no retention exceptions declared)");
        assert!(line("System").contains(
            "primary, replicas, backups, logs, analytics copies included; exports excluded"
        ));
        let all: String = lines
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!all.to_lowercase().contains("verified deleted"));
    }

    #[test]
    fn other_fixture_headlines_read_plainly() {
        let h: Vec<String> = fixtures::all()
            .iter()
            .map(|(_, t)| statement(t).headline())
            .collect();
        assert_eq!(
            h[1],
            "Takedown of at least 40 apps (8 listed) by Wuxi Big Data Administration (2023-03-02)"
        );
        assert_eq!(
            h[2],
            "Notary endorsement of entry 1.1: observed as described (Example Notary Office, 2023-03-02)"
        );
        assert_eq!(
            h[3],
            "Status update of entry 1.1: pending step completed (Wuxi Big Data Administration, 2023-06-30)"
        );
    }

    #[test]
    fn summaries_exist_for_every_template() {
        for kind in crate::schema::Kind::ALL {
            let s = statement(crate::schema::template(kind));
            let lines = s.summary();
            assert_eq!(lines.first().map(|(l, _)| *l), Some("What"), "{kind}");
            assert!(
                lines.iter().all(|(_, v)| !v.is_empty()),
                "{kind}: {lines:?}"
            );
            assert!(!s.headline().is_empty());
        }
    }

    #[test]
    fn correction_summary_renders_patch_values() {
        let s = statement(fixtures::STATUS_UPDATE_CORRECTION);
        let lines = s.summary();
        let changes = &lines.iter().find(|(l, _)| *l == "Changes").unwrap().1;
        assert!(changes.starts_with("test /status = \"completed_with_pending_steps\"; replace /status = \"completed\"; remove /pending_steps/0; add /actions/- = {"), "{changes}");
    }
}
