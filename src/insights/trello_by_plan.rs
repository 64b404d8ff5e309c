//! Insight 8: active Trello accounts by the highest plan among the Trello
//! sites each one was active on. The plan of each view is decided where
//! activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::{window_days, Advising, Cell, Chart, Context, DataTable, Insight, Shown, WINDOW_DAYS};
use crate::bundle::spec::PLANS;
use crate::bundle::Table;
use crate::support::frame::counts;
use crate::support::words::count_of;

/// Active Trello accounts per plan, in the order of the plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TrelloByPlan(pub Vec<PlanActive>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanActive {
    pub plan: String,
    pub active: u64,
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

impl Insight for TrelloByPlan {
    const TITLE: &'static str = "Active Trello users by plan";
    const LEAD: &'static str = concat!(
        "Managed accounts active in Trello in the last ",
        window_days!(),
        " days, each under the highest plan of the Trello workspaces they used."
    );
    const NOUN: &'static str = "active Trello users by plan";
    const TABLES: &'static [Table] = &[Table::Activity];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        let usage = ctx.usage()?;
        Some(figures(usage).map(TrelloByPlan))
    }

    fn show(&self) -> Shown {
        let rows = &self.0;
        let mut table = DataTable::new(&[("plan", "Plan"), ("active", "Active accounts")]);
        for r in rows {
            table.row(vec![Cell::text(r.plan.clone()), Cell::count(r.active)]);
        }
        let total: u64 = rows.iter().map(|r| r.active).sum();
        Shown {
            summary: format!(
                "{} used Trello in the last {WINDOW_DAYS} days.",
                count_of(total, "managed account")
            ),
            table,
            chart: Chart::bars(
                Self::TITLE,
                "active accounts",
                rows.iter().map(|r| r.plan.clone()).collect(),
                "active",
                rows.iter().map(|r| r.active).collect(),
            ),
        }
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        let free = self
            .0
            .iter()
            .find(|p| p.plan == "free")
            .map(|p| p.active)
            .unwrap_or(0);
        vec![if free > 0 {
            format!(
                "{} used only Free Trello workspaces, outside the controls of a paid plan: consider moving that work to a Standard or higher workspace.",
                count_of(free, "managed account")
            )
        } else {
            "No managed account works only in Free Trello workspaces: nothing to do.".to_string()
        }]
    }
}
