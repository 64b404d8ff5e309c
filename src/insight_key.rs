//! The registry of the insights: each one named once, in the contract's
//! order. Its key names its figures in insights.json, its section, chart
//! and CSV, and `not_recorded` in bundle.toml; its module (of the same name
//! under `src/insights/`) holds its rule, words, chart and advice; its type
//! (of the variant's name) holds its figures.
//!
//! Adding an insight: write `src/insights/<key>.rs` with a type that
//! implements `insights::Insight`, declare it with the others at the top of
//! `src/insights/mod.rs` (`mod <key>;` and its `pub use`), and add one line
//! below.

use std::fmt;

/// Hands the registry to `$then`, a macro that takes `key: Variant` pairs.
/// Only names travel: the types are resolved where `$then` expands, so this
/// module stays a leaf that the loader can use.
macro_rules! each_insight {
    ($then:ident) => {
        $then! {
            users_with_access: UsersWithAccess,
            domains: Domains,
            managed_authentication: ManagedAuthentication,
            external_two_step: ExternalTwoStep,
            external_policy: ExternalPolicy,
            active_users: ActiveUsers,
            active_by_product: ActiveByProduct,
            trello_by_plan: TrelloByPlan,
            mobile_usage: MobileUsage,
            rovo_access: RovoAccess,
            rovo_active: RovoActive,
            ai_active: AiActive,
            api_tokens: ApiTokens,
        }
    };
}
pub(crate) use each_insight;

macro_rules! define_keys {
    ($($key:ident: $variant:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum InsightKey {
            $($variant,)*
        }

        impl InsightKey {
            /// In the contract's order.
            pub const ALL: &'static [InsightKey] = &[$(InsightKey::$variant,)*];

            /// The key as insights.json and bundle.toml write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(InsightKey::$variant => stringify!($key),)*
                }
            }
        }
    };
}
each_insight!(define_keys);

/// A source that writes bundles (`import`, `pull`), for what it cannot
/// record: those insights show as "no data", not as zeros that look like
/// facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Atlassian's CSV exports, a managed accounts export among them.
    Exports,
    /// The users export alone: no single sign-on or two-step verification.
    UsersExport,
    /// The Organizations REST API.
    Api,
}

impl InsightKey {
    /// The insights `source` has no figures for.
    pub fn not_recorded_by(source: Source) -> &'static [InsightKey] {
        use InsightKey::*;
        match source {
            Source::Exports => &[ExternalTwoStep, ExternalPolicy, MobileUsage],
            Source::UsersExport => &[
                ExternalTwoStep,
                ExternalPolicy,
                MobileUsage,
                ManagedAuthentication,
            ],
            Source::Api => &[
                ExternalTwoStep,
                ExternalPolicy,
                MobileUsage,
                RovoActive,
                AiActive,
            ],
        }
    }

    /// The insight a key names, if any.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == key)
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
        assert_eq!(InsightKey::ALL.len(), 13);
        for key in InsightKey::ALL {
            assert_eq!(InsightKey::parse(key.as_str()), Some(*key));
        }
        assert_eq!(InsightKey::parse("moon_phase"), None);
        assert_eq!(InsightKey::TrelloByPlan.as_str(), "trello_by_plan");
    }
}
