//! What to do about each insight, in plain words, from its figures and the
//! thresholds of the configuration (`[thresholds]`).

use std::collections::BTreeMap;

use crate::config::Thresholds;
use crate::insights::{percent, window_days, Insights, WINDOW_DAYS};
use crate::snapshot::Snapshot;
use crate::words::count_of;

/// Unverified domains named one by one before "and N more".
const NAMED_DOMAINS: usize = 3;

/// Advice per insight key; insights without data get none.
pub fn advise(
    insights: &Insights,
    snapshot: &Snapshot,
    limits: &Thresholds,
) -> BTreeMap<&'static str, Vec<String>> {
    let mut advice: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut say = |key: &'static str, text: String| advice.entry(key).or_default().push(text);
    let pct = |p: Option<f64>| p.map(|p| format!("{p:.1} %")).unwrap_or_default();

    if let Some(u) = &insights.users_with_access {
        say(
            "users_with_access",
            if u.external > 0 {
                format!("Review the access of the {} with access regularly and remove what is no longer needed.", count_of(u.external, "external user"))
            } else {
                "No external users have access: nothing to do.".to_string()
            },
        );
    }

    if let Some(domains) = &insights.domains {
        let to_claim: Vec<_> = domains
            .iter()
            .filter(|d| !d.verified && d.external >= limits.domain_external_accounts_min)
            .collect();
        if to_claim.is_empty() {
            say(
                "domains",
                format!(
                "No unverified domain has {} or more external accounts with access: nothing to do.",
                limits.domain_external_accounts_min
            ),
            );
        } else {
            let mut named: Vec<String> = to_claim
                .iter()
                .take(NAMED_DOMAINS)
                .map(|d| format!("{} ({} external accounts)", d.domain, d.external))
                .collect();
            if to_claim.len() > NAMED_DOMAINS {
                named.push(format!("{} more", to_claim.len() - NAMED_DOMAINS));
            }
            say("domains", format!(
                "Verify and claim {}, if the organization owns them: their accounts become managed and follow your policies.",
                named.join(", ")
            ));
        }
    }

    if let Some(m) = &insights.managed_authentication {
        let protected = m.protected();
        match percent(protected, protected + m.two_step_disabled) {
            None => say("managed_authentication", "There are no managed accounts with access.".into()),
            Some(p) if p < limits.managed_two_step_min_percent => say("managed_authentication", format!(
                "Only {} of managed accounts use single sign-on or two-step verification (target {} %): enforce two-step verification in an authentication policy, or move the remaining {} to single sign-on.",
                pct(Some(p)), limits.managed_two_step_min_percent, count_of(m.two_step_disabled, "account")
            )),
            Some(p) => say("managed_authentication", format!(
                "{} of managed accounts use single sign-on or two-step verification, at or above the target of {} %.",
                pct(Some(p)), limits.managed_two_step_min_percent
            )),
        }
    }

    if let Some(e) = &insights.external_two_step {
        let on = e.enabled_self + e.enabled_by_other_org;
        match percent(on, on + e.not_enabled) {
            None => say("external_two_step", "There are no external users with access.".into()),
            Some(p) if p < limits.external_two_step_min_percent => say("external_two_step", format!(
                "{} two-step verification off ({} on, target {} %): require it in an external user policy.",
                match e.not_enabled { 1 => "1 external user has".to_string(), n => format!("{n} external users have") }, pct(Some(p)), limits.external_two_step_min_percent
            )),
            Some(p) => say("external_two_step", format!(
                "{} of external users have two-step verification on, at or above the target of {} %.",
                pct(Some(p)), limits.external_two_step_min_percent
            )),
        }
    }

    if let Some(policy) = &insights.external_policy {
        match policy.percent {
            None => say("external_policy", "There are no external users with access.".into()),
            Some(p) if p < limits.external_policy_min_percent => say("external_policy", format!(
                "{} not covered by an external user policy (target {} %): create one, or add them to it, to control what they can do and require two-step verification.",
                match policy.total - policy.covered { 1 => "1 external user is".to_string(), n => format!("{n} external users are") }, limits.external_policy_min_percent
            )),
            Some(_) => say("external_policy", format!(
                "External user policy coverage is at or above the target of {} %.",
                limits.external_policy_min_percent
            )),
        }
    }

    if let Some(active) = &insights.active_users {
        let idle = snapshot
            .accounts
            .iter()
            .filter(|a| a.has_access && !a.active_on(snapshot.as_of))
            .count();
        say(
            "active_users",
            if active.active == 0 {
                concat!(
                    "No account viewed anything in the ",
                    window_days!(),
                    " days: check that the activity export is complete."
                )
                .to_string()
            } else if idle > 0 {
                format!(
                    "{} with access had no activity in the {WINDOW_DAYS} days: ask whether they still need access.",
                    count_of(idle as u64, "account")
                )
            } else {
                concat!(
                    "Every account with access was active in the ",
                    window_days!(),
                    " days: nothing to do."
                )
                .to_string()
            },
        );
    }

    if let Some(products) = &insights.active_by_product {
        let idle: Vec<String> = products
            .iter()
            .filter_map(|p| {
                let share = percent(p.inactive, p.active + p.inactive)?;
                (share > limits.inactive_seats_max_percent)
                    .then(|| format!("{} of {} ({share:.1} %)", p.inactive, p.product))
            })
            .collect();
        say(
            "active_by_product",
            if idle.is_empty() {
                format!(
                    "No product has more than {} % unused seats: nothing to do.",
                    limits.inactive_seats_max_percent
                )
            } else {
                format!(
                "Review the unused seats: {}. Remove access that is not needed, or give the seats to people waiting for them.",
                idle.join(", ")
            )
            },
        );
    }

    if let Some(plans) = &insights.trello_by_plan {
        let free = plans
            .iter()
            .find(|p| p.plan == "free")
            .map(|p| p.active)
            .unwrap_or(0);
        say(
            "trello_by_plan",
            if free > 0 {
                format!("{} used only Free Trello workspaces, outside the controls of a paid plan: consider moving that work to a Standard or higher workspace.", count_of(free, "managed account"))
            } else {
                "No managed account works only in Free Trello workspaces: nothing to do."
                    .to_string()
            },
        );
    }

    if let Some(mobile) = &insights.mobile_usage {
        say(
            "mobile_usage",
            if mobile.total > 0 {
                format!("{} used the mobile apps: check that a mobile app policy protects the organization's data on their devices.", count_of(mobile.total, "account"))
            } else {
                concat!(
                    "No mobile app use in the ",
                    window_days!(),
                    " days: nothing to do."
                )
                .to_string()
            },
        );
    }

    if let Some(rovo) = &insights.rovo_access {
        say(
            "rovo_access",
            match rovo.paid_seats {
                Some(seats) if seats > rovo.users => format!(
                    "{seats} paid Rovo seats for {} with access: lower the user tier at renewal.",
                    count_of(rovo.users, "account")
                ),
                _ => "The paid Rovo seats do not exceed the accounts with access: nothing to do."
                    .to_string(),
            },
        );
    }

    if let Some(rovo) = &insights.rovo_active {
        let seats = insights.rovo_access.as_ref().and_then(|r| r.paid_seats);
        let use_share = seats.and_then(|s| percent(rovo.active, s));
        say("rovo_active", match (seats, use_share) {
            (Some(seats), Some(share)) if share < limits.rovo_seat_use_min_percent => format!(
                "{} for {seats} paid seats ({share:.1} %, target {} %): show people what Rovo can do, or lower the tier at renewal.",
                count_of(rovo.active, "active Rovo user"), limits.rovo_seat_use_min_percent
            ),
            (Some(_), Some(share)) => format!(
                "Active Rovo users fill {share:.1} % of the paid seats, at or above the target of {} %.",
                limits.rovo_seat_use_min_percent
            ),
            _ => "There are no paid Rovo seats to compare with.".to_string(),
        });
        if !rovo.recently_activated.is_empty() {
            say(
                "rovo_active",
                concat!(
                    "Rovo was activated recently on some sites: judge their use after a full ",
                    window_days!(),
                    " days."
                )
                .to_string(),
            );
        }
    }

    if let Some(ai) = &insights.ai_active {
        say(
            "ai_active",
            if ai.active == 0 {
                concat!(
                    "No one used Atlassian Intelligence in the ",
                    window_days!(),
                    " days: tell people about it, or turn it off where it is not wanted."
                )
                .to_string()
            } else {
                format!(
                    "{} used Atlassian Intelligence: nothing to do.",
                    count_of(ai.active, "account")
                )
            },
        );
    }
    advice
}
