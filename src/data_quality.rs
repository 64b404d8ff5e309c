//! Rows the contract leaves out of the figures, counted so that nothing is
//! dropped silently: rows of accounts missing from `accounts`, products that
//! no `product_access` row names, activity after the as-of date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::bundle::{Bundle, Table};
use crate::insights::{counts, first_u64, strings};

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

impl DataQuality {
    /// Whether there is anything to warn about.
    pub fn has_warnings(&self) -> bool {
        self.unknown_accounts.values().any(|&n| n > 0)
            || !self.unknown_products.is_empty()
            || self.activity_after_as_of > 0
    }
}

pub fn assess(bundle: &Bundle, as_of: NaiveDate) -> PolarsResult<DataQuality> {
    let mut quality = DataQuality {
        rows: bundle
            .row_counts()
            .into_iter()
            .map(|(table, rows)| (table.name().to_string(), rows))
            .collect(),
        ..Default::default()
    };
    let Some(accounts) = bundle.frame(Table::Accounts) else {
        return Ok(quality);
    };
    let known = accounts.select([col("account_id")]);

    for table in [Table::ProductAccess, Table::Activity] {
        if let Some(frame) = bundle.frame(table) {
            let unknown = frame
                .anti_join(known.clone(), col("account_id"), col("account_id"))
                .select([len().alias("rows")])
                .collect()?;
            quality
                .unknown_accounts
                .insert(table.name().to_string(), first_u64(&unknown, "rows")?);
        }
    }

    if let Some(activity) = bundle.frame(Table::Activity) {
        let later = activity
            .filter(col("date").gt(lit(as_of)))
            .select([len().alias("rows")])
            .collect()?;
        quality.activity_after_as_of = first_u64(&later, "rows")?;
    }

    if let Some(access) = bundle.frame(Table::ProductAccess) {
        let named = access
            .select([col("product")])
            .unique(None, UniqueKeepStrategy::Any);
        for table in [Table::Activity, Table::Sites] {
            if let Some(frame) = bundle.frame(table) {
                let unknown = frame
                    .anti_join(named.clone(), col("product"), col("product"))
                    .group_by([col("product")])
                    .agg([len().alias("rows")])
                    .sort(["product"], Default::default())
                    .collect()?;
                for (product, rows) in strings(&unknown, "product")?
                    .into_iter()
                    .zip(counts(&unknown, "rows")?)
                {
                    quality.unknown_products.push(UnknownProduct {
                        table: table.name().to_string(),
                        product,
                        rows,
                    });
                }
            }
        }
    }
    Ok(quality)
}
