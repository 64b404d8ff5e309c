//! Insight 11: accounts that used Rovo in the window, monthly, and the sites
//! whose Rovo is too new for complete figures. Which rows are Rovo use is
//! decided where activity is read (`activity.rs`).

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{monthly, MonthActive};
use super::{accounts_where, Context};
use crate::frame::strings;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RovoActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
    /// Rovo sites activated on or after the first day of the window.
    pub recently_activated: Vec<String>,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<RovoActive>> {
    let rovo_sites = ctx.rovo_sites()?;
    let per_account = ctx.per_account()?;
    Some(figures(ctx, per_account, rovo_sites))
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
