//! One pass over `activity` for everything the report needs from it.
//!
//! `activity` is the one large table (a year of daily rows for a large
//! organization runs to a hundred million). Every figure that reads it is
//! planned here and collected together with polars' streaming engine, so the
//! file is scanned once and never held in memory whole: only the counted
//! rows of the 30-day window are kept, and the monthly trends and
//! data-quality counts arrive already aggregated.

use chrono::NaiveDate;
use polars::prelude::*;

use super::monthly::per_month;
use super::{ai_active, counts, first_u64, rovo_active, strings};

/// What the insights and the data-quality section need from `activity`.
pub struct ActivityFacts {
    /// Counted rows inside the window: date, account_id, product, site,
    /// surface, action, success.
    pub window: DataFrame,
    /// Distinct accounts per month (`month`, `active`), per figure.
    pub monthly_views: DataFrame,
    pub monthly_rovo: Option<DataFrame>,
    pub monthly_ai: Option<DataFrame>,
    /// Rows whose account is missing from `accounts`.
    pub unknown_account_rows: u64,
    /// Rows dated after the as-of date.
    pub rows_after_as_of: u64,
    /// Every product of the table with its number of rows.
    pub rows_by_product: Vec<(String, u64)>,
}

/// The Rovo sites and the site and product pairs with AI on, from `sites`.
pub struct SiteFacts {
    pub rovo_sites: Series,
    pub ai_pairs: LazyFrame,
}

pub fn gather(
    activity: LazyFrame,
    accounts: LazyFrame,
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
) -> PolarsResult<ActivityFacts> {
    let types = accounts
        .clone()
        .select([col("account_id"), col("account_type")]);
    // Counted rows: a known account, on or before as_of; Trello rows only
    // for managed accounts.
    let counted = activity
        .clone()
        .filter(col("date").lt_eq(lit(as_of)))
        .inner_join(types, col("account_id"), col("account_id"))
        .filter(
            col("product")
                .neq(lit("trello"))
                .or(col("account_type").eq(lit("managed"))),
        )
        .select([
            col("date"),
            col("account_id"),
            col("product"),
            col("site"),
            col("surface"),
            col("action"),
            col("success"),
        ]);

    let mut plans = vec![
        counted.clone().filter(col("date").gt_eq(lit(window_start))),
        per_month(counted.clone().filter(col("action").eq(lit("view")))),
        activity
            .clone()
            .anti_join(
                accounts.select([col("account_id")]),
                col("account_id"),
                col("account_id"),
            )
            .select([len().alias("rows")]),
        activity
            .clone()
            .filter(col("date").gt(lit(as_of)))
            .select([len().alias("rows")]),
        activity
            .group_by([col("product")])
            .agg([len().alias("rows")])
            .sort(["product"], Default::default()),
    ];
    if let Some(sites) = sites {
        plans.push(per_month(rovo_active::used(
            counted.clone(),
            &sites.rovo_sites,
        )));
        plans.push(per_month(ai_active::used(counted, sites.ai_pairs.clone())));
    }

    let mut frames = LazyFrame::collect_all_with_engine(
        plans.into_iter().map(|plan| plan.logical_plan).collect(),
        Engine::Streaming,
        OptFlags::default(),
    )?
    .into_iter();
    let mut next = || {
        frames
            .next()
            .ok_or_else(|| polars_err!(ComputeError: "a planned result is missing"))
    };
    let window = next()?;
    let monthly_views = next()?;
    let unknown_account_rows = first_u64(&next()?, "rows")?;
    let rows_after_as_of = first_u64(&next()?, "rows")?;
    let products = next()?;
    let rows_by_product = strings(&products, "product")?
        .into_iter()
        .zip(counts(&products, "rows")?)
        .collect();
    let (monthly_rovo, monthly_ai) = match sites {
        Some(_) => (Some(next()?), Some(next()?)),
        None => (None, None),
    };
    Ok(ActivityFacts {
        window,
        monthly_views,
        monthly_rovo,
        monthly_ai,
        unknown_account_rows,
        rows_after_as_of,
        rows_by_product,
    })
}
