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
    /// False when either report's source did not record what the group
    /// compares: the page says "not recorded", never "none".
    pub recorded: bool,
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
    let mut groups = sign_in_groups(&kept);
    groups.extend(account_groups(&before, previous, current, &kept));
    groups.extend(access_groups(&before, previous, current, &kept));
    mark_unrecorded(&mut groups, previous, current);
    Changes { groups }
}

/// The entries of accounts that kept access for which `keep` holds, each
/// with its `detail`.
fn picked(
    kept: &[(&AccountState, &AccountState)],
    keep: &dyn Fn(&AccountState, &AccountState) -> bool,
    detail: &dyn Fn(&AccountState, &AccountState) -> String,
) -> Vec<ChangeEntry> {
    kept.iter()
        .filter(|(b, a)| keep(b, a))
        .map(|(b, a)| entry(a, detail(b, a)))
        .collect()
}

/// Two-step verification and single sign-on gained or lost by accounts
/// that kept access.
fn sign_in_groups(kept: &[(&AccountState, &AccountState)]) -> Vec<ChangeGroup> {
    let pick = |keep: &dyn Fn(&AccountState, &AccountState) -> bool,
                detail: &dyn Fn(&AccountState, &AccountState) -> String| {
        picked(kept, keep, detail)
    };
    let two_step = |b: &AccountState, a: &AccountState| format!("{} → {}", b.two_step, a.two_step);
    // A change is only between two known values, never from or to a day
    // whose source did not record it.
    let both_known =
        |b: &AccountState, a: &AccountState| b.two_step_recorded && a.two_step_recorded;
    let group = ChangeGroup::new;
    vec![
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
    ]
}

