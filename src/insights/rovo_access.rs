//! Insight 10: accounts with access on a Rovo-activated site, and the paid
//! seats of those sites.

use polars::prelude::*;
use serde::Serialize;

use super::{distinct, Context};
use crate::frame::first_u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RovoAccess {
    pub users: u64,
    /// Sum of `paid_seats` of annual rows of Rovo sites; null when none.
    pub paid_seats: Option<u64>,
    pub sites: u64,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<RovoAccess>> {
    let access = ctx.access_of_accounts_with_access()?;
    let sites = ctx.sites()?;
    let rovo_sites = ctx.rovo_sites()?;
    Some(figures(access, sites, rovo_sites))
}

fn figures(access: LazyFrame, sites: LazyFrame, rovo_sites: LazyFrame) -> PolarsResult<RovoAccess> {
    let users = distinct(
        access.semi_join(rovo_sites.clone(), col("site"), col("site")),
        "account_id",
    )?;
    let seats = sites
        .semi_join(rovo_sites.clone(), col("site"), col("site"))
        .filter(col("billing").eq(lit("annual")))
        .select([
            col("paid_seats").sum().alias("seats"),
            col("paid_seats").count().alias("rows"),
        ])
        .collect()?;
    let paid_seats = (first_u64(&seats, "rows")? > 0)
        .then(|| first_u64(&seats, "seats"))
        .transpose()?;
    let site_count = rovo_sites.select([len().alias("sites")]).collect()?;
    Ok(RovoAccess {
        users,
        paid_seats,
        sites: first_u64(&site_count, "sites")?,
    })
}
