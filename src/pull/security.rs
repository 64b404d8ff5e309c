//! What `pull` writes of the organization's security: the user API tokens
//! (`api_tokens`, a snapshot each pull replaces) and the audit log
//! (`events`, every event kept once and never rewritten, beyond the 180
//! days Atlassian keeps).

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use super::api;
use super::utc_day;

/// The columns of `api_tokens` as `pull` writes them.
const TOKEN_COLUMNS: [&str; 8] = [
    "token_id",
    "account_id",
    "email",
    "label",
    "status",
    "created",
    "expires",
    "last_active",
];

/// The columns of `events` as `pull` writes them.
const EVENT_COLUMNS: [&str; 9] = [
    "event_id",
    "time",
    "action",
    "actor_id",
    "actor",
    "subject_id",
    "subject",
    "target",
    "ip",
];

/// How far before the last kept event the next pull starts reading: an
/// event the log had not yet processed then is read now, and the ids
/// keep it once.
const OVERLAP: Duration = Duration::minutes(15);

fn trimmed(text: &Option<String>) -> String {
    text.as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string()
}

/// `api_tokens.csv` from the API's tokens; tokens without an id, an owner
/// or a creation time cannot be rows of the contract and are counted.
pub fn tokens_csv(tokens: &[api::ApiToken]) -> anyhow::Result<(Vec<u8>, usize)> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(TOKEN_COLUMNS)?;
    let mut left_out = 0;
    for token in tokens {
        let owner = token.user.as_ref();
        let id = trimmed(&token.id);
        let account = owner.map(|u| trimmed(&u.id)).unwrap_or_default();
        let day = |t: &Option<String>| {
            t.as_deref()
                .and_then(utc_day)
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        let created = day(&token.created_at);
        if id.is_empty() || account.is_empty() || created.is_empty() {
            left_out += 1;
            continue;
        }
        writer.write_record([
            id,
            account,
            owner.map(|u| trimmed(&u.email)).unwrap_or_default(),
            trimmed(&token.label),
            trimmed(&token.status),
            created,
            day(&token.expires_at),
            day(&token.last_active_at),
        ])?;
    }
    Ok((writer.into_inner()?, left_out))
}

/// The `events` a bundle already keeps: its ids and latest time, and its
/// bytes to append to.
pub struct KeptEvents {
    bytes: Vec<u8>,
    header: Vec<String>,
    ids: HashSet<String>,
    latest: Option<DateTime<Utc>>,
}

/// What the bundle `into` keeps of the audit log: `Ok(None)` without an
/// events table; `Err` with a table `pull` cannot append to (compressed
/// or Parquet, written by hand).
pub fn kept_events(into: &Path) -> Result<Option<KeptEvents>, String> {
    for other in ["events.csv.gz", "events.parquet"] {
        if into.join(other).exists() {
            return Err(format!(
                "the bundle's {other} is kept as it is: pull appends the audit log only to an events.csv"
            ));
        }
    }
    let Ok(bytes) = std::fs::read(into.join("events.csv")) else {
        return Ok(None);
    };
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|err| format!("the bundle's events.csv cannot be read ({err})"))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(id_at), Some(time_at)) = (column("event_id"), column("time")) else {
        return Err("the bundle's events.csv has no event_id or time column".to_string());
    };
    let (mut ids, mut latest) = (HashSet::new(), None);
    for record in reader.records().flatten() {
        ids.insert(record.get(id_at).unwrap_or("").trim().to_string());
        let time = record
            .get(time_at)
            .and_then(crate::support::time::parse_time);
        latest = latest.max(time);
    }
    Ok(Some(KeptEvents {
        bytes,
        header,
        ids,
        latest,
    }))
}

impl KeptEvents {
    /// Where the next read of the log starts, in epoch milliseconds.
    pub fn read_from(kept: Option<&KeptEvents>, now: DateTime<Utc>, days: u32) -> i64 {
        let first_pull = now - Duration::days(i64::from(days));
        match kept.and_then(|k| k.latest) {
            Some(latest) => (latest - OVERLAP).max(first_pull).timestamp_millis(),
            None => first_pull.timestamp_millis(),
        }
    }
}

/// `events.csv` with the events of `read` it does not keep yet appended,
/// in the order read; returns the bytes and how many were added. The
/// bytes already kept are never rewritten.
pub fn events_csv(
    kept: Option<KeptEvents>,
    read: &[api::Event],
) -> anyhow::Result<(Vec<u8>, usize)> {
    let (mut bytes, header, mut ids) = match kept {
        Some(kept) => (kept.bytes, kept.header, kept.ids),
        None => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(EVENT_COLUMNS)?;
            let header = EVENT_COLUMNS.iter().map(|c| c.to_string()).collect();
            (writer.into_inner()?, header, HashSet::new())
        }
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let mut writer = csv::Writer::from_writer(bytes);
    let mut added = 0;
    for event in read {
        let Some(row) = event_row(event) else {
            continue;
        };
        if !ids.insert(row[0].clone()) {
            continue;
        }
        // In the kept file's own column order; a column it lacks is lost.
        let cells = header.iter().map(|name| {
            EVENT_COLUMNS
                .iter()
                .position(|c| c == name)
                .map(|i| row[i].clone())
                .unwrap_or_default()
        });
        writer.write_record(cells)?;
        added += 1;
    }
    Ok((writer.into_inner()?, added))
}

