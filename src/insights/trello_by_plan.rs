//! Insight 8: active Trello accounts by the highest plan among the Trello
//! sites each one was active on.

use polars::prelude::*;
use serde::Serialize;

use super::{counts, Context};
use crate::bundle::spec::PLANS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanActive {
    pub plan: String,
    pub active: u64,
}

/// The position of a plan in [`PLANS`]; a site without a plan ranks as free.
fn plan_rank() -> Expr {
    PLANS.iter().enumerate().fold(lit(0u32), |rank, (i, plan)| {
        when(col("plan").eq(lit(*plan)))
            .then(lit(i as u32))
            .otherwise(rank)
    })
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<Vec<PlanActive>>> {
    let views = ctx
        .window_facts()?
        .filter(col("product").eq(lit("trello")).and(col("view")));
    Some(figures(ctx, views))
}

fn figures(ctx: &Context, views: LazyFrame) -> PolarsResult<Vec<PlanActive>> {
    let used = views.select([col("account"), col("site")]);
    let ranked = match ctx.sites() {
        Some(sites) => {
            let site_rank = sites
                .filter(col("product").eq(lit("trello")))
                .group_by([col("site")])
                .agg([plan_rank().max().alias("rank")]);
            used.left_join(site_rank, col("site"), col("site"))
                .with_column(col("rank").fill_null(lit(0u32)))
        }
        None => used.with_column(lit(0u32).alias("rank")),
    };
    let frame = ranked
        .group_by([col("account")])
        .agg([col("rank").max()])
        .group_by([col("rank")])
        .agg([len().alias("active")])
        .sort(["rank"], Default::default())
        .collect()?;
    Ok(counts(&frame, "rank")?
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
