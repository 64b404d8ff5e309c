//! Insight 9: use of the Atlassian mobile apps in the window, per product.

use polars::prelude::*;
use serde::Serialize;

use super::{accounts_where, percent, Context};
use crate::frame::{counts, strings};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MobileUsage {
    pub products: Vec<ProductMobile>,
    /// Distinct accounts with any counted mobile row in the window.
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductMobile {
    pub product: String,
    pub users: u64,
    /// `users` out of every account with a counted row of the product, × 100.
    pub share: f64,
}

pub fn compute(ctx: &Context) -> Option<PolarsResult<MobileUsage>> {
    let usage = ctx.usage()?;
    let per_account = ctx.per_account()?;
    Some(figures(usage, per_account))
}

fn figures(usage: LazyFrame, per_account: LazyFrame) -> PolarsResult<MobileUsage> {
    // One usage row per account and product: counting rows counts accounts.
    let on_mobile = col("window_mobile");
    let frame = usage
        .clone()
        .filter(col("window_any"))
        .group_by([col("product")])
        .agg([
            len().alias("all"),
            on_mobile
                .clone()
                .cast(DataType::UInt64)
                .sum()
                .alias("users"),
        ])
        .sort(["product"], Default::default())
        .collect()?;
    let products = strings(&frame, "product")?
        .into_iter()
        .zip(counts(&frame, "users")?)
        .zip(counts(&frame, "all")?)
        .map(|((product, users), all)| ProductMobile {
            product,
            users,
            share: percent(users, all).unwrap_or(0.0),
        })
        .collect();
    Ok(MobileUsage {
        products,
        total: accounts_where(per_account, col("window_mobile"))?,
    })
}
