//! Summary lines for a destruction statement.

use super::{
    capitalised, citations, contact, count_phrase, org_line, org_name, thousands, triggers,
};
use crate::schema::{CopyScope, CountUnit, Destruction, DestructionStatus};

pub(super) fn lines(d: &Destruction) -> Vec<(&'static str, String)> {
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
            CopyScope::Included,
            CopyScope::Excluded,
            CopyScope::Unknown,
            CopyScope::NotApplicable,
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
