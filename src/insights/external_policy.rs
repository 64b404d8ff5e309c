//! Insight 5: external users with access covered by an external user policy.

use polars::prelude::*;
use serde::Serialize;

use super::{count_by, percent, Context};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalPolicy {
    pub covered: u64,
    pub total: u64,
    /// `covered / total × 100`, one decimal; null when there are none.
    pub percent: Option<f64>,
}

pub fn compute(ctx: &Context) -> PolarsResult<ExternalPolicy> {
    let external = ctx
        .accounts_with_access()
        .filter(col("account_type").eq(lit("external")));
    let by_coverage = count_by(external, col("external_policy"))?;
    let covered = by_coverage.get("true").copied().unwrap_or(0);
    let total = by_coverage.values().sum();
    Ok(ExternalPolicy {
        covered,
        total,
        percent: percent(covered, total),
    })
}
