//! Insight 3: how managed accounts with access authenticate, in three
//! disjoint groups.

use polars::prelude::*;
use serde::Serialize;

use super::{count_by, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedAuthentication {
    pub sso: u64,
    pub two_step_enabled: u64,
    pub two_step_disabled: u64,
}

pub fn compute(ctx: &Context) -> PolarsResult<ManagedAuthentication> {
    let managed = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("managed")));
    let group = when(col("sso"))
        .then(lit("sso"))
        .when(
            col("two_step")
                .eq(lit("on"))
                .or(col("two_step").eq(lit("enforced"))),
        )
        .then(lit("two_step_enabled"))
        .otherwise(lit("two_step_disabled"));
    let by_group = count_by(managed, group)?;
    let get = |key: &str| by_group.get(key).copied().unwrap_or(0);
    Ok(ManagedAuthentication {
        sso: get("sso"),
        two_step_enabled: get("two_step_enabled"),
        two_step_disabled: get("two_step_disabled"),
    })
}
