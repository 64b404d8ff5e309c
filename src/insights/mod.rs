//! The twelve insights of the data contract. Each module computes one, with
//! polars lazy plans over the normalized tables of a [`Bundle`]; this module
//! holds what they share: the as-of date and window, who has access, which
//! activity rows count, and the conversions from frames to plain values.

mod activity;
mod monthly;
mod pair_table;
mod unit;

// The twelve insights, one file each, in the contract's order. Declared
// here plainly, not by the registry's macro, so that rustfmt sees them.
mod active_by_product;
mod active_users;
mod ai_active;
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
pub use domains::Domains;
pub use external_policy::ExternalPolicy;
pub use external_two_step::ExternalTwoStep;
pub use managed_authentication::ManagedAuthentication;
pub use mobile_usage::MobileUsage;
pub use rovo_access::RovoAccess;
pub use rovo_active::RovoActive;
pub use trello_by_plan::TrelloByPlan;
pub use users_with_access::UsersWithAccess;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use crate::bundle::spec::PLANS;
use crate::bundle::{Bundle, Table};
use crate::config::Thresholds;
use crate::frame::{count_rows, counts, first_u64, strings};
use crate::insight_key::{each_insight, InsightKey};

pub use activity::ActivityFacts;
use activity::SiteFacts;
pub use unit::{Advising, Cell, Chart, Column, DataTable, Insight, Presented, Series, Shown};

pub use active_by_product::ProductActivity;
pub use active_users::no_data_before;
pub use active_users::DayActive;
pub use domains::DomainAccess;
pub use mobile_usage::ProductMobile;
pub use monthly::MonthActive;
pub use trello_by_plan::PlanActive;

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
    pub missing: BTreeMap<String, String>,
}

/// What every insight reads: the normalized tables, the as-of date and the
/// window. Small tables are held in memory; `activity` stays lazy.
pub struct Context {
    pub as_of: NaiveDate,
    pub window_start: NaiveDate,
    /// `accounts` with `has_access` (see [`Context::accounts_with_access`]).
    accounts: LazyFrame,
    product_access: Option<LazyFrame>,
    /// `product_access` rows of accounts with access, with each account's
    /// number (`account`, as in the activity usage).
    holders_access: Option<LazyFrame>,
    sites: Option<LazyFrame>,
    domains: Option<LazyFrame>,
    activity: Option<ActivityFacts>,
    /// Insights the bundle's source does not record, and the source.
    not_recorded: Vec<String>,
    source: Option<String>,
    /// Whether the source records who signs in with single sign-on.
    sso_recorded: bool,
}

impl Context {
    pub fn new(bundle: &Bundle, as_of: NaiveDate) -> PolarsResult<Self> {
        let in_memory = |table| -> PolarsResult<Option<LazyFrame>> {
            bundle
                .frame(table)
                .map(|frame| frame.collect().map(DataFrame::lazy))
                .transpose()
        };
        let product_access = in_memory(Table::ProductAccess)?;
        let accounts = in_memory(Table::Accounts)?
            .ok_or_else(|| polars_err!(ComputeError: "the accounts table is required"))?;
        // Who has access is read by most figures: worked out once.
        let accounts = with_access_flag(accounts, product_access.as_ref())?;
        let holders_access = product_access
            .as_ref()
            .map(|access| access_of_holders(access, &accounts))
            .transpose()?;
        let mut ctx = Context {
            as_of,
            window_start: window_start(as_of),
            accounts,
            product_access,
            holders_access,
            sites: in_memory(Table::Sites)?,
            domains: in_memory(Table::Domains)?,
            activity: None,
            not_recorded: bundle.manifest.not_recorded.clone(),
            source: bundle.manifest.source.clone(),
            // Single sign-on is part of the managed accounts' figures.
            sso_recorded: bundle.manifest.records_sso()
                && !bundle
                    .manifest
                    .not_recorded
                    .iter()
                    .any(|k| k == InsightKey::ManagedAuthentication.as_str()),
        };
        if let Some(activity) = bundle.frame(Table::Activity) {
            let site_facts = ctx.site_facts()?;
            ctx.activity = Some(activity::gather(
                activity,
                ctx.accounts.clone(),
                site_facts.as_ref(),
                as_of,
                ctx.window_start,
            )?);
        }
        Ok(ctx)
    }

