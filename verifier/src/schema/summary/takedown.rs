//! Summary lines for a takedown statement.

use super::{apps_phrase, citations, contact, org_line, stage_days, triggers};
use crate::schema::Takedown;

pub(super) fn lines(t: &Takedown) -> Vec<(&'static str, String)> {
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
