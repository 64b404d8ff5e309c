//! Insight 6: active users in the window, per day and per month.

use chrono::{Days, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::monthly::{add_months, monthly, MonthActive};
use super::{
    accounts_where, accounts_with_bits, window_days, Advising, Cell, Chart, Context, DataTable,
    Figure, Insight, Presented, Shown, WINDOW_DAYS,
};
use crate::bundle::Table;
use crate::insight_key::InsightKey;
use crate::support::words::{count_of, plural};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveUsers {
    pub active: u64,
    pub daily: Vec<DayActive>,
    pub monthly: Vec<MonthActive>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayActive {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub active: u64,
}

fn figures(ctx: &Context, per_account: LazyFrame) -> PolarsResult<ActiveUsers> {
    // Bit k of `window_days`: a view on the k-th day of the window.
    let per_day = accounts_with_bits(per_account.clone(), "window_days", WINDOW_DAYS as u32)?;
    let daily = per_day
        .into_iter()
        .zip(0..)
        .filter_map(|(active, offset)| {
            let day = ctx.window_start.checked_add_days(Days::new(offset))?;
            Some(DayActive {
                date: day.format("%Y-%m-%d").to_string(),
                active,
            })
        })
        .collect();

    Ok(ActiveUsers {
        active: accounts_where(per_account.clone(), col("window_days").neq(lit(0u32)))?,
        daily,
        monthly: monthly(per_account, "view_months", ctx.as_of)?,
    })
}

impl Insight for ActiveUsers {
    const TITLE: &'static str = "Active users";
    const LEAD: &'static str = concat!(
        "Accounts that viewed a page, an issue or a board in the last ",
        window_days!(),
        " days, with the daily and monthly trend."
    );
    const NOUN: &'static str = "active users";
    const TABLES: &'static [Table] = &[Table::Activity];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        let per_account = ctx.per_account()?;
        Some(figures(ctx, per_account))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[("period", "Period"), ("active", "Active users")]);
        table.row(vec![
            Cell::text(concat!(window_days!(), " days")),
            Cell::count(self.active),
        ]);
        for d in &self.daily {
            table.row(vec![Cell::text(d.date.clone()), Cell::count(d.active)]);
        }
        add_months(&mut table, &self.monthly);
        Shown {
            summary: format!(
                "{} {} active in the {WINDOW_DAYS} days to the report date.",
                count_of(self.active, "account"),
                plural(self.active, "was", "were")
            ),
            table,
            chart: Chart::Line {
                title: "Active users per day",
                axis: "active users",
                days: self.daily.iter().map(|d| d.date.clone()).collect(),
                values: self.daily.iter().map(|d| d.active).collect(),
                known_from: 0,
            },
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] = &[(
        Figure::ActiveUsers,
        concat!("Active users (", window_days!(), " days)"),
    )];

    fn headline(&self, _: Figure) -> String {
        self.active.to_string()
    }

    fn advise(&self, on: &Advising) -> Vec<String> {
        vec![if self.active == 0 {
            concat!(
                "No account viewed anything in the ",
                window_days!(),
                " days: check that the activity export is complete."
            )
            .to_string()
        } else if on.idle_accounts > 0 {
            format!(
                "{} with access had no activity in the {WINDOW_DAYS} days: ask whether they still need access.",
                count_of(on.idle_accounts, "account")
            )
        } else {
            concat!(
                "Every account with access was active in the ",
                window_days!(),
                " days: nothing to do."
            )
            .to_string()
        }]
    }
}

/// Marks the days before `since` (the day the bundle's source began
/// recording) as "no data" in the daily chart and the page's table: they
/// hold only what the first export said, not a day's use. insights.json
/// and the CSV keep the contract's zero-filled figures.
pub fn no_data_before(presented: &mut [Presented], since: NaiveDate) {
    let since = since.to_string();
    let Some(shown) = presented
        .iter_mut()
        .find(|p| p.key == InsightKey::ActiveUsers)
        .and_then(|p| p.shown.as_mut())
    else {
        return;
    };
    if let Chart::Line {
        days, known_from, ..
    } = &mut shown.chart
    {
        *known_from = days.iter().take_while(|day| **day < since).count();
    }
    for row in &mut shown.table.rows {
        let is_day = row[0].raw.len() == 10;
        if is_day && row[0].raw < since {
            row[1].shown = "no data".to_string();
        }
    }
}
