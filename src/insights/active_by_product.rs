//! Insight 7: per product, accounts with access that used it in the window
//! and those that did not.

use polars::prelude::*;
use serde::Serialize;

use super::{
    percent, window_days, Advising, Cell, Chart, Context, DataTable, Insight, Insights, Series,
    Shown, WINDOW_DAYS,
};
use crate::bundle::Table;
use crate::support::frame::{counts, strings};
use crate::support::words::{count_of, product_name, thousands};

/// Every product with access or use, in the order of [`ProductActivity`]'s
/// rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ActiveByProduct(pub Vec<ProductActivity>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductActivity {
    pub product: String,
    pub active: u64,
    pub inactive: u64,
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

impl Insight for ActiveByProduct {
    const TITLE: &'static str = "Active users by product";
    const LEAD: &'static str = concat!(
        "For each product, accounts with access to it that used it in the last ",
        window_days!(),
        " days (active) and those that did not (inactive): seats to review."
    );
    const NOUN: &'static str = "active users by product";
    const TABLES: &'static [Table] = &[Table::ProductAccess, Table::Activity];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        let access = ctx.access_of_accounts_with_access()?;
        let views = ctx.usage()?.filter(col("window_days").neq(lit(0u32)));
        Some(figures(access, views).map(ActiveByProduct))
    }

    fn show(&self) -> Shown {
        let rows = &self.0;
        let mut table = DataTable::new(&[
            ("product", "Product"),
            ("active", "Active"),
            ("inactive", "Inactive"),
        ]);
        for r in rows {
            table.row(vec![
                Cell::product(&r.product),
                Cell::count(r.active),
                Cell::count(r.inactive),
            ]);
        }
        let inactive: u64 = rows.iter().map(|r| r.inactive).sum();
        Shown {
            summary: format!(
                "Across {}, {} had no use in {WINDOW_DAYS} days.",
                count_of(rows.len() as u64, "product"),
                count_of(inactive, "product seat")
            ),
            table,
            chart: Chart::Bars {
                title: Self::TITLE,
                axis: "accounts with access",
                categories: rows.iter().map(|r| product_name(&r.product)).collect(),
                series: vec![
                    Series {
                        name: "active",
                        values: rows.iter().map(|r| r.active).collect(),
                    },
                    Series {
                        name: "inactive",
                        values: rows.iter().map(|r| r.inactive).collect(),
                    },
                ],
            },
        }
    }

    /// Seats nobody uses: after the security findings.
    fn findings(&self, _: &Insights) -> Vec<(u8, String)> {
        let idle: u64 = self.0.iter().map(|p| p.inactive).sum();
        if idle == 0 {
            return Vec::new();
        }
        vec![(
            40,
            format!(
                "{} had no use in the last {WINDOW_DAYS} days (the inactive column of data/active_by_product.csv; data/seat-reclaim.csv lists each idle seat, leaving out accounts added recently).",
                count_of(idle, "product seat")
            ),
        )]
    }

    fn advise(&self, on: &Advising) -> Vec<String> {
        let most = on.limits.inactive_seats_max_percent;
        let idle: Vec<String> = self
            .0
            .iter()
            .filter_map(|p| {
                let share = percent(p.inactive, p.active + p.inactive)?;
                (share > most).then(|| {
                    format!(
                        "{} of {} ({share:.1} %)",
                        thousands(p.inactive),
                        product_name(&p.product)
                    )
                })
            })
            .collect();
        vec![if idle.is_empty() {
            format!("No product has more than {most} % unused seats: nothing to do.")
        } else {
            format!(
                "Review the unused seats: {}. Remove access that is not needed, or give the seats to people waiting for them.",
                idle.join(", ")
            )
        }]
    }
}
