//! Insight 3: how managed accounts with access authenticate, in three
//! disjoint groups. When the bundle's source does not record single
//! sign-on (an API pull), `sso` is null and the two 2SV groups split all
//! managed accounts with access.

use polars::prelude::*;
use serde::Serialize;

use super::{count_by, Context};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedAuthentication {
    /// `None`: the source does not record single sign-on.
    pub sso: Option<u64>,
    pub two_step_enabled: u64,
    pub two_step_disabled: u64,
}

pub fn compute(ctx: &Context) -> PolarsResult<ManagedAuthentication> {
    let managed = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("managed")));
    let sso_recorded = ctx.records_sso();
    let group = when(col("sso").and(lit(sso_recorded)))
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
        sso: sso_recorded.then(|| get("sso")),
        two_step_enabled: get("two_step_enabled"),
        two_step_disabled: get("two_step_disabled"),
    })
}

impl ManagedAuthentication {
    /// Accounts with SSO or 2SV: the protected ones.
    pub fn protected(&self) -> u64 {
        self.sso.unwrap_or(0) + self.two_step_enabled
    }
}