    /// Whether activity has account ids to check in full before its
    /// figures stand ([`ActivityFacts::unsettled_ids`]).
    pub fn activity_ids_unsettled(&self) -> bool {
        self.activity.as_ref().is_some_and(|a| a.unsettled_ids)
    }

    /// What the Rovo and AI figures need to know of `sites`.
    fn site_facts(&self) -> PolarsResult<Option<SiteFacts>> {
        let (Some(sites), Some(rovo_sites)) = (self.sites(), self.rovo_sites()) else {
            return Ok(None);
        };
        let rovo_sites = strings(&rovo_sites.select([col("site")]).collect()?, "site")?;
        let ai_pairs = sites
            .clone()
            .filter(col("ai"))
            .select([col("site"), col("product")])
            .collect()?;
        let ai_products: BTreeSet<String> = strings(&ai_pairs, "product")?.into_iter().collect();
        let ai_sites_by_product = ai_products
            .into_iter()
            .map(|product| {
                let sites = sites_where(&ai_pairs, col("product").eq(lit(product.as_str())))?;
                Ok((product, sites))
            })
            .collect::<PolarsResult<_>>()?;
        // A Trello site's plan is the highest among its Trello rows.
        let trello_ranks = sites
            .filter(col("product").eq(lit("trello")))
            .group_by([col("site")])
            .agg([plan_rank().max().alias("rank")])
            .collect()?;
        let trello_sites_by_plan = (1..PLANS.len() as u32)
            .map(|rank| Ok((rank, sites_where(&trello_ranks, col("rank").eq(lit(rank)))?)))
            .collect::<PolarsResult<_>>()?;
        Ok(Some(SiteFacts {
            rovo_sites,
            ai_sites_by_product,
            trello_sites_by_plan,
        }))
    }

    /// Whether the bundle's source records who signs in with single
    /// sign-on (`sso` in bundle.toml's `not_recorded` says it does not).
    pub fn records_sso(&self) -> bool {
        self.sso_recorded
    }

    /// Whether the bundle's source records the figures of `key`
    /// (bundle.toml's `not_recorded` does not name it).
    pub fn records(&self, key: InsightKey) -> bool {
        !self.not_recorded.iter().any(|k| k == key.as_str())
    }

    pub fn has(&self, table: Table) -> bool {
        match table {
            Table::Accounts => true,
            Table::ProductAccess => self.product_access.is_some(),
            Table::Sites => self.sites.is_some(),
            Table::Domains => self.domains.is_some(),
            Table::Activity => self.activity.is_some(),
        }
    }

    /// Accounts with access: active, and with at least one `product_access`
    /// row (every active account when that table is missing).
    pub fn accounts_with_access(&self) -> LazyFrame {
        self.accounts.clone().filter(col("has_access"))
    }

    /// `product_access` rows of accounts with access, with the number
    /// (`account`) that stands for each account in the usage.
    pub fn access_of_accounts_with_access(&self) -> Option<LazyFrame> {
        self.holders_access.clone()
    }

    /// What was gathered from `activity`, when the bundle has it.
    pub fn activity(&self) -> Option<&ActivityFacts> {
        self.activity.as_ref()
    }

    /// The usage of each account and product (see [`ActivityFacts::usage`]).
    pub fn usage(&self) -> Option<LazyFrame> {
        Some(self.activity.as_ref()?.usage.clone().lazy())
    }

    /// The usage of each account, all products together.
    pub fn per_account(&self) -> Option<LazyFrame> {
        Some(self.activity.as_ref()?.per_account.clone().lazy())
    }

