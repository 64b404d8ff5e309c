//! Insight 12: accounts that used Atlassian Intelligence in the window.

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{distinct_accounts, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<AiActive>> {
    let rows = ctx.counted_activity()?.filter(col("action").eq(lit("ai")));
    let sites = ctx.sites()?;
    Some(figures(ctx, rows, sites))
}

fn figures(ctx: &Context, rows: LazyFrame, sites: LazyFrame) -> PolarsResult<AiActive> {
    let keys = [col("site"), col("product")];
    // Site and product pairs where Atlassian Intelligence is on.
    let enabled = sites
        .filter(col("ai"))
        .select(keys.clone())
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(lit(true).alias("__ai"));
    let ai_use = rows
        .join(enabled, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .filter(col("site").is_null().or(col("__ai").fill_null(lit(false))));
    Ok(AiActive {
        active: distinct_accounts(ctx.in_window(ai_use.clone()))?,
        monthly: monthly(ai_use, ctx.as_of)?,
    })
}
