//! The "Security changes" section and `data/security_changes.csv`: the
//! audit log's tracked events of the window, with actor and subject as
//! `[privacy] names` says.

use serde::Serialize;

use crate::insights::{action_words, SecurityChanges, TRACKED_ACTIONS};
use crate::review::privacy::Privacy;
use crate::support::csv::csv_file;

/// Where the events are written, relative to the report.
pub const FILE: &str = "data/security_changes.csv";

/// The section as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityView {
    /// Why there is nothing to show, as a sentence: no `events` table, or
    /// a source that cannot read the audit log.
    pub missing: Option<String>,
    /// Every tracked action: key, words, events in the window.
    pub counts: Vec<(String, String, u64)>,
    pub events: Vec<EventRow>,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub time: String,
    pub action: String,
    pub words: String,
    pub actor: String,
    pub subject: String,
    pub target: String,
    pub ip: String,
}

/// A person as the log names them (an email, else a name), concealed as
/// `privacy` says.
fn person(privacy: &Privacy, text: Option<&String>) -> String {
    match text {
        Some(text) if text.contains('@') => privacy.email(text),
        Some(text) => privacy.name(text),
        None => String::new(),
    }
}

fn rows(changes: &SecurityChanges, privacy: &Privacy) -> Vec<EventRow> {
    changes
        .events
        .iter()
        .map(|e| EventRow {
            time: e.time.clone(),
            words: action_words(&e.action).to_string(),
            action: e.action.clone(),
            actor: person(privacy, e.actor.as_ref()),
            subject: person(privacy, e.subject.as_ref()),
            target: e.target.clone().unwrap_or_default(),
            ip: e.ip.clone().unwrap_or_default(),
        })
        .collect()
}

pub fn view(
    changes: Option<&SecurityChanges>,
    missing: Option<&String>,
    privacy: &Privacy,
) -> SecurityView {
    let Some(changes) = changes else {
        let reason = missing
            .cloned()
            .unwrap_or_else(|| "the bundle has no events table".into());
        // "not recorded by the API (bundle.toml)" says it already.
        let notice = match reason.strip_prefix("not recorded") {
            Some(rest) => format!("Not recorded{rest}."),
            None => format!("Not recorded: {reason}."),
        };
        return SecurityView {
            missing: Some(notice),
            counts: Vec::new(),
            events: Vec::new(),
            total: 0,
        };
    };
    SecurityView {
        missing: None,
        // In the order the contract names them, not the JSON's.
        counts: TRACKED_ACTIONS
            .iter()
            .map(|(key, words)| {
                let n = changes.counts.get(*key).copied().unwrap_or(0);
                (key.to_string(), words.to_string(), n)
            })
            .collect(),
        events: rows(changes, privacy),
        total: changes.events.len(),
    }
}

/// The same changes with actor and subject as `privacy` shows them, for
/// insights.json.
pub fn concealed(changes: &SecurityChanges, privacy: &Privacy) -> SecurityChanges {
    let mut concealed = changes.clone();
    for event in &mut concealed.events {
        event.actor = event.actor.as_ref().map(|a| person(privacy, Some(a)));
        event.subject = event.subject.as_ref().map(|s| person(privacy, Some(s)));
    }
    concealed
}

/// Every tracked event of the window, newest first: ids beside the names
/// so that a script can follow them.
pub fn csv(changes: &SecurityChanges, privacy: &Privacy) -> anyhow::Result<Vec<u8>> {
    let header = [
        "time",
        "action",
        "actor_id",
        "actor",
        "subject_id",
        "subject",
        "target",
        "ip",
        "event_id",
    ];
    let rows = changes
        .events
        .iter()
        .zip(rows(changes, privacy))
        .map(|(e, row)| {
            vec![
                row.time,
                row.action,
                e.actor_id.clone().unwrap_or_default(),
                row.actor,
                e.subject_id.clone().unwrap_or_default(),
                row.subject,
                row.target,
                row.ip,
                e.event_id.clone(),
            ]
        });
    csv_file(&header, rows)
}
