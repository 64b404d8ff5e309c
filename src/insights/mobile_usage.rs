//! Insight 9: use of the Atlassian mobile apps in the window, per product.

use polars::prelude::*;
use serde::Serialize;

use super::{counts, distinct, percent, strings, Context};

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
    let rows = ctx.window_facts()?;
    Some(figures(rows))
}

fn figures(rows: LazyFrame) -> PolarsResult<MobileUsage> {
    let on_mobile = col("mobile");
    let frame = rows
        .clone()
        .group_by([col("product")])
        .agg([
            col("account").n_unique().alias("all"),
            col("account")
                .filter(on_mobile.clone())
                .n_unique()
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
        total: distinct(rows.filter(on_mobile), "account")?,
    })
}
