//! Summary lines for statements about an earlier entry: endorsements and corrections.

use super::{capitalised, contact, correction_verb, org_line, org_name};
use crate::schema::{Correction, EffectOnEndorsements, Endorsement, PatchOp};
use ciborium::Value;

pub(super) fn endorsement(e: &Endorsement) -> Vec<(&'static str, String)> {
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

pub(super) fn correction(c: &Correction) -> Vec<(&'static str, String)> {
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
        EffectOnEndorsements::RemainValid => "endorsements of the entry remain valid",
        EffectOnEndorsements::RequireReconfirmation => {
            "endorsements of the entry must be reconfirmed by their endorsers"
        }
    };
    out.push(("Endorsements", effect.to_string()));
    out.push(("Contact", contact(&c.contact)));
    out
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
