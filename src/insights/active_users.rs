//! Insight 6: active users in the window, per day and per month.

use chrono::Days;
use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{accounts_where, accounts_with_bits, Context, WINDOW_DAYS};

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

pub fn compute(ctx: &Context) -> Option<PolarsResult<ActiveUsers>> {
    let per_account = ctx.per_account()?;
    Some(figures(ctx, per_account))
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
