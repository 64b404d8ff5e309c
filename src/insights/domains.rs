//! Insight 2: the email domains of accounts with access.

use polars::prelude::*;
use serde::Serialize;

use super::Context;
use crate::frame::{counts, strings};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainAccess {
    pub domain: String,
    pub managed: u64,
    pub external: u64,
    /// Any `domains` row of the domain says it is verified.
    pub verified: bool,
}

pub fn compute(ctx: &Context) -> PolarsResult<Vec<DomainAccess>> {
    let per_domain = ctx.accounts_with_access().group_by([col("domain")]).agg([
        col("account_type")
            .eq(lit("managed"))
            .cast(DataType::UInt64)
            .sum()
            .alias("managed"),
        col("account_type")
            .eq(lit("external"))
            .cast(DataType::UInt64)
            .sum()
            .alias("external"),
    ]);
    let with_verified = match ctx.domains() {
        Some(domains) => {
            let verified = domains
                .filter(col("verified"))
                .select([col("domain")])
                .unique(None, UniqueKeepStrategy::Any)
                .with_column(lit(true).alias("verified"));
            per_domain
                .left_join(verified, col("domain"), col("domain"))
                .with_column(col("verified").fill_null(lit(false)))
        }
        None => per_domain.with_column(lit(false).alias("verified")),
    };
    let frame = with_verified
        .with_column((col("managed") + col("external")).alias("__accounts"))
        .sort_by_exprs(
            [col("__accounts"), col("domain")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;

    let verified: Vec<bool> = frame
        .column("verified")?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    Ok(strings(&frame, "domain")?
        .into_iter()
        .zip(counts(&frame, "managed")?)
        .zip(counts(&frame, "external")?)
        .zip(verified)
        .map(|(((domain, managed), external), verified)| DomainAccess {
            domain,
            managed,
            external,
            verified,
        })
        .collect())
}
