//! `<out_dir>/reclaim/ledger.jsonl`: every step of every apply and undo,
//! one JSON line each, kept as every change to the organization is
//! ([`Journal`]: locked for the whole apply or undo, the intent on disk
//! before its request and the outcome after it, a torn last line set
//! aside, any other bad line refused before anything is sent). Each
//! suspension names the plan file it carries out, with its SHA-256, the
//! reason and the email, so that the ledger alone answers an auditor.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ActError, Journal};

/// What a step does to an account in one directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Suspend,
    Restore,
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// About to send the request.
    Intent,
    /// The API did it, or a read found it done.
    Done,
    /// The API answered 404, or a read found the account gone from the
    /// directory.
    Gone,
    /// The API refused, or a step could not be settled; the apply stopped
    /// there.
    Refused,
    /// Not sent, or sent without effect: the account changed since the
    /// plan, or a read found an interrupted request never took effect
    /// (`detail` says which).
    Skipped,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub action: Action,
    pub phase: Phase,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_id: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The plan file a suspension carries out (its name), and the SHA-256
    /// of its bytes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub plan: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub plan_sha256: String,
    /// Why the plan names the account.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// As `[privacy] names` showed it in the plan.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
}

/// The reclaim ledger, locked for one apply or undo.
pub type Ledger = Journal<Entry>;

/// Locks `out_dir`'s reclaim ledger for one apply or undo.
pub fn lock(out_dir: &Path) -> Result<Ledger, ActError> {
    Journal::lock(&out_dir.join("reclaim"), "reclaim --apply or --undo")
}

/// (account, directory) pairs the entries leave suspended by a reclaim:
/// suspended and not restored since.
pub fn suspended(entries: &[Entry]) -> BTreeSet<(String, String)> {
    let mut now = BTreeSet::new();
    for e in entries.iter().filter(|e| e.phase == Phase::Done) {
        let Some(directory) = &e.directory_id else {
            continue;
        };
        let pair = (e.account_id.clone(), directory.clone());
        match e.action {
            Action::Suspend => now.insert(pair),
            Action::Restore => now.remove(&pair),
        };
    }
    now
}

/// The suspensions done on `day` (UTC) and not restored since.
pub fn suspended_on(entries: &[Entry], day: NaiveDate) -> BTreeSet<(String, String)> {
    let still = suspended(entries);
    entries
        .iter()
        .filter(|e| e.action == Action::Suspend && e.phase == Phase::Done)
        .filter(|e| e.at.date_naive() == day)
        .filter_map(|e| Some((e.account_id.clone(), e.directory_id.clone()?)))
        .filter(|pair| still.contains(pair))
        .collect()
}

/// The accounts a reclaim suspended (in any directory) on `day` (UTC):
/// what the day's caps count.
pub fn accounts_suspended_on(entries: &[Entry], day: NaiveDate) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| e.action == Action::Suspend && e.phase == Phase::Done)
        .filter(|e| e.at.date_naive() == day)
        .map(|e| e.account_id.clone())
        .collect()
}

/// Intents whose outcome a crash kept off the record.
pub fn dangling(entries: &[Entry]) -> Vec<Entry> {
    let mut open: Vec<Entry> = Vec::new();
    for e in entries {
        let same = |o: &Entry| {
            o.action == e.action && o.account_id == e.account_id && o.directory_id == e.directory_id
        };
        if e.phase == Phase::Intent {
            open.retain(|o| !same(o));
            open.push(e.clone());
        } else {
            open.retain(|o| !same(o));
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: Action, phase: Phase, account: &str, at: &str) -> Entry {
        Entry {
            at: DateTime::parse_from_rfc3339(at)
                .unwrap()
                .with_timezone(&Utc),
            action,
            phase,
            account_id: account.into(),
            directory_id: Some("d1".into()),
            detail: String::new(),
            plan: String::new(),
            plan_sha256: String::new(),
            reason: String::new(),
            email: String::new(),
        }
    }

    #[test]
    fn what_stays_suspended_and_what_a_crash_left_open() {
        use Action::*;
        use Phase::*;
        let entries = vec![
            entry(Suspend, Intent, "a", "2026-12-01T06:00:00Z"),
            entry(Suspend, Done, "a", "2026-12-01T06:00:01Z"),
            entry(Suspend, Intent, "b", "2026-12-01T06:00:02Z"),
            entry(Suspend, Done, "b", "2026-12-01T06:00:03Z"),
            entry(Restore, Intent, "b", "2026-12-02T06:00:00Z"),
            entry(Restore, Done, "b", "2026-12-02T06:00:01Z"),
            entry(Suspend, Intent, "c", "2026-12-02T06:00:02Z"),
        ];
        let a = ("a".to_string(), "d1".to_string());
        assert_eq!(suspended(&entries), BTreeSet::from([a.clone()]));
        let day = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(
            suspended_on(&entries, day("2026-12-01")),
            BTreeSet::from([a])
        );
        assert!(suspended_on(&entries, day("2026-12-02")).is_empty());
        let open = dangling(&entries);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].account_id, "c");
        // b was suspended on the 1st and restored on the 2nd: it still
        // counts against the 1st's cap; c's intent has no outcome.
        assert_eq!(
            accounts_suspended_on(&entries, day("2026-12-01")),
            BTreeSet::from(["a".to_string(), "b".to_string()])
        );
        assert!(accounts_suspended_on(&entries, day("2026-12-02")).is_empty());
    }
}
