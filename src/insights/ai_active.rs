//! Insight 12: accounts that used Atlassian Intelligence in the window.

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{trend, MonthActive};
use super::{distinct_accounts, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
}

/// Site and product pairs where Atlassian Intelligence is on, flagged `__ai`.
pub fn enabled_pairs(sites: LazyFrame) -> LazyFrame {
    sites
        .filter(col("ai"))
        .select([col("site"), col("product")])
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(lit(true).alias("__ai"))
}

/// The counted rows that are AI use: an `ai` row on a site and product with
/// AI on, or with no site.
pub fn used(rows: LazyFrame, enabled: LazyFrame) -> LazyFrame {
    let keys = [col("site"), col("product")];
    rows.filter(col("action").eq(lit("ai")))
        .join(enabled, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .filter(col("site").is_null().or(col("__ai").fill_null(lit(false))))
        .drop(cols(["__ai"]))
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<AiActive>> {
    let per_month = ctx.activity()?.monthly_ai.as_ref()?;
    let window = ctx.window_rows()?;
    let sites = ctx.sites()?;
    Some(figures(ctx, window, sites, per_month))
}

fn figures(
    ctx: &Context,
    window: LazyFrame,
    sites: LazyFrame,
    per_month: &DataFrame,
) -> PolarsResult<AiActive> {
    Ok(AiActive {
        active: distinct_accounts(used(window, enabled_pairs(sites)))?,
        monthly: trend(per_month, ctx.as_of)?,
    })
}