    pub fn product_access(&self) -> Option<LazyFrame> {
        self.product_access.clone()
    }

    pub fn sites(&self) -> Option<LazyFrame> {
        self.sites.clone()
    }

    pub fn domains(&self) -> Option<LazyFrame> {
        self.domains.clone()
    }

    /// `accounts` with the number (`account`) that stands for each in the
    /// usage.
    pub fn numbered_accounts(&self) -> LazyFrame {
        activity::numbered(self.accounts.clone())
    }

    /// `accounts`, with `has_access` ([`Context::accounts_with_access`]).
    pub fn accounts(&self) -> LazyFrame {
        self.accounts.clone()
    }

    /// Sites where Rovo is activated (any row of the site says so), with the
    /// latest `rovo_activated_on` among all rows of the site.
    pub fn rovo_sites(&self) -> Option<LazyFrame> {
        let sites = self.sites.clone()?;
        Some(
            sites
                .group_by([col("site")])
                .agg([
                    col("rovo").any(true).alias("rovo"),
                    col("rovo_activated_on").max().alias("activated_on"),
                ])
                .filter(col("rovo")),
        )
    }
}

/// `accounts` (in memory) with `has_access`: active, and with at least one
/// `product_access` row (every active account when that table is missing).
fn with_access_flag(accounts: LazyFrame, access: Option<&LazyFrame>) -> PolarsResult<LazyFrame> {
    let active = col("status").eq(lit("active"));
    let has_access = match access {
        Some(access) => {
            let holders = access
                .clone()
                .select([col("account_id")])
                .unique(None, UniqueKeepStrategy::Any)
                .collect()?;
            let holders = holders.column("account_id")?.as_materialized_series();
            active.and(col("account_id").is_in(lit(holders.clone()).implode(false), false))
        }
        None => active,
    };
    Ok(accounts
        .with_column(has_access.alias("has_access"))
        .collect()?
        .lazy())
}

/// `access` rows of accounts with access (in memory), with each account's
/// number.
fn access_of_holders(access: &LazyFrame, accounts: &LazyFrame) -> PolarsResult<LazyFrame> {
    let holders = activity::numbered(accounts.clone())
        .filter(col("has_access"))
        .select([col("account"), col("account_id")]);
    Ok(access
        .clone()
        .inner_join(holders, col("account_id"), col("account_id"))
        .collect()?
        .lazy())
}

/// The first day of the 30-day window ending on `as_of`.
pub fn window_start(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(WINDOW_DAYS - 1))
        .unwrap_or(NaiveDate::MIN)
}

/// Computes every insight whose tables the bundle has.
pub fn compute(ctx: &Context) -> PolarsResult<Computed> {
    let mut missing = BTreeMap::new();
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
            missing.insert(key.as_str().to_string(), reason);
        }
    }

    let insights = Insights::compute_each(ctx)?;
    let mut computed = Computed { insights, missing };
    for key in ctx.not_recorded.iter().filter_map(|k| InsightKey::parse(k)) {
        computed.insights.clear(key);
        let source = ctx.source.as_deref().unwrap_or("the source of this bundle");
        computed
            .missing
            .entry(key.as_str().to_string())
            .or_insert_with(|| format!("not recorded by {source} (bundle.toml)"));
    }
    Ok(computed)
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

/// The distinct sites of the rows of `frame` where `predicate` holds.
fn sites_where(frame: &DataFrame, predicate: Expr) -> PolarsResult<Vec<String>> {
    let sites = frame
        .clone()
        .lazy()
        .filter(predicate)
        .select([col("site").unique()])
        .collect()?;
    strings(&sites, "site")
}

/// The position of a plan in [`PLANS`]; a site without a plan ranks as free.
fn plan_rank() -> Expr {
    PLANS.iter().enumerate().fold(lit(0u32), |rank, (i, plan)| {
        when(col("plan").eq(lit(*plan)))
            .then(lit(i as u32))
            .otherwise(rank)
    })
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
