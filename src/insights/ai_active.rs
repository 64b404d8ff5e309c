//! Insight 12: accounts that used Atlassian Intelligence in the window.
//! Which rows are AI use is decided where activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{accounts_where, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<AiActive>> {
    // The figure needs `sites`: without it no row is AI use.
    let _sites = ctx.sites()?;
    let per_account = ctx.per_account()?;
    Some(figures(ctx, per_account))
}

fn figures(ctx: &Context, per_account: LazyFrame) -> PolarsResult<AiActive> {
    Ok(AiActive {
        active: accounts_where(per_account.clone(), col("window_ai"))?,
        monthly: monthly(per_account, "ai_months", ctx.as_of)?,
    })
}
