//! [`Context`]: what every insight reads. The normalized tables of the
//! bundle, who has access (worked out once), the as-of date and window, and
//! activity folded into usage per account and product.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use polars::prelude::*;

use super::activity::{self, ActivityFacts, Checked};
use super::bits::SiteFacts;
use super::one_pass;
use super::window_start;
use crate::bundle::spec::PLANS;
use crate::bundle::{Bundle, Table};
use crate::insight_key::InsightKey;
use crate::problems::{Problems, MAX_LISTED};
use crate::support::frame::strings;

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
    api_tokens: Option<LazyFrame>,
    events: Option<LazyFrame>,
    activity: Option<ActivityFacts>,
    /// The problems that stop the run, when activity has them.
    activity_refused: Option<Problems>,
    /// Insights the bundle's source does not record, and the source.
    pub(super) not_recorded: Vec<String>,
    pub(super) source: Option<String>,
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
            api_tokens: in_memory(Table::ApiTokens)?,
            events: in_memory(Table::Events)?,
            activity: None,
            activity_refused: None,
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
        if let Some(raw) = bundle.unchecked_activity() {
            let site_facts = ctx.site_facts()?;
            let limits = one_pass::Limits {
                tolerance: bundle.tolerance(),
                room: MAX_LISTED,
            };
            match activity::gather(
                raw,
                ctx.accounts.clone(),
                site_facts.as_ref(),
                (as_of, ctx.window_start),
                limits,
            )? {
                Ok(facts) => ctx.activity = Some(facts),
                Err(problems) => ctx.activity_refused = Some(problems),
            }
        }
        Ok(ctx)
    }

    /// The problems of activity that stop the run, when it has them.
    pub fn take_activity_problems(&mut self) -> Option<Problems> {
        self.activity_refused.take()
    }

    /// What checking activity in the computing pass found.
    pub fn activity_checked(&self) -> Option<&Checked> {
        Some(&self.activity.as_ref()?.checked)
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
            Table::ApiTokens => self.api_tokens.is_some(),
            Table::Events => self.events.is_some(),
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

    pub fn api_tokens(&self) -> Option<LazyFrame> {
        self.api_tokens.clone()
    }

    /// The audit log's events, as the bundle keeps them.
    pub fn events(&self) -> Option<LazyFrame> {
        self.events.clone()
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