/// External users added and removed, new domains, accounts gone
/// inactive, and external users the policy no longer covers.
fn account_groups(
    before: &HashMap<&str, &AccountState>,
    previous: &Snapshot,
    current: &Snapshot,
    kept: &[(&AccountState, &AccountState)],
) -> Vec<ChangeGroup> {
    let pick = |keep: &dyn Fn(&AccountState, &AccountState) -> bool,
                detail: &dyn Fn(&AccountState, &AccountState) -> String| {
        picked(kept, keep, detail)
    };
    let group = ChangeGroup::new;
    vec![
        group(
            "external_added",
            "New external users",
            external_added(before, current),
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
    ]
}

/// Managed accounts that gained or lost access, products granted to or
/// removed from accounts that kept access, and new organization admins.
fn access_groups(
    before: &HashMap<&str, &AccountState>,
    previous: &Snapshot,
    current: &Snapshot,
    kept: &[(&AccountState, &AccountState)],
) -> Vec<ChangeGroup> {
    let (added, removed) = managed_changes(before, previous, current);
    let products = |pick: &dyn Fn(&AccountState, &AccountState) -> Vec<String>| {
        kept.iter()
            .flat_map(|(b, a)| pick(b, a).into_iter().map(|product| entry(a, product)))
            .collect()
    };
    let difference = |from: &AccountState, less: &AccountState| -> Vec<String> {
        from.products
            .iter()
            .filter(|p| !less.products.contains(p))
            .cloned()
            .collect()
    };
    let admins = current
        .accounts
        .iter()
        .filter(|a| a.has_access && a.org_admin == Some(true))
        .filter(|a| match before.get(a.account_id.as_str()) {
            Some(b) => b.org_admin == Some(false),
            None => true,
        })
        .map(|a| entry(a, "became an organization admin".to_string()))
        .collect();
    vec![
        ChangeGroup::new(
            "managed_added",
            "Managed accounts that gained access",
            added,
        ),
        ChangeGroup::new(
            "managed_removed",
            "Managed accounts that lost access",
            removed,
        ),
        ChangeGroup::new(
            "product_access_granted",
            "Product access granted",
            products(&|b, a| difference(a, b)),
        ),
        ChangeGroup::new(
            "product_access_removed",
            "Product access removed",
            products(&|b, a| difference(b, a)),
        ),
        ChangeGroup::new("org_admin_added", "New organization admins", admins),
    ]
}

/// Managed accounts with access now and not before, and with access
/// before and not now, each with why.
fn managed_changes(
    before: &HashMap<&str, &AccountState>,
    previous: &Snapshot,
    current: &Snapshot,
) -> (Vec<ChangeEntry>, Vec<ChangeEntry>) {
    let now = by_id(current);
    let managed = |a: &AccountState| !a.is_external() && a.has_access;
    let added: Vec<ChangeEntry> = current
        .accounts
        .iter()
        .filter(|a| managed(a))
        .filter(|a| {
            !before
                .get(a.account_id.as_str())
                .is_some_and(|b| managed(b))
        })
        .map(|a| {
            let detail = match before.get(a.account_id.as_str()) {
                None => "new account",
                Some(b) if b.is_external() => "was external",
                Some(_) => "access granted",
            };
            entry(a, detail.to_string())
        })
        .collect();
    let removed: Vec<ChangeEntry> = previous
        .accounts
        .iter()
        .filter(|b| managed(b))
        .filter(|b| !now.get(b.account_id.as_str()).is_some_and(|a| managed(a)))
        .map(|b| {
            let detail = match now.get(b.account_id.as_str()) {
                None => "no longer in accounts".to_string(),
                Some(a) if a.is_external() => "now external".to_string(),
                Some(a) if a.status != Status::Active => format!("now {}", a.status),
                Some(_) => "no product access".to_string(),
            };
            entry(b, detail)
        })
        .collect();
    (added, removed)
}

/// Groups whose facts either report's source did not record: two-step
/// verification, single sign-on, the external user policy, org admins,
/// product access.
fn mark_unrecorded(groups: &mut [ChangeGroup], previous: &Snapshot, current: &Snapshot) {
    let recorded = |fact: &dyn Fn(&AccountState) -> bool| {
        let holds = |s: &Snapshot| s.accounts.is_empty() || s.accounts.iter().any(fact);
        holds(previous) && holds(current)
    };
    for group in groups {
        group.recorded = match group.key {
            "two_step_lost" | "two_step_gained" => recorded(&|a| a.two_step_recorded),
            "sso_lost" | "sso_gained" => recorded(&|a| a.sso.is_some()),
            "policy_lost" => recorded(&|a| a.policy_recorded),
            "org_admin_added" => recorded(&|a| a.org_admin.is_some()),
            // Without product_access nobody's products are known.
            "product_access_granted" | "product_access_removed" => {
                recorded(&|a| !a.products.is_empty())
            }
            _ => true,
        };
    }
}

/// Says who made a change where a tracked event of the audit log, done to
/// the same account after the previous report (`since`), explains it:
/// "by alice@acme.com on 2026-11-02". Actors are shown as `privacy` says.
pub fn attribute(
    changes: &mut Changes,
    events: &[crate::insights::SecurityEvent],
    since: NaiveDate,
    privacy: &Privacy,
) {
    let explains = |key: &str| match key {
        "two_step_lost" => Some("twosv_disabled_for_user"),
        "org_admin_added" => Some("added_org_admin"),
        "product_access_granted" => Some("user_granted_role"),
        "product_access_removed" => Some("user_revoked_role"),
        _ => None,
    };
    for group in &mut changes.groups {
        let Some(action) = explains(group.key) else {
            continue;
        };
        for entry in &mut group.entries {
            // Newest first: the latest event that explains the change.
            let Some(event) = events.iter().find(|e| {
                e.action == action
                    && e.day() > since
                    && e.subject_id.as_deref() == Some(entry.account_id.as_str())
            }) else {
                continue;
            };
            let actor = match &event.actor {
                Some(actor) if actor.contains('@') => privacy.email(actor),
                Some(actor) => privacy.name(actor),
                None => "someone".to_string(),
            };
            entry.detail = format!("{}: by {actor} on {}", entry.detail, event.day());
        }
    }
}

impl ChangeGroup {
    pub(crate) fn new(key: &'static str, title: &'static str, entries: Vec<ChangeEntry>) -> Self {
        ChangeGroup {
            key,
            title,
            entries,
            recorded: true,
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
