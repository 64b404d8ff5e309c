//! What changed since the previous report, account by account: the two
//! snapshots compared. Every group is defined over accounts with access,
//! the people who can reach the organization's data.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::review::privacy::Privacy;
use crate::review::snapshot::{AccountState, Snapshot, Status};
use crate::support::words::count_of;

/// What the current report is compared with.
pub enum Baseline {
    /// No earlier report in the output folder.
    FirstReport,
    /// The previous report was written by a version that kept no snapshot.
    NoSnapshot(NaiveDate),
    Previous(Snapshot),
}

/// One entry of a change group: an account, or a domain for new domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeEntry {
    pub account_id: String,
    pub email: String,
    pub domain: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeGroup {
    /// Names the group in data/changes.csv.
    pub key: &'static str,
    pub title: &'static str,
    /// Entries sorted by account (domain for new domains).
    pub entries: Vec<ChangeEntry>,
}

/// The changes against the previous report, in the order the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    pub groups: Vec<ChangeGroup>,
}

impl Changes {
    pub fn total(&self) -> usize {
        self.groups.iter().map(|g| g.entries.len()).sum()
    }

    /// The same changes with emails as `privacy` shows them.
    pub fn concealed(&self, privacy: &Privacy) -> Changes {
        let mut changes = self.clone();
        for entry in changes.groups.iter_mut().flat_map(|g| g.entries.iter_mut()) {
            entry.email = privacy.email(&entry.email);
        }
        changes
    }
}

/// Compares `current` with `previous` (an earlier report's snapshot).
pub fn compare(previous: &Snapshot, current: &Snapshot) -> Changes {
    let before = by_id(previous);
    let kept = kept_access(&before, current);
    let pick = |keep: &dyn Fn(&AccountState, &AccountState) -> bool,
                detail: &dyn Fn(&AccountState, &AccountState) -> String|
     -> Vec<ChangeEntry> {
        kept.iter()
            .filter(|(b, a)| keep(b, a))
            .map(|(b, a)| entry(a, detail(b, a)))
            .collect()
    };
    let two_step = |b: &AccountState, a: &AccountState| format!("{} → {}", b.two_step, a.two_step);
    // A change is only between two known values, never from or to a day
    // whose source did not record it.
    let both_known =
        |b: &AccountState, a: &AccountState| b.two_step_recorded && a.two_step_recorded;
    let group = ChangeGroup::new;
    let groups = vec![
        group(
            "two_step_lost",
            "Lost two-step verification",
            pick(
                &|b, a| both_known(b, a) && b.two_step_on() && !a.two_step_on(),
                &two_step,
            ),
        ),
        group(
            "two_step_gained",
            "Gained two-step verification",
            pick(
                &|b, a| both_known(b, a) && !b.two_step_on() && a.two_step_on(),
                &two_step,
            ),
        ),
        // Only where both reports record SSO: a day without it is no change.
        group(
            "sso_lost",
            "Lost single sign-on",
            pick(
                &|b, a| b.sso == Some(true) && a.sso == Some(false),
                &|_, _| "sso true → false".into(),
            ),
        ),
        group(
            "sso_gained",
            "Gained single sign-on",
            pick(
                &|b, a| b.sso == Some(false) && a.sso == Some(true),
                &|_, _| "sso false → true".into(),
            ),
        ),
        group(
            "external_added",
            "New external users",
            external_added(&before, current),
        ),
        group(
            "external_removed",
            "External users removed",
            external_removed(previous, &by_id(current)),
        ),
        group(
            "new_domains",
            "New email domains",
            new_domains(previous, current),
        ),
        group(
            "went_inactive",
            "Went inactive, still with access",
            pick(
                &|b, a| b.active_on(previous.as_of) && !a.active_on(current.as_of),
                &|_, a| match a.last_active {
                    Some(day) => format!("last active {day}"),
                    None => "no activity".to_string(),
                },
            ),
        ),
        group(
            "policy_lost",
            "External users no longer covered by the policy",
            pick(
                &|b, a| {
                    a.is_external()
                        && b.policy_recorded
                        && a.policy_recorded
                        && b.external_policy
                        && !a.external_policy
                },
                &|_, _| "external_policy true → false".into(),
            ),
        ),
    ];
    Changes { groups }
}

