//! Insight 12: accounts that used Atlassian Intelligence in the window.
//! Which rows are AI use is decided where activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{add_months, monthly, monthly_chart, MonthActive};
use super::{
    accounts_where, window_days, Advising, Cell, Context, DataTable, Figure, Insight, Shown,
    WINDOW_DAYS,
};
use crate::bundle::Table;
use crate::support::words::count_of;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
}

fn figures(ctx: &Context, per_account: LazyFrame) -> PolarsResult<AiActive> {
    Ok(AiActive {
        active: accounts_where(per_account.clone(), col("window_ai"))?,
        monthly: monthly(per_account, "ai_months", ctx.as_of)?,
    })
}

impl Insight for AiActive {
    const TITLE: &'static str = "Active Atlassian Intelligence users";
    const LEAD: &'static str = concat!(
        "Accounts that used an Atlassian Intelligence feature in the last ",
        window_days!(),
        " days where it is activated."
    );
    const NOUN: &'static str = "Atlassian Intelligence use";
    const TABLES: &'static [Table] = &[Table::Activity, Table::Sites];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        // The figure needs `sites`: without it no row is AI use.
        let _sites = ctx.sites()?;
        let per_account = ctx.per_account()?;
        Some(figures(ctx, per_account))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[("period", "Period"), ("active", "Active users")]);
        table.row(vec![
            Cell::text(concat!(window_days!(), " days")),
            Cell::count(self.active),
        ]);
        add_months(&mut table, &self.monthly);
        Shown {
            summary: format!(
                "{} used Atlassian Intelligence in the last {WINDOW_DAYS} days.",
                count_of(self.active, "account")
            ),
            table,
            chart: monthly_chart(
                "Active Atlassian Intelligence users per month",
                &self.monthly,
            ),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] = &[(Figure::AiActive, "Active AI users")];

    fn headline(&self, _: Figure) -> String {
        self.active.to_string()
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        vec![if self.active == 0 {
            concat!(
                "No one used Atlassian Intelligence in the ",
                window_days!(),
                " days: tell people about it, or turn it off where it is not wanted."
            )
            .to_string()
        } else {
            format!(
                "{} used Atlassian Intelligence: nothing to do.",
                count_of(self.active, "account")
            )
        }]
    }
}
