//! Insight 6: active users in the window, per day and per month.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{counts, distinct, Context, WINDOW_DAYS};
use crate::bundle::days_to_date;

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
    let views = ctx.window_facts()?.filter(col("view"));
    let all = ctx.all_facts()?;
    Some(figures(ctx, views, all))
}

fn figures(ctx: &Context, views: LazyFrame, all: LazyFrame) -> PolarsResult<ActiveUsers> {
    let per_day = views
        .clone()
        .group_by([col("day")])
        .agg([col("account").n_unique().alias("active")])
        .collect()?;
    let days: Vec<NaiveDate> = per_day
        .column("day")?
        .date()?
        .physical()
        .iter()
        .map(|d| d.and_then(days_to_date).unwrap_or_default())
        .collect();
    let per_day: BTreeMap<NaiveDate, u64> =
        days.into_iter().zip(counts(&per_day, "active")?).collect();

    let daily = (0..WINDOW_DAYS)
        .filter_map(|offset| ctx.window_start.checked_add_days(Days::new(offset)))
        .map(|day| DayActive {
            date: day.format("%Y-%m-%d").to_string(),
            active: per_day.get(&day).copied().unwrap_or(0),
        })
        .collect();

    Ok(ActiveUsers {
        active: distinct(views, "account")?,
        daily,
        monthly: monthly(all, "view", ctx.as_of)?,
    })
}
