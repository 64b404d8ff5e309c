//! The thirteen insights of the data contract. Each module computes one, with
//! polars lazy plans over the normalized tables of a [`Bundle`]; this module
//! holds what they share: the as-of date and window, who has access, which
//! activity rows count, and the conversions from frames to plain values.

mod activity;
mod bits;
mod context;
mod figure;
mod monthly;
mod one_pass;
mod pair_table;
mod security_changes;
mod unit;

// The thirteen insights, one file each, in the contract's order. Declared
// here plainly, not by the registry's macro, so that rustfmt sees them.
mod active_by_product;
mod active_users;
mod ai_active;
mod api_tokens;
mod domains;
mod external_policy;
mod external_two_step;
mod managed_authentication;
mod mobile_usage;
mod rovo_access;
mod rovo_active;
mod trello_by_plan;
mod users_with_access;

pub use active_by_product::ActiveByProduct;
pub use active_users::ActiveUsers;
pub use ai_active::AiActive;
pub use api_tokens::{
    needing_attention as tokens_needing_attention, ApiTokens, TokenAttention, TokenReason,
    IDLE_DAYS as TOKEN_IDLE_DAYS,
};
pub use domains::Domains;
pub use external_policy::ExternalPolicy;
pub use external_two_step::ExternalTwoStep;
pub use managed_authentication::ManagedAuthentication;
pub use mobile_usage::MobileUsage;
pub use one_pass::latest_date as latest_activity_date;
pub use rovo_access::RovoAccess;
pub use rovo_active::RovoActive;
pub use trello_by_plan::TrelloByPlan;
pub use users_with_access::UsersWithAccess;

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use crate::bundle::Table;
use crate::config::Thresholds;
use crate::insight_key::{each_insight, InsightKey};
use crate::support::frame::{count_rows, counts, first_u64, strings};

pub use activity::ActivityFacts;
pub use context::Context;
pub use figure::{Figure, Headline, Trigger};
pub use unit::{
    AccountFacts, Advising, Cell, Chart, ControlRule, DataTable, Insight, Presented, Series, Shown,
};

pub use active_users::no_data_before;
pub use security_changes::{
    action_words, SecurityChanges, SecurityEvent, TRACKED as TRACKED_ACTIONS,
};

/// From the registry (`insight_key.rs`): each insight's figures in
/// [`Insights`], and what is done to every insight in turn.
macro_rules! define_insights {
    ($($key:ident: $variant:ident,)*) => {
        /// Every figure of a report, in the contract's order and with its
        /// names. An insight without its tables is `None` (null in
        /// insights.json).
        #[derive(Debug, Clone, Serialize)]
        pub struct Insights {
            $(pub $key: Option<$variant>,)*
        }

        impl Insights {
            fn compute_each(ctx: &Context) -> PolarsResult<Self> {
                Ok(Insights {
                    $($key: <$variant as Insight>::compute(ctx).transpose()?,)*
                })
            }

            /// Forgets the figures of one insight: they will show as "no data".
            fn clear(&mut self, key: InsightKey) {
                match key {
                    $(InsightKey::$variant => self.$key = None,)*
                }
            }

            /// Each insight's words, table, chart and advice, in the
            /// contract's order; `idle_accounts` have access and no
            /// activity in the window.
            pub fn present(&self, limits: &Thresholds, idle_accounts: u64) -> Vec<Presented> {
                let on = Advising { insights: self, limits, idle_accounts };
                vec![$(Presented::of(InsightKey::$variant, self.$key.as_ref(), &on),)*]
            }

            /// The headline figures of every insight, in the registry's
            /// order, each with its value (empty without figures).
            pub fn headlines(&self) -> Vec<Headline> {
                let mut all = Vec::new();
                $(
                    for &(figure, label) in <$variant as Insight>::HEADLINES {
                        let value = self.$key.as_ref().map(|f| f.headline(figure)).unwrap_or_default();
                        all.push(Headline { figure, label, key: figure.key(), value });
                    }
                )*
                all
            }

            /// What needs attention in every insight's figures, most
            /// pressing first.
            pub fn findings(&self) -> Vec<String> {
                let mut all: Vec<(u8, String)> = Vec::new();
                $(
                    if let Some(figures) = &self.$key {
                        all.extend(figures.findings(self));
                    }
                )*
                all.sort_by_key(|(rank, _)| *rank);
                all.into_iter().map(|(_, text)| text).collect()
            }
        }

        /// Every headline figure with its label, in the registry's order.
        pub fn headline_columns() -> Vec<(Figure, &'static str)> {
            [$(<$variant as Insight>::HEADLINES,)*].concat()
        }

        /// When each headline figure mails the digest (`[email] send =
        /// "on_threshold"`).
        pub fn triggers(limits: &Thresholds) -> Vec<(Figure, Trigger)> {
            let mut all = Vec::new();
            $(
                for &(figure, _) in <$variant as Insight>::HEADLINES {
                    if let Some(trigger) = <$variant as Insight>::trigger(figure, limits) {
                        all.push((figure, trigger));
                    }
                }
            )*
            all
        }

        /// The security controls, each with the insight that measures it.
        pub fn controls() -> Vec<(InsightKey, &'static ControlRule)> {
            let mut all = Vec::new();
            $(
                if let Some(rule) = &<$variant as Insight>::CONTROL {
                    all.push((InsightKey::$variant, rule));
                }
            )*
            all
        }

        /// The tables an insight needs.
        fn tables_of(key: InsightKey) -> &'static [Table] {
            match key {
                $(InsightKey::$variant => <$variant as Insight>::TABLES,)*
            }
        }

        /// How a list of what a source does not record names an insight.
        pub fn noun(key: InsightKey) -> &'static str {
            match key {
                $(InsightKey::$variant => <$variant as Insight>::NOUN,)*
            }
        }
    };
}
each_insight!(define_insights);

