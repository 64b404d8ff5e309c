//! Insight 8: active Trello accounts by the highest plan among the Trello
//! sites each one was active on. The plan of each view is decided where
//! activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::Context;
use crate::bundle::spec::PLANS;
use crate::frame::counts;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanActive {
    pub plan: String,
    pub active: u64,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<Vec<PlanActive>>> {
    let usage = ctx.usage()?;
    Some(figures(usage))
}

fn figures(usage: LazyFrame) -> PolarsResult<Vec<PlanActive>> {
    // One usage row per account and product: a Trello row is one account.
    let frame = usage
        .filter(
            col("product")
                .eq(lit("trello"))
                .and(col("trello_rank").is_not_null()),
        )
        .group_by([col("trello_rank")])
        .agg([len().alias("active")])
        .sort(["trello_rank"], Default::default())
        .collect()?;
    Ok(counts(&frame, "trello_rank")?
        .into_iter()
        .zip(counts(&frame, "active")?)
        .filter_map(|(rank, active)| {
            let plan = PLANS.get(rank as usize)?;
            Some(PlanActive {
                plan: plan.to_string(),
                active,
            })
        })
        .collect())
}
