//! Insight 1: accounts with access, managed and external.

use polars::prelude::*;
use serde::Serialize;

use super::{count_by, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsersWithAccess {
    pub managed: u64,
    pub external: u64,
    pub total: u64,
}

pub fn compute(ctx: &Context) -> PolarsResult<UsersWithAccess> {
    let by_type = count_by(ctx.accounts_with_access(), col("account_type"))?;
    let managed = by_type.get("managed").copied().unwrap_or(0);
    let external = by_type.get("external").copied().unwrap_or(0);
    Ok(UsersWithAccess {
        managed,
        external,
        total: managed + external,
    })
}
