//! Rows the contract leaves out of the figures, counted so that nothing is
//! dropped silently: rows set aside for breaking the contract, rows of
//! accounts missing from `accounts`, products that no `product_access` row
//! names, activity after the as-of date, accounts without an email.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::bundle::{Bundle, Table};
use crate::insights::Context;
use crate::problems::{Location, Problem};
use crate::review::privacy::Privacy;
use crate::support::frame::{count_rows, counts, first_u64, strings};

#[derive(Debug, Clone, Default, Serialize)]
pub struct DataQuality {
    /// Data rows read per table.
    pub rows: BTreeMap<String, u64>,
    /// Rows set aside for breaking the contract, per table that has any.
    pub set_aside_rows: BTreeMap<String, u64>,
    /// Each problem of the rows set aside, names concealed as `[privacy]`
    /// says: the page and `data/bad_rows.csv` list them, insights.json
    /// only counts them.
    #[serde(skip)]
    pub bad_rows: Vec<BadRow>,
    /// Accounts with access that have no email address.
    pub accounts_without_email: u64,
    /// Managed accounts with access whose sign-in (`sso`, `two_step`) the
    /// source has not recorded yet (`auth_recorded` false): left out of
    /// `managed_authentication` and of the accounts to fix.
    pub auth_not_recorded: u64,
    /// Rows whose `account_id` is not in `accounts`, per table.
    pub unknown_accounts: BTreeMap<String, u64>,
    /// Products of `activity` or `sites` that no `product_access` row names.
    pub unknown_products: Vec<UnknownProduct>,
    /// Activity rows dated after the as-of date (not counted).
    pub activity_after_as_of: u64,
    /// What the source of the bundle noted (`notes` of bundle.toml), for
    /// the page only.
    #[serde(skip)]
    pub source_notes: Vec<String>,
    /// Why activity was read a second time, when it was: for the page and
    /// the run's log line.
    #[serde(skip)]
    pub activity_read_again: Option<String>,
}

impl DataQuality {
    /// The same, with the names and emails of set-aside rows as `privacy`
    /// shows them.
    pub fn concealed(&self, privacy: &Privacy) -> DataQuality {
        DataQuality {
            bad_rows: self
                .bad_rows
                .iter()
                .map(|bad| BadRow {
                    table: bad.table,
                    problem: privacy.conceal_problem(bad.problem.clone()),
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// One problem of a row set aside: its table and the problem with its
/// file, line, column, value and what was expected.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub table: Table,
    pub problem: Problem,
}

impl BadRow {
    /// The CSV line (the line a record starts on) or the Parquet row.
    pub fn line(&self) -> u64 {
        match self.problem.location {
            Location::Line(n) | Location::Row(n) => n,
            Location::File => 0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UnknownProduct {
    pub table: String,
    pub product: String,
    pub rows: u64,
}

/// `activity`'s share was gathered with the insights, in the same scan.
/// The rows set aside are listed with names concealed as `privacy` says.
pub fn assess(bundle: &Bundle, ctx: &Context, privacy: &Privacy) -> PolarsResult<DataQuality> {
    let (set_aside_rows, bad_rows) = set_aside(bundle, privacy);
    let mut quality = DataQuality {
        rows: bundle
            .row_counts()
            .into_iter()
            .map(|(table, rows)| (table.name().to_string(), rows))
            .collect(),
        set_aside_rows,
        bad_rows,
        source_notes: bundle.manifest.notes.clone(),
        activity_read_again: ctx
            .activity_checked()
            .and_then(|checked| checked.read_again)
            .map(str::to_string),
        ..Default::default()
    };
    quality.accounts_without_email =
        count_rows(ctx.accounts_with_access().filter(col("email").is_null()))?;
    quality.auth_not_recorded = count_rows(
        ctx.accounts_with_access()
            .filter(col("account_type").eq(lit("managed")))
            .filter(col("auth_recorded").not()),
    )?;
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

    if let Some(access) = bundle.frame(Table::ProductAccess) {
        quality.unknown_products = unknown_products(access, ctx)?;
    }
    Ok(quality)
}

/// Products of activity and `sites` that no row of `access` names, with
/// their rows.
fn unknown_products(access: LazyFrame, ctx: &Context) -> PolarsResult<Vec<UnknownProduct>> {
    let mut found = Vec::new();
    let named = access
        .select([col("product")])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    let named: std::collections::BTreeSet<String> =
        strings(&named, "product")?.into_iter().collect();
    let mut unknown = |table: Table, rows_by_product: Vec<(String, u64)>| {
        for (product, rows) in rows_by_product {
            if !named.contains(&product) {
                found.push(UnknownProduct {
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
    Ok(found)
}

/// The rows `bundle` set aside, in table and line order, with names and
/// emails concealed as `privacy` says.
fn set_aside(bundle: &Bundle, privacy: &Privacy) -> (BTreeMap<String, u64>, Vec<BadRow>) {
    let mut counts = BTreeMap::new();
    let mut rows = Vec::new();
    for (table, set_aside) in bundle.set_aside() {
        counts.insert(table.name().to_string(), set_aside.rows);
        rows.extend(set_aside.problems.iter().map(|problem| BadRow {
            table,
            problem: privacy.conceal_problem(problem.clone()),
        }));
    }
    (counts, rows)
}
