//! Insight 11: accounts that used Rovo in the window, monthly, and the sites
//! whose Rovo is too new for complete figures.

use polars::prelude::*;
use serde::Serialize;

use super::monthly::{trend, MonthActive};
use super::{distinct_accounts, strings, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RovoActive {
    pub active: u64,
    pub monthly: Vec<MonthActive>,
    /// Rovo sites activated on or after the first day of the window.
    pub recently_activated: Vec<String>,
}

/// Rovo actions that count only when results were generated.
const GENERATING: [&str; 4] = ["rovo_search", "rovo_definition", "rovo_chat", "rovo_agent"];
/// Rovo actions that always count.
const CLICKS: [&str; 3] = [
    "rovo_first_party_click",
    "rovo_third_party_click",
    "rovo_third_party_filter",
];

fn one_of(values: &[&str]) -> Expr {
    let series = Series::new("values".into(), values);
    col("action").is_in(lit(series).implode(false), false)
}

/// The counted rows that are Rovo use: a successful search, definition,
/// chat or agent, or any click or filter, on a Rovo site or on no site.
pub fn used(rows: LazyFrame, rovo_sites: &Series) -> LazyFrame {
    rows.filter(one_of(&GENERATING).and(col("success")).or(one_of(&CLICKS)))
        .filter(
            col("site")
                .is_null()
                .or(col("site").is_in(lit(rovo_sites.clone()).implode(false), false)),
        )
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<RovoActive>> {
    let per_month = ctx.activity()?.monthly_rovo.as_ref()?;
    let window = ctx.window_rows()?;
    let rovo_sites = ctx.rovo_sites()?;
    Some(figures(ctx, window, rovo_sites, per_month))
}

fn figures(
    ctx: &Context,
    window: LazyFrame,
    rovo_sites: LazyFrame,
    per_month: &DataFrame,
) -> PolarsResult<RovoActive> {
    let sites = rovo_sites.sort(["site"], Default::default()).collect()?;
    let site_names = sites.column("site")?.as_materialized_series().clone();
    let recent = sites
        .lazy()
        .filter(col("activated_on").gt_eq(lit(ctx.window_start)))
        .collect()?;
    Ok(RovoActive {
        active: distinct_accounts(used(window, &site_names))?,
        monthly: trend(per_month, ctx.as_of)?,
        recently_activated: strings(&recent, "site")?,
    })
}