impl ChangeGroup {
    fn new(key: &'static str, title: &'static str, entries: Vec<ChangeEntry>) -> Self {
        ChangeGroup {
            key,
            title,
            entries,
        }
    }
}

/// Accounts with access now that also had access in the previous report,
/// as (then, now).
fn kept_access<'a>(
    before: &HashMap<&str, &'a AccountState>,
    current: &'a Snapshot,
) -> Vec<(&'a AccountState, &'a AccountState)> {
    current
        .accounts
        .iter()
        .filter(|a| a.has_access)
        .filter_map(|a| {
            before
                .get(a.account_id.as_str())
                .filter(|b| b.has_access)
                .map(|b| (*b, a))
        })
        .collect()
}

/// The changes since the previous report, when it kept a snapshot.
pub fn since(baseline: &Baseline, current: &Snapshot) -> Option<Changes> {
    match baseline {
        Baseline::Previous(previous) => Some(compare(previous, current)),
        _ => None,
    }
}

/// The accounts of a snapshot by id.
fn by_id(snapshot: &Snapshot) -> HashMap<&str, &AccountState> {
    snapshot
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a))
        .collect()
}

fn entry(a: &AccountState, detail: String) -> ChangeEntry {
    ChangeEntry {
        account_id: a.account_id.clone(),
        email: a.email.clone(),
        domain: a.domain.clone(),
        detail,
    }
}

fn external_with_access(a: &AccountState) -> bool {
    a.is_external() && a.has_access
}

/// External users with access now and not before, and why.
fn external_added(before: &HashMap<&str, &AccountState>, current: &Snapshot) -> Vec<ChangeEntry> {
    current
        .accounts
        .iter()
        .filter(|a| external_with_access(a))
        .filter(|a| {
            !before
                .get(a.account_id.as_str())
                .is_some_and(|b| external_with_access(b))
        })
        .map(|a| {
            let detail = match before.get(a.account_id.as_str()) {
                None => "new account".to_string(),
                Some(b) if !b.is_external() => "was managed".to_string(),
                Some(_) => "access granted".to_string(),
            };
            entry(a, detail)
        })
        .collect()
}

/// External users with access before and not now, and why.
fn external_removed(previous: &Snapshot, now: &HashMap<&str, &AccountState>) -> Vec<ChangeEntry> {
    previous
        .accounts
        .iter()
        .filter(|b| external_with_access(b))
        .filter(|b| {
            !now.get(b.account_id.as_str())
                .is_some_and(|a| external_with_access(a))
        })
        .map(|b| {
            let detail = match now.get(b.account_id.as_str()) {
                None => "no longer in accounts".to_string(),
                Some(a) if !a.is_external() => "now managed".to_string(),
                Some(a) if a.status != Status::Active => format!("now {}", a.status),
                Some(_) => "no product access".to_string(),
            };
            entry(b, detail)
        })
        .collect()
}

/// Email domains with an account with access now and none before.
fn new_domains(previous: &Snapshot, current: &Snapshot) -> Vec<ChangeEntry> {
    let domains_with_access = |snapshot: &Snapshot| -> BTreeMap<String, u64> {
        let mut domains = BTreeMap::new();
        // An account without an email has no domain to be new.
        for a in snapshot
            .accounts
            .iter()
            .filter(|a| a.has_access && !a.domain.is_empty())
        {
            *domains.entry(a.domain.clone()).or_insert(0) += 1;
        }
        domains
    };
    let old_domains: BTreeSet<String> = domains_with_access(previous).into_keys().collect();
    domains_with_access(current)
        .into_iter()
        .filter(|(domain, _)| !old_domains.contains(domain))
        .map(|(domain, accounts)| ChangeEntry {
            account_id: String::new(),
            email: String::new(),
            detail: format!("{} with access", count_of(accounts, "account")),
            domain,
        })
        .collect()
}
