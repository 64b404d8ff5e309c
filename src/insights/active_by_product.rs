//! Insight 7: per product, accounts with access that used it in the window
//! and those that did not.

use polars::prelude::*;
use serde::Serialize;

use super::Context;
use crate::frame::{counts, strings};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductActivity {
    pub product: String,
    pub active: u64,
    pub inactive: u64,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<Vec<ProductActivity>>> {
    let access = ctx.access_of_accounts_with_access()?;
    let views = ctx.usage()?.filter(col("window_days").neq(lit(0u32)));
    Some(figures(access, views))
}

fn figures(access: LazyFrame, views: LazyFrame) -> PolarsResult<Vec<ProductActivity>> {
    let pairs = [col("account"), col("product")];
    let holders = access
        .select(pairs.clone())
        .unique(None, UniqueKeepStrategy::Any);
    // One usage row per account and product.
    let users = views
        .select(pairs.clone())
        .with_column(lit(true).alias("used"));
    let frame = holders
        .join(users, pairs.clone(), pairs, JoinArgs::new(JoinType::Left))
        .group_by([col("product")])
        .agg([
            col("used")
                .fill_null(lit(false))
                .cast(DataType::UInt64)
                .sum()
                .alias("active"),
            len().alias("holders"),
        ])
        .sort(["product"], Default::default())
        .collect()?;
    Ok(strings(&frame, "product")?
        .into_iter()
        .zip(counts(&frame, "active")?)
        .zip(counts(&frame, "holders")?)
        .map(|((product, active), holders)| ProductActivity {
            product,
            active,
            inactive: holders - active,
        })
        .collect())
}
