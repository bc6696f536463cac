//! Plain-words summaries and one-line headlines for citizens. They restate what the statement
//! claims; they never say that anything was verified deleted, because a statement proves only
//! that its issuer said it (research/domain.md §4.4, pitfall 1).

use super::check::date_part;
use super::{
    Contact, Correction, CorrectionKind, CountUnit, Destruction, DestructionStatus, Endorsement,
    LegalCitation, LogPolicy, Org, PatchOp, Statement, Takedown, Trigger,
};
use ciborium::Value;

impl Statement {
    /// Plain-words lines for citizens: ("What", "..."), ("When", "..."), ("How", "..."),
    /// ("Where", ...), ("Legal basis", ...), ("Verified", ...), ("Witnesses named", ...) etc.
    /// depending on kind. Labels may repeat (one "System" line per system, one "App" line per
    /// app). Text is taken in English where the statement has it, else in its first language.
    pub fn summary(&self) -> Vec<(&'static str, String)> {
        match self {
            Statement::Destruction(d) => destruction(d),
            Statement::Takedown(t) => takedown(t),
            Statement::Endorsement(e) => endorsement(e),
            Statement::Correction(c) => correction(c),
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

fn destruction(d: &Destruction) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut what = format!(
        "{} of {}",
        capitalised(&count_phrase(
            d.record_count.value,
            d.record_count.lower_bound,
            d.record_count.unit
        )),
        d.data_description.preferred()
    );
    if let Some(b) = &d.batch {
        what += &match b.planned_total {
            Some(total) => format!(
                " (batch {} of {total}, programme {})",
                b.sequence, b.program_id
            ),
            None => format!(" (batch {} of programme {})", b.sequence, b.program_id),
        };
    }
    out.push(("What", what));
    let status = match d.status {
        DestructionStatus::Completed => "completed".to_string(),
        DestructionStatus::CompletedWithPendingSteps => {
            let steps: Vec<String> = d
                .pending_steps
                .iter()
                .map(|s| format!("{} ({}, due by {})", s.description.preferred(), s.system_ref, s.due_by))
                .collect();
            format!("completed except {} pending step(s): {}", steps.len(), steps.join("; "))
        }
        DestructionStatus::RestrictedNotDeleted => {
            "restricted, not deleted: kept in storage with security measures only, all other processing stopped".to_string()
        }
    };
    out.push(("Status", status));
    out.push((
        "Who",
        format!(
            "{}; accountable officer: {}",
            org_line(&d.issuer),
            d.accountable_officer.title.preferred()
        ),
    ));
    let executors: Vec<String> = d
        .executors
        .iter()
        .map(|e| format!("{} ({})", org_name(&e.org), e.role.words()))
        .collect();
    out.push(("Carried out by", executors.join("; ")));
    let mut why = triggers(&d.trigger);
    if let Some(o) = &d.order_ref {
        why += &format!(
            " (order {} of {}, {})",
            o.reference,
            org_name(&o.authority),
            o.date
        );
    }
    out.push(("Why", why));
    out.push(("Legal basis", citations(&d.legal_citations)));
    let categories: Vec<String> = d
        .data_categories
        .iter()
        .map(|c| {
            let name = c
                .label
                .as_ref()
                .map_or_else(|| c.code.words(), |l| l.preferred().to_string());
            if c.sensitive {
                format!("{name} (sensitive)")
            } else {
                name
            }
        })
        .collect();
    out.push(("Data", categories.join(", ")));
    out.push((
        "Collected",
        format!(
            "{} to {}, for: {}",
            d.collection_period.from,
            d.collection_period.to,
            d.original_purpose.preferred()
        ),
    ));
    if let Some(s) = &d.subject_count {
        out.push((
            "People",
            count_phrase(s.value, s.lower_bound, CountUnit::Persons),
        ));
    }
    let site = d
        .location
        .site_name
        .as_ref()
        .map(|s| format!(" ({})", s.preferred()))
        .unwrap_or_default();
    out.push((
        "Where",
        format!(
            "{}, {}, {}{site}",
            d.location.city, d.location.region, d.location.country
        ),
    ));
    let when = match &d.completed_at {
        Some(c) => format!("started {}, completed {c}", d.started_at),
        None => format!("started {}", d.started_at),
    };
    out.push(("When", when));
    let actions: Vec<String> = d
        .actions
        .iter()
        .map(|a| {
            let mut line = format!(
                "{} by {} on {}",
                a.level.words(),
                a.technique.words(),
                a.applies_to.join(", ")
            );
            let mut how = Vec::new();
            if let Some(s) = &a.standard {
                how.push(
                    s.clause
                        .as_ref()
                        .map_or_else(|| s.name.clone(), |c| format!("{} {c}", s.name)),
                );
            }
            if let Some(t) = &a.tool {
                how.push(format!("{} {}", t.name, t.version));
            }
            if let Some(m) = &a.media {
                how.push(format!(
                    "{} {} media, then {}",
                    thousands(m.count),
                    m.kind.words(),
                    m.destination.words()
                ));
            }
            if !how.is_empty() {
                line += &format!(" ({})", how.join("; "));
            }
            line
        })
        .collect();
    out.push(("How", actions.join("; ")));
    for s in &d.systems {
        let mut groups: Vec<String> = Vec::new();
        for scope in [
            super::CopyScope::Included,
            super::CopyScope::Excluded,
            super::CopyScope::Unknown,
            super::CopyScope::NotApplicable,
        ] {
            let names: Vec<String> = s
                .components
                .all()
                .iter()
                .filter(|(_, c)| *c == scope)
                .map(|(n, _)| n.replace('_', " "))
                .collect();
            if !names.is_empty() {
                groups.push(format!("{} {}", names.join(", "), scope.words()));
            }
        }
        out.push((
            "System",
            format!(
                "{} [{}]: {}",
                s.name.preferred(),
                s.system_ref,
                groups.join("; ")
            ),
        ));
    }
    let kept = if d.retention_exceptions.is_empty() {
        "nothing (no retention exceptions declared)".to_string()
    } else {
        let items: Vec<String> = d
            .retention_exceptions
            .iter()
            .map(|r| {
                format!(
                    "{} (held by {}; {})",
                    r.description.preferred(),
                    org_name(&r.held_by),
                    r.legal_basis
                )
            })
            .collect();
        items.join("; ")
    };
    out.push(("Kept", kept));
    out.push((
        "Other copies",
        d.other_copies_statement.preferred().to_string(),
    ));
    let v = &d.verification;
    let methods: Vec<String> = v.methods.iter().map(|m| m.words()).collect();
    out.push((
        "Verified",
        format!(
            "{} by {} ({}): {}",
            methods.join(", "),
            org_name(&v.performed_by.org),
            v.performed_by.independence.words(),
            v.result.words()
        ),
    ));
    let witnesses = if d.witnesses_invited.is_empty() {
        "none".to_string()
    } else {
        let items: Vec<String> = d
            .witnesses_invited
            .iter()
            .map(|w| match &w.reference {
                Some(r) => format!(
                    "{} {} ({} {})",
                    w.role.words(),
                    org_name(&w.org),
                    r.kind.words(),
                    r.value
                ),
                None => format!("{} {}", w.role.words(), org_name(&w.org)),
            })
            .collect();
        format!(
            "{}. Named by the issuer; a witness vouches only through its own endorsement entry",
            items.join("; ")
        )
    };
    out.push(("Witnesses named", witnesses));
    if let Some(c) = &d.commitment {
        let mut line = format!(
            "{} root {} over {} {} leaves of {} identifiers",
            c.scheme.as_str(),
            c.root,
            thousands(c.leaf_count),
            c.granularity.words(),
            c.identifier_type
        );
        if let Some(s) = &c.check_service {
            line += &format!("; check at {} until {}", s.url, s.available_until);
        }
        out.push(("Commitment", line));
    }
    out.push(("Contact", contact(&d.contact)));
    out
}

fn takedown(t: &Takedown) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "What",
        format!(
            "Takedown of {}, stages dated {}",
            apps_phrase(t),
            stage_days(t)
        ),
    )];
    out.push(("Who", org_line(&t.issuer)));
    out.push((
        "Why",
        format!("{} ({})", t.reason.preferred(), triggers(&t.trigger)),
    ));
    out.push(("Legal basis", citations(&t.legal_citations)));
    for app in &t.apps {
        let ids: Vec<String> = app
            .identifiers
            .iter()
            .map(|i| format!("{} {}", i.kind.words(), i.value))
            .collect();
        let stages: Vec<String> = app
            .stages
            .iter()
            .map(|s| match &s.channel {
                Some(c) => format!("{} ({c}) {}", s.stage.words(), s.at),
                None => format!("{} {}", s.stage.words(), s.at),
            })
            .collect();
        let data: Vec<String> = app
            .data_disposition
            .iter()
            .map(|d| {
                let cats: Vec<String> = d.data_categories.iter().map(|c| c.words()).collect();
                let entry = d
                    .destruction_entry_id
                    .as_ref()
                    .map(|e| format!(" (entry {e})"))
                    .unwrap_or_default();
                format!(
                    "{} on {}: {}{entry}",
                    cats.join(", "),
                    d.location.words(),
                    d.fate.words()
                )
            })
            .collect();
        let back = if app.reactivatable {
            "can be reactivated"
        } else {
            "cannot be reactivated"
        };
        out.push((
            "App",
            format!(
                "{} [{}]: {}; {back}; data: {}",
                app.name.preferred(),
                ids.join(", "),
                stages.join(", "),
                data.join("; ")
            ),
        ));
    }
    if let Some(note) = t.app_count.as_ref().and_then(|c| c.unlisted_note.as_ref()) {
        out.push(("Not listed", note.preferred().to_string()));
    }
    if let Some(n) = &t.user_notice {
        let methods: Vec<String> = n.methods.iter().map(|m| m.words()).collect();
        out.push(("Users told", format!("{} at {}", methods.join(", "), n.at)));
    }
    if let Some(a) = &t.user_advice {
        out.push(("Advice", a.preferred().to_string()));
    }
    out.push(("Contact", contact(&t.contact)));
    out
}

