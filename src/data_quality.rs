//! Rows the contract leaves out of the figures, counted so that nothing is
//! dropped silently: rows of accounts missing from `accounts`, products that
//! no `product_access` row names, activity after the as-of date.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::bundle::{Bundle, Table};
use crate::frame::{counts, first_u64, strings};
use crate::insights::Context;

#[derive(Debug, Clone, Default, Serialize)]
pub struct DataQuality {
    /// Data rows read per table.
    pub rows: BTreeMap<String, u64>,
    /// Rows whose `account_id` is not in `accounts`, per table.
    pub unknown_accounts: BTreeMap<String, u64>,
    /// Products of `activity` or `sites` that no `product_access` row names.
    pub unknown_products: Vec<UnknownProduct>,
    /// Activity rows dated after the as-of date (not counted).
    pub activity_after_as_of: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnknownProduct {
    pub table: String,
    pub product: String,
    pub rows: u64,
}

/// `activity`'s share was gathered with the insights, in the same scan.
pub fn assess(bundle: &Bundle, ctx: &Context) -> PolarsResult<DataQuality> {
    let mut quality = DataQuality {
        rows: bundle
            .row_counts()
            .into_iter()
            .map(|(table, rows)| (table.name().to_string(), rows))
            .collect(),
        ..Default::default()
    };
    let known = ctx.accounts().select([col("account_id")]);

    if let Some(access) = bundle.frame(Table::ProductAccess) {
        let unknown = access
            .anti_join(known, col("account_id"), col("account_id"))
            .select([len().alias("rows")])
            .collect()?;
        quality.unknown_accounts.insert(
            Table::ProductAccess.name().to_string(),
            first_u64(&unknown, "rows")?,
        );
    }
    if let Some(facts) = ctx.activity() {
        quality.unknown_accounts.insert(
            Table::Activity.name().to_string(),
            facts.unknown_account_rows,
        );
        quality.activity_after_as_of = facts.rows_after_as_of;
    }

    let Some(access) = bundle.frame(Table::ProductAccess) else {
        return Ok(quality);
    };
    let named = access
        .select([col("product")])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    let named: std::collections::BTreeSet<String> =
        strings(&named, "product")?.into_iter().collect();
    let mut unknown = |table: Table, rows_by_product: Vec<(String, u64)>| {
        for (product, rows) in rows_by_product {
            if !named.contains(&product) {
                quality.unknown_products.push(UnknownProduct {
                    table: table.name().to_string(),
                    product,
                    rows,
                });
            }
        }
    };
    if let Some(facts) = ctx.activity() {
        unknown(Table::Activity, facts.rows_by_product.clone());
    }
    if let Some(sites) = ctx.sites() {
        let per_product = sites
            .group_by([col("product")])
            .agg([len().alias("rows")])
            .sort(["product"], Default::default())
            .collect()?;
        unknown(
            Table::Sites,
            strings(&per_product, "product")?
                .into_iter()
                .zip(counts(&per_product, "rows")?)
                .collect(),
        );
    }
    Ok(quality)
}