/// A text attribute of a context item.
fn attribute(item: &api::EventObject, name: &str) -> String {
    item.attributes
        .as_ref()
        .and_then(|a| a.get(name))
        .and_then(|v| v.as_str())
        .map(str::trim)
        .unwrap_or_default()
        .to_string()
}

fn email_else_name(email: String, name: String) -> String {
    if email.is_empty() {
        name
    } else {
        email
    }
}

/// One event as a row of `events`; none without an id, an action or an
/// RFC 3339 time.
fn event_row(event: &api::Event) -> Option<[String; 9]> {
    let a = &event.attributes;
    let (id, time, action) = (trimmed(&event.id), trimmed(&a.time), trimmed(&a.action));
    // A row the bundle's check would refuse would cost the whole pull.
    if id.is_empty() || action.is_empty() || crate::support::time::parse_time(&time).is_none() {
        return None;
    }
    let is_user = |item: &&api::EventObject| item.kind.as_deref() == Some("users");
    let subject = a.context.iter().find(is_user);
    let target = a.context.iter().find(|item| !is_user(item));
    let actor = a.actor.as_ref();
    Some([
        id,
        time,
        action,
        actor.map(|x| trimmed(&x.id)).unwrap_or_default(),
        actor
            .map(|x| email_else_name(trimmed(&x.email), trimmed(&x.name)))
            .unwrap_or_default(),
        subject.map(|x| trimmed(&x.id)).unwrap_or_default(),
        subject
            .map(|x| email_else_name(attribute(x, "email"), attribute(x, "name")))
            .unwrap_or_default(),
        target
            .map(|x| {
                let name = attribute(x, "name");
                if name.is_empty() {
                    trimmed(&x.id)
                } else {
                    name
                }
            })
            .unwrap_or_default(),
        a.location
            .as_ref()
            .map(|l| trimmed(&l.ip))
            .unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(value: serde_json::Value) -> api::Event {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_event_names_its_actor_subject_target_and_ip() {
        let row = event_row(&event(json!({
            "id": "ev1",
            "attributes": {
                "time": "2026-11-02T09:15:00.123Z",
                "action": "user_granted_role",
                "actor": {"id": "a1", "name": "Alice", "email": "alice@acme.com"},
                "context": [
                    {"id": "g1", "type": "groups", "attributes": {"name": "site-admins"}},
                    {"id": "a3", "type": "users", "attributes": {"name": "Carol"}}
                ],
                "location": {"ip": "203.0.113.5"}
            }
        })))
        .unwrap();
        assert_eq!(
            row,
            [
                "ev1",
                "2026-11-02T09:15:00.123Z",
                "user_granted_role",
                "a1",
                "alice@acme.com",
                "a3",
                "Carol",
                "site-admins",
                "203.0.113.5"
            ]
        );
        assert_eq!(
            event_row(&event(json!({"attributes": {"action": "x"}}))),
            None
        );
    }

    #[test]
    fn appending_keeps_the_bytes_and_skips_the_ids_already_kept() {
        let read = |id: &str, time: &str| {
            event(json!({"id": id, "attributes": {"time": time, "action": "added_org_admin"}}))
        };
        let (first, added) = events_csv(
            None,
            &[
                read("e1", "2026-11-01T10:00:00Z"),
                read("e1", "2026-11-01T10:00:00Z"),
            ],
        )
        .unwrap();
        assert_eq!(added, 1);
        let dir = tempfile::tempdir().unwrap();
        // A hand-edited file: other column order, no final line end.
        let kept = b"time,event_id,action\r\n2026-11-01T10:00:00Z,e1,added_org_admin";
        std::fs::write(dir.path().join("events.csv"), kept).unwrap();
        let kept = kept_events(dir.path()).unwrap().unwrap();
        assert_eq!(
            kept.latest,
            crate::support::time::parse_time("2026-11-01T10:00:00Z")
        );
        let (bytes, added) = events_csv(
            Some(kept),
            &[
                read("e1", "2026-11-01T10:00:00Z"),
                read("e2", "2026-11-02T08:00:00Z"),
            ],
        )
        .unwrap();
        assert_eq!(added, 1);
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "time,event_id,action\r\n2026-11-01T10:00:00Z,e1,added_org_admin\n2026-11-02T08:00:00Z,e2,added_org_admin\n"
        );
        assert!(String::from_utf8(first)
            .unwrap()
            .starts_with("event_id,time,action,"));
    }

    #[test]
    fn the_next_read_starts_before_the_last_event_kept() {
        let now = crate::support::time::parse_time("2026-12-01T00:00:00Z").unwrap();
        let latest = crate::support::time::parse_time("2026-11-30T12:00:00Z").unwrap();
        assert_eq!(
            KeptEvents::read_from(None, now, 180),
            (now - Duration::days(180)).timestamp_millis()
        );
        let kept = KeptEvents {
            bytes: Vec::new(),
            header: Vec::new(),
            ids: HashSet::new(),
            latest: Some(latest),
        };
        assert_eq!(
            KeptEvents::read_from(Some(&kept), now, 180),
            (latest - OVERLAP).timestamp_millis()
        );
    }
}
