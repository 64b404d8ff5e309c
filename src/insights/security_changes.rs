//! Security changes: the audit log's events of the window whose action is
//! tracked, newest first, with who did it and to whom, and a count per
//! tracked action. In insights.json as `security_changes`, beside the
//! thirteen insights.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use serde::Serialize;

use super::Context;
use crate::support::frame::strings;
use crate::support::time::parse_time;

/// The key of the figures in insights.json, in `missing` and in
/// bundle.toml's `not_recorded`.
pub const KEY: &str = crate::bundle::manifest::SECURITY_CHANGES;

/// The tracked actions, each with its words: the audit log's action keys
/// that the contract names (Atlassian's list of organization audit log
/// activities, "Organization" and "User management" groups).
pub const TRACKED: [(&str, &str); 6] = [
    ("added_org_admin", "Organization admin added"),
    ("group_granted_admin_access", "Group granted admin access"),
    (
        "twosv_disabled_for_user",
        "Two-step verification turned off for a user",
    ),
    ("user_granted_role", "Role granted to a user"),
    ("user_revoked_role", "Role revoked from a user"),
    ("user_logged_in_as_user", "Admin logged in as a user"),
];

/// The words of a tracked action; the key itself for any other.
pub fn action_words(action: &str) -> &str {
    TRACKED
        .iter()
        .find(|(key, _)| *key == action)
        .map_or(action, |(_, words)| words)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityChanges {
    /// Newest first.
    pub events: Vec<SecurityEvent>,
    /// Every tracked action, with its events in the window.
    pub counts: BTreeMap<String, u64>,
}

/// One tracked event of the window, as the log gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityEvent {
    /// RFC 3339, as written in `events`.
    pub time: String,
    pub action: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub target: Option<String>,
    /// Kept for the page and the CSV; insights.json has the five above.
    #[serde(skip)]
    pub event_id: String,
    #[serde(skip)]
    pub actor_id: Option<String>,
    #[serde(skip)]
    pub subject_id: Option<String>,
    #[serde(skip)]
    pub ip: Option<String>,
    #[serde(skip)]
    pub at: DateTime<Utc>,
}

impl SecurityEvent {
    /// The UTC day of the event.
    pub fn day(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

/// The security changes of the window; `None` without an `events` table.
pub fn compute(ctx: &Context) -> Option<PolarsResult<SecurityChanges>> {
    let events = ctx.events()?;
    Some(in_window(events, ctx.window_start, ctx.as_of))
}

fn in_window(
    events: LazyFrame,
    first: NaiveDate,
    last: NaiveDate,
) -> PolarsResult<SecurityChanges> {
    let tracked = TRACKED.iter().fold(lit(false), |any, (key, _)| {
        any.or(col("action").eq(lit(*key)))
    });
    let frame = events.filter(tracked).collect()?;
    let text = |name: &str| strings(&frame, name);
    let optional = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        Ok(text(name)?
            .into_iter()
            .map(|v| (!v.is_empty()).then_some(v))
            .collect())
    };
    let (ids, times, actions) = (text("event_id")?, text("time")?, text("action")?);
    let (actor_ids, actors) = (optional("actor_id")?, optional("actor")?);
    let (subject_ids, subjects) = (optional("subject_id")?, optional("subject")?);
    let (targets, ips) = (optional("target")?, optional("ip")?);
    let mut kept: Vec<SecurityEvent> = Vec::new();
    for i in 0..frame.height() {
        // Every time was checked at load; one that chrono still refuses
        // cannot be placed in the window.
        let Some(at) = parse_time(&times[i]) else {
            continue;
        };
        if at.date_naive() < first || at.date_naive() > last {
            continue;
        }
        kept.push(SecurityEvent {
            time: times[i].clone(),
            action: actions[i].clone(),
            actor: actors[i].clone(),
            subject: subjects[i].clone(),
            target: targets[i].clone(),
            event_id: ids[i].clone(),
            actor_id: actor_ids[i].clone(),
            subject_id: subject_ids[i].clone(),
            ip: ips[i].clone(),
            at,
        });
    }
    // Newest first; events of the same instant stay in the log's order
    // (a stable sort), as the log gave them.
    kept.sort_by_key(|e| std::cmp::Reverse(e.at));
    let mut counts: BTreeMap<String, u64> = TRACKED
        .iter()
        .map(|(key, _)| (key.to_string(), 0))
        .collect();
    for event in &kept {
        *counts.entry(event.action.clone()).or_default() += 1;
    }
    Ok(SecurityChanges {
        events: kept,
        counts,
    })
}
