//! One pass over `activity` for everything the insights need from it.
//!
//! `activity` is the one large table (a year of daily rows for a large
//! organization runs to a hundred million). It is read once, with polars'
//! streaming engine, and folded by account and product (see
//! [`super::pair_table`]) into a *usage* frame: one row per pair, whatever
//! the number of rows behind it. What the figures need of the days, months
//! and kinds of use is kept as bits ORed together (a view on the window's
//! third day, Rovo use two months before as_of's month, …), so the working
//! state grows with the accounts, not with the rows, and every figure
//! stays exact: each is a count of distinct accounts with some bit set.
//!
//! Activity is checked in the same scan ([`super::one_pass`]), which
//! folds it by pair; [`gather`] turns the pairs into the frames the
//! insights read.
//!
//! The same pass counts what data quality reports (rows per product, rows
//! of unknown accounts, rows after the as-of date) and each account's
//! latest view of each product (for the snapshot and the seats to reclaim).

use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::*;

use super::bits::{
    SiteFacts, AI_MONTHS_SHIFT, OLDER, ROVO_MONTHS_SHIFT, TRELLO_PLAN_SHIFT, UNKNOWN,
    VIEW_MONTHS_SHIFT, WINDOW_AI_BIT, WINDOW_ANY_BIT, WINDOW_MOBILE_BIT, WINDOW_ROVO_BIT,
};
use super::one_pass;
use super::WINDOW_DAYS;
use crate::bundle::spec::PLANS;
use crate::bundle::{SetAside, UncheckedActivity};
use crate::problems::Problems;
use crate::support::frame::{counts, strings};

/// What the insights and the data-quality section need from `activity`.
pub struct ActivityFacts {
    /// One row per known account and product with a counted row (Trello
    /// rows only for managed accounts): `account` (the account's number,
    /// its row in `accounts`), `product`, and
    /// - `window_days` (u32): bit `k` set when a `view` was counted on the
    ///   `k`-th day of the window (bit 0 is its first day);
    /// - `window_any`, `window_mobile`, `window_rovo`, `window_ai`: a
    ///   counted row in the window, on mobile, of Rovo use, of AI use;
    /// - `view_months`, `rovo_months`, `ai_months` (u16): bit `k` set when
    ///   such a row was counted `k` months before as_of's month, bit
    ///   [`OLDER`] for any earlier month;
    /// - `trello_rank`: for Trello, the highest plan (index in [`PLANS`]) of
    ///   the sites viewed in the window, null without such a view;
    /// - `last_view`: the latest counted `view`, at any date.
    pub usage: DataFrame,
    /// The usage ORed over each account's products: one row per account,
    /// `account`, `window_days`, `window_any`, `window_mobile`,
    /// `window_rovo`, `window_ai`, `view_months`, `rovo_months`,
    /// `ai_months`, `last_view`.
    pub per_account: DataFrame,
    /// Rows whose account is missing from `accounts`.
    pub unknown_account_rows: u64,
    /// Rows dated after the as-of date.
    pub rows_after_as_of: u64,
    /// Every product of the table with its number of rows.
    pub rows_by_product: Vec<(String, u64)>,
    /// The day of each known account's latest `view` of each product, on
    /// or before the as-of date: `pair` ([`ActivityFacts::pair`]) and
    /// `last_view`. For seats, so an external user's Trello views count
    /// too (the rule that leaves them out is the active-user figures').
    pub last_views: DataFrame,
    /// What checking activity in the same scan found, which the bundle did
    /// not know.
    pub checked: Checked,
    /// The names of the product codes in `pair`: polars keeps its global
    /// categories only while something refers to them.
    _product_names: Arc<CategoricalMapping>,
}

/// What the one pass found while checking activity.
pub struct Checked {
    /// Rows, those set aside included.
    pub rows: u64,
    /// The latest valid date of any row.
    pub latest: Option<NaiveDate>,
    pub set_aside: SetAside,
    /// Why activity was read a second time, when it was: said at warn
    /// level, in the run's log line and on the page.
    pub read_again: Option<&'static str>,
}

