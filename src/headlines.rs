//! The organization at a glance: the figures at the top of the report,
//! in the digest, in history.csv and in what decides whether to mail.

use serde::Serialize;

use crate::insights::{percent, window_days, Insights};
use crate::words::format_percent;

/// One headline figure.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub label: &'static str,
    /// Column name in history.csv.
    pub key: &'static str,
    pub value: String,
}

pub fn headlines(i: &Insights) -> Vec<Headline> {
    let count = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let managed_protected = i
        .managed_authentication
        .as_ref()
        .map(|m| percent(m.protected(), m.protected() + m.two_step_disabled));
    vec![
        Headline {
            label: "Users with access",
            key: "users_with_access",
            value: count(i.users_with_access.as_ref().map(|u| u.total)),
        },
        Headline {
            label: "Managed",
            key: "managed",
            value: count(i.users_with_access.as_ref().map(|u| u.managed)),
        },
        Headline {
            label: "External",
            key: "external",
            value: count(i.users_with_access.as_ref().map(|u| u.external)),
        },
        Headline {
            label: "Managed with SSO or 2SV (%)",
            key: "managed_sso_or_two_step_percent",
            value: format_percent(managed_protected.flatten()),
        },
        Headline {
            label: "External with 2SV (%)",
            key: "external_two_step_percent",
            value: format_percent(i.external_two_step.as_ref().and_then(|e| {
                let on = e.enabled_self + e.enabled_by_other_org;
                percent(on, on + e.not_enabled)
            })),
        },
        Headline {
            label: "External users covered by policy (%)",
            key: "external_policy_percent",
            value: format_percent(i.external_policy.as_ref().and_then(|p| p.percent)),
        },
        Headline {
            label: concat!("Active users (", window_days!(), " days)"),
            key: "active_users",
            value: count(i.active_users.as_ref().map(|a| a.active)),
        },
        Headline {
            label: "Active Rovo users",
            key: "rovo_active",
            value: count(i.rovo_active.as_ref().map(|a| a.active)),
        },
        Headline {
            label: "Active AI users",
            key: "ai_active",
            value: count(i.ai_active.as_ref().map(|a| a.active)),
        },
    ]
}
