//! The twelve insights of the data contract, each named once: the key of
//! its figures in insights.json, of its section, chart and CSV, of its
//! advice, and of `not_recorded` in bundle.toml.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InsightKey {
    UsersWithAccess,
    Domains,
    ManagedAuthentication,
    ExternalTwoStep,
    ExternalPolicy,
    ActiveUsers,
    ActiveByProduct,
    TrelloByPlan,
    MobileUsage,
    RovoAccess,
    RovoActive,
    AiActive,
}

impl InsightKey {
    /// In the contract's order.
    pub const ALL: [InsightKey; 12] = [
        InsightKey::UsersWithAccess,
        InsightKey::Domains,
        InsightKey::ManagedAuthentication,
        InsightKey::ExternalTwoStep,
        InsightKey::ExternalPolicy,
        InsightKey::ActiveUsers,
        InsightKey::ActiveByProduct,
        InsightKey::TrelloByPlan,
        InsightKey::MobileUsage,
        InsightKey::RovoAccess,
        InsightKey::RovoActive,
        InsightKey::AiActive,
    ];

    /// The key as insights.json and bundle.toml write it.
    pub fn as_str(self) -> &'static str {
        match self {
            InsightKey::UsersWithAccess => "users_with_access",
            InsightKey::Domains => "domains",
            InsightKey::ManagedAuthentication => "managed_authentication",
            InsightKey::ExternalTwoStep => "external_two_step",
            InsightKey::ExternalPolicy => "external_policy",
            InsightKey::ActiveUsers => "active_users",
            InsightKey::ActiveByProduct => "active_by_product",
            InsightKey::TrelloByPlan => "trello_by_plan",
            InsightKey::MobileUsage => "mobile_usage",
            InsightKey::RovoAccess => "rovo_access",
            InsightKey::RovoActive => "rovo_active",
            InsightKey::AiActive => "ai_active",
        }
    }

    /// The insight a key names, if any.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

impl fmt::Display for InsightKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_reads_back_as_itself() {
        for key in InsightKey::ALL {
            assert_eq!(InsightKey::parse(key.as_str()), Some(key));
        }
        assert_eq!(InsightKey::parse("moon_phase"), None);
    }
}
