//! `<out_dir>/reclaim/ledger.jsonl`: every step of every apply and undo,
//! one JSON line each. The intent is written and fsync'd before its
//! request, the outcome after it, so that a crash or SIGKILL in the middle
//! never loses what was done and a rerun does not do it twice.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

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
    /// The API did it (or a rerun found it done).
    Done,
    /// The API answered 404: the account or directory is gone.
    Gone,
    /// The API refused; the apply stopped there.
    Refused,
    /// Not sent: the account changed since the plan (`detail` says how).
    Skipped,
}

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
}

pub struct Ledger {
    path: PathBuf,
}

impl Ledger {
    pub fn in_folder(out_dir: &Path) -> Self {
        Ledger {
            path: out_dir.join("reclaim").join("ledger.jsonl"),
        }
    }

    /// Appends `entry` and waits until it is on disk.
    pub fn append(&self, entry: &Entry) -> anyhow::Result<()> {
        if let Some(folder) = self.path.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("creating {}", folder.display()))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        let mut line = serde_json::to_vec(entry).context("writing a ledger entry")?;
        line.push(b'\n');
        file.write_all(&line)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// Every entry so far, oldest first. A line cut short by a crash is
    /// passed over: its step is not on record, and the next run reads the
    /// account's state from the API instead.
    pub fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => {
                return Err(err).with_context(|| format!("reading {}", self.path.display()))
            }
        };
        Ok(text
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect())
    }
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
    }
}
