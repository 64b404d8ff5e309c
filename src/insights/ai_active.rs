//! Insight 12: accounts that used Atlassian Intelligence in the window.
//! Which rows are AI use is decided where the activity facts are gathered
//! (`activity.rs`).

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
    let window = ctx.window_facts()?;
    let all = ctx.all_facts()?;
    Some(figures(ctx, window, all))
}

fn figures(ctx: &Context, window: LazyFrame, all: LazyFrame) -> PolarsResult<AiActive> {
    Ok(AiActive {
        active: distinct(window.filter(col("ai")), "account")?,
        monthly: monthly(all, "ai", ctx.as_of)?,
    })
}
