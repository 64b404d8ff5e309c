//! The organization at a glance: the figures at the top of the report,
//! in the digest, in history.csv and in what decides whether to mail.

use serde::Serialize;

use crate::insights::{percent, window_days, Insights};
use crate::support::words::format_percent;

/// One headline figure.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub label: &'static str,
    /// Column name in history.csv.
    pub key: &'static str,
    pub value: String,
}

/// The headline figures, in order: each one's column in history.csv and
/// its label.
pub const COLUMNS: [(&str, &str); 9] = [
    ("users_with_access", "Users with access"),
    ("managed", "Managed"),
    ("external", "External"),
    (
        "managed_sso_or_two_step_percent",
        "Managed with SSO or 2SV (%)",
    ),
    ("external_two_step_percent", "External with 2SV (%)"),
    (
        "external_policy_percent",
        "External users covered by policy (%)",
    ),
    (
        "active_users",
        concat!("Active users (", window_days!(), " days)"),
    ),
    ("rovo_active", "Active Rovo users"),
    ("ai_active", "Active AI users"),
];

pub fn headlines(i: &Insights) -> Vec<Headline> {
    let count = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let managed_protected = i
        .managed_authentication
        .as_ref()
        .and_then(|m| percent(m.protected(), m.protected() + m.two_step_disabled));
    let values = [
        count(i.users_with_access.as_ref().map(|u| u.total)),
        count(i.users_with_access.as_ref().map(|u| u.managed)),
        count(i.users_with_access.as_ref().map(|u| u.external)),
        format_percent(managed_protected),
        format_percent(
            i.external_two_step
                .as_ref()
                .and_then(|e| percent(e.on(), e.on() + e.not_enabled)),
        ),
        format_percent(i.external_policy.as_ref().and_then(|p| p.percent)),
        count(i.active_users.as_ref().map(|a| a.active)),
        count(i.rovo_active.as_ref().map(|a| a.active)),
        count(i.ai_active.as_ref().map(|a| a.active)),
    ];
    COLUMNS
        .into_iter()
        .zip(values)
        .map(|((key, label), value)| Headline { label, key, value })
        .collect()
}
