//! `<out_dir>/tokens/ledger.jsonl`: every step of every token revocation,
//! one JSON line each, kept as every change to the organization is
//! ([`Journal`]: locked, the intent before the request, a torn last line
//! set aside, any other bad line refused).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::reclaim::{ActError, Journal};

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// About to send the DELETE.
    Intent,
    /// Revoked: the API said so, or a read found the token gone.
    Done,
    /// Not live any more before the request (revoked by someone else,
    /// expired): nothing was sent.
    Gone,
    /// Not sent: used since the plan, or a request that never took effect.
    Skipped,
    /// The API refused; the apply stopped there.
    Refused,
}

/// One step, with what the owner needs to be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub phase: Phase,
    pub token_id: String,
    pub account_id: String,
    pub label: String,
    /// As `[privacy] names` showed it in the plan.
    pub owner: String,
    /// The plan file the step carries out.
    pub plan: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The tokens' ledger, locked for one apply.
pub type Ledger = Journal<Entry>;

/// Locks `folder`'s ledger for one `tokens --apply`.
pub fn lock(folder: &Path) -> Result<Ledger, ActError> {
    Journal::lock(folder, "tokens --apply")
}

/// The last phase the entries give each token, oldest first.
pub fn last_phase(entries: &[Entry], token_id: &str) -> Option<Phase> {
    entries
        .iter()
        .rev()
        .find(|e| e.token_id == token_id)
        .map(|e| e.phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(phase: Phase, token: &str) -> Entry {
        Entry {
            at: Utc::now(),
            phase,
            token_id: token.into(),
            account_id: "a1".into(),
            label: "ci".into(),
            owner: "a***@acme.com".into(),
            plan: "plan-2026-11-10.csv".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn the_last_phase_of_each_token_is_its_newest_entry() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = lock(dir.path()).unwrap();
        ledger.append(&entry(Phase::Intent, "t1")).unwrap();
        ledger.append(&entry(Phase::Intent, "t2")).unwrap();
        ledger.append(&entry(Phase::Done, "t1")).unwrap();
        let entries = ledger.entries().unwrap();
        assert_eq!(last_phase(&entries, "t1"), Some(Phase::Done));
        assert_eq!(last_phase(&entries, "t2"), Some(Phase::Intent));
        assert_eq!(last_phase(&entries, "t3"), None);
    }
}
