//! Insight 6: active users in the window, per day and per month.

use chrono::Days;
use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{accounts_with_bits, distinct, Context, WINDOW_DAYS};

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
    let usage = ctx.usage()?;
    Some(figures(ctx, usage))
}

fn figures(ctx: &Context, usage: LazyFrame) -> PolarsResult<ActiveUsers> {
    // Bit k of `window_days`: a view on the k-th day of the window.
    let per_day = accounts_with_bits(usage.clone(), "window_days", WINDOW_DAYS as u32)?;
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
        active: distinct(
            usage.clone().filter(col("window_days").neq(lit(0u32))),
            "account",
        )?,
        daily,
        monthly: monthly(usage, "view_months", ctx.as_of)?,
    })
}