/// Days in the window that ends on the as-of date, as a literal so that
/// fixed text can name it too (`concat!("in the last ", window_days!(), " days")`).
macro_rules! window_days {
    () => {
        30
    };
}
pub(crate) use window_days;

/// Days in the window that ends on the as-of date.
pub const WINDOW_DAYS: u64 = window_days!();

/// The computed insights and, for each one left out, why.
#[derive(Debug, Clone)]
pub struct Computed {
    pub insights: Insights,
    /// The audit log's tracked events of the window; `None` without an
    /// `events` table (its reason is in `missing`).
    pub security_changes: Option<SecurityChanges>,
    pub missing: BTreeMap<String, String>,
}

/// The first day of the 30-day window ending on `as_of`.
pub fn window_start(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(WINDOW_DAYS - 1))
        .unwrap_or(NaiveDate::MIN)
}

/// Computes every insight whose tables the bundle has.
pub fn compute(ctx: &Context) -> PolarsResult<Computed> {
    // What the source cannot record says more than the missing table it
    // leaves (a key without the scope to read the API tokens).
    let source = ctx.source.as_deref().unwrap_or("the source of this bundle");
    let mut missing: BTreeMap<String, String> = ctx
        .not_recorded
        .iter()
        .filter(|k| InsightKey::parse(k).is_some() || *k == security_changes::KEY)
        .map(|k| (k.clone(), format!("not recorded by {source} (bundle.toml)")))
        .collect();
    for &key in InsightKey::ALL {
        let absent: Vec<&str> = tables_of(key)
            .iter()
            .filter(|t| !ctx.has(**t))
            .map(|t| t.name())
            .collect();
        if !absent.is_empty() {
            let reason = match absent.as_slice() {
                [one] => format!("the bundle has no {one} table"),
                many => format!("the bundle has no {} tables", many.join(" and ")),
            };
            missing.entry(key.as_str().to_string()).or_insert(reason);
        }
    }
    let security_changes = if missing.contains_key(security_changes::KEY) {
        None
    } else {
        security_changes::compute(ctx).transpose()?
    };
    if security_changes.is_none() {
        missing
            .entry(security_changes::KEY.to_string())
            .or_insert_with(|| format!("the bundle has no {} table", Table::Events.name()));
    }
    let mut insights = Insights::compute_each(ctx)?;
    for key in ctx.not_recorded.iter().filter_map(|k| InsightKey::parse(k)) {
        insights.clear(key);
    }
    Ok(Computed {
        insights,
        security_changes,
        missing,
    })
}

/// `part / whole × 100`, rounded to one decimal with ties away from zero,
/// in exact integer arithmetic (6.25 → 6.3); `None` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    let (part, whole) = (u128::from(part), u128::from(whole));
    let tenths = (2000 * part + whole) / (2 * whole);
    Some(tenths as f64 / 10.0)
}

/// Counts of rows by the string value of `key` (a grouped aggregation).
pub(crate) fn count_by(rows: LazyFrame, key: Expr) -> PolarsResult<BTreeMap<String, u64>> {
    let frame = rows
        .group_by([key.alias("__key")])
        .agg([len().alias("__n")])
        .collect()?;
    Ok(strings(&frame, "__key")?
        .into_iter()
        .zip(counts(&frame, "__n")?)
        .collect())
}

/// For each bit below `bits`: how many accounts have it set in `column`
/// of their usage (one row per account, [`Context::per_account`]).
pub(crate) fn accounts_with_bits(
    per_account: LazyFrame,
    column: &str,
    bits: u32,
) -> PolarsResult<Vec<u64>> {
    let frame = per_account
        .select(
            (0..bits)
                .map(|k| {
                    activity::has_bit(col(column).cast(DataType::UInt64), k)
                        .cast(DataType::UInt64)
                        .sum()
                        .alias(format!("bit{k}"))
                })
                .collect::<Vec<_>>(),
        )
        .collect()?;
    (0..bits)
        .map(|k| first_u64(&frame, &format!("bit{k}")))
        .collect()
}

/// How many rows of `rows` (one per account) meet `predicate`.
pub(crate) fn accounts_where(rows: LazyFrame, predicate: Expr) -> PolarsResult<u64> {
    count_rows(rows.filter(predicate))
}

/// Distinct non-null values of `column` (an account id or number) among `rows`.
pub(crate) fn distinct(rows: LazyFrame, column: &str) -> PolarsResult<u64> {
    let frame = rows
        .select([col(column).drop_nulls().n_unique().alias("__n")])
        .collect()?;
    first_u64(&frame, "__n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_ties_away_from_zero() {
        assert_eq!(percent(1, 16), Some(6.3)); // 6.25
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(1, 8), Some(12.5));
        assert_eq!(percent(1, 400), Some(0.3)); // 0.25
        assert_eq!(percent(0, 5), Some(0.0));
        assert_eq!(percent(5, 5), Some(100.0));
        assert_eq!(percent(1, 0), None);
    }

    #[test]
    fn window_has_thirty_days_including_both_ends() {
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            window_start(as_of),
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
        );
    }
}
