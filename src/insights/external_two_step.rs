//! Insight 4: two-step verification of external users with access.

use polars::prelude::*;
use serde::Serialize;

use super::{count_by, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalTwoStep {
    /// Turned on by the person.
    pub enabled_self: u64,
    /// Enforced by the organization that manages the account.
    pub enabled_by_other_org: u64,
    pub not_enabled: u64,
}

pub fn compute(ctx: &Context) -> PolarsResult<ExternalTwoStep> {
    let external = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("external")));
    let by_state = count_by(external, col("two_step"))?;
    let get = |key: &str| by_state.get(key).copied().unwrap_or(0);
    Ok(ExternalTwoStep {
        enabled_self: get("on"),
        enabled_by_other_org: get("enforced"),
        not_enabled: get("off"),
    })
}
