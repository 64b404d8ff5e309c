//! Insight 12: accounts that used Atlassian Intelligence in the window.
//! Which rows are AI use is decided where activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{distinct, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<AiActive>> {
    // The figure needs `sites`: without it no row is AI use.
    let _sites = ctx.sites()?;
    let usage = ctx.usage()?;
    Some(figures(ctx, usage))
}

fn figures(ctx: &Context, usage: LazyFrame) -> PolarsResult<AiActive> {
    Ok(AiActive {
        active: distinct(usage.clone().filter(col("window_ai")), "account")?,
        monthly: monthly(usage, "ai_months", ctx.as_of)?,
    })
}