impl ActivityFacts {
    /// The key of `last_views` for an account's number and a product: one
    /// number, so that a join on it does not hash the product's name.
    pub fn pair(&self, account: Expr, product: Expr) -> Expr {
        pair_key(account, product)
    }
}

/// One number for an account's number (above) and a product (its code in
/// polars' global categories, below).
fn pair_key(account: Expr, product: Expr) -> Expr {
    let products = DataType::from_categories(Categories::global());
    account.cast(DataType::UInt64) * word(1 << 32)
        + product.cast(products).to_physical().cast(DataType::UInt64)
}

/// A 64-bit word, typed as such: an untyped literal could be narrowed to
/// 32 bits, or fail above `i64::MAX`.
fn word(value: u64) -> Expr {
    lit(Scalar::from(value))
}

fn bit(position: u32) -> Expr {
    word(1 << position)
}

/// Whether bit `position` of the 64-bit number `bits` is set.
pub(super) fn has_bit(bits: Expr, position: u32) -> Expr {
    bits.and(bit(position)).neq(word(0))
}

/// `width` bits of column `word_column` from bit `shift` on, as a number.
fn field(word_column: &str, shift: u32, width: u32) -> Expr {
    col(word_column)
        .floor_div(word(1 << shift))
        .and(word((1 << width) - 1))
}

/// `accounts` with the number that stands for each account in the usage
/// (`account`, its row).
pub fn numbered(accounts: LazyFrame) -> LazyFrame {
    accounts.with_row_index("account", None)
}

/// Checks and folds activity's raw cells in one scan ([`super::one_pass`]);
/// `Ok(Err)` with the problems that stop the run (a file that cannot be
/// read through, or more bad rows than `limits` allow).
pub fn gather(
    activity: &UncheckedActivity,
    accounts: LazyFrame,
    sites: Option<&SiteFacts>,
    (as_of, window_start): (NaiveDate, NaiveDate),
    limits: one_pass::Limits,
) -> PolarsResult<Result<ActivityFacts, Problems>> {
    let ids = accounts.clone().select([col("account_id")]).collect()?;
    let ids: Vec<Option<&str>> = ids.column("account_id")?.str()?.iter().collect();
    let product_names = Categories::global().mapping();
    let folded = match one_pass::fold(activity, &ids, sites, as_of, window_start, limits)? {
        Ok(folded) => folded,
        Err(problems) => return Ok(Err(problems)),
    };
    let checked = Checked {
        rows: folded.rows,
        latest: folded.latest,
        set_aside: folded.set_aside,
        read_again: folded.read_again,
    };
    Ok(Ok(facts_of_pairs(
        folded.by_pair,
        accounts,
        product_names,
        checked,
    )?))
}

/// The facts of activity folded by pair.
fn facts_of_pairs(
    by_pair: DataFrame,
    accounts: LazyFrame,
    product_names: Arc<CategoricalMapping>,
    checked: Checked,
) -> PolarsResult<ActivityFacts> {
    let account_types = numbered(accounts).select([col("account"), col("account_type")]);
    let grouped = split_pairs(by_pair, &product_names)?
        .lazy()
        .left_join(account_types, col("account"), col("account"))
        .collect()?;
    let quality = quality_by_product(&grouped)?;
    let (usage, per_account, last_views) = counted_usage(grouped)?;
    let sum = |column: &str| -> PolarsResult<u64> { Ok(counts(&quality, column)?.iter().sum()) };
    Ok(ActivityFacts {
        unknown_account_rows: sum("unknown")?,
        rows_after_as_of: sum("after")?,
        rows_by_product: strings(&quality, "product")?
            .into_iter()
            .zip(counts(&quality, "rows")?)
            .collect(),
        usage,
        per_account,
        last_views,
        checked,
        _product_names: product_names,
    })
}

