//! Insight 11: accounts that used Rovo in the window, monthly, and the sites
//! whose Rovo is too new for complete figures. Which rows are Rovo use is
//! decided where activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{add_months, monthly, monthly_chart, MonthActive};
use super::{
    accounts_where, percent, window_days, Advising, Cell, Context, DataTable, Figure, Insight,
    Insights, Shown, WINDOW_DAYS,
};
use crate::bundle::Table;
use crate::support::frame::strings;
use crate::support::words::count_of;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RovoActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
    /// Rovo sites activated on or after the first day of the window.
    pub recently_activated: Vec<String>,
}

fn figures(
    ctx: &Context,
    per_account: LazyFrame,
    rovo_sites: LazyFrame,
) -> PolarsResult<RovoActive> {
    let recent = rovo_sites
        .filter(col("activated_on").gt_eq(lit(ctx.window_start)))
        .sort(["site"], Default::default())
        .collect()?;
    Ok(RovoActive {
        active: accounts_where(per_account.clone(), col("window_rovo"))?,
        monthly: monthly(per_account, "rovo_months", ctx.as_of)?,
        recently_activated: strings(&recent, "site")?,
    })
}

impl Insight for RovoActive {
    const TITLE: &'static str = "Active Rovo users";
    const LEAD: &'static str = concat!(
        "Accounts that searched, chatted or used an agent with Rovo and got results, or followed a Rovo result, in the last ",
        window_days!(),
        " days."
    );
    const NOUN: &'static str = "Rovo use";
    const TABLES: &'static [Table] = &[Table::Activity, Table::Sites];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        let rovo_sites = ctx.rovo_sites()?;
        let per_account = ctx.per_account()?;
        Some(figures(ctx, per_account, rovo_sites))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[("period", "Period"), ("active", "Active users")]);
        table.row(vec![
            Cell::text(concat!(window_days!(), " days")),
            Cell::count(self.active),
        ]);
        add_months(&mut table, &self.monthly);
        let mut summary = format!(
            "{} used Rovo in the last {WINDOW_DAYS} days.",
            count_of(self.active, "account")
        );
        if !self.recently_activated.is_empty() {
            summary.push_str(&format!(
                " Rovo was activated recently on {}: figures for these sites may be incomplete.",
                self.recently_activated.join(", ")
            ));
        }
        Shown {
            summary,
            table,
            chart: monthly_chart("Active Rovo users per month", &self.monthly),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] =
        &[(Figure::RovoActive, "Active Rovo users")];

    fn headline(&self, _: Figure) -> String {
        self.active.to_string()
    }

    /// Paid Rovo seats beyond their active users: last.
    fn findings(&self, all: &Insights) -> Vec<(u8, String)> {
        let Some(seats) = all.rovo_access.as_ref().and_then(|a| a.paid_seats) else {
            return Vec::new();
        };
        if seats.saturating_sub(self.active) == 0 {
            return Vec::new();
        }
        vec![(
            50,
            format!(
                "{}, but {} in the last {WINDOW_DAYS} days.",
                count_of(seats, "paid Rovo seat"),
                count_of(self.active, "active Rovo user")
            ),
        )]
    }

    fn advise(&self, on: &Advising) -> Vec<String> {
        let target = on.limits.rovo_seat_use_min_percent;
        let seats = on.insights.rovo_access.as_ref().and_then(|r| r.paid_seats);
        let use_share = seats.and_then(|s| percent(self.active, s));
        let mut advice = vec![match (seats, use_share) {
            (Some(seats), Some(share)) if share < target => format!(
                "{} for {} ({share:.1} %, target {target} %): show people what Rovo can do, or lower the tier at renewal.",
                count_of(self.active, "active Rovo user"),
                count_of(seats, "paid seat")
            ),
            (Some(_), Some(share)) => format!(
                "Active Rovo users fill {share:.1} % of the paid seats, at or above the target of {target} %."
            ),
            _ => "There are no paid Rovo seats to compare with.".to_string(),
        }];
        if !self.recently_activated.is_empty() {
            advice.push(
                concat!(
                    "Rovo was activated recently on some sites: judge their use after a full ",
                    window_days!(),
                    " days."
                )
                .to_string(),
            );
        }
        advice
    }
}
