//! What changed since the previous report, account by account: the two
//! snapshots compared. Every group is defined over accounts with access,
//! the people who can reach the organization's data.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::privacy::Privacy;
use crate::snapshot::{AccountState, Snapshot, Status};

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
    let before: HashMap<&str, &AccountState> = previous
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a))
        .collect();
    let now: HashMap<&str, &AccountState> = current
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a))
        .collect();
    let entry = |a: &AccountState, detail: String| ChangeEntry {
        account_id: a.account_id.clone(),
        email: a.email.clone(),
        domain: a.domain.clone(),
        detail,
    };

    // Accounts with access now that also had access in the previous report.
    let kept: Vec<(&AccountState, &AccountState)> = current
        .accounts
        .iter()
        .filter(|a| a.has_access)
        .filter_map(|a| {
            before
                .get(a.account_id.as_str())
                .filter(|b| b.has_access)
                .map(|b| (*b, a))
        })
        .collect();
    let pick = |keep: &dyn Fn(&AccountState, &AccountState) -> bool,
                detail: &dyn Fn(&AccountState, &AccountState) -> String|
     -> Vec<ChangeEntry> {
        kept.iter()
            .filter(|(b, a)| keep(b, a))
            .map(|(b, a)| entry(a, detail(b, a)))
            .collect()
    };
    let two_step = |b: &AccountState, a: &AccountState| format!("{} → {}", b.two_step, a.two_step);

    let external_with_access = |a: &AccountState| a.is_external() && a.has_access;
    let external_added: Vec<ChangeEntry> = current
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
        .collect();
    let external_removed: Vec<ChangeEntry> = previous
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
        .collect();

    let domains_with_access = |snapshot: &Snapshot| -> BTreeMap<String, usize> {
        let mut domains = BTreeMap::new();
        for a in snapshot.accounts.iter().filter(|a| a.has_access) {
            *domains.entry(a.domain.clone()).or_insert(0) += 1;
        }
        domains
    };
    let old_domains: BTreeSet<String> = domains_with_access(previous).into_keys().collect();
    let new_domains: Vec<ChangeEntry> = domains_with_access(current)
        .into_iter()
        .filter(|(domain, _)| !old_domains.contains(domain))
        .map(|(domain, accounts)| ChangeEntry {
            account_id: String::new(),
            email: String::new(),
            detail: match accounts {
                1 => "1 account with access".to_string(),
                n => format!("{n} accounts with access"),
            },
            domain,
        })
        .collect();

    let groups = vec![
        ChangeGroup {
            key: "two_step_lost",
            title: "Lost two-step verification",
            entries: pick(&|b, a| b.two_step_on() && !a.two_step_on(), &two_step),
        },
        ChangeGroup {
            key: "two_step_gained",
            title: "Gained two-step verification",
            entries: pick(&|b, a| !b.two_step_on() && a.two_step_on(), &two_step),
        },
        ChangeGroup {
            key: "sso_lost",
            title: "Lost single sign-on",
            // Only where both reports record SSO: a day without it is no change.
            entries: pick(
                &|b, a| b.sso == Some(true) && a.sso == Some(false),
                &|_, _| "sso true → false".into(),
            ),
        },
        ChangeGroup {
            key: "sso_gained",
            title: "Gained single sign-on",
            entries: pick(
                &|b, a| b.sso == Some(false) && a.sso == Some(true),
                &|_, _| "sso false → true".into(),
            ),
        },
        ChangeGroup {
            key: "external_added",
            title: "New external users",
            entries: external_added,
        },
        ChangeGroup {
            key: "external_removed",
            title: "External users removed",
            entries: external_removed,
        },
        ChangeGroup {
            key: "new_domains",
            title: "New email domains",
            entries: new_domains,
        },
        ChangeGroup {
            key: "went_inactive",
            title: "Went inactive, still with access",
            entries: pick(
                &|b, a| b.active_on(previous.as_of) && !a.active_on(current.as_of),
                &|_, a| match a.last_active {
                    Some(day) => format!("last active {day}"),
                    None => "no activity".to_string(),
                },
            ),
        },
        ChangeGroup {
            key: "policy_lost",
            title: "External users no longer covered by the policy",
            entries: pick(
                &|b, a| a.is_external() && b.external_policy && !a.external_policy,
                &|_, _| "external_policy true → false".into(),
            ),
        },
    ];
    Changes { groups }
}
