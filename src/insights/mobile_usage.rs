//! Insight 9: use of the Atlassian mobile apps in the window, per product.

use polars::prelude::*;
use serde::Serialize;

use super::{
    accounts_where, percent, window_days, Advising, Cell, Chart, Context, DataTable, Insight,
    Shown, WINDOW_DAYS,
};
use crate::bundle::Table;
use crate::support::frame::{counts, strings};
use crate::support::words::{count_of, product_name};

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

impl Insight for MobileUsage {
    const TITLE: &'static str = "Mobile app usage";
    const LEAD: &'static str = concat!(
        "Accounts that used an Atlassian mobile app in the last ",
        window_days!(),
        " days, per product, and their share of the product's users."
    );
    const NOUN: &'static str = "mobile app use";
    const TABLES: &'static [Table] = &[Table::Activity];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        let usage = ctx.usage()?;
        let per_account = ctx.per_account()?;
        Some(figures(usage, per_account))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[
            ("product", "Product"),
            ("users", "Mobile users"),
            ("share", "Share (%)"),
        ]);
        for p in &self.products {
            table.row(vec![
                Cell::product(&p.product),
                Cell::count(p.users),
                Cell::percent(Some(p.share)),
            ]);
        }
        table.row(vec![
            Cell::text("all products"),
            Cell::count(self.total),
            Cell::text(""),
        ]);
        Shown {
            summary: format!(
                "{} used a mobile app in the last {WINDOW_DAYS} days.",
                count_of(self.total, "account")
            ),
            table,
            chart: Chart::bars(
                "Mobile app users by product",
                "accounts on mobile",
                self.products
                    .iter()
                    .map(|p| format!("{} ({:.1} %)", product_name(&p.product), p.share))
                    .collect(),
                "mobile users",
                self.products.iter().map(|p| p.users).collect(),
            ),
        }
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        vec![if self.total > 0 {
            format!(
                "{} used the mobile apps: check that a mobile app policy protects the organization's data on their devices.",
                count_of(self.total, "account")
            )
        } else {
            concat!(
                "No mobile app use in the ",
                window_days!(),
                " days: nothing to do."
            )
            .to_string()
        }]
    }
}