fn endorsement(e: &Endorsement) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "What",
        format!(
            "{} endorsement ({}) of entry {} with leaf hash {}",
            capitalised(&e.endorser_role.words()),
            e.endorsement_type.words(),
            e.target.entry_id,
            e.target.leaf_hash
        ),
    )];
    out.push(("Opinion", e.opinion.words()));
    let licence = e
        .signatory
        .licence_no
        .as_ref()
        .map(|l| format!(", licence {l}"))
        .unwrap_or_default();
    out.push((
        "Who",
        format!(
            "{}; signed by {}, {}{licence}",
            org_line(&e.issuer),
            e.signatory.name.preferred(),
            e.signatory.title.preferred()
        ),
    ));
    let standards = if e.engagement.standards_applied.is_empty() {
        String::new()
    } else {
        format!("; standards: {}", e.engagement.standards_applied.join(", "))
    };
    out.push((
        "Engagement",
        format!(
            "{}, engaged by {} on {}{standards}",
            e.engagement.reference_no,
            org_name(&e.engagement.engaged_by),
            e.engagement.engaged_on
        ),
    ));
    if let Some(o) = &e.observed {
        out.push((
            "Observed",
            format!("{} to {} at {}", o.from, o.to, o.location.preferred()),
        ));
    }
    out.push((
        "Covers",
        e.covers
            .iter()
            .map(|c| {
                if c.is_empty() {
                    "the whole entry"
                } else {
                    c.as_str()
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    ));
    let excludes = if e.excludes.is_empty() {
        "nothing stated".to_string()
    } else {
        e.excludes
            .iter()
            .map(|x| format!("{} ({})", x.pointer, x.reason.preferred()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    out.push(("Excludes", excludes));
    out.push(("Findings", e.findings.preferred().to_string()));
    let independence = match (&e.independence.declared, &e.independence.conflicts) {
        (true, None) => "declared independent".to_string(),
        (true, Some(c)) => format!("declared independent; disclosed: {}", c.preferred()),
        (false, c) => format!(
            "not independent: {}",
            c.as_ref().map_or("", |c| c.preferred())
        ),
    };
    out.push(("Independence", independence));
    out.push(("Contact", contact(&e.contact)));
    out
}

fn correction(c: &Correction) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "What",
        format!(
            "{} entry {} with leaf hash {}",
            correction_verb(c.kind),
            c.target.entry_id,
            c.target.leaf_hash
        ),
    )];
    out.push((
        "Why",
        format!("{} ({})", c.reason.preferred(), c.reason_code.words()),
    ));
    out.push(("Who", org_line(&c.issuer)));
    if let Some(ops) = &c.patch {
        out.push((
            "Changes",
            ops.iter().map(patch_op).collect::<Vec<_>>().join("; "),
        ));
    }
    if let Some(r) = &c.replacement_entry_id {
        out.push(("Replaced by", format!("entry {r}")));
    }
    if let Some(t) = &c.compromised_since {
        out.push(("Key compromised since", t.clone()));
    }
    let when = match &c.effective_at {
        Some(e) => format!("discovered {}, effective {e}", c.discovered_at),
        None => format!("discovered {}", c.discovered_at),
    };
    out.push(("When", when));
    let decision = c
        .authorized_by
        .decision_ref
        .as_ref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    out.push((
        "Authorised by",
        format!("{}{decision}", c.authorized_by.title.preferred()),
    ));
    let effect = match c.effect_on_endorsements {
        super::EffectOnEndorsements::RemainValid => "endorsements of the entry remain valid",
        super::EffectOnEndorsements::RequireReconfirmation => {
            "endorsements of the entry must be reconfirmed by their endorsers"
        }
    };
    out.push(("Endorsements", effect.to_string()));
    out.push(("Contact", contact(&c.contact)));
    out
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
fn count_phrase(value: u64, lower_bound: bool, unit: CountUnit) -> String {
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

fn apps_phrase(t: &Takedown) -> String {
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
fn stage_days(t: &Takedown) -> String {
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

fn correction_verb(kind: CorrectionKind) -> &'static str {
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

fn patch_op(op: &PatchOp) -> String {
    let mut line = format!("{} {}", op.op.as_str(), op.path);
    if let Some(from) = &op.from {
        line = format!("{} {from} to {}", op.op.as_str(), op.path);
    }
    if let Some(v) = &op.value {
        let mut rendered = String::new();
        render(v, &mut rendered);
        if rendered.chars().count() > 120 {
            rendered = rendered.chars().take(119).collect::<String>() + "…";
        }
        line += &format!(" = {rendered}");
    }
    line
}

/// A patch value in JSON-like notation.
fn render(v: &Value, out: &mut String) {
    match v {
        Value::Integer(i) => out.push_str(&i128::from(*i).to_string()),
        Value::Text(s) => out.push_str(&format!("{s:?}")),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(k, out);
                out.push_str(": ");
                render(item, out);
            }
            out.push('}');
        }
        _ => out.push('?'),
    }
}

fn org_name(org: &Org) -> &str {
    org.org_name.preferred()
}

/// "Wuxi Big Data Administration (government agency, CN-JS)".
fn org_line(org: &Org) -> String {
    format!(
        "{} ({}, {})",
        org_name(org),
        org.org_type.words(),
        org.jurisdiction
    )
}

fn triggers(t: &[Trigger]) -> String {
    t.iter().map(|t| t.words()).collect::<Vec<_>>().join(", ")
}

fn citations(c: &[LegalCitation]) -> String {
    c.iter()
        .map(|c| format!("{} {} [{}]", c.instrument, c.provision, c.jurisdiction))
        .collect::<Vec<_>>()
        .join("; ")
}

fn contact(c: &Contact) -> String {
    [&c.url, &c.email, &c.phone]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalised(s: &str) -> String {
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