/// Rows per product, those of unknown accounts and those after as_of.
fn quality_by_product(grouped: &DataFrame) -> PolarsResult<DataFrame> {
    grouped
        .clone()
        .lazy()
        .group_by([col("product")])
        .agg([
            col("rows").sum(),
            col("rows")
                .filter(col("account").is_null())
                .sum()
                .alias("unknown"),
            col("after").sum(),
        ])
        .sort(["product"], Default::default())
        .collect()
}

/// The counted pairs as usage per account and product and per account,
/// and the last view of each known account's pair.
fn counted_usage(grouped: DataFrame) -> PolarsResult<(DataFrame, DataFrame, DataFrame)> {
    let known = grouped.lazy().filter(col("account").is_not_null());
    let last_views = known
        .clone()
        .filter(col("last_view").is_not_null())
        .select([col("pair"), col("last_view")])
        .collect()?;
    // Counted: a known account; Trello only for managed accounts.
    let counted = known.filter(
        col("product")
            .neq(lit("trello"))
            .or(col("account_type").eq(lit("managed"))),
    );
    let usage = counted
        .clone()
        .select(
            [col("account"), col("product")]
                .into_iter()
                .chain(unpacked())
                .chain([highest_plan("b").alias("trello_rank"), col("last_view")])
                .collect::<Vec<_>>(),
        )
        .collect()?;
    // The words ORed over each account's products, then unpacked: fewer
    // reductions than ORing each field.
    let per_account = counted
        .group_by([col("account")])
        .agg([
            col("a").bitwise_or(),
            col("b").bitwise_or(),
            col("last_view").max(),
        ])
        .select(
            [col("account")]
                .into_iter()
                .chain(unpacked())
                .chain([col("last_view")])
                .collect::<Vec<_>>(),
        )
        .collect()?;
    Ok((usage, per_account, last_views))
}

/// `by_pair` with its `pair` key taken apart too: `account` (its number,
/// null for [`UNKNOWN`]) and `product` (its name, from the global category
/// of its code).
fn split_pairs(by_pair: DataFrame, names: &CategoricalMapping) -> PolarsResult<DataFrame> {
    let pairs = by_pair.column("pair")?.u64()?;
    let accounts: Vec<Option<u32>> = pairs
        .iter()
        .map(|p| p.map(|p| (p >> 32) as u32).filter(|&a| a != UNKNOWN))
        .collect();
    let products: Vec<Option<&str>> = pairs
        .iter()
        .map(|p| p.and_then(|p| names.cat_to_str(p as u32)))
        .collect();
    let mut frame = by_pair;
    frame.with_column(Column::new("account".into(), accounts))?;
    frame.with_column(Column::new("product".into(), products))?;
    Ok(frame)
}

/// The fields of words `a` and `b` that the figures read, as the columns
/// of [`ActivityFacts::usage`] name them.
fn unpacked() -> [Expr; 8] {
    [
        field("a", 0, WINDOW_DAYS as u32)
            .cast(DataType::UInt32)
            .alias("window_days"),
        has_bit(col("a"), WINDOW_ANY_BIT).alias("window_any"),
        has_bit(col("a"), WINDOW_MOBILE_BIT).alias("window_mobile"),
        has_bit(col("a"), WINDOW_ROVO_BIT).alias("window_rovo"),
        has_bit(col("a"), WINDOW_AI_BIT).alias("window_ai"),
        field("a", VIEW_MONTHS_SHIFT, OLDER + 1)
            .cast(DataType::UInt16)
            .alias("view_months"),
        field("b", ROVO_MONTHS_SHIFT, OLDER + 1)
            .cast(DataType::UInt16)
            .alias("rovo_months"),
        field("b", AI_MONTHS_SHIFT, OLDER + 1)
            .cast(DataType::UInt16)
            .alias("ai_months"),
    ]
}

/// The highest Trello plan whose bit is set in word `word`, or null.
fn highest_plan(word: &str) -> Expr {
    (0..PLANS.len() as u32).fold(lit(NULL).cast(DataType::UInt32), |lower, rank| {
        when(has_bit(col(word), TRELLO_PLAN_SHIFT + rank))
            .then(lit(rank))
            .otherwise(lower)
    })
}
