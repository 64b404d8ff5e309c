//! The headline figures: the tiles at the top of the page, the lines of the
//! digest and the columns of history.csv. Each insight names its own
//! ([`super::Insight::HEADLINES`]) and gives their values; this names them
//! as history.csv writes them, so that no other code spells a column.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Figure {
    UsersWithAccess,
    Managed,
    External,
    ManagedSsoOrTwoStepPercent,
    ExternalTwoStepPercent,
    ExternalPolicyPercent,
    ActiveUsers,
    RovoActive,
    AiActive,
    ApiTokensLive,
    ApiTokensExpiring,
    ApiTokensOwnerWithoutAccess,
}

impl Figure {
    /// The figure's column in history.csv.
    pub fn key(self) -> &'static str {
        match self {
            Figure::UsersWithAccess => "users_with_access",
            Figure::Managed => "managed",
            Figure::External => "external",
            Figure::ManagedSsoOrTwoStepPercent => "managed_sso_or_two_step_percent",
            Figure::ExternalTwoStepPercent => "external_two_step_percent",
            Figure::ExternalPolicyPercent => "external_policy_percent",
            Figure::ActiveUsers => "active_users",
            Figure::RovoActive => "rovo_active",
            Figure::AiActive => "ai_active",
            Figure::ApiTokensLive => "api_tokens_live",
            Figure::ApiTokensExpiring => "api_tokens_expiring_30_days",
            Figure::ApiTokensOwnerWithoutAccess => "api_tokens_owner_without_access",
        }
    }

    /// A percentage (its changes are in points), not a count.
    pub fn is_percent(self) -> bool {
        self.key().ends_with("_percent")
    }
}

/// When a headline figure mails the digest with `[email] send =
/// "on_threshold"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// A percentage falls below `min`; `words` name it in the subject.
    Below { min: f64, words: &'static str },
    /// A count grows by more than `percent` since the previous report.
    GrowsBy { percent: f64, words: &'static str },
}

/// One headline figure of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub figure: Figure,
    pub label: &'static str,
    /// Column name in history.csv ([`Figure::key`]).
    pub key: &'static str,
    /// As history.csv writes it; empty when the insight has no figures.
    pub value: String,
}
